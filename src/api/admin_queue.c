/*
 * admin_queue.c - /admin/v1/queue and /admin/v1/pools.
 *
 *   GET    /admin/v1/queue?offset=N&limit=N   the queue, oldest first
 *   GET    /admin/v1/queue/ID                 one message and its recipients
 *   POST   /admin/v1/queue/ID/hold|release|bounce
 *   DELETE /admin/v1/queue/ID
 *   POST   /admin/v1/queue/flush              try everything waiting now
 *   GET    /admin/v1/pools                    IP pools and the SPF record they make
 */
#include <arpa/inet.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_internal.h"
#include "buf.h"
#include "http.h"
#include "id.h"
#include "log.h"
#include "mta.h"
#include "queue.h"
#include "strutil.h"
#include "xmalloc.h"

#define LIST_MAX 1000

static json_t *ms_time(uint64_t ms)
{
	return ms ? http_iso8601((int64_t)(ms / 1000)) : json_null();
}

static json_t *entry_json(const struct queue_entry *e)
{
	char hex[ID_HEXLEN + 1];
	const char *state = e->held ? "held" : e->active ? "active" : "deferred";

	if (!e->held && !e->active && e->attempts == 0)
		state = "waiting";
	return json_pack("{s:s, s:o, s:I, s:s, s:s, s:I, s:I, s:I, s:o, s:s, s:s, s:s}", "id",
	                 id_format(e->id, hex), "arrival", ms_time(e->arrival_ms), "size",
	                 (json_int_t)e->size, "sender", e->sender, "source", e->source,
	                 "recipients", (json_int_t)e->nrcpts, "pending", (json_int_t)e->pending,
	                 "attempts", (json_int_t)e->attempts, "next_attempt",
	                 e->held || e->active ? json_null() : ms_time(e->next_ms), "state", state,
	                 "lane", e->bulk ? "bulk" : "urgent", "last_reply", e->last_reply);
}

static size_t query_num(struct evhttp_request *req, const char *key, size_t def, size_t max)
{
	struct evkeyvalq params;
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	uint64_t v = def;

	if (q == NULL || evhttp_parse_query_str(q, &params) < 0)
		return def;
	const char *s = evhttp_find_header(&params, key);
	if (s == NULL || parse_u64(s, max, &v) < 0)
		v = def;
	evhttp_clear_headers(&params);
	return (size_t)v;
}

/* the domains a message still waits to reach (its pending recipients'), for
 * the console's view by destination: read from its files, so only on request */
static json_t *destinations(struct api *a, const struct queue_entry *e)
{
	size_t cap = e->nrcpts < 1000 ? e->nrcpts : 1000;
	struct queue_rcpt_info *r = xcalloc(cap ? cap : 1, sizeof(*r));
	long n = queue_rcpts(a->deps.queue, e->id, r, cap);
	json_t *out = json_array();

	for (long i = 0; i < n && (size_t)i < cap; i++) {
		const char *at = strrchr(r[i].addr, '@');
		if (r[i].status == NULL || strcmp(r[i].status, "pending") != 0 || at == NULL)
			continue;
		bool seen = false;
		size_t k;
		json_t *d;
		json_array_foreach(out, k, d) seen =
		        seen || strcasecmp(json_string_value(d), at + 1) == 0;
		if (!seen)
			json_array_append_new(out, json_string(at + 1));
	}
	free(r);
	return out;
}

static void list(struct api *a, struct evhttp_request *req)
{
	size_t offset = query_num(req, "offset", 0, SIZE_MAX);
	size_t limit = query_num(req, "limit", 100, LIST_MAX);
	struct queue_entry *v = xcalloc(limit ? limit : 1, sizeof(*v));
	size_t total;
	size_t n = queue_list(a->deps.queue, offset, limit, v, &total);
	json_t *arr = json_array();
	char flag[8];
	bool dests = api_query(req, "destinations", flag, sizeof(flag)) && strcmp(flag, "1") == 0;

	for (size_t i = 0; i < n; i++) {
		json_t *e = entry_json(&v[i]);
		if (dests)
			json_object_set_new(e, "destinations", destinations(a, &v[i]));
		json_array_append_new(arr, e);
	}
	free(v);
	http_json(req, 200,
	          json_pack("{s:I, s:I, s:o}", "total", (json_int_t)total, "offset",
	                    (json_int_t)offset, "messages", arr));
}

static void show(struct api *a, struct evhttp_request *req, uint64_t id)
{
	struct queue_entry e;
	struct queue_rcpt_info *r;

	if (queue_get(a->deps.queue, id, &e) != 0) {
		http_error(req, 404, "not_found", "no such message in the queue");
		return;
	}
	r = xcalloc(e.nrcpts ? e.nrcpts : 1, sizeof(*r));
	long n = queue_rcpts(a->deps.queue, id, r, e.nrcpts);
	json_t *arr = json_array();
	for (long i = 0; i < n && (size_t)i < e.nrcpts; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "address",
		                                     r[i].addr, "status", r[i].status, "code",
		                                     r[i].code, "dsn", r[i].dsn, "relay",
		                                     r[i].relay, "reply", r[i].reply));
	free(r);
	http_json(req, 200, json_pack("{s:o, s:o}", "message", entry_json(&e), "recipients", arr));
}

