/*
 * mime_dec.c - a leaf's content for the MIME parser: transfer decoding
 * (base64, quoted-printable, or none), conversion of text to UTF-8 (iconv,
 * or UTF-8 checked, or UTF-8 with windows-1252 for the rest), and delivery
 * to the callback in pieces of at most MIME_CHUNK octets, counted against
 * max_decoded.
 *
 * mime.c gives the content line by line: octets (which may hold bare CR or
 * LF but never the CRLF that ends the line), then the end of the line. The
 * CRLF of a line is owed until the next line comes: before a delimiter it
 * belongs to the delimiter (RFC 2046 5.1.1). Held between pieces: one
 * base64 quantum, a quoted-printable escape, an incomplete character.
 */
#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <string.h>

#include "buf.h"
#include "mime_internal.h"
#include "strutil.h"

#define FFFD "\xef\xbf\xbd" /* U+FFFD REPLACEMENT CHARACTER */

#define QP_EQWS "quoted-printable '=' followed by white space"

/* quoted-printable states */
enum { QS_TEXT, QS_EQ, QS_HEX, QS_EQWS };

static void deliver(struct mime_parser *m, bool last)
{
	m->delivered += m->out.len;
	m->fn(&m->info, m->out.data ? m->out.data : "", m->out.len, last, m->arg);
	buf_reset(&m->out);
}

/*
 * put - content for the callback (UTF-8 if the leaf is text: whole
 * characters only), counted; pieces are cut at MIME_CHUNK, text between
 * characters.
 */
static int put(struct mime_parser *m, const char *p, size_t n)
{
	bool text = m->dec.conv != CONV_BINARY;

	if (m->status != MIME_OK)
		return -1;
	if (n > m->lim.max_decoded - m->decoded)
		return mime_fail(m, MIME_LIMIT, "over %" PRIu64 " octets of decoded content",
		                 m->lim.max_decoded);
	m->decoded += n;
	while (n > 0) {
		size_t room = MIME_CHUNK - m->out.len;
		size_t k = n < room ? n : room;
		while (text && k > 0 && k < n && ((unsigned char)p[k] & 0xc0) == 0x80)
			k--;
		if (k == 0) {
			deliver(m, false);
			continue;
		}
		buf_append(&m->out, p, k);
		p += k;
		n -= k;
		if (m->out.len == MIME_CHUNK)
			deliver(m, false);
	}
	return 0;
}

/* invalid - k octets that are no UTF-8: windows-1252 each (CONV_GUESS) or one U+FFFD */
static int invalid(struct mime_parser *m, const unsigned char *p, size_t k)
{
	char c[3];

	if (m->dec.conv != CONV_GUESS)
		return put(m, FFFD, 3);
	for (size_t i = 0; i < k; i++)
		if (put(m, c, mime_cp1252(p[i], c)) < 0)
			return -1;
	return 0;
}

/*
 * drain - the held octets: characters and invalid octets go on; an
 * incomplete start stays, unless end
 */
static int drain(struct mime_parser *m, bool end)
{
	struct mime_dec *d = &m->dec;

	while (d->nhold > 0) {
		int r = d->hold[0] < 0x80 ? 1 : mime_utf8_seq(d->hold, d->nhold);
		if (r == 0 && !end)
			return 0;
		size_t k = r > 0 ? (size_t)r : r < 0 ? (size_t)-r : d->nhold;
		if ((r > 0 ? put(m, (const char *)d->hold, k) : invalid(m, d->hold, k)) < 0)
			return -1;
		memmove(d->hold, d->hold + k, d->nhold - k);
		d->nhold -= k;
	}
	return 0;
}

/* utf8_in - CONV_UTF8, CONV_GUESS: UTF-8 passes in runs, the rest is replaced */
static int utf8_in(struct mime_parser *m, const unsigned char *p, size_t n)
{
	struct mime_dec *d = &m->dec;
	size_t i = 0, run = 0;

	while (d->nhold > 0 && n > 0) {
		d->hold[d->nhold++] = *p++;
		n--;
		if (drain(m, false) < 0)
			return -1;
	}
	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		int r = mime_utf8_seq(p + i, n - i);
		if (r > 0) {
			i += (size_t)r;
			continue;
		}
		if (put(m, (const char *)p + run, i - run) < 0)
			return -1;
		if (r == 0) {
			memcpy(d->hold, p + i, n - i); /* at most 3 octets */
			d->nhold = n - i;
			return 0;
		}
		if (invalid(m, p + i, (size_t)-r) < 0)
			return -1;
		i += (size_t)-r;
		run = i;
	}
	return put(m, (const char *)p + run, n - run);
}

