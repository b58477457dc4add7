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

struct eventlog_stats {
	uint64_t written, dropped, failed_batches;
};
void eventlog_get_stats(struct eventlog *el, struct eventlog_stats *out);

#endif
