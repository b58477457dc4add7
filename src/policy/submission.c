/*
 * submission.c - envelope, content and spool commit for a message.
 *
 * The header section is held in memory (bounded by max_header) until it ends;
 * then the From: field is checked against the source's identities and the
 * signing keys are chosen (submission_header.c), and the content goes through
 * the 7-bit converter (mime7.h). What the converter emits is what will be sent:
 * the body streams through the DKIM body hash to the spool in 64 KiB records;
 * the header is kept until the end, signed, and written after the body. A
 * message that is refused is counted to its end and then refused, never
 * stored.
 *
 *   PH_HEADER --(empty line)--> PH_BODY --(end)--> PH_SIGN --> PH_COMMIT
 */
#include "submission.h"

#include <event2/event.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "dkim_sign.h"
#include "envelope.h"
#include "eventlog.h"
#include "header.h"
#include "id.h"
#include "limit.h"
#include "log.h"
#include "qrecord.h"
#include "queue.h"
#include "sources.h"
#include "spool.h"
#include "strutil.h"
#include "submission_internal.h"
#include "xmalloc.h"

static void on_refused(evutil_socket_t fd, short what, void *arg);

/* a message that counted against the source's rates will not be sent after all */
static void unreserve(struct submission *s)
{
	if (s->reserved_at && s->src)
		limit_rate_uncount(s->src, s->reserved_at);
	s->reserved_at = 0;
}

struct submission *submission_new(struct event_base *base, const struct submission_env *env,
                                  const char *hostname)
{
	struct submission *s = xcalloc(1, sizeof(*s));

	s->env_ = env;
	s->events = env->events;
	s->q = env->q;
	s->later = event_new(base, -1, 0, on_refused, s);
	s->sp = env->sp;
	s->hostname = xstrdup(hostname);
	s->lim = (struct submission_limits){25 * 1024 * 1024, 100, 1024 * 1024};
	envelope_init(&s->env);
	buf_init(&s->received);
	buf_init(&s->hdr);
	buf_init(&s->body);
	buf_init(&s->out_hdr);
	buf_init(&s->sigs);
	buf_init(&s->signed_by);
	for (size_t i = 0; i < DOMAINS_MAX_SIGNERS; i++)
		buf_init(&s->fields[i]);
	return s;
}

/* drop what the content holds: converter, hash, keys, buffers (not the spool message) */
static void drop_content(struct submission *s)
{
	mime7_free(s->conv);
	s->conv = NULL;
	if (s->hashing)
		dkim_body_release(&s->bh);
	s->hashing = false;
	sub_release_keys(s);
	buf_release(&s->received);
	buf_release(&s->hdr);
	buf_release(&s->body);
	buf_release(&s->out_hdr);
	buf_release(&s->sigs);
	s->hdr_out = false;
}

static void clear_content(struct submission *s)
{
	spool_msg_abort(s->msg);
	s->msg = NULL;
	drop_content(s);
	s->hdr_scan = 0;
	s->hdr_seen = 0;
	s->size = 0;
	s->fail = RPL_OK;
	s->phase = PH_IDLE;
}

void submission_free(struct submission *s)
{
	if (s == NULL)
		return;
	if (s->phase == PH_COMMIT || s->phase == PH_SIGN) {
		/* the spool or the signer still holds our message: let its callback free us */
		s->cancelled = true;
		s->free_on_done = true;
		return;
	}
	clear_content(s);
	event_free(s->later);
	free(s->event_extra);
	buf_release(&s->signed_by);
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
	if (s->phase != PH_COMMIT && s->phase != PH_SIGN)
		clear_content(s);
	envelope_release(&s->env);
	s->have_sender = false;
	free(s->event_extra);
	s->event_extra = NULL;
}

