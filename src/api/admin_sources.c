/*
 * admin_sources.c - /admin/v1/sources: the registry of sources.
 *
 *   GET    /admin/v1/sources                 list
 *   POST   /admin/v1/sources                 add {name, kind, auth, networks}
 *   GET    /admin/v1/sources/NAME            show
 *   DELETE /admin/v1/sources/NAME            delete
 *   POST   /admin/v1/sources/NAME/suspend    the kill switch {queued: hold|drop}
 *   POST   /admin/v1/sources/NAME/resume
 *   POST   /admin/v1/sources/NAME/password   a new password, shown once
 *   PUT    /admin/v1/sources/NAME/networks   {networks: [CIDR, ...]}
 *   PUT    /admin/v1/sources/NAME/limits     {per_minute, per_hour, per_day,
 *                                             max_recipients, max_size, max_connections}
 *   .../NAME/credentials...                  admin_creds.c
 *   .../NAME/webhook                         admin_webhook.c
 *   POST   /admin/v1/sources/NAME/identities {action: allow|deny, envelope, from,
 *                                             remove: bool}: add or remove a rule
 *
 * New passwords are generated here (192 random bits), hashed with Argon2id on
 * a worker, returned once in the reply, and never logged.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "auth.h"
#include "cidr.h"
#include "http.h"
#include "limit.h"
#include "log.h"
#include "mta.h"
#include "queue.h"
#include "sources.h"
#include "suppress.h"
#include "store.h"
#include "strutil.h"
#include "xmalloc.h"

static const char *kind_default = "app";

json_t *admin_cred_json(const struct source_cred *c)
{
	int64_t now = (int64_t)time(NULL);
	json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:o, s:b}", "name", c->name, "kind",
	                      c->kind == CRED_API_KEY ? "api_key" : "password", "created_at",
	                      http_iso8601(c->created_at), "expires_at",
	                      http_iso8601(c->expires_at), "last_used_at",
	                      http_iso8601(c->last_used_at), "expired", !source_cred_valid(c, now));
	/* the public part of a key, so that a key in hand can be told apart; never the secret */
	if (c->kind == CRED_API_KEY)
		json_object_set_new(j, "key_prefix", json_sprintf("pk_%s_", c->key_id));
	return j;
}

static json_t *limits_json(struct source *s)
{
	int64_t now = (int64_t)time(NULL);
	json_t *lim = json_object();
	json_t *used = json_object();
	static const enum limit_kind kinds[] = {LIMIT_PER_MINUTE, LIMIT_PER_HOUR, LIMIT_PER_DAY,
	                                        LIMIT_RCPTS,      LIMIT_SIZE,     LIMIT_CONNS};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int64_t v = limit_value(s, kinds[i]);
		json_object_set_new(lim, limit_key(kinds[i]), v ? json_integer(v) : json_null());
	}
	json_object_set_new(used, "per_minute", json_integer(limit_rate_used(s, RATE_MINUTE, now)));
	json_object_set_new(used, "per_hour", json_integer(limit_rate_used(s, RATE_HOUR, now)));
	json_object_set_new(used, "per_day", json_integer(limit_rate_used(s, RATE_DAY, now)));
	json_object_set_new(used, "connections", json_integer(s->conns));
	return json_pack("{s:o, s:o}", "limits", lim, "usage", used);
}

