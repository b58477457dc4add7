/*
 * session.c - an SMTP session: accepting, reading lines, replying, deadlines,
 * and the commands that do not deal with mail, AUTH or TLS.
 *
 * Every path that ends a session goes through session_close(), which sends the
 * last reply and frees the session from the loop once it is flushed, so no
 * caller ever runs on a freed session.
 */
#include "session.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "cidr.h"
#include "id.h"
#include "limit.h"
#include "log.h"
#include "smtp_cmd.h"
#include "sources.h"
#include "strutil.h"
#include "submission.h"
#include "xmalloc.h"

/* AUTH lines carry base64 credentials (RFC 4954 4 allows them to be long) */
#define AUTH_LINE_MAX  2048
#define CLOSE_GRACE_MS 10000
/* NOOP, RSET, VRFY, EXPN, HELP between two messages (Postfix's junk command limit) */
#define JUNK_MAX 100
/* input buffered ahead of the session: more than a line, less than a burden */
#define INPUT_MAX (256 * 1024)

static void on_deadline(evutil_socket_t fd, short what, void *arg);
static void send_banner(struct session *s);

static void sess_hex(const struct session *s, char dst[ID_HEXLEN + 1])
{
	id_format(s->id, dst);
}

void session_deadline(struct session *s, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(s->timer, &tv);
}

/*
 * session_attach - wire a new bufferevent to the session. While the session is
 * busy (AUTH, commit) nothing is consumed; the high-watermark stops reading
 * once INPUT_MAX octets wait, so a client cannot pile up memory meanwhile.
 */
void session_attach(struct session *s)
{
	bufferevent_setcb(s->bev, session_on_read, session_on_write, session_on_event, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, INPUT_MAX);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

void session_accept(struct smtpd *d, int fd, const struct sockaddr *sa, socklen_t salen,
                    bool implicit_tls, const char *listener)
{
	struct session *s = xcalloc(1, sizeof(*s));
	struct smtpd_view v;
	char hex[ID_HEXLEN + 1];
	int one = 1;

	smtpd_view(d, &v);
	s->d = d;
	s->id = id_random();
	s->fd = fd;
	s->implicit_tls = implicit_tls;
	s->listener = listener;
	memcpy(&s->peer, sa, salen < sizeof(s->peer) ? salen : sizeof(s->peer));
	sockaddr_ntop(sa, s->peer_addr, sizeof(s->peer_addr));
	sockaddr_key(sa, s->ipkey, sizeof(s->ipkey));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->timer = evtimer_new(v.base, on_deadline, s);
	s->sub = submission_new(v.base, v.deps->subenv, v.hostname);
	smtpd_session_added(d, s);
	log_info("sess=%s smtp connect client=%s listener=%s", (sess_hex(s, hex), hex),
	         s->peer_addr, listener);

	/* a legacy application locked to its address needs no AUTH */
	struct source *ipsrc = sources_match_ip(v.deps->reg, (struct sockaddr *)&s->peer);
	const char *refuse = NULL;
	if (ipsrc && !source_active(ipsrc))
		refuse = "suspended";
	else if (ipsrc && limit_conns_reached(ipsrc))
		refuse = "max_connections";
	else if (ipsrc)
		session_set_source(s, ipsrc);

	if (refuse) {
		s->refuse = refuse;
		s->refuse_src = ipsrc;
		source_ref(ipsrc);
	}
	if (implicit_tls) {
		if (v.tls == NULL) {
			log_err("sess=%s smtp no TLS context for implicit TLS; closing", hex);
			session_free(s);
			return;
		}
		session_tls_start(s);
		return;
	}
	s->bev = bufferevent_socket_new(v.base, fd, BEV_OPT_DEFER_CALLBACKS);
	session_attach(s);
	/* data already waiting means the client spoke before our greeting */
	char c;
	if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
		session_close(s, RPL_EARLY_TALKER, NULL);
		return;
	}
	if (v.lim->banner_delay_ms > 0) {
		s->state = SMTP_ST_BANNER;
		session_deadline(s, v.lim->banner_delay_ms);
		return;
	}
	send_banner(s);
}

