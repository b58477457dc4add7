/* sources.c - the in-memory source registry, written through to the store. */
#include "sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htab.h"
#include "idpattern.h"
#include "limit.h"
#include "log.h"
#include "sources_internal.h"
#include "strutil.h"
#include "xmalloc.h"

static void load_counter(const struct store_counter *c, void *arg);

static void id_key(int64_t id, char *dst, size_t n)
{
	snprintf(dst, n, "%lld", (long long)id);
}

bool source_name_valid(const char *name)
{
	size_t n = strlen(name);

	/* a name is also the SMTP user name and a URL path segment */
	if (n == 0 || n > SOURCE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
		if (!ok)
			return false;
	}
	return name[0] != '.' && name[0] != '-';
}

bool source_kind_valid(const char *kind)
{
	return strcmp(kind, "app") == 0 || strcmp(kind, "onprem") == 0 ||
	       strcmp(kind, "cloud") == 0 || strcmp(kind, "saas") == 0;
}

static void free_source(struct source *s)
{
	for (size_t i = 0; i < s->ncreds; i++)
		free(s->creds[i].hash);
	free(s->ids);
	free(s);
}

void source_ref(struct source *s)
{
	s->refs++;
}

void source_unref(struct source *s)
{
	if (s && --s->refs == 0)
		free_source(s);
}

bool source_active(const struct source *s)
{
	return s != NULL && !s->suspended && !s->deleted;
}

static void set_networks(struct source *s, char *const *networks, size_t n)
{
	s->nnets = 0;
	for (size_t i = 0; i < n && s->nnets < SOURCE_MAX_NETWORKS; i++)
		if (cidr_parse(networks[i], &s->nets[s->nnets]) == 0)
			s->nnets++;
}

static struct source *insert_mem(struct sources *reg, const struct store_source *ss)
{
	struct source *s = xcalloc(1, sizeof(*s));
	char key[32];

	s->refs = 1; /* the registry's own */
	s->id = ss->id;
	strlcpy_(s->name, ss->name, sizeof(s->name));
	strlcpy_(s->kind, ss->kind, sizeof(s->kind));
	s->auth = ss->auth;
	s->suspended = ss->suspended;
	s->drop_queued = ss->drop_queued;
	strlcpy_(s->pool, ss->pool, sizeof(s->pool));
	s->bulk = ss->bulk;
	s->limits = ss->limits;
	strlcpy_(s->webhook_url, ss->webhook_url, sizeof(s->webhook_url));
	strlcpy_(s->webhook_secret, ss->webhook_secret, sizeof(s->webhook_secret));
	strlcpy_(s->webhook_events, ss->webhook_events, sizeof(s->webhook_events));
	strlcpy_(s->dlp_rules, ss->dlp_rules, sizeof(s->dlp_rules));
	strlcpy_(s->dlp_action, ss->dlp_action, sizeof(s->dlp_action));
	strlcpy_(s->spam_action, ss->spam_action, sizeof(s->spam_action));
	strlcpy_(s->stream, ss->stream, sizeof(s->stream));
	s->reject_suppressed = ss->reject_suppressed;
	s->created_at = ss->created_at;
	s->updated_at = ss->updated_at;
	set_networks(s, ss->networks, ss->nnetworks);
	htab_put(reg->by_name, s->name, s);
	id_key(s->id, key, sizeof(key));
	htab_put(reg->by_id, key, s);
	return s;
}

static void load_source(const struct store_source *ss, void *arg)
{
	insert_mem(arg, ss);
}

/* put_cred - add or replace (same name) the credential in memory; false if full */
static bool put_cred(struct source *s, const struct store_cred *c)
{
	struct source_cred *p = NULL;

	for (size_t i = 0; i < s->ncreds; i++)
		if (strcmp(s->creds[i].name, c->name) == 0)
			p = &s->creds[i];
	if (p == NULL) {
		if (s->ncreds == SOURCE_MAX_CREDS)
			return false;
		p = &s->creds[s->ncreds++];
		memset(p, 0, sizeof(*p));
	}
	free(p->hash);
	p->hash = xstrdup(c->secret_hash);
	p->cred_id = c->id;
	p->kind = c->kind;
	strlcpy_(p->name, c->name, sizeof(p->name));
	strlcpy_(p->key_id, c->key_id, sizeof(p->key_id));
	p->created_at = c->created_at;
	p->expires_at = c->expires_at;
	p->last_used_at = p->saved_used_at = c->last_used_at;
	s->generation++;
	return true;
}

