/*
 * loadgen.c - the benchmark's own SMTP load generator (C, libevent, OpenSSL).
 *
 * smtp-source cannot do STARTTLS or AUTH, so the TLS and AUTH path of a relay
 * is measured with this: N sessions at once, each EHLO, optionally STARTTLS
 * (or implicit TLS) and AUTH PLAIN, then messages until the total is sent.
 * Each message carries "X-Bench-Id: N"; with -o the time of each message's
 * 250 is written as "N <unix ns>" so that the latency to the sink can be
 * computed. With -r the messages are paced to a fixed rate (the latency
 * run). With --idle the sessions stop after EHLO and are held open (the
 * memory run).
 *
 * It talks only to the server named on its command line and trusts nothing
 * it says beyond the reply codes; certificates are not checked (the bench
 * uses a throw-away self-signed one).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

enum st {
	ST_BANNER,
	ST_EHLO,
	ST_STARTTLS,
	ST_EHLO2,
	ST_AUTH,
	ST_MAIL,
	ST_RCPT,
	ST_DATA,
	ST_DOT,
	ST_RSET,
	ST_QUIT,
	ST_IDLE
};

struct opts {
	struct sockaddr_in addr;
	int sessions, per_session;
	long total;
	size_t size;
	const char *from, *to, *out, *auth64;
	double rate;
	bool starttls, tls, quiet;
	long idle;
};

struct sess {
	struct gen *g;
	struct bufferevent *bev;
	struct event *pace;
	enum st st;
	int sent;    /* messages finished in this session */
	long cur;    /* message id in flight, -1 if none */
	bool failed; /* the current message was refused */
};

struct gen {
	struct opts o;
	struct event_base *base;
	SSL_CTX *ctx;
	char *body;
	size_t bodylen;
	long started, done, failed, conn_failed, open, idle_up, connecting;
	uint64_t *t250; /* by message id; 0 until its 250 */
	uint64_t next_slot, interval;
	uint64_t t0;
	char first_err[256];
};

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sess_start(struct gen *g);
static void on_read(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

static void note_err(struct gen *g, const char *what, const char *line)
{
	if (!g->first_err[0])
		snprintf(g->first_err, sizeof(g->first_err), "%s: %s", what, line);
}

static bool all_done(const struct gen *g)
{
	if (g->o.idle)
		return false;
	return g->done + g->failed >= g->o.total && g->open == 0;
}

static void sess_free(struct sess *s)
{
	struct gen *g = s->g;

	if (s->cur >= 0) { /* lost mid-message: counts as failed */
		g->failed++;
		s->cur = -1;
	}
	if (s->pace)
		event_free(s->pace);
	if (s->bev)
		bufferevent_free(s->bev);
	free(s);
	g->open--;
	if (all_done(g))
		event_base_loopexit(g->base, NULL);
	else if (g->started < g->o.total && !g->o.idle)
		sess_start(g);
}

__attribute__((format(printf, 3, 4))) static void sendf(struct sess *s, enum st next,
                                                        const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(s->bev), fmt, ap);
	va_end(ap);
	s->st = next;
}

/* the next message of this session, or QUIT when there is none */
static void next_message(struct sess *s);

static void pace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sess *s = arg;

	sendf(s, ST_MAIL, "MAIL FROM:<%s>\r\n", s->g->o.from);
}

static void next_message(struct sess *s)
{
	struct gen *g = s->g;
	uint64_t now;

	if (g->started >= g->o.total || (g->o.per_session && s->sent >= g->o.per_session)) {
		sendf(s, ST_QUIT, "QUIT\r\n");
		return;
	}
	s->cur = g->started++;
	s->failed = false;
	if (g->interval == 0) {
		sendf(s, ST_MAIL, "MAIL FROM:<%s>\r\n", g->o.from);
		return;
	}
	/* paced: the message starts at its slot of a fixed schedule */
	now = now_ns(CLOCK_MONOTONIC);
	if (g->next_slot == 0)
		g->next_slot = now;
	if (g->next_slot <= now) {
		g->next_slot += g->interval;
		sendf(s, ST_MAIL, "MAIL FROM:<%s>\r\n", g->o.from);
		return;
	}
	struct timeval tv = {.tv_sec = (time_t)((g->next_slot - now) / 1000000000u),
	                     .tv_usec = (suseconds_t)((g->next_slot - now) % 1000000000u / 1000)};
	g->next_slot += g->interval;
	s->st = ST_MAIL;
	evtimer_add(s->pace, &tv);
}

