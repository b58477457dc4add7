/*
 * send.c - the HTTP send API: POST /v1/messages and GET /v1/messages/ID.
 *
 * A request is authenticated by an API key of a source (Authorization:
 * Bearer pk_...), held to the source's address allow-list, kill switch and
 * limits, turned into a message (send_request.h), and then takes exactly the
 * path an SMTP message takes (submission.h): identity, signing, durable
 * spool. 202 {"id": ...} is answered only once the message is durable.
 *
 * Idempotency-Key: the first answer for a key (and the SHA-256 of the body it
 * came with) is kept for 24 hours; the same key with the same body gets that
 * answer again and sends nothing, with another body 409, and while the first
 * is still in flight 409 too.
 */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "api_internal.h"
#include "auth.h"
#include "eventlog.h"
#include "http.h"
#include "id.h"
#include "identity.h"
#include "limit.h"
#include "log.h"
#include "metrics.h"
#include "send_request.h"
#include "sources.h"
#include "store.h"
#include "strutil.h"
#include "submission.h"
#include "workq.h"
#include "xmalloc.h"

#define IDEM_TTL       86400
#define IDEM_KEY_MAX   255
#define READER_BACKLOG 64 /* status requests waiting for the reader thread */

/* one send in flight (after the message went to the submission) */
struct api_send {
	struct api *a;
	struct api_send *prev, *next;
	struct evhttp_request *req; /* NULL once the client is gone */
	struct evhttp_connection *conn;
	struct source *src; /* referenced, and counted in its connections */
	struct submission *sub;
	size_t nrcpts;
	json_t *suppressed; /* the recipients left out as suppressed */
	bool idem;
	char idem_key[IDEM_KEY_MAX + 1];
	char body_hash[65];
	bool answered;      /* the submission said its last word: only freeing is left */
	struct event *done; /* frees it from the loop, outside the submission's callback */
};

static void unlink_send(struct api_send *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		x->a->sends = x->next;
	if (x->next)
		x->next->prev = x->prev;
}

static void send_free(struct api_send *x)
{
	if (x->done)
		event_free(x->done);
	submission_free(x->sub);
	json_decref(x->suppressed);
	source_conn_close(x->src);
	source_unref(x->src);
	free(x);
}

/* -- answers ---------------------------------------------------------------- */

static void error_json(struct evhttp_request *req, int status, const char *code, const char *msg,
                       int64_t retry_after)
{
	if (retry_after > 0) {
		char v[24];
		snprintf(v, sizeof(v), "%lld", (long long)retry_after);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", v);
	}
	http_error(req, status, code, "%s", msg);
}

/*
 * remember - keep the answer (borrowed) of a request with an Idempotency-Key.
 * Answers that another try could change (429, 503) are not kept.
 */
static void remember(struct api *a, const struct source *src, const char *key, const char *hash,
                     int status, json_t *answer)
{
	char err[256];

	if (status == 429 || status >= 500)
		return;
	struct store_idem r = {
	        .source_id = src->id, .created_at = (int64_t)time(NULL), .status = status};
	strlcpy_(r.key, key, sizeof(r.key));
	strlcpy_(r.body_hash, hash, sizeof(r.body_hash));
	r.response = json_dumps(answer, JSON_COMPACT | JSON_SORT_KEYS);
	if (store_idem_put(a->deps.store, &r, err, sizeof(err)) != 0)
		log_warn("api idempotency key not kept source=%s error=\"%s\"", src->name, err);
	free(r.response);
}

static json_t *error_body(const char *code, const char *msg)
{
	return json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
}

/* reply, keeping the answer if the request had an Idempotency-Key */
static void answer(struct api_send *x, int status, json_t *body)
{
	if (x->idem)
		remember(x->a, x->src, x->idem_key, x->body_hash, status, body);
	if (x->req)
		http_json(x->req, status, body);
	else
		json_decref(body);
}

static void fail(struct api_send *x, int status, const char *code, const char *msg,
                 int64_t retry_after)
{
	if (x->idem) {
		json_t *b = error_body(code, msg);
		remember(x->a, x->src, x->idem_key, x->body_hash, status, b);
		json_decref(b);
	}
	if (x->req)
		error_json(x->req, status, code, msg, retry_after);
}

