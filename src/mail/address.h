/*
 * address.h - strict parsing of SMTP paths (RFC 5321 section 4.1.2, with the
 * UTF-8 extensions of RFC 6531 when SMTPUTF8 was given).
 *
 * Refused, each with its own reply: source routes ("<@a,@b:u@c>"), the
 * '%'-hack and '!'-path forms, NUL and control characters, non-ASCII without
 * SMTPUTF8, malformed quoting, over-long parts, general address literals.
 */
#ifndef POSTERN_ADDRESS_H
#define POSTERN_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "reply.h"

#define ADDR_LOCAL_MAX  64  /* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX 255 /* RFC 5321 4.5.3.1.2 */
#define ADDR_MAX        254 /* a 256-octet path less its angle brackets */

struct mailaddr {
	char addr[ADDR_MAX + 1];          /* "local@domain" as given; "" for the null path */
	size_t local_len;                 /* octets of addr before the '@' */
	char domain[ADDR_DOMAIN_MAX + 1]; /* lower-cased (ASCII letters only) */
	bool utf8;                        /* non-ASCII anywhere */
	bool literal;                     /* domain is an address literal "[...]" */
};

enum addr_kind { ADDR_SENDER, ADDR_RCPT };

/*
 * addr_parse_path - parse "<...>" at the start of s. On success fills out,
 * sets *end just past the '>', and returns 0. On -1, *why is the reply.
 * The null path "<>" is accepted only for ADDR_SENDER.
 */
int addr_parse_path(const char *s, enum addr_kind kind, bool smtputf8, struct mailaddr *out,
                    const char **end, enum reply *why);

/*
 * addr_parse_mailbox - parse a bare "local@domain" (no angle brackets) of
 * exactly n bytes, with the same rules. For configuration and the HTTP API.
 */
int addr_parse_mailbox(const char *s, size_t n, bool smtputf8, struct mailaddr *out,
                       enum reply *why);

/* addr_is_domain - true if s (n bytes) is a valid domain name (ASCII or UTF-8 labels). */
bool addr_is_domain(const char *s, size_t n, bool utf8);

#endif