json_t *admin_source_json(struct source *s)
{
	json_t *nets = json_array();
	json_t *creds = json_array();

	for (size_t i = 0; i < s->nnets; i++) {
		char tmp[64];
		cidr_format(&s->nets[i], tmp, sizeof(tmp));
		json_array_append_new(nets, json_string(tmp));
	}
	for (size_t i = 0; i < s->ncreds; i++)
		json_array_append_new(creds, admin_cred_json(&s->creds[i]));
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "name", s->name, "kind",
	                      s->kind, "auth", s->auth == SOURCE_AUTH_IP ? "ip" : "password",
	                      "status", s->suspended ? "suspended" : "active", "networks", nets,
	                      "credentials", creds, "created_at", http_iso8601(s->created_at),
	                      "updated_at", http_iso8601(s->updated_at));
	if (s->suspended)
		json_object_set_new(j, "queued_mail",
		                    json_string(s->drop_queued ? "drop" : "hold"));
	json_object_set_new(j, "scanning",
	                    json_pack("{s:s, s:s, s:s}", "dlp", s->dlp_rules, "dlp_action",
	                              s->dlp_action, "spam_action", s->spam_action));
	json_object_set_new(j, "stream",
	                    json_pack("{s:s, s:s}", "default",
	                              s->stream[0] ? s->stream : "transactional", "on_suppressed",
	                              s->reject_suppressed ? "reject" : "drop"));
	json_object_set_new(j, "webhook",
	                    s->webhook_url[0] ? json_string(s->webhook_url) : json_null());
	json_object_set_new(j, "pool", json_string(s->pool));
	json_object_set_new(j, "lane", json_string(s->bulk ? "bulk" : "urgent"));
	json_t *ids = json_array();
	for (size_t i = 0; i < s->nids; i++)
		json_array_append_new(ids,
		                      json_pack("{s:s, s:s, s:s}", "action",
		                                s->ids[i].deny ? "deny" : "allow", "envelope",
		                                s->ids[i].envelope, "from", s->ids[i].header_from));
	json_object_set_new(j, "identities", ids);
	json_t *l = limits_json(s);
	json_object_update(j, l);
	json_decref(l);
	return j;
}

static void collect(struct source *s, void *arg)
{
	json_array_append_new(arg, admin_source_json(s));
}

static int by_name(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "name"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "name"));

	return strcmp(x, y);
}

static void list(struct api *a, struct evhttp_request *req)
{
	json_t *arr = json_array();
	size_t n;

	sources_each(a->deps.reg, collect, arr);
	n = json_array_size(arr);
	json_t **v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), by_name);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
	http_json(req, 200, json_pack("{s:o}", "sources", arr));
}

/*
 * networks_from - validate a JSON array of CIDR texts into canonical strings.
 * Returns the count or -1 after replying 422.
 */
static int networks_from(struct evhttp_request *req, json_t *j, char **out)
{
	size_t i;
	json_t *v;

	if (j == NULL)
		return 0;
	if (!json_is_array(j) || json_array_size(j) > SOURCE_MAX_NETWORKS) {
		http_error(req, 422, "invalid_networks",
		           "networks must be a list of at most %d "
		           "CIDR blocks",
		           SOURCE_MAX_NETWORKS);
		return -1;
	}
	json_array_foreach(j, i, v)
	{
		struct cidr c;
		char tmp[64];
		if (!json_is_string(v) || cidr_parse(json_string_value(v), &c) < 0) {
			for (size_t k = 0; k < i; k++)
				free(out[k]);
			http_error(req, 422, "invalid_networks",
			           "network %zu is not a CIDR block such as 192.0.2.0/24 (host "
			           "bits must be zero)",
			           i + 1);
			return -1;
		}
		cidr_format(&c, tmp, sizeof(tmp));
		out[i] = xstrdup(tmp);
	}
	return (int)json_array_size(j);
}

struct add_job {
	char name[SOURCE_NAME_MAX + 1];
	char kind[SOURCE_KIND_MAX + 1];
	enum source_auth auth;
	char *nets[SOURCE_MAX_NETWORKS];
	int nnets;
	char secret[33];
	bool passwd_only; /* a password change for an existing source */
};

static void add_job_free(struct add_job *j)
{
	for (int i = 0; i < j->nnets; i++)
		free(j->nets[i]);
	sodium_memzero(j->secret, sizeof(j->secret));
	free(j);
}

