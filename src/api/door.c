/*
 * door.c - the send listeners' connections, watched while evhttp reads them.
 *
 * evhttp reads a whole request body before its callback runs, so without
 * this anyone who can connect could make the daemon hold max_body octets per
 * connection. Every connection of a send door is counted (in all and per
 * client address; over the limits it is closed at its first octets), and the
 * header section of each request is read as it arrives, before evhttp gets to
 * the body: a body larger than DOOR_FREE_BODY (or chunked) is read only
 * behind a valid API key; otherwise the connection is closed before the body
 * is. Small requests without a key pass, so they get their JSON 401.
 *
 * The watching is passive (a callback on the connection's input buffer): the
 * bytes and evhttp's reading are left as they are. A connection's record is
 * tied to evhttp's connection by its close callback (door_closed), attached
 * on the next loop turn after the accept, once evhttp has made it; a
 * reference on the bufferevent keeps it valid until then.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api_internal.h"
#include "auth.h"
#include "buf.h"
#include "cidr.h"
#include "htab.h"
#include "log.h"
#include "strutil.h"
#include "xmalloc.h"

#define DOOR_FREE_BODY (64 * 1024) /* body octets a request may carry without a key */
#define DOOR_HEAD_MAX  (16 * 1024) /* as evhttp's max_headers_size */

enum dc_state { DC_HEAD, DC_BODY, DC_TRUSTED, DC_REFUSED };

struct door_conn {
	struct api *a;
	struct door_conn *prev, *next; /* in a->door_list */
	struct bufferevent *bev;       /* referenced until the connection is over */
	struct event *attach;
	struct evhttp_connection *evcon;
	enum dc_state st;
	size_t skip;     /* body octets of the current request still to come */
	struct buf head; /* the header section being read */
	bool counted_ip;
	char ipkey[64];
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
	if (c->counted_ip)
		ip_count(a, c->ipkey, -1);
	event_free(c->attach);
	buf_release(&c->head);
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

/* stop reading and let evhttp see the connection end, from the loop */
static void refuse(struct door_conn *c, const char *why)
{
	log_info("api refuse client=%s reason=%s", c->ipkey, why);
	c->st = DC_REFUSED;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_trigger_event(c->bev, BEV_EVENT_EOF | BEV_EVENT_READING,
	                          BEV_TRIG_DEFER_CALLBACKS);
}

/* the value of header name in the section head[0..n), or NULL; copied into out */
static const char *header(const char *head, size_t n, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);

	for (const char *p = head, *end = head + n; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
		if (len > nl && p[nl] == ':' && ascii_niequal(p, name, nl)) {
			const char *v = p + nl + 1;
			size_t vl = len - nl - 1;
			while (vl && (*v == ' ' || *v == '\t'))
				v++, vl--;
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl >= cap)
				vl = cap - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return out;
		}
		p += len + 1;
	}
	return NULL;
}

/* a whole header section: may its body be read? Sets c->skip to its length. */
static bool judge(struct door_conn *c, const char *head, size_t n)
{
	char v[512];
	uint64_t len = 0;
	bool chunked = header(head, n, "Transfer-Encoding", v, sizeof(v)) != NULL;

	if (!chunked && header(head, n, "Content-Length", v, sizeof(v)) &&
	    parse_u64(v, UINT64_MAX, &len) < 0)
		len = 0; /* evhttp refuses it itself */
	c->skip = (size_t)(len < SIZE_MAX ? len : SIZE_MAX);
	if (!chunked && len <= DOOR_FREE_BODY)
		return true;
	if (header(head, n, "Authorization", v, sizeof(v)) && ascii_iprefix(v, "Bearer ") &&
	    auth_api_key_known(c->a->deps.auth, v + 7)) {
		c->st = DC_TRUSTED; /* this client holds a key: its connection is its own */
		return true;
	}
	return false;
}

