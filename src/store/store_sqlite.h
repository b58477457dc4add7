/*
 * store_sqlite.h - what the files of the SQLite back end share (internal to
 * src/store): the handle, error reporting, and the back end's entries for
 * identities, domains and keys (store_sqlite_domains.c).
 */
#ifndef POSTERN_STORE_SQLITE_H
#define POSTERN_STORE_SQLITE_H

#include <sqlite3.h>

#include "store.h"

struct sq {
	sqlite3 *db;
	sqlite3_stmt *supp_find; /* prepared once: asked for every recipient */
};

/* sq_fail - fill err with what and SQLite's message; returns -1 */
int sq_fail(sqlite3 *db, const char *what, char *err, size_t errlen);
/* sq_text - column i as text, "" for NULL; valid until the next step */
const char *sq_text(sqlite3_stmt *st, int i);
/* sq_delete_by_id - run sql (one "?" for id); STORE_NOTFOUND if no row went */
int sq_delete_by_id(struct sq *q, const char *sql, int64_t id, char *err, size_t errlen);

int sq_identity_insert(void *impl, struct store_identity *i, char *err, size_t errlen);
int sq_identity_delete(void *impl, int64_t id, char *err, size_t errlen);
int sq_identities_each(void *impl, store_identity_fn fn, void *arg, char *err, size_t errlen);
int sq_domain_insert(void *impl, struct store_domain *d, char *err, size_t errlen);
int sq_domain_update(void *impl, const struct store_domain *d, char *err, size_t errlen);
int sq_domain_delete(void *impl, int64_t id, char *err, size_t errlen);
int sq_domains_each(void *impl, store_domain_fn fn, void *arg, char *err, size_t errlen);
int sq_key_insert(void *impl, struct store_dkim_key *k, char *err, size_t errlen);
int sq_key_update(void *impl, const struct store_dkim_key *k, char *err, size_t errlen);
int sq_keys_each(void *impl, store_key_fn fn, void *arg, char *err, size_t errlen);
/* store_sqlite_supp.c: the suppression list */
int sq_supp_put(void *impl, const struct store_suppression *e, bool replace, char *err,
                size_t errlen);
int sq_supp_delete(void *impl, const char *address, const char *scope, size_t *n, char *err,
                   size_t errlen);
int sq_supp_find(void *impl, const char *address, const char *domain_key, const char *stream,
                 struct store_suppression *out, char *err, size_t errlen);
int sq_supp_each(void *impl, const struct store_supp_query *qy, store_supp_fn fn, void *arg,
                 char *err, size_t errlen);
/* store_sqlite_admin.c: credential use, rate counters, the audit log */
int sq_cred_touch(void *impl, int64_t id, int64_t t, char *err, size_t errlen);
int sq_counter_put(void *impl, const struct store_counter *c, char *err, size_t errlen);
int sq_counters_each(void *impl, store_counter_fn fn, void *arg, char *err, size_t errlen);
int sq_audit_insert(void *impl, struct store_audit *a, char *err, size_t errlen);
int sq_audit_each(void *impl, int64_t before_id, size_t limit, store_audit_fn fn, void *arg,
                  char *err, size_t errlen);
int sq_idem_get(void *impl, int64_t source_id, const char *key, struct store_idem *out, char *err,
                size_t errlen);
int sq_idem_put(void *impl, const struct store_idem *r, char *err, size_t errlen);
int sq_idem_prune(void *impl, int64_t before, char *err, size_t errlen);
/* store_sqlite_console.c: console administrators, per-minute event counts */
int sq_admin_put(void *impl, const struct store_admin *a, bool create, char *err, size_t errlen);
int sq_admin_get(void *impl, const char *name, struct store_admin *out, char *err, size_t errlen);
int sq_admin_delete(void *impl, const char *name, char *err, size_t errlen);
int sq_admin_touch(void *impl, const char *name, int64_t t, char *err, size_t errlen);
int sq_admins_each(void *impl, store_admin_fn fn, void *arg, char *err, size_t errlen);
int sq_events_series(void *impl, const char *source, int64_t since_ms, int64_t until_ms,
                     int64_t step_ms, store_series_fn fn, void *arg, char *err, size_t errlen);
/* store_sqlite_events.c: the event log */
int sq_events_insert(void *impl, const struct store_event *list, char *err, size_t errlen);
int sq_events_search(void *impl, const struct store_event_query *q, store_event_row_fn fn,
                     void *arg, char *err, size_t errlen);
int sq_events_stats(void *impl, const char *source, int64_t since_ms, int64_t until_ms,
                    store_stat_fn fn, void *arg, char *err, size_t errlen);
int sq_events_prune(void *impl, int64_t before_ms, size_t max, size_t *n, char *err, size_t errlen);

#endif
