/*
 * smtp_cmd_test.c - smtp_cmd_parse: verbs, MAIL/RCPT forms, argument rules and
 * the hostile lines (NUL, control bytes, prefix tricks). One row per line.
 */
#include "smtp_cmd.h"

#include "unit.h"

struct row {
	const char *line;
	size_t len;
	int rc;
	enum reply why;      /* when rc == -1 */
	enum smtp_verb verb; /* when rc == 0 */
	const char *arg;     /* when rc == 0: the text out->arg points to */
};

#define OK(l, v, a)                                                                                \
	{                                                                                          \
		RAW(l), .rc = 0, .verb = (v), .arg = (a)                                           \
	}
#define ERR(l, w)                                                                                  \
	{                                                                                          \
		RAW(l), .rc = -1, .why = (w)                                                       \
	}

static const struct row rows[] = {
        /* verbs, case-insensitive */
        OK("HELO client.example", SMTP_CMD_HELO, "client.example"),
        OK("helo client.example", SMTP_CMD_HELO, "client.example"),
        OK("HeLo x", SMTP_CMD_HELO, "x"),
        OK("EHLO client.example", SMTP_CMD_EHLO, "client.example"),
        OK("ehlo [192.0.2.1]", SMTP_CMD_EHLO, "[192.0.2.1]"),
        OK("eHlO x y z", SMTP_CMD_EHLO, "x y z"),
        OK("DATA", SMTP_CMD_DATA, ""),
        OK("data", SMTP_CMD_DATA, ""),
        OK("DATA ", SMTP_CMD_DATA, ""),     /* trailing spaces tolerated */
        OK("DATA   ", SMTP_CMD_DATA, "  "), /* ... any number; arg is after one space */
        OK("RSET", SMTP_CMD_RSET, ""),
        OK("rset", SMTP_CMD_RSET, ""),
        OK("QUIT", SMTP_CMD_QUIT, ""),
        OK("Quit", SMTP_CMD_QUIT, ""),
        OK("STARTTLS", SMTP_CMD_STARTTLS, ""),
        OK("starttls", SMTP_CMD_STARTTLS, ""),
        OK("NOOP", SMTP_CMD_NOOP, ""),
        OK("NOOP anything at all", SMTP_CMD_NOOP, "anything at all"),
        OK("HELP", SMTP_CMD_HELP, ""),
        OK("help MAIL", SMTP_CMD_HELP, "MAIL"),
        OK("VRFY postmaster", SMTP_CMD_VRFY, "postmaster"),
        OK("EXPN staff", SMTP_CMD_EXPN, "staff"),
        OK("BDAT 100 LAST", SMTP_CMD_BDAT, "100 LAST"),
        OK("bdat 0", SMTP_CMD_BDAT, "0"),
        OK("AUTH PLAIN", SMTP_CMD_AUTH, "PLAIN"),
        OK("auth plain AHVzZXIAcGFzcw==", SMTP_CMD_AUTH, "plain AHVzZXIAcGFzcw=="),
        OK("AUTH LOGIN", SMTP_CMD_AUTH, "LOGIN"),

        /* MAIL FROM: / RCPT TO: */
        OK("MAIL FROM:<a@b.example>", SMTP_CMD_MAIL, "<a@b.example>"),
        OK("mail from:<a@b.example>", SMTP_CMD_MAIL, "<a@b.example>"),
        OK("Mail From:<a@b.example>", SMTP_CMD_MAIL, "<a@b.example>"),
        OK("MAIL FROM: <a@b>", SMTP_CMD_MAIL, "<a@b>"), /* the space Postfix accepts */
        OK("MAIL FROM:   <a@b>", SMTP_CMD_MAIL, "<a@b>"),
        OK("MAIL FROM:<>", SMTP_CMD_MAIL, "<>"),
        OK("MAIL FROM:<a@b> SIZE=100 BODY=8BITMIME", SMTP_CMD_MAIL, "<a@b> SIZE=100 BODY=8BITMIME"),
        OK("MAIL FROM:<\xc3\xa9@b.example> SMTPUTF8", SMTP_CMD_MAIL,
           "<\xc3\xa9@b.example> SMTPUTF8"), /* bytes > 127 are the argument's business */
        OK("RCPT TO:<c@d.example>", SMTP_CMD_RCPT, "<c@d.example>"),
        OK("rcpt to:<c@d.example>", SMTP_CMD_RCPT, "<c@d.example>"),
        OK("RCPT TO: <c@d>", SMTP_CMD_RCPT, "<c@d>"),
        OK("RCPT TO:<c@d> NOTIFY=NEVER", SMTP_CMD_RCPT, "<c@d> NOTIFY=NEVER"),
        /* the verb and FROM: are there; an empty path is address.c's to refuse */
        OK("MAIL FROM:", SMTP_CMD_MAIL, ""),
        OK("RCPT TO:", SMTP_CMD_RCPT, ""),
        OK("EHLO h\xc3\xa9llo.example", SMTP_CMD_EHLO, "h\xc3\xa9llo.example"),

        /* NUL and control bytes, anywhere */
        ERR("\0", RPL_BAD_CHAR),
        ERR("HELO a\0b", RPL_BAD_CHAR),
        ERR("DATA\0", RPL_BAD_CHAR),
        ERR("QUIT\0", RPL_BAD_CHAR),
        ERR("\0QUIT", RPL_BAD_CHAR),
        ERR("MAIL FROM:<a@b>\0RCPT TO:<c@d>", RPL_BAD_CHAR),
        ERR("MAIL FROM:<a\0@b>", RPL_BAD_CHAR),
        ERR("FOO\0", RPL_BAD_CHAR), /* control bytes are judged before the verb */
        ERR("HELO a\tb", RPL_BAD_CHAR),
        ERR("HELO\tx", RPL_BAD_CHAR),
        ERR("MAIL\tFROM:<a@b>", RPL_BAD_CHAR),
        ERR("MAIL FROM:<a@b>\r", RPL_BAD_CHAR),
        ERR("DATA\r", RPL_BAD_CHAR),
        ERR("DATA\n", RPL_BAD_CHAR),
        ERR("RSET\nMAIL FROM:<a@b>", RPL_BAD_CHAR),
        ERR("QUIT\x1b[0m", RPL_BAD_CHAR),
        ERR("HELO a\x01", RPL_BAD_CHAR),
        ERR("HELO a\x1f", RPL_BAD_CHAR),
        ERR("\x7f", RPL_BAD_CHAR),
        ERR("HELO a\x7f", RPL_BAD_CHAR),
        ERR("\r\n", RPL_BAD_CHAR),
        ERR("\b\bHELO", RPL_BAD_CHAR),

        /* unknown verbs and prefix tricks */
        ERR("", RPL_UNKNOWN_CMD),
        ERR(" ", RPL_UNKNOWN_CMD),
        ERR(" HELO x", RPL_UNKNOWN_CMD),
        ERR("FOO", RPL_UNKNOWN_CMD),
        ERR("FOO bar", RPL_UNKNOWN_CMD),
        ERR("HELLO x", RPL_UNKNOWN_CMD),
        ERR("EHLOO x", RPL_UNKNOWN_CMD),
        ERR("EHL x", RPL_UNKNOWN_CMD),
        ERR("MAILX FROM:<a@b>", RPL_UNKNOWN_CMD),
        ERR("MAI FROM:<a@b>", RPL_UNKNOWN_CMD),
        ERR("MAILFROM:<a@b>", RPL_UNKNOWN_CMD),
        ERR("XMAIL FROM:<a@b>", RPL_UNKNOWN_CMD),
        ERR("RCPTTO:<a@b>", RPL_UNKNOWN_CMD),
        ERR("DATAX", RPL_UNKNOWN_CMD),
        ERR("XDATA", RPL_UNKNOWN_CMD),
        ERR("DAT", RPL_UNKNOWN_CMD),
        ERR("QUITE", RPL_UNKNOWN_CMD),
        ERR("RSETT", RPL_UNKNOWN_CMD),
        ERR("STARTTLSX", RPL_UNKNOWN_CMD),
        ERR("STARTTL", RPL_UNKNOWN_CMD),
        ERR("START TLS", RPL_UNKNOWN_CMD),
        ERR("AUTHX PLAIN", RPL_UNKNOWN_CMD),
        ERR("TURN", RPL_UNKNOWN_CMD),
        ERR("ETRN example.com", RPL_UNKNOWN_CMD),
        ERR("GET / HTTP/1.1", RPL_UNKNOWN_CMD),
        ERR("POST /send HTTP/1.1", RPL_UNKNOWN_CMD),
        ERR("H\xc3\x89LO x", RPL_UNKNOWN_CMD),
        ERR("\xff\xfe", RPL_UNKNOWN_CMD),
        ERR("DATA\xc2\xa0", RPL_UNKNOWN_CMD), /* NBSP is not a space */

        /* a verb that takes no argument got one */
        ERR("DATA x", RPL_SYNTAX),
        ERR("DATA  x", RPL_SYNTAX),
        ERR("DATA .", RPL_SYNTAX),
        ERR("QUIT now", RPL_SYNTAX),
        ERR("RSET x", RPL_SYNTAX),
        ERR("STARTTLS x", RPL_SYNTAX),
        ERR("STARTTLS  EHLO x", RPL_SYNTAX),

        /* a verb that needs an argument got none */
        ERR("HELO", RPL_SYNTAX),
        ERR("HELO ", RPL_SYNTAX),
        ERR("EHLO", RPL_SYNTAX),
        ERR("EHLO    ", RPL_SYNTAX),
        ERR("MAIL", RPL_SYNTAX),
        ERR("MAIL ", RPL_SYNTAX),
        ERR("RCPT", RPL_SYNTAX),
        ERR("rcpt  ", RPL_SYNTAX),
        ERR("BDAT", RPL_SYNTAX),
        ERR("BDAT ", RPL_SYNTAX),
        ERR("AUTH", RPL_SYNTAX),
        ERR("AUTH ", RPL_SYNTAX),
        ERR("VRFY", RPL_SYNTAX),
        ERR("EXPN", RPL_SYNTAX),

        /* MAIL without FROM:, RCPT without TO: */
        ERR("MAIL TO:<a@b>", RPL_SYNTAX),
        ERR("RCPT FROM:<a@b>", RPL_SYNTAX),
        ERR("MAIL FROM<a@b>", RPL_SYNTAX),
        ERR("MAIL FROM <a@b>", RPL_SYNTAX),
        ERR("MAIL FROM", RPL_SYNTAX),
        ERR("MAIL FRO:<a@b>", RPL_SYNTAX),
        ERR("MAIL <a@b>", RPL_SYNTAX),
        ERR("MAIL  FROM:<a@b>", RPL_SYNTAX),
        ERR("RCPT T:<a@b>", RPL_SYNTAX),
        ERR("RCPT TO <a@b>", RPL_SYNTAX),
        ERR("RCPT :<a@b>", RPL_SYNTAX),
};

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];
		struct smtp_cmd cmd = {.verb = (enum smtp_verb) - 1, .arg = NULL};
		enum reply why = RPL_MAX;
		int rc = smtp_cmd_parse(r->line, r->len, &cmd, &why);

		EXPECT(rc == r->rc, "row %zu %s: rc %d, expected %d (why %s)", i,
		       show(r->line, r->len), rc, r->rc, rname(why));
		if (rc != r->rc)
			continue;
		if (rc < 0) {
			EXPECT(why == r->why, "row %zu %s: why %s, expected %s", i,
			       show(r->line, r->len), rname(why), rname(r->why));
			continue;
		}
		EXPECT(cmd.verb == r->verb, "row %zu %s: verb %d, expected %d", i,
		       show(r->line, r->len), (int)cmd.verb, (int)r->verb);
		EXPECT(cmd.arg != NULL && cmd.arg >= r->line && cmd.arg <= r->line + r->len,
		       "row %zu %s: arg does not point into the line", i, show(r->line, r->len));
		if (cmd.arg != NULL)
			EXPECT(strcmp(cmd.arg, r->arg) == 0, "row %zu %s: arg %s, expected %s", i,
			       show(r->line, r->len), shows(cmd.arg), shows(r->arg));
	}
	ALL_PASSED();
}

