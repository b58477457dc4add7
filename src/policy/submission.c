/*
 * submission.c - envelope, header handling and spool commit for a message.
 *
 * The header section is held in memory (bounded by max_header) until it ends,
 * so fields can be added to it; the body streams through to the spool in
 * 64 KiB records. A message that is too large is counted to its end and then
 * refused, never stored.
 */
#include "submission.h"

#include <event2/event.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "envelope.h"
#include "eventlog.h"
#include "header.h"
#include "id.h"
#include "log.h"
#include "qrecord.h"
#include "queue.h"
#include "sources.h"
#include "spool.h"
#include "strutil.h"
#include "xmalloc.h"

enum phase { PH_IDLE, PH_HEADER, PH_BODY, PH_COMMIT };

struct submission {
	struct eventlog *events;
	struct spool *sp;
	struct queue *q;
	char *hostname;
	struct source *src;
	struct submission_limits lim;
	struct envelope env;
	bool have_sender;

	enum phase phase;
	struct spool_msg *msg;
	struct buf received; /* the Received field for this message */
	struct buf hdr;      /* header section as received, until it ends */
	size_t hdr_scan;     /* first line of hdr not yet classified */
	struct buf body;     /* body octets not yet written as a record */
	uint64_t size;
	enum reply fail; /* RPL_OK, or the first reason to refuse */
	int header_lane; /* X-Postern-Lane: -1 none, 0 urgent, 1 bulk */

	submission_done_fn done;
	void *done_arg;
	struct event *later; /* delivers a refusal from the loop */
	enum reply refused;
	bool cancelled;    /* the door went away during the commit */
	bool free_on_done; /* submission_free() was called during the commit */
};

static void on_refused(evutil_socket_t fd, short what, void *arg);

struct submission *submission_new(struct event_base *base, struct spool *sp, struct queue *q,
                                  struct eventlog *events, const char *hostname)
{
	struct submission *s = xcalloc(1, sizeof(*s));

	s->events = events;
	s->q = q;
	s->later = event_new(base, -1, 0, on_refused, s);
	s->sp = sp;
	s->hostname = xstrdup(hostname);
	s->lim = (struct submission_limits){25 * 1024 * 1024, 100, 1024 * 1024};
	envelope_init(&s->env);
	buf_init(&s->received);
	buf_init(&s->hdr);
	buf_init(&s->body);
	return s;
}

static void clear_content(struct submission *s)
{
	spool_msg_abort(s->msg);
	s->msg = NULL;
	buf_release(&s->received);
	buf_release(&s->hdr);
	buf_release(&s->body);
	s->hdr_scan = 0;
	s->size = 0;
	s->fail = RPL_OK;
	s->phase = PH_IDLE;
}

void submission_free(struct submission *s)
{
	if (s == NULL)
		return;
	if (s->phase == PH_COMMIT) {
		/* the spool still holds our message: let its callback free us */
		s->cancelled = true;
		s->free_on_done = true;
		return;
	}
	clear_content(s);
	event_free(s->later);
	envelope_release(&s->env);
	source_unref(s->src);
	free(s->hostname);
	free(s);
}

void submission_set_source(struct submission *s, struct source *src)
{
	if (src)
		source_ref(src);
	source_unref(s->src);
	s->src = src;
}

void submission_set_limits(struct submission *s, const struct submission_limits *lim)
{
	s->lim = *lim;
}

void submission_reset(struct submission *s)
{
	if (s->phase != PH_COMMIT)
		clear_content(s);
	envelope_release(&s->env);
	s->have_sender = false;
}

void submission_set_sender(struct submission *s, const char *addr, const struct mail_params *p)
{
	submission_reset(s);
	envelope_set(&s->env.sender, addr);
	s->env.body = p->body;
	s->env.smtputf8 = p->smtputf8;
	s->env.ret = p->ret;
	envelope_set(&s->env.envid, p->envid[0] ? p->envid : NULL);
	s->have_sender = true;
}

bool submission_has_sender(const struct submission *s)
{
	return s->have_sender;
}

enum reply submission_add_rcpt(struct submission *s, const char *addr, const struct rcpt_params *p)
{
	if (s->env.nrcpts >= s->lim.max_rcpts)
		return RPL_TOO_MANY_RCPTS;
	envelope_add_rcpt(&s->env, addr, p->notify, p->orcpt[0] ? p->orcpt : NULL);
	return RPL_RCPT_OK;
}

size_t submission_nrcpts(const struct submission *s)
{
	return s->env.nrcpts;
}

const char *submission_sender(const struct submission *s)
{
	return s->env.sender ? s->env.sender : "";
}

uint64_t submission_size(const struct submission *s)
{
	return s->size;
}

