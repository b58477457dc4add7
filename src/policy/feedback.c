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

#define SYNC_MS       500  /* how long to wait for the events of a message just sent */
#define MSG_RCPTS_MAX 1000 /* recipients of a message looked at */

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
		return suppress_verp_read(fb->sp, tok, len, NULL, &id) ? RPL_RCPT_OK
		                                                       : RPL_NO_SUCH_ADDRESS;
	default:
		return RPL_NOT_OURS;
	}
}

/* what the events say of message id: its source and stream, and its recipients */
struct sent {
	char source[SOURCE_NAME_MAX + 1];
	char stream[STORE_STREAM_MAX + 1];
	char *rcpts[MSG_RCPTS_MAX]; /* owned */
	size_t nrcpts;
};

static void on_queued(const struct store_event_row *r, void *arg)
{
	struct sent *w = arg;

	if (r->source && w->source[0] == '\0')
		strlcpy_(w->source, r->source, sizeof(w->source));
	if (r->rcpt && w->nrcpts < MSG_RCPTS_MAX)
		w->rcpts[w->nrcpts++] = xstrdup(r->rcpt);
}

static void on_accepted(const struct store_event_row *r, void *arg)
{
	struct sent *w = arg;
	json_t *d = r->detail ? json_loads(r->detail, 0, NULL) : NULL;
	const char *s = d ? json_string_value(json_object_get(d, "stream")) : NULL;

	if (s && strlen(s) <= STORE_STREAM_MAX && strcmp(s, "transactional") != 0)
		strlcpy_(w->stream, s, sizeof(w->stream));
	if (r->source && w->source[0] == '\0')
		strlcpy_(w->source, r->source, sizeof(w->source));
	json_decref(d);
}

static void sent_release(struct sent *w)
{
	for (size_t i = 0; i < w->nrcpts; i++)
		free(w->rcpts[i]);
	memset(w, 0, sizeof(*w));
}

static void search(struct feedback *fb, uint64_t id, struct sent *w)
{
	char hex[ID_HEXLEN + 1], err[256];
	struct store_event_query q;

	memset(&q, 0, sizeof(q));
	q.msg = id_format(id, hex);
	q.type = "queued";
	q.limit = MSG_RCPTS_MAX;
	if (store_events_search(fb->st, &q, on_queued, w, err, sizeof(err)) < 0)
		log_err("feedback events search failed error=\"%s\"", err);
	q.type = "accepted";
	q.limit = 1;
	if (store_events_search(fb->st, &q, on_accepted, w, err, sizeof(err)) < 0)
		log_err("feedback events search failed error=\"%s\"", err);
}

/*
 * sent_of - what the events say of message id. The event writer may lag a
 * message that has just left: only if nothing is found, it is waited for,
 * briefly (reports of mail sent moments ago are rare outside tests).
 */
static void sent_of(struct feedback *fb, uint64_t id, struct sent *w)
{
	memset(w, 0, sizeof(*w));
	search(fb, id, w);
	if (w->nrcpts == 0) {
		eventlog_sync(fb->ev, SYNC_MS);
		search(fb, id, w);
	}
}

/*
 * verp_rcpt - the recipient the VERP token (tok, len) was made for: the first
 * of the candidates (addresses a report names, then the message's recipients
 * from the events) its second MAC says. Into out; false if none.
 */
