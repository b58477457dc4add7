/* domains.c - signing domains and DKIM keys, in memory and written through. */
#include "domains.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "address.h"
#include "fsio.h"
#include "htab.h"
#include "log.h"
#include "strutil.h"
#include "workq.h"
#include "xmalloc.h"

#define PEM_MAX (64 * 1024)

struct domains {
	struct store *st;
	struct workq *wq; /* key generation */
	struct htab *by_name;
	char *key_dir;
	char *prefix;
	int64_t grace;
};

static const enum dkim_alg both[2] = {DKIM_ALG_RSA_SHA256, DKIM_ALG_ED25519_SHA256};

bool domain_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > STORE_DOMAIN_MAX || strchr(name, '.') == NULL)
		return false;
	/* lower-case LDH only: the name is also a directory under key_dir */
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return addr_is_domain(name, n, false);
}

void dom_key_ref(struct dom_key *k)
{
	k->refs++;
}

void dom_key_unref(struct dom_key *k)
{
	if (k == NULL)
		return;
	if (--k->refs == 1 && k->state == KEY_RETIRED) {
		/* the last job that held it is done: only the domain's reference is left */
		dkim_key_free(k->key);
		k->key = NULL;
	}
	if (k->refs > 0)
		return;
	dkim_key_free(k->key);
	free(k->pub);
	free(k);
}

static void free_domain(struct domain *d)
{
	for (size_t i = 0; i < d->nkeys; i++)
		dom_key_unref(d->keys[i]);
	free(d->keys);
	free(d);
}

static int key_path(const struct domains *reg, const char *domain, const char *selector, char *dst,
                    size_t n)
{
	int w = selector ? snprintf(dst, n, "%s/%s/%s.pem", reg->key_dir, domain, selector)
	                 : snprintf(dst, n, "%s/%s", reg->key_dir, domain);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* read and decode the private key of k; on failure k->key stays NULL and err says why */
static int load_private(const struct domains *reg, const struct domain *d, struct dom_key *k,
                        char *err, size_t errlen)
{
	char path[4096];
	char *pem = NULL;
	size_t len = 0;

	if (key_path(reg, d->name, k->selector, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "key path too long");
		return -1;
	}
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%.300s is open to others (mode %03o): chmod 600 it", path,
		         (unsigned)(st.st_mode & 0777));
		return -1;
	}
	if (file_read(path, PEM_MAX, &pem, &len, err, errlen) < 0)
		return -1;
	k->key = dkim_key_load(pem, len, k->alg, err, errlen);
	sodium_memzero(pem, len);
	free(pem);
	return k->key ? 0 : -1;
}

static void add_key(struct domain *d, struct dom_key *k)
{
	d->keys = xrealloc(d->keys, (d->nkeys + 1) * sizeof(*d->keys));
	d->keys[d->nkeys++] = k;
}

static void load_domain(const struct store_domain *sd, void *arg)
{
	struct domains *reg = arg;
	struct domain *d = xcalloc(1, sizeof(*d));

	d->id = sd->id;
	strlcpy_(d->name, sd->name, sizeof(d->name));
	d->subdomains = sd->subdomains;
	d->created_at = sd->created_at;
	d->checked_at = sd->checked_at;
	htab_put(reg->by_name, d->name, d);
}

struct find_id {
	int64_t id;
	struct domain *found;
};

static void match_id(const char *key, void *value, void *arg)
{
	struct find_id *f = arg;
	struct domain *d = value;

	if (d->id == f->id)
		f->found = d;
}

static void load_key(const struct store_dkim_key *sk, void *arg)
{
	struct domains *reg = arg;
	struct find_id f = {sk->domain_id, NULL};
	enum dkim_alg alg;
	char err[512];

	htab_foreach(reg->by_name, match_id, &f);
	if (f.found == NULL || dkim_alg_parse(sk->algorithm, &alg) < 0)
		return;
	struct dom_key *k = xcalloc(1, sizeof(*k));
	k->refs = 1;
	k->id = sk->id;
	strlcpy_(k->selector, sk->selector, sizeof(k->selector));
	k->alg = alg;
	k->state = sk->state;
	k->pub = xstrdup(sk->public_key);
	k->created_at = sk->created_at;
	k->activated_at = sk->activated_at;
	k->retire_at = sk->retire_at;
	if ((k->state == KEY_PENDING || k->state == KEY_ACTIVE) &&
	    load_private(reg, f.found, k, err, sizeof(err)) < 0)
		log_err("dkim key unusable domain=%s selector=%s error=\"%s\"", f.found->name,
		        k->selector, err);
	add_key(f.found, k);
}

