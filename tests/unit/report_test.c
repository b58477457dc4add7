/*
 * report_test.c - report_parse and report_bounce_class. Rows are realistic
 * reports (Postfix, Exim, Gmail, a multi-recipient and a delayed DSN, ARF
 * from Yahoo/AOL-style feedback loops, one with headers only), messages that
 * are no report, and hostile inputs (folding, missing boundary, cut short,
 * NULs, bad addresses, nesting, duplicates); each is read with LF lines as
 * written and again with CRLF lines, from a heap block of its exact size, and
 * both readings must give the row's result. Generated inputs (huge values,
 * 1000 recipient blocks, deep nesting) and a round trip through dsn_build
 * follow.
 */
#include "report.h"

#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "dsn.h"
#include "unit.h"

/* --- realistic reports -------------------------------------------------- */

#define POSTFIX_TOP                                                                                \
	"Return-Path: <>\n"                                                                        \
	"Received: by mx.example.com (Postfix)\n"                                                  \
	"\tid 3F1A2C0123; Tue, 14 May 2024 10:21:33 +0000 (UTC)\n"                                 \
	"Date: Tue, 14 May 2024 10:21:33 +0000 (UTC)\n"                                            \
	"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n"                              \
	"Subject: Undelivered Mail Returned to Sender\n"                                           \
	"To: bounces+abc@relay.example\n"                                                          \
	"Auto-Submitted: auto-replied\n"                                                           \
	"MIME-Version: 1.0\n"                                                                      \
	"Content-Type: multipart/report; report-type=delivery-status;\n"                           \
	"\tboundary=\"3F1A2C0123.1715682093/mx.example.com\"\n"                                    \
	"Content-Transfer-Encoding: 8bit\n"                                                        \
	"Message-Id: <20240514102133.4B2E5C0124@mx.example.com>\n"                                 \
	"\n"                                                                                       \
	"This is a MIME-encapsulated message.\n"                                                   \
	"\n"                                                                                       \
	"--3F1A2C0123.1715682093/mx.example.com\n"                                                 \
	"Content-Description: Notification\n"                                                      \
	"Content-Type: text/plain; charset=us-ascii\n"                                             \
	"\n"                                                                                       \
	"This is the mail system at host mx.example.com.\n"                                        \
	"\n"                                                                                       \
	"I'm sorry to have to inform you that your message could not\n"                            \
	"be delivered to one or more recipients. It's attached below.\n"                           \
	"\n"                                                                                       \
	"                   The mail system\n"                                                     \
	"\n"                                                                                       \
	"<nobody@example.org>: host mx1.example.org[192.0.2.25] said: 550 5.1.1\n"                 \
	"    <nobody@example.org>: Recipient address rejected: User unknown in local\n"            \
	"    recipient table (in reply to RCPT TO command)\n"                                      \
	"\n"                                                                                       \
	"--3F1A2C0123.1715682093/mx.example.com\n"                                                 \
	"Content-Description: Delivery report\n"                                                   \
	"Content-Type: message/delivery-status\n"                                                  \
	"\n"                                                                                       \
	"Reporting-MTA: dns; mx.example.com\n"                                                     \
	"X-Postfix-Queue-ID: 3F1A2C0123\n"                                                         \
	"X-Postfix-Sender: rfc822; bounces+abc@relay.example\n"                                    \
	"Arrival-Date: Tue, 14 May 2024 10:21:31 +0000 (UTC)\n"                                    \
	"\n"                                                                                       \
	"Final-Recipient: rfc822; nobody@example.org\n"                                            \
	"Original-Recipient: rfc822;nobody@example.org\n"                                          \
	"Action: failed\n"                                                                         \
	"Status: 5.1.1\n"                                                                          \
	"Remote-MTA: dns; mx1.example.org\n"                                                       \
	"Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>: Recipient address\n"               \
	"    rejected: User unknown in local recipient table\n"

#define POSTFIX_REST                                                                               \
	"\n"                                                                                       \
	"--3F1A2C0123.1715682093/mx.example.com\n"                                                 \
	"Content-Description: Undelivered Message\n"                                               \
	"Content-Type: message/rfc822\n"                                                           \
	"Content-Transfer-Encoding: 8bit\n"                                                        \
	"\n"                                                                                       \
	"Return-Path: <bounces+abc@relay.example>\n"                                               \
	"Received: from relay.example (relay.example [203.0.113.5])\n"                             \
	"\tby mx.example.com (Postfix) with ESMTPS id 3F1A2C0123\n"                                \
	"From: Shop News <news@shop.example>\n"                                                    \
	"To: Nobody <nobody@example.org>\n"                                                        \
	"Subject: Spring sale\n"                                                                   \
	"Message-ID: <01HXYZ.abc@relay.example>\n"                                                 \
	"List-Unsubscribe: <https://shop.example/u/TOKEN1>\n"                                      \
	"MIME-Version: 1.0\n"                                                                      \
	"Content-Type: text/plain\n"                                                               \
	"\n"                                                                                       \
	"Hello\n"                                                                                  \
	"--3F1A2C0123.1715682093/mx.example.com--\n"

#define POSTFIX_DIAG                                                                               \
	"550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in local "       \
	"recipient table"

#define EXIM                                                                                       \
	"Received: from Debian-exim by mail.example.net with local (Exim 4.96)\n"                  \
	"\tid 1s6qA1-0003Xy-1T; Tue, 14 May 2024 10:21:33 +0000\n"                                 \
	"X-Failed-Recipients: gone@example.net\n"                                                  \
	"Auto-Submitted: auto-replied\n"                                                           \
	"From: Mail Delivery System <Mailer-Daemon@mail.example.net>\n"                            \
	"To: bounces@relay.example\n"                                                              \
	"Content-Type: multipart/report; report-type=delivery-status;\n"                           \
	" boundary=1715682093-eximdsn-1804289383\n"                                                \
	"MIME-Version: 1.0\n"                                                                      \
	"Subject: Mail delivery failed: returning message to sender\n"                             \
	"Message-Id: <E1s6qA1-0003Xy-1T@mail.example.net>\n"                                       \
	"\n"                                                                                       \
	"--1715682093-eximdsn-1804289383\n"                                                        \
	"Content-type: text/plain; charset=us-ascii\n"                                             \
	"\n"                                                                                       \
	"This message was created automatically by mail delivery software.\n"                      \
	"\n"                                                                                       \
	"  gone@example.net\n"                                                                     \
	"    host mx.example.net [198.51.100.7]\n"                                                 \
	"    SMTP error from remote mail server after RCPT TO:<gone@example.net>:\n"               \
	"    550 5.2.1 The email account that you tried to reach is disabled.\n"                   \
	"\n"                                                                                       \
	"--1715682093-eximdsn-1804289383\n"                                                        \
	"Content-type: message/delivery-status\n"                                                  \
	"\n"                                                                                       \
	"Reporting-MTA: dns; mail.example.net\n"                                                   \
	"\n"                                                                                       \
	"Action: failed\n"                                                                         \
	"Final-Recipient: rfc822;gone@example.net\n"                                               \
	"Status: 5.0.0\n"                                                                          \
	"Remote-MTA: dns; mx.example.net\n"                                                        \
	"Diagnostic-Code: smtp; 550 5.2.1 The email account that you tried to reach is "           \
	"disabled.\n"                                                                              \
	"\n"                                                                                       \
	"--1715682093-eximdsn-1804289383\n"                                                        \
	"Content-type: message/rfc822\n"                                                           \
	"\n"                                                                                       \
	"Return-path: <bounces@relay.example>\n"                                                   \
	"From: billing@shop.example\n"                                                             \
	"To: gone@example.net\n"                                                                   \
	"Subject: Your invoice\n"                                                                  \
	"Message-ID: <inv-7@relay.example>\n"                                                      \
	"\n"                                                                                       \
	"Invoice attached.\n"                                                                      \
	"\n"                                                                                       \
	"--1715682093-eximdsn-1804289383--\n"

