/* webhooks.c - the webhook dispatcher (webhooks.h): queue, back-off, signed POSTs. */
#include "webhooks.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cidr.h"
#include "heap.h"
#include "htab.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "resolve.h"
#include "sources.h"
#include "store.h"
#include "strutil.h"
#include "xmalloc.h"

#define MAX_IN_FLIGHT     8 /* POSTs at once, in all */
#define SOURCE_IN_FLIGHT  2 /* POSTs at once to one source's endpoint */
#define MAX_REPLY_BODY    (64 * 1024)
#define MAX_REPLY_HEADERS (16 * 1024)
#define RETRY_MAX_MS      3600000ULL

/* one event on its way to its source's webhook */
struct hook {
	struct webhooks *w;
	struct hook *next; /* in the ready list, or the in-flight list */
	struct hook *prev;
	char source[SOURCE_NAME_MAX + 1];
	char id[24];
	char *body;
	size_t len;
	uint64_t created_ms;
	uint32_t attempts;
	/* while in flight */
	struct resolve_req *rq;
	struct evhttp_connection *conn;
	struct evhttp_request *req;
	char host[256], path[STORE_URL_MAX + 1];
	uint16_t port;
	bool tls;
	struct event *deadline; /* the whole attempt, however slowly the endpoint answers */
};

/*
 * what one source has queued and in flight (keyed by its name): its ready
 * hooks wait in a list of their own, and the sources with ready hooks take
 * turns (w->rr), so one endpoint's backlog never stands in front of another's
 */
struct per_source {
	size_t queued, flying;
	struct hook *rhead, *rtail; /* ready, oldest first */
	bool in_rr;
	struct per_source *rr_prev, *rr_next;
};

struct webhooks {
	struct event_base *base;
	struct sources *reg;
	struct resolver *dns;
	struct webhook_settings set;
	char *ca_file, *version;
	SSL_CTX *tls;
	struct per_source *rr_head, *rr_tail; /* the sources with ready hooks, in turn */
	struct heap later;                    /* (due ms, hook pointer): waiting to retry */
	struct hook *flying;                  /* in flight */
	struct evhttp_connection **dead;      /* connections to free outside their callbacks */
	size_t ndead, dead_cap;
	size_t nready, nflying;
	struct htab *by_source; /* name -> struct per_source */
	struct event *timer;
	bool pumping;
	struct webhook_stats st;
};

static void pump(struct webhooks *w);
static void rr_remove(struct webhooks *w, struct per_source *p);
static void on_deadline(evutil_socket_t fd, short what, void *arg);

static struct per_source *per(struct webhooks *w, const char *source)
{
	struct per_source *p = htab_get(w->by_source, source);

	if (p == NULL) {
		p = xcalloc(1, sizeof(*p));
		htab_put(w->by_source, source, p);
	}
	return p;
}

/* the hook leaves the queue for good */
static void hook_free(struct hook *h)
{
	struct per_source *p = htab_get(h->w->by_source, h->source);

	if (p && p->queued > 0 && --p->queued == 0 && p->flying == 0) {
		rr_remove(h->w, p);
		free(htab_del(h->w->by_source, h->source));
	}
	if (h->deadline)
		event_free(h->deadline);
	free(h->body);
	free(h);
}

/* -- URLs ---------------------------------------------------------------------- */

