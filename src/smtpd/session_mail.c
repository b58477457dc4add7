/*
 * session_mail.c - the mail transaction: MAIL, RCPT, DATA and BDAT, reading
 * message content, and answering once the spool has committed it.
 */
#include <event2/buffer.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "address.h"
#include "esmtp.h"
#include "eventlog.h"
#include "id.h"
#include "identity.h"
#include "log.h"
#include "mime7.h"
#include "received.h"
#include "session.h"
#include "smtp_cmd.h"
#include "sources.h"
#include "strutil.h"
#include "submission.h"

static const struct esmtp_ext ext = {.smtputf8 = true, .eightbit = true, .dsn = true};

void cmd_mail(struct session *s, const char *arg)
{
	struct smtpd_view v;
	struct mailaddr a;
	struct mail_params mp;
	const char *end;
	enum reply why;

	smtpd_view(s->d, &v);
	if (!s->greeted) {
		session_fail(s, RPL_NEED_HELO, NULL);
		return;
	}
	if (s->state == SMTP_ST_MAIL || s->state == SMTP_ST_RCPT) {
		session_fail(s, RPL_BAD_SEQUENCE, "Sender already given");
		return;
	}
	/* nothing unauthenticated is ever relayed, whatever the address says */
	if (s->src == NULL) {
		session_fail(s, RPL_AUTH_REQUIRED, NULL);
		return;
	}
	/* parse the path permissively for UTF-8, then hold it to SMTPUTF8 below */
	if (addr_parse_path(arg, ADDR_SENDER, true, &a, &end, &why) < 0 ||
	    esmtp_mail_params(end, &ext, &mp, &why) < 0) {
		session_fail(s, why, NULL);
		return;
	}
	if (a.utf8 && !mp.smtputf8) {
		session_fail(s, RPL_NEED_SMTPUTF8, NULL);
		return;
	}
	if (mp.size > v.lim->max_message_size) {
		session_fail(s, RPL_SIZE_EXCEEDED, NULL);
		return;
	}
	/* a source sends only as the identities it was approved for */
	char idwhy[400];
	if (!identity_envelope_ok(s->src, a.addr, idwhy, sizeof(idwhy))) {
		char sess[ID_HEXLEN + 1], esc[500], detail[700];
		log_info("sess=%s rejected source=%s code=553 dsn=5.7.1 reason=%s",
		         id_format(s->id, sess), s->src->name,
		         log_esc(esc, sizeof(esc), idwhy, strlen(idwhy)));
		/* the reason holds the address the client chose: keep quotes out of the JSON */
		for (char *p = idwhy; *p; p++)
			if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
				*p = '?';
		snprintf(detail, sizeof(detail), "{\"code\":553,\"reason\":\"%s\"}", idwhy);
		eventlog_reject(v.deps->events, 0, s->src->name, a.addr, NULL, "5.7.1", "identity",
		                detail);
		session_fail(s, RPL_SENDER_DENIED, idwhy);
		return;
	}
	/* the source's own limits: its message rates, and the size it declares */
	if (submission_check_limits(s->sub, mp.size) != RPL_OK) {
		char sess[ID_HEXLEN + 1], esc[500], detail[700];
		const char *lwhy = submission_reason(s->sub);
		log_info("sess=%s rejected source=%s code=451 dsn=4.7.1 limit=%s reason=%s",
		         id_format(s->id, sess), s->src->name, submission_limit_hit(s->sub),
		         log_esc(esc, sizeof(esc), lwhy, strlen(lwhy)));
		snprintf(detail, sizeof(detail),
		         "{\"code\":451,\"limit\":\"%s\",\"reason\":\"%s\"}",
		         submission_limit_hit(s->sub), lwhy);
		eventlog_reject(v.deps->events, 0, s->src->name, a.addr, NULL, "4.7.1",
		                submission_limit_hit(s->sub), detail);
		session_reply(s, RPL_SOURCE_LIMIT, "%s", lwhy);
		return;
	}
	/* the limits of the moment: a reload applies from the next transaction on */
	struct submission_limits lim = {v.lim->max_message_size, (size_t)v.lim->max_recipients,
	                                (size_t)v.lim->max_header_size};
	submission_set_limits(s->sub, &lim);
	submission_set_sender(s->sub, a.addr, &mp);
	s->smtputf8 = mp.smtputf8;
	s->bdat_used = false;
	s->state = SMTP_ST_MAIL;
	session_reply(s, RPL_SENDER_OK, NULL);
}

