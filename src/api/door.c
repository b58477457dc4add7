/*
 * door.c - the send listeners' connections: counted, and held to a small
 * body until they show a valid API key.
 *
 * evhttp reads a whole request body before its callback runs, so without
 * this anyone who can connect could make the daemon hold max_body octets per
 * connection. Each connection of a send door starts with evhttp's own body
 * limit at DOOR_FREE_BODY (evhttp frames the requests and refuses a larger
 * body itself, chunked or not); the limit is raised to [api] max_body for the
 * connection once a valid API key is seen in what it sends. Postern never
 * parses the requests a second way: the input is only searched for a key,
 * and a key not found keeps the small limit.
 *
 * Connections are counted in all and per client address (IPv6 by /64) the
 * loop turn after the accept, before evhttp has read a byte of them, and
 * closed at once over the limits. The record of a connection is tied to
 * evhttp's by its close callback; a reference on the bufferevent keeps it
 * valid until then.
 */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api_internal.h"
#include "auth.h"
#include "cidr.h"
#include "htab.h"
#include "log.h"
#include "strutil.h"
#include "xmalloc.h"

#define DOOR_FREE_BODY (64 * 1024) /* body octets a request may carry without a key */
#define KEY_SCAN       (3 + API_KEY_ID_LEN + 1 + 32)

struct door_conn {
	struct api *a;
	struct door_conn *prev, *next; /* in a->door_list */
	struct bufferevent *bev;       /* referenced until the connection is over */
	struct event *attach;
	struct evhttp_connection *evcon;
	bool keyed;          /* a valid key was seen: the body limit is max_body */
	bool broken;         /* no TLS session could be made: closed at attach */
	char tail[KEY_SCAN]; /* the last octets seen, for a key split across reads */
	size_t ntail;
	char ipkey[64]; /* "" until counted */
};

static void ip_count(struct api *a, const char *ipkey, int delta)
{
	uintptr_t n = (uintptr_t)htab_get(a->door_ips, ipkey);

	n = delta > 0 ? n + 1 : n - 1;
	if (n == 0)
		htab_del(a->door_ips, ipkey);
	else
		htab_put(a->door_ips, ipkey, (void *)n);
}

/* the address a connection counts under: IPv4 as is, IPv6 by its /64 */
static void addr_key(const struct sockaddr_storage *ss, char *out, size_t n)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		const unsigned char *b = s6->sin6_addr.s6_addr;
		snprintf(out, n, "%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", b[0], b[1], b[2], b[3],
		         b[4], b[5], b[6], b[7]);
		return;
	}
	sockaddr_key((const struct sockaddr *)ss, out, n);
}

static void on_input(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg);

/* forget a connection: counts back, reference dropped */
static void conn_end(struct door_conn *c)
{
	struct api *a = c->a;

	if (c->prev)
		c->prev->next = c->next;
	else
		a->door_list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	a->door_conns--;
	if (c->ipkey[0])
		ip_count(a, c->ipkey, -1);
	evbuffer_remove_cb(bufferevent_get_input(c->bev), on_input, c);
	event_free(c->attach);
	bufferevent_decref(c->bev);
	free(c);
}

/* evhttp is freeing the connection (its bufferevent goes right after) */
static void door_closed(struct evhttp_connection *evcon, void *arg)
{
	struct door_conn *c = arg;

	api_conn_closed(c->a, evcon);
	conn_end(c);
}

/* does s[0..n) hold a valid API key? Keys are "pk_" and fixed-length base-62 text. */
static bool holds_key(struct api *a, const char *s, size_t n)
{
	for (const char *p = s; (p = memmem(p, (size_t)(s + n - p), "pk_", 3)) != NULL; p++) {
		if ((size_t)(s + n - p) < KEY_SCAN)
			break;
		char key[KEY_SCAN + 1];
		memcpy(key, p, KEY_SCAN);
		key[KEY_SCAN] = '\0';
		if (auth_api_key_known(a->deps.auth, key))
			return true;
	}
	return false;
}

