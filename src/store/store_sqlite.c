/*
 * store_sqlite.c - the SQLite back end of the store.
 *
 * WAL mode with synchronous=FULL: an admin change (a suspension above all) that
 * was acknowledged survives a power loss. The schema is migrated in steps
 * recorded in PRAGMA user_version; each step runs in one transaction.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "store_sqlite.h"
#include "strutil.h"
#include "xmalloc.h"

static const char *migrations[] = {
        /* 1: sources, their networks and credentials */
        "CREATE TABLE sources ("
        "  id INTEGER PRIMARY KEY,"
        "  name TEXT NOT NULL UNIQUE,"
        "  kind TEXT NOT NULL DEFAULT 'app',"
        "  auth TEXT NOT NULL CHECK (auth IN ('password', 'ip')),"
        "  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),"
        "  created_at INTEGER NOT NULL,"
        "  updated_at INTEGER NOT NULL);"
        "CREATE TABLE source_networks ("
        "  source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,"
        "  cidr TEXT NOT NULL,"
        "  PRIMARY KEY (source_id, cidr));"
        "CREATE TABLE credentials ("
        "  id INTEGER PRIMARY KEY,"
        "  source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,"
        "  kind TEXT NOT NULL CHECK (kind IN ('password', 'api-key')),"
        "  name TEXT NOT NULL,"
        "  secret_hash TEXT NOT NULL,"
        "  created_at INTEGER NOT NULL,"
        "  expires_at INTEGER NOT NULL DEFAULT 0,"
        "  last_used_at INTEGER NOT NULL DEFAULT 0,"
        "  UNIQUE (source_id, kind, name));",
        /* 2: the sending pool and lane of a source; the event log */
        "ALTER TABLE sources ADD COLUMN pool TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE sources ADD COLUMN lane TEXT NOT NULL DEFAULT 'urgent'"
        "  CHECK (lane IN ('urgent', 'bulk'));"
        "CREATE TABLE events ("
        "  id INTEGER PRIMARY KEY,"
        "  ts INTEGER NOT NULL,"
        "  msg TEXT NOT NULL DEFAULT '',"
        "  source TEXT NOT NULL DEFAULT '',"
        "  type TEXT NOT NULL,"
        "  sender TEXT NOT NULL DEFAULT '',"
        "  rcpt TEXT NOT NULL DEFAULT '',"
        "  dsn TEXT NOT NULL DEFAULT '',"
        "  detail TEXT NOT NULL DEFAULT '{}');"
        "CREATE INDEX events_ts ON events (ts);"
        "CREATE INDEX events_msg ON events (msg);"
        "CREATE INDEX events_source_ts ON events (source, ts);"
        "CREATE INDEX events_rcpt ON events (rcpt);",
        /* 3: approved sender identities; signing domains and their DKIM keys */
        "CREATE TABLE identities ("
        "  id INTEGER PRIMARY KEY,"
        "  source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,"
        "  action TEXT NOT NULL CHECK (action IN ('allow', 'deny')),"
        "  envelope TEXT NOT NULL,"
        "  header_from TEXT NOT NULL,"
        "  created_at INTEGER NOT NULL,"
        "  UNIQUE (source_id, action, envelope, header_from));"
        "CREATE TABLE domains ("
        "  id INTEGER PRIMARY KEY,"
        "  name TEXT NOT NULL UNIQUE,"
        "  subdomains INTEGER NOT NULL DEFAULT 0,"
        "  created_at INTEGER NOT NULL,"
        "  checked_at INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE dkim_keys ("
        "  id INTEGER PRIMARY KEY,"
        "  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,"
        "  selector TEXT NOT NULL,"
        "  algorithm TEXT NOT NULL CHECK (algorithm IN ('rsa-sha256', 'ed25519-sha256')),"
        "  state TEXT NOT NULL"
        "    CHECK (state IN ('pending', 'active', 'retiring', 'retired')),"
        "  public_key TEXT NOT NULL,"
        "  created_at INTEGER NOT NULL,"
        "  activated_at INTEGER NOT NULL DEFAULT 0,"
        "  retire_at INTEGER NOT NULL DEFAULT 0,"
        "  UNIQUE (domain_id, selector));",
        /* 4: limits per source and their counters; API key ids; the audit log */
        "ALTER TABLE sources ADD COLUMN per_minute INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sources ADD COLUMN per_hour INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sources ADD COLUMN per_day INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sources ADD COLUMN max_rcpts INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sources ADD COLUMN max_size INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sources ADD COLUMN max_conns INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sources ADD COLUMN on_suspend TEXT NOT NULL DEFAULT 'hold'"
        "  CHECK (on_suspend IN ('hold', 'drop'));"
        "ALTER TABLE sources ADD COLUMN webhook_url TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE sources ADD COLUMN webhook_secret TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE sources ADD COLUMN webhook_events TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE credentials ADD COLUMN key_id TEXT NOT NULL DEFAULT '';"
        "CREATE INDEX credentials_key_id ON credentials (key_id);"
        "CREATE TABLE source_counters ("
        "  source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,"
        "  period INTEGER NOT NULL,"
        "  epoch INTEGER NOT NULL,"
        "  buckets TEXT NOT NULL,"
        "  PRIMARY KEY (source_id, period));"
        "CREATE TABLE audit ("
        "  id INTEGER PRIMARY KEY,"
        "  ts INTEGER NOT NULL,"
        "  actor TEXT NOT NULL,"
        "  action TEXT NOT NULL,"
        "  target TEXT NOT NULL,"
        "  status INTEGER NOT NULL,"
        "  detail TEXT NOT NULL DEFAULT '{}');"
        "CREATE INDEX audit_ts ON audit (ts);"
        "ALTER TABLE events ADD COLUMN reason TEXT NOT NULL DEFAULT '';"
        "CREATE INDEX events_type_ts ON events (type, ts);"
        "CREATE INDEX events_sender ON events (sender COLLATE NOCASE);"
        "DROP INDEX events_rcpt;"
        "CREATE INDEX events_rcpt ON events (rcpt COLLATE NOCASE);"
        "CREATE TABLE idempotency ("
        "  source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,"
        "  key TEXT NOT NULL,"
        "  body_hash TEXT NOT NULL,"
        "  created_at INTEGER NOT NULL,"
        "  status INTEGER NOT NULL,"
        "  response TEXT NOT NULL,"
        "  PRIMARY KEY (source_id, key));"
        "CREATE INDEX idempotency_created ON idempotency (created_at);",
        /* 5: what the scanners do with a source's mail */
        "ALTER TABLE sources ADD COLUMN dlp_rules TEXT NOT NULL DEFAULT 'all';"
        "ALTER TABLE sources ADD COLUMN dlp_action TEXT NOT NULL DEFAULT 'reject'"
        "  CHECK (dlp_action IN ('reject', 'quarantine', 'require-tls'));"
        "ALTER TABLE sources ADD COLUMN spam_action TEXT NOT NULL DEFAULT 'tag'"
        "  CHECK (spam_action IN ('tag', 'quarantine'));",
        /* 6: streams and the suppression list */
        "ALTER TABLE sources ADD COLUMN stream TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE sources ADD COLUMN on_suppressed TEXT NOT NULL DEFAULT 'drop'"
        "  CHECK (on_suppressed IN ('drop', 'reject'));"
        "CREATE TABLE suppressions ("
        "  address TEXT NOT NULL,"
        "  scope TEXT NOT NULL,"
        "  reason TEXT NOT NULL"
        "    CHECK (reason IN ('unsubscribe', 'hard-bounce', 'complaint', 'manual')),"
        "  created_at INTEGER NOT NULL,"
        "  origin TEXT NOT NULL DEFAULT '',"
        "  source TEXT NOT NULL DEFAULT '',"
        "  detail TEXT NOT NULL DEFAULT '',"
        "  PRIMARY KEY (address, scope)) WITHOUT ROWID;",
        /* 7: the console's administrators */
        "CREATE TABLE admins ("
        "  name TEXT PRIMARY KEY,"
        "  secret_hash TEXT NOT NULL,"
        "  created_at INTEGER NOT NULL,"
        "  updated_at INTEGER NOT NULL,"
        "  last_login_at INTEGER NOT NULL DEFAULT 0);",
};

