/*
 * queue.c - the queue manager's core: the heap of waiting messages, loading
 * a message into destination jobs, and deciding what happens when its
 * attempt is over (removed, retried later, bounced, held).
 */
#include "queue.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "id.h"
#include "log.h"
#include "queue_internal.h"
#include "strutil.h"
#include "xmalloc.h"

static void on_timer(evutil_socket_t fd, short what, void *arg);

struct queue *queue_new(struct event_base *base, struct spool *sp, struct mta *mta,
                        struct eventlog *events, const struct queue_config *cfg)
{
	struct queue *q = xcalloc(1, sizeof(*q));

	q->events = events;
	q->base = base;
	q->sp = sp;
	q->mta = mta;
	heap_init(&q->waiting);
	heap_init(&q->urgent);
	q->held = htab_new();
	q->active = htab_new();
	q->dests = htab_new();
	q->timer = evtimer_new(base, on_timer, q);
	queue_set_config(q, cfg);
	return q;
}

void queue_set_config(struct queue *q, const struct queue_config *cfg)
{
	free(q->hostname);
	q->cfg = *cfg;
	q->hostname = xstrdup(cfg->hostname);
	q->cfg.hostname = q->hostname;
	if (q->cfg.max_active < 1)
		q->cfg.max_active = 1;
	if (q->cfg.max_connections < 1)
		q->cfg.max_connections = 1;
}

void queue_stop(struct queue *q)
{
	q->stopping = true;
	evtimer_del(q->timer);
}

static void free_active(const char *key, void *value, void *arg)
{
	struct qactive *m = value;

	while (m->jobs) {
		struct qjob *j = m->jobs;
		m->jobs = j->msg_next;
		qjob_free(j);
	}
	spool_file_release(&m->file);
	qstate_release(&m->st);
	free(m);
}

static void free_dest(const char *key, void *value, void *arg)
{
	struct qdest *d = value;

	event_free(d->retry);
	free(d);
}

void queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	q->stopping = true;
	qsweep_free_all(q);
	htab_foreach(q->active, free_active, NULL);
	htab_foreach(q->dests, free_dest, NULL);
	htab_free(q->active);
	htab_free(q->dests);
	htab_free(q->held);
	heap_release(&q->waiting);
	heap_release(&q->urgent);
	event_free(q->timer);
	free(q->hostname);
	free(q);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	queue_pump(arg);
}

void queue_wait(struct queue *q, uint64_t next_ms, uint64_t id, bool bulk)
{
	heap_push(bulk ? &q->waiting : &q->urgent, next_ms, id);
}

void queue_add(struct queue *q, uint64_t id, bool bulk)
{
	queue_wait(q, now_ms(), id, bulk);
	queue_pump(q);
}

void queue_recovered(struct queue *q, uint64_t id)
{
	char *text = NULL, hex[ID_HEXLEN + 1];
	size_t len;
	uint64_t next = 0;
	bool held = false, bulk = false;
	int why = QSTATE_HELD_ADMIN;

	/* never tried (no state file): urgent until its envelope says otherwise */
	if (spool_state_read(q->sp, id, &text, &len) == 0) {
		qstate_peek(text, len, &next, &held, &bulk, &why);
		free(text);
	}
	if (held)
		htab_put(q->held, id_format(id, hex),
		         why == QSTATE_HELD_QUARANTINE  ? HELD_QUARANTINE
		         : why == QSTATE_HELD_SUSPENDED ? HELD_SUSPENDED
		                                        : HELD_ADMIN);
	else
		queue_wait(q, next, id, bulk);
}

size_t queue_length(const struct queue *q)
{
	return q->waiting.n + q->urgent.n + htab_count(q->held) + q->nactive;
}

void queue_counts(const struct queue *q, struct queue_counts *out)
{
	out->active = q->nactive;
	out->waiting = q->waiting.n + q->urgent.n;
	out->held = htab_count(q->held);
}

