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

#endif
