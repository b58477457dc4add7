/*
 * clamd.h - a client of ClamAV's clamd: the message streamed with zINSTREAM
 * over a Unix or TCP socket, on the daemon's event base.
 *
 * Fails closed: anything but "stream: OK" (an error, a limit reported by
 * clamd, a timeout, a connection refused) is CLAMD_ERROR, never clean.
 */
#ifndef POSTERN_CLAMD_H
#define POSTERN_CLAMD_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

enum clamd_status { CLAMD_CLEAN, CLAMD_FOUND, CLAMD_ERROR };

/* what: the signature name (FOUND) or what went wrong (ERROR); borrowed for the call */
typedef void (*clamd_done_fn)(enum clamd_status st, const char *what, void *arg);

struct clamd_req;

/*
 * clamd_scan - stream data (n octets, borrowed until done runs or the request
 * is cancelled) to clamd at addr ("/run/clamav/clamd.ctl" or "HOST:PORT").
 * More than max_stream octets: CLAMD_ERROR without asking (clamd would cut
 * the stream and answer an error anyway). done always runs later, on the
 * loop, unless clamd_cancel is called first. NULL only if addr is malformed
 * (err says why).
 */
struct clamd_req *clamd_scan(struct event_base *base, const char *addr, const char *data, size_t n,
                             uint64_t timeout_ms, uint64_t max_stream, clamd_done_fn done,
                             void *arg, char *err, size_t errlen);
/* clamd_cancel - done will not run. NULL is a no-op. */
void clamd_cancel(struct clamd_req *r);

/* clamd_addr_valid - a Unix socket path (absolute) or HOST:PORT; why says what is wrong */
int clamd_addr_parse(const char *addr, char *why, size_t whylen);

#endif
