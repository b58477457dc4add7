/*
 * dsn.c - the DSN builder: a multipart/report (RFC 6522) of a human part, a
 * message/delivery-status part (RFC 3464, RFC 3461 6.3) and the returned
 * original, or the RFC 6533 equivalents for an SMTPUTF8 original.
 *
 * Untrusted text goes through dsn_text_clean() and then dsn_text_wrap() (see
 * dsn_text.c), so no input can end a line, start a field or reach 998 octets.
 * The returned original is scanned first and sent as is only if it is already
 * fit to travel.
 */
#include "dsn.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dsn_text.h"
#include "header.h"
#include "id.h"
#include "strutil.h"
#include "utf8.h"

#define LINE_MAX_OCTET 998
#define MSGID_MAX      250
#define TEXT_INDENT    "        "

enum group { GROUP_FAILED, GROUP_DELAYED, GROUP_SUCCESS };

/* what part 3 holds, for the human part */
enum returned { RETURNED_FULL, RETURNED_HEADERS, RETURNED_HEADERS_ONLY_FIT };

static const char *const action_names[] = {
        [DSN_ACTION_FAILED] = "failed",       [DSN_ACTION_DELAYED] = "delayed",
        [DSN_ACTION_DELIVERED] = "delivered", [DSN_ACTION_RELAYED] = "relayed",
        [DSN_ACTION_EXPANDED] = "expanded",
};

static const char *const action_text[] = {
        [DSN_ACTION_FAILED] = "delivery failed",
        [DSN_ACTION_DELAYED] = "not delivered yet, still trying",
        [DSN_ACTION_DELIVERED] = "delivered",
        [DSN_ACTION_RELAYED] = "relayed to a system that does not confirm delivery",
        [DSN_ACTION_EXPANDED] = "delivered, and forwarded to further addresses",
};

