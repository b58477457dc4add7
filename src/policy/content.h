/*
 * content.h - what the scanners' findings mean for a message: refused,
 * deferred, held in quarantine, sent only over verified TLS, tagged, or let
 * through. The scanners (src/scan) find; this decides, per source.
 *
 * The order, strongest first: a virus or Rspamd's "reject" refuses the
 * message (554 5.7.1); a data-loss rule with the source's action "reject"
 * refuses it (550 5.7.1, naming the rule, never the data); a scanner that
 * did not answer defers it (451 4.7.0) or, if so configured, holds it;
 * Rspamd's "soft reject" and "greylist" defer it (451 4.7.1); a structure
 * the MIME reader cannot read the way readers agree on, a data-loss rule
 * with the action "quarantine", or Rspamd's "add header" / "rewrite subject"
 * for a source whose spam action is "quarantine" hold it; a data-loss rule
 * with the action "require-tls" marks it for verified TLS only; Rspamd's
 * "add header" / "rewrite subject" otherwise tags it (X-Spam-* fields).
 * Nothing that was not scanned in full is ever let through as clean.
 */
#ifndef POSTERN_CONTENT_H
#define POSTERN_CONTENT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "reply.h"
#include "scan.h"

struct source;

struct content_policy;

/* content_policy_new - scanner borrowed (outlives the policy); no sets, defer on errors */
struct content_policy *content_policy_new(struct scanner *scanner);
void content_policy_free(struct content_policy *p);
/*
 * content_policy_set - on_error_quarantine: a scanner that fails holds the
 * message instead of deferring it. set_names[i] names the comma-separated
 * rule list set_rules[i] (copied).
 */
void content_policy_set(struct content_policy *p, bool on_error_quarantine,
                        const char *const *set_names, const char *const *set_rules, size_t nsets);
/*
 * Memory: the scanners need each message whole. content_reserve counts n
 * more octets held for them, or says no (false) when that would pass the
 * budget (0: none); content_unreserve gives them back. On the loop only.
 */
void content_set_budget(struct content_policy *p, uint64_t max_bytes);
bool content_reserve(struct content_policy *p, uint64_t n);
void content_unreserve(struct content_policy *p, uint64_t n);
struct scanner *content_scanner(const struct content_policy *p);
/*
 * content_wanted - is there anything to scan src's mail with: a scanner or
 * a DLP rule loaded, or rules the source names (even if none is loaded now:
 * then the scan fails closed).
 */
bool content_wanted(const struct content_policy *p, const struct source *src);

/* the DLP rules that apply to a source: all of them, or the names in v */
struct content_rules {
	bool all;
	char **v; /* owned */
	size_t n;
};
/* content_rules_of - expand the source's list ("all", "", rule and set names) */
void content_rules_of(const struct content_policy *p, const struct source *src,
                      struct content_rules *out);
void content_rules_release(struct content_rules *r);

enum content_action {
	CONTENT_PASS,
	CONTENT_QUARANTINE, /* committed unsigned, held until an administrator releases it */
	CONTENT_REFUSE,     /* reply (5xx) */
	CONTENT_DEFER,      /* reply (4xx) */
};

struct content_verdict {
	enum content_action action;
	enum reply reply; /* CONTENT_REFUSE, CONTENT_DEFER */
	char reason[300]; /* the words for the reply or the quarantine: no matched data */
	bool require_tls; /* CONTENT_PASS: only over TLS with a verified certificate */
	bool tag;         /* CONTENT_PASS: add the X-Spam fields (content_spam_fields) */
	const char *key;  /* a short word for events and metrics: "virus", "dlp", ... */
};

void content_decide(const struct content_policy *p, const struct source *src,
                    const struct scan_result *r, struct content_verdict *v);
/* content_spam_fields - the X-Spam-Flag, -Score and -Status fields of a tagged message */
void content_spam_fields(const struct scan_result *r, struct buf *out);

#endif