/* new octets: look for a key in them (with the tail of what came before) */
static void on_input(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	struct door_conn *c = arg;
	size_t n = info->n_added, len = evbuffer_get_length(in);
	char chunk[KEY_SCAN + 4096];

	if (n == 0 || c->keyed || c->evcon == NULL)
		return;
	struct evbuffer_ptr p;
	evbuffer_ptr_set(in, &p, len - n, EVBUFFER_PTR_SET);
	while (n > 0 && !c->keyed) {
		size_t k = n < sizeof(chunk) - KEY_SCAN ? n : sizeof(chunk) - KEY_SCAN;
		memcpy(chunk, c->tail, c->ntail);
		evbuffer_copyout_from(in, &p, chunk + c->ntail, k);
		evbuffer_ptr_set(in, &p, k, EVBUFFER_PTR_ADD);
		size_t m = c->ntail + k;
		if (holds_key(c->a, chunk, m)) {
			c->keyed = true;
			/* a key holder's connection: its requests may be as large as any */
			evhttp_connection_set_max_body_size(c->evcon,
			                                    (ev_ssize_t)c->a->lim.max_body);
			break;
		}
		c->ntail = m < KEY_SCAN ? m : KEY_SCAN - 1;
		memcpy(c->tail, chunk + m - c->ntail, c->ntail);
		n -= k;
	}
}

/* the loop turn after the accept: evhttp's connection exists now (or is gone already) */
static void on_attach(evutil_socket_t fd, short what, void *arg)
{
	struct door_conn *c = arg;
	struct api *a = c->a;
	bufferevent_data_cb rd = NULL, wr = NULL;
	bufferevent_event_cb ev = NULL;
	void *cbarg = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	bufferevent_getcb(c->bev, &rd, &wr, &ev, &cbarg);
	if (ev == NULL || cbarg == NULL) {
		conn_end(c); /* freed before this turn: nothing left to watch */
		return;
	}
	c->evcon = cbarg; /* evhttp's bufferevent callbacks carry its connection */
	evhttp_connection_set_closecb(c->evcon, door_closed, c);
	evhttp_connection_set_max_body_size(c->evcon, DOOR_FREE_BODY);
	int sfd = bufferevent_getfd(c->bev);
	if (sfd < 0 || getpeername(sfd, (struct sockaddr *)&ss, &sl) < 0)
		strlcpy_(c->ipkey, "?", sizeof(c->ipkey));
	else
		addr_key(&ss, c->ipkey, sizeof(c->ipkey));
	ip_count(a, c->ipkey, +1);
	const char *why = c->broken ? "no-tls-session"
	                  : (uintptr_t)htab_get(a->door_ips, c->ipkey) > a->lim.max_conns_per_ip
	                          ? "too-many-connections-from-address"
	                  : a->door_conns > a->lim.max_conns ? "too-many-connections"
	                                                     : NULL;
	if (why) {
		/* before evhttp has read a byte: nothing of it is half done */
		log_info("api refuse client=%s reason=%s", c->ipkey, why);
		evhttp_connection_free(c->evcon); /* calls door_closed */
	}
}

struct bufferevent *door_bufferevent(struct api *a, struct event_base *base, bool tls)
{
	struct bufferevent *bev = NULL;
	bool broken = false;

	if (tls) {
		SSL *ssl = a->tls ? SSL_new(a->tls) : NULL;
		if (ssl)
			bev = bufferevent_openssl_socket_new(
			        base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		broken = bev == NULL; /* never plain text on a TLS port: closed at attach */
	}
	if (bev == NULL)
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	struct door_conn *c = xcalloc(1, sizeof(*c));
	c->a = a;
	c->bev = bev;
	c->broken = broken;
	bufferevent_incref(bev);
	evbuffer_add_cb(bufferevent_get_input(bev), on_input, c);
	c->attach = event_new(base, -1, 0, on_attach, c);
	event_active(c->attach, EV_TIMEOUT, 0);
	c->next = a->door_list;
	if (c->next)
		c->next->prev = c;
	a->door_list = c;
	a->door_conns++;
	return bev;
}

void door_stop(struct api *a)
{
	/* evhttp_free is about to free the connections: they must not call back into us */
	while (a->door_list) {
		struct door_conn *c = a->door_list;
		if (c->evcon)
			evhttp_connection_set_closecb(c->evcon, NULL, NULL);
		conn_end(c);
	}
}

int door_fd(struct bufferevent *bev)
{
	return bev ? bufferevent_getfd(bev) : -1;
}

bool door_is_tls(struct bufferevent *bev)
{
	return bev && bufferevent_openssl_get_ssl(bev) != NULL;
}