static int group_of(enum dsn_action a)
{
	switch (a) {
	case DSN_ACTION_FAILED:
		return GROUP_FAILED;
	case DSN_ACTION_DELAYED:
		return GROUP_DELAYED;
	case DSN_ACTION_DELIVERED:
	case DSN_ACTION_RELAYED:
	case DSN_ACTION_EXPANDED:
		return GROUP_SUCCESS;
	}
	return -1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * put_orcpt - Original-Recipient, its value taken from the ORCPT parameter (RFC
 * 3461 6.3(d)), "addr-type;value". The xtext of an rfc822 (or other) type is
 * decoded: the field is not xtext, and the decoded address is printable ASCII
 * (RFC 3461 4.2). A utf-8 value is not xtext (RFC 6533 3): a global report gets
 * the utf-8-address form (escapes removed), a 7-bit one the utf-8-addr-xtext form.
 */
static void put_orcpt(struct buf *out, struct buf *v, const char *orcpt, bool utf8)
{
	const char *semi = strchr(orcpt, ';');
	struct buf t;

	buf_reset(v);
	if (semi == NULL) {
		/* not "type;value": RFC 3464 2.3.1 says "unknown" */
		buf_puts(v, "unknown; ");
		dsn_text_clean(v, orcpt, strlen(orcpt), 0);
		dsn_text_field(out, "Original-Recipient", v->data, v->len);
		return;
	}
	buf_init(&t);
	size_t tlen = (size_t)(semi - orcpt), vlen = strlen(semi + 1);
	size_t start = v->len;
	for (size_t i = 0; i < tlen; i++)
		if (dsn_text_is_atext((unsigned char)orcpt[i]))
			buf_putc(v, orcpt[i]);
	if (v->len == start)
		buf_puts(v, "unknown");
	buf_puts(v, "; ");
	if (tlen == 5 && ascii_niequal(orcpt, "utf-8", 5)) {
		if (utf8 && dsn_text_unitext_decode(&t, semi + 1, vlen) == 0) {
			dsn_text_clean(v, t.data, t.len, DSN_CL_UTF8);
		} else if (utf8) {
			dsn_text_clean(v, semi + 1, vlen, DSN_CL_UTF8);
		} else {
			dsn_text_clean(&t, semi + 1, vlen, DSN_CL_UTF8);
			dsn_text_xform(v, t.data, t.len, false);
		}
	} else {
		dsn_text_xtext_decode(&t, semi + 1, vlen);
		dsn_text_clean(v, t.data, t.len, 0);
	}
	dsn_text_field(out, "Original-Recipient", v->data, v->len);
	buf_release(&t);
}

/*
 * put_final - Final-Recipient, the envelope address exactly (RFC 3464 2.3.2):
 * rfc822 if ASCII, else the utf-8 type (RFC 6533), raw in a global report and
 * escaped in a 7-bit one.
 */
static void put_final(struct buf *out, struct buf *v, const char *addr, bool utf8)
{
	size_t n = strlen(addr);
	struct buf t;

	buf_reset(v);
	if (is_ascii(addr, n)) {
		buf_puts(v, "rfc822; ");
		dsn_text_clean(v, addr, n, 0);
	} else if (utf8) {
		buf_puts(v, "utf-8; ");
		dsn_text_clean(v, addr, n, DSN_CL_UTF8);
	} else {
		buf_init(&t);
		dsn_text_clean(&t, addr, n, DSN_CL_UTF8);
		buf_puts(v, "utf-8; ");
		dsn_text_xform(v, t.data, t.len, true);
		buf_release(&t);
	}
	dsn_text_field(out, "Final-Recipient", v->data, v->len);
}

/* status_valid - RFC 3464 2.3.4 status-code, class 2, 4 or 5, no leading zeros */
static bool status_valid(const char *s)
{
	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return false;
	s += 2;
	for (int f = 0; f < 2; f++) {
		size_t d = 0;
		while (is_digit(s[d]))
			d++;
		if (d == 0 || d > 3 || (d > 1 && s[0] == '0'))
			return false;
		s += d;
		if (f == 0 && *s++ != '.')
			return false;
	}
	return *s == '\0';
}

/* status_of - the code given, or the generic one RFC 3461 6.3(g) asks for */
static const char *status_of(const struct dsn_rcpt *r)
{
	static const char *const generic[] = {
	        [GROUP_FAILED] = "5.0.0", [GROUP_DELAYED] = "4.0.0", [GROUP_SUCCESS] = "2.0.0"};

	return status_valid(r->status) ? r->status : generic[group_of(r->action)];
}

/* smtp_like - a reply "NNN text" or "NNN-text" (RFC 3461 9.2), else a local reason */
static bool smtp_like(const char *d)
{
	return is_digit(d[0]) && is_digit(d[1]) && is_digit(d[2]) &&
	       (d[3] == ' ' || d[3] == '-' || d[3] == '\0' || d[3] == '\r' || d[3] == '\n');
}

/* build_status - the body of message/(global-)delivery-status */
static void build_status(struct buf *out, const struct dsn_info *info, const struct dsn_rcpt *rcpts,
                         size_t n)
{
	unsigned fl = info->utf8 ? DSN_CL_UTF8 : 0;
	struct buf v, t;

	buf_init(&v);
	buf_init(&t);
	if (info->envid && *info->envid) {
		/* RFC 3461 6.3(a): the field is not xtext, so the ENVID is decoded */
		dsn_text_xtext_decode(&t, info->envid, strlen(info->envid));
		dsn_text_clean(&v, t.data, t.len, 0);
		dsn_text_field(out, "Original-Envelope-Id", v.data, v.len);
	}
	dsn_text_field_clean(out, &v, "Reporting-MTA", "dns; ", info->reporting_mta, 0);
	if (info->arrival)
		dsn_text_field_date(out, "Arrival-Date", info->arrival);
	dsn_text_field_clean(out, &v, "X-Postern-Queue-ID", "", info->queue_id, 0);
	for (size_t i = 0; i < n; i++) {
		const struct dsn_rcpt *r = &rcpts[i];
		buf_puts(out, "\r\n");
		if (r->orcpt && *r->orcpt)
			put_orcpt(out, &v, r->orcpt, info->utf8);
		put_final(out, &v, r->addr, info->utf8);
		buf_printf(out, "Action: %s\r\n", action_names[r->action]);
		buf_printf(out, "Status: %s\r\n", status_of(r));
		if (r->remote_mta && *r->remote_mta)
			dsn_text_field_clean(out, &v, "Remote-MTA", "dns; ", r->remote_mta, 0);
		if (r->diagnostic && *r->diagnostic)
			dsn_text_field_clean(out, &v, "Diagnostic-Code",
			                     smtp_like(r->diagnostic) ? "smtp; " : "X-Postern; ",
			                     r->diagnostic, fl | DSN_CL_BREAKS);
		if (r->last_attempt)
			dsn_text_field_date(out, "Last-Attempt-Date", r->last_attempt);
		/* RFC 3464 2.3.9: MUST NOT appear in other than delayed reports */
		if (r->action == DSN_ACTION_DELAYED && r->will_retry_until)
			dsn_text_field_date(out, "Will-Retry-Until", r->will_retry_until);
	}
	buf_release(&v);
	buf_release(&t);
}

/* text_para - our text, the untrusted s (or NULL) and our tail, wrapped; then a blank line */
static void text_para(struct buf *out, const char *ours, const char *s, const char *tail,
                      unsigned flags)
{
	struct buf t;

	buf_init(&t);
	buf_puts(&t, ours);
	if (s)
		dsn_text_clean(&t, s, strlen(s), flags);
	buf_puts(&t, tail);
	dsn_text_wrap(out, 0, t.data, t.len, "");
	buf_puts(out, "\r\n\r\n");
	buf_release(&t);
}

/* text_item - "    label: s", continuation lines indented further */
static void text_item(struct buf *out, const char *label, const char *s, unsigned flags)
{
	struct buf t;

	buf_init(&t);
	dsn_text_clean(&t, s, strlen(s), flags);
	buf_printf(out, "    %s: ", label);
	dsn_text_wrap(out, 6 + strlen(label), t.data, t.len, TEXT_INDENT);
	buf_puts(out, "\r\n");
	buf_release(&t);
}

static void text_date(struct buf *out, const char *label, time_t t)
{
	char d[64];

	rfc5322_date(t, d, sizeof(d));
	buf_printf(out, "    %s: %s\r\n", label, d);
}

/* build_text - the human part: what happened to each recipient; never the body */
static void build_text(struct buf *out, const struct dsn_info *info, const struct dsn_rcpt *rcpts,
                       size_t n, int grp, enum returned ret)
{
	static const char *const intro[] = {
	        [GROUP_FAILED] = "Your message could not be delivered to the recipients below. "
	                         "Delivery to them has been abandoned; the reasons follow.",
	        [GROUP_DELAYED] = "Your message has not yet been delivered to the recipients "
	                          "below. Delivery is still being attempted, and you will be "
	                          "told if it finally fails; you do not need to send it again.",
	        [GROUP_SUCCESS] = "Your message was delivered to the recipients below, and you "
	                          "asked to be told.",
	};
	unsigned fl = info->utf8 ? DSN_CL_UTF8 : 0;

	text_para(out, "This is the mail delivery system at ", info->reporting_mta, ".", 0);
	text_para(out, intro[grp], NULL, "", 0);
	for (size_t i = 0; i < n; i++) {
		const struct dsn_rcpt *r = &rcpts[i];
		struct buf t;
		buf_init(&t);
		buf_putc(&t, '<');
		dsn_text_clean(&t, r->addr, strlen(r->addr), fl);
		buf_putc(&t, '>');
		dsn_text_wrap(out, 0, t.data, t.len, TEXT_INDENT);
		buf_puts(out, "\r\n");
		buf_printf(out, "    Result: %s (%s)\r\n", action_text[r->action], status_of(r));
		if (r->remote_mta && *r->remote_mta)
			text_item(out, "Remote server", r->remote_mta, 0);
		if (r->diagnostic && *r->diagnostic)
			text_item(out, r->remote_mta && *r->remote_mta ? "It said" : "Reason",
			          r->diagnostic, fl | DSN_CL_BREAKS);
		if (r->last_attempt)
			text_date(out, "Last attempt", r->last_attempt);
		if (r->action == DSN_ACTION_DELAYED && r->will_retry_until)
			text_date(out, "Trying until", r->will_retry_until);
		buf_puts(out, "\r\n");
		buf_release(&t);
	}
	text_para(out, "Queue ID: ", info->queue_id, "", 0);
	switch (ret) {
	case RETURNED_FULL:
		text_para(out, "Your message is attached.", NULL, "", 0);
		break;
	case RETURNED_HEADERS:
		text_para(out, "The header section of your message is attached.", NULL, "", 0);
		break;
	case RETURNED_HEADERS_ONLY_FIT:
		text_para(out,
		          "Your message could not be attached whole: it holds 8-bit data or "
		          "lines that this report cannot carry. Only its header section is "
		          "attached.",
		          NULL, "", 0);
		break;
	}
}

/* what a scan of the returned original found */
struct scan {
	bool eight; /* an octet with the high bit set */
	bool bad;   /* NUL, bare CR or LF, or a line over 998 octets */
	bool cr;    /* the last octet seen was CR */
	size_t col;
};

static void scan(struct scan *sc, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (sc->cr) {
			sc->cr = false;
			if (c == '\n') {
				sc->col = 0;
				continue;
			}
			sc->bad = true;
		}
		if (c == '\r') {
			sc->cr = true;
			continue;
		}
		if (c == '\n' || c == '\0')
			sc->bad = true;
		if (c >= 0x80)
			sc->eight = true;
		if (++sc->col > LINE_MAX_OCTET)
			sc->bad = true;
	}
}

