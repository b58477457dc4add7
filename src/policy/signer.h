/*
 * signer.h - the private-key operation of DKIM signing, off the event loop.
 *
 * The submission does the hashing (the body while it streams, the header
 * data at the end: dkim_sig_prepare) and asks the signer for signatures of
 * 32-octet digests. The signer runs them on its threads, the only place a
 * private key is used, and hands the results back on the loop. A request
 * carries a key reference and a digest, nothing else of the message, so a
 * separate key-holding process can take the threads' place later.
 */
#ifndef POSTERN_SIGNER_H
#define POSTERN_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "dkim_key.h"
#include "domains.h"

struct event_base;
struct signer;

struct sign_item {
	struct dom_key *key; /* referenced by the caller until done */
	unsigned char digest[DKIM_HASH_LEN];
	unsigned char sig[DKIM_SIG_MAX];
	size_t siglen;
};

/* one message's signatures; owned by the caller, which keeps it alive until done */
struct sign_req {
	size_t n;
	struct sign_item item[DOMAINS_MAX_SIGNERS];
	int r; /* 0, or -1 with err: no signature is usable then */
	char err[256];
};

typedef void (*signer_done_fn)(struct sign_req *req, void *arg);

/* signer_new - threads signing at once (the machine's cores are a good number) */
struct signer *signer_new(struct event_base *base, int threads);
/* signer_free - waits for requests in flight; their done() runs first. NULL is a no-op. */
void signer_free(struct signer *sg);
/* signer_sign - sign every item of req; done runs later on the loop. */
void signer_sign(struct signer *sg, struct sign_req *req, signer_done_fn done, void *arg);

struct signer_stats {
	uint64_t signed_ok, failed;
};
void signer_get_stats(const struct signer *sg, struct signer_stats *out);

#endif
