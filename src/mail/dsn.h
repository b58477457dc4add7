/*
 * dsn.h - delivery status notifications (RFC 3464 in RFC 6522 multipart/report,
 * RFC 3461 for ENVID/ORCPT, RFC 6533 for internationalized reports): the builder
 * of the message itself. Pure: no I/O, no policy. The caller decides whom to
 * notify, when, and whether the original is returned whole (RET).
 *
 * Everything that reaches a report from outside (addresses, a remote server's
 * reply, its host name, the original header) is untrusted: NUL is dropped, CR and
 * LF become folding or spaces, 8-bit octets are replaced by '?' unless the report
 * is an RFC 6533 one, and long values are folded so that no line passes 998
 * octets. The original message is returned only when it fits the report as is.
 */
#ifndef POSTERN_DSN_H
#define POSTERN_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "qrecord.h"

enum dsn_action {
	DSN_ACTION_FAILED,
	DSN_ACTION_DELAYED,
	DSN_ACTION_DELIVERED,
	DSN_ACTION_RELAYED,
	DSN_ACTION_EXPANDED,
};

struct dsn_rcpt {
	const char *addr;  /* the final recipient, "local@domain" (may be UTF-8) */
	const char *orcpt; /* ORCPT as given: "rfc822;xtext" or "utf-8;...", or NULL */
	enum dsn_action action;
	const char *status;      /* enhanced status code "5.1.1"; if malformed, X.0.0 is used */
	const char *remote_mta;  /* host name of the server that answered, or NULL */
	const char *diagnostic;  /* that server's reply ("550 5.1.1 No such user", lines
	                            separated by CR and/or LF), or a local reason, or NULL */
	time_t last_attempt;     /* 0 if never attempted */
	time_t will_retry_until; /* DELAYED only: when we give up; 0 if unknown */
};

struct dsn_info {
	const char *reporting_mta; /* our host name, fully qualified */
	const char *from;          /* the DSN's From address, "MAILER-DAEMON@relay.example" */
	const char *to;            /* the original envelope sender: the DSN's recipient */
	const char *envid;         /* ENVID as given at submission (xtext), or NULL */
	const char *queue_id;      /* our id of the original, for the human part */
	time_t arrival;            /* when we accepted the original; 0 if unknown */
	bool return_full;          /* RET=FULL: return the whole message (FAILED only) */
	bool utf8;                 /* SMTPUTF8 original: use the RFC 6533 media types */
};

/*
 * dsn_build - append to out a complete RFC 5322 message: the DSN for the given
 * recipients of one original message.
 *
 * orig_header is the original's header section (fields with CRLF, no empty line);
 * body the spans of its body, read only when the whole message is returned: for
 * a FAILED report with return_full (RFC 3461 6.2 asks for headers only in other
 * reports). The whole message is returned only if it can travel inside the report
 * unchanged (CRLF lines of at most 998 octets, no NUL, and 7-bit unless utf8);
 * otherwise the header section is returned and the human part says so. A header
 * section that is not clean is returned quoted-printable (RFC 6522 4).
 *
 * All lines end in CRLF and hold at most 998 octets; the message is 7-bit unless
 * info->utf8, and then 8-bit appears only where RFC 6533 allows it. Nothing is
 * kept: out is only appended to, and the inputs are only read.
 *
 * Returns 0, or -1 with out untouched if nrcpts is 0, a required string (to,
 * from, reporting_mta, queue_id, a recipient's addr) is NULL or empty, an action
 * is unknown, or the recipients mix actions that cannot share one report: FAILED,
 * DELAYED and the successes (DELIVERED, RELAYED, EXPANDED) go in separate DSNs.
 */
int dsn_build(struct buf *out, const struct dsn_info *info, const struct dsn_rcpt *rcpts,
              size_t nrcpts, const char *orig_header, size_t orig_header_len,
              const struct qrec_span *body, size_t nbody, time_t now);

#endif