uint64_t queue_backoff(const struct queue *q, uint32_t attempts)
{
	uint64_t d = q->cfg.retry_min_ms;

	for (uint32_t i = 1; i < attempts && d < q->cfg.retry_max_ms; i++)
		d *= 2;
	if (d > q->cfg.retry_max_ms)
		d = q->cfg.retry_max_ms;
	/* +-20% jitter, so that a burst deferred together does not return together */
	uint64_t span = d / 5;
	if (span > 0)
		d = d - span +
		    randombytes_uniform((uint32_t)(span * 2 > UINT32_MAX ? UINT32_MAX : span * 2));
	return d;
}

void queue_write_state(struct queue *q, uint64_t id, const struct qstate *st, bool durable)
{
	struct buf b;
	char hex[ID_HEXLEN + 1];

	buf_init(&b);
	qstate_encode(st, &b);
	if (spool_state_write(q->sp, id, b.data, b.len, durable) < 0)
		log_warn("msg=%s queue state not written error=\"%m\" (it will be retried as new)",
		         id_format(id, hex));
	buf_release(&b);
}

/* the domain of a recipient: what follows its last '@' (domains hold none) */
static const char *rcpt_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : addr;
}

/*
 * job_for - the job of m for a destination: one for all its recipients
 * there, or, with VERP (verp not NULL: the recipient's own envelope sender,
 * taken over), one per recipient, since each has its own MAIL FROM.
 */
static struct qjob *job_for(struct qactive *m, const struct mta_dest *info, char *verp)
{
	for (struct qjob *j = m->jobs; j && verp == NULL; j = j->msg_next)
		if (strcmp(j->d->info.key, info->key) == 0)
			return j;
	struct qjob *j = xcalloc(1, sizeof(*j));
	j->m = m;
	j->d = qdest_get(m->q, info);
	j->urgent = !m->file.msg.env.bulk;
	j->mm.msg = &m->file.msg;
	j->verp = verp;
	j->mm.mail_from = verp;
	j->msg_next = m->jobs;
	m->jobs = j;
	m->jobs_out++;
	return j;
}

