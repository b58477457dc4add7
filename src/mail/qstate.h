/*
 * qstate.h - the delivery state of a queued message, beside its queue file:
 * attempts, when to try next, whether it is held, and each recipient's
 * outcome so far. The queue file never changes; this does, after every
 * attempt. Losing it can only cause a recipient to be tried again (a
 * duplicate), never a loss, so it is written atomically but not fsynced.
 *
 * Text, one item per line, ending with "end":
 *   postern-state 1
 *   attempts 3 / first MS / last MS / next MS / held 0|1 / delayed 0|1 / bulk 0|1
 *   suspended 1   (only when held because the source was suspended)
 *   quarantined 1 (only when held by the scanners' verdict)
 *   rcpt INDEX pending|sent|failed|passed|suppressed CODE DSN RELAY REPLY...  (CODE 0, DSN/RELAY "-" if none)
 *   end
 */
#ifndef POSTERN_QSTATE_H
#define POSTERN_QSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * PASSED: sent to a next hop that took over DSN duties (it supports DSN);
 * SUPPRESSED: on the suppression list when its turn came: never sent, no DSN
 */
enum rcpt_status { RCPT_PENDING, RCPT_SENT, RCPT_FAILED, RCPT_PASSED, RCPT_SUPPRESSED };

#define QSTATE_REPLY_MAX 400
#define QSTATE_RELAY_MAX 300

struct qstate_rcpt {
	enum rcpt_status status;
	int code;                     /* last SMTP code, 0 if none */
	char dsn[16];                 /* last enhanced status code, "" if none */
	char relay[QSTATE_RELAY_MAX]; /* "mx.example.org[192.0.2.1]:25", "" if none */
	char reply[QSTATE_REPLY_MAX]; /* last reply text, one line, printable */
};

struct qstate {
	uint32_t attempts;
	uint64_t first_ms, last_ms, next_ms;
	bool held;
	bool held_suspended; /* held because its source was suspended (resume releases it) */
	bool held_quarantine; /* held by the scanners' verdict (only a quarantine release frees it) */
	bool delayed;         /* a delay notice has been sent */
	bool bulk;            /* the message's lane, for scheduling after a restart */
	size_t nrcpts;
	struct qstate_rcpt *rcpts; /* owned */
};

/* qstate_init - a fresh state for n recipients, all pending. */
void qstate_init(struct qstate *st, size_t n);
void qstate_release(struct qstate *st);
void qstate_encode(const struct qstate *st, struct buf *out);
/*
 * qstate_decode - parse a state file for a message of nrcpts recipients.
 * 0, or -1 with err (then st is a fresh state: the caller retries everything).
 */
int qstate_decode(const char *p, size_t n, size_t nrcpts, struct qstate *st, char *err,
                  size_t errlen);
/* qstate_set_reply - store a reply text, made one printable line and bounded */
void qstate_set_reply(struct qstate_rcpt *r, int code, const char *dsn, const char *relay,
                      const char *text);
const char *rcpt_status_name(enum rcpt_status s);
/*
 * qstate_peek - just the next-attempt time and the held flags of a state file
 * (why, if not NULL, gets QSTATE_HELD_* for a held one),
 * for start-up, where the number of recipients is not known yet. 0 or -1.
 */
enum { QSTATE_HELD_ADMIN, QSTATE_HELD_SUSPENDED, QSTATE_HELD_QUARANTINE };
int qstate_peek(const char *p, size_t n, uint64_t *next_ms, bool *held, bool *bulk, int *why);

#endif
