/*
 * api.c - the HTTP server (libevent's evhttp) and its routing.
 *
 * SECURITY: the admin API listens on a Unix socket with mode 0600, owned by
 * the daemon's account: whoever can open it is an administrator, and nobody
 * else can. Bodies are bounded (64 KiB) before they are parsed; every error is
 * a JSON object with a code and a message; secrets it returns (new passwords)
 * are shown once and never logged.
 */
#include "api.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api_internal.h"
#include "http.h"
#include "log.h"
#include "queue.h"
#include "smtpd.h"
#include "sources.h"
#include "spool.h"
#include "strutil.h"
#include "xmalloc.h"

#define MAX_BODY    (64 * 1024)
#define MAX_HEADERS (16 * 1024)

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

/* evhttp is freeing a connection: forget its requests that wait on workers */
static void on_conn_close(struct evhttp_connection *conn, void *arg)
{
	struct api *a = arg;

	for (struct api_pending *p = a->pending; p; p = p->next)
		if (p->req && evhttp_request_get_connection(p->req) == conn)
			p->req = NULL;
}

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

static void route(struct evhttp_request *req, void *arg)
{
	struct api *a = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *rawpath = uri ? evhttp_uri_get_path(uri) : NULL;
	char *seg[API_MAX_SEGMENTS];
	size_t nseg = 0;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);

	if (conn)
		evhttp_connection_set_closecb(conn, on_conn_close, a);
	if (rawpath == NULL || strlen(rawpath) > 1024) {
		http_error(req, 400, "bad_request", "bad request path");
		return;
	}
	char *path = xstrdup(rawpath);
	if (!split_path(path, seg, &nseg)) {
		http_error(req, 404, "not_found", "no such resource");
		free(path);
		return;
	}
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (nseg == 1 && strcmp(seg[0], "healthz") == 0) {
		http_json(req, 200, json_pack("{s:s}", "status", "ok"));
	} else if (nseg >= 2 && strcmp(seg[0], "admin") == 0 && strcmp(seg[1], "v1") == 0) {
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
		else
			http_error(req, 404, "not_found", "no such resource");
	} else {
		http_error(req, 404, "not_found", "no such resource");
	}
	free(path);
}

struct api *api_new(struct event_base *base, const struct api_deps *deps)
{
	struct api *a = xcalloc(1, sizeof(*a));

	a->base = base;
	a->deps = *deps;
	a->started_ms = now_ms();
	a->http = evhttp_new(base);
	evhttp_set_max_body_size(a->http, MAX_BODY);
	evhttp_set_max_headers_size(a->http, MAX_HEADERS);
	evhttp_set_timeout(a->http, 30);
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(a->http, route, a);
	return a;
}

void api_free(struct api *a)
{
	if (a == NULL)
		return;
	admin_domains_stop(a);
	evhttp_free(a->http);
	/* requests still waiting on a worker outlive us: their answer is dropped */
	while (a->pending) {
		struct api_pending *p = a->pending;
		a->pending = p->next;
		p->a = NULL;
		p->req = NULL;
		p->prev = p->next = NULL;
	}
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

int api_listen_unix(struct api *a, int fd, const char *path, char *err, size_t errlen)
{
	struct evconnlistener *l = evconnlistener_new(
	        a->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l == NULL || evhttp_bind_listener(a->http, l) == NULL) {
		snprintf(err, errlen, "%s: cannot serve", path);
		if (l)
			evconnlistener_free(l);
		else
			close(fd);
		return -1;
	}
	a->unix_path = xstrdup(path);
	log_info("api listen socket=%s", path);
	return 0;
}
