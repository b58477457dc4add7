/* api_internal.h - what the handler files of src/api share. */
#ifndef POSTERN_API_INTERNAL_H
#define POSTERN_API_INTERNAL_H

#include <event2/http.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"

#define API_MAX_SEGMENTS 8

struct api {
	struct event_base *base;
	struct api_deps deps;
	struct evhttp *http;
	char *unix_path;
	uint64_t started_ms;
	struct api_pending *pending; /* requests waiting on a worker */
	struct api_check *checks;    /* domain checks in flight (admin_domains.c) */
};

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
void admin_sources(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
/* admin_domains.c */
void admin_domains(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
/* admin_domains_stop - cancel the checks in flight (api_free) */
void admin_domains_stop(struct api *a);
/* admin_queue.c */
void admin_queue(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);
void admin_pools(struct api *a, struct evhttp_request *req, char **seg, size_t nseg);

#endif
