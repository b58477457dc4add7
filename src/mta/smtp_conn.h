/*
 * smtp_conn.h - one outbound SMTP connection, shared by smtp_client.c (the
 * connection: resolving, connecting, greeting, EHLO, TLS, AUTH, reading
 * replies) and smtp_xact.c (the mail transaction: MAIL, RCPT, DATA, the
 * content). Internal to src/mta.
 */
#ifndef POSTERN_SMTP_CONN_H
#define POSTERN_SMTP_CONN_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "mta_internal.h"
#include "smtp_reply.h"

enum cstate {
	C_RESOLVE,
	C_CONNECT,
	C_BANNER,
	C_EHLO,
	C_HELO,
	C_STARTTLS,
	C_HANDSHAKE,
	C_AUTH,
	C_READY,
	C_MAIL,
	C_RCPT,
	C_DATA,
	C_BODY,
	C_DOT,
	C_RSET,
	C_QUIT,
	C_IDLE, /* between messages, open for reuse (Postfix's connection cache) */
	C_DEAD, /* ended; freed from its timer, never inside a callback */
};

#define BODY_CHUNK (64 * 1024)
/* the reply to QUIT changes nothing: a connection does not linger for it */
#define QUIT_TIMEOUT_MS 10000

struct conn {
	struct mta *m;
	struct conn *prev, *next;
	uint64_t id;
	struct mta_dest d;
	struct mta_feed feed;
	enum cstate state;
	struct resolve_req *rr;
	struct resolve_result targets;
	size_t cur;       /* target being tried */
	bool plain_retry; /* "may": this target again, without TLS */
	int fd;
	struct bufferevent *bev;
	bool tls;
	char tls_version[32], tls_cipher[64];
	struct event *timer;
	struct smtp_reply reply;
	struct smtp_caps caps;
	const struct mta_pool_addr *bind;
	const char *ehlo_name;
	char relay[300];
	struct mta_result fail; /* why the connection could not be used */
	bool carried;           /* at least one message was taken */
	unsigned msgs;

	/* the transaction in flight */
	struct mta_msg *msg;
	size_t rcpt_sent, rcpt_replied, accepted;
	bool mail_ok;
	struct mta_result mail_res;
	size_t span;     /* body streaming: which span (0 header, 1 separator, 2.. body) */
	size_t span_off; /* offset in it */
	bool at_bol;     /* the next octet starts a line (dot-stuffing) */
	unsigned expect; /* replies still owed for what was sent */
};

/* smtp_client.c */
void smtp_cmd(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void smtp_deadline(struct conn *c, uint64_t ms);
/* smtp_quit - say QUIT; the connection ends on its reply or QUIT_TIMEOUT_MS later */
void smtp_quit(struct conn *c);
/* smtp_finish_msg - fill the message's unanswered recipients, hand it back to the feed */
void smtp_finish_msg(struct conn *c, enum mta_outcome o, int code, const char *dsn,
                     const char *text);
void smtp_result_from_reply(struct conn *c, struct mta_result *r);
/* smtp_protocol_failure - the server broke the protocol: defer what is in flight, end */
void smtp_protocol_failure(struct conn *c, const char *what);

/* smtp_xact.c */
/* smtp_xact_start - the next message from the feed, or QUIT when there is none */
void smtp_xact_start(struct conn *c);
/* smtp_xact_pump_body - more content while the output buffer is small */
void smtp_xact_pump_body(struct conn *c);
void smtp_xact_mail_reply(struct conn *c);
void smtp_xact_rcpt_reply(struct conn *c);
void smtp_xact_data_reply(struct conn *c);
void smtp_xact_dot_reply(struct conn *c);

#endif
