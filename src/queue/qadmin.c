/*
 * qadmin.c - the queue as an administrator sees it: listing, one message's
 * recipients, hold, release, delete, bounce, flush.
 *
 * A message being delivered is acted on when its current attempt ends (the
 * connection carrying it is not interrupted); its jobs still waiting for a
 * connection are taken back at once.
 */
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "id.h"
#include "log.h"
#include "queue_internal.h"
#include "strutil.h"
#include "xmalloc.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct ids {
	uint64_t *v;
	size_t n, cap;
};

static void ids_add(struct ids *s, uint64_t id)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = id;
}

static void add_key(const char *key, void *value, void *arg)
{
	uint64_t id;

	if (id_parse(key, &id))
		ids_add(arg, id);
}

/* every message id in the queue, sorted, each once */
static void all_ids(struct queue *q, struct ids *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < q->waiting.n; i++)
		ids_add(s, q->waiting.v[i].value);
	for (size_t i = 0; i < q->urgent.n; i++)
		ids_add(s, q->urgent.v[i].value);
	htab_foreach(q->active, add_key, s);
	htab_foreach(q->held, add_key, s);
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++)
		if (k == 0 || s->v[k - 1] != s->v[i])
			s->v[k++] = s->v[i];
	s->n = k;
}

static void fill(struct queue_entry *e, uint64_t id, const struct qmsg *msg,
                 const struct qstate *st, bool active)
{
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->arrival_ms = msg->env.arrival_ms;
	e->size = msg->size;
	strlcpy_(e->sender, msg->env.sender ? msg->env.sender : "", sizeof(e->sender));
	strlcpy_(e->source, msg->env.source ? msg->env.source : "", sizeof(e->source));
	e->nrcpts = msg->env.nrcpts;
	e->attempts = st->attempts;
	e->next_ms = st->next_ms;
	e->held = st->held;
	e->active = active;
	e->bulk = msg->env.bulk;
	e->quarantined = msg->env.quarantine != NULL;
	strlcpy_(e->verdict, msg->env.quarantine ? msg->env.quarantine : "", sizeof(e->verdict));
	for (size_t i = 0; i < st->nrcpts; i++) {
		if (st->rcpts[i].status != RCPT_PENDING)
			continue;
		if (e->pending++ == 0)
			strlcpy_(e->last_reply, st->rcpts[i].reply, sizeof(e->last_reply));
	}
}

/* the state of message id (n recipients): from its file, or fresh if none or unreadable */
static bool load_state(struct queue *q, uint64_t id, size_t n, struct qstate *st)
{
	char err[256], *text = NULL;
	size_t len;

	if (spool_state_read(q->sp, id, &text, &len) < 0) {
		qstate_init(st, n);
		return false;
	}
	/* a failed decode leaves a fresh state behind (qstate.h) */
	int r = qstate_decode(text, len, n, st, err, sizeof(err));
	free(text);
	return r == 0;
}

/* look at a message: from memory if active, else from its files */
static int inspect(struct queue *q, uint64_t id,
                   void (*fn)(void *arg, const struct qmsg *, const struct qstate *, bool),
                   void *arg)
{
	char hex[ID_HEXLEN + 1], err[256];
	struct qactive *m = htab_get(q->active, id_format(id, hex));

	if (m) {
		fn(arg, &m->file.msg, &m->st, true);
		return 0;
	}
	struct spool_file f;
	struct qstate st;
	if (spool_load(q->sp, id, &f, err, sizeof(err)) < 0)
		return QUEUE_NOTFOUND;
	if (!load_state(q, id, f.msg.env.nrcpts, &st))
		st.held = htab_get(q->held, hex) != NULL;
	fn(arg, &f.msg, &st, false);
	qstate_release(&st);
	spool_file_release(&f);
	return 0;
}

struct fill_ctx {
	struct queue_entry *e;
	uint64_t id;
};

static void fill_cb(void *arg, const struct qmsg *msg, const struct qstate *st, bool active)
{
	struct fill_ctx *c = arg;

	fill(c->e, c->id, msg, st, active);
}

