/*
 * admin_creds.c - /admin/v1/sources/NAME/credentials: a source's SMTP
 * passwords and API keys.
 *
 *   GET    .../credentials                      list (never a secret)
 *   POST   .../credentials {name, kind: password|api_key, expires}
 *                                               a new one; the secret is in the reply, once
 *   POST   .../credentials/CRED/rotate {expires, grace}
 *                                               a new secret under the same name; with
 *                                               grace the old one keeps working that long,
 *                                               as CRED.old
 *   DELETE .../credentials/CRED                 revoke at once
 *
 * expires: a duration from now ("90d"), an ISO 8601 time ("2027-01-01T00:00:00Z"),
 * or null for never. Passwords are hashed with Argon2id on a worker; API keys
 * are 190 random bits kept as a BLAKE2b digest (auth.h). Secrets are never
 * logged and never shown again.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "auth.h"
#include "http.h"
#include "log.h"
#include "sources.h"
#include "strutil.h"
#include "xmalloc.h"

#define GRACE_MAX_MS (30ULL * 86400 * 1000)

/* a credential name: as a source name (letters, digits, '.', '-', '_') */
static bool cred_name_valid(const char *n)
{
	return strlen(n) <= CRED_NAME_MAX - 4 && source_name_valid(n);
}

/* "2027-01-01T00:00:00Z" to seconds; -1 if it is not that */
static int64_t parse_iso(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}

/* expires from the body into *at (0: never); -1 after replying 422 */
static int expires_from(struct evhttp_request *req, json_t *j, int64_t *at)
{
	int64_t now = (int64_t)time(NULL);
	uint64_t ms;

	*at = 0;
	if (j == NULL || json_is_null(j))
		return 0;
	if (json_is_string(j)) {
		const char *v = json_string_value(j);
		if (strcmp(v, "never") == 0)
			return 0;
		if (parse_duration_ms(v, &ms) == 0 && ms >= 1000 && ms <= 3650ULL * 86400 * 1000) {
			*at = now + (int64_t)(ms / 1000);
			return 0;
		}
		int64_t t = parse_iso(v);
		if (t > now) {
			*at = t;
			return 0;
		}
	}
	http_error(req, 422, "invalid_expires",
	           "expires must be a duration such as 90d, a future time such as "
	           "2027-01-01T00:00:00Z, or null");
	return -1;
}

struct cred_job {
	char source[SOURCE_NAME_MAX + 1];
	char name[CRED_NAME_MAX + 1];
	int64_t expires_at;
	uint64_t grace_ms; /* rotate: keep the old secret this long */
	bool rotate;
	char secret[API_KEY_LEN + 1]; /* a password (32 characters) or a whole API key */
};

static void job_free(struct cred_job *j)
{
	sodium_memzero(j->secret, sizeof(j->secret));
	free(j);
}

/*
 * keep_old - before a rotation: the old secret stays valid for the grace
 * period as NAME.old (replacing an earlier NAME.old). 0, or -1 with err.
 */
static int keep_old(struct api *a, struct source *s, const struct source_cred *c, uint64_t grace_ms,
                    char *err, size_t errlen)
{
	char old_name[CRED_NAME_MAX + 8], *hash = xstrdup(c->hash), key_id[CRED_KEY_ID_MAX + 1];
	int64_t until = (int64_t)time(NULL) + (int64_t)(grace_ms / 1000);
	enum cred_kind kind = c->kind;

	if (c->expires_at != 0 && c->expires_at < until)
		until = c->expires_at;
	snprintf(old_name, sizeof(old_name), "%s.old", c->name);
	strlcpy_(key_id, c->key_id, sizeof(key_id));
	struct source_cred *prev = source_find_cred(s, old_name);
	if (prev && prev->kind == kind)
		sources_revoke_cred(a->deps.reg, s, old_name, err, errlen);
	/* called after the new one went in (which took the old key id out of the index) */
	int r = sources_put_cred(a->deps.reg, s, kind, old_name, key_id, hash, until, err, errlen);
	free(hash);
	return r;
}

/* store the new credential (hash of its secret) and answer with the secret */
static void finish(struct api *a, struct evhttp_request *req, struct cred_job *j,
                   enum cred_kind kind, const char *key_id, const char *hash)
{
	char err[256];
	struct source *s = sources_find(a->deps.reg, j->source);
	struct source_cred *old = s ? source_find_cred(s, j->name) : NULL;
	struct source_cred saved;
	int r;

