/* mta_internal.h - what the files of src/mta share. */
#ifndef POSTERN_MTA_INTERNAL_H
#define POSTERN_MTA_INTERNAL_H

#include <openssl/ssl.h>

#include "mta.h"
#include "resolve.h"

struct workq;
struct conn;

struct mta {
	struct event_base *base;
	struct mta_config cfg; /* deep copy */
	struct resolver *resolver;
	SSL_CTX *tls_plain;  /* may / encrypt: no certificate check */
	SSL_CTX *tls_verify; /* verify: the chain and the host name */
	struct workq *capture_wq;
	struct conn *conns;
	size_t nconns;
	unsigned pool_rr; /* round-robin over a pool's addresses */
};

/* smtp_client.c */
void smtp_conn_start(struct mta *m, const struct mta_dest *d, const struct mta_feed *feed);
void smtp_conn_abort_all(struct mta *m);
bool smtp_conn_wake(struct mta *m, void *feed_arg);
bool smtp_conn_drop_idle(struct mta *m, void *except);

#endif
