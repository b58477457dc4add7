/*
 * dsn_test.c - dsn_build: the shape of each kind of report, every DSN field
 * (RFC 3464, RFC 3461 ENVID/ORCPT decoding, RFC 6533 utf-8 addresses), the
 * returned original (whole, headers, quoted-printable, the 8-bit fallback), the
 * In-Reply-To taken from the original, refusals, and hostile input: each report
 * is read back with a small MIME walker and checked octet by octet on the wire.
 */
#include "dsn.h"

#include <ctype.h>
#include <strings.h>
#include <time.h>

#include "unit.h"

#define NOW     ((time_t)1700500000)
#define ARRIVAL ((time_t)1699990000)
#define LAST    ((time_t)1700000000)
#define UNTIL   ((time_t)1700400000)

static const char base_header[] = "From: Alice <alice@example.org>\r\n"
                                  "To: bob@example.com\r\n"
                                  "Subject: hello\r\n"
                                  "Message-ID: <orig.1@example.org>\r\n";
static const char base_body[] = "Hello Bob.\r\nSECRET-BODY-MARKER\r\n";

/* one call's inputs, filled with sane defaults and changed per row */
struct fixture {
	struct dsn_info info;
	struct dsn_rcpt rcpts[4];
	size_t nrcpts;
	const char *header;
	size_t header_len;
	struct qrec_span body[4];
	size_t nbody;
};

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->info = (struct dsn_info){"relay.example",
	                            "MAILER-DAEMON@relay.example",
	                            "alice@example.org",
	                            "QQ+2B314159",
	                            "0123456789abcdef",
	                            ARRIVAL,
	                            true,
	                            false};
	f->rcpts[0] = (struct dsn_rcpt){"bob@example.com",
	                                "rfc822;bob@example.com",
	                                DSN_ACTION_FAILED,
	                                "5.1.1",
	                                "mx.example.com",
	                                "550 5.1.1 No such user",
	                                LAST,
	                                UNTIL};
	f->nrcpts = 1;
	f->header = base_header;
	f->header_len = sizeof(base_header) - 1;
	f->body[0] = (struct qrec_span){base_body, sizeof(base_body) - 1};
	f->nbody = 1;
}

static int build(const struct fixture *f, struct buf *out)
{
	return dsn_build(out, &f->info, f->rcpts, f->nrcpts, f->header, f->header_len, f->body,
	                 f->nbody, NOW);
}

/* --- a small MIME walker ------------------------------------------------ */

struct span {
	const char *p;
	size_t n;
};

struct part {
	struct span head, body;
	char type[96]; /* lower case, parameters cut */
	char cte[32];
};

struct parsed {
	struct span head, body;
	char boundary[80];
	struct part parts[8];
	size_t nparts;
	size_t delims; /* delimiter lines, the close one included */
	bool closed;
};

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	memmove(s, s + i, n - i + 1);
}

/* split_head - a header block (up to and with its last CRLF) and what follows the empty line */
static bool split_head(struct span s, struct span *head, struct span *body)
{
	if (s.n >= 2 && s.p[0] == '\r' && s.p[1] == '\n') {
		*head = (struct span){s.p, 0};
		*body = (struct span){s.p + 2, s.n - 2};
		return true;
	}
	const char *e = memmem(s.p, s.n, "\r\n\r\n", 4);
	if (e == NULL)
		return false;
	*head = (struct span){s.p, (size_t)(e - s.p) + 2};
	*body = (struct span){e + 4, s.n - head->n - 2};
	return true;
}

static const char *line_end(const char *p, const char *e)
{
	const char *eol = memmem(p, (size_t)(e - p), "\r\n", 2);
	return eol ? eol : e;
}

