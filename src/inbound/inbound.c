/*
 * inbound.c - the inbound SMTP listener (inbound.h).
 *
 * SECURITY: this is the one server anyone on the Internet reaches without
 * credentials (port 25), so it does as little as it can. It takes mail only
 * for the addresses the handler names as Postern's own and refuses every
 * other recipient with 550 5.7.1 at RCPT: it can never relay, because it
 * never queues anything. Commands are at most 512 octets, lines of content
 * at most 998 plus CRLF, a bare CR or LF ends the session with an error (no
 * smuggling), content is capped at max_size (counted as it arrives, then
 * the rest is read and thrown away, so a huge message costs no memory),
 * recipients at max_rcpts, sessions at max_conns, and each command and the
 * whole of DATA have a deadline. No AUTH, no VRFY or EXPN.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "address.h"
#include "buf.h"
#include "cidr.h"
#include "data.h"
#include "esmtp.h"
#include "id.h"
#include "inbound.h"
#include "log.h"
#include "smtp_cmd.h"
#include "strutil.h"
#include "xmalloc.h"

/* as Postfix's smtpd_hard_error_limit: a sender of reports may try many addresses */
#define MAX_ERRORS 20
#define OUT_MAX    (64 * 1024) /* replies queued for a client that does not read: stop reading */
#define LAST_WORDS 10          /* seconds a closing session may take to read its last reply */

struct inbound_listener {
	struct inbound_listener *next;
	struct evconnlistener *l;
	char *addr;
};

struct inbound {
	struct event_base *base;
	char *hostname;
	struct inbound_handler h;
	struct inbound_limits lim;
	struct inbound_listener *listeners;
	struct isess *sessions; /* open, for freeing */
	size_t nsess;
};

enum ist { IS_GREET, IS_READY, IS_MAIL, IS_RCPT, IS_DATA, IS_CLOSING };

struct isess {
	struct inbound *in;
	struct isess *prev, *next;
	struct bufferevent *bev;
	struct event *timer;
	enum ist st;
	char client[64];
	uint64_t id;
	char *sender;
	char **rcpts;
	size_t nrcpts;
	struct data_decoder dec;
	struct buf msg;
	bool too_big;
	bool has_nul; /* a NUL octet in the content: refused (554 5.6.0) */
	int errors;
};

static void sess_free(struct isess *s)
{
	struct inbound *in = s->in;

	if (s->prev)
		s->prev->next = s->next;
	else
		in->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	in->nsess--;
	bufferevent_free(s->bev);
	event_free(s->timer);
	free(s->sender);
	for (size_t i = 0; i < s->nrcpts; i++)
		free(s->rcpts[i]);
	free(s->rcpts);
	buf_release(&s->msg);
	free(s);
}

static void reset(struct isess *s)
{
	free(s->sender);
	s->sender = NULL;
	for (size_t i = 0; i < s->nrcpts; i++)
		free(s->rcpts[i]);
	free(s->rcpts);
	s->rcpts = NULL;
	s->nrcpts = 0;
	buf_release(&s->msg);
	s->too_big = false;
	s->has_nul = false;
}

static void reply(struct isess *s, enum reply r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void reply(struct isess *s, enum reply r, const char *fmt, ...)
{
	const struct reply_def *d = reply_def(r);
	struct evbuffer *out = bufferevent_get_output(s->bev);
	char text[512];

	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
	} else {
		snprintf(text, sizeof(text), "%s", d->text);
	}
	if (d->enh && d->enh[0])
		evbuffer_add_printf(out, "%d %s %s\r\n", d->code, d->enh, text);
	else
		evbuffer_add_printf(out, "%d %s\r\n", d->code, text);
}

static void deadline(struct isess *s)
{
	struct timeval tv = {(time_t)(s->in->lim.timeout_ms / 1000),
	                     (suseconds_t)(s->in->lim.timeout_ms % 1000) * 1000};
	evtimer_add(s->timer, &tv);
}

