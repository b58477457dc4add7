/*
 * smtp_reply_test.c - a remote server's replies as the client reads them:
 * single and multi-line replies, enhanced status codes (kept only when their
 * class is the reply's), hostile lines (short, non-digit or changing codes, a
 * bad fourth octet, controls, NUL, over-long lines, too many lines, a line after
 * the end), the bounded text; then the EHLO capabilities of real and hostile
 * EHLO replies.
 */
#include "smtp_reply.h"

#include <inttypes.h>
#include <stdlib.h>

#include "buf.h"
#include "unit.h"

/*
 * feed - split in (n octets) at '\n' and feed each piece as one line; rets
 * gets one character per line: '0', '1', or 'x' for -1. Returns the number of
 * lines.
 */
static size_t feed(struct smtp_reply *r, const char *in, size_t n, char *rets, size_t retslen)
{
	size_t k = 0, start = 0;

	smtp_reply_init(r);
	for (size_t i = 0; i <= n; i++) {
		if (i < n && in[i] != '\n')
			continue;
		int rc = smtp_reply_feed(r, in + start, i - start);
		if (k + 1 < retslen)
			rets[k] = rc == 1 ? '1' : rc == 0 ? '0' : rc == -1 ? 'x' : '?';
		k++;
		start = i + 1;
	}
	rets[k < retslen ? k : retslen - 1] = '\0';
	return k;
}

struct reply_row {
	const char *in; /* lines separated by '\n' */
	size_t n;
	const char *rets; /* what each line returns: '0', '1', 'x' (-1) */
	int code;         /* after the last line */
	const char *enh;  /* NULL: not checked */
	const char *text; /* NULL: not checked */
};

/* a complete, well-formed reply: its text is its lines */
#define OK(s, rets, code, enh)                                                                     \
	{                                                                                          \
		RAW(s), rets, code, enh, s                                                         \
	}
#define BAD(s, rets, code)                                                                         \
	{                                                                                          \
		RAW(s), rets, code, NULL, NULL                                                     \
	}

