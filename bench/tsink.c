/*
 * tsink.c - a timestamping SMTP sink for the latency run of the benchmark.
 *
 * smtp-sink counts messages but cannot say when each arrived, and a file's
 * modification time is only as fine as the kernel's tick (4 ms here), too
 * coarse for a latency in milliseconds. This sink accepts every message,
 * notes the CLOCK_REALTIME of its final "." with the value of its
 * "X-Bench-Id:" header and how many DKIM-Signature fields it has, prints
 * "mesg=N" as each arrives (as smtp-sink -c does), and on SIGTERM writes
 * "ID NS SIGNATURES" lines to the file named by -o.
 *
 * It listens on loopback only and keeps nothing but those three numbers; a
 * line longer than 64 KiB closes the connection.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

struct arrival {
	long id;
	uint64_t ns;
	int sigs;
};

struct sink {
	struct event_base *base;
	struct arrival *arr;
	size_t n, cap;
};

struct conn {
	struct sink *k;
	bool data, header;
	long id;
	int sigs;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void arrived(struct conn *c)
{
	struct sink *k = c->k;

	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 4096;
		k->arr = realloc(k->arr, k->cap * sizeof(*k->arr));
		if (!k->arr)
			abort();
	}
	k->arr[k->n++] = (struct arrival){c->id, now_ns(), c->sigs};
	printf("mesg=%zu\n", k->n);
	fflush(stdout);
}

/* one line of the message content */
static void content(struct conn *c, const char *line)
{
	if (!c->header)
		return;
	if (!*line)
		c->header = false;
	else if (strncasecmp(line, "X-Bench-Id:", 11) == 0)
		c->id = atol(line + 11);
	else if (strncasecmp(line, "DKIM-Signature:", 15) == 0)
		c->sigs++;
}

static const char *command(struct conn *c, const char *line)
{
	if (strncasecmp(line, "EHLO", 4) == 0)
		return "250-tsink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
	if (strncasecmp(line, "HELO", 4) == 0)
		return "250 tsink\r\n";
	if (strncasecmp(line, "DATA", 4) == 0) {
		c->data = c->header = true;
		c->id = -1;
		c->sigs = 0;
		return "354 go on\r\n";
	}
	if (strncasecmp(line, "QUIT", 4) == 0)
		return NULL;
	return "250 2.0.0 ok\r\n";
}

/* after QUIT: the 221 is written, the connection closes */
static void on_flushed(struct bufferevent *bev, void *arg)
{
	bufferevent_free(bev);
	free(arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		bufferevent_free(bev);
		free(arg);
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);
	char *line;
	size_t n;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) != NULL) {
		if (c->data) {
			if (strcmp(line, ".") == 0) {
				c->data = false;
				arrived(c);
				evbuffer_add_printf(out, "250 2.0.0 ok\r\n");
			} else {
				content(c, line[0] == '.' ? line + 1 : line);
			}
		} else {
			const char *r = command(c, line);

			if (!r) {
				free(line);
				evbuffer_add_printf(out, "221 2.0.0 bye\r\n");
				bufferevent_disable(bev, EV_READ);
				bufferevent_setcb(bev, NULL, on_flushed, on_event, c);
				return;
			}
			evbuffer_add(out, r, strlen(r));
		}
		free(line);
	}
	if (evbuffer_get_length(in) > 65536) {
		bufferevent_free(bev);
		free(c);
	}
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg)
{
	struct sink *k = arg;
	struct conn *c = calloc(1, sizeof(*c));
	struct bufferevent *bev = bufferevent_socket_new(k->base, fd, BEV_OPT_CLOSE_ON_FREE);

	c->k = k;
	bufferevent_setcb(bev, on_read, NULL, on_event, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	evbuffer_add_printf(bufferevent_get_output(bev), "220 tsink ESMTP\r\n");
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

int main(int argc, char **argv)
{
	struct sink k = {0};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct evconnlistener *l;
	struct event *term;
	FILE *f;
	size_t i;

	if (argc != 4 || strcmp(argv[1], "-o") != 0) {
		fprintf(stderr, "usage: tsink -o FILE PORT\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[3]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	signal(SIGPIPE, SIG_IGN);
	k.base = event_base_new();
	l = evconnlistener_new_bind(k.base, on_accept, &k,
	                            LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, 1024,
	                            (struct sockaddr *)&sin, sizeof(sin));
	if (!l) {
		perror("tsink: bind");
		return 1;
	}
	term = evsignal_new(k.base, SIGTERM, on_term, k.base);
	event_add(term, NULL);
	event_base_dispatch(k.base);
	if (!(f = fopen(argv[2], "w"))) {
		perror("tsink: open");
		return 1;
	}
	for (i = 0; i < k.n; i++)
		fprintf(f, "%ld %" PRIu64 " %d\n", k.arr[i].id, k.arr[i].ns, k.arr[i].sigs);
	free(k.arr);
	event_free(term);
	evconnlistener_free(l);
	event_base_free(k.base);
	return fclose(f) == 0 ? 0 : 1;
}
