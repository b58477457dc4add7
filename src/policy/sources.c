/* sources.c - the in-memory source registry, written through to the store. */
#include "sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htab.h"
#include "idpattern.h"
#include "log.h"
#include "strutil.h"
#include "xmalloc.h"

struct sources {
	struct store *st;
	struct htab *by_name;
	struct htab *by_id; /* key: decimal id */
};

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
	for (size_t i = 0; i < s->npw; i++)
		free(s->pw[i].hash);
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
	strlcpy_(s->pool, ss->pool, sizeof(s->pool));
	s->bulk = ss->bulk;
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

static void put_pw(struct source *s, const struct store_cred *c)
{
	for (size_t i = 0; i < s->npw; i++) {
		if (strcmp(s->pw[i].name, c->name) == 0) {
			free(s->pw[i].hash);
			s->pw[i].hash = xstrdup(c->secret_hash);
			s->pw[i].cred_id = c->id;
			s->pw[i].created_at = c->created_at;
			s->pw[i].expires_at = c->expires_at;
			s->generation++;
			return;
		}
	}
	if (s->npw == SOURCE_MAX_PASSWORDS)
		return;
	struct source_pw *p = &s->pw[s->npw++];
	p->cred_id = c->id;
	strlcpy_(p->name, c->name, sizeof(p->name));
	p->hash = xstrdup(c->secret_hash);
	p->created_at = c->created_at;
	p->expires_at = c->expires_at;
	s->generation++;
}

static void load_cred(const struct store_cred *c, void *arg)
{
	struct sources *reg = arg;
	char key[32];

	id_key(c->source_id, key, sizeof(key));
	struct source *s = htab_get(reg->by_id, key);
	if (s && c->kind == CRED_PASSWORD)
		put_pw(s, c);
}

static void put_identity(struct source *s, const struct store_identity *i)
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
		put_identity(s, i);
}

struct sources *sources_new(struct store *st, char *err, size_t errlen)
{
	struct sources *reg = xcalloc(1, sizeof(*reg));