static void load_cred(const struct store_cred *c, void *arg)
{
	struct sources *reg = arg;
	char key[32];

	id_key(c->source_id, key, sizeof(key));
	struct source *s = htab_get(reg->by_id, key);
	if (s && put_cred(s, c) && c->kind == CRED_API_KEY && c->key_id[0])
		htab_put(reg->by_key, c->key_id, s);
}

void sources_put_identity(struct source *s, const struct store_identity *i)
{
	if (s->nids == SOURCE_MAX_IDENTITIES)
		return;
	s->ids = xrealloc(s->ids, (s->nids + 1) * sizeof(*s->ids));
	struct source_identity *id = &s->ids[s->nids++];
	id->id = i->id;
	id->deny = i->deny;
	strlcpy_(id->envelope, i->envelope, sizeof(id->envelope));
	strlcpy_(id->header_from, i->header_from, sizeof(id->header_from));
}

static void load_identity(const struct store_identity *i, void *arg)
{
	struct sources *reg = arg;
	char key[32];

	id_key(i->source_id, key, sizeof(key));
	struct source *s = htab_get(reg->by_id, key);
	if (s)
		sources_put_identity(s, i);
}

struct sources *sources_new(struct store *st, char *err, size_t errlen)
{
	struct sources *reg = xcalloc(1, sizeof(*reg));

	reg->st = st;
	reg->by_name = htab_new();
	reg->by_id = htab_new();
	reg->by_key = htab_new();
	if (store_sources_each(st, load_source, reg, err, errlen) < 0 ||
	    store_creds_each(st, load_cred, reg, err, errlen) < 0 ||
	    store_identities_each(st, load_identity, reg, err, errlen) < 0 ||
	    store_counters_each(st, load_counter, reg, err, errlen) < 0) {
		sources_free(reg);
		return NULL;
	}
	return reg;
}

static void drop_ref(const char *key, void *value, void *arg)
{
	source_unref(value);
}

void sources_free(struct sources *reg)
{
	if (reg == NULL)
		return;
	htab_foreach(reg->by_name, drop_ref, NULL);
	htab_free(reg->by_name);
	htab_free(reg->by_id);
	htab_free(reg->by_key);
	free(reg);
}

struct source *sources_find(struct sources *reg, const char *name)
{
	return htab_get(reg->by_name, name);
}

struct match {
	const struct sockaddr *sa;
	struct source *best;
	unsigned best_prefix;
};

static void match_one(const char *key, void *value, void *arg)
{
	struct source *s = value;
	struct match *m = arg;

	if (s->auth != SOURCE_AUTH_IP)
		return;
	for (size_t i = 0; i < s->nnets; i++) {
		if (!cidr_match(&s->nets[i], m->sa))
			continue;
		if (m->best == NULL || s->nets[i].prefix > m->best_prefix) {
			m->best = s;
			m->best_prefix = s->nets[i].prefix;
		}
	}
}

struct source *sources_match_ip(struct sources *reg, const struct sockaddr *sa)
{
	struct match m = {sa, NULL, 0};

	/* XXX: linear in the number of sources; fine for hundreds, index it for more */
	htab_foreach(reg->by_name, match_one, &m);
	return m.best;
}

bool source_allows_ip(const struct source *s, const struct sockaddr *sa)
{
	if (s->nnets == 0)
		return true;
	for (size_t i = 0; i < s->nnets; i++)
		if (cidr_match(&s->nets[i], sa))
			return true;
	return false;
}

struct each_ctx {
	sources_fn fn;
	void *arg;
};

