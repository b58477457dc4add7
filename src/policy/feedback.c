/* feedback.c - unsubscribes by mail, bounces and complaints (feedback.h) */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "eventlog.h"
#include "feedback.h"
#include "id.h"
#include "log.h"
#include "report.h"
#include "store.h"
#include "strutil.h"
#include "suppress.h"
#include "xmalloc.h"

#define SYNC_MS 2000 /* how long to wait for the events of a message just sent */

struct feedback {
	struct suppress *sp;
	struct store *st;
	struct eventlog *ev;
	char *complaints;
};

enum kind { K_NONE, K_UNSUB, K_BOUNCE, K_COMPLAINT, K_POSTMASTER };

struct feedback *feedback_new(struct suppress *sp, struct store *st, struct eventlog *ev,
                              const char *complaints)
{
	struct feedback *fb = xcalloc(1, sizeof(*fb));

	fb->sp = sp;
	fb->st = st;
	fb->ev = ev;
	fb->complaints = xstrdup(complaints ? complaints : "");
	return fb;
}

void feedback_free(struct feedback *fb)
{
	if (fb == NULL)
		return;
	free(fb->complaints);
	free(fb);
}

void feedback_set_complaints(struct feedback *fb, const char *complaints)
{
	free(fb->complaints);
	fb->complaints = xstrdup(complaints ? complaints : "");
}

/* classify - which of Postern's addresses addr is; the token (in addr) through tok/toklen */
static enum kind classify(struct feedback *fb, const char *addr, const char **tok, size_t *toklen)
{
	const char *at = strrchr(addr, '@');
	const char *md = suppress_mailto_domain(fb->sp), *bd = suppress_bounce_domain(fb->sp);

	*tok = NULL;
	*toklen = 0;
	if (at == NULL)
		return K_NONE;
	size_t local = (size_t)(at - addr);
	const char *dom = at + 1;
	if (fb->complaints[0] && ascii_iequal(addr, fb->complaints))
		return K_COMPLAINT;
	bool ours = ascii_iequal(dom, md) || (bd[0] && ascii_iequal(dom, bd));
	if (ours && local == 10 && ascii_niequal(addr, "postmaster", 10))
		return K_POSTMASTER;
	if (ascii_iequal(dom, md) && local > 12 && ascii_niequal(addr, "unsubscribe+", 12)) {
		*tok = addr + 12;
		*toklen = local - 12;
		return K_UNSUB;
	}
	if (bd[0] && ascii_iequal(dom, bd) && local > 8 && ascii_niequal(addr, "bounces+", 8)) {
		*tok = addr + 8;
		*toklen = local - 8;
		return K_BOUNCE;
	}
	return K_NONE;
}

static bool unsub_claim_of(struct feedback *fb, const char *tok, size_t len, struct unsub_claim *c)
{
	char t[UNSUB_TOKEN_MAX + 1];

	if (len > UNSUB_TOKEN_MAX)
		return false;
	memcpy(t, tok, len);
	t[len] = '\0';
	return suppress_token_read(fb->sp, t, c) == UNSUB_OK;
}

enum reply feedback_rcpt(struct feedback *fb, const char *addr)
{
	const char *tok;
	size_t len;
	uint64_t id;

	switch (classify(fb, addr, &tok, &len)) {
	case K_COMPLAINT:
	case K_POSTMASTER:
		return RPL_RCPT_OK;
	case K_UNSUB:
		return suppress_msg_token_read(fb->sp, "unsub", tok, len, &id)
		               ? RPL_RCPT_OK
		               : RPL_NO_SUCH_ADDRESS;
	case K_BOUNCE:
		return suppress_msg_token_read(fb->sp, "verp", tok, len, &id) ? RPL_RCPT_OK
		                                                              : RPL_NO_SUCH_ADDRESS;
	default:
		return RPL_NOT_OURS;
	}
}

