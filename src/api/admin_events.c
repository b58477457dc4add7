/*
 * admin_events.c - what happened, for administrators.
 *
 *   GET /admin/v1/events?source=&rcpt=&from=&status=&id=&since=&until=&limit=&before=
 *       events, newest first; "next" is the before= of the next page
 *   GET /admin/v1/stats?source=&since=&until=
 *       per source: accepted, rejected (by reason), delivered, deferred,
 *       bounced, ... counted from the events
 *   GET /admin/v1/audit?limit=&before=
 *       administrative changes, newest first
 *
 * Times are ISO 8601 ("2026-12-07T10:00:00Z"), seconds since the epoch, or a
 * duration back from now ("1h"). Searches and counts run on a worker thread
 * with its own store connection, so a large event table never stalls mail.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "eventlog.h"
#include "http.h"
#include "id.h"
#include "store.h"
#include "strutil.h"
#include "workq.h"
#include "xmalloc.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX     1000

/* a time parameter in ms since the epoch; 0 if absent; -1 if malformed */
static int64_t time_param(struct evhttp_request *req, const char *key)
{
	char v[64];
	uint64_t u;
	struct tm tm;

	if (api_query(req, key, v, sizeof(v)) == NULL || v[0] == '\0')
		return 0;
	if (strspn(v, "0123456789") == strlen(v) && parse_u64(v, UINT64_MAX / 1000, &u) == 0)
		return (int64_t)(u * 1000);
	if (parse_duration_ms(v, &u) == 0 && u <= now_ms())
		return (int64_t)(now_ms() - u);
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end && (strcmp(end, "Z") == 0 || *end == '\0'))
		return (int64_t)timegm(&tm) * 1000;
	end = strptime(v, "%Y-%m-%d", &tm);
	if (end && *end == '\0')
		return (int64_t)timegm(&tm) * 1000;
	return -1;
}

/* a search or count handed to the reader thread */
struct job {
	struct api_pending *p;
	struct store *st;
	struct eventlog *events;
	struct store_event_query q;
	char *msg, *source, *type, *sender, *rcpt; /* owned copies behind q */
	bool stats;
	int64_t step_ms; /* a series: counts per step and type */
	size_t nbuckets;
	json_t *out;
	int64_t last_id;
	size_t n;
	char err[256];
	int r;
};

static void job_free(struct job *j)
{
	free(j->msg);
	free(j->source);
	free(j->type);
	free(j->sender);
	free(j->rcpt);
	json_decref(j->out);
	free(j);
}

static void add_row(const struct store_event_row *r, void *arg)
{
	struct job *j = arg;
	json_t *detail = json_loads(r->detail, 0, NULL);

	json_array_append_new(j->out,
	                      json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id",
	                                (json_int_t)r->id, "time", http_time_ms(r->ts_ms), "msg",
	                                r->msg, "source", r->source, "type", r->type, "sender",
	                                r->sender, "rcpt", r->rcpt, "dsn", r->dsn, "reason",
	                                r->reason, "detail", detail ? detail : json_object()));
	j->last_id = r->id;
	j->n++;
}

/* the counts, per source: {"accepted": n, "rejected": n, "rejected_by_reason": {...}} */
static void add_stat(const struct store_stat_row *r, void *arg)
{
	struct job *j = arg;
	json_t *src = json_object_get(j->out, r->source[0] ? r->source : "-");

	if (src == NULL) {
		src = json_object();
		json_object_set_new(j->out, r->source[0] ? r->source : "-", src);
	}
	json_t *v = json_object_get(src, r->type);
	json_int_t n = (v ? json_integer_value(v) : 0) + r->count;
	json_object_set_new(src, r->type, json_integer(n));
	if (strcmp(r->type, "rejected") == 0) {
		json_t *by = json_object_get(src, "rejected_by_reason");
		if (by == NULL) {
			by = json_object();
			json_object_set_new(src, "rejected_by_reason", by);
		}
		json_object_set_new(by, r->reason[0] ? r->reason : "other", json_integer(r->count));
	}
}

/* one point of a series: out[type][bucket] = n */
static void add_point(int64_t bucket, const char *type, int64_t n, void *arg)
{
	struct job *j = arg;
	json_t *arr = json_object_get(j->out, type);

	if (bucket < 0 || (size_t)bucket >= j->nbuckets)
		return;
	if (arr == NULL) {
		arr = json_array();
		for (size_t i = 0; i < j->nbuckets; i++)
			json_array_append_new(arr, json_integer(0));
		json_object_set_new(j->out, type, arr);
	}
	json_array_set_new(arr, (size_t)bucket, json_integer(n));
}