void cmd_rcpt(struct session *s, const char *arg)
{
	struct mailaddr a;
	struct rcpt_params rp;
	const char *end;
	enum reply why;

	if ((s->state != SMTP_ST_MAIL && s->state != SMTP_ST_RCPT) || s->bdat_used) {
		session_fail(s, RPL_BAD_SEQUENCE, "Need MAIL before RCPT");
		return;
	}
	if (addr_parse_path(arg, ADDR_RCPT, s->smtputf8, &a, &end, &why) < 0 ||
	    esmtp_rcpt_params(end, &ext, &rp, &why) < 0) {
		session_fail(s, why, NULL);
		return;
	}
	enum reply r = submission_add_rcpt(s->sub, a.addr, &rp);
	if (r == RPL_RCPT_SUPPRESSED) {
		session_reply(s, r, "Recipient suppressed: %s", submission_reason(s->sub));
		return;
	}
	if (r == RPL_SOURCE_LIMIT) {
		session_reply(s, r, "%s", submission_reason(s->sub));
		return;
	}
	if (r != RPL_RCPT_OK) {
		/* not an error of the client's: it sends the rest in another transaction */
		session_reply(s, r, NULL);
		return;
	}
	s->state = SMTP_ST_RCPT;
	session_reply(s, RPL_RCPT_OK, NULL);
}

static void content_sink(const char *p, size_t n, void *arg)
{
	struct session *s = arg;

	submission_data_write(s->sub, p, n);
}

static void begin_content(struct session *s, enum data_mode mode)
{
	struct smtpd_view v;
	struct received_info ri;

	smtpd_view(s->d, &v);
	memset(&ri, 0, sizeof(ri));
	ri.helo = s->helo;
	ri.client_addr = s->peer_addr;
	ri.hostname = v.hostname;
	ri.protocol = received_protocol(s->esmtp, s->tls, s->authenticated, s->smtputf8);
	ri.tls_version = s->tls ? s->tls_version : NULL;
	ri.tls_cipher = s->tls ? s->tls_cipher : NULL;
	ri.source = s->src ? s->src->name : "-";
	submission_data_begin(s->sub, &ri, s->peer_addr, s->helo);
	/* long lines are converted (mime7.h) before signing, not refused, up to a bound */
	data_init(&s->dec, mode, MIME7_LINE_MAX - 2, content_sink, s);
}

void cmd_data(struct session *s)
{
	struct smtpd_view v;

	if (s->bdat_used) {
		session_fail(s, RPL_BAD_SEQUENCE, "DATA cannot follow BDAT");
		return;
	}
	if (s->state == SMTP_ST_MAIL) {
		session_fail(s, RPL_NO_RCPTS, NULL);
		return;
	}
	if (s->state != SMTP_ST_RCPT) {
		session_fail(s, RPL_BAD_SEQUENCE, "Need MAIL and RCPT before DATA");
		return;
	}
	smtpd_view(s->d, &v);
	begin_content(s, DATA_MODE_DOT);
	s->state = SMTP_ST_DATA;
	session_reply(s, RPL_DATA_GO, NULL);
	session_deadline(s, v.lim->data_timeout_ms);
}

static void committed(enum reply r, uint64_t id, void *arg)
{
	struct session *s = arg;
	struct smtpd_view v;
	char hex[ID_HEXLEN + 1], sess[ID_HEXLEN + 1], from[600];

	smtpd_view(s->d, &v);
	s->busy = false;
	id_format(id, hex);
	if (r == RPL_QUEUED) {
		s->nmessages++;
		s->junk = 0;
		const char *sender = submission_sender(s->sub);
		log_info("msg=%s sess=%s accepted source=%s from=<%s> nrcpt=%zu size=%" PRIu64, hex,
		         id_format(s->id, sess), s->src ? s->src->name : "-",
		         log_esc(from, sizeof(from), sender, strlen(sender)),
		         submission_nrcpts(s->sub), submission_size(s->sub));
		session_reply(s, RPL_QUEUED, "Ok: queued as %s", hex);
	} else {
		const char *reason = submission_reason(s->sub);
		log_info("msg=%s sess=%s rejected source=%s code=%d dsn=%s reason=%s", hex,
		         id_format(s->id, sess), s->src ? s->src->name : "-", reply_def(r)->code,
		         reply_def(r)->enh,
		         log_esc(from, sizeof(from), reason ? reason : reply_def(r)->text,
		                 strlen(reason ? reason : reply_def(r)->text)));
		if (r == RPL_SOURCE_SUSPENDED) {
			session_close(s, r, NULL);
			return;
		}
		if (session_fail(s, r, reason))
			return;
	}
	session_reset_transaction(s);
	s->state = SMTP_ST_READY;
	if (smtpd_stopping(s->d)) {
		session_close(s, RPL_SHUTDOWN, NULL);
		return;
	}
	session_deadline(s, v.lim->command_timeout_ms);
	session_resume(s);
}

static void finish_message(struct session *s)
{
	s->busy = true;
	evtimer_del(s->timer);
	submission_data_end(s->sub, committed, s);
}