/* split url into its parts; false if it is not an http(s) URL Postern will call */
static bool parse_url(const char *url, bool *tls, char *host, size_t hostlen, uint16_t *port,
                      char *path, size_t pathlen, char *why, size_t whylen)
{
	size_t n = strlen(url);
	const char *p;

	if (n == 0 || n > STORE_URL_MAX) {
		snprintf(why, whylen, "a URL of 1 to %d characters is required", STORE_URL_MAX);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (url[i] <= 0x20 || url[i] >= 0x7f) {
			snprintf(why, whylen,
			         "the URL holds white space, a control or a non-ASCII "
			         "character (percent-encode it)");
			return false;
		}
	if (ascii_iprefix(url, "https://")) {
		*tls = true;
		p = url + 8;
	} else if (ascii_iprefix(url, "http://")) {
		*tls = false;
		p = url + 7;
	} else {
		snprintf(why, whylen, "the URL must start with https:// or http://");
		return false;
	}
	size_t auth = strcspn(p, "/?#");
	if (memchr(p, '@', auth) || strchr(url, '#')) {
		snprintf(why, whylen, "no user information or fragment in the URL");
		return false;
	}
	const char *colon = NULL;
	if (p[0] == '[') {
		const char *rb = memchr(p, ']', auth);
		if (rb == NULL) {
			snprintf(why, whylen, "an IPv6 address in the URL needs its closing ]");
			return false;
		}
		if ((size_t)(rb - p - 1) >= hostlen || rb == p + 1)
			goto badhost;
		memcpy(host, p + 1, (size_t)(rb - p - 1));
		host[rb - p - 1] = '\0';
		colon = rb + 1 < p + auth && rb[1] == ':' ? rb + 1 : NULL;
		if (rb + 1 < p + auth && rb[1] != ':')
			goto badhost;
	} else {
		colon = memchr(p, ':', auth);
		size_t hl = colon ? (size_t)(colon - p) : auth;
		if (hl == 0 || hl >= hostlen)
			goto badhost;
		memcpy(host, p, hl);
		host[hl] = '\0';
		if (strspn(host,
		           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
		    hl)
			goto badhost;
	}
	*port = *tls ? 443 : 80;
	if (colon) {
		char num[8];
		size_t pl = (size_t)(p + auth - colon - 1);
		uint64_t v;
		if (pl == 0 || pl >= sizeof(num))
			goto badport;
		memcpy(num, colon + 1, pl);
		num[pl] = '\0';
		if (parse_u64(num, 65535, &v) < 0 || v == 0)
			goto badport;
		*port = (uint16_t)v;
	}
	const char *rest = p + auth;
	/* "?q" alone is "/?q"; the path fits: it is part of url, shorter than pathlen */
	if (rest[0] == '\0')
		rest = "/";
	path[0] = '\0';
	if (rest[0] == '?')
		strlcpy_(path, "/", pathlen);
	strlcpy_(path + strlen(path), rest, pathlen - strlen(path));
	return true;
badhost:
	snprintf(why, whylen, "the URL's host is not a host name or an address");
	return false;
badport:
	snprintf(why, whylen, "the URL's port is not a number from 1 to 65535");
	return false;
}

bool webhook_url_valid(const char *url, char *why, size_t whylen)
{
	char host[256], path[STORE_URL_MAX + 1];
	uint16_t port;
	bool tls;

	return parse_url(url, &tls, host, sizeof(host), &port, path, sizeof(path), why, whylen);
}

/* -- the queue ------------------------------------------------------------------- */

static void rr_remove(struct webhooks *w, struct per_source *p)
{
	if (!p->in_rr)
		return;
	if (p->rr_prev)
		p->rr_prev->rr_next = p->rr_next;
	else
		w->rr_head = p->rr_next;
	if (p->rr_next)
		p->rr_next->rr_prev = p->rr_prev;
	else
		w->rr_tail = p->rr_prev;
	p->rr_prev = p->rr_next = NULL;
	p->in_rr = false;
}

static void rr_append(struct webhooks *w, struct per_source *p)
{
	p->rr_next = NULL;
	p->rr_prev = w->rr_tail;
	if (w->rr_tail)
		w->rr_tail->rr_next = p;
	else
		w->rr_head = p;
	w->rr_tail = p;
	p->in_rr = true;
}

static void ready_push(struct webhooks *w, struct hook *h)
{
	struct per_source *p = per(w, h->source);

	h->next = NULL;
	h->prev = p->rtail;
	if (p->rtail)
		p->rtail->next = h;
	else
		p->rhead = h;
	p->rtail = h;
	w->nready++;
	if (!p->in_rr)
		rr_append(w, p);
}

/* the oldest ready hook of p, taken out (p leaves the turns when it has none left) */
static struct hook *ready_pop(struct webhooks *w, struct per_source *p)
{
	struct hook *h = p->rhead;

	if (h == NULL)
		return NULL;
	p->rhead = h->next;
	if (p->rhead)
		p->rhead->prev = NULL;
	else
		p->rtail = NULL;
	w->nready--;
	h->next = h->prev = NULL;
	if (p->rhead == NULL)
		rr_remove(w, p);
	return h;
}

static void fly_link(struct webhooks *w, struct hook *h)
{
	per(w, h->source)->flying++;
	h->prev = NULL;
	h->next = w->flying;
	if (h->next)
		h->next->prev = h;
	w->flying = h;
	w->nflying++;
}

static void fly_unlink(struct webhooks *w, struct hook *h)
{
	struct per_source *p = htab_get(w->by_source, h->source);

	if (p && p->flying > 0)
		p->flying--;
	if (h->prev)
		h->prev->next = h->next;
	else
		w->flying = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->next = h->prev = NULL;
	w->nflying--;
}

static void bury(struct webhooks *w, struct evhttp_connection *c)
{
	if (c == NULL)
		return;
	if (w->ndead == w->dead_cap) {
		w->dead_cap = w->dead_cap ? w->dead_cap * 2 : 8;
		w->dead = xrealloc(w->dead, w->dead_cap * sizeof(*w->dead));
	}
	w->dead[w->ndead++] = c;
}

static void free_dead(struct webhooks *w)
{
	for (size_t i = 0; i < w->ndead; i++)
		evhttp_connection_free(w->dead[i]);
	w->ndead = 0;
}

enum outcome { DELIVERED, DISCARDED, FAILED };

/*
 * an attempt is over: delivered (2xx), discarded (the webhook was removed),
 * or failed (again later, or given up). It never starts another attempt
 * itself when called from pump (pump is not reentrant): a long ready list
 * is walked, not recursed into.
 */
static void finish(struct hook *h, enum outcome o, const char *why)
{
	struct webhooks *w = h->w;
	uint64_t now = now_ms();

	fly_unlink(w, h);
	if (h->deadline)
		evtimer_del(h->deadline);
	bury(w, h->conn);
	h->conn = NULL;
	h->req = NULL;
	h->rq = NULL;
	if (o != FAILED) {
		if (o == DELIVERED)
			w->st.delivered++;
		metrics_inc("postern_webhooks_total", "source", h->source, "result",
		            o == DELIVERED ? "delivered" : "discarded", 1);
		log_debug("webhook %s source=%s event=%s attempts=%u",
		          o == DELIVERED ? "delivered" : "discarded", h->source, h->id,
		          h->attempts);
		hook_free(h);
		pump(w);
		return;
	}
	w->st.failed_attempts++;
	uint64_t wait = w->set.retry_min_ms;
	for (uint32_t i = 1; i < h->attempts && wait < RETRY_MAX_MS; i++)
		wait *= 2;
	if (wait > RETRY_MAX_MS)
		wait = RETRY_MAX_MS;
	wait = wait - wait / 5 + randombytes_uniform((uint32_t)(wait / 5 * 2 + 1));
	if (now + wait > h->created_ms + w->set.max_age_ms) {
		w->st.given_up++;
		metrics_inc("postern_webhooks_total", "source", h->source, "result", "given_up", 1);
		log_warn("webhook given up source=%s event=%s attempts=%u error=\"%s\"", h->source,
		         h->id, h->attempts, why);
		hook_free(h);
	} else {
		log_info("webhook failed source=%s event=%s attempts=%u next_in=%.1fs error=\"%s\"",
		         h->source, h->id, h->attempts, (double)wait / 1000.0, why);
		heap_push(&w->later, now + wait, (uint64_t)(uintptr_t)h);
	}
	pump(w);
}

/* -- one attempt ----------------------------------------------------------------- */

static void on_response(struct evhttp_request *req, void *arg)
{
	struct hook *h = arg;
	int code = req ? evhttp_request_get_response_code(req) : 0;
	char why[64];

	h->req = NULL;
	if (code >= 200 && code < 300) {
		finish(h, DELIVERED, NULL);
		return;
	}
	if (code == 0)
		snprintf(why, sizeof(why), "no answer (refused, reset or timed out)");
	else
		snprintf(why, sizeof(why), "HTTP %d", code);
	finish(h, FAILED, why);
}

static void sign(const char *secret, const char *ts, const char *body, size_t len,
                 char out[2 * crypto_auth_hmacsha256_BYTES + 1])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, 2 * crypto_auth_hmacsha256_BYTES + 1, mac, sizeof(mac));
}