/* the HTTP answer for a refusal of the submission path */
static void refusal(enum reply r, int *status, const char **code)
{
	switch (r) {
	case RPL_SENDER_DENIED:
	case RPL_FROM_DENIED:
		*status = 403, *code = "identity_not_allowed";
		return;
	case RPL_FROM_INVALID:
		*status = 422, *code = "invalid_from";
		return;
	case RPL_STREAM_UNKNOWN:
		*status = 422, *code = "unknown_stream";
		return;
	case RPL_BROADCAST_RCPTS:
		*status = 422, *code = "one_recipient";
		return;
	case RPL_NO_SIGNING_KEY:
		*status = 422, *code = "no_signing_key";
		return;
	case RPL_SOURCE_SUSPENDED:
		*status = 403, *code = "source_suspended";
		return;
	case RPL_SOURCE_LIMIT:
		*status = 429, *code = "limit_exceeded";
		return;
	case RPL_SIZE_EXCEEDED:
	case RPL_HEADER_TOO_BIG:
		*status = 413, *code = "too_large";
		return;
	case RPL_CONTENT_NUL:
	case RPL_CONTENT_CONVERT:
		*status = 422, *code = "invalid_content";
		return;
	case RPL_TOO_MANY_RCPTS:
		*status = 422, *code = "too_many_recipients";
		return;
	case RPL_VIRUS:
		*status = 422, *code = "virus_found";
		return;
	case RPL_SPAM:
		*status = 422, *code = "spam";
		return;
	case RPL_DLP:
		*status = 422, *code = "dlp_rule";
		return;
	case RPL_SPAM_TEMP:
		*status = 503, *code = "spam_deferred";
		return;
	case RPL_SCAN_TEMP:
		*status = 503, *code = "scanner_unavailable";
		return;
	default: /* storage, signing: the relay's trouble, not the client's */
		*status = 503, *code = "unavailable";
		return;
	}
}

static void free_later(evutil_socket_t fd, short what, void *arg)
{
	unlink_send(arg);
	send_free(arg);
}

/* the submission's verdict: durable (202) or refused */
static void sent(enum reply r, uint64_t id, void *arg)
{
	struct api_send *x = arg;
	char hex[ID_HEXLEN + 1];

	id_format(id, hex);
	x->answered = true;
	if (r == RPL_QUEUED) {
		log_info("msg=%s api accepted source=%s nrcpt=%zu", hex, x->src->name, x->nrcpts);
		json_t *ok = json_pack("{s:s, s:s, s:I}", "id", hex, "status", "queued",
		                       "recipients", (json_int_t)x->nrcpts);
		if (x->suppressed)
			json_object_set(ok, "suppressed", x->suppressed);
		answer(x, 202, ok);
	} else {
		int status;
		const char *code, *why = submission_reason(x->sub);
		refusal(r, &status, &code);
		log_info("msg=%s api rejected source=%s status=%d code=%s", hex, x->src->name,
		         status, code);
		fail(x, status, code, why ? why : reply_def(r)->text,
		     r == RPL_SOURCE_LIMIT                      ? submission_retry_after(x->sub)
		     : r == RPL_SCAN_TEMP || r == RPL_SPAM_TEMP ? 60
		                                                : 0);
	}
	/* not from inside the submission's own callback */
	event_active(x->done, EV_TIMEOUT, 0);
}

/* -- authentication ------------------------------------------------------ */

static bool peer_of(struct evhttp_request *req, struct sockaddr_storage *ss, char *addr, size_t n)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	socklen_t len = sizeof(*ss);

	memset(ss, 0, sizeof(*ss));
	if (conn == NULL)
		return false;
	int fd = door_fd(evhttp_connection_get_bufferevent(conn));
	if (fd < 0 || getpeername(fd, (struct sockaddr *)ss, &len) < 0)
		return false;
	sockaddr_ntop((struct sockaddr *)ss, addr, n);
	return true;
}

/*
 * authenticate - the source of the request's API key, or NULL after
 * answering 401, 403 or 429. Borrowed.
 */