uint64_t submission_data_begin(struct submission *s, const struct received_info *ri,
                               const char *client, const char *helo)
{
	char hex[ID_HEXLEN + 1];
	struct received_info r = *ri;

	clear_content(s);
	s->env.id = id_next();
	s->env.arrival_ms = now_ms();
	envelope_set(&s->env.source, s->src ? s->src->name : "");
	/* how the source's mail leaves: its IP pool and lane */
	envelope_set(&s->env.pool, s->src && s->src->pool[0] ? s->src->pool : NULL);
	s->env.bulk = s->src && s->src->bulk;
	s->header_lane = -1;
	envelope_set(&s->env.client, client);
	envelope_set(&s->env.helo, helo);
	r.id = id_format(s->env.id, hex);
	r.when = (time_t)(s->env.arrival_ms / 1000);
	r.for_rcpt = s->env.nrcpts == 1 ? s->env.rcpts[0].addr : NULL;
	received_format(&s->received, &r);
	s->msg = spool_msg_new(s->sp, s->env.id);
	qrec_put_envelope(spool_msg_buf(s->msg), &s->env);
	s->phase = PH_HEADER;
	return s->env.id;
}

static void flush_body(struct submission *s, bool all)
{
	while (s->body.len >= QREC_BODY_CHUNK || (all && s->body.len > 0)) {
		size_t n = s->body.len < QREC_BODY_CHUNK ? s->body.len : QREC_BODY_CHUNK;
		qrec_put(spool_msg_buf(s->msg), QREC_BODY, s->body.data, n);
		buf_consume(&s->body, n);
		spool_msg_flush(s->msg);
	}
}

/*
 * The header section ends at hdr[0..end); fields are complete lines. Write
 * Received + the fields + what RFC 6409 8.2/8.3 says a submission server adds.
 */
/* X-Postern-Lane: bulk | urgent (the value after the name, colon included) */
static void take_lane(struct submission *s, const char *v, size_t n)
{
	char word[16];
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < sizeof(word); i++)
		if (v[i] != ':' && v[i] != ' ' && v[i] != '\t' && v[i] != '\r' && v[i] != '\n')
			word[k++] = ascii_lower(v[i]);
	word[k] = '\0';
	if (strcmp(word, "bulk") == 0)
		s->header_lane = 1;
	else if (strcmp(word, "urgent") == 0)
		s->header_lane = 0;
}

static void finish_header(struct submission *s, size_t end)
{
	struct hdr_index ix;
	struct buf *out = spool_msg_buf(s->msg);
	struct buf h;

	buf_init(&h);
	buf_append(&h, s->received.data, s->received.len);
	if (hdr_index_build(&ix, s->hdr.data, end) == 0) {
		for (size_t i = 0; i < ix.n; i++) {
			const struct hdr_field *f = &ix.fields[i];
			/* instructions to the relay are read and removed, never sent on */
			if (hdr_name_is(&ix, f, "X-Postern-Lane")) {
				take_lane(s, s->hdr.data + f->off + f->name_len,
				          f->len - f->name_len);
				continue;
			}
			buf_append(&h, s->hdr.data + f->off, f->len);
		}
		if (hdr_find(&ix, "Date") == NULL) {
			char date[64];
			rfc5322_date((time_t)(s->env.arrival_ms / 1000), date, sizeof(date));
			buf_printf(&h, "Date: %s\r\n", date);
		}
		if (hdr_find(&ix, "Message-ID") == NULL) {
			char hex[ID_HEXLEN + 1];
			buf_printf(&h, "Message-ID: <%s.%08x@%s>\r\n", id_format(s->env.id, hex),
			           randombytes_random(), s->hostname);
		}
		hdr_index_release(&ix);
	}
	qrec_put(out, QREC_HEADER, h.data, h.len);
	buf_release(&h);
	spool_msg_flush(s->msg);
	s->phase = PH_BODY;
}

/* classify the complete lines of hdr; move to the body when the section ends */
static void scan_header(struct submission *s)
{
	while (s->phase == PH_HEADER) {
		const char *line = s->hdr.data + s->hdr_scan;
		size_t left = s->hdr.len - s->hdr_scan;
		const char *nl = memchr(line, '\n', left);
		if (nl == NULL)
			break;
		size_t llen = (size_t)(nl - line) + 1, nlen;
		enum hdr_line kind = hdr_classify(line, llen, &nlen);
		if (kind == HDR_LINE_CONT && s->hdr_scan == 0)
			kind = HDR_LINE_OTHER;
		if (kind == HDR_LINE_FIELD || kind == HDR_LINE_CONT) {
			s->hdr_scan += llen;
			continue;
		}
		size_t end = s->hdr_scan;
		/* after an empty line the body starts; otherwise this line is the body's first */
		size_t body_from = kind == HDR_LINE_END ? end + llen : end;
		finish_header(s, end);
		buf_append(&s->body, s->hdr.data + body_from, s->hdr.len - body_from);
		buf_release(&s->hdr);
		s->hdr_scan = 0;
	}
	if (s->phase == PH_HEADER && s->hdr.len > s->lim.max_header)
		s->fail = RPL_HEADER_TOO_BIG;
}

