/* rspamd.c - the /checkv2 client of Rspamd (rspamd.h). */
#include "rspamd.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "strutil.h"
#include "xmalloc.h"

#define REPLY_MAX (1024 * 1024) /* an answer larger than this is no answer */

struct rspamd_req {
	struct bufferevent *bev;
	struct event *timer;
	rspamd_done_fn done;
	void *arg;
	bool finished;
	struct rspamd_verdict v;
};

static const char *const names[] = {
        [RSPAMD_NO_ACTION] = "no action",     [RSPAMD_GREYLIST] = "greylist",
        [RSPAMD_ADD_HEADER] = "add header",   [RSPAMD_REWRITE_SUBJECT] = "rewrite subject",
        [RSPAMD_SOFT_REJECT] = "soft reject", [RSPAMD_QUARANTINE] = "quarantine",
        [RSPAMD_REJECT] = "reject",           [RSPAMD_ERROR] = "error",
};

const char *rspamd_action_name(enum rspamd_action a)
{
	return a <= RSPAMD_ERROR ? names[a] : "error";
}

static void fail(struct rspamd_verdict *v, const char *why)
{
	v->action = RSPAMD_ERROR;
	strlcpy_(v->error, why, sizeof(v->error));
}

struct sym {
	const char *name;
	double score;
};

static int by_score(const void *a, const void *b)
{
	double x = ((const struct sym *)a)->score, y = ((const struct sym *)b)->score;

	return x < y ? 1 : x > y ? -1 : 0;
}

int rspamd_parse_reply(const char *body, size_t n, struct rspamd_verdict *v)
{
	json_t *j = json_loadb(body, n, 0, NULL);
	const char *action;

	memset(v, 0, sizeof(*v));
	if (j == NULL || !json_is_object(j) ||
	    (action = json_string_value(json_object_get(j, "action"))) == NULL) {
		json_decref(j);
		fail(v, "Rspamd's answer is not its JSON");
		return -1;
	}
	v->action = RSPAMD_ERROR;
	for (int a = RSPAMD_NO_ACTION; a < RSPAMD_ERROR; a++)
		if (strcmp(action, names[a]) == 0)
			v->action = (enum rspamd_action)a;
	if (strcmp(action, "discard") == 0)
		v->action = RSPAMD_REJECT;
	/*
	 * Skipped: the checks did not run. With an action (GTUBE, a settings rule
	 * that decides) that is its verdict; with none, there is no verdict at all.
	 */
	if (json_is_true(json_object_get(j, "is_skipped")) && v->action == RSPAMD_NO_ACTION) {
		json_decref(j);
		fail(v, "Rspamd skipped the message");
		return -1;
	}
	if (v->action == RSPAMD_ERROR) {
		json_decref(j);
		fail(v, "Rspamd answered an action Postern does not know");
		return -1;
	}
	v->score = json_number_value(json_object_get(j, "score"));
	v->required = json_number_value(json_object_get(j, "required_score"));
	/* the symbols, highest score first, as far as they fit */
	json_t *syms = json_object_get(j, "symbols");
	size_t ns = json_is_object(syms) ? json_object_size(syms) : 0, k = 0;
	struct sym *s = xcalloc(ns + 1, sizeof(*s));
	const char *key;
	json_t *val;
	json_object_foreach(syms, key, val)
	{
		s[k].name = key;
		s[k++].score = json_number_value(json_object_get(val, "score"));
	}
	qsort(s, k, sizeof(*s), by_score);
	size_t o = 0;
	for (size_t i = 0; i < k && o + 1 < sizeof(v->symbols); i++) {
		char one[128];
		size_t ol = 0;
		/* symbol names are Rspamd's own words: keep them printable and bounded */
		for (const char *p = s[i].name; *p && ol + 1 < 64; p++)
			one[ol++] = (*p > 0x20 && *p < 0x7f && *p != '"' && *p != '\\') ? *p : '?';
		one[ol] = '\0';
		int w = snprintf(v->symbols + o, sizeof(v->symbols) - o, "%s%s(%.2f)", o ? " " : "",
		                 one, s[i].score);
		if (w < 0 || (size_t)w >= sizeof(v->symbols) - o) {
			v->symbols[o] = '\0';
			break;
		}
		o += (size_t)w;
	}
	free(s);
	json_decref(j);
	return 0;
}

static void req_free(struct rspamd_req *r)
{
	if (r->bev)
		bufferevent_free(r->bev);
	event_free(r->timer);
	free(r);
}

static void finish(struct rspamd_req *r)
{
	if (r->finished)
		return;
	r->finished = true;
	if (r->bev) {
		bufferevent_free(r->bev);
		r->bev = NULL;
	}
	event_del(r->timer);
	event_active(r->timer, EV_TIMEOUT, 0);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct rspamd_req *r = arg;

	if (!r->finished) {
		fail(&r->v, "Rspamd did not answer in time");
		finish(r);
		return;
	}
	r->done(&r->v, r->arg);
	req_free(r);
}

