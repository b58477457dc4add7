/*
 * store_sqlite_supp.c - the suppression list in SQLite: one row per
 * (address, scope), a WITHOUT ROWID table whose primary key is the index
 * every lookup uses. The lookup runs for every recipient of every message,
 * so its statement is prepared once and kept (struct sq).
 */
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"
#include "strutil.h"

static void bind_entry(sqlite3_stmt *st, const struct store_suppression *e)
{
	sqlite3_bind_text(st, 1, e->address, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, e->created_at);
	sqlite3_bind_text(st, 5, e->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, e->detail, -1, SQLITE_STATIC);
}

static void read_entry(sqlite3_stmt *st, struct store_suppression *e)
{
	memset(e, 0, sizeof(*e));
	strlcpy_(e->address, sq_text(st, 0), sizeof(e->address));
	strlcpy_(e->scope, sq_text(st, 1), sizeof(e->scope));
	strlcpy_(e->reason, sq_text(st, 2), sizeof(e->reason));
	e->created_at = sqlite3_column_int64(st, 3);
	strlcpy_(e->origin, sq_text(st, 4), sizeof(e->origin));
	strlcpy_(e->source, sq_text(st, 5), sizeof(e->source));
	strlcpy_(e->detail, sq_text(st, 6), sizeof(e->detail));
}

int sq_supp_put(void *impl, const struct store_suppression *e, bool replace, char *err,
                size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	const char *sql = replace ? "INSERT OR REPLACE INTO suppressions (address, scope, reason, "
	                            "created_at, origin, source, detail) VALUES (?,?,?,?,?,?,?)"
	                          : "INSERT OR IGNORE INTO suppressions (address, scope, reason, "
	                            "created_at, origin, source, detail) VALUES (?,?,?,?,?,?,?)";

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "add suppression", err, errlen);
	bind_entry(st, e);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "add suppression", err, errlen);
	if (!replace && sqlite3_changes(q->db) == 0) {
		snprintf(err, errlen, "%s is already suppressed in %s", e->address, e->scope);
		return STORE_EXISTS;
	}
	return 0;
}

int sq_supp_delete(void *impl, const char *address, const char *scope, size_t *n, char *err,
                   size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	bool any = scope == NULL || scope[0] == '\0';

	*n = 0;
	if (sqlite3_prepare_v2(q->db,
	                       any ? "DELETE FROM suppressions WHERE address = ?"
	                           : "DELETE FROM suppressions WHERE address = ? AND scope = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "remove suppression", err, errlen);
	sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
	if (!any)
		sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "remove suppression", err, errlen);
	*n = (size_t)sqlite3_changes(q->db);
	if (*n == 0) {
		snprintf(err, errlen, "%s is not suppressed%s%s", address, any ? "" : " in ",
		         any ? "" : scope);
		return STORE_NOTFOUND;
	}
	return 0;
}

int sq_supp_find(void *impl, const char *address, const char *domain_key, const char *stream,
                 struct store_suppression *out, char *err, size_t errlen)
{
	struct sq *q = impl;

	/* four primary-key probes at most: (address | @domain) x (stream | domain) */
	if (q->supp_find == NULL &&
	    sqlite3_prepare_v2(q->db,
	                       "SELECT address, scope, reason, created_at, origin, source, detail "
	                       "FROM suppressions WHERE address IN (?1, ?2) AND scope IN (?3, "
	                       "'domain') LIMIT 1",
	                       -1, &q->supp_find, NULL) != SQLITE_OK)
		return sq_fail(q->db, "find suppression", err, errlen);
	sqlite3_stmt *st = q->supp_find;
	sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, domain_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, stream, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_entry(st, out);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? STORE_NOTFOUND : sq_fail(q->db, "find suppression", err, errlen);
}

int sq_supp_each(void *impl, const struct store_supp_query *qy, store_supp_fn fn, void *arg,
                 char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	char sql[512];

	snprintf(sql, sizeof(sql),
	         "SELECT address, scope, reason, created_at, origin, source, detail "
	         "FROM suppressions WHERE (?1 = '' OR address = ?1) AND (?2 = '' OR scope = ?2) "
	         "AND (?3 = '' OR reason = ?3) AND (?4 = '' OR (address, scope) > (?4, ?5)) "
	         "ORDER BY address, scope%s",
	         qy->limit ? " LIMIT ?6" : "");
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "list suppressions", err, errlen);
	sqlite3_bind_text(st, 1, qy->address ? qy->address : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, qy->scope ? qy->scope : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, qy->reason ? qy->reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, qy->after_address ? qy->after_address : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, qy->after_scope ? qy->after_scope : "", -1, SQLITE_STATIC);
	if (qy->limit)
		sqlite3_bind_int64(st, 6, (sqlite3_int64)qy->limit);
	int rc;
	struct store_suppression e;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_entry(st, &e);
		fn(&e, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, "list suppressions", err, errlen);
}
