/*
 * smtpd.c - the submission server.
 *
 * SECURITY: talks to SMTP clients on the network, which are untrusted until
 * they authenticate (SMTP AUTH over TLS, or a source locked to their address),
 * and even then only as far as their source allows. Reads the TLS key at start
 * and at reload; writes nothing itself: messages go to the spool through
 * src/policy, which decides. Every input is bounded before it is buffered:
 * command lines (512 octets), text lines (1000), message and header size,
 * recipients, errors, AUTH failures, sessions in total and per address, and
 * the time allowed for each command, handshake and message. Bare CR and LF are
 * never line ends; pipelining without PIPELINING and talking before the
 * greeting end the session.
 */
#include "smtpd.h"

#include <errno.h>
#include <event2/listener.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cidr.h"
#include "htab.h"
#include "id.h"
#include "log.h"
#include "session.h"
#include "xmalloc.h"

#define MAX_LISTENERS 32

struct listener {
	struct smtpd *d;
	struct evconnlistener *l;
	struct event *pause; /* re-enables accepting after EMFILE */
	bool implicit_tls;
	char addr[64];
};

struct smtpd {
	struct event_base *base;
	char *hostname;
	struct smtpd_limits lim;
	struct smtpd_deps deps;
	SSL_CTX *tls;
	struct listener *listeners[MAX_LISTENERS];
	size_t nlisteners;
	struct session *sessions;
	size_t nsessions;
	struct htab *per_ip; /* ipkey -> count, as a pointer-sized integer */
	bool stopping;
};

struct smtpd *smtpd_new(struct event_base *base, const char *hostname,
                        const struct smtpd_deps *deps)
{
	struct smtpd *d = xcalloc(1, sizeof(*d));

	d->base = base;
	d->hostname = xstrdup(hostname);
	d->deps = *deps;
	d->per_ip = htab_new();
	d->lim = (struct smtpd_limits){
	        .max_message_size = 25 * 1024 * 1024,
	        .max_recipients = 100,
	        .max_header_size = 1024 * 1024,
	        .max_errors = 10,
	        .max_connections = 1000,
	        .max_connections_per_ip = 50,
	        .command_timeout_ms = 300000,
	        .data_timeout_ms = 600000,
	        .handshake_timeout_ms = 30000,
	        .banner_delay_ms = 0,
	        .auth_max_failures = 3,
	};
	return d;
}

static void free_listeners(struct smtpd *d)
{
	for (size_t i = 0; i < d->nlisteners; i++) {
		evconnlistener_free(d->listeners[i]->l);
		event_free(d->listeners[i]->pause);
		free(d->listeners[i]);
	}
	d->nlisteners = 0;
}

void smtpd_free(struct smtpd *d)
{
	if (d == NULL)
		return;
	d->stopping = true;
	free_listeners(d);
	while (d->sessions)
		session_free(d->sessions);
	htab_free(d->per_ip);
	SSL_CTX_free(d->tls);
	free(d->hostname);
	free(d);
}

static uintptr_t ip_count(struct smtpd *d, const char *key)
{
	return (uintptr_t)htab_get(d->per_ip, key);
}

void smtpd_session_added(struct smtpd *d, struct session *s)
{
	s->next = d->sessions;
	if (s->next)
		s->next->prev = s;
	d->sessions = s;
	d->nsessions++;
	htab_put(d->per_ip, s->ipkey, (void *)(ip_count(d, s->ipkey) + 1));
}

void smtpd_session_removed(struct smtpd *d, struct session *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		d->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	d->nsessions--;
	uintptr_t n = ip_count(d, s->ipkey);
	if (n <= 1)
		htab_del(d->per_ip, s->ipkey);
	else
		htab_put(d->per_ip, s->ipkey, (void *)(n - 1));
}

bool smtpd_stopping(const struct smtpd *d)
{
	return d->stopping;
}