/* the first octets: the client's address is known; count it */
static bool count_ip(struct door_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = bufferevent_getfd(c->bev);
	struct api *a = c->a;

	c->counted_ip = true;
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
		strlcpy_(c->ipkey, "?", sizeof(c->ipkey));
	else
		sockaddr_key((struct sockaddr *)&ss, c->ipkey, sizeof(c->ipkey));
	ip_count(a, c->ipkey, +1);
	return (uintptr_t)htab_get(a->door_ips, c->ipkey) <= a->lim.max_conns_per_ip &&
	       a->door_conns <= a->lim.max_conns;
}

/* new octets at the end of the input buffer, before evhttp reads them */
static void on_input(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	struct door_conn *c = arg;
	size_t n = info->n_added, len = evbuffer_get_length(in);

	if (n == 0 || c->st == DC_REFUSED || c->st == DC_TRUSTED)
		return;
	if (!c->counted_ip && !count_ip(c)) {
		refuse(c, "too-many-connections");
		return;
	}
	size_t from = len - n; /* where the new octets start */
	while (n > 0 && c->st != DC_TRUSTED && c->st != DC_REFUSED) {
		if (c->st == DC_BODY) {
			size_t k = n < c->skip ? n : c->skip;
			c->skip -= k, n -= k, from += k;
			if (c->skip == 0)
				c->st = DC_HEAD;
			continue;
		}
		/* DC_HEAD: gather octets up to the end of the header section */
		size_t room = DOOR_HEAD_MAX + 4 - c->head.len, k = n < room ? n : room;
		size_t before = c->head.len;
		struct evbuffer_ptr p;
		evbuffer_ptr_set(in, &p, from, EVBUFFER_PTR_SET);
		buf_reserve(&c->head, k + 1);
		evbuffer_copyout_from(in, &p, c->head.data + before, k);
		c->head.len += k;
		c->head.data[c->head.len] = '\0';
		const char *end = strstr(c->head.data + (before > 3 ? before - 3 : 0), "\r\n\r\n");
		if (end == NULL) {
			if (c->head.len >= DOOR_HEAD_MAX)
				c->st = DC_TRUSTED; /* evhttp refuses the oversized section itself */
			return;
		}
		size_t hl = (size_t)(end - c->head.data) + 4, used = hl - before;
		if (!judge(c, c->head.data, hl)) {
			refuse(c, "large-body-without-a-valid-key");
			return;
		}
		buf_reset(&c->head);
		n -= used, from += used;
		if (c->st == DC_HEAD && c->skip > 0)
			c->st = DC_BODY;
	}
}

/* the loop turn after the accept: evhttp's connection exists now, or is gone already */
static void on_attach(evutil_socket_t fd, short what, void *arg)
{
	struct door_conn *c = arg;
	bufferevent_data_cb rd = NULL, wr = NULL;
	bufferevent_event_cb ev = NULL;
	void *cbarg = NULL;

	bufferevent_getcb(c->bev, &rd, &wr, &ev, &cbarg);
	if (ev == NULL || cbarg == NULL) {
		conn_end(c); /* freed before this turn: nothing left to watch */
		return;
	}
	c->evcon = cbarg; /* evhttp's bufferevent callbacks carry its connection */
	evhttp_connection_set_closecb(c->evcon, door_closed, c);
}

struct bufferevent *door_bufferevent(struct api *a, struct event_base *base, bool tls)
{
	struct bufferevent *bev;

	if (tls) {
		SSL *ssl = a->tls ? SSL_new(a->tls) : NULL;
		if (ssl == NULL)
			return NULL;
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
		                                     BEV_OPT_CLOSE_ON_FREE);
	} else {
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (bev == NULL)
		return NULL;
	struct door_conn *c = xcalloc(1, sizeof(*c));
	c->a = a;
	c->bev = bev;
	buf_init(&c->head);
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
		evbuffer_remove_cb(bufferevent_get_input(c->bev), on_input, c);
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
