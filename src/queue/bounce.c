/*
 * bounce.c - delivery status notifications (RFC 3461/3464) for the queue.
 *
 * Policy lives here, the message format in src/mail/dsn.c. A failure notice
 * goes to the envelope sender for recipients that failed for good, unless
 * NOTIFY said otherwise; never to the null sender (a bounce is never bounced).
 * The notice is committed to the spool like any message before the original
 * is removed, so a crash in between can duplicate it but never lose it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsn.h"
#include "eventlog.h"
#include "id.h"
#include "log.h"
#include "qrecord.h"
#include "queue_internal.h"
#include "strutil.h"
#include "xmalloc.h"

struct bounce_ctx {
	struct queue *q;
	struct qactive *m; /* NULL for a delay notice: nothing waits on it */
	int pending;
	bool ok;
};

/* one notice less in flight; the last one ends the original's attempt */
static void release(struct bounce_ctx *b)
{
	if (--b->pending > 0)
		return;
	if (b->m)
		bounce_done(b->m, b->ok);
	free(b);
}

static void committed(int err, uint64_t id, void *arg)
{
	struct bounce_ctx *b = arg;
	char hex[ID_HEXLEN + 1];

	if (err == 0) {
		queue_add(b->q, id, false); /* a bounce is urgent mail */
	} else {
		b->ok = false;
		log_err("msg=%s bounce commit failed error=\"%s\"", id_format(id, hex),
		        strerror(err));
	}
	release(b);
}

/* queue msg (a whole RFC 5322 message) from the null sender to rcpt */
static void inject(struct bounce_ctx *b, const struct envelope *orig, const struct buf *msg)
{
	struct envelope e;
	const char *sep = strstr(msg->data, "\r\n\r\n");
	char hex[ID_HEXLEN + 1], ohex[ID_HEXLEN + 1];

	envelope_init(&e);
	e.id = id_next();
	e.arrival_ms = now_ms();
	envelope_set(&e.source, "postern");
	envelope_set(&e.client, "127.0.0.1");
	envelope_set(&e.sender, "");
	envelope_set(&e.pool, orig->pool);
	e.smtputf8 = orig->smtputf8;
	envelope_add_rcpt(&e, orig->sender, DSN_NOTIFY_NEVER, NULL);
	struct spool_msg *sm = spool_msg_new(b->q->sp, e.id);
	struct buf *out = spool_msg_buf(sm);
	size_t hlen = sep ? (size_t)(sep - msg->data) + 2 : msg->len;
	qrec_put_envelope(out, &e);
	qrec_put(out, QREC_HEADER, msg->data, hlen);
	for (size_t off = sep ? hlen + 2 : msg->len; off < msg->len; off += QREC_BODY_CHUNK) {
		size_t n = msg->len - off < QREC_BODY_CHUNK ? msg->len - off : QREC_BODY_CHUNK;
		qrec_put(out, QREC_BODY, msg->data + off, n);
	}
	log_info("msg=%s bounce dsn=%s to=<%s>", id_format(orig->id, ohex), id_format(e.id, hex),
	         orig->sender);
	char detail[64];
	snprintf(detail, sizeof(detail), "{\"dsn_id\":\"%s\"}", hex);
	eventlog_add(b->q->events, "dsn", orig->id, orig->source, orig->sender, NULL, NULL, detail);
	b->pending++;
	envelope_release(&e);
	spool_msg_commit(sm, committed, b);
}

/* does this recipient want a notice of this kind? (no NOTIFY: failures only) */
static bool wants(unsigned notify, enum dsn_action a)
{
	if (notify & DSN_NOTIFY_NEVER)
		return false;
	switch (a) {
	case DSN_ACTION_FAILED:
		return notify == 0 || (notify & DSN_NOTIFY_FAILURE);
	case DSN_ACTION_DELAYED:
		return (notify & DSN_NOTIFY_DELAY) != 0;
	default:
		return (notify & DSN_NOTIFY_SUCCESS) != 0;
	}
}