static void work(void *arg)
{
	struct job *j = arg;

	if (j->st == NULL) {
		snprintf(j->err, sizeof(j->err), "the event store cannot be read");
		j->r = -1;
		return;
	}
	eventlog_sync(j->events, 2000);
	if (j->step_ms)
		j->r = store_events_series(j->st, j->q.source, j->q.since_ms, j->q.until_ms,
		                           j->step_ms, add_point, j, j->err, sizeof(j->err));
	else if (j->stats)
		j->r = store_events_stats(j->st, j->q.source, j->q.since_ms, j->q.until_ms,
		                          add_stat, j, j->err, sizeof(j->err));
	else
		j->r = store_events_search(j->st, &j->q, add_row, j, j->err, sizeof(j->err));
}

static void done(void *arg)
{
	struct job *j = arg;
	struct evhttp_request *req = api_pending_done(j->p);

	if (req == NULL) {
		job_free(j);
		return;
	}
	if (j->r < 0) {
		http_error(req, 503, "store_error", "%s", j->err);
	} else if (j->step_ms) {
		http_json(req, 200,
		          json_pack("{s:o, s:o, s:I, s:I, s:O}", "since",
		                    http_time_ms(j->q.since_ms), "until",
		                    http_time_ms(j->q.until_ms), "step_seconds",
		                    (json_int_t)(j->step_ms / 1000), "buckets",
		                    (json_int_t)j->nbuckets, "series", j->out));
	} else if (j->stats) {
		json_t *total = json_object(), *src;
		const char *name;
		json_object_foreach(j->out, name, src)
		{
			const char *k;
			json_t *v;
			json_object_foreach(src, k, v)
			{
				if (!json_is_integer(v))
					continue;
				json_t *t = json_object_get(total, k);
				json_object_set_new(total, k,
				                    json_integer((t ? json_integer_value(t) : 0) +
				                                 json_integer_value(v)));
			}
		}
		http_json(req, 200,
		          json_pack("{s:o, s:o, s:O, s:o}", "since", http_time_ms(j->q.since_ms),
		                    "until",
		                    http_time_ms(j->q.until_ms ? j->q.until_ms : (int64_t)now_ms()),
		                    "sources", j->out, "total", total));
	} else {
		json_t *next = j->n == j->q.limit && j->last_id > 1 ? json_integer(j->last_id)
		                                                    : json_null();
		http_json(req, 200, json_pack("{s:O, s:o}", "events", j->out, "next", next));
	}
	job_free(j);
}

static char *param(struct evhttp_request *req, const char *key)
{
	char v[400];

	if (api_query(req, key, v, sizeof(v)) == NULL || v[0] == '\0')
		return NULL;
	return xstrdup(v);
}

static void submit(struct api *a, struct evhttp_request *req, struct job *j)
{
	j->st = a->rstore;
	j->events = a->deps.events;
	j->p = api_pending_new(a, req, j);
	workq_submit(a->reader, work, done, j);
}

/* since/until; false after replying 400 */
static bool times(struct evhttp_request *req, struct job *j, int64_t default_since)
{
	j->q.since_ms = time_param(req, "since");
	j->q.until_ms = time_param(req, "until");
	if (j->q.since_ms < 0 || j->q.until_ms < 0) {
		http_error(req, 400, "bad_time",
		           "since and until take 2026-12-07T10:00:00Z, seconds since the epoch, or "
		           "a duration back from now such as 1h");
		return false;
	}
	if (j->q.since_ms == 0)
		j->q.since_ms = default_since;
	return true;
}

void admin_events(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
{
	char v[32];
	uint64_t u;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || nseg != 0) {
		http_error(req, 405, "method_not_allowed", "use GET /admin/v1/events?...");
		return;
	}
	struct job *j = xcalloc(1, sizeof(*j));
	j->out = json_array();
	j->q.msg = j->msg = param(req, "id");
	j->q.source = j->source = param(req, "source");
	j->q.type = j->type = param(req, "status");
	j->q.sender = j->sender = param(req, "from");
	j->q.rcpt = j->rcpt = param(req, "rcpt");
	j->q.limit = PAGE_DEFAULT;
	if (api_query(req, "limit", v, sizeof(v))) {
		if (parse_u64(v, PAGE_MAX, &u) < 0 || u == 0) {
			http_error(req, 400, "bad_limit", "limit is 1 to %d", PAGE_MAX);
			job_free(j);
			return;
		}
		j->q.limit = (size_t)u;
	}
	if (api_query(req, "before", v, sizeof(v))) {
		if (parse_u64(v, INT64_MAX, &u) < 0) {
			http_error(req, 400, "bad_cursor", "before is the next value of a page");
			job_free(j);
			return;
		}
		j->q.before_id = (int64_t)u;
	}
	if (j->msg && !id_parse(j->msg, &u)) {
		http_error(req, 400, "bad_id", "id is a message id of 16 hex digits");
		job_free(j);
		return;
	}
	if (!times(req, j, 0)) {
		job_free(j);
		return;
	}
	submit(a, req, j);
}