static const struct reply_row reply_rows[] = {
        /* one line */
        OK("250 Ok", "1", 250, ""),
        OK("250", "1", 250, ""),
        OK("250 ", "1", 250, ""),
        OK("220 mx.example.org ESMTP Postfix (Debian/GNU)", "1", 220, ""),
        OK("354 End data with <CR><LF>.<CR><LF>", "1", 354, ""),
        OK("421 4.3.2 Service shutting down", "1", 421, "4.3.2"),
        OK("250 2.0.0 Ok: queued as 4XyZ", "1", 250, "2.0.0"),
        OK("451 4.7.1 Greylisted, try again in 300 seconds", "1", 451, "4.7.1"),
        OK("550 5.1.1 <u@example.net>: Recipient address rejected", "1", 550, "5.1.1"),
        OK("599 5.999.999 x", "1", 599, "5.999.999"),
        OK("200 2.0.0", "1", 200, "2.0.0"), /* the code alone */
        OK("250 2.00.000 x", "1", 250, "2.00.000"),
        OK("250 a\tb", "1", 250, ""),           /* HTAB is text */
        OK("250 caf\xc3\xa9 ok", "1", 250, ""), /* 8-bit text is kept as it is */

        /* enhanced codes: only of the reply's class, only well-formed, only first */
        OK("550 2.1.1 mismatch", "1", 550, ""),
        OK("250 5.0.0 mismatch", "1", 250, ""),
        OK("450 5.7.1 mismatch", "1", 450, ""),
        OK("354 3.0.0 go ahead", "1", 354, "3.0.0"),
        OK("250 6.0.0 x", "1", 250, ""),
        OK("250 2.0.0Ok", "1", 250, ""),
        OK("250 2.0.0\tOk", "1", 250, ""),
        OK("250 2.0", "1", 250, ""),
        OK("250 2.0.", "1", 250, ""),
        OK("250 2..0 x", "1", 250, ""),
        OK("250 2.0.0.0 x", "1", 250, ""),
        OK("250 2.1234.0 x", "1", 250, ""),
        OK("250 2.0.1234 x", "1", 250, ""),
        OK("250 .2.0.0 x", "1", 250, ""),
        OK("250 x.0.0 x", "1", 250, ""),
        OK("250  2.0.0 x", "1", 250, ""),
        OK("250-first\n250 2.0.0 second", "01", 250, ""),
        OK("550-5.1.1 The account does not exist.\n550 5.1.1 Please check", "01", 550, "5.1.1"),

        /* multi-line */
        OK("250-mx.example.org Hello\n250-PIPELINING\n250 SIZE 10240000", "001", 250, ""),
        OK("421-a\n421-b\n421 c", "001", 421, ""),
        OK("250-\n250 ", "01", 250, ""),
        OK("250-a\n250", "01", 250, ""),
        OK("250-a\n250-\n250-b\n250 c", "0001", 250, ""),

        /* too short, or not a code */
        BAD("", "x", 0),
        BAD("2", "x", 0),
        BAD("25", "x", 0),
        BAD("25 ok", "x", 0),
        BAD("abc", "x", 0),
        BAD("2a0 x", "x", 0),
        BAD("25a x", "x", 0),
        BAD("a50 x", "x", 0),
        BAD("600 x", "x", 0),
        BAD("199 x", "x", 0),
        BAD("099 x", "x", 0),
        BAD("999 x", "x", 0),
        BAD("-250 x", "x", 0),
        BAD(" 250 x", "x", 0),
        BAD("+25 x", "x", 0),
        BAD("\xef\xbc\x92"
            "50 x",
            "x", 0), /* a full-width digit */

        /* a code that changes between lines */
        BAD("250-a\n251 b", "0x", 250),
        BAD("250-a\n550 b", "0x", 250),
        BAD("550-a\n250 b", "0x", 550),
        BAD("250-a\n25 b", "0x", 250),
        BAD("250-a\n 250 b", "0x", 250),

        /* the fourth octet: SP or '-' */
        BAD("250x", "x", 0),
        BAD("250:ok", "x", 0),
        BAD("250\tok", "x", 0),
        BAD("250_", "x", 0),
        BAD("250.", "x", 0),
        BAD("2500 ok", "x", 0),
        BAD("250-a\n250x", "0x", 250),

        /* control octets and NUL, anywhere */
        BAD("250 a\x01"
            "b",
            "x", 0),
        BAD("250 a\rb", "x", 0),
        BAD("250 ok\r", "x", 0),
        BAD("250 a\x7f", "x", 0),
        BAD("250 a\x1b[0m", "x", 0),
        BAD("250 \0", "x", 0),
        BAD("250\0 ok", "x", 0),
        BAD("25\0"
            "0 ok",
            "x", 0),
        BAD("\0\0\0", "x", 0),
        BAD("\0", "x", 0),
        BAD("250-a\n250 b\0c", "0x", 250),
        BAD("250-a\n250-b\x0c", "0x", 250),

        /* after the reply is complete, nothing more */
        BAD("250 Ok\n250 Ok", "1x", 250),
        BAD("250 Ok\n250-more", "1x", 250),
        BAD("250 Ok\n", "1x", 250),
        BAD("250-a\n250 b\n250 c", "01x", 250),
};

static void test_reply_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(reply_rows); i++) {
		const struct reply_row *r = &reply_rows[i];
		struct smtp_reply rep;
		char rets[80];
		feed(&rep, r->in, r->n, rets, sizeof(rets));
		EXPECT(strcmp(rets, r->rets) == 0, "row %zu %s: returns %s, expected %s", i,
		       show(r->in, r->n), rets, r->rets);
		EXPECT(rep.code == r->code, "row %zu %s: code %d, expected %d", i,
		       show(r->in, r->n), rep.code, r->code);
		if (r->enh)
			EXPECT(strcmp(rep.enh, r->enh) == 0, "row %zu %s: enh %s, expected %s", i,
			       show(r->in, r->n), shows(rep.enh), shows(r->enh));
		if (r->text)
			EXPECT(rep.textlen == strlen(r->text) && strcmp(rep.text, r->text) == 0,
			       "row %zu %s: text %s", i, show(r->in, r->n),
			       show(rep.text, rep.textlen));
		EXPECT(rep.done == (rets[0] != '\0' && strchr(rets, '1') != NULL),
		       "row %zu %s: done %d", i, show(r->in, r->n), rep.done);
		EXPECT(rep.textlen < sizeof(rep.text) && strlen(rep.text) == rep.textlen,
		       "row %zu: textlen %zu", i, rep.textlen);
	}
	ALL_PASSED();
}