static struct source *authenticate(struct api *a, struct evhttp_request *req,
                                   struct sockaddr_storage *peer, char *addr, size_t n)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	struct source *s = NULL;

	if (!peer_of(req, peer, addr, n)) {
		http_error(req, 400, "bad_request", "the client address is unknown");
		return NULL;
	}
	if (h == NULL || !ascii_iprefix(h, "Bearer ") || h[7] == '\0') {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
		                  "Bearer realm=\"postern\"");
		http_error(req, 401, "unauthorized",
		           "an API key is required: Authorization: Bearer pk_...");
		return NULL;
	}
	enum auth_result r = auth_check_api_key(a->deps.auth, h + 7, (struct sockaddr *)peer, &s);
	if (r != AUTH_OK) {
		metrics_inc("postern_auth_failures_total", "door", "api", NULL, NULL, 1);
		log_info("api auth result=%s client=%s", r == AUTH_THROTTLED ? "throttled" : "fail",
		         addr);
		if (r == AUTH_THROTTLED) {
			error_json(req, 429, "throttled",
			           "too many failed attempts from this address; wait", 60);
			return NULL;
		}
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
		                  "Bearer realm=\"postern\", error=\"invalid_token\"");
		http_error(req, 401, "unauthorized",
		           "the API key is not valid (wrong, revoked or "
		           "expired)");
		return NULL;
	}
	if (!source_active(s)) {
		log_info("api refuse source=%s reason=suspended client=%s", s->name, addr);
		eventlog_reject(a->deps.events, 0, s->name, NULL, NULL, "", "suspended",
		                "{\"code\":403,\"door\":\"api\"}");
		http_error(req, 403, "source_suspended", "source %s is suspended", s->name);
		return NULL;
	}
	if (!source_allows_ip(s, (struct sockaddr *)peer)) {
		log_info("api refuse source=%s reason=address-not-allowed client=%s", s->name,
		         addr);
		http_error(req, 403, "address_not_allowed",
		           "source %s may not send from this address", s->name);
		return NULL;
	}
	return s;
}

/* -- POST /v1/messages ------------------------------------------------------ */

static bool idem_key_valid(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > IDEM_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (k[i] < 0x21 || k[i] > 0x7e)
			return false;
	return true;
}

static void sha256_hex(const char *p, size_t n, char out[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(d, (const unsigned char *)p, n);
	sodium_bin2hex(out, 65, d, sizeof(d));
}

/*
 * idempotent - a request with a key already seen: true after answering it
 * (the first answer again, or 409).
 */
static bool idempotent(struct api *a, struct evhttp_request *req, const struct source *s,
                       const char *key, const char *hash)
{
	struct store_idem r;
	char err[256];

	for (struct api_send *x = a->sends; x; x = x->next) {
		if (x->idem && !x->answered && x->src == s && strcmp(x->idem_key, key) == 0) {
			http_error(req, 409, "idempotency_in_progress",
			           "a request with this Idempotency-Key is still being processed");
			return true;
		}
	}
	int rc = store_idem_get(a->deps.store, s->id, key, &r, err, sizeof(err));
	if (rc == STORE_NOTFOUND)
		return false;
	if (rc < 0) {
		http_error(req, 503, "store_error", "%s", err);
		return true;
	}
	if (r.created_at + IDEM_TTL < (int64_t)time(NULL)) {
		free(r.response);
		return false;
	}
	if (strcmp(r.body_hash, hash) != 0) {
		http_error(req, 409, "idempotency_mismatch",
		           "this Idempotency-Key was used with another request body");
	} else {
		json_t *j = json_loads(r.response, 0, NULL);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Idempotent-Replayed",
		                  "true");
		http_json(req, r.status, j ? j : json_object());
	}
	free(r.response);
	return true;
}

/* the members the accepted event gets: the door, the caller's metadata */
static char *event_members(const struct send_request *sr, const char *idem_key)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "\"door\":\"api\"");
	if (sr->metadata_json)
		buf_printf(&b, ",\"metadata\":%s", sr->metadata_json);
	if (idem_key) {
		json_t *k = json_string(idem_key);
		char *t = json_dumps(k, JSON_ENCODE_ANY);
		buf_printf(&b, ",\"idempotency_key\":%s", t ? t : "\"\"");
		free(t);
		json_decref(k);
	}
	return buf_steal(&b, NULL);
}