	if (s == NULL) {
		if (req)
			http_error(req, 404, "not_found", "no source named %s", j->source);
		return;
	}
	/* a rotation with grace: the old secret's hash, kept before it is replaced */
	memset(&saved, 0, sizeof(saved));
	if (j->rotate && j->grace_ms > 0 && old) {
		saved = *old;
		saved.hash = xstrdup(old->hash);
	}
	r = sources_put_cred(a->deps.reg, s, kind, j->name, key_id, hash, j->expires_at, err,
	                     sizeof(err));
	if (r == 0 && saved.hash)
		r = keep_old(a, s, &saved, j->grace_ms, err, sizeof(err));
	free(saved.hash);
	if (r == 0) {
		auth_forget(a->deps.auth, s);
		log_info("admin source credential %s source=%s name=%s kind=%s grace=%llus",
		         j->rotate ? "rotate" : "add", s->name, j->name,
		         kind == CRED_API_KEY ? "api_key" : "password",
		         (unsigned long long)(j->grace_ms / 1000));
	}
	if (req == NULL)
		return;
	if (r == STORE_EXISTS)
		http_error(req, 409, "exists", "%s", err);
	else if (r == SOURCES_INVALID)
		http_error(req, 422, "too_many_credentials", "%s", err);
	else if (r != 0)
		http_error(req, 503, "store_error", "%s", err);
	else
		http_json(req, j->rotate ? 200 : 201,
		          json_pack("{s:o, s:s}", "credential",
		                    admin_cred_json(source_find_cred(s, j->name)), "secret",
		                    j->secret));
}

static void pw_hashed(const char *hash, void *arg)
{
	struct api_pending *p = arg;
	struct cred_job *j = p->data;
	struct api *a = p->a;
	struct evhttp_request *req = api_pending_done(p);

	if (a == NULL) {
		job_free(j);
		return;
	}
	if (hash == NULL) {
		if (req)
			http_error(req, 503, "unavailable", "could not hash the password");
	} else {
		/* a client gone meanwhile never saw the secret: the change would strand it */
		if (req)
			finish(a, req, j, CRED_PASSWORD, "", hash);
	}
	job_free(j);
}

static void issue(struct api *a, struct evhttp_request *req, struct cred_job *j,
                  enum cred_kind kind)
{
	if (kind == CRED_PASSWORD) {
		char pw[33];
		auth_generate_secret(pw);
		strlcpy_(j->secret, pw, sizeof(j->secret));
		sodium_memzero(pw, sizeof(pw));
		auth_hash_async(a->deps.auth, j->secret, pw_hashed, api_pending_new(a, req, j));
		return;
	}
	char key_id[API_KEY_ID_LEN + 1], hash[API_KEY_HASH];
	auth_new_api_key(j->secret, key_id, hash);
	finish(a, req, j, CRED_API_KEY, key_id, hash);
	job_free(j);
}

static void list(struct evhttp_request *req, struct source *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < s->ncreds; i++)
		json_array_append_new(arr, admin_cred_json(&s->creds[i]));
	http_json(req, 200, json_pack("{s:s, s:o}", "source", s->name, "credentials", arr));
}

static void add(struct api *a, struct evhttp_request *req, struct source *s)
{
	json_t *body = http_body_json(req), *expires = NULL;
	const char *name, *kind = "password";
	json_error_t jerr;

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s:s, s?s, s?o}", "name", &name, "kind",
	                   &kind, "expires", &expires) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	struct cred_job *j = xcalloc(1, sizeof(*j));
	enum cred_kind k = strcmp(kind, "api_key") == 0 ? CRED_API_KEY : CRED_PASSWORD;
	if (!cred_name_valid(name)) {
		http_error(req, 422, "invalid_name",
		           "a credential name is 1-%d letters, digits, '.', '-' or '_'",
		           CRED_NAME_MAX - 4);
	} else if (k == CRED_PASSWORD && strcmp(kind, "password") != 0) {
		http_error(req, 422, "invalid_kind", "kind must be password or api_key");
	} else if (k == CRED_PASSWORD && s->auth != SOURCE_AUTH_PASSWORD) {
		http_error(
		        req, 409, "wrong_auth",
		        "source %s authenticates by address; it can have API keys, not passwords",
		        s->name);
	} else if (source_find_cred(s, name)) {
		http_error(req, 409, "exists",
		           "source %s has a credential called %s (rotate or revoke it)", s->name,
		           name);
	} else if (s->ncreds >= SOURCE_MAX_CREDS) {
		http_error(req, 422, "too_many_credentials",
		           "source %s has %d credentials, the most it may have", s->name,
		           SOURCE_MAX_CREDS);
	} else if (expires_from(req, expires, &j->expires_at) == 0) {
		strlcpy_(j->source, s->name, sizeof(j->source));
		strlcpy_(j->name, name, sizeof(j->name));
		json_decref(body);
		issue(a, req, j, k);
		return;
	}
	json_decref(body);
	job_free(j);
}

