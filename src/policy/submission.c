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
 *   PH_HEADER --(empty line)--> PH_BODY --(end)--> [PH_SCAN] --> PH_SIGN --> PH_COMMIT
 *
 * With scanners configured, a copy of the body as sent is kept too, and at
 * the end the whole message is handed to them (scan.h); what they find is
 * judged by content.h: refused, deferred, held (committed unsigned with its
 * verdict, to the quarantine), or signed and committed (tagged, or marked
 * for verified TLS only). A released message (submission_replay) is not
 * scanned again.
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
#include "scan.h"
#include "sources.h"
#include "spool.h"
#include "strutil.h"
#include "submission_internal.h"
#include "suppress.h"
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
	buf_init(&s->scan_body);
	buf_init(&s->sigs);
	buf_init(&s->signed_by);
	for (size_t i = 0; i < DOMAINS_MAX_SIGNERS; i++)
		buf_init(&s->fields[i]);
	return s;
}

/* the octets this message counted against the scanners' memory budget */
static void scan_unreserve(struct submission *s)
{
	if (s->scan_reserved)
		content_unreserve(s->env_->content, s->scan_reserved);
	s->scan_reserved = 0;
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
	buf_release(&s->scan_body);
	buf_release(&s->sigs);
	s->hdr_out = false;
	s->scanning = false;
	/* a scan in flight still holds its copy: given back when it answers */
	if (s->scan == NULL)
		scan_unreserve(s);
}

void sub_clear_content(struct submission *s)
{
	if (s->scan) {
		/* the scanners are still at it: their answer is no longer wanted */
		scan_cancel(s->scan);
		s->scan = NULL;
		unreserve(s);
	}
	free(s->scan_json);
	s->scan_json = NULL;
	free(s->quarantine);
	s->quarantine = NULL;
	memset(&s->verdict, 0, sizeof(s->verdict));
	s->scan_busy = false;
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
	sub_clear_content(s);
	event_free(s->later);
	free(s->event_extra);
	buf_release(&s->signed_by);
	envelope_release(&s->env);
	sub_clear_dropped(s);
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
		sub_clear_content(s);
	envelope_release(&s->env);
	s->have_sender = false;
	free(s->event_extra);
	s->event_extra = NULL;
	sub_clear_dropped(s);
	/* the source's stream until the door or the message says otherwise */
	strlcpy_(s->stream, s->src ? s->src->stream : "", sizeof(s->stream));
	if (!suppress_stream_valid(s->env_->suppress, s->stream))
		s->stream[0] = '\0'; /* a stream no longer declared: transactional */
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
	if (s->env.nrcpts + s->ndropped >= s->lim.max_rcpts)
		return RPL_TOO_MANY_RCPTS;
	s->last_dropped = false;
	struct store_suppression why;
	if (suppress_check(s->env_->suppress, s->stream, addr, &why)) {
		snprintf(s->reason, sizeof(s->reason), "%s is suppressed (%s, %s)", addr,
		         why.reason, why.scope);
		if (s->src && s->src->reject_suppressed) {
			eventlog_reject(s->events, 0, s->src->name, s->env.sender, addr, "5.7.1",
			                "suppressed", NULL);
			return RPL_RCPT_SUPPRESSED;
		}
		sub_drop(s, addr, p->notify, p->orcpt[0] ? p->orcpt : NULL, &why);
		s->last_dropped = true;
		return RPL_RCPT_OK;
	}
	envelope_add_rcpt(&s->env, addr, p->notify, p->orcpt[0] ? p->orcpt : NULL);
	return RPL_RCPT_OK;
}

