/*
 * api.h - Postern's HTTP interface, three doors on libevent's evhttp:
 *   - the control socket (Unix, 0600): the admin API (/admin/v1/...) that
 *     posternctl uses, /metrics, /healthz;
 *   - the admin listener (TCP, optional, a bearer token): the same;
 *   - the send API listeners (TCP, HTTP or HTTPS): POST /v1/messages,
 *     GET /v1/messages/ID, /healthz.
 */
#ifndef POSTERN_API_H
#define POSTERN_API_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct event_base;
struct sources;
struct auth;
struct spool;
struct queue;
struct mta;
struct smtpd;
struct domains;
struct check_expect;
struct resolver;
struct store;
struct eventlog;
struct submission_env;
struct webhooks;

struct api_deps {
	struct sources *reg;
	struct auth *auth;
	struct spool *spool;
	struct queue *queue;
	struct mta *mta;
	struct smtpd *smtpd;
	struct domains *domains;
	const struct check_expect *expect; /* what domain checks compare with (the daemon's) */
	struct resolver *check_dns;        /* for domain checks: uncached */
	const char *version;
	struct store *store;    /* the daemon's: audit log, idempotency keys */
	const char *store_path; /* a second connection is opened for searches */
	struct eventlog *events;
	const struct submission_env *subenv; /* the send API's path to the spool */
	const char *hostname;
	struct webhooks *webhooks;
	struct suppress *suppress; /* streams, the suppression list, unsubscribe links */
};

/* what a reload may change */
struct api_limits {
	uint64_t max_body;         /* octets of a send request */
	uint64_t timeout_ms;       /* to read a whole request */
	uint64_t max_message_size; /* as [smtp] */
	size_t max_recipients;
	size_t max_header_size;
	size_t max_conns;        /* connections of the send listeners at once */
	size_t max_conns_per_ip; /* from one client address */
};

struct api;

struct api *api_new(struct event_base *base, const struct api_deps *deps);
void api_free(struct api *a);

/*
 * api_bind_unix - create the control socket at path, mode 0600, owned by
 * uid:gid (the account the daemon runs as); a stale socket is replaced.
 * Returns the listening descriptor or -1. Done before the privilege drop.
 */
int api_bind_unix(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen);
/* api_listen_unix - serve the admin API on fd (from api_bind_unix; taken over). */
int api_listen_unix(struct api *a, int fd, const char *path, char *err, size_t errlen);

enum api_door_kind { API_DOOR_SEND, API_DOOR_ADMIN };
/*
 * api_listen_tcp - serve a door on a bound, listening TCP socket fd (taken
 * over). tls: HTTPS with the context of api_set_tls. addr is for the log.
 */
int api_listen_tcp(struct api *a, enum api_door_kind kind, int fd, bool tls, const char *addr,
                   char *err, size_t errlen);
/* api_set_tls - the certificate of the HTTPS doors (referenced; replaced on reload) */
void api_set_tls(struct api *a, SSL_CTX *ctx);
/* api_set_admin_token - the bearer token of the admin listener (copied, wiped on free) */
void api_set_admin_token(struct api *a, const char *token);
void api_set_limits(struct api *a, const struct api_limits *lim);
/* api_set_dlp_names - the DLP rule and set names a source may be given (copied) */
void api_set_dlp_names(struct api *a, const char *const *names, size_t n);

#endif