static void resolved(void *arg, const struct resolve_result *res)
{
	struct hook *h = arg;
	struct webhooks *w = h->w;
	struct source *s = sources_find(w->reg, h->source);
	char ip[64], ts[24], sig[2 * crypto_auth_hmacsha256_BYTES + 1], hdr[200];

	h->rq = NULL;
	if (res->status != RESOLVE_OK || res->n == 0) {
		finish(h, FAILED,
		       res->n == 0 && res->status == RESOLVE_OK
		               ? "the host has no address Postern may call"
		               : res->why);
		return;
	}
	if (s == NULL || s->webhook_url[0] == '\0') {
		finish(h, DISCARDED, NULL); /* removed meanwhile: nothing to deliver to */
		return;
	}
	/* the resolver trusts an address written in the URL; a webhook must not */
	if (!w->set.allow_private && addr_is_reserved((const struct sockaddr *)&res->t[0].ss)) {
		finish(h, FAILED,
		       "the host's address is loopback, private or link-local "
		       "([webhooks] allow_private is off)");
		return;
	}
	sockaddr_ntop((const struct sockaddr *)&res->t[0].ss, ip, sizeof(ip));
	struct bufferevent *bev = NULL;
	if (h->tls) {
		SSL *ssl = SSL_new(w->tls);
		if (ssl == NULL) {
			finish(h, FAILED, "cannot create a TLS session");
			return;
		}
		unsigned char bin[16];
		bool literal = inet_pton(AF_INET, h->host, bin) == 1 ||
		               inet_pton(AF_INET6, h->host, bin) == 1;
		if (literal) {
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), h->host);
		} else {
			SSL_set_tlsext_host_name(ssl, h->host);
			SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			SSL_set1_host(ssl, h->host);
		}
		bev = bufferevent_openssl_socket_new(w->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
		                                     BEV_OPT_CLOSE_ON_FREE |
		                                             BEV_OPT_DEFER_CALLBACKS);
		if (bev == NULL) {
			SSL_free(ssl);
			finish(h, FAILED, "cannot create a TLS connection");
			return;
		}
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	}
	h->conn = evhttp_connection_base_bufferevent_new(w->base, NULL, bev, ip, h->port);
	if (h->conn == NULL) {
		if (bev)
			bufferevent_free(bev);
		finish(h, FAILED, "cannot create a connection");
		return;
	}
	evhttp_connection_set_timeout(h->conn, (int)((w->set.timeout_ms + 999) / 1000));
	/* an endpoint's answer is read, never hoarded: its size is bounded, and its time */
	evhttp_connection_set_max_body_size(h->conn, MAX_REPLY_BODY);
	evhttp_connection_set_max_headers_size(h->conn, MAX_REPLY_HEADERS);
	h->req = evhttp_request_new(on_response, h);
	struct evkeyvalq *oh = evhttp_request_get_output_headers(h->req);
	bool v6 = strchr(h->host, ':') != NULL;
	if ((h->tls && h->port == 443) || (!h->tls && h->port == 80))
		snprintf(hdr, sizeof(hdr), v6 ? "[%s]" : "%s", h->host);
	else
		snprintf(hdr, sizeof(hdr), v6 ? "[%s]:%u" : "%s:%u", h->host, (unsigned)h->port);
	evhttp_add_header(oh, "Host", hdr);
	evhttp_add_header(oh, "Content-Type", "application/json");
	snprintf(hdr, sizeof(hdr), "Postern/%s", w->version);
	evhttp_add_header(oh, "User-Agent", hdr);
	evhttp_add_header(oh, "Postern-Event-Id", h->id);
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	evhttp_add_header(oh, "Postern-Timestamp", ts);
	sign(s->webhook_secret, ts, h->body, h->len, sig);
	snprintf(hdr, sizeof(hdr), "t=%s,v1=%s", ts, sig);
	evhttp_add_header(oh, "Postern-Signature", hdr);
	evhttp_add_header(oh, "Connection", "close");
	evbuffer_add(evhttp_request_get_output_buffer(h->req), h->body, h->len);
	if (evhttp_make_request(h->conn, h->req, EVHTTP_REQ_POST, h->path) < 0) {
		/* evhttp freed the request */
		h->req = NULL;
		finish(h, FAILED, "cannot send the request");
		return;
	}
	uint64_t ms = w->set.timeout_ms;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(h->deadline, &tv);
}

