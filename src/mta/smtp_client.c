/*
 * smtp_client.c - one outbound SMTP connection: resolve, connect (bound to a
 * pool address), greeting, EHLO, STARTTLS per policy, AUTH to a smarthost,
 * then as many transactions as the queue feeds it, pipelined when the server
 * allows, and QUIT.
 *
 * Server replies are read line by line with a bound on each line and on the
 * lines of a reply; bytes a server sends before the TLS handshake are thrown
 * away; a policy that requires TLS never falls back to plain text. A failure
 * before the first message tries the next address; after it, the message in
 * flight is deferred (a duplicate is possible, a loss is not).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base64.h"
#include "cidr.h"
#include "id.h"
#include "log.h"
#include "mta_internal.h"
#include "smtp_conn.h"
#include "smtp_reply.h"
#include "strutil.h"
#include "xmalloc.h"

static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);
static void next_target(struct conn *c);

void smtp_quit(struct conn *c)
{
	c->state = C_QUIT;
	smtp_cmd(c, "QUIT");
	smtp_deadline(c, c->m->cfg.command_timeout_ms < QUIT_TIMEOUT_MS
	                         ? c->m->cfg.command_timeout_ms
	                         : QUIT_TIMEOUT_MS);
}

void smtp_deadline(struct conn *c, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(c->timer, &tv);
}

void smtp_cmd(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void smtp_cmd(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
	evbuffer_add(bufferevent_get_output(c->bev), "\r\n", 2);
	c->expect++;
}

static void drop_socket(struct conn *c)
{
	if (c->bev) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	/* a TLS bufferevent closes the descriptor itself (BEV_OPT_CLOSE_ON_FREE) */
	if (c->fd >= 0 && !c->tls)
		close(c->fd);
	c->fd = -1;
	c->tls = false;
}

static void conn_free(struct conn *c)
{
	struct mta *m = c->m;

	resolve_cancel(c->rr);
	drop_socket(c);
	event_free(c->timer);
	if (c->prev)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	m->nconns--;
	free(c);
}

/* fill every recipient of the message in flight that has no final result yet */
void smtp_finish_msg(struct conn *c, enum mta_outcome o, int code, const char *dsn,
                     const char *text)
{
	struct mta_msg *mm = c->msg;

	if (mm == NULL)
		return;
	for (size_t i = 0; i < mm->nrcpt; i++) {
		struct mta_result *r = &mm->res[i];
		if (r->dsn[0] == '\0')
			mta_result_set(r, o, code, dsn, c->relay, "%s", text);
	}
	snprintf(mm->tls_version, sizeof(mm->tls_version), "%s", c->tls ? c->tls_version : "");
	snprintf(mm->tls_cipher, sizeof(mm->tls_cipher), "%s", c->tls ? c->tls_cipher : "");
	c->msg = NULL;
	c->feed.done(c->feed.arg, mm);
}

/*
 * The connection ends. A message in flight is deferred with why; if none was
 * ever carried, the feed learns why the destination could not be reached.
 * The struct lives on until its timer fires, so callers up the stack may
 * still look at it (c->state == C_DEAD, c->bev == NULL).
 */
static void conn_end(struct conn *c, const struct mta_result *why)
{
	if (c->state == C_DEAD)
		return;
	if (c->state == C_IDLE)
		c->feed.idle(c->feed.arg, false);
	if (c->msg)
		smtp_finish_msg(c, MTA_TEMP, why ? why->code : 0, why ? why->dsn : "4.4.2",
		                why ? why->text : "connection lost");
	c->state = C_DEAD;
	resolve_cancel(c->rr);
	c->rr = NULL;
	drop_socket(c);
	c->feed.closed(c->feed.arg, c->carried ? NULL : why);
	event_active(c->timer, EV_TIMEOUT, 0);
}

