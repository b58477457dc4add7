/*
 * store.h - Postern's state: sources, their networks, credentials and
 * approved identities; signing domains and their DKIM keys; events.
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

#define SOURCE_NAME_MAX    64
#define SOURCE_KIND_MAX    16
#define CRED_NAME_MAX      64
#define STORE_PATTERN_MAX  320 /* an identity pattern (idpattern.h) */
#define STORE_DOMAIN_MAX   253
#define STORE_SELECTOR_MAX 63
#define STORE_URL_MAX      1024
#define STORE_SECRET_MAX   64
#define STORE_EVENTS_MAX   256
#define STORE_STREAM_MAX   32
#define STORE_ADDR_MAX     254

enum source_auth { SOURCE_AUTH_PASSWORD, SOURCE_AUTH_IP };

/* what a source may send; 0 means no limit of the source's own */
struct store_limits {
	int64_t per_minute, per_hour, per_day; /* messages accepted */
	int64_t max_rcpts;                     /* recipients of one message */
	int64_t max_size;                      /* octets of one message */
	int64_t max_conns;                     /* sessions and API requests at once */
};

struct store_source {
	int64_t id;
	char name[SOURCE_NAME_MAX + 1];
	char kind[SOURCE_KIND_MAX + 1];
	enum source_auth auth;
	bool suspended;
	bool drop_queued; /* suspended: its queued mail is dropped, not held */
	char pool[64];    /* the IP pool it sends from; "" for the default */
	bool bulk;        /* its mail takes the bulk lane */
	struct store_limits limits;
	char webhook_url[STORE_URL_MAX + 1]; /* "" for none */
	char webhook_secret[STORE_SECRET_MAX + 1];
	char webhook_events[STORE_EVENTS_MAX + 1]; /* event types, comma-separated; "" all */
	char dlp_rules[STORE_EVENTS_MAX + 1]; /* DLP rules and sets that apply: "all", "", a list */
	char dlp_action[16];                  /* reject, quarantine, require-tls */
	char spam_action[16];                 /* tag, quarantine (Rspamd's add header) */
	char stream[STORE_STREAM_MAX +
	            1];         /* its mail's stream unless a message says; "" transactional */
	bool reject_suppressed; /* refuse a suppressed recipient instead of dropping it */
	int64_t created_at, updated_at; /* seconds since the epoch */
	char **networks;                /* owned: CIDR texts */
	size_t nnetworks;
};

enum cred_kind { CRED_PASSWORD, CRED_API_KEY };

#define CRED_KEY_ID_MAX 24

struct store_cred {
	int64_t id, source_id;
	enum cred_kind kind;
	char name[CRED_NAME_MAX + 1];
	char key_id[CRED_KEY_ID_MAX + 1]; /* an API key's public id, "" for a password */
	char *secret_hash;                /* owned: an Argon2id string */
	int64_t created_at, expires_at, last_used_at; /* 0: never */
};

void store_source_release(struct store_source *s);
void store_cred_release(struct store_cred *c);

/* an approved (or explicitly denied) identity of a source: envelope and From: patterns */
struct store_identity {
	int64_t id, source_id;
	bool deny;
	char envelope[STORE_PATTERN_MAX + 1];
	char header_from[STORE_PATTERN_MAX + 1];
	int64_t created_at;
};

/* a domain Postern signs for */
struct store_domain {
	int64_t id;
	char name[STORE_DOMAIN_MAX + 1];
	bool subdomains; /* its keys also sign mail From: its subdomains */
	int64_t created_at, checked_at;
};

/* the life of a key: pending (record not seen yet), active (signs), retiring
 * (replaced, its record must stay until retire_at), retired (record removable) */
enum store_key_state { KEY_PENDING, KEY_ACTIVE, KEY_RETIRING, KEY_RETIRED };

struct store_dkim_key {
	int64_t id, domain_id;
	char selector[STORE_SELECTOR_MAX + 1];
	char algorithm[16]; /* "rsa-sha256", "ed25519-sha256" */
	enum store_key_state state;
	char *public_key; /* owned: the p= value */
	int64_t created_at, activated_at, retire_at;
};

void store_key_release(struct store_dkim_key *k);
const char *store_key_state_name(enum store_key_state s);
int store_key_state_parse(const char *s, enum store_key_state *out);

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

/*
 * store_cred_put - insert or replace the credential (source_id, kind, name); sets c->id
 * and, when it is 0, created_at.
 */
int store_cred_put(struct store *st, struct store_cred *c, char *err, size_t errlen);
int store_cred_delete(struct store *st, int64_t id, char *err, size_t errlen);
/* store_cred_touch - record a use of credential id at t. */
int store_cred_touch(struct store *st, int64_t id, int64_t t, char *err, size_t errlen);

