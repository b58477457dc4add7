/*
 * session_auth.c - STARTTLS (RFC 3207) and AUTH PLAIN/LOGIN (RFC 4954).
 *
 * Bytes a client sent after STARTTLS, before the handshake, are thrown away
 * (CVE-2011-0411), and everything learnt in the clear is forgotten once TLS is
 * up. AUTH exists only inside TLS. Credentials are wiped as soon as they have
 * been handed to the verifier.
 */
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <sodium.h>
#include <string.h>

#include "auth.h"
#include "eventlog.h"
#include "id.h"
#include "limit.h"
#include "log.h"
#include "metrics.h"
#include "sasl.h"
#include "session.h"
#include "sources.h"
#include "strutil.h"

void cmd_starttls(struct session *s)
{
	struct smtpd_view v;
	char hex[ID_HEXLEN + 1];

	smtpd_view(s->d, &v);
	if (s->tls) {
		session_fail(s, RPL_TLS_ALREADY, NULL);
		return;
	}
	if (v.tls == NULL) {
		session_fail(s, RPL_TLS_UNAVAIL, NULL);
		return;
	}
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t junk = evbuffer_get_length(in);
	if (junk > 0) {
		log_warn("sess=%s smtp starttls discarded=%zu reason=\"bytes pipelined after "
		         "STARTTLS\"",
		         id_format(s->id, hex), junk);
		evbuffer_drain(in, junk);
	}
	session_reply(s, RPL_TLS_GO, NULL);
	/* the kernel keeps the ClientHello until the TLS bufferevent reads it */
	bufferevent_disable(s->bev, EV_READ);
	s->state = SMTP_ST_STARTTLS;
}