	reg->st = st;
	reg->by_name = htab_new();
	reg->by_id = htab_new();
	if (store_sources_each(st, load_source, reg, err, errlen) < 0 ||
	    store_creds_each(st, load_cred, reg, err, errlen) < 0 ||
	    store_identities_each(st, load_identity, reg, err, errlen) < 0) {
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
	strlcpy_(ss->pool, s->pool, sizeof(ss->pool));
	ss->bulk = s->bulk;
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
		put_pw(s, &c);
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

int sources_set_suspended(struct sources *reg, struct source *s, bool suspended, char *err,
                          size_t errlen)
{
	char **nets = networks_text(s);
	bool old = s->suspended;

	s->suspended = suspended;
	int r = update(reg, s, nets, s->nnets, err, errlen);
	free_strv(nets, s->nnets);
	if (r != 0)
		s->suspended = old;
	else
		s->updated_at = (int64_t)time(NULL);
	return r;
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
	struct store_cred c;

	memset(&c, 0, sizeof(c));
	c.source_id = s->id;
	c.kind = CRED_PASSWORD;
	strlcpy_(c.name, "default", sizeof(c.name));
	c.secret_hash = (char *)pw_hash;
	int r = store_cred_put(reg->st, &c, err, errlen);
	if (r == 0)
		put_pw(s, &c);
	return r;
}

int sources_delete(struct sources *reg, struct source *s, char *err, size_t errlen)
{
	char key[32];
	int r = store_source_delete(reg->st, s->id, err, errlen);

	if (r != 0)
		return r;
	s->deleted = true;
	htab_del(reg->by_name, s->name);
	id_key(s->id, key, sizeof(key));
	htab_del(reg->by_id, key);
	source_unref(s);
	return 0;
}

int sources_set_delivery(struct sources *reg, struct source *s, const char *kind, const char *pool,
                         bool bulk, char *err, size_t errlen)
{
	struct source saved = *s;
	char **nets = networks_text(s);

	strlcpy_(s->kind, kind, sizeof(s->kind));
	strlcpy_(s->pool, pool, sizeof(s->pool));
	s->bulk = bulk;
	int r = update(reg, s, nets, s->nnets, err, errlen);
	free_strv(nets, s->nnets);
	if (r != 0) {
		strlcpy_(s->kind, saved.kind, sizeof(s->kind));
		strlcpy_(s->pool, saved.pool, sizeof(s->pool));
		s->bulk = saved.bulk;
	} else {
		s->updated_at = (int64_t)time(NULL);
	}
	return r;
}

/* the rule's two patterns, normalized; from defaults to the envelope pattern */
static int rule_patterns(const char *envelope, const char *header_from, struct store_identity *i,
                         char *err, size_t errlen)
{
	char why[128];

	if (idpat_normalize(envelope, i->envelope, sizeof(i->envelope), why, sizeof(why)) < 0) {
		snprintf(err, errlen, "envelope pattern \"%s\": %s", envelope, why);
		return SOURCES_INVALID;
	}
	if (header_from == NULL || header_from[0] == '\0') {
		if (strcmp(i->envelope, "<>") == 0) {
			snprintf(err, errlen,
			         "the null sender <> needs a From: pattern (a From: is never "
			         "empty)");
			return SOURCES_INVALID;
		}
		header_from = i->envelope;
	}
	if (idpat_normalize(header_from, i->header_from, sizeof(i->header_from), why, sizeof(why)) <
	    0) {
		snprintf(err, errlen, "From: pattern \"%s\": %s", header_from, why);
		return SOURCES_INVALID;
	}
	if (strcmp(i->header_from, "<>") == 0) {
		snprintf(err, errlen, "a From: pattern cannot be <> (a From: is never empty)");
		return SOURCES_INVALID;
	}
	return 0;
}

static struct source_identity *find_rule(struct source *s, const struct store_identity *i)
{
	for (size_t k = 0; k < s->nids; k++)
		if (s->ids[k].deny == i->deny && strcmp(s->ids[k].envelope, i->envelope) == 0 &&
		    strcmp(s->ids[k].header_from, i->header_from) == 0)
			return &s->ids[k];
	return NULL;
}

int sources_add_identity(struct sources *reg, struct source *s, bool deny, const char *envelope,
                         const char *header_from, char *err, size_t errlen)
{
	struct store_identity i;

	memset(&i, 0, sizeof(i));
	i.source_id = s->id;
	i.deny = deny;
	int bad = rule_patterns(envelope, header_from, &i, err, errlen);
	if (bad != 0)
		return bad;
	if (find_rule(s, &i) != NULL) {
		snprintf(err, errlen, "source %s already has that rule", s->name);
		return STORE_EXISTS;
	}
	if (s->nids == SOURCE_MAX_IDENTITIES) {
		snprintf(err, errlen, "source %s has %d identity rules, the most it may have",
		         s->name, SOURCE_MAX_IDENTITIES);
		return SOURCES_INVALID;
	}
	int r = store_identity_insert(reg->st, &i, err, errlen);
	if (r == 0)
		put_identity(s, &i);
	return r;
}

int sources_remove_identity(struct sources *reg, struct source *s, bool deny, const char *envelope,
                            const char *header_from, char *err, size_t errlen)
{
	struct store_identity i;

	memset(&i, 0, sizeof(i));
	i.deny = deny;
	int bad = rule_patterns(envelope, header_from, &i, err, errlen);
	if (bad != 0)
		return bad;
	struct source_identity *found = find_rule(s, &i);
	if (found == NULL) {
		snprintf(err, errlen, "source %s has no such rule", s->name);
		return STORE_NOTFOUND;
	}
	int r = store_identity_delete(reg->st, found->id, err, errlen);
	if (r != 0)
		return r;
	size_t k = (size_t)(found - s->ids);
	memmove(&s->ids[k], &s->ids[k + 1], (s->nids - k - 1) * sizeof(*s->ids));
	s->nids--;
	return 0;
}