static bool verp_rcpt(struct feedback *fb, const char *tok, size_t len, const char *const *cands,
                      size_t ncands, const struct sent *w, uint64_t *id, char *out, size_t outlen)
{
	for (size_t i = 0; i < ncands + w->nrcpts; i++) {
		const char *c = i < ncands ? cands[i] : w->rcpts[i - ncands];
		if (c != NULL && suppress_verp_read(fb->sp, tok, len, c, id)) {
			strlcpy_(out, c, outlen);
			return true;
		}
	}
	return false;
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

/* an unsubscribe by mail names a broadcast message: its one recipient, from its events */
static void unsubscribe_by_mail(struct feedback *fb, const char *tok, size_t len)
{
	struct sent w;
	char hex[ID_HEXLEN + 1];
	uint64_t id;

	if (!suppress_msg_token_read(fb->sp, "unsub", tok, len, &id))
		return;
	id_format(id, hex);
	sent_of(fb, id, &w);
	if (w.nrcpts != 1 || !suppress_broadcast(fb->sp, w.stream)) {
		log_info("inbound unsubscribe: msg=%s is %s", hex,
		         w.nrcpts == 0 ? "gone from the events" : "no broadcast message");
		sent_release(&w);
		return;
	}
	suppress_one(fb, w.rcpts[0], suppress_scope_of(fb->sp, w.stream), "unsubscribe", "mailto",
	             w.source, NULL);
	sent_release(&w);
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

/* the block of a DSN about rcpt, else the only one, else the first that failed */
static const struct report_rcpt *block_of(const struct report *r, const char *rcpt)
{
	const struct report_rcpt *failed = NULL;

	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct report_rcpt *b = &r->rcpts[i];
		if ((b->final_rcpt && ascii_iequal(b->final_rcpt, rcpt)) ||
		    (b->original_rcpt && ascii_iequal(b->original_rcpt, rcpt)))
			return b;
		if (failed == NULL && strcmp(b->action, "failed") == 0)
			failed = b;
	}
	return r->nrcpts == 1 ? &r->rcpts[0] : failed;
}

/* a DSN to bounces+TOKEN@: about the one recipient the token was made for */
static void bounce(struct feedback *fb, const char *tok, size_t len, const struct report *r)
{
	const char *cands[2 * REPORT_RCPTS_MAX];
	size_t nc = 0;
	struct sent w;
	char rcpt[STORE_ADDR_MAX + 1], hex[ID_HEXLEN + 1];
	uint64_t id = 0;

	if (!suppress_verp_read(fb->sp, tok, len, NULL, &id))
		return;
	id_format(id, hex);
	if (r->kind != REPORT_DSN) {
		log_info("inbound bounce unread msg=%s why=\"not a delivery status notification\"",
		         hex);
		return;
	}
	for (size_t i = 0; i < r->nrcpts; i++) {
		cands[nc++] = r->rcpts[i].final_rcpt;
		cands[nc++] = r->rcpts[i].original_rcpt;
	}
	memset(&w, 0, sizeof(w));
	/* the addresses the report names first: no events needed when one is right */
	bool ok = verp_rcpt(fb, tok, len, cands, nc, &w, &id, rcpt, sizeof(rcpt));
	sent_of(fb, id, &w);
	if (!ok)
		ok = verp_rcpt(fb, tok, len, NULL, 0, &w, &id, rcpt, sizeof(rcpt));
	const struct report_rcpt *b = ok ? block_of(r, rcpt) : NULL;
	if (b == NULL) {
		log_info("inbound bounce msg=%s: no recipient of the message found", hex);
		sent_release(&w);
		return;
	}
	enum report_bounce cls = report_bounce_class(b->status);
	bool failed = strcmp(b->action, "failed") == 0;
	char *diag = json_text(b->diagnostic), *mta = json_text(b->remote_mta);
	struct buf d;
	buf_init(&d);
	buf_printf(&d,
	           "{\"late\":true,\"action\":\"%s\",\"class\":\"%s\",\"reply\":%s,"
	           "\"remote_mta\":%s}",
	           failed         ? "failed"
	           : b->action[0] ? b->action
	                          : "unknown",
	           class_name(cls), diag, mta);
	eventlog_add(fb->ev, failed ? "bounced" : "bounce_report", id, w.source, NULL, rcpt,
	             b->status[0] ? b->status : NULL, d.data);
	buf_release(&d);
	log_info("inbound bounce msg=%s action=%s status=%s class=%s", hex,
	         b->action[0] ? b->action : "-", b->status[0] ? b->status : "-", class_name(cls));
	if (failed && cls == REPORT_BOUNCE_HARD) {
		char detail[256];
		snprintf(detail, sizeof(detail), "%s %s", b->status,
		         b->diagnostic ? b->diagnostic : "");
		suppress_one(fb, rcpt, "domain", "hard-bounce", "dsn", w.source, detail);
	}
	free(diag);
	free(mta);
	sent_release(&w);
}

/* a token of a List-Unsubscribe value: after "/u/" up to '>' or after "unsubscribe+" up to '@' */
static bool list_token(struct feedback *fb, const char *lu, struct unsub_claim *c)
{
	for (const char *p = lu; (p = strstr(p, "/u/")) != NULL; p += 3) {
		size_t n = strcspn(p + 3, ">?# ,");
		if (unsub_claim_of(fb, p + 3, n, c))
			return true;
	}
	return false;
}

/* the first VERP address of ours in the report (the original's Return-Path): its token */
static const char *verp_in(struct feedback *fb, const char *msg, size_t len)
{
	const char *bd = suppress_bounce_domain(fb->sp);
	const char *end = msg + len;
	uint64_t id;

	if (bd[0] == '\0')
		return NULL;
	for (const char *p = msg; p < end && (p = memmem(p, (size_t)(end - p), "bounces+", 8));
	     p += 8) {
		const char *t = p + 8;
		if ((size_t)(end - t) > RCPT_TOKEN_LEN + 1 && t[RCPT_TOKEN_LEN] == '@' &&
		    suppress_verp_read(fb->sp, t, RCPT_TOKEN_LEN, NULL, &id))
			return t;
	}
	return NULL;
}

static void complaint(struct feedback *fb, const char *msg, size_t len, const struct report *r)
{
	struct unsub_claim c;
	struct sent w;
	char rcpt[STORE_ADDR_MAX + 1];
	const char *t;
	uint64_t id = 0;

	if (r->kind != REPORT_ARF) {
		log_info("inbound complaint unread why=\"not a feedback report\"");
		return;
	}
	const char *type = r->feedback_type ? r->feedback_type : "abuse";
	if (strcmp(type, "not-spam") == 0)
		return;
	struct buf d;
	buf_init(&d);
	char *ft = json_text(type);
	buf_printf(&d, "{\"feedback_type\":%s}", ft);
	free(ft);
	memset(&w, 0, sizeof(w));
	if (r->orig_list_unsubscribe && list_token(fb, r->orig_list_unsubscribe, &c)) {
		/* the link of that very message: recipient and stream are the token's */
		suppress_one(fb, c.rcpt, c.stream[0] ? c.stream : "transactional", "complaint",
		             "arf", c.source, type);
		eventlog_add(fb->ev, "complained", 0, c.source, NULL, c.rcpt, NULL, d.data);
		log_info("inbound complaint stream=%s type=%s", c.stream, type);
	} else if ((t = verp_in(fb, msg, len)) != NULL) {
		const char *cands[2] = {r->arf_rcpt, r->orig_to};
		bool ok = verp_rcpt(fb, t, RCPT_TOKEN_LEN, cands, 2, &w, &id, rcpt, sizeof(rcpt));
		sent_of(fb, id, &w);
		if (!ok)
			ok = verp_rcpt(fb, t, RCPT_TOKEN_LEN, NULL, 0, &w, &id, rcpt, sizeof(rcpt));
		if (ok) {
			suppress_one(fb, rcpt, w.stream[0] ? w.stream : "transactional",
			             "complaint", "arf", w.source, type);
			eventlog_add(fb->ev, "complained", id, w.source, NULL, rcpt, NULL, d.data);
			log_info("inbound complaint type=%s", type);
		} else {
			log_info("inbound complaint names no recipient of its message: dropped");
		}
	} else {
		log_info("inbound complaint not tied to a message of ours: dropped");
	}
	sent_release(&w);
	buf_release(&d);
}

void feedback_message(struct feedback *fb, const char *sender, char *const *rcpts, size_t n,
                      const char *msg, size_t len, const char *client)
{
	struct report r;
	bool parsed = false;
	char err[256];

	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < n; i++) {
		const char *tok;
		size_t tl;
		enum kind k = classify(fb, rcpts[i], &tok, &tl);
		/* a report is read once, whatever number of our addresses it came to */
		if ((k == K_BOUNCE || k == K_COMPLAINT) && !parsed) {
			parsed = true;
			if (report_parse(msg, len, &r, err, sizeof(err)) < 0) {
				log_info("inbound report unread client=%s why=\"%s\"", client, err);
				report_free(&r);
				memset(&r, 0, sizeof(r));
			}
		}
		switch (k) {
		case K_UNSUB:
			unsubscribe_by_mail(fb, tok, tl);
			break;
		case K_BOUNCE:
			bounce(fb, tok, tl, &r);
			break;
		case K_COMPLAINT:
			complaint(fb, msg, len, &r);
			break;
		case K_POSTMASTER:
			log_info("inbound postmaster mail client=%s size=%zu: read the log", client,
			         len);
			break;
		default:
			break;
		}
	}
	report_free(&r);
}
