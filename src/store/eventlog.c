/* eventlog.c - the batched event writer thread. */
#include "eventlog.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "id.h"
#include "log.h"
#include "store.h"
#include "strutil.h"
#include "xmalloc.h"

#define MAX_QUEUED 100000
#define FLUSH_MS   100
/* pruning: a small batch per turn, one turn per PRUNE_EVERY_MS while there is more */
#define PRUNE_BATCH    1000
#define PRUNE_EVERY_MS 1000

struct eventlog {
	struct store *st;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct store_event *head, *tail;
	size_t queued;
	bool stopping;
	struct eventlog_stats stats;
	eventlog_tap_fn tap;
	void *tap_arg;
	uint64_t retention_ms; /* under lock */
	uint64_t next_prune_ms;
	uint64_t added, done; /* events queued, and written or dropped, so far (under lock) */
	pthread_cond_t written;
};

static void ev_free(struct store_event *e)
{
	free(e->source);
	free(e->sender);
	free(e->rcpt);
	free(e->detail);
	free(e);
}

static void write_batch(struct eventlog *el, struct store_event *batch, size_t n)
{
	char err[256];

	if (store_events_insert(el->st, batch, err, sizeof(err)) < 0) {
		log_err("events write failed error=\"%s\" lost=%zu", err, n);
		pthread_mutex_lock(&el->lock);
		el->stats.failed_batches++;
		el->stats.dropped += n;
		pthread_mutex_unlock(&el->lock);
	} else {
		pthread_mutex_lock(&el->lock);
		el->stats.written += n;
		pthread_mutex_unlock(&el->lock);
	}
	while (batch) {
		struct store_event *next = batch->next;
		ev_free(batch);
		batch = next;
	}
}

/* delete a batch of expired events if it is time; called unlocked */
static void prune(struct eventlog *el, uint64_t retention_ms)
{
	char err[256];
	size_t n = 0;
	uint64_t now = now_ms();

	if (retention_ms == 0 || now < el->next_prune_ms)
		return;
	if (store_events_prune(el->st, (int64_t)(now - retention_ms), PRUNE_BATCH, &n, err,
	                       sizeof(err)) < 0)
		log_warn("events prune failed error=\"%s\"", err);
	/* a full batch means there is more: go on soon, but let the writes in first */
	el->next_prune_ms = n == PRUNE_BATCH ? now + 10 : now + PRUNE_EVERY_MS;
	if (n > 0) {
		pthread_mutex_lock(&el->lock);
		el->stats.pruned += n;
		pthread_mutex_unlock(&el->lock);
	}
}

static void *writer(void *arg)
{
	struct eventlog *el = arg;

	pthread_mutex_lock(&el->lock);
	for (;;) {
		if (el->head == NULL) {
			if (el->stopping)
				break;
			uint64_t keep = el->retention_ms;
			pthread_mutex_unlock(&el->lock);
			prune(el, keep);
			pthread_mutex_lock(&el->lock);
			if (el->head != NULL || el->stopping)
				continue;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += FLUSH_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&el->cond, &el->lock, &ts);
			continue;
		}
		struct store_event *batch = el->head;
		size_t n = el->queued;
		el->head = el->tail = NULL;
		el->queued = 0;
		uint64_t keep = el->retention_ms;
		pthread_mutex_unlock(&el->lock);
		write_batch(el, batch, n);
		pthread_mutex_lock(&el->lock);
		el->done += n;
		pthread_cond_broadcast(&el->written);
		pthread_mutex_unlock(&el->lock);
		prune(el, keep);
		pthread_mutex_lock(&el->lock);
	}
	pthread_mutex_unlock(&el->lock);
	return NULL;
}

struct eventlog *eventlog_open(const char *path, char *err, size_t errlen)
{
	struct store *st = store_open(path, err, errlen);

	if (st == NULL)
		return NULL;
	struct eventlog *el = xcalloc(1, sizeof(*el));
	el->st = st;
	pthread_mutex_init(&el->lock, NULL);
	pthread_cond_init(&el->cond, NULL);
	pthread_cond_init(&el->written, NULL);
	if (pthread_create(&el->thread, NULL, writer, el) != 0)
		abort();
	pthread_setname_np(el->thread, "eventlog");
	return el;
}

void eventlog_close(struct eventlog *el)
{
	if (el == NULL)
		return;
	pthread_mutex_lock(&el->lock);
	el->stopping = true;
	pthread_cond_signal(&el->cond);
	pthread_mutex_unlock(&el->lock);
	pthread_join(el->thread, NULL);
	store_close(el->st);
	pthread_mutex_destroy(&el->lock);
	pthread_cond_destroy(&el->cond);
	pthread_cond_destroy(&el->written);
	free(el);
}

static char *dup_opt(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void add(struct eventlog *el, const char *type, uint64_t msg_id, const char *source,
                const char *sender, const char *rcpt, const char *dsn, const char *reason,
                const char *detail)
{
	if (el == NULL)
		return;
	struct store_event *e = xcalloc(1, sizeof(*e));
	e->ts_ms = now_ms();
	e->type = type;
	if (msg_id)
		id_format(msg_id, e->msg);
	e->source = dup_opt(source);
	e->sender = dup_opt(sender);
	e->rcpt = dup_opt(rcpt);
	strlcpy_(e->dsn, dsn ? dsn : "", sizeof(e->dsn));
	strlcpy_(e->reason, reason ? reason : "", sizeof(e->reason));
	e->detail = dup_opt(detail);
	if (el->tap)
		el->tap(e, el->tap_arg);
	pthread_mutex_lock(&el->lock);
	if (el->queued >= MAX_QUEUED) {
		/* the store is stuck: keep the newest, count the loss */
		struct store_event *old = el->head;
		el->head = old->next;
		el->queued--;
		el->stats.dropped++;
		el->done++;
		ev_free(old);
	}
	el->added++;
	if (el->tail)
		el->tail->next = e;
	else
		el->head = e;
	el->tail = e;
	el->queued++;
	pthread_mutex_unlock(&el->lock);
}

void eventlog_add(struct eventlog *el, const char *type, uint64_t msg_id, const char *source,
                  const char *sender, const char *rcpt, const char *dsn, const char *detail)
{
	add(el, type, msg_id, source, sender, rcpt, dsn, NULL, detail);
}

void eventlog_reject(struct eventlog *el, uint64_t msg_id, const char *source, const char *sender,
                     const char *rcpt, const char *dsn, const char *reason, const char *detail)
{
	add(el, "rejected", msg_id, source, sender, rcpt, dsn, reason, detail);
}

void eventlog_sync(struct eventlog *el, uint64_t timeout_ms)
{
	struct timespec ts;

	if (el == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(timeout_ms / 1000);
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&el->lock);
	uint64_t want = el->added;
	pthread_cond_signal(&el->cond);
	while (el->done < want)
		if (pthread_cond_timedwait(&el->written, &el->lock, &ts) != 0)
			break;
	pthread_mutex_unlock(&el->lock);
}

void eventlog_set_tap(struct eventlog *el, eventlog_tap_fn fn, void *arg)
{
	el->tap = fn;
	el->tap_arg = arg;
}

void eventlog_set_retention(struct eventlog *el, uint64_t ms)
{
	pthread_mutex_lock(&el->lock);
	el->retention_ms = ms;
	pthread_mutex_unlock(&el->lock);
}

void eventlog_get_stats(struct eventlog *el, struct eventlog_stats *out)
{
	pthread_mutex_lock(&el->lock);
	*out = el->stats;
	pthread_mutex_unlock(&el->lock);
}