int queue_get(struct queue *q, uint64_t id, struct queue_entry *out)
{
	struct fill_ctx c = {out, id};

	return inspect(q, id, fill_cb, &c);
}

size_t queue_list(struct queue *q, size_t offset, size_t limit, struct queue_entry *out,
                  size_t *total)
{
	struct ids s;
	size_t n = 0;

	all_ids(q, &s);
	*total = s.n;
	for (size_t i = offset; i < s.n && n < limit; i++)
		if (queue_get(q, s.v[i], &out[n]) == 0)
			n++;
	free(s.v);
	return n;
}

struct rcpts_ctx {
	struct queue_rcpt_info *out;
	size_t cap;
	long n;
};

static void rcpts_cb(void *arg, const struct qmsg *msg, const struct qstate *st, bool active)
{
	struct rcpts_ctx *c = arg;

	c->n = (long)msg->env.nrcpts;
	for (size_t i = 0; i < msg->env.nrcpts && i < c->cap; i++) {
		struct queue_rcpt_info *r = &c->out[i];
		const struct qstate_rcpt *s = &st->rcpts[i];
		strlcpy_(r->addr, msg->env.rcpts[i].addr, sizeof(r->addr));
		r->status = rcpt_status_name(s->status);
		r->code = s->code;
		strlcpy_(r->dsn, s->dsn, sizeof(r->dsn));
		strlcpy_(r->relay, s->relay, sizeof(r->relay));
		strlcpy_(r->reply, s->reply, sizeof(r->reply));
	}
}

long queue_rcpts(struct queue *q, uint64_t id, struct queue_rcpt_info *out, size_t cap)
{
	struct rcpts_ctx c = {out, cap, -1};

	if (inspect(q, id, rcpts_cb, &c) != 0)
		return -1;
	return c.n;
}

/* take back an active message's waiting jobs; finish it if none is in flight */
static void act_on_active(struct qactive *m, enum qaction a)
{
	/* every recipient is final and it is on its way out: nothing left to act on */
	if (m->finishing)
		return;
	m->action = a;
	struct qjob **pp = &m->jobs;
	while (*pp) {
		struct qjob *j = *pp;
		if (j->in_flight) {
			pp = &j->msg_next;
			continue;
		}
		struct qdest *d = j->d;
		qdest_unqueue(j);
		*pp = j->msg_next;
		qjob_free(j);
		m->jobs_out--;
		qdest_maybe_free(d);
	}
	if (m->jobs_out == 0)
		qactive_finish(m);
}

/*
 * act - apply a to a message that is not active: load it for the moment
 * (outside the active limit) and finish it with the action, as if its
 * attempt had just ended.
 */
/* held by the scanners (being released or not): only the quarantine routes act on it */
static bool quarantined(struct queue *q, uint64_t id)
{
	char hex[ID_HEXLEN + 1];
	void *v = htab_get(q->held, id_format(id, hex));

	return v == HELD_QUARANTINE || v == HELD_RELEASING;
}

static int act(struct queue *q, uint64_t id, enum qaction a)
{
	char hex[ID_HEXLEN + 1], err[256];

	id_format(id, hex);
	struct qactive *m = htab_get(q->active, hex);
	if (m) {
		act_on_active(m, a);
		return 0;
	}
	m = xcalloc(1, sizeof(*m));
	m->q = q;
	m->id = id;
	if (spool_load(q->sp, id, &m->file, err, sizeof(err)) < 0) {
		free(m);
		return QUEUE_NOTFOUND;
	}
	load_state(q, id, m->file.msg.env.nrcpts, &m->st);
	heap_remove_value(&q->waiting, id);
	heap_remove_value(&q->urgent, id);
	htab_del(q->held, hex);
	m->st.held = false;
	m->st.held_suspended = false;
	m->st.held_quarantine = false;
	htab_put(q->active, hex, m);
	q->nactive++;
	m->st.bulk = m->file.msg.env.bulk;
	if (m->st.bulk)
		q->nactive_bulk++;
	m->action = a;
	qactive_finish(m);
	return 0;
}