int sq_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
	return -1;
}

static int migrate(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0;
	int want = (int)(sizeof(migrations) / sizeof(migrations[0]));

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return sq_fail(db, "read schema version", err, errlen);
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > want) {
		snprintf(err, errlen, "store schema version %d is newer than this Postern (%d)",
		         version, want);
		return -1;
	}
	for (; version < want; version++) {
		char sql[64];
		char *msg = NULL;
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, migrations[version], NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migrate to schema %d: %s", version + 1,
			         msg ? msg : "?");
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return sq_fail(db, "commit migration", err, errlen);
		}
	}
	return 0;
}

static void *sq_open(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	static const char *pragmas = "PRAGMA journal_mode = WAL;"
	                             "PRAGMA synchronous = FULL;"
	                             "PRAGMA foreign_keys = ON;"
	                             "PRAGMA busy_timeout = 5000;";

	if (sqlite3_open_v2(path, &db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
		sqlite3_close(db);
		return NULL;
	}
	if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		sq_fail(db, "configure store", err, errlen);
		sqlite3_close(db);
		return NULL;
	}
	if (migrate(db, err, errlen) < 0) {
		sqlite3_close(db);
		return NULL;
	}
	struct sq *q = xcalloc(1, sizeof(*q));
	q->db = db;
	return q;
}