/* a rate counter of a source: the message counts of its last buckets (limit.h) */
#define STORE_COUNTER_BUCKETS 13
struct store_counter {
	int64_t source_id;
	int64_t period; /* seconds: 60, 3600, 86400 */
	int64_t epoch;  /* the number of the newest bucket (seconds / bucket length) */
	int64_t buckets[STORE_COUNTER_BUCKETS]; /* by bucket number modulo their count */
};
/* store_counter_put - insert or replace the counter (source_id, period). */
int store_counter_put(struct store *st, const struct store_counter *c, char *err, size_t errlen);

/* one administrative action: who did what to what, and how it ended (an HTTP status) */
struct store_audit {
	int64_t id, ts_ms;
	char actor[128];
	char action[16]; /* the method: POST, PUT, DELETE, PATCH */
	char target[256];
	int status;
	char *detail; /* owned or borrowed as the call says: a JSON object's text */
};
/* store_audit_insert - sets a->id; a->detail borrowed (NULL: "{}"). */
int store_audit_insert(struct store *st, struct store_audit *a, char *err, size_t errlen);

/* the first answer to a send request with an Idempotency-Key (replayed for 24 hours) */
struct store_idem {
	int64_t source_id;
	char key[256];
	char body_hash[65]; /* hex SHA-256 of the request body: the same key must mean the same */
	int64_t created_at;
	int status;
	char *response; /* owned (get) or borrowed (put): the JSON answer */
};
/* store_idem_get - 0 with out filled (free out->response), or STORE_NOTFOUND */
int store_idem_get(struct store *st, int64_t source_id, const char *key, struct store_idem *out,
                   char *err, size_t errlen);
/* store_idem_put - insert, replacing an expired answer under the same key */
int store_idem_put(struct store *st, const struct store_idem *r, char *err, size_t errlen);
/* store_idem_prune - forget answers created before before (seconds) */
int store_idem_prune(struct store *st, int64_t before, char *err, size_t errlen);

/* store_identity_insert - sets id and created_at. STORE_EXISTS for a duplicate rule. */
int store_identity_insert(struct store *st, struct store_identity *i, char *err, size_t errlen);
int store_identity_delete(struct store *st, int64_t id, char *err, size_t errlen);

/* store_domain_insert - sets id and created_at. STORE_EXISTS if the name is taken. */
int store_domain_insert(struct store *st, struct store_domain *d, char *err, size_t errlen);
/* store_domain_update - subdomains and checked_at. STORE_NOTFOUND. */
int store_domain_update(struct store *st, const struct store_domain *d, char *err, size_t errlen);
/* store_domain_delete - the domain and its keys. STORE_NOTFOUND. */
int store_domain_delete(struct store *st, int64_t id, char *err, size_t errlen);
/* store_key_insert - sets id. STORE_EXISTS if the selector is taken for the domain. */
int store_key_insert(struct store *st, struct store_dkim_key *k, char *err, size_t errlen);
/* store_key_update - state, activated_at, retire_at. STORE_NOTFOUND. */
int store_key_update(struct store *st, const struct store_dkim_key *k, char *err, size_t errlen);

/* one event of a message's life (eventlog.h); a list through next */
struct store_event {
	struct store_event *next;
	uint64_t ts_ms;
	const char *type;                      /* a constant word */
	char msg[17];                          /* hex queue id, "" if none */
	char *source, *sender, *rcpt, *detail; /* owned by the list; may be NULL */
	char dsn[16];
	char reason[48]; /* a refusal's short reason ("identity", "per_hour"), "" if none */
};

/* store_events_insert - write a list of events in one transaction. */
int store_events_insert(struct store *st, const struct store_event *list, char *err, size_t errlen);

/* what to look for in the events: each NULL or 0 field matches anything */
struct store_event_query {
	const char *msg, *source, *type, *sender, *rcpt; /* exact (rcpt, sender: any case) */
	int64_t since_ms, until_ms;                      /* ts >= since, ts < until */
	int64_t before_id;                               /* paging: ids below this one */
	size_t limit;
};

/* one stored event, borrowed for the duration of a callback */
struct store_event_row {
	int64_t id, ts_ms;
	const char *msg, *source, *type, *sender, *rcpt, *dsn, *reason, *detail;
};

/* a count of events of one kind (store_events_stats) */
struct store_stat_row {
	const char *source, *type, *reason;
	int64_t count;
};

typedef void (*store_event_row_fn)(const struct store_event_row *r, void *arg);
typedef void (*store_stat_fn)(const struct store_stat_row *r, void *arg);
/* store_events_search - matching events, newest first, at most q->limit */
int store_events_search(struct store *st, const struct store_event_query *q, store_event_row_fn fn,
                        void *arg, char *err, size_t errlen);
