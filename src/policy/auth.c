/*
 * auth.c - credential verification, caching and throttling.
 *
 * Flow: throttled? -> AUTH_THROTTLED. Cached digest matches? -> AUTH_OK.
 * The same user and password already being verified? -> wait for that
 * answer (an application opening a pool of sessions at once costs one
 * Argon2id run and one provisional failure, not one each, which would throttle
 * its own correct password). Otherwise copy the candidate hashes (or the
 * dummy) into the request and verify them all on a worker; the loop then
 * re-checks, for each request, that the source still exists, is active and
 * allows the client address.
 */
#include "auth.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cidr.h"
#include "htab.h"
#include "log.h"
#include "sources.h"
#include "strutil.h"
#include "workq.h"
#include "xmalloc.h"

#define THROTTLE_MAX_ENTRIES 100000
#define CACHE_SLOTS          4

struct throttle {
	unsigned failures;
	uint64_t window_start;
};

struct cache_entry {
	char name[SOURCE_NAME_MAX + 1];
	unsigned char digest[crypto_generichash_BYTES];
	uint64_t generation;
	uint64_t until_ms;
	int64_t cred_id; /* the credential it verified against (its expiry still applies) */
};

struct auth {
	struct event_base *base;
	struct sources *reg;
	struct workq *wq;
	struct auth_limits lim;
	struct htab *by_ip, *by_name;
	struct htab *cache;    /* source name -> struct cache_entry[CACHE_SLOTS] */
	struct htab *inflight; /* hex digest(user, password) -> struct auth_req being verified */
	unsigned char cache_key[crypto_generichash_KEYBYTES];
	char dummy_hash[crypto_pwhash_STRBYTES];
};