void submission_data_write(struct submission *s, const char *p, size_t n)
{
	if (s->phase != PH_HEADER && s->phase != PH_BODY)
		return;
	s->size += n;
	if (s->fail == RPL_OK && s->size > s->lim.max_size)
		s->fail = RPL_SIZE_EXCEEDED;
	/* RFC 6152: not even 8-bit text holds NUL, and C-string parsers downstream would
	 * see a different message than a mail reader does */
	if (s->fail == RPL_OK && memchr(p, '\0', n) != NULL)
		s->fail = RPL_CONTENT_NUL;
	if (s->fail != RPL_OK) {
		/* refused whatever follows: keep counting, store nothing */
		buf_release(&s->hdr);
		buf_release(&s->body);
		spool_msg_abort(s->msg);
		s->msg = NULL;
		return;
	}
	if (s->phase == PH_HEADER) {
		buf_append(&s->hdr, p, n);
		scan_header(s);
		if (s->fail != RPL_OK)
			return;
	} else {
		buf_append(&s->body, p, n);
	}
	if (s->phase == PH_BODY)
		flush_body(s, false);
}

static void committed(int err, uint64_t id, void *arg)
{
	struct submission *s = arg;
	enum reply r = err ? reply_for_errno(err) : RPL_QUEUED;

	s->msg = NULL; /* the spool freed it */
	s->phase = PH_IDLE;
	if (err) {
		char hex[ID_HEXLEN + 1];
		log_err("msg=%s spool commit failed error=\"%s\"", id_format(id, hex),
		        strerror(err));
	} else {
		char detail[512];
		snprintf(detail, sizeof(detail),
		         "{\"size\":%llu,\"rcpts\":%zu,\"client\":\"%s\",\"lane\":\"%s\"}",
		         (unsigned long long)s->size, s->env.nrcpts,
		         s->env.client && !strpbrk(s->env.client, "\"\\") ? s->env.client : "",
		         s->env.bulk || s->header_lane == 1 ? "bulk" : "urgent");
		eventlog_add(s->events, "accepted", id, s->env.source, s->env.sender, NULL, NULL,
		             detail);
		for (size_t i = 0; i < s->env.nrcpts; i++)
			eventlog_add(s->events, "queued", id, s->env.source, s->env.sender,
			             s->env.rcpts[i].addr, NULL, NULL);
		queue_add(s->q, id, s->header_lane == 1 || (s->header_lane == -1 && s->env.bulk));
	}
	if (!s->cancelled)
		s->done(r, id, s->done_arg);
	if (s->free_on_done)
		submission_free(s);
}

/* a refusal is answered from the loop too, so done() is never re-entrant */
static void on_refused(evutil_socket_t fd, short what, void *arg)
{
	struct submission *s = arg;

	if (!s->cancelled)
		s->done(s->refused, s->env.id, s->done_arg);
}

void submission_data_end(struct submission *s, submission_done_fn done, void *arg)
{
	if (s->fail == RPL_OK && s->phase == PH_HEADER) {
		/* a message of header fields only (or none): all of it is header */
		scan_header(s);
		if (s->phase == PH_HEADER && s->fail == RPL_OK) {
			finish_header(s, s->hdr.len);
			buf_release(&s->hdr);
		}
	}
	s->done = done;
	s->done_arg = arg;
	s->cancelled = false;
	if (s->fail == RPL_OK && s->msg && spool_msg_error(s->msg))
		s->fail = reply_for_errno(spool_msg_error(s->msg));
	/* the kill switch also stops the message that was in flight when it was thrown */
	if (s->fail == RPL_OK && !source_active(s->src))
		s->fail = RPL_SOURCE_SUSPENDED;
	if (s->fail != RPL_OK || s->msg == NULL) {
		s->refused = s->fail != RPL_OK ? s->fail : RPL_IO_ERROR;
		clear_content(s);
		event_active(s->later, EV_TIMEOUT, 0);
		return;
	}
	flush_body(s, true);
	/* what the content told about the envelope, after it (qrecord.h) */
	if (s->header_lane == 1)
		qrec_put(spool_msg_buf(s->msg), QREC_ATTR, "lane=bulk", 9);
	else if (s->header_lane == 0)
		qrec_put(spool_msg_buf(s->msg), QREC_ATTR, "lane=urgent", 11);
	struct spool_msg *m = s->msg;
	s->phase = PH_COMMIT;
	buf_release(&s->received);
	spool_msg_commit(m, committed, s);
}

void submission_data_abort(struct submission *s)
{
	if (s->phase != PH_COMMIT)
		clear_content(s);
}

void submission_cancel(struct submission *s)
{
	s->cancelled = true;
}
