/*
 * console.c - the web console's server side.
 *
 * SECURITY: served on the admin TCP listener only (never on the send doors
 * or the control socket), to browsers. The pages are static files built into
 * the binary; they talk only to the admin API, with the session this file
 * gives: a 256-bit random id in a cookie (HttpOnly, Secure, SameSite=Strict,
 * Path=/), kept here only as its BLAKE2b digest, ending after 30 minutes idle
 * or 12 hours in all, on logout, or when the administrator is removed or
 * gets a new password. Every request that changes something must carry the
 * session's CSRF token in X-CSRF-Token (compared in constant time), besides
 * the cookie a cross-site page cannot send. A login takes a name and an
 * Argon2id-hashed password (or the admin token) as JSON only (a form cannot
 * post JSON), verified on a worker thread; an unknown name costs the same
 * verification as a wrong password. Failures are throttled per client address
 * and per name (5 and 10 in 15 minutes, then 429). Every answer carries a
 * strict Content-Security-Policy, frame-ancestors 'none', nosniff and
 * no-referrer. Passwords and session ids are never logged.
 */
#include "console.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_internal.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "strutil.h"
#include "workq.h"
#include "xmalloc.h"

#define COOKIE          "__Host-postern_console" /* Secure, Path=/, no Domain: this host only */
#define SESSION_IDLE_MS (30 * 60 * 1000ULL)
#define SESSION_MAX_MS  (12 * 3600 * 1000ULL)
#define MAX_SESSIONS    256
#define FAIL_WINDOW_MS  (15 * 60 * 1000ULL)
#define FAIL_MAX_IP     5
#define FAIL_MAX_NAME   10
#define MAX_FAILS       1024
#define ID_BYTES        32
#define MAX_VERIFYING   16 /* logins being verified at once; then 503 */
#define TOKEN_CHARS     44 /* base64url of 32 octets, no padding: 43, and NUL */

/* the cost of a real verification, for names that do not exist */
static const char dummy_hash[] = "$argon2id$v=19$m=65536,t=2,p=1$JUwViutVYtxhGryPZXuwXA$"
                                 "II+r03tBieaYFYx1kLh/aFfMZj4Uk1fqmorUAUDRuHk";

static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                          "frame-ancestors 'none'; base-uri 'none'";

struct csession {
	struct csession *next;
	unsigned char idh[32]; /* BLAKE2b of the cookie's id */
	char user[STORE_ADMIN_NAME_MAX + 1];
	char csrf[TOKEN_CHARS];
	uint64_t created_ms, last_ms;
};

/* failures of one client address or one name in the current window */
struct cfail {
	char key[80]; /* "ip:ADDRESS" or "name:NAME" */
	unsigned n;
	uint64_t first_ms;
};

struct console {
	struct csession *sessions;
	size_t nsessions;
	struct cfail fails[MAX_FAILS];
};

/* session_drop - unlink the session *pp points at, wipe and free it */
static void session_drop(struct console *c, struct csession **pp)
{
	struct csession *s = *pp;

	*pp = s->next;
	sodium_memzero(s, sizeof(*s));
	free(s);
	c->nsessions--;
}

struct console *console_new(void)
{
	return xcalloc(1, sizeof(struct console));
}

void console_free(struct console *c)
{
	if (c == NULL)
		return;
	while (c->sessions)
		session_drop(c, &c->sessions);
	free(c);
}

void console_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Security-Policy", csp);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
}

static void random_token(char out[TOKEN_CHARS], unsigned char raw[ID_BYTES])
{
	unsigned char local[ID_BYTES];
	unsigned char *r = raw ? raw : local;

	randombytes_buf(r, ID_BYTES);
	sodium_bin2base64(out, TOKEN_CHARS, r, ID_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(local, sizeof(local));
}

static void expire(struct console *c, uint64_t now)
{
	for (struct csession **pp = &c->sessions; *pp;) {
		struct csession *s = *pp;
		if (now - s->last_ms > SESSION_IDLE_MS || now - s->created_ms > SESSION_MAX_MS)
			session_drop(c, pp);
		else
			pp = &s->next;
	}
}

/* the session named by one of req's cookies called COOKIE (a sibling host may
 * plant another: each well-formed one is tried), or NULL */
static struct csession *session_of(struct api *a, struct evhttp_request *req)
{
	struct console *c = a->console;
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
	size_t klen = strlen(COOKIE);
	struct csession *found = NULL;

	if (c == NULL || h == NULL)
		return NULL;
	expire(c, mono_ms());
	for (const char *p = h; *p && found == NULL;) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == klen + 1 + TOKEN_CHARS - 1 && strncmp(p, COOKIE, klen) == 0 &&
		    p[klen] == '=') {
			unsigned char d[32];
			crypto_generichash(d, sizeof(d), (const unsigned char *)p + klen + 1,
			                   TOKEN_CHARS - 1, NULL, 0);
			for (struct csession *s = c->sessions; s; s = s->next)
				if (sodium_memcmp(s->idh, d, sizeof(d)) == 0)
					found = s;
			sodium_memzero(d, sizeof(d));
		}
		p += len;
	}
	return found;
}