struct auth_req {
	struct auth *a;
	char user[SOURCE_NAME_MAX + 1];
	char userkey[SOURCE_NAME_MAX + 1]; /* lower-cased, for throttling */
	char pass[256];
	struct sockaddr_storage client;
	char ipkey[64];
	char *hashes[SOURCE_MAX_CREDS];
	int64_t cred_ids[SOURCE_MAX_CREDS];
	size_t nhashes;
	int64_t matched_cred; /* the credential that verified, 0 if none (or a cached answer) */
	bool known;
	uint64_t generation;
	bool matched;
	bool counted; /* a failure was charged when verification started */
	bool cancelled;
	char flight[2 * crypto_generichash_BYTES + 1]; /* key in inflight, "" if none */
	struct auth_req *waiting;                      /* requests for the same answer */
	struct auth_req *next_waiting;
	enum auth_result result;
	auth_done_fn done;
	void *arg;
};

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void auth_generate_secret(char out[33])
{
	unsigned char raw[24];

	/* a secret that starts with '-' is read as an option by command-line tools */
	do {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(out, 33, raw, sizeof(raw),
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	} while (!alnum(out[0]) || !alnum(out[31]));
	sodium_memzero(raw, sizeof(raw));
}

int auth_hash_password(const char *pass, char out[crypto_pwhash_STRBYTES])
{
	return crypto_pwhash_str(out, pass, strlen(pass), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                         crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

struct auth *auth_new(struct event_base *base, struct sources *reg, int threads)
{
	struct auth *a = xcalloc(1, sizeof(*a));
	char secret[33];

	a->base = base;
	a->reg = reg;
	a->wq = workq_new(base, threads, "auth");
	a->by_ip = htab_new();
	a->by_name = htab_new();
	a->cache = htab_new();
	a->inflight = htab_new();
	randombytes_buf(a->cache_key, sizeof(a->cache_key));
	auth_generate_secret(secret);
	if (auth_hash_password(secret, a->dummy_hash) != 0)
		fatal("auth: cannot compute the dummy Argon2id hash (out of memory?)");
	sodium_memzero(secret, sizeof(secret));
	a->lim = (struct auth_limits){20, 10, 15 * 60 * 1000, 5 * 60 * 1000};
	return a;
}

static void free_value(const char *key, void *value, void *arg)
{
	free(value);
}

void auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	workq_free(a->wq); /* runs the done() of requests still in flight */
	htab_foreach(a->by_ip, free_value, NULL);
	htab_foreach(a->by_name, free_value, NULL);
	htab_foreach(a->cache, free_value, NULL);
	htab_free(a->by_ip);
	htab_free(a->by_name);
	htab_free(a->cache);
	htab_free(a->inflight); /* empty: workq_free finished every request */
	sodium_memzero(a->cache_key, sizeof(a->cache_key));
	free(a);
}

void auth_set_limits(struct auth *a, const struct auth_limits *lim)
{
	a->lim = *lim;
}

/* a throttle's count in the current window (resets when the window has passed) */
static struct throttle *throttle_get(struct auth *a, struct htab *h, const char *key, bool create)
{
	struct throttle *t = htab_get(h, key);
	uint64_t now = mono_ms();

	if (t && now - t->window_start >= a->lim.window_ms) {
		t->failures = 0;
		t->window_start = now;
	}
	if (t == NULL && create) {
		t = xcalloc(1, sizeof(*t));
		t->window_start = now;
		htab_put(h, key, t);
	}
	return t;
}

static bool throttled(struct auth *a, const struct auth_req *r)
{
	struct throttle *ip = throttle_get(a, a->by_ip, r->ipkey, false);
	struct throttle *name = throttle_get(a, a->by_name, r->userkey, false);

	return (ip && ip->failures >= a->lim.ip_max_failures) ||
	       (name && name->failures >= a->lim.account_max_failures);
}

struct purge {
	struct htab *keep;
	uint64_t now, window;
};

static void purge_one(const char *key, void *value, void *arg)
{
	struct purge *p = arg;
	struct throttle *t = value;

	if (p->now - t->window_start < p->window)
		htab_put(p->keep, key, t);
	else
		free(t);
}

/*
 * bound - a full table keeps only the throttles of the current window; if even
 * those fill it, it starts afresh rather than grow without end.
 */
static struct htab *bound(struct auth *a, struct htab *h)
{
	if (htab_count(h) < THROTTLE_MAX_ENTRIES)
		return h;
	struct purge p = {htab_new(), mono_ms(), a->lim.window_ms};
	htab_foreach(h, purge_one, &p);
	htab_free(h);
	if (htab_count(p.keep) >= THROTTLE_MAX_ENTRIES) {
		htab_foreach(p.keep, free_value, NULL);
		htab_free(p.keep);
		p.keep = htab_new();
	}
	return p.keep;
}

/*
 * count_failure - an attempt counts as a failure from the moment its
 * verification starts, and is refunded only if it succeeds: so a burst of
 * parallel guesses is throttled as it arrives, not after the fact.
 */
static void count_failure(struct auth *a, const struct auth_req *r)
{
	struct throttle *t;

	a->by_ip = bound(a, a->by_ip);
	a->by_name = bound(a, a->by_name);
	if ((t = throttle_get(a, a->by_ip, r->ipkey, true)) != NULL)
		t->failures++;
	if ((t = throttle_get(a, a->by_name, r->userkey, true)) != NULL)
		t->failures++;
}

static void refund_failure(struct auth *a, const struct auth_req *r)
{
	struct throttle *t;

	if ((t = throttle_get(a, a->by_ip, r->ipkey, false)) != NULL && t->failures > 0)
		t->failures--;
	if ((t = throttle_get(a, a->by_name, r->userkey, false)) != NULL && t->failures > 0)
		t->failures--;
}

static void digest(struct auth *a, const char *name, const char *pass,
                   unsigned char out[crypto_generichash_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, a->cache_key, sizeof(a->cache_key), crypto_generichash_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)name, strlen(name) + 1);
	crypto_generichash_update(&st, (const unsigned char *)pass, strlen(pass));
	crypto_generichash_final(&st, out, crypto_generichash_BYTES);
}

/* cache_hit - the credential id a remembered verification of pass holds, or 0 */
static int64_t cache_hit(struct auth *a, struct source *s, const char *pass)
{
	struct cache_entry *slots = htab_get(a->cache, s->name);
	unsigned char d[crypto_generichash_BYTES];
	uint64_t now = mono_ms();
	int64_t hit = 0;

	if (slots == NULL || a->lim.cache_ttl_ms == 0)
		return 0;
	digest(a, s->name, pass, d);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (slots[i].until_ms > now && slots[i].generation == s->generation &&
		    sodium_memcmp(slots[i].digest, d, sizeof(d)) == 0)
			hit = slots[i].cred_id;
	}
	sodium_memzero(d, sizeof(d));
	struct source_cred *c = hit ? source_find_cred_id(s, hit) : NULL;
	return c && source_cred_valid(c, (int64_t)time(NULL)) ? hit : 0;
}

