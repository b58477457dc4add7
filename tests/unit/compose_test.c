/*
 * compose_test.c - compose_build, compose_header_ok and the text checks:
 * golden messages (single-part exactly; multipart with the random boundary
 * token masked as "T"), one row per refusal with its exact error, and on
 * every message built: CRLF lines of at most 998 octets, 7-bit, encoded
 * words of at most 75 characters that decode back to the input (RFC 2047),
 * quoted-printable that decodes back to the body, RFC 2231 file names that
 * decode back to the name, delimiters only where the structure puts them.
 */
#include "compose.h"

#include <sodium.h>

#include "base64.h"
#include "strutil.h"
#include "unit.h"
#include "utf8.h"

/* ---- compose_text_ok --------------------------------------------------- */

struct text_row {
	const char *in;
	size_t n;
	bool tab_ok;
	const char *why; /* NULL: accepted */
};

static const struct text_row text_rows[] = {
        {RAW("plain"), false, NULL},
        {RAW(""), false, NULL},
        {RAW("J\xc3\xb6rg \xe2\x82\xac \xf0\x9f\x98\x80"), false, NULL},
        {RAW("a\tb"), true, NULL},
        {RAW("a\tb"), false, "contains a tab"},
        {RAW("a\rb"), true, "contains a carriage return (CR)"},
        {RAW("a\nb"), true, "contains a line feed (LF)"},
        {RAW("a\r\nBcc: x@y"), true, "contains a carriage return (CR)"},
        {RAW("a\0b"), true, "contains a NUL character"},
        {RAW("a\x1b[31m"), true, "contains a control character (0x1B)"},
        {RAW("a\x7f"), true, "contains a control character (0x7F)"},
        {RAW("a\x0b"), true, "contains a control character (0x0B)"},
        {RAW("a\xc2\x85"), true, "contains U+0085 NEXT LINE (NEL)"},
        {RAW("a\xc2\x80"), true, "contains a C1 control character (U+0080)"},
        {RAW("a\xc2\x9f"), true, "contains a C1 control character (U+009F)"},
        {RAW("a\xc2\xa0"), true, NULL}, /* NO-BREAK SPACE is text */
        {RAW("a\xe2\x80\xa8"), true, "contains U+2028 LINE SEPARATOR"},
        {RAW("a\xe2\x80\xa9"), true, "contains U+2029 PARAGRAPH SEPARATOR"},
        {RAW("a\xe2\x80\xa7"), true, NULL}, /* U+2027, next to them, is fine */
        {RAW("a\xff"), true, "is not valid UTF-8"},
        {RAW("a\xc3"), true, "is not valid UTF-8"},
        {RAW("\xc0\x8a"), true, "is not valid UTF-8"},     /* overlong LF */
        {RAW("\xed\xa0\x80"), true, "is not valid UTF-8"}, /* surrogate */
};

static void test_text_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(text_rows); i++) {
		const struct text_row *r = &text_rows[i];
		char why[128] = "";
		bool ok = compose_text_ok(r->in, r->n, r->tab_ok, why, sizeof(why));
		if (r->why == NULL)
			EXPECT(ok, "row %zu %s: refused: %s", i, show(r->in, r->n), why);
		else
			EXPECT(!ok && strcmp(why, r->why) == 0, "row %zu %s: ok %d why \"%s\"", i,
			       show(r->in, r->n), ok, why);
	}
	ALL_PASSED();
}

/* ---- compose_header_ok, content types, content ids ----------------------- */

struct hdr_row {
	const char *name, *value;
	const char *why; /* NULL: allowed */
};

#define OWNED(n)                                                                                   \
	{                                                                                          \
		n, "x", "the field " n " is set by Postern, not by the caller"                     \
	}

static const struct hdr_row hdr_rows[] = {
        {"X-Campaign", "spring-2026", NULL},
        {"In-Reply-To", "<a@example.com>", NULL},
        {"References", "<a@example.com> <b@example.com>", NULL},
        {"X-Unicode", "caf\xc3\xa9", NULL},
        {"X-Tab", "a\tb", NULL},
        {"X-Encoded-Looking", "=?utf-8?q?=0D=0A?=", NULL}, /* allowed: it is encoded */
        {"Message-ID", "<abc.123@mail.example.com>", NULL},
        {"message-id", "<a@b>", NULL},
        {"X-!#$%&'*+-.^_`|~", "v", NULL},
        {"Keywords", "a, b", NULL},
        /* the fields Postern builds or owns, in any case */
        OWNED("From"),
        OWNED("from"),
        OWNED("Sender"),
        OWNED("To"),
        OWNED("CC"),
        OWNED("Bcc"),
        OWNED("Reply-To"),
        OWNED("Subject"),
        OWNED("Date"),
        OWNED("MIME-Version"),
        OWNED("Content-Type"),
        OWNED("Content-Transfer-Encoding"),
        OWNED("content-disposition"),
        OWNED("Content-Anything"),
        OWNED("DKIM-Signature"),
        OWNED("DomainKey-Signature"),
        OWNED("Received"),
        OWNED("Received-SPF"),
        OWNED("Return-Path"),
        OWNED("Authentication-Results"),
        OWNED("ARC-Seal"),
        OWNED("Resent-From"),
        OWNED("List-Unsubscribe"),
        OWNED("List-Unsubscribe-Post"),
        OWNED("X-Postern-Lane"),
        OWNED("x-postern-anything"),
        /* names */
        {"", "x", "the field name is empty"},
        {"X-A:B", "x", "the field name may hold only printable ASCII but ':' (found 0x3A)"},
        {"X A", "x", "the field name may hold only printable ASCII but ':' (found 0x20)"},
        {"X-A\r\nBcc", "x", "the field name may hold only printable ASCII but ':' (found 0x0D)"},
        {"X-\xc3\xa9", "x", "the field name may hold only printable ASCII but ':' (found 0xC3)"},
        /* values */
        {"X-A", "", "the value of X-A is empty"},
        {"X-A", " \t ", "the value of X-A is empty"},
        {"X-A", "v\r\nBcc: victim@example.org", "the value of X-A contains a carriage return (CR)"},
        {"X-A", "v\nBcc: victim@example.org", "the value of X-A contains a line feed (LF)"},
        {"X-A", "v\rx", "the value of X-A contains a carriage return (CR)"},
        {"X-A", "v\xe2\x80\xa8x", "the value of X-A contains U+2028 LINE SEPARATOR"},
        {"X-A", "v\xe2\x80\xa9x", "the value of X-A contains U+2029 PARAGRAPH SEPARATOR"},
        {"X-A", "v\xc2\x85x", "the value of X-A contains U+0085 NEXT LINE (NEL)"},
        {"X-A", "v\x01", "the value of X-A contains a control character (0x01)"},
        {"X-A", "v\xff", "the value of X-A is not valid UTF-8"},
        /* Message-ID: one msg-id */
        {"Message-ID", "abc@example.com",
         "Message-ID must be one <left@right> of dot-atom text, "
         "at most 250 characters"},
        {"Message-ID", "<abc>",
         "Message-ID must be one <left@right> of dot-atom text, at most "
         "250 characters"},
        {"Message-ID", "<a@b> <c@d>",
         "Message-ID must be one <left@right> of dot-atom text, "
         "at most 250 characters"},
        {"Message-ID", "<a..b@c>",
         "Message-ID must be one <left@right> of dot-atom text, at "
         "most 250 characters"},
        {"Message-ID", "<a@[1.2.3.4]>",
         "Message-ID must be one <left@right> of dot-atom text, "
         "at most 250 characters"},
};

