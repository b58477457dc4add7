/*
 * report.c - finding the parts of a report: the top Content-Type, a walk of
 * the multipart body (nested multiparts to REPORT_DEPTH_MAX, with an
 * explicit stack), the machine part and the returned original, whose
 * header gives To, Message-ID and List-Unsubscribe. The message is
 * untrusted; see report.h for what is decided and bounded.
 */
#include "report.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "report_internal.h"
#include "strutil.h"
#include "xmalloc.h"

#define BOUNDARY_MAX    70 /* RFC 2046 5.1.1 */
#define CTYPE_MAX       80 /* "type/subtype": longer ones are none we read */
#define REPORT_TYPE_MAX 40
#define MSGID_MAX       REPORT_VALUE_MAX

enum cte { CTE_IDENTITY, CTE_QP, CTE_BASE64 };
enum pkind { PK_DSN, PK_ARF, PK_ORIG };

/* what a Content-Type says, as far as reports need it */
struct ctype {
	char type[CTYPE_MAX + 1]; /* "type/subtype", lower case; "" if absent or unreadable */
	char boundary[BOUNDARY_MAX + 1];
	size_t blen;                           /* 0: none, or not usable */
	bool bad_bnd;                          /* a boundary was given but is not usable */
	char report_type[REPORT_TYPE_MAX + 1]; /* lower case; "" if none */
};

/* a part worth reading, found by the walk: its body (after its header) */
struct found {
	enum pkind kind;
	enum cte cte;
	const char *p;
	size_t n;
	size_t container; /* which multipart it is a part of */
};

/* one multipart being walked */
struct level {
	const char *p; /* its body */
	size_t n;
	size_t pos;   /* the next line to look at */
	size_t start; /* the current part's start, if in_part */
	bool in_part;
	char boundary[BOUNDARY_MAX + 1];
	size_t blen;
	size_t id;
	size_t nest; /* the message's own multipart is 0 */
};

struct walk {
	struct level stack[REPORT_DEPTH_MAX + 1];
	size_t depth; /* levels on the stack */
	size_t parts, containers;
	bool too_deep; /* a multipart deeper than REPORT_DEPTH_MAX was left unread */
	struct found found[REPORT_PARTS_MAX];
	size_t nfound;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* skip - white space and comments (nested, with quoted pairs) from i */
static size_t skip(const char *s, size_t n, size_t i)
{
	while (i < n) {
		if (is_space(s[i])) {
			i++;
			continue;
		}
		if (s[i] != '(')
			break;
		size_t depth = 0;
		for (; i < n; i++) {
			if (s[i] == '\\') {
				i++;
				continue;
			}
			if (s[i] == '(')
				depth++;
			else if (s[i] == ')' && --depth == 0)
				break;
		}
		i++;
	}
	return i < n ? i : n; /* an unterminated comment, or a quoted pair at the end */
}

/* RFC 2045 token octets */
static bool is_token(char c)
{
	unsigned char u = (unsigned char)c;
	return u > 0x20 && u < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/*
 * param_value - a parameter value at s[*i]: a quoted string (with quoted
 * pairs; line breaks dropped) or, leniently, anything up to white space or
 * ';' (unquoted boundaries with '=' are common). Copied into dst (cap
 * octets and a NUL); false if it does not fit or is empty.
 */
static bool param_value(const char *s, size_t n, size_t *i, char *dst, size_t cap)
{
	size_t o = 0;
	bool fits = true;

	if (*i < n && s[*i] == '"') {
		for ((*i)++; *i < n && s[*i] != '"'; (*i)++) {
			if (s[*i] == '\r' || s[*i] == '\n')
				continue;
			if (s[*i] == '\\' && *i + 1 < n)
				(*i)++;
			if (o < cap)
				dst[o++] = s[*i];
			else
				fits = false;
		}
		if (*i < n)
			(*i)++;
	} else {
		for (; *i < n && !is_space(s[*i]) && s[*i] != ';' && s[*i] != '"'; (*i)++) {
			if (o < cap)
				dst[o++] = s[*i];
			else
				fits = false;
		}
	}
	dst[o] = '\0';
	return fits && o > 0;
}

static bool boundary_ok(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)b[i] < 0x20 || (unsigned char)b[i] >= 0x7f)
			return false;
	return n > 0 && b[n - 1] != ' ';
}

