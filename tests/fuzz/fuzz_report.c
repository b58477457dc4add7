/*
 * fuzz_report.c - libFuzzer: the delivery report reader. The input is the
 * message. It is read twice (the second time from a fresh copy) and the two
 * readings must agree; each must keep the contract of report.h: 0 or -1,
 * a reason exactly on -1 and then an empty report, nothing but the kind's
 * own fields filled, at most REPORT_RCPTS_MAX recipients, every string
 * NUL-terminated UTF-8 without controls and within its cap, addresses with
 * an '@' and no white space, actions and statuses from their sets. Each
 * status is classified, and so is the start of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "report.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* str - a string the reader handed back: clean, within max octets */
static void str(struct buf *log, const char *s, size_t max, bool addr)
{
	if (s == NULL) {
		buf_puts(log, "-|");
		return;
	}
	size_t n = strlen(s);
	if (n == 0 || n > max || !utf8_valid(s, n))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
	if (addr && (strchr(s, '@') == NULL || strchr(s, ' ') || s[0] == '@'))
		abort();
	buf_append(log, s, n);
	buf_putc(log, '|');
}

static void action(const char *a)
{
	static const char *const ok[] = {"",          "failed",  "delayed",
	                                 "delivered", "relayed", "expanded"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(a, ok[i]) == 0)
			return;
	abort();
}

static void status(const char *s)
{
	size_t n = strnlen(s, REPORT_STATUS_LEN);

	if (n == REPORT_STATUS_LEN)
		abort();
	if (n > 0 && (n < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.'))
		abort();
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '.' || (s[i] >= '0' && s[i] <= '9')))
			abort();
	enum report_bounce c = report_bounce_class(s);
	if (c != REPORT_BOUNCE_HARD && c != REPORT_BOUNCE_SOFT && c != REPORT_BOUNCE_OTHER)
		abort();
	if (n == 0 && c != REPORT_BOUNCE_OTHER)
		abort();
}

/* one reading, rendered into log for the comparison */
static void run(const uint8_t *data, size_t size, struct buf *log)
{
	char *msg = malloc(size ? size : 1);
	char err[160];
	struct report r;

	memcpy(msg, data, size);
	memset(err, 'x', sizeof(err));
	int rc = report_parse(msg, size, &r, err, sizeof(err));
	if (rc != 0 && rc != -1)
		abort();
	if (strnlen(err, sizeof(err)) == sizeof(err) || (rc == -1) != (err[0] != '\0'))
		abort();
	if (rc == -1 || r.kind == REPORT_NONE) {
		if (r.kind != REPORT_NONE || r.rcpts || r.nrcpts || r.rcpts_dropped ||
		    r.feedback_type || r.arf_rcpt || r.arf_mail_from || r.orig_to ||
		    r.orig_message_id || r.orig_list_unsubscribe)
			abort();
	}
	if (r.kind == REPORT_DSN &&
	    (r.nrcpts == 0 || r.nrcpts > REPORT_RCPTS_MAX || r.rcpts == NULL || r.feedback_type ||
	     r.arf_rcpt || r.arf_mail_from || (r.rcpts_dropped && r.nrcpts != REPORT_RCPTS_MAX)))
		abort();
	if (r.kind == REPORT_ARF && (r.nrcpts || r.rcpts || r.feedback_type == NULL))
		abort();
	buf_printf(log, "%d %d %s %zu %zu|", rc, r.kind, err, r.nrcpts, r.rcpts_dropped);
	for (size_t i = 0; i < r.nrcpts; i++) {
		const struct report_rcpt *p = &r.rcpts[i];
		str(log, p->final_rcpt, 254, true);
		str(log, p->original_rcpt, 254, true);
		str(log, p->diagnostic, REPORT_DIAG_MAX, false);
		str(log, p->remote_mta, REPORT_VALUE_MAX, false);
		if (strnlen(p->action, REPORT_ACTION_LEN) == REPORT_ACTION_LEN)
			abort();
		action(p->action);
		status(p->status);
		buf_printf(log, "%s|%s|", p->action, p->status);
	}
	str(log, r.feedback_type, 64, false);
	str(log, r.arf_rcpt, 254, true);
	str(log, r.arf_mail_from, 254, true);
	str(log, r.orig_to, 254, true);
	str(log, r.orig_message_id, REPORT_VALUE_MAX, false);
	str(log, r.orig_list_unsubscribe, REPORT_UNSUB_MAX, false);
	if (r.orig_message_id && (r.orig_message_id[0] != '<' ||
	                          r.orig_message_id[strlen(r.orig_message_id) - 1] != '>'))
		abort();
	report_free(&r);
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a, b;
	char code[REPORT_STATUS_LEN];

	if (size > 1024 * 1024)
		return 0;
	buf_init(&a);
	buf_init(&b);
	run(data, size, &a);
	run(data, size, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	buf_release(&a);
	buf_release(&b);
	/* the classifier over the input's start, as any string */
	size_t n = size < sizeof(code) - 1 ? size : sizeof(code) - 1;
	memcpy(code, data, n);
	code[n] = '\0';
	if (report_bounce_class(code) > REPORT_BOUNCE_OTHER)
		abort();
	return 0;
}