/* store_events_stats - events counted by source, type and reason in [since, until) */
int store_events_stats(struct store *st, const char *source, int64_t since_ms, int64_t until_ms,
                       store_stat_fn fn, void *arg, char *err, size_t errlen);
/*
 * store_events_prune - delete at most max events older than before_ms, oldest
 * first; *n gets how many. Small batches keep each transaction short.
 */
int store_events_prune(struct store *st, int64_t before_ms, size_t max, size_t *n, char *err,
                       size_t errlen);

/* iteration callbacks borrow their argument for the duration of the call */
typedef void (*store_source_fn)(const struct store_source *s, void *arg);
typedef void (*store_cred_fn)(const struct store_cred *c, void *arg);
typedef void (*store_identity_fn)(const struct store_identity *i, void *arg);
typedef void (*store_domain_fn)(const struct store_domain *d, void *arg);
typedef void (*store_key_fn)(const struct store_dkim_key *k, void *arg);
typedef void (*store_counter_fn)(const struct store_counter *c, void *arg);
typedef void (*store_audit_fn)(const struct store_audit *a, void *arg);
int store_sources_each(struct store *st, store_source_fn fn, void *arg, char *err, size_t errlen);
int store_creds_each(struct store *st, store_cred_fn fn, void *arg, char *err, size_t errlen);
int store_identities_each(struct store *st, store_identity_fn fn, void *arg, char *err,
                          size_t errlen);
int store_domains_each(struct store *st, store_domain_fn fn, void *arg, char *err, size_t errlen);
int store_keys_each(struct store *st, store_key_fn fn, void *arg, char *err, size_t errlen);
int store_counters_each(struct store *st, store_counter_fn fn, void *arg, char *err, size_t errlen);
/* store_audit_each - newest first, ids below before_id (0: from the newest), at most limit */
int store_audit_each(struct store *st, int64_t before_id, size_t limit, store_audit_fn fn,
                     void *arg, char *err, size_t errlen);

/*
 * The suppression list: addresses Postern no longer delivers to. address is
 * lower case, "local@domain", or "@domain" for every address of a domain;
 * scope is a stream's name, or "domain" for every stream.
 */
struct store_suppression {
	char address[STORE_ADDR_MAX + 1];
	char scope[STORE_STREAM_MAX + 1];
	char reason[16]; /* unsubscribe, hard-bounce, complaint, manual */
	int64_t created_at;
	char origin[64]; /* what added it: one-click, mailto, dsn, arf, delivery, ... */
	char source[SOURCE_NAME_MAX + 1]; /* the source whose mail led to it, or "" */
	char detail[256];                 /* a remote server's reason, or "" */
};

/* what to list: each "" or 0 matches anything; paging by (address, scope) after the last */
struct store_supp_query {
	const char *address, *scope, *reason;
	const char *after_address, *after_scope;
	size_t limit; /* 0: all */
};

typedef void (*store_supp_fn)(const struct store_suppression *e, void *arg);

/* store_suppression_put - add e; with replace, an entry of the same (address, scope) is
 * replaced, else STORE_EXISTS keeps it (the first reason stands) */
int store_suppression_put(struct store *st, const struct store_suppression *e, bool replace,
                          char *err, size_t errlen);
/* store_suppression_delete - the entry of scope ("" or NULL: every scope); *n gets how many
 * went (STORE_NOTFOUND when none) */
int store_suppression_delete(struct store *st, const char *address, const char *scope, size_t *n,
                             char *err, size_t errlen);
/*
 * store_suppression_find - the entry that suppresses address (lower case) in
 * stream: one of address or domain_key ("@domain") in scope stream or
 * "domain". 0 with out filled, or STORE_NOTFOUND.
 */
int store_suppression_find(struct store *st, const char *address, const char *domain_key,
                           const char *stream, struct store_suppression *out, char *err,
                           size_t errlen);
/* store_suppressions_each - matching entries ordered by (address, scope) */
int store_suppressions_each(struct store *st, const struct store_supp_query *q, store_supp_fn fn,
                            void *arg, char *err, size_t errlen);

/* a console administrator: a name and the Argon2id string of its password */
#define STORE_ADMIN_NAME_MAX 64
struct store_admin {
	char name[STORE_ADMIN_NAME_MAX + 1];
	char secret_hash[128];
	int64_t created_ms, updated_ms, last_login_ms;
};
typedef void (*store_admin_fn)(const struct store_admin *a, void *arg);
/* store_admin_put - create (STORE_EXISTS if taken) or change the secret (STORE_NOTFOUND) */
int store_admin_put(struct store *st, const struct store_admin *a, bool create, char *err,
                    size_t errlen);