/* a line "CODE<sep>" followed by text up to len octets */
static char *mkline(const char *code_sep, size_t len, char fill)
{
	char *s = malloc(len + 1);
	size_t h = strlen(code_sep);

	assert_non_null(s);
	memcpy(s, code_sep, h < len ? h : len);
	for (size_t i = h; i < len; i++)
		s[i] = fill;
	s[len] = '\0';
	return s;
}

/* lines of SMTP_REPLY_LINE_MAX octets are taken, longer ones are not */
static void test_line_max(void **state)
{
	(void)state;
	struct smtp_reply r;

	for (size_t len = SMTP_REPLY_LINE_MAX - 2; len <= SMTP_REPLY_LINE_MAX + 2; len++) {
		char *last = mkline("250 ", len, 'a'), *more = mkline("250-", len, 'b');
		int want = len <= SMTP_REPLY_LINE_MAX ? 1 : -1;
		smtp_reply_init(&r);
		int rc = smtp_reply_feed(&r, last, len);
		EXPECT(rc == want, "one line of %zu: %d, expected %d", len, rc, want);
		/* the same as a continuation line */
		smtp_reply_init(&r);
		EXPECT(smtp_reply_feed(&r, "250-first", 9) == 0, "first line");
		rc = smtp_reply_feed(&r, more, len);
		EXPECT(rc == (want == 1 ? 0 : -1), "continuation of %zu: %d", len, rc);
		EXPECT(r.textlen < sizeof(r.text) && strlen(r.text) == r.textlen, "textlen %zu",
		       r.textlen);
		free(last);
		free(more);
	}
	/* far beyond */
	char *huge = mkline("250 ", 1 << 20, 'z');
	smtp_reply_init(&r);
	EXPECT(smtp_reply_feed(&r, huge, 1 << 20) == -1, "a line of 1 MiB taken");
	free(huge);
	ALL_PASSED();
}

/* SMTP_REPLY_LINES_MAX lines are taken; one more is refused */
static void test_lines_max(void **state)
{
	(void)state;
	struct smtp_reply r;

	smtp_reply_init(&r);
	for (size_t i = 1; i < SMTP_REPLY_LINES_MAX; i++)
		EXPECT(smtp_reply_feed(&r, RAW("250-x")) == 0, "line %zu refused", i);
	EXPECT(smtp_reply_feed(&r, RAW("250 last")) == 1, "line %d refused", SMTP_REPLY_LINES_MAX);
	EXPECT(r.nlines == SMTP_REPLY_LINES_MAX, "nlines %zu", r.nlines);

	smtp_reply_init(&r);
	for (size_t i = 1; i <= SMTP_REPLY_LINES_MAX; i++)
		EXPECT(smtp_reply_feed(&r, RAW("250-x")) == 0, "line %zu refused", i);
	EXPECT(smtp_reply_feed(&r, RAW("250 last")) == -1, "line %d taken",
	       SMTP_REPLY_LINES_MAX + 1);
	EXPECT(!r.done, "done after too many lines");
	/* and the lines after that are refused too: the reply cannot complete */
	for (int k = 0; k < 3; k++)
		EXPECT(smtp_reply_feed(&r, RAW("250 last")) == -1, "taken after the limit");
	ALL_PASSED();
}

/*
 * The text kept for logs and DSNs is bounded by SMTP_REPLY_TEXT_MAX: always
 * terminated, the lines in order from the first (a prefix of the whole reply,
 * nothing left out in the middle), and the first line there whole or cut only
 * at the bound, so a long reply never leaves an empty diagnostic.
 */
static void check_text(const char *label, const struct smtp_reply *r, const char *joined,
                       size_t jlen, size_t first_len)
{
	size_t want_first =
	        first_len < SMTP_REPLY_TEXT_MAX - 1 ? first_len : SMTP_REPLY_TEXT_MAX - 1;

	EXPECT(r->textlen < sizeof(r->text) && r->text[r->textlen] == '\0' &&
	               strlen(r->text) == r->textlen,
	       "%s: textlen %zu", label, r->textlen);
	EXPECT(r->textlen <= jlen && memcmp(r->text, joined, r->textlen) == 0,
	       "%s: text (%zu) is not a prefix of the reply (%zu): %s", label, r->textlen, jlen,
	       show(r->text, r->textlen));
	EXPECT(r->textlen >= want_first, "%s: %zu octets kept of a first line of %zu", label,
	       r->textlen, first_len);
	if (jlen < SMTP_REPLY_TEXT_MAX)
		EXPECT(r->textlen == jlen, "%s: %zu octets kept of %zu", label, r->textlen, jlen);
}

