/*
 * resolve.h - where to connect for a domain: MX records (RFC 5321 5.1), the
 * implicit MX, null MX (RFC 7505), and the addresses of each host, through
 * libunbound on the daemon's event base.
 *
 * Addresses an MX lookup yields in reserved ranges (loopback, private,
 * link-local and metadata, see addr_is_reserved) are dropped unless allowed:
 * a remote DNS answer must not be able to aim the relay at the inside.
 */
#ifndef POSTERN_RESOLVE_H
#define POSTERN_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dnsmsg.h"

struct event_base;
struct resolver;
struct resolve_req;

#define RESOLVE_MAX_TARGETS 10 /* addresses tried per connection attempt */
#define RESOLVE_MAX_MX      5  /* MX hosts looked at */

enum resolve_status { RESOLVE_OK, RESOLVE_TEMP, RESOLVE_PERM };

struct resolve_target {
	char host[256]; /* the MX host (or the host itself) */
	struct sockaddr_storage ss;
	socklen_t sslen;
};

struct resolve_result {
	enum resolve_status status;
	char dsn[16];  /* for failures: 4.4.3, 5.1.2, 5.1.10, 5.4.4 */
	char why[512]; /* human words for logs and bounces */
	size_t n;
	struct resolve_target t[RESOLVE_MAX_TARGETS];
};

/* resolve_done_fn - the result, on the loop; never called from inside resolve_*() */
typedef void (*resolve_done_fn)(void *arg, const struct resolve_result *res);

/*
 * resolver_new - spec is "system" (forward to the servers of /etc/resolv.conf),
 * "recursive" (iterate from the root) or "ADDRESS:PORT" (forward there; tests).
 */
struct resolver *resolver_new(struct event_base *base, const char *spec, char *err, size_t errlen);
/* resolver_new_uncached - the same, without a cache: for checking records just published */
struct resolver *resolver_new_uncached(struct event_base *base, const char *spec, char *err,
                                       size_t errlen);
/* resolver_free - outstanding requests are dropped without their callbacks. */
void resolver_free(struct resolver *r);

struct resolve_opts {
	uint16_t port;       /* port of every target */
	bool allow_reserved; /* keep loopback/private/... addresses */
	bool want_v4, want_v6;
};

/* resolve_mx - MX hosts of domain in preference order, then their addresses. */
struct resolve_req *resolve_mx(struct resolver *r, const char *domain, const struct resolve_opts *o,
                               resolve_done_fn done, void *arg);
/* resolve_host - the addresses of one host (an IP address text needs no DNS). */
struct resolve_req *resolve_host(struct resolver *r, const char *host, const struct resolve_opts *o,
                                 resolve_done_fn done, void *arg);
/* resolve_cancel - done will not be called. */
void resolve_cancel(struct resolve_req *q);

/*
 * TXT lookups (for checking published DKIM, SPF and DMARC records). The
 * result lives until the callback returns; records are each record's
 * strings concatenated, NUL-terminated.
 */
struct resolve_txt_result {
	enum resolve_status status; /* OK (n may be 0: no such name or no TXT), TEMP */
	bool nxdomain;
	char why[512];
	size_t n;
	const char *txt[DNS_MAX_RECORDS];
	size_t len[DNS_MAX_RECORDS];
};
typedef void (*resolve_txt_fn)(void *arg, const struct resolve_txt_result *res);
struct resolve_txt_req;
struct resolve_txt_req *resolve_txt(struct resolver *r, const char *name, resolve_txt_fn done,
                                    void *arg);
void resolve_txt_cancel(struct resolve_txt_req *q);

#endif
