/*
 * auth.h - checking a source's credentials, for every door (SMTP AUTH now,
 * API keys later), without blocking the event loop and without telling an
 * unknown user from a wrong password.
 *
 * Argon2id verification runs on a worker thread. An unknown name is verified
 * against a dummy hash, so both failures cost the same; both give AUTH_FAIL.
 * A verified password is remembered for a while as a keyed BLAKE2b digest, so a
 * client that connects for each message does not pay Argon2id each time.
 *
 * Failures are throttled per client address and per user name (the name as
 * typed, so an unknown name is throttled exactly like a known one).
 */
#ifndef POSTERN_AUTH_H
#define POSTERN_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <sodium.h>

struct event_base;
struct sources;
struct source;

enum auth_result {
	AUTH_OK,
	AUTH_FAIL,      /* unknown, wrong, suspended, or not from an allowed address */
	AUTH_THROTTLED, /* too many recent failures for this address or name */
};

struct auth_limits {
	unsigned ip_max_failures;      /* per client address per window */
	unsigned account_max_failures; /* per user name per window */
	uint64_t window_ms;
	uint64_t cache_ttl_ms; /* 0: no cache */
};

struct auth;
struct auth_req;

/* the result arrives on the loop; src is borrowed (take a ref to keep it), NULL unless OK */
typedef void (*auth_done_fn)(enum auth_result r, struct source *src, void *arg);

/* auth_new - reg is borrowed. threads: how many Argon2id verifications may run at once. */
struct auth *auth_new(struct event_base *base, struct sources *reg, int threads);
void auth_free(struct auth *a);
void auth_set_limits(struct auth *a, const struct auth_limits *lim);

/*
 * auth_check_password - verify user/pass coming from client. done is always
 * called later on the loop (never from inside this call), unless the request
 * is cancelled first. The password is copied and wiped after use.
 */
struct auth_req *auth_check_password(struct auth *a, const char *user, const char *pass,
                                     const struct sockaddr *client, auth_done_fn done, void *arg);
/* auth_cancel - the caller is going away: done will not be called. */
void auth_cancel(struct auth_req *req);

/* auth_hash_password - Argon2id string for a new secret (slow: call off the loop). */
int auth_hash_password(const char *pass, char out[crypto_pwhash_STRBYTES]);
/* auth_generate_secret - 32 random base64url characters (192 bits). */
void auth_generate_secret(char out[33]);

/*
 * auth_hash_async - hash a new secret on the verifier's threads; done gets the
 * Argon2id string (NULL on failure) on the loop. pass is copied and wiped.
 */
typedef void (*auth_hash_fn)(const char *hash, void *arg);
void auth_hash_async(struct auth *a, const char *pass, auth_hash_fn done, void *arg);

/*
 * API keys: "pk_" + a 16-character public id + "_" + a 32-character secret.
 * auth_new_api_key fills key (the whole key, shown once), key_id, and hash
 * (what the store keeps: the BLAKE2b-256 digest of the secret, in hex).
 */
#define API_KEY_LEN    (3 + 16 + 1 + 32)
#define API_KEY_ID_LEN 16
#define API_KEY_HASH   65
void auth_new_api_key(char key[API_KEY_LEN + 1], char key_id[API_KEY_ID_LEN + 1],
                      char hash[API_KEY_HASH]);
/*
 * auth_check_api_key - at once, on the loop: AUTH_OK with *out (borrowed) if
 * key is a valid, unexpired key of a source (whether that source is active
 * and accepts client is the door's to check and say); AUTH_FAIL otherwise
 * (the same work whether the id is known or not); AUTH_THROTTLED after too
 * many failures from client.
 */
enum auth_result auth_check_api_key(struct auth *a, const char *key, const struct sockaddr *client,
                                    struct source **out);

/*
 * auth_api_key_known - the same verdict on the key alone, with no throttling
 * and no use recorded: for deciding early whether to read a request's body.
 */
bool auth_api_key_known(struct auth *a, const char *key);

/* auth_forget - drop cached verifications of s (after a credential change). */
void auth_forget(struct auth *a, const struct source *s);

#endif
