/*
 * compose.c - build an RFC 5322 message for the HTTP send API (compose.h):
 * its MIME structure, its bodies and the random boundaries between them;
 * the header fields are written by compose_hdr.c.
 *
 * Trust: every piece of text comes from an API client, and all of it is
 * checked before the first byte is written. Bodies are 7bit text with CRLF
 * lines, quoted-printable or base64, and no part can hold a delimiter line
 * (see compose.h).
 */
#include "compose.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "compose_internal.h"
#include "utf8.h"

#define QP_LINE   76 /* RFC 2045 6.7 (5) */
#define B64_BLOCK 57 /* octets making one 76-character base64 line */
#define TOKEN_LEN 24 /* random characters in a boundary */

static const char hexd[] = "0123456789ABCDEF";

int compose_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- bodies ----------------------------------------------------------- */

/* normalise - CRLF, bare LF and bare CR all become CRLF */
static void normalise(struct buf *dst, const char *s, size_t n)
{
	buf_reserve(dst, n + n / 16 + 2);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
			buf_append(dst, "\r\n", 2);
		} else if (s[i] == '\n') {
			buf_append(dst, "\r\n", 2);
		} else {
			buf_putc(dst, s[i]);
		}
	}
}

/*
 * sendable_7bit - normalised text that can go as it is: printable ASCII and
 * TAB, lines of at most 998 octets without trailing white space (which
 * transports may strip), and no "=_", which begins every boundary.
 */
static bool sendable_7bit(const char *s, size_t n)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
			if (i > 0 && is_wsp(s[i - 1]))
				return false;
			col = 0;
			i++;
			continue;
		}
		if ((c < 32 && c != '\t') || c > 126)
			return false;
		if (c == '=' && i + 1 < n && s[i + 1] == '_')
			return false;
		if (++col > COMPOSE_LINE_MAX)
			return false;
	}
	return n == 0 || !is_wsp(s[n - 1]);
}

/* one token of a quoted-printable line, after a soft break if it would not fit */
static void qp_put(struct buf *dst, size_t *col, const char *t, size_t tn, bool last)
{
	if (*col + tn > (last ? QP_LINE : QP_LINE - 1)) {
		buf_append(dst, "=\r\n", 3);
		*col = 0;
	}
	buf_append(dst, t, tn);
	*col += tn;
}

/*
 * qp_encode - quoted-printable (RFC 2045 6.7) of normalised text: '=',
 * controls, 8-bit octets and white space before a line end as =XX, soft line
 * breaks so no line passes 76 characters. A final line without CRLF stays
 * without one.
 */
static void qp_encode(struct buf *dst, const char *s, size_t n)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
			buf_append(dst, "\r\n", 2);
			col = 0;
			i++;
			continue;
		}
		bool last = i + 1 == n || (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n');
		if ((c >= 33 && c <= 126 && c != '=') || (is_wsp((char)c) && !last)) {
			qp_put(dst, &col, (const char *)&s[i], 1, last);
		} else {
			char t[3] = {'=', hexd[c >> 4], hexd[c & 15]};
			qp_put(dst, &col, t, 3, last);
		}
	}
}

/* text_entity - header fields, empty line and content of a text/<sub> part */
static void text_entity(struct buf *b, const char *sub, const char *s, size_t n)
{
	struct buf norm;

	buf_init(&norm);
	normalise(&norm, s, n);
	bool plain = sendable_7bit(norm.data, norm.len);
	buf_printf(b,
	           "Content-Type: text/%s; charset=utf-8\r\n"
	           "Content-Transfer-Encoding: %s\r\n\r\n",
	           sub, plain ? "7bit" : "quoted-printable");
	if (plain)
		buf_append(b, norm.data, norm.len);
	else
		qp_encode(b, norm.data, norm.len);
	buf_release(&norm);
}

/* base64 in lines of 76, CRLF between them (the delimiter ends the last) */
static void base64_lines(struct buf *b, const unsigned char *p, size_t n)
{
	char line[B64_BLOCK / 3 * 4 + 1];

	for (size_t i = 0; i < n; i += B64_BLOCK) {
		size_t k = n - i < B64_BLOCK ? n - i : B64_BLOCK;
		base64_encode(p + i, k, line, sizeof(line));
		if (i > 0)
			buf_append(b, "\r\n", 2);
		buf_puts(b, line);
	}
}

static void att_entity(struct buf *b, const struct compose_attachment *a)
{
	buf_printf(b, "Content-Type: %s",
	           a->content_type ? a->content_type : "application/octet-stream");
	compose_put_param(b, "name", a->filename);
	buf_printf(b, "\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: %s",
	           a->content_id ? "inline" : "attachment");
	compose_put_param(b, "filename", a->filename);
	buf_append(b, "\r\n", 2);
	if (a->content_id)
		buf_printf(b, "Content-ID: <%s>\r\n", a->content_id);
	buf_append(b, "\r\n", 2);
	base64_lines(b, a->data, a->len);
}

/*
 * The body: one entity (header fields, empty line, content). Its content
 * need not end in CRLF: a delimiter ("CRLF--boundary") or the caller adds it.
 */