/* fits - the scanned octets can travel as they are: 7-bit unless utf8 */
static bool fits(const struct scan *sc, bool utf8)
{
	return !sc->bad && !sc->cr && (utf8 || !sc->eight);
}

/*
 * put_qp - quoted-printable (RFC 2045 6.7): CRLF stays a line break, everything
 * else that is not plain printable ASCII is encoded, lines end before 76.
 */
static void put_qp(struct buf *out, const char *p, size_t n)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r' && i + 1 < n && p[i + 1] == '\n') {
			buf_puts(out, "\r\n");
			col = 0;
			i++;
			continue;
		}
		bool eol = i + 1 == n || (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n');
		bool lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !eol);
		size_t len = lit ? 1 : 3;
		if (col + len > 75) {
			buf_puts(out, "=\r\n");
			col = 0;
		}
		if (lit)
			buf_putc(out, (char)c);
		else
			buf_printf(out, "=%02X", c);
		col += len;
	}
}

/* the third part: the returned original */
struct orig {
	struct buf data;
	const char *type;
	const char *cte;
	enum returned ret;
};

/*
 * build_orig - the whole message if asked for and fit to travel inside the
 * report unchanged (message/rfc822 allows no encoding but 7bit and 8bit, RFC
 * 2046 5.2.1), else the header section: as is if it fits, quoted-printable if
 * not (RFC 6522 4, RFC 6533 6.3).
 */