static void test_header_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(hdr_rows); i++) {
		const struct hdr_row *r = &hdr_rows[i];
		char why[200] = "";
		bool ok = compose_header_ok(r->name, r->value, why, sizeof(why));
		if (r->why == NULL)
			EXPECT(ok, "row %zu %s: refused: %s", i, shows(r->name), why);
		else
			EXPECT(!ok && strcmp(why, r->why) == 0, "row %zu %s %s: ok %d why \"%s\"",
			       i, shows(r->name), shows(r->value), ok, why);
	}
	ALL_PASSED();
}

/* the limits of a value: 998 octets, and a word that still fits once folded */
static void test_header_lengths(void **state)
{
	char v[1200], why[200];

	(void)state;
	memset(v, 'w', sizeof(v));
	v[993] = '\0'; /* "X-A: " + 993 = 998 */
	EXPECT(compose_header_ok("X-A", v, why, sizeof(why)), "993-octet word refused: %s", why);
	v[993] = 'w';
	v[994] = '\0';
	EXPECT(!compose_header_ok("X-A", v, why, sizeof(why)) &&
	               strcmp(why, "the value of X-A has a word too long to fold within 998 "
	                           "octets") == 0,
	       "994-octet word: %s", why);
	v[0] = ' '; /* a fold point at the start does not help: a line may not be only WSP */
	EXPECT(!compose_header_ok("X-A", v, why, sizeof(why)), "994 with a leading space allowed");
	memset(v, 'w', sizeof(v));
	for (size_t i = 10; i < 998; i += 10)
		v[i] = ' ';
	v[998] = '\0';
	EXPECT(compose_header_ok("X-A", v, why, sizeof(why)), "998 octets of words refused: %s",
	       why);
	v[998] = 'w';
	v[999] = '\0';
	EXPECT(!compose_header_ok("X-A", v, why, sizeof(why)) &&
	               strcmp(why, "the value of X-A is longer than 998 octets") == 0,
	       "999 octets: %s", why);
	/* field names: 76 characters at most */
	char name[80];
	memset(name, 'N', sizeof(name));
	name[76] = '\0';
	EXPECT(compose_header_ok(name, "x", why, sizeof(why)), "76-character name refused: %s",
	       why);
	name[76] = 'N';
	name[77] = '\0';
	EXPECT(!compose_header_ok(name, "x", why, sizeof(why)) &&
	               strcmp(why, "the field name is longer than 76 characters") == 0,
	       "77-character name: %s", why);
	memset(v, 'w', sizeof(v));
	v[999] = '\0';
	EXPECT(!compose_header_ok("X-A", v, why, sizeof(why)) &&
	               strcmp(why, "the value of X-A is longer than 998 octets") == 0,
	       "999 octets: %s", why);
	/* non-ASCII values are encoded, so one long word is fine */
	for (size_t i = 0; i + 2 <= 990; i += 2)
		memcpy(v + i, "\xc3\xa9", 2);
	v[990] = '\0';
	EXPECT(compose_header_ok("X-A", v, why, sizeof(why)), "long UTF-8 word refused: %s", why);
	ALL_PASSED();
}

struct ct_row {
	const char *in;
	bool cid; /* compose_content_id_ok instead */
	bool ok;
};

static const struct ct_row ct_rows[] = {
        {"application/pdf", false, true},
        {"image/svg+xml", false, true},
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", false, true},
        {"text/plain", false, true},
        {"application", false, false},
        {"/pdf", false, false},
        {"application/", false, false},
        {"application/pdf; name=x", false, false},
        {"application/pdf;", false, false},
        {"application/pdf\r\nBcc: x@y", false, false},
        {"application/p df", false, false},
        {"a/b/c", false, false},
        {"application/\"pdf\"", false, false},
        {"multipart/mixed", false, false},
        {"message/rfc822", false, false},
        {"Multipart/Alternative", false, false},
        {"logo", true, true},
        {"logo@acme.example", true, true},
        {"part1.A1B2@x", true, true},
        {"", true, false},
        {"<logo@x>", true, false},
        {"lo go", true, false},
        {"logo\r\n", true, false},
        {"l\"o", true, false},
};

static void test_content_type_id(void **state)
{
	char why[200];

	(void)state;
	for (size_t i = 0; i < NELEM(ct_rows); i++) {
		const struct ct_row *r = &ct_rows[i];
		bool ok = r->cid ? compose_content_id_ok(r->in, why, sizeof(why))
		                 : compose_content_type_ok(r->in, why, sizeof(why));
		EXPECT(ok == r->ok, "row %zu %s: ok %d", i, shows(r->in), ok);
	}
	ALL_PASSED();
}

/* ---- helpers for the messages -------------------------------------------- */

#define MAXA 4

struct pair {
	const char *name, *addr;
};

struct att_spec {
	const char *filename, *content_type, *data, *cid;
};

struct msg_row {
	const char *label;
	struct pair from;
	struct pair to[MAXA], cc[MAXA], reply_to[MAXA];
	const char *subject, *text, *html;
	const char *hdr[MAXA][2];
	struct att_spec att[MAXA];
	const char *expect; /* the message (token masked as "T"), or NULL when refused */
	const char *err;    /* refused: the exact error */
};

/* fill_addrs - up to max pairs (ended early by a NULL address) into out */
static size_t fill_addrs(const struct pair *p, size_t max, struct compose_addr *out)
{
	size_t n = 0;
	enum reply r;

	for (; n < max && p[n].addr != NULL; n++) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].name = p[n].name;
		/* smtputf8: non-ASCII addresses get as far as compose, which refuses them */
		if (addr_parse_mailbox(p[n].addr, strlen(p[n].addr), true, &out[n].a, &r) != 0)
			strlcpy_(out[n].a.addr, p[n].addr, sizeof(out[n].a.addr));
	}
	return n;
}