/* load a message and hand its pending recipients to their destinations */
static void activate(struct queue *q, uint64_t id)
{
	char hex[ID_HEXLEN + 1], err[256], *text = NULL;
	size_t len;
	struct qactive *m = xcalloc(1, sizeof(*m));

	id_format(id, hex);
	m->q = q;
	m->id = id;
	if (spool_load(q->sp, id, &m->file, err, sizeof(err)) < 0) {
		if (errno == ENOENT) {
			/* deleted meanwhile: nothing to deliver */
			log_info("msg=%s queue gone", hex);
		} else if (errno == EBADMSG) {
			spool_move_corrupt(q->sp, id, err);
		} else {
			/* out of descriptors or memory, or damaged since start-up: later */
			log_warn("msg=%s queue cannot load error=\"%s\" action=retry-later", hex,
			         err);
			queue_wait(q, now_ms() + q->cfg.retry_min_ms, id, false);
		}
		free(m);
		return;
	}
	const struct envelope *env = &m->file.msg.env;
	if (spool_state_read(q->sp, id, &text, &len) == 0) {
		if (qstate_decode(text, len, env->nrcpts, &m->st, err, sizeof(err)) < 0)
			log_warn("msg=%s queue state unreadable error=\"%s\" action=retry-all", hex,
			         err);
		free(text);
	} else {
		qstate_init(&m->st, env->nrcpts);
	}
	if (m->st.first_ms == 0)
		m->st.first_ms = now_ms();
	htab_put(q->active, hex, m);
	q->nactive++;
	m->st.bulk = env->bulk;
	if (m->st.bulk)
		q->nactive_bulk++;
	if (m->st.held) {
		m->action = m->st.held_quarantine  ? QACT_QUARANTINE
		            : m->st.held_suspended ? QACT_SUSPEND
		                                   : QACT_HOLD;
		qactive_finish(m);
		return;
	}
	/* the scanners' verdict: unsigned, it leaves only through a quarantine release */
	if (env->quarantine) {
		m->action = QACT_QUARANTINE;
		qactive_finish(m);
		return;
	}
	/* the source's kill switch: nothing of a suspended source leaves */
	enum queue_gate g = queue_gate_of(q, env->source);
	if (g != QGATE_OPEN) {
		m->action = g == QGATE_DROP ? QACT_DROP : QACT_SUSPEND;
		qactive_finish(m);
		return;
	}
	/*
	 * Two passes: find each pending recipient's job, then size each job's
	 * arrays for exactly its recipients (not nrcpts per destination).
	 */
	struct qjob **of = xcalloc(env->nrcpts ? env->nrcpts : 1, sizeof(*of));
	for (size_t i = 0; i < env->nrcpts; i++) {
		struct mta_dest info;
		if (m->st.rcpts[i].status != RCPT_PENDING)
			continue;
		/* unsubscribed, bounced or complained since it was queued: not sent */
		if (q->supp_check) {
			struct buf d;
			buf_init(&d);
			if (q->supp_check(env->stream, env->rcpts[i].addr, &d, q->supp_arg)) {
				m->st.rcpts[i].status = RCPT_SUPPRESSED;
				log_info("msg=%s queue suppressed rcpt=%s", hex,
				         env->rcpts[i].addr);
				queue_event(q, "suppressed", m, env->rcpts[i].addr, NULL, d.data);
				buf_release(&d);
				continue;
			}
			buf_release(&d);
		}
		mta_destination(q->mta, rcpt_domain(env->rcpts[i].addr), env->pool ? env->pool : "",
		                &info);
		/* VERP: a late bounce to this envelope sender names the message and recipient */
		char *verp = NULL;
		if (q->verp && env->sender && env->sender[0]) {
			struct buf vb;
			buf_init(&vb);
			if (q->verp(id, i, env->rcpts[i].addr, &vb, q->supp_arg))
				verp = xstrndup(vb.data, vb.len);
			buf_release(&vb);
		}
		if (env->require_tls)
			mta_dest_require_verify(&info);
		of[i] = job_for(m, &info, verp);
		of[i]->mm.nrcpt++;
	}
	for (struct qjob *j = m->jobs; j; j = j->msg_next) {
		j->rcpt = xcalloc(j->mm.nrcpt, sizeof(*j->rcpt));
		j->res = xcalloc(j->mm.nrcpt, sizeof(*j->res));
		j->mm.rcpt = j->rcpt;
		j->mm.res = j->res;
		j->mm.nrcpt = 0;
	}
	for (size_t i = 0; i < env->nrcpts; i++)
		if (of[i])
			of[i]->rcpt[of[i]->mm.nrcpt++] = i;
	free(of);
	if (m->jobs_out == 0) {
		/* every recipient was already final: only the end is left to do */
		qactive_finish(m);
		return;
	}
	/*
	 * Pumping may complete jobs (a destination that is down fails them at
	 * once) and with the last one release m: note the destinations first.
	 */
	size_t nd = 0;
	struct qdest **ds = xcalloc((size_t)m->jobs_out, sizeof(*ds));
	for (struct qjob *j = m->jobs; j; j = j->msg_next) {
		qdest_enqueue(j->d, j);
		ds[nd++] = j->d;
	}
	for (size_t i = 0; i < nd; i++)
		qdest_pump(ds[i]);
	for (size_t i = 0; i < nd; i++)
		qdest_maybe_free(ds[i]);
	free(ds);
}

void queue_pump(struct queue *q)
{
	struct heap_item it;
	char hex[ID_HEXLEN + 1];

	if (q->stopping || q->pumping)
		return;
	q->pumping = true;
	uint64_t now = now_ms();
	/*
	 * Urgent messages first; bulk ones may not fill the last tenth of the
	 * active slots, so an urgent message can always be loaded at once.
	 */
	size_t max = (size_t)q->cfg.max_active;
	size_t reserve = max / 10 ? max / 10 : 1;
	size_t bulk_max = max > reserve ? max - reserve : 1;
	for (;;) {
		const struct heap_item *u = heap_peek(&q->urgent), *b = heap_peek(&q->waiting);
		struct heap *from;
		if (q->nactive >= max)
			break;
		if (u && u->key <= now)
			from = &q->urgent;
		else if (b && b->key <= now && q->nactive_bulk < bulk_max)
			from = &q->waiting;
		else
			break;
		heap_pop(from, &it);
		id_format(it.value, hex);
		/* an id may be here twice (a release while it waited): load it once */
		if (htab_get(q->active, hex) || htab_get(q->held, hex))
			continue;
		activate(q, it.value);
	}
	q->pumping = false;
	evtimer_del(q->timer);
	const struct heap_item *top = heap_peek(&q->urgent), *tb = heap_peek(&q->waiting);
	if (top == NULL || (tb && tb->key < top->key && q->nactive_bulk < bulk_max))
		top = tb;
	if (top && q->nactive < max) {
		uint64_t wait = top->key > now ? top->key - now : 0;
		struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
		evtimer_add(q->timer, &tv);
	}
}