#define GMAIL                                                                                      \
	"Delivered-To: bounces@relay.example\n"                                                    \
	"Return-Path: <>\n"                                                                        \
	"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"                           \
	"To: bounces@relay.example\n"                                                              \
	"Auto-Submitted: auto-replied\n"                                                           \
	"Subject: Delivery Status Notification (Failure)\n"                                        \
	"In-Reply-To: <m3@relay.example>\n"                                                        \
	"X-Failed-Recipients: noone@gmail.com\n"                                                   \
	"Message-ID: <6643b1c2.050a0220.abc.1234.GMR@mx.google.com>\n"                             \
	"Date: Tue, 14 May 2024 03:41:42 -0700 (PDT)\n"                                            \
	"MIME-Version: 1.0\n"                                                                      \
	"Content-Type: multipart/report; boundary=\"000000000000b5a8f00618695a2d\";\n"             \
	" report-type=delivery-status\n"                                                           \
	"\n"                                                                                       \
	"--000000000000b5a8f00618695a2d\n"                                                         \
	"Content-Type: multipart/related; boundary=\"000000000000b5b0910618695a37\"\n"             \
	"\n"                                                                                       \
	"--000000000000b5b0910618695a37\n"                                                         \
	"Content-Type: multipart/alternative; boundary=\"000000000000b5b0990618695a38\"\n"         \
	"\n"                                                                                       \
	"--000000000000b5b0990618695a38\n"                                                         \
	"Content-Type: text/plain; charset=\"UTF-8\"\n"                                            \
	"\n"                                                                                       \
	"** Address not found **\n"                                                                \
	"\n"                                                                                       \
	"Your message wasn't delivered to noone@gmail.com because the address couldn't be\n"       \
	"found, or is unable to receive mail.\n"                                                   \
	"\n"                                                                                       \
	"--000000000000b5b0990618695a38\n"                                                         \
	"Content-Type: text/html; charset=\"UTF-8\"\n"                                             \
	"\n"                                                                                       \
	"<html><body>Address not found</body></html>\n"                                            \
	"--000000000000b5b0990618695a38--\n"                                                       \
	"--000000000000b5b0910618695a37\n"                                                         \
	"Content-Type: image/png; name=\"icon.png\"\n"                                             \
	"Content-Disposition: attachment; filename=\"icon.png\"\n"                                 \
	"Content-Transfer-Encoding: base64\n"                                                      \
	"Content-ID: <icon.png>\n"                                                                 \
	"\n"                                                                                       \
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5E" \
	"\n"                                                                                       \
	"--000000000000b5b0910618695a37--\n"                                                       \
	"--000000000000b5a8f00618695a2d\n"                                                         \
	"Content-Type: message/delivery-status\n"                                                  \
	"\n"                                                                                       \
	"Reporting-MTA: dns; googlemail.com\n"                                                     \
	"Received-From-MTA: dns; relay.example\n"                                                  \
	"Arrival-Date: Tue, 14 May 2024 03:41:40 -0700 (PDT)\n"                                    \
	"X-Original-Message-ID: <m3@relay.example>\n"                                              \
	"\n"                                                                                       \
	"Final-Recipient: rfc822; noone@gmail.com\n"                                               \
	"Action: failed\n"                                                                         \
	"Status: 5.1.1\n"                                                                          \
	"Remote-MTA: dns; gmail-smtp-in.l.google.com. (2a00:1450:400c:c0b::1a, the\n"              \
	" server for the domain gmail.com.)\n"                                                     \
	"Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does\n"        \
	" not exist. Please try double-checking the recipient's email address for\n"               \
	" typos or unnecessary spaces. - gsmtp\n"                                                  \
	"Last-Attempt-Date: Tue, 14 May 2024 03:41:41 -0700 (PDT)\n"                               \
	"\n"                                                                                       \
	"--000000000000b5a8f00618695a2d\n"                                                         \
	"Content-Type: message/rfc822\n"                                                           \
	"\n"                                                                                       \
	"From: \"Shop, News\" <news@shop.example>\n"                                               \
	"To: \"No One\" <noone@gmail.com> (personal)\n"                                            \
	"Subject: Spring sale\n"                                                                   \
	"Message-ID: <m3@relay.example>\n"                                                         \
	"\n"                                                                                       \
	"Hello\n"                                                                                  \
	"--000000000000b5a8f00618695a2d--\n"