/* close after what is queued for the client has been written, or LAST_WORDS (or the timeout) */
static void closing(struct isess *s, enum reply r)
{
	uint64_t ms = s->in->lim.timeout_ms < LAST_WORDS * 1000 ? s->in->lim.timeout_ms
	                                                        : LAST_WORDS * 1000;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	reply(s, r, NULL);
	s->st = IS_CLOSING;
	bufferevent_disable(s->bev, EV_READ);
	evtimer_add(s->timer, &tv);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct isess *s = arg;

	if (s->st == IS_CLOSING) {
		sess_free(s); /* it did not read its last reply: its slot is wanted */
		return;
	}
	log_info("inbound session timed out client=%s", s->client);
	closing(s, RPL_TIMEOUT);
}

static bool error(struct isess *s, enum reply r, const char *text)
{
	if (++s->errors >= MAX_ERRORS) {
		closing(s, RPL_TOO_MANY_ERRORS);
		return false;
	}
	if (text)
		reply(s, r, "%s", text);
	else
		reply(s, r, NULL);
	return true;
}

static void content_sink(const char *p, size_t n, void *arg)
{
	struct isess *s = arg;

	if (s->too_big || s->msg.len + n > s->in->lim.max_size) {
		s->too_big = true; /* read to the end and dropped */
		buf_release(&s->msg);
		return;
	}
	if (memchr(p, '\0', n) != NULL)
		s->has_nul = true; /* refused whole at the end, as submission does */
	buf_append(&s->msg, p, n);
}

static void ehlo(struct isess *s, bool extended, const char *arg)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);

	if (arg[0] == '\0') {
		error(s, RPL_SYNTAX, "a domain or address literal is required");
		return;
	}
	reset(s);
	s->st = IS_READY;
	if (!extended) {
		evbuffer_add_printf(out, "250 %s\r\n", s->in->hostname);
		return;
	}
	evbuffer_add_printf(out,
	                    "250-%s\r\n250-PIPELINING\r\n250-SIZE %llu\r\n250-8BITMIME\r\n"
	                    "250 ENHANCEDSTATUSCODES\r\n",
	                    s->in->hostname, (unsigned long long)s->in->lim.max_size);
}

static void mail(struct isess *s, const char *arg)
{
	struct mailaddr a;
	struct mail_params mp;
	struct esmtp_ext ext = {false, true, false};
	const char *end;
	enum reply why;

	if (s->st == IS_GREET) {
		error(s, RPL_NEED_HELO, NULL);
		return;
	}
	if (s->st != IS_READY) {
		error(s, RPL_BAD_SEQUENCE, "Nested MAIL command");
		return;
	}
	if (addr_parse_path(arg, ADDR_SENDER, false, &a, &end, &why) < 0 ||
	    esmtp_mail_params(end, &ext, &mp, &why) < 0) {
		error(s, why, NULL);
		return;
	}
	if (mp.size > s->in->lim.max_size) {
		error(s, RPL_SIZE_EXCEEDED, NULL);
		return;
	}
	s->sender = xstrdup(a.addr);
	s->st = IS_MAIL;
	reply(s, RPL_SENDER_OK, NULL);
}

static void rcpt(struct isess *s, const char *arg)
{
	struct mailaddr a;
	struct rcpt_params rp;
	struct esmtp_ext ext = {false, true, false};
	const char *end;
	enum reply why;

	if (s->st != IS_MAIL && s->st != IS_RCPT) {
		error(s, RPL_BAD_SEQUENCE, "Need MAIL before RCPT");
		return;
	}
	if (addr_parse_path(arg, ADDR_RCPT, false, &a, &end, &why) < 0 ||
	    esmtp_rcpt_params(end, &ext, &rp, &why) < 0) {
		error(s, why, NULL);
		return;
	}
	if (s->nrcpts >= s->in->lim.max_rcpts) {
		reply(s, RPL_TOO_MANY_RCPTS, NULL);
		return;
	}
	enum reply r = s->in->h.rcpt(a.addr, s->in->h.arg);
	if (r != RPL_RCPT_OK) {
		log_info("inbound rcpt refused client=%s code=%d", s->client, reply_def(r)->code);
		error(s, r, NULL);
		return;
	}
	s->rcpts = xrealloc(s->rcpts, (s->nrcpts + 1) * sizeof(char *));
	s->rcpts[s->nrcpts++] = xstrdup(a.addr);
	s->st = IS_RCPT;
	reply(s, RPL_RCPT_OK, NULL);
}