static void alt_entity(struct buf *b, const struct compose_msg *m, const char *bnd)
{
	buf_printf(b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n--%s\r\n", bnd,
	           bnd);
	text_entity(b, "plain", m->text, m->text_len);
	buf_printf(b, "\r\n--%s\r\n", bnd);
	text_entity(b, "html", m->html, m->html_len);
	buf_printf(b, "\r\n--%s--", bnd);
}

static void body_entity(struct buf *b, const struct compose_msg *m, const char *alt)
{
	if (m->text && m->html)
		alt_entity(b, m, alt);
	else if (m->text)
		text_entity(b, "plain", m->text, m->text_len);
	else
		text_entity(b, "html", m->html, m->html_len);
}

static void mixed_entity(struct buf *b, const struct compose_msg *m, const char *mix,
                         const char *alt)
{
	buf_printf(b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", mix);
	if (m->text || m->html) {
		buf_printf(b, "--%s\r\n", mix);
		body_entity(b, m, alt);
		buf_append(b, "\r\n", 2);
	}
	for (size_t i = 0; i < m->natt; i++) {
		buf_printf(b, "--%s\r\n", mix);
		att_entity(b, &m->att[i]);
		buf_append(b, "\r\n", 2);
	}
	buf_printf(b, "--%s--", mix);
}

/*
 * boundaries - "=_mix_" and "=_alt_" then the same random token: neither is
 * a prefix of the other (RFC 2046 5.1.2), '=' and '_' are bchars, and "=_"
 * cannot occur in any part (see compose.h).
 */
static void boundaries(char mix[TOKEN_LEN + 7], char alt[TOKEN_LEN + 7])
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuv";
	unsigned char rnd[TOKEN_LEN];
	char tok[TOKEN_LEN + 1];

	randombytes_buf(rnd, sizeof(rnd));
	for (size_t i = 0; i < TOKEN_LEN; i++)
		tok[i] = alphabet[rnd[i] & 31];
	tok[TOKEN_LEN] = '\0';
	snprintf(mix, TOKEN_LEN + 7, "=_mix_%s", tok);
	snprintf(alt, TOKEN_LEN + 7, "=_alt_%s", tok);
}

/* ---- the message ------------------------------------------------------ */

static int check_parts(const struct compose_msg *m, char *err, size_t errlen)
{
	char why[160];

	if (m->text == NULL && m->html == NULL && m->natt == 0)
		return compose_fail(err, errlen, "the message has no text, html or attachment");
	if (m->subject != NULL) {
		size_t n = strlen(m->subject);
		if (n > COMPOSE_SUBJECT_MAX)
			return compose_fail(err, errlen, "subject: longer than %d octets",
			                    COMPOSE_SUBJECT_MAX);
		if (!compose_text_ok(m->subject, n, true, why, sizeof(why)))
			return compose_fail(err, errlen, "subject: %s", why);
	}
	if (m->text && !utf8_valid(m->text, m->text_len))
		return compose_fail(err, errlen, "text: not valid UTF-8");
	if (m->html && !utf8_valid(m->html, m->html_len))
		return compose_fail(err, errlen, "html: not valid UTF-8");
	for (size_t i = 0; i < m->nheaders; i++)
		if (!compose_header_ok(m->headers[i].name, m->headers[i].value, why, sizeof(why)))
			return compose_fail(err, errlen, "headers[%zu]: %s", i, why);
	for (size_t i = 0; i < m->natt; i++) {
		const struct compose_attachment *a = &m->att[i];
		size_t fn = a->filename ? strlen(a->filename) : 0;
		if (fn == 0 || fn > COMPOSE_FILENAME_MAX)
			return compose_fail(err, errlen,
			                    "attachments[%zu].filename: must be 1 to %d octets", i,
			                    COMPOSE_FILENAME_MAX);
		if (!compose_text_ok(a->filename, fn, false, why, sizeof(why)))
			return compose_fail(err, errlen, "attachments[%zu].filename: %s", i, why);
		if (a->content_type && !compose_content_type_ok(a->content_type, why, sizeof(why)))
			return compose_fail(err, errlen, "attachments[%zu].content_type: %s", i,
			                    why);
		if (a->content_id && !compose_content_id_ok(a->content_id, why, sizeof(why)))
			return compose_fail(err, errlen, "attachments[%zu].content_id: %s", i, why);
		if (a->data == NULL && a->len > 0)
			return compose_fail(err, errlen, "attachments[%zu]: no content", i);
	}
	return 0;
}

int compose_build(const struct compose_msg *m, struct buf *out, char *err, size_t errlen)
{
	char mix[TOKEN_LEN + 7], alt[TOKEN_LEN + 7];

	/* everything is checked before the first byte is written */
	if (compose_check_addrs(m, err, errlen) < 0 || check_parts(m, err, errlen) < 0)
		return -1;
	compose_put_fields(m, out);
	boundaries(mix, alt);
	if (m->natt > 0)
		mixed_entity(out, m, mix, alt);
	else
		body_entity(out, m, alt);
	if (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
		buf_append(out, "\r\n", 2);
	return 0;
}