/* sendmail-style, two recipients: one failed, one delayed */
#define MULTI                                                                                      \
	"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>\n"                           \
	"To: <bounces@relay.example>\n"                                                            \
	"MIME-Version: 1.0\n"                                                                      \
	"Content-Type: multipart/report; report-type=delivery-status;\n"                           \
	"\tboundary=\"u4EAL7Xq021882.1715682093/mx.example.com\"\n"                                \
	"Subject: Returned mail: see transcript for details\n"                                     \
	"Auto-Submitted: auto-generated (failure)\n"                                               \
	"\n"                                                                                       \
	"This is a MIME-encapsulated message\n"                                                    \
	"\n"                                                                                       \
	"--u4EAL7Xq021882.1715682093/mx.example.com\n"                                             \
	"\n"                                                                                       \
	"The original message was received at Tue, 14 May 2024 10:21:33 GMT\n"                     \
	"\n"                                                                                       \
	"--u4EAL7Xq021882.1715682093/mx.example.com\n"                                             \
	"Content-Type: message/delivery-status\n"                                                  \
	"\n"                                                                                       \
	"Reporting-MTA: dns; mx.example.com\n"                                                     \
	"Received-From-MTA: DNS; relay.example\n"                                                  \
	"Arrival-Date: Tue, 14 May 2024 10:21:33 GMT\n"                                            \
	"\n"                                                                                       \
	"Final-Recipient: RFC822; a@example.com\n"                                                 \
	"Action: failed\n"                                                                         \
	"Status: 5.1.1\n"                                                                          \
	"Remote-MTA: DNS; mail.example.com\n"                                                      \
	"Diagnostic-Code: SMTP; 550 5.1.1 <a@example.com>... User unknown\n"                       \
	"Last-Attempt-Date: Tue, 14 May 2024 10:21:34 GMT\n"                                       \
	"\n"                                                                                       \
	"Final-Recipient: RFC822; b@example.net\n"                                                 \
	"Action: delayed\n"                                                                        \
	"Status: 4.4.1\n"                                                                          \
	"Diagnostic-Code: X-Sendmail; 421 4.4.1 Host example.net is down\n"                        \
	"Will-Retry-Until: Sat, 18 May 2024 10:21:33 GMT\n"                                        \
	"\n"                                                                                       \
	"--u4EAL7Xq021882.1715682093/mx.example.com\n"                                             \
	"Content-Type: text/rfc822-headers\n"                                                      \
	"\n"                                                                                       \
	"From: <news@shop.example>\n"                                                              \
	"To: a@example.com, b@example.net\n"                                                       \
	"Message-ID: <multi@relay.example>\n"                                                      \
	"\n"                                                                                       \
	"--u4EAL7Xq021882.1715682093/mx.example.com--\n"

/* Postfix's "Delayed Mail (still being retried)": headers only, no Diagnostic-Code */
#define DELAYED                                                                                    \
	"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n"                              \
	"Subject: Delayed Mail (still being retried)\n"                                            \
	"To: bounces@relay.example\n"                                                              \
	"MIME-Version: 1.0\n"                                                                      \
	"Content-Type: multipart/report; report-type=delivery-status;\n"                           \
	"\tboundary=\"9C3B8C0456.1715700000/mx.example.com\"\n"                                    \
	"\n"                                                                                       \
	"--9C3B8C0456.1715700000/mx.example.com\n"                                                 \
	"Content-Description: Notification\n"                                                      \
	"Content-Type: text/plain; charset=us-ascii\n"                                             \
	"\n"                                                                                       \
	"This is the mail system at host mx.example.com.\n"                                        \
	"\n"                                                                                       \
	"--9C3B8C0456.1715700000/mx.example.com\n"                                                 \
	"Content-Description: Delivery report\n"                                                   \
	"Content-Type: message/delivery-status\n"                                                  \
	"\n"                                                                                       \
	"Reporting-MTA: dns; mx.example.com\n"                                                     \
	"\n"                                                                                       \
	"Final-Recipient: rfc822; slow@example.org\n"                                              \
	"Original-Recipient: rfc822;Slow@Example.org\n"                                            \
	"Action: delayed\n"                                                                        \
	"Status: 4.4.1\n"                                                                          \
	"Diagnostic-Code: X-Postfix; connect to mx.example.org[192.0.2.9]:25: Connection\n"        \
	"    timed out\n"                                                                          \
	"Will-Retry-Until: Fri, 17 May 2024 10:21:31 +0000 (UTC)\n"                                \
	"\n"                                                                                       \
	"--9C3B8C0456.1715700000/mx.example.com\n"                                                 \
	"Content-Description: Undelivered Message Headers\n"                                       \
	"Content-Type: text/rfc822-headers\n"                                                      \
	"\n"                                                                                       \
	"From: news@shop.example\n"                                                                \
	"To: slow@example.org\n"                                                                   \
	"Message-ID: <slow.1@relay.example>\n"                                                     \
	"--9C3B8C0456.1715700000/mx.example.com--\n"

#define ARF_YAHOO                                                                                  \
	"From: feedback@arf.mail.yahoo.com\n"                                                      \
	"To: fbl@relay.example\n"                                                                  \
	"Subject: FW: Spring sale\n"                                                               \
	"MIME-Version: 1.0\n"                                                                      \
	"Content-Type: multipart/report; report-type=feedback-report;\n"                           \
	"\tboundary=\"----=_Part_1234_5678.1715682093\"\n"                                         \
	"\n"                                                                                       \
	"------=_Part_1234_5678.1715682093\n"                                                      \
	"Content-Type: text/plain; charset=us-ascii\n"                                             \
	"Content-Transfer-Encoding: 7bit\n"                                                        \
	"\n"                                                                                       \
	"This is an email abuse report for an email message received from IP\n"                    \
	"203.0.113.9 on Tue, 14 May 2024 10:21:33 +0000.\n"                                        \
	"\n"                                                                                       \
	"------=_Part_1234_5678.1715682093\n"                                                      \
	"Content-Type: message/feedback-report\n"                                                  \
	"\n"                                                                                       \
	"Feedback-Type: abuse\n"                                                                   \
	"User-Agent: Yahoo!-Mail-Feedback/2.0\n"                                                   \
	"Version: 1\n"                                                                             \
	"Original-Mail-From: <bounces+u123@relay.example>\n"                                       \
	"Original-Rcpt-To: <someone@yahoo.com>\n"                                                  \
	"Received-Date: Tue, 14 May 2024 10:21:33 +0000\n"                                         \
	"Source-IP: 203.0.113.9\n"                                                                 \
	"Authentication-Results: mta1000.mail.gq1.yahoo.com  from=shop.example;\n"                 \
	"\tdkim=pass (ok)\n"                                                                       \
	"Reported-Domain: shop.example\n"                                                          \
	"\n"                                                                                       \
	"------=_Part_1234_5678.1715682093\n"                                                      \
	"Content-Type: message/rfc822\n"                                                           \
	"Content-Disposition: inline\n"                                                            \
	"\n"                                                                                       \
	"From: Shop News <news@shop.example>\n"                                                    \
	"To: someone@yahoo.com\n"                                                                  \
	"Subject: Spring sale\n"                                                                   \
	"Message-ID: <01HXYZ.arf@relay.example>\n"                                                 \
	"List-Unsubscribe: <https://x.example/u/TOKEN>,\n"                                         \
	" <mailto:unsubscribe+TOKEN@x.example>\n"                                                  \
	"List-Unsubscribe-Post: List-Unsubscribe=One-Click\n"                                      \
	"\n"                                                                                       \
	"Hello\n"                                                                                  \
	"------=_Part_1234_5678.1715682093--\n"