static void hashed(const char *hash, void *arg)
{
	struct api_pending *p = arg;
	struct add_job *j = p->data;
	struct api *a = p->a;
	struct evhttp_request *req = api_pending_done(p);
	char err[256];
	struct source *s = NULL;
	int r;

	if (a == NULL) {
		/* the daemon is stopping: change nothing the admin never saw confirmed */
		add_job_free(j);
		return;
	}
	if (hash == NULL) {
		if (req)
			http_error(req, 503, "unavailable", "could not hash the password");
		add_job_free(j);
		return;
	}
	if (j->passwd_only) {
		s = sources_find(a->deps.reg, j->name);
		r = s ? sources_set_password(a->deps.reg, s, hash, err, sizeof(err))
		      : STORE_NOTFOUND;
		if (r == 0) {
			auth_forget(a->deps.auth, s);
			log_info("admin source passwd name=%s", j->name);
		}
	} else {
		r = sources_add(a->deps.reg, j->name, j->kind, j->auth, j->nets, (size_t)j->nnets,
		                j->auth == SOURCE_AUTH_PASSWORD ? hash : NULL, &s, err,
		                sizeof(err));
		if (r == 0)
			log_info("admin source add name=%s kind=%s auth=%s networks=%d", j->name,
			         j->kind, j->auth == SOURCE_AUTH_IP ? "ip" : "password", j->nnets);
	}
	if (req == NULL) {
		/* the client left; the change stands but the secret is lost with it */
		add_job_free(j);
		return;
	}
	if (r == STORE_EXISTS)
		http_error(req, 409, "exists", "a source named %s already exists", j->name);
	else if (r == STORE_NOTFOUND)
		http_error(req, 404, "not_found", "no source named %s", j->name);
	else if (r != 0)
		http_error(req, 503, "store_error", "%s", err);
	else if (j->passwd_only)
		http_json(req, 200,
		          json_pack("{s:s, s:s}", "name", j->name, "password", j->secret));
	else if (j->auth == SOURCE_AUTH_PASSWORD)
		http_json(req, 201,
		          json_pack("{s:o, s:s}", "source", admin_source_json(s), "password",
		                    j->secret));
	else
		http_json(req, 201, json_pack("{s:o}", "source", admin_source_json(s)));
	add_job_free(j);
}

static void add(struct api *a, struct evhttp_request *req)
{
	json_t *body = http_body_json(req);
	const char *name, *kind = kind_default, *auth = "password";
	json_t *nets = NULL;
	json_error_t jerr;

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s:s, s?s, s?s, s?o}", "name", &name, "kind",
	                   &kind, "auth", &auth, "networks", &nets) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	struct add_job *j = xcalloc(1, sizeof(*j));
	if (!source_name_valid(name)) {
		http_error(
		        req, 422, "invalid_name",
		        "a source name is 1-%d letters, digits, '.', '-' or '_', starting with a "
		        "letter or digit",
		        SOURCE_NAME_MAX);
		goto out;
	}
	if (!source_kind_valid(kind)) {
		http_error(req, 422, "invalid_kind", "kind must be app, onprem, cloud or saas");
		goto out;
	}
	if (strcmp(auth, "password") == 0) {
		j->auth = SOURCE_AUTH_PASSWORD;
	} else if (strcmp(auth, "ip") == 0) {
		j->auth = SOURCE_AUTH_IP;
	} else {
		http_error(req, 422, "invalid_auth", "auth must be password or ip");
		goto out;
	}
	if ((j->nnets = networks_from(req, nets, j->nets)) < 0) {
		j->nnets = 0;
		goto out;
	}
	if (j->auth == SOURCE_AUTH_IP && j->nnets == 0) {
		http_error(req, 422, "invalid_networks",
		           "a source that authenticates by address needs at least one network");
		goto out;
	}
	if (sources_find(a->deps.reg, name)) {
		http_error(req, 409, "exists", "a source named %s already exists", name);
		goto out;
	}
	strlcpy_(j->name, name, sizeof(j->name));
	strlcpy_(j->kind, kind, sizeof(j->kind));
	auth_generate_secret(j->secret);
	json_decref(body);
	auth_hash_async(a->deps.auth, j->secret, hashed, api_pending_new(a, req, j));
	return;
out:
	add_job_free(j);
	json_decref(body);
}