/* a browser's request from another origin (Origin names another host than
 * Host): refused for logins and changes, whatever it carries (DNS rebinding,
 * login CSRF). A request without Origin is not a cross-origin browser one. */
static bool origin_ok(struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *origin = evhttp_find_header(in, "Origin");
	const char *host = evhttp_find_header(in, "Host");
	const char *rest;

	if (origin == NULL)
		return true;
	if (host == NULL)
		return false;
	if (strncmp(origin, "https://", 8) == 0)
		rest = origin + 8;
	else if (strncmp(origin, "http://", 7) == 0)
		rest = origin + 7;
	else
		return false;
	return strcasecmp(rest, host) == 0;
}

const char *console_user(struct api *a, struct evhttp_request *req, bool *csrf_ok)
{
	struct csession *s = session_of(a, req);
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *t = evhttp_find_header(in, "X-CSRF-Token");

	*csrf_ok = false;
	if (s == NULL)
		return NULL;
	/* the page's own timed refreshes do not keep an unattended session alive */
	if (evhttp_find_header(in, "X-Console-Poll") == NULL)
		s->last_ms = mono_ms();
	*csrf_ok = t && strlen(t) == strlen(s->csrf) && sodium_memcmp(t, s->csrf, strlen(t)) == 0 &&
	           origin_ok(req);
	return s->user;
}

void console_end_sessions(struct api *a, const char *name)
{
	struct console *c = a->console;

	if (c == NULL)
		return;
	for (struct csession **pp = &c->sessions; *pp;) {
		if (strcmp((*pp)->user, name) == 0)
			session_drop(c, pp);
		else
			pp = &(*pp)->next;
	}
}

/* -- throttling ------------------------------------------------------------ */

static unsigned fail_limit(const struct cfail *f)
{
	return strncmp(f->key, "ip:", 3) == 0 ? FAIL_MAX_IP : FAIL_MAX_NAME;
}

/* the slot of key; with create, a new one (an expired or free slot, else the
 * oldest that is not blocking anyone: filling the table cannot lift a block) */
static struct cfail *fail_slot(struct console *c, const char *key, bool create, uint64_t now)
{
	struct cfail *free_slot = NULL, *oldest = NULL;

	for (size_t i = 0; i < MAX_FAILS; i++) {
		struct cfail *f = &c->fails[i];
		if (f->key[0] && now - f->first_ms > FAIL_WINDOW_MS)
			f->key[0] = '\0';
		if (f->key[0] == '\0') {
			free_slot = free_slot ? free_slot : f;
			continue;
		}
		if (strcmp(f->key, key) == 0)
			return f;
		if (f->n < fail_limit(f) && (oldest == NULL || f->first_ms < oldest->first_ms))
			oldest = f;
	}
	if (!create)
		return NULL;
	struct cfail *f = free_slot ? free_slot : oldest;
	if (f == NULL)
		return NULL; /* every slot blocks someone: this failure goes uncounted */
	strlcpy_(f->key, key, sizeof(f->key));
	f->n = 0;
	f->first_ms = now;
	return f;
}

/* seconds until a login from ip as name may be tried again; 0: now */
static unsigned throttled(struct console *c, const char *ip, const char *name)
{
	char k[80];
	uint64_t now = mono_ms(), wait = 0;

	snprintf(k, sizeof(k), "ip:%s", ip);
	struct cfail *f = fail_slot(c, k, false, now);
	if (f && f->n >= FAIL_MAX_IP)
		wait = f->first_ms + FAIL_WINDOW_MS - now;
	snprintf(k, sizeof(k), "name:%.64s", name);
	f = fail_slot(c, k, false, now);
	if (f && f->n >= FAIL_MAX_NAME && f->first_ms + FAIL_WINDOW_MS - now > wait)
		wait = f->first_ms + FAIL_WINDOW_MS - now;
	return wait ? (unsigned)(wait / 1000 + 1) : 0;
}

/* count one failure of ip and name (delta 1), or take one back (-1: an
 * attempt counted when it began turned out right) */
static void count_failure(struct console *c, const char *ip, const char *name, int delta)
{
	char k[80];
	uint64_t now = mono_ms();
	struct cfail *f;

	snprintf(k, sizeof(k), "ip:%s", ip);
	if ((f = fail_slot(c, k, delta > 0, now)) && (delta > 0 || f->n > 0))
		f->n += (unsigned)delta;
	snprintf(k, sizeof(k), "name:%.64s", name);
	if ((f = fail_slot(c, k, delta > 0, now)) && (delta > 0 || f->n > 0))
		f->n += (unsigned)delta;
}