static void build_orig(struct orig *o, bool utf8, bool want_full, const char *h, size_t hn,
                       const struct qrec_span *body, size_t nbody)
{
	struct scan sh = {0};

	buf_init(&o->data);
	scan(&sh, h, hn);
	o->ret = RETURNED_HEADERS;
	if (want_full) {
		struct scan sb = sh;
		scan(&sb, "\r\n", 2);
		for (size_t i = 0; i < nbody; i++)
			scan(&sb, body[i].p, body[i].n);
		bool ends = hn == 0 || (hn >= 2 && h[hn - 2] == '\r' && h[hn - 1] == '\n');
		if (ends && fits(&sb, utf8)) {
			o->type = utf8 ? "message/global" : "message/rfc822";
			o->cte = sb.eight ? "8bit" : "7bit";
			o->ret = RETURNED_FULL;
			buf_append(&o->data, h, hn);
			buf_puts(&o->data, "\r\n");
			for (size_t i = 0; i < nbody; i++)
				buf_append(&o->data, body[i].p, body[i].n);
			return;
		}
		o->ret = RETURNED_HEADERS_ONLY_FIT;
	}
	o->type = utf8 ? "message/global-headers" : "text/rfc822-headers";
	if (fits(&sh, utf8)) {
		o->cte = sh.eight ? "8bit" : "7bit";
		buf_append(&o->data, h, hn);
	} else {
		o->cte = "quoted-printable";
		put_qp(&o->data, h, hn);
	}
}

