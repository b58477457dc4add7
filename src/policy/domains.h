/*
 * domains.h - the domains Postern signs for and their DKIM keys: which keys
 * sign a message (the policy that src/dkim leaves out), and the life of a
 * key: pending (its DNS record not seen yet) -> active (signs) -> retiring
 * (replaced; its record must stay published until retire_at, so mail
 * signed with it still verifies) -> retired (the record may go).
 *
 * Private keys are files, <key_dir>/<domain>/<selector>.pem, mode 0600 in
 * directories of mode 0700, written once when generated and read once when
 * loaded: every signature uses the decoded key (dkim_key.h). They never go
 * into the store, the logs or the API.
 *
 * Everything here runs on the event loop; key generation runs on a worker
 * thread and completes on the loop. A key is referenced by signing jobs in
 * flight, so removing a domain never frees a key a thread is using.
 */
#ifndef POSTERN_DOMAINS_H
#define POSTERN_DOMAINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dkim_key.h"
#include "store.h"

struct event_base;
struct domains;

struct dom_key {
	int refs;
	int64_t id;
	char selector[STORE_SELECTOR_MAX + 1];
	enum dkim_alg alg;
	enum store_key_state state;
	char *pub;            /* owned: the p= value */
	struct dkim_key *key; /* decoded private key; NULL once retired or if unreadable */
	int64_t created_at, activated_at, retire_at;
};

struct domain {
	int64_t id;
	char name[STORE_DOMAIN_MAX + 1];
	bool subdomains; /* its keys also sign mail From: its subdomains */
	int64_t created_at, checked_at;
	struct dom_key **keys; /* owned (one ref each), oldest first */
	size_t nkeys;
};

struct domains_settings {
	const char *key_dir;         /* where private keys live */
	const char *selector_prefix; /* "postern": selectors read postern-20261123-rsa */
	int64_t retire_grace;        /* seconds a replaced key stays published */
};

/*
 * domains_new - load every domain and key from st (borrowed) and decode the
 * private keys of pending and active keys. A key whose file is missing or
 * unreadable is kept (shown as such) but cannot sign; err says nothing
 * then, the problem is logged. NULL with err if the store cannot be read.
 */
struct domains *domains_new(struct event_base *base, struct store *st,
                            const struct domains_settings *set, char *err, size_t errlen);
void domains_free(struct domains *reg);
/* domains_set_grace - for a reload */
void domains_set_grace(struct domains *reg, int64_t retire_grace);

/* borrowed, valid until the registry changes */
struct domain *domains_find(struct domains *reg, const char *name);
/* domains_list - every domain sorted by name, in a new array (caller frees the array) */
struct domain **domains_list(struct domains *reg, size_t *n);

bool domain_name_valid(const char *name);

/* dom_key_ref / dom_key_unref - keep a key (and its decoded private key) alive */
void dom_key_ref(struct dom_key *k);
void dom_key_unref(struct dom_key *k);

#define DOMAINS_MAX_SIGNERS 2 /* one active key per algorithm */

/*
 * domains_signing_keys - the domain whose keys sign mail From: from_domain
 * (that domain, or the nearest parent registered with subdomains), and its
 * two active keys (RSA-SHA256 and Ed25519-SHA256), each referenced: the
 * caller unrefs them. 0; -1 with why (an English sentence naming the domain
 * that needs a key) if no domain has an active key; -2 with why if the
 * signing domain lacks a usable active key of one algorithm (a key file
 * unreadable, one record not yet checked): a message is signed twice or
 * not at all.
 */
int domains_signing_keys(struct domains *reg, const char *from_domain, const struct domain **d,
                         struct dom_key *keys[DOMAINS_MAX_SIGNERS], size_t *n, char *why,
                         size_t whylen);

/* completion of an asynchronous change: r is 0, or -1/STORE_EXISTS/... with err */
typedef void (*domains_done_fn)(int r, struct domain *d, const char *err, void *arg);

/*
 * domains_add - register name with a new RSA and Ed25519 key pair, pending
 * (active at once with force). done runs later on the loop.
 */
void domains_add(struct domains *reg, const char *name, bool subdomains, bool force,
                 domains_done_fn done, void *arg);
/*
 * domains_rotate - a new pending key pair for d (active at once with force,
 * retiring the current ones). STORE_EXISTS through done if a rotation is
 * already pending (check or force it first).
 */
void domains_rotate(struct domains *reg, struct domain *d, bool force, domains_done_fn done,
                    void *arg);
/*
 * domains_activate - k (pending) becomes active; the active key of the same
 * algorithm becomes retiring until now + grace. 0 or -1 with err.
 */
int domains_activate(struct domains *reg, struct domain *d, struct dom_key *k, int64_t now,
                     char *err, size_t errlen);
/* domains_set_subdomains, domains_set_checked - write-through changes */
int domains_set_subdomains(struct domains *reg, struct domain *d, bool on, char *err,
                           size_t errlen);
int domains_set_checked(struct domains *reg, struct domain *d, int64_t when, char *err,
                        size_t errlen);
/* domains_remove - forget d, its keys and their files. */
int domains_remove(struct domains *reg, struct domain *d, char *err, size_t errlen);
/* domains_tick - retiring keys past retire_at become retired (and their private keys unloaded). */
void domains_tick(struct domains *reg, int64_t now);

#endif