static bool exists(struct queue *q, uint64_t id)
{
	struct queue_entry e;

	return queue_get(q, id, &e) == 0;
}

int queue_hold(struct queue *q, uint64_t id)
{
	char hex[ID_HEXLEN + 1];

	if (quarantined(q, id))
		return QUEUE_QUARANTINED;
	if (htab_get(q->held, id_format(id, hex)))
		return 0;
	if (!exists(q, id))
		return QUEUE_NOTFOUND;
	return act(q, id, QACT_HOLD);
}

int queue_release(struct queue *q, uint64_t id)
{
	char hex[ID_HEXLEN + 1], err[128];

	id_format(id, hex);
	if (quarantined(q, id))
		return QUEUE_QUARANTINED; /* unsigned: only a quarantine release lets it go */
	if (htab_get(q->held, hex) == NULL)
		return exists(q, id) ? 0 : QUEUE_NOTFOUND;
	htab_del(q->held, hex);
	/* clear the flag in the state file, keeping the recipients' outcomes */
	struct spool_file f;
	char source[128] = "", sender[256] = "";
	if (spool_load(q->sp, id, &f, err, sizeof(err)) == 0) {
		struct qstate st;
		load_state(q, id, f.msg.env.nrcpts, &st);
		st.held = false;
		st.held_suspended = false;
		st.next_ms = now_ms();
		queue_write_state(q, id, &st, true);
		qstate_release(&st);
		strlcpy_(source, f.msg.env.source ? f.msg.env.source : "", sizeof(source));
		strlcpy_(sender, f.msg.env.sender ? f.msg.env.sender : "", sizeof(sender));
		spool_file_release(&f);
	}
	log_info("msg=%s queue released", hex);
	eventlog_add(q->events, "released", id, source, sender, NULL, NULL, NULL);
	queue_add(q, id, false);
	return 0;
}

int queue_delete(struct queue *q, uint64_t id)
{
	if (quarantined(q, id))
		return QUEUE_QUARANTINED;
	return exists(q, id) ? act(q, id, QACT_DELETE) : QUEUE_NOTFOUND;
}

int queue_bounce(struct queue *q, uint64_t id)
{
	if (quarantined(q, id))
		return QUEUE_QUARANTINED;
	return exists(q, id) ? act(q, id, QACT_BOUNCE) : QUEUE_NOTFOUND;
}

size_t queue_flush(struct queue *q)
{
	size_t n = q->waiting.n + q->urgent.n;

	heap_set_all_keys(&q->waiting, 0);
	heap_set_all_keys(&q->urgent, 0);
	qdest_flush_all(q);
	queue_pump(q);
	return n;
}

/* -- the kill switch: a source's queued messages ------------------------------ */

/*
 * The kill switch's work on waiting and held messages is done in the
 * background, a slice of at most SWEEP_SLICE_MS per loop turn: each message
 * costs a read (to learn its source) and a durable state write, and a large
 * backlog must not stall the sessions meanwhile. The gate (queue_gate_of)
 * keeps the messages not reached yet from leaving.
 */
#define SWEEP_SLICE_MS 10

/* the messages still to be looked at after a source was suspended or resumed */
struct qsweep {
	struct queue *q;
	struct qsweep *next;
	char source[128];
	bool opening; /* resumed: release what the suspension held */
	struct ids ids;
	size_t pos, acted;
	struct event *ev;
};

static void sweep_free(struct qsweep *w)
{
	struct qsweep **pp = &w->q->sweeps;

	while (*pp && *pp != w)
		pp = &(*pp)->next;
	if (*pp)
		*pp = w->next;
	event_free(w->ev);
	free(w->ids.v);
	free(w);
}

void qsweep_free_all(struct queue *q)
{
	while (q->sweeps)
		sweep_free(q->sweeps);
}