/* msgid_sane - "<left@right>" of atext, '.', '[' and ']' (and UTF-8 if utf8) */
static bool msgid_sane(const char *s, size_t n, bool utf8)
{
	size_t at = 0, nat = 0, i = 1;

	if (n < 5 || n > MSGID_MAX || s[0] != '<' || s[n - 1] != '>')
		return false;
	while (i < n - 1) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			size_t l = utf8 ? utf8_seq_len((const unsigned char *)s + i, n - 1 - i) : 0;
			if (l < 2)
				return false;
			i += l;
			continue;
		}
		if (c == '@')
			at = i, nat++;
		else if (!dsn_text_is_atext(c) && c != '.' && c != '[' && c != ']')
			return false;
		i++;
	}
	return nat == 1 && at > 1 && at < n - 2;
}

static bool is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* orig_msgid - append the original's Message-ID to v if it has a sane one */
static bool orig_msgid(struct buf *v, const char *h, size_t hn, bool utf8)
{
	struct hdr_index ix;
	bool ok = false;

	if (hn == 0 || hdr_index_build(&ix, h, hn) < 0)
		return false;
	const struct hdr_field *f = hdr_find(&ix, "Message-ID");
	if (f) {
		const char *p = h + f->off + f->name_len, *e = h + f->off + f->len;
		while (p < e && *p != ':')
			p++;
		if (p < e)
			p++;
		while (p < e && is_fws(*p))
			p++;
		while (e > p && is_fws(e[-1]))
			e--;
		ok = msgid_sane(p, (size_t)(e - p), utf8);
		if (ok)
			buf_append(v, p, (size_t)(e - p));
	}
	hdr_index_release(&ix);
	return ok;
}

/* put_atext - s reduced to atext (and '.' if dots), at most max octets */
static void put_atext(struct buf *out, const char *s, size_t max, bool dots)
{
	size_t start = out->len;

	for (; *s && out->len - start < max; s++)
		if (dsn_text_is_atext((unsigned char)*s) || (dots && *s == '.'))
			buf_putc(out, *s);
	if (out->len == start)
		buf_puts(out, "invalid");
}

/* put_header - the DSN's own header section */
static void put_header(struct buf *out, const struct dsn_info *info, int grp, const char *boundary,
                       const char *orig_header, size_t orig_header_len, bool eight, time_t now)
{
	static const char *const subjects[] = {
	        [GROUP_FAILED] = "Undelivered Mail Returned to Sender",
	        [GROUP_DELAYED] = "Delayed Mail (still being retried)",
	        [GROUP_SUCCESS] = "Successful Mail Delivery Report",
	};
	unsigned fl = info->utf8 ? DSN_CL_UTF8 : 0;
	char rnd[ID_HEXLEN + 1];
	struct buf v;

	buf_init(&v);
	buf_puts(&v, "Mail Delivery System <");
	dsn_text_clean(&v, info->from, strlen(info->from), fl);
	buf_putc(&v, '>');
	dsn_text_field(out, "From", v.data, v.len);
	buf_reset(&v);
	buf_putc(&v, '<');
	dsn_text_clean(&v, info->to, strlen(info->to), fl);
	buf_putc(&v, '>');
	dsn_text_field(out, "To", v.data, v.len);
	buf_printf(out, "Subject: %s\r\n", subjects[grp]);
	dsn_text_field_date(out, "Date", now);
	buf_reset(&v);
	buf_putc(&v, '<');
	put_atext(&v, info->queue_id, 64, false);
	buf_printf(&v, ".dsn.%s@", id_format(id_random(), rnd));
	put_atext(&v, info->reporting_mta, 255, true);
	buf_putc(&v, '>');
	dsn_text_field(out, "Message-ID", v.data, v.len);
	buf_reset(&v);
	if (orig_msgid(&v, orig_header, orig_header_len, info->utf8)) {
		dsn_text_field(out, "In-Reply-To", v.data, v.len);
		dsn_text_field(out, "References", v.data, v.len);
	}
	buf_puts(out, "Auto-Submitted: auto-replied\r\n");
	buf_puts(out, "MIME-Version: 1.0\r\n");
	buf_printf(out,
	           "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	           "\tboundary=\"%s\"\r\n",
	           boundary);
	if (eight)
		buf_puts(out, "Content-Transfer-Encoding: 8bit\r\n");
	buf_release(&v);
}