static void release_active(struct qactive *m)
{
	struct queue *q = m->q;
	char hex[ID_HEXLEN + 1];

	htab_del(q->active, id_format(m->id, hex));
	q->nactive--;
	if (m->st.bulk)
		q->nactive_bulk--;
	spool_file_release(&m->file);
	qstate_release(&m->st);
	free(m);
}

/* the queue file first: a crash between the two leaves a state file the
 * next start sweeps, never a message whose recipients look untried */
static void remove_files(struct queue *q, uint64_t id)
{
	spool_remove(q->sp, id);
	spool_state_remove(q->sp, id);
}

static void count(const struct qactive *m, size_t *pending, size_t *failed)
{
	*pending = *failed = 0;
	for (size_t i = 0; i < m->st.nrcpts; i++) {
		if (m->st.rcpts[i].status == RCPT_PENDING)
			(*pending)++;
		else if (m->st.rcpts[i].status == RCPT_FAILED)
			(*failed)++;
	}
}

/* fail every pending recipient with dsn and text (expiry, administrator) */
static void fail_pending(struct qactive *m, const char *dsn, const char *text)
{
	for (size_t i = 0; i < m->st.nrcpts; i++) {
		struct qstate_rcpt *r = &m->st.rcpts[i];
		if (r->status != RCPT_PENDING)
			continue;
		char both[2 * QSTATE_REPLY_MAX]; /* cut to size by qstate_set_reply */
		if (r->reply[0])
			snprintf(both, sizeof(both), "%s; last attempt: %s", text, r->reply);
		else
			snprintf(both, sizeof(both), "%s", text);
		qstate_set_reply(r, 0, dsn, r->relay, both);
		r->status = RCPT_FAILED;
	}
}

