/* qstate.c - encoding and strict decoding of delivery state files. */
#include "qstate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include "xmalloc.h"

#define QSTATE_MAGIC "postern-state 1"

static const char *status_names[] = {"pending", "sent", "failed", "passed", "suppressed"};
#define NSTATUS 5

const char *rcpt_status_name(enum rcpt_status s)
{
	return (unsigned)s < NSTATUS ? status_names[s] : "?";
}

void qstate_init(struct qstate *st, size_t n)
{
	memset(st, 0, sizeof(*st));
	st->nrcpts = n;
	st->rcpts = xcalloc(n ? n : 1, sizeof(*st->rcpts));
}

void qstate_release(struct qstate *st)
{
	free(st->rcpts);
	memset(st, 0, sizeof(*st));
}

/* copy text as one printable line: controls and non-ASCII become '?' */
static void clean_copy(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	for (; src && *src && o + 1 < cap; src++) {
		unsigned char c = (unsigned char)*src;
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : (c == '\r' || c == '\n') ? ' ' : '?';
	}
	dst[o] = '\0';
}

void qstate_set_reply(struct qstate_rcpt *r, int code, const char *dsn, const char *relay,
                      const char *text)
{
	r->code = code;
	clean_copy(r->dsn, sizeof(r->dsn), dsn);
	clean_copy(r->relay, sizeof(r->relay), relay);
	clean_copy(r->reply, sizeof(r->reply), text);
	/* the dsn and relay are single tokens in the file */
	for (char *p = r->dsn; *p; p++)
		if (*p == ' ')
			*p = '_';
	for (char *p = r->relay; *p; p++)
		if (*p == ' ')
			*p = '_';
}

void qstate_encode(const struct qstate *st, struct buf *out)
{
	buf_printf(out,
	           "%s\nattempts %" PRIu32 "\nfirst %" PRIu64 "\nlast %" PRIu64 "\nnext %" PRIu64
	           "\nheld %d\ndelayed %d\nbulk %d\n",
	           QSTATE_MAGIC, st->attempts, st->first_ms, st->last_ms, st->next_ms,
	           st->held ? 1 : 0, st->delayed ? 1 : 0, st->bulk ? 1 : 0);
	/* only when set: files without it read the same in older versions */
	if (st->held && st->held_suspended)
		buf_puts(out, "suspended 1\n");
	if (st->held && st->held_quarantine)
		buf_puts(out, "quarantined 1\n");
	for (size_t i = 0; i < st->nrcpts; i++) {
		const struct qstate_rcpt *r = &st->rcpts[i];
		buf_printf(out, "rcpt %zu %s %d %s %s %s\n", i, rcpt_status_name(r->status),
		           r->code, r->dsn[0] ? r->dsn : "-", r->relay[0] ? r->relay : "-",
		           r->reply);
	}
	buf_puts(out, "end\n");
}

static int num(const char *s, uint64_t max, uint64_t *out)
{
	return parse_u64(s, max, out);
}

static int parse_rcpt(char *line, struct qstate *st, char *err, size_t errlen)
{
	char *save = NULL;
	char *idx = strtok_r(line, " ", &save);
	char *status = strtok_r(NULL, " ", &save);
	char *code = strtok_r(NULL, " ", &save);
	char *dsn = strtok_r(NULL, " ", &save);
	char *relay = strtok_r(NULL, " ", &save);
	char *reply = save ? save : (char *)"";
	uint64_t i, c;

	if (!idx || !status || !code || !dsn || !relay || num(idx, st->nrcpts - 1, &i) < 0 ||
	    num(code, 999, &c) < 0) {
		snprintf(err, errlen, "bad rcpt line");
		return -1;
	}
	struct qstate_rcpt *r = &st->rcpts[i];
	int k;
	for (k = 0; k < NSTATUS; k++)
		if (strcmp(status, status_names[k]) == 0)
			break;
	if (k == NSTATUS) {
		snprintf(err, errlen, "bad rcpt status");
		return -1;
	}
	r->status = (enum rcpt_status)k;
	qstate_set_reply(r, (int)c, strcmp(dsn, "-") ? dsn : "", strcmp(relay, "-") ? relay : "",
	                 reply);
	return 0;
}

