/*
 * submission_header.c - the header section of a submitted message: what
 * Postern takes out of it, adds to it and checks in it, and the DKIM
 * signatures over the result.
 *
 * Fields Postern owns are never taken from the source (SECURITY.md): its
 * DKIM-Signature, Received, Return-Path and List-Unsubscribe* fields are
 * dropped. X-Postern-Lane and X-Postern-Stream are instructions to the
 * relay: read, then dropped. A message of a broadcast stream gets its own
 * List-Unsubscribe and List-Unsubscribe-Post (RFC 8058), signed with it.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkim_sign.h"
#include "eventlog.h"
#include "header.h"
#include "id.h"
#include "identity.h"
#include "log.h"
#include "mailbox.h"
#include "qrecord.h"
#include "sources.h"
#include "spool.h"
#include "strutil.h"
#include "submission_internal.h"
#include "suppress.h"

/* never taken from the source */
/* Postern writes these (X-Spam-*: the anti-spam verdict, never the source's word) */
static const char *const owned[] = {"DKIM-Signature", "Received",     "Return-Path",
                                    "X-Spam-Flag",    "X-Spam-Score", "X-Spam-Status"};

/*
 * Signed, and over-signed (dkim_sign.h): a field of these names added after
 * signing breaks the signature. RFC 6376 5.4.1 and the list, plus
 * the threading and Sender fields mail readers show.
 */
static const char *const signed_fields[] = {
        "From",
        "Sender",
        "Reply-To",
        "Subject",
        "Date",
        "To",
        "Cc",
        "Message-ID",
        "In-Reply-To",
        "References",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *const *submission_signed_fields(size_t *n)
{
	*n = NELEM(signed_fields);
	return signed_fields;
}

static bool is_owned(const struct hdr_index *ix, const struct hdr_field *f)
{
	for (size_t i = 0; i < NELEM(owned); i++)
		if (hdr_name_is(ix, f, owned[i]))
			return true;
	/* List-Unsubscribe, List-Unsubscribe-Post and any later sibling */
	return f->name_len >= 16 && ascii_niequal(ix->base + f->off, "List-Unsubscribe", 16);
}

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

/* X-Postern-Stream: NAME (the value after the name, colon included); false if not declared */
static bool take_stream(struct submission *s, const char *v, size_t n)
{
	char word[STORE_STREAM_MAX + 2];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i] == ':' || v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n')
			continue;
		if (k + 1 >= sizeof(word))
			return false;
		word[k++] = ascii_lower(v[i]);
	}
	word[k] = '\0';
	return k > 0 && submission_set_stream(s, word);
}

/*
 * A field as sent, with the obsolete white space between its name and the
 * colon (RFC 5322 4.5.8) taken out: "From : x" is "From: x" to every reader,
 * but not to every DKIM verifier's parser.
 */
static void append_field(struct buf *h, const char *f, size_t len, size_t name_len)
{
	size_t colon = name_len;

	while (colon < len && (f[colon] == ' ' || f[colon] == '\t'))
		colon++;
	buf_append(h, f, name_len);
	buf_append(h, f + colon, len - colon);
}

void sub_release_keys(struct submission *s)
{
	for (size_t i = 0; i < s->nkeys; i++)
		dom_key_unref(s->keys[i]);
	s->nkeys = 0;
	for (size_t i = 0; i < DOMAINS_MAX_SIGNERS; i++)
		buf_release(&s->fields[i]);
}

/*
 * field_mailbox - the one mailbox of the single field name (From or Sender):
 * 1 with *a filled, 0 if there is no such field, or -1 after refusing the
 * message (several fields, not exactly one mailbox, a hidden address).
 */
static int field_mailbox(struct submission *s, const struct hdr_index *ix, const char *name,
                         struct mailaddr *a)
{
	char why[400], reason[600];
	size_t n = hdr_count(ix, name);

	if (n == 0)
		return 0;
	if (n > 1) {
		snprintf(reason, sizeof(reason),
		         "the message has %zu %s: fields; exactly one is allowed", n, name);
		sub_refuse(s, RPL_FROM_INVALID, reason);
		return -1;
	}
	const struct hdr_field *f = hdr_find(ix, name);
	const char *v = ix->base + f->off + f->name_len;
	size_t vn = f->len - f->name_len;
	/* past the optional white space and the colon; without the final CRLF */
	while (vn > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vn--;
	}
	v++;
	vn--;
	if (vn >= 2 && v[vn - 2] == '\r' && v[vn - 1] == '\n')
		vn -= 2;
	if (mbox_parse_from(v, vn, s->env.smtputf8, a, why, sizeof(why)) < 0) {
		snprintf(reason, sizeof(reason), "%s: field: %s", name, why);
		sub_refuse(s, RPL_FROM_INVALID, reason);
		return -1;
	}
	return 1;
}

/*
 * The From: field: exactly one, one mailbox, an approved identity of the
 * source with this envelope sender, and a domain Postern holds an active key
 * for. A Sender: field (who sent it on the author's behalf, shown by mail
 * readers) is held to the same identities: at most one, one mailbox,
 * approved with this envelope sender. Refuses otherwise; on success the
 * signing keys are chosen.
 */
