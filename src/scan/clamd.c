/* clamd.c - the zINSTREAM client of clamd (clamd.h). */
#include "clamd.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cidr.h"
#include "strutil.h"
#include "xmalloc.h"

#define CHUNK     (64 * 1024)
#define REPLY_MAX 1024

struct clamd_req {
	struct bufferevent *bev;
	struct event *timer; /* the deadline, and the way to answer from the loop */
	clamd_done_fn done;
	void *arg;
	const char *data;
	size_t n;
	bool finished; /* the answer is decided: the timer delivers it */
	enum clamd_status st;
	char what[256];
};

int clamd_addr_parse(const char *addr, char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (addr[0] == '/') {
		if (strlen(addr) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(why, whylen, "the socket path is too long");
			return -1;
		}
		return 0;
	}
	if (addrport_parse(addr, &ss, &len) < 0) {
		snprintf(why, whylen, "neither an absolute socket path nor HOST:PORT");
		return -1;
	}
	return 0;
}

static void req_free(struct clamd_req *r)
{
	if (r->bev)
		bufferevent_free(r->bev);
	event_free(r->timer);
	free(r);
}

/* decide the answer and deliver it from the loop (never from inside clamd_scan) */
static void finish(struct clamd_req *r, enum clamd_status st, const char *what)
{
	if (r->finished)
		return;
	r->finished = true;
	r->st = st;
	strlcpy_(r->what, what, sizeof(r->what));
	if (r->bev) {
		bufferevent_free(r->bev);
		r->bev = NULL;
	}
	event_del(r->timer);
	event_active(r->timer, EV_TIMEOUT, 0);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct clamd_req *r = arg;

	if (!r->finished) {
		finish(r, CLAMD_ERROR, "clamd did not answer in time");
		return;
	}
	r->done(r->st, r->what, r->arg);
	req_free(r);
}

/* clamd's one-line answer: "stream: OK", "stream: NAME FOUND", "... ERROR" */
static void judge(struct clamd_req *r, const char *line)
{
	char clean[REPLY_MAX];
	size_t k = 0;

	/* printable only: the words end up in logs and replies */
	for (const char *p = line; *p && k + 1 < sizeof(clean); p++)
		clean[k++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	clean[k] = '\0';
	const char *v = strncmp(clean, "stream: ", 8) == 0 ? clean + 8 : clean;
	size_t vl = strlen(v);
	if (strcmp(v, "OK") == 0) {
		finish(r, CLAMD_CLEAN, "OK");
	} else if (vl > 6 && strcmp(v + vl - 6, " FOUND") == 0) {
		clean[v - clean + vl - 6] = '\0';
		/* AlertExceedsMax: clamd stopped at one of its limits, it found nothing */
		if (strncmp(v, "Heuristics.Limits.Exceeded", 26) == 0)
			finish(r, CLAMD_ERROR, "clamd reached a scan limit");
		else
			finish(r, CLAMD_FOUND, v);
	} else {
		finish(r, CLAMD_ERROR, clean[0] ? clean : "an empty answer");
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct clamd_req *r = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	char line[REPLY_MAX + 1];

	struct evbuffer_ptr nul = evbuffer_search(in, "\0", 1, NULL);
	if (nul.pos < 0 && len <= REPLY_MAX)
		return;
	size_t k = nul.pos >= 0 ? (size_t)nul.pos : REPLY_MAX;
	evbuffer_copyout(in, line, k);
	line[k] = '\0';
	judge(r, line);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct clamd_req *r = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	/* an answer may end with the connection rather than a NUL */
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	if ((what & BEV_EVENT_EOF) && len > 0) {
		char line[REPLY_MAX + 1];
		size_t k = len < REPLY_MAX ? len : REPLY_MAX;
		evbuffer_copyout(in, line, k);
		line[k] = '\0';
		judge(r, line);
		return;
	}
	finish(r, CLAMD_ERROR,
	       what & BEV_EVENT_EOF ? "clamd closed the connection without an answer"
	                            : "cannot reach clamd");
}

/* "zINSTREAM", then each chunk behind its length in 4 octets, then a zero length */
static void queue_stream(struct clamd_req *r)
{
	struct evbuffer *out = bufferevent_get_output(r->bev);
	unsigned char len[4];

	evbuffer_add(out, "zINSTREAM", 10);
	for (size_t off = 0; off < r->n; off += CHUNK) {
		size_t k = r->n - off < CHUNK ? r->n - off : CHUNK;
		len[0] = (unsigned char)(k >> 24);
		len[1] = (unsigned char)(k >> 16);
		len[2] = (unsigned char)(k >> 8);
		len[3] = (unsigned char)k;
		evbuffer_add(out, len, 4);
		/* the caller keeps data until done: no copy */
		evbuffer_add_reference(out, r->data + off, k, NULL, NULL);
	}
	memset(len, 0, sizeof(len));
	evbuffer_add(out, len, 4);
}

struct clamd_req *clamd_scan(struct event_base *base, const char *addr, const char *data, size_t n,
                             uint64_t timeout_ms, uint64_t max_stream, clamd_done_fn done,
                             void *arg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;

	if (clamd_addr_parse(addr, err, errlen) < 0)
		return NULL;
	struct clamd_req *r = xcalloc(1, sizeof(*r));
	r->done = done;
	r->arg = arg;
	r->data = data;
	r->n = n;
	r->timer = evtimer_new(base, on_timer, r);
	struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
	evtimer_add(r->timer, &tv);
	if (n > max_stream) {
		finish(r, CLAMD_ERROR, "the message is larger than the antivirus scan limit");
		return r;
	}
	memset(&ss, 0, sizeof(ss));
	if (addr[0] == '/') {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, addr, strlen(addr));
		sslen = sizeof(*sun);
	} else {
		addrport_parse(addr, &ss, &sslen);
	}
	r->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(r->bev, on_read, NULL, on_event, r);
	bufferevent_enable(r->bev, EV_READ | EV_WRITE);
	queue_stream(r);
	if (bufferevent_socket_connect(r->bev, (struct sockaddr *)&ss, (int)sslen) < 0)
		finish(r, CLAMD_ERROR, "cannot reach clamd");
	return r;
}

void clamd_cancel(struct clamd_req *r)
{
	if (r == NULL)
		return;
	req_free(r);
}
