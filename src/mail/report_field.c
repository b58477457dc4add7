/*
 * report_field.c - fields of report blocks and header sections, and their
 * values: unfolding, cleaning, addresses. Every value is untrusted; what
 * leaves here is NUL-terminated UTF-8 without controls, or nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "header.h"
#include "report_internal.h"
#include "strutil.h"
#include "utf8.h"
#include "xmalloc.h"

#define TYPE_MAX 32 /* an address or diagnostic type: "rfc822", "smtp", "X-Postfix" */

size_t rpt_line(const char *p, size_t n, size_t pos, size_t *content)
{
	const char *lf = memchr(p + pos, '\n', n - pos);
	size_t len = lf ? (size_t)(lf - (p + pos)) + 1 : n - pos;
	size_t c = len;

	if (c > 0 && p[pos + c - 1] == '\n')
		c--;
	if (c > 0 && p[pos + c - 1] == '\r')
		c--;
	*content = c;
	return len;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

bool rpt_next_field(const char *p, size_t n, size_t *pos, struct rpt_field *f)
{
	while (*pos < n) {
		size_t c, len = rpt_line(p, n, *pos, &c), name_len;
		if (c == 0)
			return false;
		if (hdr_classify(p + *pos, len, &name_len) != HDR_LINE_FIELD) {
			*pos += len;
			continue;
		}
		f->name = p + *pos;
		f->name_len = name_len;
		f->val = (const char *)memchr(f->name + name_len, ':', len - name_len) + 1;
		size_t end = *pos + c; /* the end of the value's last line, its EOL excluded */
		*pos += len;
		while (*pos < n) {
			len = rpt_line(p, n, *pos, &c);
			if (c == 0 || !is_wsp(p[*pos]))
				break;
			end = *pos + c;
			*pos += len;
		}
		f->val_len = (size_t)(p + end - f->val);
		return true;
	}
	return false;
}

bool rpt_is_named(const struct rpt_field *f, const char *name)
{
	return f->name_len == strlen(name) && ascii_niequal(f->name, name, f->name_len);
}

bool rpt_find(const char *h, size_t hlen, const char *name, struct rpt_field *f, size_t *count)
{
	struct rpt_field cur;
	size_t pos = 0, k = 0;

	while (rpt_next_field(h, hlen, &pos, &cur)) {
		if (!rpt_is_named(&cur, name))
			continue;
		if (k++ == 0)
			*f = cur;
	}
	if (count)
		*count = k;
	return k == 1;
}

size_t rpt_unfold(const char *v, size_t n, char *dst, size_t cap, bool *cut)
{
	size_t o = 0, pend = 0; /* white space seen since the last octet written */
	bool fold = false;      /* and a line break among it */

	*cut = false;
	for (size_t i = 0; i < n; i++) {
		char ch = v[i];
		if (ch == '\r' || ch == '\n') {
			fold = true;
			continue;
		}
		if (is_wsp(ch)) {
			pend++;
			continue;
		}
		/* white space inside a line stays as it was; a fold and its white space are one */
		size_t k = o == 0 ? 0 : fold ? 1 : pend;
		if (cap - o < k + 1) {
			*cut = true;
			break;
		}
		memset(dst + o, ' ', k);
		o += k;
		dst[o++] = ch;
		pend = 0;
		fold = false;
	}
	dst[o] = '\0';
	return o;
}

bool rpt_clean(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n; i++)
		if (u[i] < 0x20 || u[i] == 0x7f)
			return false;
	return utf8_valid(s, n);
}

char *rpt_strict(const char *v, size_t n, size_t max)
{
	char *dst = xmalloc(max + 1);
	bool cut;
	size_t len = rpt_unfold(v, n, dst, max, &cut);

	if (cut || len == 0 || !rpt_clean(dst, len)) {
		free(dst);
		return NULL;
	}
	return dst;
}

/* type_end - the octets of a leading "type;" (the ';' included), or 0 if there is none */
static size_t type_end(const char *s, size_t n)
{
	for (size_t i = 0; i < n && i <= TYPE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ';')
			return i > 0 ? i + 1 : 0;
		/* an atom: printable ASCII but specials and white space */
		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,:\\\".[]", c))
			return 0;
	}
	return 0;
}

void rpt_after_type(const char **v, size_t *n)
{
	size_t i = 0, t;

	while (i < *n && (is_wsp((*v)[i]) || (*v)[i] == '\r' || (*v)[i] == '\n'))
		i++;
	t = type_end(*v + i, *n - i);
	*v += i + t;
	*n -= i + t;
}

/*
 * addr_ok - local@domain: the local part a quoted string or free of '@'
 * (so "@a@b" or a source route is refused), the domain a domain name or an
 * address literal; no controls, white space or brackets anywhere.
 */
static bool addr_ok(const char *a, size_t n)
{
	size_t at = 0;

	if (n > ADDR_MAX || n == 0 || !rpt_clean(a, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (a[i] == ' ' || a[i] == '<' || a[i] == '>')
			return false;
	if (a[0] == '"') {
		for (at = 1; at < n && a[at] != '"'; at++)
			if (a[at] == '\\')
				at++;
		at++; /* past the closing quote: the '@' must be there */
	} else {
		while (at < n && a[at] != '@')
			at++;
	}
	if (at == 0 || at >= n || a[at] != '@')
		return false;
	const char *dom = a + at + 1;
	size_t dlen = n - at - 1;
	if (dlen >= 3 && dom[0] == '[' && dom[dlen - 1] == ']')
		return memchr(dom, '@', dlen) == NULL; /* an address literal: printable */
	return addr_is_domain(dom, dlen, true);
}

char *rpt_addr(const char *v, size_t n, bool typed)
{
	char tmp[2 * ADDR_MAX + 2];
	bool cut;
	size_t len = rpt_unfold(v, n, tmp, sizeof(tmp) - 1, &cut);
	char *a = tmp;

	if (cut)
		return NULL;
	if (typed && memchr(a, ';', len)) {
		size_t t = type_end(a, len);
		if (!(t == 7 && ascii_niequal(a, "rfc822;", 7)) &&
		    !(t == 6 && ascii_niequal(a, "utf-8;", 6)))
			return NULL;
		a += t;
		len -= t;
	}
	while (len > 0 && a[0] == ' ')
		a++, len--;
	while (len > 0 && a[len - 1] == ' ')
		len--;
	if (len >= 2 && a[0] == '<' && a[len - 1] == '>')
		a++, len -= 2;
	if (!addr_ok(a, len))
		return NULL;
	return xstrndup(a, len);
}