static void failed(struct console *c, const char *ip, const char *name)
{
	count_failure(c, ip, name, 1);
}

/* -- login ----------------------------------------------------------------- */

struct login {
	struct api_pending *p;
	char user[STORE_ADMIN_NAME_MAX + 1];
	char ip[64];
	char hash[128];
	char password[257];
	bool ok;
};

static void peer_ip(struct evhttp_request *req, char *out, size_t n)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	char *host = NULL;
	ev_uint16_t port = 0;

	if (conn)
		evhttp_connection_get_peer(conn, &host, &port);
	strlcpy_(out, host ? host : "?", n);
}

/* a new session for user: the cookie set on req, the CSRF token in the answer */
static void open_session(struct api *a, struct evhttp_request *req, const char *user)
{
	struct console *c = a->console;
	struct csession *s = xcalloc(1, sizeof(*s));
	char id[TOKEN_CHARS], cookie[256];

	expire(c, mono_ms());
	while (c->nsessions >= MAX_SESSIONS) { /* the least recently used goes */
		struct csession **oldest = &c->sessions;
		for (struct csession **pp = &c->sessions; *pp; pp = &(*pp)->next)
			if ((*pp)->last_ms < (*oldest)->last_ms)
				oldest = pp;
		session_drop(c, oldest);
	}
	random_token(id, NULL);
	crypto_generichash(s->idh, sizeof(s->idh), (const unsigned char *)id, strlen(id), NULL, 0);
	random_token(s->csrf, NULL);
	strlcpy_(s->user, user, sizeof(s->user));
	s->created_ms = s->last_ms = mono_ms();
	s->next = c->sessions;
	c->sessions = s;
	c->nsessions++;
	snprintf(cookie, sizeof(cookie),
	         COOKIE "=%s; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=%llu", id,
	         (unsigned long long)(SESSION_MAX_MS / 1000));
	sodium_memzero(id, sizeof(id));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
	sodium_memzero(cookie, sizeof(cookie));
	http_json(req, 200, json_pack("{s:s, s:s}", "user", s->user, "csrf", s->csrf));
}

static void verify_work(void *arg)
{
	struct login *l = arg;

	l->ok = crypto_pwhash_str_verify(l->hash[0] ? l->hash : dummy_hash, l->password,
	                                 strlen(l->password)) == 0 &&
	        l->hash[0] != '\0';
	sodium_memzero(l->password, sizeof(l->password));
}

static void verify_done(void *arg)
{
	struct login *l = arg;
	struct api *a = l->p->a;
	struct evhttp_request *req = api_pending_done(l->p);
	char err[256];

	if (a && a->console) {
		/* counted as a failure when it began, so that parallel guesses are
		 * throttled: take that back, then count what it was */
		count_failure(a->console, l->ip, l->user, -1);
		/* removed, or given a new password, while this was being checked */
		struct store_admin now;
		memset(&now, 0, sizeof(now));
		if (l->ok &&
		    (store_admin_get(a->deps.store, l->user, &now, err, sizeof(err)) != 0 ||
		     strcmp(now.secret_hash, l->hash) != 0))
			l->ok = false;
		sodium_memzero(&now, sizeof(now));
		if (l->ok) {
			log_info("console login user=%s client=%s result=ok", l->user, l->ip);
			if (store_admin_touch(a->deps.store, l->user, (int64_t)now_ms(), err,
			                      sizeof(err)) < 0)
				log_warn("console login not recorded user=%s error=\"%s\"", l->user,
				         err);
			if (req)
				open_session(a, req, l->user);
		} else {
			char esc[200];
			failed(a->console, l->ip, l->user);
			log_info("console login user=%s client=%s result=failed",
			         log_esc(esc, sizeof(esc), l->user, strlen(l->user)), l->ip);
			if (req)
				http_error(req, 401, "bad_credentials", "wrong name or password");
		}
	}
	sodium_memzero(l, sizeof(*l));
	free(l);
}

