/*
 * mime7_hdr.c - header sections for the 7-bit converter: reading
 * Content-Type (RFC 2045 5.1: type/subtype, parameters, quoted strings,
 * comments) and Content-Transfer-Encoding, and writing a section back with
 * its encoding replaced or added and its over-long lines folded.
 *
 * Sections come from the submitting client: any octets, lines over 998, odd
 * lines. Odd lines are kept as they are and never taken for fields.
 */
#include <string.h>

#include "header.h"
#include "mime7_internal.h"
#include "strutil.h"
#include "xmalloc.h"

#define CTE_NAME "Content-Transfer-Encoding"

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* the end of the line at p (just past its CRLF, or n if it has none) */
static size_t line_end(const char *p, size_t n)
{
	for (const char *q = p; (q = memchr(q, '\n', n - (size_t)(q - p))) != NULL; q++)
		if (q > p && q[-1] == '\r')
			return (size_t)(q - p) + 1;
	return n;
}

/*
 * index_section - like hdr_index_build, but never fails: a line that is
 * neither a field nor a continuation becomes an entry with name_len 0, which
 * no lookup matches. The entries tile the section. Release with
 * hdr_index_release.
 */
static void index_section(struct hdr_index *ix, const char *base, size_t len)
{
	memset(ix, 0, sizeof(*ix));
	ix->base = base;
	for (size_t pos = 0; pos < len;) {
		size_t llen = line_end(base + pos, len - pos);
		size_t nlen = 0;
		enum hdr_line t = hdr_classify(base + pos, llen, &nlen);
		if (t == HDR_LINE_CONT && ix->n > 0) {
			ix->fields[ix->n - 1].len += llen;
		} else {
			if (ix->n == ix->cap) {
				ix->cap = ix->cap ? ix->cap * 2 : 16;
				ix->fields = xrealloc(ix->fields, ix->cap * sizeof(*ix->fields));
			}
			ix->fields[ix->n++] =
			        (struct hdr_field){pos, llen, t == HDR_LINE_FIELD ? nlen : 0};
		}
		pos += llen;
	}
}

/* the value of a field: what follows the colon, continuation lines included */
static const char *value(const struct hdr_index *ix, const struct hdr_field *f, size_t *n)
{
	const char *p = ix->base + f->off;
	size_t i = f->name_len;

	while (i < f->len && p[i] != ':')
		i++;
	i = i < f->len ? i + 1 : f->len;
	*n = f->len - i;
	return p + i;
}

/* cfws - skip white space, line breaks and (nested) comments from i */
static size_t cfws(const char *p, size_t n, size_t i)
{
	size_t depth = 0;

	for (; i < n; i++) {
		char c = p[i];
		if (depth > 0 && c == '\\' && i + 1 < n)
			i++;
		else if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !is_wsp(c) && c != '\r' && c != '\n')
			break;
	}
	return i;
}

/* RFC 2045 token: printable ASCII but SPACE and tspecials */
static size_t token(const char *p, size_t n, size_t i)
{
	while (i < n && (unsigned char)p[i] > 32 && (unsigned char)p[i] < 127 &&
	       strchr("()<>@,;:\\\"/[]?=", p[i]) == NULL)
		i++;
	return i;
}

static bool word_is(const char *p, size_t n, const char *w)
{
	return n == strlen(w) && ascii_niequal(p, w, n);
}

/*
 * param_value - a token or quoted string at i, copied (unquoted) into out
 * when it fits in cap; *olen is its length, or cap + 1 if it did not fit or
 * the string was not closed. Returns the index after it.
 */
static size_t param_value(const char *p, size_t n, size_t i, char *out, size_t cap, size_t *olen)
{
	size_t o = 0;

	if (i >= n || p[i] != '"') {
		size_t e = token(p, n, i);
		*olen = e - i <= cap ? e - i : cap + 1;
		if (e - i <= cap)
			memcpy(out, p + i, e - i);
		return e;
	}
	for (i++; i < n; i++) {
		char c = p[i];
		if (c == '"') {
			*olen = o;
			return i + 1;
		}
		if (c == '\r' || c == '\n') /* a fold inside the string */
			continue;
		if (c == '\\' && i + 1 < n)
			c = p[++i];
		if (o == cap) {
			*olen = cap + 1;
			return n;
		}
		out[o++] = c;
	}
	*olen = cap + 1;
	return n;
}