/* what the events say of recipient rcpt of message id: its source, and the stream */
struct sent_to {
	bool found;
	char source[SOURCE_NAME_MAX + 1];
	char stream[STORE_STREAM_MAX + 1];
	char rcpt[STORE_ADDR_MAX + 1];
};

static void on_queued(const struct store_event_row *r, void *arg)
{
	struct sent_to *w = arg;

	w->found = true;
	strlcpy_(w->source, r->source ? r->source : "", sizeof(w->source));
	strlcpy_(w->rcpt, r->rcpt ? r->rcpt : "", sizeof(w->rcpt));
}

static void on_accepted(const struct store_event_row *r, void *arg)
{
	struct sent_to *w = arg;
	json_t *d = r->detail ? json_loads(r->detail, 0, NULL) : NULL;
	const char *s = d ? json_string_value(json_object_get(d, "stream")) : NULL;

	if (s && strlen(s) <= STORE_STREAM_MAX)
		strlcpy_(w->stream, s, sizeof(w->stream));
	json_decref(d);
}

/* sent_to - was rcpt a recipient of message id (the events say)? */
static bool sent_to(struct feedback *fb, uint64_t id, const char *rcpt, struct sent_to *w)
{
	char hex[ID_HEXLEN + 1], err[256];
	struct store_event_query q;

	memset(w, 0, sizeof(*w));
	if (rcpt == NULL)
		return false;
	eventlog_sync(fb->ev, SYNC_MS);
	memset(&q, 0, sizeof(q));
	q.msg = id_format(id, hex);
	q.type = "queued";
	q.rcpt = rcpt;
	q.limit = 1;
	if (store_events_search(fb->st, &q, on_queued, w, err, sizeof(err)) < 0)
		log_err("feedback events search failed error=\"%s\"", err);
	if (!w->found)
		return false;
	q.type = "accepted";
	q.rcpt = NULL;
	if (store_events_search(fb->st, &q, on_accepted, w, err, sizeof(err)) < 0)
		log_err("feedback events search failed error=\"%s\"", err);
	return true;
}

static void suppress_one(struct feedback *fb, const char *addr, const char *scope,
                         const char *reason, const char *origin, const char *source,
                         const char *detail)
{
	struct store_suppression e;
	char err[256];

	memset(&e, 0, sizeof(e));
	strlcpy_(e.address, addr, sizeof(e.address));
	strlcpy_(e.scope, scope, sizeof(e.scope));
	strlcpy_(e.reason, reason, sizeof(e.reason));
	strlcpy_(e.origin, origin, sizeof(e.origin));
	strlcpy_(e.source, source ? source : "", sizeof(e.source));
	strlcpy_(e.detail, detail ? detail : "", sizeof(e.detail));
	if (suppress_add(fb->sp, &e, err, sizeof(err)) < 0)
		log_err("suppression not added address=%s error=\"%s\"", addr, err);
}

/* the message's one recipient (a broadcast message has one), from its events */
static void on_first_queued(const struct store_event_row *r, void *arg)
{
	struct sent_to *w = arg;

	if (w->found)
		return;
	w->found = true;
	strlcpy_(w->source, r->source ? r->source : "", sizeof(w->source));
	strlcpy_(w->rcpt, r->rcpt ? r->rcpt : "", sizeof(w->rcpt));
}

