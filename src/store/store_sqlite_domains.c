/*
 * store_sqlite_domains.c - the SQLite back end for approved identities,
 * signing domains and their DKIM keys (schema 3 in store_sqlite.c).
 *
 * Private keys are not here: they are files under the state directory,
 * owner-only (policy/domains.c). The store keeps what may be shown: the
 * selector, the algorithm, the state and the public key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_sqlite.h"
#include "strutil.h"
#include "xmalloc.h"

int sq_identity_insert(void *impl, struct store_identity *i, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	i->created_at = (int64_t)time(NULL);
	if (sqlite3_prepare_v2(q->db,
	                       "INSERT INTO identities (source_id, action, envelope, header_from, "
	                       "created_at) VALUES (?, ?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "insert identity", err, errlen);
	sqlite3_bind_int64(st, 1, i->source_id);
	sqlite3_bind_text(st, 2, i->deny ? "deny" : "allow", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, i->envelope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, i->header_from, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, i->created_at);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT) {
		snprintf(err, errlen, "that rule exists");
		return STORE_EXISTS;
	}
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "insert identity", err, errlen);
	i->id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_identity_delete(void *impl, int64_t id, char *err, size_t errlen)
{
	return sq_delete_by_id(impl, "DELETE FROM identities WHERE id = ?", id, err, errlen);
}

int sq_identities_each(void *impl, store_identity_fn fn, void *arg, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(q->db,
	                       "SELECT id, source_id, action, envelope, header_from, created_at "
	                       "FROM identities ORDER BY id",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "list identities", err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_identity i;
		memset(&i, 0, sizeof(i));
		i.id = sqlite3_column_int64(st, 0);
		i.source_id = sqlite3_column_int64(st, 1);
		i.deny = strcmp(sq_text(st, 2), "deny") == 0;
		strlcpy_(i.envelope, sq_text(st, 3), sizeof(i.envelope));
		strlcpy_(i.header_from, sq_text(st, 4), sizeof(i.header_from));
		i.created_at = sqlite3_column_int64(st, 5);
		fn(&i, arg);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "list identities", err, errlen);
	return 0;
}

int sq_domain_insert(void *impl, struct store_domain *d, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	d->created_at = (int64_t)time(NULL);
	if (sqlite3_prepare_v2(q->db,
	                       "INSERT INTO domains (name, subdomains, created_at, checked_at) "
	                       "VALUES (?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "insert domain", err, errlen);
	sqlite3_bind_text(st, 1, d->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, d->subdomains);
	sqlite3_bind_int64(st, 3, d->created_at);
	sqlite3_bind_int64(st, 4, d->checked_at);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT) {
		snprintf(err, errlen, "domain %s exists", d->name);
		return STORE_EXISTS;
	}
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "insert domain", err, errlen);
	d->id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_domain_update(void *impl, const struct store_domain *d, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db,
	                       "UPDATE domains SET subdomains = ?, checked_at = ? WHERE id = ?", -1,
	                       &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "update domain", err, errlen);
	sqlite3_bind_int(st, 1, d->subdomains);
	sqlite3_bind_int64(st, 2, d->checked_at);
	sqlite3_bind_int64(st, 3, d->id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "update domain", err, errlen);
	if (sqlite3_changes(q->db) == 0) {
		snprintf(err, errlen, "no such domain");
		return STORE_NOTFOUND;
	}
	return 0;
}

int sq_domain_delete(void *impl, int64_t id, char *err, size_t errlen)
{
	return sq_delete_by_id(impl, "DELETE FROM domains WHERE id = ?", id, err, errlen);
}

int sq_domains_each(void *impl, store_domain_fn fn, void *arg, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(q->db,
	                       "SELECT id, name, subdomains, created_at, checked_at FROM domains "
	                       "ORDER BY name",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "list domains", err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_domain d;
		memset(&d, 0, sizeof(d));
		d.id = sqlite3_column_int64(st, 0);
		strlcpy_(d.name, sq_text(st, 1), sizeof(d.name));
		d.subdomains = sqlite3_column_int(st, 2) != 0;
		d.created_at = sqlite3_column_int64(st, 3);
		d.checked_at = sqlite3_column_int64(st, 4);
		fn(&d, arg);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "list domains", err, errlen);
	return 0;
}

int sq_key_insert(void *impl, struct store_dkim_key *k, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db,
	                       "INSERT INTO dkim_keys (domain_id, selector, algorithm, state, "
	                       "public_key, created_at, activated_at, retire_at) "
	                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "insert key", err, errlen);
	sqlite3_bind_int64(st, 1, k->domain_id);
	sqlite3_bind_text(st, 2, k->selector, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, k->algorithm, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, store_key_state_name(k->state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, k->public_key ? k->public_key : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, k->created_at);
	sqlite3_bind_int64(st, 7, k->activated_at);
	sqlite3_bind_int64(st, 8, k->retire_at);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT) {
		snprintf(err, errlen, "selector %s exists", k->selector);
		return STORE_EXISTS;
	}
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "insert key", err, errlen);
	k->id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_key_update(void *impl, const struct store_dkim_key *k, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db,
	                       "UPDATE dkim_keys SET state = ?, activated_at = ?, retire_at = ? "
	                       "WHERE id = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "update key", err, errlen);
	sqlite3_bind_text(st, 1, store_key_state_name(k->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, k->activated_at);
	sqlite3_bind_int64(st, 3, k->retire_at);
	sqlite3_bind_int64(st, 4, k->id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "update key", err, errlen);
	if (sqlite3_changes(q->db) == 0) {
		snprintf(err, errlen, "no such key");
		return STORE_NOTFOUND;
	}
	return 0;
}

int sq_keys_each(void *impl, store_key_fn fn, void *arg, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(q->db,
	                       "SELECT id, domain_id, selector, algorithm, state, public_key, "
	                       "created_at, activated_at, retire_at FROM dkim_keys ORDER BY id",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "list keys", err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_dkim_key k;
		memset(&k, 0, sizeof(k));
		k.id = sqlite3_column_int64(st, 0);
		k.domain_id = sqlite3_column_int64(st, 1);
		strlcpy_(k.selector, sq_text(st, 2), sizeof(k.selector));
		strlcpy_(k.algorithm, sq_text(st, 3), sizeof(k.algorithm));
		if (store_key_state_parse(sq_text(st, 4), &k.state) < 0)
			k.state = KEY_RETIRED;
		k.public_key = (char *)sq_text(st, 5); /* borrowed for the call */
		k.created_at = sqlite3_column_int64(st, 6);
		k.activated_at = sqlite3_column_int64(st, 7);
		k.retire_at = sqlite3_column_int64(st, 8);
		fn(&k, arg);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "list keys", err, errlen);
	return 0;
}
