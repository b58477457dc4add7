/*
 * mime_hdr.c - an entity's header section for the MIME parser: the fields
 * Content-Type, Content-Transfer-Encoding, Content-Disposition (RFC 2045,
 * 2183) and, in the message's own header, Subject; parameters with quoted
 * strings, comments and RFC 2231 extended values and continuations.
 *
 * Trust: the section is a client's. mime.c has checked its lines (fields and
 * continuations only, no NUL, no bare CR or LF); this file reads the values
 * strictly where readers disagree (see mime.h) and keeps nothing but the
 * results.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime_internal.h"
#include "strutil.h"
#include "xmalloc.h"

#define BAD_CFWS SIZE_MAX /* cfws: an unterminated comment */

/* a parameter: its name in the field's unfolded value, its value (unquoted) in vals */
struct param {
	size_t name, nlen;
	size_t val, vlen;
	bool quoted;
};

struct plist {
	const char *s; /* the unfolded value the names are in */
	struct param *v;
	size_t n, cap;
	struct buf vals;
};

/* a parameter's value, read both ways it may be given */
struct pval {
	bool plain;                    /* name=value */
	bool quoted;                   /* the plain value was a quoted string */
	struct buf pv;                 /* its octets */
	bool ext;                      /* name*=... or name*0...: RFC 2231 */
	struct buf ev;                 /* its octets, percent-decoded, sections joined */
	char cs[MIME_CHARSET_MAX + 1]; /* its charset ("" for none, or too long) */
};

struct rd {
	char *why;
	size_t whylen;
	const char *field; /* for reasons: the field being read */
	struct mime_iconv *ic;
};

static enum mime_status bad(struct rd *r, enum mime_status st, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static enum mime_status bad(struct rd *r, enum mime_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, r->whylen, fmt, ap);
	va_end(ap);
	return st;
}

/* spent - the bound on charset conversions is reached */
static enum mime_status spent(struct rd *r)
{
	return bad(r, MIME_LIMIT, "over %zu charset conversions", r->ic->max_opens);
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* cfws - skip white space and comments (nested, quoted pairs) from i; BAD_CFWS: unterminated */
static size_t cfws(const char *s, size_t n, size_t i)
{
	size_t depth = 0;

	for (; i < n; i++) {
		char c = s[i];
		if (depth > 0) {
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (c == '(')
			depth = 1;
		else if (!is_wsp(c))
			break;
	}
	return depth > 0 || i > n ? BAD_CFWS : i;
}

/* token - RFC 2045: no space, control or tspecial; in a value (v) 8-bit octets too */
static size_t token(const char *s, size_t n, size_t i, bool v)
{
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 && v)
			continue;
		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c) != NULL)
			break;
	}
	return i;
}

/* quoted - at '"': the quoted string, unquoted into dst; the index after it, or BAD_CFWS */
static size_t quoted(const char *s, size_t n, size_t i, struct buf *dst)
{
	for (i++; i < n; i++) {
		if (s[i] == '"')
			return i + 1;
		if (s[i] == '\\' && ++i >= n)
			break;
		buf_putc(dst, s[i]);
	}
	return BAD_CFWS;
}