static void data(struct isess *s)
{
	if (s->st != IS_RCPT) {
		error(s, s->st == IS_MAIL ? RPL_NO_RCPTS : RPL_BAD_SEQUENCE, NULL);
		return;
	}
	buf_init(&s->msg);
	data_init(&s->dec, DATA_MODE_DOT, 998, content_sink, s);
	s->st = IS_DATA;
	reply(s, RPL_DATA_GO, NULL);
	deadline(s);
}

static void finish_data(struct isess *s)
{
	char hex[ID_HEXLEN + 1];

	s->st = IS_READY;
	if (s->too_big) {
		log_info("inbound message too big client=%s", s->client);
		reply(s, RPL_SIZE_EXCEEDED, NULL);
		reset(s);
		return;
	}
	if (s->has_nul) {
		log_info("inbound content refused client=%s why=nul", s->client);
		reply(s, RPL_CONTENT_NUL, NULL);
		reset(s);
		return;
	}
	s->id = id_next();
	char from[600];
	log_info("inbound message id=%s client=%s from=<%s> nrcpt=%zu size=%zu",
	         id_format(s->id, hex), s->client,
	         log_esc(from, sizeof(from), s->sender, strlen(s->sender)), s->nrcpts, s->msg.len);
	s->in->h.message(s->sender, s->rcpts, s->nrcpts, s->msg.data ? s->msg.data : "", s->msg.len,
	                 s->client, s->in->h.arg);
	reply(s, RPL_QUEUED, "Ok: received as %s", hex);
	reset(s);
}