/* the source of a message not loaded for delivery; false if it cannot be read */
static bool source_of(struct queue *q, uint64_t id, char *out, size_t n)
{
	struct spool_file f;
	char err[256];

	if (spool_load(q->sp, id, &f, err, sizeof(err)) < 0)
		return false;
	strlcpy_(out, f.msg.env.source ? f.msg.env.source : "", n);
	spool_file_release(&f);
	return true;
}

/* one message of a sweep; true if it was the source's and was acted on */
static bool sweep_one(struct qsweep *w, uint64_t id, enum queue_gate g)
{
	struct queue *q = w->q;
	char hex[ID_HEXLEN + 1], src[128];
	void *mark = htab_get(q->held, id_format(id, hex));

	if (w->opening) {
		/* only what a suspension held, and is held still */
		if (mark != HELD_SUSPENDED || !source_of(q, id, src, sizeof(src)) ||
		    strcmp(src, w->source) != 0)
			return false;
		return queue_release(q, id) == 0;
	}
	/* active ones were acted on at once; held ones stay held unless dropped */
	if (htab_get(q->active, hex) || (mark && g != QGATE_DROP))
		return false;
	if (!source_of(q, id, src, sizeof(src)) || strcmp(src, w->source) != 0)
		return false;
	return act(q, id, g == QGATE_DROP ? QACT_DROP : QACT_SUSPEND) == 0;
}

/* XXX: each message's file is read to learn its source; an index by source would spare it */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct qsweep *w = arg;
	enum queue_gate g = queue_gate_of(w->q, w->source);
	uint64_t until = mono_ms() + SWEEP_SLICE_MS;
	/* the switch thrown again meanwhile: a newer sweep does the rest */
	bool stale = w->opening != (g == QGATE_OPEN);

	while (!stale && w->pos < w->ids.n && mono_ms() < until)
		if (sweep_one(w, w->ids.v[w->pos++], g))
			w->acted++;
	if (stale || w->pos >= w->ids.n) {
		log_info("queue sweep done source=%s action=%s looked_at=%zu acted_on=%zu%s",
		         w->source,
		         w->opening        ? "release"
		         : g == QGATE_DROP ? "drop"
		                           : "hold",
		         w->pos, w->acted, stale ? " stopped=switched-again" : "");
		sweep_free(w);
		return;
	}
	event_active(w->ev, EV_TIMEOUT, 0);
}

static void sweep_start(struct queue *q, const char *source, bool opening, struct ids *ids)
{
	struct qsweep *w = xcalloc(1, sizeof(*w));

	w->q = q;
	strlcpy_(w->source, source, sizeof(w->source));
	w->opening = opening;
	w->ids = *ids;
	w->ev = event_new(q->base, -1, 0, on_sweep, w);
	w->next = q->sweeps;
	q->sweeps = w;
	log_info("queue sweep start source=%s action=%s messages=%zu", source,
	         opening ? "release" : "hold-or-drop", w->ids.n);
	event_active(w->ev, EV_TIMEOUT, 0);
}

struct by_source {
	const char *source;
	struct ids ids;
};

static void active_of(const char *key, void *value, void *arg)
{
	struct qactive *m = value;
	struct by_source *b = arg;

	if (m->file.msg.env.source && strcmp(m->file.msg.env.source, b->source) == 0)
		ids_add(&b->ids, m->id);
}

static void held_of(const char *key, void *value, void *arg)
{
	struct ids *ids = arg;
	uint64_t id;

	if (value == HELD_SUSPENDED && id_parse(key, &id))
		ids_add(ids, id);
}

static void source_closed(struct queue *q, const char *source, enum queue_gate g)
{
	struct by_source b = {source, {0}};
	struct ids all;
	char hex[ID_HEXLEN + 1];

	/* being delivered: their waiting jobs now, the rest when the attempt ends */
	htab_foreach(q->active, active_of, &b);
	for (size_t i = 0; i < b.ids.n; i++) {
		struct qactive *m = htab_get(q->active, id_format(b.ids.v[i], hex));
		if (m)
			act_on_active(m, g == QGATE_DROP ? QACT_DROP : QACT_SUSPEND);
	}
	free(b.ids.v);
	all_ids(q, &all);
	sweep_start(q, source, false, &all);
}