static void sq_close(void *impl)
{
	struct sq *q = impl;

	sqlite3_finalize(q->supp_find);
	sqlite3_close(q->db);
	free(q);
}

static int sq_exec(void *impl, const char *what, char *err, size_t errlen)
{
	struct sq *q = impl;

	if (sqlite3_exec(q->db, what, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(q->db, what, err, errlen);
	return 0;
}

static int set_networks(sqlite3 *db, const struct store_source *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "DELETE FROM source_networks WHERE source_id = ?", -1, &st,
	                       NULL) != SQLITE_OK)
		return sq_fail(db, "clear networks", err, errlen);
	sqlite3_bind_int64(st, 1, s->id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(db, "clear networks", err, errlen);
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO source_networks VALUES (?, ?)", -1, &st,
	                       NULL) != SQLITE_OK)
		return sq_fail(db, "add network", err, errlen);
	for (size_t i = 0; i < s->nnetworks; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, s->id);
		sqlite3_bind_text(st, 2, s->networks[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return sq_fail(db, "add network", err, errlen);
		}
	}
	sqlite3_finalize(st);
	return 0;
}

static void bind_limits(sqlite3_stmt *st, int first, const struct store_limits *l)
{
	sqlite3_bind_int64(st, first, l->per_minute);
	sqlite3_bind_int64(st, first + 1, l->per_hour);
	sqlite3_bind_int64(st, first + 2, l->per_day);
	sqlite3_bind_int64(st, first + 3, l->max_rcpts);
	sqlite3_bind_int64(st, first + 4, l->max_size);
	sqlite3_bind_int64(st, first + 5, l->max_conns);
}

static int sq_source_insert(void *impl, struct store_source *s, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	int64_t now = (int64_t)time(NULL);

	if (sqlite3_prepare_v2(q->db,
	                       "INSERT INTO sources (name, kind, auth, status, created_at, "
	                       "updated_at, pool, lane, per_minute, per_hour, per_day, "
	                       "max_rcpts, max_size, max_conns) "
	                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "insert source", err, errlen);
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->auth == SOURCE_AUTH_IP ? "ip" : "password", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, s->suspended ? "suspended" : "active", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_text(st, 7, s->pool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, s->bulk ? "bulk" : "urgent", -1, SQLITE_STATIC);
	bind_limits(st, 9, &s->limits);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT) {
		snprintf(err, errlen, "source %s exists", s->name);
		return STORE_EXISTS;
	}
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "insert source", err, errlen);
	s->id = sqlite3_last_insert_rowid(q->db);
	s->created_at = s->updated_at = now;
	return set_networks(q->db, s, err, errlen);
}

static int sq_source_update(void *impl, struct store_source *s, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	int64_t now = (int64_t)time(NULL);

	if (sqlite3_prepare_v2(q->db,
	                       "UPDATE sources SET kind = ?, status = ?, updated_at = ?, pool = ?, "
	                       "lane = ?, per_minute = ?, per_hour = ?, per_day = ?, "
	                       "max_rcpts = ?, max_size = ?, max_conns = ?, on_suspend = ?, "
	                       "webhook_url = ?, webhook_secret = ?, webhook_events = ?, "
	                       "dlp_rules = ?, dlp_action = ?, spam_action = ?, stream = ?, "
	                       "on_suppressed = ? WHERE id = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "update source", err, errlen);
	sqlite3_bind_text(st, 1, s->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->suspended ? "suspended" : "active", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, s->pool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, s->bulk ? "bulk" : "urgent", -1, SQLITE_STATIC);
	bind_limits(st, 6, &s->limits);
	sqlite3_bind_text(st, 12, s->drop_queued ? "drop" : "hold", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, s->webhook_url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, s->webhook_secret, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, s->webhook_events, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, s->dlp_rules, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 17, s->dlp_action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 18, s->spam_action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 19, s->stream, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 20, s->reject_suppressed ? "reject" : "drop", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 21, s->id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "update source", err, errlen);
	if (sqlite3_changes(q->db) == 0) {
		snprintf(err, errlen, "no such source");
		return STORE_NOTFOUND;
	}
	s->updated_at = now;
	return set_networks(q->db, s, err, errlen);
}

int sq_delete_by_id(struct sq *q, const char *sql, int64_t id, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "delete", err, errlen);
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "delete", err, errlen);
	if (sqlite3_changes(q->db) == 0) {
		snprintf(err, errlen, "not found");
		return STORE_NOTFOUND;
	}
	return 0;
}

