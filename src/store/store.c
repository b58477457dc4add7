/* store.c - the store interface, dispatching to the configured back end. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct store {
	const struct store_backend *be;
	void *impl;
};

void store_source_release(struct store_source *s)
{
	for (size_t i = 0; i < s->nnetworks; i++)
		free(s->networks[i]);
	free(s->networks);
	s->networks = NULL;
	s->nnetworks = 0;
}

void store_cred_release(struct store_cred *c)
{
	free(c->secret_hash);
	c->secret_hash = NULL;
}

void store_key_release(struct store_dkim_key *k)
{
	free(k->public_key);
	k->public_key = NULL;
}

static const char *const key_states[] = {"pending", "active", "retiring", "retired"};

const char *store_key_state_name(enum store_key_state s)
{
	return (size_t)s < sizeof(key_states) / sizeof(key_states[0]) ? key_states[s] : "?";
}

int store_key_state_parse(const char *s, enum store_key_state *out)
{
	for (size_t i = 0; i < sizeof(key_states) / sizeof(key_states[0]); i++)
		if (strcmp(s, key_states[i]) == 0) {
			*out = (enum store_key_state)i;
			return 0;
		}
	return -1;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	const struct store_backend *be = &store_sqlite_backend;
	void *impl = be->open(path, err, errlen);

	if (impl == NULL)
		return NULL;
	struct store *st = xcalloc(1, sizeof(*st));
	st->be = be;
	st->impl = impl;
	return st;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->be->close(st->impl);
	free(st);
}

int store_begin(struct store *st, char *err, size_t errlen)
{
	return st->be->exec(st->impl, "BEGIN IMMEDIATE", err, errlen);
}

int store_commit(struct store *st, char *err, size_t errlen)
{
	return st->be->exec(st->impl, "COMMIT", err, errlen);
}

void store_rollback(struct store *st)
{
	char err[128];

	st->be->exec(st->impl, "ROLLBACK", err, sizeof(err));
}

int store_source_insert(struct store *st, struct store_source *s, char *err, size_t errlen)
{
	return st->be->source_insert(st->impl, s, err, errlen);
}

int store_source_update(struct store *st, struct store_source *s, char *err, size_t errlen)
{
	return st->be->source_update(st->impl, s, err, errlen);
}

int store_source_delete(struct store *st, int64_t id, char *err, size_t errlen)
{
	return st->be->source_delete(st->impl, id, err, errlen);
}

int store_cred_put(struct store *st, struct store_cred *c, char *err, size_t errlen)
{
	return st->be->cred_put(st->impl, c, err, errlen);
}

int store_cred_delete(struct store *st, int64_t id, char *err, size_t errlen)
{
	return st->be->cred_delete(st->impl, id, err, errlen);
}

int store_sources_each(struct store *st, store_source_fn fn, void *arg, char *err, size_t errlen)
{
	return st->be->sources_each(st->impl, fn, arg, err, errlen);
}

int store_creds_each(struct store *st, store_cred_fn fn, void *arg, char *err, size_t errlen)
{
	return st->be->creds_each(st->impl, fn, arg, err, errlen);
}

int store_events_insert(struct store *st, const struct store_event *list, char *err, size_t errlen)
{
	return st->be->events_insert(st->impl, list, err, errlen);
}

int store_identity_insert(struct store *st, struct store_identity *i, char *err, size_t errlen)
{
	return st->be->identity_insert(st->impl, i, err, errlen);
}

int store_identity_delete(struct store *st, int64_t id, char *err, size_t errlen)
{
	return st->be->identity_delete(st->impl, id, err, errlen);
}

int store_identities_each(struct store *st, store_identity_fn fn, void *arg, char *err,
                          size_t errlen)
{
	return st->be->identities_each(st->impl, fn, arg, err, errlen);
}

int store_domain_insert(struct store *st, struct store_domain *d, char *err, size_t errlen)
{
	return st->be->domain_insert(st->impl, d, err, errlen);
}

int store_domain_update(struct store *st, const struct store_domain *d, char *err, size_t errlen)
{
	return st->be->domain_update(st->impl, d, err, errlen);
}

int store_domain_delete(struct store *st, int64_t id, char *err, size_t errlen)
{
	return st->be->domain_delete(st->impl, id, err, errlen);
}

int store_domains_each(struct store *st, store_domain_fn fn, void *arg, char *err, size_t errlen)
{
	return st->be->domains_each(st->impl, fn, arg, err, errlen);
}

int store_key_insert(struct store *st, struct store_dkim_key *k, char *err, size_t errlen)
{
	return st->be->key_insert(st->impl, k, err, errlen);
}

int store_key_update(struct store *st, const struct store_dkim_key *k, char *err, size_t errlen)
{
	return st->be->key_update(st->impl, k, err, errlen);
}

int store_keys_each(struct store *st, store_key_fn fn, void *arg, char *err, size_t errlen)
{
	return st->be->keys_each(st->impl, fn, arg, err, errlen);
}

int store_cred_touch(struct store *st, int64_t id, int64_t t, char *err, size_t errlen)
{
	return st->be->cred_touch(st->impl, id, t, err, errlen);
}

int store_counter_put(struct store *st, const struct store_counter *c, char *err, size_t errlen)
{
	return st->be->counter_put(st->impl, c, err, errlen);
}

int store_counters_each(struct store *st, store_counter_fn fn, void *arg, char *err, size_t errlen)
{
	return st->be->counters_each(st->impl, fn, arg, err, errlen);
}

int store_audit_insert(struct store *st, struct store_audit *a, char *err, size_t errlen)
{
	return st->be->audit_insert(st->impl, a, err, errlen);
}

int store_audit_each(struct store *st, int64_t before_id, size_t limit, store_audit_fn fn,
                     void *arg, char *err, size_t errlen)
{
	return st->be->audit_each(st->impl, before_id, limit, fn, arg, err, errlen);
}

int store_events_search(struct store *st, const struct store_event_query *q, store_event_row_fn fn,
                        void *arg, char *err, size_t errlen)
{
	return st->be->events_search(st->impl, q, fn, arg, err, errlen);
}

int store_events_stats(struct store *st, const char *source, int64_t since_ms, int64_t until_ms,
                       store_stat_fn fn, void *arg, char *err, size_t errlen)
{
	return st->be->events_stats(st->impl, source, since_ms, until_ms, fn, arg, err, errlen);
}

int store_events_prune(struct store *st, int64_t before_ms, size_t max, size_t *n, char *err,
                       size_t errlen)
{
	return st->be->events_prune(st->impl, before_ms, max, n, err, errlen);
}

int store_idem_get(struct store *st, int64_t source_id, const char *key, struct store_idem *out,
                   char *err, size_t errlen)
{
	return st->be->idem_get(st->impl, source_id, key, out, err, errlen);
}

int store_idem_put(struct store *st, const struct store_idem *r, char *err, size_t errlen)
{
	return st->be->idem_put(st->impl, r, err, errlen);
}

int store_idem_prune(struct store *st, int64_t before, char *err, size_t errlen)
{
	return st->be->idem_prune(st->impl, before, err, errlen);
}

int store_admin_put(struct store *st, const struct store_admin *a, bool create, char *err,
                    size_t errlen)
{
	return st->be->admin_put(st->impl, a, create, err, errlen);
}

int store_admin_get(struct store *st, const char *name, struct store_admin *out, char *err,
                    size_t errlen)
{
	return st->be->admin_get(st->impl, name, out, err, errlen);
}

int store_admin_delete(struct store *st, const char *name, char *err, size_t errlen)
{
	return st->be->admin_delete(st->impl, name, err, errlen);
}

int store_admin_touch(struct store *st, const char *name, int64_t t_ms, char *err, size_t errlen)
{
	return st->be->admin_touch(st->impl, name, t_ms, err, errlen);
}

int store_admins_each(struct store *st, store_admin_fn fn, void *arg, char *err, size_t errlen)
{
	return st->be->admins_each(st->impl, fn, arg, err, errlen);
}

int store_events_series(struct store *st, const char *source, int64_t since_ms, int64_t until_ms,
                        int64_t step_ms, store_series_fn fn, void *arg, char *err, size_t errlen)
{
	return st->be->events_series(st->impl, source, since_ms, until_ms, step_ms, fn, arg, err,
	                             errlen);
}

int store_suppression_put(struct store *st, const struct store_suppression *e, bool replace,
                          char *err, size_t errlen)
{
	return st->be->supp_put(st->impl, e, replace, err, errlen);
}

int store_suppression_delete(struct store *st, const char *address, const char *scope, size_t *n,
                             char *err, size_t errlen)
{
	return st->be->supp_delete(st->impl, address, scope, n, err, errlen);
}

int store_suppression_find(struct store *st, const char *address, const char *domain_key,
                           const char *stream, struct store_suppression *out, char *err,
                           size_t errlen)
{
	return st->be->supp_find(st->impl, address, domain_key, stream, out, err, errlen);
}

int store_suppressions_each(struct store *st, const struct store_supp_query *q, store_supp_fn fn,
                            void *arg, char *err, size_t errlen)
{
	return st->be->supp_each(st->impl, q, fn, arg, err, errlen);
}
