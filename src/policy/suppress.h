/*
 * suppress.h - streams and the suppression list: who Postern no longer
 * delivers to, and the unsubscribe links that put people on it.
 *
 * A message belongs to a stream: "transactional" (the default; no
 * unsubscribe headers) or a broadcast stream declared in [streams], whose
 * value is the scope of an unsubscribe from it: "stream" (that stream only)
 * or "domain" (every stream). An entry of the list suppresses an address (or
 * "@domain": every address there) in one stream or in all ("domain").
 *
 * The unsubscribe secret lives in STATE_DIR/unsubscribe.key, made on first
 * use; a rotation keeps the secret before it for the configured grace.
 * All calls from the event loop thread.
 */
#ifndef POSTERN_SUPPRESS_H
#define POSTERN_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"
#include "unsub_token.h"

struct eventlog;
struct suppress;

struct suppress_config {
	const char *const *streams; /* names of the broadcast streams */
	const char *const *scopes;  /* "stream" or "domain", one per stream */
	size_t nstreams;
	const char *base_url;      /* the links: BASE_URL/u/TOKEN */
	const char *mailto_domain; /* unsubscribe+TOKEN@MAILTO_DOMAIN */
	const char *bounce_domain; /* VERP: bounces+TOKEN@BOUNCE_DOMAIN; "" for none */
	int64_t token_lifetime;    /* seconds */
	int64_t secret_grace;      /* seconds */
};

/* suppress_new - st and ev borrowed; reads or makes key_path. NULL with err. */
struct suppress *suppress_new(struct store *st, struct eventlog *ev, const char *key_path,
                              const struct suppress_config *cfg, char *err, size_t errlen);
void suppress_free(struct suppress *sp);
/* suppress_configure - new streams and link settings (a reload); copied */
void suppress_configure(struct suppress *sp, const struct suppress_config *cfg);

/* suppress_stream_valid - "" / "transactional" or a declared broadcast stream */
bool suppress_stream_valid(const struct suppress *sp, const char *stream);
/* suppress_broadcast - a declared broadcast stream (not transactional) */
bool suppress_broadcast(const struct suppress *sp, const char *stream);

/*
 * suppress_normalize - addr as the list keeps it: lower case, "local@domain"
 * (or "@domain" when allow_domain). -1 if it is not an address.
 */
int suppress_normalize(const char *addr, bool allow_domain, char *out, size_t outlen);

/*
 * suppress_check - the entry that stops delivery of rcpt in stream ("" for
 * transactional), if any: true with *out filled. A store error is logged
 * and counts as not suppressed (the entry is re-checked at delivery).
 */
bool suppress_check(struct suppress *sp, const char *stream, const char *rcpt,
                    struct store_suppression *out);

/*
 * suppress_add - put e on the list (address normalized here; scope "" means
 * the scope the stream of e->scope asks for is given by the caller). A
 * duplicate keeps the first entry and counts as success. Writes an event
 * "suppression" with the reason. 0, or -1 with err.
 */
int suppress_add(struct suppress *sp, struct store_suppression *e, char *err, size_t errlen);
/* suppress_noted - address (normalized) was put on the list by someone else (the admin API) */
void suppress_noted(struct suppress *sp, const char *address);
/* suppress_scope_of - the scope an unsubscribe from stream gets: stream, or "domain" */
const char *suppress_scope_of(const struct suppress *sp, const char *stream);

/*
 * suppress_headers - append List-Unsubscribe and List-Unsubscribe-Post
 * fields (CRLF-terminated, folded) for rcpt, the one recipient of message
 * id, in stream from source: the link carries its claim (unsub_token.h),
 * the mailto names the message. -1 if a token cannot be made.
 */
int suppress_headers(struct suppress *sp, uint64_t id, const char *rcpt, const char *stream,
                     const char *source, struct buf *out);
/* suppress_token_read - the claim of a link's token (unsub_token_read with the secrets) */
enum unsub_verdict suppress_token_read(struct suppress *sp, const char *token,
                                       struct unsub_claim *out);
/* suppress_event_detail - the JSON detail of a "suppressed" event: scope, reason, where */
void suppress_event_detail(const struct store_suppression *why, const char *where, struct buf *out);
/* suppressed_event - a recipient left out (where: "submission" or "delivery") */
void suppressed_event(struct eventlog *ev, uint64_t id, const char *source, const char *sender,
                      const char *rcpt, const struct store_suppression *why, const char *where);
/* suppress_verp - the VERP envelope sender of recipient idx (rcpt) of message id; false
 * without a bounce domain */
bool suppress_verp(struct suppress *sp, uint64_t id, size_t idx, const char *rcpt, struct buf *out);
/*
 * suppress_verp_read - the message id of the token of a VERP address (the len
 * characters after "bounces+"); with rcpt, only if it was made for rcpt
 */
bool suppress_verp_read(struct suppress *sp, const char *token, size_t len, const char *rcpt,
                        uint64_t *id);
/*
 * suppress_msg_token_read - the message id of the token of the mailto
 * address of an unsubscribe link (len characters after "unsubscribe+", label
 * "unsub")
 */
bool suppress_msg_token_read(struct suppress *sp, const char *label, const char *token, size_t len,
                             uint64_t *id);
/* suppress_mailto_domain, suppress_bounce_domain - as configured ("" for none) */
const char *suppress_mailto_domain(const struct suppress *sp);
const char *suppress_bounce_domain(const struct suppress *sp);
/* suppress_rotate - a new secret; the old one verifies for the grace. 0 or -1 with err. */
int suppress_rotate(struct suppress *sp, char *err, size_t errlen);

#endif