static void check_from(struct submission *s, const struct hdr_index *ix)
{
	char why[400], reason[600];
	struct mailaddr from, sender;

	int r = field_mailbox(s, ix, "From", &from);
	if (r < 0)
		return;
	if (r == 0) {
		sub_refuse(s, RPL_FROM_INVALID, "the message has no From: field");
		return;
	}
	if (s->src == NULL) {
		sub_refuse(s, RPL_FROM_DENIED, "no authenticated source");
		return;
	}
	const char *env = s->env.sender ? s->env.sender : "";
	if (!identity_from_ok(s->src, env, from.addr, why, sizeof(why))) {
		sub_refuse(s, RPL_FROM_DENIED, why);
		return;
	}
	r = field_mailbox(s, ix, "Sender", &sender);
	if (r < 0)
		return;
	if (r == 1 && !identity_from_ok(s->src, env, sender.addr, why, sizeof(why))) {
		snprintf(reason, sizeof(reason), "Sender: field: %s", why);
		sub_refuse(s, RPL_FROM_DENIED, reason);
		return;
	}
	const struct domain *d;
	int kr = domains_signing_keys(s->env_->domains, from.domain, &d, s->keys, &s->nkeys, why,
	                              sizeof(why));
	if (kr < 0) {
		/* no key at all is the sender's to fix; a broken key the operator's: retry */
		sub_refuse(s, kr == -1 ? RPL_NO_SIGNING_KEY : RPL_SIGN_FAILED, why);
		return;
	}
	strlcpy_(s->sign_domain, d->name, sizeof(s->sign_domain));
}

/* what the converter emits: the header once, then the body */
static void conv_sink(enum mime7_out kind, const char *p, size_t n, void *arg)
{
	struct submission *s = arg;

	if (kind == MIME7_HEADER) {
		buf_append(&s->out_hdr, p, n);
		s->hdr_out = true;
		return;
	}
	if (s->hashing)
		dkim_body_update(&s->bh, p, n);
	if (s->scanning && !content_reserve(s->env_->content, n)) {
		/* too much held for the scanners already: this one waits for a retry */
		s->scanning = false;
		s->scan_busy = true;
		buf_release(&s->scan_body);
	} else if (s->scanning) {
		s->scan_reserved += n;
		buf_append(&s->scan_body, p, n);
	}
	buf_append(&s->body, p, n);
	sub_flush_body(s, false);
}