/* field_get - the first field called name in block h, unfolded and trimmed */
static bool field_get(struct span h, const char *name, char *out, size_t outlen)
{
	const char *p = h.p, *e = h.p + h.n;
	size_t nl = strlen(name), o = 0;

	while (p < e) {
		const char *le = line_end(p, e);
		if ((size_t)(le - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			for (;;) {
				for (; v < le && o + 1 < outlen; v++)
					out[o++] = *v;
				p = le + 2;
				if (p >= e || (*p != ' ' && *p != '\t'))
					break;
				le = line_end(p, e);
				v = p;
			}
			out[o] = '\0';
			trim(out);
			return true;
		}
		p = le + 2;
	}
	return false;
}

static size_t field_count(struct span h, const char *name)
{
	const char *p = h.p, *e = h.p + h.n;
	size_t nl = strlen(name), c = 0;

	for (; p < e; p = line_end(p, e) + 2)
		if ((size_t)(e - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':')
			c++;
	return c;
}

/*
 * fields_only - every line of block h is a field named in allowed, or a folded
 * continuation that is not white space alone: nothing was injected.
 */
static bool fields_only(struct span h, const char *const *allowed, char *bad, size_t badlen)
{
	const char *p = h.p, *e = h.p + h.n;

	for (; p < e; p = line_end(p, e) + 2) {
		const char *le = line_end(p, e);
		size_t ll = (size_t)(le - p), k = 0;
		snprintf(bad, badlen, "%.*s", (int)(ll < 60 ? ll : 60), p);
		if (ll == 0)
			return false;
		if (p[0] == ' ' || p[0] == '\t') {
			while (k < ll && (p[k] == ' ' || p[k] == '\t'))
				k++;
			if (k == ll)
				return false;
			continue;
		}
		const char *colon = memchr(p, ':', ll);
		if (colon == NULL)
			return false;
		size_t nl = (size_t)(colon - p);
		bool known = false;
		for (size_t i = 0; allowed[i]; i++)
			if (strlen(allowed[i]) == nl && strncasecmp(p, allowed[i], nl) == 0)
				known = true;
		if (!known)
			return false;
	}
	return true;
}

static void part_type(struct part *pt)
{
	char v[256];

	pt->type[0] = '\0';
	if (field_get(pt->head, "Content-Type", v, sizeof(v))) {
		v[strcspn(v, ";")] = '\0';
		trim(v);
		for (char *c = v; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		snprintf(pt->type, sizeof(pt->type), "%.95s", v);
	}
	if (!field_get(pt->head, "Content-Transfer-Encoding", pt->cte, sizeof(pt->cte)))
		snprintf(pt->cte, sizeof(pt->cte), "7bit");
}

/* parse - a multipart message: its boundary, parts, and whether it was closed */
static bool parse(const char *m, size_t n, struct parsed *d)
{
	char ct[1024], delim[96];

	memset(d, 0, sizeof(*d));
	if (!split_head((struct span){m, n}, &d->head, &d->body) ||
	    !field_get(d->head, "Content-Type", ct, sizeof(ct)))
		return false;
	const char *b = strstr(ct, "boundary=\"");
	if (b == NULL)
		return false;
	b += 10;
	const char *q = strchr(b, '"');
	if (q == NULL || (size_t)(q - b) >= sizeof(d->boundary))
		return false;
	memcpy(d->boundary, b, (size_t)(q - b));
	snprintf(delim, sizeof(delim), "--%s", d->boundary);
	size_t dl = strlen(delim);

	const char *p = d->body.p, *e = d->body.p + d->body.n, *start = NULL;
	for (; p < e; p = line_end(p, e) + 2) {
		const char *le = line_end(p, e);
		size_t ll = (size_t)(le - p);
		if (ll < dl || memcmp(p, delim, dl) != 0)
			continue;
		bool close = ll == dl + 2 && p[dl] == '-' && p[dl + 1] == '-';
		if ((!close && ll != dl) || d->closed)
			return false;
		d->delims++;
		if (start) {
			const char *end = p - 2 >= start ? p - 2 : start;
			if (d->nparts == NELEM(d->parts))
				return false;
			struct part *pt = &d->parts[d->nparts++];
			if (!split_head((struct span){start, (size_t)(end - start)}, &pt->head,
			                &pt->body))
				return false;
			part_type(pt);
		}
		start = close ? NULL : le + 2;
		d->closed = close;
	}
	return d->closed;
}

/* wire_fault - why m is not a well-formed message on the wire, or NULL */
static const char *wire_fault(const char *m, size_t n, bool seven)
{
	size_t col = 0;

	if (n < 2 || m[n - 2] != '\r' || m[n - 1] != '\n')
		return "no final CRLF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)m[i];
		if (c == '\r') {
			if (i + 1 >= n || m[i + 1] != '\n')
				return "bare CR";
			i++;
			col = 0;
			continue;
		}
		if (c == '\n')
			return "bare LF";
		if (c == '\0')
			return "NUL";
		if (seven && c >= 0x80)
			return "8-bit octet in a 7-bit report";
		if (++col > 998)
			return "line over 998 octets";
	}
	return NULL;
}

/* blocks - the field groups of a delivery-status body, split at empty lines */
static size_t blocks(struct span b, struct span *out, size_t max)
{
	const char *p = b.p, *e = b.p + b.n;
	size_t k = 0;

	while (p < e && k < max) {
		const char *x = memmem(p, (size_t)(e - p), "\r\n\r\n", 4);
		const char *end = x ? x + 2 : e;
		out[k++] = (struct span){p, (size_t)(end - p)};
		p = x ? x + 4 : e;
	}
	return k;
}

static bool span_has(struct span s, const char *needle)
{
	return memmem(s.p, s.n, needle, strlen(needle)) != NULL;
}

static size_t occurrences(const char *m, size_t n, const char *needle)
{
	size_t c = 0, nl = strlen(needle);
	const char *p = m, *e = m + n, *x;

	while ((x = memmem(p, (size_t)(e - p), needle, nl)) != NULL) {
		c++;
		p = x + nl;
	}
	return c;
}

static size_t qp_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' && i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
		} else if (s[i] == '=' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		           isxdigit((unsigned char)s[i + 2])) {
			char h[3] = {s[i + 1], s[i + 2], 0};
			out[o++] = (char)strtol(h, NULL, 16);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

static const char *const top_fields[] = {
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Auto-Submitted",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
        NULL,
};

static const char *const status_fields[] = {
        "Original-Envelope-Id",
        "Reporting-MTA",
        "Arrival-Date",
        "X-Postern-Queue-ID",
        "Original-Recipient",
        "Final-Recipient",
        "Action",
        "Status",
        "Remote-MTA",
        "Diagnostic-Code",
        "Last-Attempt-Date",
        "Will-Retry-Until",
        NULL,
};

/*
 * checked - build f's report into out and read it back into d: well-formed on
 * the wire (7-bit unless utf8), three parts of the expected types, a closed
 * multipart, the boundary nowhere but in its delimiters, only our fields in the
 * header and the report, one block per recipient. false if any check failed.
 */
static bool checked(const struct fixture *f, struct buf *out, struct parsed *d, const char *row)
{
	struct span bl[8];
	char bad[64];
	int before = unit_bad;

	buf_reset(out);
	int rc = build(f, out);
	EXPECT(rc == 0, "%s: dsn_build returned %d", row, rc);
	if (rc != 0)
		return false;
	const char *fault = wire_fault(out->data, out->len, !f->info.utf8);
	EXPECT(fault == NULL, "%s: %s", row, fault);
	bool ok = parse(out->data, out->len, d);
	EXPECT(ok, "%s: not a closed multipart", row);
	if (!ok)
		return false;
	EXPECT(d->nparts == 3, "%s: %zu parts", row, d->nparts);
	if (d->nparts != 3)
		return false;
	EXPECT(occurrences(out->data, out->len, d->boundary) == 5, "%s: boundary seen %zu times",
	       row, occurrences(out->data, out->len, d->boundary));
	EXPECT(fields_only(d->head, top_fields, bad, sizeof(bad)), "%s: header line %s", row,
	       shows(bad));
	EXPECT(strcmp(d->parts[0].type, "text/plain") == 0, "%s: part 1 %s", row, d->parts[0].type);
	EXPECT(strcmp(d->parts[1].type, f->info.utf8 ? "message/global-delivery-status"
	                                             : "message/delivery-status") == 0,
	       "%s: part 2 %s", row, d->parts[1].type);
	size_t nb = blocks(d->parts[1].body, bl, NELEM(bl));
	EXPECT(nb == 1 + f->nrcpts, "%s: %zu report blocks", row, nb);
	for (size_t i = 0; i < nb; i++)
		EXPECT(fields_only(bl[i], status_fields, bad, sizeof(bad)), "%s: block %zu line %s",
		       row, i, shows(bad));
	return unit_bad == before;
}

/* status_field - the value of name in block k (0: per-message) of part 2 */
static bool status_field(const struct parsed *d, size_t k, const char *name, char *v, size_t vl)
{
	struct span bl[8];
	size_t nb = blocks(d->parts[1].body, bl, NELEM(bl));

	return k < nb && field_get(bl[k], name, v, vl);
}

/* --- the shape of each kind of report --------------------------------- */

struct shape_row {
	const char *what;
	enum dsn_action action;
	bool full, utf8;
	const char *body; /* NULL: the default */
	const char *subject;
	const char *type3;
	const char *cte3;
	const char *note; /* the human part says this */
};

static const struct shape_row shape_rows[] = {
        {"failed, RET=FULL", DSN_ACTION_FAILED, true, false, NULL,
         "Undelivered Mail Returned to Sender", "message/rfc822", "7bit",
         "Your message is attached."},
        {"failed, RET=HDRS", DSN_ACTION_FAILED, false, false, NULL,
         "Undelivered Mail Returned to Sender", "text/rfc822-headers", "7bit",
         "The header section of your message is attached."},
        {"delayed: headers even with RET=FULL", DSN_ACTION_DELAYED, true, false, NULL,
         "Delayed Mail (still being retried)", "text/rfc822-headers", "7bit",
         "still being attempted"},
        {"delivered: headers even with RET=FULL", DSN_ACTION_DELIVERED, true, false, NULL,
         "Successful Mail Delivery Report", "text/rfc822-headers", "7bit", "delivered"},
        {"relayed", DSN_ACTION_RELAYED, false, false, NULL, "Successful Mail Delivery Report",
         "text/rfc822-headers", "7bit", "does not confirm delivery"},
        {"expanded", DSN_ACTION_EXPANDED, false, false, NULL, "Successful Mail Delivery Report",
         "text/rfc822-headers", "7bit", "forwarded to further addresses"},
        {"failed, utf8, RET=FULL", DSN_ACTION_FAILED, true, true, NULL,
         "Undelivered Mail Returned to Sender", "message/global", "7bit",
         "Your message is attached."},
        {"failed, utf8, 8-bit body", DSN_ACTION_FAILED, true, true, "Gr\xc3\xbc\xc3\x9f\x65\r\n",
         "Undelivered Mail Returned to Sender", "message/global", "8bit",
         "Your message is attached."},
        {"failed, utf8, RET=HDRS", DSN_ACTION_FAILED, false, true, NULL,
         "Undelivered Mail Returned to Sender", "message/global-headers", "7bit", NULL},
        {"delayed, utf8", DSN_ACTION_DELAYED, true, true, NULL,
         "Delayed Mail (still being retried)", "message/global-headers", "7bit", NULL},
        {"delivered, utf8", DSN_ACTION_DELIVERED, false, true, NULL,
         "Successful Mail Delivery Report", "message/global-headers", "7bit", NULL},
        {"8-bit body in a 7-bit report: headers", DSN_ACTION_FAILED, true, false, "caf\xc3\xa9\r\n",
         "Undelivered Mail Returned to Sender", "text/rfc822-headers", "7bit",
         "could not be attached whole"},
        {"bare LF in the body: headers", DSN_ACTION_FAILED, true, false, "a\nb\r\n",
         "Undelivered Mail Returned to Sender", "text/rfc822-headers", "7bit",
         "could not be attached whole"},
        {"bare LF in the body, utf8: headers", DSN_ACTION_FAILED, true, true, "a\nb\r\n",
         "Undelivered Mail Returned to Sender", "message/global-headers", "7bit",
         "could not be attached whole"},
};

static void test_shape_rows(void **state)
{
	static const char *const names[] = {"failed", "delayed", "delivered", "relayed",
	                                    "expanded"};
	struct buf out;
	struct parsed d;
	char v[512], want[128];

	(void)state;
	buf_init(&out);
	for (size_t i = 0; i < NELEM(shape_rows); i++) {
		const struct shape_row *r = &shape_rows[i];
		struct fixture f;
		fixture_init(&f);
		f.info.return_full = r->full;
		f.info.utf8 = r->utf8;
		f.rcpts[0].action = r->action;
		f.rcpts[0].status = r->action == DSN_ACTION_FAILED    ? "5.1.1"
		                    : r->action == DSN_ACTION_DELAYED ? "4.4.1"
		                                                      : "2.0.0";
		f.rcpts[1] = f.rcpts[0];
		f.rcpts[1].addr = "carol@example.net";
		f.rcpts[1].orcpt = NULL;
		f.nrcpts = 2;
		if (r->body)
			f.body[0] = (struct qrec_span){r->body, strlen(r->body)};
		if (!checked(&f, &out, &d, r->what))
			continue;
		struct span h = d.head;
		EXPECT(field_get(h, "Subject", v, sizeof(v)) && strcmp(v, r->subject) == 0,
		       "%s: Subject %s", r->what, shows(v));
		EXPECT(field_get(h, "From", v, sizeof(v)) &&
		               strcmp(v, "Mail Delivery System <MAILER-DAEMON@relay.example>") == 0,
		       "%s: From %s", r->what, shows(v));
		EXPECT(field_get(h, "To", v, sizeof(v)) && strcmp(v, "<alice@example.org>") == 0,
		       "%s: To %s", r->what, shows(v));
		EXPECT(field_get(h, "Date", v, sizeof(v)) &&
		               strcmp(v, "Mon, 20 Nov 2023 17:06:40 +0000") == 0,
		       "%s: Date %s", r->what, shows(v));
		EXPECT(field_get(h, "Auto-Submitted", v, sizeof(v)) &&
		               strcmp(v, "auto-replied") == 0,
		       "%s: Auto-Submitted %s", r->what, shows(v));
		EXPECT(field_get(h, "MIME-Version", v, sizeof(v)) && strcmp(v, "1.0") == 0,
		       "%s: MIME-Version %s", r->what, shows(v));
		EXPECT(field_get(h, "Content-Type", v, sizeof(v)) &&
		               strncmp(v,
		                       "multipart/report; "
		                       "report-type=delivery-status;\tboundary=\"=_postern_",
		                       57) == 0,
		       "%s: Content-Type %s", r->what, shows(v));
		EXPECT(field_get(h, "In-Reply-To", v, sizeof(v)) &&
		               strcmp(v, "<orig.1@example.org>") == 0,
		       "%s: In-Reply-To %s", r->what, shows(v));
		EXPECT(field_get(h, "References", v, sizeof(v)) &&
		               strcmp(v, "<orig.1@example.org>") == 0,
		       "%s: References %s", r->what, shows(v));
		for (const char *const *n = top_fields; *n; n++)
			EXPECT(field_count(h, *n) <= 1, "%s: %s twice", r->what, *n);
		EXPECT(field_count(h, "Content-Transfer-Encoding") ==
		               (r->utf8 || strcmp(r->cte3, "8bit") == 0 ? 1u : 0u),
		       "%s: top-level encoding", r->what);

		EXPECT(strcmp(d.parts[2].type, r->type3) == 0, "%s: part 3 %s, expected %s",
		       r->what, d.parts[2].type, r->type3);
		EXPECT(strcmp(d.parts[2].cte, r->cte3) == 0, "%s: part 3 encoding %s", r->what,
		       d.parts[2].cte);
		EXPECT(strcmp(d.parts[1].cte, r->utf8 ? "8bit" : "7bit") == 0,
		       "%s: part 2 encoding %s", r->what, d.parts[1].cte);
		if (r->note)
			EXPECT(span_has(d.parts[0].body, r->note), "%s: human part lacks %s",
			       r->what, shows(r->note));
		/* the human part never holds the body; headers-only reports nowhere */
		EXPECT(!span_has(d.parts[0].body, "SECRET-BODY-MARKER"), "%s: body in part 1",
		       r->what);
		if (strstr(r->type3, "headers"))
			EXPECT(occurrences(out.data, out.len, "SECRET-BODY-MARKER") == 0,
			       "%s: body returned", r->what);
		EXPECT(span_has(d.parts[0].body, "<bob@example.com>") &&
		               span_has(d.parts[0].body, "<carol@example.net>") &&
		               span_has(d.parts[0].body, "Queue ID: 0123456789abcdef"),
		       "%s: human part lacks the recipients or the queue id", r->what);

		/* per-message fields, then one block per recipient in order */
		EXPECT(status_field(&d, 0, "Reporting-MTA", v, sizeof(v)) &&
		               strcmp(v, "dns; relay.example") == 0,
		       "%s: Reporting-MTA %s", r->what, shows(v));
		EXPECT(!status_field(&d, 0, "Action", v, sizeof(v)), "%s: Action per message",
		       r->what);
		for (size_t k = 1; k <= 2; k++) {
			snprintf(want, sizeof(want), "rfc822; %s",
			         k == 1 ? "bob@example.com" : "carol@example.net");
			EXPECT(status_field(&d, k, "Final-Recipient", v, sizeof(v)) &&
			               strcmp(v, want) == 0,
			       "%s: block %zu Final-Recipient %s", r->what, k, shows(v));
			EXPECT(status_field(&d, k, "Action", v, sizeof(v)) &&
			               strcmp(v, names[r->action]) == 0,
			       "%s: block %zu Action %s", r->what, k, shows(v));
			bool until = status_field(&d, k, "Will-Retry-Until", v, sizeof(v));
			EXPECT(until == (r->action == DSN_ACTION_DELAYED),
			       "%s: Will-Retry-Until present=%d", r->what, until);
		}
	}
	buf_release(&out);
	ALL_PASSED();
}

/* --- one DSN field at a time ------------------------------------------ */

struct field_row {
	const char *what;
	bool utf8;
	enum dsn_action action;
	const char *addr, *orcpt, *status, *remote, *diag, *envid;
	time_t last, until;
	size_t block; /* 0: per-message fields, 1: the recipient's */
	const char *field;
	const char *value; /* unfolded; NULL: the field must be absent */
	const char *raw;   /* part 2 must hold these octets, or NULL */
};

#define F DSN_ACTION_FAILED
#define A "bob@example.com"
#define R "rfc822;bob@example.com"
#define D "550 5.1.1 No such user"
#define M "mx.example.com"

/* a row changing one input from the defaults */
#define ROW(what, u8, act, addr, orcpt, st, rem, diag, envid, last, until, blk, field, val)        \
	{                                                                                          \
		what, u8, act, addr, orcpt, st, rem, diag, envid, last, until, blk, field, val,    \
		        NULL                                                                       \
	}

static const struct field_row field_rows[] = {
        /* RFC 3461 6.3(a): the ENVID, xtext decoded */
        ROW("envid", false, F, A, R, "5.1.1", M, D, "QQ+2B314159", 0, 0, 0, "Original-Envelope-Id",
            "QQ+314159"),
        ROW("envid with =", false, F, A, R, "5.1.1", M, D, "ABC+3Ddef", 0, 0, 0,
            "Original-Envelope-Id", "ABC=def"),
        ROW("envid case kept", false, F, A, R, "5.1.1", M, D, "MiXeD.Case", 0, 0, 0,
            "Original-Envelope-Id", "MiXeD.Case"),
        ROW("envid stray +", false, F, A, R, "5.1.1", M, D, "a+zz", 0, 0, 0, "Original-Envelope-Id",
            "a+zz"),
        ROW("no envid", false, F, A, R, "5.1.1", M, D, NULL, 0, 0, 0, "Original-Envelope-Id", NULL),
        ROW("Reporting-MTA", false, F, A, R, "5.1.1", M, D, NULL, 0, 0, 0, "Reporting-MTA",
            "dns; relay.example"),
        ROW("Arrival-Date", false, F, A, R, "5.1.1", M, D, NULL, 0, 0, 0, "Arrival-Date",
            "Tue, 14 Nov 2023 19:26:40 +0000"),
        ROW("queue id", false, F, A, R, "5.1.1", M, D, NULL, 0, 0, 0, "X-Postern-Queue-ID",
            "0123456789abcdef"),

        /* RFC 3461 6.3(d), 4.2: Original-Recipient from ORCPT, decoded */
        ROW("orcpt", false, F, A, R, "5.1.1", M, D, NULL, 0, 0, 1, "Original-Recipient",
            "rfc822; bob@example.com"),
        ROW("orcpt xtext", false, F, A, "rfc822;a+2Bb+3Dc@d.example", "5.1.1", M, D, NULL, 0, 0, 1,
            "Original-Recipient", "rfc822; a+b=c@d.example"),
        ROW("orcpt case kept", false, F, A, "RFC822;Bob@Example.COM", "5.1.1", M, D, NULL, 0, 0, 1,
            "Original-Recipient", "RFC822; Bob@Example.COM"),
        ROW("orcpt other type", false, F, A, "x400;/C=US/S=Doe+20John/", "5.1.1", M, D, NULL, 0, 0,
            1, "Original-Recipient", "x400; /C=US/S=Doe John/"),
        ROW("orcpt not type;value", false, F, A, "bob@example.com", "5.1.1", M, D, NULL, 0, 0, 1,
            "Original-Recipient", "unknown; bob@example.com"),
        ROW("no orcpt", false, F, A, NULL, "5.1.1", M, D, NULL, 0, 0, 1, "Original-Recipient",
            NULL),
        ROW("empty orcpt", false, F, A, "", "5.1.1", M, D, NULL, 0, 0, 1, "Original-Recipient",
            NULL),
        /* RFC 6533 3: utf-8 ORCPT, up-converted in a global report, 7-bit otherwise */
        ROW("utf-8 orcpt xtext, global", true, F, A, "utf-8;j\\x{F6}rg@b.example", "5.1.1", M, D,
            NULL, 0, 0, 1, "Original-Recipient", "utf-8; j\xc3\xb6rg@b.example"),
        ROW("utf-8 orcpt astral, global", true, F, A, "utf-8;\\x{1F600}@b.example", "5.1.1", M, D,
            NULL, 0, 0, 1, "Original-Recipient", "utf-8; \xf0\x9f\x98\x80@b.example"),
        ROW("utf-8 orcpt xtext, 7-bit", false, F, A, "utf-8;j\\x{F6}rg@b.example", "5.1.1", M, D,
            NULL, 0, 0, 1, "Original-Recipient", "utf-8; j\\x{F6}rg@b.example"),
        ROW("utf-8 orcpt raw, 7-bit", false, F, A, "utf-8;j\xc3\xb6rg@b.example", "5.1.1", M, D,
            NULL, 0, 0, 1, "Original-Recipient", "utf-8; j\\x{F6}rg@b.example"),
        ROW("utf-8 orcpt raw, global", true, F, A, "UTF-8;j\xc3\xb6rg@b.example", "5.1.1", M, D,
            NULL, 0, 0, 1, "Original-Recipient", "UTF-8; j\xc3\xb6rg@b.example"),
        ROW("utf-8 orcpt malformed: unaltered", true, F, A, "utf-8;a\\x{ZZ}b@c", "5.1.1", M, D,
            NULL, 0, 0, 1, "Original-Recipient", "utf-8; a\\x{ZZ}b@c"),
        ROW("utf-8 orcpt escaping a control: unaltered", true, F, A, "utf-8;a\\x{0D}b@c", "5.1.1",
            M, D, NULL, 0, 0, 1, "Original-Recipient", "utf-8; a\\x{0D}b@c"),

        /* RFC 3464 2.3.2 and RFC 6533: Final-Recipient exactly as in the envelope */
        ROW("final", false, F, A, R, "5.1.1", M, D, NULL, 0, 0, 1, "Final-Recipient",
            "rfc822; bob@example.com"),
        ROW("final case and + kept", false, F, "User+Tag@Example.COM", R, "5.1.1", M, D, NULL, 0, 0,
            1, "Final-Recipient", "rfc822; User+Tag@Example.COM"),
        ROW("final utf-8, global", true, F, "j\xc3\xb6rg@ex\xc3\xa4mple.de", R, "5.1.1", M, D, NULL,
            0, 0, 1, "Final-Recipient", "utf-8; j\xc3\xb6rg@ex\xc3\xa4mple.de"),
        ROW("final utf-8, 7-bit", false, F, "j\xc3\xb6rg@ex\xc3\xa4mple.de", R, "5.1.1", M, D, NULL,
            0, 0, 1, "Final-Recipient", "utf-8; j\\x{F6}rg@ex\\x{E4}mple.de"),
        ROW("final utf-8 quoted, 7-bit", false, F, "\"j \xc3\xb6+=\\\\\"@b", R, "5.1.1", M, D, NULL,
            0, 0, 1, "Final-Recipient", "utf-8; \"j\\x{20}\\x{F6}\\x{2B}\\x{3D}\\x{5C}\\x{5C}\"@b"),
        ROW("final ascii in a global report", true, F, A, R, "5.1.1", M, D, NULL, 0, 0, 1,
            "Final-Recipient", "rfc822; bob@example.com"),

        /* Action and Status (RFC 3464 2.3.3, 2.3.4; RFC 3461 6.3(g)) */
        ROW("action failed", false, F, A, R, "5.1.1", M, D, NULL, 0, 0, 1, "Action", "failed"),
        ROW("action delayed", false, DSN_ACTION_DELAYED, A, R, "4.4.1", M, D, NULL, 0, 0, 1,
            "Action", "delayed"),
        ROW("action delivered", false, DSN_ACTION_DELIVERED, A, R, "2.0.0", M, D, NULL, 0, 0, 1,
            "Action", "delivered"),
        ROW("action relayed", false, DSN_ACTION_RELAYED, A, R, "2.0.0", M, D, NULL, 0, 0, 1,
            "Action", "relayed"),
        ROW("action expanded", false, DSN_ACTION_EXPANDED, A, R, "2.0.0", M, D, NULL, 0, 0, 1,
            "Action", "expanded"),
        ROW("status", false, F, A, R, "5.1.1", M, D, NULL, 0, 0, 1, "Status", "5.1.1"),
        ROW("status 4 in a failure", false, F, A, R, "4.4.7", M, D, NULL, 0, 0, 1, "Status",
            "4.4.7"),
        ROW("status wide", false, F, A, R, "5.999.999", M, D, NULL, 0, 0, 1, "Status", "5.999.999"),
        ROW("status leading zero", false, F, A, R, "5.01.1", M, D, NULL, 0, 0, 1, "Status",
            "5.0.0"),
        ROW("status too wide", false, F, A, R, "5.1234.1", M, D, NULL, 0, 0, 1, "Status", "5.0.0"),
        ROW("status class 6", false, F, A, R, "6.0.0", M, D, NULL, 0, 0, 1, "Status", "5.0.0"),
        ROW("status trailing text", false, F, A, R, "5.1.1 x", M, D, NULL, 0, 0, 1, "Status",
            "5.0.0"),
        ROW("status injected", false, F, A, R, "5.1.1\r\nX: y", M, D, NULL, 0, 0, 1, "Status",
            "5.0.0"),
        ROW("status empty", false, F, A, R, "", M, D, NULL, 0, 0, 1, "Status", "5.0.0"),
        ROW("status NULL", false, F, A, R, NULL, M, D, NULL, 0, 0, 1, "Status", "5.0.0"),
        ROW("status NULL, delayed", false, DSN_ACTION_DELAYED, A, R, NULL, M, D, NULL, 0, 0, 1,
            "Status", "4.0.0"),
        ROW("status NULL, delivered", false, DSN_ACTION_DELIVERED, A, R, NULL, M, D, NULL, 0, 0, 1,
            "Status", "2.0.0"),

        /* Remote-MTA, Diagnostic-Code (RFC 3464 2.3.5, 2.3.6; RFC 3461 9.2) */
        ROW("remote", false, F, A, R, "5.1.1", M, D, NULL, 0, 0, 1, "Remote-MTA",
            "dns; mx.example.com"),
        ROW("no remote", false, F, A, R, "5.1.1", NULL, D, NULL, 0, 0, 1, "Remote-MTA", NULL),
        ROW("empty remote", false, F, A, R, "5.1.1", "", D, NULL, 0, 0, 1, "Remote-MTA", NULL),
        ROW("diagnostic", false, F, A, R, "5.1.1", M, D, NULL, 0, 0, 1, "Diagnostic-Code",
            "smtp; 550 5.1.1 No such user"),
        {"diagnostic multi-line", false, F, A, R, "5.1.1", M, "550-5.1.1 first\r\n550 5.1.1 second",
         NULL, 0, 0, 1, "Diagnostic-Code", "smtp; 550-5.1.1 first 550 5.1.1 second",
         "Diagnostic-Code: smtp; 550-5.1.1 first\r\n 550 5.1.1 second\r\n"},
        {"diagnostic lines joined by LF", false, F, A, R, "5.1.1", M, "550-a\n550-b\n550 c", NULL,
         0, 0, 1, "Diagnostic-Code", "smtp; 550-a 550-b 550 c",
         "Diagnostic-Code: smtp; 550-a\r\n 550-b\r\n 550 c\r\n"},
        {"diagnostic trailing CRLF", false, F, A, R, "5.1.1", M, "550 gone\r\n\r\n", NULL, 0, 0, 1,
         "Diagnostic-Code", "smtp; 550 gone", "Diagnostic-Code: smtp; 550 gone\r\n"},
        {"diagnostic folded near 78", false, F, A, R, "5.1.1", M,
         "550 5.7.1 aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff "
         "gggggggggg",
         NULL, 0, 0, 1, "Diagnostic-Code",
         "smtp; 550 5.7.1 aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff "
         "gggggggggg",
         "dddddddddd\r\n eeeeeeeeee ffffffffff gggggggggg\r\n"},
        ROW("local reason", false, F, A, R, "4.4.1", NULL, "connection refused", NULL, 0, 0, 1,
            "Diagnostic-Code", "X-Postern; connection refused"),
        ROW("no diagnostic", false, F, A, R, "5.1.1", M, NULL, NULL, 0, 0, 1, "Diagnostic-Code",
            NULL),
        ROW("diagnostic UTF-8, global", true, F, A, R, "5.1.1", M, "550 Unbekannt: j\xc3\xb6rg",
            NULL, 0, 0, 1, "Diagnostic-Code", "smtp; 550 Unbekannt: j\xc3\xb6rg"),
        ROW("diagnostic UTF-8, 7-bit", false, F, A, R, "5.1.1", M, "550 Unbekannt: j\xc3\xb6rg",
            NULL, 0, 0, 1, "Diagnostic-Code", "smtp; 550 Unbekannt: j??rg"),

        /* dates (RFC 3464 2.3.7, 2.3.9) */
        ROW("last attempt", false, F, A, R, "5.1.1", M, D, NULL, LAST, 0, 1, "Last-Attempt-Date",
            "Tue, 14 Nov 2023 22:13:20 +0000"),
        ROW("never attempted", false, F, A, R, "5.1.1", M, D, NULL, 0, 0, 1, "Last-Attempt-Date",
            NULL),
        ROW("retry until, delayed", false, DSN_ACTION_DELAYED, A, R, "4.4.1", M, D, NULL, 0, UNTIL,
            1, "Will-Retry-Until", "Sun, 19 Nov 2023 13:20:00 +0000"),
        ROW("retry until unknown", false, DSN_ACTION_DELAYED, A, R, "4.4.1", M, D, NULL, 0, 0, 1,
            "Will-Retry-Until", NULL),
        ROW("retry until, failed: MUST NOT", false, F, A, R, "5.1.1", M, D, NULL, 0, UNTIL, 1,
            "Will-Retry-Until", NULL),
        ROW("retry until, delivered: MUST NOT", false, DSN_ACTION_DELIVERED, A, R, "2.0.0", M, D,
            NULL, 0, UNTIL, 1, "Will-Retry-Until", NULL),
};

#undef F
#undef A
#undef R
#undef D
#undef M

static void test_field_rows(void **state)
{
	struct buf out;
	struct parsed d;
	char v[1024];

	(void)state;
	buf_init(&out);
	for (size_t i = 0; i < NELEM(field_rows); i++) {
		const struct field_row *r = &field_rows[i];
		struct fixture f;
		fixture_init(&f);
		f.info.utf8 = r->utf8;
		f.info.envid = r->envid;
		f.rcpts[0] = (struct dsn_rcpt){r->addr,   r->orcpt, r->action, r->status,
		                               r->remote, r->diag,  r->last,   r->until};
		if (!checked(&f, &out, &d, r->what))
			continue;
		bool there = status_field(&d, r->block, r->field, v, sizeof(v));
		if (r->value == NULL)
			EXPECT(!there, "%s: %s present: %s", r->what, r->field, shows(v));
		else
			EXPECT(there && strcmp(v, r->value) == 0, "%s: %s is %s, expected %s",
			       r->what, r->field, there ? shows(v) : "absent", shows(r->value));
		if (r->raw)
			EXPECT(span_has(d.parts[1].body, r->raw), "%s: part 2 lacks %s", r->what,
			       shows(r->raw));
	}
	buf_release(&out);
	ALL_PASSED();
}

/* --- hostile input ----------------------------------------------------- */

static char long_word[2001];   /* "550 " and 1996 x: a 2000-octet diagnostic */
static char long_words[2001];  /* 2000 octets of short words */
static char long_spaces[2010]; /* "550", 2000 spaces, "end" */
static char long_addr[2001];   /* a 2000-octet address */
static char long_hdr[1600];    /* a header field with a 1500-octet line */

static void make_long_inputs(void)
{
	memcpy(long_word, "550 ", 4);
	memset(long_word + 4, 'x', 1996);
	for (size_t i = 0; i < 2000; i++)
		long_words[i] = i % 10 == 9 ? ' ' : (char)('a' + i % 10);
	memcpy(long_words, "550 ", 4);
	memcpy(long_spaces, "550", 3);
	memset(long_spaces + 3, ' ', 2000);
	memcpy(long_spaces + 2003, "end", 4);
	memset(long_addr, 'a', 2000);
	long_addr[1000] = '@';
	memcpy(long_hdr, "X-Long: ", 8);
	memset(long_hdr + 8, 'h', 1500);
	memcpy(long_hdr + 1508, "\r\n", 3);
}

struct hostile_row {
	const char *what;
	bool utf8, hdrs;                                       /* hdrs: RET=HDRS, else RET=FULL */
	const char *addr, *orcpt, *remote, *diag, *envid, *to; /* NULL: the default */
	const char *header;                                    /* NULL: the default */
	size_t header_len;                                     /* 0: strlen */
	const char *body;                                      /* NULL: the default */
	size_t body_len;                                       /* 0: strlen */
	const char *type3;                                     /* NULL: not checked */
	const char *has;                                       /* part 2 holds this, or NULL */
	const char *never; /* the message never holds this, or NULL */
};

/* a row changing one input: H(what, member = value, ...) */
#define H(what, ...)                                                                               \
	{                                                                                          \
		what, __VA_ARGS__                                                                  \
	}

static const struct hostile_row hostile_rows[] = {
        H("CRLF in the diagnostic", .diag = "550 a\r\nX-Injected: yes\r\n\r\n--=_postern_x\r\n",
          .has = "smtp; 550 a\r\n X-Injected: yes\r\n --=_postern_x\r\n",
          .never = "\r\nX-Injected"),
        H("bare LF in the diagnostic", .diag = "550 a\nX-Injected: yes", .never = "\r\nX-Injected"),
        H("bare CR in the diagnostic", .diag = "550 a\rX-Injected: yes", .never = "\r\nX-Injected"),
        H("only line ends in the diagnostic", .diag = "\r\n\n\r\r\n",
          .has = "Diagnostic-Code: X-Postern;\r\n"),
        H("a 2000-octet word in the diagnostic", .diag = long_word, .has = "smtp;"),
        H("2000 octets of words in the diagnostic", .diag = long_words),
        H("2000 spaces in the diagnostic", .diag = long_spaces, .has = "smtp; 550 end\r\n"),
        H("8-bit diagnostic, 7-bit report", .diag = "550 \xe9t\xe9 \xc3\xa9",
          .has = "smtp; 550 ?t? ??\r\n"),
        H("malformed UTF-8 diagnostic, global", .utf8 = true, .diag = "550 \xff\xfe ok \xc3\xa9",
          .has = "smtp; 550 ?? ok \xc3\xa9\r\n"),
        H("controls in the diagnostic", .diag = "550 a\x01\x7f\tb", .has = "smtp; 550 a?? b\r\n"),
        H("NUL in the envid", .envid = "a+00b", .has = "Original-Envelope-Id: ab\r\n"),
        H("CRLF in the envid", .envid = "a+0D+0AX-Injected:+20y",
          .has = "Original-Envelope-Id: a X-Injected: y\r\n", .never = "\r\nX-Injected"),
        H("8-bit in the envid", .envid = "a+C3+A9", .has = "Original-Envelope-Id: a??\r\n"),
        H("a 2000-octet envid", .envid = long_word),
        H("CRLF in the address", .addr = "a\r\nX-Injected: y@b",
          .has = "Final-Recipient: rfc822; a X-Injected: y@b\r\n", .never = "\r\nX-Injected"),
        H("8-bit address, 7-bit report", .addr = "j\xc3\xb6rg@b",
          .has = "Final-Recipient: utf-8; j\\x{F6}rg@b\r\n"),
        H("malformed UTF-8 address, global", .utf8 = true, .addr = "j\xf6rg@b",
          .has = "Final-Recipient: utf-8; j?rg@b\r\n"),
        H("a 2000-octet address", .addr = long_addr),
        H("CRLF in the ORCPT", .orcpt = "rfc822;a+0D+0AX-Injected:+20y@b",
          .has = "Original-Recipient: rfc822; a X-Injected: y@b\r\n", .never = "\r\nX-Injected"),
        H("NUL in the ORCPT", .orcpt = "rfc822;a+00b@c",
          .has = "Original-Recipient: rfc822; ab@c\r\n"),
        H("garbage ORCPT type", .orcpt = "rfc 822\r\n;a@b",
          .has = "Original-Recipient: rfc822; a@b\r\n"),
        H("CRLF in the remote MTA", .remote = "mx\r\nX-Injected: y",
          .has = "Remote-MTA: dns; mx X-Injected: y\r\n", .never = "\r\nX-Injected"),
        H("a 2000-octet remote MTA", .remote = long_word),
        H("CRLF in the To address", .to = "alice@example.org\r\nBcc: evil@example.net",
          .never = "\r\nBcc"),
        H("boundary-like lines in the body",
          .body = "--=_postern_00000000000000000000000000000000\r\n--=_postern_\r\n--\r\n"
                  "--=_postern_00000000000000000000000000000000--\r\n",
          .type3 = "message/rfc822"),
        H("a body without a final CRLF", .body = "no line end", .body_len = 11,
          .type3 = "message/rfc822"),
        H("NUL in the body", .body = "a\0b\r\n", .body_len = 5, .type3 = "text/rfc822-headers"),
        H("bare CR in the body", .body = "a\rb\r\n", .body_len = 5, .type3 = "text/rfc822-headers"),
        H("a body ending in CR", .body = "a\r", .body_len = 2, .type3 = "text/rfc822-headers"),
        H("a 1500-octet body line", .body = long_hdr, .body_len = 1510,
          .type3 = "text/rfc822-headers"),
        H("8-bit body, 7-bit report", .body = "caf\xc3\xa9\r\n", .body_len = 7,
          .type3 = "text/rfc822-headers"),
        H("8-bit header, 7-bit report", .header = "Subject: caf\xc3\xa9\r\n",
          .type3 = "text/rfc822-headers"),
        H("NUL and bare LF in the header", .header = "Subject: a\0b\nc\r\n", .header_len = 16,
          .type3 = "text/rfc822-headers"),
        H("a 1500-octet header line", .header = long_hdr, .header_len = 1510,
          .type3 = "text/rfc822-headers"),
        H("a header without a final CRLF", .header = "Subject: x", .header_len = 10,
          .type3 = "text/rfc822-headers"),
        H("boundary-like header", .hdrs = true, .header = "X: --=_postern_\r\n", .header_len = 17,
          .type3 = "text/rfc822-headers"),
        H("8-bit header, global", .utf8 = true, .header = "Subject: caf\xc3\xa9\r\n",
          .type3 = "message/global"),
        H("bare LF in the header, global", .utf8 = true, .header = "Subject: a\nb\r\n",
          .header_len = 14, .type3 = "message/global-headers"),
};

#undef H

static void test_hostile_rows(void **state)
{
	struct buf out;
	struct parsed d;

	(void)state;
	make_long_inputs();
	buf_init(&out);
	for (size_t i = 0; i < NELEM(hostile_rows); i++) {
		const struct hostile_row *r = &hostile_rows[i];
		struct fixture f;
		fixture_init(&f);
		f.info.utf8 = r->utf8;
		f.info.return_full = !r->hdrs;
		if (r->addr)
			f.rcpts[0].addr = r->addr;
		if (r->orcpt)
			f.rcpts[0].orcpt = r->orcpt;
		if (r->remote)
			f.rcpts[0].remote_mta = r->remote;
		if (r->diag)
			f.rcpts[0].diagnostic = r->diag;
		if (r->envid)
			f.info.envid = r->envid;
		if (r->to)
			f.info.to = r->to;
		if (r->header) {
			f.header = r->header;
			f.header_len = r->header_len ? r->header_len : strlen(r->header);
		}
		if (r->body)
			f.body[0] = (struct qrec_span){r->body,
			                               r->body_len ? r->body_len : strlen(r->body)};
		/* a second recipient, so a broken block would show */
		f.rcpts[1] = f.rcpts[0];
		f.rcpts[1].addr = "carol@example.net";
		f.nrcpts = 2;
		if (!checked(&f, &out, &d, r->what))
			continue;
		if (r->type3)
			EXPECT(strcmp(d.parts[2].type, r->type3) == 0, "%s: part 3 %s", r->what,
			       d.parts[2].type);
		if (r->has)
			EXPECT(span_has(d.parts[1].body, r->has), "%s: part 2 lacks %s", r->what,
			       shows(r->has));
		if (r->never)
			EXPECT(occurrences(out.data, out.len, r->never) == 0, "%s: holds %s",
			       r->what, shows(r->never));
		/* the header part is never cut: 7-bit as is, or QP that decodes to it */
		if (strcmp(d.parts[2].cte, "quoted-printable") == 0) {
			char dec[4096];
			size_t n = qp_decode(d.parts[2].body.p, d.parts[2].body.n, dec);
			EXPECT(n == f.header_len && memcmp(dec, f.header, n) == 0,
			       "%s: QP header decodes to %s", r->what, show(dec, n));
		}
	}
	buf_release(&out);
	ALL_PASSED();
}

/* --- what is returned -------------------------------------------------- */

static void test_returned(void **state)
{
	static const char hdr8[] = "Subject: caf\xc3\xa9\r\nX-A: \x01=\r\n";
	struct buf out, want;
	struct parsed d;
	struct fixture f;
	char dec[256];

	(void)state;
	buf_init(&out);
	buf_init(&want);

	/* the whole message, its body from several spans, octet for octet */
	fixture_init(&f);
	f.body[0] = (struct qrec_span){"Hel", 3};
	f.body[1] = (struct qrec_span){"lo\r\nWor", 7};
	f.body[2] = (struct qrec_span){"ld\r\n", 4};
	f.nbody = 3;
	if (checked(&f, &out, &d, "spans")) {
		buf_append(&want, base_header, sizeof(base_header) - 1);
		buf_puts(&want, "\r\nHello\r\nWorld\r\n");
		EXPECT(d.parts[2].body.n == want.len &&
		               memcmp(d.parts[2].body.p, want.data, want.len) == 0,
		       "spans: returned %s", show(d.parts[2].body.p, d.parts[2].body.n));
	}

	/* no body at all */
	f.nbody = 0;
	if (checked(&f, &out, &d, "no body")) {
		buf_reset(&want);
		buf_append(&want, base_header, sizeof(base_header) - 1);
		buf_puts(&want, "\r\n");
		EXPECT(d.parts[2].body.n == want.len &&
		               memcmp(d.parts[2].body.p, want.data, want.len) == 0,
		       "no body: returned %s", show(d.parts[2].body.p, d.parts[2].body.n));
	}

	/* the header section alone, as it was */
	fixture_init(&f);
	f.info.return_full = false;
	if (checked(&f, &out, &d, "headers"))
		EXPECT(d.parts[2].body.n == sizeof(base_header) - 1 &&
		               memcmp(d.parts[2].body.p, base_header, d.parts[2].body.n) == 0,
		       "headers: returned %s", show(d.parts[2].body.p, d.parts[2].body.n));

	/* an empty header section */
	f.header_len = 0;
	if (checked(&f, &out, &d, "empty header"))
		EXPECT(d.parts[2].body.n == 0, "empty header: returned %s",
		       show(d.parts[2].body.p, d.parts[2].body.n));

	/* 8-bit headers in a 7-bit report: quoted-printable, short lines, no '=' unencoded */
	fixture_init(&f);
	f.header = hdr8;
	f.header_len = sizeof(hdr8) - 1;
	if (checked(&f, &out, &d, "QP")) {
		EXPECT(strcmp(d.parts[2].cte, "quoted-printable") == 0, "QP: %s", d.parts[2].cte);
		EXPECT(span_has(d.parts[2].body, "Subject: caf=C3=A9\r\nX-A: =01=3D\r\n"), "QP: %s",
		       show(d.parts[2].body.p, d.parts[2].body.n));
		size_t n = qp_decode(d.parts[2].body.p, d.parts[2].body.n, dec);
		EXPECT(n == sizeof(hdr8) - 1 && memcmp(dec, hdr8, n) == 0, "QP: decodes to %s",
		       show(dec, n));
		EXPECT(span_has(d.parts[0].body, "could not be attached whole"),
		       "QP: no note in the human part");
	}

	/* a long header line in QP: soft breaks keep every line at 76 */
	fixture_init(&f);
	make_long_inputs();
	f.header = long_hdr;
	f.header_len = 1510;
	f.info.return_full = false;
	if (checked(&f, &out, &d, "QP long")) {
		const char *p = d.parts[2].body.p, *e = p + d.parts[2].body.n;
		size_t longest = 0;
		for (; p < e; p = line_end(p, e) + 2)
			if ((size_t)(line_end(p, e) - p) > longest)
				longest = (size_t)(line_end(p, e) - p);
		EXPECT(longest <= 76, "QP long: a line of %zu", longest);
	}
	buf_release(&out);
	buf_release(&want);
	ALL_PASSED();
}

/* --- In-Reply-To from the original's Message-ID ----------------------- */

struct msgid_row {
	const char *header;
	bool utf8;
	const char *want; /* NULL: no In-Reply-To */
};

static const struct msgid_row msgid_rows[] = {
        {"Message-ID: <abc@example.org>\r\n", false, "<abc@example.org>"},
        {"message-id:   <abc@example.org>  \r\n", false, "<abc@example.org>"},
        {"Message-ID:\r\n <abc@example.org>\r\n", false, "<abc@example.org>"},
        {"Message-ID : <a@b>\r\n", false, "<a@b>"},
        {"Message-ID: <a.b+c$d@[192.0.2.1]>\r\n", false, "<a.b+c$d@[192.0.2.1]>"},
        {"Message-ID: <a@b>\r\nMessage-ID: <c@d>\r\n", false, "<a@b>"},
        {"Message-ID: <j\xc3\xb6rg@b>\r\n", true, "<j\xc3\xb6rg@b>"},
        {"Message-ID: <j\xc3\xb6rg@b>\r\n", false, NULL},
        {"Message-ID: <j\xf6rg@b>\r\n", true, NULL},
        {"Message-ID: <abc>\r\n", false, NULL},
        {"Message-ID: <@b>\r\n", false, NULL},
        {"Message-ID: <a@>\r\n", false, NULL},
        {"Message-ID: <a b@c>\r\n", false, NULL},
        {"Message-ID: <a@b@c>\r\n", false, NULL},
        {"Message-ID: <a\"b@c>\r\n", false, NULL},
        {"Message-ID: <a@b> (comment)\r\n", false, NULL},
        {"Message-ID: <a@b>\r\n\tBcc: x@y\r\n", false, NULL},
        {"Message-ID: a@b\r\n", false, NULL},
        {"Message-ID: <a@b\r\n", false, NULL},
        {"Message-ID:\r\n", false, NULL},
        {"Subject: x\r\n", false, NULL},
        {"Subject: x\r\nnot a field\r\nMessage-ID: <a@b>\r\n", false, NULL},
        {"Message-ID: <aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaa@b>\r\n",
         false, NULL},
};

static void test_msgid_rows(void **state)
{
	struct buf out;
	struct parsed d;
	char v[512], w[512];

	(void)state;
	buf_init(&out);
	for (size_t i = 0; i < NELEM(msgid_rows); i++) {
		const struct msgid_row *r = &msgid_rows[i];
		struct fixture f;
		fixture_init(&f);
		f.header = r->header;
		f.header_len = strlen(r->header);
		f.info.utf8 = r->utf8;
		f.info.return_full = false;
		if (!checked(&f, &out, &d, shows(r->header)))
			continue;
		bool irt = field_get(d.head, "In-Reply-To", v, sizeof(v));
		bool ref = field_get(d.head, "References", w, sizeof(w));
		if (r->want == NULL) {
			EXPECT(!irt && !ref, "row %zu %s: In-Reply-To %s", i, shows(r->header),
			       shows(v));
		} else {
			EXPECT(irt && strcmp(v, r->want) == 0, "row %zu %s: In-Reply-To %s", i,
			       shows(r->header), irt ? shows(v) : "absent");
			EXPECT(ref && strcmp(w, r->want) == 0, "row %zu %s: References %s", i,
			       shows(r->header), ref ? shows(w) : "absent");
		}
	}
	buf_release(&out);
	ALL_PASSED();
}

/* --- refusals ---------------------------------------------------------- */

struct refuse_row {
	const char *what;
	enum dsn_action a0, a1; /* the actions of two recipients */
	size_t nrcpts;
	int field; /* which input to spoil: 0 none, 1 to, 2 to "", 3 from, 4 mta, 5 queue id,
	              6 addr, 7 addr "" */
	int rc;
};

static const struct refuse_row refuse_rows[] = {
        {"no recipients", DSN_ACTION_FAILED, DSN_ACTION_FAILED, 0, 0, -1},
        {"failed and delayed", DSN_ACTION_FAILED, DSN_ACTION_DELAYED, 2, 0, -1},
        {"delayed and failed", DSN_ACTION_DELAYED, DSN_ACTION_FAILED, 2, 0, -1},
        {"failed and delivered", DSN_ACTION_FAILED, DSN_ACTION_DELIVERED, 2, 0, -1},
        {"delayed and delivered", DSN_ACTION_DELAYED, DSN_ACTION_DELIVERED, 2, 0, -1},
        {"failed and relayed", DSN_ACTION_FAILED, DSN_ACTION_RELAYED, 2, 0, -1},
        {"unknown action", (enum dsn_action)99, (enum dsn_action)99, 2, 0, -1},
        {"delivered and relayed share", DSN_ACTION_DELIVERED, DSN_ACTION_RELAYED, 2, 0, 0},
        {"relayed and expanded share", DSN_ACTION_RELAYED, DSN_ACTION_EXPANDED, 2, 0, 0},
        {"two failures share", DSN_ACTION_FAILED, DSN_ACTION_FAILED, 2, 0, 0},
        {"no To (null sender)", DSN_ACTION_FAILED, DSN_ACTION_FAILED, 1, 1, -1},
        {"empty To (null sender)", DSN_ACTION_FAILED, DSN_ACTION_FAILED, 1, 2, -1},
        {"no From", DSN_ACTION_FAILED, DSN_ACTION_FAILED, 1, 3, -1},
        {"no reporting MTA", DSN_ACTION_FAILED, DSN_ACTION_FAILED, 1, 4, -1},
        {"no queue id", DSN_ACTION_FAILED, DSN_ACTION_FAILED, 1, 5, -1},
        {"no address", DSN_ACTION_FAILED, DSN_ACTION_FAILED, 2, 6, -1},
        {"empty address", DSN_ACTION_FAILED, DSN_ACTION_FAILED, 2, 7, -1},
};

static void test_refuse_rows(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out);
	for (size_t i = 0; i < NELEM(refuse_rows); i++) {
		const struct refuse_row *r = &refuse_rows[i];
		struct fixture f;
		fixture_init(&f);
		f.rcpts[0].action = r->a0;
		f.rcpts[1] = f.rcpts[0];
		f.rcpts[1].action = r->a1;
		f.rcpts[1].addr = "carol@example.net";
		f.nrcpts = r->nrcpts;
		switch (r->field) {
		case 1:
			f.info.to = NULL;
			break;
		case 2:
			f.info.to = "";
			break;
		case 3:
			f.info.from = NULL;
			break;
		case 4:
			f.info.reporting_mta = "";
			break;
		case 5:
			f.info.queue_id = NULL;
			break;
		case 6:
			f.rcpts[1].addr = NULL;
			break;
		case 7:
			f.rcpts[1].addr = "";
			break;
		}
		buf_reset(&out);
		buf_puts(&out, "kept");
		int rc = build(&f, &out);
		EXPECT(rc == r->rc, "%s: %d, expected %d", r->what, rc, r->rc);
		if (r->rc < 0)
			EXPECT(out.len == 4 && memcmp(out.data, "kept", 4) == 0,
			       "%s: out changed on refusal", r->what);
		else
			EXPECT(out.len > 4 && memcmp(out.data, "kept", 4) == 0,
			       "%s: out not appended to", r->what);
	}
	buf_release(&out);
	ALL_PASSED();
}

/* --- ids ---------------------------------------------------------------- */

static bool msgid_ours(const char *v)
{
	static const char pre[] = "<0123456789abcdef.dsn.", post[] = "@relay.example>";
	size_t n = strlen(v), pl = sizeof(pre) - 1, ql = sizeof(post) - 1;

	if (n != pl + 16 + ql || strncmp(v, pre, pl) != 0 || strcmp(v + n - ql, post) != 0)
		return false;
	for (size_t i = pl; i < pl + 16; i++)
		if (!isxdigit((unsigned char)v[i]))
			return false;
	return true;
}

/* Message-ID and boundary: fresh each time, the boundary in no part */
static void test_ids(void **state)
{
	struct buf out;
	struct parsed d;
	struct fixture f;
	char id1[256], id2[256], b1[80];

	(void)state;
	buf_init(&out);
	fixture_init(&f);
	if (checked(&f, &out, &d, "first")) {
		EXPECT(field_get(d.head, "Message-ID", id1, sizeof(id1)) && msgid_ours(id1),
		       "Message-ID %s", shows(id1));
		snprintf(b1, sizeof(b1), "%s", d.boundary);
		EXPECT(strncmp(b1, "=_postern_", 10) == 0 && strlen(b1) <= 70, "boundary %s",
		       shows(b1));
		for (size_t k = 0; k < 3; k++)
			EXPECT(!span_has(d.parts[k].body, d.boundary) &&
			               !span_has(d.parts[k].head, d.boundary),
			       "boundary inside part %zu", k + 1);
	}
	if (checked(&f, &out, &d, "second")) {
		EXPECT(field_get(d.head, "Message-ID", id2, sizeof(id2)) && msgid_ours(id2),
		       "Message-ID %s", shows(id2));
		EXPECT(strcmp(id1, id2) != 0, "the same Message-ID twice");
		EXPECT(strcmp(b1, d.boundary) != 0, "the same boundary twice");
	}
	/* hostile queue id and host name reduce to atext */
	f.info.queue_id = "q<1>\r\n@x";
	f.info.reporting_mta = "relay .example\r\n";
	if (checked(&f, &out, &d, "hostile ids")) {
		EXPECT(field_get(d.head, "Message-ID", id1, sizeof(id1)) &&
		               strncmp(id1, "<q1x.dsn.", 9) == 0 &&
		               strcmp(id1 + strlen(id1) - 15, "@relay.example>") == 0,
		       "Message-ID %s", shows(id1));
	}
	buf_release(&out);
	ALL_PASSED();
}

/* many recipients: one block each, in order, one line per recipient in part 1 */
static void test_many_rcpts(void **state)
{
	static const char *const addrs[] = {"a@x.example", "b@x.example", "c@y.example",
	                                    "d@z.example"};
	struct buf out;
	struct parsed d;
	struct fixture f;
	char v[256], want[64];

	(void)state;
	buf_init(&out);
	fixture_init(&f);
	for (size_t i = 0; i < 4; i++) {
		f.rcpts[i] = f.rcpts[0];
		f.rcpts[i].addr = addrs[i];
		f.rcpts[i].orcpt = i % 2 ? NULL : "rfc822;orig@x.example";
	}
	f.nrcpts = 4;
	if (checked(&f, &out, &d, "four")) {
		for (size_t i = 0; i < 4; i++) {
			snprintf(want, sizeof(want), "rfc822; %s", addrs[i]);
			EXPECT(status_field(&d, i + 1, "Final-Recipient", v, sizeof(v)) &&
			               strcmp(v, want) == 0,
			       "block %zu: %s", i + 1, shows(v));
			EXPECT(status_field(&d, i + 1, "Original-Recipient", v, sizeof(v)) ==
			               !(i % 2),
			       "block %zu: Original-Recipient", i + 1);
			snprintf(want, sizeof(want), "<%s>\r\n", addrs[i]);
			EXPECT(span_has(d.parts[0].body, want), "part 1 lacks %s", addrs[i]);
		}
	}
	buf_release(&out);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_shape_rows),   cmocka_unit_test(test_field_rows),
	        cmocka_unit_test(test_hostile_rows), cmocka_unit_test(test_returned),
	        cmocka_unit_test(test_msgid_rows),   cmocka_unit_test(test_refuse_rows),
	        cmocka_unit_test(test_ids),          cmocka_unit_test(test_many_rcpts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
