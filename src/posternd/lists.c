/* lists.c - the suppression list and the inbound listener, wired in (lists.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "feedback.h"
#include "inbound.h"
#include "lists.h"
#include "log.h"
#include "queue.h"
#include "report.h"
#include "strutil.h"
#include "suppress.h"
#include "xmalloc.h"

/* the suppression list reaching queued mail */
static bool queue_suppressed(const char *stream, const char *rcpt, struct buf *detail, void *arg)
{
	struct lists *l = arg;
	struct store_suppression why;

	if (!suppress_check(l->suppress, stream, rcpt, &why))
		return false;
	suppress_event_detail(&why, "delivery", detail);
	return true;
}

/* a remote server said the mailbox is gone: no more mail to it, in any stream */
static void queue_bounced(const char *source, const char *stream, const char *rcpt, const char *dsn,
                          const char *reply, void *arg)
{
	struct lists *l = arg;
	struct store_suppression e;
	char err[256];

	if (report_bounce_class(dsn) != REPORT_BOUNCE_HARD)
		return;
	memset(&e, 0, sizeof(e));
	strlcpy_(e.address, rcpt, sizeof(e.address));
	strlcpy_(e.scope, "domain", sizeof(e.scope));
	strlcpy_(e.reason, "hard-bounce", sizeof(e.reason));
	strlcpy_(e.origin, "delivery", sizeof(e.origin));
	strlcpy_(e.source, source ? source : "", sizeof(e.source));
	snprintf(e.detail, sizeof(e.detail), "%s %s", dsn, reply ? reply : "");
	if (suppress_add(l->suppress, &e, err, sizeof(err)) < 0)
		log_err("suppression not added address=%s error=\"%s\"", rcpt, err);
}

/* VERP: the envelope sender a recipient's transaction leaves with */
static bool queue_verp(uint64_t id, size_t idx, const char *rcpt, struct buf *out, void *arg)
{
	return suppress_verp(((struct lists *)arg)->suppress, id, idx, rcpt, out);
}

static enum reply inbound_rcpt(const char *addr, void *arg)
{
	return feedback_rcpt(((struct lists *)arg)->feedback, addr);
}

static void inbound_message(const char *sender, char *const *rcpts, size_t n, const char *msg,
                            size_t len, const char *client, void *arg)
{
	feedback_message(((struct lists *)arg)->feedback, sender, rcpts, n, msg, len, client);
}

/* settings - the [streams], [unsubscribe] and [inbound] of c, borrowed; names/scopes freed by caller */
static void settings(const struct config *c, struct suppress_config *sc, const char ***names,
                     const char ***scopes)
{
	*names = xcalloc(c->streams.n + 1, sizeof(char *));
	*scopes = xcalloc(c->streams.n + 1, sizeof(char *));
	for (size_t i = 0; i < c->streams.n; i++) {
		(*names)[i] = c->streams.v[i].key;
		(*scopes)[i] = c->streams.v[i].value;
	}
	sc->streams = *names;
	sc->scopes = *scopes;
	sc->nstreams = c->streams.n;
	sc->base_url = c->unsub_base_url;
	sc->mailto_domain = c->unsub_mailto_domain;
	sc->bounce_domain = c->bounce_domain;
	sc->token_lifetime = (int64_t)(c->unsub_token_lifetime_ms / 1000);
	sc->secret_grace = (int64_t)(c->unsub_secret_grace_ms / 1000);
}

int lists_start(struct lists *l, struct event_base *base, const struct config *c, struct store *st,
                struct eventlog *ev, struct queue *q, char *err, size_t errlen)
{
	struct suppress_config sc;
	const char **names, **scopes;
	char *kp = xasprintf("%s/unsubscribe.key", c->state_dir);

	memset(l, 0, sizeof(*l));
	settings(c, &sc, &names, &scopes);
	l->suppress = suppress_new(st, ev, kp, &sc, err, errlen);
	free(kp);
	free(names);
	free(scopes);
	if (l->suppress == NULL)
		return -1;
	queue_set_suppress(q, queue_suppressed, queue_bounced, queue_verp, l);
	l->feedback = feedback_new(l->suppress, st, ev, c->complaints);
	struct inbound_handler ih = {inbound_rcpt, inbound_message, l};
	struct inbound_limits il = {c->inbound_max_size, c->inbound_timeout_ms,
	                            (size_t)c->inbound_max_connections, 10};
	l->inbound = inbound_new(base, c->hostname, &ih, &il);
	return 0;
}

int lists_listen(struct lists *l, int fd, const char *addr, char *err, size_t errlen)
{
	return inbound_listen(l->inbound, fd, addr, err, errlen);
}

void lists_apply(struct lists *l, const struct config *c)
{
	struct suppress_config sc;
	const char **names, **scopes;

	if (l->suppress == NULL)
		return;
	settings(c, &sc, &names, &scopes);
	suppress_configure(l->suppress, &sc);
	feedback_set_complaints(l->feedback, c->complaints);
	free(names);
	free(scopes);
}

void lists_stop(struct lists *l)
{
	inbound_free(l->inbound);
	l->inbound = NULL;
}

void lists_free(struct lists *l)
{
	lists_stop(l);
	feedback_free(l->feedback);
	suppress_free(l->suppress);
	memset(l, 0, sizeof(*l));
}
