/*
 * admin_suppressions.c - /admin/v1/suppressions: the suppression list.
 *
 *   GET    /admin/v1/suppressions?address=&scope=&reason=&after=&after_scope=&limit=
 *          entries ordered by (address, scope), paged by the last one seen
 *   POST   /admin/v1/suppressions {address, scope?, reason?, source?, detail?, created_at?,
 *          origin?}
 *          or {entries: [...]} (at most 1,000: posternctl import sends batches)
 *   DELETE /admin/v1/suppressions/ADDRESS[?scope=S]   every scope unless one is named
 *   POST   /admin/v1/unsubscribe/rotate   a new link secret (the old one verifies for
 *          [unsubscribe] secret_grace)
 *
 * A batch is one transaction: all of it is added, or none (a bad entry is
 * named by its position).
 */
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "strutil.h"
#include "suppress.h"
#include "xmalloc.h"

#define BATCH_MAX 1000
#define LIST_MAX  10000

static const char *const reasons[] = {"unsubscribe", "hard-bounce", "complaint", "manual"};

static bool reason_valid(const char *r)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(r, reasons[i]) == 0)
			return true;
	return false;
}

static bool scope_valid(struct api *a, const char *s)
{
	return strcmp(s, "domain") == 0 || strcmp(s, "transactional") == 0 ||
	       suppress_broadcast(a->deps.suppress, s);
}

static json_t *entry_json(const struct store_suppression *e)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:I, s:s, s:s, s:s}", "address", e->address, "scope",
	                 e->scope, "reason", e->reason, "created_at", http_iso8601(e->created_at),
	                 "created_epoch", (json_int_t)e->created_at, "origin", e->origin, "source",
	                 e->source, "detail", e->detail);
}

static void add_row(const struct store_suppression *e, void *arg)
{
	json_array_append_new(arg, entry_json(e));
}