static void content_error(struct session *s, enum data_status st)
{
	submission_data_abort(s->sub);
	session_close(s, st == DATA_ERR_LONG ? RPL_LINE_TOO_LONG : RPL_BARE_CRLF, NULL);
}

/* BDAT <size> [LAST] (RFC 3030 2) */
static int parse_bdat(const char *arg, uint64_t *size, bool *last)
{
	char num[21];
	size_t n = strspn(arg, "0123456789");

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, arg, n);
	num[n] = '\0';
	if (parse_u64(num, UINT64_MAX, size) < 0)
		return -1;
	const char *rest = arg + n;
	while (*rest == ' ')
		rest++;
	*last = false;
	if (*rest == '\0')
		return 0;
	if (!ascii_iprefix(rest, "LAST"))
		return -1;
	rest += 4;
	while (*rest == ' ')
		rest++;
	*last = true;
	return *rest == '\0' ? 0 : -1;
}

static void chunk_done(struct session *s)
{
	struct smtpd_view v;

	smtpd_view(s->d, &v);
	if (s->bdat_fail != RPL_OK) {
		enum reply r = s->bdat_fail;
		s->bdat_fail = RPL_OK;
		if (s->bdat_used)
			submission_data_abort(s->sub);
		session_reset_transaction(s);
		s->state = s->greeted ? SMTP_ST_READY : SMTP_ST_GREETED;
		if (!session_fail(s, r, NULL))
			session_deadline(s, v.lim->command_timeout_ms);
		return;
	}
	if (!s->bdat_last) {
		s->state = SMTP_ST_RCPT;
		session_reply(s, RPL_OK, "%" PRIu64 " octets received", submission_size(s->sub));
		session_deadline(s, v.lim->command_timeout_ms);
		return;
	}
	enum data_status st = data_finish_chunks(&s->dec);
	if (st != DATA_END) {
		content_error(s, st);
		return;
	}
	s->state = SMTP_ST_RCPT;
	finish_message(s);
}

void cmd_bdat(struct session *s, const char *arg)
{
	struct smtpd_view v;
	uint64_t size;
	bool last;

	smtpd_view(s->d, &v);
	/* without a valid size the chunk cannot be skipped: the stream is lost */
	if (parse_bdat(arg, &size, &last) < 0) {
		session_close(s, RPL_SYNTAX,
		              "BDAT needs a chunk size and optionally LAST; closing");
		return;
	}
	if (size > v.lim->max_message_size) {
		session_close(s, RPL_SIZE_EXCEEDED,
		              "Chunk exceeds the maximum message size; closing");
		return;
	}
	s->bdat_fail = RPL_OK;
	if (s->state == SMTP_ST_MAIL)
		s->bdat_fail = RPL_NO_RCPTS;
	else if (s->state != SMTP_ST_RCPT)
		s->bdat_fail = RPL_BAD_SEQUENCE;
	if (s->bdat_fail == RPL_OK && !s->bdat_used) {
		begin_content(s, DATA_MODE_CHUNK);
		s->bdat_used = true;
	}
	s->bdat_left = size;
	s->bdat_last = last;
	s->state = SMTP_ST_BDAT;
	session_deadline(s, v.lim->data_timeout_ms);
	if (size == 0)
		chunk_done(s);
}

static void read_dot(struct session *s, struct evbuffer *in)
{
	struct evbuffer_iovec iov;

	while (s->state == SMTP_ST_DATA && evbuffer_peek(in, -1, NULL, &iov, 1) > 0) {
		size_t used = 0;
		enum data_status st = data_feed(&s->dec, iov.iov_base, iov.iov_len, &used);
		evbuffer_drain(in, used);
		if (st == DATA_MORE)
			continue;
		if (st == DATA_END) {
			s->state = SMTP_ST_RCPT;
			finish_message(s);
		} else {
			content_error(s, st);
		}
		return;
	}
}

static void read_chunk(struct session *s, struct evbuffer *in)
{
	struct evbuffer_iovec iov;

	while (s->state == SMTP_ST_BDAT && s->bdat_left > 0 &&
	       evbuffer_peek(in, -1, NULL, &iov, 1) > 0) {
		size_t n = iov.iov_len < s->bdat_left ? iov.iov_len : (size_t)s->bdat_left;
		if (s->bdat_fail == RPL_OK) {
			size_t used = 0;
			enum data_status st = data_feed(&s->dec, iov.iov_base, n, &used);
			if (st != DATA_MORE) {
				content_error(s, st);
				return;
			}
		}
		evbuffer_drain(in, n);
		s->bdat_left -= n;
	}
	if (s->state == SMTP_ST_BDAT && s->bdat_left == 0)
		chunk_done(s);
}

void session_read_content(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);

	if (s->state == SMTP_ST_DATA)
		read_dot(s, in);
	else
		read_chunk(s, in);
}
