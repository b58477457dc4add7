/*
 * mta.c - the delivery engine: routing decisions, IP pools, TLS client
 * contexts, and the capture transport.
 *
 * SECURITY: talks to remote SMTP servers and DNS, both untrusted: every reply
 * is bounded (smtp_reply.c), DNS answers are parsed strictly (dnsmsg.c), and
 * addresses an MX lookup yields in reserved ranges are refused unless the
 * configuration allows them. Where policy requires TLS there is no plaintext
 * fallback. Reads the message files the queue maps; writes only the capture
 * directory.
 */
#include "mta.h"

#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "log.h"
#include "mta_internal.h"
#include "strutil.h"
#include "workq.h"
#include "xmalloc.h"

void mta_result_set(struct mta_result *r, enum mta_outcome o, int code, const char *dsn,
                    const char *relay, const char *fmt, ...)
{
	va_list ap;

	r->outcome = o;
	r->code = code;
	strlcpy_(r->dsn, dsn, sizeof(r->dsn));
	strlcpy_(r->relay, relay ? relay : "", sizeof(r->relay));
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void *dup_array(const void *p, size_t n, size_t size)
{
	void *q = xcalloc(n ? n : 1, size);

	if (n)
		memcpy(q, p, n * size);
	return q;
}

static SSL_CTX *client_ctx(bool verify, const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "SSL_CTX_new failed");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	if (verify) {
		int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
		                 : SSL_CTX_set_default_verify_paths(ctx);
		if (ok != 1) {
			snprintf(err, errlen, "cannot load CA certificates%s%s",
			         ca_file ? " from " : "", ca_file ? ca_file : "");
			SSL_CTX_free(ctx);
			ERR_clear_error();
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	return ctx;
}

struct mta *mta_new(struct event_base *base, const struct mta_config *cfg, char *err, size_t errlen)
{
	struct mta *m = xcalloc(1, sizeof(*m));

	m->base = base;
	m->cfg = *cfg;
	m->cfg.hostname = xstrdup(cfg->hostname);
	m->cfg.capture_dir = xstrdup(cfg->capture_dir ? cfg->capture_dir : "");
	m->cfg.routes = dup_array(cfg->routes, cfg->nroutes, sizeof(*cfg->routes));
	m->cfg.tls = dup_array(cfg->tls, cfg->ntls, sizeof(*cfg->tls));
	m->cfg.concurrency =
	        dup_array(cfg->concurrency, cfg->nconcurrency, sizeof(*cfg->concurrency));
	m->cfg.pools = dup_array(cfg->pools, cfg->npools, sizeof(*cfg->pools));
	for (size_t i = 0; i < cfg->npools; i++)
		m->cfg.pools[i].addrs = dup_array(cfg->pools[i].addrs, cfg->pools[i].n,
		                                  sizeof(*cfg->pools[i].addrs));
	m->cfg.default_pool = xstrdup(cfg->default_pool ? cfg->default_pool : "");
	m->cfg.resolver = xstrdup(cfg->resolver ? cfg->resolver : "system");
	m->cfg.tls_ca_file = dup_or_null(cfg->tls_ca_file);
	m->cfg.smarthost_user = dup_or_null(cfg->smarthost_user);
	m->cfg.smarthost_password = dup_or_null(cfg->smarthost_password);
	if (m->cfg.msgs_per_conn < 1)
		m->cfg.msgs_per_conn = 1;
	m->capture_wq = workq_new(base, 4, "capture");
	if ((m->tls_plain = client_ctx(false, NULL, err, errlen)) == NULL ||
	    (m->tls_verify = client_ctx(true, m->cfg.tls_ca_file, err, errlen)) == NULL ||
	    (m->resolver = resolver_new(base, m->cfg.resolver, err, errlen)) == NULL) {
		mta_free(m);
		return NULL;
	}
	return m;
}

void mta_free(struct mta *m)
{
	if (m == NULL)
		return;
	smtp_conn_abort_all(m);
	workq_free(m->capture_wq);
	resolver_free(m->resolver);
	SSL_CTX_free(m->tls_plain);
	SSL_CTX_free(m->tls_verify);
	free((char *)m->cfg.hostname);
	free((char *)m->cfg.capture_dir);
	free(m->cfg.routes);
	free(m->cfg.tls);
	free(m->cfg.concurrency);
	for (size_t i = 0; i < m->cfg.npools; i++)
		free(m->cfg.pools[i].addrs);
	free(m->cfg.pools);
	free((char *)m->cfg.default_pool);
	free((char *)m->cfg.resolver);
	free((char *)m->cfg.tls_ca_file);
	free((char *)m->cfg.smarthost_user);
	if (m->cfg.smarthost_password) {
		OPENSSL_cleanse((char *)m->cfg.smarthost_password,
		                strlen(m->cfg.smarthost_password));
		free((char *)m->cfg.smarthost_password);
	}
	free(m);
}

const struct mta_pool *mta_pool_find(const struct mta *m, const char *name)
{
	for (size_t i = 0; i < m->cfg.npools; i++)
		if (strcmp(m->cfg.pools[i].name, name) == 0)
			return &m->cfg.pools[i];
	return NULL;
}

const struct mta_pool *mta_pools(const struct mta *m, size_t *n)
{
	*n = m->cfg.npools;
	return m->cfg.pools;
}

struct resolver *mta_resolver(struct mta *m)
{
	return m->resolver;
}

void mta_spf_record(const struct mta *m, struct buf *out)
{
	size_t start = out->len;

	buf_puts(out, "v=spf1");
	for (size_t i = 0; i < m->cfg.npools; i++)
		for (size_t k = 0; k < m->cfg.pools[i].n; k++) {
			const struct mta_pool_addr *ad = &m->cfg.pools[i].addrs[k];
			char term[80];
			snprintf(term, sizeof(term), " %s:%s",
			         ad->ss.ss_family == AF_INET ? "ip4" : "ip6", ad->text);
			if (strstr(out->data + start, term) == NULL)
				buf_puts(out, term);
		}
	/* no pools: mail leaves from the host's own address, named by its host name */
	if (m->cfg.npools == 0)
		buf_printf(out, " a:%s", m->cfg.hostname);
	buf_puts(out, " -all");
}

static void dest_key(struct mta_dest *out);

void mta_destination(struct mta *m, const char *domain, const char *pool, struct mta_dest *out)
{
	size_t best = 0;

	memset(out, 0, sizeof(*out));
	out->route = m->cfg.default_route;
	for (size_t i = 0; i < m->cfg.nroutes; i++) {
		size_t rank = domain_pattern_rank(m->cfg.routes[i].pattern, domain);
		if (rank > best) {
			best = rank;
			out->route = m->cfg.routes[i].route;
		}
	}
	out->tls = m->cfg.default_tls;
	best = 0;
	for (size_t i = 0; i < m->cfg.ntls; i++) {
		size_t rank = domain_pattern_rank(m->cfg.tls[i].pattern, domain);
		if (rank > best) {
			best = rank;
			out->tls = m->cfg.tls[i].policy;
		}
	}
	out->concurrency = m->cfg.dest_concurrency;
	best = 0;
	for (size_t i = 0; i < m->cfg.nconcurrency; i++) {
		size_t rank = domain_pattern_rank(m->cfg.concurrency[i].pattern, domain);
		if (rank > best) {
			best = rank;
			out->concurrency = m->cfg.concurrency[i].value;
		}
	}
	if (out->route.kind == ROUTE_SMARTHOST) {
		if (m->cfg.have_smarthost)
			out->tls = m->cfg.smarthost_tls;
	}
	const char *pname = (pool && *pool) ? pool : m->cfg.default_pool;
	out->pool = -1;
	for (size_t i = 0; i < m->cfg.npools; i++)
		if (strcmp(m->cfg.pools[i].name, pname) == 0)
			out->pool = (int)i;
	strlcpy_(out->domain, domain, sizeof(out->domain));
	dest_key(out);
}

void mta_dest_require_verify(struct mta_dest *d)
{
	if (d->tls == TLS_POLICY_VERIFY || d->route.kind == ROUTE_CAPTURE)
		return;
	d->tls = TLS_POLICY_VERIFY;
	dest_key(d);
}

static void dest_key(struct mta_dest *out)
{
	char rtext[300];
	const char *domain = out->domain;

	route_format(&out->route, rtext, sizeof(rtext));
	if (out->route.kind == ROUTE_CAPTURE)
		snprintf(out->key, sizeof(out->key), "capture");
	else if (out->route.kind == ROUTE_MX)
		snprintf(out->key, sizeof(out->key), "mx:%s|pool:%d|tls:%s", domain, out->pool,
		         tls_policy_name(out->tls));
	else
		snprintf(out->key, sizeof(out->key), "%s|pool:%d|tls:%s", rtext, out->pool,
		         tls_policy_name(out->tls));
}

/* -- the capture transport: a "connection" that writes files on a worker ------ */

struct capture_conn {
	struct mta *m;
	struct mta_feed feed;
	struct mta_msg *cur;
	int err;
	char errtext[256];
};

static void capture_next(struct capture_conn *c);

static void capture_work(void *arg)
{
	struct capture_conn *c = arg;

	c->err =
	        capture_deliver(c->m->cfg.capture_dir, c->cur->msg, c->errtext, sizeof(c->errtext));
}

static void capture_done(void *arg)
{
	struct capture_conn *c = arg;
	struct mta_msg *mm = c->cur;

	for (size_t i = 0; i < mm->nrcpt; i++) {
		if (c->err == 0)
			mta_result_set(&mm->res[i], MTA_SENT, 250, "2.0.0", "capture",
			               "250 2.0.0 written to the capture directory");
		else
			mta_result_set(&mm->res[i], MTA_TEMP, 0, "4.3.0", "capture",
			               "capture failed: %s", c->errtext);
	}
	c->cur = NULL;
	c->feed.done(c->feed.arg, mm);
	capture_next(c);
}

static void capture_next(struct capture_conn *c)
{
	c->cur = c->feed.next(c->feed.arg);
	if (c->cur == NULL) {
		c->feed.closed(c->feed.arg, NULL);
		free(c);
		return;
	}
	workq_submit(c->m->capture_wq, capture_work, capture_done, c);
}

void mta_connect(struct mta *m, const struct mta_dest *d, const struct mta_feed *feed)
{
	if (d->route.kind == ROUTE_CAPTURE) {
		struct capture_conn *c = xcalloc(1, sizeof(*c));
		c->m = m;
		c->feed = *feed;
		capture_next(c);
		return;
	}
	smtp_conn_start(m, d, feed);
}

size_t mta_connections(const struct mta *m)
{
	return m->nconns;
}

bool mta_wake(struct mta *m, void *feed_arg)
{
	return smtp_conn_wake(m, feed_arg);
}

bool mta_drop_idle(struct mta *m, void *except)
{
	return smtp_conn_drop_idle(m, except);
}
