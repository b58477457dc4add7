/*
 * inbound.h - the inbound SMTP listener: mail for Postern's own addresses
 * (unsubscribe+TOKEN@, bounces+TOKEN@, the complaints address), and nothing
 * else. It never relays: what it takes is read, acted on, and dropped.
 *
 * The handler decides which recipients are Postern's and what a message
 * means; this file is the protocol only.
 */
#ifndef POSTERN_INBOUND_H
#define POSTERN_INBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reply.h"

struct event_base;
struct inbound;

struct inbound_handler {
	/* rcpt - RPL_RCPT_OK if addr is one of Postern's, else the refusal (RPL_NOT_OURS, ...) */
	enum reply (*rcpt)(const char *addr, void *arg);
	/*
	 * message - the whole content (CRLF lines, dot-stuffing removed) for its
	 * recipients; sender "" for the null path. Borrowed for the call.
	 */
	void (*message)(const char *sender, char *const *rcpts, size_t nrcpts, const char *msg,
	                size_t len, const char *client, void *arg);
	void *arg;
};

struct inbound_limits {
	uint64_t max_size;   /* octets of a message */
	uint64_t timeout_ms; /* each command, and the whole of DATA */
	size_t max_conns;    /* sessions at once */
	size_t max_rcpts;    /* recipients of one message */
};

struct inbound *inbound_new(struct event_base *base, const char *hostname,
                            const struct inbound_handler *h, const struct inbound_limits *lim);
/* inbound_listen - serve the bound, listening socket fd (taken over). 0 or -1 with err */
int inbound_listen(struct inbound *in, int fd, const char *addr, char *err, size_t errlen);
void inbound_free(struct inbound *in);

#endif