static void set_networks(struct api *a, struct evhttp_request *req, struct source *s)
{
	json_t *body = http_body_json(req);
	json_t *nets = NULL;
	json_error_t jerr;
	char *v[SOURCE_MAX_NETWORKS];
	char err[256];

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s:o}", "networks", &nets) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	int n = networks_from(req, nets, v);
	json_decref(body);
	if (n < 0)
		return;
	if (s->auth == SOURCE_AUTH_IP && n == 0) {
		http_error(req, 422, "invalid_networks",
		           "a source that authenticates by address needs at least one network");
		return;
	}
	int r = sources_set_networks(a->deps.reg, s, v, (size_t)n, err, sizeof(err));
	for (int i = 0; i < n; i++)
		free(v[i]);
	if (r != 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	auth_forget(a->deps.auth, s);
	log_info("admin source networks name=%s networks=%d", s->name, n);
	http_json(req, 200, json_pack("{s:o}", "source", admin_source_json(s)));
}

/* PATCH {kind, pool, lane}: how the source's mail is sent */
static void patch(struct api *a, struct evhttp_request *req, struct source *s)
{
	json_t *body = http_body_json(req);
	const char *kind = s->kind, *pool = s->pool, *lane = s->bulk ? "bulk" : "urgent";
	json_error_t jerr;
	char err[256];

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s?s, s?s, s?s}", "kind", &kind, "pool",
	                   &pool, "lane", &lane) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	char k[SOURCE_KIND_MAX + 1], p[64];
	bool bulk = strcmp(lane, "bulk") == 0;
	strlcpy_(k, kind, sizeof(k));
	strlcpy_(p, pool, sizeof(p));
	bool lane_ok = bulk || strcmp(lane, "urgent") == 0;
	bool kind_ok = source_kind_valid(kind);
	bool pool_ok = pool[0] == '\0' || mta_pool_find(a->deps.mta, pool) != NULL;
	json_decref(body);
	if (!kind_ok) {
		http_error(req, 422, "invalid_kind", "kind must be app, onprem, cloud or saas");
		return;
	}
	if (!lane_ok) {
		http_error(req, 422, "invalid_lane", "lane must be urgent or bulk");
		return;
	}
	if (!pool_ok) {
		http_error(req, 422, "invalid_pool", "no IP pool named %s in [pools]", p);
		return;
	}
	if (sources_set_delivery(a->deps.reg, s, k, p, bulk, err, sizeof(err)) != 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	log_info("admin source set name=%s kind=%s pool=%s lane=%s", s->name, s->kind,
	         s->pool[0] ? s->pool : "-", s->bulk ? "bulk" : "urgent");
	http_json(req, 200, json_pack("{s:o}", "source", admin_source_json(s)));
}

/*
 * POST .../suspend {"queued": "hold"|"drop"} and .../resume: the kill switch.
 * Sessions and requests of the source are refused from their next command
 * on (the registry is asked each time); its queued mail is held or dropped
 * through the queue's gate, and released again on resume.
 */
static void set_suspended(struct api *a, struct evhttp_request *req, struct source *s, bool on)
{
	json_t *body = http_body_json_opt(req);
	const char *queued = "hold";
	json_error_t jerr;
	char err[256];

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s?s}", "queued", &queued) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	bool drop = strcmp(queued, "drop") == 0;
	if (!drop && strcmp(queued, "hold") != 0) {
		http_error(req, 422, "invalid_queued", "queued must be hold or drop");
		json_decref(body);
		return;
	}
	json_decref(body);
	if (!on && drop) {
		http_error(req, 422, "invalid_queued", "resume takes no queued mode");
		return;
	}
	if (sources_set_suspended(a->deps.reg, s, on, drop, err, sizeof(err)) != 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	auth_forget(a->deps.auth, s);
	queue_source_changed(a->deps.queue, s->name);
	log_info("admin source %s name=%s queued=%s", on ? "suspend" : "resume", s->name,
	         on ? (drop ? "drop" : "hold") : "release");
	http_json(req, 200, json_pack("{s:o}", "source", admin_source_json(s)));
}

