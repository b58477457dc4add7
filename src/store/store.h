/*
 * store.h - Postern's state: sources, their networks and credentials.
 *
 * One interface, several back ends (SQLite now; a PostgreSQL back end for
 * multi-node deployments can follow by filling a struct store_backend). No SQL
 * or SQLite type crosses this header. All calls come from the event loop thread.
 *
 * Returns: 0 success, -1 error (err filled), STORE_NOTFOUND or STORE_EXISTS
 * where a function says so.
 */
#ifndef POSTERN_STORE_H
#define POSTERN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_NOTFOUND 1
#define STORE_EXISTS   2

#define SOURCE_NAME_MAX 64
#define SOURCE_KIND_MAX 16
#define CRED_NAME_MAX   64

enum source_auth { SOURCE_AUTH_PASSWORD, SOURCE_AUTH_IP };

struct store_source {
	int64_t id;
	char name[SOURCE_NAME_MAX + 1];
	char kind[SOURCE_KIND_MAX + 1];
	enum source_auth auth;
	bool suspended;
	char pool[64];                  /* the IP pool it sends from; "" for the default */
	bool bulk;                      /* its mail takes the bulk lane */
	int64_t created_at, updated_at; /* seconds since the epoch */
	char **networks;                /* owned: CIDR texts */
	size_t nnetworks;
};

enum cred_kind { CRED_PASSWORD, CRED_API_KEY };

struct store_cred {
	int64_t id, source_id;
	enum cred_kind kind;
	char name[CRED_NAME_MAX + 1];
	char *secret_hash;                            /* owned: an Argon2id string */
	int64_t created_at, expires_at, last_used_at; /* 0: never */
};

void store_source_release(struct store_source *s);
void store_cred_release(struct store_cred *c);

struct store;

/* store_open - open (creating and migrating) the store at path. NULL on error. */
struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store *st);

/* transactions group several changes; they do not nest */
int store_begin(struct store *st, char *err, size_t errlen);
int store_commit(struct store *st, char *err, size_t errlen);
void store_rollback(struct store *st);

/* store_source_insert - sets s->id, created_at, updated_at. STORE_EXISTS if the name is taken. */
int store_source_insert(struct store *st, struct store_source *s, char *err, size_t errlen);
/* store_source_update - status, kind and networks of s->id. STORE_NOTFOUND. */
int store_source_update(struct store *st, struct store_source *s, char *err, size_t errlen);
int store_source_delete(struct store *st, int64_t id, char *err, size_t errlen);

/* store_cred_put - insert or replace the credential (source_id, kind, name); sets c->id. */
int store_cred_put(struct store *st, struct store_cred *c, char *err, size_t errlen);
int store_cred_delete(struct store *st, int64_t id, char *err, size_t errlen);

/* one event of a message's life (eventlog.h); a list through next */
struct store_event {
	struct store_event *next;
	uint64_t ts_ms;
	const char *type;                      /* a constant word */
	char msg[17];                          /* hex queue id, "" if none */
	char *source, *sender, *rcpt, *detail; /* owned by the list; may be NULL */
	char dsn[16];
};

/* store_events_insert - write a list of events in one transaction. */
int store_events_insert(struct store *st, const struct store_event *list, char *err, size_t errlen);

/* iteration callbacks borrow their argument for the duration of the call */
typedef void (*store_source_fn)(const struct store_source *s, void *arg);
typedef void (*store_cred_fn)(const struct store_cred *c, void *arg);
int store_sources_each(struct store *st, store_source_fn fn, void *arg, char *err, size_t errlen);
int store_creds_each(struct store *st, store_cred_fn fn, void *arg, char *err, size_t errlen);

/* what a back end provides; store.c dispatches through it */
struct store_backend {
	const char *name;
	void *(*open)(const char *path, char *err, size_t errlen);
	void (*close)(void *impl);
	int (*exec)(void *impl, const char *what, char *err,
	            size_t errlen); /* BEGIN/COMMIT/ROLLBACK */
	int (*source_insert)(void *impl, struct store_source *s, char *err, size_t errlen);
	int (*source_update)(void *impl, struct store_source *s, char *err, size_t errlen);
	int (*source_delete)(void *impl, int64_t id, char *err, size_t errlen);
	int (*cred_put)(void *impl, struct store_cred *c, char *err, size_t errlen);
	int (*cred_delete)(void *impl, int64_t id, char *err, size_t errlen);
	int (*sources_each)(void *impl, store_source_fn fn, void *arg, char *err, size_t errlen);
	int (*creds_each)(void *impl, store_cred_fn fn, void *arg, char *err, size_t errlen);
	int (*events_insert)(void *impl, const struct store_event *list, char *err, size_t errlen);
};

extern const struct store_backend store_sqlite_backend;

#endif