static void cache_put(struct auth *a, const struct source *s, const char *pass, int64_t cred_id)
{
	struct cache_entry *slots = htab_get(a->cache, s->name);
	uint64_t now = mono_ms();
	int victim = 0;

	if (a->lim.cache_ttl_ms == 0)
		return;
	if (slots == NULL) {
		slots = xcalloc(CACHE_SLOTS, sizeof(*slots));
		htab_put(a->cache, s->name, slots);
	}
	for (int i = 1; i < CACHE_SLOTS; i++)
		if (slots[i].until_ms < slots[victim].until_ms)
			victim = i;
	digest(a, s->name, pass, slots[victim].digest);
	slots[victim].generation = s->generation;
	slots[victim].until_ms = now + a->lim.cache_ttl_ms;
	slots[victim].cred_id = cred_id;
}

void auth_forget(struct auth *a, const struct source *s)
{
	free(htab_del(a->cache, s->name));
}

static void req_free(struct auth_req *r)
{
	for (size_t i = 0; i < r->nhashes; i++)
		free(r->hashes[i]);
	sodium_memzero(r->pass, sizeof(r->pass));
	free(r);
}

/* the loop side of every request: re-check the source, count, call back */
static void finish(struct auth_req *r)
{
	struct auth *a = r->a;
	struct source *s = NULL;

	if (r->result == AUTH_OK) {
		s = sources_find(a->reg, r->user);
		/* suspended or changed while we verified: the old answer no longer holds */
		if (!source_active(s) || s->generation != r->generation ||
		    !source_allows_ip(s, (struct sockaddr *)&r->client)) {
			r->result = AUTH_FAIL;
			s = NULL;
		}
	}
	if (r->counted && r->result == AUTH_OK)
		refund_failure(a, r);
	if (s && r->matched_cred)
		sources_cred_used(a->reg, s, r->matched_cred);
	if (!r->cancelled)
		r->done(r->result, s, r->arg);
	req_free(r);
}

static void verify_work(void *arg)
{
	struct auth_req *r = arg;

	r->matched = false;
	for (size_t i = 0; i < r->nhashes; i++)
		if (crypto_pwhash_str_verify(r->hashes[i], r->pass, strlen(r->pass)) == 0) {
			r->matched = true;
			r->matched_cred = r->cred_ids[i];
		}
}

static void verify_done(void *arg)
{
	struct auth_req *r = arg;
	struct auth *a = r->a;
	struct auth_req *w, *next;

	r->result = (r->matched && r->known) ? AUTH_OK : AUTH_FAIL;
	if (r->result == AUTH_OK) {
		struct source *s = sources_find(a->reg, r->user);
		if (s && s->generation == r->generation)
			cache_put(a, s, r->pass, r->matched_cred);
	}
	if (r->flight[0])
		htab_del(a->inflight, r->flight);
	/* the same user and password: the same answer, each re-checked for its client */
	for (w = r->waiting; w; w = next) {
		next = w->next_waiting;
		w->known = r->known;
		w->generation = r->generation;
		w->result = r->result;
		w->matched_cred = r->matched_cred;
		finish(w);
	}
	finish(r);
}