size_t submission_nrcpts(const struct submission *s)
{
	return s->env.nrcpts + s->ndropped;
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

	sub_clear_content(s);
	s->reason[0] = '\0';
	s->replay = s->rescan = false;
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
	/* the envelope is written at the end of the header section, which may name a stream */
	memcpy(s->rcpt_stream, s->stream, sizeof(s->rcpt_stream));
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
	/* a replayed message was measured when it came in (it is larger now, converted) */
	if (s->fail == RPL_OK && !s->replay && s->size > s->lim.max_size)
		sub_refuse(s, RPL_SIZE_EXCEEDED, NULL);
	if (s->fail == RPL_OK && !s->replay && s->src && s->src->limits.max_size > 0 &&
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
		           "{\"size\":%llu,\"rcpts\":%zu,\"client\":\"%s\",\"lane\":\"%s\","
		           "\"stream\":\"%s\"%s%s}",
		           (unsigned long long)s->size, s->env.nrcpts,
		           s->env.client && !strpbrk(s->env.client, "\"\\") ? s->env.client : "",
		           s->env.bulk || s->header_lane == 1 ? "bulk" : "urgent",
		           s->stream[0] ? s->stream : "transactional", /* a token: no escaping */
		           s->event_extra ? "," : "", s->event_extra ? s->event_extra : "");
		eventlog_add(s->events, "accepted", id, s->env.source, s->env.sender, NULL, NULL,
		             detail.data);
		if (s->scan_json) {
			buf_reset(&detail);
			buf_printf(&detail, "{\"verdict\":\"%s\",\"scan\":%s}", s->verdict.key,
			           s->scan_json);
			eventlog_add(s->events, "scanned", id, s->env.source, s->env.sender, NULL,
			             NULL, detail.data);
		}
		buf_release(&detail);
		/* a held message is neither signed nor queued: the queue records it held */
		if (s->quarantine == NULL) {
			eventlog_add(s->events, "signed", id, s->env.source, s->env.sender, NULL,
			             NULL, s->signed_by.data);
			for (size_t i = 0; i < s->env.nrcpts; i++)
				eventlog_add(s->events, "queued", id, s->env.source, s->env.sender,
				             s->env.rcpts[i].addr, NULL, NULL);
		}
		for (size_t i = 0; i < s->ndropped; i++)
			suppressed_event(s->events, id, s->env.source, s->env.sender,
			                 s->dropped[i].addr, &s->dropped[i].why, "submission");
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
	sub_clear_content(s);
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
	if (s->stream[0]) {
		char a[16 + STORE_STREAM_MAX];
		int n = snprintf(a, sizeof(a), "stream=%s", s->stream);
		qrec_put(out, QREC_ATTR, a, (size_t)n);
	}
	/* converted to 7 bits: no next hop needs 8BITMIME any more */
	mime7_get_stats(s->conv, &st);
	if (s->env.body == BODY_8BITMIME && !st.out_8bit)
		qrec_put(out, QREC_ATTR, "body=7bit", 9);
	/* the scanners' verdicts: held unsigned, or only over verified TLS */
	if (s->quarantine) {
		struct buf a;
		buf_init(&a);
		buf_printf(&a, "quarantine=%s", s->quarantine);
		qrec_put(out, QREC_ATTR, a.data, a.len);
		buf_release(&a);
	} else if (s->verdict.require_tls) {
		qrec_put(out, QREC_ATTR, "tls=verify", 10);
	}
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
		sub_clear_content(s);
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

/* sign the message (s->out_hdr as it will be sent), then commit it */
static void sign(struct submission *s)
{
	if (sub_prepare_signatures(s) < 0) {
		refuse_later(s);
		return;
	}
	s->phase = PH_SIGN;
	signer_sign(s->env_->signer, &s->sreq, signed_done, s);
}

/* the verdict of the scanners, to go with the message to the quarantine */
static char *quarantine_json(const struct submission *s)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "{\"verdict\":\"%s\",\"reason\":\"", s->verdict.key);
	for (const unsigned char *p = (const unsigned char *)s->verdict.reason; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(&b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			buf_printf(&b, "\\u%04x", *p);
		else
			buf_putc(&b, (char)*p);
	}
	buf_printf(&b, "\",\"scan\":%s}", s->scan_json);
	return buf_steal(&b, NULL);
}

static void scanned(const struct scan_result *r, void *arg)
{
	struct submission *s = arg;
	char hex[ID_HEXLEN + 1];

	s->scan = NULL;
	scan_unreserve(s);
	if (s->cancelled) {
		/* the client never heard "250": dropping the message loses nothing */
		unreserve(s);
		sub_clear_content(s);
		return;
	}
	s->scan_json = scan_result_json(r);
	content_decide(s->env_->content, s->src, r, &s->verdict);
	log_info("msg=%s scanned source=%s verdict=%s antivirus=%s spam=%s mime=%s dlp_rules=%zu",
	         id_format(s->env.id, hex), s->env.source ? s->env.source : "-", s->verdict.key,
	         !r->av_on              ? "off"
	         : r->av == CLAMD_CLEAN ? "clean"
	         : r->av == CLAMD_FOUND ? "found"
	                                : "error",
	         r->spam_on ? rspamd_action_name(r->spam.action) : "off",
	         r->mime == SCAN_MIME_OK ? "ok" : "held", r->nhits);
	switch (s->verdict.action) {
	case CONTENT_REFUSE:
	case CONTENT_DEFER:
		sub_refuse(s, s->verdict.reply, s->verdict.reason);
		refuse_later(s);
		return;
	case CONTENT_QUARANTINE:
		s->quarantine = quarantine_json(s);
		sub_release_keys(s);
		commit(s);
		return;
	case CONTENT_PASS:
		if (s->verdict.tag)
			content_spam_fields(r, &s->out_hdr);
		sign(s);
		return;
	}
}

