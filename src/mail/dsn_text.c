/*
 * dsn_text.c - untrusted text into a DSN: clean() decides which octets may
 * appear at all, wrap() alone decides where lines end, so no input can end a
 * line, start a field or reach 998 octets. Also the decoders of the encoded
 * forms a DSN receives (xtext, RFC 3461; utf-8-addr-xtext/unitext, RFC 6533)
 * and the escaped form it writes in a 7-bit report.
 */
#include "dsn_text.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "strutil.h"
#include "utf8.h"

#define FOLD_SOFT     78  /* RFC 5322 2.1.1: SHOULD */
#define FOLD_HARD     900 /* words are cut here, well below the 998 of the MUST */
#define SPACE_RUN_MAX 16  /* longer runs of white space become one space */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
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

bool dsn_text_is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c) ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

void dsn_text_clean(struct buf *out, const char *s, size_t n, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		if (c == '\r' || c == '\n') {
			while (i < n && (p[i] == '\r' || p[i] == '\n'))
				i++;
			buf_putc(out, (flags & DSN_CL_BREAKS) ? '\n' : ' ');
			continue;
		}
		if (c >= 0x80) {
			size_t l = (flags & DSN_CL_UTF8) ? utf8_seq_len(p + i, n - i) : 0;
			if (l > 1) {
				buf_append(out, p + i, l);
				i += l;
				continue;
			}
			c = '?';
		} else if (c == '\0') {
			i++;
			continue;
		} else if (c == '\t') {
			c = ' ';
		} else if (c < 0x20 || c == 0x7f) {
			c = '?';
		}
		buf_putc(out, (char)c);
		i++;
	}
}

/* put_word - a word of n octets at *col, cut before FOLD_HARD (never inside UTF-8) */
static void put_word(struct buf *out, const char *w, size_t n, size_t *col, const char *indent)
{
	while (*col + n > FOLD_HARD) {
		size_t k = FOLD_HARD - *col;
		while (k > 1 && ((unsigned char)w[k] & 0xc0) == 0x80)
			k--;
		buf_append(out, w, k);
		buf_puts(out, "\r\n");
		buf_puts(out, indent ? indent : " ");
		*col = indent ? strlen(indent) : 1;
		w += k;
		n -= k;
	}
	buf_append(out, w, n);
	*col += n;
}

void dsn_text_wrap(struct buf *out, size_t col, const char *v, size_t n, const char *indent)
{
	bool brk = false, first = true;
	size_t i = 0;

	while (i < n) {
		size_t s = 0, w = 0;
		for (; i < n && (v[i] == ' ' || v[i] == '\n'); i++) {
			if (v[i] == '\n') {
				brk = true;
				s = 0;
			} else {
				s++;
			}
		}
		while (i + w < n && v[i + w] != ' ' && v[i + w] != '\n')
			w++;
		if (w == 0)
			break;
		if (s > SPACE_RUN_MAX)
			s = 1;
		if (first) {
			s = indent ? 0 : 1;
		} else if (brk || col + s + w > FOLD_SOFT) {
			buf_puts(out, "\r\n");
			col = 0;
			if (indent) {
				buf_puts(out, indent);
				col = strlen(indent);
				s = 0;
			} else if (s == 0) {
				s = 1;
			}
		}
		brk = first = false;
		for (size_t k = 0; k < s; k++)
			buf_putc(out, ' ');
		col += s;
		put_word(out, v + i, w, &col, indent);
		i += w;
	}
}

void dsn_text_field(struct buf *out, const char *name, const char *v, size_t n)
{
	buf_puts(out, name);
	buf_putc(out, ':');
	dsn_text_wrap(out, strlen(name) + 1, v, n, NULL);
	buf_puts(out, "\r\n");
}

void dsn_text_field_clean(struct buf *out, struct buf *v, const char *name, const char *prefix,
                          const char *s, unsigned flags)
{
	buf_reset(v);
	buf_puts(v, prefix);
	dsn_text_clean(v, s, strlen(s), flags);
	dsn_text_field(out, name, v->data, v->len);
}

void dsn_text_field_date(struct buf *out, const char *name, time_t t)
{
	char d[64];

	rfc5322_date(t, d, sizeof(d));
	buf_printf(out, "%s: %s\r\n", name, d);
}

void dsn_text_xtext_decode(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			buf_putc(out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
			i += 2;
		} else {
			buf_putc(out, s[i]);
		}
	}
}

static void put_utf8(struct buf *out, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12), n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18), n = 4;
	}
	for (size_t k = 1; k < n; k++)
		b[k] = (unsigned char)(0x80 | ((cp >> (6 * (n - 1 - k))) & 0x3f));
	buf_append(out, b, n);
}

int dsn_text_unitext_decode(struct buf *out, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (s[i] != '\\') {
			buf_putc(out, s[i++]);
			continue;
		}
		if (i + 3 >= n || s[i + 1] != 'x' || s[i + 2] != '{')
			return -1;
		uint32_t cp = 0;
		size_t j = i + 3;
		for (; j < n && j < i + 10 && hexval(s[j]) >= 0; j++)
			cp = cp * 16 + (uint32_t)hexval(s[j]);
		if (j >= n || s[j] != '}' || j - (i + 3) < 2 || j - (i + 3) > 6)
			return -1;
		if (cp < 0x20 || cp == 0x7f || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		put_utf8(out, cp);
		i = j + 1;
	}
	return 0;
}

void dsn_text_xform(struct buf *out, const char *s, size_t n, bool raw)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		if (c < 0x80) {
			if (raw && (c == ' ' || c == '\\' || c == '+' || c == '='))
				buf_printf(out, "\\x{%02X}", c);
			else
				buf_putc(out, (char)c);
			i++;
			continue;
		}
		size_t l = utf8_seq_len(p + i, n - i);
		if (l < 2) {
			buf_putc(out, '?');
			i++;
			continue;
		}
		uint32_t cp = l == 2 ? c & 0x1fu : l == 3 ? c & 0x0fu : c & 0x07u;
		for (size_t k = 1; k < l; k++)
			cp = cp << 6 | (p[i + k] & 0x3fu);
		buf_printf(out, "\\x{%" PRIX32 "}", cp);
		i += l;
	}
}