struct text_row {
	size_t lens[6]; /* line lengths, 0-terminated */
};

static const struct text_row text_rows[] = {
        {{10, 0}},
        {{1000, 0}},
        {{1019, 0}},
        {{1020, 0}},
        {{1021, 0}},
        {{1022, 0}},
        {{1023, 0}},
        {{1024, 0}},
        {{1025, 0}},
        {{2048, 0}},
        {{500, 500, 0}},
        {{500, 521, 0}},
        {{500, 522, 0}},
        {{500, 523, 0}},
        {{500, 600, 10, 0}}, /* the long second line must not be left out before the third */
        {{1000, 30, 5, 0}},
        {{2048, 4, 0}},
        {{100, 100, 100, 100, 100, 0}},
        {{300, 300, 300, 300, 300, 0}},
};

static void test_text_bounds(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(text_rows); i++) {
		const struct text_row *t = &text_rows[i];
		struct smtp_reply r;
		struct buf joined;
		size_t n = 0;
		char label[40];
		while (t->lens[n])
			n++;
		buf_init(&joined);
		smtp_reply_init(&r);
		for (size_t k = 0; k < n; k++) {
			char *line =
			        mkline(k + 1 < n ? "550-" : "550 ", t->lens[k], (char)('a' + k));
			int rc = smtp_reply_feed(&r, line, t->lens[k]);
			EXPECT(rc == (k + 1 < n ? 0 : 1), "row %zu line %zu: %d", i, k, rc);
			if (k)
				buf_putc(&joined, '\n');
			buf_append(&joined, line, t->lens[k]);
			free(line);
		}
		snprintf(label, sizeof(label), "row %zu (%zu lines)", i, n);
		check_text(label, &r, joined.data, joined.len, t->lens[0]);
		/* the first line, as the DSN gets it */
		char first[SMTP_REPLY_LINE_MAX + 1];
		smtp_reply_first_line(&r, first, sizeof(first));
		size_t want =
		        t->lens[0] < SMTP_REPLY_TEXT_MAX - 1 ? t->lens[0] : SMTP_REPLY_TEXT_MAX - 1;
		EXPECT(strlen(first) >= want && memcmp(first, joined.data, strlen(first)) == 0,
		       "%s: first line of %zu octets, %zu expected", label, strlen(first), want);
		buf_release(&joined);
	}
	ALL_PASSED();
}

static void test_class_and_first_line(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int cls;
		const char *first;
	} rows[] = {
	        {"250 Ok", 2, "250 Ok"},
	        {"354 go", 3, "354 go"},
	        {"421-4.3.2 bye\n421 4.3.2 now", 4, "421-4.3.2 bye"},
	        {"554 5.7.1 no", 5, "554 5.7.1 no"},
	        {"250-mx.example.org\n250-PIPELINING\n250 8BITMIME", 2, "250-mx.example.org"},
	};
	for (size_t i = 0; i < NELEM(rows); i++) {
		struct smtp_reply r;
		char rets[16], first[64];
		feed(&r, rows[i].in, strlen(rows[i].in), rets, sizeof(rets));
		smtp_reply_first_line(&r, first, sizeof(first));
		EXPECT(smtp_reply_class(&r) == rows[i].cls && strcmp(first, rows[i].first) == 0,
		       "row %zu: class %d first %s", i, smtp_reply_class(&r), shows(first));
		/* cut to dstlen, always terminated */
		for (size_t len = 1; len <= 8; len++) {
			char small[16];
			size_t want =
			        len - 1 < strlen(rows[i].first) ? len - 1 : strlen(rows[i].first);
			memset(small, 'Z', sizeof(small));
			smtp_reply_first_line(&r, small, len);
			EXPECT(strlen(small) == want && strncmp(small, rows[i].first, want) == 0 &&
			               small[len] == 'Z',
			       "row %zu dstlen %zu: %s", i, len, show(small, sizeof(small)));
		}
	}
	struct smtp_reply r;
	char first[8] = "x";
	smtp_reply_init(&r);
	smtp_reply_first_line(&r, first, sizeof(first));
	EXPECT(smtp_reply_class(&r) == 0 && first[0] == '\0', "before any line: class %d",
	       smtp_reply_class(&r));
	ALL_PASSED();
}