#define UNSUB "<https://x.example/u/TOKEN>, <mailto:unsubscribe+TOKEN@x.example>"

/* AOL-style: redacted recipient, the original as quoted-printable headers only */
#define ARF_HEADERS                                                                                \
	"From: scomp@aol.net\n"                                                                    \
	"To: fbl@relay.example\n"                                                                  \
	"Subject: Email Feedback Report for IP 203.0.113.9\n"                                      \
	"MIME-Version: 1.0\n"                                                                      \
	"Content-Type: multipart/report; report-type=\"feedback-report\";\n"                       \
	"  boundary=\"boundary-1138-14591-2601-6416\"\n"                                           \
	"\n"                                                                                       \
	"--boundary-1138-14591-2601-6416\n"                                                        \
	"Content-Type: text/plain; charset=\"US-ASCII\"\n"                                         \
	"\n"                                                                                       \
	"This is an email abuse report.\n"                                                         \
	"--boundary-1138-14591-2601-6416\n"                                                        \
	"Content-Type: message/feedback-report\n"                                                  \
	"\n"                                                                                       \
	"Feedback-Type: Fraud\n"                                                                   \
	"User-Agent: AOL SComp\n"                                                                  \
	"Version: 1\n"                                                                             \
	"Original-Mail-From: <>\n"                                                                 \
	"Original-Rcpt-To: redacted@aol.com\n"                                                     \
	"Reported-Domain: shop.example\n"                                                          \
	"--boundary-1138-14591-2601-6416\n"                                                        \
	"Content-Type: text/rfc822-headers\n"                                                      \
	"Content-Transfer-Encoding: quoted-printable\n"                                            \
	"\n"                                                                                       \
	"From: =3Cnews@shop.example=3E\n"                                                          \
	"To: redacted@aol.com\n"                                                                   \
	"Message-ID: <aol.1@relay.exa=\n"                                                          \
	"mple>\n"                                                                                  \
	"List-Unsubscribe: <mailto:u+T2@x.example>\n"                                              \
	"--boundary-1138-14591-2601-6416--\n"

/* a read receipt: a report, but neither kind */
#define MDN                                                                                        \
	"Content-Type: multipart/report; report-type=disposition-notification; boundary=b\n"       \
	"\n"                                                                                       \
	"--b\n"                                                                                    \
	"Content-Type: message/disposition-notification\n"                                         \
	"\n"                                                                                       \
	"Final-Recipient: rfc822; a@example.com\n"                                                 \
	"Disposition: manual-action/MDN-sent-manually; displayed\n"                                \
	"--b--\n"

/* the smallest DSN pieces, for hostile rows */
#define DSN_HEAD(extra)                                                                            \
	"From: MAILER-DAEMON@mx.example.com\n"                                                     \
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"" extra "\n"   \
	"\n"
#define DS_PART "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"

/* --- rows ------------------------------------------------------------------ */

struct rcpt_exp {
	const char *final, *orig, *action, *status, *diag, *mta;
};

struct row {
	const char *name;
	const char *msg;
	size_t len;
	int rc;
	enum report_kind kind;
	const char *err; /* rc -1: a part of the reason */
	size_t nrcpts;
	struct rcpt_exp r[2];
	const char *fb_type, *arf_rcpt, *arf_from;
	const char *to, *msgid, *unsub;
};

#define NONE_ROW(n, m)                                                                             \
	{                                                                                          \
		.name = n, .msg = RAW(m)                                                           \
	}