void session_tls_start(struct session *s)
{
	struct smtpd_view v;

	smtpd_view(s->d, &v);
	SSL *ssl = SSL_new(v.tls);
	if (ssl == NULL) {
		session_close(s, RPL_MAX, NULL);
		return;
	}
	if (s->bev)
		bufferevent_free(s->bev);
	s->bev = bufferevent_openssl_socket_new(v.base, s->fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	s->bev_owns_fd = true;
	bufferevent_openssl_set_allow_dirty_shutdown(s->bev, 1);
	s->state = SMTP_ST_HANDSHAKE;
	session_attach(s);
	session_deadline(s, v.lim->handshake_timeout_ms);
}

static void auth_done(enum auth_result r, struct source *src, void *arg)
{
	struct session *s = arg;
	struct smtpd_view v;
	char hex[ID_HEXLEN + 1], user[SASL_FIELD_MAX * 4 + 8];
	static const char *names[] = {"ok", "fail", "throttled"};

	smtpd_view(s->d, &v);
	s->auth_req = NULL;
	s->busy = false;
	log_info("sess=%s smtp auth mechanism=%s user=%s result=%s client=%s",
	         id_format(s->id, hex), s->auth_mech,
	         log_esc(user, sizeof(user), s->auth_user, strlen(s->auth_user)), names[r],
	         s->peer_addr);
	sodium_memzero(s->auth_user, sizeof(s->auth_user));
	switch (r) {
	case AUTH_OK:
		if (limit_conns_reached(src)) {
			char text[200];
			limit_describe(src, LIMIT_CONNS, text, sizeof(text));
			log_info("sess=%s smtp refuse source=%s reason=max_connections", hex,
			         src->name);
			eventlog_reject(v.deps->events, 0, src->name, NULL, NULL, "4.7.1",
			                "max_connections", "{\"code\":451}");
			session_reply(s, RPL_SOURCE_LIMIT, "%s", text);
			break;
		}
		session_set_source(s, src);
		s->authenticated = true;
		session_reply(s, RPL_AUTH_OK, NULL);
		s->junk = 0;
		break;
	case AUTH_FAIL:
		metrics_inc("postern_auth_failures_total", "door", "smtp", NULL, NULL, 1);
		if (++s->auth_failures >= v.lim->auth_max_failures) {
			session_close(s, RPL_TOO_MANY_AUTH, NULL);
			return;
		}
		if (session_fail(s, RPL_AUTH_FAILED, NULL))
			return;
		break;
	case AUTH_THROTTLED:
		metrics_inc("postern_auth_failures_total", "door", "smtp", NULL, NULL, 1);
		if (session_fail(s, RPL_AUTH_THROTTLED, NULL))
			return;
		break;
	}
	if (smtpd_stopping(s->d)) {
		session_close(s, RPL_SHUTDOWN, NULL);
		return;
	}
	session_deadline(s, v.lim->command_timeout_ms);
	session_resume(s);
}

static void verify(struct session *s, const char *user, const char *pass)
{
	struct smtpd_view v;

	smtpd_view(s->d, &v);
	strlcpy_(s->auth_user, user, sizeof(s->auth_user));
	s->state = s->greeted ? SMTP_ST_READY : SMTP_ST_GREETED;
	s->busy = true;
	evtimer_del(s->timer);
	s->auth_req = auth_check_password(v.deps->auth, user, pass, (struct sockaddr *)&s->peer,
	                                  auth_done, s);
}

/* the end of an exchange that did not reach the verifier */
static void auth_abort(struct session *s, enum reply r)
{
	s->state = s->greeted ? SMTP_ST_READY : SMTP_ST_GREETED;
	sodium_memzero(s->auth_user, sizeof(s->auth_user));
	session_fail(s, r, NULL);
}

static void auth_plain(struct session *s, const char *b64, size_t n)
{
	struct sasl_creds c;
	enum reply why;

	if (sasl_plain_decode(b64, n, &c, &why) < 0) {
		auth_abort(s, why);
		return;
	}
	verify(s, c.user, c.pass);
	sodium_memzero(&c, sizeof(c));
}

void cmd_auth(struct session *s, const char *arg)
{
	char mech[16];
	size_t mlen = strcspn(arg, " ");
	const char *ir = arg[mlen] == ' ' ? arg + mlen + 1 : NULL;

	if (s->authenticated) {
		session_fail(s, RPL_AUTH_ALREADY, NULL);
		return;
	}
	if (!s->tls) {
		session_fail(s, RPL_AUTH_NEED_TLS, NULL);
		return;
	}
	if (!s->greeted) {
		session_fail(s, RPL_NEED_HELO, NULL);
		return;
	}
	if (s->state == SMTP_ST_MAIL || s->state == SMTP_ST_RCPT) {
		session_fail(s, RPL_BAD_SEQUENCE, "AUTH not allowed during a mail transaction");
		return;
	}
	if (mlen >= sizeof(mech)) {
		session_fail(s, RPL_AUTH_MECH, NULL);
		return;
	}
	memcpy(mech, arg, mlen);
	mech[mlen] = '\0';
	if (ascii_iequal(mech, "PLAIN")) {
		strlcpy_(s->auth_mech, "PLAIN", sizeof(s->auth_mech));
		if (ir == NULL) {
			s->state = SMTP_ST_AUTH_PLAIN;
			session_raw(s, "334 \r\n");
			return;
		}
		/* "=" is an empty initial response, which PLAIN cannot use */
		auth_plain(s, ir, strlen(ir));
		return;
	}
	if (ascii_iequal(mech, "LOGIN")) {
		strlcpy_(s->auth_mech, "LOGIN", sizeof(s->auth_mech));
		if (ir == NULL) {
			s->state = SMTP_ST_AUTH_USER;
			session_raw(s, "334 VXNlcm5hbWU6\r\n");
			return;
		}
		s->state = SMTP_ST_AUTH_USER;
		session_auth_line(s, ir, strlen(ir));
		return;
	}
	session_fail(s, RPL_AUTH_MECH, NULL);
}

void session_auth_line(struct session *s, const char *line, size_t len)
{
	enum reply why;
	char pass[SASL_FIELD_MAX + 1];

	switch (s->state) {
	case SMTP_ST_AUTH_PLAIN:
		auth_plain(s, line, len);
		return;
	case SMTP_ST_AUTH_USER:
		if (sasl_field_decode(line, len, s->auth_user, sizeof(s->auth_user), &why) < 0) {
			auth_abort(s, why);
			return;
		}
		s->state = SMTP_ST_AUTH_PASS;
		session_raw(s, "334 UGFzc3dvcmQ6\r\n");
		return;
	case SMTP_ST_AUTH_PASS: {
		if (sasl_field_decode(line, len, pass, sizeof(pass), &why) < 0) {
			auth_abort(s, why);
			return;
		}
		char user[SASL_FIELD_MAX + 1];
		strlcpy_(user, s->auth_user, sizeof(user));
		verify(s, user, pass);
		sodium_memzero(pass, sizeof(pass));
		sodium_memzero(user, sizeof(user));
		return;
	}
	default:
		return;
	}
}