/* this target failed before carrying a message: remember why, try the next */
static void target_failed(struct conn *c, enum mta_outcome o, int code, const char *dsn,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void target_failed(struct conn *c, enum mta_outcome o, int code, const char *dsn,
                          const char *fmt, ...)
{
	char text[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	mta_result_set(&c->fail, o, code, dsn, c->relay, "%s (%s)", text, c->relay);
	log_info("conn=%016llx delivery connect relay=%s error=\"%s\"", (unsigned long long)c->id,
	         c->relay, text);
	drop_socket(c);
	if (c->carried) {
		conn_end(c, &c->fail);
		return;
	}
	c->cur++;
	c->plain_retry = false;
	next_target(c);
}

void smtp_protocol_failure(struct conn *c, const char *what)
{
	struct mta_result r;

	mta_result_set(&r, MTA_TEMP, 0, "4.4.2", c->relay, "%s from %s", what, c->relay);
	if (!c->carried) {
		target_failed(c, MTA_TEMP, 0, "4.4.2", "%s", what);
		return;
	}
	conn_end(c, &r);
}

static enum mta_outcome outcome_of(int code)
{
	return code / 100 == 2 ? MTA_SENT : code / 100 == 5 ? MTA_PERM : MTA_TEMP;
}

/* a result from the reply just read */
void smtp_result_from_reply(struct conn *c, struct mta_result *r)
{
	char first[400];
	int cls = smtp_reply_class(&c->reply);
	const char *dsn = c->reply.enh[0] ? c->reply.enh
	                  : cls == 2      ? "2.0.0"
	                  : cls == 5      ? "5.0.0"
	                                  : "4.0.0";

	smtp_reply_first_line(&c->reply, first, sizeof(first));
	mta_result_set(r, outcome_of(c->reply.code), c->reply.code, dsn, c->relay, "%s", first);
}

static void send_ehlo(struct conn *c, bool helo)
{
	memset(&c->caps, 0, sizeof(c->caps));
	c->state = helo ? C_HELO : C_EHLO;
	smtp_cmd(c, "%s %s", helo ? "HELO" : "EHLO", c->ehlo_name);
	smtp_deadline(c, c->m->cfg.command_timeout_ms);
}

static void start_tls(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t junk = evbuffer_get_length(in);
	bool verify = c->d.tls == TLS_POLICY_VERIFY;
	SSL *ssl = SSL_new(verify ? c->m->tls_verify : c->m->tls_plain);
	const char *host = c->targets.t[c->cur].host;

	/* a server speaking before the handshake could inject into the TLS session */
	if (junk > 0) {
		log_warn("conn=%016llx delivery starttls relay=%s discarded=%zu",
		         (unsigned long long)c->id, c->relay, junk);
		evbuffer_drain(in, junk);
	}
	if (ssl == NULL) {
		target_failed(c, MTA_TEMP, 0, "4.7.5", "%s", "cannot create a TLS session");
		return;
	}
	/* SNI and the name to verify: the MX host name, not an address */
	if (inet_pton(AF_INET, host, (unsigned char[16]){0}) != 1 &&
	    inet_pton(AF_INET6, host, (unsigned char[16]){0}) != 1)
		SSL_set_tlsext_host_name(ssl, host);
	if (verify) {
		unsigned char bin[16];
		if (inet_pton(AF_INET, host, bin) == 1 || inet_pton(AF_INET6, host, bin) == 1) {
			/* a next hop named by address: the certificate must name that address */
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
		} else {
			SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			SSL_set1_host(ssl, host);
		}
	}
	bufferevent_free(c->bev);
	c->bev = bufferevent_openssl_socket_new(c->m->base, c->fd, ssl, BUFFEREVENT_SSL_CONNECTING,
	                                        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	c->tls = true;
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->state = C_HANDSHAKE;
	smtp_deadline(c, c->m->cfg.command_timeout_ms);
}

static void send_auth(struct conn *c)
{
	const char *user = c->m->cfg.smarthost_user, *pass = c->m->cfg.smarthost_password;
	size_t ul = strlen(user), pl = strlen(pass);
	unsigned char raw[600];
	char b64[820];

	if (ul + pl + 2 > sizeof(raw)) {
		target_failed(c, MTA_TEMP, 0, "4.7.0", "%s", "smarthost credentials too long");
		return;
	}
	raw[0] = '\0';
	memcpy(raw + 1, user, ul);
	raw[1 + ul] = '\0';
	memcpy(raw + 2 + ul, pass, pl);
	base64_encode(raw, ul + pl + 2, b64, sizeof(b64));
	OPENSSL_cleanse(raw, sizeof(raw));
	c->state = C_AUTH;
	smtp_cmd(c, "AUTH PLAIN %s", b64);
	OPENSSL_cleanse(b64, sizeof(b64));
	smtp_deadline(c, c->m->cfg.command_timeout_ms);
}

/* after EHLO (and TLS): TLS if the policy wants it, AUTH for a smarthost, then ready */
static void after_ehlo(struct conn *c)
{
	enum tls_policy p = c->d.tls;

	if (!c->tls && !c->plain_retry && p != TLS_POLICY_NONE) {
		if (c->caps.starttls) {
			c->state = C_STARTTLS;
			smtp_cmd(c, "STARTTLS");
			smtp_deadline(c, c->m->cfg.command_timeout_ms);
			return;
		}
		if (p == TLS_POLICY_ENCRYPT || p == TLS_POLICY_VERIFY) {
			target_failed(c, MTA_TEMP, 0, "4.7.4", "%s",
			              "TLS is required but the server does not offer STARTTLS");
			return;
		}
	}
	bool smarthost = c->d.route.kind == ROUTE_SMARTHOST;
	if (smarthost && c->m->cfg.smarthost_user && c->m->cfg.smarthost_password) {
		if (!c->tls || c->d.tls != TLS_POLICY_VERIFY) {
			/* credentials go only to a server whose certificate was verified */
			target_failed(c, MTA_TEMP, 0, "4.7.0", "%s",
			              "will not send smarthost credentials without verified TLS");
			return;
		}
		if (!c->caps.auth_plain) {
			target_failed(c, MTA_TEMP, 0, "4.7.0", "%s",
			              "the smarthost does not offer AUTH PLAIN");
			return;
		}
		send_auth(c);
		return;
	}
	c->state = C_READY;
	smtp_xact_start(c);
}

/* a whole reply has been read */
static void on_reply(struct conn *c)
{
	int code = c->reply.code;

	switch (c->state) {
	case C_BANNER:
		if (code != 220) {
			char first[300];
			smtp_reply_first_line(&c->reply, first, sizeof(first));
			/* one server refusing to talk says nothing about the others: never final */
			target_failed(c, MTA_TEMP, code, "4.4.2", "greeting: %s", first);
			return;
		}
		send_ehlo(c, false);
		return;
	case C_EHLO:
		if (code / 100 != 2) {
			send_ehlo(c, true);
			return;
		}
		/* c->caps was filled line by line as the reply came in */
		after_ehlo(c);
		return;
	case C_HELO:
		if (code / 100 != 2) {
			target_failed(c, MTA_TEMP, code, "4.0.0", "%s", "HELO refused");
			return;
		}
		memset(&c->caps, 0, sizeof(c->caps));
		after_ehlo(c);
		return;
	case C_STARTTLS:
		if (code != 220) {
			if (c->d.tls == TLS_POLICY_MAY) {
				/* opportunistic: go on in the clear, on this connection */
				c->plain_retry = true;
				after_ehlo(c);
				return;
			}
			target_failed(c, MTA_TEMP, code, "4.7.4", "%s", "STARTTLS refused");
			return;
		}
		start_tls(c);
		return;
	case C_AUTH:
		if (code != 235) {
			char first[300];
			smtp_reply_first_line(&c->reply, first, sizeof(first));
			target_failed(c, MTA_TEMP, code, "4.7.0", "smarthost AUTH failed: %s",
			              first);
			return;
		}
		c->state = C_READY;
		smtp_xact_start(c);
		return;
	case C_MAIL:
		smtp_xact_mail_reply(c);
		return;
	case C_RCPT:
		smtp_xact_rcpt_reply(c);
		return;
	case C_DATA:
		smtp_xact_data_reply(c);
		return;
	case C_DOT:
		smtp_xact_dot_reply(c);
		return;
	case C_RSET:
		c->state = C_READY;
		smtp_xact_start(c);
		return;
	case C_QUIT:
		conn_end(c, NULL);
		return;
	default:
		smtp_protocol_failure(c, "unexpected reply");
		return;
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char line[SMTP_REPLY_LINE_MAX + 2];

	if (c->state == C_IDLE) {
		/* a server that ends an idle connection says 421 first: nothing lost */
		conn_end(c, NULL);
		return;
	}
	for (;;) {
		if (c->state == C_BODY && evbuffer_get_length(in) > 0) {
			/* a reply in the middle of our content: the server gave up on it */
			smtp_protocol_failure(c, "reply before the end of data");
			return;
		}
		size_t avail = evbuffer_get_length(in);
		if (avail == 0)
			return;
		struct evbuffer_ptr end, lf;
		size_t lim = avail < sizeof(line) ? avail : sizeof(line);
		evbuffer_ptr_set(in, &end, lim, EVBUFFER_PTR_SET);
		lf = evbuffer_search_range(in, "\n", 1, NULL, &end);
		if (lf.pos < 0) {
			if (avail >= sizeof(line) - 1)
				smtp_protocol_failure(c, "over-long reply line");
			return;
		}
		size_t n = (size_t)lf.pos + 1;
		evbuffer_remove(in, line, n);
		n--; /* the LF */
		if (n > 0 && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		int r = smtp_reply_feed(&c->reply, line, n);
		if (r < 0) {
			smtp_protocol_failure(c, "malformed reply");
			return;
		}
		if (c->state == C_EHLO && c->reply.nlines > 1)
			smtp_ehlo_caps_line(&c->caps, line, n);
		if (r == 0)
			continue;
		/*
		 * Every reply answers one thing we sent. One we did not ask for, or
		 * more input once all are answered, means the two sides are out of
		 * step: the replies that follow cannot be trusted to mean anything.
		 */
		if (c->expect == 0) {
			smtp_protocol_failure(c, "a reply nobody asked for");
			return;
		}
		c->expect--;
		if (c->expect == 0 && evbuffer_get_length(in) > 0 && c->state != C_STARTTLS &&
		    c->state != C_QUIT) {
			smtp_protocol_failure(c, "more replies than commands");
			return;
		}
		on_reply(c);
		smtp_reply_init(&c->reply);
		/* on_reply may have ended the connection, or replaced the bufferevent */
		if (c->state == C_DEAD || c->state == C_HANDSHAKE || c->bev != bev)
			return;
	}
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state == C_BODY)
		smtp_xact_pump_body(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		if (c->state == C_CONNECT) {
			int one = 1;
			setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			c->state = C_BANNER;
			c->expect = 1; /* the greeting */
			smtp_deadline(c, c->m->cfg.command_timeout_ms);
			return;
		}
		if (c->state == C_HANDSHAKE) {
			SSL *ssl = bufferevent_openssl_get_ssl(bev);
			snprintf(c->tls_version, sizeof(c->tls_version), "%s",
			         SSL_get_version(ssl));
			snprintf(c->tls_cipher, sizeof(c->tls_cipher), "%s",
			         SSL_get_cipher_name(ssl));
			log_info(
			        "conn=%016llx delivery tls relay=%s version=%s cipher=%s verify=%s",
			        (unsigned long long)c->id, c->relay, c->tls_version, c->tls_cipher,
			        c->d.tls == TLS_POLICY_VERIFY ? "ok" : "none");
			/* RFC 3207: EHLO again, forget what was learnt in the clear */
			memset(&c->caps, 0, sizeof(c->caps));
			send_ehlo(c, false);
			return;
		}
		return;
	}
	char detail[256] = "connection closed";
	if (what & BEV_EVENT_ERROR) {
		unsigned long e = c->tls ? bufferevent_get_openssl_error(bev) : 0;
		if (e)
			ERR_error_string_n(e, detail, sizeof(detail));
		else if (EVUTIL_SOCKET_ERROR())
			snprintf(detail, sizeof(detail), "%s",
			         evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
	if (c->state == C_HANDSHAKE) {
		if (c->d.tls == TLS_POLICY_MAY && !c->carried) {
			/* opportunistic TLS failed: once more to this address, in the clear */
			log_info("conn=%016llx delivery tls relay=%s error=\"%s\" "
			         "action=retry-plain",
			         (unsigned long long)c->id, c->relay, detail);
			drop_socket(c);
			c->plain_retry = true;
			next_target(c);
			return;
		}
		target_failed(c, MTA_TEMP, 0, c->d.tls == TLS_POLICY_VERIFY ? "4.7.5" : "4.7.0",
		              "TLS handshake failed: %s", detail);
		return;
	}
	if (c->state == C_QUIT || c->state == C_IDLE) {
		/* an idle connection the server closed: nothing was in flight */
		conn_end(c, NULL);
		return;
	}
	if (c->state == C_CONNECT || c->state == C_BANNER) {
		target_failed(c, MTA_TEMP, 0, "4.4.1", "connect: %s", detail);
		return;
	}
	struct mta_result r;
	mta_result_set(&r, MTA_TEMP, 0, c->state == C_DOT ? "4.4.2" : "4.4.2", c->relay, "%s: %s",
	               c->state == C_DOT ? "lost connection after the end of data"
	                                 : "lost connection",
	               detail);
	if (!c->carried) {
		target_failed(c, MTA_TEMP, 0, "4.4.2", "%s", r.text);
		return;
	}
	conn_end(c, &r);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	static const char *names[] = {
	        "resolve",       "connect",     "greeting", "EHLO", "HELO", "STARTTLS",
	        "TLS handshake", "AUTH",        "ready",    "MAIL", "RCPT", "DATA",
	        "content",       "end of data", "RSET",     "QUIT", "idle"};
	char text[200];

	if (c->state == C_DEAD) {
		conn_free(c);
		return;
	}
	if (c->state == C_QUIT) {
		conn_end(c, NULL);
		return;
	}
	if (c->state == C_IDLE) {
		/* nothing came for it in time */
		c->feed.idle(c->feed.arg, false);
		smtp_quit(c);
		return;
	}
	snprintf(text, sizeof(text), "timeout waiting for %s", names[c->state]);
	if (!c->carried) {
		target_failed(c, MTA_TEMP, 0, "4.4.2", "%s", text);
		return;
	}
	struct mta_result r;
	mta_result_set(&r, MTA_TEMP, 0, "4.4.2", c->relay, "%s", text);
	conn_end(c, &r);
}

/* -- connecting ---------------------------------------------------------------- */

static const struct mta_pool_addr *pick_bind(struct conn *c, int family)
{
	if (c->d.pool < 0)
		return NULL;
	const struct mta_pool *p = &c->m->cfg.pools[c->d.pool];
	for (size_t k = 0; k < p->n; k++) {
		const struct mta_pool_addr *a = &p->addrs[(c->m->pool_rr + k) % p->n];
		if (a->ss.ss_family == family) {
			c->m->pool_rr++;
			return a;
		}
	}
	return NULL;
}

static void next_target(struct conn *c)
{
	char addr[64];

	if (c->cur >= c->targets.n) {
		if (c->fail.dsn[0] == '\0')
			mta_result_set(&c->fail, MTA_TEMP, 0, "4.4.1", "",
			               "no server could be reached");
		conn_end(c, &c->fail);
		return;
	}
	const struct resolve_target *t = &c->targets.t[c->cur];
	sockaddr_ntop((const struct sockaddr *)&t->ss, addr, sizeof(addr));
	unsigned port = ntohs(t->ss.ss_family == AF_INET
	                              ? ((const struct sockaddr_in *)&t->ss)->sin_port
	                              : ((const struct sockaddr_in6 *)&t->ss)->sin6_port);
	/* host names are at most 253 octets: a longer relay text is cut, never overrun */
	if ((size_t)snprintf(c->relay, sizeof(c->relay), "%s[%s]:%u", t->host, addr, port) >=
	    sizeof(c->relay))
		c->relay[sizeof(c->relay) - 1] = '\0';
	c->bind = pick_bind(c, t->ss.ss_family);
	if (c->d.pool >= 0 && c->bind == NULL) {
		target_failed(c, MTA_TEMP, 0, "4.4.1", "%s",
		              "the IP pool has no address of this family");
		return;
	}
	c->ehlo_name = c->bind ? c->bind->ehlo : c->m->cfg.hostname;
	c->fd = socket(t->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		target_failed(c, MTA_TEMP, 0, "4.4.1", "socket: %s", strerror(errno));
		return;
	}
	if (c->bind && bind(c->fd, (const struct sockaddr *)&c->bind->ss, c->bind->sslen) < 0) {
		target_failed(c, MTA_TEMP, 0, "4.4.1", "cannot bind the pool address: %s",
		              strerror(errno));
		return;
	}
	c->tls = false;
	memset(&c->caps, 0, sizeof(c->caps));
	smtp_reply_init(&c->reply);
	c->bev = bufferevent_socket_new(c->m->base, c->fd, BEV_OPT_DEFER_CALLBACKS);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->state = C_CONNECT;
	smtp_deadline(c, c->m->cfg.connect_timeout_ms);
	if (bufferevent_socket_connect(c->bev, (const struct sockaddr *)&t->ss, (int)t->sslen) <
	    0) {
		target_failed(c, MTA_TEMP, 0, "4.4.1", "connect: %s", strerror(errno));
		return;
	}
}

static void resolved(void *arg, const struct resolve_result *res)
{
	struct conn *c = arg;

	c->rr = NULL;
	if (res->status != RESOLVE_OK) {
		mta_result_set(&c->fail, res->status == RESOLVE_PERM ? MTA_PERM : MTA_TEMP, 0,
		               res->dsn, "", "%s", res->why);
		conn_end(c, &c->fail);
		return;
	}
	c->targets = *res;
	c->cur = 0;
	next_target(c);
}

void smtp_conn_start(struct mta *m, const struct mta_dest *d, const struct mta_feed *feed)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	struct resolve_opts o = {m->cfg.smtp_port, m->cfg.allow_reserved, true, true};

	c->m = m;
	c->id = id_random();
	c->d = *d;
	c->feed = *feed;
	c->fd = -1;
	c->timer = evtimer_new(m->base, on_timeout, c);
	c->next = m->conns;
	if (c->next)
		c->next->prev = c;
	m->conns = c;
	m->nconns++;
	c->state = C_RESOLVE;
	/* libunbound gives up by itself, but a connection never waits without a bound */
	smtp_deadline(c, m->cfg.connect_timeout_ms * 2);
	if (d->pool >= 0) {
		/* only the address families the pool can send from */
		const struct mta_pool *p = &m->cfg.pools[d->pool];
		o.want_v4 = o.want_v6 = false;
		for (size_t i = 0; i < p->n; i++) {
			if (p->addrs[i].ss.ss_family == AF_INET)
				o.want_v4 = true;
			else
				o.want_v6 = true;
		}
	}
	const struct route_spec *rt = &d->route;
	if (rt->kind == ROUTE_SMARTHOST)
		rt = &m->cfg.smarthost;
	if (rt->kind == ROUTE_HOST && rt->port)
		o.port = rt->port;
	if (rt->kind == ROUTE_MX) {
		c->rr = resolve_mx(m->resolver, d->domain, &o, resolved, c);
	} else if (rt->kind == ROUTE_HOST && !rt->direct) {
		c->rr = resolve_mx(m->resolver, rt->host, &o, resolved, c);
	} else {
		/* a next hop the administrator named: its addresses are trusted as given */
		o.allow_reserved = true;
		c->rr = resolve_host(m->resolver, rt->host, &o, resolved, c);
	}
}

/*
 * still_open - an idle connection the server has not begun to close: nothing
 * waits in our buffer or the socket's. A 421 or an end of file the loop has
 * not yet delivered would otherwise be read as the answer to our MAIL, and
 * the message deferred for it.
 */
static bool still_open(struct conn *c)
{
	char b;

	if (c->bev == NULL || evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		return false;
	ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool smtp_conn_wake(struct mta *m, void *feed_arg)
{
	struct conn *c, *next;

	for (c = m->conns; c; c = next) {
		next = c->next;
		if (c->state != C_IDLE || c->feed.arg != feed_arg)
			continue;
		if (!still_open(c)) {
			conn_end(c, NULL); /* freed from its timer: next stays valid */
			continue;
		}
		c->feed.idle(c->feed.arg, false);
		c->state = C_READY;
		smtp_xact_start(c);
		return true;
	}
	return false;
}

bool smtp_conn_drop_idle(struct mta *m, void *except)
{
	for (struct conn *c = m->conns; c; c = c->next) {
		if (c->state == C_IDLE && c->feed.arg != except) {
			conn_end(c, NULL);
			return true;
		}
	}
	return false;
}

void smtp_conn_abort_all(struct mta *m)
{
	struct mta_result r;

	while (m->conns) {
		struct conn *c = m->conns;
		mta_result_set(&r, MTA_TEMP, 0, "4.3.2", c->relay,
		               "delivery interrupted: shutting down");
		conn_end(c, &r);
		conn_free(c);
	}
}