static const struct row rows[] = {
        {.name = "postfix bounce",
         .msg = RAW(POSTFIX_TOP POSTFIX_REST),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"nobody@example.org", "nobody@example.org", "failed", "5.1.1", POSTFIX_DIAG,
                "mx1.example.org"}},
         .to = "nobody@example.org",
         .msgid = "<01HXYZ.abc@relay.example>",
         .unsub = "<https://shop.example/u/TOKEN1>"},
        {.name = "exim bounce",
         .msg = RAW(EXIM),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"gone@example.net", NULL, "failed", "5.0.0",
                "550 5.2.1 The email account that you tried to reach is disabled.",
                "mx.example.net"}},
         .to = "gone@example.net",
         .msgid = "<inv-7@relay.example>"},
        {.name = "gmail bounce, the human part nested two deep",
         .msg = RAW(GMAIL),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"noone@gmail.com", NULL, "failed", "5.1.1",
                "550-5.1.1 The email account that you tried to reach does not exist. Please try "
                "double-checking the recipient's email address for typos or unnecessary spaces. - "
                "gsmtp",
                "gmail-smtp-in.l.google.com. (2a00:1450:400c:c0b::1a, the server for the domain "
                "gmail.com.)"}},
         .to = "noone@gmail.com",
         .msgid = "<m3@relay.example>"},
        {.name = "two recipients, failed and delayed; To with two addresses",
         .msg = RAW(MULTI),
         .kind = REPORT_DSN,
         .nrcpts = 2,
         .r = {{"a@example.com", NULL, "failed", "5.1.1",
                "550 5.1.1 <a@example.com>... User unknown", "mail.example.com"},
               {"b@example.net", NULL, "delayed", "4.4.1", "421 4.4.1 Host example.net is down",
                NULL}},
         .msgid = "<multi@relay.example>"},
        {.name = "delayed, headers only",
         .msg = RAW(DELAYED),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"slow@example.org", "Slow@Example.org", "delayed", "4.4.1",
                "connect to mx.example.org[192.0.2.9]:25: Connection timed out", NULL}},
         .to = "slow@example.org",
         .msgid = "<slow.1@relay.example>"},
        {.name = "ARF from a Yahoo-style loop",
         .msg = RAW(ARF_YAHOO),
         .kind = REPORT_ARF,
         .fb_type = "abuse",
         .arf_rcpt = "someone@yahoo.com",
         .arf_from = "bounces+u123@relay.example",
         .to = "someone@yahoo.com",
         .msgid = "<01HXYZ.arf@relay.example>",
         .unsub = UNSUB},
        {.name = "ARF with quoted-printable text/rfc822-headers, null Original-Mail-From",
         .msg = RAW(ARF_HEADERS),
         .kind = REPORT_ARF,
         .fb_type = "fraud",
         .arf_rcpt = "redacted@aol.com",
         .to = "redacted@aol.com",
         .msgid = "<aol.1@relay.example>",
         .unsub = "<mailto:u+T2@x.example>"},
        NONE_ROW("plain message", "From: a@example.com\nTo: b@example.org\nSubject: hi\n\n"
                                  "Final-Recipient: rfc822; x@y.example\nAction: failed\n"),
        NONE_ROW("empty", ""),
        NONE_ROW("read receipt", MDN),
        NONE_ROW("multipart/mixed without a report part",
                 "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\n"
                 "hi\n--x--\n"),
        NONE_ROW("forwarded bounce: the DSN inside message/rfc822 is not read",
                 "Content-Type: multipart/mixed; boundary=x\n\n--x\n\nsee below\n--x\n"
                 "Content-Type: message/rfc822\n\n" DSN_HEAD("") DS_PART
                 "Final-Recipient: rfc822; a@b.example\nAction: failed\n--b--\n--x--\n"),
        NONE_ROW("multipart/mixed without a boundary", "Content-Type: multipart/mixed\n\nhi\n"),
        NONE_ROW("two Content-Type fields: neither believed",
                 DSN_HEAD("\nContent-Type: text/plain") DS_PART
                 "Final-Recipient: rfc822; a@b.example\nAction: failed\n--b--\n"),
        {.name = "multipart/report without report-type",
         .msg = RAW("Content-Type: multipart/report; boundary=b\n\n" DS_PART
                    "Final-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\n--b--\n"),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"a@b.example", NULL, "failed", "5.1.1", NULL, NULL}}},
        {.name = "multipart/mixed with a delivery-status part, global type, no per-message block",
         .msg = RAW(
                 "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                 "Content-Type: message/global-delivery-status\n\n"
                 "Final-Recipient: utf-8; J\xc3\xb6rg@b\xc3\xbc"
                 "cher.example\nAction: FAILED (permanent)\nStatus: 5.1.1 (unknown user)\n--b--\n"),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"J\xc3\xb6rg@b\xc3\xbc"
                "cher.example",
                NULL, "failed", "5.1.1", NULL, NULL}}},
        {.name = "folded fields",
         .msg = RAW(DSN_HEAD("") DS_PART
                    "Final-Recipient:\n rfc822;\n\t<a@example.org>\n"
                    "Action:\n  failed\nStatus:\n 5.1.1\n"
                    "Diagnostic-Code: smtp;\n\t550\n  5.1.1\tno\t\tsuch user  \n"
                    "--b--\n"),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"a@example.org", NULL, "failed", "5.1.1", "550 5.1.1 no  such user", NULL}}},
        {.name = "missing boundary",
         .msg = RAW("Content-Type: multipart/report; report-type=delivery-status\n\n" DS_PART
                    "Final-Recipient: rfc822; a@b.example\n"),
         .rc = -1,
         .err = "boundary"},
        {.name = "boundary with a control character",
         .msg = RAW(
                 "Content-Type: multipart/report; report-type=delivery-status; boundary=\"a\x01\"\n"
                 "\n--a\x01\nContent-Type: message/delivery-status\n\n"
                 "Final-Recipient: rfc822; a@b.example\n"),
         .rc = -1,
         .err = "boundary"},
        {.name = "boundary over 70 octets",
         .msg = RAW("Content-Type: multipart/report; report-type=delivery-status; boundary="
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\n"),
         .rc = -1,
         .err = "boundary"},
        {.name = "delivery-status part missing",
         .msg = RAW(DSN_HEAD("") "--b\nContent-Type: text/plain\n\nsorry\n--b--\n"),
         .rc = -1,
         .err = "without a delivery-status part"},
        {.name = "report-type says DSN, the part is a feedback report",
         .msg = RAW(DSN_HEAD("") "--b\nContent-Type: message/feedback-report\n\n"
                                 "Feedback-Type: abuse\n--b--\n"),
         .rc = -1,
         .err = "without a delivery-status part"},
        {.name = "no per-recipient block",
         .msg = RAW(DSN_HEAD("") DS_PART "--b--\n"),
         .rc = -1,
         .err = "per-recipient"},
        {.name = "ARF without Feedback-Type",
         .msg = RAW("Content-Type: multipart/report; report-type=feedback-report; boundary=b\n\n"
                    "--b\nContent-Type: message/feedback-report\n\nVersion: 1\n--b--\n"),
         .rc = -1,
         .err = "without Feedback-Type"},
        {.name = "ARF with a Feedback-Type that is no token",
         .msg = RAW("Content-Type: multipart/report; report-type=feedback-report; boundary=b\n\n"
                    "--b\nContent-Type: message/feedback-report\n\nFeedback-Type: ab<use\n--b--\n"),
         .rc = -1,
         .err = "invalid Feedback-Type"},
        {.name = "cut short inside the delivery-status part",
         .msg = RAW(DSN_HEAD("") DS_PART "Final-Recipient: rfc822; a@b.example\nAction: fail"),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"a@b.example", NULL, "", "", NULL, NULL}}},
        {.name = "cut short in the returned original's header",
         .msg = RAW(POSTFIX_TOP
                    "\n--3F1A2C0123.1715682093/mx.example.com\n"
                    "Content-Type: message/rfc822\n\nTo: x@y.example\nMessage-ID: <cut@"),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"nobody@example.org", "nobody@example.org", "failed", "5.1.1", POSTFIX_DIAG,
                "mx1.example.org"}},
         .to = "x@y.example"},
        {.name = "cut short in the top header",
         .msg = RAW("From: MAILER-DAEMON@mx\nContent-Type: multipart/rep")},
        {.name = "NULs: in an address (refused), in a diagnostic (dropped), in a status",
         .msg = RAW(DSN_HEAD("") DS_PART "Final-Recipient: rfc822; a\0@b.example\n"
                                         "Original-Recipient: rfc822; a@b.example\n"
                                         "Action: failed\nStatus: 5.1\0.1\n"
                                         "Diagnostic-Code: smtp; 550\0 gone\x7f\x1b[31m\n--b--\n"),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{NULL, "a@b.example", "failed", "", "550 gone[31m", NULL}}},
        {.name = "invalid UTF-8 in a diagnostic becomes '?'",
         .msg = RAW(DSN_HEAD("") DS_PART "Final-Recipient: rfc822; a@b.example\n"
                                         "Diagnostic-Code: smtp; caf\xe9 \xc3\xa9t\xc3\n--b--\n"),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"a@b.example", NULL, "", "", "caf? \xc3\xa9t?", NULL}}},
        {.name = "bad addresses: no '@', unknown type, spaces, empty local part, bad domain, "
                 "brackets",
         .msg = RAW(DSN_HEAD("") DS_PART
                    "Final-Recipient: rfc822; postmaster\nAction: failed\n\n"
                    "Final-Recipient: x400; a@b.example\nAction: failed\n\n"
                    "Final-Recipient: rfc822; a b@c.example\nAction: failed\n\n"
                    "Final-Recipient: rfc822; @c.example\nAction: failed\n\n"
                    "Final-Recipient: rfc822; a@-c.example\nAction: failed\n\n"
                    "Final-Recipient: rfc822; <<a@c.example>>\nAction: failed\n"
                    "--b--\n"),
         .kind = REPORT_DSN,
         .nrcpts = 6,
         .r = {{NULL, NULL, "failed", "", NULL, NULL}, {NULL, NULL, "failed", "", NULL, NULL}}},
        {.name = "a local part with '@' is refused unless quoted",
         .msg = RAW(DSN_HEAD("") DS_PART "Final-Recipient: rfc822;@a@b.example\n"
                                         "Original-Recipient: rfc822; \"a@x\"@b.example\n--b--\n"),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{NULL, "\"a@x\"@b.example", "", "", NULL, NULL}}},
        {.name = "unknown action and malformed status are left empty; first field of each counts",
         .msg = RAW(DSN_HEAD("") DS_PART "Final-Recipient: rfc822; a@b.example\n"
                                         "Final-Recipient: rfc822; c@d.example\n"
                                         "Action: exploded\nAction: failed\nStatus: 5.1.1000\n"
                                         "Remote-MTA: dns; mx\x01.example\n--b--\n"),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"a@b.example", NULL, "", "", NULL, NULL}}},
        {.name = "base64 delivery-status part, address literal",
         .msg = RAW(DSN_HEAD(
                 "") "--b\nContent-Type: message/delivery-status\n"
                     "Content-Transfer-Encoding: base64\n\n"
                     /* "Final-Recipient: rfc822; u@[192.0.2.1]\nStatus: 5.2.2\n" */
                     "RmluYWwtUmVjaXBpZW50OiBy\nZmM4MjI7IHVAWzE5Mi4wLjIuMV0KU3RhdHVzOiA1LjIuMgo=\n"
                     "--b--\n"),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"u@[192.0.2.1]", NULL, "", "5.2.2", NULL, NULL}}},
        {.name = "the original is taken from the machine part's multipart only",
         .msg = RAW("Content-Type: multipart/report; report-type=delivery-status; boundary=o\n\n"
                    "--o\nContent-Type: multipart/mixed; boundary=i\n\n--i\n"
                    "Content-Type: message/rfc822\n\nTo: wrong@x.example\n\n--i--\n"
                    "--o\nContent-Type: message/delivery-status\n\n"
                    "Final-Recipient: rfc822; a@b.example\n"
                    "--o\nContent-Type: message/rfc822\n\nTo: right@x.example\n"
                    "To: twice@x.example\nMessage-ID: <r@x>\n\n--o--\n"),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"a@b.example", NULL, "", "", NULL, NULL}},
         .msgid = "<r@x>"},
        {.name = "a boundary that prefixes a line is no delimiter; close delimiter ends reading",
         .msg = RAW(DSN_HEAD("") "--bx\n--b \nContent-Type: message/delivery-status\n\n"
                                 "Final-Recipient: rfc822; a@b.example\n--bb\n\n"
                                 "Final-Recipient: rfc822; c@b.example\n--b--\n"
                                 "--b\nContent-Type: message/rfc822\n\nTo: e@x.example\n"),
         .kind = REPORT_DSN,
         .nrcpts = 2,
         .r = {{"a@b.example", NULL, "", "", NULL, NULL},
               {"c@b.example", NULL, "", "", NULL, NULL}}},
        {.name = "To as a group, Message-ID without brackets",
         .msg = RAW(DSN_HEAD("") DS_PART "Final-Recipient: rfc822; a@b.example\n--b\n"
                                         "Content-Type: message/rfc822\n\n"
                                         "To: undisclosed-recipients:;\nMessage-ID: abc@x\n"
                                         "List-Unsubscribe: <https://x.example/\x01>\n\n--b--\n"),
         .kind = REPORT_DSN,
         .nrcpts = 1,
         .r = {{"a@b.example", NULL, "", "", NULL, NULL}}},

};