/* hand the message as it will be sent to the scanners */
static void start_scan(struct submission *s)
{
	static const char *const none[1] = {NULL};
	struct content_rules rules;
	struct scan_input in;
	struct buf msg;
	char hex[ID_HEXLEN + 1];
	const char **rcpts = xcalloc(s->env.nrcpts ? s->env.nrcpts : 1, sizeof(char *));

	buf_init(&msg);
	buf_append(&msg, s->out_hdr.data, s->out_hdr.len);
	buf_append(&msg, "\r\n", 2);
	buf_append(&msg, s->scan_body.data, s->scan_body.len);
	buf_release(&s->scan_body);
	s->scanning = false;
	for (size_t i = 0; i < s->env.nrcpts; i++)
		rcpts[i] = s->env.rcpts[i].addr;
	content_rules_of(s->env_->content, s->src, &rules);
	memset(&in, 0, sizeof(in));
	in.data = buf_steal(&msg, &in.n);
	in.source = s->env.source;
	in.sender = s->env.sender;
	in.client = s->env.client;
	in.helo = s->env.helo;
	in.queue_id = id_format(s->env.id, hex);
	in.rcpts = rcpts;
	in.nrcpts = s->env.nrcpts;
	in.dlp_rules = rules.all ? NULL : rules.n ? (const char *const *)rules.v : none;
	in.ndlp_rules = rules.n;
	s->phase = PH_SCAN;
	s->scan = scan_start(content_scanner(s->env_->content), &in, scanned, s);
	content_rules_release(&rules);
	free(rcpts);
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
	if (s->fail == RPL_OK && s->scan_busy)
		sub_refuse(s, RPL_SCAN_TEMP, "the content scanners are busy; try again later");
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
	if (s->env.nrcpts == 0) {
		sub_accept_suppressed(s);
		return;
	}
	if (s->scanning) {
		start_scan(s);
		return;
	}
	sign(s);
}

const char *submission_reason(const struct submission *s)
{
	return s->reason[0] ? s->reason : NULL;
}

void submission_data_abort(struct submission *s)
{
	if (s->phase != PH_COMMIT && s->phase != PH_SIGN)
		sub_clear_content(s);
}

void submission_cancel(struct submission *s)
{
	s->cancelled = true;
}

bool submission_held(const struct submission *s)
{
	return s->quarantine != NULL;
}

void submission_replay(struct submission *s, const struct qmsg *msg, const char *client,
                       bool rescan, submission_done_fn done, void *arg)
{
	const struct envelope *e = &msg->env;
	struct mail_params mp;
	struct received_info ri;

	memset(&mp, 0, sizeof(mp));
	mp.body = e->body;
	mp.smtputf8 = e->smtputf8;
	mp.ret = e->ret;
	if (e->envid)
		strlcpy_(mp.envid, e->envid, sizeof(mp.envid));
	submission_set_sender(s, e->sender ? e->sender : "", &mp);
	if (e->stream && !submission_set_stream(s, e->stream))
		s->stream[0] = '\0'; /* no longer declared: transactional, no unsubscribe headers */
	for (size_t i = 0; i < e->nrcpts; i++) {
		struct rcpt_params rp;
		memset(&rp, 0, sizeof(rp));
		rp.notify = e->rcpts[i].notify;
		if (e->rcpts[i].orcpt)
			strlcpy_(rp.orcpt, e->rcpts[i].orcpt, sizeof(rp.orcpt));
		envelope_add_rcpt(&s->env, e->rcpts[i].addr, rp.notify,
		                  rp.orcpt[0] ? rp.orcpt : NULL);
	}
	memset(&ri, 0, sizeof(ri));
	ri.hostname = s->hostname;
	ri.client_addr = client;
	ri.protocol = "local";
	submission_data_begin(s, &ri, client, NULL);
	s->replay = true;
	s->rescan = rescan;
	/* a data-loss rule asked for verified TLS when it was held: still so */
	s->verdict.require_tls = e->require_tls;
	/* where it was to leave from, as first decided */
	envelope_set(&s->env.pool, e->pool);
	s->env.bulk = e->bulk;
	submission_data_write(s, msg->header.p, msg->header.n);
	submission_data_write(s, "\r\n", 2);
	for (size_t i = 0; i < msg->nbody; i++)
		submission_data_write(s, msg->body[i].p, msg->body[i].n);
	submission_data_end(s, done, arg);
}