/* parse_params - "; name=value" to the end of the value, from i */
static enum mime_status parse_params(struct rd *r, const char *s, size_t n, size_t i,
                                     struct plist *pl)
{
	for (;;) {
		i = cfws(s, n, i);
		if (i == BAD_CFWS)
			return bad(r, MIME_AMBIGUOUS, "an unterminated comment in %s", r->field);
		if (i == n)
			return MIME_OK;
		if (s[i] != ';')
			return bad(r, MIME_AMBIGUOUS, "%s parameters that do not parse", r->field);
		i = cfws(s, n, i + 1);
		if (i == BAD_CFWS)
			return bad(r, MIME_AMBIGUOUS, "an unterminated comment in %s", r->field);
		if (i == n || s[i] == ';')
			continue; /* an empty parameter: a trailing ';' is common */
		size_t a = i;
		i = token(s, n, i, false);
		size_t e = i;
		i = cfws(s, n, i);
		if (e == a || i == BAD_CFWS || i == n || s[i] != '=')
			return bad(r, MIME_AMBIGUOUS, "%s parameters that do not parse", r->field);
		i = cfws(s, n, i + 1);
		if (i == BAD_CFWS || i == n)
			return bad(r, MIME_AMBIGUOUS, "%s parameters that do not parse", r->field);
		struct param p = {
		        .name = a, .nlen = e - a, .val = pl->vals.len, .quoted = s[i] == '"'};
		if (p.quoted) {
			i = quoted(s, n, i, &pl->vals);
			if (i == BAD_CFWS)
				return bad(r, MIME_AMBIGUOUS, "an unterminated quoted string in %s",
				           r->field);
		} else {
			size_t v = i;
			i = token(s, n, i, true);
			if (i == v)
				return bad(r, MIME_AMBIGUOUS, "%s parameters that do not parse",
				           r->field);
			buf_append(&pl->vals, s + v, i - v);
		}
		p.vlen = pl->vals.len - p.val;
		if (pl->n == pl->cap) {
			pl->cap = pl->cap ? pl->cap * 2 : 8;
			pl->v = xrealloc(pl->v, pl->cap * sizeof(*pl->v));
		}
		pl->v[pl->n++] = p;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ascii_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* unpercent - RFC 2231 %XX escapes decoded (a '%' that starts none stays) */
static void unpercent(struct buf *dst, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			buf_putc(dst, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
			i += 2;
		} else {
			buf_putc(dst, s[i]);
		}
	}
}

/* ext_first - the first extended value: charset'language'text (RFC 2231 4) */
static void ext_first(struct pval *v, const char *s, size_t n)
{
	const char *q1 = memchr(s, '\'', n);
	const char *q2 = q1 ? memchr(q1 + 1, '\'', n - (size_t)(q1 + 1 - s)) : NULL;

	if (q2 == NULL) {
		unpercent(&v->ev, s, n); /* no charset: the text alone, as Python reads it */
		return;
	}
	size_t cl = (size_t)(q1 - s);
	if (cl <= MIME_CHARSET_MAX) {
		memcpy(v->cs, s, cl);
		v->cs[cl] = '\0';
		ascii_strlower(v->cs);
	}
	unpercent(&v->ev, q2 + 1, n - (size_t)(q2 + 1 - s));
}

/* section - a parameter name after its base: "", "*", "*N" or "*N*" */
enum sect { SECT_PLAIN, SECT_EXT, SECT_N, SECT_NEXT, SECT_BAD };

static enum sect section(const char *s, size_t n, unsigned *num)
{
	size_t i = 1;

	if (n == 0)
		return SECT_PLAIN;
	if (n == 1)
		return SECT_EXT;
	*num = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9' && i <= 3)
		*num = *num * 10 + (unsigned)(s[i++] - '0');
	if (i == 1 || (s[1] == '0' && i > 2)) /* no digits, or a leading zero */
		return SECT_BAD;
	if (i == n)
		return SECT_N;
	return i + 1 == n && s[i] == '*' ? SECT_NEXT : SECT_BAD;
}

/*
 * join - the nsec RFC 2231 sections of parameter name, which must be
 * 0..nsec-1 each once, joined into v (percent-decoded where extended)
 */
static enum mime_status join(struct rd *r, const struct plist *pl, const char *name, size_t nsec,
                             struct pval *v)
{
	size_t bl = strlen(name);
	size_t *order =
	        xcalloc(nsec, sizeof(*order)); /* order[n]: 1 + the parameter of section n */
	enum mime_status st = MIME_OK;

	for (size_t k = 0; k < pl->n && st == MIME_OK; k++) {
		const struct param *p = &pl->v[k];
		const char *pn = pl->s + p->name;
		unsigned num = 0;
		if (p->nlen < bl + 2 || !ascii_niequal(pn, name, bl) || pn[bl] != '*')
			continue;
		section(pn + bl, p->nlen - bl, &num);
		if (num >= nsec || order[num] != 0)
			st = bad(r, MIME_AMBIGUOUS, "RFC 2231 sections of %s missing or repeated",
			         name);
		else
			order[num] = k + 1;
	}
	for (size_t j = 0; j < nsec && st == MIME_OK; j++) {
		const struct param *p = &pl->v[order[j] - 1];
		const char *val = pl->vals.data + p->val;
		bool enc = pl->s[p->name + p->nlen - 1] == '*';
		if (enc && j == 0)
			ext_first(v, val, p->vlen);
		else if (enc)
			unpercent(&v->ev, val, p->vlen);
		else
			buf_append(&v->ev, val, p->vlen);
	}
	free(order);
	return st;
}

/*
 * pget - the parameter called name, plain and RFC 2231 (single or in
 * sections, which must be 0..N-1 each once). v is initialised here.
 */
static enum mime_status pget(struct rd *r, const struct plist *pl, const char *name, struct pval *v)
{
	size_t bl = strlen(name), nsec = 0;
	bool single = false;
	enum mime_status st = MIME_OK;