static void expect_str(const char *row, const char *what, const char *got, const char *want)
{
	EXPECT((got == NULL) == (want == NULL) && (got == NULL || strcmp(got, want) == 0),
	       "%s: %s %s, expected %s", row, what, shows(got), shows(want));
}

/* check - parse msg (n octets, from a heap block of exactly that size) against row r */
static void check(const struct row *r, const char *how, const char *msg, size_t n)
{
	char name[200], err[160];
	struct report rep;
	char *copy = malloc(n ? n : 1);

	memcpy(copy, msg, n);
	snprintf(name, sizeof(name), "%s (%s)", r->name, how);
	int rc = report_parse(copy, n, &rep, err, sizeof(err));
	EXPECT(rc == r->rc, "%s: rc %d, expected %d (%s)", name, rc, r->rc, err);
	EXPECT(rep.kind == r->kind, "%s: kind %d, expected %d", name, rep.kind, r->kind);
	if (r->rc < 0)
		EXPECT(strstr(err, r->err) != NULL, "%s: err \"%s\", expected \"%s\"", name, err,
		       r->err);
	else
		EXPECT(err[0] == '\0', "%s: err \"%s\" on success", name, err);
	EXPECT(rep.nrcpts == r->nrcpts, "%s: %zu recipients, expected %zu", name, rep.nrcpts,
	       r->nrcpts);
	for (size_t i = 0; i < rep.nrcpts && i < r->nrcpts && i < NELEM(r->r); i++) {
		const struct report_rcpt *g = &rep.rcpts[i];
		const struct rcpt_exp *e = &r->r[i];
		expect_str(name, "final_rcpt", g->final_rcpt, e->final);
		expect_str(name, "original_rcpt", g->original_rcpt, e->orig);
		expect_str(name, "action", g->action, e->action);
		expect_str(name, "status", g->status, e->status);
		expect_str(name, "diagnostic", g->diagnostic, e->diag);
		expect_str(name, "remote_mta", g->remote_mta, e->mta);
	}
	expect_str(name, "feedback_type", rep.feedback_type, r->fb_type);
	expect_str(name, "arf_rcpt", rep.arf_rcpt, r->arf_rcpt);
	expect_str(name, "arf_mail_from", rep.arf_mail_from, r->arf_from);
	expect_str(name, "orig_to", rep.orig_to, r->to);
	expect_str(name, "orig_message_id", rep.orig_message_id, r->msgid);
	expect_str(name, "orig_list_unsubscribe", rep.orig_list_unsubscribe, r->unsub);
	report_free(&rep);
	EXPECT(rep.rcpts == NULL && rep.nrcpts == 0 && rep.kind == REPORT_NONE,
	       "%s: report_free left something", name);
	free(copy);
}