/*
 * join_flight - if the same user and password are being verified, r waits
 * for that answer and true is returned; otherwise r becomes the one others
 * may wait for.
 */
static bool join_flight(struct auth *a, struct auth_req *r)
{
	unsigned char d[crypto_generichash_BYTES];
	struct auth_req *leader;

	digest(a, r->user, r->pass, d);
	sodium_bin2hex(r->flight, sizeof(r->flight), d, sizeof(d));
	sodium_memzero(d, sizeof(d));
	if ((leader = htab_get(a->inflight, r->flight)) != NULL) {
		r->flight[0] = '\0';
		r->next_waiting = leader->waiting;
		leader->waiting = r;
		return true;
	}
	htab_put(a->inflight, r->flight, r);
	return false;
}

static void deferred(evutil_socket_t fd, short what, void *arg)
{
	finish(arg);
}

struct auth_req *auth_check_password(struct auth *a, const char *user, const char *pass,
                                     const struct sockaddr *client, auth_done_fn done, void *arg)
{
	struct auth_req *r = xcalloc(1, sizeof(*r));
	static const struct timeval now = {0, 0};

	r->a = a;
	r->done = done;
	r->arg = arg;
	strlcpy_(r->user, user, sizeof(r->user));
	strlcpy_(r->userkey, user, sizeof(r->userkey));
	ascii_strlower(r->userkey);
	strlcpy_(r->pass, pass, sizeof(r->pass));
	memcpy(&r->client, client,
	       client->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                     : sizeof(struct sockaddr_in));
	sockaddr_key(client, r->ipkey, sizeof(r->ipkey));

	if (throttled(a, r)) {
		r->result = AUTH_THROTTLED;
		event_base_once(a->base, -1, EV_TIMEOUT, deferred, r, &now);
		return r;
	}
	struct source *s = sources_find(a->reg, user);
	/* user names longer than a source name can be cannot match one */
	if (strlen(user) > SOURCE_NAME_MAX)
		s = NULL;
	r->known = s != NULL && s->auth == SOURCE_AUTH_PASSWORD;
	if (r->known) {
		r->generation = s->generation;
		if (source_active(s) && (r->matched_cred = cache_hit(a, s, pass)) != 0) {
			r->result = AUTH_OK;
			event_base_once(a->base, -1, EV_TIMEOUT, deferred, r, &now);
			return r;
		}
		int64_t t = (int64_t)time(NULL);
		for (size_t i = 0; i < s->ncreds; i++)
			if (s->creds[i].kind == CRED_PASSWORD &&
			    source_cred_valid(&s->creds[i], t)) {
				r->cred_ids[r->nhashes] = s->creds[i].cred_id;
				r->hashes[r->nhashes++] = xstrdup(s->creds[i].hash);
			}
	}
	if (r->nhashes == 0) {
		r->known = false;
		r->hashes[r->nhashes++] = xstrdup(a->dummy_hash);
	}
	if (join_flight(a, r))
		return r;
	count_failure(a, r);
	r->counted = true;
	workq_submit(a->wq, verify_work, verify_done, r);
	return r;
}

void auth_cancel(struct auth_req *req)
{
	if (req)
		req->cancelled = true;
}

struct hash_job {
	char pass[256];
	char hash[crypto_pwhash_STRBYTES];
	bool ok;
	auth_hash_fn done;
	void *arg;
};

static void hash_work(void *arg)
{
	struct hash_job *j = arg;

	j->ok = auth_hash_password(j->pass, j->hash) == 0;
	sodium_memzero(j->pass, sizeof(j->pass));
}

static void hash_done(void *arg)
{
	struct hash_job *j = arg;

	j->done(j->ok ? j->hash : NULL, j->arg);
	free(j);
}

void auth_hash_async(struct auth *a, const char *pass, auth_hash_fn done, void *arg)
{
	struct hash_job *j = xcalloc(1, sizeof(*j));

	strlcpy_(j->pass, pass, sizeof(j->pass));
	j->done = done;
	j->arg = arg;
	workq_submit(a->wq, hash_work, hash_done, j);
}