static int build_row(const struct msg_row *r, struct buf *out, char *err, size_t errlen)
{
	struct compose_addr to[MAXA], cc[MAXA], rt[MAXA];
	struct compose_header h[MAXA];
	struct compose_attachment att[MAXA];
	struct compose_msg m = {0};
	size_t n;

	fill_addrs(&r->from, 1, &m.from);
	m.to = to;
	m.nto = fill_addrs(r->to, MAXA, to);
	m.cc = cc;
	m.ncc = fill_addrs(r->cc, MAXA, cc);
	m.reply_to = rt;
	m.nreply_to = fill_addrs(r->reply_to, MAXA, rt);
	m.subject = r->subject;
	m.text = r->text;
	m.text_len = r->text ? strlen(r->text) : 0;
	m.html = r->html;
	m.html_len = r->html ? strlen(r->html) : 0;
	for (n = 0; n < MAXA && r->hdr[n][0]; n++)
		h[n] = (struct compose_header){r->hdr[n][0], r->hdr[n][1]};
	m.headers = h;
	m.nheaders = n;
	for (n = 0; n < MAXA && r->att[n].filename; n++)
		att[n] = (struct compose_attachment){r->att[n].filename, r->att[n].content_type,
		                                     (const unsigned char *)r->att[n].data,
		                                     strlen(r->att[n].data), r->att[n].cid};
	m.att = att;
	m.natt = n;
	return compose_build(&m, out, err, errlen);
}

/* well_formed - CRLF lines of at most 998 octets, 7-bit, no NUL; NULL or what is wrong */
static const char *well_formed(const char *m, size_t n)
{
	if (n < 2 || m[n - 2] != '\r' || m[n - 1] != '\n')
		return "does not end in CRLF";
	for (size_t pos = 0; pos < n;) {
		const char *eol = memchr(m + pos, '\n', n - pos);
		if (eol == NULL || eol == m + pos || eol[-1] != '\r')
			return "bare LF";
		size_t len = (size_t)(eol - (m + pos)) - 1;
		if (len > 998)
			return "line over 998 octets";
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)m[pos + i];
			if (c == '\r')
				return "bare CR";
			if (c == 0 || c >= 0x80)
				return "not 7-bit";
		}
		pos = (size_t)(eol - m) + 1;
	}
	return NULL;
}

/* mask - the random token of the boundaries replaced by "T" */
static void mask(struct buf *b)
{
	const char *p = strstr(b->data, "=_mix_");
	char tok[25];

	if (p == NULL)
		p = strstr(b->data, "=_alt_");
	if (p == NULL)
		return;
	memcpy(tok, p + 6, 24);
	tok[24] = '\0';
	struct buf o;
	buf_init(&o);
	for (const char *s = b->data; *s;) {
		if (strncmp(s, tok, 24) == 0) {
			buf_putc(&o, 'T');
			s += 24;
		} else {
			buf_putc(&o, *s++);
		}
	}
	buf_release(b);
	*b = o;
}

/* unfolded - the value of the first field called name (after "name:"), unfolded; caller frees */
static char *unfolded(const char *m, const char *name)
{
	size_t nl = strlen(name);
	struct buf v;

	for (const char *p = m; p && *p && !(p[0] == '\r' && p[1] == '\n');) {
		if (ascii_niequal(p, name, nl) && p[nl] == ':') {
			buf_init(&v);
			for (p += nl + 1; *p && !(p[0] == '\r' && p[1] == '\n' && p[2] != ' ');
			     p++) {
				if (p[0] == '\r' && p[1] == '\n')
					p += 2;
				buf_putc(&v, *p);
			}
			return buf_steal(&v, NULL);
		}
		p = strstr(p, "\r\n");
		p = p ? p + 2 : NULL;
	}
	return NULL;
}

/*
 * ew_decode - a value made only of RFC 2047 B words in UTF-8 separated by
 * white space, decoded (the white space between words dropped, RFC 2047
 * 6.2); NULL if it holds anything else or a word over 75 characters.
 */
static char *ew_decode(const char *v)
{
	struct buf out;

	buf_init(&out);
	while (*v) {
		if (*v == ' ' || *v == '\t') {
			v++;
			continue;
		}
		const char *end = strstr(v, "?=");
		if (strncmp(v, "=?UTF-8?B?", 10) != 0 || end == NULL || end + 2 - v > 75) {
			buf_release(&out);
			return NULL;
		}
		unsigned char dec[64];
		size_t dn;
		if (base64_decode(v + 10, (size_t)(end - v - 10), dec, sizeof(dec), &dn) != 0 ||
		    !utf8_valid((const char *)dec, dn)) {
			buf_release(&out);
			return NULL; /* a word must hold whole characters */
		}
		buf_append(&out, dec, dn);
		v = end + 2;
	}
	return buf_steal(&out, NULL);
}

/* each line holding an encoded word is at most 76 characters (RFC 2047 2) */
static bool ew_lines_ok(const char *m)
{
	for (const char *p = m; *p;) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len == 0)
			break; /* the end of the header section */
		if (memmem(p, len, "=?UTF-8?B?", 10) != NULL && len > 76)
			return false;
		p += len + (eol ? 2 : 0);
	}
	return true;
}

/* ---- golden messages ------------------------------------------------------ */

#define FROM_ACME                                                                                  \
	{                                                                                          \
		"Acme", "billing@acme.example"                                                     \
	}
#define TO_BOB                                                                                     \
	{                                                                                          \
		{                                                                                  \
			NULL, "bob@example.org"                                                    \
		}                                                                                  \
	}
#define HEAD  "From: Acme <billing@acme.example>\r\nTo: bob@example.org\r\n"
#define TEXT7 "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
#define TEXTQP                                                                                     \
	"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "                   \
	"quoted-printable\r\n\r\n"
#define HTML7 "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"

