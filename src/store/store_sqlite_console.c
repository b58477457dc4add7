/*
 * store_sqlite_console.c - the SQLite back end's console administrators
 * (names and Argon2id strings) and the per-minute counts of events the
 * console's charts draw.
 */
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"
#include "strutil.h"

static void admin_row(sqlite3_stmt *st, struct store_admin *a)
{
	memset(a, 0, sizeof(*a));
	strlcpy_(a->name, (const char *)sqlite3_column_text(st, 0), sizeof(a->name));
	strlcpy_(a->secret_hash, (const char *)sqlite3_column_text(st, 1), sizeof(a->secret_hash));
	a->created_ms = sqlite3_column_int64(st, 2);
	a->updated_ms = sqlite3_column_int64(st, 3);
	a->last_login_ms = sqlite3_column_int64(st, 4);
}

int sq_admin_put(void *impl, const struct store_admin *a, bool create, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	const char *sql = create ? "INSERT INTO admins (name, secret_hash, created_at, updated_at) "
	                           "VALUES (?, ?, ?, ?)"
	                         : "UPDATE admins SET secret_hash = ?2, updated_at = ?4 "
	                           "WHERE name = ?1";

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "store administrator", err, errlen);
	sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->secret_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, a->created_ms);
	sqlite3_bind_int64(st, 4, a->updated_ms);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return STORE_EXISTS;
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "store administrator", err, errlen);
	return !create && sqlite3_changes(q->db) == 0 ? STORE_NOTFOUND : 0;
}

int sq_admin_get(void *impl, const char *name, struct store_admin *out, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db,
	                       "SELECT name, secret_hash, created_at, updated_at, last_login_at "
	                       "FROM admins WHERE name = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "read administrator", err, errlen);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		admin_row(st, out);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? STORE_NOTFOUND
	                         : sq_fail(q->db, "read administrator", err, errlen);
}

int sq_admin_delete(void *impl, const char *name, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db, "DELETE FROM admins WHERE name = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return sq_fail(q->db, "remove administrator", err, errlen);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "remove administrator", err, errlen);
	return sqlite3_changes(q->db) == 0 ? STORE_NOTFOUND : 0;
}

int sq_admin_touch(void *impl, const char *name, int64_t t, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db, "UPDATE admins SET last_login_at = ? WHERE name = ?", -1, &st,
	                       NULL) != SQLITE_OK)
		return sq_fail(q->db, "record login", err, errlen);
	sqlite3_bind_int64(st, 1, t);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, "record login", err, errlen);
}

int sq_admins_each(void *impl, store_admin_fn fn, void *arg, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(q->db,
	                       "SELECT name, secret_hash, created_at, updated_at, last_login_at "
	                       "FROM admins ORDER BY name",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "list administrators", err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_admin a;
		admin_row(st, &a);
		fn(&a, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, "list administrators", err, errlen);
}

int sq_events_series(void *impl, const char *source, int64_t since_ms, int64_t until_ms,
                     int64_t step_ms, store_series_fn fn, void *arg, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	int rc;

	if (step_ms <= 0)
		step_ms = 60000;
	if (sqlite3_prepare_v2(q->db,
	                       "SELECT (ts - ?1) / ?3 AS b, type, count(*) FROM events "
	                       "WHERE ts >= ?1 AND ts < ?2 AND (?4 = '' OR source = ?4) "
	                       "GROUP BY b, type ORDER BY b",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "event series", err, errlen);
	sqlite3_bind_int64(st, 1, since_ms);
	sqlite3_bind_int64(st, 2, until_ms);
	sqlite3_bind_int64(st, 3, step_ms);
	sqlite3_bind_text(st, 4, source ? source : "", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		   sqlite3_column_int64(st, 2), arg);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, "event series", err, errlen);
}