static void send_banner(struct session *s)
{
	struct smtpd_view v;

	smtpd_view(s->d, &v);
	/* a source locked to this address that may not connect now is told so instead */
	if (s->refuse) {
		char hex[ID_HEXLEN + 1], text[200];
		log_info("sess=%s smtp refuse client=%s reason=%s", (sess_hex(s, hex), hex),
		         s->peer_addr, s->refuse);
		if (strcmp(s->refuse, "suspended") == 0) {
			session_close(s, RPL_SOURCE_SUSPENDED, NULL);
			return;
		}
		limit_describe(s->refuse_src, LIMIT_CONNS, text, sizeof(text));
		session_close(s, RPL_SOURCE_CONNS, text);
		return;
	}
	s->state = SMTP_ST_GREETED;
	session_raw(s, "220 %s ESMTP Postern\r\n", v.hostname);
	session_deadline(s, v.lim->command_timeout_ms);
}

void session_free(struct session *s)
{
	char hex[ID_HEXLEN + 1];

	log_info("sess=%s smtp disconnect client=%s source=%s commands=%lu messages=%lu errors=%u",
	         (sess_hex(s, hex), hex), s->peer_addr, s->src ? s->src->name : "-", s->ncommands,
	         s->nmessages, s->errors);
	auth_cancel(s->auth_req);
	submission_free(s->sub);
	source_conn_close(s->src);
	source_unref(s->src);
	source_unref(s->refuse_src);
	event_free(s->timer);
	if (s->bev)
		bufferevent_free(s->bev);
	/* a TLS bufferevent owns and closes the descriptor; a plain one does not */
	if (!s->bev_owns_fd)
		close(s->fd);
	smtpd_session_removed(s->d, s);
	sodium_memzero(s->auth_user, sizeof(s->auth_user));
	free(s);
}

static void vreply(struct session *s, int code, const char *enh, const char *fmt, va_list ap)
{
	char text[512];
	char hex[ID_HEXLEN + 1];

	vsnprintf(text, sizeof(text), fmt, ap);
	if (enh)
		evbuffer_add_printf(bufferevent_get_output(s->bev), "%d %s %s\r\n", code, enh,
		                    text);
	else
		evbuffer_add_printf(bufferevent_get_output(s->bev), "%d %s\r\n", code, text);
	if (code >= 400)
		log_info("sess=%s smtp reply code=%d dsn=%s text=\"%s\"", (sess_hex(s, hex), hex),
		         code, enh ? enh : "-", text);
}

void session_reply(struct session *s, enum reply r, const char *fmt, ...)
{
	const struct reply_def *def = reply_def(r);
	va_list ap;

	if (fmt == NULL) {
		evbuffer_add_printf(bufferevent_get_output(s->bev), "%d%s%s %s\r\n", def->code,
		                    def->enh ? " " : "", def->enh ? def->enh : "", def->text);
		if (def->code >= 400) {
			char hex[ID_HEXLEN + 1];
			log_info("sess=%s smtp reply code=%d dsn=%s text=\"%s\"",
			         (sess_hex(s, hex), hex), def->code, def->enh ? def->enh : "-",
			         def->text);
		}
		return;
	}
	va_start(ap, fmt);
	vreply(s, def->code, def->enh, fmt, ap);
	va_end(ap);
}

void session_raw(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(s->bev), fmt, ap);
	va_end(ap);
}

