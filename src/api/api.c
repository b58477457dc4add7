/*
 * api.c - the HTTP server (libevent's evhttp): its doors, routing, the
 * admin token, the audit log of administrative changes, and /metrics.
 *
 * SECURITY: three doors, each its own evhttp, so that a route cannot be
 * reached through the wrong one.
 *   - The control socket (Unix, mode 0600, owned by the daemon's account):
 *     whoever can open it is an administrator, and nobody else can.
 *   - The admin listener (TCP, off unless configured): the same API, for a
 *     bearer token compared in constant time (digests of equal length).
 *   - The send listeners (TCP, HTTP or HTTPS): only /v1/messages (an API key
 *     of a source, send.c) and /healthz; never an admin route.
 * Bodies and headers are bounded before they are parsed; every error is a
 * JSON object with a code and a message. Every change made through an admin
 * door is written to the audit log (who, what, when, the outcome); secrets in
 * replies (new passwords, API keys) are never logged or audited.
 */
#include "api.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api_internal.h"
#include "eventlog.h"
#include "htab.h"
#include "console.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "smtpd.h"
#include "sources.h"
#include "spool.h"
#include "store.h"
#include "strutil.h"
#include "workq.h"
#include "xmalloc.h"

#define ADMIN_MAX_BODY (64 * 1024)
#define MAX_HEADERS    (16 * 1024)
#define AUDIT_DETAIL   2048

/* an admin change waiting for its reply to be sent, to be written to the audit log */
struct api_audit {
	struct api *a;
	struct api_audit *prev, *next;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	struct store_audit rec;
};

struct api_pending *api_pending_new(struct api *a, struct evhttp_request *req, void *data)
{
	struct api_pending *p = xcalloc(1, sizeof(*p));

	p->a = a;
	p->req = req;
	p->data = data;
	p->next = a->pending;
	if (p->next)
		p->next->prev = p;
	a->pending = p;
	return p;
}

struct evhttp_request *api_pending_done(struct api_pending *p)
{
	struct evhttp_request *req = p->req;

	if (p->a == NULL) {
		/* orphaned by api_free: the worker's answer has nowhere to go */
		free(p);
		return NULL;
	}
	if (p->prev)
		p->prev->next = p->next;
	else
		p->a->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	free(p);
	return req;
}

const char *api_query(struct evhttp_request *req, const char *key, char *buf, size_t n)
{
	struct evkeyvalq params;
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	const char *v;

	if (q == NULL || evhttp_parse_query_str(q, &params) < 0)
		return NULL;
	v = evhttp_find_header(&params, key);
	if (v)
		strlcpy_(buf, v, n);
	evhttp_clear_headers(&params);
	return v ? buf : NULL;
}

/* -- the audit log --------------------------------------------------------- */

static void audit_unlink(struct api_audit *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		x->a->audits = x->next;
	if (x->next)
		x->next->prev = x->prev;
}

static void audit_write(struct api_audit *x, int status)
{
	char err[256];

	x->rec.status = status;
	x->rec.ts_ms = (int64_t)now_ms();
	if (store_audit_insert(x->a->deps.store, &x->rec, err, sizeof(err)) < 0)
		log_err("audit not written actor=\"%s\" action=%s target=%s error=\"%s\"",
		        x->rec.actor, x->rec.action, x->rec.target, err);
	log_info("audit actor=\"%s\" action=%s target=%s status=%d", x->rec.actor, x->rec.action,
	         x->rec.target, status);
	audit_unlink(x);
	free(x->rec.detail);
	free(x);
}

static void audit_complete(struct evhttp_request *req, void *arg)
{
	struct api_audit *x = arg;

	audit_write(x, evhttp_request_get_response_code(req));
}

/* who is at the other end: the Unix account, or the token holder's address */
static bool token_ok(struct api *a, struct evhttp_request *req);