static const struct msg_row msg_rows[] = {
        {"minimal", FROM_ACME, TO_BOB, .subject = "Hello", .text = "Hi Bob,\nsee you.\n",
         .expect = HEAD "Subject: Hello\r\nMIME-Version: 1.0\r\n" TEXT7 "Hi Bob,\r\nsee you.\r\n"},
        {"no subject, no final newline", FROM_ACME, TO_BOB, .text = "Hi",
         .expect = HEAD "MIME-Version: 1.0\r\n" TEXT7 "Hi\r\n"},
        {"empty subject", FROM_ACME, TO_BOB, .subject = "", .text = "x",
         .expect = HEAD "Subject:\r\nMIME-Version: 1.0\r\n" TEXT7 "x\r\n"},
        {"line ends normalised", FROM_ACME, TO_BOB, .text = "a\rb\nc\r\nd\r\r\n",
         .expect = HEAD "MIME-Version: 1.0\r\n" TEXT7 "a\r\nb\r\nc\r\nd\r\n\r\n"},
        {"html only", FROM_ACME, TO_BOB, .html = "<p>Hi</p>",
         .expect = HEAD "MIME-Version: 1.0\r\n" HTML7 "<p>Hi</p>\r\n"},
        {"quoted-printable", FROM_ACME, TO_BOB,
         .text = "price = 5\xe2\x82\xac\ntrailing \n.dot\nFrom me\ttab\t\n",
         .expect = HEAD "MIME-Version: 1.0\r\n" TEXTQP
                        "price =3D 5=E2=82=AC\r\ntrailing=20\r\n.dot\r\nFrom me\ttab=09\r\n"},
        {"QP soft breaks at 76", FROM_ACME, TO_BOB,
         .text = "0123456789012345678901234567890123456789012345678901234567890123456789012345"
                 "6789 \xc3\xa9",
         .expect = HEAD "MIME-Version: 1.0\r\n" TEXTQP
                        "012345678901234567890123456789012345678901234567890123456789012345678901"
                        "234=\r\n56789 =C3=A9\r\n"},
        {"control characters in a body are encoded", FROM_ACME, TO_BOB,
         .text = "bell\x07 esc\x1b del\x7f\n",
         .expect = HEAD "MIME-Version: 1.0\r\n" TEXTQP "bell=07 esc=1B del=7F\r\n"},
        {"=_ forces QP (no boundary can hide in 7bit)", FROM_ACME, TO_BOB, .text = "a=_b\n",
         .expect = HEAD "MIME-Version: 1.0\r\n" TEXTQP "a=3D_b\r\n"},

        /* display names */
        {"atoms",
         {"Acme Billing Dept", "billing@acme.example"},
         {{"Bob O'Neil", "bob@example.org"}},
         .text = "x",
         .expect = "From: Acme Billing Dept <billing@acme.example>\r\nTo: Bob O'Neil "
                   "<bob@example.org>\r\nMIME-Version: 1.0\r\n" TEXT7 "x\r\n"},
        {"quoted",
         {"Acme, Inc. \"Billing\" \\ Dept", "billing@acme.example"},
         {{"Smith, John", "j@example.org"},
          {" spaced ", "s@example.org"},
          {"a.b", "ab@example.org"}},
         .text = "x",
         .expect = "From: \"Acme, Inc. \\\"Billing\\\" \\\\ Dept\" <billing@acme.example>\r\n"
                   "To: \"Smith, John\" <j@example.org>, \" spaced \" <s@example.org>,\r\n"
                   " \"a.b\" <ab@example.org>\r\nMIME-Version: 1.0\r\n" TEXT7 "x\r\n"},
        {"non-ASCII",
         {"J\xc3\xb6rg M\xc3\xbcller", "billing@acme.example"},
         TO_BOB,
         .text = "x",
         .expect = "From: =?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <billing@acme.example>\r\n"
                   "To: bob@example.org\r\nMIME-Version: 1.0\r\n" TEXT7 "x\r\n"},
        {"an encoded-word look-alike is encoded, not passed on",
         FROM_ACME,
         {{"=?utf-8?q?=0D=0ABcc:_x@y?=", "bob@example.org"}},
         .cc = {{"=?utf-8?b?QGV2aWw=?=", "c@example.org"}},
         .text = "x",
         .expect = "From: Acme <billing@acme.example>\r\n"
                   "To: =?UTF-8?B?PT91dGYtOD9xPz0wRD0wQUJjYzpfeEB5Pz0=?= <bob@example.org>\r\n"
                   "Cc: =?UTF-8?B?PT91dGYtOD9iP1FHVjJhV3c9Pz0=?= <c@example.org>\r\n"
                   "MIME-Version: 1.0\r\n" TEXT7 "x\r\n"},
        {"empty name, reply-to",
         {"", "billing@acme.example"},
         TO_BOB,
         .reply_to = {{"Support", "help@acme.example"}, {NULL, "h2@acme.example"}},
         .text = "x",
         .expect = "From: billing@acme.example\r\nTo: bob@example.org\r\n"
                   "Reply-To: Support <help@acme.example>, h2@acme.example\r\n"
                   "MIME-Version: 1.0\r\n" TEXT7 "x\r\n"},

        /* subjects */
        {"subject look-alike encoded word", FROM_ACME, TO_BOB,
         .subject = "=?utf-8?q?=0D=0A?=", .text = "x",
         .expect = HEAD "Subject: =?UTF-8?B?PT91dGYtOD9xPz0wRD0wQT89?=\r\nMIME-Version: "
                        "1.0\r\n" TEXT7 "x\r\n"},
        {"subject folded at white space", FROM_ACME, TO_BOB,
         .subject = "Your order 1234 has shipped and will arrive on Tuesday between nine and "
                    "five, tracking attached",
         .text = "x",
         .expect = HEAD "Subject: Your order 1234 has shipped and will arrive on Tuesday "
                        "between nine\r\n and five, tracking attached\r\nMIME-Version: "
                        "1.0\r\n" TEXT7 "x\r\n"},
        {"subject non-ASCII", FROM_ACME, TO_BOB, .subject = "Caf\xc3\xa9 \xe2\x98\x95", .text = "x",
         .expect = HEAD "Subject: =?UTF-8?B?Q2Fmw6kg4piV?=\r\nMIME-Version: 1.0\r\n" TEXT7 "x\r\n"},

        /* extra headers */
        {"extra headers", FROM_ACME, TO_BOB, .text = "x",
         .hdr = {{"X-Campaign", "spring"},
                 {"Message-ID", "<a.b@acme.example>"},
                 {"X-Note", "caf\xc3\xa9"},
                 {"X-Trick", "=?utf-8?q?a?="}},
         .expect = HEAD "MIME-Version: 1.0\r\nX-Campaign: spring\r\nMessage-ID: "
                        "<a.b@acme.example>\r\nX-Note: =?UTF-8?B?Y2Fmw6k=?=\r\nX-Trick: "
                        "=?UTF-8?B?PT91dGYtOD9xP2E/PQ==?=\r\n" TEXT7 "x\r\n"},

        /* multipart */
        {"alternative", FROM_ACME, TO_BOB, .text = "plain", .html = "<b>rich</b>\n",
         .expect = HEAD "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; "
                        "boundary=\"=_alt_T\"\r\n\r\n--=_alt_T\r\n" TEXT7
                        "plain\r\n--=_alt_T\r\n" HTML7 "<b>rich</b>\r\n\r\n--=_alt_T--\r\n"},
        {"attachment", FROM_ACME, TO_BOB, .text = "see attached",
         .att = {{"report.pdf", "application/pdf", "%PDF-1.4", NULL}},
         .expect = HEAD "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                        "boundary=\"=_mix_T\"\r\n\r\n--=_mix_T\r\n" TEXT7
                        "see attached\r\n--=_mix_T\r\nContent-Type: application/pdf;\r\n "
                        "name=\"report.pdf\"\r\nContent-Transfer-Encoding: "
                        "base64\r\nContent-Disposition: attachment;\r\n "
                        "filename=\"report.pdf\"\r\n\r\nJVBERi0xLjQ=\r\n--=_mix_T--\r\n"},
        {"alternative, inline image, non-ASCII file name", FROM_ACME, TO_BOB, .text = "t",
         .html = "<img src=\"cid:logo@acme\">",
         .att = {{"logo.png", "image/png", "PNG", "logo@acme"},
                 {"\xc3\xa9t\xc3\xa9 \"1\".txt", NULL, "", NULL}},
         .expect = HEAD "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                        "boundary=\"=_mix_T\"\r\n\r\n--=_mix_T\r\nContent-Type: "
                        "multipart/alternative; boundary=\"=_alt_T\"\r\n\r\n--=_alt_T\r\n" TEXT7
                        "t\r\n--=_alt_T\r\n" HTML7
                        "<img src=\"cid:logo@acme\">\r\n--=_alt_T--\r\n--=_mix_T\r\n"
                        "Content-Type: image/png;\r\n name=\"logo.png\"\r\n"
                        "Content-Transfer-Encoding: base64\r\nContent-Disposition: inline;\r\n "
                        "filename=\"logo.png\"\r\nContent-ID: <logo@acme>\r\n\r\nUE5H\r\n"
                        "--=_mix_T\r\nContent-Type: application/octet-stream;\r\n "
                        "name*=utf-8''%C3%A9t%C3%A9%20%221%22.txt\r\n"
                        "Content-Transfer-Encoding: base64\r\nContent-Disposition: "
                        "attachment;\r\n filename*=utf-8''%C3%A9t%C3%A9%20%221%22.txt\r\n\r\n"
                        "\r\n--=_mix_T--\r\n"},
        {"attachment only, encoded-word look-alike file name", FROM_ACME, TO_BOB,
         .att = {{"=?utf-8?b?QGV2aWw=?=", NULL, "x", NULL}},
         .expect = HEAD "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                        "boundary=\"=_mix_T\"\r\n\r\n--=_mix_T\r\nContent-Type: "
                        "application/octet-stream;\r\n "
                        "name*=utf-8''%3D%3Futf-8%3Fb%3FQGV2aWw%3D%3F%3D\r\n"
                        "Content-Transfer-Encoding: base64\r\nContent-Disposition: "
                        "attachment;\r\n "
                        "filename*=utf-8''%3D%3Futf-8%3Fb%3FQGV2aWw%3D%3F%3D\r\n\r\neA==\r\n"
                        "--=_mix_T--\r\n"},

        /* refusals: nothing is written */
        {"no body", FROM_ACME, TO_BOB, .err = "the message has no text, html or attachment"},
        {"CR in the from name",
         {"Evil\r\nBcc: x@y", "billing@acme.example"},
         TO_BOB,
         .text = "x",
         .err = "from: the display name contains a carriage return (CR)"},
        {"LF in a to name",
         FROM_ACME,
         {{NULL, "a@example.org"}, {"Bob\nBcc: x@y", "b@example.org"}},
         .text = "x",
         .err = "to[1]: the display name contains a line feed (LF)"},
        {"U+2028 in a cc name", FROM_ACME, TO_BOB,
         .cc = {{"a\xe2\x80\xa8"
                 "b",
                 "c@example.org"}},
         .text = "x", .err = "cc[0]: the display name contains U+2028 LINE SEPARATOR"},
        {"NEL in a reply-to name", FROM_ACME, TO_BOB,
         .reply_to = {{"a\xc2\x85"
                       "b",
                       "r@example.org"}},
         .text = "x", .err = "reply_to[0]: the display name contains U+0085 NEXT LINE (NEL)"},
        {"tab in a name",
         {"a\tb", "billing@acme.example"},
         TO_BOB,
         .text = "x",
         .err = "from: the display name contains a tab"},
        {"CRLF in the subject", FROM_ACME, TO_BOB, .subject = "hi\r\nBcc: victim@example.org",
         .text = "x", .err = "subject: contains a carriage return (CR)"},
        {"U+2029 in the subject", FROM_ACME, TO_BOB, .subject = "a\xe2\x80\xa9", .text = "x",
         .err = "subject: contains U+2029 PARAGRAPH SEPARATOR"},
        {"bad UTF-8 in the subject", FROM_ACME, TO_BOB, .subject = "a\xc3", .text = "x",
         .err = "subject: is not valid UTF-8"},
        {"bad UTF-8 in the text", FROM_ACME, TO_BOB, .text = "a\xff",
         .err = "text: not valid UTF-8"},
        {"bad UTF-8 in the html", FROM_ACME, TO_BOB, .html = "a\xff",
         .err = "html: not valid UTF-8"},
        {"non-ASCII local part",
         FROM_ACME,
         {{NULL, "j\xc3\xb6rg@example.org"}},
         .text = "x",
         .err = "to[0]: the address has a non-ASCII local part, which a 7-bit header cannot "
                "hold"},
        {"IDN",
         {NULL, "billing@b\xc3\xbc"
                "cher.example"},
         TO_BOB,
         .text = "x",
         .err = "from: internationalised domain names are not supported; give the domain in "
                "its ASCII (xn--) form"},
        {"bad address",
         FROM_ACME,
         {{NULL, "a@b@c"}},
         .text = "x",
         .err = "to[0]: the address is not valid"},
        {"empty address",
         FROM_ACME,
         {{"x", ""}},
         .text = "x",
         .err = "to[0]: the address is missing or malformed"},
        {"header owned", FROM_ACME, TO_BOB, .text = "x", .hdr = {{"X-Ok", "1"}, {"Bcc", "x@y"}},
         .err = "headers[1]: the field Bcc is set by Postern, not by the caller"},
        {"header injection", FROM_ACME, TO_BOB, .text = "x", .hdr = {{"X-A", "1\r\nBcc: x@y"}},
         .err = "headers[0]: the value of X-A contains a carriage return (CR)"},
        {"LF in a file name", FROM_ACME, TO_BOB, .att = {{"a\nb.txt", NULL, "x", NULL}},
         .err = "attachments[0].filename: contains a line feed (LF)"},
        {"empty file name", FROM_ACME, TO_BOB, .att = {{"", NULL, "x", NULL}},
         .err = "attachments[0].filename: must be 1 to 255 octets"},
        {"content type with parameters", FROM_ACME, TO_BOB,
         .att = {{"a", "text/plain; charset=utf-8", "x", NULL}},
         .err = "attachments[0].content_type: must be type/subtype of RFC 2045 tokens, without "
                "parameters"},
        {"bad content id", FROM_ACME, TO_BOB, .att = {{"a", NULL, "x", "<x>"}},
         .err = "attachments[0].content_id: may hold only letters, digits, '.', '@' and "
                "!#$%&'*+-/=?^_`{|}~ (no angle brackets)"},
};