/* the attempt took too long, trickling or not: cut it */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct hook *h = arg;

	if (h->req) {
		/* frees the request; its callback does not run */
		evhttp_cancel_request(h->req);
		h->req = NULL;
	}
	finish(h, FAILED, "no whole answer within the timeout");
}

/* start an attempt for h: look the source's URL up, resolve its host */
static void start(struct webhooks *w, struct hook *h)
{
	struct source *s = sources_find(w->reg, h->source);
	char why[200];

	fly_link(w, h);
	h->attempts++;
	if (h->deadline == NULL)
		h->deadline = evtimer_new(w->base, on_deadline, h);
	if (s == NULL || s->webhook_url[0] == '\0') {
		/* the webhook was removed: these events have nowhere to go */
		finish(h, DISCARDED, NULL);
		return;
	}
	if (!parse_url(s->webhook_url, &h->tls, h->host, sizeof(h->host), &h->port, h->path,
	               sizeof(h->path), why, sizeof(why))) {
		finish(h, FAILED, why);
		return;
	}
	struct resolve_opts o = {h->port, w->set.allow_private, true, true};
	h->rq = resolve_host(w->dns, h->host, &o, resolved, h);
}

/* connections are freed here, from the timer, never inside their own callbacks */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	free_dead(arg);
	pump(arg);
}

