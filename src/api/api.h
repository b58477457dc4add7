/*
 * api.h - Postern's HTTP interface: the admin API (/admin/v1/...) that
 * posternctl uses over the Unix control socket, and /healthz. The send API,
 * metrics and the unsubscribe endpoint join it here.
 */
#ifndef POSTERN_API_H
#define POSTERN_API_H

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

#endif
