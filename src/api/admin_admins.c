/*
 * admin_admins.c - /admin/v1/admins: the console's administrators.
 *
 *   GET    /admins                  names, created, last login (never a hash)
 *   POST   /admins {name, password?}        201 {name, password}: the password
 *                                            given, or one made here and shown once
 *   PUT    /admins/NAME/password {password?} the same, for an existing one
 *   DELETE /admins/NAME                      and its console sessions end
 *
 * Passwords are hashed with Argon2id on the verifier's threads; a password of
 * the caller's is at least 12 characters. Nothing here logs a secret.
 */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "api_internal.h"
#include "auth.h"
#include "console.h"
#include "http.h"
#include "store.h"
#include "strutil.h"
#include "xmalloc.h"

#define MIN_PASSWORD 12
#define MAX_PASSWORD 256

struct admin_job {
	struct store_admin rec;
	bool create;
	bool generated;
	char password[MAX_PASSWORD + 1];
};

static void job_free(struct admin_job *j)
{
	sodium_memzero(j, sizeof(*j));
	free(j);
}

bool admin_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > STORE_ADMIN_NAME_MAX || strcmp(s, "token") == 0)
		return false; /* "token" is who logs in with the admin token */
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._-@", *p)))
			return false;
	return true;
}

static void hashed(const char *hash, void *arg)
{
	struct api_pending *p = arg;
	struct admin_job *j = p->data;
	struct api *a = p->a;
	struct evhttp_request *req = api_pending_done(p);
	char err[256];

	if (a == NULL || req == NULL) {
		job_free(j);
		return;
	}
	if (hash == NULL) {
		http_error(req, 503, "unavailable", "could not hash the password");
		job_free(j);
		return;
	}
	strlcpy_(j->rec.secret_hash, hash, sizeof(j->rec.secret_hash));
	j->rec.updated_ms = (int64_t)now_ms();
	if (j->create)
		j->rec.created_ms = j->rec.updated_ms;
	int rc = store_admin_put(a->deps.store, &j->rec, j->create, err, sizeof(err));
	if (rc == STORE_EXISTS) {
		http_error(req, 409, "exists", "administrator %s exists", j->rec.name);
	} else if (rc == STORE_NOTFOUND) {
		http_error(req, 404, "not_found", "no administrator %s", j->rec.name);
	} else if (rc < 0) {
		http_error(req, 503, "store_error", "%s", err);
	} else {
		if (!j->create)
			console_end_sessions(a, j->rec.name); /* a new password logs everyone out */
		json_t *out = json_pack("{s:s}", "name", j->rec.name);
		if (j->generated)
			json_object_set_new(out, "password", json_string(j->password));
		http_json(req, j->create ? 201 : 200, out);
	}
	job_free(j);
}

/* POST /admins and PUT /admins/NAME/password */
static void set_password(struct api *a, struct evhttp_request *req, const char *name, bool create)
{
	json_t *body = http_body_json_opt(req);
	const char *bname = NULL, *pw = NULL;
	json_error_t jerr;

	if (body == NULL)
		return; /* not JSON: answered */
	int bad = create ? json_unpack_ex(body, &jerr, JSON_STRICT, "{s?s, s?s}", "name", &bname,
	                                  "password", &pw)
	                 : json_unpack_ex(body, &jerr, JSON_STRICT, "{s?s}", "password", &pw);
	if (bad < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	if (create)
		name = bname;
	if (name == NULL) {
		http_error(req, 422, "missing_name", "name is required");
	} else if (!admin_name_valid(name)) {
		http_error(req, 422, "invalid_name",
		           "an administrator name is 1-%d letters, digits, '.', '-', '_' or '@' "
		           "(and not \"token\")",
		           STORE_ADMIN_NAME_MAX);
	} else if (pw && (strlen(pw) < MIN_PASSWORD || strlen(pw) > MAX_PASSWORD)) {
		http_error(req, 422, "weak_password", "a password is %d to %d characters",
		           MIN_PASSWORD, MAX_PASSWORD);
	} else {
		struct admin_job *j = xcalloc(1, sizeof(*j));
		strlcpy_(j->rec.name, name, sizeof(j->rec.name));
		j->create = create;
		if (pw) {
			strlcpy_(j->password, pw, sizeof(j->password));
		} else {
			auth_generate_secret(j->password);
			j->generated = true;
		}
		auth_hash_async(a->deps.auth, j->password, hashed, api_pending_new(a, req, j));
	}
	json_decref(body);
}

static void list_one(const struct store_admin *r, void *arg)
{
	json_array_append_new(
	        arg, json_pack("{s:s, s:o, s:o, s:o}", "name", r->name, "created",
	                       http_time_ms(r->created_ms), "updated", http_time_ms(r->updated_ms),
	                       "last_login",
	                       r->last_login_ms ? http_time_ms(r->last_login_ms) : json_null()));
}

void admin_admins(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char err[256];

	if (nseg == 0 && cmd == EVHTTP_REQ_GET) {
		json_t *arr = json_array();
		if (store_admins_each(a->deps.store, list_one, arr, err, sizeof(err)) < 0) {
			json_decref(arr);
			http_error(req, 503, "store_error", "%s", err);
			return;
		}
		http_json(req, 200, json_pack("{s:o}", "admins", arr));
	} else if (nseg == 0 && cmd == EVHTTP_REQ_POST) {
		set_password(a, req, NULL, true);
	} else if (nseg == 2 && strcmp(seg[1], "password") == 0 && cmd == EVHTTP_REQ_PUT) {
		set_password(a, req, seg[0], false);
	} else if (nseg == 1 && cmd == EVHTTP_REQ_DELETE) {
		int rc = store_admin_delete(a->deps.store, seg[0], err, sizeof(err));
		if (rc == STORE_NOTFOUND) {
			http_error(req, 404, "not_found", "no administrator %s", seg[0]);
		} else if (rc < 0) {
			http_error(req, 503, "store_error", "%s", err);
		} else {
			console_end_sessions(a, seg[0]);
			http_json(req, 200, json_pack("{s:s}", "removed", seg[0]));
		}
	} else {
		http_error(req, 404, "not_found", "no such resource");
	}
}