/* the next source in turn with a free slot gives its oldest ready hook; NULL if none can */
static struct hook *next_ready(struct webhooks *w)
{
	for (struct per_source *p = w->rr_head, *next; p; p = next) {
		next = p->rr_next;
		if (p->flying >= SOURCE_IN_FLIGHT)
			continue;
		struct hook *h = ready_pop(w, p);
		if (p->in_rr) { /* its turn is over: to the back */
			rr_remove(w, p);
			rr_append(w, p);
		}
		return h;
	}
	return NULL;
}

static void pump(struct webhooks *w)
{
	uint64_t now = now_ms();
	struct heap_item it;
	struct hook *h;

	if (w->pumping)
		return; /* a finish() inside start(): the loop below goes on */
	w->pumping = true;
	while (heap_peek(&w->later) && heap_peek(&w->later)->key <= now) {
		heap_pop(&w->later, &it);
		ready_push(w, (struct hook *)(uintptr_t)it.value);
	}
	while (w->nflying < MAX_IN_FLIGHT && (h = next_ready(w)) != NULL)
		start(w, h);
	w->pumping = false;
	evtimer_del(w->timer);
	const struct heap_item *top = heap_peek(&w->later);
	uint64_t wait = top ? (top->key > now ? top->key - now : 0) : 0;
	if (top || w->ndead) {
		if (w->ndead && wait > 100)
			wait = 100;
		struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
		evtimer_add(w->timer, &tv);
	}
}

/* -- events ------------------------------------------------------------------------ */