static void actor_of(struct api *a, struct evhttp_request *req, enum door kind, char *out, size_t n)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char *claimed =
	        evhttp_find_header(evhttp_request_get_input_headers(req), "X-Postern-Actor");
	char who[96] = "unknown", as[80] = "";

	if (kind == DOOR_UNIX && conn) {
		struct ucred uc;
		socklen_t len = sizeof(uc);
		int fd = door_fd(evhttp_connection_get_bufferevent(conn));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0) {
			struct passwd pw, *res = NULL;
			char pwbuf[1024];
			if (getpwuid_r(uc.uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
				snprintf(who, sizeof(who), "unix:%s", res->pw_name);
			else
				snprintf(who, sizeof(who), "unix:uid=%u", (unsigned)uc.uid);
		}
	} else if (conn) {
		char *host = NULL;
		ev_uint16_t port = 0;
		bool csrf_ok;
		const char *user = token_ok(a, req) ? NULL : console_user(a, req, &csrf_ok);
		evhttp_connection_get_peer(conn, &host, &port);
		if (user)
			snprintf(who, sizeof(who), "console:%s@%s", user, host ? host : "?");
		else
			snprintf(who, sizeof(who), "token@%s", host ? host : "?");
	}
	/* what the client says of itself (posternctl sends the login name): noted, not trusted */
	if (claimed && strlen(claimed) <= 64) {
		size_t k = 0;
		for (const char *p = claimed; *p && k + 1 < sizeof(as); p++)
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || strchr("._-@", *p))
				as[k++] = *p;
		as[k] = '\0';
	}
	if (as[0])
		snprintf(out, n, "%s (as %s)", who, as);
	else
		snprintf(out, n, "%s", who);
}

static const char *method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	default:
		return "GET";
	}
}

/* an admin change begins: its audit record is written once its reply is sent */
static void audit_begin(struct api *a, struct evhttp_request *req, enum door kind, const char *path)
{
	struct api_audit *x = xcalloc(1, sizeof(*x));
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);

	x->a = a;
	x->req = req;
	x->conn = evhttp_request_get_connection(req);
	actor_of(a, req, kind, x->rec.actor, sizeof(x->rec.actor));
	strlcpy_(x->rec.action, method_name(evhttp_request_get_command(req)),
	         sizeof(x->rec.action));
	strlcpy_(x->rec.target, path, sizeof(x->rec.target));
	/* the request as sent (the secrets Postern makes are in replies, never requests) */
	json_t *j = NULL;
	if (n > 0 && n <= ADMIN_MAX_BODY)
		j = json_loadb((const char *)evbuffer_pullup(in, (ev_ssize_t)n), n, 0, NULL);
	/* but an administrator's own password may be chosen by the caller: never kept */
	static const char *secret_keys[] = {"password", "secret", "token"};
	for (size_t i = 0; json_is_object(j) && i < sizeof(secret_keys) / sizeof(*secret_keys); i++)
		if (json_object_get(j, secret_keys[i]))
			json_object_set_new(j, secret_keys[i], json_string("(not kept)"));
	char *text = json_is_object(j) ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (text == NULL || strlen(text) > AUDIT_DETAIL) {
		free(text);
		text = xstrdup("{}");
	}
	x->rec.detail = text;
	x->next = a->audits;
	if (x->next)
		x->next->prev = x;
	a->audits = x;
	evhttp_request_set_on_complete_cb(req, audit_complete, x);
}

void api_conn_closed(struct api *a, struct evhttp_connection *conn)
{
	for (struct api_pending *p = a->pending; p; p = p->next)
		if (p->req && evhttp_request_get_connection(p->req) == conn)
			p->req = NULL;
	/* a change whose client left before the reply is still a change: record it */
	for (struct api_audit *x = a->audits, *next; x; x = next) {
		next = x->next;
		if (x->conn == conn)
			audit_write(x, 0);
	}
	api_send_conn_closed(a, conn);
}

/* evhttp is freeing a connection of an admin door */
static void on_conn_close(struct evhttp_connection *conn, void *arg)
{
	api_conn_closed(arg, conn);
}

/* -- small routes ---------------------------------------------------------- */

static void status(struct api *a, struct evhttp_request *req)
{
	struct spool_stats st;

	spool_get_stats(a->deps.spool, &st);
	http_json(req, 200,
	          json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}}", "status", "ok",
	                    "version", a->deps.version, "uptime_seconds",
	                    (json_int_t)((now_ms() - a->started_ms) / 1000), "smtp_sessions",
	                    (json_int_t)smtpd_sessions(a->deps.smtpd), "sources",
	                    (json_int_t)sources_count(a->deps.reg), "queue_length",
	                    (json_int_t)queue_length(a->deps.queue), "spool", "commits",
	                    (json_int_t)st.commits, "failures", (json_int_t)st.failures,
	                    "dir_syncs", (json_int_t)st.dir_syncs));
}

