/*
 * mta.h - outbound delivery: which destination a recipient domain belongs
 * to (routes, TLS policy, concurrency, IP pool), and connections that carry
 * messages there (SMTP over TCP with TLS, or the capture directory).
 *
 * The queue manager owns the messages and their scheduling; the MTA owns the
 * network. A connection pulls messages from the queue through a feed (struct
 * mta_feed) until the queue has no more for that destination, so one
 * connection carries many messages.
 */
#ifndef POSTERN_MTA_H
#define POSTERN_MTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "qrecord.h"
#include "route.h"

struct event_base;
struct mta;
struct resolver;

#define MTA_KEY_MAX 400

struct mta_pattern_route {
	char pattern[256];
	struct route_spec route;
};
struct mta_pattern_tls {
	char pattern[256];
	enum tls_policy policy;
};
struct mta_pattern_int {
	char pattern[256];
	int value;
};

struct mta_pool_addr {
	struct sockaddr_storage ss; /* port 0 */
	socklen_t sslen;
	char ehlo[256];
	char text[64];
};

struct mta_pool {
	char name[64];
	struct mta_pool_addr *addrs;
	size_t n;
};

struct mta_config {
	const char *hostname;    /* EHLO name when no pool gives one */
	const char *capture_dir; /* the capture transport's directory */
	struct route_spec default_route;
	struct mta_pattern_route *routes;
	size_t nroutes;
	enum tls_policy default_tls;
	struct mta_pattern_tls *tls;
	size_t ntls;
	int dest_concurrency;
	struct mta_pattern_int *concurrency;
	size_t nconcurrency;
	struct mta_pool *pools;
	size_t npools;
	const char *default_pool; /* "" for none */
	uint16_t smtp_port;       /* where MX hosts are reached (25) */
	bool allow_reserved;      /* deliver to loopback/private MX addresses (tests) */
	const char *resolver;     /* system, recursive, ADDRESS:PORT */
	const char *tls_ca_file;  /* CA bundle for "verify"; NULL: the system's */
	struct route_spec smarthost;
	bool have_smarthost;
	enum tls_policy smarthost_tls;
	const char *smarthost_user;
	const char *smarthost_password;
	uint64_t connect_timeout_ms, command_timeout_ms, data_timeout_ms;
	int msgs_per_conn;
	uint64_t reuse_ms; /* how long a connection with nothing to carry stays open; 0: QUIT */
};

/* the destination of a recipient domain: one delivery queue and its connections */
struct mta_dest {
	char key[MTA_KEY_MAX]; /* equal keys share queues and connections */
	struct route_spec route;
	char domain[256]; /* ROUTE_MX: the recipient domain */
	enum tls_policy tls;
	int concurrency;
	int pool; /* index into the pools, -1 for none */
};

/* mta_new - copies cfg (and everything it points to). NULL with err on failure. */
struct mta *mta_new(struct event_base *base, const struct mta_config *cfg, char *err,
                    size_t errlen);
/* mta_free - closes every connection at once; feeds get closed() with a failure. */
void mta_free(struct mta *m);

/* mta_destination - where mail for domain goes for a source in pool ("" for the default). */
void mta_destination(struct mta *m, const char *domain, const char *pool, struct mta_dest *out);
/*
 * mta_dest_require_verify - the message may only leave over TLS with a
 * verified certificate: raise d's policy to verify (its key changes with it,
 * so such mail never shares a connection that may be in the clear).
 */
void mta_dest_require_verify(struct mta_dest *d);
/* mta_resolver - the DNS resolver deliveries use (for other lookups on the same loop) */
struct resolver *mta_resolver(struct mta *m);
/*
 * mta_spf_record - append the SPF record that authorizes exactly the
 * addresses mail leaves from: every pool address, or with no pools the
 * relay's host name (a:HOSTNAME).
 */
void mta_spf_record(const struct mta *m, struct buf *out);
/* mta_pool_find - the pool named name, or NULL */
const struct mta_pool *mta_pool_find(const struct mta *m, const char *name);
const struct mta_pool *mta_pools(const struct mta *m, size_t *n);

enum mta_outcome { MTA_SENT, MTA_TEMP, MTA_PERM };

struct mta_result {
	enum mta_outcome outcome;
	int code;        /* SMTP code, or 0 if no server said it */
	char dsn[16];    /* enhanced status code */
	char text[400];  /* the reply (first line), or what went wrong */
	char relay[300]; /* "mx.example.org[192.0.2.1]:25", or "capture" */
};

/* mta_result_set - fill a result; text is formatted */
void mta_result_set(struct mta_result *r, enum mta_outcome o, int code, const char *dsn,
                    const char *relay, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* one message on its way, with the recipients of it this destination gets */
struct mta_msg {
	const struct qmsg *msg; /* envelope and content spans, owned by the queue */
	const size_t *rcpt;     /* indexes into msg->env.rcpts */
	size_t nrcpt;
	const char *mail_from;  /* the envelope sender to give (VERP), or NULL: msg's own */
	struct mta_result *res; /* nrcpt results, filled by the MTA */
	char tls_version[32];   /* "" without TLS */
	char tls_cipher[64];
	bool dsn_relayed; /* the next hop took NOTIFY responsibility (DSN) */
};

struct mta_feed {
	/* the next message for this destination, or NULL to end the connection */
	struct mta_msg *(*next)(void *arg);
	/* msg's results are filled in */
	void (*done)(void *arg, struct mta_msg *msg);
	/*
	 * The connection has ended. If it failed before carrying any message
	 * (DNS, connect, greeting, TLS), why says so, and the queue decides for
	 * the destination's waiting messages; otherwise why is NULL.
	 */
	void (*closed)(void *arg, const struct mta_result *why);
	/*
	 * Optional. idle true: the connection has nothing to carry and stays open
	 * up to reuse_ms, for mta_wake; idle false: it waits no longer (woken,
	 * timed out, closed by the server, shut down). A feed with idle NULL
	 * ends its connections as soon as next() has nothing.
	 */
	void (*idle)(void *arg, bool idle);
	void *arg;
};

/* mta_connect - open a connection to d that will carry messages from feed. */
void mta_connect(struct mta *m, const struct mta_dest *d, const struct mta_feed *feed);
size_t mta_connections(const struct mta *m);
/*
 * mta_wake - an idle connection of the feed whose arg is feed_arg takes its
 * next message now (feed->idle(arg, false) first, then next()). false if
 * the feed has no idle connection.
 */
bool mta_wake(struct mta *m, void *feed_arg);
/*
 * mta_drop_idle - close one idle connection of a feed other than except (its
 * feed gets idle false, then closed), so that its slot can go to a
 * destination that waits for one. false if there is none.
 */
bool mta_drop_idle(struct mta *m, void *except);

#endif
