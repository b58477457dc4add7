/*
 * feedback.h - what mail to Postern's own addresses means: an unsubscribe
 * by mail (unsubscribe+TOKEN@MAILTO_DOMAIN), a bounce (bounces+TOKEN@
 * BOUNCE_DOMAIN, RFC 3464 DSNs) or a complaint (the feedback-loop address,
 * RFC 5965 ARF reports). The inbound listener (src/inbound) asks it.
 *
 * Nothing in a report is believed without a MAC: an unsubscribe needs its
 * link token; a bounce comes to a VERP address whose token names the
 * message, and only recipients of that message are acted on; a complaint
 * must carry, in the original it returns, a List-Unsubscribe token or a
 * VERP address of Postern's. A report that cannot be tied to a message is
 * logged and dropped.
 */
#ifndef POSTERN_FEEDBACK_H
#define POSTERN_FEEDBACK_H

#include <stddef.h>

#include "reply.h"

struct eventlog;
struct store;
struct suppress;
struct feedback;

/* all borrowed; complaints is copied ("" for none) */
struct feedback *feedback_new(struct suppress *sp, struct store *st, struct eventlog *ev,
                              const char *complaints);
void feedback_free(struct feedback *fb);
void feedback_set_complaints(struct feedback *fb, const char *complaints);

/* feedback_rcpt - RPL_RCPT_OK for one of Postern's own addresses, else the refusal */
enum reply feedback_rcpt(struct feedback *fb, const char *addr);
/* feedback_message - act on a message those recipients got (msg: len octets) */
void feedback_message(struct feedback *fb, const char *sender, char *const *rcpts, size_t n,
                      const char *msg, size_t len, const char *client);

#endif
