/*
 * admin_quarantine.c - /admin/v1/quarantine: what the scanners held.
 *
 *   GET    /admin/v1/quarantine?offset=N&limit=N   the held messages, oldest first
 *   GET    /admin/v1/quarantine/ID                 one: envelope, verdict, header, text
 *   POST   /admin/v1/quarantine/ID/release         signed and sent on (a new id)
 *   DELETE /admin/v1/quarantine/ID                 deleted, with an event
 *
 * A quarantined message is stored unsigned; a release submits it again from
 * its source (submission_replay: not scanned again, signed, committed), and
 * only once the new message is durable is the quarantined one removed.
 */
#include <event2/event.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "htab.h"
#include "http.h"
#include "id.h"
#include "log.h"
#include "queue.h"
#include "sources.h"
#include "spool.h"
#include "strutil.h"
#include "submission.h"
#include "xmalloc.h"

#define LIST_MAX    1000
#define PREVIEW_MAX (16 * 1024) /* octets of the body shown, as text */

static json_t *entry_json(const struct queue_entry *e)
{
	char hex[ID_HEXLEN + 1];
	json_t *verdict = json_loads(e->verdict, 0, NULL);

	return json_pack("{s:s, s:o, s:I, s:s, s:s, s:I, s:o}", "id", id_format(e->id, hex),
	                 "arrival", http_iso8601((int64_t)(e->arrival_ms / 1000)), "size",
	                 (json_int_t)e->size, "sender", e->sender, "source", e->source,
	                 "recipients", (json_int_t)e->nrcpts, "verdict",
	                 verdict ? verdict : json_object());
}

static void list(struct api *a, struct evhttp_request *req)
{
	char v[32];
	uint64_t offset = 0, limit = 100;
	size_t total;

	if ((api_query(req, "offset", v, sizeof(v)) && parse_u64(v, 1000000000, &offset) < 0) ||
	    (api_query(req, "limit", v, sizeof(v)) &&
	     (parse_u64(v, LIST_MAX, &limit) < 0 || limit == 0))) {
		http_error(req, 400, "bad_request", "offset is a number; limit is 1 to %d",
		           LIST_MAX);
		return;
	}
	struct queue_entry *e = xcalloc(limit, sizeof(*e));
	size_t n = queue_quarantine_list(a->deps.queue, (size_t)offset, (size_t)limit, e, &total);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, entry_json(&e[i]));
	free(e);
	http_json(req, 200,
	          json_pack("{s:o, s:I, s:I}", "messages", arr, "total", (json_int_t)total,
	                    "offset", (json_int_t)offset));
}

/* the first octets of text, with anything but printable ASCII, tab and CRLF made '?' */
static json_t *safe_text(const char *p, size_t n)
{
	size_t k = n < PREVIEW_MAX ? n : PREVIEW_MAX;
	char *t = xcalloc(k + 1, 1);

	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)p[i];
		t[i] = (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\r' || c == '\n' ? (char)c
		                                                                      : '?';
	}
	json_t *j = json_string(t);
	free(t);
	return j;
}

static void show(struct api *a, struct evhttp_request *req, uint64_t id)
{
	struct spool_file f;
	struct queue_entry e;

	if (queue_get(a->deps.queue, id, &e) != 0 || !e.quarantined ||
	    queue_quarantine_load(a->deps.queue, id, &f) != 0) {
		http_error(req, 404, "not_found", "no quarantined message with that id");
		return;
	}
	json_t *j = entry_json(&e);
	json_t *rcpts = json_array();
	for (size_t i = 0; i < f.msg.env.nrcpts; i++)
		json_array_append_new(rcpts, json_string(f.msg.env.rcpts[i].addr));
	json_object_set_new(j, "rcpts", rcpts);
	json_object_set_new(j, "header", safe_text(f.msg.header.p, f.msg.header.n));
	/* the body as the relay stored it (7-bit), shown as text, never rendered */
	struct qrec_span b = f.msg.nbody ? f.msg.body[0] : (struct qrec_span){"", 0};
	json_object_set_new(j, "body_preview", safe_text(b.p, b.n));
	spool_file_release(&f);
	http_json(req, 200, json_pack("{s:o}", "message", j));
}

/* a release in flight: the new message is being signed and committed */
struct release {
	struct api_pending *p;
	struct submission *sub;
	uint64_t old_id;
	struct spool_file f;
	struct event *done_ev;
	enum reply r;
	uint64_t new_id;
};

static void release_free(struct release *rl)
{
	spool_file_release(&rl->f);
	submission_free(rl->sub);
	event_free(rl->done_ev);
	free(rl);
}

