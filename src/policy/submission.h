/*
 * submission.h - the one path every submitted message takes, whichever door
 * (SMTP or HTTP) it came in by: envelope, content with the submission duties
 * of RFC 6409 (a Received field, Date and Message-ID when missing), limits,
 * the sender identity (the From: field against the source's approved
 * identities), the headers Postern owns, the 7-bit conversion (mime7.h),
 * the DKIM signatures, and the durable spool commit.
 *
 * The door keeps its protocol; it tells the submission what the client said
 * and relays the verdicts (enum reply) it gets back.
 */
#ifndef POSTERN_SUBMISSION_H
#define POSTERN_SUBMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esmtp.h"
#include "received.h"
#include "reply.h"

struct event_base;
struct eventlog;
struct queue;
struct spool;
struct source;
struct domains;
struct signer;
struct content_policy;

struct submission_limits {
	uint64_t max_size; /* octets of content */
	size_t max_rcpts;  /* per message */
	size_t max_header; /* octets of the header section */
};

/*
 * What every submission shares, borrowed: it must outlive the submissions.
 * domains and signer decide and make the DKIM signatures; dkim_expire is
 * the x= of a signature, in seconds after its t= (0: no x=); the daemon
 * may change it on reload.
 */
struct submission_env {
	struct spool *sp;
	struct queue *q;
	struct eventlog *events;
	struct domains *domains;
	struct signer *signer;
	int64_t dkim_expire;
	struct content_policy *content; /* the scanners and what they mean; NULL: no scanning */
	struct suppress *suppress;      /* streams and the suppression list; NULL: none */
};

struct submission;

/*
 * submission_new - a committed message is handed to env->q even if the door
 * has gone away by then: it is durable, so it is delivered (a duplicate, if
 * the client retries, never a loss).
 */
struct submission *submission_new(struct event_base *base, const struct submission_env *env,
                                  const char *hostname);
void submission_free(struct submission *s);
/* submission_set_source - src is referenced (NULL until authenticated). */
void submission_set_source(struct submission *s, struct source *src);
void submission_set_limits(struct submission *s, const struct submission_limits *lim);

/* a transaction: sender, recipients, content. reset forgets it (not the source). */
void submission_reset(struct submission *s);
void submission_set_sender(struct submission *s, const char *addr, const struct mail_params *p);
bool submission_has_sender(const struct submission *s);
/*
 * submission_set_event_detail - JSON object members ("\"api\":true,...",
 * trusted: the door built them) added to this message's accepted event.
 * Copied; forgotten at the next transaction.
 */
void submission_set_event_detail(struct submission *s, const char *members);
/*
 * submission_check_limits - may the source send one more message (of
 * declared_size octets, 0 if unknown) now? RPL_OK, or RPL_SOURCE_LIMIT with
 * submission_reason() naming the limit and submission_retry_after() the
 * seconds until a rate limit lets it through.
 */
enum reply submission_check_limits(struct submission *s, uint64_t declared_size);
int64_t submission_retry_after(const struct submission *s);
/* submission_limit_hit - the key of the last limit reached ("per_hour"), or NULL */
const char *submission_limit_hit(const struct submission *s);
/*
 * submission_set_stream - the message's stream ("" transactional), chosen by
 * the door before the recipients; the source's default until then. A
 * header X-Postern-Stream may still change it. false if it is not declared.
 */
bool submission_set_stream(struct submission *s, const char *stream);
/*
 * RPL_RCPT_OK, RPL_TOO_MANY_RCPTS, RPL_SOURCE_LIMIT (the source's own,
 * submission_reason), or RPL_RCPT_SUPPRESSED (on the suppression list for
 * the stream, and the source refuses such recipients). A suppressed
 * recipient of a source that drops them gets RPL_RCPT_OK but is not added:
 * submission_rcpt_dropped() says so, and the message's events record it.
 */
enum reply submission_add_rcpt(struct submission *s, const char *addr, const struct rcpt_params *p);
bool submission_rcpt_dropped(const struct submission *s);
/* submission_nrcpts - recipients accepted, the dropped ones included */
size_t submission_nrcpts(const struct submission *s);
const char *submission_sender(const struct submission *s);
/* submission_size - content octets received so far */
uint64_t submission_size(const struct submission *s);

/*
 * submission_data_begin - the content starts. ri describes the door for the
 * Received field (its id, for_rcpt and when are filled in here). Returns the
 * queue id the message will have.
 */
uint64_t submission_data_begin(struct submission *s, const struct received_info *ri,
                               const char *client, const char *helo);
/* submission_data_write - content octets (CRLF lines, no dot-stuffing). */
void submission_data_write(struct submission *s, const char *p, size_t n);

typedef void (*submission_done_fn)(enum reply r, uint64_t id, void *arg);
/*
 * submission_data_end - the content is complete: check it, scan it, sign
 * it, commit it. done gets RPL_QUEUED only once the message is durable (a
 * message the scanners hold is committed to the quarantine: RPL_QUEUED too);
 * otherwise the reason (size, header size, identity, no signing key, virus,
 * spam, data-loss rule, a scanner down, storage), with
 * submission_reason() saying more where it can. done always runs later, on
 * the loop.
 */
void submission_data_end(struct submission *s, submission_done_fn done, void *arg);
/* submission_reason - the words for the last refusal (names the address or domain), or NULL */
const char *submission_reason(const struct submission *s);
/* submission_data_abort - drop the content (client went away, protocol error). */
void submission_data_abort(struct submission *s);
/* submission_cancel - the door is going away: a pending done() will not run. */
void submission_cancel(struct submission *s);
/*
 * submission_replay - submit again a message that is stored (a quarantined
 * one, released by an administrator): its envelope and content as they are,
 * its Received fields kept, not held to the size limits again (it was
 * converted), its "verified TLS only" mark kept, scanned again only if
 * rescan (it was held because a scanner was down), then signed and
 * committed under a new id. The source must be set. done as for
 * submission_data_end.
 */
struct qmsg;
void submission_replay(struct submission *s, const struct qmsg *msg, const char *client,
                       bool rescan, submission_done_fn done, void *arg);
/* submission_held - the last message committed went to the quarantine */
bool submission_held(const struct submission *s);
/* submission_reason_key - the short word for a refusal r ("identity", "per_hour", "storage") */
const char *submission_reason_key(const struct submission *s, enum reply r);
/* submission_signed_fields - the names every signature's h= lists (and over-signs) */
const char *const *submission_signed_fields(size_t *n);

#endif