static void test_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(msg_rows); i++) {
		const struct msg_row *r = &msg_rows[i];
		struct buf out;
		char err[256] = "";
		buf_init(&out);
		buf_puts(&out, "KEEP");
		int rc = build_row(r, &out, err, sizeof(err));
		if (r->expect == NULL) {
			EXPECT(rc == -1 && strcmp(err, r->err) == 0 && out.len == 4,
			       "%s: rc %d err \"%s\" (len %zu)", r->label, rc, err, out.len);
			buf_release(&out);
			continue;
		}
		EXPECT(rc == 0 && strncmp(out.data, "KEEP", 4) == 0, "%s: rc %d err %s", r->label,
		       rc, err);
		if (rc != 0) {
			buf_release(&out);
			continue;
		}
		buf_consume(&out, 4);
		const char *bad = well_formed(out.data, out.len);
		EXPECT(bad == NULL, "%s: %s", r->label, bad);
		EXPECT(ew_lines_ok(out.data), "%s: encoded-word line over 76", r->label);
		mask(&out);
		EXPECT(strcmp(out.data, r->expect) == 0, "%s:\n got %s\nwant %s", r->label,
		       show(out.data, out.len), shows(r->expect));
		buf_release(&out);
	}
	ALL_PASSED();
}

/* ---- round trips ---------------------------------------------------------- */