static void login(struct api *a, struct evhttp_request *req)
{
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	const char *user = NULL, *pw = NULL, *token = NULL;
	char ip[64];
	json_error_t jerr;

	if (ct == NULL || !ascii_iprefix(ct, "application/json")) {
		http_error(req, 415, "unsupported_media_type", "send JSON");
		return;
	}
	json_t *body = http_body_json(req);
	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s?s, s?s, s?s}", "user", &user, "password",
	                   &pw, "token", &token) < 0 ||
	    (token == NULL && (user == NULL || pw == NULL))) {
		http_error(req, 400, "bad_request", "give user and password, or token");
		json_decref(body);
		return;
	}
	if (!origin_ok(req)) {
		http_error(req, 403, "bad_origin", "log in from the console's own page");
		json_decref(body);
		return;
	}
	if (workq_pending(a->reader) >= MAX_VERIFYING) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
		http_error(req, 503, "busy", "too many logins at once; try again");
		json_decref(body);
		return;
	}
	peer_ip(req, ip, sizeof(ip));
	const char *name = token ? "token" : user;
	unsigned wait = throttled(a->console, ip, name);
	if (wait) {
		char s[16];
		snprintf(s, sizeof(s), "%u", wait);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", s);
		http_error(req, 429, "throttled", "too many failed logins; try again in %u s",
		           wait);
		json_decref(body);
		return;
	}
	if (token) {
		if (api_token_matches(a, token)) {
			log_info("console login user=token client=%s result=ok", ip);
			open_session(a, req, "token");
		} else {
			failed(a->console, ip, "token");
			log_info("console login user=token client=%s result=failed", ip);
			http_error(req, 401, "bad_credentials", "wrong token");
		}
		json_decref(body);
		return;
	}
	if (!admin_name_valid(user) || strlen(pw) > 256) {
		failed(a->console, ip, user);
		http_error(req, 401, "bad_credentials", "wrong name or password");
		json_decref(body);
		return;
	}
	struct login *l = xcalloc(1, sizeof(*l));
	struct store_admin rec;
	char err[256];
	strlcpy_(l->user, user, sizeof(l->user));
	strlcpy_(l->ip, ip, sizeof(l->ip));
	strlcpy_(l->password, pw, sizeof(l->password));
	int rc = store_admin_get(a->deps.store, user, &rec, err, sizeof(err));
	if (rc < 0) {
		log_err("console login failed error=\"%s\"", err);
		http_error(req, 503, "unavailable", "try again later");
		sodium_memzero(l, sizeof(*l));
		free(l);
		json_decref(body);
		return;
	}
	if (rc == 0)
		strlcpy_(l->hash, rec.secret_hash, sizeof(l->hash));
	sodium_memzero(&rec, sizeof(rec));
	json_decref(body);
	failed(a->console, ip, l->user); /* until it proves right (verify_done) */
	l->p = api_pending_new(a, req, l);
	workq_submit(a->reader, verify_work, verify_done, l);
}

/* -- the pages --------------------------------------------------------------- */

static void serve_file(struct evhttp_request *req, const char *name)
{
	for (size_t i = 0; i < console_nfiles; i++) {
		if (strcmp(console_files[i].name, name) != 0)
			continue;
		struct evbuffer *out = evbuffer_new();
		evbuffer_add(out, console_files[i].data, console_files[i].len);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
		                  console_files[i].type);
		evhttp_send_reply(req, 200, "OK", out);
		evbuffer_free(out);
		return;
	}
	http_error(req, 404, "not_found", "no such page");
}

void console_route(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

	if (nseg == 1 && cmd == EVHTTP_REQ_GET) {
		if (path[strlen(path) - 1] == '/') {
			serve_file(req, "index.html");
		} else {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Location",
			                  "/console/");
			evhttp_send_reply(req, 301, "Moved Permanently", NULL);
		}
		return;
	}
	if (nseg == 2 && cmd == EVHTTP_REQ_GET) {
		serve_file(req, seg[1]);
		return;
	}
	if (nseg != 3 || strcmp(seg[1], "api") != 0) {
		http_error(req, 404, "not_found", "no such page");
		return;
	}
	if (strcmp(seg[2], "login") == 0 && cmd == EVHTTP_REQ_POST) {
		login(a, req);
	} else if (strcmp(seg[2], "session") == 0 && cmd == EVHTTP_REQ_GET) {
		struct csession *s = session_of(a, req);
		if (s == NULL) { /* a question, not a refusal: the page then shows the login */
			http_json(req, 200, json_pack("{s:n}", "user"));
			return;
		}
		s->last_ms = mono_ms();
		http_json(req, 200, json_pack("{s:s, s:s}", "user", s->user, "csrf", s->csrf));
	} else if (strcmp(seg[2], "logout") == 0 && cmd == EVHTTP_REQ_POST) {
		bool csrf_ok;
		const char *user = console_user(a, req, &csrf_ok);
		if (user == NULL || !csrf_ok) {
			http_error(req, user ? 403 : 401, user ? "csrf" : "no_session",
			           user ? "a valid X-CSRF-Token is required" : "log in");
			return;
		}
		struct csession *s = session_of(a, req);
		for (struct csession **pp = &a->console->sessions; *pp; pp = &(*pp)->next) {
			if (*pp == s) {
				session_drop(a->console, pp);
				break;
			}
		}
		evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie",
		                  COOKIE "=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
		http_json(req, 200, json_pack("{s:b}", "logged_out", 1));
	} else {
		http_error(req, 404, "not_found", "no such resource");
	}
}
