/*
 * queue.h - the queue manager: takes committed messages from the spool and
 * hands them to the transport, removing each from the spool only after it was
 * delivered. This first version knows one transport, capture; the delivery
 * engine (routes, MX, retries) grows here.
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct spool;

struct queue_config {
	const char *capture_dir; /* copied */
	int concurrency;         /* deliveries at once */
	uint64_t retry_ms;       /* wait after a failed attempt */
};

struct queue;

/* queue_new - sp is borrowed and must outlive the queue. */
struct queue *queue_new(struct event_base *base, struct spool *sp, const struct queue_config *cfg);
/* queue_free - waits for deliveries in progress. */
void queue_free(struct queue *q);
/* queue_add - a message that is durable in the spool. */
void queue_add(struct queue *q, uint64_t id);
size_t queue_length(const struct queue *q);

#endif
