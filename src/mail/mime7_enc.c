/*
 * mime7_enc.c - line encoders of the 7-bit converter: quoted-printable
 * (RFC 2045 6.7) for raw text and for repairing text already encoded,
 * base64 (RFC 2045 6.8) in 76-character lines, and the treatment of
 * preamble and epilogue lines.
 *
 * Every line produced is at most 76 characters (998 for preamble and
 * epilogue) and 7-bit. A line the encoders write or alter never starts with
 * '-', so it cannot be taken for a boundary delimiter (RFC 2046 5.1.1): the
 * input line was not one, but breaking it, or escaping in it ("--b\x80"
 * becomes "--b=80", a delimiter if the boundary is "b=80"), could make one.
 */
#include <string.h>

#include "base64.h"
#include "mime7_internal.h"

static const char hex[] = "0123456789ABCDEF";

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * put - append one token (a literal octet or an =XX triplet) to an encoded
 * line at column *col: a soft line break first if it would not fit. A token
 * that ends the line may reach column 76; any other must leave room for the
 * '=' of a soft break. A '-' opening a line is =2D.
 */
static void put(struct buf *dst, size_t *col, const char *t, size_t tn, bool last)
{
	if (*col + tn > (last ? M7_QP_LINE : M7_QP_LINE - 1)) {
		buf_append(dst, "=\r\n", 3);
		*col = 0;
	}
	if (*col == 0 && tn == 1 && t[0] == '-') {
		t = "=2D";
		tn = 3;
	}
	buf_append(dst, t, tn);
	*col += tn;
}

static void put_escaped(struct buf *dst, size_t *col, unsigned char c, bool last)
{
	char t[3] = {'=', hex[c >> 4], hex[c & 15]};

	put(dst, col, t, 3, last);
}

void mime7_qp_line(struct buf *dst, const char *p, size_t n, bool crlf)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		bool last = i + 1 == n;
		/* white space at the end of a line would be taken for transport padding */
		if ((c >= 33 && c <= 126 && c != '=') || (is_wsp((char)c) && !last))
			put(dst, &col, p + i, 1, last);
		else
			put_escaped(dst, &col, c, last);
	}
	if (crlf)
		buf_append(dst, "\r\n", 2);
}

/*
 * mime7_qp_repair keeps what is valid: =XX triplets (either case), a final
 * '=' (soft break), 7-bit octets. It escapes 8-bit octets and an '=' that
 * starts no triplet (robust decoders take it literally, RFC 2045 6.7 note 2,
 * and =3D says the same), and drops white space at the end of the line,
 * which decoders must delete anyway.
 */
void mime7_qp_repair(struct buf *dst, const char *p, size_t n, bool crlf)
{
	bool soft = n > 0 && p[n - 1] == '=';
	size_t end = soft ? n - 1 : n;
	size_t col = 0;

	if (!soft)
		while (end > 0 && is_wsp(p[end - 1]))
			end--;
	for (size_t i = 0; i < end;) {
		unsigned char c = (unsigned char)p[i];
		bool triplet = c == '=' && i + 2 < end && is_hex(p[i + 1]) && is_hex(p[i + 2]);
		size_t tn = triplet ? 3 : 1;
		bool last = i + tn == end && !soft;
		if (triplet || (c < 0x80 && c != '='))
			put(dst, &col, p + i, tn, last);
		else
			put_escaped(dst, &col, c, last);
		i += tn;
	}
	if (soft)
		put(dst, &col, "=", 1, true);
	if (crlf)
		buf_append(dst, "\r\n", 2);
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

/* decoders ignore what is outside the alphabet (RFC 2045 6.8), so dropping it changes nothing */
void mime7_b64_rewrap(struct buf *dst, const char *p, size_t n, bool crlf)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		if (!b64_char(p[i]))
			continue;
		if (col == M7_QP_LINE) {
			buf_append(dst, "\r\n", 2);
			col = 0;
		}
		buf_putc(dst, p[i]);
		col++;
	}
	if (col > 0 && crlf)
		buf_append(dst, "\r\n", 2);
}

void mime7_text_line(struct buf *dst, const char *p, size_t n, bool crlf)
{
	size_t i = 0;

	do {
		size_t k = n - i < M7_LINE ? n - i : M7_LINE;
		size_t at = dst->len;
		bool altered = i > 0;
		buf_append(dst, p + i, k);
		for (size_t j = at; j < dst->len; j++) {
			if ((unsigned char)dst->data[j] >= 0x80) {
				dst->data[j] = '?';
				altered = true;
			}
		}
		if (altered && dst->data[at] == '-')
			dst->data[at] = '?';
		i += k;
		if (i < n || crlf)
			buf_append(dst, "\r\n", 2);
	} while (i < n);
}

static void b64_line(struct buf *dst, const unsigned char *p, size_t n)
{
	char line[M7_QP_LINE + 4]; /* base64_len(57) is 77, the NUL included */

	base64_encode(p, n, line, sizeof(line));
	buf_append(dst, line, strlen(line));
	buf_append(dst, "\r\n", 2);
}

void mime7_b64_feed(struct m7_b64 *b, struct buf *dst, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;

	while (n > 0) {
		if (b->n == 0 && n >= M7_B64_BLOCK) {
			b64_line(dst, u, M7_B64_BLOCK);
			u += M7_B64_BLOCK;
			n -= M7_B64_BLOCK;
			continue;
		}
		size_t k = M7_B64_BLOCK - b->n < n ? M7_B64_BLOCK - b->n : n;
		memcpy(b->blk + b->n, u, k);
		b->n += k;
		u += k;
		n -= k;
		if (b->n == M7_B64_BLOCK) {
			b64_line(dst, b->blk, M7_B64_BLOCK);
			b->n = 0;
		}
	}
}

void mime7_b64_end(struct m7_b64 *b, struct buf *dst)
{
	if (b->n > 0)
		b64_line(dst, b->blk, b->n);
	b->n = 0;
}
