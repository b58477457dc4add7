/*
 * fuzz_dkim_canon.c - libFuzzer: DKIM canonicalization (RFC 6376 3.4) checked
 * against a plain reference written from the RFC's words.
 *
 * The input is a body (after the first octet, which picks simple or relaxed
 * and the sizes of the pieces it is fed in). The streaming body hash, fed in
 * those pieces, must equal the SHA-256 of the reference's canonical body. The
 * input is also canonicalized as one header field, which must end in CRLF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "dkim_canon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* the canonical body by the RFC, line by line (lines end in CRLF; a bare CR or
 * LF is an ordinary octet) */
static void reference(enum dkim_canon canon, const char *p, size_t n, struct buf *out)
{
	size_t i = 0;

	while (i < n) {
		size_t e = i, next;
		while (e < n && !(p[e] == '\r' && e + 1 < n && p[e + 1] == '\n'))
			e++;
		next = e < n ? e + 2 : n;
		if (canon == DKIM_CANON_SIMPLE) {
			buf_append(out, p + i, e - i);
		} else {
			size_t end = e;
			while (end > i && wsp(p[end - 1])) /* 3.4.4 b: no WSP at the end */
				end--;
			for (size_t k = i; k < end; k++) {
				if (wsp(p[k])) { /* 3.4.4 a: a run of WSP is one SP */
					while (k + 1 < end && wsp(p[k + 1]))
						k++;
					buf_append(out, " ", 1);
				} else {
					buf_append(out, p + k, 1);
				}
			}
		}
		buf_append(out, "\r\n", 2); /* a last line without CRLF gets one */
		i = next;
	}
	/* 3.4.3 / 3.4.4 c: no empty lines at the end */
	while (out->len >= 4 && memcmp(out->data + out->len - 4, "\r\n\r\n", 4) == 0)
		out->len -= 2;
	if (out->len == 2 && memcmp(out->data, "\r\n", 2) == 0)
		out->len = 0;
	/* simple: an empty body is one CRLF; relaxed: an empty body stays empty */
	if (out->len == 0 && canon == DKIM_CANON_SIMPLE)
		buf_append(out, "\r\n", 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum dkim_canon canon;
	struct dkim_body b;
	unsigned char got[DKIM_HASH_LEN], want[DKIM_HASH_LEN];
	struct buf ref, hdr;
	const char *p;
	size_t n, off = 0, piece;
	unsigned int len;

	if (size < 1 || size > 65536)
		return 0;
	canon = (data[0] & 1) ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	piece = (size_t)(data[0] >> 1) + 1; /* 1..128 octets a piece */
	p = (const char *)data + 1;
	n = size - 1;

	if (dkim_body_init(&b, canon) < 0)
		return 0;
	while (off < n) {
		size_t k = n - off < piece ? n - off : piece;
		dkim_body_update(&b, p + off, k);
		off += k;
	}
	dkim_body_final(&b, got);

	buf_init(&ref);
	reference(canon, p, n, &ref);
	if (EVP_Digest(ref.len ? ref.data : "", ref.len, want, &len, EVP_sha256(), NULL) != 1)
		abort();
	if (memcmp(got, want, sizeof got) != 0)
		abort(); /* the stream and the RFC disagree */
	buf_release(&ref);

	buf_init(&hdr);
	dkim_canon_header(canon, p, n, &hdr);
	if (hdr.len < 2 || memcmp(hdr.data + hdr.len - 2, "\r\n", 2) != 0)
		abort();
	buf_release(&hdr);
	return 0;
}