void smtpd_view(struct smtpd *d, struct smtpd_view *v)
{
	v->hostname = d->hostname;
	v->lim = &d->lim;
	v->tls = d->tls;
	v->deps = &d->deps;
	v->base = d->base;
}

/* refuse a connection before any session exists: one line, then close */
static void refuse(int fd, const char *why, const char *peer, const char *listener)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "421 4.7.0 %s; try again later\r\n", why);
	ssize_t w = send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);

	(void)w;
	close(fd);
	log_warn("smtp refuse client=%s listener=%s reason=\"%s\"", peer, listener, why);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
	struct listener *ls = arg;
	struct smtpd *d = ls->d;
	char key[64];
	const char *name = ls->implicit_tls ? "submissions" : "submission";

	sockaddr_key(sa, key, sizeof(key));
	if (d->stopping) {
		refuse(fd, "Service shutting down", key, name);
		return;
	}
	if (d->nsessions >= d->lim.max_connections) {
		refuse(fd, "Too many connections", key, name);
		return;
	}
	if (ip_count(d, key) >= d->lim.max_connections_per_ip) {
		refuse(fd, "Too many connections from your address", key, name);
		return;
	}
	session_accept(d, fd, sa, (socklen_t)salen, ls->implicit_tls, name);
}

static void on_resume_accept(evutil_socket_t fd, short what, void *arg)
{
	struct listener *ls = arg;

	evconnlistener_enable(ls->l);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct listener *ls = arg;
	int e = EVUTIL_SOCKET_ERROR();
	struct timeval tv = {1, 0};

	/* out of descriptors: stop accepting for a second instead of spinning */
	log_err("smtp accept listener=%s error=\"%s\" action=pause", ls->addr,
	        evutil_socket_error_to_string(e));
	evconnlistener_disable(ls->l);
	evtimer_add(ls->pause, &tv);
}

int smtpd_listen(struct smtpd *d, int fd, const char *addr, bool implicit_tls, char *err,
                 size_t errlen)
{
	if (d->nlisteners == MAX_LISTENERS) {
		snprintf(err, errlen, "too many listeners");
		close(fd);
		return -1;
	}
	struct listener *ls = xcalloc(1, sizeof(*ls));
	ls->d = d;
	ls->implicit_tls = implicit_tls;
	snprintf(ls->addr, sizeof(ls->addr), "%s", addr);
	ls->l = evconnlistener_new(d->base, on_accept, ls,
	                           LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (ls->l == NULL) {
		snprintf(err, errlen, "listen on %s: %s", addr, strerror(errno));
		close(fd);
		free(ls);
		return -1;
	}
	ls->pause = evtimer_new(d->base, on_resume_accept, ls);
	evconnlistener_set_error_cb(ls->l, on_accept_error);
	d->listeners[d->nlisteners++] = ls;
	log_info("smtp listen address=%s tls=%s", addr, implicit_tls ? "implicit" : "starttls");
	return 0;
}

void smtpd_set_tls(struct smtpd *d, SSL_CTX *ctx)
{
	if (ctx)
		SSL_CTX_up_ref(ctx);
	SSL_CTX_free(d->tls);
	d->tls = ctx;
}

void smtpd_set_limits(struct smtpd *d, const struct smtpd_limits *lim)
{
	d->lim = *lim;
}

void smtpd_set_hostname(struct smtpd *d, const char *hostname)
{
	free(d->hostname);
	d->hostname = xstrdup(hostname);
}

void smtpd_shutdown(struct smtpd *d)
{
	d->stopping = true;
	free_listeners(d);
	struct session *s = d->sessions;
	while (s) {
		struct session *next = s->next;
		/* a session with a commit in flight closes when it has answered */
		if (!s->busy)
			session_close(s, RPL_SHUTDOWN, NULL);
		s = next;
	}
}

size_t smtpd_sessions(const struct smtpd *d)
{
	return d->nsessions;
}