/* parse_ctype - the Content-Type value v (n octets, folded); the first of each parameter counts */
static void parse_ctype(const char *v, size_t n, struct ctype *ct)
{
	size_t i = skip(v, n, 0), o = 0;
	bool have_bnd = false, have_rt = false;

	memset(ct, 0, sizeof(*ct));
	for (; i < n && (is_token(v[i]) || v[i] == '/'); i++) {
		if (o == CTYPE_MAX) {
			ct->type[0] = '\0';
			return;
		}
		ct->type[o++] = ascii_lower(v[i]);
	}
	ct->type[o] = '\0';
	if (strchr(ct->type, '/') == NULL) {
		ct->type[0] = '\0';
		return;
	}
	while ((i = skip(v, n, i)) < n && v[i] == ';') {
		char attr[32], val[256];
		size_t a = 0;
		i = skip(v, n, i + 1);
		for (; i < n && is_token(v[i]); i++)
			if (a < sizeof(attr) - 1)
				attr[a++] = v[i];
		attr[a] = '\0';
		i = skip(v, n, i);
		if (i >= n || v[i] != '=')
			return; /* no parameters after one that does not parse */
		i = skip(v, n, i + 1);
		bool fits = param_value(v, n, &i, val, sizeof(val) - 1);
		if (!have_bnd && ascii_iequal(attr, "boundary")) {
			have_bnd = true;
			size_t bl = strlen(val);
			if (fits && bl <= BOUNDARY_MAX && boundary_ok(val, bl)) {
				memcpy(ct->boundary, val, bl + 1);
				ct->blen = bl;
			} else {
				ct->bad_bnd = true;
			}
		} else if (!have_rt && ascii_iequal(attr, "report-type")) {
			have_rt = true;
			if (fits && strlen(val) <= REPORT_TYPE_MAX) {
				memcpy(ct->report_type, val, strlen(val) + 1);
				ascii_strlower(ct->report_type);
			}
		}
	}
}

/* split - an entity's header section is p[0..*hlen), its body p[*body..n) */
static void split(const char *p, size_t n, size_t *hlen, size_t *body)
{
	size_t pos = 0;

	while (pos < n) {
		size_t c, len = rpt_line(p, n, pos, &c), nlen;
		if (c == 0) {
			*hlen = pos;
			*body = pos + len;
			return;
		}
		enum hdr_line t = hdr_classify(p + pos, len, &nlen);
		/* a line that is no field ends the section and starts the body */
		if (t == HDR_LINE_OTHER || (t == HDR_LINE_CONT && pos == 0)) {
			*hlen = *body = pos;
			return;
		}
		pos += len;
	}
	*hlen = *body = n;
}

/* entity - the Content-Type and transfer encoding of the entity at p */
static void entity(const char *p, size_t n, struct ctype *ct, enum cte *cte, size_t *body)
{
	struct rpt_field f;
	size_t hlen;

	split(p, n, &hlen, body);
	memset(ct, 0, sizeof(*ct));
	*cte = CTE_IDENTITY;
	/* two Content-Type fields: neither is believed */
	if (rpt_find(p, hlen, "Content-Type", &f, NULL))
		parse_ctype(f.val, f.val_len, ct);
	if (rpt_find(p, hlen, "Content-Transfer-Encoding", &f, NULL)) {
		size_t i = skip(f.val, f.val_len, 0);
		const char *v = f.val + i;
		size_t vn = f.val_len - i;
		if (vn >= 16 && ascii_niequal(v, "quoted-printable", 16))
			*cte = CTE_QP;
		else if (vn >= 6 && ascii_niequal(v, "base64", 6))
			*cte = CTE_BASE64;
	}
}