void webhooks_event(struct webhooks *w, const struct store_event *e)
{
	if (w == NULL || e->source == NULL || e->source[0] == '\0')
		return;
	struct source *s = sources_find(w->reg, e->source);
	if (s == NULL || !source_wants_event(s, e->type))
		return;
	struct hook *h = xcalloc(1, sizeof(*h));
	unsigned char rnd[8];
	randombytes_buf(rnd, sizeof(rnd));
	strcpy(h->id, "evt_");
	sodium_bin2hex(h->id + 4, sizeof(h->id) - 4, rnd, sizeof(rnd));
	h->w = w;
	strlcpy_(h->source, e->source, sizeof(h->source));
	h->created_ms = now_ms();
	json_t *detail = e->detail ? json_loads(e->detail, 0, NULL) : NULL;
	json_t *j = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", h->id,
	                      "type", e->type, "time", http_time_ms(e->ts_ms), "source", e->source,
	                      "message_id", e->msg, "sender", e->sender ? e->sender : "",
	                      "recipient", e->rcpt ? e->rcpt : "", "dsn", e->dsn, "reason",
	                      e->reason, "detail", detail ? detail : json_object());
	h->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (h->body == NULL) {
		hook_free(h);
		return;
	}
	h->len = strlen(h->body);
	/* one source's slow endpoint may fill a quarter of the queue, not all of it */
	struct per_source *p = per(w, h->source);
	size_t share = w->set.max_queued / 4 > 0 ? w->set.max_queued / 4 : 1;
	if (++p->queued > share) {
		w->st.dropped++;
		metrics_inc("postern_webhooks_total", "source", e->source, "result", "dropped", 1);
		hook_free(h);
		return;
	}
	/* bounded: the source's own oldest waiting event goes first */
	if (w->nready + w->later.n >= w->set.max_queued) {
		struct hook *old = ready_pop(w, p);
		w->st.dropped++;
		metrics_inc("postern_webhooks_total", "source", e->source, "result", "dropped", 1);
		if (old) {
			hook_free(old);
		} else {
			hook_free(h);
			return;
		}
	}
	ready_push(w, h);
	pump(w);
}

/* -- life ---------------------------------------------------------------------------- */

static SSL_CTX *client_tls(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "webhooks: cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	int ok = ca_file && ca_file[0] ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
	                               : SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		snprintf(err, errlen, "webhooks: cannot load CA certificates%s%s",
		         ca_file && ca_file[0] ? " from " : "", ca_file ? ca_file : "");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void free_value(const char *key, void *value, void *arg)
{
	free(value);
}

struct webhooks *webhooks_new(struct event_base *base, struct sources *reg, struct resolver *dns,
                              const struct webhook_settings *set, char *err, size_t errlen)
{
	struct webhooks *w = xcalloc(1, sizeof(*w));

	w->base = base;
	w->reg = reg;
	w->dns = dns;
	heap_init(&w->later);
	w->by_source = htab_new();
	w->timer = evtimer_new(base, on_timer, w);
	w->version = xstrdup(set->version ? set->version : "0");
	webhooks_set(w, set);
	if ((w->tls = client_tls(set->ca_file, err, errlen)) == NULL) {
		webhooks_free(w);
		return NULL;
	}
	metrics_define("postern_webhooks_total", METRIC_COUNTER,
	               "Webhook events by source and result (delivered, given_up, dropped)", NULL,
	               0);
	return w;
}

void webhooks_set(struct webhooks *w, const struct webhook_settings *set)
{
	free(w->ca_file);
	w->set = *set;
	w->ca_file = set->ca_file ? xstrdup(set->ca_file) : NULL;
	w->set.ca_file = w->ca_file;
	w->set.version = w->version;
	if (w->set.max_queued == 0)
		w->set.max_queued = 1;
}

void webhooks_free(struct webhooks *w)
{
	struct heap_item it;

	if (w == NULL)
		return;
	while (w->flying) {
		struct hook *h = w->flying;
		w->flying = h->next;
		if (h->rq)
			resolve_cancel(h->rq);
		/* frees the request without calling back */
		if (h->conn)
			evhttp_connection_free(h->conn);
		hook_free(h);
	}
	w->nflying = 0;
	/* each pop may take its source out of the turns (and hook_free free it) */
	while (w->rr_head) {
		struct hook *h = ready_pop(w, w->rr_head);
		if (h)
			hook_free(h);
		else
			rr_remove(w, w->rr_head); /* cannot be: a source in turn has hooks */
	}
	while (heap_pop(&w->later, &it))
		hook_free((struct hook *)(uintptr_t)it.value);
	heap_release(&w->later);
	free_dead(w);
	free(w->dead);
	if (w->timer)
		event_free(w->timer);
	htab_foreach(w->by_source, free_value, NULL);
	htab_free(w->by_source);
	SSL_CTX_free(w->tls);
	free(w->ca_file);
	free(w->version);
	free(w);
}

void webhooks_get_stats(struct webhooks *w, struct webhook_stats *out)
{
	*out = w->st;
	out->queued = w->nready + w->later.n;
	out->in_flight = w->nflying;
}
