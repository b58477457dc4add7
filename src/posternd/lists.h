/*
 * lists.h - the daemon's streams, suppression list and inbound listener,
 * wired to the queue (suppressed recipients, hard bounces, VERP senders)
 * and to the listener (what mail to Postern's own addresses means).
 */
#ifndef POSTERN_LISTS_H
#define POSTERN_LISTS_H

#include <stddef.h>

struct config;
struct event_base;
struct eventlog;
struct queue;
struct store;

struct lists {
	struct suppress *suppress; /* owned */
	struct feedback *feedback; /* owned */
	struct inbound *inbound;   /* owned */
};

/* lists_start - read or make STATE_DIR/unsubscribe.key, hook the queue. 0 or -1 with err */
int lists_start(struct lists *l, struct event_base *base, const struct config *c, struct store *st,
                struct eventlog *ev, struct queue *q, char *err, size_t errlen);
/* lists_listen - the inbound listener on a bound socket */
int lists_listen(struct lists *l, int fd, const char *addr, char *err, size_t errlen);
/* lists_apply - streams, links and the complaints address of a reloaded configuration */
void lists_apply(struct lists *l, const struct config *c);
/* lists_stop - close the inbound listener and its sessions */
void lists_stop(struct lists *l);
void lists_free(struct lists *l);

#endif