/* PUT .../scanning {dlp: "all" | [RULE or SET, ...], dlp_action, spam_action} */
static void set_scanning(struct api *a, struct evhttp_request *req, struct source *s)
{
	json_t *body = http_body_json(req), *dlp = NULL;
	const char *dlp_action = s->dlp_action, *spam_action = s->spam_action;
	char list[STORE_EVENTS_MAX + 1] = "", err[256];
	json_error_t jerr;

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s?o, s?s, s?s}", "dlp", &dlp, "dlp_action",
	                   &dlp_action, "spam_action", &spam_action) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	if (dlp == NULL) {
		strlcpy_(list, s->dlp_rules, sizeof(list));
	} else if (json_is_string(dlp) && strcmp(json_string_value(dlp), "all") == 0) {
		strlcpy_(list, "all", sizeof(list));
	} else if (json_is_array(dlp)) {
		size_t i;
		json_t *v;
		json_array_foreach(dlp, i, v)
		{
			const char *n = json_string_value(v);
			if (n == NULL || !api_dlp_name_known(a, n) ||
			    strlen(list) + strlen(n) + 2 > sizeof(list)) {
				bool shown = n && strlen(n) <= 64 &&
				             strspn(n, "abcdefghijklmnopqrstuvwxyz"
				                       "0123456789-_") == strlen(n);
				http_error(req, 422, "invalid_dlp",
				           "dlp entry %zu (%s) is no rule of [dlp] nor set of "
				           "[dlp_sets]",
				           i + 1, shown ? n : "?");
				json_decref(body);
				return;
			}
			if (list[0])
				strlcpy_(list + strlen(list), ",", sizeof(list) - strlen(list));
			strlcpy_(list + strlen(list), n, sizeof(list) - strlen(list));
		}
	} else {
		http_error(req, 422, "invalid_dlp",
		           "dlp is \"all\" or a list of rule and set names");
		json_decref(body);
		return;
	}
	if (strcmp(dlp_action, "reject") != 0 && strcmp(dlp_action, "quarantine") != 0 &&
	    strcmp(dlp_action, "require-tls") != 0) {
		http_error(req, 422, "invalid_action",
		           "dlp_action is reject, quarantine or require-tls");
		json_decref(body);
		return;
	}
	if (strcmp(spam_action, "tag") != 0 && strcmp(spam_action, "quarantine") != 0) {
		http_error(req, 422, "invalid_action", "spam_action is tag or quarantine");
		json_decref(body);
		return;
	}
	char da[16], sa[16];
	strlcpy_(da, dlp_action, sizeof(da));
	strlcpy_(sa, spam_action, sizeof(sa));
	json_decref(body);
	if (sources_set_scanning(a->deps.reg, s, list, da, sa, err, sizeof(err)) != 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	log_info("admin source scanning name=%s dlp=%s dlp_action=%s spam_action=%s", s->name,
	         s->dlp_rules[0] ? s->dlp_rules : "none", s->dlp_action, s->spam_action);
	http_json(req, 200, json_pack("{s:o}", "source", admin_source_json(s)));
}

/* PUT .../stream {default: STREAM | "transactional", on_suppressed: "drop" | "reject"} */
static void set_stream(struct api *a, struct evhttp_request *req, struct source *s)
{
	json_t *body = http_body_json(req);
	const char *stream = s->stream[0] ? s->stream : "transactional";
	const char *on = s->reject_suppressed ? "reject" : "drop";
	char st[STORE_STREAM_MAX + 1], err[256];
	json_error_t jerr;

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s?s, s?s}", "default", &stream,
	                   "on_suppressed", &on) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	bool transactional = strcmp(stream, "transactional") == 0;
	if (!transactional && !suppress_broadcast(a->deps.suppress, stream)) {
		http_error(req, 422, "unknown_stream",
		           "default is transactional or a stream declared in [streams]");
		json_decref(body);
		return;
	}
	if (strcmp(on, "drop") != 0 && strcmp(on, "reject") != 0) {
		http_error(req, 422, "invalid_action", "on_suppressed is drop or reject");
		json_decref(body);
		return;
	}
	bool reject = strcmp(on, "reject") == 0;
	strlcpy_(st, transactional ? "" : stream, sizeof(st));
	json_decref(body);
	if (sources_set_streams(a->deps.reg, s, st, reject, err, sizeof(err)) != 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	log_info("admin source stream name=%s default=%s on_suppressed=%s", s->name,
	         st[0] ? st : "transactional", reject ? "reject" : "drop");
	http_json(req, 200, json_pack("{s:o}", "source", admin_source_json(s)));
}

