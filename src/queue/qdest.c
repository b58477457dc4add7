/*
 * qdest.c - destinations: the jobs waiting for one next hop, in two lanes,
 * and the connections that carry them.
 *
 * Connections pull jobs, urgent lane first, so urgent mail waits for no bulk
 * job already queued. When a destination has more than one connection
 * allowed, the last one is kept for urgent mail: a bulk burst can never take
 * every connection to a place. A connection that cannot be made (DNS, no
 * server reachable, TLS required but refused) fails every job waiting there
 * at once and marks the destination down for a while, instead of trying each.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "id.h"
#include "log.h"
#include "metrics.h"
#include "queue_internal.h"
#include "strutil.h"
#include "xmalloc.h"

static struct mta_msg *feed_next(void *arg);
static void feed_done(void *arg, struct mta_msg *mm);
static void feed_closed(void *arg, const struct mta_result *why);
static void feed_idle(void *arg, bool idle);

/* a destination's own timer: try again once it is no longer down, or free it */
static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct qdest *d = arg;

	qdest_pump(d);
	qdest_maybe_free(d);
}

struct qdest *qdest_get(struct queue *q, const struct mta_dest *info)
{
	struct qdest *d = htab_get(q->dests, info->key);

	if (d == NULL) {
		d = xcalloc(1, sizeof(*d));
		d->q = q;
		d->info = *info;
		if (d->info.concurrency < 1)
			d->info.concurrency = 1;
		d->retry = evtimer_new(q->base, on_retry, d);
		htab_put(q->dests, info->key, d);
	}
	return d;
}

static void jobq_push(struct jobq *l, struct qjob *j)
{
	j->next = NULL;
	j->prev = l->tail;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->n++;
}

static void jobq_remove(struct jobq *l, struct qjob *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		l->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		l->tail = j->prev;
	j->prev = j->next = NULL;
	l->n--;
}

static size_t waiting(const struct qdest *d)
{
	return d->urgent.n + d->bulk.n;
}

void qdest_enqueue(struct qdest *d, struct qjob *j)
{
	jobq_push(j->urgent ? &d->urgent : &d->bulk, j);
}

void qdest_unqueue(struct qjob *j)
{
	if (!j->in_flight)
		jobq_remove(j->urgent ? &j->d->urgent : &j->d->bulk, j);
}

void qjob_free(struct qjob *j)
{
	free(j->rcpt);
	free(j->res);
	free(j->verp);
	free(j);
}

/*
 * qdest_maybe_free - free d if nothing waits for it or uses it. A destination
 * that is down is kept until that ends, to remember it; its timer comes back.
 * Callers must not touch d afterwards.
 */
void qdest_maybe_free(struct qdest *d)
{
	uint64_t now = now_ms();

	if (d->conns > 0 || waiting(d) > 0 || d->pumping || d->starved)
		return;
	if (now < d->down_until) {
		uint64_t wait = d->down_until - now;
		struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
		evtimer_add(d->retry, &tv);
		return;
	}
	htab_del(d->q->dests, d->info.key);
	event_free(d->retry);
	free(d);
}

/* what to log and record for one recipient's outcome */
static void record(struct qjob *j, size_t k, const struct mta_msg *mm)
{
	struct qactive *m = j->m;
	size_t idx = j->rcpt[k];
	struct mta_result *r = &j->res[k];
	struct qstate_rcpt *rs = &m->st.rcpts[idx];
	char hex[ID_HEXLEN + 1], reply[600];
	static const char *words[] = {"sent", "deferred", "bounced"};

	if (r->dsn[0] == '\0')
		mta_result_set(r, MTA_TEMP, 0, "4.4.2", r->relay, "no result from the delivery");
	qstate_set_reply(rs, r->code, r->dsn, r->relay, r->text);
	rs->status = r->outcome == MTA_SENT   ? (mm->dsn_relayed ? RCPT_PASSED : RCPT_SENT)
	             : r->outcome == MTA_PERM ? RCPT_FAILED
	                                      : RCPT_PENDING;
	m->st.last_ms = now_ms();
	json_t *d =
	        json_pack("{s:s, s:s, s:s, s:i, s:s, s:I, s:i}", "relay", r->relay, "tls",
	                  mm->tls_version, "cipher", mm->tls_cipher, "code", r->code, "reply",
	                  r->text, "delay_ms", (json_int_t)(now_ms() - m->file.msg.env.arrival_ms),
	                  "attempt", (int)m->st.attempts + 1);
	char *dtext = d ? json_dumps(d, JSON_COMPACT) : NULL;
	metrics_inc("postern_deliveries_total", "outcome", words[r->outcome], "tls",
	            mm->tls_version[0] ? "yes" : "no", 1);
	if (r->outcome == MTA_SENT)
		metrics_observe("postern_delivery_seconds", NULL, NULL,
		                (double)(now_ms() - m->file.msg.env.arrival_ms) / 1000.0);
	if (r->outcome == MTA_PERM && m->q->supp_bounced)
		m->q->supp_bounced(m->file.msg.env.source, m->file.msg.env.stream,
		                   m->file.msg.env.rcpts[idx].addr, r->dsn, r->text,
		                   m->q->supp_arg);
	queue_event(m->q,
	            r->outcome == MTA_SENT   ? "delivered"
	            : r->outcome == MTA_PERM ? "bounced"
	                                     : "deferred",
	            m, m->file.msg.env.rcpts[idx].addr, r->dsn, dtext);
	free(dtext);
	json_decref(d);
	log_info("msg=%s delivery rcpt=<%s> relay=%s tls=%s dsn=%s delay=%.3fs status=%s "
	         "reply=%s",
	         id_format(m->id, hex), m->file.msg.env.rcpts[idx].addr,
	         r->relay[0] ? r->relay : "none", mm->tls_version[0] ? mm->tls_version : "none",
	         r->dsn, (double)(now_ms() - m->file.msg.env.arrival_ms) / 1000.0,
	         words[r->outcome], log_esc(reply, sizeof(reply), r->text, strlen(r->text)));
}

