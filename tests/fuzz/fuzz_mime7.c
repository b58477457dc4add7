/*
 * fuzz_mime7.c - libFuzzer: the 7-bit converter. The first byte chooses the
 * window (small or the default) and the second how the body is cut; the rest
 * is a message: its header section up to the first empty line, then the
 * body. The output must not depend on the cuts, and after 0 from
 * mime7_finish: exactly one header output, before any body output; no line
 * over 998 octets; an 8-bit octet only in a line of a part header (and then
 * out_8bit says so); a message already 7-bit with short lines passes
 * unchanged (unless a part declared 8bit or binary was relabelled); a body
 * without any Content-* field is either unchanged or quoted-printable that
 * decodes to it exactly; converting the output again changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "header.h"
#include "mime7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
	struct buf hdr, body;
	int nhdr;
	bool early; /* body output before the header, or empty body output */
};

static void sink(enum mime7_out kind, const char *p, size_t n, void *arg)
{
	struct out *o = arg;

	if (kind == MIME7_HEADER) {
		o->nhdr++;
		buf_append(&o->hdr, p, n);
		return;
	}
	if (o->nhdr == 0 || n == 0)
		o->early = true;
	buf_append(&o->body, p, n);
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* run - convert; cut == 0: the body in one piece, else in pieces of 0 to cut octets */
static int run(const char *hdr, size_t hn, const char *body, size_t bn, size_t window, unsigned cut,
               struct out *o, struct mime7_stats *st, char *err, size_t errlen)
{
	struct mime7 *m = mime7_new(hdr, hn, window, sink, o);
	uint64_t seed = 0x9e3779b97f4a7c15ULL ^ cut;
	size_t pos = 0;
	int rc = 0;

	while (pos < bn && rc == 0) {
		size_t k = cut == 0 ? bn - pos : (size_t)(next(&seed) % (cut + 1));
		if (k > bn - pos)
			k = bn - pos;
		/* a copy of exactly k octets, so that a read past the piece is seen */
		char *piece = malloc(k ? k : 1);
		memcpy(piece, body + pos, k);
		rc = mime7_write(m, piece, k, err, errlen);
		free(piece);
		pos += k;
	}
	if (rc == 0)
		rc = mime7_finish(m, err, errlen);
	if (rc != 0 && err[0] == '\0')
		abort(); /* -1 always says why */
	mime7_get_stats(m, st);
	mime7_free(m);
	return rc;
}

/* each_line - the longest line, and whether an 8-bit octet is in a line that is no header line */
static size_t each_line(const char *p, size_t n, bool *bad8)
{
	size_t longest = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && !(p[j] == '\r' && j + 1 < n && p[j + 1] == '\n'))
			j++;
		if (j - i > longest)
			longest = j - i;
		for (size_t k = i; k < j; k++) {
			if ((unsigned char)p[k] < 0x80)
				continue;
			size_t nl;
			enum hdr_line t = hdr_classify(p + i, j - i + 2, &nl);
			if (t != HDR_LINE_FIELD && t != HDR_LINE_CONT)
				*bad8 = true;
			break;
		}
		i = j < n ? j + 2 : n;
	}
	return longest;
}

/* clean - 7-bit, and no line over 998 octets */
static bool clean(const char *p, size_t n)
{
	bool bad8 = false;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return false;
	return each_line(p, n, &bad8) <= 998;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1; /* the converter writes upper case only */
}

/* qp_decode - RFC 2045 6.7, strictly: what the converter writes must decode this way */
static void qp_decode(const char *p, size_t n, struct buf *o)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && !(p[j] == '\r' && j + 1 < n && p[j + 1] == '\n'))
			j++;
		bool crlf = j<n, soft = j> i && p[j - 1] == '=';
		size_t end = soft ? j - 1 : j;
		for (size_t k = i; k < end; k++) {
			if (p[k] != '=') {
				buf_putc(o, p[k]);
				continue;
			}
			if (k + 2 >= end || unhex(p[k + 1]) < 0 || unhex(p[k + 2]) < 0)
				abort(); /* a lone '=' in the converter's output */
			buf_putc(o, (char)(unhex(p[k + 1]) * 16 + unhex(p[k + 2])));
			k += 2;
		}
		if (crlf && !soft)
			buf_append(o, "\r\n", 2);
		i = crlf ? j + 2 : n;
	}
}