/* build and inject one DSN for the recipients of m in state `status` that want `a` */
static void notice(struct bounce_ctx *b, struct qactive *m, enum rcpt_status status,
                   enum dsn_action a, bool delay_default)
{
	const struct envelope *env = &m->file.msg.env;
	struct dsn_rcpt *dr = xcalloc(env->nrcpts, sizeof(*dr));
	char(*remote)[QSTATE_RELAY_MAX] = xcalloc(env->nrcpts, sizeof(*remote));
	char from[300];
	size_t n = 0;
	struct buf msg;

	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct qstate_rcpt *r = &m->st.rcpts[i];
		if (r->status != status)
			continue;
		if (!wants(env->rcpts[i].notify, a) &&
		    !(delay_default && env->rcpts[i].notify == 0))
			continue;
		/* Remote-MTA is the host name alone: "mx.example.org[192.0.2.1]:25" -> host */
		snprintf(remote[n], sizeof(remote[n]), "%s", r->relay);
		remote[n][strcspn(remote[n], "[")] = '\0';
		dr[n].addr = env->rcpts[i].addr;
		dr[n].orcpt = env->rcpts[i].orcpt;
		dr[n].action = strcmp(r->relay, "capture") == 0 && a == DSN_ACTION_RELAYED
		                       ? DSN_ACTION_DELIVERED
		                       : a;
		dr[n].status = r->dsn[0]                 ? r->dsn
		               : a == DSN_ACTION_FAILED  ? "5.0.0"
		               : a == DSN_ACTION_DELAYED ? "4.0.0"
		                                         : "2.0.0";
		dr[n].remote_mta = remote[n][0] && strcmp(remote[n], "capture") ? remote[n] : NULL;
		dr[n].diagnostic = r->reply[0] ? r->reply : NULL;
		dr[n].last_attempt = (time_t)(m->st.last_ms / 1000);
		if (a == DSN_ACTION_DELAYED)
			dr[n].will_retry_until =
			        (time_t)((env->arrival_ms + b->q->cfg.max_lifetime_ms) / 1000);
		n++;
	}
	if (n > 0) {
		char hex[ID_HEXLEN + 1];
		struct dsn_info info = {
		        .reporting_mta = b->q->cfg.hostname,
		        .from = from,
		        .to = env->sender,
		        .envid = env->envid,
		        .queue_id = id_format(m->id, hex),
		        .arrival = (time_t)(env->arrival_ms / 1000),
		        /* RFC 6522 3: whole unless HDRS; never the content of a message a
		         * data-loss rule allowed out over verified TLS only (the DSN goes
		         * back as any mail does) */
		        .return_full = env->ret != DSN_RET_HDRS && !env->require_tls,
		        .utf8 = env->smtputf8,
		};
		snprintf(from, sizeof(from), "MAILER-DAEMON@%s", b->q->cfg.hostname);
		buf_init(&msg);
		if (dsn_build(&msg, &info, dr, n, m->file.msg.header.p, m->file.msg.header.n,
		              m->file.msg.body, m->file.msg.nbody, time(NULL)) == 0)
			inject(b, env, &msg);
		else {
			/* keep the original rather than remove it without its notice */
			b->ok = false;
			log_err("msg=%s bounce cannot build the DSN", hex);
		}
		buf_release(&msg);
	}
	free(dr);
	free(remote);
}

void bounce_notify(struct queue *q, struct qactive *m, bool final)
{
	const struct envelope *env = &m->file.msg.env;
	struct bounce_ctx *b = xcalloc(1, sizeof(*b));

	b->q = q;
	b->ok = true;
	b->pending = 1; /* held until every notice is started */
	if (env->sender[0] == '\0') {
		/* RFC 3461 6.2 / RFC 5321 4.5.5: nothing goes back to the null sender */
	} else if (final) {
		b->m = m;
		notice(b, m, RCPT_FAILED, DSN_ACTION_FAILED, false);
		notice(b, m, RCPT_SENT, DSN_ACTION_RELAYED, false);
	} else if (!m->st.delayed) {
		uint64_t age = now_ms() - env->arrival_ms;
		uint64_t warn = q->cfg.delay_warning_ms ? q->cfg.delay_warning_ms : 4 * 3600 * 1000;
		if (age >= warn) {
			notice(b, m, RCPT_PENDING, DSN_ACTION_DELAYED,
			       q->cfg.delay_warning_ms != 0);
			m->st.delayed = true;
		}
	}
	if (final)
		b->m = m;
	/* release the hold; with no notice started this finishes at once */
	release(b);
}