void qactive_finish(struct qactive *m)
{
	struct queue *q = m->q;
	char hex[ID_HEXLEN + 1];
	size_t pending, failed;
	uint64_t now = now_ms();

	id_format(m->id, hex);
	/* held or dropped during an attempt that reached every recipient: it is done */
	count(m, &pending, &failed);
	if (pending == 0 &&
	    (m->action == QACT_HOLD || m->action == QACT_SUSPEND || m->action == QACT_DROP))
		m->action = QACT_NONE;
	/* the kill switch as it stands now: a resume during the attempt undoes its hold */
	if (m->action == QACT_SUSPEND || m->action == QACT_DROP) {
		enum queue_gate g = queue_gate_of(q, m->file.msg.env.source);
		if (g == QGATE_OPEN)
			m->action = QACT_NONE;
		else if (g == QGATE_DROP)
			m->action = QACT_DROP;
	}
	switch (m->action) {
	case QACT_DELETE:
		remove_files(q, m->id);
		log_info("msg=%s queue deleted by=admin", hex);
		queue_event(q, "deleted", m, NULL, NULL, "{\"by\":\"admin\"}");
		release_active(m);
		queue_pump(q);
		return;
	case QACT_DROP:
		remove_files(q, m->id);
		log_info("msg=%s queue dropped by=suspension source=%s", hex,
		         m->file.msg.env.source ? m->file.msg.env.source : "-");
		queue_event(q, "dropped", m, NULL, NULL, "{\"by\":\"suspension\"}");
		release_active(m);
		queue_pump(q);
		return;
	case QACT_QUARANTINE:
		m->st.held = true;
		m->st.held_quarantine = true;
		queue_write_state(q, m->id, &m->st, true);
		htab_put(q->held, hex, HELD_QUARANTINE);
		log_info("msg=%s queue quarantined source=%s", hex,
		         m->file.msg.env.source ? m->file.msg.env.source : "-");
		queue_event(q, "quarantined", m, NULL, NULL, m->file.msg.env.quarantine);
		release_active(m);
		queue_pump(q);
		return;
	case QACT_HOLD:
	case QACT_SUSPEND: {
		bool susp = m->action == QACT_SUSPEND;
		/* written before it counts as held: a crash now leaves it held, not lost */
		m->st.held = true;
		m->st.held_suspended = susp;
		queue_write_state(q, m->id, &m->st, true);
		htab_put(q->held, hex, susp ? HELD_SUSPENDED : HELD_ADMIN);
		log_info("msg=%s queue held by=%s", hex, susp ? "suspension" : "admin");
		queue_event(q, "held", m, NULL, NULL,
		            susp ? "{\"by\":\"suspension\"}" : "{\"by\":\"admin\"}");
		release_active(m);
		queue_pump(q);
		return;
	}
	case QACT_BOUNCE:
		fail_pending(m, "5.0.0", "returned by the administrator");
		break;
	case QACT_NONE:
		break;
	}
	count(m, &pending, &failed);
	if (pending > 0 && now - m->file.msg.env.arrival_ms >= q->cfg.max_lifetime_ms) {
		fail_pending(m, "4.4.7", "delivery time expired");
		log_info("msg=%s queue expired pending=%zu", hex, pending);
		queue_event(q, "expired", m, NULL, "4.4.7", NULL);
		pending = 0;
	}
	if (pending == 0) {
		/* final: notify (the DSN is committed before this one goes), then remove */
		m->finishing = true;
		bounce_notify(q, m, true);
		return;
	}
	m->st.attempts++;
	m->st.last_ms = now;
	m->st.next_ms = now + queue_backoff(q, m->st.attempts);
	bounce_notify(q, m, false);
	queue_write_state(q, m->id, &m->st, false);
	queue_wait(q, m->st.next_ms, m->id, m->st.bulk);
	log_info("msg=%s queue deferred pending=%zu attempts=%" PRIu32 " next_in=%.0fs", hex,
	         pending, m->st.attempts, (double)(m->st.next_ms - now) / 1000.0);
	release_active(m);
	queue_pump(q);
}

void bounce_done(struct qactive *m, bool ok)
{
	struct queue *q = m->q;
	char hex[ID_HEXLEN + 1];

	id_format(m->id, hex);
	if (!ok) {
		/* the bounce could not be stored: keep the message and try again later */
		m->st.next_ms = now_ms() + q->cfg.retry_min_ms;
		queue_write_state(q, m->id, &m->st, false);
		queue_wait(q, m->st.next_ms, m->id, m->st.bulk);
		log_warn("msg=%s queue bounce not stored action=retry-later", hex);
		release_active(m);
		queue_pump(q);
		return;
	}
	remove_files(q, m->id);
	log_info("msg=%s queue removed", hex);
	queue_event(q, "removed", m, NULL, NULL, NULL);
	release_active(m);
	queue_pump(q);
}

void queue_event(struct queue *q, const char *type, const struct qactive *m, const char *rcpt,
                 const char *dsn, const char *detail)
{
	const struct envelope *e = &m->file.msg.env;

	eventlog_add(q->events, type, m->id, e->source, e->sender, rcpt, dsn, detail);
}

void queue_set_gate(struct queue *q, queue_gate_fn fn, void *arg)
{
	q->gate = fn;
	q->gate_arg = arg;
}

void queue_set_suppress(struct queue *q, queue_suppress_fn check, queue_bounce_fn bounced,
                        queue_verp_fn verp, void *arg)
{
	q->supp_check = check;
	q->supp_bounced = bounced;
	q->verp = verp;
	q->supp_arg = arg;
}

enum queue_gate queue_gate_of(struct queue *q, const char *source)
{
	if (q->gate == NULL || source == NULL || source[0] == '\0')
		return QGATE_OPEN;
	return q->gate(source, q->gate_arg);
}