void sub_finish_header(struct submission *s, size_t end)
{
	struct hdr_index ix;
	struct buf h;
	bool bad_stream = false;

	s->phase = PH_BODY;
	if (hdr_index_build(&ix, s->hdr.data, end) < 0) {
		sub_refuse(s, RPL_FROM_INVALID, "the header section is malformed");
		return;
	}
	check_from(s, &ix);
	if (s->fail != RPL_OK) {
		hdr_index_release(&ix);
		return;
	}
	buf_init(&h);
	/* a replayed message (released from quarantine) keeps the trace it came with */
	if (!s->replay)
		buf_append(&h, s->received.data, s->received.len);
	for (size_t i = 0; i < ix.n; i++) {
		const struct hdr_field *f = &ix.fields[i];
		if (hdr_name_is(&ix, f, "X-Postern-Lane")) {
			take_lane(s, s->hdr.data + f->off + f->name_len, f->len - f->name_len);
			continue;
		}
		if (hdr_name_is(&ix, f, "X-Postern-Stream")) {
			if (!take_stream(s, s->hdr.data + f->off + f->name_len,
			                 f->len - f->name_len))
				bad_stream = true;
			continue;
		}
		if (is_owned(&ix, f) && !(s->replay && hdr_name_is(&ix, f, "Received")))
			continue;
		append_field(&h, s->hdr.data + f->off, f->len, f->name_len);
	}
	if (bad_stream) {
		hdr_index_release(&ix);
		buf_release(&h);
		sub_refuse(s, RPL_STREAM_UNKNOWN, NULL);
		return;
	}
	/* checked at RCPT in another stream: again in this one (a refusal is a drop now) */
	if (strcmp(s->stream, s->rcpt_stream) != 0)
		sub_restream(s);
	/* one recipient, so that the link in the signed header is that recipient's */
	if (suppress_broadcast(s->env_->suppress, s->stream) && s->env.nrcpts > 1) {
		hdr_index_release(&ix);
		buf_release(&h);
		sub_refuse(s, RPL_BROADCAST_RCPTS, NULL);
		return;
	}
	if (suppress_broadcast(s->env_->suppress, s->stream) && s->env.nrcpts == 1 &&
	    suppress_headers(s->env_->suppress, s->env.id, s->env.rcpts[0].addr, s->stream,
	                     s->src ? s->src->name : "", &h) < 0) {
		hdr_index_release(&ix);
		buf_release(&h);
		sub_refuse(s, RPL_BROADCAST_RCPTS,
		           "the recipient cannot be put in an unsubscribe link");
		return;
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
	buf_release(&s->received);
	if (dkim_body_init(&s->bh, DKIM_CANON_RELAXED) < 0) {
		buf_release(&h);
		sub_refuse(s, RPL_IO_ERROR, "out of memory");
		return;
	}
	s->hashing = true;
	/* a released message was scanned when it was held (unless a scanner was down) */
	s->scanning = (!s->replay || s->rescan) && content_wanted(s->env_->content, s->src);
	/* the envelope, now that the stream has decided who it goes to */
	qrec_put_envelope(spool_msg_buf(s->msg), &s->env);
	s->conv = mime7_new(h.data, h.len, MIME7_WINDOW, conv_sink, s);
	buf_release(&h);
}

void sub_convert(struct submission *s, const char *p, size_t n)
{
	char err[256];

	if (s->fail != RPL_OK || s->conv == NULL)
		return;
	if (mime7_write(s->conv, p, n, err, sizeof(err)) < 0)
		sub_refuse(s, RPL_CONTENT_CONVERT, err);
}

int sub_prepare_signatures(struct submission *s)
{
	unsigned char bh[DKIM_HASH_LEN];
	char err[256];
	int64_t t = (int64_t)(s->env.arrival_ms / 1000);

	if (!s->hdr_out || s->nkeys == 0) {
		sub_refuse(s, RPL_SIGN_FAILED, "nothing to sign");
		return -1;
	}
	dkim_body_final(&s->bh, bh);
	s->hashing = false;
	memset(&s->sreq, 0, sizeof(s->sreq));
	for (size_t i = 0; i < s->nkeys; i++) {
		struct dkim_sig_params p = {
		        .alg = s->keys[i]->alg,
		        .hcanon = DKIM_CANON_RELAXED,
		        .bcanon = DKIM_CANON_RELAXED,
		        .domain = s->sign_domain,
		        .selector = s->keys[i]->selector,
		        .timestamp = t,
		        .expire = s->env_->dkim_expire > 0 ? t + s->env_->dkim_expire : 0,
		        .headers = signed_fields,
		        .nheaders = NELEM(signed_fields),
		};
		buf_reset(&s->fields[i]);
		if (dkim_sig_prepare(&p, s->out_hdr.data, s->out_hdr.len, bh, &s->fields[i],
		                     s->sreq.item[i].digest, err, sizeof(err)) < 0) {
			char hex[ID_HEXLEN + 1];
			log_err("msg=%s dkim prepare failed error=\"%s\"",
			        id_format(s->env.id, hex), err);
			sub_refuse(s, RPL_SIGN_FAILED, NULL);
			return -1;
		}
		s->sreq.item[i].key = s->keys[i];
	}
	s->sreq.n = s->nkeys;
	return 0;
}

int sub_finish_signatures(struct submission *s)
{
	buf_reset(&s->sigs);
	for (size_t i = 0; i < s->sreq.n; i++) {
		dkim_sig_finish(&s->fields[i], s->sreq.item[i].sig, s->sreq.item[i].siglen);
		buf_append(&s->sigs, s->fields[i].data, s->fields[i].len);
	}
	return 0;
}

/* a JSON string value: the reason is ours, but it quotes addresses the client chose */
static void json_str(struct buf *b, const char *v)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_putc(b, (char)*p);
	}
	buf_putc(b, '"');
}

/* the short word statistics group refusals by */
const char *submission_reason_key(const struct submission *s, enum reply r)
{
	switch (r) {
	case RPL_SOURCE_LIMIT:
		return submission_limit_hit(s) ? submission_limit_hit(s) : "limit";
	case RPL_SOURCE_SUSPENDED:
		return "suspended";
	case RPL_SENDER_DENIED:
	case RPL_FROM_DENIED:
	case RPL_FROM_INVALID:
		return "identity";
	case RPL_NO_SIGNING_KEY:
		return "no_signing_key";
	case RPL_SIGN_FAILED:
		return "signing";
	case RPL_SIZE_EXCEEDED:
	case RPL_HEADER_TOO_BIG:
		return "size";
	case RPL_CONTENT_NUL:
	case RPL_CONTENT_CONVERT:
		return "content";
	case RPL_DISK_FULL:
	case RPL_IO_ERROR:
		return "storage";
	case RPL_VIRUS:
		return "virus";
	case RPL_SPAM:
	case RPL_SPAM_TEMP:
		return "spam";
	case RPL_DLP:
		return "dlp";
	case RPL_SCAN_TEMP:
		return "scanner";
	default:
		return "other";
	}
}

void sub_record_refusal(struct submission *s, enum reply r)
{
	const struct reply_def *def = reply_def(r);
	struct buf detail;

	buf_init(&detail);
	buf_printf(&detail, "{\"code\":%d,\"reason\":", def->code);
	json_str(&detail, s->reason[0] ? s->reason : def->text);
	if (s->scan_json)
		buf_printf(&detail, ",\"scan\":%s", s->scan_json);
	buf_puts(&detail, "}");
	eventlog_reject(s->events, s->env.id, s->src ? s->src->name : NULL, s->env.sender, NULL,
	                def->enh, submission_reason_key(s, r), detail.data);
	buf_release(&detail);
}