/* one limit from the body: absent keeps, null or 0 clears, else a count (or a size) */
static int limit_from(struct evhttp_request *req, json_t *body, const char *key, int64_t max,
                      int64_t *v)
{
	json_t *j = json_object_get(body, key);
	uint64_t u;

	if (j == NULL)
		return 0;
	if (json_is_null(j)) {
		*v = 0;
		return 0;
	}
	if (json_is_integer(j) && json_integer_value(j) >= 0 && json_integer_value(j) <= max) {
		*v = json_integer_value(j);
		return 0;
	}
	if (json_is_string(j) && strcmp(key, "max_size") == 0 &&
	    parse_size(json_string_value(j), &u) == 0 && u <= (uint64_t)max) {
		*v = (int64_t)u;
		return 0;
	}
	http_error(req, 422, "invalid_limit", "%s must be a whole number from 0 to %lld%s", key,
	           (long long)max, strcmp(key, "max_size") == 0 ? " (or a size such as 10M)" : "");
	return -1;
}

/* PUT .../limits {per_minute, per_hour, per_day, max_recipients, max_size, max_connections} */
static void set_limits(struct api *a, struct evhttp_request *req, struct source *s)
{
	static const char *keys[] = {"per_minute",     "per_hour", "per_day",
	                             "max_recipients", "max_size", "max_connections"};
	json_t *body = http_body_json(req);
	struct store_limits lim = s->limits;
	int64_t *slot[] = {&lim.per_minute, &lim.per_hour, &lim.per_day,
	                   &lim.max_rcpts,  &lim.max_size, &lim.max_conns};
	int64_t max[] = {100000000, 100000000, 1000000000, 100000, INT64_C(1) << 40, 100000};
	char err[256];
	const char *k;
	json_t *v;

	if (body == NULL)
		return;
	json_object_foreach(body, k, v)
	{
		bool known = false;
		for (size_t i = 0; i < 6; i++)
			known |= strcmp(k, keys[i]) == 0;
		if (!known) {
			http_error(req, 400, "bad_request",
			           "unknown limit %.40s (one of per_minute, "
			           "per_hour, per_day, max_recipients, max_size, max_connections)",
			           k);
			json_decref(body);
			return;
		}
	}
	for (size_t i = 0; i < 6; i++)
		if (limit_from(req, body, keys[i], max[i], slot[i]) < 0) {
			json_decref(body);
			return;
		}
	json_decref(body);
	if (sources_set_limits(a->deps.reg, s, &lim, err, sizeof(err)) != 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	log_info("admin source limits name=%s per_minute=%lld per_hour=%lld per_day=%lld "
	         "max_recipients=%lld max_size=%lld max_connections=%lld",
	         s->name, (long long)lim.per_minute, (long long)lim.per_hour,
	         (long long)lim.per_day, (long long)lim.max_rcpts, (long long)lim.max_size,
	         (long long)lim.max_conns);
	http_json(req, 200, json_pack("{s:o}", "source", admin_source_json(s)));
}

static void new_password(struct api *a, struct evhttp_request *req, struct source *s)
{
	if (s->auth != SOURCE_AUTH_PASSWORD) {
		http_error(req, 409, "wrong_auth",
		           "source %s authenticates by address, not password", s->name);
		return;
	}
	struct add_job *j = xcalloc(1, sizeof(*j));
	strlcpy_(j->name, s->name, sizeof(j->name));
	j->passwd_only = true;
	auth_generate_secret(j->secret);
	auth_hash_async(a->deps.auth, j->secret, hashed, api_pending_new(a, req, j));
}

/* POST {action, envelope, from, remove}: an identity rule (identity.h) */
static void identity_rule(struct api *a, struct evhttp_request *req, struct source *s)
{
	json_t *body = http_body_json(req);
	const char *action = "allow", *envelope, *from = "";
	int remove = 0;
	json_error_t jerr;
	char err[512];

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s?s, s:s, s?s, s?b}", "action", &action,
	                   "envelope", &envelope, "from", &from, "remove", &remove) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	bool deny = strcmp(action, "deny") == 0;
	if (!deny && strcmp(action, "allow") != 0) {
		http_error(req, 422, "invalid_action", "action must be allow or deny");
		json_decref(body);
		return;
	}
	int r = remove ? sources_remove_identity(a->deps.reg, s, deny, envelope, from, err,
	                                         sizeof(err))
	               : sources_add_identity(a->deps.reg, s, deny, envelope, from, err,
	                                      sizeof(err));
	json_decref(body);
	if (r == STORE_EXISTS) {
		http_error(req, 409, "exists", "%s", err);
		return;
	}
	if (r == STORE_NOTFOUND) {
		http_error(req, 404, "not_found", "%s", err);
		return;
	}
	if (r == SOURCES_INVALID) {
		http_error(req, 422, "invalid_identity", "%s", err);
		return;
	}
	if (r != 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	log_info("admin source %s name=%s action=%s", remove ? "unapprove" : "approve", s->name,
	         deny ? "deny" : "allow");
	http_json(req, remove ? 200 : 201, json_pack("{s:o}", "source", admin_source_json(s)));
}