static void post(struct api *a, struct evhttp_request *req)
{
	struct sockaddr_storage peer;
	char addr[64], why[400];
	struct source *s = authenticate(a, req, &peer, addr, sizeof(addr));
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);

	if (s == NULL)
		return;
	const char *ct = evhttp_find_header(in, "Content-Type");
	if (ct == NULL || !ascii_iprefix(ct, "application/json")) {
		http_error(req, 415, "unsupported_media_type", "the body must be application/json");
		return;
	}
	const char *key = evhttp_find_header(in, "Idempotency-Key");
	if (key && !idem_key_valid(key)) {
		http_error(req, 400, "bad_idempotency_key",
		           "Idempotency-Key is 1-%d printable ASCII characters", IDEM_KEY_MAX);
		return;
	}
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(body);
	const char *p = n ? (const char *)evbuffer_pullup(body, (ev_ssize_t)n) : "";
	char hash[65] = "";
	if (key) {
		sha256_hex(p, n, hash);
		if (idempotent(a, req, s, key, hash))
			return;
	}
	if (limit_conns_reached(s)) {
		limit_describe(s, LIMIT_CONNS, why, sizeof(why));
		eventlog_reject(a->deps.events, 0, s->name, NULL, NULL, "4.7.1", "max_connections",
		                "{\"code\":429,\"door\":\"api\"}");
		error_json(req, 429, "limit_exceeded", why, 1);
		return;
	}

	struct api_send *x = xcalloc(1, sizeof(*x));
	x->a = a;
	x->req = req;
	x->conn = evhttp_request_get_connection(req);
	x->src = s;
	source_ref(s);
	source_conn_open(s);
	if (key) {
		x->idem = true;
		strlcpy_(x->idem_key, key, sizeof(x->idem_key));
		strlcpy_(x->body_hash, hash, sizeof(x->body_hash));
	}

	struct send_limits sl;
	struct send_request sr;
	struct send_error e;
	send_limits_default(&sl);
	sl.max_rcpts = a->lim.max_recipients;
	sl.max_size = a->lim.max_message_size;
	memset(&sr, 0, sizeof(sr));
	if (send_request_parse(p, n, &sl, &sr, &e) < 0) {
		/* counted by its code, so that statistics show what applications get wrong */
		char detail[96];
		snprintf(detail, sizeof(detail), "{\"code\":%d,\"door\":\"api\"}", e.status);
		eventlog_reject(a->deps.events, 0, s->name, NULL, NULL, "", e.code, detail);
		fail(x, e.status, e.code, e.message, 0);
		send_request_release(&sr);
		send_free(x);
		return;
	}
	x->nrcpts = sr.nrcpts;
	x->sub = submission_new(a->base, a->deps.subenv, a->deps.hostname);
	struct submission_limits lim = {a->lim.max_message_size, a->lim.max_recipients,
	                                a->lim.max_header_size};
	submission_set_source(x->sub, s);
	submission_set_limits(x->sub, &lim);
	if (submission_check_limits(x->sub, sr.message.len) != RPL_OK) {
		const char *lk = submission_limit_hit(x->sub);
		char detail[200];
		snprintf(detail, sizeof(detail), "{\"code\":429,\"door\":\"api\",\"limit\":\"%s\"}",
		         lk ? lk : "");
		eventlog_reject(a->deps.events, 0, s->name, sr.sender.addr, NULL, "4.7.1", lk,
		                detail);
		fail(x, 429, "limit_exceeded", submission_reason(x->sub),
		     submission_retry_after(x->sub) ? submission_retry_after(x->sub) : 60);
		goto drop;
	}
	if (!identity_envelope_ok(s, sr.sender.addr, why, sizeof(why))) {
		char detail[600];
		json_t *w = json_string(why);
		char *wt = json_dumps(w, JSON_ENCODE_ANY);
		snprintf(detail, sizeof(detail), "{\"code\":403,\"door\":\"api\",\"reason\":%s}",
		         wt ? wt : "\"\"");
		free(wt);
		json_decref(w);
		eventlog_reject(a->deps.events, 0, s->name, sr.sender.addr, NULL, "5.7.1",
		                "identity", detail);
		fail(x, 403, "identity_not_allowed", why, 0);
		goto drop;
	}
	struct mail_params mp;
	memset(&mp, 0, sizeof(mp));
	mp.body = sr.raw ? BODY_8BITMIME : BODY_7BIT;
	submission_set_sender(x->sub, sr.sender.addr, &mp);
	char *members = event_members(&sr, key);
	submission_set_event_detail(x->sub, members);
	free(members);
	if (sr.stream[0] && !submission_set_stream(x->sub, sr.stream)) {
		fail(x, 422, "unknown_stream",
		     "stream is transactional or a stream declared in [streams]", 0);
		goto drop;
	}
	if (sr.stream[0] && strcmp(sr.stream, "transactional") != 0 && sr.nrcpts > 1) {
		fail(x, 422, "one_recipient",
		     "a message of a broadcast stream has exactly one recipient: send one per "
		     "recipient",
		     0);
		goto drop;
	}
	for (size_t i = 0; i < sr.nrcpts; i++) {
		struct rcpt_params rp;
		memset(&rp, 0, sizeof(rp));
		enum reply r = submission_add_rcpt(x->sub, sr.rcpts[i].addr, &rp);
		if (r == RPL_RCPT_SUPPRESSED) {
			fail(x, 422, "recipient_suppressed", submission_reason(x->sub), 0);
			goto drop;
		}
		if (r == RPL_RCPT_OK && submission_rcpt_dropped(x->sub)) {
			if (x->suppressed == NULL)
				x->suppressed = json_array();
			json_array_append_new(x->suppressed, json_string(sr.rcpts[i].addr));
		}
		if (r == RPL_SOURCE_LIMIT) {
			eventlog_reject(a->deps.events, 0, s->name, sr.sender.addr, NULL, "4.7.1",
			                "max_recipients", "{\"code\":429,\"door\":\"api\"}");
			fail(x, 429, "limit_exceeded", submission_reason(x->sub), 60);
			goto drop;
		}
		if (r != RPL_RCPT_OK) {
			fail(x, 422, "too_many_recipients", "too many recipients", 0);
			goto drop;
		}
	}
	struct received_info ri;
	memset(&ri, 0, sizeof(ri));
	ri.client_addr = addr;
	ri.hostname = a->deps.hostname;
	ri.protocol = door_is_tls(evhttp_connection_get_bufferevent(x->conn)) ? "HTTPS" : "HTTP";
	ri.source = s->name;
	submission_data_begin(x->sub, &ri, addr, "api");
	submission_data_write(x->sub, sr.message.data, sr.message.len);
	send_request_release(&sr);
	x->done = event_new(a->base, -1, 0, free_later, x);
	x->next = a->sends;
	if (x->next)
		x->next->prev = x;
	a->sends = x;
	submission_data_end(x->sub, sent, x);
	return;
