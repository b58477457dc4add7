/*
 * smtpd.h - the submission server: listeners on 587 (STARTTLS) and 465
 * (implicit TLS), sessions, and what the daemon can ask of it.
 */
#ifndef POSTERN_SMTPD_H
#define POSTERN_SMTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct event_base;
struct sources;
struct auth;
struct spool;
struct queue;

struct smtpd_limits {
	uint64_t max_message_size;
	uint64_t max_recipients;
	uint64_t max_header_size;
	uint64_t max_errors;
	uint64_t max_connections;
	uint64_t max_connections_per_ip;
	uint64_t command_timeout_ms;
	uint64_t data_timeout_ms;
	uint64_t handshake_timeout_ms;
	uint64_t banner_delay_ms;
	uint64_t auth_max_failures;
};

struct submission_env;

struct smtpd_deps {
	struct sources *reg;
	struct auth *auth;
	struct spool *spool;
	struct queue *queue;
	struct eventlog *events;
	const struct submission_env *subenv; /* what every message's submission shares */
};

struct smtpd;

/* smtpd_new - deps are borrowed and must outlive the server. */
struct smtpd *smtpd_new(struct event_base *base, const char *hostname,
                        const struct smtpd_deps *deps);
/* smtpd_free - close every session at once and free. */
void smtpd_free(struct smtpd *d);

/*
 * smtpd_listen - serve on fd, a listening socket bound to addr (for logs);
 * implicit_tls for 465. Takes ownership of fd.
 */
int smtpd_listen(struct smtpd *d, int fd, const char *addr, bool implicit_tls, char *err,
                 size_t errlen);
/* smtpd_set_tls - use ctx for new handshakes (takes a reference; sessions keep theirs). */
void smtpd_set_tls(struct smtpd *d, SSL_CTX *ctx);
void smtpd_set_limits(struct smtpd *d, const struct smtpd_limits *lim);
void smtpd_set_hostname(struct smtpd *d, const char *hostname);

/*
 * smtpd_shutdown - stop accepting; tell idle sessions "421" and close them;
 * sessions waiting on a commit close once it is answered.
 */
void smtpd_shutdown(struct smtpd *d);
size_t smtpd_sessions(const struct smtpd *d);

#endif