/* subjects and names that must come back as they were, whatever their form */
static const char *const round_texts[] = {
        "plain words",
        "=?utf-8?q?=0D=0A?=",
        "=?",
        "Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
        "e \xe2\x80\x94 \xe2\x82\xac 5",
        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90\x8d\xe3\x81\xa7"
        "\xe3\x81\x99\xe3\x80\x82\xe9\x95\xb7\xe3\x81\x84\xe4\xbb\xb6\xe5\x90\x8d\xe3\x81\xaf"
        "\xe8\xa4\x87\xe6\x95\xb0\xe3\x81\xae\xe7\xac\xa6\xe5\x8f\xb7\xe5\x8c\x96\xe8\xaa\x9e"
        "\xe3\x81\xab\xe5\x88\x86\xe3\x81\x91\xe3\x82\x89\xe3\x82\x8c\xe3\x81\xbe\xe3\x81\x99",
        "\xf0\x9f\x98\x80\xf0\x9f\x9a\x80\xf0\x9f\x98\x80\xf0\x9f\x9a\x80\xf0\x9f\x98\x80\xf0"
        "\x9f\x9a\x80\xf0\x9f\x98\x80\xf0\x9f\x9a\x80\xf0\x9f\x98\x80\xf0\x9f\x9a\x80\xf0\x9f"
        "\x98\x80\xf0\x9f\x9a\x80 emoji",
        "trailing space ",
        " leading",
        "tab\there",
};

static void test_round_trip_subject(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(round_texts); i++) {
		struct msg_row r = {"", FROM_ACME, TO_BOB, .subject = round_texts[i], .text = "x"};
		struct buf out;
		char err[256];
		buf_init(&out);
		EXPECT(build_row(&r, &out, err, sizeof(err)) == 0, "%s: %s", shows(round_texts[i]),
		       err);
		char *v = unfolded(out.data, "Subject");
		char *d = v ? ew_decode(v) : NULL;
		/* plain: the unfolded value less the one space after the colon */
		bool ok = d ? strcmp(d, round_texts[i]) == 0
		            : v && v[0] == ' ' && strcmp(v + 1, round_texts[i]) == 0;
		EXPECT(ok, "%s: came back as %s (%s)", shows(round_texts[i]), shows(d), shows(v));
		EXPECT(well_formed(out.data, out.len) == NULL && ew_lines_ok(out.data), "%s",
		       shows(round_texts[i]));
		if (strstr(round_texts[i], "=?") != NULL ||
		    !is_ascii(round_texts[i], strlen(round_texts[i])))
			EXPECT(d != NULL, "%s: not encoded", shows(round_texts[i]));
		free(d);
		free(v);
		buf_release(&out);
	}
	ALL_PASSED();
}

static void test_round_trip_name(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(round_texts); i++) {
		if (strchr(round_texts[i], '\t'))
			continue; /* no tab in a display name */
		struct msg_row r = {"", {round_texts[i], "a@example.org"}, TO_BOB, .text = "x"};
		struct buf out;
		char err[256];
		buf_init(&out);
		EXPECT(build_row(&r, &out, err, sizeof(err)) == 0, "%s: %s", shows(round_texts[i]),
		       err);
		char *v = unfolded(out.data, "From");
		char *lt = v ? strstr(v, " <a@example.org>") : NULL;
		EXPECT(lt != NULL && lt[16] == '\0', "%s: %s", shows(round_texts[i]), shows(v));
		if (lt == NULL) {
			free(v);
			buf_release(&out);
			continue;
		}
		*lt = '\0';
		char *d = ew_decode(v);
		bool encode = strstr(round_texts[i], "=?") ||
		              !is_ascii(round_texts[i], strlen(round_texts[i]));
		if (encode)
			EXPECT(d && strcmp(d, round_texts[i]) == 0, "%s: came back as %s",
			       shows(round_texts[i]), shows(d));
		else
			EXPECT(d == NULL && strstr(v, round_texts[i]) != NULL, "%s: written as %s",
			       shows(round_texts[i]), shows(v));
		EXPECT(well_formed(out.data, out.len) == NULL && ew_lines_ok(out.data), "%s",
		       shows(round_texts[i]));
		free(d);
		free(v);
		buf_release(&out);
	}
	ALL_PASSED();
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* qp_decode - strict: only =XX (upper case) and soft breaks; -1 on anything else */
static int qp_decode(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '=') {
			buf_putc(out, s[i]);
			continue;
		}
		if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
			return -1;
		buf_putc(out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
		i += 2;
	}
	return 0;
}

