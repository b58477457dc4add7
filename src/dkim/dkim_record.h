/*
 * dkim_record.h - the DNS TXT record that publishes a DKIM public key
 * (RFC 6376 3.6.1, RFC 8463 4.2): writing the one Postern asks the operator
 * to publish, and checking one found in DNS against it.
 *
 * No I/O, no allocation beyond the caller's buffer.
 */
#ifndef POSTERN_DKIM_RECORD_H
#define POSTERN_DKIM_RECORD_H

#include <stddef.h>

#include "buf.h"
#include "dkim_key.h"

/* dkim_record_format - append "v=DKIM1; k=rsa; p=<pub_b64>" (k=ed25519 for Ed25519). */
void dkim_record_format(enum dkim_alg alg, const char *pub_b64, struct buf *out);

/*
 * dkim_record_check - does the record txt (n octets: the TXT strings
 * concatenated) publish pub_b64 for alg? 0 if it does; -1 with why if not
 * ("p= holds a different key", "k= is rsa, the key is ed25519", "the key
 * is revoked (empty p=)", "not a DKIM key record: ..."). Rules: v=, if
 * present, is DKIM1 and the first tag; k= defaults to rsa; h=, if present,
 * lists sha256; s=, if present, lists email or *; white space inside p= is
 * ignored; unknown tags are ignored.
 */
int dkim_record_check(const char *txt, size_t n, enum dkim_alg alg, const char *pub_b64, char *why,
                      size_t whylen);

#endif
