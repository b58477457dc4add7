/*
 * store_sqlite_events.c - the SQLite back end's event log: batched inserts,
 * searches (newest first, paged by id), counts for statistics, and pruning
 * in small batches.
 *
 * Searches are built from fixed SQL fragments; every value the caller gives
 * is bound, never spliced into the text.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "store_sqlite.h"

int sq_events_insert(void *impl, const struct store_event *list, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	if (sqlite3_exec(q->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(q->db, "begin events", err, errlen);
	if (sqlite3_prepare_v2(q->db,
	                       "INSERT INTO events (ts, msg, source, type, sender, rcpt, dsn, "
	                       "detail, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK) {
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return sq_fail(q->db, "insert events", err, errlen);
	}
	for (const struct store_event *e = list; e; e = e->next) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)e->ts_ms);
		sqlite3_bind_text(st, 2, e->msg, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, e->source ? e->source : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, e->type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, e->sender ? e->sender : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, e->rcpt ? e->rcpt : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, e->dsn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, e->detail ? e->detail : "{}", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, e->reason, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
			return sq_fail(q->db, "insert event", err, errlen);
		}
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return sq_fail(q->db, "commit events", err, errlen);
	}
	return 0;
}

/* a condition with one text value to bind */
struct cond {
	const char *sql;
	const char *text;
	int64_t num;
	bool is_num;
};

int sq_events_search(void *impl, const struct store_event_query *qy, store_event_row_fn fn,
                     void *arg, char *err, size_t errlen)
{
	struct sq *q = impl;
	struct cond c[9];
	size_t n = 0;
	struct buf sql;
	sqlite3_stmt *st;
	int rc;

	if (qy->msg)
		c[n++] = (struct cond){"msg = ?", qy->msg, 0, false};
	if (qy->source)
		c[n++] = (struct cond){"source = ?", qy->source, 0, false};
	if (qy->type)
		c[n++] = (struct cond){"type = ?", qy->type, 0, false};
	if (qy->sender)
		c[n++] = (struct cond){"sender = ? COLLATE NOCASE", qy->sender, 0, false};
	if (qy->rcpt)
		c[n++] = (struct cond){"rcpt = ? COLLATE NOCASE", qy->rcpt, 0, false};
	if (qy->since_ms)
		c[n++] = (struct cond){"ts >= ?", NULL, qy->since_ms, true};
	if (qy->until_ms)
		c[n++] = (struct cond){"ts < ?", NULL, qy->until_ms, true};
	if (qy->before_id)
		c[n++] = (struct cond){"id < ?", NULL, qy->before_id, true};
	buf_init(&sql);
	buf_puts(&sql, "SELECT id, ts, msg, source, type, sender, rcpt, dsn, reason, detail "
	               "FROM events");
	for (size_t i = 0; i < n; i++)
		buf_printf(&sql, "%s%s", i == 0 ? " WHERE " : " AND ", c[i].sql);
	buf_puts(&sql, " ORDER BY id DESC LIMIT ?");
	rc = sqlite3_prepare_v2(q->db, sql.data, -1, &st, NULL);
	buf_release(&sql);
	if (rc != SQLITE_OK)
		return sq_fail(q->db, "search events", err, errlen);
	for (size_t i = 0; i < n; i++) {
		if (c[i].is_num)
			sqlite3_bind_int64(st, (int)i + 1, c[i].num);
		else
			sqlite3_bind_text(st, (int)i + 1, c[i].text, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, (int)n + 1, (sqlite3_int64)qy->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_event_row r = {
		        .id = sqlite3_column_int64(st, 0),
		        .ts_ms = sqlite3_column_int64(st, 1),
		        .msg = sq_text(st, 2),
		        .source = sq_text(st, 3),
		        .type = sq_text(st, 4),
		        .sender = sq_text(st, 5),
		        .rcpt = sq_text(st, 6),
		        .dsn = sq_text(st, 7),
		        .reason = sq_text(st, 8),
		        .detail = sq_text(st, 9),
		};
		fn(&r, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, "search events", err, errlen);
}

int sq_events_stats(void *impl, const char *source, int64_t since_ms, int64_t until_ms,
                    store_stat_fn fn, void *arg, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(q->db,
	                       "SELECT source, type, reason, count(*) FROM events "
	                       "WHERE ts >= ?1 AND (?2 = 0 OR ts < ?2) AND (?3 IS NULL OR "
	                       "source = ?3) GROUP BY source, type, reason "
	                       "ORDER BY source, type, reason",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "count events", err, errlen);
	sqlite3_bind_int64(st, 1, since_ms);
	sqlite3_bind_int64(st, 2, until_ms);
	if (source)
		sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_stat_row r = {sq_text(st, 0), sq_text(st, 1), sq_text(st, 2),
		                           sqlite3_column_int64(st, 3)};
		fn(&r, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, "count events", err, errlen);
}

int sq_events_prune(void *impl, int64_t before_ms, size_t max, size_t *n, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	*n = 0;
	/* oldest ids first: the ts index finds them without a scan */
	if (sqlite3_prepare_v2(q->db,
	                       "DELETE FROM events WHERE id IN (SELECT id FROM events "
	                       "WHERE ts < ? ORDER BY ts LIMIT ?)",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "prune events", err, errlen);
	sqlite3_bind_int64(st, 1, before_ms);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "prune events", err, errlen);
	*n = (size_t)sqlite3_changes(q->db);
	return 0;
}
