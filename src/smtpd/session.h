/*
 * session.h - one SMTP session, shared by the files of src/smtpd only.
 *
 * A session is one explicit state machine (enum smtp_state). Input is read
 * only while the session is not busy; an asynchronous step (AUTH verification,
 * spool commit) sets busy, and its completion resumes reading where the
 * buffered input left off, so pipelined commands keep their order.
 */
#ifndef POSTERN_SESSION_H
#define POSTERN_SESSION_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "data.h"
#include "reply.h"
#include "sasl.h"
#include "smtpd.h"

enum smtp_state {
	SMTP_ST_BANNER,     /* connected, greeting not yet sent */
	SMTP_ST_HANDSHAKE,  /* TLS handshake (465, or after STARTTLS) */
	SMTP_ST_GREETED,    /* greeting sent, waiting for EHLO/HELO */
	SMTP_ST_READY,      /* EHLO done, no transaction */
	SMTP_ST_MAIL,       /* MAIL accepted, no recipient yet */
	SMTP_ST_RCPT,       /* at least one recipient */
	SMTP_ST_DATA,       /* reading DATA content */
	SMTP_ST_BDAT,       /* reading a BDAT chunk */
	SMTP_ST_AUTH_PLAIN, /* waiting for the PLAIN response line */
	SMTP_ST_AUTH_USER,  /* LOGIN: waiting for the user name */
	SMTP_ST_AUTH_PASS,  /* LOGIN: waiting for the password */
	SMTP_ST_STARTTLS,   /* 220 sent, switching to TLS once it is flushed */
	SMTP_ST_CLOSING,    /* last reply being flushed */
};

struct smtpd;
struct submission;
struct auth_req;
struct source;

struct session {
	struct smtpd *d;
	struct session *prev, *next;
	uint64_t id;
	int fd;
	struct bufferevent *bev;
	struct event *timer; /* the current deadline */
	enum smtp_state state;
	bool implicit_tls;
	bool tls;
	bool bev_owns_fd;     /* a TLS bufferevent closes the socket itself */
	bool esmtp;           /* EHLO (not HELO): PIPELINING and extensions apply */
	bool busy;            /* an asynchronous step is in flight */
	bool greeted;         /* HELO or EHLO seen since the last reset */
	bool bdat_used;       /* this transaction uses BDAT */
	bool smtputf8;        /* this transaction is SMTPUTF8 */
	bool authenticated;   /* by SMTP AUTH (not by address) */
	const char *listener; /* "submission" or "submissions" */

	struct sockaddr_storage peer;
	char peer_addr[64];
	char ipkey[64];
	char helo[256];
	const char *tls_version, *tls_cipher;

	struct source *src;        /* referenced: who is sending, NULL until known */
	const char *refuse;        /* why the greeting is a refusal ("suspended"), or NULL */
	struct source *refuse_src; /* referenced: the source refused */
	struct auth_req *auth_req;
	char auth_mech[8];
	char auth_user[SASL_FIELD_MAX + 1];
	unsigned auth_failures;
	unsigned errors;
	unsigned junk; /* commands that moved no mail, since the last message */

	struct submission *sub;
	struct data_decoder dec;
	uint64_t bdat_left; /* octets of the current chunk still to read */
	bool bdat_last;
	enum reply bdat_fail; /* RPL_OK, or the reply owed once the chunk is read */

	unsigned long ncommands, nmessages;
};

/* session.c */
void session_accept(struct smtpd *d, int fd, const struct sockaddr *sa, socklen_t salen,
                    bool implicit_tls, const char *listener);
void session_free(struct session *s);
void session_reply(struct session *s, enum reply r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void session_raw(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void session_close(struct session *s, enum reply r, const char *text);
void session_resume(struct session *s);
void session_deadline(struct session *s, uint64_t ms);
void session_reset_transaction(struct session *s);
void session_set_source(struct session *s, struct source *src);
/* session_fail - reply r (text or the default) and count an error; true if that closed it */
bool session_fail(struct session *s, enum reply r, const char *text);
void session_attach(struct session *s);
void session_on_read(struct bufferevent *bev, void *arg);
void session_on_write(struct bufferevent *bev, void *arg);
void session_on_event(struct bufferevent *bev, short what, void *arg);

/* session_mail.c */
void cmd_mail(struct session *s, const char *arg);
void cmd_rcpt(struct session *s, const char *arg);
void cmd_data(struct session *s);
void cmd_bdat(struct session *s, const char *arg);
void session_read_content(struct session *s);

/* session_auth.c */
void cmd_auth(struct session *s, const char *arg);
void session_auth_line(struct session *s, const char *line, size_t len);
void cmd_starttls(struct session *s);
void session_tls_start(struct session *s);

/* smtpd.c: what sessions need of the server */
struct smtpd_view {
	const char *hostname;
	const struct smtpd_limits *lim;
	SSL_CTX *tls;
	const struct smtpd_deps *deps;
	struct event_base *base;
};
void smtpd_view(struct smtpd *d, struct smtpd_view *v);
void smtpd_session_added(struct smtpd *d, struct session *s);
void smtpd_session_removed(struct smtpd *d, struct session *s);
bool smtpd_stopping(const struct smtpd *d);

#endif
