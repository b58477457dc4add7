/*
 * envelope.h - what the SMTP (or HTTP) transaction says about a message,
 * besides its content: who sent it through which source, and to whom.
 */
#ifndef POSTERN_ENVELOPE_H
#define POSTERN_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esmtp.h"

struct envelope_rcpt {
	char *addr; /* owned; "local@domain" */
	unsigned notify;
	char *orcpt; /* owned, NULL if not given */
};

struct envelope {
	uint64_t id;
	uint64_t arrival_ms;
	char *source; /* owned: the source's name */
	char *client; /* owned: the client address as text */
	char *helo;   /* owned, may be NULL */
	char *sender; /* owned: "" for the null reverse-path */
	enum body_type body;
	bool smtputf8;
	enum dsn_ret ret;
	char *envid;      /* owned, NULL if not given */
	char *pool;       /* owned: the IP pool to send from, NULL for the default */
	bool bulk;        /* the bulk lane: never ahead of urgent mail to the same place */
	char *quarantine; /* owned: the scanners' verdict (JSON) of a quarantined message, or NULL */
	bool require_tls; /* a data-loss rule matched: only over TLS with a verified certificate */
	char *stream;     /* owned: the broadcast stream it belongs to, NULL for transactional */
	struct envelope_rcpt *rcpts;
	size_t nrcpts, cap;
};

void envelope_init(struct envelope *e);
/* envelope_release - free everything the envelope owns; it is empty after. */
void envelope_release(struct envelope *e);
/* envelope_add_rcpt - copies addr and orcpt (which may be NULL). */
void envelope_add_rcpt(struct envelope *e, const char *addr, unsigned notify, const char *orcpt);
/* envelope_set - replace *field with a copy of value (NULL clears). */
void envelope_set(char **field, const char *value);

#endif