static void unsubscribe_by_mail(struct feedback *fb, const char *tok, size_t len)
{
	struct sent_to w;
	struct store_event_query q;
	char hex[ID_HEXLEN + 1], err[256];
	uint64_t id;

	if (!suppress_msg_token_read(fb->sp, "unsub", tok, len, &id))
		return;
	memset(&w, 0, sizeof(w));
	memset(&q, 0, sizeof(q));
	q.msg = id_format(id, hex);
	q.type = "queued";
	q.limit = 2;
	eventlog_sync(fb->ev, SYNC_MS);
	if (store_events_search(fb->st, &q, on_first_queued, &w, err, sizeof(err)) < 0 ||
	    !w.found) {
		log_info("inbound unsubscribe: the events of msg=%s are gone", hex);
		return;
	}
	q.type = "accepted";
	store_events_search(fb->st, &q, on_accepted, &w, err, sizeof(err));
	if (!suppress_broadcast(fb->sp, w.stream)) {
		log_info("inbound unsubscribe: msg=%s is no broadcast message", hex);
		return;
	}
	suppress_one(fb, w.rcpt, suppress_scope_of(fb->sp, w.stream), "unsubscribe", "mailto",
	             w.source, NULL);
}

static const char *class_name(enum report_bounce b)
{
	return b == REPORT_BOUNCE_HARD ? "hard" : b == REPORT_BOUNCE_SOFT ? "soft" : "other";
}

/* json_text - s as a JSON string's text (quotes included); caller frees */
static char *json_text(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	json_decref(j);
	return t ? t : xstrdup("\"\"");
}

static void bounce(struct feedback *fb, uint64_t id, const char *msg, size_t len)
{
	struct report r;
	char err[256], hex[ID_HEXLEN + 1];

	id_format(id, hex);
	int rc = report_parse(msg, len, &r, err, sizeof(err));
	if (rc < 0 || r.kind != REPORT_DSN) {
		log_info("inbound bounce unread msg=%s why=\"%s\"", hex,
		         rc < 0 ? err : "not a delivery status notification");
		report_free(&r);
		return;
	}
	for (size_t i = 0; i < r.nrcpts; i++) {
		const struct report_rcpt *rr = &r.rcpts[i];
		struct sent_to w;
		const char *who = rr->final_rcpt ? rr->final_rcpt : rr->original_rcpt;
		/* only recipients of that message, and only what failed for good */
		if (!sent_to(fb, id, who, &w) &&
		    !(rr->original_rcpt && sent_to(fb, id, rr->original_rcpt, &w))) {
			log_info("inbound bounce names no recipient of msg=%s", hex);
			continue;
		}
		enum report_bounce cls = report_bounce_class(rr->status);
		bool failed = strcmp(rr->action, "failed") == 0;
		char *diag = json_text(rr->diagnostic), *mta = json_text(rr->remote_mta);
		struct buf d;
		buf_init(&d);
		buf_printf(&d,
		           "{\"late\":true,\"action\":\"%s\",\"class\":\"%s\",\"reply\":%s,"
		           "\"remote_mta\":%s}",
		           failed          ? "failed"
		           : rr->action[0] ? rr->action
		                           : "unknown",
		           class_name(cls), diag, mta);
		eventlog_add(fb->ev, failed ? "bounced" : "bounce_report", id, w.source, NULL,
		             w.rcpt, rr->status[0] ? rr->status : NULL, d.data);
		buf_release(&d);
		log_info("inbound bounce msg=%s rcpt=%s action=%s status=%s class=%s", hex, w.rcpt,
		         rr->action, rr->status, class_name(cls));
		if (failed && cls == REPORT_BOUNCE_HARD) {
			char detail[256];
			snprintf(detail, sizeof(detail), "%s %s", rr->status,
			         rr->diagnostic ? rr->diagnostic : "");
			suppress_one(fb, w.rcpt, "domain", "hard-bounce", "dsn", w.source, detail);
		}
		free(diag);
		free(mta);
	}
	report_free(&r);
}

/* a token of a List-Unsubscribe value: after "/u/" up to '>' or after "unsubscribe+" up to '@' */
static bool list_token(struct feedback *fb, const char *lu, struct unsub_claim *c)
{
	for (const char *p = lu; (p = strstr(p, "/u/")) != NULL; p += 3) {
		size_t n = strcspn(p + 3, ">?# ,");
		if (unsub_claim_of(fb, p + 3, n, c))
			return true;
	}
	for (const char *p = lu; (p = strstr(p, "unsubscribe+")) != NULL; p += 12) {
		size_t n = strcspn(p + 12, "@> ,");
		if (unsub_claim_of(fb, p + 12, n, c))
			return true;
	}
	return false;
}