/* Each verb, in every upper/lower-case spelling, parses to itself. */
static void test_case_insensitive_every_spelling(void **state)
{
	static const struct {
		const char *name;
		enum smtp_verb verb;
		const char *arg;
	} verbs[] = {
	        {"HELO", SMTP_CMD_HELO, " x"},       {"EHLO", SMTP_CMD_EHLO, " x"},
	        {"MAIL", SMTP_CMD_MAIL, " FROM:<>"}, {"RCPT", SMTP_CMD_RCPT, " TO:<a@b>"},
	        {"DATA", SMTP_CMD_DATA, ""},         {"BDAT", SMTP_CMD_BDAT, " 1"},
	        {"RSET", SMTP_CMD_RSET, ""},         {"NOOP", SMTP_CMD_NOOP, ""},
	        {"QUIT", SMTP_CMD_QUIT, ""},         {"VRFY", SMTP_CMD_VRFY, " x"},
	        {"EXPN", SMTP_CMD_EXPN, " x"},       {"HELP", SMTP_CMD_HELP, ""},
	        {"STARTTLS", SMTP_CMD_STARTTLS, ""}, {"AUTH", SMTP_CMD_AUTH, " PLAIN"},
	};
	(void)state;
	for (size_t v = 0; v < NELEM(verbs); v++) {
		size_t n = strlen(verbs[v].name);
		for (unsigned mask = 0; mask < (1u << n); mask++) {
			char line[64];
			for (size_t k = 0; k < n; k++) {
				char c = verbs[v].name[k];
				line[k] = (mask & (1u << k)) ? (char)(c + 32) : c;
			}
			strcpy(line + n, verbs[v].arg);
			struct smtp_cmd cmd;
			enum reply why = RPL_MAX;
			int rc = smtp_cmd_parse(line, strlen(line), &cmd, &why);
			EXPECT(rc == 0 && cmd.verb == verbs[v].verb, "%s: rc %d why %s",
			       shows(line), rc, rname(why));
		}
	}
	ALL_PASSED();
}