drop:
	send_request_release(&sr);
	send_free(x);
}

/* -- GET /v1/messages/ID ------------------------------------------------------ */

struct status_job {
	struct api_pending *p;
	struct store *st;
	struct eventlog *el;
	char id[ID_HEXLEN + 1];
	char source[SOURCE_NAME_MAX + 1];
	json_t *events; /* oldest first */
	bool foreign;   /* an event of another source: not the caller's to see */
	int r;
	char err[256];
};

static void status_row(const struct store_event_row *r, void *arg)
{
	struct status_job *j = arg;
	json_t *detail = json_loads(r->detail, 0, NULL);

	if (r->source[0] && strcmp(r->source, j->source) != 0)
		j->foreign = true;
	json_array_insert_new(j->events, 0,
	                      json_pack("{s:o, s:s, s:s, s:s, s:s, s:o}", "time",
	                                http_iso8601(r->ts_ms / 1000), "type", r->type, "rcpt",
	                                r->rcpt, "dsn", r->dsn, "reason", r->reason, "detail",
	                                detail ? detail : json_object()));
}

static void status_work(void *arg)
{
	struct status_job *j = arg;
	struct store_event_query q;

	memset(&q, 0, sizeof(q));
	q.msg = j->id;
	q.limit = 1000;
	if (j->st == NULL) {
		j->r = -1;
		snprintf(j->err, sizeof(j->err), "the event store cannot be read");
		return;
	}
	/* what this source was told a moment ago must be found */
	eventlog_sync(j->el, 2000);
	j->r = store_events_search(j->st, &q, status_row, j, j->err, sizeof(j->err));
}

