/*
 * eventlog.h - every message's life as events in the store (accepted,
 * delivered, deferred, bounced, held, deleted, expired, ...), for the control
 * plane's search, statistics and metrics.
 *
 * Adding an event never blocks: events are queued in memory and a thread with
 * its own store connection writes them in batches (one transaction each). If
 * the store cannot keep up, the oldest events are dropped and counted; mail
 * never waits for its log.
 */
#ifndef POSTERN_EVENTLOG_H
#define POSTERN_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

struct eventlog;

/* eventlog_open - a writer on the store at path. NULL with err on failure. */
struct eventlog *eventlog_open(const char *path, char *err, size_t errlen);
/* eventlog_close - write what is queued, stop the thread. NULL is a no-op. */
void eventlog_close(struct eventlog *el);

/*
 * eventlog_add - queue one event. type is a constant word ("delivered");
 * msg_id 0 if none; the strings may be NULL and are copied; detail is a JSON
 * object's text (copied) or NULL. Thread-safe. el NULL: nothing happens.
 */
void eventlog_add(struct eventlog *el, const char *type, uint64_t msg_id, const char *source,
                  const char *sender, const char *rcpt, const char *dsn, const char *detail);

/*
 * eventlog_reject - a refusal: as eventlog_add with type "rejected" and a
 * short reason key ("identity", "per_hour", "suspended") that statistics
 * group by.
 */
void eventlog_reject(struct eventlog *el, uint64_t msg_id, const char *source, const char *sender,
                     const char *rcpt, const char *dsn, const char *reason, const char *detail);

/*
 * eventlog_sync - wait (at most timeout_ms) until every event added before
 * the call is written: a search that follows sees them. Blocks: call it off
 * the loop (the API's reader thread does).
 */
void eventlog_sync(struct eventlog *el, uint64_t timeout_ms);

/*
 * eventlog_set_tap - fn sees every event as it is added (metrics, webhooks),
 * on the thread that adds it, before it is written; e is borrowed for the
 * call. Set it before events flow.
 */
struct store_event;
typedef void (*eventlog_tap_fn)(const struct store_event *e, void *arg);
void eventlog_set_tap(struct eventlog *el, eventlog_tap_fn fn, void *arg);

/*
 * eventlog_set_retention - events older than ms are deleted by the writer
 * thread, a thousand at a time between batches (0: kept forever).
 */
void eventlog_set_retention(struct eventlog *el, uint64_t ms);

struct eventlog_stats {
	uint64_t written, dropped, failed_batches, pruned;
};
void eventlog_get_stats(struct eventlog *el, struct eventlog_stats *out);

#endif