/* Every control byte, at the start, in the verb and in the argument, is RPL_BAD_CHAR. */
static void test_every_control_byte(void **state)
{
	static const char *const templates[] = {"%cHELO x", "HE%cLO x", "HELO %cx",
	                                        "HELO x%c", "DATA%c",   "MAIL FROM:<a@b>%c",
	                                        "%c"};
	(void)state;
	for (size_t t = 0; t < NELEM(templates); t++) {
		for (int c = 0; c < 256; c++) {
			if (c >= 0x20 && c != 0x7f)
				continue;
			char line[64];
			size_t n = 0;
			for (const char *p = templates[t]; *p; p++) {
				if (p[0] == '%' && p[1] == 'c') {
					line[n++] = (char)c;
					p++;
				} else {
					line[n++] = *p;
				}
			}
			line[n] = '\0';
			struct smtp_cmd cmd;
			enum reply why = RPL_MAX;
			int rc = smtp_cmd_parse(line, n, &cmd, &why);
			EXPECT(rc == -1 && why == RPL_BAD_CHAR, "%s: rc %d why %s", show(line, n),
			       rc, rname(why));
		}
	}
	ALL_PASSED();
}

/* A command line of the longest allowed length (510 octets before CRLF) parses. */
static void test_longest_line(void **state)
{
	char line[SMTP_CMD_MAX - 2 + 1];
	struct smtp_cmd cmd;
	enum reply why;

	(void)state;
	memcpy(line, "HELO ", 5);
	memset(line + 5, 'h', sizeof(line) - 6);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(smtp_cmd_parse(line, strlen(line), &cmd, &why), 0);
	assert_int_equal(cmd.verb, SMTP_CMD_HELO);
	assert_int_equal(strlen(cmd.arg), SMTP_CMD_MAX - 2 - 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),
	        cmocka_unit_test(test_case_insensitive_every_spelling),
	        cmocka_unit_test(test_every_control_byte),
	        cmocka_unit_test(test_longest_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