	memset(v, 0, sizeof(*v));
	buf_init(&v->pv);
	buf_init(&v->ev);
	for (size_t k = 0; k < pl->n && st == MIME_OK; k++) {
		const struct param *p = &pl->v[k];
		const char *pn = pl->s + p->name;
		unsigned num = 0;
		if (p->nlen < bl || !ascii_niequal(pn, name, bl) || (p->nlen > bl && pn[bl] != '*'))
			continue;
		switch (section(pn + bl, p->nlen - bl, &num)) {
		case SECT_PLAIN:
			if (v->plain)
				st = bad(r, MIME_AMBIGUOUS, "the %s parameter given twice", name);
			v->plain = true;
			v->quoted = p->quoted;
			buf_append(&v->pv, pl->vals.data + p->val, p->vlen);
			break;
		case SECT_EXT:
			if (single)
				st = bad(r, MIME_AMBIGUOUS, "the %s parameter given twice", name);
			single = true;
			ext_first(v, pl->vals.data + p->val, p->vlen);
			break;
		case SECT_N:
		case SECT_NEXT:
			nsec++;
			break;
		case SECT_BAD:
			st = bad(r, MIME_MALFORMED, "an RFC 2231 section of %s that does not parse",
			         name);
			break;
		}
	}
	if (st != MIME_OK || nsec == 0) {
		v->ext = single;
		return st;
	}
	if (single)
		return bad(r, MIME_AMBIGUOUS, "the %s parameter both whole and in sections", name);
	v->ext = true;
	return join(r, pl, name, nsec, v);
}

static void pval_release(struct pval *v)
{
	buf_release(&v->pv);
	buf_release(&v->ev);
}

static bool same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/*
 * octets - a parameter read as octets (boundary, charset) into dst; plain
 * and RFC 2231 values must agree
 */
static enum mime_status octets(struct rd *r, const struct plist *pl, const char *name,
                               struct buf *dst, bool *found)
{
	struct pval v;
	enum mime_status st = pget(r, pl, name, &v);

	*found = false;
	if (st == MIME_OK && v.plain && v.ext && !same(&v.pv, &v.ev))
		st = bad(r, MIME_AMBIGUOUS, "plain and RFC 2231 %s parameters differ", name);
	if (st == MIME_OK && (v.plain || v.ext)) {
		*found = true;
		const struct buf *b = v.plain ? &v.pv : &v.ev;
		buf_append(dst, b->data, b->len);
	}
	pval_release(&v);
	return st;
}

/*
 * fname - a file name parameter as UTF-8 into dst (*found set): the plain
 * value with its RFC 2047 words decoded if it was quoted, the RFC 2231 one
 * from its charset; if both are given they must agree.
 */
static enum mime_status fname(struct rd *r, const struct plist *pl, const char *name,
                              struct buf *dst, bool *found)
{
	struct pval v;
	struct buf a, b;
	enum mime_status st = pget(r, pl, name, &v);

	*found = false;
	buf_init(&a);
	buf_init(&b);
	/* RFC 2047 words only in quoted strings: '=' and '?' cannot be in a token */
	size_t nbad = 0;
	if (st == MIME_OK && v.plain && !v.quoted)
		mime_header_text(&a, v.pv.data, v.pv.len);
	if (st == MIME_OK && v.plain && v.quoted &&
	    mime_words(r->ic, &a, v.pv.data ? v.pv.data : "", v.pv.len, false, &nbad) < 0)
		st = spent(r);
	if (st == MIME_OK && nbad > 0)
		st = bad(r, MIME_AMBIGUOUS,
		         "an encoded word in the %s parameter that does not decode", name);
	if (st == MIME_OK && v.ext &&
	    mime_to_utf8(r->ic, &b, v.cs, v.ev.data ? v.ev.data : "", v.ev.len) < 0)
		st = spent(r);
	if (st == MIME_OK && v.plain && v.ext && !same(&a, &b))
		st = bad(r, MIME_AMBIGUOUS, "plain and RFC 2231 %s parameters differ", name);
	if (st == MIME_OK && (v.plain || v.ext)) {
		*found = true;
		const struct buf *u = v.plain ? &a : &b;
		buf_append(dst, u->data, u->len);
	}
	buf_release(&a);
	buf_release(&b);
	pval_release(&v);
	return st;
}

/* typed - "token/token" at the start of a Content-Type value into out (lower case) */
static enum mime_status typed(struct rd *r, const char *s, size_t n, size_t *ip, char *out)
{
	size_t i = cfws(s, n, 0), t, tl, u, ul;