/* bodies that must come back (line ends as CRLF) through QP or 7bit */
static const char *const bodies[] = {
        "short\n",
        "= at the end=",
        "trailing spaces   \nand tabs\t\t\n",
        ".\n..\n.leading dots\n",
        "--=_mix_0123456789abcdefghijklmn\n--=_alt_x--\n",
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n",
        "a\r\rb\n\nc\r\n",
        "x=\ny =\n",
};

static void test_round_trip_body(void **state)
{
	char long_line[3000];

	(void)state;
	memset(long_line, 'L', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	for (size_t i = 0; i <= NELEM(bodies); i++) {
		const char *body = i < NELEM(bodies) ? bodies[i] : long_line;
		struct msg_row r = {"", FROM_ACME, TO_BOB, .text = body};
		struct buf out, dec, want;
		char err[256];
		buf_init(&out);
		buf_init(&dec);
		buf_init(&want);
		EXPECT(build_row(&r, &out, err, sizeof(err)) == 0, "%s: %s", shows(body), err);
		EXPECT(well_formed(out.data, out.len) == NULL, "%s: %s", shows(body),
		       well_formed(out.data, out.len));
		const char *b = strstr(out.data, "\r\n\r\n") + 4;
		size_t bn = out.len - (size_t)(b - out.data);
		if (strstr(out.data, "quoted-printable") != NULL) {
			EXPECT(qp_decode(b, bn, &dec) == 0, "%s: bad QP", shows(body));
			for (const char *p = b; p < b + bn;) {
				const char *eol = strstr(p, "\r\n");
				EXPECT(eol - p <= 76, "%s: QP line over 76", shows(body));
				EXPECT(eol == p || (eol[-1] != ' ' && eol[-1] != '\t'),
				       "%s: QP line ends in white space", shows(body));
				p = eol + 2;
			}
		} else {
			buf_append(&dec, b, bn);
		}
		for (const char *p = body; *p; p++) {
			if (*p == '\r' || *p == '\n') {
				buf_append(&want, "\r\n", 2);
				if (p[0] == '\r' && p[1] == '\n')
					p++;
			} else {
				buf_putc(&want, *p);
			}
		}
		/* the top level gets a final line end if the body had none */
		if (want.len < 2 || memcmp(want.data + want.len - 2, "\r\n", 2) != 0)
			buf_append(&want, "\r\n", 2);
		EXPECT(dec.len == want.len && memcmp(dec.data, want.data, dec.len) == 0,
		       "%s: decoded %s", shows(body), show(dec.data, dec.len));
		buf_release(&out);
		buf_release(&dec);
		buf_release(&want);
	}
	ALL_PASSED();
}

/* a percent-decoded RFC 2231 value, continuations joined; NULL if absent */
static char *param_2231(const char *section, const char *attr)
{
	struct buf v;
	char key[64];
	const char *p;

	buf_init(&v);
	snprintf(key, sizeof(key), " %s*=utf-8''", attr);
	if ((p = strstr(section, key)) != NULL) {
		p += strlen(key);
	} else {
		snprintf(key, sizeof(key), " %s*0*=utf-8''", attr);
		if ((p = strstr(section, key)) == NULL)
			return NULL;
		p += strlen(key);
	}
	for (unsigned part = 1;; part++) {
		for (; *p && *p != ';' && *p != '\r'; p++) {
			if (*p == '%') {
				buf_putc(&v, (char)(hexval(p[1]) * 16 + hexval(p[2])));
				p += 2;
			} else {
				buf_putc(&v, *p);
			}
		}
		snprintf(key, sizeof(key), ";\r\n %s*%u*=", attr, part);
		if (strncmp(p, key, strlen(key)) != 0)
			break;
		p += strlen(key);
	}
	return buf_steal(&v, NULL);
}

static void test_round_trip_filename(void **state)
{
	char longname[256];

	(void)state;
	/* 127 two-octet characters: 762 percent-encoded characters, in continuations */
	for (size_t i = 0; i + 2 < sizeof(longname); i += 2)
		memcpy(longname + i, "\xc3\xa9", 2);
	longname[254] = '\0';
	const char *names[] = {"\xc3\xa9t\xc3\xa9.pdf", "a \"quoted\" name.txt", "back\\slash",
	                       "=?utf-8?q?x?=",         "100% \xe2\x82\xac.txt", longname};
	for (size_t i = 0; i < NELEM(names); i++) {
		struct msg_row r = {"", FROM_ACME, TO_BOB, .att = {{names[i], NULL, "data", NULL}}};
		struct buf out;
		char err[256];
		buf_init(&out);
		EXPECT(build_row(&r, &out, err, sizeof(err)) == 0, "%s: %s", shows(names[i]), err);
		const char *bad = well_formed(out.data, out.len);
		EXPECT(bad == NULL, "%s: %s", shows(names[i]), bad);
		char *fn = param_2231(out.data, "filename"), *nm = param_2231(out.data, "name");
		EXPECT(fn && strcmp(fn, names[i]) == 0, "%s: filename came back as %s",
		       shows(names[i]), shows(fn));
		EXPECT(nm && strcmp(nm, names[i]) == 0, "%s: name came back as %s", shows(names[i]),
		       shows(nm));
		EXPECT(strstr(out.data, "filename=\"") == NULL, "%s: an ASCII fallback too",
		       shows(names[i]));
		for (const char *p = out.data; (p = strstr(p, "\r\n")) != NULL; p += 2) {
			const char *q = strstr(p + 2, "\r\n");
			EXPECT(q == NULL || q - p - 2 <= 78, "%s: header line over 78",
			       shows(names[i]));
			if (q == NULL || q == p + 2)
				break; /* header section done */
		}
		free(fn);
		free(nm);
		buf_release(&out);
	}
	ALL_PASSED();
}

/*
 * The structure: delimiter lines exactly where compose puts them, whatever
 * the bodies hold, attachments in base64 lines of 76 that decode back.
 */
static void test_structure(void **state)
{
	unsigned char bin[1000];
	struct buf out;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7);
	struct compose_attachment att[2] = {
	        {"bin.dat", "application/octet-stream", bin, sizeof(bin), NULL},
	        {"empty", NULL, NULL, 0, NULL},
	};
	struct msg_row r = {"", FROM_ACME, TO_BOB, .text = "--=_mix_\n--=_alt_\n=_\n",
	                    .html = "--=_alt_ --=_mix_"};
	struct compose_addr from, to;
	struct compose_msg m = {0};
	fill_addrs(&r.from, 1, &from);
	fill_addrs(r.to, 1, &to);
	m.from = from;
	m.to = &to;
	m.nto = 1;
	m.text = r.text;
	m.text_len = strlen(r.text);
	m.html = r.html;
	m.html_len = strlen(r.html);
	m.att = att;
	m.natt = 2;
	buf_init(&out);
	EXPECT(compose_build(&m, &out, err, sizeof(err)) == 0, "%s", err);
	EXPECT(well_formed(out.data, out.len) == NULL, "%s", well_formed(out.data, out.len));
	mask(&out);
	size_t mix = 0, mix_end = 0, alt = 0, alt_end = 0, b64_lines = 0;
	struct buf b64;
	buf_init(&b64);
	bool in_bin = false, seen_bin = false;
	for (const char *p = out.data; *p;) {
		const char *eol = strstr(p, "\r\n");
		size_t len = (size_t)(eol - p);
		if (len >= 4 && strncmp(p, "--=_", 4) == 0) {
			in_bin = false;
			if (len == 9 && strncmp(p, "--=_mix_T", 9) == 0)
				mix++;
			else if (len == 11 && strncmp(p, "--=_mix_T--", 11) == 0)
				mix_end++;
			else if (len == 9 && strncmp(p, "--=_alt_T", 9) == 0)
				alt++;
			else if (len == 11 && strncmp(p, "--=_alt_T--", 11) == 0)
				alt_end++;
			else
				EXPECT(false, "a line that starts like a delimiter: %s",
				       show(p, len));
		}
		if (in_bin) {
			EXPECT(len <= 76, "base64 line of %zu", len);
			buf_append(&b64, p, len);
			b64_lines++;
		}
		if (strncmp(p, " filename=\"bin.dat\"", 19) == 0)
			seen_bin = true;
		if (seen_bin && len == 0) {
			in_bin = true; /* the attachment's content starts after its empty line */
			seen_bin = false;
		}
		p = eol + 2;
	}
	EXPECT(mix == 3 && mix_end == 1 && alt == 2 && alt_end == 1,
	       "delimiters: mix %zu/%zu alt %zu/%zu", mix, mix_end, alt, alt_end);
	EXPECT(b64_lines == (sizeof(bin) + 56) / 57, "%zu base64 lines", b64_lines);
	unsigned char dec[1100];
	size_t dn = 0;
	EXPECT(base64_decode(b64.data, b64.len, dec, sizeof(dec), &dn) == 0 && dn == sizeof(bin) &&
	               memcmp(dec, bin, dn) == 0,
	       "attachment bytes differ (%zu)", dn);
	buf_release(&b64);
	buf_release(&out);
	ALL_PASSED();
}