/* conv - convert what iconv can of n octets; *used: how many (the rest starts a character) */
static int conv(struct mime_parser *m, const char *p, size_t n, size_t *used)
{
	char tmp[4096], *in = (char *)p;
	size_t inleft = n;

	while (inleft > 0) {
		char *o = tmp;
		size_t oleft = sizeof(tmp);
		size_t r = iconv(m->cd, &in, &inleft, &o, &oleft);
		int e = errno;
		if (put(m, tmp, (size_t)(o - tmp)) < 0)
			return -1;
		if (r != (size_t)-1 || e == E2BIG)
			continue;
		if (e == EINVAL && inleft < MIME_HOLD_MAX)
			break; /* an incomplete character at the end: it waits for more */
		if (put(m, FFFD, 3) < 0)
			return -1;
		in++;
		inleft--;
	}
	*used = n - inleft;
	return 0;
}

/*
 * iconv_in - CONV_ICONV: octets gathered into batches of MIME_ICONV_BATCH,
 * converted when one is full (an incomplete character at its end waits for
 * the next). iconv is given the same batches however the message was cut:
 * stateful decoders (UTF-7, ISO-2022) report errors differently otherwise.
 */
static int iconv_batch(struct mime_parser *m)
{
	struct mime_dec *d = &m->dec;
	size_t used;

	if (conv(m, d->ib, d->nib, &used) < 0)
		return -1;
	memmove(d->ib, d->ib + used, d->nib - used);
	d->nib -= used;
	return 0;
}

static int iconv_in(struct mime_parser *m, const char *p, size_t n)
{
	struct mime_dec *d = &m->dec;

	while (n > 0) {
		size_t k = sizeof(d->ib) - d->nib;
		if (k > n)
			k = n;
		memcpy(d->ib + d->nib, p, k);
		d->nib += k;
		p += k;
		n -= k;
		if (d->nib == sizeof(d->ib) && iconv_batch(m) < 0)
			return -1;
	}
	return 0;
}

/* out - decoded octets, converted if the leaf is text */
static int out(struct mime_parser *m, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	switch (m->dec.conv) {
	case CONV_BINARY:
		return put(m, p, n);
	case CONV_UTF8:
	case CONV_GUESS:
		return utf8_in(m, (const unsigned char *)p, n);
	case CONV_ICONV:
		return iconv_in(m, p, n);
	}
	return -1;
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

/*
 * refuse - a decoder's verdict, after what it decoded before the bad octet
 * is passed on: so which comes first, this or the decoded limit, does not
 * depend on how the input was cut
 */
static int refuse(struct mime_parser *m, const char *ob, size_t o, const char *why)
{
	if (out(m, ob, o) < 0)
		return -1;
	return mime_fail(m, MIME_AMBIGUOUS, "%s", why);
}

/* base64 - strict but for white space, which goes anywhere */
static int base64(struct mime_parser *m, const char *p, size_t n)
{
	struct mime_dec *d = &m->dec;
	char ob[768];
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		int v = 0;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (d->padded)
			return refuse(m, ob, o, "data after the padding in base64");
		if (c == '=') {
			if (d->nq < 2)
				return refuse(m, ob, o, "base64 padding in the wrong place");
			d->pad++;
		} else if ((v = b64val(c)) < 0) {
			return refuse(m, ob, o, "an octet outside the base64 alphabet");
		} else if (d->pad > 0) {
			return refuse(m, ob, o, "base64 padding in the wrong place");
		}
		d->q[d->nq++] = (unsigned char)v;
		if (d->nq < 4)
			continue;
		unsigned acc = (unsigned)d->q[0] << 18 | (unsigned)d->q[1] << 12 |
		               (unsigned)d->q[2] << 6 | d->q[3];
		ob[o++] = (char)(acc >> 16);
		if (d->pad < 2)
			ob[o++] = (char)(acc >> 8);
		if (d->pad < 1)
			ob[o++] = (char)acc;
		d->padded = d->pad > 0;
		d->nq = d->pad = 0;
		if (o + 3 > sizeof(ob)) {
			if (out(m, ob, o) < 0)
				return -1;
			o = 0;
		}
	}
	return out(m, ob, o);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ascii_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* qp - quoted-printable octets of a line (RFC 2045 6.7): =XX decoded, anything else kept */
static int qp(struct mime_parser *m, const char *p, size_t n)
{
	struct mime_dec *d = &m->dec;
	char ob[512];
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (o + 3 > sizeof(ob)) {
			if (out(m, ob, o) < 0)
				return -1;
			o = 0;
		}
		switch (d->qs) {
		case QS_EQ:
			if (hexval(c) >= 0) {
				d->qh = (unsigned char)c;
				d->qs = QS_HEX;
				continue;
			}
			if (c == '\r' || c == '\n')
				return refuse(m, ob, o,
				              "quoted-printable '=' before a bare CR or LF");
			ob[o++] = '=';
			if (c == '=') {
				d->qs = QS_TEXT; /* "==" is one '=', as Python's a2b_qp has it */
				continue;
			}
			d->qs = c == ' ' || c == '\t' ? QS_EQWS : QS_TEXT;
			ob[o++] = c;
			continue;
		case QS_HEX:
			d->qs = QS_TEXT;
			if (hexval(c) >= 0) {
				ob[o++] = (char)(hexval((char)d->qh) * 16 + hexval(c));
				continue;
			}
			ob[o++] = '=';
			ob[o++] = (char)d->qh;
			break; /* c is text */
		case QS_EQWS:
			if (c == ' ' || c == '\t') {
				ob[o++] = c;
				continue;
			}
			d->qs = QS_TEXT;
			break;
		}
		if (c == '=')
			d->qs = QS_EQ;
		else
			ob[o++] = c;
	}
	return out(m, ob, o);
}