static void act(struct api *a, struct evhttp_request *req, uint64_t id, const char *verb)
{
	char hex[ID_HEXLEN + 1];
	int r;

	if (strcmp(verb, "hold") == 0)
		r = queue_hold(a->deps.queue, id);
	else if (strcmp(verb, "release") == 0)
		r = queue_release(a->deps.queue, id);
	else if (strcmp(verb, "bounce") == 0)
		r = queue_bounce(a->deps.queue, id);
	else if (strcmp(verb, "delete") == 0)
		r = queue_delete(a->deps.queue, id);
	else {
		http_error(req, 404, "not_found", "no such action: %.32s", verb);
		return;
	}
	if (r == QUEUE_QUARANTINED) {
		http_error(req, 409, "quarantined",
		           "the message is in the quarantine: release or delete it there");
		return;
	}
	if (r != 0) {
		http_error(req, 404, "not_found", "no such message in the queue");
		return;
	}
	log_info("admin queue %s msg=%s", verb, id_format(id, hex));
	http_json(req, 200, json_pack("{s:s, s:s}", "id", hex, "action", verb));
}

void admin_queue(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	uint64_t id;

	if (nseg == 0) {
		if (cmd == EVHTTP_REQ_GET)
			list(a, req);
		else
			http_error(req, 405, "method_not_allowed", "use GET");
		return;
	}
	if (nseg == 1 && strcmp(seg[0], "flush") == 0) {
		if (cmd != EVHTTP_REQ_POST) {
			http_error(req, 405, "method_not_allowed", "use POST");
			return;
		}
		size_t n = queue_flush(a->deps.queue);
		log_info("admin queue flush messages=%zu", n);
		http_json(req, 200, json_pack("{s:I}", "flushed", (json_int_t)n));
		return;
	}
	if (!id_parse(seg[0], &id) || nseg > 2) {
		http_error(req, 404, "not_found", "a queue id is 16 lower-case hex digits");
		return;
	}
	if (nseg == 1) {
		if (cmd == EVHTTP_REQ_GET)
			show(a, req, id);
		else if (cmd == EVHTTP_REQ_DELETE)
			act(a, req, id, "delete");
		else
			http_error(req, 405, "method_not_allowed", "use GET or DELETE");
		return;
	}
	if (cmd != EVHTTP_REQ_POST) {
		http_error(req, 405, "method_not_allowed", "use POST");
		return;
	}
	if (strcmp(seg[1], "delete") == 0) {
		http_error(req, 404, "not_found", "use DELETE on the message");
		return;
	}
	act(a, req, id, seg[1]);
}

/* "ip4:192.0.2.1" / "ip6:2001:db8::1" for each address of a pool */
static void spf_terms(const struct mta_pool *p, struct buf *spf, json_t *addrs)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct mta_pool_addr *ad = &p->addrs[i];
		const char *kind = ad->ss.ss_family == AF_INET ? "ip4" : "ip6";
		char term[80];
		snprintf(term, sizeof(term), " %s:%s", kind, ad->text);
		if (strstr(spf->data ? spf->data : "", term) == NULL)
			buf_puts(spf, term);
		if (addrs)
			json_array_append_new(addrs, json_pack("{s:s, s:s}", "address", ad->text,
			                                       "ehlo", ad->ehlo));
	}
}

void admin_pools(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
{
	size_t n;
	const struct mta_pool *pools = mta_pools(a->deps.mta, &n);
	json_t *arr = json_array();
	struct buf all;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || nseg > 0) {
		http_error(req, nseg ? 404 : 405, nseg ? "not_found" : "method_not_allowed",
		           nseg ? "no such resource" : "use GET");
		json_decref(arr);
		return;
	}
	buf_init(&all);
	buf_puts(&all, "v=spf1");
	for (size_t i = 0; i < n; i++) {
		struct buf one;
		json_t *addrs = json_array();
		buf_init(&one);
		buf_puts(&one, "v=spf1");
		spf_terms(&pools[i], &one, addrs);
		spf_terms(&pools[i], &all, NULL);
		buf_puts(&one, " -all");
		json_array_append_new(arr, json_pack("{s:s, s:o, s:s}", "name", pools[i].name,
		                                     "addresses", addrs, "spf", one.data));
		buf_release(&one);
	}
	buf_puts(&all, " -all");
	http_json(req, 200, json_pack("{s:o, s:s}", "pools", arr, "spf", all.data));
	buf_release(&all);
}