void session_close(struct session *s, enum reply r, const char *text)
{
	if (s->state == SMTP_ST_CLOSING)
		return;
	if (r != RPL_MAX && s->bev) {
		if (text)
			session_reply(s, r, "%s", text);
		else
			session_reply(s, r, NULL);
	}
	s->state = SMTP_ST_CLOSING;
	if (s->bev) {
		bufferevent_disable(s->bev, EV_READ);
		evbuffer_drain(bufferevent_get_input(s->bev),
		               evbuffer_get_length(bufferevent_get_input(s->bev)));
	}
	/* freed from the loop: at once if nothing is left to send, else when flushed */
	if (s->bev == NULL || evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		event_active(s->timer, EV_TIMEOUT, 0);
	else
		session_deadline(s, CLOSE_GRACE_MS);
}

bool session_fail(struct session *s, enum reply r, const char *text)
{
	struct smtpd_view v;

	smtpd_view(s->d, &v);
	if (text)
		session_reply(s, r, "%s", text);
	else
		session_reply(s, r, NULL);
	if (++s->errors >= v.lim->max_errors) {
		session_close(s, RPL_TOO_MANY_ERRORS, NULL);
		return true;
	}
	return false;
}

void session_set_source(struct session *s, struct source *src)
{
	if (src) {
		source_ref(src);
		source_conn_open(src);
	}
	source_conn_close(s->src);
	source_unref(s->src);
	s->src = src;
	submission_set_source(s->sub, src);
}

void session_reset_transaction(struct session *s)
{
	submission_reset(s->sub);
	s->bdat_used = false;
	s->smtputf8 = false;
	if (s->state == SMTP_ST_MAIL || s->state == SMTP_ST_RCPT)
		s->state = s->greeted ? SMTP_ST_READY : SMTP_ST_GREETED;
}

static bool helo_valid(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 255)
		return false;
	if (h[0] == '[')
		return n > 2 && h[n - 1] == ']' &&
		       strspn(h + 1, "0123456789abcdefABCDEF.:IPv6") == n - 2;
	/* host names, leniently: some clients use '_' in theirs */
	return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

static void cmd_helo(struct session *s, const char *arg, bool ehlo)
{
	struct smtpd_view v;
	char size[32];

	smtpd_view(s->d, &v);
	if (!helo_valid(arg)) {
		session_fail(s, RPL_SYNTAX,
		             "Invalid EHLO argument: a host name or address literal");
		return;
	}
	strlcpy_(s->helo, arg, sizeof(s->helo));
	session_reset_transaction(s);
	s->esmtp = ehlo;
	s->greeted = true;
	s->state = SMTP_ST_READY;
	if (!ehlo) {
		session_raw(s, "250 %s\r\n", v.hostname);
		return;
	}
	const char *ext[12];
	size_t n = 0;
	snprintf(size, sizeof(size), "SIZE %llu", (unsigned long long)v.lim->max_message_size);
	ext[n++] = "PIPELINING";
	ext[n++] = size;
	ext[n++] = "8BITMIME";
	ext[n++] = "ENHANCEDSTATUSCODES";
	ext[n++] = "SMTPUTF8";
	ext[n++] = "CHUNKING";
	ext[n++] = "DSN";
	if (!s->tls && v.tls)
		ext[n++] = "STARTTLS";
	/* AUTH only over TLS: never offered, never accepted in the clear */
	if (s->tls && !s->authenticated)
		ext[n++] = "AUTH PLAIN LOGIN";
	session_raw(s, "250-%s Hello %s\r\n", v.hostname, s->helo);
	for (size_t i = 0; i < n; i++)
		session_raw(s, "250%c%s\r\n", i + 1 == n ? ' ' : '-', ext[i]);
}

static void dispatch(struct session *s, char *line, size_t len)
{
	struct smtp_cmd cmd;
	enum reply why;

	s->ncommands++;
	if (s->state == SMTP_ST_AUTH_PLAIN || s->state == SMTP_ST_AUTH_USER ||
	    s->state == SMTP_ST_AUTH_PASS) {
		session_auth_line(s, line, len);
		return;
	}
	if (smtp_cmd_parse(line, len, &cmd, &why) < 0) {
		session_fail(s, why, NULL);
		return;
	}
	/*
	 * The kill switch: a suspended source's sessions end at their next command,
	 * and so do those from an address its networks no longer allow.
	 */
	if (s->src && cmd.verb != SMTP_CMD_QUIT) {
		bool active = source_active(s->src);
		if (!active || !source_allows_ip(s->src, (struct sockaddr *)&s->peer)) {
			char hex[ID_HEXLEN + 1];
			log_warn("sess=%s smtp refuse source=%s reason=%s", (sess_hex(s, hex), hex),
			         s->src->name, active ? "address-not-allowed" : "suspended");
			session_close(s, active ? RPL_IP_REFUSED : RPL_SOURCE_SUSPENDED, NULL);
			return;
		}
	}
	/* commands that move no mail forward are bounded, so an idle client cannot camp */
	if (cmd.verb == SMTP_CMD_NOOP || cmd.verb == SMTP_CMD_RSET || cmd.verb == SMTP_CMD_VRFY ||
	    cmd.verb == SMTP_CMD_HELP || cmd.verb == SMTP_CMD_EXPN) {
		if (++s->junk > JUNK_MAX) {
			session_close(s, RPL_TOO_MANY_ERRORS,
			              "Too many commands without mail; closing");
			return;
		}
	}
	switch (cmd.verb) {
	case SMTP_CMD_EHLO:
	case SMTP_CMD_HELO:
		cmd_helo(s, cmd.arg, cmd.verb == SMTP_CMD_EHLO);
		break;
	case SMTP_CMD_MAIL:
		cmd_mail(s, cmd.arg);
		break;
	case SMTP_CMD_RCPT:
		cmd_rcpt(s, cmd.arg);
		break;
	case SMTP_CMD_DATA:
		cmd_data(s);
		break;
	case SMTP_CMD_BDAT:
		cmd_bdat(s, cmd.arg);
		break;
	case SMTP_CMD_RSET:
		session_reset_transaction(s);
		session_reply(s, RPL_OK, NULL);
		break;
	case SMTP_CMD_NOOP:
		session_reply(s, RPL_OK, NULL);
		break;
	case SMTP_CMD_QUIT:
		session_close(s, RPL_BYE, NULL);
		break;
	case SMTP_CMD_VRFY:
		session_reply(s, RPL_VRFY, NULL);
		break;
	case SMTP_CMD_EXPN:
		session_fail(s, RPL_NOT_IMPL, NULL);
		break;
	case SMTP_CMD_HELP:
		session_raw(
		        s, "214 2.0.0 See RFC 5321 and https://www.rfc-editor.org/rfc/rfc6409\r\n");
		break;
	case SMTP_CMD_STARTTLS:
		cmd_starttls(s);
		break;
	case SMTP_CMD_AUTH:
		cmd_auth(s, cmd.arg);
		break;
	}
}

static size_t line_limit(struct session *s, struct evbuffer *in)
{
	unsigned char head[5];

	if (s->state == SMTP_ST_AUTH_PLAIN || s->state == SMTP_ST_AUTH_USER ||
	    s->state == SMTP_ST_AUTH_PASS)
		return AUTH_LINE_MAX;
	if (evbuffer_copyout(in, head, sizeof(head)) == (ev_ssize_t)sizeof(head) &&
	    ascii_niequal((const char *)head, "AUTH ", 5))
		return AUTH_LINE_MAX;
	return SMTP_CMD_MAX;
}

/*
 * read_line - take one command line out of the input. 1: line (NUL-terminated,
 * CRLF removed); 0: need more input; -1: the session is closing.
 */
static int read_line(struct session *s, char *line, size_t cap, size_t *lenp)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t avail = evbuffer_get_length(in);
	size_t limit = line_limit(s, in);
	struct evbuffer_ptr end;

	if (avail == 0)
		return 0;
	evbuffer_ptr_set(in, &end, avail < limit ? avail : limit, EVBUFFER_PTR_SET);
	struct evbuffer_ptr lf = evbuffer_search_range(in, "\n", 1, NULL, &end);
	if (lf.pos < 0) {
		if (avail >= limit) {
			session_close(s, RPL_LINE_TOO_LONG, NULL);
			return -1;
		}
		return 0;
	}
	size_t len = (size_t)lf.pos + 1;
	if (len > cap)
		len = cap; /* cannot happen: limit <= cap */
	evbuffer_remove(in, line, len);
	/* only CRLF ends a line; a CR anywhere else, or a bare LF, ends the session */
	if (len < 2 || line[len - 2] != '\r' || memchr(line, '\r', len - 2) != NULL) {
		session_close(s, RPL_BARE_CRLF, NULL);
		return -1;
	}
	line[len - 2] = '\0';
	*lenp = len - 2;
	/* more input behind this line is pipelining, allowed only after EHLO */
	if (!s->esmtp && evbuffer_get_length(in) > 0) {
		session_close(s, RPL_PIPELINING, NULL);
		return -1;
	}
	return 1;
}