#define SERIES_MAX 2880 /* buckets of one series: two days of minutes */

/* GET /stats/series?since=&until=&step=&source=: events per step and type, for charts */
static void series(struct api *a, struct evhttp_request *req)
{
	struct job *j = xcalloc(1, sizeof(*j));
	char v[32];
	uint64_t step = 60000;

	j->out = json_object();
	j->q.source = j->source = param(req, "source");
	if (api_query(req, "step", v, sizeof(v)) && parse_duration_ms(v, &step) < 0) {
		http_error(req, 400, "bad_step", "step is a duration such as 60s or 5m");
		job_free(j);
		return;
	}
	if (!times(req, j, (int64_t)now_ms() - 86400000)) {
		job_free(j);
		return;
	}
	if (j->q.until_ms == 0)
		j->q.until_ms = (int64_t)now_ms();
	if (step < 1000 || j->q.until_ms <= j->q.since_ms ||
	    (uint64_t)(j->q.until_ms - j->q.since_ms) / step >= SERIES_MAX) {
		http_error(req, 400, "bad_range",
		           "a series is at least 1 s a step and at most %d steps long", SERIES_MAX);
		job_free(j);
		return;
	}
	j->step_ms = (int64_t)step;
	j->nbuckets = (size_t)((j->q.until_ms - j->q.since_ms + j->step_ms - 1) / j->step_ms);
	submit(a, req, j);
}

void admin_stats(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
{
	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET && nseg == 1 &&
	    strcmp(seg[0], "series") == 0) {
		series(a, req);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || nseg != 0) {
		http_error(req, 405, "method_not_allowed", "use GET /admin/v1/stats?...");
		return;
	}
	struct job *j = xcalloc(1, sizeof(*j));
	j->stats = true;
	j->out = json_object();
	j->q.source = j->source = param(req, "source");
	/* the default: the last 24 hours */
	if (!times(req, j, (int64_t)now_ms() - 86400000)) {
		job_free(j);
		return;
	}
	submit(a, req, j);
}

static void audit_row(const struct store_audit *r, void *arg)
{
	json_t *detail = json_loads(r->detail, 0, NULL);

	json_array_append_new(arg, json_pack("{s:I, s:o, s:s, s:s, s:s, s:i, s:o}", "id",
	                                     (json_int_t)r->id, "time", http_time_ms(r->ts_ms),
	                                     "actor", r->actor, "action", r->action, "target",
	                                     r->target, "status", r->status, "request",
	                                     detail ? detail : json_object()));
}

void admin_audit(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
{
	char v[32], err[256];
	uint64_t limit = PAGE_DEFAULT, before = 0;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || nseg != 0) {
		http_error(req, 405, "method_not_allowed", "use GET /admin/v1/audit");
		return;
	}
	if ((api_query(req, "limit", v, sizeof(v)) &&
	     (parse_u64(v, PAGE_MAX, &limit) < 0 || limit == 0)) ||
	    (api_query(req, "before", v, sizeof(v)) && parse_u64(v, INT64_MAX, &before) < 0)) {
		http_error(req, 400, "bad_request", "limit is 1 to %d; before a number", PAGE_MAX);
		return;
	}
	json_t *arr = json_array();
	if (store_audit_each(a->deps.store, (int64_t)before, (size_t)limit, audit_row, arr, err,
	                     sizeof(err)) < 0) {
		json_decref(arr);
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	size_t n = json_array_size(arr);
	json_t *last = n ? json_object_get(json_array_get(arr, n - 1), "id") : NULL;
	json_t *next = n == limit && last ? json_integer(json_integer_value(last)) : json_null();
	http_json(req, 200, json_pack("{s:o, s:o}", "audit", arr, "next", next));
}