/* --- EHLO capabilities ------------------------------------------------------ */

/*
 * caps letters: P pipelining, 8 8bitmime, U smtputf8, S starttls, C chunking,
 * D dsn, E enhancedstatuscodes, p AUTH PLAIN, l AUTH LOGIN, Z size
 */
struct caps_row {
	const char *in; /* the EHLO reply, lines separated by '\n' */
	const char *caps;
	uint64_t size_max;
};

static const struct caps_row caps_rows[] = {
        /* Postfix */
        {"250-mx.example.org\n250-PIPELINING\n250-SIZE 10240000\n250-VRFY\n250-ETRN\n"
         "250-STARTTLS\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250-DSN\n250-SMTPUTF8\n"
         "250 CHUNKING",
         "P8USCDEZ", 10240000},
        /* Gmail */
        {"250-mx.google.com at your service, [192.0.2.1]\n250-SIZE 157286400\n250-8BITMIME\n"
         "250-STARTTLS\n250-ENHANCEDSTATUSCODES\n250-PIPELINING\n250-CHUNKING\n250 SMTPUTF8",
         "P8USCEZ", 157286400},
        /* a submission server after STARTTLS */
        {"250-smtp.example.com\n250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER\n"
         "250 SIZE",
         "plZ", 0},
        {"250-x\n250-AUTH PLAIN\n250 AUTH=PLAIN", "p", 0},
        {"250-x\n250-AUTH LOGIN\n250 AUTH=LOGIN", "l", 0},
        {"250-x\n250-AUTH CRAM-MD5 DIGEST-MD5 SCRAM-SHA-256 LOGIN\n250 HELP", "l", 0},
        {"250-x\n250 AUTH   PLAIN    LOGIN  ", "pl", 0},
        {"250-x\n250-AUTH CRAM-MD5\n250 AUTH=PLAIN LOGIN", "", 0}, /* AUTH= is not AUTH */
        {"250-x\n250 AUTH PLAINX XLOGIN LOGINS PLAIN-CLIENTTOKEN", "", 0},
        {"250-x\n250 AUTH", "", 0},
        {"250-x\n250 AUTH ", "", 0},
        {"250 x", "", 0},
        {"250 PIPELINING", "", 0},

        /* keywords are case-insensitive (RFC 5321 2.4) */
        {"250-x\n250-pipelining\n250-starttls\n250-auth plain login\n250-size 1000\n"
         "250-8bitmime\n250-smtputf8\n250-chunking\n250-dsn\n250 enhancedstatuscodes",
         "P8USCDEplZ", 1000},
        {"250-x\n250-StartTls\n250-Size 5\n250 Auth Plain", "SZp", 5},

        /* the first line is the greeting, never an extension */
        {"250-STARTTLS\n250 PIPELINING", "P", 0},
        {"250-PIPELINING SIZE 100 STARTTLS AUTH PLAIN\n250 DSN", "D", 0},
        {"250 STARTTLS", "", 0},
        {"250 AUTH PLAIN LOGIN", "", 0},

        /* SIZE */
        {"250-x\n250 SIZE", "Z", 0},
        {"250-x\n250 SIZE 0", "Z", 0},
        {"250-x\n250 SIZE 1", "Z", 1},
        {"250-x\n250 SIZE 18446744073709551615", "Z", UINT64_MAX},
        {"250-x\n250 SIZE 18446744073709551616", "Z", 0}, /* too big: no number */
        {"250-x\n250 SIZE 99999999999999999999999999999", "Z", 0},
        {"250-x\n250 SIZE abc", "Z", 0},
        {"250-x\n250 SIZE -1", "Z", 0},
        {"250-x\n250 SIZE 1000 ", "Z", 1000},
        {"250-x\n250 SIZE=1000", "", 0},
        {"250-x\n250 SIZES 1000", "", 0},

        /* near misses */
        {"250-x\n250-STARTTLSX\n250-XSTARTTLS\n250-PIPELINING2\n250-8BITMIME=1\n250-DSN2\n"
         "250-SMTPUTF\n250-CHUNK\n250-ENHANCED\n250 STARTTLS:",
         "", 0},
        {"250-x\n250-STARTTLS\tX\n250 PIPELINING ", "P", 0},
        {"250-x\n250-\n250- \n250 STARTTLS", "S", 0},
        {"250-x\n250-STARTTLS\n250-STARTTLS\n250 STARTTLS", "S", 0},
        /* a keyword longer than the 63 octets looked at */
        {"250-x\n250-STARTTLSXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n"
         "250 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
         "", 0},
};