/* from the loop, outside the submission's own callback */
static void release_finish(evutil_socket_t fd, short what, void *arg)
{
	struct release *rl = arg;
	struct api *a = rl->p->a;
	struct evhttp_request *req = api_pending_done(rl->p);
	char old[ID_HEXLEN + 1], new[ID_HEXLEN + 1], detail[128];

	id_format(rl->old_id, old);
	id_format(rl->new_id, new);
	if (a && rl->r == RPL_QUEUED) {
		/* the new one is durable: only now may the held one go */
		snprintf(detail, sizeof(detail), "{\"released_as\":\"%s\"}", new);
		queue_quarantine_remove(a->deps.queue, rl->old_id, "released", detail);
		log_info("msg=%s quarantine released as=%s", old, new);
	} else if (a) {
		queue_quarantine_claim(a->deps.queue, rl->old_id, false);
	}
	if (req) {
		/* a refusal for good (its identity no longer approved, a virus found on a
		 * rescan) is the request's fault to fix; a 4xx may pass on a retry */
		bool perm = reply_def(rl->r)->code >= 500;
		if (rl->r == RPL_QUEUED)
			http_json(req, 200,
			          json_pack("{s:s, s:s, s:b}", "released", old, "released_as", new,
			                    "held_again", submission_held(rl->sub)));
		else
			http_error(req,
			           rl->r == RPL_SOURCE_SUSPENDED ? 409
			           : perm                        ? 422
			                                         : 503,
			           rl->r == RPL_SOURCE_SUSPENDED ? "source_suspended"
			           : perm                        ? "refused"
			                                         : "unavailable",
			           "the message could not be sent on: %s",
			           submission_reason(rl->sub) ? submission_reason(rl->sub)
			                                      : reply_def(rl->r)->text);
	}
	release_free(rl);
}

static void released(enum reply r, uint64_t id, void *arg)
{
	struct release *rl = arg;

	rl->r = r;
	rl->new_id = id;
	event_active(rl->done_ev, EV_TIMEOUT, 0);
}

static void release(struct api *a, struct evhttp_request *req, uint64_t id)
{
	struct release *rl = xcalloc(1, sizeof(*rl));

	/* claimed: a delete or the retention cannot take it while it is being released */
	int c = queue_quarantine_claim(a->deps.queue, id, true);
	if (c != 0) {
		free(rl);
		if (c == QUEUE_BUSY)
			http_error(req, 409, "in_progress",
			           "this message is being released already");
		else
			http_error(req, 404, "not_found", "no quarantined message with that id");
		return;
	}
	if (queue_quarantine_load(a->deps.queue, id, &rl->f) != 0) {
		queue_quarantine_claim(a->deps.queue, id, false);
		free(rl);
		http_error(req, 404, "not_found", "no quarantined message with that id");
		return;
	}
	struct source *s = sources_find(a->deps.reg, rl->f.msg.env.source);
	if (s == NULL || !source_active(s)) {
		queue_quarantine_claim(a->deps.queue, id, false);
		spool_file_release(&rl->f);
		free(rl);
		http_error(req, 409, "source_unavailable",
		           "its source is deleted or suspended: resume it first, or delete the "
		           "message");
		return;
	}
	rl->old_id = id;
	rl->sub = submission_new(a->base, a->deps.subenv, a->deps.hostname);
	struct submission_limits lim = {a->lim.max_message_size, a->lim.max_recipients + 1000,
	                                a->lim.max_header_size};
	submission_set_source(rl->sub, s);
	submission_set_limits(rl->sub, &lim);
	rl->done_ev = event_new(a->base, -1, 0, release_finish, rl);
	rl->p = api_pending_new(a, req, rl);
	/* held because a scanner was down: scanned now, before it may leave */
	const char *v = rl->f.msg.env.quarantine;
	bool rescan = v && strstr(v, "\"verdict\":\"scanner_error\"") != NULL;
	submission_replay(rl->sub, &rl->f.msg, "quarantine", rescan, released, rl);
}

void admin_quarantine(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
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
	if (strlen(seg[0]) != ID_HEXLEN || !id_parse(seg[0], &id)) {
		http_error(req, 404, "not_found", "no quarantined message with that id");
		return;
	}
	if (nseg == 1 && cmd == EVHTTP_REQ_GET) {
		show(a, req, id);
	} else if (nseg == 1 && cmd == EVHTTP_REQ_DELETE) {
		int r = queue_quarantine_remove(a->deps.queue, id, "deleted", "{\"by\":\"admin\"}");
		if (r == QUEUE_BUSY)
			http_error(req, 409, "in_progress", "this message is being released");
		else if (r != 0)
			http_error(req, 404, "not_found", "no quarantined message with that id");
		else
			http_json(req, 200, json_pack("{s:s}", "deleted", seg[0]));
	} else if (nseg == 2 && strcmp(seg[1], "release") == 0 && cmd == EVHTTP_REQ_POST) {
		release(a, req, id);
	} else {
		http_error(req, 405, "method_not_allowed",
		           "use GET or DELETE on a message, POST on its release");
	}
}
