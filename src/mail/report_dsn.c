/*
 * report_dsn.c - the machine-readable parts of reports: the blocks of a
 * message/delivery-status (RFC 3464 2.1: one per-message block, then one
 * block per recipient, separated by empty lines) and the fields of a
 * message/feedback-report (RFC 5965 3.1); and the class of a status code.
 * The content is untrusted: fields may be missing, repeated, folded, long
 * or full of controls, and blocks may be many.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "strutil.h"
#include "utf8.h"
#include "xmalloc.h"

#define FEEDBACK_TYPE_MAX 64

/* first_word - the value's first word (up to white space, '(' or ';') into dst; "" if it
 * is longer than cap - 1 or holds a control */
static size_t first_word(const char *v, size_t n, char *dst, size_t cap)
{
	char tmp[64];
	bool cut;
	size_t len = rpt_unfold(v, n, tmp, sizeof(tmp) - 1, &cut), w = 0;

	while (w < len && tmp[w] != ' ' && tmp[w] != '(' && tmp[w] != ';')
		w++;
	if (w >= cap || (cut && w == len) || !rpt_clean(tmp, w)) {
		dst[0] = '\0';
		return 0;
	}
	memcpy(dst, tmp, w);
	dst[w] = '\0';
	return w;
}

/* status_ok - an enhanced status code: class 2, 4 or 5, then 1-3 digits twice */
static bool status_ok(const char *s)
{
	size_t i = 1;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return false;
	for (int part = 0; part < 2; part++) {
		size_t d = 0;
		if (s[i++] != '.')
			return false;
		while (s[i] >= '0' && s[i] <= '9' && d < 4)
			i++, d++;
		if (d == 0 || d > 3)
			return false;
	}
	return s[i] == '\0';
}

static void set_action(struct report_rcpt *r, const struct rpt_field *f)
{
	static const char *const known[] = {"failed", "delayed", "delivered", "relayed",
	                                    "expanded"};
	char w[REPORT_ACTION_LEN];

	first_word(f->val, f->val_len, w, sizeof(w));
	ascii_strlower(w);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(w, known[i]) == 0)
			memcpy(r->action, w, strlen(w) + 1);
}

static void set_status(struct report_rcpt *r, const struct rpt_field *f)
{
	char w[REPORT_STATUS_LEN];

	first_word(f->val, f->val_len, w, sizeof(w));
	if (status_ok(w))
		memcpy(r->status, w, strlen(w) + 1);
}

/*
 * diagnostic - the text after the type: unfolded, tabs as spaces, other
 * controls dropped, invalid UTF-8 as '?', cut to REPORT_DIAG_MAX octets on
 * a character boundary. NULL if nothing is left.
 */
static char *diagnostic(const char *v, size_t n)
{
	char tmp[4 * REPORT_DIAG_MAX + 1];
	bool cut;
	size_t len, o = 0;

	rpt_after_type(&v, &n);
	len = rpt_unfold(v, n, tmp, sizeof(tmp) - 1, &cut);
	for (size_t i = 0; i < len && o < REPORT_DIAG_MAX;) {
		unsigned char c = (unsigned char)tmp[i];
		size_t l = utf8_seq_len((const unsigned char *)tmp + i, len - i);
		if (c < 0x20 || c == 0x7f) {
			i++;
			continue;
		}
		if (l == 0) {
			tmp[o++] = '?';
			i++;
			continue;
		}
		if (o + l > REPORT_DIAG_MAX)
			break;
		memmove(tmp + o, tmp + i, l);
		o += l;
		i += l;
	}
	while (o > 0 && tmp[o - 1] == ' ')
		o--;
	return o ? xstrndup(tmp, o) : NULL;
}

static char *remote_mta(const char *v, size_t n)
{
	rpt_after_type(&v, &n);
	return rpt_strict(v, n, REPORT_VALUE_MAX);
}

static void rcpt_release(struct report_rcpt *r)
{
	free(r->final_rcpt);
	free(r->original_rcpt);
	free(r->diagnostic);
	free(r->remote_mta);
	memset(r, 0, sizeof(*r));
}

/*
 * block - read the block at p[*pos..n) into r (the first of each field
 * counts); *pos ends on the empty line after it, or at n. True if it is a
 * per-recipient block: it has Final-Recipient, Original-Recipient or Action.
 */