/* usable boundary: 1 to 70 printable ASCII octets (RFC 2046 5.1.1, leniently) */
static bool usable_boundary(const char *b, size_t n)
{
	if (n == 0 || n > M7_BOUNDARY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)b[i] < 32 || (unsigned char)b[i] > 126)
			return false;
	return true;
}

/* parse_params - the boundary parameter of a multipart (the first one counts) */
static void parse_params(const char *p, size_t n, size_t i, struct m7_info *in)
{
	bool seen = false;

	for (;;) {
		i = cfws(p, n, i);
		if (i >= n || p[i] != ';')
			return;
		i = cfws(p, n, i + 1);
		size_t a = i;
		i = token(p, n, i);
		if (i == a)
			return;
		size_t alen = i - a;
		i = cfws(p, n, i);
		if (i >= n || p[i] != '=')
			return;
		i = cfws(p, n, i + 1);
		char v[M7_BOUNDARY_MAX];
		size_t vlen;
		i = param_value(p, n, i, v, sizeof(v), &vlen);
		if (!seen && word_is(p + a, alen, "boundary")) {
			seen = true;
			if (usable_boundary(v, vlen)) {
				memcpy(in->boundary, v, vlen);
				in->blen = vlen;
			}
		}
	}
}

/* an unreadable Content-Type leaves in describing application/octet-stream */
static void parse_ct(const char *p, size_t n, struct m7_info *in)
{
	size_t i = cfws(p, n, 0), t = i;

	i = token(p, n, i);
	size_t tlen = i - t;
	i = cfws(p, n, i);
	if (tlen == 0 || i >= n || p[i] != '/')
		return;
	i = cfws(p, n, i + 1);
	size_t s = i;
	i = token(p, n, i);
	size_t slen = i - s;
	if (slen == 0)
		return;
	parse_params(p, n, i, in);
	in->text = word_is(p + t, tlen, "text");
	in->multipart = word_is(p + t, tlen, "multipart") && in->blen > 0;
	in->digest = in->multipart && word_is(p + s, slen, "digest");
	in->rfc822 = word_is(p + t, tlen, "message") && word_is(p + s, slen, "rfc822");
}

static enum m7_cte parse_cte(const char *p, size_t n)
{
	static const struct {
		const char *name;
		enum m7_cte cte;
	} names[] = {
	        {"7bit", CTE_7BIT},           {"8bit", CTE_8BIT},     {"binary", CTE_BINARY},
	        {"quoted-printable", CTE_QP}, {"base64", CTE_BASE64},
	};
	size_t s = cfws(p, n, 0);
	size_t e = token(p, n, s);

	if (cfws(p, n, e) != n)
		return CTE_OTHER;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (word_is(p + s, e - s, names[k].name))
			return names[k].cte;
	return CTE_OTHER;
}

void mime7_hdr_info(const char *sec, size_t len, bool in_digest, struct m7_info *out)
{
	struct hdr_index ix;
	const struct hdr_field *f;
	const char *v;
	size_t vn;

	memset(out, 0, sizeof(*out));
	index_section(&ix, sec, len);
	out->ncte = hdr_count(&ix, CTE_NAME);
	if ((f = hdr_find(&ix, CTE_NAME)) != NULL) {
		v = value(&ix, f, &vn);
		out->cte = parse_cte(v, vn);
	}
	out->mime_version = hdr_find(&ix, "MIME-Version") != NULL;
	if ((f = hdr_find(&ix, "Content-Type")) != NULL) {
		v = value(&ix, f, &vn);
		parse_ct(v, vn, out);
	} else {
		out->ct_absent = true;
		out->rfc822 = in_digest;
		out->text = !in_digest;
	}
	hdr_index_release(&ix);
}