static void list(struct api *a, struct evhttp_request *req)
{
	char addr[STORE_ADDR_MAX + 2] = "", scope[64] = "", reason[32] = "",
	                           after[STORE_ADDR_MAX + 2] = "", after_scope[64] = "", v[32],
	                           err[256];
	uint64_t limit = 1000;

	if (api_query(req, "address", addr, sizeof(addr)) && addr[0] &&
	    suppress_normalize(addr, true, addr, sizeof(addr)) < 0) {
		http_error(req, 400, "bad_request", "address is local@domain or @domain");
		return;
	}
	api_query(req, "scope", scope, sizeof(scope));
	api_query(req, "reason", reason, sizeof(reason));
	api_query(req, "after", after, sizeof(after));
	api_query(req, "after_scope", after_scope, sizeof(after_scope));
	if (reason[0] && !reason_valid(reason)) {
		http_error(req, 400, "bad_request",
		           "reason is unsubscribe, hard-bounce, complaint or manual");
		return;
	}
	if (api_query(req, "limit", v, sizeof(v)) &&
	    (parse_u64(v, LIST_MAX, &limit) < 0 || limit == 0)) {
		http_error(req, 400, "bad_request", "limit is 1 to %d", LIST_MAX);
		return;
	}
	struct store_supp_query q = {addr, scope, reason, after, after_scope, (size_t)limit};
	json_t *arr = json_array();
	if (store_suppressions_each(a->deps.store, &q, add_row, arr, err, sizeof(err)) < 0) {
		json_decref(arr);
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	http_json(req, 200, json_pack("{s:o}", "suppressions", arr));
}

/* entry_from - one entry of a request into e; NULL, or the words of what is wrong */
static const char *entry_from(struct api *a, json_t *j, const char *origin,
                              struct store_suppression *e)
{
	const char *addr = NULL, *scope = "domain", *reason = "manual", *source = "", *detail = "",
	           *given = NULL;
	json_int_t created = 0;
	json_error_t jerr;

	memset(e, 0, sizeof(*e));
	if (!json_is_object(j) ||
	    json_unpack_ex(j, &jerr, JSON_STRICT, "{s:s, s?s, s?s, s?s, s?s, s?I, s?s}", "address",
	                   &addr, "scope", &scope, "reason", &reason, "source", &source, "detail",
	                   &detail, "created_at", &created, "origin", &given) < 0)
		return "an entry is {address, scope?, reason?, source?, detail?, created_at?, "
		       "origin?}";
	if (given && (given[0] == '\0' || strlen(given) >= sizeof(e->origin) ||
	              strspn(given, "abcdefghijklmnopqrstuvwxyz0123456789-_:.@") != strlen(given)))
		return "origin is up to 63 of a-z, 0-9 and -_:.@";
	if (suppress_normalize(addr, true, e->address, sizeof(e->address)) < 0)
		return "address is local@domain or @domain";
	if (!scope_valid(a, scope))
		return "scope is domain, transactional or a stream declared in [streams]";
	if (!reason_valid(reason))
		return "reason is unsubscribe, hard-bounce, complaint or manual";
	if (strlen(source) > SOURCE_NAME_MAX || strlen(detail) >= sizeof(e->detail) ||
	    strpbrk(detail, "\r\n") != NULL)
		return "source or detail too long, or detail on several lines";
	if (created < 0 || created > 4102444800LL)
		return "created_at is seconds since 1970";
	strlcpy_(e->scope, scope, sizeof(e->scope));
	strlcpy_(e->reason, reason, sizeof(e->reason));
	strlcpy_(e->source, source, sizeof(e->source));
	strlcpy_(e->detail, detail, sizeof(e->detail));
	strlcpy_(e->origin, given ? given : origin, sizeof(e->origin));
	e->created_at = (int64_t)created;
	return NULL;
}

static void add(struct api *a, struct evhttp_request *req)
{
	json_t *body = http_body_json(req), *entries;
	char err[256];
	size_t added = 0, n;

	if (body == NULL)
		return;
	entries = json_object_get(body, "entries");
	bool batch = entries != NULL;
	if (!batch) {
		entries = json_array();
		json_array_append(entries, body);
	} else if (!json_is_array(entries) || json_object_size(body) != 1 ||
	           json_array_size(entries) > BATCH_MAX) {
		http_error(req, 400, "bad_request", "entries is a list of at most %d entries",
		           BATCH_MAX);
		json_decref(body);
		return;
	}
	n = json_array_size(entries);
	struct store_suppression *v = xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const char *why = entry_from(a, json_array_get(entries, i),
		                             batch ? "import" : "admin", &v[i]);
		if (why) {
			http_error(req, 422, "invalid_entry", "entry %zu: %s", i + 1, why);
			goto out;
		}
	}
	if (store_begin(a->deps.store, err, sizeof(err)) < 0) {
		http_error(req, 503, "store_error", "%s", err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].created_at == 0)
			v[i].created_at = (int64_t)time(NULL);
		int rc = store_suppression_put(a->deps.store, &v[i], false, err, sizeof(err));
		if (rc < 0) {
			store_rollback(a->deps.store);
			http_error(req, 503, "store_error", "%s", err);
			goto out;
		}
		added += rc == 0;
	}
	if (store_commit(a->deps.store, err, sizeof(err)) < 0) {
		store_rollback(a->deps.store);
		http_error(req, 503, "store_error", "%s", err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		suppress_noted(a->deps.suppress, v[i].address);
	log_info("admin suppressions added=%zu existing=%zu", added, n - added);
	if (batch || added == 0)
		http_json(req, added ? 201 : 200,
		          json_pack("{s:I, s:I}", "added", (json_int_t)added, "existing",
		                    (json_int_t)(n - added)));
	else
		http_json(req, 201, json_pack("{s:o}", "suppression", entry_json(&v[0])));
out:
	free(v);
	if (!batch)
		json_decref(entries);
	json_decref(body);
}

static void remove_one(struct api *a, struct evhttp_request *req, const char *raw)
{
	char addr[STORE_ADDR_MAX + 2], scope[64] = "", err[256];
	char *dec = evhttp_uridecode(raw, 0, NULL);
	size_t n = 0;

	if (dec == NULL || suppress_normalize(dec, true, addr, sizeof(addr)) < 0) {
		free(dec);
		http_error(req, 400, "bad_request", "address is local@domain or @domain");
		return;
	}
	free(dec);
	api_query(req, "scope", scope, sizeof(scope));
	int rc = store_suppression_delete(a->deps.store, addr, scope, &n, err, sizeof(err));
	if (rc == STORE_NOTFOUND) {
		http_error(req, 404, "not_found", "%s", err);
		return;
	}
	if (rc < 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	log_info("admin suppression removed address=%s scope=%s n=%zu", addr,
	         scope[0] ? scope : "*", n);
	http_json(req, 200, json_pack("{s:I}", "removed", (json_int_t)n));
}

void admin_suppressions(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (nseg == 0 && cmd == EVHTTP_REQ_GET)
		list(a, req);
	else if (nseg == 0 && cmd == EVHTTP_REQ_POST)
		add(a, req);
	else if (nseg == 1 && cmd == EVHTTP_REQ_DELETE)
		remove_one(a, req, seg[0]);
	else if (nseg <= 1)
		http_error(req, 405, "method_not_allowed", "GET, POST, or DELETE of one address");
	else
		http_error(req, 404, "not_found", "no such resource");
}

void admin_unsubscribe(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
{
	char err[256];

	if (nseg != 1 || strcmp(seg[0], "rotate") != 0) {
		http_error(req, 404, "not_found", "no such resource");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		http_error(req, 405, "method_not_allowed", "use POST");
		return;
	}
	if (suppress_rotate(a->deps.suppress, err, sizeof(err)) < 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	http_json(req, 200, json_pack("{s:s}", "status", "rotated"));
}
