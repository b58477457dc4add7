/*
 * dkim_sign.h - building a DKIM-Signature field (RFC 6376 3.5, 3.7, 5.4,
 * 5.5; RFC 8463): header selection with over-signing, the header hash, and
 * the field itself. Mechanism only: which key and domain sign a message is
 * decided elsewhere (src/policy).
 *
 * Signing is split in three so the private-key operation can run anywhere
 * (a thread pool now, a key-holding process later):
 *   1. dkim_sig_prepare: the field with an empty b=, and the 32-octet digest
 *      of the selected header fields plus that field;
 *   2. dkim_key_sign (dkim_key.h) on the digest, wherever the key lives;
 *   3. dkim_sig_finish: the signature appended as b=, folded.
 *
 * Over-signing (5.4.2): every name in the list appears in h= once more than
 * the message has fields of that name, so a field added after signing (even
 * of a name the message did not have) breaks the signature. Fields are
 * selected bottom-up, as verifiers select them.
 *
 * The field is folded at 78 columns with CRLF HTAB; tags in the order
 * v a c d s t x h bh b. No l= tag, ever. No I/O, no globals.
 */
#ifndef POSTERN_DKIM_SIGN_H
#define POSTERN_DKIM_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dkim_canon.h"
#include "dkim_key.h"

#define DKIM_SIGN_MAX_NAMES 64 /* header field names one signature may list */

struct dkim_sig_params {
	enum dkim_alg alg;
	enum dkim_canon hcanon, bcanon; /* c=; Postern signs relaxed/relaxed */
	const char *domain;             /* d= */
	const char *selector;           /* s= */
	int64_t timestamp;              /* t=, seconds since the epoch */
	int64_t expire;                 /* x=, 0 to leave it out; must be > timestamp */
	const char *const *headers;     /* names to sign (each over-signed), case as given */
	size_t nheaders;
};

/*
 * dkim_sig_prepare - for the header section hdr (n octets: the fields as
 * they will be sent, CRLF lines, no empty line) and the body hash bh (of
 * the body canonicalized with p->bcanon), write the DKIM-Signature field
 * with an empty b= to *field (appended; no final CRLF) and the SHA-256 of
 * the header data to sign to digest. 0, or -1 with err (a malformed header
 * section, an invalid domain or selector, x= not after t=, a header name
 * that is invalid or listed twice, From not in the list or not in the
 * section); *field is untouched on -1.
 */
int dkim_sig_prepare(const struct dkim_sig_params *p, const char *hdr, size_t n,
                     const unsigned char bh[DKIM_HASH_LEN], struct buf *field,
                     unsigned char digest[DKIM_HASH_LEN], char *err, size_t errlen);

/*
 * dkim_sig_finish - append sig as the b= value (base64, folded) and the final
 * CRLF. The column is counted from the last LF in field.
 */
void dkim_sig_finish(struct buf *field, const unsigned char *sig, size_t siglen);

/*
 * dkim_sig_digest - the verifier's side of dkim_sig_prepare: for an existing
 * DKIM-Signature field sig (slen octets, name included, final CRLF optional)
 * and the header section hdr (n octets, as for dkim_sig_prepare; the field
 * itself need not be in it), the SHA-256 of the header data it signs (RFC
 * 6376 3.7): the fields its h= names, selected bottom-up and canonicalized
 * as its c= says, then the field with its b= value emptied. Only c=, h= and
 * b= are read; the other tags are hashed, not judged. dkim_sig_prepare hashes
 * its own field through this same path. 0, or -1 with err (malformed
 * section, tag list, c= or h=; no h= or b=).
 */
int dkim_sig_digest(const char *hdr, size_t n, const char *sig, size_t slen,
                    unsigned char digest[DKIM_HASH_LEN], char *err, size_t errlen);

#endif