/* crlf - the message with each LF preceded by a CR (the caller frees) */
static char *crlf(const char *s, size_t n, size_t *outn)
{
	char *o = malloc(2 * n + 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			o[k++] = '\r';
		o[k++] = s[i];
	}
	*outn = k;
	return o;
}

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		size_t n;
		char *m = crlf(rows[i].msg, rows[i].len, &n);
		check(&rows[i], "LF", rows[i].msg, rows[i].len);
		check(&rows[i], "CRLF", m, n);
		free(m);
	}
	ALL_PASSED();
}

/* --- generated hostile inputs --------------------------------------------- */

static void add_field(struct buf *b, const char *name, char fill, size_t n)
{
	buf_printf(b, "%s: ", name);
	for (size_t i = 0; i < n; i++) {
		buf_putc(b, fill);
		if (i % 70 == 69)
			buf_puts(b, "\r\n "); /* folded, as a long value would be */
	}
	buf_puts(b, "\r\n");
}

static void test_huge_values(void **state)
{
	struct buf b;
	struct report rep;
	char err[128];

	(void)state;
	buf_init(&b);
	buf_puts(&b, "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n"
	             "\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
	             "Final-Recipient: rfc822; ");
	for (int i = 0; i < 10000; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "@b.example\r\nAction: failed\r\n");
	add_field(&b, "Diagnostic-Code", 'x', 1000000);
	add_field(&b, "Remote-MTA", 'm', 5000);
	add_field(&b, "Status", '5', 100000);
	buf_puts(&b, "\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n");
	add_field(&b, "List-Unsubscribe", 'u', REPORT_UNSUB_MAX + 1);
	add_field(&b, "Message-ID", 'i', 5000);
	add_field(&b, "To", 't', 100000);
	buf_puts(&b, "\r\n--b--\r\n");

	assert_int_equal(report_parse(b.data, b.len, &rep, err, sizeof(err)), 0);
	assert_int_equal(rep.kind, REPORT_DSN);
	assert_int_equal(rep.nrcpts, 1);
	assert_null(rep.rcpts[0].final_rcpt);
	assert_string_equal(rep.rcpts[0].action, "failed");
	assert_string_equal(rep.rcpts[0].status, "");
	assert_null(rep.rcpts[0].remote_mta);
	assert_non_null(rep.rcpts[0].diagnostic);
	/* the fold every 70 octets is a space */
	assert_int_equal(strlen(rep.rcpts[0].diagnostic), REPORT_DIAG_MAX);
	assert_null(rep.orig_list_unsubscribe);
	assert_null(rep.orig_message_id);
	assert_null(rep.orig_to);
	report_free(&rep);

	/* just under the List-Unsubscribe cap is kept */
	buf_reset(&b);
	buf_puts(&b, "Content-Type: multipart/report; boundary=b\r\n\r\n--b\r\n"
	             "Content-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n"
	             "--b\r\nContent-Type: text/rfc822-headers\r\n\r\nList-Unsubscribe: <");
	for (int i = 0; i < REPORT_UNSUB_MAX - 2; i++)
		buf_putc(&b, 'u');
	buf_puts(&b, ">\r\n--b--\r\n");
	assert_int_equal(report_parse(b.data, b.len, &rep, err, sizeof(err)), 0);
	assert_int_equal(rep.kind, REPORT_ARF);
	assert_non_null(rep.orig_list_unsubscribe);
	assert_int_equal(strlen(rep.orig_list_unsubscribe), REPORT_UNSUB_MAX);
	report_free(&rep);
	buf_release(&b);
}

static void test_many_blocks(void **state)
{
	struct buf b;
	struct report rep;
	char err[128];

	(void)state;
	buf_init(&b);
	buf_puts(&b, "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n"
	             "\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
	             "Reporting-MTA: dns; mx.example\r\n");
	for (int i = 0; i < 1000; i++)
		buf_printf(&b,
		           "\r\nFinal-Recipient: rfc822; u%d@example.org\r\nAction: failed\r\n"
		           "Status: 5.1.1\r\n",
		           i);
	buf_puts(&b, "--b--\r\n");
	assert_int_equal(report_parse(b.data, b.len, &rep, err, sizeof(err)), 0);
	assert_int_equal(rep.kind, REPORT_DSN);
	assert_int_equal(rep.nrcpts, REPORT_RCPTS_MAX);
	assert_int_equal(rep.rcpts_dropped, 1000 - REPORT_RCPTS_MAX);
	assert_string_equal(rep.rcpts[0].final_rcpt, "u0@example.org");
	assert_string_equal(rep.rcpts[REPORT_RCPTS_MAX - 1].final_rcpt, "u99@example.org");
	report_free(&rep);
	report_free(&rep); /* twice is harmless */
	report_free(NULL);
	buf_release(&b);
}

/* nested - the delivery-status part inside levels of multipart/mixed */
static void nested(struct buf *b, int levels)
{
	buf_reset(b);
	buf_puts(b, "Content-Type: multipart/report; report-type=delivery-status; boundary=b0\r\n"
	            "\r\n");
	for (int i = 1; i <= levels; i++)
		buf_printf(b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i - 1,
		           i);
	buf_printf(b,
	           "--b%d\r\nContent-Type: message/delivery-status\r\n\r\n"
	           "Final-Recipient: rfc822; a@b.example\r\n",
	           levels);
	for (int i = levels; i >= 0; i--)
		buf_printf(b, "--b%d--\r\n", i);
}

static void test_nesting(void **state)
{
	struct buf b;
	struct report rep;
	char err[128];

	(void)state;
	buf_init(&b);
	for (int levels = 0; levels <= REPORT_DEPTH_MAX + 2; levels++) {
		nested(&b, levels);
		int rc = report_parse(b.data, b.len, &rep, err, sizeof(err));
		if (levels <= REPORT_DEPTH_MAX) {
			EXPECT(rc == 0 && rep.kind == REPORT_DSN && rep.nrcpts == 1,
			       "%d levels: rc %d kind %d (%s)", levels, rc, rep.kind, err);
		} else {
			EXPECT(rc == -1 && strstr(err, "nested too deep"), "%d levels: rc %d (%s)",
			       levels, rc, err);
		}
		report_free(&rep);
	}
	/* a flood of parts: only the first REPORT_PARTS_MAX are looked at */
	buf_reset(&b);
	buf_puts(&b, "Content-Type: multipart/report; boundary=b\r\n\r\n");
	for (int i = 0; i < 1000; i++)
		buf_puts(&b, "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n");
	buf_puts(&b, "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
	             "Final-Recipient: rfc822; a@b.example\r\n--b--\r\n");
	EXPECT(report_parse(b.data, b.len, &rep, err, sizeof(err)) == -1,
	       "the part after %d parts was read", REPORT_PARTS_MAX);
	report_free(&rep);
	buf_release(&b);
	ALL_PASSED();
}