	if (i == BAD_CFWS)
		return bad(r, MIME_AMBIGUOUS, "an unterminated comment in Content-Type");
	t = i;
	i = token(s, n, i, false);
	tl = i - t;
	if (tl == 0 || i == n || s[i] != '/') {
		/* "text /plain": RFC 822 allows it, Python's email keeps "text /plain" */
		i = cfws(s, n, i);
		if (tl > 0 && i != BAD_CFWS && i < n && s[i] == '/')
			return bad(r, MIME_AMBIGUOUS,
			           "white space or a comment around the '/' of a Content-Type");
		return bad(r, MIME_AMBIGUOUS, "a Content-Type that is not type/subtype");
	}
	u = ++i;
	if (i < n && cfws(s, n, i) != i)
		return bad(r, MIME_AMBIGUOUS,
		           "white space or a comment around the '/' of a Content-Type");
	i = token(s, n, u, false);
	ul = i - u;
	if (ul == 0)
		return bad(r, MIME_AMBIGUOUS, "a Content-Type that is not type/subtype");
	if (tl > MIME_TYPE_MAX || ul > MIME_TYPE_MAX)
		return bad(r, MIME_MALFORMED, "a Content-Type type or subtype over %d octets",
		           MIME_TYPE_MAX);
	memcpy(out, s + t, tl);
	out[tl] = '/';
	memcpy(out + tl + 1, s + u, ul);
	out[tl + 1 + ul] = '\0';
	ascii_strlower(out);
	*ip = i;
	return MIME_OK;
}

/* charset_name - a charset parameter kept if it can be one: letters, digits, ._:+- */
static void charset_name(struct mime_hdr *h, const struct buf *b)
{
	h->charset_bad = b->len == 0 || b->len > MIME_CHARSET_MAX;
	for (size_t i = 0; i < b->len && !h->charset_bad; i++) {
		char c = b->data[i];
		h->charset_bad = !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		                   (c >= '0' && c <= '9') || strchr("._:+-", c) != NULL);
	}
	if (h->charset_bad)
		return;
	memcpy(h->charset, b->data, b->len);
	h->charset[b->len] = '\0';
	ascii_strlower(h->charset);
}

/* content_type - the type, the boundary, the charset and the name parameter (into name) */
static enum mime_status content_type(struct rd *r, const char *s, size_t n, struct mime_hdr *h,
                                     struct buf *name, bool *has_name)
{
	struct plist pl = {.s = s};
	struct buf b;
	bool found = false;
	size_t i = 0;
	enum mime_status st;

	r->field = "Content-Type";
	buf_init(&pl.vals);
	buf_init(&b);
	st = typed(r, s, n, &i, h->ctype);
	if (st == MIME_OK)
		st = parse_params(r, s, n, i, &pl);
	if (st == MIME_OK && strncmp(h->ctype, "multipart/", 10) == 0)
		st = octets(r, &pl, "boundary", &b, &found);
	if (st == MIME_OK && found) {
		h->blen = b.len;
		h->boundary = xmalloc(b.len + 1);
		memcpy(h->boundary, b.data ? b.data : "", b.len);
		h->boundary[b.len] = '\0';
	}
	buf_reset(&b);
	if (st == MIME_OK)
		st = octets(r, &pl, "charset", &b, &found);
	if (st == MIME_OK && found)
		charset_name(h, &b);
	if (st == MIME_OK)
		st = fname(r, &pl, "name", name, has_name);
	buf_release(&b);
	buf_release(&pl.vals);
	free(pl.v);
	return st;
}

/* disposition - the disposition type and the filename parameter (into name) */
static enum mime_status disposition(struct rd *r, const char *s, size_t n, struct mime_hdr *h,
                                    struct buf *name, bool *has_name)
{
	struct plist pl = {.s = s};
	size_t i = cfws(s, n, 0), t;
	enum mime_status st = MIME_OK;