static void command(struct isess *s, const char *line, size_t len)
{
	struct smtp_cmd c;
	enum reply why;

	if (smtp_cmd_parse(line, len, &c, &why) < 0) {
		error(s, why, NULL);
		return;
	}
	switch (c.verb) {
	case SMTP_CMD_EHLO:
	case SMTP_CMD_HELO:
		ehlo(s, c.verb == SMTP_CMD_EHLO, c.arg);
		break;
	case SMTP_CMD_MAIL:
		mail(s, c.arg);
		break;
	case SMTP_CMD_RCPT:
		rcpt(s, c.arg);
		break;
	case SMTP_CMD_DATA:
		data(s);
		break;
	case SMTP_CMD_RSET:
		reset(s);
		if (s->st != IS_GREET)
			s->st = IS_READY;
		reply(s, RPL_OK, NULL);
		break;
	case SMTP_CMD_NOOP:
		reply(s, RPL_OK, NULL);
		break;
	case SMTP_CMD_QUIT:
		closing(s, RPL_BYE);
		break;
	case SMTP_CMD_VRFY:
		reply(s, RPL_VRFY, NULL);
		break;
	default: /* BDAT, STARTTLS, AUTH, EXPN, HELP: not here */
		error(s, RPL_NOT_IMPL, NULL);
		break;
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct isess *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (s->st != IS_CLOSING) {
		/* a client that sends without reading its replies waits until it reads */
		if (evbuffer_get_length(bufferevent_get_output(bev)) > OUT_MAX) {
			bufferevent_disable(bev, EV_READ);
			return;
		}
		if (s->st == IS_DATA) {
			size_t n = evbuffer_get_length(in), used = 0;
			if (n == 0)
				return;
			const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
			enum data_status ds = data_feed(&s->dec, p, n, &used);
			evbuffer_drain(in, used);
			if (ds == DATA_MORE)
				return;
			if (ds != DATA_END) {
				log_info("inbound content refused client=%s why=%s", s->client,
				         ds == DATA_ERR_BARE ? "bare-cr-lf" : "line-too-long");
				reset(s);
				closing(s, ds == DATA_ERR_BARE ? RPL_BARE_CRLF : RPL_LINE_TOO_LONG);
				return;
			}
			finish_data(s);
			deadline(s);
			continue;
		}
		size_t n;
		char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF_STRICT);
		if (line == NULL) {
			if (evbuffer_get_length(in) > SMTP_CMD_MAX) {
				closing(s, RPL_LINE_TOO_LONG);
				return;
			}
			return;
		}
		if (n > SMTP_CMD_MAX || memchr(line, '\r', n) || memchr(line, '\n', n) ||
		    memchr(line, '\0', n)) {
			free(line);
			closing(s, n > SMTP_CMD_MAX ? RPL_LINE_TOO_LONG : RPL_BARE_CRLF);
			return;
		}
		deadline(s);
		command(s, line, n);
		free(line);
	}
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct isess *s = arg;

	if (s->st == IS_CLOSING) {
		sess_free(s);
		return;
	}
	/* its replies are read: what it sent meanwhile is next */
	if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		on_read(bev, s);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct isess *s = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		sess_free(s);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
	struct inbound *in = arg;

	if (in->nsess >= in->lim.max_conns) {
		static const char busy[] = "421 4.7.0 Too many connections; try again later\r\n";
		ssize_t w = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)w;
		evutil_closesocket(fd);
		return;
	}
	struct isess *s = xcalloc(1, sizeof(*s));
	s->in = in;
	sockaddr_ntop(sa, s->client, sizeof(s->client));
	s->bev = bufferevent_socket_new(in->base, fd, BEV_OPT_CLOSE_ON_FREE);
	s->timer = evtimer_new(in->base, on_timeout, s);
	s->next = in->sessions;
	if (s->next)
		s->next->prev = s;
	in->sessions = s;
	in->nsess++;
	bufferevent_setcb(s->bev, on_read, on_write, on_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	/* no more than a command and a bit, before DATA */
	bufferevent_setwatermark(s->bev, EV_READ, 0, 64 * 1024);
	evbuffer_add_printf(bufferevent_get_output(s->bev), "220 %s ESMTP Postern inbound\r\n",
	                    in->hostname);
	deadline(s);
}

struct inbound *inbound_new(struct event_base *base, const char *hostname,
                            const struct inbound_handler *h, const struct inbound_limits *lim)
{
	struct inbound *in = xcalloc(1, sizeof(*in));

	in->base = base;
	in->hostname = xstrdup(hostname);
	in->h = *h;
	in->lim = *lim;
	return in;
}

int inbound_listen(struct inbound *in, int fd, const char *addr, char *err, size_t errlen)
{
	struct inbound_listener *ls = xcalloc(1, sizeof(*ls));

	evutil_make_socket_nonblocking(fd);
	ls->l = evconnlistener_new(in->base, on_accept, in, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (ls->l == NULL) {
		snprintf(err, errlen, "inbound listener on %s: %s", addr, strerror(errno));
		free(ls);
		return -1;
	}
	ls->addr = xstrdup(addr);
	ls->next = in->listeners;
	in->listeners = ls;
	log_info("inbound listening addr=%s", addr);
	return 0;
}

void inbound_free(struct inbound *in)
{
	if (in == NULL)
		return;
	while (in->listeners) {
		struct inbound_listener *ls = in->listeners;
		in->listeners = ls->next;
		evconnlistener_free(ls->l);
		free(ls->addr);
		free(ls);
	}
	while (in->sessions)
		sess_free(in->sessions);
	free(in->hostname);
	free(in);
}
