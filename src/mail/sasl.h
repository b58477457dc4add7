/*
 * sasl.h - decoding the client side of SASL PLAIN (RFC 4616) and LOGIN.
 *
 * Input is the base64 text the client sent (an initial response or a
 * continuation line). Decoded secrets live in caller-provided buffers which
 * the caller wipes (sodium_memzero) as soon as they are checked.
 */
#ifndef POSTERN_SASL_H
#define POSTERN_SASL_H

#include <stddef.h>

#include "reply.h"

#define SASL_FIELD_MAX 255

struct sasl_creds {
	char user[SASL_FIELD_MAX + 1];
	char pass[SASL_FIELD_MAX + 1];
};

/*
 * sasl_plain_decode - "[authzid] NUL authcid NUL passwd" in base64. An authzid
 * other than empty or the authcid itself is refused: no one acts for another.
 * Returns 0, or -1 with *why: RPL_AUTH_CANCELLED ("*"), RPL_AUTH_SYNTAX.
 */
int sasl_plain_decode(const char *b64, size_t n, struct sasl_creds *out, enum reply *why);

/* sasl_field_decode - one base64 field (a LOGIN user name or password): 1-255
 * octets, no NUL. Same returns as above. */
int sasl_field_decode(const char *b64, size_t n, char *out, size_t outcap, enum reply *why);

#endif
