/*
 * smtp_xact.c - the mail transaction on an outbound connection: MAIL FROM
 * with SIZE, BODY, SMTPUTF8 and the DSN parameters, each RCPT, DATA, and the
 * content streamed from the queue file with dot-stuffing. Pipelined (RFC 2920)
 * when the server offers it. A message the server cannot take as it is
 * (SMTPUTF8, 8-bit, SIZE) is refused without sending, never downgraded.
 */
#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>

#include "smtp_conn.h"
#include "strutil.h"

static bool body_8bit(const struct qmsg *m)
{
	if (m->env.body == BODY_8BITMIME)
		return true;
	for (size_t i = 0; i < m->header.n; i++)
		if ((unsigned char)m->header.p[i] >= 0x80)
			return true;
	return false;
}

/* a message the server cannot take as it is: refuse it without sending */
static bool refuse_unsendable(struct conn *c)
{
	const struct qmsg *m = c->msg->msg;

	if (m->env.smtputf8 && !c->caps.smtputf8) {
		smtp_finish_msg(c, MTA_PERM, 0, "5.6.7",
		                "the message needs SMTPUTF8 and the server does not support it");
		return true;
	}
	if (body_8bit(m) && !c->caps.eightbitmime && !c->caps.smtputf8) {
		smtp_finish_msg(
		        c, MTA_PERM, 0, "5.6.3",
		        "the message has 8-bit content and the server does not support 8BITMIME");
		return true;
	}
	if (c->caps.size && c->caps.size_max && m->size > c->caps.size_max) {
		char text[200];
		snprintf(text, sizeof(text),
		         "the message (%llu octets) exceeds the server's limit (%llu)",
		         (unsigned long long)m->size, (unsigned long long)c->caps.size_max);
		smtp_finish_msg(c, MTA_PERM, 0, "5.3.4", text);
		return true;
	}
	return false;
}

static void notify_param(unsigned notify, char *dst, size_t n)
{
	static const struct {
		unsigned bit;
		const char *name;
	} w[] = {{DSN_NOTIFY_NEVER, "NEVER"},
	         {DSN_NOTIFY_SUCCESS, "SUCCESS"},
	         {DSN_NOTIFY_FAILURE, "FAILURE"},
	         {DSN_NOTIFY_DELAY, "DELAY"}};
	size_t o = 0;

	dst[0] = '\0';
	for (size_t i = 0; i < 4; i++)
		if (notify & w[i].bit)
			o += (size_t)snprintf(dst + o, n - o, "%s%s", o ? "," : "", w[i].name);
}

static void send_rcpt(struct conn *c, size_t i)
{
	const struct envelope_rcpt *r = &c->msg->msg->env.rcpts[c->msg->rcpt[i]];
	char notify[64];

	if (c->caps.dsn && (r->notify || r->orcpt)) {
		notify_param(r->notify, notify, sizeof(notify));
		smtp_cmd(c, "RCPT TO:<%s>%s%s%s%s", r->addr, r->notify ? " NOTIFY=" : "", notify,
		         r->orcpt ? " ORCPT=" : "", r->orcpt ? r->orcpt : "");
	} else {
		smtp_cmd(c, "RCPT TO:<%s>", r->addr);
	}
}

void smtp_xact_start(struct conn *c)
{
	struct envelope *e;
	char params[256];
	size_t o = 0;

	if (c->msgs >= (unsigned)c->m->cfg.msgs_per_conn ||
	    (c->msg = c->feed.next(c->feed.arg)) == NULL) {
		if (c->msgs < (unsigned)c->m->cfg.msgs_per_conn && c->feed.idle &&
		    c->m->cfg.reuse_ms > 0) {
			/* kept for the next message to this destination, for a while */
			c->state = C_IDLE;
			smtp_deadline(c, c->m->cfg.reuse_ms);
			c->feed.idle(c->feed.arg, true);
			return;
		}
		smtp_quit(c);
		return;
	}
	c->carried = true;
	c->msgs++;
	c->rcpt_sent = c->rcpt_replied = c->accepted = 0;
	c->mail_ok = false;
	for (size_t i = 0; i < c->msg->nrcpt; i++)
		memset(&c->msg->res[i], 0, sizeof(c->msg->res[i]));
	if (refuse_unsendable(c)) {
		smtp_xact_start(c);
		return;
	}
	e = (struct envelope *)&c->msg->msg->env;
	params[0] = '\0';
	if (c->caps.size)
		o += (size_t)snprintf(params + o, sizeof(params) - o, " SIZE=%llu",
		                      (unsigned long long)c->msg->msg->size);
	if (body_8bit(c->msg->msg) && c->caps.eightbitmime)
		o += (size_t)snprintf(params + o, sizeof(params) - o, " BODY=8BITMIME");
	if (e->smtputf8)
		o += (size_t)snprintf(params + o, sizeof(params) - o, " SMTPUTF8");
	if (c->caps.dsn) {
		if (e->ret != DSN_RET_DEFAULT)
			o += (size_t)snprintf(params + o, sizeof(params) - o, " RET=%s",
			                      e->ret == DSN_RET_FULL ? "FULL" : "HDRS");
		if (e->envid)
			o += (size_t)snprintf(params + o, sizeof(params) - o, " ENVID=%s",
			                      e->envid);
	}
	c->msg->dsn_relayed = c->caps.dsn;
	c->state = C_MAIL;
	smtp_cmd(c, "MAIL FROM:<%s>%s", c->msg->mail_from ? c->msg->mail_from : e->sender, params);
	if (c->caps.pipelining) {
		/* RFC 2920: the whole envelope and DATA in one go */
		for (size_t i = 0; i < c->msg->nrcpt; i++)
			send_rcpt(c, i);
		c->rcpt_sent = c->msg->nrcpt;
		smtp_cmd(c, "DATA");
	}
	smtp_deadline(c, c->m->cfg.command_timeout_ms);
}