struct domains *domains_new(struct event_base *base, struct store *st,
                            const struct domains_settings *set, char *err, size_t errlen)
{
	struct domains *reg = xcalloc(1, sizeof(*reg));

	reg->st = st;
	reg->by_name = htab_new();
	reg->key_dir = xstrdup(set->key_dir);
	reg->prefix = xstrdup(set->selector_prefix && set->selector_prefix[0] ? set->selector_prefix
	                                                                      : "postern");
	reg->grace = set->retire_grace;
	if (store_domains_each(st, load_domain, reg, err, errlen) < 0 ||
	    store_keys_each(st, load_key, reg, err, errlen) < 0) {
		domains_free(reg);
		return NULL;
	}
	reg->wq = workq_new(base, 1, "dkim-keygen");
	return reg;
}

static void drop_domain(const char *key, void *value, void *arg)
{
	free_domain(value);
}

void domains_free(struct domains *reg)
{
	if (reg == NULL)
		return;
	workq_free(reg->wq); /* runs pending completions, which may still use reg */
	htab_foreach(reg->by_name, drop_domain, NULL);
	htab_free(reg->by_name);
	free(reg->key_dir);
	free(reg->prefix);
	free(reg);
}

void domains_set_grace(struct domains *reg, int64_t retire_grace)
{
	reg->grace = retire_grace;
}

struct domain *domains_find(struct domains *reg, const char *name)
{
	return htab_get(reg->by_name, name);
}

struct collect {
	struct domain **v;
	size_t n;
};

static void collect_one(const char *key, void *value, void *arg)
{
	struct collect *c = arg;

	c->v[c->n++] = value;
}

static int by_name(const void *a, const void *b)
{
	const struct domain *x = *(struct domain *const *)a, *y = *(struct domain *const *)b;

	return strcmp(x->name, y->name);
}

struct domain **domains_list(struct domains *reg, size_t *n)
{
	struct collect c = {xcalloc(htab_count(reg->by_name) + 1, sizeof(struct domain *)), 0};

	htab_foreach(reg->by_name, collect_one, &c);
	qsort(c.v, c.n, sizeof(*c.v), by_name);
	*n = c.n;
	return c.v;
}

/* the active keys of d that can sign, one per algorithm */
/*
 * active_keys - the newest active key of each algorithm into out (NULL where
 * none); how many algorithms have one. A key without its private key counts
 * (it should sign, and cannot).
 */
static size_t active_keys(const struct domain *d, struct dom_key *out[DOMAINS_MAX_SIGNERS])
{
	size_t n = 0;

	for (int a = 0; a < 2; a++) {
		out[a] = NULL;
		for (size_t i = d->nkeys; i-- > 0;) {
			struct dom_key *k = d->keys[i];
			if (k->alg == both[a] && k->state == KEY_ACTIVE) {
				out[a] = k;
				n++;
				break;
			}
		}
	}
	return n;
}