static int sq_source_delete(void *impl, int64_t id, char *err, size_t errlen)
{
	return sq_delete_by_id(impl, "DELETE FROM sources WHERE id = ?", id, err, errlen);
}

static int sq_cred_delete(void *impl, int64_t id, char *err, size_t errlen)
{
	return sq_delete_by_id(impl, "DELETE FROM credentials WHERE id = ?", id, err, errlen);
}

static const char *cred_kind_name(enum cred_kind k)
{
	return k == CRED_API_KEY ? "api-key" : "password";
}

static int sq_cred_put(void *impl, struct store_cred *c, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;

	if (c->created_at == 0)
		c->created_at = (int64_t)time(NULL);
	if (sqlite3_prepare_v2(q->db,
	                       "INSERT INTO credentials (source_id, kind, name, secret_hash, "
	                       "created_at, expires_at, key_id) VALUES (?, ?, ?, ?, ?, ?, ?) "
	                       "ON CONFLICT (source_id, kind, name) DO UPDATE SET "
	                       "secret_hash = excluded.secret_hash, created_at = "
	                       "excluded.created_at, expires_at = excluded.expires_at, "
	                       "key_id = excluded.key_id, last_used_at = 0 RETURNING id",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "store credential", err, errlen);
	sqlite3_bind_int64(st, 1, c->source_id);
	sqlite3_bind_text(st, 2, cred_kind_name(c->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->secret_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, c->created_at);
	sqlite3_bind_int64(st, 6, c->expires_at);
	sqlite3_bind_text(st, 7, c->key_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		c->id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sq_fail(q->db, "store credential", err, errlen);
	return 0;
}

const char *sq_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* networks of every source, in one pass, attached by id */
static void load_networks(sqlite3 *db, struct store_source *all, size_t n)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT source_id, cidr FROM source_networks ORDER BY cidr", -1,
	                       &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t sid = sqlite3_column_int64(st, 0);
		for (size_t i = 0; i < n; i++) {
			if (all[i].id != sid)
				continue;
			all[i].networks =
			        xrealloc(all[i].networks, (all[i].nnetworks + 1) * sizeof(char *));
			all[i].networks[all[i].nnetworks++] = xstrdup(sq_text(st, 1));
			break;
		}
	}
	sqlite3_finalize(st);
}

static int sq_sources_each(void *impl, store_source_fn fn, void *arg, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	struct store_source *all = NULL;
	size_t n = 0;

	if (sqlite3_prepare_v2(
	            q->db,
	            "SELECT id, name, kind, auth, status, created_at, updated_at, pool, "
	            "lane, per_minute, per_hour, per_day, max_rcpts, max_size, "
	            "max_conns, on_suspend, webhook_url, webhook_secret, webhook_events, "
	            "dlp_rules, dlp_action, spam_action, stream, on_suppressed FROM sources "
	            "ORDER BY name",
	            -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "list sources", err, errlen);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		all = xrealloc(all, (n + 1) * sizeof(*all));
		struct store_source *s = &all[n++];
		memset(s, 0, sizeof(*s));
		s->id = sqlite3_column_int64(st, 0);
		strlcpy_(s->name, sq_text(st, 1), sizeof(s->name));
		strlcpy_(s->kind, sq_text(st, 2), sizeof(s->kind));
		s->auth = strcmp(sq_text(st, 3), "ip") == 0 ? SOURCE_AUTH_IP : SOURCE_AUTH_PASSWORD;
		s->suspended = strcmp(sq_text(st, 4), "suspended") == 0;
		s->created_at = sqlite3_column_int64(st, 5);
		s->updated_at = sqlite3_column_int64(st, 6);
		strlcpy_(s->pool, sq_text(st, 7), sizeof(s->pool));
		s->bulk = strcmp(sq_text(st, 8), "bulk") == 0;
		s->limits.per_minute = sqlite3_column_int64(st, 9);
		s->limits.per_hour = sqlite3_column_int64(st, 10);
		s->limits.per_day = sqlite3_column_int64(st, 11);
		s->limits.max_rcpts = sqlite3_column_int64(st, 12);
		s->limits.max_size = sqlite3_column_int64(st, 13);
		s->limits.max_conns = sqlite3_column_int64(st, 14);
		s->drop_queued = strcmp(sq_text(st, 15), "drop") == 0;
		strlcpy_(s->webhook_url, sq_text(st, 16), sizeof(s->webhook_url));
		strlcpy_(s->webhook_secret, sq_text(st, 17), sizeof(s->webhook_secret));
		strlcpy_(s->webhook_events, sq_text(st, 18), sizeof(s->webhook_events));
		strlcpy_(s->dlp_rules, sq_text(st, 19), sizeof(s->dlp_rules));
		strlcpy_(s->dlp_action, sq_text(st, 20), sizeof(s->dlp_action));
		strlcpy_(s->spam_action, sq_text(st, 21), sizeof(s->spam_action));
		strlcpy_(s->stream, sq_text(st, 22), sizeof(s->stream));
		s->reject_suppressed = strcmp(sq_text(st, 23), "reject") == 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(all);
		return sq_fail(q->db, "list sources", err, errlen);
	}
	load_networks(q->db, all, n);
	for (size_t i = 0; i < n; i++) {
		fn(&all[i], arg);
		store_source_release(&all[i]);
	}
	free(all);
	return 0;
}

static int sq_creds_each(void *impl, store_cred_fn fn, void *arg, char *err, size_t errlen)
{
	struct sq *q = impl;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(q->db,
	                       "SELECT id, source_id, kind, name, secret_hash, created_at, "
	                       "expires_at, last_used_at, key_id FROM credentials ORDER BY id",
	                       -1, &st, NULL) != SQLITE_OK)
		return sq_fail(q->db, "list credentials", err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_cred c;
		memset(&c, 0, sizeof(c));
		c.id = sqlite3_column_int64(st, 0);
		c.source_id = sqlite3_column_int64(st, 1);
		c.kind = strcmp(sq_text(st, 2), "api-key") == 0 ? CRED_API_KEY : CRED_PASSWORD;
		strlcpy_(c.name, sq_text(st, 3), sizeof(c.name));
		c.secret_hash = (char *)sq_text(st, 4);
		c.created_at = sqlite3_column_int64(st, 5);
		c.expires_at = sqlite3_column_int64(st, 6);
		c.last_used_at = sqlite3_column_int64(st, 7);
		strlcpy_(c.key_id, sq_text(st, 8), sizeof(c.key_id));
		fn(&c, arg);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_fail(q->db, "list credentials", err, errlen);
	return 0;
}

const struct store_backend store_sqlite_backend = {
        .name = "sqlite",
        .open = sq_open,
        .close = sq_close,
        .exec = sq_exec,
        .source_insert = sq_source_insert,
        .source_update = sq_source_update,
        .source_delete = sq_source_delete,
        .cred_put = sq_cred_put,
        .cred_delete = sq_cred_delete,
        .sources_each = sq_sources_each,
        .creds_each = sq_creds_each,
        .events_insert = sq_events_insert,
        .identity_insert = sq_identity_insert,
        .identity_delete = sq_identity_delete,
        .identities_each = sq_identities_each,
        .domain_insert = sq_domain_insert,
        .domain_update = sq_domain_update,
        .domain_delete = sq_domain_delete,
        .domains_each = sq_domains_each,
        .key_insert = sq_key_insert,
        .key_update = sq_key_update,
        .keys_each = sq_keys_each,
        .cred_touch = sq_cred_touch,
        .counter_put = sq_counter_put,
        .counters_each = sq_counters_each,
        .audit_insert = sq_audit_insert,
        .audit_each = sq_audit_each,
        .events_search = sq_events_search,
        .events_stats = sq_events_stats,
        .events_prune = sq_events_prune,
        .supp_put = sq_supp_put,
        .supp_delete = sq_supp_delete,
        .supp_find = sq_supp_find,
        .supp_each = sq_supp_each,
        .idem_get = sq_idem_get,
        .idem_put = sq_idem_put,
        .idem_prune = sq_idem_prune,
        .admin_put = sq_admin_put,
        .admin_get = sq_admin_get,
        .admin_delete = sq_admin_delete,
        .admin_touch = sq_admin_touch,
        .admins_each = sq_admins_each,
        .events_series = sq_events_series,
};