static bool block(const char *p, size_t n, size_t *pos, struct report_rcpt *r)
{
	struct rpt_field f;
	bool fin = false, orig = false, act = false, st = false, diag = false, mta = false;

	while (rpt_next_field(p, n, pos, &f)) {
		if (!fin && rpt_is_named(&f, "Final-Recipient")) {
			fin = true;
			r->final_rcpt = rpt_addr(f.val, f.val_len, true);
		} else if (!orig && rpt_is_named(&f, "Original-Recipient")) {
			orig = true;
			r->original_rcpt = rpt_addr(f.val, f.val_len, true);
		} else if (!act && rpt_is_named(&f, "Action")) {
			act = true;
			set_action(r, &f);
		} else if (!st && rpt_is_named(&f, "Status")) {
			st = true;
			set_status(r, &f);
		} else if (!diag && rpt_is_named(&f, "Diagnostic-Code")) {
			diag = true;
			r->diagnostic = diagnostic(f.val, f.val_len);
		} else if (!mta && rpt_is_named(&f, "Remote-MTA")) {
			mta = true;
			r->remote_mta = remote_mta(f.val, f.val_len);
		}
	}
	return fin || orig || act;
}

int rpt_dsn(struct report *out, const char *p, size_t n, char *err, size_t errlen)
{
	size_t pos = 0, cap = 0;

	/*
	 * The per-message block comes first, but some writers leave it out:
	 * any block with a recipient's fields is taken as a recipient's.
	 */
	while (pos < n) {
		size_t c, len = rpt_line(p, n, pos, &c);
		if (c == 0) {
			pos += len;
			continue;
		}
		struct report_rcpt r = {0};
		if (!block(p, n, &pos, &r)) {
			rcpt_release(&r);
			continue;
		}
		if (out->nrcpts == REPORT_RCPTS_MAX) {
			/* counted, not kept: the work stays linear in the part's size */
			rcpt_release(&r);
			out->rcpts_dropped++;
			continue;
		}
		if (out->nrcpts == cap) {
			cap = cap ? 2 * cap : 4;
			out->rcpts = xrealloc(out->rcpts, cap * sizeof(*out->rcpts));
		}
		out->rcpts[out->nrcpts++] = r;
	}
	if (out->nrcpts == 0) {
		snprintf(err, errlen, "delivery-status part without a per-recipient block");
		return -1;
	}
	return 0;
}

/* feedback_type - the value's first word, lower case, if a token of [a-z0-9._-] */
static char *feedback_type(const char *v, size_t n)
{
	char w[FEEDBACK_TYPE_MAX + 1];
	size_t len = first_word(v, n, w, sizeof(w));

	if (len == 0)
		return NULL;
	ascii_strlower(w);
	for (size_t i = 0; i < len; i++)
		if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= '0' && w[i] <= '9') || w[i] == '-' ||
		      w[i] == '.' || w[i] == '_'))
			return NULL;
	return xstrdup(w);
}

int rpt_arf(struct report *out, const char *p, size_t n, char *err, size_t errlen)
{
	struct rpt_field f;
	size_t pos = 0;
	bool type = false, rcpt = false, from = false;

	/* one block by RFC 5965; an empty line inside is skipped rather than trusted */
	while (pos < n) {
		if (!rpt_next_field(p, n, &pos, &f)) {
			size_t c;
			pos += rpt_line(p, n, pos, &c);
			continue;
		}
		if (!type && rpt_is_named(&f, "Feedback-Type")) {
			type = true;
			out->feedback_type = feedback_type(f.val, f.val_len);
		} else if (!rcpt && rpt_is_named(&f, "Original-Rcpt-To")) {
			rcpt = true;
			out->arf_rcpt = rpt_addr(f.val, f.val_len, true);
		} else if (!from && rpt_is_named(&f, "Original-Mail-From")) {
			from = true;
			out->arf_mail_from = rpt_addr(f.val, f.val_len, true);
		}
	}
	if (out->feedback_type == NULL) {
		snprintf(err, errlen, "feedback report %s",
		         type ? "with an invalid Feedback-Type" : "without Feedback-Type");
		return -1;
	}
	return 0;
}

enum report_bounce report_bounce_class(const char *status)
{
	if (status == NULL || !status_ok(status))
		return REPORT_BOUNCE_OTHER;
	if (status[0] == '4')
		return REPORT_BOUNCE_SOFT;
	if (status[0] != '5')
		return REPORT_BOUNCE_OTHER;
	/* status_ok: "5." then 1-3 digits, '.', 1-3 digits */
	const char *s = status + 2;
	char *end;
	long subject = strtol(s, &end, 10);
	long detail = strtol(end + 1, NULL, 10);

	switch (subject) {
	case 1:
		return (detail == 7 || detail == 8) ? REPORT_BOUNCE_OTHER : REPORT_BOUNCE_HARD;
	case 2:
		return detail == 1   ? REPORT_BOUNCE_HARD
		       : detail == 2 ? REPORT_BOUNCE_SOFT
		                     : REPORT_BOUNCE_OTHER;
	case 3:
	case 4:
		return REPORT_BOUNCE_SOFT;
	default:
		return REPORT_BOUNCE_OTHER;
	}
}
