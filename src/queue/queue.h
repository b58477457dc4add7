/*
 * queue.h - the queue manager: schedules spooled messages for delivery.
 *
 * Waiting messages cost 16 octets each (a heap of next-attempt time and id);
 * only up to max_active messages are loaded at once, grouped by destination
 * into jobs that connections pull, urgent lane first. After every attempt the
 * message's state file records each recipient's outcome; a message leaves
 * the spool only when every recipient is final, after its bounce (DSN) has
 * been committed. Retries back off exponentially with jitter up to
 * max_lifetime, after which the message bounces.
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct spool;
struct spool_file;
struct mta;
struct eventlog;

struct queue_config {
	const char *hostname; /* Reporting-MTA of DSNs, and their From */
	int max_active;       /* messages loaded at once */
	int max_connections;  /* outbound connections in total */
	uint64_t retry_min_ms, retry_max_ms;
	uint64_t max_lifetime_ms;
	uint64_t delay_warning_ms; /* 0: delay notices only for NOTIFY=DELAY */
};

struct queue;

/* queue_new - sp, mta and events (may be NULL) are borrowed and must outlive the queue. */
struct queue *queue_new(struct event_base *base, struct spool *sp, struct mta *mta,
                        struct eventlog *events, const struct queue_config *cfg);
void queue_set_config(struct queue *q, const struct queue_config *cfg);
/* queue_stop - start no delivery and no connection from now on (before mta_free). */
void queue_stop(struct queue *q);
void queue_free(struct queue *q);

/* queue_add - a message just committed: try it now, in its lane. */
void queue_add(struct queue *q, uint64_t id, bool bulk);
/* queue_pump - load what is due (after start-up, when every message was recovered). */
void queue_pump(struct queue *q);
/* queue_recovered - a message found at start-up: its state file says when. */
void queue_recovered(struct queue *q, uint64_t id);

size_t queue_length(const struct queue *q);

/* the queue by state: being delivered, waiting (new or deferred), held */
struct queue_counts {
	size_t active, waiting, held;
};
void queue_counts(const struct queue *q, struct queue_counts *out);

/* -- administration ---------------------------------------------------------- */

#define QUEUE_NOTFOUND    1
#define QUEUE_QUARANTINED 2 /* a quarantined message: only queue_quarantine_* act on it */
#define QUEUE_BUSY        3 /* a quarantined message being released */

struct queue_entry {
	uint64_t id;
	uint64_t arrival_ms;
	uint64_t size;
	char sender[256];
	char source[65];
	size_t nrcpts, pending;
	uint32_t attempts;
	uint64_t next_ms;
	bool held, active, bulk;
	bool quarantined;
	char last_reply[400]; /* of the first pending recipient */
	char verdict[4096];   /* a quarantined message's verdict (JSON), "" otherwise */
};

/* queue_list - up to limit entries from offset, oldest first; *total is the queue length. */
size_t queue_list(struct queue *q, size_t offset, size_t limit, struct queue_entry *out,
                  size_t *total);
/* queue_get - one message; 0 or QUEUE_NOTFOUND. */
int queue_get(struct queue *q, uint64_t id, struct queue_entry *out);

/* the recipients of one message, for "queue show" */
struct queue_rcpt_info {
	char addr[256];
	const char *status; /* pending, sent, failed */
	int code;
	char dsn[16];
	char relay[300];
	char reply[400];
};
/* queue_rcpts - fills up to cap recipients; returns how many the message has, or -1. */
long queue_rcpts(struct queue *q, uint64_t id, struct queue_rcpt_info *out, size_t cap);

/* each returns 0 or QUEUE_NOTFOUND; a message being delivered is acted on when its
 * current attempt ends */
int queue_hold(struct queue *q, uint64_t id);
int queue_release(struct queue *q, uint64_t id);
int queue_delete(struct queue *q, uint64_t id);
int queue_bounce(struct queue *q, uint64_t id);
/*
 * Quarantine: messages the scanners held, stored unsigned. queue_quarantine_list
 * works as queue_list over them; queue_quarantine_load loads one for a release
 * (QUEUE_NOTFOUND if it is no quarantined message); queue_quarantine_remove
 * takes it out of the spool with an event ("released" or "deleted", detail
 * JSON or NULL). queue_quarantine_claim marks one as being released (claim
 * true: QUEUE_BUSY if it is already) or no longer (false): while it is,
 * only its "released" removal takes it (delete and expiry get QUEUE_BUSY).
 */
size_t queue_quarantine_list(struct queue *q, size_t offset, size_t limit, struct queue_entry *out,
                             size_t *total);
int queue_quarantine_load(struct queue *q, uint64_t id, struct spool_file *f);
int queue_quarantine_remove(struct queue *q, uint64_t id, const char *event, const char *detail);
int queue_quarantine_claim(struct queue *q, uint64_t id, bool claim);
/*
 * queue_quarantine_expire - remove the quarantined messages that arrived
 * before before_ms (each with an "expired" event); how many. Blocking.
 */
size_t queue_quarantine_expire(struct queue *q, uint64_t before_ms);

/* queue_flush - every waiting message (and every failing destination) is tried now */
size_t queue_flush(struct queue *q);

/*
 * The gate: the kill switch of a source reaches its queued mail. Before a
 * message is delivered, the queue asks the gate about its source: OPEN
 * delivers, HOLD holds it (marked, so that a resume releases it), DROP
 * deletes it with a "dropped" event.
 */
enum queue_gate { QGATE_OPEN, QGATE_HOLD, QGATE_DROP };
typedef enum queue_gate (*queue_gate_fn)(const char *source, void *arg);
void queue_set_gate(struct queue *q, queue_gate_fn fn, void *arg);
/*
 * queue_source_changed - the gate's answer for source has changed. Closed
 * (HOLD/DROP): its messages being delivered are held or dropped when their
 * current attempt ends, their waiting jobs at once, and every other queued
 * message of the source is swept in the background (a few hundred per loop
 * turn; the gate stops any of them from leaving meanwhile). OPEN: the
 * messages held by the suspension are released.
 */
void queue_source_changed(struct queue *q, const char *source);

/*
 * The suppression list reaches queued mail too: before a recipient is
 * tried, the queue asks. A suppressed one is done (never sent, no DSN) with
 * a "suppressed" event whose JSON detail the callback writes into detail.
 * stream is NULL for transactional mail.
 */
struct buf;
typedef bool (*queue_suppress_fn)(const char *stream, const char *rcpt, struct buf *detail,
                                  void *arg);
/*
 * A recipient the remote server refused for good (5.x.y): the callback
 * decides whether the failure says the mailbox is gone (bounce_class) and
 * suppresses it.
 */
typedef void (*queue_bounce_fn)(const char *source, const char *stream, const char *rcpt,
                                const char *dsn, const char *reply, void *arg);
/*
 * VERP: the envelope sender recipient idx (rcpt) of message id leaves with
 * (bounces+TOKEN@DOMAIN, so that a late bounce names the message and the
 * recipient; each recipient then has a transaction of its own), or false to
 * keep the message's. Not asked for the null sender.
 */
typedef bool (*queue_verp_fn)(uint64_t id, size_t idx, const char *rcpt, struct buf *out,
                              void *arg);
void queue_set_suppress(struct queue *q, queue_suppress_fn check, queue_bounce_fn bounced,
                        queue_verp_fn verp, void *arg);

#endif
