/*
 * dkim_canon.h - DKIM canonicalization (RFC 6376 3.4): "simple" and
 * "relaxed" for header fields and bodies, and the streaming SHA-256 body hash.
 *
 * The body canonicalizer is a stream: bytes go in as they arrive, in chunks
 * of any size (a CRLF may be split across chunks), and the hash of the
 * canonical body comes out at the end, with the trailing empty lines removed
 * as 3.4.3 and 3.4.4 say, and the empty-body rules of the RFC and its errata
 * (simple: an empty body is one CRLF; relaxed: an empty body is empty). No
 * l= (body length limit) is supported: Postern never signs part of a body.
 *
 * Input is the message as sent: CRLF line ends. A bare LF or CR is hashed as
 * the octet it is (the submission server never lets one through).
 */
#ifndef POSTERN_DKIM_CANON_H
#define POSTERN_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum dkim_canon { DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED };

#define DKIM_HASH_LEN 32 /* SHA-256, the only hash Postern signs with */

/*
 * dkim_sha256 - OpenSSL's SHA-256, fetched from the provider once per
 * process (an implicit fetch per digest costs as much as hashing a 2 KiB
 * body). NULL if OpenSSL has none. Thread-safe.
 */
struct evp_md_st;
const struct evp_md_st *dkim_sha256(void);

/* the state of one body hash; private contents, sized for the stack */
struct dkim_body {
	enum dkim_canon canon;
	void *md;               /* EVP_MD_CTX */
	size_t pending_crlf;    /* line ends held back: the lines after them may all be empty */
	bool cr;                /* the last octet was a CR whose LF may come in the next chunk */
	bool wsp;               /* relaxed: white space held back (one SP, unless the line ends) */
	bool seen;              /* some octet of a non-empty line has been hashed */
	unsigned char buf[512]; /* canonical octets waiting for one EVP_DigestUpdate */
	size_t nbuf;
	uint64_t hashed; /* canonical octets hashed so far (all of them, after final) */
};

/* dkim_body_init - start a body hash. 0, or -1 (out of memory in OpenSSL). */
int dkim_body_init(struct dkim_body *b, enum dkim_canon canon);
void dkim_body_update(struct dkim_body *b, const char *p, size_t n);
/* dkim_body_final - the SHA-256 of the canonical body; releases the state. */
void dkim_body_final(struct dkim_body *b, unsigned char out[DKIM_HASH_LEN]);
/* dkim_body_release - drop the state without a result (safe after final). */
void dkim_body_release(struct dkim_body *b);

/*
 * dkim_canon_header - append the canonical form of one header field (n
 * octets: name, colon, value, folding and the final CRLF) to out, final
 * CRLF included (added if the field lacks it). relaxed: name lower-cased,
 * unfolded, runs of WSP as one SP, no WSP at the end of the value or around
 * the colon.
 */
void dkim_canon_header(enum dkim_canon canon, const char *field, size_t n, struct buf *out);

#endif