	r->field = "Content-Disposition";
	if (i == BAD_CFWS)
		return bad(r, MIME_AMBIGUOUS, "an unterminated comment in Content-Disposition");
	t = i;
	i = token(s, n, i, false);
	if (i == t)
		return bad(r, MIME_AMBIGUOUS, "a Content-Disposition without a type");
	if (i - t == 6 && ascii_niequal(s + t, "inline", 6))
		h->disp = DISP_INLINE;
	else if (i - t == 10 && ascii_niequal(s + t, "attachment", 10))
		h->disp = DISP_ATTACHMENT;
	else
		h->disp = DISP_OTHER; /* RFC 2183 2.8: as an attachment */
	buf_init(&pl.vals);
	st = parse_params(r, s, n, i, &pl);
	if (st == MIME_OK)
		st = fname(r, &pl, "filename", name, has_name);
	buf_release(&pl.vals);
	free(pl.v);
	return st;
}

/* transfer_encoding - one of the five, alone: anything else readers read differently */
static enum mime_status transfer_encoding(struct rd *r, const char *s, size_t n, struct mime_hdr *h)
{
	static const struct {
		const char *name;
		enum mime_cte cte;
	} ctes[] = {{"7bit", CTE_7BIT},
	            {"8bit", CTE_8BIT},
	            {"binary", CTE_BINARY},
	            {"quoted-printable", CTE_QP},
	            {"base64", CTE_BASE64}};

	while (n > 0 && is_wsp(s[n - 1]))
		n--;
	while (n > 0 && is_wsp(s[0])) {
		s++;
		n--;
	}
	for (size_t k = 0; k < sizeof(ctes) / sizeof(ctes[0]); k++) {
		if (strlen(ctes[k].name) == n && ascii_niequal(s, ctes[k].name, n)) {
			h->cte = ctes[k].cte;
			return MIME_OK;
		}
	}
	return bad(r, MIME_AMBIGUOUS, "an unknown Content-Transfer-Encoding");
}

/* the fields read, by index */
enum { F_CT, F_CTE, F_CD, F_SUBJECT, F_MAX };
static const char *const fields[F_MAX] = {"Content-Type", "Content-Transfer-Encoding",
                                          "Content-Disposition", "Subject"};

/*
 * unfold - the value of the field at sec[pos..end) (its lines): after the
 * colon, with the CRLF of each line dropped (the white space that folds
 * stays), into dst.
 */
static void unfold(struct buf *dst, const char *sec, size_t pos, size_t end)
{
	const char *colon = memchr(sec + pos, ':', end - pos);
	size_t i = (size_t)(colon - sec) + 1;

	while (i < end) {
		const char *cr = memchr(sec + i, '\r', end - i);
		size_t e = cr ? (size_t)(cr - sec) : end;
		buf_append(dst, sec + i, e - i);
		i = cr ? e + 2 : end;
	}
}

/* the end of the field starting at pos: its line and the continuation lines after it */
static size_t field_end(const char *sec, size_t len, size_t pos)
{
	do {
		const char *lf = memchr(sec + pos, '\n', len - pos);
		pos = lf ? (size_t)(lf - sec) + 1 : len;
	} while (pos < len && is_wsp(sec[pos]));
	return pos;
}

/* names - the file names, Content-Disposition's first: they must agree, and show no control */
static enum mime_status names(struct rd *r, struct mime_hdr *h, const struct buf *fn, bool has_fn,
                              const struct buf *nm, bool has_nm)
{
	const struct buf *u = has_fn ? fn : nm;

	if (has_fn && has_nm && !same(fn, nm))
		return bad(r, MIME_AMBIGUOUS,
		           "Content-Type name and Content-Disposition filename "
		           "differ");
	if ((!has_fn && !has_nm) || u->len == 0)
		return MIME_OK;
	for (size_t i = 0; i < u->len; i++)
		if ((unsigned char)u->data[i] < 0x20 || u->data[i] == 0x7f)
			return bad(r, MIME_AMBIGUOUS, "a control character in a file name");
	h->filename = xstrndup(u->data, u->len);
	return MIME_OK;
}