/* delim - 0 if the line (c octets) is no delimiter of b, 1 if one, 2 if the close one */
static int delim(const char *l, size_t c, const char *b, size_t blen)
{
	size_t i = 2 + blen;
	int kind = 1;

	if (c < i || l[0] != '-' || l[1] != '-' || memcmp(l + 2, b, blen) != 0)
		return 0;
	if (c - i >= 2 && l[i] == '-' && l[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	while (i < c && (l[i] == ' ' || l[i] == '\t'))
		i++;
	return i == c ? kind : 0;
}

static void push(struct walk *w, const char *p, size_t n, const struct ctype *ct, size_t nest)
{
	struct level *l;

	assert(w->depth < REPORT_DEPTH_MAX + 1);
	l = &w->stack[w->depth++];

	memset(l, 0, sizeof(*l));
	l->p = p;
	l->n = n;
	memcpy(l->boundary, ct->boundary, ct->blen + 1);
	l->blen = ct->blen;
	l->id = w->containers++;
	l->nest = nest;
}

/*
 * part - one part of the multipart container (nested nest deep): note it,
 * or walk into it. Each live level's parent is live too (or was popped just
 * before its last part), so the stack never holds more than
 * REPORT_DEPTH_MAX + 1 levels.
 */
static void part(struct walk *w, const char *p, size_t n, size_t container, size_t nest)
{
	struct ctype ct;
	enum cte cte;
	size_t body;
	enum pkind kind;

	if (w->parts++ >= REPORT_PARTS_MAX)
		return;
	entity(p, n, &ct, &cte, &body);
	if (strncmp(ct.type, "multipart/", 10) == 0) {
		if (nest + 1 > REPORT_DEPTH_MAX)
			w->too_deep = true;
		else if (ct.blen > 0)
			push(w, p + body, n - body, &ct, nest + 1);
		return;
	}
	if (strcmp(ct.type, "message/delivery-status") == 0 ||
	    strcmp(ct.type, "message/global-delivery-status") == 0)
		kind = PK_DSN;
	else if (strcmp(ct.type, "message/feedback-report") == 0)
		kind = PK_ARF;
	else if (strcmp(ct.type, "message/rfc822") == 0 || strcmp(ct.type, "message/global") == 0 ||
	         strcmp(ct.type, "text/rfc822-headers") == 0 ||
	         strcmp(ct.type, "message/global-headers") == 0)
		kind = PK_ORIG;
	else
		return;
	if (w->nfound < REPORT_PARTS_MAX)
		w->found[w->nfound++] = (struct found){kind, cte, p + body, n - body, container};
}

/* part_end - where a part that started at start ends, the delimiter line being at pos */
static size_t part_end(const char *p, size_t start, size_t pos)
{
	/* the line break before a delimiter belongs to the delimiter */
	if (pos > start && p[pos - 1] == '\n')
		pos--;
	if (pos > start && p[pos - 1] == '\r')
		pos--;
	return pos;
}

/*
 * run - walk the multiparts on the stack, depth first, without recursion.
 * A multipart that ends without its close delimiter (a message cut short)
 * ends where its body does.
 */
static void run(struct walk *w)
{
	while (w->depth > 0) {
		struct level *l = &w->stack[w->depth - 1];
		if (l->pos >= l->n) {
			struct level done = *l;
			w->depth--;
			if (done.in_part)
				part(w, done.p + done.start, done.n - done.start, done.id,
				     done.nest);
			continue;
		}
		size_t c, len = rpt_line(l->p, l->n, l->pos, &c);
		int d = delim(l->p + l->pos, c, l->boundary, l->blen);
		size_t at = l->pos;
		l->pos += len;
		if (d == 0)
			continue;
		bool was_in = l->in_part;
		size_t start = l->start;
		l->in_part = d == 1;
		l->start = l->pos;
		if (d == 2)
			l->pos = l->n; /* the epilogue is not read */
		if (was_in)
			part(w, l->p + start, part_end(l->p, start, at) - start, l->id, l->nest);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* unqp - quoted-printable, leniently: a '=' that starts nothing stays; returns the length */
static size_t unqp(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '=') {
			out[o++] = s[i];
			continue;
		}
		size_t j = i + 1;
		while (j < n && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j == n || s[j] == '\n' || (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')) {
			/* a soft line break */
			i = j < n && s[j] == '\r' ? j + 1 : j;
			continue;
		}
		if (i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
			continue;
		}
		out[o++] = '=';
	}
	return o;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* unbase64 - base64, leniently: octets outside the alphabet skipped, stops at '=' */
static size_t unbase64(const char *s, size_t n, char *out)
{
	size_t o = 0;
	unsigned acc = 0, bits = 0;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			continue;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	return o;
}

/*
 * decode - the content of a found part: in place if it has no transfer
 * encoding, else decoded into *mem (the caller frees; never longer than the
 * encoded content).
 */
static const char *decode(const struct found *f, size_t *n, char **mem)
{
	*mem = NULL;
	*n = f->n;
	if (f->cte == CTE_IDENTITY)
		return f->p;
	*mem = xmalloc(f->n + 1);
	*n = f->cte == CTE_QP ? unqp(f->p, f->n, *mem) : unbase64(f->p, f->n, *mem);
	return *mem;
}

/*
 * one_mailbox - the addr-spec of an address list that holds exactly one
 * mailbox ("a@b", "Name <a@b>", with comments and quoted names), else NULL:
 * a list, a group, an unbalanced quote, comment or bracket.
 */
static char *one_mailbox(const char *v, size_t n)
{
	char t[REPORT_VALUE_MAX + 1], plain[REPORT_VALUE_MAX + 1];
	bool cut, quoted = false, angle = false, angled = false;
	size_t len = rpt_unfold(v, n, t, REPORT_VALUE_MAX, &cut), o = 0, lt = 0, gt = 0, depth = 0;

	if (cut)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = t[i];
		if (depth > 0) { /* a comment: dropped */
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (quoted) {
			if (c == '\\' && i + 1 < len)
				plain[o++] = t[i++];
			else if (c == '"')
				quoted = false;
			plain[o++] = t[i];
			continue;
		}
		if (c == '"') {
			quoted = true;
		} else if (c == '(') {
			depth = 1;
			continue;
		} else if (c == ',' || c == ':' || c == ';') {
			return NULL; /* a list, a group, or a source route */
		} else if (c == '<') {
			if (angle || angled)
				return NULL;
			angle = true;
			lt = i;
		} else if (c == '>') {
			if (!angle)
				return NULL;
			angle = false;
			angled = true;
			gt = i;
		}
		plain[o++] = c;
	}
	if (quoted || angle || depth > 0)
		return NULL;
	if (angled)
		return rpt_addr(t + lt + 1, gt - lt - 1, false);
	return rpt_addr(plain, o, false);
}

/* msgid - the "<...>" of a Message-ID value (comments and white space around it skipped) */
static char *msgid(const char *v, size_t n)
{
	char t[MSGID_MAX + 1];
	bool cut;
	size_t len = rpt_unfold(v, n, t, MSGID_MAX, &cut);
	size_t i = skip(t, len, 0), j;

	if (cut || i >= len || t[i] != '<')
		return NULL;
	for (j = i + 1; j < len && t[j] != '>'; j++)
		if (t[j] == ' ' || t[j] == '<')
			return NULL;
	if (j >= len || j == i + 1 || !rpt_clean(t + i, j + 1 - i))
		return NULL;
	return xstrndup(t + i, j + 1 - i);
}

/* original - To, Message-ID and List-Unsubscribe of the returned original's header */
static void original(struct report *out, const char *p, size_t n)
{
	struct rpt_field f;
	size_t hlen, body, c;

	/* empty lines before the header (some writers add one) are skipped */
	while (n > 0) {
		size_t len = rpt_line(p, n, 0, &c);
		if (c != 0)
			break;
		p += len;
		n -= len;
	}
	split(p, n, &hlen, &body);
	/* a field given twice may be a forgery's: neither is believed */
	if (rpt_find(p, hlen, "To", &f, NULL))
		out->orig_to = one_mailbox(f.val, f.val_len);
	if (rpt_find(p, hlen, "Message-ID", &f, NULL))
		out->orig_message_id = msgid(f.val, f.val_len);
	if (rpt_find(p, hlen, "List-Unsubscribe", &f, NULL))
		out->orig_list_unsubscribe = rpt_strict(f.val, f.val_len, REPORT_UNSUB_MAX);
}

/* want - what a top Content-Type asks for; false if the message is no report to read */
static bool want(const struct ctype *ct, enum report_kind *kind, bool *claimed)
{
	const char *rt = ct->report_type;

	*kind = REPORT_NONE; /* either */
	*claimed = strcmp(ct->type, "multipart/report") == 0;
	if (!*claimed)
		return strncmp(ct->type, "multipart/", 10) == 0;
	if (strcmp(rt, "delivery-status") == 0 || strcmp(rt, "global-delivery-status") == 0)
		*kind = REPORT_DSN;
	else if (strcmp(rt, "feedback-report") == 0)
		*kind = REPORT_ARF;
	else if (rt[0] != '\0')
		return false; /* disposition-notification, tlsrpt... */
	return true;
}

static int fail(struct report *out, char *err, size_t errlen, const char *why)
{
	report_free(out);
	snprintf(err, errlen, "%s", why);
	return -1;
}

/* read_parts - the machine part and the original found by the walk, into out */
static int read_parts(struct report *out, const struct found *m, const struct found *o, char *err,
                      size_t errlen)
{
	char *mem;
	size_t n;
	const char *p = decode(m, &n, &mem);
	int rc = m->kind == PK_DSN ? rpt_dsn(out, p, n, err, errlen)
	                           : rpt_arf(out, p, n, err, errlen);

	free(mem);
	if (rc < 0)
		return -1;
	out->kind = m->kind == PK_DSN ? REPORT_DSN : REPORT_ARF;
	if (o) {
		p = decode(o, &n, &mem);
		original(out, p, n);
		free(mem);
	}
	return 0;
}

int report_parse(const char *msg, size_t len, struct report *out, char *err, size_t errlen)
{
	struct ctype ct;
	struct walk w;
	enum cte cte;
	enum report_kind kind;
	size_t body;
	bool claimed;
	const struct found *m = NULL, *o = NULL;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	if (msg == NULL)
		return len == 0 ? 0 : fail(out, err, errlen, "no message");
	entity(msg, len, &ct, &cte, &body);
	if (!want(&ct, &kind, &claimed))
		return 0;
	if (ct.blen == 0)
		return claimed ? fail(out, err, errlen,
		                      "multipart/report without a usable boundary")
		               : 0;
	memset(&w, 0, sizeof(w));
	push(&w, msg + body, len - body, &ct, 0);
	run(&w);
	for (size_t i = 0; i < w.nfound && m == NULL; i++) {
		const struct found *f = &w.found[i];
		if ((f->kind == PK_DSN && kind != REPORT_ARF) ||
		    (f->kind == PK_ARF && kind != REPORT_DSN))
			m = f;
	}
	if (m == NULL) {
		if (!claimed)
			return 0;
		report_free(out);
		snprintf(err, errlen, "multipart/report without a %s part%s",
		         kind == REPORT_DSN   ? "delivery-status"
		         : kind == REPORT_ARF ? "feedback-report"
		                              : "delivery-status or feedback-report",
		         w.too_deep ? " (multiparts nested too deep were not read)" : "");
		return -1;
	}
	for (size_t i = 0; i < w.nfound && o == NULL; i++)
		if (w.found[i].kind == PK_ORIG && w.found[i].container == m->container)
			o = &w.found[i];
	if (read_parts(out, m, o, err, errlen) < 0) {
		report_free(out);
		return -1;
	}
	return 0;
}

void report_free(struct report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nrcpts; i++) {
		free(r->rcpts[i].final_rcpt);
		free(r->rcpts[i].original_rcpt);
		free(r->rcpts[i].diagnostic);
		free(r->rcpts[i].remote_mta);
	}
	free(r->rcpts);
	free(r->feedback_type);
	free(r->arf_rcpt);
	free(r->arf_mail_from);
	free(r->orig_to);
	free(r->orig_message_id);
	free(r->orig_list_unsubscribe);
	memset(r, 0, sizeof(*r));
}