static void caps_string(const struct smtp_caps *c, char *out)
{
	size_t o = 0;

	if (c->pipelining)
		out[o++] = 'P';
	if (c->eightbitmime)
		out[o++] = '8';
	if (c->smtputf8)
		out[o++] = 'U';
	if (c->starttls)
		out[o++] = 'S';
	if (c->chunking)
		out[o++] = 'C';
	if (c->dsn)
		out[o++] = 'D';
	if (c->enhanced)
		out[o++] = 'E';
	if (c->auth_plain)
		out[o++] = 'p';
	if (c->auth_login)
		out[o++] = 'l';
	if (c->size)
		out[o++] = 'Z';
	out[o] = '\0';
}

/* the same letters in any order */
static bool same_letters(const char *a, const char *b)
{
	if (strlen(a) != strlen(b))
		return false;
	for (; *a; a++)
		if (strchr(b, *a) == NULL)
			return false;
	return true;
}

/*
 * caps_by_line - the client's way: each line after the first given to
 * smtp_ehlo_caps_line as it arrives, in a buffer of exactly its length (no NUL
 * after it), so a read past len shows under ASan.
 */
static void caps_by_line(const char *in, size_t n, struct smtp_caps *c)
{
	size_t start = 0;
	bool first = true;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i <= n; i++) {
		if (i < n && in[i] != '\n')
			continue;
		size_t len = i - start;
		char *line = malloc(len ? len : 1);
		assert_non_null(line);
		memcpy(line, in + start, len);
		if (!first)
			smtp_ehlo_caps_line(c, line, len);
		free(line);
		first = false;
		start = i + 1;
	}
}

static void test_caps_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(caps_rows); i++) {
		const struct caps_row *r = &caps_rows[i];
		struct smtp_reply rep;
		struct smtp_caps c;
		char rets[80], got[16];
		size_t n = feed(&rep, r->in, strlen(r->in), rets, sizeof(rets));
		EXPECT(rets[n - 1] == '1' && strchr(rets, 'x') == NULL,
		       "row %zu: the reply itself is refused: %s", i, rets);
		/* from the kept text */
		memset(&c, 0xa5, sizeof(c));
		smtp_ehlo_caps(&rep, &c);
		caps_string(&c, got);
		EXPECT(same_letters(got, r->caps) && c.size_max == r->size_max,
		       "row %zu %s: caps %s size %" PRIu64 ", expected %s size %" PRIu64, i,
		       shows(r->in), got, c.size_max, r->caps, r->size_max);
		/* line by line */
		caps_by_line(r->in, strlen(r->in), &c);
		caps_string(&c, got);
		EXPECT(same_letters(got, r->caps) && c.size_max == r->size_max,
		       "row %zu %s: by line, caps %s size %" PRIu64 ", expected %s size %" PRIu64,
		       i, shows(r->in), got, c.size_max, r->caps, r->size_max);
	}
	ALL_PASSED();
}

/* smtp_ehlo_caps_line alone: short, odd and unterminated lines */
struct line_row {
	const char *line;
	size_t len;
	const char *caps;
	uint64_t size_max;
};