static void each_one(const char *key, void *value, void *arg)
{
	struct each_ctx *c = arg;

	c->fn(value, c->arg);
}

void sources_each(struct sources *reg, sources_fn fn, void *arg)
{
	struct each_ctx c = {fn, arg};

	htab_foreach(reg->by_name, each_one, &c);
}

size_t sources_count(const struct sources *reg)
{
	return htab_count(reg->by_name);
}

static void to_store(const struct source *s, struct store_source *ss, char *const *networks,
                     size_t n)
{
	memset(ss, 0, sizeof(*ss));
	ss->id = s->id;
	strlcpy_(ss->name, s->name, sizeof(ss->name));
	strlcpy_(ss->kind, s->kind, sizeof(ss->kind));
	ss->auth = s->auth;
	ss->suspended = s->suspended;
	ss->drop_queued = s->drop_queued;
	strlcpy_(ss->pool, s->pool, sizeof(ss->pool));
	ss->bulk = s->bulk;
	ss->limits = s->limits;
	strlcpy_(ss->webhook_url, s->webhook_url, sizeof(ss->webhook_url));
	strlcpy_(ss->webhook_secret, s->webhook_secret, sizeof(ss->webhook_secret));
	strlcpy_(ss->webhook_events, s->webhook_events, sizeof(ss->webhook_events));
	strlcpy_(ss->dlp_rules, s->dlp_rules, sizeof(ss->dlp_rules));
	strlcpy_(ss->dlp_action, s->dlp_action, sizeof(ss->dlp_action));
	strlcpy_(ss->spam_action, s->spam_action, sizeof(ss->spam_action));
	strlcpy_(ss->stream, s->stream, sizeof(ss->stream));
	ss->reject_suppressed = s->reject_suppressed;
	ss->networks = (char **)networks;
	ss->nnetworks = n;
}