/* store_admin_get - 0 with out filled, or STORE_NOTFOUND */
int store_admin_get(struct store *st, const char *name, struct store_admin *out, char *err,
                    size_t errlen);
int store_admin_delete(struct store *st, const char *name, char *err, size_t errlen);
int store_admin_touch(struct store *st, const char *name, int64_t t_ms, char *err, size_t errlen);
int store_admins_each(struct store *st, store_admin_fn fn, void *arg, char *err, size_t errlen);

/* store_events_series - events of [since, until) counted per step and type:
 * fn(bucket index from since, type, count), buckets in order (empty ones left out) */
typedef void (*store_series_fn)(int64_t bucket, const char *type, int64_t n, void *arg);
int store_events_series(struct store *st, const char *source, int64_t since_ms, int64_t until_ms,
                        int64_t step_ms, store_series_fn fn, void *arg, char *err, size_t errlen);

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
	int (*identity_insert)(void *impl, struct store_identity *i, char *err, size_t errlen);
	int (*identity_delete)(void *impl, int64_t id, char *err, size_t errlen);
	int (*identities_each)(void *impl, store_identity_fn fn, void *arg, char *err,
	                       size_t errlen);
	int (*domain_insert)(void *impl, struct store_domain *d, char *err, size_t errlen);
	int (*domain_update)(void *impl, const struct store_domain *d, char *err, size_t errlen);
	int (*domain_delete)(void *impl, int64_t id, char *err, size_t errlen);
	int (*domains_each)(void *impl, store_domain_fn fn, void *arg, char *err, size_t errlen);
	int (*key_insert)(void *impl, struct store_dkim_key *k, char *err, size_t errlen);
	int (*key_update)(void *impl, const struct store_dkim_key *k, char *err, size_t errlen);
	int (*keys_each)(void *impl, store_key_fn fn, void *arg, char *err, size_t errlen);
	int (*cred_touch)(void *impl, int64_t id, int64_t t, char *err, size_t errlen);
	int (*counter_put)(void *impl, const struct store_counter *c, char *err, size_t errlen);
	int (*counters_each)(void *impl, store_counter_fn fn, void *arg, char *err, size_t errlen);
	int (*audit_insert)(void *impl, struct store_audit *a, char *err, size_t errlen);
	int (*audit_each)(void *impl, int64_t before_id, size_t limit, store_audit_fn fn, void *arg,
	                  char *err, size_t errlen);
	int (*events_search)(void *impl, const struct store_event_query *q, store_event_row_fn fn,
	                     void *arg, char *err, size_t errlen);
	int (*events_stats)(void *impl, const char *source, int64_t since_ms, int64_t until_ms,
	                    store_stat_fn fn, void *arg, char *err, size_t errlen);
	int (*events_prune)(void *impl, int64_t before_ms, size_t max, size_t *n, char *err,
	                    size_t errlen);
	int (*supp_put)(void *impl, const struct store_suppression *e, bool replace, char *err,
	                size_t errlen);
	int (*supp_delete)(void *impl, const char *address, const char *scope, size_t *n, char *err,
	                   size_t errlen);
	int (*supp_find)(void *impl, const char *address, const char *domain_key,
	                 const char *stream, struct store_suppression *out, char *err,
	                 size_t errlen);
	int (*supp_each)(void *impl, const struct store_supp_query *q, store_supp_fn fn, void *arg,
	                 char *err, size_t errlen);
	int (*idem_get)(void *impl, int64_t source_id, const char *key, struct store_idem *out,
	                char *err, size_t errlen);
	int (*idem_put)(void *impl, const struct store_idem *r, char *err, size_t errlen);
	int (*idem_prune)(void *impl, int64_t before, char *err, size_t errlen);
	int (*admin_put)(void *impl, const struct store_admin *a, bool create, char *err,
	                 size_t errlen);
	int (*admin_get)(void *impl, const char *name, struct store_admin *out, char *err,
	                 size_t errlen);
	int (*admin_delete)(void *impl, const char *name, char *err, size_t errlen);
	int (*admin_touch)(void *impl, const char *name, int64_t t, char *err, size_t errlen);
	int (*admins_each)(void *impl, store_admin_fn fn, void *arg, char *err, size_t errlen);
	int (*events_series)(void *impl, const char *source, int64_t since_ms, int64_t until_ms,
	                     int64_t step_ms, store_series_fn fn, void *arg, char *err,
	                     size_t errlen);
};

extern const struct store_backend store_sqlite_backend;

#endif