static const struct line_row line_rows[] = {
        {RAW("250-STARTTLS"), "S", 0},
        {RAW("250 STARTTLS"), "S", 0},
        {RAW("250-STARTTLS "), "S", 0},
        {"250-STARTTLS", 8, "", 0}, /* only len octets are read */
        {"250-PIPELININGX", 14, "P", 0},
        {"250-SIZE 1000", 10, "Z", 1},
        {RAW("250-SIZE "), "Z", 0},
        {RAW("250-SIZE 123456789012345678901234567890"), "Z", 0},
        {RAW("250-AUTH "), "", 0},
        {RAW("250-AUTH PLAIN"), "p", 0},
        {"250-AUTH PLAIN LOGIN", 14, "p", 0},
        {"250-AUTH LOGIN PLAIN", 12, "", 0}, /* "LOG" */
        {RAW("250-"), "", 0},
        {RAW("250"), "", 0},
        {RAW(""), "", 0},
        {RAW("250-\0STARTTLS"), "", 0},
};

static void test_caps_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(line_rows); i++) {
		const struct line_row *r = &line_rows[i];
		struct smtp_caps c;
		char got[16];
		char *line = malloc(r->len ? r->len : 1);
		assert_non_null(line);
		memcpy(line, r->line, r->len);
		memset(&c, 0, sizeof(c));
		smtp_ehlo_caps_line(&c, line, r->len);
		free(line);
		caps_string(&c, got);
		EXPECT(same_letters(got, r->caps) && c.size_max == r->size_max,
		       "row %zu %s: caps %s size %" PRIu64 ", expected %s size %" PRIu64, i,
		       show(r->line, r->len), got, c.size_max, r->caps, r->size_max);
	}
	ALL_PASSED();
}

/*
 * A reply the parser accepts (up to 64 lines of up to 2048 octets) advertises
 * every extension it lists, wherever it is: fed line by line, an extension past
 * the first 1024 octets is not lost (a lost STARTTLS sends mail in clear).
 */
struct long_row {
	size_t greet; /* octets of the first line */
	size_t nfill; /* extension lines before PIPELINING and STARTTLS */
	size_t fill;  /* octets of each */
};

static const struct long_row long_rows[] = {
        {50, 0, 0},
        {50, 10, 54},
        {50, 20, 54},
        {50, SMTP_REPLY_LINES_MAX - 3, 54},
        {50, SMTP_REPLY_LINES_MAX - 3, 18}, /* many short lines */
        {300, 40, 30},
        {1012, 0, 0}, /* a long greeting */
        {1100, 0, 0},
        {SMTP_REPLY_LINE_MAX, 0, 0},
        {SMTP_REPLY_LINE_MAX, 10, SMTP_REPLY_LINE_MAX},
};

static void test_caps_long_reply(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(long_rows); i++) {
		const struct long_row *t = &long_rows[i];
		struct smtp_reply r;
		struct smtp_caps c;
		memset(&c, 0, sizeof(c));
		smtp_reply_init(&r);
		char *greet = mkline("250-", t->greet, 'g');
		int rc = smtp_reply_feed(&r, greet, t->greet);
		free(greet);
		for (size_t k = 0; k < t->nfill && rc == 0; k++) {
			char head[32];
			snprintf(head, sizeof(head), "250-XEXT%02zu ", k);
			char *line = mkline(head, t->fill, 'x');
			rc = smtp_reply_feed(&r, line, t->fill);
			smtp_ehlo_caps_line(&c, line, t->fill);
			free(line);
		}
		if (rc == 0) {
			rc = smtp_reply_feed(&r, RAW("250-PIPELINING"));
			smtp_ehlo_caps_line(&c, RAW("250-PIPELINING"));
		}
		if (rc == 0) {
			rc = smtp_reply_feed(&r, RAW("250 STARTTLS"));
			smtp_ehlo_caps_line(&c, RAW("250 STARTTLS"));
		}
		EXPECT(rc == 1, "row %zu: the reply is refused (%d)", i, rc);
		EXPECT(c.starttls && c.pipelining,
		       "row %zu (greeting of %zu, %zu lines of %zu): starttls %d pipelining %d", i,
		       t->greet, t->nfill, t->fill, c.starttls, c.pipelining);
	}
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reply_rows),
	        cmocka_unit_test(test_line_max),
	        cmocka_unit_test(test_lines_max),
	        cmocka_unit_test(test_text_bounds),
	        cmocka_unit_test(test_class_and_first_line),
	        cmocka_unit_test(test_caps_rows),
	        cmocka_unit_test(test_caps_line),
	        cmocka_unit_test(test_caps_long_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