/* the boundary token is random: two builds differ, 24 characters of [0-9a-v] */
static void test_boundary_random(void **state)
{
	struct msg_row r = {"", FROM_ACME, TO_BOB, .text = "a", .html = "b"};
	char tok[2][25];

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct buf out;
		char err[256];
		buf_init(&out);
		EXPECT(build_row(&r, &out, err, sizeof(err)) == 0, "%s", err);
		const char *p = strstr(out.data, "boundary=\"=_alt_");
		EXPECT(p != NULL, "no boundary");
		if (p == NULL)
			return;
		memcpy(tok[k], p + 16, 24);
		tok[k][24] = '\0';
		EXPECT(strspn(tok[k], "0123456789abcdefghijklmnopqrstuv") == 24 && p[40] == '"',
		       "token %s", tok[k]);
		buf_release(&out);
	}
	EXPECT(strcmp(tok[0], tok[1]) != 0, "same token twice: %s", tok[0]);
	ALL_PASSED();
}

/* the address list folds between mailboxes, never inside one */
static void test_long_list(void **state)
{
	struct compose_addr to[40], from;
	struct pair fp = FROM_ACME;
	char addrs[40][64], names[40][64];
	struct compose_msg m = {0};
	struct buf out;
	char err[256];
	enum reply rp;

	(void)state;
	fill_addrs(&fp, 1, &from);
	for (size_t i = 0; i < 40; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "recipient.number.%zu@example.org", i);
		snprintf(names[i], sizeof(names[i]),
		         i % 2 ? "Recipient %zu"
		               : "R\xc3\xa9"
		                 "cipient %zu",
		         i);
		memset(&to[i], 0, sizeof(to[i]));
		to[i].name = names[i];
		addr_parse_mailbox(addrs[i], strlen(addrs[i]), false, &to[i].a, &rp);
	}
	m.from = from;
	m.to = to;
	m.nto = 40;
	m.text = "x";
	m.text_len = 1;
	buf_init(&out);
	EXPECT(compose_build(&m, &out, err, sizeof(err)) == 0, "%s", err);
	EXPECT(well_formed(out.data, out.len) == NULL && ew_lines_ok(out.data), "not well formed");
	char *v = unfolded(out.data, "To");
	for (size_t i = 0; v && i < 40; i++) {
		char want[80];
		snprintf(want, sizeof(want), "<%.63s>", addrs[i]);
		EXPECT(strstr(v, want) != NULL, "%s missing", want);
	}
	for (const char *p = out.data; *p;) {
		const char *eol = strstr(p, "\r\n");
		EXPECT(eol - p <= 78, "header line of %td: %s", eol - p,
		       show(p, (size_t)(eol - p)));
		if (eol == p)
			break;
		p = eol + 2;
	}
	free(v);
	buf_release(&out);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_text_ok),
	        cmocka_unit_test(test_header_ok),
	        cmocka_unit_test(test_header_lengths),
	        cmocka_unit_test(test_content_type_id),
	        cmocka_unit_test(test_messages),
	        cmocka_unit_test(test_round_trip_subject),
	        cmocka_unit_test(test_round_trip_name),
	        cmocka_unit_test(test_round_trip_body),
	        cmocka_unit_test(test_round_trip_filename),
	        cmocka_unit_test(test_structure),
	        cmocka_unit_test(test_boundary_random),
	        cmocka_unit_test(test_long_list),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