/* run buffered input until it is exhausted or the session must wait */
void session_resume(struct session *s)
{
	char line[AUTH_LINE_MAX + 1];
	size_t len;
	struct smtpd_view v;

	while (!s->busy) {
		switch (s->state) {
		case SMTP_ST_DATA:
		case SMTP_ST_BDAT:
			if (evbuffer_get_length(bufferevent_get_input(s->bev)) == 0)
				return;
			session_read_content(s);
			continue;
		case SMTP_ST_GREETED:
		case SMTP_ST_READY:
		case SMTP_ST_MAIL:
		case SMTP_ST_RCPT:
		case SMTP_ST_AUTH_PLAIN:
		case SMTP_ST_AUTH_USER:
		case SMTP_ST_AUTH_PASS:
			break;
		default:
			return;
		}
		int r = read_line(s, line, sizeof(line), &len);
		if (r <= 0)
			return;
		dispatch(s, line, len);
		sodium_memzero(line, len);
		if (!s->busy && s->state != SMTP_ST_CLOSING && s->state != SMTP_ST_DATA &&
		    s->state != SMTP_ST_BDAT && s->state != SMTP_ST_STARTTLS &&
		    s->state != SMTP_ST_HANDSHAKE) {
			smtpd_view(s->d, &v);
			session_deadline(s, v.lim->command_timeout_ms);
		}
	}
}