/* the message's state from its events: per recipient, and overall */
static json_t *summarize(json_t *events, const char **overall)
{
	json_t *rcpts = json_object(), *e;
	size_t i;
	bool any = false, pending = false, bounced = false, held = false, dropped = false,
	     all_suppressed = true;

	json_array_foreach(events, i, e)
	{
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *rcpt = json_string_value(json_object_get(e, "rcpt"));
		if (strcmp(type, "held") == 0)
			held = true;
		else if (strcmp(type, "released") == 0)
			held = false;
		else if (strcmp(type, "dropped") == 0 || strcmp(type, "deleted") == 0)
			dropped = true;
		if (rcpt[0] && (strcmp(type, "queued") == 0 || strcmp(type, "delivered") == 0 ||
		                strcmp(type, "deferred") == 0 || strcmp(type, "bounced") == 0 ||
		                strcmp(type, "suppressed") == 0))
			json_object_set_new(rcpts, rcpt, json_string(type));
	}
	const char *k;
	json_object_foreach(rcpts, k, e)
	{
		const char *v = json_string_value(e);
		any = true;
		pending |= strcmp(v, "queued") == 0 || strcmp(v, "deferred") == 0;
		bounced |= strcmp(v, "bounced") == 0;
		all_suppressed &= strcmp(v, "suppressed") == 0;
	}
	*overall = dropped          ? "dropped"
	           : held           ? "held"
	           : !any           ? "accepted"
	           : pending        ? "queued"
	           : all_suppressed ? "suppressed"
	           : bounced        ? "bounced"
	                            : "delivered";
	return rcpts;
}

static void status_done(void *arg)
{
	struct status_job *j = arg;
	struct evhttp_request *req = api_pending_done(j->p);

	if (req == NULL) {
		/* gone */
	} else if (j->r < 0) {
		http_error(req, 503, "store_error", "%s", j->err);
	} else if (json_array_size(j->events) == 0 || j->foreign) {
		http_error(req, 404, "not_found", "no message %s of this source", j->id);
	} else {
		const char *overall;
		json_t *rcpts = summarize(j->events, &overall);
		json_t *meta = NULL, *e;
		size_t i;
		json_array_foreach(j->events, i, e)
		{
			if (strcmp(json_string_value(json_object_get(e, "type")), "accepted") == 0)
				meta = json_object_get(json_object_get(e, "detail"), "metadata");
		}
		http_json(req, 200,
		          json_pack("{s:s, s:s, s:o, s:O, s:O}", "id", j->id, "status", overall,
		                    "recipients", rcpts, "metadata", meta ? meta : json_null(),
		                    "events", j->events));
	}
	json_decref(j->events);
	free(j);
}

static void get_status(struct api *a, struct evhttp_request *req, const char *idtext)
{
	struct sockaddr_storage peer;
	char addr[64];
	uint64_t id;
	struct source *s = authenticate(a, req, &peer, addr, sizeof(addr));

	if (s == NULL)
		return;
	if (strlen(idtext) != ID_HEXLEN || !id_parse(idtext, &id)) {
		http_error(req, 404, "not_found", "no such message");
		return;
	}
	/* status polls share one reader with the admin's searches: they may not crowd it */
	if (workq_pending(a->reader) >= READER_BACKLOG) {
		error_json(req, 503, "busy", "too many status requests at once; try again", 1);
		return;
	}
	struct status_job *j = xcalloc(1, sizeof(*j));
	id_format(id, j->id);
	strlcpy_(j->source, s->name, sizeof(j->source));
	j->events = json_array();
	j->st = a->rstore;
	j->el = a->deps.events;
	j->p = api_pending_new(a, req, j);
	workq_submit(a->reader, status_work, status_done, j);
}

void api_send_route(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (nseg == 0 && cmd == EVHTTP_REQ_POST)
		post(a, req);
	else if (nseg == 1 && cmd == EVHTTP_REQ_GET)
		get_status(a, req, seg[0]);
	else if (nseg <= 1)
		http_error(req, 405, "method_not_allowed",
		           nseg == 0 ? "use POST /v1/messages" : "use GET /v1/messages/ID");
	else
		http_error(req, 404, "not_found", "no such resource");
}

void api_send_conn_closed(struct api *a, struct evhttp_connection *conn)
{
	/*
	 * A request evhttp still holds goes with the connection: forget it. One the
	 * client left in the middle of was detached by evhttp (it has no connection
	 * any more) and is ours: the answer we send frees it.
	 */
	for (struct api_send *x = a->sends; x; x = x->next)
		if (x->req && evhttp_request_get_connection(x->req) == conn)
			x->req = NULL;
}

void api_send_stop(struct api *a)
{
	while (a->sends) {
		struct api_send *x = a->sends;
		a->sends = x->next;
		/* a message being committed still reaches the queue; nobody hears of it */
		if (!x->answered)
			submission_cancel(x->sub);
		send_free(x);
	}
}