int domains_signing_keys(struct domains *reg, const char *from_domain, const struct domain **dp,
                         struct dom_key *keys[DOMAINS_MAX_SIGNERS], size_t *n, char *why,
                         size_t whylen)
{
	const struct domain *exact = htab_get(reg->by_name, from_domain);

	*n = 0;
	for (const char *p = from_domain; p != NULL;
	     p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
		struct domain *d = htab_get(reg->by_name, p);
		if (d == NULL || (p != from_domain && !d->subdomains))
			continue;
		if (active_keys(d, keys) == 0)
			continue;
		for (int a = 0; a < 2; a++) {
			if (keys[a] == NULL) {
				snprintf(why, whylen,
				         "domain %s has no active %s key yet: publish its DNS "
				         "records "
				         "and run \"posternctl domain check %s\"",
				         d->name, dkim_alg_name(both[a]), d->name);
				return -2;
			}
			if (keys[a]->key == NULL) {
				snprintf(
				        why, whylen,
				        "the %s key %s of domain %s has no usable private key file "
				        "(see \"posternctl domain show %s\" and the log)",
				        dkim_alg_name(both[a]), keys[a]->selector, d->name,
				        d->name);
				return -2;
			}
		}
		for (int a = 0; a < 2; a++)
			dom_key_ref(keys[a]);
		*n = 2;
		*dp = d;
		return 0;
	}
	if (exact)
		snprintf(why, whylen,
		         "domain %s has no active DKIM key yet: publish its DNS records and run "
		         "\"posternctl domain check %s\"",
		         from_domain, from_domain);
	else
		snprintf(why, whylen,
		         "domain %s has no DKIM key: the relay operator must run \"posternctl "
		         "domain "
		         "add %s\"",
		         from_domain, from_domain);
	return -1;
}

/* ---- generation ---- */

struct genjob {
	struct domains *reg;
	char name[STORE_DOMAIN_MAX + 1];
	bool add, subdomains, force;
	char *pem[2];
	bool written[2]; /* key files this job wrote: the only ones it may remove */
	int r;
	char err[512];
	domains_done_fn done;
	void *arg;
};

static void gen_work(void *arg)
{
	struct genjob *j = arg;

	for (int a = 0; a < 2 && j->r == 0; a++)
		j->r = dkim_key_generate(both[a], &j->pem[a], j->err, sizeof(j->err));
}

static bool selector_taken(const struct domain *d, const char *sel)
{
	for (size_t i = 0; d && i < d->nkeys; i++)
		if (strcmp(d->keys[i]->selector, sel) == 0)
			return true;
	return false;
}

/*
 * "<prefix>-20261123-rsa", then "<prefix>-20261123b-rsa", ... "z": -1 when
 * the day's 26 selectors are all taken (retired keys keep theirs).
 */
static int make_selector(const struct domains *reg, const struct domain *d, enum dkim_alg alg,
                         char *dst, size_t n)
{
	char day[16];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	const char *kind = alg == DKIM_ALG_RSA_SHA256 ? "rsa" : "ed25519";
	snprintf(dst, n, "%s-%s-%s", reg->prefix, day, kind);
	for (char c = 'b'; selector_taken(d, dst) && c <= 'z'; c++)
		snprintf(dst, n, "%s-%s%c-%s", reg->prefix, day, c, kind);
	return selector_taken(d, dst) ? -1 : 0;
}