/* find - where the fields read are (the first of each), and how many of each */
static void find(const char *sec, size_t len, size_t at[F_MAX][2], size_t count[F_MAX])
{
	for (size_t pos = 0; pos < len;) {
		size_t end = field_end(sec, len, pos);
		const char *colon = memchr(sec + pos, ':', end - pos);
		size_t nl = colon ? (size_t)(colon - (sec + pos)) : 0;
		for (int f = 0; f < F_MAX; f++) {
			if (nl != strlen(fields[f]) || !ascii_niequal(sec + pos, fields[f], nl))
				continue;
			if (count[f]++ == 0) {
				at[f][0] = pos;
				at[f][1] = end;
			}
		}
		pos = end;
	}
}

/* looks_encoded - whether s holds "=?" with a "?=" after it: an encoded word left as text */
static bool looks_encoded(const char *s, size_t n)
{
	const char *a = s != NULL ? memmem(s, n, "=?", 2) : NULL;

	return a != NULL && memmem(a + 2, n - (size_t)(a + 2 - s), "?=", 2) != NULL;
}

/* subject - the unfolded Subject value v, decoded, into out->subject */
static enum mime_status subject(struct rd *r, const struct buf *v, struct mime_hdr *out)
{
	struct buf s;
	size_t i = 0, nbad;
	enum mime_status st = MIME_OK;

	while (i < v->len && is_wsp(v->data[i]))
		i++;
	buf_init(&s);
	if (mime_words(r->ic, &s, v->data ? v->data + i : "", v->len - i, true, &nbad) < 0)
		st = spent(r);
	else if (nbad > 0 || looks_encoded(s.data, s.len))
		/* Python's email and some readers decode what RFC 2047 says to leave */
		st = bad(r, MIME_AMBIGUOUS, "an encoded word in the Subject that does not decode");
	else
		out->subject = xstrndup(s.data ? s.data : "", s.len);
	buf_release(&s);
	return st;
}

enum mime_status mime_hdr_parse(const char *sec, size_t len, const struct mime_hdr_ctx *ctx,
                                struct mime_hdr *out, char *why, size_t whylen)
{
	struct rd r = {.why = why, .whylen = whylen, .ic = ctx->ic};
	size_t at[F_MAX][2] = {{0}}, count[F_MAX] = {0};
	struct buf v, fn, nm;
	bool has_fn = false, has_nm = false;
	enum mime_status st = MIME_OK;

	memset(out, 0, sizeof(*out));
	snprintf(out->ctype, sizeof(out->ctype), "%s",
	         ctx->digest ? "message/rfc822" : "text/plain");
	find(sec, len, at, count);
	for (int f = 0; f < F_MAX; f++)
		if (count[f] > 1 && (f != F_SUBJECT || ctx->want_subject))
			return bad(&r, MIME_AMBIGUOUS, "%zu %s fields in one header section",
			           count[f], fields[f]);
	buf_init(&v);
	buf_init(&fn);
	buf_init(&nm);
	if (count[F_CT]) {
		unfold(&v, sec, at[F_CT][0], at[F_CT][1]);
		st = content_type(&r, v.data ? v.data : "", v.len, out, &nm, &has_nm);
	}
	if (st == MIME_OK && count[F_CTE]) {
		buf_reset(&v);
		unfold(&v, sec, at[F_CTE][0], at[F_CTE][1]);
		st = transfer_encoding(&r, v.data ? v.data : "", v.len, out);
	}
	if (st == MIME_OK && count[F_CD]) {
		buf_reset(&v);
		unfold(&v, sec, at[F_CD][0], at[F_CD][1]);
		st = disposition(&r, v.data ? v.data : "", v.len, out, &fn, &has_fn);
	}
	if (st == MIME_OK)
		st = names(&r, out, &fn, has_fn, &nm, has_nm);
	if (st == MIME_OK && count[F_SUBJECT] && ctx->want_subject) {
		buf_reset(&v);
		unfold(&v, sec, at[F_SUBJECT][0], at[F_SUBJECT][1]);
		st = subject(&r, &v, out);
	}
	buf_release(&v);
	buf_release(&fn);
	buf_release(&nm);
	if (st != MIME_OK)
		mime_hdr_release(out);
	return st;
}

void mime_hdr_release(struct mime_hdr *h)
{
	free(h->boundary);
	free(h->filename);
	free(h->subject);
	h->boundary = h->filename = h->subject = NULL;
}
