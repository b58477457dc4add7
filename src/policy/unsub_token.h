/*
 * unsub_token.h - the token of a one-click unsubscribe link (RFC 8058): who
 * (recipient), from what (stream, source) and when, MACed so that nobody but
 * Postern can make one.
 *
 * Layout, then base64url without padding:
 *   0x01 | issued (4 octets, big-endian seconds) | len source | source |
 *   len stream | stream | len rcpt | rcpt | HMAC-SHA256(secret, all before)[0..16)
 * The MAC is checked in constant time against each secret given (the current
 * one, then the one before a rotation while it is still accepted); nothing of
 * the claim is trusted before it matches. Pure: no I/O.
 */
#ifndef POSTERN_UNSUB_TOKEN_H
#define POSTERN_UNSUB_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

#define UNSUB_SECRET_LEN 32
#define UNSUB_MAC_LEN    16
#define UNSUB_TOKEN_MAX  600 /* base64url characters at most */

struct unsub_claim {
	char rcpt[STORE_ADDR_MAX + 1];
	char stream[STORE_STREAM_MAX + 1];
	char source[SOURCE_NAME_MAX + 1];
	int64_t issued; /* seconds since the epoch */
};

/* unsub_token_make - append the token of c under secret to out; -1 if a field is too long */
int unsub_token_make(const unsigned char secret[UNSUB_SECRET_LEN], const struct unsub_claim *c,
                     struct buf *out);

enum unsub_verdict { UNSUB_OK, UNSUB_BAD, UNSUB_EXPIRED };
/*
 * unsub_token_read - the claim of token if its MAC matches one of the
 * nsecrets secrets and it was issued at most lifetime seconds before now
 * (and not in the future, beyond a minute of clock skew).
 */
enum unsub_verdict unsub_token_read(const unsigned char (*secrets)[UNSUB_SECRET_LEN],
                                    size_t nsecrets, const char *token, int64_t now,
                                    int64_t lifetime, struct unsub_claim *out);

/*
 * The token of an address that names a message, bounces+TOKEN@BOUNCE-DOMAIN
 * (VERP, label "verp") and unsubscribe+TOKEN@MAILTO-DOMAIN (label "unsub"):
 * its queue id and a MAC (HMAC-SHA256 of the label, a NUL and the id, 10
 * octets), 24 base64url characters, so the local part stays well within the
 * 64 octets of RFC 5321 4.5.3.1.1 (a link token, with the address in it,
 * would not).
 */
#define VERP_MAC_LEN   10
#define VERP_TOKEN_LEN 24
void verp_token_make(const unsigned char secret[UNSUB_SECRET_LEN], const char *label,
                     uint64_t msg_id, char out[VERP_TOKEN_LEN + 1]);
/* verp_token_read - the id of a VERP token (len characters) whose MAC matches a secret */
bool verp_token_read(const unsigned char (*secrets)[UNSUB_SECRET_LEN], size_t nsecrets,
                     const char *label, const char *token, size_t len, uint64_t *msg_id);

/*
 * The token of a VERP envelope sender, bounces+TOKEN@BOUNCE-DOMAIN, which
 * names a message and one of its recipients: the queue id, the recipient's
 * index, a MAC over both (5 octets: enough to refuse made-up addresses at
 * RCPT) and a MAC over both and the recipient's address in lower case (6
 * octets: a report acts only on the recipient the token was made for,
 * whatever addresses it names). 21 octets, 28 base64url characters.
 */
#define RCPT_MAC1_LEN  5
#define RCPT_MAC2_LEN  6
#define RCPT_RAW_LEN   (10 + RCPT_MAC1_LEN + RCPT_MAC2_LEN)
#define RCPT_TOKEN_LEN 28
void rcpt_token_make(const unsigned char secret[UNSUB_SECRET_LEN], uint64_t msg_id, unsigned idx,
                     const char *rcpt, char out[RCPT_TOKEN_LEN + 1]);
/*
 * rcpt_token_read - the message id and recipient index of a token (len
 * characters) whose first MAC matches a secret and, if rcpt is not NULL,
 * whose second MAC says it was made for rcpt (lower case)
 */
bool rcpt_token_read(const unsigned char (*secrets)[UNSUB_SECRET_LEN], size_t nsecrets,
                     const char *token, size_t len, const char *rcpt, uint64_t *msg_id,
                     unsigned *idx);

#endif
