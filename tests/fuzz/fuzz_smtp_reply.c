/*
 * fuzz_smtp_reply.c - libFuzzer: a remote server's replies, as the SMTP client
 * reads them. The input is split into lines at LF (a CR before the LF is part
 * of the line end; any other CR stays in the line); each line, in a buffer of
 * exactly its length, is fed to smtp_reply_feed and, after the first line of a
 * reply, to smtp_ehlo_caps_line. A complete reply is checked for consistency;
 * when its text kept every line, smtp_ehlo_caps on the text must agree with
 * the line-by-line capabilities. A refused line starts a new reply. Any
 * inconsistency aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the state is always sane, whatever was fed */
static void check_state(const struct smtp_reply *r)
{
	if (r->textlen >= sizeof(r->text) || r->text[r->textlen] != '\0' ||
	    strlen(r->text) != r->textlen)
		abort();
	if (r->code != 0 && (r->code < 200 || r->code > 599))
		abort();
	if (strnlen(r->enh, sizeof(r->enh)) >= sizeof(r->enh))
		abort();
}

static bool same_caps(const struct smtp_caps *a, const struct smtp_caps *b)
{
	return a->pipelining == b->pipelining && a->eightbitmime == b->eightbitmime &&
	       a->smtputf8 == b->smtputf8 && a->starttls == b->starttls &&
	       a->chunking == b->chunking && a->dsn == b->dsn && a->enhanced == b->enhanced &&
	       a->auth_plain == b->auth_plain && a->auth_login == b->auth_login &&
	       a->size == b->size && a->size_max == b->size_max;
}

/*
 * a complete reply: a code of 2xx-5xx, an enhanced code of its class, a first
 * line that starts the text; all_kept: the text holds every line
 */
static void check_complete(const struct smtp_reply *r, const struct smtp_caps *by_line,
                           bool all_kept)
{
	struct smtp_caps caps;
	char first[SMTP_REPLY_TEXT_MAX];
	char small[8];

	check_state(r);
	if (!r->done || r->code < 200 || r->code > 599 || r->nlines == 0 ||
	    r->nlines > SMTP_REPLY_LINES_MAX)
		abort();
	int cls = smtp_reply_class(r);
	if (cls < 2 || cls > 5)
		abort();
	if (r->enh[0] != '\0' && r->enh[0] != '0' + cls)
		abort();
	smtp_reply_first_line(r, first, sizeof(first));
	if (strlen(first) > r->textlen || memcmp(first, r->text, strlen(first)) != 0 ||
	    strchr(first, '\n') != NULL)
		abort();
	smtp_reply_first_line(r, small, sizeof(small));
	if (strlen(small) >= sizeof(small))
		abort();
	smtp_ehlo_caps(r, &caps);
	if ((caps.size_max != 0 && !caps.size) || (by_line->size_max != 0 && !by_line->size))
		abort();
	if (all_kept && !same_caps(&caps, by_line))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct smtp_reply r;
	struct smtp_caps caps;
	size_t joined = 0; /* octets of the reply's lines joined with '\n' */

	smtp_reply_init(&r);
	memset(&caps, 0, sizeof(caps));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t next = nl ? len + 1 : len;
		if (nl && len > 0 && p[len - 1] == '\r')
			len--;
		char *line = malloc(len ? len : 1);
		memcpy(line, p, len);
		int rc = smtp_reply_feed(&r, line, len);
		check_state(&r);
		if (rc >= 0) {
			if (r.nlines > 1)
				smtp_ehlo_caps_line(&caps, line, len);
			joined += (r.nlines > 1 ? 1 : 0) + len;
		}
		if (rc == 1) {
			check_complete(&r, &caps, r.textlen == joined);
			if (smtp_reply_feed(&r, line, len) != -1) /* nothing after the end */
				abort();
		} else if (rc == 0) {
			if (r.done || r.code < 200 || r.code > 599 ||
			    r.nlines > SMTP_REPLY_LINES_MAX)
				abort();
		} else if (rc != -1) {
			abort();
		}
		if (rc != 0) {
			smtp_reply_init(&r);
			memset(&caps, 0, sizeof(caps));
			joined = 0;
		}
		free(line);
		p += next;
	}
	return 0;
}
