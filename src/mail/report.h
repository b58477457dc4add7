/*
 * report.h - reading inbound delivery reports, for bounce and complaint
 * handling: delivery status notifications (RFC 3464 in an RFC 6522
 * multipart/report, RFC 6533 for message/global-delivery-status) and abuse
 * feedback reports (ARF, RFC 5965), with a few fields of the original
 * message they return (message/rfc822, message/global, text/rfc822-headers
 * or message/global-headers).
 *
 * Trusts nothing: anyone can send a report to a bounce or feedback address,
 * and its bytes arrive as they were written. The reader is bounded: it walks
 * multipart bodies at most REPORT_DEPTH_MAX levels below the message (with
 * a loop, not unbounded recursion), looks at REPORT_PARTS_MAX parts,
 * keeps REPORT_RCPTS_MAX recipients, caps every value it copies, and works
 * in time linear in the message size times the depth. The message's size
 * is the caller's to bound. Lines may end in CRLF or a bare LF. Parts in
 * base64 or quoted-printable are decoded. Every string handed back is
 * NUL-terminated UTF-8 without control characters (addresses, Message-ID,
 * List-Unsubscribe and Remote-MTA are refused, left NULL, if they hold one;
 * the diagnostic has them removed).
 *
 * Pure: no I/O, no logging, no globals. Ownership: report_free frees all
 * that report_parse allocated.
 */
#ifndef POSTERN_REPORT_H
#define POSTERN_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#define REPORT_RCPTS_MAX  100  /* per-recipient blocks kept; the rest are counted only */
#define REPORT_DEPTH_MAX  4    /* multipart levels walked below the message's own */
#define REPORT_PARTS_MAX  64   /* parts looked at, all levels together */
#define REPORT_DIAG_MAX   512  /* octets of a Diagnostic-Code kept (cut on a character) */
#define REPORT_VALUE_MAX  998  /* other values: longer ones are refused (left NULL) */
#define REPORT_UNSUB_MAX  2048 /* List-Unsubscribe: longer is refused */
#define REPORT_ACTION_LEN 16
#define REPORT_STATUS_LEN 16

enum report_kind {
	REPORT_NONE, /* neither a DSN nor a feedback report: nothing else is filled */
	REPORT_DSN,
	REPORT_ARF,
};

struct report_rcpt {
	char *final_rcpt;    /* Final-Recipient, its "rfc822;" or "utf-8;" type stripped, or NULL */
	char *original_rcpt; /* Original-Recipient, the same way, or NULL */
	char action[REPORT_ACTION_LEN]; /* failed, delayed, delivered, relayed, expanded; or "" */
	char status[REPORT_STATUS_LEN]; /* the enhanced status code as given ("5.1.1"), or "" */
	char *diagnostic; /* Diagnostic-Code after its type ("smtp; "): unfolded, tabs as
	                     spaces, other controls removed, invalid UTF-8 as '?', at most
	                     REPORT_DIAG_MAX octets; or NULL */
	char *remote_mta; /* Remote-MTA after its type ("dns; "), or NULL */
};

struct report {
	enum report_kind kind;
	/* DSN: one per per-recipient block, in order */
	struct report_rcpt *rcpts;
	size_t nrcpts;
	size_t rcpts_dropped; /* blocks past REPORT_RCPTS_MAX, not kept */
	/* ARF */
	char *feedback_type; /* abuse, fraud, virus, other, not-spam, ... (lower case) */
	char *arf_rcpt;      /* the first Original-Rcpt-To, type stripped, or NULL */
	char *arf_mail_from; /* Original-Mail-From, or NULL (the null path too) */
	/* from the returned original, if the report carries one (both kinds) */
	char *orig_to;               /* its To: addr-spec if it has exactly one, else NULL */
	char *orig_message_id;       /* its Message-ID, "<...>" brackets included, or NULL */
	char *orig_list_unsubscribe; /* its List-Unsubscribe value, unfolded, or NULL */
};

/*
 * report_parse - read the message of len octets at msg (a whole RFC 5322
 * message: header section, empty line, body) into out, which the caller
 * then releases with report_free (also after -1, a no-op then).
 *
 * What counts as a report: a multipart/report whose report-type is
 * delivery-status (or global-delivery-status) with a message/delivery-status
 * (or message/global-delivery-status) part is a DSN; one whose report-type
 * is feedback-report with a message/feedback-report part is an ARF report.
 * Without a report-type, and in a multipart of another subtype, the first
 * such part found decides. The machine part may sit in a nested multipart;
 * the returned original is taken only from the same multipart as the
 * machine part, and only the first of each is read. A multipart/report of
 * another report-type (disposition-notification...), a message that is not
 * multipart, or a multipart without a machine part: 0 with REPORT_NONE.
 *
 * -1 with err filled and out empty for a message that says it is a report
 * but cannot be read as one: a multipart/report without a usable boundary,
 * or without its machine part (within the limits), a DSN without any
 * per-recipient block, an ARF report without a valid Feedback-Type. A
 * message cut short is read as far as it goes.
 */
int report_parse(const char *msg, size_t len, struct report *out, char *err, size_t errlen);

/* report_free - free what report_parse filled in r and empty it; r NULL is a no-op */
void report_free(struct report *r);

enum report_bounce {
	REPORT_BOUNCE_HARD,  /* the mailbox does not exist or is gone: suppress the recipient */
	REPORT_BOUNCE_SOFT,  /* transient, or a state the mailbox can leave: retry, count */
	REPORT_BOUNCE_OTHER, /* not about the mailbox (policy, content, the sender), or no code */
};

/*
 * report_bounce_class - the class of an enhanced status code (RFC 3463),
 * exactly "c.s.d" (class 2, 4 or 5, subject and detail of 1 to 3 digits).
 *
 * The idea: only a failure that says the recipient's mailbox does not exist
 * or is gone may suppress the recipient; a failure that may pass, or that
 * is about something else than the mailbox, must not. So:
 *   HARD   5.1.x (bad or unknown address, unroutable domain, moved), but
 *          5.1.7 and 5.1.8, which are about the sender's address; 5.2.1
 *          (mailbox disabled).
 *   SOFT   every 4.x.x; 5.2.2 (mailbox full); 5.3.x and 5.4.x (the
 *          receiving system or the network, which a later attempt may find
 *          fixed).
 *   OTHER  the rest: 5.2.x otherwise (message too big, list expansion),
 *          5.5.x protocol, 5.6.x content, 5.7.x policy and security, 2.x.x
 *          (not a failure), and anything malformed or NULL.
 * The class ignores the Action: a "delayed" recipient with a 5.x.x status
 * is still not a failure; the caller looks at both.
 */
enum report_bounce report_bounce_class(const char *status);

#endif