/* no_content_fields - no Content-* field: the body is text/plain, QP if anything */
static bool no_content_fields(const char *p, size_t n)
{
	for (size_t i = 0; i + 8 <= n; i++)
		if (strncasecmp(p + i, "content-", 8) == 0)
			return false;
	return true;
}

static bool same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static bool equals(const struct buf *a, const char *p, size_t n)
{
	return a->len == n && (n == 0 || memcmp(a->data, p, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out a, b;
	struct mime7_stats sa, sb;

	if (size < 2 || size > 1024 * 1024)
		return 0;
	size_t window = data[0] & 1 ? (size_t)(data[0] >> 1) * 64 : MIME7_WINDOW;
	unsigned cut = data[1];
	const char *msg = (const char *)data + 2;
	size_t n = size - 2, hn = n, bn = 0;
	const char *body = msg + n;
	const char *e = memmem(msg, n, "\r\n\r\n", 4);
	if (e != NULL) {
		hn = (size_t)(e - msg) + 2;
		body = e + 4;
		bn = n - hn - 2;
	}

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	buf_init(&a.hdr);
	buf_init(&a.body);
	buf_init(&b.hdr);
	buf_init(&b.body);
	char err[256];
	int ra = run(msg, hn, body, bn, window, 0, &a, &sa, err, sizeof(err));
	int rb = run(msg, hn, body, bn, window, cut, &b, &sb, err, sizeof(err));
	if (ra != rb)
		abort();
	if (ra == 0) {
		bool hdr8 = false, bad8 = false;
		if (!same(&a.hdr, &b.hdr) || !same(&a.body, &b.body))
			abort();
		if (a.nhdr != 1 || a.early || b.nhdr != 1 || b.early)
			abort();
		/* the top-level header is the caller's: any line may keep its 8-bit octets */
		if (each_line(a.hdr.data, a.hdr.len, &hdr8) > 998 ||
		    each_line(a.body.data, a.body.len, &bad8) > 998)
			abort();
		if (bad8)
			abort(); /* an 8-bit octet in a body line */
		bool any8 = false;
		for (size_t i = 0; i < a.hdr.len + a.body.len && !any8; i++)
			any8 = (unsigned char)(i < a.hdr.len ? a.hdr.data[i]
			                                     : a.body.data[i - a.hdr.len]) >= 0x80;
		if (any8 != sa.out_8bit)
			abort();
		if (window == MIME7_WINDOW && sa.relabelled == 0 && clean(msg, hn) &&
		    clean(body, bn) && (!equals(&a.hdr, msg, hn) || !equals(&a.body, body, bn)))
			abort(); /* clean, yet changed */
		if (no_content_fields(msg, hn) && sa.qp == 1) {
			/* lossless: the QP body decodes to the body given */
			struct buf dec;
			buf_init(&dec);
			qp_decode(a.body.data, a.body.len, &dec);
			if (!equals(&dec, body, bn))
				abort();
			buf_release(&dec);
		} else if (no_content_fields(msg, hn) && !equals(&a.body, body, bn)) {
			abort(); /* not encoded, yet changed */
		}
		/* the output needs nothing more: converting it again gives it back */
		struct out c;
		struct mime7_stats sc;
		memset(&c, 0, sizeof(c));
		buf_init(&c.hdr);
		buf_init(&c.body);
		int rc =
		        run(a.hdr.data ? a.hdr.data : "", a.hdr.len, a.body.data ? a.body.data : "",
		            a.body.len, window, cut, &c, &sc, err, sizeof(err));
		/* folds and added fields may push a part header just over its limit */
		if (rc != 0 && strstr(err, "header section over") == NULL)
			abort();
		if (rc == 0 && (!same(&c.hdr, &a.hdr) || !same(&c.body, &a.body)))
			abort();
		buf_release(&c.hdr);
		buf_release(&c.body);
	}
	buf_release(&a.hdr);
	buf_release(&a.body);
	buf_release(&b.hdr);
	buf_release(&b.body);
	return 0;
}