/* the builder's own DSN reads back as it was built */
static void test_dsn_build_round_trip(void **state)
{
	static const char header[] = "From: Alice <alice@example.org>\r\n"
	                             "To: Bob <bob@example.com>\r\n"
	                             "Message-ID: <orig.1@example.org>\r\n"
	                             "List-Unsubscribe: <https://example.org/u/T>\r\n";
	struct dsn_info info = {"relay.example",
	                        "MAILER-DAEMON@relay.example",
	                        "alice@example.org",
	                        NULL,
	                        "0123456789abcdef",
	                        1699990000,
	                        false,
	                        false};
	struct dsn_rcpt rc[2] = {
	        {"bob@example.com", "rfc822;bob@example.com", DSN_ACTION_FAILED, "5.1.1",
	         "mx.example.com", "550 5.1.1 No such user\r\nsecond line", 1700000000, 0},
	        {"carol@example.com", NULL, DSN_ACTION_FAILED, "5.7.1", NULL, "relay denied", 0, 0},
	};
	struct buf out;
	struct report rep;
	char err[128];

	(void)state;
	buf_init(&out);
	assert_int_equal(
	        dsn_build(&out, &info, rc, 2, header, sizeof(header) - 1, NULL, 0, 1700500000), 0);
	assert_int_equal(report_parse(out.data, out.len, &rep, err, sizeof(err)), 0);
	assert_int_equal(rep.kind, REPORT_DSN);
	assert_int_equal(rep.nrcpts, 2);
	assert_string_equal(rep.rcpts[0].final_rcpt, "bob@example.com");
	assert_string_equal(rep.rcpts[0].original_rcpt, "bob@example.com");
	assert_string_equal(rep.rcpts[0].action, "failed");
	assert_string_equal(rep.rcpts[0].status, "5.1.1");
	assert_string_equal(rep.rcpts[0].remote_mta, "mx.example.com");
	assert_non_null(strstr(rep.rcpts[0].diagnostic, "550 5.1.1 No such user"));
	assert_string_equal(rep.rcpts[1].final_rcpt, "carol@example.com");
	assert_string_equal(rep.rcpts[1].status, "5.7.1");
	assert_string_equal(rep.orig_to, "bob@example.com");
	assert_string_equal(rep.orig_message_id, "<orig.1@example.org>");
	assert_string_equal(rep.orig_list_unsubscribe, "<https://example.org/u/T>");
	assert_int_equal(report_bounce_class(rep.rcpts[0].status), REPORT_BOUNCE_HARD);
	assert_int_equal(report_bounce_class(rep.rcpts[1].status), REPORT_BOUNCE_OTHER);
	report_free(&rep);
	buf_release(&out);
}

/* --- bounce classes --------------------------------------------------------- */

struct class_row {
	const char *status;
	enum report_bounce want;
};

static const struct class_row class_rows[] = {
        {"5.1.1", REPORT_BOUNCE_HARD},     {"5.1.0", REPORT_BOUNCE_HARD},
        {"5.1.2", REPORT_BOUNCE_HARD},     {"5.1.3", REPORT_BOUNCE_HARD},
        {"5.1.6", REPORT_BOUNCE_HARD},     {"5.1.10", REPORT_BOUNCE_HARD},
        {"5.1.7", REPORT_BOUNCE_OTHER},    {"5.1.8", REPORT_BOUNCE_OTHER},
        {"5.2.1", REPORT_BOUNCE_HARD},     {"5.2.2", REPORT_BOUNCE_SOFT},
        {"5.2.0", REPORT_BOUNCE_OTHER},    {"5.2.3", REPORT_BOUNCE_OTHER},
        {"5.3.0", REPORT_BOUNCE_SOFT},     {"5.3.4", REPORT_BOUNCE_SOFT},
        {"5.4.1", REPORT_BOUNCE_SOFT},     {"5.4.7", REPORT_BOUNCE_SOFT},
        {"5.5.1", REPORT_BOUNCE_OTHER},    {"5.6.0", REPORT_BOUNCE_OTHER},
        {"5.7.1", REPORT_BOUNCE_OTHER},    {"5.7.26", REPORT_BOUNCE_OTHER},
        {"5.0.0", REPORT_BOUNCE_OTHER},    {"4.1.1", REPORT_BOUNCE_SOFT},
        {"4.2.2", REPORT_BOUNCE_SOFT},     {"4.4.1", REPORT_BOUNCE_SOFT},
        {"4.7.0", REPORT_BOUNCE_SOFT},     {"4.999.999", REPORT_BOUNCE_SOFT},
        {"2.0.0", REPORT_BOUNCE_OTHER},    {"2.1.5", REPORT_BOUNCE_OTHER},
        {"3.1.1", REPORT_BOUNCE_OTHER},    {"5.1.1 ", REPORT_BOUNCE_OTHER},
        {" 5.1.1", REPORT_BOUNCE_OTHER},   {"5.1", REPORT_BOUNCE_OTHER},
        {"5.1.", REPORT_BOUNCE_OTHER},     {"5..1", REPORT_BOUNCE_OTHER},
        {"5.1.1.1", REPORT_BOUNCE_OTHER},  {"5.1000.1", REPORT_BOUNCE_OTHER},
        {"5.1.1000", REPORT_BOUNCE_OTHER}, {"55.1.1", REPORT_BOUNCE_OTHER},
        {"550", REPORT_BOUNCE_OTHER},      {"", REPORT_BOUNCE_OTHER},
        {"x.1.1", REPORT_BOUNCE_OTHER},    {"5.-1.1", REPORT_BOUNCE_OTHER},
        {"5.+1.1", REPORT_BOUNCE_OTHER},   {NULL, REPORT_BOUNCE_OTHER},
};

static void test_bounce_class(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(class_rows); i++) {
		enum report_bounce got = report_bounce_class(class_rows[i].status);
		EXPECT(got == class_rows[i].want, "%s: class %d, expected %d",
		       shows(class_rows[i].status), got, class_rows[i].want);
	}
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),
	        cmocka_unit_test(test_huge_values),
	        cmocka_unit_test(test_many_blocks),
	        cmocka_unit_test(test_nesting),
	        cmocka_unit_test(test_dsn_build_round_trip),
	        cmocka_unit_test(test_bounce_class),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