/* GET /metrics: the counters, with the gauges read now */
static void metrics(struct api *a, struct evhttp_request *req)
{
	struct queue_counts qc;
	struct eventlog_stats es;
	struct buf b;

	queue_counts(a->deps.queue, &qc);
	metrics_set("postern_queue_messages", "state", "active", (double)qc.active);
	metrics_set("postern_queue_messages", "state", "waiting", (double)qc.waiting);
	metrics_set("postern_queue_messages", "state", "held", (double)qc.held);
	metrics_set("postern_smtp_sessions", NULL, NULL, (double)smtpd_sessions(a->deps.smtpd));
	if (a->deps.events) {
		eventlog_get_stats(a->deps.events, &es);
		metrics_set("postern_events_dropped_total", NULL, NULL, (double)es.dropped);
	}
	buf_init(&b);
	metrics_render(&b);
	struct evbuffer *out = evbuffer_new();
	evbuffer_add(out, b.data, b.len);
	buf_release(&b);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

/* split "/a/b/c" into segments; false if too many or empty ones */
static bool split_path(char *path, char **seg, size_t *nseg)
{
	size_t n = 0;
	char *save = NULL;

	if (path[0] != '/')
		return false;
	for (char *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (n == API_MAX_SEGMENTS)
			return false;
		seg[n++] = t;
	}
	*nseg = n;
	return true;
}

/* the admin token: a bearer token whose digest matches, compared in constant time */
bool api_token_matches(struct api *a, const char *token)
{
	unsigned char d[32];

	if (!a->have_token)
		return false;
	crypto_generichash(d, sizeof(d), (const unsigned char *)token, strlen(token), NULL, 0);
	bool ok = sodium_memcmp(d, a->token_hash, sizeof(d)) == 0;
	sodium_memzero(d, sizeof(d));
	return ok;
}

static bool token_ok(struct api *a, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");

	return h != NULL && ascii_iprefix(h, "Bearer ") && api_token_matches(a, h + 7);
}

static void admin_route(struct api *a, struct evhttp_request *req, enum door kind, char **seg,
                        size_t nseg, const char *path)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (cmd != EVHTTP_REQ_GET)
		audit_begin(a, req, kind, path);
	if (nseg == 3 && strcmp(seg[2], "status") == 0 && cmd == EVHTTP_REQ_GET)
		status(a, req);
	else if (nseg >= 3 && strcmp(seg[2], "sources") == 0)
		admin_sources(a, req, seg + 3, nseg - 3);
	else if (nseg >= 3 && strcmp(seg[2], "queue") == 0)
		admin_queue(a, req, seg + 3, nseg - 3);
	else if (nseg >= 3 && strcmp(seg[2], "pools") == 0)
		admin_pools(a, req, seg + 3, nseg - 3);
	else if (nseg >= 3 && strcmp(seg[2], "domains") == 0)
		admin_domains(a, req, seg + 3, nseg - 3);
	else if (nseg >= 3 && strcmp(seg[2], "events") == 0)
		admin_events(a, req, seg + 3, nseg - 3);
	else if (nseg >= 3 && strcmp(seg[2], "stats") == 0)
		admin_stats(a, req, seg + 3, nseg - 3);
	else if (nseg >= 3 && strcmp(seg[2], "audit") == 0)
		admin_audit(a, req, seg + 3, nseg - 3);
	else if (nseg >= 3 && strcmp(seg[2], "quarantine") == 0)
		admin_quarantine(a, req, seg + 3, nseg - 3);
	else if (nseg >= 3 && strcmp(seg[2], "suppressions") == 0)
		admin_suppressions(a, req, seg + 3, nseg - 3);
	else if (nseg >= 3 && strcmp(seg[2], "unsubscribe") == 0)
		admin_unsubscribe(a, req, seg + 3, nseg - 3);
	else if (nseg >= 3 && strcmp(seg[2], "admins") == 0)
		admin_admins(a, req, seg + 3, nseg - 3);
	else
		http_error(req, 404, "not_found", "no such resource");
}