static void send_message(struct sess *s)
{
	struct gen *g = s->g;
	struct evbuffer *out = bufferevent_get_output(s->bev);
	char date[64];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	evbuffer_add_printf(out,
	                    "From: <%s>\r\nTo: <%s>\r\nSubject: bench %ld\r\nDate: %s\r\n"
	                    "Message-ID: <%ld.%d@loadgen.bench>\r\nX-Bench-Id: %ld\r\n\r\n",
	                    g->o.from, g->o.to, s->cur, date, s->cur, (int)getpid(), s->cur);
	evbuffer_add_reference(out, g->body, g->bodylen, NULL, NULL);
	evbuffer_add(out, ".\r\n", 3);
	s->st = ST_DOT;
}

static void start_tls(struct sess *s)
{
	struct gen *g = s->g;
	SSL *ssl = SSL_new(g->ctx);
	struct bufferevent *b;

	b = bufferevent_openssl_filter_new(g->base, s->bev, ssl, BUFFEREVENT_SSL_CONNECTING,
	                                   BEV_OPT_CLOSE_ON_FREE);
	if (!b) {
		SSL_free(ssl);
		note_err(g, "tls", "cannot start");
		sess_free(s);
		return;
	}
	s->bev = b;
	bufferevent_setcb(b, on_read, NULL, on_event, s);
	bufferevent_enable(b, EV_READ | EV_WRITE);
	sendf(s, ST_EHLO2, "EHLO %s\r\n", "loadgen.bench");
}

/* after (the second) EHLO: AUTH, idle, or the first message */
static void ready(struct sess *s)
{
	struct gen *g = s->g;

	if (g->o.auth64 && s->st != ST_AUTH) {
		sendf(s, ST_AUTH, "AUTH PLAIN %s\r\n", g->o.auth64);
		return;
	}
	if (g->o.idle) {
		s->st = ST_IDLE;
		if (++g->idle_up == g->o.idle) {
			printf("idle %ld\n", g->idle_up);
			fflush(stdout);
		}
		g->connecting--;
		sess_start(g);
		return;
	}
	next_message(s);
}

/* one complete reply (the last line of a multi-line one) */
static void reply(struct sess *s, const char *line)
{
	struct gen *g = s->g;
	int code = atoi(line);

	switch (s->st) {
	case ST_BANNER:
		if (code != 220)
			goto refused;
		sendf(s, ST_EHLO, "EHLO %s\r\n", "loadgen.bench");
		break;
	case ST_EHLO:
		if (code != 250)
			goto refused;
		if (g->o.starttls)
			sendf(s, ST_STARTTLS, "STARTTLS\r\n");
		else
			ready(s);
		break;
	case ST_STARTTLS:
		if (code != 220)
			goto refused;
		start_tls(s);
		break;
	case ST_EHLO2:
		if (code != 250)
			goto refused;
		ready(s);
		break;
	case ST_AUTH:
		if (code != 235)
			goto refused;
		ready(s);
		break;
	case ST_MAIL:
		if (code != 250) {
			note_err(g, "MAIL", line);
			s->failed = true;
		}
		sendf(s, ST_RCPT, "RCPT TO:<%s>\r\n", g->o.to);
		break;
	case ST_RCPT:
		if (code != 250 || s->failed) {
			if (!s->failed)
				note_err(g, "RCPT", line);
			s->failed = true;
			sendf(s, ST_RSET, "RSET\r\n");
			break;
		}
		sendf(s, ST_DATA, "DATA\r\n");
		break;
	case ST_DATA:
		if (code != 354) {
			note_err(g, "DATA", line);
			s->failed = true;
			sendf(s, ST_RSET, "RSET\r\n");
			break;
		}
		send_message(s);
		break;
	case ST_DOT:
		if (code == 250) {
			g->t250[s->cur] = now_ns(CLOCK_REALTIME);
			g->done++;
		} else {
			note_err(g, "end of data", line);
			g->failed++;
		}
		s->cur = -1;
		s->sent++;
		next_message(s);
		break;
	case ST_RSET:
		g->failed++;
		s->cur = -1;
		s->sent++;
		next_message(s);
		break;
	case ST_QUIT:
	case ST_IDLE:
		break;
	}
	return;
refused:
	note_err(g, "session", line);
	g->conn_failed++;
	if (g->o.idle)
		g->connecting--;
	sess_free(s);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct sess *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) != NULL) {
		bool last = n < 4 || line[3] != '-';
		enum st before = s->st;

		if (last)
			reply(s, line);
		free(line);
		if (last && (before == ST_QUIT || before == ST_STARTTLS)) {
			/* QUIT: done; STARTTLS: the rest is read through the new filter */
			if (before == ST_QUIT)
				sess_free(s);
			return;
		}
		if (last && s->st == ST_BANNER)
			return; /* freed */
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct sess *s = arg;
	struct gen *g = s->g;

	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;

		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		return;
	}
	if (s->st != ST_QUIT) {
		unsigned long e = bufferevent_get_openssl_error(bev);
		char buf[160] = "connection closed";

		if (e)
			ERR_error_string_n(e, buf, sizeof(buf));
		else if (what & BEV_EVENT_ERROR)
			snprintf(buf, sizeof(buf), "%s", strerror(EVUTIL_SOCKET_ERROR()));
		note_err(g, "connection", buf);
		g->conn_failed++;
		if (g->o.idle && s->st != ST_IDLE)
			g->connecting--;
	}
	sess_free(s);
}