/* owed - the CRLF of the line before, now that another line has come */
static int owed(struct mime_parser *m)
{
	if (!m->dec.crlf)
		return 0;
	m->dec.crlf = false;
	return out(m, "\r\n", 2);
}

int mime_dec_data(struct mime_parser *m, const char *p, size_t n)
{
	if (m->dec.cte == CTE_BASE64)
		return base64(m, p, n);
	if (owed(m) < 0)
		return -1;
	return m->dec.cte == CTE_QP ? qp(m, p, n) : out(m, p, n);
}

int mime_dec_eol(struct mime_parser *m)
{
	struct mime_dec *d = &m->dec;

	if (d->cte == CTE_BASE64)
		return 0;
	if (owed(m) < 0)
		return -1;
	if (d->cte == CTE_QP) {
		int qs = d->qs;
		d->qs = QS_TEXT;
		if (qs == QS_EQ)
			return 0; /* a soft line break */
		if (qs == QS_EQWS)
			return mime_fail(m, MIME_AMBIGUOUS, "%s at the end of a line", QP_EQWS);
		if (qs == QS_HEX) {
			char e[2] = {'=', (char)d->qh};
			if (out(m, e, 2) < 0)
				return -1;
		}
	}
	d->crlf = true;
	return 0;
}

int mime_dec_end(struct mime_parser *m, bool at_delim)
{
	struct mime_dec *d = &m->dec;

	if (d->cte == CTE_BASE64 && d->nq != 0)
		return mime_fail(m, MIME_AMBIGUOUS, "base64 that ends in the middle of a quantum");
	if (d->cte == CTE_QP && d->qs == QS_EQWS)
		return mime_fail(m, MIME_AMBIGUOUS, "%s at the end", QP_EQWS);
	if (d->cte == CTE_QP && d->qs == QS_HEX) {
		char e[2] = {'=', (char)d->qh};
		if (out(m, e, 2) < 0)
			return -1;
	}
	d->qs = QS_TEXT; /* a last '=' alone is a soft line break */
	if (d->crlf && !at_delim && out(m, "\r\n", 2) < 0)
		return -1;
	d->crlf = false;
	if (d->conv == CONV_UTF8 || d->conv == CONV_GUESS) {
		if (drain(m, true) < 0)
			return -1;
	} else if (d->conv == CONV_ICONV) {
		char tmp[64], *o = tmp;
		size_t oleft = sizeof(tmp);
		if (iconv_batch(m) < 0 || (d->nib > 0 && put(m, FFFD, 3) < 0))
			return -1;
		d->nib = 0;
		iconv(m->cd, NULL, NULL, &o, &oleft); /* back to the initial shift state */
		if (put(m, tmp, (size_t)(o - tmp)) < 0)
			return -1;
	}
	if (m->status != MIME_OK)
		return -1;
	deliver(m, true);
	return 0;
}

/* choose - how the leaf's text becomes UTF-8 (m->cd set for CONV_ICONV) */
static int choose(struct mime_parser *m, enum mime_conv_kind *kind)
{
	const char *cs = m->leaf.charset;

	*kind = CONV_GUESS;
	if (m->leaf.charset_bad) {
		m->info.charset_unknown = true;
		return 0;
	}
	if (cs[0] == '\0' || strcmp(cs, "us-ascii") == 0 || strcmp(cs, "ascii") == 0)
		return 0;
	if (strcmp(cs, "utf-8") == 0 || strcmp(cs, "utf8") == 0) {
		*kind = CONV_UTF8;
		return 0;
	}
	if (mime_iconv_get(&m->ic, cs, &m->cd) < 0)
		return mime_fail(m, MIME_LIMIT, "over %zu charset conversions", m->ic.max_opens);
	if (m->cd == (iconv_t)-1)
		m->info.charset_unknown = true;
	else
		*kind = CONV_ICONV;
	return 0;
}

int mime_leaf_open(struct mime_parser *m)
{
	struct mime_dec *d = &m->dec;

	memset(d, 0, sizeof(*d));
	d->cte = m->leaf.cte;
	d->conv = CONV_BINARY;
	return m->info.text ? choose(m, &d->conv) : 0;
}

void mime_dec_close(struct mime_parser *m)
{
	mime_iconv_release(&m->ic);
	m->cd = (iconv_t)-1;
}