static void route(struct evhttp_request *req, void *arg)
{
	struct api_door *door = arg;
	struct api *a = door->a;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *rawpath = uri ? evhttp_uri_get_path(uri) : NULL;
	char *seg[API_MAX_SEGMENTS];
	size_t nseg = 0;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);

	/* the send doors' connections have their own close callback (door.c) */
	if (conn && door->kind != DOOR_SEND && door->kind != DOOR_SEND_TLS)
		evhttp_connection_set_closecb(conn, on_conn_close, a);
	if (rawpath == NULL || strlen(rawpath) > 1024) {
		http_error(req, 400, "bad_request", "bad request path");
		return;
	}
	char *path = xstrdup(rawpath);
	char *segs = xstrdup(rawpath);
	if (!split_path(segs, seg, &nseg)) {
		http_error(req, 404, "not_found", "no such resource");
		goto out;
	}
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (nseg == 1 && strcmp(seg[0], "healthz") == 0) {
		http_json(req, 200, json_pack("{s:s}", "status", "ok"));
		goto out;
	}
	if (door->kind == DOOR_SEND || door->kind == DOOR_SEND_TLS) {
		if (nseg >= 2 && strcmp(seg[0], "v1") == 0 && strcmp(seg[1], "messages") == 0)
			api_send_route(a, req, seg + 2, nseg - 2);
		else if (nseg == 2 && strcmp(seg[0], "u") == 0)
			api_unsubscribe(a, req, seg[1]);
		else
			http_error(req, 404, "not_found", "no such resource");
		goto out;
	}
	if (door->kind == DOOR_ADMIN_TCP) {
		console_headers(req);
		if (nseg >= 1 && strcmp(seg[0], "console") == 0) {
			console_route(a, req, seg, nseg);
			goto out;
		}
	}
	if (door->kind == DOOR_ADMIN_TCP && !token_ok(a, req)) {
		/* or a console session, whose changes carry its CSRF token */
		bool csrf_ok;
		const char *user = console_user(a, req, &csrf_ok);
		if (user == NULL) {
			evhttp_add_header(evhttp_request_get_output_headers(req),
			                  "WWW-Authenticate", "Bearer realm=\"postern-admin\"");
			http_error(req, 401, "unauthorized", "a valid admin token is required");
			goto out;
		}
		if (cmd != EVHTTP_REQ_GET && !csrf_ok) {
			http_error(req, 403, "csrf", "a valid X-CSRF-Token is required");
			goto out;
		}
	}
	if (nseg == 1 && strcmp(seg[0], "metrics") == 0 && cmd == EVHTTP_REQ_GET)
		metrics(a, req);
	else if (nseg >= 2 && strcmp(seg[0], "admin") == 0 && strcmp(seg[1], "v1") == 0)
		admin_route(a, req, door->kind, seg, nseg, path);
	else
		http_error(req, 404, "not_found", "no such resource");
out:
	free(segs);
	free(path);
}

/* the send doors: every connection watched before evhttp buffers a body (door.c) */
static struct bufferevent *send_bev(struct event_base *base, void *arg)
{
	struct api_door *d = arg;

	return door_bufferevent(d->a, base, d->kind == DOOR_SEND_TLS);
}

/* HTTPS admin door: each connection a TLS bufferevent on the current certificate */
static struct bufferevent *tls_bev(struct event_base *base, void *arg)
{
	struct api *a = arg;
	SSL *ssl = a->tls ? SSL_new(a->tls) : NULL;

	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                      BEV_OPT_CLOSE_ON_FREE);
}

static void door_init(struct api *a, enum door kind)
{
	struct api_door *d = &a->doors[kind];

	d->a = a;
	d->kind = kind;
	d->http = evhttp_new(a->base);
	evhttp_set_max_headers_size(d->http, MAX_HEADERS);
	bool send = kind == DOOR_SEND || kind == DOOR_SEND_TLS;
	evhttp_set_max_body_size(d->http, send ? 36 * 1024 * 1024 : ADMIN_MAX_BODY);
	evhttp_set_timeout(d->http, 30);
	if (send)
		evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	else
		evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
		                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
		                                            EVHTTP_REQ_PATCH);
	evhttp_set_gencb(d->http, route, d);
}

struct api *api_new(struct event_base *base, const struct api_deps *deps)
{
	struct api *a = xcalloc(1, sizeof(*a));
	char err[256];

	a->base = base;
	a->deps = *deps;
	a->started_ms = now_ms();
	a->lim = (struct api_limits){
	        36 * 1024 * 1024, 60000, 25 * 1024 * 1024, 100, 1024 * 1024, 512, 64};
	a->door_ips = htab_new();
	a->dlp_names = htab_new();
	for (int k = 0; k < DOOR_N; k++)
		door_init(a, (enum door)k);
	a->reader = workq_new(base, 1, "api-query");
	a->console = console_new();
	if (deps->store_path &&
	    (a->rstore = store_open(deps->store_path, err, sizeof(err))) == NULL)
		log_err("api searches unavailable error=\"%s\"", err);
	return a;
}