static void sess_start(struct gen *g)
{
	struct sess *s;
	SSL *ssl = NULL;

	if (g->o.idle) {
		/* the memory run: at most 100 handshakes at once, up to the total */
		while (g->open < g->o.idle && g->connecting < 100) {
			g->connecting++;
			g->open++;
			s = calloc(1, sizeof(*s));
			s->g = g;
			s->cur = -1;
			s->bev = bufferevent_socket_new(g->base, -1, BEV_OPT_CLOSE_ON_FREE);
			bufferevent_setcb(s->bev, on_read, NULL, on_event, s);
			bufferevent_enable(s->bev, EV_READ | EV_WRITE);
			if (bufferevent_socket_connect(s->bev, (struct sockaddr *)&g->o.addr,
			                               sizeof(g->o.addr)) < 0) {
				g->connecting--;
				sess_free(s);
				return;
			}
		}
		return;
	}
	if (g->started >= g->o.total)
		return;
	s = calloc(1, sizeof(*s));
	s->g = g;
	s->cur = -1;
	s->pace = evtimer_new(g->base, pace_cb, s);
	g->open++;
	if (g->o.tls) {
		ssl = SSL_new(g->ctx);
		s->bev = bufferevent_openssl_socket_new(
		        g->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	} else {
		s->bev = bufferevent_socket_new(g->base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	bufferevent_setcb(s->bev, on_read, NULL, on_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(s->bev, (struct sockaddr *)&g->o.addr, sizeof(g->o.addr)) <
	    0) {
		note_err(g, "connect", strerror(errno));
		g->conn_failed++;
		g->started = g->o.total; /* stop */
		sess_free(s);
	}
}

static char *plain64(const char *userpass)
{
	const char *colon = strchr(userpass, ':');
	size_t ul, pl, n;
	unsigned char raw[512];
	char *out;

	if (!colon || strlen(userpass) > sizeof(raw) - 2)
		return NULL;
	ul = (size_t)(colon - userpass);
	pl = strlen(colon + 1);
	raw[0] = 0;
	memcpy(raw + 1, userpass, ul);
	raw[1 + ul] = 0;
	memcpy(raw + 2 + ul, colon + 1, pl);
	n = 2 + ul + pl;
	out = malloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, raw, (int)n);
	return out;
}

static void make_body(struct gen *g)
{
	size_t i = 0;

	g->body = malloc(g->o.size + 80);
	while (i < g->o.size) {
		size_t n = g->o.size - i < 78 ? g->o.size - i : 78;

		memset(g->body + i, 'x', n);
		i += n;
		memcpy(g->body + i, "\r\n", 2);
		i += 2;
	}
	g->bodylen = i;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: loadgen [-s SESSIONS] [-m MESSAGES] [-l BYTES] [-M PER-SESSION] [-r RATE]\n"
	        "               [-f FROM] [-t TO] [--starttls|--tls] [--auth USER:PASS]\n"
	        "               [-o FILE] [--idle N] [-q] 127.0.0.1:PORT\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {{"starttls", no_argument, NULL, 'S'},
	                                      {"tls", no_argument, NULL, 'T'},
	                                      {"auth", required_argument, NULL, 'A'},
	                                      {"idle", required_argument, NULL, 'I'},
	                                      {NULL, 0, NULL, 0}};
	char host[64];
	const char *colon;
	int c;

	*o = (struct opts){.sessions = 16,
	                   .per_session = 1,
	                   .total = 1000,
	                   .size = 2048,
	                   .from = "app@example.com",
	                   .to = "user@example.org"};
	while ((c = getopt_long(argc, argv, "s:m:l:M:r:f:t:o:q", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			o->sessions = atoi(optarg);
			break;
		case 'm':
			o->total = atol(optarg);
			break;
		case 'l':
			o->size = (size_t)atol(optarg);
			break;
		case 'M':
			o->per_session = atoi(optarg);
			break;
		case 'r':
			o->rate = atof(optarg);
			break;
		case 'f':
			o->from = optarg;
			break;
		case 't':
			o->to = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'S':
			o->starttls = true;
			break;
		case 'T':
			o->tls = true;
			break;
		case 'A':
			if (!(o->auth64 = plain64(optarg)))
				usage();
			break;
		case 'I':
			o->idle = atol(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || o->sessions < 1 || o->total < 0 || o->per_session < 0)
		usage();
	colon = strrchr(argv[optind], ':');
	if (!colon || (size_t)(colon - argv[optind]) >= sizeof(host))
		usage();
	memcpy(host, argv[optind], (size_t)(colon - argv[optind]));
	host[colon - argv[optind]] = 0;
	o->addr.sin_family = AF_INET;
	o->addr.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &o->addr.sin_addr) != 1)
		usage();
}

static int write_times(const struct gen *g)
{
	FILE *f = fopen(g->o.out, "w");
	long i;

	if (!f)
		return -1;
	for (i = 0; i < g->o.total; i++)
		if (g->t250[i])
			fprintf(f, "%ld %" PRIu64 "\n", i, g->t250[i]);
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct gen g = {0};
	struct rlimit rl;
	double secs;
	int i;

	parse(argc, argv, &g.o);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	g.base = event_base_new();
	g.ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(g.ctx, SSL_VERIFY_NONE, NULL);
	make_body(&g);
	g.t250 = calloc((size_t)g.o.total + 1, sizeof(*g.t250));
	if (g.o.rate > 0)
		g.interval = (uint64_t)(1e9 / g.o.rate);
	g.t0 = now_ns(CLOCK_MONOTONIC);
	if (g.o.idle)
		sess_start(&g);
	else
		for (i = 0; i < g.o.sessions && g.started + g.open < g.o.total; i++)
			sess_start(&g);
	event_base_dispatch(g.base);
	secs = (double)(now_ns(CLOCK_MONOTONIC) - g.t0) / 1e9;
	if (g.o.out && write_times(&g) < 0) {
		fprintf(stderr, "loadgen: %s: %s\n", g.o.out, strerror(errno));
		g.failed++;
	}
	if (!g.o.quiet)
		printf("sent=%ld failed=%ld conn_failed=%ld seconds=%.3f rate=%.1f\n", g.done,
		       g.failed, g.conn_failed, secs, secs > 0 ? (double)g.done / secs : 0.0);
	if (g.first_err[0])
		fprintf(stderr, "loadgen: first error: %s\n", g.first_err);
	free(g.t250);
	free(g.body);
	free((char *)g.o.auth64);
	SSL_CTX_free(g.ctx);
	event_base_free(g.base);
	return g.failed || g.conn_failed ? 1 : 0;
}
