/*
 * sources.h - the registry of sources: every application or partner allowed
 * to send, held in memory and written through to the store.
 *
 * The registry is the authority the servers ask on every command ("is this
 * source still active?"), so a suspension takes effect at the next command of
 * every open session. Sessions hold a reference; a deleted source stays in
 * memory, marked deleted, until its last session lets go.
 */
#ifndef POSTERN_SOURCES_H
#define POSTERN_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cidr.h"
#include "store.h"

#define SOURCE_MAX_NETWORKS   64
#define SOURCE_MAX_CREDS      16 /* passwords and API keys together */
#define SOURCE_MAX_IDENTITIES 256
#define SOURCES_INVALID       10 /* a change refused for what it asked (err says why) */

/*
 * An identity rule (identity.h says how they are applied): an allow rule
 * approves the pair (envelope sender, header From:) matching its patterns;
 * a deny rule refuses any envelope sender matching its envelope pattern and
 * any From: matching its From: pattern, whatever the allow rules say.
 */
struct source_identity {
	int64_t id;
	bool deny;
	char envelope[STORE_PATTERN_MAX + 1];
	char header_from[STORE_PATTERN_MAX + 1];
};

/*
 * A credential: an SMTP password (an Argon2id string) or an API key. An API
 * key reads "pk_" KEYID "_" SECRET; KEYID finds it, SECRET is 192 random bits
 * stored as its BLAKE2b-256 digest in hex (a fast hash suffices for a random
 * secret of that size; Argon2id is for secrets a person might choose).
 */
struct source_cred {
	int64_t cred_id;
	enum cred_kind kind;
	char name[CRED_NAME_MAX + 1];
	char key_id[CRED_KEY_ID_MAX + 1]; /* API keys only */
	char *hash;                       /* owned */
	int64_t created_at, expires_at;   /* 0: never expires */
	int64_t last_used_at, saved_used_at;
};

/* the rate counters of a source: one per window length (bucketed, see limit.h) */
enum { RATE_MINUTE, RATE_HOUR, RATE_DAY, RATE_N };
#define RATE_BUCKETS STORE_COUNTER_BUCKETS
struct source_rate {
	int64_t epoch;                /* number of the newest bucket */
	int64_t bucket[RATE_BUCKETS]; /* messages, by bucket number modulo RATE_BUCKETS */
	bool dirty;
};

struct source {
	int refs;
	int64_t id;
	char name[SOURCE_NAME_MAX + 1];
	char kind[SOURCE_KIND_MAX + 1];
	enum source_auth auth;
	bool suspended;
	bool drop_queued; /* suspended with its queued mail dropped (else held) */
	bool deleted;
	char pool[64]; /* IP pool to send from, "" for the default */
	bool bulk;     /* its mail takes the bulk lane unless a message says otherwise */
	int64_t created_at, updated_at;
	struct cidr nets[SOURCE_MAX_NETWORKS];
	size_t nnets;
	struct source_cred creds[SOURCE_MAX_CREDS];
	size_t ncreds;
	struct store_limits limits;
	char webhook_url[STORE_URL_MAX + 1];
	char webhook_secret[STORE_SECRET_MAX + 1];
	char webhook_events[STORE_EVENTS_MAX + 1];
	char dlp_rules[STORE_EVENTS_MAX + 1]; /* "all", "" (none), or rule and set names */
	char dlp_action[16];                  /* reject, quarantine, require-tls */
	char spam_action[16];                 /* tag, quarantine */
	char stream[STORE_STREAM_MAX + 1];    /* its mail's stream unless a message says; "" */
	bool reject_suppressed;               /* refuse suppressed recipients (else drop them) */
	struct source_rate rate[RATE_N];
	int conns;                   /* sessions and API requests of the source open now */
	uint64_t generation;         /* bumped on every credential change (auth cache key) */
	struct source_identity *ids; /* owned; allow and deny rules in the order added */
	size_t nids;
};

struct sources;

/* sources_new - load every source from st (borrowed; must outlive the registry). */
struct sources *sources_new(struct store *st, char *err, size_t errlen);
void sources_free(struct sources *reg);

/* borrowed pointer, valid until the registry changes; take a ref to keep it */
struct source *sources_find(struct sources *reg, const char *name);
/*
 * sources_match_ip - the IP-authenticated source whose networks contain sa
 * (the longest prefix wins), suspended or not; NULL if none.
 */
struct source *sources_match_ip(struct sources *reg, const struct sockaddr *sa);
/* sources_allows_ip - a source with networks accepts only those; without, any. */
bool source_allows_ip(const struct source *s, const struct sockaddr *sa);
bool source_active(const struct source *s);

void source_ref(struct source *s);
void source_unref(struct source *s);

typedef void (*sources_fn)(struct source *s, void *arg);
void sources_each(struct sources *reg, sources_fn fn, void *arg);
size_t sources_count(const struct sources *reg);