/*
 * fold - append one line (n octets, its CRLF included if it has one). Over
 * M7_LINE octets, it is folded: a CRLF is put before a SP or HTAB, so that
 * unfolding gives the line back (RFC 5322 2.2.3). A fold comes after the
 * colon of a field (lo), never makes a line of white space alone, and the
 * last white space that keeps the piece within M7_LINE is taken.
 */
static int fold(struct buf *dst, const char *p, size_t n, size_t lo, struct mime7_stats *st,
                const char **why)
{
	size_t c = n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n' ? n - 2 : n;
	size_t pos = 0, last = c;

	if (c <= M7_LINE) {
		buf_append(dst, p, n);
		return 0;
	}
	while (last > 0 && is_wsp(p[last - 1]))
		last--;
	/* p[last - 1] is the last octet that is not white space */
	while (c - pos > M7_LINE) {
		size_t f = pos;
		while (f < c && is_wsp(p[f]))
			f++;
		size_t min = lo > f + 1 ? lo : f + 1, w = pos + M7_LINE;
		while (w >= min && !(is_wsp(p[w]) && w + 1 < last))
			w--;
		if (w < min) {
			*why = "a header line over 998 octets has no white space to fold at";
			return -1;
		}
		buf_append(dst, p + pos, w - pos);
		buf_append(dst, "\r\n", 2);
		pos = w;
	}
	buf_append(dst, p + pos, n - pos);
	st->folded++;
	return 0;
}

/* write_field - one entry of the index, line by line through fold */
static int write_field(struct buf *dst, const struct hdr_index *ix, const struct hdr_field *f,
                       struct mime7_stats *st, const char **why)
{
	const char *p = ix->base + f->off;
	size_t lo = 1;

	if (f->name_len > 0) {
		/* the first line folds only after the colon */
		lo = f->name_len;
		while (p[lo] != ':')
			lo++;
		lo++;
	}
	for (size_t pos = 0; pos < f->len;) {
		size_t llen = line_end(p + pos, f->len - pos);
		if (fold(dst, p + pos, llen, pos == 0 ? lo : 1, st, why) < 0)
			return -1;
		pos += llen;
	}
	return 0;
}

static void add_field(struct buf *dst, size_t at, const char *field)
{
	if (dst->len > at && dst->data[dst->len - 1] != '\n')
		buf_append(dst, "\r\n", 2); /* a section whose last line lacked its CRLF */
	buf_puts(dst, field);
}

int mime7_hdr_write(struct buf *dst, const char *sec, size_t len, const struct m7_edits *e,
                    struct mime7_stats *st, const char **why)
{
	struct hdr_index ix;
	size_t at = dst->len;
	bool had_cte = false;
	int rc = 0;

	index_section(&ix, sec, len);
	for (size_t i = 0; i < ix.n && rc == 0; i++) {
		const struct hdr_field *f = &ix.fields[i];
		if (e->cte != NULL && hdr_name_is(&ix, f, CTE_NAME)) {
			/* replaced where it was; the caller refuses a second one */
			if (!had_cte)
				buf_printf(dst, CTE_NAME ": %s\r\n", e->cte);
			had_cte = true;
			continue;
		}
		rc = write_field(dst, &ix, f, st, why);
	}
	if (rc == 0) {
		if (e->mime_version && hdr_find(&ix, "MIME-Version") == NULL)
			add_field(dst, at, "MIME-Version: 1.0\r\n");
		if (e->content_type)
			add_field(dst, at, "Content-Type: text/plain; charset=utf-8\r\n");
		if (e->cte != NULL && !had_cte) {
			add_field(dst, at, CTE_NAME ": ");
			buf_printf(dst, "%s\r\n", e->cte);
		}
		for (size_t i = at; i < dst->len; i++)
			if ((unsigned char)dst->data[i] >= 0x80)
				st->out_8bit = true;
	}
	hdr_index_release(&ix);
	return rc;
}