/* a whole HTTP answer is in: its status and its body (blen octets from body) */
static void judge(struct rspamd_req *r, const char *p, const char *body, size_t blen)
{
	int code = 0;
	char status[64];
	size_t k = 0;

	/* the status line, terminated: the answer in the buffer is not */
	while (k + 1 < sizeof(status) && p + k < body && p[k] != '\r' && p[k] != '\n') {
		status[k] = p[k];
		k++;
	}
	status[k] = '\0';
	if (sscanf(status, "HTTP/1.%*d %d", &code) != 1) {
		fail(&r->v, "Rspamd's answer is not HTTP");
		return;
	}
	if (code != 200) {
		char why[64];
		snprintf(why, sizeof(why), "Rspamd answered HTTP %d", code);
		fail(&r->v, why);
		return;
	}
	rspamd_parse_reply(body, blen, &r->v);
}

enum answer { ANSWER_MORE, ANSWER_DONE, ANSWER_SHORT };

/*
 * Is the answer in? With a Content-Length, once that many octets of body are
 * (an end before them is a cut answer, never judged); without one, at the
 * end of the connection. *body and *blen: the body.
 */
static enum answer complete(const char *p, size_t n, bool eof, const char **body, size_t *blen)
{
	const char *sep = memmem(p, n, "\r\n\r\n", 4);
	const char *cl;

	if (sep == NULL)
		return eof ? ANSWER_SHORT : ANSWER_MORE;
	*body = sep + 4;
	*blen = n - (size_t)(sep + 4 - p);
	for (cl = p; cl && cl < sep; cl = memchr(cl, '\n', (size_t)(sep - cl))) {
		cl += *cl == '\n';
		if (ascii_niequal(cl, "Content-Length:", 15)) {
			char *end;
			unsigned long long len = strtoull(cl + 15, &end, 10);
			if (end == cl + 15)
				return ANSWER_SHORT;
			if (*blen >= len) {
				*blen = (size_t)len;
				return ANSWER_DONE;
			}
			return eof ? ANSWER_SHORT : ANSWER_MORE;
		}
	}
	return eof ? ANSWER_DONE : ANSWER_MORE;
}

static void check_in(struct rspamd_req *r, bool eof)
{
	struct evbuffer *in = bufferevent_get_input(r->bev);
	size_t n = evbuffer_get_length(in), blen = 0;
	const char *body = NULL;

	if (n > REPLY_MAX) {
		fail(&r->v, "Rspamd's answer is too large");
		finish(r);
		return;
	}
	const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	enum answer a =
	        n == 0 ? (eof ? ANSWER_SHORT : ANSWER_MORE) : complete(p, n, eof, &body, &blen);
	if (a == ANSWER_MORE)
		return;
	if (a == ANSWER_SHORT)
		fail(&r->v, n == 0 ? "Rspamd closed the connection without an answer"
		                   : "Rspamd's answer was cut short");
	else
		judge(r, p, body, blen);
	finish(r);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	check_in(arg, false);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct rspamd_req *r = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_EOF) {
		check_in(r, true);
		return;
	}
	fail(&r->v, "cannot reach Rspamd");
	finish(r);
}

/* a header value: what Postern knows to be plain, CR, LF and controls dropped anyway */
static void put_header(struct evbuffer *out, const char *name, const char *v)
{
	char clean[512];
	size_t k = 0;

	if (v == NULL)
		return;
	for (; *v && k + 1 < sizeof(clean); v++)
		if ((unsigned char)*v >= 0x20 && *v != 0x7f)
			clean[k++] = *v;
	clean[k] = '\0';
	evbuffer_add_printf(out, "%s: %s\r\n", name, clean);
}

struct rspamd_req *rspamd_check(struct event_base *base, const char *addr,
                                const struct rspamd_env *env, const char *data, size_t n,
                                uint64_t timeout_ms, rspamd_done_fn done, void *arg, char *err,
                                size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;

	if (addrport_parse(addr, &ss, &sslen) < 0) {
		snprintf(err, errlen, "not HOST:PORT");
		return NULL;
	}
	struct rspamd_req *r = xcalloc(1, sizeof(*r));
	r->done = done;
	r->arg = arg;
	r->timer = evtimer_new(base, on_timer, r);
	struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
	evtimer_add(r->timer, &tv);
	r->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(r->bev, on_read, NULL, on_event, r);
	bufferevent_enable(r->bev, EV_READ | EV_WRITE);
	struct evbuffer *out = bufferevent_get_output(r->bev);
	evbuffer_add_printf(out,
	                    "POST /checkv2 HTTP/1.1\r\nHost: rspamd\r\nConnection: close\r\n"
	                    "Content-Length: %zu\r\n",
	                    n);
	put_header(out, "User", env->user);
	put_header(out, "From", env->from);
	for (size_t i = 0; i < env->nrcpts; i++)
		put_header(out, "Rcpt", env->rcpts[i]);
	put_header(out, "IP", env->ip);
	put_header(out, "Helo", env->helo);
	put_header(out, "Queue-Id", env->queue_id);
	evbuffer_add(out, "\r\n", 2);
	evbuffer_add_reference(out, data, n, NULL, NULL);
	if (bufferevent_socket_connect(r->bev, (struct sockaddr *)&ss, (int)sslen) < 0) {
		fail(&r->v, "cannot reach Rspamd");
		finish(r);
	}
	return r;
}

void rspamd_cancel(struct rspamd_req *r)
{
	if (r)
		req_free(r);
}