/* a job is over: its results are in j->res */
static void job_complete(struct qjob *j)
{
	struct qactive *m = j->m;

	for (size_t k = 0; k < j->mm.nrcpt; k++)
		record(j, k, &j->mm);
	for (struct qjob **pp = &m->jobs; *pp; pp = &(*pp)->msg_next) {
		if (*pp == j) {
			*pp = j->msg_next;
			break;
		}
	}
	qjob_free(j);
	if (--m->jobs_out == 0)
		qactive_finish(m);
}

/* fail every waiting job of d with why (the destination cannot be reached) */
static void fail_waiting(struct qdest *d, const struct mta_result *why)
{
	struct jobq *lanes[] = {&d->urgent, &d->bulk};

	for (int l = 0; l < 2; l++) {
		while (lanes[l]->head) {
			struct qjob *j = lanes[l]->head;
			jobq_remove(lanes[l], j);
			for (size_t k = 0; k < j->mm.nrcpt; k++)
				j->res[k] = *why;
			job_complete(j);
		}
	}
}

/*
 * Destinations that wanted a connection when the global limit was reached wait
 * in a FIFO; each freed connection slot goes to the one at its head. So one
 * busy destination cannot keep every slot by taking back the one it just freed.
 */
static void starve(struct qdest *d)
{
	struct queue *q = d->q;

	if (d->starved)
		return;
	d->starved = true;
	d->starved_next = NULL;
	if (q->starved_tail)
		q->starved_tail->starved_next = d;
	else
		q->starved_head = d;
	q->starved_tail = d;
}

static void give_slots(struct queue *q)
{
	while (q->nconns < q->cfg.max_connections && q->starved_head) {
		struct qdest *d = q->starved_head;
		q->starved_head = d->starved_next;
		if (q->starved_head == NULL)
			q->starved_tail = NULL;
		d->starved = false;
		qdest_pump(d);
		qdest_maybe_free(d);
	}
}

void qdest_pump(struct qdest *d)
{
	struct queue *q = d->q;
	uint64_t now = now_ms();

	if (q->stopping)
		return;
	if (now < d->down_until) {
		/* a destination that just failed: its mail waits without trying */
		fail_waiting(d, &d->down_why);
		return;
	}
	d->pumping++;
	/* a connection already open carries first: no handshake, no EHLO */
	while (d->idle > 0 && waiting(d) > 0 && mta_wake(q->mta, d))
		;
	for (;;) {
		int limit = d->info.concurrency;
		/* one connection is kept for the urgent lane */
		if (d->urgent.n == 0 && limit > 1)
			limit--;
		if ((size_t)(d->conns - d->busy) >= waiting(d) || d->conns >= limit)
			break;
		if (q->nconns >= q->cfg.max_connections) {
			starve(d);
			/* a connection idling for another destination gives its slot up */
			mta_drop_idle(q->mta, d);
			break;
		}
		struct mta_feed feed = {feed_next, feed_done, feed_closed, feed_idle, d};
		d->conns++;
		q->nconns++;
		mta_connect(q->mta, &d->info, &feed);
	}
	d->pumping--;
}

static struct mta_msg *feed_next(void *arg)
{
	struct qdest *d = arg;
	struct qjob *j = d->urgent.head ? d->urgent.head : d->bulk.head;

	if (j == NULL || d->q->stopping)
		return NULL;
	jobq_remove(j->urgent ? &d->urgent : &d->bulk, j);
	j->in_flight = true;
	d->busy++;
	return &j->mm;
}

static void feed_done(void *arg, struct mta_msg *mm)
{
	struct qdest *d = arg;
	/* mm is embedded in its job */
	struct qjob *j = (struct qjob *)((char *)mm - offsetof(struct qjob, mm));

	d->busy--;
	job_complete(j);
}

static void feed_idle(void *arg, bool idle)
{
	struct qdest *d = arg;

	d->idle += idle ? 1 : -1;
}

static void feed_closed(void *arg, const struct mta_result *why)
{
	struct qdest *d = arg;
	struct queue *q = d->q;

	d->conns--;
	q->nconns--;
	if (why && !q->stopping) {
		if (why->outcome == MTA_PERM) {
			/* e.g. null MX, no such domain: nothing waiting there can ever go */
			fail_waiting(d, why);
		} else if (d->conns == 0) {
			d->down_why = *why;
			if (d->down_why.outcome == MTA_SENT)
				d->down_why.outcome = MTA_TEMP;
			d->down_until = now_ms() + q->cfg.retry_min_ms;
			fail_waiting(d, &d->down_why);
		}
	}
	if (!q->stopping) {
		/* the freed slot goes to whoever waited longest; this one queues up behind */
		if (q->starved_head && waiting(d) > (size_t)(d->conns - d->busy))
			starve(d);
		else
			qdest_pump(d);
		give_slots(q);
	}
	qdest_maybe_free(d);
}

static void undown(const char *key, void *value, void *arg)
{
	struct qdest *d = value;

	d->down_until = 0;
}

void qdest_flush_all(struct queue *q)
{
	htab_foreach(q->dests, undown, NULL);
}