void api_set_limits(struct api *a, const struct api_limits *lim)
{
	int secs = (int)((lim->timeout_ms + 999) / 1000);

	a->lim = *lim;
	for (int k = DOOR_SEND; k <= DOOR_SEND_TLS; k++) {
		evhttp_set_max_body_size(a->doors[k].http, (ev_ssize_t)lim->max_body);
		evhttp_set_timeout(a->doors[k].http, secs);
	}
}

void api_set_dlp_names(struct api *a, const char *const *names, size_t n)
{
	htab_free(a->dlp_names);
	a->dlp_names = htab_new();
	for (size_t i = 0; i < n; i++)
		htab_put(a->dlp_names, names[i], (void *)1);
}

bool api_dlp_name_known(struct api *a, const char *name)
{
	return htab_get(a->dlp_names, name) != NULL;
}

void api_set_tls(struct api *a, SSL_CTX *ctx)
{
	if (ctx)
		SSL_CTX_up_ref(ctx);
	SSL_CTX_free(a->tls);
	a->tls = ctx;
}

void api_set_admin_token(struct api *a, const char *token)
{
	crypto_generichash(a->token_hash, sizeof(a->token_hash), (const unsigned char *)token,
	                   strlen(token), NULL, 0);
	a->have_token = true;
}

void api_free(struct api *a)
{
	if (a == NULL)
		return;
	admin_domains_stop(a);
	api_send_stop(a);
	door_stop(a);
	for (int k = 0; k < DOOR_N; k++)
		evhttp_free(a->doors[k].http);
	/* requests still waiting on a worker outlive us: their answer is dropped */
	while (a->pending) {
		struct api_pending *p = a->pending;
		a->pending = p->next;
		p->a = NULL;
		p->req = NULL;
		p->prev = p->next = NULL;
	}
	while (a->audits) {
		struct api_audit *x = a->audits;
		a->audits = x->next;
		free(x->rec.detail);
		free(x);
	}
	workq_free(a->reader);
	store_close(a->rstore);
	console_free(a->console); /* after the reader: a login may finish in workq_free */
	htab_free(a->door_ips);
	htab_free(a->dlp_names);
	SSL_CTX_free(a->tls);
	sodium_memzero(a->token_hash, sizeof(a->token_hash));
	if (a->unix_path) {
		unlink(a->unix_path);
		free(a->unix_path);
	}
	free(a);
}

int api_bind_unix(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long for a Unix socket", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	/* replace a stale socket, but never anything else */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || chown(path, uid, gid) < 0 || listen(fd, 64) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int listen_fd(struct api *a, enum door kind, int fd, const char *what, char *err,
                     size_t errlen)
{
	struct evconnlistener *l = evconnlistener_new(
	        a->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l == NULL || evhttp_bind_listener(a->doors[kind].http, l) == NULL) {
		snprintf(err, errlen, "%s: cannot serve", what);
		if (l)
			evconnlistener_free(l);
		else
			close(fd);
		return -1;
	}
	return 0;
}

int api_listen_unix(struct api *a, int fd, const char *path, char *err, size_t errlen)
{
	if (listen_fd(a, DOOR_UNIX, fd, path, err, errlen) < 0)
		return -1;
	a->unix_path = xstrdup(path);
	log_info("api listen socket=%s", path);
	return 0;
}

int api_listen_tcp(struct api *a, enum api_door_kind kind, int fd, bool tls, const char *addr,
                   char *err, size_t errlen)
{
	enum door d = kind == API_DOOR_ADMIN ? DOOR_ADMIN_TCP : tls ? DOOR_SEND_TLS : DOOR_SEND;

	if (d != DOOR_ADMIN_TCP)
		evhttp_set_bevcb(a->doors[d].http, send_bev, &a->doors[d]);
	else if (tls)
		evhttp_set_bevcb(a->doors[d].http, tls_bev, a);
	if (listen_fd(a, d, fd, addr, err, errlen) < 0)
		return -1;
	log_info("api listen door=%s address=%s tls=%s", kind == API_DOOR_SEND ? "send" : "admin",
	         addr, tls ? "yes" : "no");
	return 0;
}