/* -- API keys ------------------------------------------------------------------ */

static void key_digest(const char *secret, size_t n, char hex[API_KEY_HASH])
{
	unsigned char d[32];

	crypto_generichash(d, sizeof(d), (const unsigned char *)secret, n, NULL, 0);
	sodium_bin2hex(hex, API_KEY_HASH, d, sizeof(d));
	sodium_memzero(d, sizeof(d));
}

static void random_alnum(char *out, size_t n)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

	for (size_t i = 0; i < n; i++)
		out[i] = set[randombytes_uniform(sizeof(set) - 1)];
	out[n] = '\0';
}

void auth_new_api_key(char key[API_KEY_LEN + 1], char key_id[API_KEY_ID_LEN + 1],
                      char hash[API_KEY_HASH])
{
	char secret[33];

	random_alnum(key_id, API_KEY_ID_LEN);
	random_alnum(secret, 32); /* 190 bits */
	snprintf(key, API_KEY_LEN + 1, "pk_%s_%s", key_id, secret);
	key_digest(secret, 32, hash);
	sodium_memzero(secret, sizeof(secret));
}

enum auth_result auth_check_api_key(struct auth *a, const char *key, const struct sockaddr *client,
                                    struct source **out)
{
	char ipkey[64], id[API_KEY_ID_LEN + 1], hex[API_KEY_HASH];
	struct source_cred *c = NULL;
	struct source *s = NULL;
	struct throttle *t;
	size_t n = strlen(key);
	bool ok = false;

	*out = NULL;
	sockaddr_key(client, ipkey, sizeof(ipkey));
	t = throttle_get(a, a->by_ip, ipkey, false);
	if (t && t->failures >= a->lim.ip_max_failures)
		return AUTH_THROTTLED;
	bool shaped =
	        n == API_KEY_LEN && strncmp(key, "pk_", 3) == 0 && key[3 + API_KEY_ID_LEN] == '_';
	if (shaped) {
		memcpy(id, key + 3, API_KEY_ID_LEN);
		id[API_KEY_ID_LEN] = '\0';
		s = sources_find_key(a->reg, id, &c);
	}
	/* the digest is computed whether or not the id is known */
	key_digest(shaped ? key + 4 + API_KEY_ID_LEN : key, shaped ? 32 : n, hex);
	if (s && c && strlen(c->hash) == API_KEY_HASH - 1 &&
	    sodium_memcmp(hex, c->hash, API_KEY_HASH - 1) == 0)
		ok = source_cred_valid(c, (int64_t)time(NULL)) && !s->deleted;
	sodium_memzero(hex, sizeof(hex));
	if (!ok) {
		a->by_ip = bound(a, a->by_ip);
		if ((t = throttle_get(a, a->by_ip, ipkey, true)) != NULL)
			t->failures++;
		return AUTH_FAIL;
	}
	sources_cred_used(a->reg, s, c->cred_id);
	*out = s;
	return AUTH_OK;
}

bool auth_api_key_known(struct auth *a, const char *key)
{
	char id[API_KEY_ID_LEN + 1], hex[API_KEY_HASH];
	struct source_cred *c = NULL;
	struct source *s = NULL;
	size_t n = strlen(key);
	bool ok = false;

	if (n != API_KEY_LEN || strncmp(key, "pk_", 3) != 0 || key[3 + API_KEY_ID_LEN] != '_')
		return false;
	memcpy(id, key + 3, API_KEY_ID_LEN);
	id[API_KEY_ID_LEN] = '\0';
	s = sources_find_key(a->reg, id, &c);
	key_digest(key + 4 + API_KEY_ID_LEN, 32, hex);
	if (s && c && strlen(c->hash) == API_KEY_HASH - 1 &&
	    sodium_memcmp(hex, c->hash, API_KEY_HASH - 1) == 0)
		ok = source_cred_valid(c, (int64_t)time(NULL)) && !s->deleted;
	sodium_memzero(hex, sizeof(hex));
	return ok;
}