int qstate_decode(const char *p, size_t n, size_t nrcpts, struct qstate *st, char *err,
                  size_t errlen)
{
	char *copy = xstrndup(p, n), *save = NULL;
	bool magic = false, end = false;
	int r = -1;

	qstate_init(st, nrcpts);
	/* every line ends with a line end; a file cut after "end" lost its last octet */
	if (n == 0 || p[n - 1] != '\n') {
		snprintf(err, errlen, "no final line end (half-written)");
		goto out;
	}
	if (memchr(p, '\0', n) != NULL) {
		snprintf(err, errlen, "NUL in state file");
		goto out;
	}
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint64_t v;
		if (end) {
			snprintf(err, errlen, "text after end");
			goto out;
		}
		if (!magic) {
			if (strcmp(line, QSTATE_MAGIC) != 0) {
				snprintf(err, errlen, "not a state file of this version");
				goto out;
			}
			magic = true;
			continue;
		}
		if (strcmp(line, "end") == 0) {
			end = true;
			continue;
		}
		char *sp = strchr(line, ' ');
		if (sp == NULL) {
			snprintf(err, errlen, "bad line");
			goto out;
		}
		*sp++ = '\0';
		if (strcmp(line, "rcpt") == 0) {
			if (nrcpts == 0) {
				snprintf(err, errlen,
				         "a recipient line for a message without recipients");
				goto out;
			}
			if (parse_rcpt(sp, st, err, errlen) < 0)
				goto out;
			continue;
		}
		if (num(sp, UINT64_MAX, &v) < 0) {
			snprintf(err, errlen, "bad value for %s", line);
			goto out;
		}
		if (strcmp(line, "attempts") == 0 && v <= UINT32_MAX)
			st->attempts = (uint32_t)v;
		else if (strcmp(line, "first") == 0)
			st->first_ms = v;
		else if (strcmp(line, "last") == 0)
			st->last_ms = v;
		else if (strcmp(line, "next") == 0)
			st->next_ms = v;
		else if (strcmp(line, "held") == 0 && v <= 1)
			st->held = v == 1;
		else if (strcmp(line, "delayed") == 0 && v <= 1)
			st->delayed = v == 1;
		else if (strcmp(line, "bulk") == 0 && v <= 1)
			st->bulk = v == 1;
		else if (strcmp(line, "suspended") == 0 && v <= 1)
			st->held_suspended = v == 1;
		else if (strcmp(line, "quarantined") == 0 && v <= 1)
			st->held_quarantine = v == 1;
		else {
			snprintf(err, errlen, "unknown item %s", line);
			goto out;
		}
	}
	if (!end) {
		snprintf(err, errlen, "no end line (half-written)");
		goto out;
	}
	r = 0;
out:
	free(copy);
	if (r < 0) {
		qstate_release(st);
		qstate_init(st, nrcpts);
	}
	return r;
}

int qstate_peek(const char *p, size_t n, uint64_t *next_ms, bool *held, bool *bulk, int *why)
{
	const char *end = p + n;
	bool magic = false, done = false, susp = false;

	*next_ms = 0;
	*held = false;
	*bulk = false;
	bool quar = false;
	if (why)
		*why = QSTATE_HELD_ADMIN;
	while (p < end && !done) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[64];
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			uint64_t v;
			if (!magic)
				magic = strcmp(line, QSTATE_MAGIC) == 0;
			else if (strncmp(line, "next ", 5) == 0 &&
			         parse_u64(line + 5, UINT64_MAX, &v) == 0)
				*next_ms = v;
			else if (strcmp(line, "held 1") == 0)
				*held = true;
			else if (strcmp(line, "bulk 1") == 0)
				*bulk = true;
			else if (strcmp(line, "quarantined 1") == 0)
				quar = true;
			else if (strcmp(line, "suspended 1") == 0)
				susp = true;
			else if (strcmp(line, "end") == 0)
				done = true;
		}
		if (!magic)
			return -1;
		p += len + (nl ? 1 : 0);
	}
	if (why && *held)
		*why = quar   ? QSTATE_HELD_QUARANTINE
		       : susp ? QSTATE_HELD_SUSPENDED
		              : QSTATE_HELD_ADMIN;
	/* like qstate_decode: the file must end with a line end after "end" */
	return done && n > 0 && end[-1] == '\n' ? 0 : -1;
}