static void source_opened(struct queue *q, const char *source)
{
	struct ids held;

	memset(&held, 0, sizeof(held));
	htab_foreach(q->held, held_of, &held);
	sweep_start(q, source, true, &held);
}

void queue_source_changed(struct queue *q, const char *source)
{
	enum queue_gate g = queue_gate_of(q, source);

	if (g == QGATE_OPEN)
		source_opened(q, source);
	else
		source_closed(q, source, g);
}

/* -- quarantine ---------------------------------------------------------------- */

static void quarantined_of(const char *key, void *value, void *arg)
{
	uint64_t id;

	if ((value == HELD_QUARANTINE || value == HELD_RELEASING) && id_parse(key, &id))
		ids_add(arg, id);
}

/* every quarantined id, oldest first */
static void quarantined_ids(struct queue *q, struct ids *s)
{
	memset(s, 0, sizeof(*s));
	htab_foreach(q->held, quarantined_of, s);
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
}

size_t queue_quarantine_list(struct queue *q, size_t offset, size_t limit, struct queue_entry *out,
                             size_t *total)
{
	struct ids s;
	size_t n = 0;

	quarantined_ids(q, &s);
	*total = s.n;
	for (size_t i = offset; i < s.n && n < limit; i++)
		if (queue_get(q, s.v[i], &out[n]) == 0)
			n++;
	free(s.v);
	return n;
}

int queue_quarantine_load(struct queue *q, uint64_t id, struct spool_file *f)
{
	char hex[ID_HEXLEN + 1], err[256];

	if (!quarantined(q, id))
		return QUEUE_NOTFOUND;
	id_format(id, hex);
	if (spool_load(q->sp, id, f, err, sizeof(err)) < 0) {
		log_warn("msg=%s quarantine cannot load error=\"%s\"", hex, err);
		return QUEUE_NOTFOUND;
	}
	return 0;
}

int queue_quarantine_remove(struct queue *q, uint64_t id, const char *event, const char *detail)
{
	char hex[ID_HEXLEN + 1], err[256];
	struct spool_file f;

	void *v = htab_get(q->held, id_format(id, hex));
	if (v != HELD_QUARANTINE && v != HELD_RELEASING)
		return QUEUE_NOTFOUND;
	if (v == HELD_RELEASING && strcmp(event, "released") != 0)
		return QUEUE_BUSY;
	bool loaded = spool_load(q->sp, id, &f, err, sizeof(err)) == 0;
	spool_remove(q->sp, id);
	spool_state_remove(q->sp, id);
	htab_del(q->held, hex);
	log_info("msg=%s quarantine %s", hex, event);
	eventlog_add(q->events, event, id, loaded ? f.msg.env.source : NULL,
	             loaded ? f.msg.env.sender : NULL, NULL, NULL, detail);
	if (loaded)
		spool_file_release(&f);
	return 0;
}

int queue_quarantine_claim(struct queue *q, uint64_t id, bool claim)
{
	char hex[ID_HEXLEN + 1];
	void *v = htab_get(q->held, id_format(id, hex));

	if (claim && v == HELD_RELEASING)
		return QUEUE_BUSY;
	if (claim && v != HELD_QUARANTINE)
		return QUEUE_NOTFOUND;
	if (claim)
		htab_put(q->held, hex, HELD_RELEASING);
	else if (v == HELD_RELEASING)
		htab_put(q->held, hex, HELD_QUARANTINE);
	return 0;
}

size_t queue_quarantine_expire(struct queue *q, uint64_t before_ms)
{
	struct ids s;
	size_t n = 0;

	/* the id holds the arrival time: no file is read but those that go */
	quarantined_ids(q, &s);
	for (size_t i = 0; i < s.n; i++) {
		if (id_time_ms(s.v[i]) < before_ms &&
		    queue_quarantine_remove(q, s.v[i], "expired",
		                            "{\"by\":\"quarantine_retention\"}") == 0)
			n++;
	}
	free(s.v);
	return n;
}
