/*
 * store_sqlite_admin.c - the SQLite back end's credential use times, the
 * rate counters of sources, the audit log of administrative actions, and the
 * answers kept for idempotency keys.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"
#include "strutil.h"
#include "xmalloc.h"

int sq_cred_touch(void *impl, int64_t id, int64_t t, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db, "UPDATE credentials SET last_used_at = ? WHERE id = ?", -1,
	                       &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "record credential use", err, errlen);
	sqlite3_bind_int64(st, 1, t);
	sqlite3_bind_int64(st, 2, id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, "record credential use", err, errlen);
}

/* the buckets as text: "3,0,0,1,..." */
static void buckets_text(const struct store_counter *c, char *out, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < STORE_COUNTER_BUCKETS && o < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%lld", i ? "," : "",
		                      (long long)c->buckets[i]);
}

/* the text back into buckets; false if it is not that (the counter starts over) */
static bool buckets_parse(const char *t, struct store_counter *c)
{
	for (int i = 0; i < STORE_COUNTER_BUCKETS; i++) {
		char *end;
		long long v = strtoll(t, &end, 10);
		if (end == t || v < 0 || (*end != (i + 1 < STORE_COUNTER_BUCKETS ? ',' : '\0')))
			return false;
		c->buckets[i] = v;
		t = end + (*end == ',');
	}
	return true;
}

int sq_counter_put(void *impl, const struct store_counter *c, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	char text[STORE_COUNTER_BUCKETS * 21];

	if (sqlite3_prepare_v2(q->db,
	                       "INSERT OR REPLACE INTO source_counters (source_id, period, epoch, "
	                       "buckets) VALUES (?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "store counter", err, errlen);
	buckets_text(c, text, sizeof(text));
	sqlite3_bind_int64(st, 1, c->source_id);
	sqlite3_bind_int64(st, 2, c->period);
	sqlite3_bind_int64(st, 3, c->epoch);
	sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, "store counter", err, errlen);
}

int sq_counters_each(void *impl, store_counter_fn fn, void *arg, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(q->db,
	                       "SELECT source_id, period, epoch, buckets FROM source_counters", -1,
	                       &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "list counters", err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_counter c;
		memset(&c, 0, sizeof(c));
		c.source_id = sqlite3_column_int64(st, 0);
		c.period = sqlite3_column_int64(st, 1);
		c.epoch = sqlite3_column_int64(st, 2);
		if (buckets_parse(sq_text(st, 3), &c))
			fn(&c, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, "list counters", err, errlen);
}

int sq_audit_insert(void *impl, struct store_audit *a, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db,
	                       "INSERT INTO audit (ts, actor, action, target, status, detail) "
	                       "VALUES (?, ?, ?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "audit", err, errlen);
	sqlite3_bind_int64(st, 1, a->ts_ms);
	sqlite3_bind_text(st, 2, a->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->target, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, a->status);
	sqlite3_bind_text(st, 6, a->detail ? a->detail : "{}", -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "audit", err, errlen);
	a->id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_audit_each(void *impl, int64_t before_id, size_t limit, store_audit_fn fn, void *arg,
                  char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(q->db,
	                       "SELECT id, ts, actor, action, target, status, detail FROM audit "
	                       "WHERE (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "read audit log", err, errlen);
	sqlite3_bind_int64(st, 1, before_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_audit a;
		memset(&a, 0, sizeof(a));
		a.id = sqlite3_column_int64(st, 0);
		a.ts_ms = sqlite3_column_int64(st, 1);
		strlcpy_(a.actor, sq_text(st, 2), sizeof(a.actor));
		strlcpy_(a.action, sq_text(st, 3), sizeof(a.action));
		strlcpy_(a.target, sq_text(st, 4), sizeof(a.target));
		a.status = sqlite3_column_int(st, 5);
		a.detail = (char *)sq_text(st, 6);
		fn(&a, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, "read audit log", err, errlen);
}

int sq_idem_get(void *impl, int64_t source_id, const char *key, struct store_idem *out, char *err,
                size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(q->db,
	                       "SELECT body_hash, created_at, status, response FROM idempotency "
	                       "WHERE source_id = ? AND key = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "read idempotency key", err, errlen);
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->source_id = source_id;
		strlcpy_(out->key, key, sizeof(out->key));
		strlcpy_(out->body_hash, sq_text(st, 0), sizeof(out->body_hash));
		out->created_at = sqlite3_column_int64(st, 1);
		out->status = sqlite3_column_int(st, 2);
		out->response = xstrdup(sq_text(st, 3));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? STORE_NOTFOUND
	                         : sq_fail(q->db, "read idempotency key", err, errlen);
}

int sq_idem_put(void *impl, const struct store_idem *r, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db,
	                       "INSERT OR REPLACE INTO idempotency (source_id, key, body_hash, "
	                       "created_at, status, response) VALUES (?, ?, ?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "store idempotency key", err, errlen);
	sqlite3_bind_int64(st, 1, r->source_id);
	sqlite3_bind_text(st, 2, r->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->body_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->created_at);
	sqlite3_bind_int(st, 5, r->status);
	sqlite3_bind_text(st, 6, r->response ? r->response : "{}", -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, "store idempotency key", err, errlen);
}

int sq_idem_prune(void *impl, int64_t before, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db, "DELETE FROM idempotency WHERE created_at < ?", -1, &st,
	                       NULL) != SQLITE_OK)
		return sq_fail(q->db, "prune idempotency keys", err, errlen);
	sqlite3_bind_int64(st, 1, before);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_fail(q->db, "prune idempotency keys", err, errlen);
}
