/* api_internal.h - what the handler files of src/api share. */
#ifndef POSTERN_API_INTERNAL_H
#define POSTERN_API_INTERNAL_H

#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"

#define API_MAX_SEGMENTS 8

/* one way in: each has its own evhttp, so each knows what it may serve */
enum door { DOOR_UNIX, DOOR_ADMIN_TCP, DOOR_SEND, DOOR_SEND_TLS, DOOR_N };

struct api_door {
	struct api *a;
	enum door kind;
	struct evhttp *http;
};

struct api_send;
struct door_conn;

struct api {
	struct event_base *base;
	struct api_deps deps;
	struct api_limits lim;
	struct api_door doors[DOOR_N];
	SSL_CTX *tls;                 /* referenced: the HTTPS doors' certificate */
	unsigned char token_hash[32]; /* the admin token's BLAKE2b, or all zero */
	bool have_token;
	char *unix_path;
	uint64_t started_ms;
	struct api_pending *pending; /* requests waiting on a worker */
	struct api_check *checks;    /* domain checks in flight (admin_domains.c) */
	struct api_audit *audits;    /* admin changes whose reply is not sent yet */
	struct workq *reader;        /* event searches, off the loop */
	struct store *rstore;        /* the reader's own store connection */
	struct api_send *sends;      /* send requests in flight (send.c) */
	struct htab *door_ips;       /* client address -> send connections open (door.c) */
	size_t door_conns;           /* send connections open */
	struct door_conn *door_list; /* their records (door.c) */
	struct htab *dlp_names;      /* the [dlp] rules and [dlp_sets] sets configured */
	struct console *console;     /* the web console's sessions (console.c) */
};

/* door.c: the send listeners' connections, counted and read header-first */
struct bufferevent *door_bufferevent(struct api *a, struct event_base *base, bool tls);
/* door_fd - the socket under a connection's bufferevent (filtered or not), or -1 */
int door_fd(struct bufferevent *bev);
/* door_stop - forget every connection (before evhttp_free frees them) */
void door_stop(struct api *a);
/* api_conn_closed - evhttp frees conn: forget its requests that wait on workers */
void api_conn_closed(struct api *a, struct evhttp_connection *conn);
bool door_is_tls(struct bufferevent *bev);

/* api_token_matches - token is the admin token (digests compared in constant time) */
bool api_token_matches(struct api *a, const char *token);

/* api_dlp_name_known - a rule of [dlp] or a set of [dlp_sets] */
bool api_dlp_name_known(struct api *a, const char *name);

/* api_query - the value of a query parameter, or NULL (copied into buf) */
const char *api_query(struct evhttp_request *req, const char *key, char *buf, size_t n);

/*
 * A request whose answer waits on a worker thread. If the client goes away
 * first, evhttp frees the request: req becomes NULL and the answer is dropped.
 */
struct api_pending {
	struct api *a;
	struct api_pending *prev, *next;
	struct evhttp_request *req;
	void *data;
};

struct api_pending *api_pending_new(struct api *a, struct evhttp_request *req, void *data);
/*
 * api_pending_done - unlink and free; returns the request, or NULL if the
 * client or the whole API is gone (then p->a was NULL: read it before calling).
 */
struct evhttp_request *api_pending_done(struct api_pending *p);

/* admin_sources.c */
struct source;
struct source_cred;
void admin_sources(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
/* the JSON of a source (new reference) and of one credential (never its secret) */
json_t *admin_source_json(struct source *s);
json_t *admin_cred_json(const struct source_cred *c);
/* admin_webhook.c: .../sources/NAME/webhook */
void admin_webhook(struct api *a, struct evhttp_request *req, struct source *s);
/* admin_creds.c: .../sources/NAME/credentials[/CRED[/rotate]] */
void admin_credentials(struct api *a, struct evhttp_request *req, struct source *s, char **seg,
                       size_t nseg);
/* admin_domains.c */
void admin_domains(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
/* admin_domains_stop - cancel the checks in flight (api_free) */
void admin_domains_stop(struct api *a);
/* admin_quarantine.c: /admin/v1/quarantine */
void admin_quarantine(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
/* admin_suppressions.c: /admin/v1/suppressions, /admin/v1/unsubscribe/rotate */
void admin_suppressions(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
void admin_unsubscribe(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
/* unsubscribe.c: GET and POST /u/TOKEN on the send doors */
void api_unsubscribe(struct api *a, struct evhttp_request *req, const char *token);
/* admin_events.c: /admin/v1/events, /admin/v1/stats, /admin/v1/audit */
void admin_events(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
void admin_stats(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
void admin_audit(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
/* send.c: /v1/messages */
void api_send_route(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
void api_send_stop(struct api *a);
/* api_send_conn_closed - the client of conn is gone: its sends answer no one */
void api_send_conn_closed(struct api *a, struct evhttp_connection *conn);
/* admin_queue.c */
void admin_queue(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
void admin_pools(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);

#endif
