/*
 * queue.c - hands spooled messages to the transport, a few at a time.
 *
 * Waiting messages are ids in a FIFO (8 octets each, nothing else in memory);
 * a delivery maps the file on a worker thread, delivers, and only then removes
 * it. A failed delivery goes back to the end of the FIFO after retry_ms.
 */
#include "queue.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "id.h"
#include "log.h"
#include "spool.h"
#include "strutil.h"
#include "workq.h"
#include "xmalloc.h"

struct queue {
	struct event_base *base;
	struct spool *sp;
	char *capture_dir;
	int concurrency;
	uint64_t retry_ms;
	struct workq *wq;
	uint64_t *fifo; /* ring buffer of ids */
	size_t head, len, cap;
	int inflight;
	bool stopping;
	struct retry *retries; /* waiting timers, freed by queue_free */
};

struct delivery {
	struct queue *q;
	uint64_t id;
	int result;
	char err[256];
	size_t nrcpts;
	uint64_t size, delay_ms;
};

struct retry {
	struct queue *q;
	struct retry *prev, *next;
	uint64_t id;
	struct event *ev;
};

static void pump(struct queue *q);

static void fifo_push(struct queue *q, uint64_t id)
{
	if (q->len == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 1024;
		uint64_t *n = xmalloc(ncap * sizeof(*n));
		for (size_t i = 0; i < q->len; i++)
			n[i] = q->fifo[(q->head + i) % q->cap];
		free(q->fifo);
		q->fifo = n;
		q->head = 0;
		q->cap = ncap;
	}
	q->fifo[(q->head + q->len) % q->cap] = id;
	q->len++;
}

static uint64_t fifo_pop(struct queue *q)
{
	uint64_t id = q->fifo[q->head];

	q->head = (q->head + 1) % q->cap;
	q->len--;
	return id;
}

static void deliver_work(void *arg)
{
	struct delivery *d = arg;
	struct spool_file f;

	d->result = -1;
	if (spool_load(d->q->sp, d->id, &f, d->err, sizeof(d->err)) < 0)
		return;
	d->nrcpts = f.msg.env.nrcpts;
	d->size = f.msg.size;
	d->delay_ms = now_ms() - f.msg.env.arrival_ms;
	if (capture_deliver(d->q->capture_dir, &f.msg, d->err, sizeof(d->err)) == 0) {
		d->result = 0;
		if (spool_remove(d->q->sp, d->id) < 0)
			snprintf(d->err, sizeof(d->err),
			         "delivered but not removed from the spool");
	}
	spool_file_release(&f);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct retry *r = arg;
	struct queue *q = r->q;

	if (r->prev)
		r->prev->next = r->next;
	else
		q->retries = r->next;
	if (r->next)
		r->next->prev = r->prev;
	fifo_push(q, r->id);
	event_free(r->ev);
	free(r);
	pump(q);
}

static void deliver_done(void *arg)
{
	struct delivery *d = arg;
	struct queue *q = d->q;
	char hex[ID_HEXLEN + 1];

	q->inflight--;
	id_format(d->id, hex);
	if (d->result == 0) {
		log_info("msg=%s delivery relay=capture nrcpt=%zu size=%" PRIu64
		         " delay=%.3fs status=sent",
		         hex, d->nrcpts, d->size, (double)d->delay_ms / 1000.0);
	} else {
		log_warn("msg=%s delivery relay=capture status=deferred error=\"%s\"", hex, d->err);
		if (!q->stopping) {
			struct retry *r = xcalloc(1, sizeof(*r));
			struct timeval tv = {(time_t)(q->retry_ms / 1000),
			                     (suseconds_t)(q->retry_ms % 1000) * 1000};
			r->q = q;
			r->id = d->id;
			r->ev = evtimer_new(q->base, on_retry, r);
			r->next = q->retries;
			if (r->next)
				r->next->prev = r;
			q->retries = r;
			evtimer_add(r->ev, &tv);
		}
	}
	free(d);
	pump(q);
}

static void pump(struct queue *q)
{
	while (!q->stopping && q->len > 0 && q->inflight < q->concurrency) {
		struct delivery *d = xcalloc(1, sizeof(*d));
		d->q = q;
		d->id = fifo_pop(q);
		q->inflight++;
		workq_submit(q->wq, deliver_work, deliver_done, d);
	}
}

struct queue *queue_new(struct event_base *base, struct spool *sp, const struct queue_config *cfg)
{
	struct queue *q = xcalloc(1, sizeof(*q));

	q->base = base;
	q->sp = sp;
	q->capture_dir = xstrdup(cfg->capture_dir);
	q->concurrency = cfg->concurrency > 0 ? cfg->concurrency : 1;
	q->retry_ms = cfg->retry_ms;
	q->wq = workq_new(base, q->concurrency, "deliver");
	return q;
}

void queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	q->stopping = true;
	workq_free(q->wq);
	while (q->retries) {
		struct retry *r = q->retries;
		q->retries = r->next;
		event_free(r->ev);
		free(r);
	}
	free(q->fifo);
	free(q->capture_dir);
	free(q);
}

void queue_add(struct queue *q, uint64_t id)
{
	fifo_push(q, id);
	pump(q);
}

size_t queue_length(const struct queue *q)
{
	return q->len + (size_t)q->inflight;
}