/* a VERP address of ours anywhere in the report (the original's Return-Path) */
static bool verp_in(struct feedback *fb, const char *msg, size_t len, uint64_t *id)
{
	const char *bd = suppress_bounce_domain(fb->sp);
	const char *end = msg + len;

	if (bd[0] == '\0')
		return false;
	for (const char *p = msg; p < end && (p = memmem(p, (size_t)(end - p), "bounces+", 8));
	     p += 8) {
		const char *t = p + 8;
		if ((size_t)(end - t) > VERP_TOKEN_LEN + 1 && t[VERP_TOKEN_LEN] == '@' &&
		    suppress_msg_token_read(fb->sp, "verp", t, VERP_TOKEN_LEN, id))
			return true;
	}
	return false;
}

static void complaint(struct feedback *fb, const char *msg, size_t len)
{
	struct report r;
	struct unsub_claim c;
	struct sent_to w;
	char err[256];
	uint64_t id;

	int rc = report_parse(msg, len, &r, err, sizeof(err));
	if (rc < 0 || r.kind != REPORT_ARF) {
		log_info("inbound complaint unread why=\"%s\"",
		         rc < 0 ? err : "not a feedback report");
		report_free(&r);
		return;
	}
	const char *type = r.feedback_type ? r.feedback_type : "abuse";
	if (strcmp(type, "not-spam") == 0) {
		report_free(&r);
		return;
	}
	struct buf d;
	buf_init(&d);
	char *ft = json_text(type);
	buf_printf(&d, "{\"feedback_type\":%s}", ft);
	free(ft);
	if (r.orig_list_unsubscribe && list_token(fb, r.orig_list_unsubscribe, &c)) {
		/* the link of that very message: recipient and stream are the token's */
		suppress_one(fb, c.rcpt, c.stream[0] ? c.stream : "transactional", "complaint",
		             "arf", c.source, type);
		eventlog_add(fb->ev, "complained", 0, c.source, NULL, c.rcpt, NULL, d.data);
		log_info("inbound complaint rcpt=%s stream=%s type=%s", c.rcpt, c.stream, type);
	} else if (verp_in(fb, msg, len, &id) &&
	           (sent_to(fb, id, r.arf_rcpt, &w) || sent_to(fb, id, r.orig_to, &w))) {
		suppress_one(fb, w.rcpt, w.stream[0] ? w.stream : "transactional", "complaint",
		             "arf", w.source, type);
		eventlog_add(fb->ev, "complained", id, w.source, NULL, w.rcpt, NULL, d.data);
		log_info("inbound complaint rcpt=%s type=%s", w.rcpt, type);
	} else {
		log_info("inbound complaint not tied to a message of ours: dropped");
	}
	buf_release(&d);
	report_free(&r);
}

void feedback_message(struct feedback *fb, const char *sender, char *const *rcpts, size_t n,
                      const char *msg, size_t len, const char *client)
{
	for (size_t i = 0; i < n; i++) {
		const char *tok;
		size_t tl;
		uint64_t id;
		switch (classify(fb, rcpts[i], &tok, &tl)) {
		case K_UNSUB:
			unsubscribe_by_mail(fb, tok, tl);
			break;
		case K_BOUNCE:
			if (suppress_msg_token_read(fb->sp, "verp", tok, tl, &id))
				bounce(fb, id, msg, len);
			break;
		case K_COMPLAINT:
			complaint(fb, msg, len);
			break;
		case K_POSTMASTER:
			log_info("inbound postmaster mail client=%s size=%zu: read the log", client,
			         len);
			break;
		default:
			break;
		}
	}
}
