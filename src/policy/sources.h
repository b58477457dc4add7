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
#define SOURCE_MAX_PASSWORDS  8
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

struct source_pw {
	int64_t cred_id;
	char name[CRED_NAME_MAX + 1];
	char *hash; /* owned: Argon2id string */
	int64_t created_at, expires_at;
};

struct source {
	int refs;
	int64_t id;
	char name[SOURCE_NAME_MAX + 1];
	char kind[SOURCE_KIND_MAX + 1];
	enum source_auth auth;
	bool suspended;
	bool deleted;
	char pool[64]; /* IP pool to send from, "" for the default */
	bool bulk;     /* its mail takes the bulk lane unless a message says otherwise */
	int64_t created_at, updated_at;
	struct cidr nets[SOURCE_MAX_NETWORKS];
	size_t nnets;
	struct source_pw pw[SOURCE_MAX_PASSWORDS];
	size_t npw;
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
int sources_set_suspended(struct sources *reg, struct source *s, bool suspended, char *err,
                          size_t errlen);
int sources_set_networks(struct sources *reg, struct source *s, char *const *networks,
                         size_t nnetworks, char *err, size_t errlen);
/* sources_set_password - replace the password credential named "default". */
int sources_set_password(struct sources *reg, struct source *s, const char *pw_hash, char *err,
                         size_t errlen);
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