static void remove_source(struct api *a, struct evhttp_request *req, struct source *s)
{
	char err[256], name[SOURCE_NAME_MAX + 1];

	strlcpy_(name, s->name, sizeof(name));
	auth_forget(a->deps.auth, s);
	if (sources_delete(a->deps.reg, s, err, sizeof(err)) != 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	log_info("admin source delete name=%s", name);
	http_json(req, 200, json_pack("{s:s}", "deleted", name));
}

void admin_sources(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (nseg == 0) {
		if (cmd == EVHTTP_REQ_GET)
			list(a, req);
		else if (cmd == EVHTTP_REQ_POST)
			add(a, req);
		else
			http_error(req, 405, "method_not_allowed", "use GET or POST");
		return;
	}
	struct source *s = source_name_valid(seg[0]) ? sources_find(a->deps.reg, seg[0]) : NULL;
	if (s == NULL || nseg > 4) {
		http_error(req, 404, "not_found", "no source named %.64s", seg[0]);
		return;
	}
	if (nseg == 1) {
		if (cmd == EVHTTP_REQ_GET)
			http_json(req, 200, json_pack("{s:o}", "source", admin_source_json(s)));
		else if (cmd == EVHTTP_REQ_DELETE)
			remove_source(a, req, s);
		else if (cmd == EVHTTP_REQ_PATCH)
			patch(a, req, s);
		else
			http_error(req, 405, "method_not_allowed", "use GET, PATCH or DELETE");
		return;
	}
	const char *verb = seg[1];
	if (strcmp(verb, "credentials") == 0) {
		admin_credentials(a, req, s, seg + 2, nseg - 2);
		return;
	}
	if (nseg > 2) {
		http_error(req, 404, "not_found", "no such resource");
		return;
	}
	if (strcmp(verb, "webhook") == 0)
		admin_webhook(a, req, s);
	else if (strcmp(verb, "networks") == 0 && cmd == EVHTTP_REQ_PUT)
		set_networks(a, req, s);
	else if (strcmp(verb, "limits") == 0 && cmd == EVHTTP_REQ_PUT)
		set_limits(a, req, s);
	else if (strcmp(verb, "scanning") == 0 && cmd == EVHTTP_REQ_PUT)
		set_scanning(a, req, s);
	else if (strcmp(verb, "stream") == 0 && cmd == EVHTTP_REQ_PUT)
		set_stream(a, req, s);
	else if (cmd != EVHTTP_REQ_POST)
		http_error(req, 405, "method_not_allowed", "use POST");
	else if (strcmp(verb, "suspend") == 0)
		set_suspended(a, req, s, true);
	else if (strcmp(verb, "resume") == 0)
		set_suspended(a, req, s, false);
	else if (strcmp(verb, "password") == 0)
		new_password(a, req, s);
	else if (strcmp(verb, "identities") == 0)
		identity_rule(a, req, s);
	else
		http_error(req, 404, "not_found", "no such action: %.32s", verb);
}