/* copy n octets of p into out with dot-stuffing, tracking line starts */
static void stuff(struct conn *c, struct evbuffer *out, const char *p, size_t n)
{
	size_t from = 0;

	for (size_t i = 0; i < n; i++) {
		if (c->at_bol && p[i] == '.') {
			evbuffer_add(out, p + from, i - from);
			evbuffer_add(out, ".", 1);
			from = i;
		}
		c->at_bol = p[i] == '\n';
	}
	evbuffer_add(out, p + from, n - from);
}

/* the octets of span k of the message as sent: header, "\r\n", body... */
static bool span_at(const struct qmsg *m, size_t k, const char **p, size_t *n)
{
	if (k == 0) {
		*p = m->header.p;
		*n = m->header.n;
	} else if (k == 1) {
		*p = "\r\n";
		*n = 2;
	} else if (k - 2 < m->nbody) {
		*p = m->body[k - 2].p;
		*n = m->body[k - 2].n;
	} else {
		return false;
	}
	return true;
}

/* feed the body while the output buffer is small; the write callback calls again */
void smtp_xact_pump_body(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const char *p;
	size_t n;

	while (evbuffer_get_length(out) < BODY_CHUNK) {
		if (!span_at(c->msg->msg, c->span, &p, &n)) {
			evbuffer_add(out, ".\r\n", 3);
			c->expect++;
			c->state = C_DOT;
			/* RFC 5321 4.5.3.2.6: ten minutes for the reply to the final dot */
			smtp_deadline(c, c->m->cfg.data_timeout_ms);
			return;
		}
		size_t take = n - c->span_off < BODY_CHUNK ? n - c->span_off : BODY_CHUNK;
		stuff(c, out, p + c->span_off, take);
		c->span_off += take;
		if (c->span_off == n) {
			c->span++;
			c->span_off = 0;
		}
	}
	smtp_deadline(c, c->m->cfg.command_timeout_ms);
}

static void end_transaction(struct conn *c, bool need_rset)
{
	smtp_finish_msg(c, MTA_TEMP, 0, "4.4.2", "no reply");
	if (need_rset) {
		c->state = C_RSET;
		smtp_cmd(c, "RSET");
		smtp_deadline(c, c->m->cfg.command_timeout_ms);
		return;
	}
	c->state = C_READY;
	smtp_xact_start(c);
}

void smtp_xact_mail_reply(struct conn *c)
{
	smtp_result_from_reply(c, &c->mail_res);
	c->mail_ok = c->reply.code / 100 == 2;
	if (!c->mail_ok) {
		/* the sender was refused: every recipient shares that answer */
		for (size_t i = 0; i < c->msg->nrcpt; i++)
			c->msg->res[i] = c->mail_res;
	}
	if (c->caps.pipelining) {
		c->state = c->msg->nrcpt ? C_RCPT : C_DATA;
		return;
	}
	if (!c->mail_ok) {
		end_transaction(c, false);
		return;
	}
	c->state = C_RCPT;
	send_rcpt(c, 0);
	c->rcpt_sent = 1;
	smtp_deadline(c, c->m->cfg.command_timeout_ms);
}

void smtp_xact_rcpt_reply(struct conn *c)
{
	size_t i = c->rcpt_replied++;

	if (c->mail_ok) {
		smtp_result_from_reply(c, &c->msg->res[i]);
		if (c->reply.code / 100 == 2) {
			c->accepted++;
			/* accepted for now: the final reply decides; clear so it is filled then */
			c->msg->res[i].dsn[0] = '\0';
		}
	}
	if (c->rcpt_replied < c->msg->nrcpt) {
		if (!c->caps.pipelining) {
			send_rcpt(c, c->rcpt_sent++);
			smtp_deadline(c, c->m->cfg.command_timeout_ms);
		}
		return;
	}
	if (c->caps.pipelining) {
		c->state = C_DATA;
		return;
	}
	if (c->accepted == 0) {
		end_transaction(c, true);
		return;
	}
	c->state = C_DATA;
	smtp_cmd(c, "DATA");
	smtp_deadline(c, c->m->cfg.command_timeout_ms);
}

void smtp_xact_data_reply(struct conn *c)
{
	if (c->reply.code == 354 && c->accepted > 0) {
		c->state = C_BODY;
		c->span = 0;
		c->span_off = 0;
		c->at_bol = true;
		smtp_xact_pump_body(c);
		return;
	}
	if (c->reply.code == 354) {
		/* pipelined DATA accepted with no recipient: end the empty message */
		evbuffer_add(bufferevent_get_output(c->bev), ".\r\n", 3);
		c->expect++;
		c->state = C_DOT;
		smtp_deadline(c, c->m->cfg.command_timeout_ms);
		return;
	}
	if (c->reply.code / 100 == 2) {
		/* DATA "accepted" without 354: nothing was sent, so nothing was delivered */
		smtp_protocol_failure(c, "DATA answered with 2xx instead of 354");
		return;
	}
	struct mta_result r;
	smtp_result_from_reply(c, &r);
	for (size_t i = 0; i < c->msg->nrcpt; i++)
		if (c->msg->res[i].dsn[0] == '\0')
			c->msg->res[i] = r;
	end_transaction(c, c->mail_ok);
}

void smtp_xact_dot_reply(struct conn *c)
{
	struct mta_result r;

	smtp_result_from_reply(c, &r);
	for (size_t i = 0; i < c->msg->nrcpt; i++)
		if (c->msg->res[i].dsn[0] == '\0')
			c->msg->res[i] = r;
	end_transaction(c, false);
}