/* owner_only - a directory of ours that others could enter is closed to them */
static int owner_only(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	if (st.st_uid == geteuid() && (st.st_mode & 077) != 0 && chmod(dir, 0700) < 0) {
		snprintf(err, errlen, "chmod %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_key(const struct domains *reg, const char *domain, const char *selector,
                     const char *pem, char *err, size_t errlen)
{
	char path[4096];

	if (key_path(reg, domain, NULL, path, sizeof(path)) < 0 ||
	    mkdir_p(path, 0700, err, errlen) < 0)
		return -1;
	if (owner_only(reg->key_dir, err, errlen) < 0 || owner_only(path, err, errlen) < 0)
		return -1;
	if (key_path(reg, domain, selector, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "key path too long");
		return -1;
	}
	struct stat st;
	if (lstat(path, &st) == 0) { /* never replace a key: it may be signing */
		snprintf(err, errlen, "key file %.300s exists; not overwritten", path);
		return -1;
	}
	return file_write_atomic(path, pem, strlen(pem), 0600, err, errlen);
}

static void remove_key_file(const struct domains *reg, const char *domain, const char *selector)
{
	char path[4096];

	if (key_path(reg, domain, selector, path, sizeof(path)) == 0 && unlink(path) < 0 &&
	    errno != ENOENT)
		log_warn("dkim key file not removed path=%s error=\"%s\"", path, strerror(errno));
}

/* mark k active and retire the active key of its algorithm (memory only) */
static void activate_mem(struct domains *reg, struct domain *d, struct dom_key *k, int64_t now)
{
	for (size_t i = 0; i < d->nkeys; i++) {
		struct dom_key *o = d->keys[i];
		if (o != k && o->alg == k->alg && o->state == KEY_ACTIVE) {
			o->state = KEY_RETIRING;
			o->retire_at = now + reg->grace;
		}
	}
	k->state = KEY_ACTIVE;
	k->activated_at = now;
}

static void to_store_key(const struct domain *d, const struct dom_key *k, struct store_dkim_key *sk)
{
	memset(sk, 0, sizeof(*sk));
	sk->id = k->id;
	sk->domain_id = d->id;
	strlcpy_(sk->selector, k->selector, sizeof(sk->selector));
	strlcpy_(sk->algorithm, dkim_alg_name(k->alg), sizeof(sk->algorithm));
	sk->state = k->state;
	sk->public_key = k->pub;
	sk->created_at = k->created_at;
	sk->activated_at = k->activated_at;
	sk->retire_at = k->retire_at;
}

/* write every key of d whose state may have changed */
static int store_keys(struct domains *reg, struct domain *d, char *err, size_t errlen)
{
	for (size_t i = 0; i < d->nkeys; i++) {
		struct store_dkim_key sk;
		to_store_key(d, d->keys[i], &sk);
		if (store_key_update(reg->st, &sk, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* build the two new keys of a job; NULL entries on failure (err filled) */
static int new_keys(struct genjob *j, struct domain *d, struct dom_key *out[2])
{
	int64_t now = (int64_t)time(NULL);

	memset(out, 0, 2 * sizeof(*out));
	for (int a = 0; a < 2; a++) {
		struct dom_key *k = xcalloc(1, sizeof(*k));
		char pub[DKIM_PUBB64_MAX];
		k->refs = 1;
		k->alg = both[a];
		k->state = KEY_PENDING;
		k->created_at = now;
		out[a] = k;
		if (make_selector(j->reg, d, both[a], k->selector, sizeof(k->selector)) < 0) {
			snprintf(j->err, sizeof(j->err),
			         "no selector left for today (%s): rotate again tomorrow",
			         k->selector);
			return -1;
		}
		if (a == 1 && strcmp(k->selector, out[0]->selector) == 0)
			return -1; /* cannot happen: the kinds differ */
		k->key = dkim_key_load(j->pem[a], strlen(j->pem[a]), both[a], j->err,
		                       sizeof(j->err));
		if (k->key == NULL || dkim_key_public_b64(k->key, pub, sizeof(pub)) < 0) {
			if (k->key)
				snprintf(j->err, sizeof(j->err), "public key too large");
			return -1;
		}
		k->pub = xstrdup(pub);
		if (write_key(j->reg, j->name, k->selector, j->pem[a], j->err, sizeof(j->err)) < 0)
			return -1;
		j->written[a] = true;
	}
	return 0;
}

struct key_state {
	enum store_key_state state;
	int64_t activated_at, retire_at;
};

static struct key_state *save_states(const struct domain *d)
{
	struct key_state *v = xcalloc(d->nkeys + 1, sizeof(*v));

	for (size_t i = 0; i < d->nkeys; i++)
		v[i] = (struct key_state){d->keys[i]->state, d->keys[i]->activated_at,
		                          d->keys[i]->retire_at};
	return v;
}

static void restore_states(struct domain *d, const struct key_state *v, size_t n)
{
	for (size_t i = 0; i < n && i < d->nkeys; i++) {
		d->keys[i]->state = v[i].state;
		d->keys[i]->activated_at = v[i].activated_at;
		d->keys[i]->retire_at = v[i].retire_at;
	}
}

/* store the new keys of a job (and the domain, for an add) in one transaction */
static int commit_keys(struct genjob *j, struct domain *d, bool fresh, struct dom_key *k[2])
{
	struct domains *reg = j->reg;
	int r;

	if (store_begin(reg->st, j->err, sizeof(j->err)) < 0)
		return -1;
	if (fresh) {
		struct store_domain sd;
		memset(&sd, 0, sizeof(sd));
		strlcpy_(sd.name, d->name, sizeof(sd.name));
		sd.subdomains = d->subdomains;
		if ((r = store_domain_insert(reg->st, &sd, j->err, sizeof(j->err))) != 0)
			goto fail;
		d->id = sd.id;
		d->created_at = sd.created_at;
	}
	for (int a = 0; a < 2; a++) {
		struct store_dkim_key sk;
		to_store_key(d, k[a], &sk);
		if ((r = store_key_insert(reg->st, &sk, j->err, sizeof(j->err))) != 0)
			goto fail;
		k[a]->id = sk.id;
	}
	if ((r = store_keys(reg, d, j->err, sizeof(j->err))) != 0 ||
	    (r = store_commit(reg->st, j->err, sizeof(j->err))) != 0)
		goto fail;
	return 0;
fail:
	store_rollback(reg->st);
	return r;
}

static void gen_done(void *arg)
{
	struct genjob *j = arg;
	struct domains *reg = j->reg;
	struct domain *d = htab_get(reg->by_name, j->name);
	struct dom_key *k[2] = {NULL, NULL};
	bool fresh = false;
	int r = j->r;

	if (r == 0 && j->add && d != NULL) {
		snprintf(j->err, sizeof(j->err), "domain %s exists", j->name);
		r = STORE_EXISTS;
	} else if (r == 0 && !j->add && d == NULL) {
		snprintf(j->err, sizeof(j->err), "domain %s was removed meanwhile", j->name);
		r = STORE_NOTFOUND;
	} else if (r == 0 && !j->add) {
		/* two rotations asked at once: the first one's keys are pending now */
		for (size_t i = 0; i < d->nkeys && r == 0; i++)
			if (d->keys[i]->state == KEY_PENDING) {
				snprintf(j->err, sizeof(j->err),
				         "key %s is still pending: a rotation is under way",
				         d->keys[i]->selector);
				r = STORE_EXISTS;
			}
	}
	if (r == 0 && j->add) {
		fresh = true;
		d = xcalloc(1, sizeof(*d));
		strlcpy_(d->name, j->name, sizeof(d->name));
		d->subdomains = j->subdomains;
	}
	if (r == 0 && new_keys(j, d, k) < 0)
		r = -1;
	if (r == 0) {
		size_t nold = d->nkeys;
		struct key_state *old = save_states(d);
		int64_t now = (int64_t)time(NULL);
		for (int a = 0; a < 2; a++) {
			add_key(d, k[a]);
			if (j->force)
				activate_mem(reg, d, k[a], now);
		}
		r = commit_keys(j, d, fresh, k);
		if (r != 0) {
			d->nkeys = nold;
			restore_states(d, old, nold);
		}
		free(old);
	}
	if (r != 0) {
		for (int a = 0; a < 2; a++)
			if (k[a]) {
				if (j->written[a])
					remove_key_file(reg, j->name, k[a]->selector);
				dom_key_unref(k[a]);
			}
		if (fresh)
			free_domain(d);
		log_err("dkim keys not created domain=%s error=\"%s\"", j->name, j->err);
		j->done(r, NULL, j->err, j->arg);
	} else {
		if (fresh)
			htab_put(reg->by_name, d->name, d);
		log_info("dkim keys created domain=%s selectors=%s,%s state=%s", d->name,
		         k[0]->selector, k[1]->selector, j->force ? "active" : "pending");
		j->done(0, d, NULL, j->arg);
	}
	for (int a = 0; a < 2; a++)
		if (j->pem[a])
			dkim_pem_free(j->pem[a]);
	free(j);
}

static void start_job(struct domains *reg, const char *name, bool add, bool subdomains, bool force,
                      domains_done_fn done, void *arg)
{
	struct genjob *j = xcalloc(1, sizeof(*j));

	j->reg = reg;
	strlcpy_(j->name, name, sizeof(j->name));
	j->add = add;
	j->subdomains = subdomains;
	j->force = force;
	j->done = done;
	j->arg = arg;
	workq_submit(reg->wq, gen_work, gen_done, j);
}

void domains_add(struct domains *reg, const char *name, bool subdomains, bool force,
                 domains_done_fn done, void *arg)
{
	start_job(reg, name, true, subdomains, force, done, arg);
}

void domains_rotate(struct domains *reg, struct domain *d, bool force, domains_done_fn done,
                    void *arg)
{
	start_job(reg, d->name, false, d->subdomains, force, done, arg);
}

int domains_activate(struct domains *reg, struct domain *d, struct dom_key *k, int64_t now,
                     char *err, size_t errlen)
{
	if (k->state != KEY_PENDING) {
		snprintf(err, errlen, "key %s is %s, not pending", k->selector,
		         store_key_state_name(k->state));
		return -1;
	}
	if (k->key == NULL) {
		snprintf(err, errlen, "key %s has no usable private key file", k->selector);
		return -1;
	}
	struct key_state *old = save_states(d);
	activate_mem(reg, d, k, now);
	if (store_begin(reg->st, err, errlen) == 0) {
		if (store_keys(reg, d, err, errlen) == 0 &&
		    store_commit(reg->st, err, errlen) == 0) {
			free(old);
			log_info("dkim key active domain=%s selector=%s algorithm=%s", d->name,
			         k->selector, dkim_alg_name(k->alg));
			return 0;
		}
		store_rollback(reg->st);
	}
	restore_states(d, old, d->nkeys);
	free(old);
	return -1;
}

int domains_set_subdomains(struct domains *reg, struct domain *d, bool on, char *err, size_t errlen)
{
	struct store_domain sd = {.id = d->id, .subdomains = on, .checked_at = d->checked_at};

	int r = store_domain_update(reg->st, &sd, err, errlen);
	if (r == 0)
		d->subdomains = on;
	return r;
}

int domains_set_checked(struct domains *reg, struct domain *d, int64_t when, char *err,
                        size_t errlen)
{
	struct store_domain sd = {.id = d->id, .subdomains = d->subdomains, .checked_at = when};

	int r = store_domain_update(reg->st, &sd, err, errlen);
	if (r == 0)
		d->checked_at = when;
	return r;
}

int domains_remove(struct domains *reg, struct domain *d, char *err, size_t errlen)
{
	char path[4096];
	int r = store_domain_delete(reg->st, d->id, err, errlen);

	if (r != 0)
		return r;
	for (size_t i = 0; i < d->nkeys; i++)
		remove_key_file(reg, d->name, d->keys[i]->selector);
	if (key_path(reg, d->name, NULL, path, sizeof(path)) == 0 && rmdir(path) < 0 &&
	    errno != ENOENT)
		log_warn("dkim key directory not removed path=%s error=\"%s\"", path,
		         strerror(errno));
	htab_del(reg->by_name, d->name);
	log_info("domain removed domain=%s", d->name);
	free_domain(d);
	return 0;
}

static void tick_one(const char *key, void *value, void *arg)
{
	struct domains *reg = ((void **)arg)[0];
	int64_t now = *(int64_t *)((void **)arg)[1];
	struct domain *d = value;
	char err[512];

	for (size_t i = 0; i < d->nkeys; i++) {
		struct dom_key *k = d->keys[i];
		if (k->state != KEY_RETIRING || now < k->retire_at)
			continue;
		k->state = KEY_RETIRED;
		struct store_dkim_key sk;
		to_store_key(d, k, &sk);
		if (store_key_update(reg->st, &sk, err, sizeof(err)) != 0) {
			k->state = KEY_RETIRING;
			log_err("dkim key not retired domain=%s selector=%s error=\"%s\"", d->name,
			        k->selector, err);
			continue;
		}
		/* nothing signs with it any more; a job still holding it keeps it loaded */
		if (k->refs == 1) {
			dkim_key_free(k->key);
			k->key = NULL;
		}
		log_info("dkim key retired domain=%s selector=%s note=\"its DNS record may now be "
		         "removed\"",
		         d->name, k->selector);
	}
}

void domains_tick(struct domains *reg, int64_t now)
{
	void *arg[2] = {reg, &now};

	htab_foreach(reg->by_name, tick_one, arg);
}