void session_on_read(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (s->state == SMTP_ST_BANNER) {
		session_close(s, RPL_EARLY_TALKER, NULL);
		return;
	}
	session_resume(s);
}

void session_on_write(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (s->state == SMTP_ST_CLOSING)
		event_active(s->timer, EV_TIMEOUT, 0);
	else if (s->state == SMTP_ST_STARTTLS)
		session_tls_start(s);
}

void session_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	char hex[ID_HEXLEN + 1];

	if (what & BEV_EVENT_CONNECTED) {
		/* the TLS handshake is done */
		struct smtpd_view v;
		SSL *ssl = bufferevent_openssl_get_ssl(bev);
		smtpd_view(s->d, &v);
		s->tls = true;
		s->tls_version = SSL_get_version(ssl);
		s->tls_cipher = SSL_get_cipher_name(ssl);
		log_info("sess=%s smtp tls version=%s cipher=%s", (sess_hex(s, hex), hex),
		         s->tls_version, s->tls_cipher);
		if (s->implicit_tls && s->state == SMTP_ST_HANDSHAKE) {
			/* on 465 the greeting follows the handshake: the same rules apply */
			if (evbuffer_get_length(bufferevent_get_input(bev)) > 0) {
				session_close(s, RPL_EARLY_TALKER, NULL);
				return;
			}
			if (v.lim->banner_delay_ms > 0) {
				s->state = SMTP_ST_BANNER;
				session_deadline(s, v.lim->banner_delay_ms);
				return;
			}
			send_banner(s);
		} else {
			/* RFC 3207 4.2: forget everything learnt before TLS; EHLO again */
			s->state = SMTP_ST_GREETED;
			s->greeted = false;
			s->esmtp = false;
			s->helo[0] = '\0';
			session_reset_transaction(s);
			session_deadline(s, v.lim->command_timeout_ms);
		}
		session_resume(s);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e = bufferevent_get_openssl_error(bev);
		if (e) {
			char buf[256];
			ERR_error_string_n(e, buf, sizeof(buf));
			log_info("sess=%s smtp tls error=\"%s\"", (sess_hex(s, hex), hex), buf);
		}
	}
	/* EOF, error or timeout: the client is gone; nothing more can be said */
	if (s->state != SMTP_ST_CLOSING && s->state != SMTP_ST_DATA && s->state != SMTP_ST_BDAT)
		log_debug("sess=%s smtp client closed", (sess_hex(s, hex), hex));
	else if (s->state == SMTP_ST_DATA || s->state == SMTP_ST_BDAT)
		log_info("sess=%s smtp lost connection during content", (sess_hex(s, hex), hex));
	session_free(s);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	switch (s->state) {
	case SMTP_ST_CLOSING:
		session_free(s);
		return;
	case SMTP_ST_BANNER:
		send_banner(s);
		return;
	case SMTP_ST_HANDSHAKE:
		/* nothing can be said in the clear to a client mid-handshake */
		session_close(s, RPL_MAX, NULL);
		return;
	default:
		if (!s->busy)
			session_close(s, RPL_TIMEOUT, NULL);
	}
}