/* can the old secret be kept as NAME.old? false after replying 409 or 422 */
static bool grace_fits(struct evhttp_request *req, struct source *s, const struct source_cred *c)
{
	char old_name[CRED_NAME_MAX + 8];

	snprintf(old_name, sizeof(old_name), "%s.old", c->name);
	struct source_cred *prev = source_find_cred(s, old_name);
	if (prev && prev->kind != c->kind) {
		http_error(req, 409, "exists",
		           "source %s has a credential called %s of another kind: revoke it first",
		           s->name, old_name);
		return false;
	}
	if (prev == NULL && s->ncreds >= SOURCE_MAX_CREDS) {
		http_error(req, 422, "too_many_credentials",
		           "source %s has %d credentials, the most it may have: keeping the old "
		           "secret needs one more (revoke one, or rotate without grace)",
		           s->name, SOURCE_MAX_CREDS);
		return false;
	}
	return true;
}

static void rotate(struct api *a, struct evhttp_request *req, struct source *s,
                   struct source_cred *c)
{
	json_t *body = http_body_json_opt(req), *expires = NULL;
	const char *grace = NULL;
	json_error_t jerr;

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s?o, s?s}", "expires", &expires, "grace",
	                   &grace) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	struct cred_job *j = xcalloc(1, sizeof(*j));
	strlcpy_(j->source, s->name, sizeof(j->source));
	strlcpy_(j->name, c->name, sizeof(j->name));
	j->rotate = true;
	if (grace && (parse_duration_ms(grace, &j->grace_ms) < 0 || j->grace_ms > GRACE_MAX_MS)) {
		http_error(req, 422, "invalid_grace",
		           "grace must be a duration up to 30d, such as 1h");
	} else if (strlen(c->name) > CRED_NAME_MAX - 4) {
		http_error(req, 422, "invalid_name", "credential %s cannot be rotated", c->name);
	} else if (j->grace_ms > 0 && !grace_fits(req, s, c)) {
		/* said before anything changes: a rotation half done would strand its client */
	} else if (expires_from(req, expires, &j->expires_at) == 0) {
		json_decref(body);
		issue(a, req, j, c->kind);
		return;
	}
	json_decref(body);
	job_free(j);
}

static void revoke(struct api *a, struct evhttp_request *req, struct source *s,
                   struct source_cred *c)
{
	char err[256], name[CRED_NAME_MAX + 1];

	strlcpy_(name, c->name, sizeof(name));
	int r = sources_revoke_cred(a->deps.reg, s, name, err, sizeof(err));
	if (r != 0) {
		http_error(req, r == STORE_NOTFOUND ? 404 : 503,
		           r == STORE_NOTFOUND ? "not_found" : "store_error", "%s", err);
		return;
	}
	auth_forget(a->deps.auth, s);
	log_info("admin source credential revoke source=%s name=%s", s->name, name);
	http_json(req, 200, json_pack("{s:s, s:s}", "source", s->name, "revoked", name));
}

void admin_credentials(struct api *a, struct evhttp_request *req, struct source *s, char **seg,
                       size_t nseg)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (nseg == 0) {
		if (cmd == EVHTTP_REQ_GET)
			list(req, s);
		else if (cmd == EVHTTP_REQ_POST)
			add(a, req, s);
		else
			http_error(req, 405, "method_not_allowed", "use GET or POST");
		return;
	}
	struct source_cred *c = source_find_cred(s, seg[0]);
	if (c == NULL || nseg > 2) {
		http_error(req, 404, "not_found", "source %s has no credential called %.64s",
		           s->name, seg[0]);
		return;
	}
	if (nseg == 1 && cmd == EVHTTP_REQ_DELETE)
		revoke(a, req, s, c);
	else if (nseg == 1 && cmd == EVHTTP_REQ_GET)
		http_json(req, 200, json_pack("{s:o}", "credential", admin_cred_json(c)));
	else if (nseg == 2 && strcmp(seg[1], "rotate") == 0 && cmd == EVHTTP_REQ_POST)
		rotate(a, req, s, c);
	else
		http_error(req, 405, "method_not_allowed",
		           "use GET or DELETE on a credential, POST on its rotate");
}