/* the networks of s as texts, for a store update that leaves them as they are */
static char **networks_text(const struct source *s)
{
	char **v = xcalloc(s->nnets + 1, sizeof(char *));

	for (size_t i = 0; i < s->nnets; i++) {
		char tmp[64];
		cidr_format(&s->nets[i], tmp, sizeof(tmp));
		v[i] = xstrdup(tmp);
	}
	return v;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int sources_add(struct sources *reg, const char *name, const char *kind, enum source_auth auth,
                char *const *networks, size_t nnetworks, const char *pw_hash, struct source **out,
                char *err, size_t errlen)
{
	struct store_source ss;
	struct store_cred c;
	int r;

	memset(&ss, 0, sizeof(ss));
	strlcpy_(ss.name, name, sizeof(ss.name));
	strlcpy_(ss.kind, kind, sizeof(ss.kind));
	ss.auth = auth;
	ss.networks = (char **)networks;
	ss.nnetworks = nnetworks;
	/* as the store's defaults: every DLP rule, a hit refused, spam tagged */
	strlcpy_(ss.dlp_rules, "all", sizeof(ss.dlp_rules));
	strlcpy_(ss.dlp_action, "reject", sizeof(ss.dlp_action));
	strlcpy_(ss.spam_action, "tag", sizeof(ss.spam_action));
	if (store_begin(reg->st, err, errlen) < 0)
		return -1;
	r = store_source_insert(reg->st, &ss, err, errlen);
	if (r == 0 && pw_hash) {
		memset(&c, 0, sizeof(c));
		c.source_id = ss.id;
		c.kind = CRED_PASSWORD;
		strlcpy_(c.name, "default", sizeof(c.name));
		c.secret_hash = (char *)pw_hash;
		r = store_cred_put(reg->st, &c, err, errlen);
	}
	if (r == 0)
		r = store_commit(reg->st, err, errlen);
	if (r != 0) {
		store_rollback(reg->st);
		return r;
	}
	struct source *s = insert_mem(reg, &ss);
	if (pw_hash)
		put_cred(s, &c);
	*out = s;
	return 0;
}

static int update(struct sources *reg, struct source *s, char *const *networks, size_t n, char *err,
                  size_t errlen)
{
	struct store_source ss;

	to_store(s, &ss, networks, n);
	return store_source_update(reg->st, &ss, err, errlen);
}

int sources_save(struct sources *reg, struct source *s, char *err, size_t errlen)
{
	char **nets = networks_text(s);
	int r = update(reg, s, nets, s->nnets, err, errlen);

	free_strv(nets, s->nnets);
	return r;
}

int sources_set_suspended(struct sources *reg, struct source *s, bool suspended, bool drop_queued,
                          char *err, size_t errlen)
{
	bool old = s->suspended, old_drop = s->drop_queued;

	s->suspended = suspended;
	s->drop_queued = suspended && drop_queued;
	int r = sources_save(reg, s, err, errlen);
	if (r != 0) {
		s->suspended = old;
		s->drop_queued = old_drop;
	} else {
		s->updated_at = (int64_t)time(NULL);
	}
	return r;
}

/* -- rate counters ------------------------------------------------------------ */

static void load_counter(const struct store_counter *c, void *arg)
{
	struct sources *reg = arg;
	char key[32];

	id_key(c->source_id, key, sizeof(key));
	struct source *s = htab_get(reg->by_id, key);
	for (int i = 0; s && i < RATE_N; i++)
		if (limit_period(i) == c->period) {
			s->rate[i].epoch = c->epoch;
			memcpy(s->rate[i].bucket, c->buckets, sizeof(s->rate[i].bucket));
		}
}

struct flush_ctx {
	struct sources *reg;
	int r;
	size_t n;
	char *err;
	size_t errlen;
};

static void flush_one(const char *key, void *value, void *arg)
{
	struct source *s = value;
	struct flush_ctx *f = arg;

	for (int i = 0; i < RATE_N && f->r == 0; i++) {
		if (!s->rate[i].dirty)
			continue;
		struct store_counter c = {s->id, limit_period(i), s->rate[i].epoch, {0}};
		memcpy(c.buckets, s->rate[i].bucket, sizeof(c.buckets));
		f->r = store_counter_put(f->reg->st, &c, f->err, f->errlen);
		f->n++;
	}
}

static void mark_clean(const char *key, void *value, void *arg)
{
	struct source *s = value;

	for (int i = 0; i < RATE_N; i++)
		s->rate[i].dirty = false;
}

int sources_flush_counters(struct sources *reg, char *err, size_t errlen)
{
	struct flush_ctx f = {reg, 0, 0, err, errlen};

	if (store_begin(reg->st, err, errlen) < 0)
		return -1;
	htab_foreach(reg->by_id, flush_one, &f);
	if (f.r == 0 && store_commit(reg->st, err, errlen) < 0)
		f.r = -1;
	if (f.r != 0) {
		/* the flags stay set: written again next time */
		store_rollback(reg->st);
		return -1;
	}
	htab_foreach(reg->by_id, mark_clean, NULL);
	return 0;
}

void source_conn_open(struct source *s)
{
	s->conns++;
}

void source_conn_close(struct source *s)
{
	if (s && s->conns > 0)
		s->conns--;
}

int sources_set_networks(struct sources *reg, struct source *s, char *const *networks,
                         size_t nnetworks, char *err, size_t errlen)
{
	int r = update(reg, s, networks, nnetworks, err, errlen);

	if (r == 0) {
		set_networks(s, networks, nnetworks);
		s->updated_at = (int64_t)time(NULL);
	}
	return r;
}

int sources_set_password(struct sources *reg, struct source *s, const char *pw_hash, char *err,
                         size_t errlen)
{
	return sources_put_cred(reg, s, CRED_PASSWORD, "default", "", pw_hash, 0, err, errlen);
}

struct source_cred *source_find_cred(struct source *s, const char *name)
{
	for (size_t i = 0; i < s->ncreds; i++)
		if (strcmp(s->creds[i].name, name) == 0)
			return &s->creds[i];
	return NULL;
}

struct source_cred *source_find_cred_id(struct source *s, int64_t cred_id)
{
	for (size_t i = 0; i < s->ncreds; i++)
		if (s->creds[i].cred_id == cred_id)
			return &s->creds[i];
	return NULL;
}

bool source_cred_valid(const struct source_cred *c, int64_t t)
{
	return c->expires_at == 0 || c->expires_at > t;
}

int sources_put_cred(struct sources *reg, struct source *s, enum cred_kind kind, const char *name,
                     const char *key_id, const char *hash, int64_t expires_at, char *err,
                     size_t errlen)
{
	struct store_cred c;
	struct source_cred *old = source_find_cred(s, name);

	if (old && old->kind != kind) {
		snprintf(err, errlen, "source %s has a %s called %s", s->name,
		         old->kind == CRED_API_KEY ? "API key" : "password", name);
		return STORE_EXISTS;
	}
	if (old == NULL && s->ncreds == SOURCE_MAX_CREDS) {
		snprintf(err, errlen, "source %s has %d credentials, the most it may have", s->name,
		         SOURCE_MAX_CREDS);
		return SOURCES_INVALID;
	}
	memset(&c, 0, sizeof(c));
	c.source_id = s->id;
	c.kind = kind;
	strlcpy_(c.name, name, sizeof(c.name));
	strlcpy_(c.key_id, key_id ? key_id : "", sizeof(c.key_id));
	c.secret_hash = (char *)hash;
	c.expires_at = expires_at;
	int r = store_cred_put(reg->st, &c, err, errlen);
	if (r != 0)
		return r;
	if (old && old->key_id[0])
		htab_del(reg->by_key, old->key_id);
	put_cred(s, &c);
	if (kind == CRED_API_KEY && c.key_id[0])
		htab_put(reg->by_key, c.key_id, s);
	return 0;
}

int sources_revoke_cred(struct sources *reg, struct source *s, const char *name, char *err,
                        size_t errlen)
{
	struct source_cred *c = source_find_cred(s, name);

	if (c == NULL) {
		snprintf(err, errlen, "source %s has no credential called %s", s->name, name);
		return STORE_NOTFOUND;
	}
	int r = store_cred_delete(reg->st, c->cred_id, err, errlen);
	if (r != 0 && r != STORE_NOTFOUND)
		return r;
	if (c->key_id[0])
		htab_del(reg->by_key, c->key_id);
	free(c->hash);
	size_t k = (size_t)(c - s->creds);
	memmove(&s->creds[k], &s->creds[k + 1], (s->ncreds - k - 1) * sizeof(*s->creds));
	s->ncreds--;
	s->generation++;
	return 0;
}

struct source *sources_find_key(struct sources *reg, const char *key_id, struct source_cred **out)
{
	struct source *s = htab_get(reg->by_key, key_id);

	*out = NULL;
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < s->ncreds; i++)
		if (s->creds[i].kind == CRED_API_KEY && strcmp(s->creds[i].key_id, key_id) == 0) {
			*out = &s->creds[i];
			return s;
		}
	return NULL;
}

void sources_cred_used(struct sources *reg, struct source *s, int64_t cred_id)
{
	struct source_cred *c = source_find_cred_id(s, cred_id);
	int64_t t = (int64_t)time(NULL);
	char err[256];

	if (c == NULL)
		return;
	c->last_used_at = t;
	if (t - c->saved_used_at < 60)
		return;
	c->saved_used_at = t;
	if (store_cred_touch(reg->st, cred_id, t, err, sizeof(err)) < 0)
		log_warn("source credential use not recorded source=%s credential=%s error=\"%s\"",
		         s->name, c->name, err);
}

int sources_delete(struct sources *reg, struct source *s, char *err, size_t errlen)
{
	char key[32];
	int r = store_source_delete(reg->st, s->id, err, errlen);

	if (r != 0)
		return r;
	for (size_t i = 0; i < s->ncreds; i++)
		if (s->creds[i].key_id[0])
			htab_del(reg->by_key, s->creds[i].key_id);
	s->deleted = true;
	htab_del(reg->by_name, s->name);
	id_key(s->id, key, sizeof(key));
	htab_del(reg->by_id, key);
	source_unref(s);
	return 0;
}