static void put_part(struct buf *out, const char *boundary, const char *desc, const char *type,
                     const char *cte, const struct buf *content)
{
	buf_printf(out, "\r\n--%s\r\n", boundary);
	buf_printf(out, "Content-Description: %s\r\n", desc);
	buf_printf(out, "Content-Type: %s\r\n", type);
	buf_printf(out, "Content-Transfer-Encoding: %s\r\n\r\n", cte);
	buf_append(out, content->data, content->len);
}

static bool occurs(const struct buf *b, const char *s)
{
	return b->len > 0 && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

static bool filled(const char *s)
{
	return s != NULL && *s != '\0';
}

int dsn_build(struct buf *out, const struct dsn_info *info, const struct dsn_rcpt *rcpts,
              size_t nrcpts, const char *orig_header, size_t orig_header_len,
              const struct qrec_span *body, size_t nbody, time_t now)
{
	char boundary[64];
	struct buf text, status;
	struct orig o;
	int grp;

	if (nrcpts == 0 || !filled(info->to) || !filled(info->from) ||
	    !filled(info->reporting_mta) || !filled(info->queue_id))
		return -1;
	grp = group_of(rcpts[0].action);
	for (size_t i = 0; i < nrcpts; i++)
		if (group_of(rcpts[i].action) != grp || grp < 0 || !filled(rcpts[i].addr))
			return -1;

	/* RFC 3461 6.2: the whole message only with a failure, else the headers */
	build_orig(&o, info->utf8, info->return_full && grp == GROUP_FAILED, orig_header,
	           orig_header_len, body, nbody);
	buf_init(&text);
	build_text(&text, info, rcpts, nrcpts, grp, o.ret);
	buf_init(&status);
	build_status(&status, info, rcpts, nrcpts);

	/* a boundary that occurs in no part cannot end one early (RFC 2046 5.1.1) */
	do
		snprintf(boundary, sizeof(boundary), "=_postern_%016" PRIx64 "%016" PRIx64,
		         id_random(), id_random());
	while (occurs(&text, boundary) || occurs(&status, boundary) || occurs(&o.data, boundary));

	bool text8 = !is_ascii(text.data, text.len);
	bool eight = text8 || info->utf8 || strcmp(o.cte, "8bit") == 0;
	put_header(out, info, grp, boundary, orig_header, orig_header_len, eight, now);
	buf_puts(out, "\r\nThis is a MIME-encapsulated message.\r\n");
	put_part(out, boundary, "Notification",
	         text8 ? "text/plain; charset=utf-8" : "text/plain; charset=us-ascii",
	         text8 ? "8bit" : "7bit", &text);
	/* RFC 6533 6.4: the 8bit encoding MUST be used with the global type */
	put_part(out, boundary, "Delivery report",
	         info->utf8 ? "message/global-delivery-status" : "message/delivery-status",
	         info->utf8 ? "8bit" : "7bit", &status);
	put_part(out, boundary, o.ret == RETURNED_FULL ? "Undelivered Message" : "Message Headers",
	         o.type, o.cte, &o.data);
	buf_printf(out, "\r\n--%s--\r\n", boundary);

	buf_release(&text);
	buf_release(&status);
	buf_release(&o.data);
	return 0;
}
