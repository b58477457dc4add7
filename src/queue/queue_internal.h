/* queue_internal.h - what the files of src/queue share about the queue manager. */
#ifndef POSTERN_QUEUE_INTERNAL_H
#define POSTERN_QUEUE_INTERNAL_H

#include <event2/event.h>

#include "heap.h"
#include "htab.h"
#include "mta.h"
#include "qstate.h"
#include "queue.h"
#include "spool.h"

struct qdest;
struct qjob;

/* QACT_SUSPEND: held because the source was suspended; QACT_DROP: deleted for the same */
/* QACT_QUARANTINE: held by the scanners' verdict, unsigned, until a quarantine release */
enum qaction {
	QACT_NONE,
	QACT_HOLD,
	QACT_DELETE,
	QACT_BOUNCE,
	QACT_SUSPEND,
	QACT_DROP,
	QACT_QUARANTINE
};

/* the marks of q->held: why a message is held */
#define HELD_ADMIN      ((void *)1)
#define HELD_SUSPENDED  ((void *)2)
#define HELD_QUARANTINE ((void *)3)
#define HELD_RELEASING  ((void *)4) /* quarantined, its release in flight */

/* a message loaded for delivery */
struct qactive {
	struct queue *q;
	uint64_t id;
	struct spool_file file; /* mapped; file.msg is the envelope and content */
	struct qstate st;
	struct qjob *jobs; /* its jobs not yet finished */
	int jobs_out;
	enum qaction action; /* requested while it was being delivered */
	bool finishing;      /* final; its DSN is being stored: nothing more to do to it */
};

/* the recipients of one message for one destination */
struct qjob {
	struct qactive *m;
	struct qdest *d;
	struct qjob *prev, *next; /* in the destination's lane */
	struct qjob *msg_next;    /* in the message's job list */
	bool in_flight, urgent;
	struct mta_msg mm;
	char *verp; /* owned: its one recipient's VERP envelope sender, or NULL */
	size_t *rcpt;
	struct mta_result *res;
};

struct jobq {
	struct qjob *head, *tail;
	size_t n;
};

/* a destination: its waiting jobs, its connections */
struct qdest {
	struct queue *q;
	struct mta_dest info;
	struct jobq urgent, bulk;
	int conns, busy;
	int idle;            /* of conns, open with nothing to carry (mta_wake gives them work) */
	uint64_t down_until; /* after a failed connection: defer without trying */
	int pumping;         /* inside qdest_pump (maybe nested): not to be freed */
	bool starved;        /* waiting in the queue's FIFO for a connection slot */
	struct qdest *starved_next;
	struct mta_result down_why;
	struct event *retry;
};

struct queue {
	struct event_base *base;
	struct spool *sp;
	struct mta *mta;
	struct eventlog *events;
	struct queue_config cfg;
	char *hostname;
	struct heap waiting; /* bulk lane: (next attempt ms, id) */
	struct heap urgent;  /* urgent lane: loaded first, with slots of their own */
	struct htab *held;   /* hex id -> (void *)1 */
	struct htab *active; /* hex id -> struct qactive */
	struct htab *dests;  /* key -> struct qdest */
	size_t nactive, nactive_bulk;
	int nconns;
	struct event *timer;
	bool stopping;
	bool pumping;
	struct qdest *starved_head, *starved_tail; /* waiting for a connection slot */
	queue_gate_fn gate;
	void *gate_arg;
	queue_suppress_fn supp_check;
	queue_bounce_fn supp_bounced;
	queue_verp_fn verp;
	void *supp_arg;
	struct qsweep *sweeps; /* suspensions being applied to waiting messages (qadmin.c) */
};

/* queue.c */
/* queue_wait - schedule a message for later, in its lane's heap */
void queue_wait(struct queue *q, uint64_t next_ms, uint64_t id, bool bulk);
/* queue_event - record an event of message m (detail: JSON text or NULL) */
void queue_event(struct queue *q, const char *type, const struct qactive *m, const char *rcpt,
                 const char *dsn, const char *detail);
void queue_pump(struct queue *q);
void qactive_finish(struct qactive *m);
uint64_t queue_backoff(const struct queue *q, uint32_t attempts);
/* durable for what must survive a crash (a hold); deferrals may be lost (a retry) */
void queue_write_state(struct queue *q, uint64_t id, const struct qstate *st, bool durable);

/* queue_gate_of - what the gate says of a message's source (QGATE_OPEN without a gate) */
enum queue_gate queue_gate_of(struct queue *q, const char *source);
/* qadmin.c */
void qsweep_free_all(struct queue *q);

/* qdest.c */
struct qdest *qdest_get(struct queue *q, const struct mta_dest *info);
void qdest_enqueue(struct qdest *d, struct qjob *j);
/* qdest_unqueue - take a waiting (not in flight) job out of its destination */
void qdest_unqueue(struct qjob *j);
void qdest_pump(struct qdest *d);
void qdest_maybe_free(struct qdest *d);
void qdest_flush_all(struct queue *q);
void qjob_free(struct qjob *j);

/* bounce.c */
/*
 * bounce_notify - send the DSNs this message's outcome calls for (failed
 * recipients, and successes or delays where NOTIFY asked), through the spool.
 */
void bounce_notify(struct queue *q, struct qactive *m, bool final);
/* queue.c: the end of a final message once its DSNs are stored (ok) or not */
void bounce_done(struct qactive *m, bool ok);

#endif
