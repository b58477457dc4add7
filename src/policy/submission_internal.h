/*
 * submission_internal.h - the state of a submission, shared by its two files:
 * submission.c (envelope, data flow, signing and commit) and
 * submission_header.c (the header section: owned fields, the From: identity,
 * the choice of signing keys, the DKIM-Signature fields).
 */
#ifndef POSTERN_SUBMISSION_INTERNAL_H
#define POSTERN_SUBMISSION_INTERNAL_H

#include <stdbool.h>

#include "buf.h"
#include "dkim_canon.h"
#include "domains.h"
#include "envelope.h"
#include "content.h"
#include "mime7.h"
#include "signer.h"
#include "store.h"
#include "submission.h"

struct event;

/* a recipient left out because it is suppressed: for its event once the message is durable */
struct sub_dropped {
	char *addr;
	unsigned notify;
	char *orcpt; /* NULL if not given */
	struct store_suppression why;
};

enum phase { PH_IDLE, PH_HEADER, PH_BODY, PH_SCAN, PH_SIGN, PH_COMMIT };

struct submission {
	const struct submission_env *env_;
	struct eventlog *events;
	struct spool *sp;
	struct queue *q;
	char *hostname;
	struct source *src;
	struct submission_limits lim;
	struct envelope env;
	bool have_sender;

	enum phase phase;
	struct spool_msg *msg;
	struct buf received; /* the Received field for this message */
	struct buf hdr;      /* header section as received, until it ends */
	size_t hdr_scan;     /* first line of hdr not yet classified */
	size_t hdr_seen;     /* hdr searched for a line end up to here */
	struct buf body;     /* body octets not yet written as a record */
	uint64_t size;
	enum reply fail;     /* RPL_OK, or the first reason to refuse */
	int limit_hit;       /* enum limit_kind of the last RPL_SOURCE_LIMIT */
	int64_t retry_after; /* seconds, for a rate limit reached */
	int64_t reserved_at; /* counted against the rates then, until it is sent or refused */
	char reason[400];    /* more words for fail, or "" */
	int header_lane;     /* X-Postern-Lane: -1 none, 0 urgent, 1 bulk */
	char *event_extra;   /* owned: JSON members added to the accepted event */
	char stream[STORE_STREAM_MAX + 1];      /* "" transactional, or a broadcast stream */
	char rcpt_stream[STORE_STREAM_MAX + 1]; /* the stream the recipients were checked in */
	struct sub_dropped *dropped;            /* owned: suppressed recipients left out */
	size_t ndropped;
	bool last_dropped; /* the last submission_add_rcpt dropped its recipient */
	bool replay;       /* a stored message submitted again: its Received kept */
	bool rescan;       /* ... and scanned again (held because a scanner was down) */

	/* from the end of the header section on */
	struct mime7 *conv;  /* the 7-bit converter: what it emits is what is sent */
	struct buf out_hdr;  /* the header section as sent, without signatures */
	bool hdr_out;        /* the converter has emitted it */
	struct dkim_body bh; /* body hash of what is sent */
	bool hashing;        /* bh is initialised */
	char sign_domain[STORE_DOMAIN_MAX + 1];
	struct dom_key *keys[DOMAINS_MAX_SIGNERS]; /* referenced */
	size_t nkeys;
	struct sign_req sreq;
	struct buf sigs;      /* the DKIM-Signature fields, finished */
	struct buf signed_by; /* {"domain":..., "selectors": [...]}: the signed event */
	struct buf fields[DOMAINS_MAX_SIGNERS]; /* being signed */

	/* the scanners, between the end of the content and signing */
	bool scanning;          /* a copy of the body is kept for them */
	bool scan_busy;         /* ... but their memory budget was full: deferred */
	uint64_t scan_reserved; /* octets counted against that budget for this message */
	struct buf scan_body;   /* the body as sent, while scanning */
	struct scan_req *scan;  /* in flight (PH_SCAN) */
	char *scan_json;        /* owned: the scanners' findings, for the events */
	struct content_verdict verdict;
	char *quarantine; /* owned: the verdict of a message committed to the quarantine */

	submission_done_fn done;
	void *done_arg;
	struct event *later; /* delivers a refusal from the loop */
	enum reply refused;
	bool cancelled;    /* the door went away during signing or the commit */
	bool free_on_done; /* submission_free() was called during signing or the commit */
};

/* submission.c */
/* sub_clear_content - forget the message being received (not the envelope) */
void sub_clear_content(struct submission *s);
void sub_flush_body(struct submission *s, bool all);
/* sub_refuse - the message will be refused with r (reason: more words, or NULL) */
void sub_refuse(struct submission *s, enum reply r, const char *reason);

/* submission_header.c */
/*
 * sub_finish_header - the header section is hdr[0..end): take the
 * instructions out of it, drop the fields Postern owns, add Received, Date
 * and Message-ID, check the From: identity, choose the signing keys, and
 * start the converter. Refuses (sub_refuse) on an identity or key problem.
 */
void sub_finish_header(struct submission *s, size_t end);
/* sub_convert - body octets into the converter */
void sub_convert(struct submission *s, const char *p, size_t n);
/* sub_prepare_signatures - hash the header and fill s->sreq. -1: refused (sub_refuse). */
int sub_prepare_signatures(struct submission *s);
/* sub_finish_signatures - the signatures of s->sreq into s->sigs. 0 or -1. */
int sub_finish_signatures(struct submission *s);
void sub_release_keys(struct submission *s);
/* submission_stream.c */
/* sub_drop - rcpt is suppressed (why): left out of the envelope, its event written at commit */
void sub_drop(struct submission *s, const char *addr, unsigned notify, const char *orcpt,
              const struct store_suppression *why);
void sub_clear_dropped(struct submission *s);
/*
 * sub_accept_suppressed - every recipient is suppressed: the client hears
 * "250", the events say what happened, nothing is queued
 */
void sub_accept_suppressed(struct submission *s);
/*
 * sub_restream - the content named another stream than the one its
 * recipients were checked in: check them again (a recipient suppressed in
 * the new stream is dropped, one dropped only for the old one is back).
 */
void sub_restream(struct submission *s);
/* sub_record_refusal - the event and log line of a refused message */
void sub_record_refusal(struct submission *s, enum reply r);

#endif