void submission_set_event_detail(struct submission *s, const char *members)
{
	free(s->event_extra);
	s->event_extra = members && members[0] ? xstrdup(members) : NULL;
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
	if (s->src && s->src->limits.max_rcpts > 0 &&
	    (int64_t)s->env.nrcpts >= s->src->limits.max_rcpts) {
		limit_describe(s->src, LIMIT_RCPTS, s->reason, sizeof(s->reason));
		s->limit_hit = LIMIT_RCPTS;
		return RPL_SOURCE_LIMIT;
	}
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

/* the rate limits and a declared size against the source's limits; fills s->reason */
static enum reply check_limits(struct submission *s, uint64_t size)
{
	struct source *src = s->src;
	enum limit_kind k = LIMIT_NONE;

	s->retry_after = 0;
	if (src == NULL)
		return RPL_OK;
	if (src->limits.max_size > 0 && size > (uint64_t)src->limits.max_size)
		k = LIMIT_SIZE;
	else
		k = limit_rate_check(src, (int64_t)time(NULL), &s->retry_after);
	if (k == LIMIT_NONE)
		return RPL_OK;
	s->limit_hit = k;
	limit_describe(src, k, s->reason, sizeof(s->reason));
	if (s->retry_after > 0) {
		size_t n = strlen(s->reason);
		snprintf(s->reason + n, sizeof(s->reason) - n, "; try again in %lld seconds",
		         (long long)s->retry_after);
	}
	return RPL_SOURCE_LIMIT;
}

enum reply submission_check_limits(struct submission *s, uint64_t declared_size)
{
	s->reason[0] = '\0';
	s->limit_hit = LIMIT_NONE;
	return check_limits(s, declared_size);
}

int64_t submission_retry_after(const struct submission *s)
{
	return s->retry_after;
}

const char *submission_limit_hit(const struct submission *s)
{
	return s->limit_hit == LIMIT_NONE ? NULL : limit_key(s->limit_hit);
}

uint64_t submission_data_begin(struct submission *s, const struct received_info *ri,
                               const char *client, const char *helo)
{
	char hex[ID_HEXLEN + 1];
	struct received_info r = *ri;

	clear_content(s);
	s->reason[0] = '\0';
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

void sub_flush_body(struct submission *s, bool all)
{
	while (s->body.len >= QREC_BODY_CHUNK || (all && s->body.len > 0)) {
		size_t n = s->body.len < QREC_BODY_CHUNK ? s->body.len : QREC_BODY_CHUNK;
		qrec_put(spool_msg_buf(s->msg), QREC_BODY, s->body.data, n);
		buf_consume(&s->body, n);
		spool_msg_flush(s->msg);
	}
}

/* refuse the message: keep counting what follows, store nothing */
void sub_refuse(struct submission *s, enum reply r, const char *reason)
{
	if (s->fail != RPL_OK)
		return;
	s->fail = r;
	snprintf(s->reason, sizeof(s->reason), "%s", reason ? reason : "");
	drop_content(s);
	spool_msg_abort(s->msg);
	s->msg = NULL;
}

/* classify the complete lines of hdr; move to the body when the section ends */
static void scan_header(struct submission *s)
{
	while (s->phase == PH_HEADER && s->fail == RPL_OK) {
		const char *line = s->hdr.data + s->hdr_scan;
		/* a long line arriving in many chunks is searched once, not once per chunk */
		size_t from = s->hdr_seen > s->hdr_scan && s->hdr_seen <= s->hdr.len ? s->hdr_seen
		                                                                     : s->hdr_scan;
		const char *nl = memchr(s->hdr.data + from, '\n', s->hdr.len - from);
		if (nl == NULL) {
			s->hdr_seen = s->hdr.len;
			break;
		}
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
		struct buf rest;
		buf_init(&rest);
		buf_append(&rest, s->hdr.data + body_from, s->hdr.len - body_from);
		sub_finish_header(s, end);
		buf_release(&s->hdr);
		s->hdr_scan = s->hdr_seen = 0;
		if (s->fail == RPL_OK && rest.len > 0)
			sub_convert(s, rest.data, rest.len);
		buf_release(&rest);
	}
	if (s->phase == PH_HEADER && s->fail == RPL_OK && s->hdr.len > s->lim.max_header)
		sub_refuse(s, RPL_HEADER_TOO_BIG, NULL);
}

void submission_data_write(struct submission *s, const char *p, size_t n)
{
	if (s->phase != PH_HEADER && s->phase != PH_BODY)
		return;
	s->size += n;
	if (s->fail == RPL_OK && s->size > s->lim.max_size)
		sub_refuse(s, RPL_SIZE_EXCEEDED, NULL);
	if (s->fail == RPL_OK && s->src && s->src->limits.max_size > 0 &&
	    s->size > (uint64_t)s->src->limits.max_size) {
		char why[sizeof(s->reason)];
		s->limit_hit = LIMIT_SIZE;
		limit_describe(s->src, LIMIT_SIZE, why, sizeof(why));
		sub_refuse(s, RPL_SOURCE_LIMIT, why);
	}
	/* RFC 6152: not even 8-bit text holds NUL, and C-string parsers downstream would
	 * see a different message than a mail reader does */
	if (s->fail == RPL_OK && memchr(p, '\0', n) != NULL)
		sub_refuse(s, RPL_CONTENT_NUL, NULL);
	if (s->fail != RPL_OK)
		return;
	if (s->phase == PH_HEADER) {
		buf_append(&s->hdr, p, n);
		scan_header(s);
	} else {
		sub_convert(s, p, n);
	}
}

static void committed(int err, uint64_t id, void *arg)
{
	struct submission *s = arg;
	enum reply r = err ? reply_for_errno(err) : RPL_QUEUED;

	s->msg = NULL; /* the spool freed it */
	s->phase = PH_IDLE;
	drop_content(s);
	if (err)
		unreserve(s);
	if (err) {
		char hex[ID_HEXLEN + 1];
		log_err("msg=%s spool commit failed error=\"%s\"", id_format(id, hex),
		        strerror(err));
	} else {
		struct buf detail;
		s->reserved_at = 0; /* the place it held is now a message sent */
		buf_init(&detail);
		buf_printf(&detail,
		           "{\"size\":%llu,\"rcpts\":%zu,\"client\":\"%s\",\"lane\":\"%s\"%s%s}",
		           (unsigned long long)s->size, s->env.nrcpts,
		           s->env.client && !strpbrk(s->env.client, "\"\\") ? s->env.client : "",
		           s->env.bulk || s->header_lane == 1 ? "bulk" : "urgent",
		           s->event_extra ? "," : "", s->event_extra ? s->event_extra : "");
		eventlog_add(s->events, "accepted", id, s->env.source, s->env.sender, NULL, NULL,
		             detail.data);
		buf_release(&detail);
		eventlog_add(s->events, "signed", id, s->env.source, s->env.sender, NULL, NULL,
		             s->signed_by.data);
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

static void refuse_later(struct submission *s)
{
	unreserve(s);
	s->refused = s->fail != RPL_OK ? s->fail : RPL_IO_ERROR;
	sub_record_refusal(s, s->refused);
	clear_content(s);
	s->phase = PH_IDLE;
	event_active(s->later, EV_TIMEOUT, 0);
}

/* the header as sent (signatures first) after the body; then the attributes; commit */
static void commit(struct submission *s)
{
	struct buf *out = spool_msg_buf(s->msg);
	struct mime7_stats st;

	sub_flush_body(s, true);
	struct buf h;
	buf_init(&h);
	buf_append(&h, s->sigs.data, s->sigs.len);
	buf_append(&h, s->out_hdr.data, s->out_hdr.len);
	qrec_put(out, QREC_HEADER, h.data, h.len);
	buf_release(&h);
	/* what the content told about the envelope, after it (qrecord.h) */
	if (s->header_lane == 1)
		qrec_put(out, QREC_ATTR, "lane=bulk", 9);
	else if (s->header_lane == 0)
		qrec_put(out, QREC_ATTR, "lane=urgent", 11);
	/* converted to 7 bits: no next hop needs 8BITMIME any more */
	mime7_get_stats(s->conv, &st);
	if (s->env.body == BODY_8BITMIME && !st.out_8bit)
		qrec_put(out, QREC_ATTR, "body=7bit", 9);
	spool_msg_flush(s->msg);
	/* what signed it, for the "signed" event once it is durable */
	buf_reset(&s->signed_by);
	buf_printf(&s->signed_by, "{\"domain\":\"%s\",\"selectors\":[", s->sign_domain);
	for (size_t i = 0; i < s->nkeys; i++)
		buf_printf(&s->signed_by, "%s\"%s\"", i ? "," : "", s->keys[i]->selector);
	buf_puts(&s->signed_by, "]}");
	struct spool_msg *m = s->msg;
	s->phase = PH_COMMIT;
	drop_content(s);
	spool_msg_commit(m, committed, s);
}

static void signed_done(struct sign_req *req, void *arg)
{
	struct submission *s = arg;

	if (s->cancelled) {
		/* the client never heard "250": dropping the message loses nothing */
		unreserve(s);
		clear_content(s);
		if (s->free_on_done)
			submission_free(s);
		return;
	}
	if (req->r != 0 || sub_finish_signatures(s) < 0) {
		char hex[ID_HEXLEN + 1];
		log_err("msg=%s dkim signing failed error=\"%s\"", id_format(s->env.id, hex),
		        req->r != 0 ? req->err : "signature field");
		s->fail = RPL_SIGN_FAILED;
		refuse_later(s);
		return;
	}
	commit(s);
}

void submission_data_end(struct submission *s, submission_done_fn done, void *arg)
{
	char err[256];

	if (s->fail == RPL_OK && s->phase == PH_HEADER) {
		/* a message of header fields only (or none): all of it is header */
		scan_header(s);
		if (s->phase == PH_HEADER && s->fail == RPL_OK) {
			sub_finish_header(s, s->hdr.len);
			buf_release(&s->hdr);
		}
	}
	s->done = done;
	s->done_arg = arg;
	s->cancelled = false;
	if (s->fail == RPL_OK && s->conv && mime7_finish(s->conv, err, sizeof(err)) < 0)
		sub_refuse(s, RPL_CONTENT_CONVERT, err);
	if (s->fail == RPL_OK && s->msg && spool_msg_error(s->msg))
		sub_refuse(s, reply_for_errno(spool_msg_error(s->msg)), NULL);
	/* the kill switch also stops the message that was in flight when it was thrown */
	if (s->fail == RPL_OK && !source_active(s->src))
		sub_refuse(s, RPL_SOURCE_SUSPENDED, NULL);
	/*
	 * Again at the end, and counted at once: concurrent sessions and requests of
	 * the source may have used the rate up, and the ones still being signed or
	 * committed hold their place (given back if they fail).
	 */
	if (s->fail == RPL_OK && check_limits(s, 0) != RPL_OK) {
		char why[sizeof(s->reason)];
		memcpy(why, s->reason, sizeof(why));
		sub_refuse(s, RPL_SOURCE_LIMIT, why);
	} else if (s->fail == RPL_OK && s->src) {
		s->reserved_at = (int64_t)time(NULL);
		limit_rate_count(s->src, s->reserved_at);
	}
	if (s->fail != RPL_OK || s->msg == NULL || s->conv == NULL) {
		refuse_later(s);
		return;
	}
	if (sub_prepare_signatures(s) < 0) {
		refuse_later(s);
		return;
	}
	s->phase = PH_SIGN;
	signer_sign(s->env_->signer, &s->sreq, signed_done, s);
}

const char *submission_reason(const struct submission *s)
{
	return s->reason[0] ? s->reason : NULL;
}

void submission_data_abort(struct submission *s)
{
	if (s->phase != PH_COMMIT && s->phase != PH_SIGN)
		clear_content(s);
}

void submission_cancel(struct submission *s)
{
	s->cancelled = true;
}