/* validation shared by the admin API and the configuration */
bool source_name_valid(const char *name);
bool source_kind_valid(const char *kind);

/*
 * Changes, written to the store first and to memory only when the store
 * succeeded. Each returns 0, -1 (err), or STORE_EXISTS / STORE_NOTFOUND.
 * networks are CIDR texts, already validated by the caller.
 */
int sources_add(struct sources *reg, const char *name, const char *kind, enum source_auth auth,
                char *const *networks, size_t nnetworks, const char *pw_hash, struct source **out,
                char *err, size_t errlen);
/*
 * sources_set_suspended - the kill switch. drop_queued: the source's queued
 * mail is to be dropped rather than held (the queue asks, see queue.h).
 */
int sources_set_suspended(struct sources *reg, struct source *s, bool suspended, bool drop_queued,
                          char *err, size_t errlen);
/*
 * sources_flush_counters - write the rate counters changed since the last
 * flush, in one transaction (the daemon calls it every second and at exit,
 * so a restart forgets at most a second of counting).
 */
int sources_flush_counters(struct sources *reg, char *err, size_t errlen);
/* a session or API request of s begins or ends (s->conns; NULL: nothing) */
void source_conn_open(struct source *s);
void source_conn_close(struct source *s);
int sources_set_networks(struct sources *reg, struct source *s, char *const *networks,
                         size_t nnetworks, char *err, size_t errlen);
/* sources_set_password - replace the password credential named "default". */
int sources_set_password(struct sources *reg, struct source *s, const char *pw_hash, char *err,
                         size_t errlen);
/*
 * sources_put_cred - add or replace (same kind and name) a credential; key_id
 * "" for a password. SOURCES_INVALID if the source has SOURCE_MAX_CREDS already.
 */
int sources_put_cred(struct sources *reg, struct source *s, enum cred_kind kind, const char *name,
                     const char *key_id, const char *hash, int64_t expires_at, char *err,
                     size_t errlen);
/* sources_revoke_cred - remove the credential called name. STORE_NOTFOUND. */
int sources_revoke_cred(struct sources *reg, struct source *s, const char *name, char *err,
                        size_t errlen);
struct source_cred *source_find_cred(struct source *s, const char *name);
struct source_cred *source_find_cred_id(struct source *s, int64_t cred_id);
/* source_cred_valid - not expired at t (seconds) */
bool source_cred_valid(const struct source_cred *c, int64_t t);
/* sources_find_key - the source holding the API key with this id, and the key; NULL if none */
struct source *sources_find_key(struct sources *reg, const char *key_id, struct source_cred **out);
/*
 * sources_cred_used - note a successful use of the credential; written to the
 * store at most once a minute per credential.
 */
void sources_cred_used(struct sources *reg, struct source *s, int64_t cred_id);
/* sources_set_scanning - which DLP rules apply, and what a hit or Rspamd's "add header" does */
int sources_set_scanning(struct sources *reg, struct source *s, const char *dlp_rules,
                         const char *dlp_action, const char *spam_action, char *err, size_t errlen);
/* sources_set_streams - the default stream ("" transactional) and what a suppressed recipient gets */
int sources_set_streams(struct sources *reg, struct source *s, const char *stream,
                        bool reject_suppressed, char *err, size_t errlen);
/* sources_set_webhook - url "" removes it; events: types, comma-separated, "" for all */
int sources_set_webhook(struct sources *reg, struct source *s, const char *url, const char *secret,
                        const char *events, char *err, size_t errlen);
/* source_wants_event - s has a webhook and type is one it asked for */
bool source_wants_event(const struct source *s, const char *type);
/* sources_set_limits - the source's own limits (0: none). */
int sources_set_limits(struct sources *reg, struct source *s, const struct store_limits *lim,
                       char *err, size_t errlen);
int sources_delete(struct sources *reg, struct source *s, char *err, size_t errlen);
/* sources_set_delivery - kind, pool ("" for the default) and lane of s */
int sources_set_delivery(struct sources *reg, struct source *s, const char *kind, const char *pool,
                         bool bulk, char *err, size_t errlen);
/*
 * sources_add_identity - add an allow (deny false) or deny rule with the
 * patterns given (normalized here, idpattern.h; header_from NULL or "" means
 * the same as envelope). STORE_EXISTS if the rule exists; SOURCES_INVALID
 * with err for a bad pattern or too many rules; -1 if the store failed.
 */
int sources_add_identity(struct sources *reg, struct source *s, bool deny, const char *envelope,
                         const char *header_from, char *err, size_t errlen);
/* sources_remove_identity - the same rule, removed. STORE_NOTFOUND if there is none. */
int sources_remove_identity(struct sources *reg, struct source *s, bool deny, const char *envelope,
                            const char *header_from, char *err, size_t errlen);

#endif
