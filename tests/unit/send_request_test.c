/*
 * send_request_test.c - send_request_parse: one row per accepted form and
 * per refusal with its exact status, code and message; every injection
 * (CR, LF, CRLF, NUL, U+0085, U+2028, U+2029, controls, "\r\nBcc:") in
 * every text field; encoded-word look-alikes encoded, never passed on;
 * the limits (depth, recipients, size, headers, attachments); raw messages.
 *
 * JSON in the rows is written with ` for " to keep it readable.
 */
#include "send_request.h"

#include <sodium.h>

#include "base64.h"
#include "strutil.h"
#include "unit.h"

/* json - the row's text with ` turned into " (static buffer, one at a time) */
static const char *json(const char *s)
{
	static char b[8192];
	size_t i = 0;

	for (; s[i] && i + 1 < sizeof(b); i++)
		b[i] = s[i] == '`' ? '"' : s[i];
	b[i] = '\0';
	return b;
}

static struct send_limits limits(void)
{
	struct send_limits l;

	send_limits_default(&l);
	return l;
}

/* well_formed - CRLF lines of at most 998 octets; 7-bit unless raw. NULL or what is wrong */
static const char *well_formed(const struct send_request *r)
{
	const char *m = r->message.data;
	size_t n = r->message.len;

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
			if (c == '\r' || c == 0)
				return "bare CR or NUL";
			if (c >= 0x80 && !r->raw)
				return "not 7-bit";
		}
		pos = (size_t)(eol - m) + 1;
	}
	return NULL;
}

/* rcpt_list - the recipients as "a b c" */
static const char *rcpt_list(const struct send_request *r)
{
	static char b[2048];
	size_t o = 0;

	b[0] = '\0';
	for (size_t i = 0; i < r->nrcpts && o < sizeof(b) - 300; i++)
		o += (size_t)snprintf(b + o, sizeof(b) - o, "%s%s", i ? " " : "", r->rcpts[i].addr);
	return b;
}

/* ---- the rows ------------------------------------------------------------- */

struct row {
	const char *label;
	const char *json;
	int status; /* 0: accepted */
	const char *code;
	const char *msg;    /* refused: the exact message */
	const char *sender; /* accepted: the envelope sender */
	const char *rcpts;  /* accepted: the recipients, space-separated */
	const char *has[4]; /* accepted: in the message */
	const char *hasnt[3];
};

#define FROM "`from`:`Acme <billing@acme.example>`"
#define TO   "`to`:`bob@example.org`"
#define FT   FROM "," TO
#define FTX  FT ",`text`:`hi`"
#define OK(label, body, snd, rc, ...)                                                              \
	{                                                                                          \
		label, body, 0, NULL, NULL, snd, rc, __VA_ARGS__                                   \
	}
#define NO(label, body, st, code, msg)                                                             \
	{                                                                                          \
		label, body, st, code, msg, NULL, NULL, {NULL},                                    \
		{                                                                                  \
			NULL                                                                       \
		}                                                                                  \
	}

static const struct row rows[] = {
        /* accepted: every field */
        OK("minimal", "{" FTX "}", "billing@acme.example", "bob@example.org",
           {"From: Acme <billing@acme.example>\r\n", "To: bob@example.org\r\n",
            "MIME-Version: 1.0\r\n", "Content-Type: text/plain; charset=utf-8\r\n"},
           {"Subject:", "Date:", "Message-ID:"}),
        OK("every field",
           "{`from`:{`email`:`billing@acme.example`,`name`:`Acme Billing`},"
           "`to`:[`Bob <bob@example.org>`,{`email`:`carol@example.org`}],"
           "`cc`:`\\`Smith, Dan\\` <dan@example.org>`,`bcc`:[`eve@example.net`],"
           "`reply_to`:[`help@acme.example`],`subject`:`Invoice 42`,"
           "`text`:`Total: 5 EUR`,`html`:`<p>Total</p>`,`headers`:{`X-Campaign`:`may`},"
           "`attachments`:[{`filename`:`i.pdf`,`content_type`:`application/pdf`,"
           "`content`:`JVBE\\nRi0=`}],`stream`:`billing.eu-1`,"
           "`metadata`:{`order`:42,`vip`:true,`ref`:`A-1`}}",
           "billing@acme.example",
           "bob@example.org carol@example.org dan@example.org eve@example.net",
           {"From: Acme Billing <billing@acme.example>\r\nTo: Bob <bob@example.org>, "
            "carol@example.org\r\nCc: \"Smith, Dan\" <dan@example.org>\r\nReply-To: "
            "help@acme.example\r\nSubject: Invoice 42\r\nMIME-Version: 1.0\r\nX-Campaign: "
            "may\r\nContent-Type: multipart/mixed;",
            "Content-Type: multipart/alternative;"},
           {"eve@", "Bcc"}),
        OK("null fields are absent",
           "{" FTX ",`cc`:null,`bcc`:null,`subject`:null,`html`:null,`headers`:null,`raw`:null,"
           "`stream`:null,`metadata`:null,`reply_to`:null,`attachments`:null}",
           "billing@acme.example", "bob@example.org", {"Content-Type: text/plain"},
           {"Subject", "Cc:"}),
        OK("bcc only", "{" FROM ",`bcc`:`hidden@example.org`,`text`:`x`}", "billing@acme.example",
           "hidden@example.org", {"From: "}, {"hidden", "To:", "Bcc"}),
        OK("duplicates once, domain case ignored, local part kept",
           "{" FROM ",`to`:[`a@Example.ORG`,`a@example.org`,`A@example.org`],`cc`:`a@EXAMPLE.org`,"
           "`bcc`:[`a@example.org`],`text`:`x`}",
           "billing@acme.example", "a@Example.ORG A@example.org",
           {"To: a@Example.ORG, a@example.org, A@example.org\r\nCc: a@EXAMPLE.org\r\n"}, {NULL}),
        OK("html only", "{" FT ",`html`:`<p>x</p>`}", "billing@acme.example", "bob@example.org",
           {"Content-Type: text/html; charset=utf-8"}, {"multipart"}),
        OK("attachment only", "{" FT ",`attachments`:[{`filename`:`a.txt`,`content`:`eA==`}]}",
           "billing@acme.example", "bob@example.org", {"Content-Type: multipart/mixed;"},
           {"text/plain"}),
        OK("empty text with html: no text part", "{" FT ",`text`:``,`html`:`<b>x</b>`}",
           "billing@acme.example", "bob@example.org", {"Content-Type: text/html"},
           {"multipart", "text/plain"}),
        OK("address string forms",
           "{" FROM ",`to`:[`  spaced@example.org  `,`<angle@example.org>`,"
           "`Name   <n@example.org>`,`\\`Q \\\\\\`x\\\\\\`\\` <q@example.org>`],`text`:`x`}",
           "billing@acme.example",
           "spaced@example.org angle@example.org n@example.org q@example.org",
           {"To: spaced@example.org, angle@example.org, Name <n@example.org>,\r\n \"Q \\\"x\\\"\" "
            "<q@example.org>\r\n"},
           {NULL}),
        OK("quoted local part", "{" FROM ",`to`:`\\`john doe\\`@example.org`,`text`:`x`}",
           "billing@acme.example", "\"john doe\"@example.org", {"To: \"john doe\"@example.org\r\n"},
           {NULL}),
        OK("Message-ID kept", "{" FTX ",`headers`:{`Message-ID`:`<a.b@acme.example>`}}",
           "billing@acme.example", "bob@example.org", {"\r\nMessage-ID: <a.b@acme.example>\r\n"},
           {NULL}),
        OK("content_id in angle brackets",
           "{" FT ",`html`:`x`,`attachments`:[{`filename`:`l.png`,`content_type`:`image/png`,"
           "`content`:`eA==`,`content_id`:`<logo@acme>`}]}",
           "billing@acme.example", "bob@example.org", {"Content-Type: multipart/mixed"}, {NULL}),
        OK("\\u escapes of ordinary characters",
           "{" FT ",`subject`:`caf\\u00e9 \\ud83d\\ude00`,`text`:`x`}", "billing@acme.example",
           "bob@example.org", {"Subject: =?UTF-8?B?Y2Fmw6kg8J+YgA==?=\r\n"}, {NULL}),

        /* encoded-word look-alikes: encoded, never passed on as words */
        OK("subject =?", "{" FTX ",`subject`:`=?utf-8?q?=0D=0ABcc:_x@y?=`}", "billing@acme.example",
           "bob@example.org", {"Subject: =?UTF-8?B?PT91dGYtOD9xPz0wRD0wQUJjYzpfeEB5Pz0=?=\r\n"},
           {"Subject: =?utf-8?q"}),
        OK("to name =?", "{" FROM ",`to`:`=?utf-8?q?=0D=0A?= <bob@example.org>`,`text`:`x`}",
           "billing@acme.example", "bob@example.org",
           {"To: =?UTF-8?B?PT91dGYtOD9xPz0wRD0wQT89?= <bob@example.org>\r\n"}, {"To: =?utf-8"}),
        OK("cc object name =?",
           "{" FT ",`cc`:{`email`:`c@example.org`,`name`:`=?utf-8?b?QGV2aWw=?=`},`text`:`x`}",
           "billing@acme.example", "bob@example.org c@example.org",
           {"Cc: =?UTF-8?B?PT91dGYtOD9iP1FHVjJhV3c9Pz0=?= <c@example.org>\r\n"}, {NULL}),
        OK("header value =?", "{" FTX ",`headers`:{`X-Note`:`=?utf-8?q?=0D=0A?=`}}",
           "billing@acme.example", "bob@example.org",
           {"X-Note: =?UTF-8?B?PT91dGYtOD9xPz0wRD0wQT89?=\r\n"}, {NULL}),
        OK("file name =?",
           "{" FT ",`attachments`:[{`filename`:`=?utf-8?q?a.exe?=`,`content`:`eA==`}]}",
           "billing@acme.example", "bob@example.org",
           {"filename*=utf-8''%3D%3Futf-8%3Fq%3Fa.exe%3F%3D"}, {"filename=\""}),
        /* in the from name the relay itself refuses "=?" that decodes to "=?" */
        NO("from name =?", "{`from`:`=?utf-8?q?x?= <a@acme.example>`," TO ",`text`:`x`}", 422,
           "invalid_from", "from: the relay would refuse it: encoded word inside an encoded word"),

        /* 400: JSON */
        NO("empty body", "", 400, "bad_json", "the request body is empty"),
        NO("not JSON", "hello", 400, "bad_json",
           "invalid JSON at line 1 column 5: '[' or '{' expected near 'hello'"),
        NO("an array", "[1]", 400, "bad_json", "the body must be a JSON object"),
        NO("truncated", "{" FTX, 400, "bad_json",
           "invalid JSON at line 1 column 72: '}' expected near end of file"),
        NO("duplicate key", "{" FTX ",`text`:`y`}", 400, "bad_json",
           "invalid JSON at line 1 column 79: duplicate object key near '\\\"text\\\"'"),
        NO("duplicate key inside", "{" FTX ",`headers`:{`X-A`:`1`,`X-A`:`2`}}", 400, "bad_json",
           "invalid JSON at line 1 column 99: duplicate object key near '\\\"X-A\\\"'"),
        NO("NUL escape", "{" FT ",`text`:`a\\u0000b`}", 400, "bad_json",
           "invalid JSON at line 1 column 78: NUL (\\u0000) is not allowed in strings"),
        NO("raw control character in a string", "{" FT ",`text`:`a\nb`}", 400, "bad_json",
           "invalid JSON at line 1 column 70: unexpected newline near '\\\"a'"),
        NO("17 deep", "{`a`:[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", 400, "too_deep",
           "the JSON is nested deeper than 16 levels"),
        NO("unknown field", "{" FTX ",`bcc2`:`x@y.z`}", 400, "unknown_field",
           "unknown field \"bcc2\""),
        NO("unknown field with controls", "{" FTX ",`a\\r\\nb`:1}", 400, "unknown_field",
           "unknown field \"a\\x0d\\x0ab\""),
        NO("unknown key in from",
           "{`from`:{`email`:`a@acme.example`,`nmae`:`x`}," TO ",`text`:`x`}", 400, "unknown_field",
           "unknown field \"from.nmae\""),
        NO("unknown key in to[1]",
           "{" FROM ",`to`:[`a@b.example`,{`email`:`c@d.example`,`x`:1}],"
           "`text`:`x`}",
           400, "unknown_field", "unknown field \"to[1].x\""),
        NO("unknown key in an attachment",
           "{" FT ",`attachments`:[{`filename`:`a`,`content`:`eA==`,`data`:`x`}]}", 400,
           "unknown_field", "unknown field \"attachments[0].data\""),

        /* 400: types */
        NO("from a number", "{`from`:1," TO ",`text`:`x`}", 400, "bad_field",
           "from must be a string or an object"),
        NO("from an array", "{`from`:[`a@acme.example`]," TO ",`text`:`x`}", 400, "bad_field",
           "from must be a string or an object"),
        NO("to a number", "{" FROM ",`to`:7,`text`:`x`}", 400, "bad_field",
           "to must be a string, an object or an array of them"),
        NO("cc[1] a number", "{" FT ",`cc`:[`a@b.example`,2],`text`:`x`}", 400, "bad_field",
           "cc[1] must be a string or an object"),
        NO("bcc nested array", "{" FT ",`bcc`:[[`a@b.example`]],`text`:`x`}", 400, "bad_field",
           "bcc[0] must be a string or an object"),
        NO("reply_to true", "{" FTX ",`reply_to`:true}", 400, "bad_field",
           "reply_to must be a string, an object or an array of them"),
        NO("from.email missing", "{`from`:{`name`:`x`}," TO ",`text`:`x`}", 400, "bad_field",
           "from.email must be a string"),
        NO("from.email a number", "{`from`:{`email`:5}," TO ",`text`:`x`}", 400, "bad_field",
           "from.email must be a string"),
        NO("from.name a number", "{`from`:{`email`:`a@acme.example`,`name`:5}," TO ",`text`:`x`}",
           400, "bad_field", "from.name must be a string"),
        NO("subject a number", "{" FTX ",`subject`:5}", 400, "bad_field",
           "subject must be a string"),
        NO("text an object", "{" FT ",`text`:{}}", 400, "bad_field", "text must be a string"),
        NO("html an array", "{" FT ",`html`:[]}", 400, "bad_field", "html must be a string"),
        NO("headers an array", "{" FTX ",`headers`:[]}", 400, "bad_field",
           "headers must be an object"),
        NO("header value a number", "{" FTX ",`headers`:{`X-A`:1}}", 400, "bad_field",
           "headers.\"X-A\" must be a string"),
        NO("header value null", "{" FTX ",`headers`:{`X-A`:null}}", 400, "bad_field",
           "headers.\"X-A\" must be a string"),
        NO("attachments an object", "{" FTX ",`attachments`:{}}", 400, "bad_field",
           "attachments must be an array"),
        NO("attachment a string", "{" FTX ",`attachments`:[`x`]}", 400, "bad_field",
           "attachments[0] must be an object"),
        NO("attachment content a number", "{" FT ",`attachments`:[{`filename`:`a`,`content`:5}]}",
           400, "bad_field", "attachments[0].content must be a string"),
        NO("stream a number", "{" FTX ",`stream`:1}", 400, "bad_field", "stream must be a string"),
        NO("metadata an array", "{" FTX ",`metadata`:[]}", 400, "bad_field",
           "metadata must be an object"),
        NO("metadata value an object", "{" FTX ",`metadata`:{`k`:{}}}", 400, "bad_field",
           "metadata.\"k\" must be a string, a number or a boolean"),
        NO("metadata value null", "{" FTX ",`metadata`:{`k`:null}}", 400, "bad_field",
           "metadata.\"k\" must be a string, a number or a boolean"),
        NO("raw a number", "{" FT ",`raw`:1}", 400, "bad_field", "raw must be a string"),

        /* 422: presence */
        NO("missing from", "{" TO ",`text`:`x`}", 422, "missing_from", "from is required"),
        NO("no recipients", "{" FROM ",`text`:`x`}", 422, "no_recipients",
           "give at least one recipient in to, cc or bcc"),
        NO("empty recipient arrays", "{" FROM ",`to`:[],`cc`:[],`bcc`:[],`text`:`x`}", 422,
           "no_recipients", "give at least one recipient in to, cc or bcc"),
        NO("reply_to is no recipient", "{" FROM ",`reply_to`:`r@example.org`,`text`:`x`}", 422,
           "no_recipients", "give at least one recipient in to, cc or bcc"),
        NO("no content", "{" FT ",`subject`:`s`}", 422, "no_content",
           "give text, html, attachments or raw"),
        NO("empty content", "{" FT ",`text`:``,`html`:``,`attachments`:[]}", 422, "no_content",
           "give text, html, attachments or raw"),
        NO("raw with subject", "{" FT ",`raw`:`eA==`,`subject`:`s`}", 422, "raw_exclusive",
           "raw cannot be combined with subject: give the whole message in raw"),
        NO("raw with text", "{" FT ",`raw`:`eA==`,`text`:`s`}", 422, "raw_exclusive",
           "raw cannot be combined with text: give the whole message in raw"),
        NO("raw with html", "{" FT ",`raw`:`eA==`,`html`:`s`}", 422, "raw_exclusive",
           "raw cannot be combined with html: give the whole message in raw"),
        NO("raw with headers", "{" FT ",`raw`:`eA==`,`headers`:{}}", 422, "raw_exclusive",
           "raw cannot be combined with headers: give the whole message in raw"),
        NO("raw with attachments", "{" FT ",`raw`:`eA==`,`attachments`:[]}", 422, "raw_exclusive",
           "raw cannot be combined with attachments: give the whole message in raw"),
        NO("raw with reply_to", "{" FT ",`raw`:`eA==`,`reply_to`:`r@example.org`}", 422,
           "raw_exclusive", "raw cannot be combined with reply_to: give the whole message in raw"),

        /* 422: addresses */
        NO("to not an address", "{" FROM ",`to`:`bob`,`text`:`x`}", 422, "invalid_address",
           "to: \"bob\" is not a valid address"),
        NO("to[2] invalid",
           "{" FROM ",`to`:[`a@b.example`,`c@d.example`,`x@@y.example`],"
           "`text`:`x`}",
           422, "invalid_address", "to[2]: \"x@@y.example\" is not a valid address"),
        NO("cc[0] with CRLF Bcc", "{" FT ",`cc`:[`c@d.example\\r\\nBcc: v@w.example`],`text`:`x`}",
           422, "invalid_address",
           "cc[0]: \"c@d.example\\x0d\\x0aBcc: v@w.example\" is not a valid address"),
        NO("bcc with LF", "{" FT ",`bcc`:`v@w.example\\nx`,`text`:`x`}", 422, "invalid_address",
           "bcc: \"v@w.example\\x0ax\" is not a valid address"),
        NO("reply_to with NEL", "{" FTX ",`reply_to`:`r@example.org\\u0085`}", 422,
           "invalid_address", "reply_to: \"r@example.org\\xc2\\x85\" is not a valid address"),
        NO("from with U+2028", "{`from`:`a@acme.example\\u2028`," TO ",`text`:`x`}", 422,
           "invalid_address", "from: \"a@acme.example\\xe2\\x80\\xa8\" is not a valid address"),
        NO("from.email with a name in it",
           "{`from`:{`email`:`A <a@acme.example>`}," TO ",`text`:`x`}", 422, "invalid_address",
           "from: \"A <a@acme.example>\" is not a valid address"),
        NO("two addresses in one", "{" FROM ",`to`:`a@b.example, c@d.example`,`text`:`x`}", 422,
           "invalid_address", "to: \"a@b.example, c@d.example\" is not a valid address"),
        NO("percent hack", "{" FROM ",`to`:`a%b@c.example`,`text`:`x`}", 422, "invalid_address",
           "to: \"a%b@c.example\": '%' and '!' routing is not allowed"),
        NO("bang path", "{" FROM ",`to`:`host!user@c.example`,`text`:`x`}", 422, "invalid_address",
           "to: \"host!user@c.example\": '%' and '!' routing is not allowed"),
        NO("source route", "{" FROM ",`to`:`<@relay.example:u@c.example>`,`text`:`x`}", 422,
           "invalid_address", "to: \"@relay.example:u@c.example\" is not a valid address"),
        NO("address literal", "{" FROM ",`to`:`u@[192.0.2.1]`,`text`:`x`}", 422, "invalid_address",
           "to: \"u@[192.0.2.1]\": address literals are not accepted"),
        NO("non-ASCII local part", "{" FROM ",`to`:`j\\u00f6rg@example.org`,`text`:`x`}", 422,
           "invalid_address",
           "to: \"j\\xc3\\xb6rg@example.org\": non-ASCII local parts are not "
           "supported"),
        NO("IDN", "{" FROM ",`to`:`a@b\\u00fccher.example`,`text`:`x`}", 422, "invalid_address",
           "to: \"a@b\\xc3\\xbccher.example\": internationalised domain names are not supported; "
           "give the domain in its ASCII (xn--) form"),
        NO("null path", "{`from`:`<>`," TO ",`text`:`x`}", 422, "invalid_address",
           "from: \"\" is not a valid address"),
        NO("quoted name not closed", "{" FROM ",`to`:`\\`Bob <b@example.org>`,`text`:`x`}", 422,
           "invalid_address", "to: a quoted display name must be followed by <address>"),
        NO("empty address", "{" FROM ",`to`:``,`text`:`x`}", 422, "invalid_address",
           "to: \"\" is not a valid address"),

        /* the From: field as the relay reads it */
        NO("@ in the from name", "{`from`:`ceo@acme.example <x@evil.example>`," TO ",`text`:`x`}",
           422, "invalid_from", "from: the relay would refuse it: '@' in the display name"),
        NO("angle in the from name",
           "{`from`:{`email`:`x@acme.example`,`name`:`CEO <ceo>`}," TO ",`text`:`x`}", 422,
           "invalid_from", "from: the relay would refuse it: angle bracket in the display name"),
        NO("bidi in the from name",
           "{`from`:{`email`:`x@acme.example`,`name`:`a\\u202eb`}," TO ",`text`:`x`}", 422,
           "invalid_from",
           "from: the relay would refuse it: Unicode control character (C1, bidi or line "
           "separator)"),

        /* 422: fields of the wrong form */
        NO("subject too long", NULL, 422, "invalid_field", "subject is longer than 998 octets"),
        NO("name too long", NULL, 422, "invalid_field",
           "to: the display name is longer than 256 octets"),
        NO("stream upper case", "{" FTX ",`stream`:`Billing`}", 422, "invalid_field",
           "stream must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-'"),
        NO("stream empty", "{" FTX ",`stream`:``}", 422, "invalid_field",
           "stream must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-'"),
        NO("stream with a space", "{" FTX ",`stream`:`a b`}", 422, "invalid_field",
           "stream must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-'"),
        NO("stream 65",
           "{" FTX ",`stream`:`aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`}",
           422, "invalid_field", "stream must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-'"),
        NO("metadata 21 keys",
           "{" FTX ",`metadata`:{`a`:1,`b`:1,`c`:1,`d`:1,`e`:1,`f`:1,`g`:1,`h`:1,`i`:1,`j`:1,"
           "`k`:1,`l`:1,`m`:1,`n`:1,`o`:1,`p`:1,`q`:1,`r`:1,`s`:1,`t`:1,`u`:1}}",
           422, "invalid_field", "metadata has 21 keys; at most 20 are allowed"),
        NO("metadata empty key", "{" FTX ",`metadata`:{``:1}}", 422, "invalid_field",
           "metadata keys must be 1 to 64 characters (\"\")"),
        NO("metadata key 65",
           "{" FTX
           ",`metadata`:{`kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk`:1}}",
           422, "invalid_field",
           "metadata keys must be 1 to 64 characters "
           "(\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
           "kkkkkkkkkkkkk...\")"),

        /* 422: headers */
        NO("owned header", "{" FTX ",`headers`:{`Bcc`:`v@w.example`}}", 422, "invalid_header",
           "headers.Bcc: the field Bcc is set by Postern, not by the caller"),
        NO("owned header, case", "{" FTX ",`headers`:{`dkim-signature`:`v=1`}}", 422,
           "invalid_header",
           "headers.dkim-signature: the field dkim-signature is set by Postern, not by the caller"),
        NO("X-Postern", "{" FTX ",`headers`:{`X-Postern-Lane`:`urgent`}}", 422, "invalid_header",
           "headers.X-Postern-Lane: the field X-Postern-Lane is set by Postern, not by the caller"),
        NO("header twice, case", "{" FTX ",`headers`:{`X-A`:`1`,`x-a`:`2`}}", 422, "invalid_header",
           "headers: x-a is given twice (field names ignore case)"),
        NO("header name with a colon", "{" FTX ",`headers`:{`X-A:`:`1`}}", 422, "invalid_header",
           "headers.X-A:: the field name may hold only printable ASCII but ':' (found 0x3A)"),
        NO("header name with a space", "{" FTX ",`headers`:{`X A`:`1`}}", 422, "invalid_header",
           "headers.X A: the field name may hold only printable ASCII but ':' (found 0x20)"),
        NO("header empty value", "{" FTX ",`headers`:{`X-A`:``}}", 422, "invalid_header",
           "headers.X-A: the value of X-A is empty"),
        NO("bad Message-ID", "{" FTX ",`headers`:{`Message-ID`:`<x>`}}", 422, "invalid_header",
           "headers.Message-ID: Message-ID must be one <left@right> of dot-atom text, at most 250 "
           "characters"),
        NO("51 headers", NULL, 422, "too_many_headers", "51 headers; at most 50 are allowed"),

        /* 422: attachments */
        NO("attachment without content", "{" FT ",`attachments`:[{`filename`:`a`}]}", 422,
           "invalid_attachment", "attachments[0].content is required"),
        NO("attachment without filename", "{" FT ",`attachments`:[{`content`:`eA==`}]}", 422,
           "invalid_attachment", "attachments[0].filename is required"),
        NO("attachment empty filename", "{" FT ",`attachments`:[{`filename`:``,`content`:`eA==`}]}",
           422, "invalid_attachment", "attachments[0].filename must be 1 to 255 octets"),
        NO("bad base64", "{" FT ",`attachments`:[{`filename`:`a`,`content`:`eA=`}]}", 422,
           "invalid_attachment", "attachments[0].content is not valid base64"),
        NO("base64url", "{" FT ",`attachments`:[{`filename`:`a`,`content`:`-_-_`}]}", 422,
           "invalid_attachment", "attachments[0].content is not valid base64"),
        NO("base64 with junk", "{" FT ",`attachments`:[{`filename`:`a`,`content`:`eA==*`}]}", 422,
           "invalid_attachment", "attachments[0].content is not valid base64"),
        NO("content type with parameters",
           "{" FT ",`attachments`:[{`filename`:`a`,`content`:`eA==`,"
           "`content_type`:`text/plain; charset=utf-8`}]}",
           422, "invalid_attachment",
           "attachments[0].content_type must be type/subtype of RFC 2045 tokens, without "
           "parameters"),
        NO("content type without subtype",
           "{" FT ",`attachments`:[{`filename`:`a`,`content`:`eA==`,`content_type`:`image`}]}", 422,
           "invalid_attachment", "attachments[0].content_type must be type/subtype"),
        NO("content type multipart",
           "{" FT ",`attachments`:[{`filename`:`a`,`content`:`eA==`,"
           "`content_type`:`multipart/mixed`}]}",
           422, "invalid_attachment",
           "attachments[0].content_type may not be multipart/* or message/* (they cannot be "
           "base64-encoded)"),
        NO("content id with a space",
           "{" FT ",`attachments`:[{`filename`:`a`,`content`:`eA==`,`content_id`:`a b`}]}", 422,
           "invalid_attachment",
           "attachments[0].content_id may hold only letters, digits, '.', '@' and "
           "!#$%&'*+-/=?^_`{|}~ (no angle brackets)"),
        NO("51 attachments", NULL, 422, "too_many_attachments",
           "51 attachments; at most 50 are allowed"),

        /* 422, 413: counts and sizes */
        NO("51 recipients", NULL, 422, "too_many_recipients",
           "51 recipients in to, cc and bcc; at most 50 are allowed"),
        NO("100000 recipients", NULL, 422, "too_many_recipients",
           "100000 recipients in to, cc and bcc; at most 50 are allowed"),
        NO("text over max_size", NULL, 413, "too_large",
           "the content is 10485761 octets before encoding; the limit is 10485760"),
        NO("attachment over max_size", NULL, 413, "too_large",
           "the content is 10485762 octets before encoding; the limit is 10485760"),
};

/* the rows whose JSON is too big to write out: built here */
static char *big_json(const char *label)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "{\"from\":\"a@acme.example\",");
	if (strcmp(label, "subject too long") == 0) {
		buf_puts(&b, "\"to\":\"b@example.org\",\"text\":\"x\",\"subject\":\"");
		for (int i = 0; i < 999; i++)
			buf_putc(&b, 's');
		buf_puts(&b, "\"}");
	} else if (strcmp(label, "name too long") == 0) {
		buf_puts(&b, "\"text\":\"x\",\"to\":\"");
		for (int i = 0; i < 257; i++)
			buf_putc(&b, 'n');
		buf_puts(&b, " <b@example.org>\"}");
	} else if (strcmp(label, "51 headers") == 0) {
		buf_puts(&b, "\"to\":\"b@example.org\",\"text\":\"x\",\"headers\":{");
		for (int i = 0; i < 51; i++)
			buf_printf(&b, "%s\"X-H%d\":\"v\"", i ? "," : "", i);
		buf_puts(&b, "}}");
	} else if (strcmp(label, "51 attachments") == 0) {
		buf_puts(&b, "\"to\":\"b@example.org\",\"attachments\":[");
		for (int i = 0; i < 51; i++)
			buf_printf(&b, "%s{\"filename\":\"a\",\"content\":\"\"}", i ? "," : "");
		buf_puts(&b, "]}");
	} else if (strcmp(label, "51 recipients") == 0 || strcmp(label, "100000 recipients") == 0) {
		int n = label[0] == '5' ? 17 : 33334;
		buf_puts(&b, "\"text\":\"x\",\"to\":[");
		for (int i = 0; i < n; i++)
			buf_printf(&b, "%s\"t%d@example.org\"", i ? "," : "", i);
		buf_puts(&b, "],\"cc\":[");
		for (int i = 0; i < n; i++)
			buf_printf(&b, "%s\"c%d@example.org\"", i ? "," : "", i);
		buf_puts(&b, "],\"bcc\":[");
		for (int i = 0; i < (label[0] == '5' ? 17 : 33332); i++)
			buf_printf(&b, "%s\"b%d@example.org\"", i ? "," : "", i);
		buf_puts(&b, "]}");
	} else if (strcmp(label, "text over max_size") == 0) {
		buf_puts(&b, "\"to\":\"b@example.org\",\"text\":\"");
		for (int i = 0; i < 10485761; i++)
			buf_putc(&b, 't');
		buf_puts(&b, "\"}");
	} else if (strcmp(label, "attachment over max_size") == 0) {
		/* 3495254 groups of 4 characters: 10485762 octets */
		buf_puts(&b, "\"to\":\"b@example.org\",\"attachments\":[{\"filename\":\"a\","
		             "\"content\":\"");
		for (int i = 0; i < 3495254; i++)
			buf_puts(&b, "AAAA");
		buf_puts(&b, "\"}]}");
	} else {
		buf_release(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

static void check_row(const struct row *r, const char *body, size_t n)
{
	struct send_limits lim = limits();
	struct send_request out;
	struct send_error e;

	int rc = send_request_parse(body, n, &lim, &out, &e);
	if (r->status != 0) {
		EXPECT(rc == -1 && e.status == r->status && strcmp(e.code, r->code) == 0 &&
		               strcmp(e.message, r->msg) == 0,
		       "%s: rc %d %d %s \"%s\"", r->label, rc, e.status, e.code, e.message);
		EXPECT(out.message.len == 0 && out.nrcpts == 0 && out.rcpts == NULL,
		       "%s: not empty", r->label);
		send_request_release(&out);
		return;
	}
	EXPECT(rc == 0, "%s: %d %s %s", r->label, e.status, e.code, e.message);
	if (rc != 0)
		return;
	const char *bad = well_formed(&out);
	EXPECT(bad == NULL, "%s: %s", r->label, bad);
	EXPECT(strcmp(out.sender.addr, r->sender) == 0, "%s: sender %s", r->label, out.sender.addr);
	EXPECT(strcmp(rcpt_list(&out), r->rcpts) == 0, "%s: rcpts %s", r->label, rcpt_list(&out));
	const char *h = out.message.data;
	for (size_t i = 0; i < 4 && r->has[i]; i++)
		EXPECT(strstr(h, r->has[i]) != NULL, "%s: no %s in\n%s", r->label, shows(r->has[i]),
		       shows(h));
	for (size_t i = 0; i < 3 && r->hasnt[i]; i++)
		EXPECT(strstr(h, r->hasnt[i]) == NULL, "%s: %s in\n%s", r->label,
		       shows(r->hasnt[i]), shows(h));
	send_request_release(&out);
}

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];
		char *big = r->json ? NULL : big_json(r->label);
		const char *body = big ? big : json(r->json ? r->json : "");
		check_row(r, body, strlen(body));
		free(big);
	}
	ALL_PASSED();
}

/* what the accepted "every field" row carries besides the message */
static void test_stream_metadata(void **state)
{
	struct send_limits lim = limits();
	struct send_request out;
	struct send_error e;
	const char *b = json("{" FTX ",`stream`:`billing.eu-1`,`metadata`:{`order`:42,`vip`:true,"
	                     "`ref`:`A-\\u00e9`,`rate`:1.5}}");

	(void)state;
	EXPECT(send_request_parse(b, strlen(b), &lim, &out, &e) == 0, "%s", e.message);
	EXPECT(strcmp(out.stream, "billing.eu-1") == 0, "stream %s", out.stream);
	EXPECT(out.metadata_json &&
	               strcmp(out.metadata_json,
	                      "{\"order\":42,\"vip\":true,\"ref\":\"A-\xc3\xa9\",\"rate\":1.5}") ==
	                       0,
	       "metadata %s", shows(out.metadata_json));
	EXPECT(!out.raw, "raw");
	send_request_release(&out);
	send_request_release(&out); /* harmless twice */
	b = json("{" FTX "}");
	EXPECT(send_request_parse(b, strlen(b), &lim, &out, &e) == 0, "%s", e.message);
	EXPECT(out.stream[0] == '\0' && out.metadata_json == NULL, "stream or metadata set");
	send_request_release(&out);
	ALL_PASSED();
}

/* ---- injections, in every text field ---------------------------------------- */

struct inj {
	const char *json; /* as written in a JSON string */
	const char *why;  /* the end of the message */
	bool tab;         /* a tab: allowed where tab_ok */
};

static const struct inj injections[] = {
        {"a\\rb", "contains a carriage return (CR)", false},
        {"a\\nb", "contains a line feed (LF)", false},
        {"a\\r\\nb", "contains a carriage return (CR)", false},
        {"a\\r\\nBcc: victim@example.org", "contains a carriage return (CR)", false},
        {"a\\nBcc: victim@example.org", "contains a line feed (LF)", false},
        {"\\r\\n\\r\\nbody", "contains a carriage return (CR)", false},
        {"a\\u2028b", "contains U+2028 LINE SEPARATOR", false},
        {"a\xe2\x80\xa8"
         "b",
         "contains U+2028 LINE SEPARATOR", false}, /* as raw UTF-8 */
        {"a\\u2029b", "contains U+2029 PARAGRAPH SEPARATOR", false},
        {"a\\u0085b", "contains U+0085 NEXT LINE (NEL)", false},
        {"a\xc2\x85"
         "b",
         "contains U+0085 NEXT LINE (NEL)", false},
        {"a\\u009bb", "contains a C1 control character (U+009B)", false},
        {"a\\u001b[2Jb", "contains a control character (0x1B)", false},
        {"a\\u000bb", "contains a control character (0x0B)", false},
        {"a\\u007fb", "contains a control character (0x7F)", false},
        {"a\\tb", "contains a tab", true},
        {"a\\u0000b", NULL, false}, /* NUL: 400 bad_json before anything */
};

struct inj_field {
	const char *tmpl;   /* JSON with %s where the injection goes */
	const char *prefix; /* the start of the message */
	bool tab_ok;
};

static const struct inj_field inj_fields[] = {
        {"{`from`:`%s <a@acme.example>`," TO ",`text`:`x`}", "from: the display name ", false},
        {"{`from`:{`email`:`a@acme.example`,`name`:`%s`}," TO ",`text`:`x`}",
         "from: the display name ", false},
        {"{" FROM ",`to`:`%s <b@example.org>`,`text`:`x`}", "to: the display name ", false},
        {"{" FROM ",`to`:[`c@example.org`,{`email`:`b@example.org`,`name`:`%s`}],`text`:`x`}",
         "to[1]: the display name ", false},
        {"{" FT ",`cc`:[`\\`%s\\` <c@example.org>`],`text`:`x`}", "cc[0]: the display name ",
         false},
        {"{" FT ",`bcc`:{`email`:`c@example.org`,`name`:`%s`},`text`:`x`}",
         "bcc: the display name ", false},
        {"{" FTX ",`reply_to`:`%s <r@example.org>`}", "reply_to: the display name ", false},
        {"{" FTX ",`subject`:`%s`}", "subject ", true},
        {"{" FTX ",`headers`:{`X-A`:`%s`}}", "headers.X-A: the value ", true},
        {"{" FTX ",`headers`:{`X-%s`:`v`}}", "headers: the field name \"X-", false},
        {"{" FT ",`attachments`:[{`filename`:`%s`,`content`:`eA==`}]}", "attachments[0].filename ",
         false},
        {"{" FT ",`attachments`:[{`filename`:`f`,`content`:`eA==`,`content_type`:`text/%s`}]}",
         "attachments[0].content_type ", false},
        {"{" FT ",`attachments`:[{`filename`:`f`,`content`:`eA==`,`content_id`:`%s`}]}",
         "attachments[0].content_id ", false},
        {"{" FTX ",`stream`:`%s`}", "stream ", false},
        {"{" FTX ",`metadata`:{`%s`:1}}", "metadata: the key \"", false},
};

/* splice - tmpl with its "%s" replaced by ins */
static void splice(char *dst, size_t cap, const char *tmpl, const char *ins)
{
	const char *at = strstr(tmpl, "%s");

	snprintf(dst, cap, "%.*s%s%s", (int)(at - tmpl), tmpl, ins, at + 2);
}

static bool starts_ends(const char *s, const char *pre, const char *suf)
{
	size_t n = strlen(s), sn = strlen(suf);

	return strncmp(s, pre, strlen(pre)) == 0 && n >= sn && strcmp(s + n - sn, suf) == 0;
}

static void test_injections(void **state)
{
	(void)state;
	for (size_t f = 0; f < NELEM(inj_fields); f++) {
		for (size_t k = 0; k < NELEM(injections); k++) {
			const struct inj_field *fl = &inj_fields[f];
			const struct inj *in = &injections[k];
			struct send_limits lim = limits();
			struct send_request out;
			struct send_error e;
			char body[1200];
			splice(body, sizeof(body), json(fl->tmpl), in->json);
			int rc = send_request_parse(body, strlen(body), &lim, &out, &e);
			if (in->why == NULL)
				EXPECT(rc == -1 && e.status == 400 &&
				               strcmp(e.code, "bad_json") == 0,
				       "%s: %d %s %s", body, e.status, e.code, e.message);
			else if (in->tab && fl->tab_ok)
				EXPECT(rc == 0, "%s: %s %s", body, e.code, e.message);
			else
				EXPECT(rc == -1 && e.status == 422 &&
				               strcmp(e.code, "header_injection") == 0 &&
				               starts_ends(e.message, fl->prefix, in->why),
				       "%s: %d %s \"%s\"", show(body, strlen(body)), e.status,
				       e.code, e.message);
			if (rc == 0)
				EXPECT(well_formed(&out) == NULL, "%s: %s", body,
				       well_formed(&out));
			for (const char *p = e.message; rc != 0 && *p; p++)
				EXPECT((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f,
				       "%s: raw octet in the message", body);
			send_request_release(&out);
		}
	}
	ALL_PASSED();
}

/* ---- limits --------------------------------------------------------------- */

static void test_limits(void **state)
{
	struct send_request out;
	struct send_error e;
	char body[4096];

	(void)state;
	/* depth: 16 levels pass the scan (and fail later as the wrong type), 17 do not */
	for (size_t depth = 15; depth <= 17; depth++) {
		struct send_limits lim = limits();
		size_t o = 0;
		o += (size_t)snprintf(body + o, sizeof(body) - o, "{\"metadata\":");
		for (size_t i = 1; i < depth; i++)
			body[o++] = '[';
		for (size_t i = 1; i < depth; i++)
			body[o++] = ']';
		body[o++] = '}';
		body[o] = '\0';
		send_request_parse(body, o, &lim, &out, &e);
		EXPECT(strcmp(e.code, depth <= 16 ? "bad_field" : "too_deep") == 0, "depth %zu: %s",
		       depth, e.code);
	}
	/* brackets inside strings, escaped quotes, do not count */
	{
		struct send_limits lim = limits();
		const char *b = json(
		        "{" FT ",`text`:`[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{\\`[[[[[[[[[[[[[[[[[`}");
		EXPECT(send_request_parse(b, strlen(b), &lim, &out, &e) == 0, "%s", e.message);
		send_request_release(&out);
	}
	/* a smaller max_rcpts, counted before de-duplication */
	{
		struct send_limits lim = limits();
		lim.max_rcpts = 2;
		const char *b =
		        json("{" FROM ",`to`:[`a@b.example`,`a@b.example`],`bcc`:`c@d.example`,"
		             "`text`:`x`}");
		EXPECT(send_request_parse(b, strlen(b), &lim, &out, &e) == -1 &&
		               strcmp(e.message, "3 recipients in to, cc and bcc; at most 2 are "
		                                 "allowed") == 0,
		       "%s", e.message);
	}
	/* the message itself over max_size: the parts fit, the encoded message does not */
	{
		struct send_limits lim = limits();
		lim.max_size = 600;
		const char *b = json(
		        "{" FT ",`text`:`\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9`}");
		int rc = send_request_parse(b, strlen(b), &lim, &out, &e);
		EXPECT(rc == -1 && e.status == 413 && strcmp(e.code, "too_large") == 0 &&
		               strncmp(e.message, "the message is ", 15) == 0,
		       "%d %s %s", rc, e.code, e.message);
	}
	/* fewer headers and attachments allowed */
	{
		struct send_limits lim = limits();
		lim.max_headers = 1;
		lim.max_attachments = 0;
		const char *b = json("{" FTX ",`headers`:{`X-A`:`1`,`X-B`:`2`}}");
		EXPECT(send_request_parse(b, strlen(b), &lim, &out, &e) == -1 &&
		               strcmp(e.code, "too_many_headers") == 0,
		       "%s", e.code);
		b = json("{" FTX ",`attachments`:[{`filename`:`a`,`content`:``}]}");
		EXPECT(send_request_parse(b, strlen(b), &lim, &out, &e) == -1 &&
		               strcmp(e.message, "1 attachments; at most 0 are allowed") == 0,
		       "%s", e.message);
	}
	ALL_PASSED();
}

/* ---- raw -------------------------------------------------------------------- */

struct raw_row {
	const char *label;
	const char *extra; /* JSON members after "raw" */
	const char *msg;   /* the message, base64-encoded into the request */
	size_t n;
	const char *code;   /* NULL: accepted */
	const char *why;    /* refused: the message; accepted: the envelope sender */
	const char *expect; /* accepted: the message as stored */
};

#define RAWMSG(s) s, sizeof(s) - 1

static const struct raw_row raw_rows[] = {
        {"plain", ",`to`:`b@example.org`",
         RAWMSG("From: A <a@acme.example>\r\nSubject: x\r\n\r\nbody\r\n"), NULL, "a@acme.example",
         "From: A <a@acme.example>\r\nSubject: x\r\n\r\nbody\r\n"},
        {"bare LF becomes CRLF, last line ended", ",`to`:`b@example.org`",
         RAWMSG("From: a@acme.example\nSubject: x\n\nline\nlast"), NULL, "a@acme.example",
         "From: a@acme.example\r\nSubject: x\r\n\r\nline\r\nlast\r\n"},
        {"from given: the envelope sender", ",`from`:`bounces@acme.example`,`bcc`:`b@example.org`",
         RAWMSG("From: a@acme.example\r\n\r\nx\r\n"), NULL, "bounces@acme.example",
         "From: a@acme.example\r\n\r\nx\r\n"},
        {"folded From:", ",`to`:`b@example.org`",
         RAWMSG("Subject: s\r\nFrom: Alice\r\n <a@acme.example>\r\n\r\nx\r\n"), NULL,
         "a@acme.example", NULL},
        {"header only", ",`to`:`b@example.org`", RAWMSG("From: a@acme.example\r\n"), NULL,
         "a@acme.example", "From: a@acme.example\r\n"},
        {"8-bit body", ",`to`:`b@example.org`",
         RAWMSG("From: a@acme.example\r\n\r\nJ\xc3\xb6rg\r\n"), NULL, "a@acme.example", NULL},
        {"no recipients", "", RAWMSG("From: a@acme.example\r\n\r\nx\r\n"), "no_recipients",
         "give at least one recipient in to, cc or bcc", NULL},
        {"NUL", ",`to`:`b@example.org`", RAWMSG("From: a@acme.example\r\n\r\na\0b\r\n"),
         "invalid_raw", "raw holds a NUL octet", NULL},
        {"bare CR", ",`to`:`b@example.org`", RAWMSG("From: a@acme.example\r\n\r\na\rb\r\n"),
         "invalid_raw", "raw holds a bare CR (one not followed by LF)", NULL},
        {"bare CR ending a header", ",`to`:`b@example.org`",
         RAWMSG("From: a@acme.example\rBcc: x@y.example\r\n\r\nx\r\n"), "invalid_raw",
         "raw holds a bare CR (one not followed by LF)", NULL},
        {"no From:", ",`to`:`b@example.org`", RAWMSG("Subject: x\r\n\r\nx\r\n"), "invalid_from",
         "raw has no From: field", NULL},
        {"two From:", ",`to`:`b@example.org`",
         RAWMSG("From: a@acme.example\r\nFrom: b@acme.example\r\n\r\nx\r\n"), "invalid_from",
         "raw has 2 From: fields; exactly one is allowed", NULL},
        {"two mailboxes", ",`to`:`b@example.org`",
         RAWMSG("From: a@acme.example, b@acme.example\r\n\r\nx\r\n"), "invalid_from",
         "raw's From: field: more than one mailbox", NULL},
        {"encoded @ in the From: name", ",`to`:`b@example.org`",
         RAWMSG("From: =?utf-8?q?ceo=40acme.example?= <x@evil.example>\r\n\r\nx\r\n"),
         "invalid_from", "raw's From: field: '@' in an encoded word", NULL},
        {"Bcc: in raw", ",`to`:`b@example.org`",
         RAWMSG("From: a@acme.example\r\nBcc: hidden@example.org\r\n\r\nx\r\n"), "invalid_raw",
         "raw has a Bcc: field; give blind copies in bcc instead", NULL},
        {"no header section", ",`to`:`b@example.org`", RAWMSG("\r\nbody\r\n"), "invalid_raw",
         "raw has no header section", NULL},
        {"not a field", ",`to`:`b@example.org`",
         RAWMSG("From: a@acme.example\r\nnot a field\r\n\r\nx\r\n"), "invalid_raw",
         "raw's header section holds a line that is not a field", NULL},
        {"8-bit header", ",`to`:`b@example.org`",
         RAWMSG("From: a@acme.example\r\nSubject: J\xc3\xb6rg\r\n\r\nx\r\n"), "invalid_raw",
         "raw has 8-bit octets in its header section (use RFC 2047 encoded words)", NULL},
        {"empty", ",`to`:`b@example.org`", RAWMSG(""), "invalid_raw", "raw holds no message", NULL},
        {"bad from field", ",`from`:`x`,`to`:`b@example.org`",
         RAWMSG("From: a@acme.example\r\n\r\nx\r\n"), "invalid_address",
         "from: \"x\" is not a valid address", NULL},
};

static void test_raw(void **state)
{
	char line[1100];

	(void)state;
	for (size_t i = 0; i <= NELEM(raw_rows) + 1; i++) {
		struct raw_row extra[2] = {
		        {"line of 998", ",`to`:`b@example.org`", NULL, 0, NULL, "a@acme.example",
		         NULL},
		        {"line of 999", ",`to`:`b@example.org`", NULL, 0, "invalid_raw",
		         "raw has a line longer than 998 octets (RFC 5322 2.1.1)", NULL},
		};
		const struct raw_row *r =
		        i < NELEM(raw_rows) ? &raw_rows[i] : &extra[i - NELEM(raw_rows)];
		const char *msg = r->msg;
		size_t mn = r->n;
		if (msg == NULL) {
			size_t len = i == NELEM(raw_rows) ? 998 : 999;
			memcpy(line, "From: a@acme.example\r\n\r\n", 24);
			memset(line + 24, 'x', len);
			memcpy(line + 24 + len, "\r\n", 2);
			msg = line;
			mn = 24 + len + 2;
		}
		size_t bl = base64_len(mn);
		char *b64 = malloc(bl);
		base64_encode((const unsigned char *)msg, mn, b64, bl);
		/* line breaks inside the base64 are tolerated */
		struct buf body;
		buf_init(&body);
		buf_puts(&body, "{\"raw\":\"");
		for (size_t k = 0; b64[k]; k++) {
			buf_putc(&body, b64[k]);
			if (k % 60 == 59)
				buf_puts(&body, "\\r\\n");
		}
		buf_printf(&body, "\"%s}", json(r->extra));
		struct send_limits lim = limits();
		struct send_request out;
		struct send_error e;
		int rc = send_request_parse(body.data, body.len, &lim, &out, &e);
		if (r->code) {
			EXPECT(rc == -1 && e.status == 422 && strcmp(e.code, r->code) == 0 &&
			               strcmp(e.message, r->why) == 0,
			       "%s: %d %s \"%s\"", r->label, e.status, e.code, e.message);
		} else {
			EXPECT(rc == 0 && out.raw && strcmp(out.sender.addr, r->why) == 0 &&
			               well_formed(&out) == NULL,
			       "%s: %s %s, sender %s", r->label, e.code, e.message,
			       out.sender.addr);
			if (rc == 0 && r->expect)
				EXPECT(strcmp(out.message.data, r->expect) == 0, "%s: stored %s",
				       r->label, shows(out.message.data));
		}
		send_request_release(&out);
		buf_release(&body);
		free(b64);
	}
	/* not base64 */
	struct send_limits lim = limits();
	struct send_request out;
	struct send_error e;
	const char *b = json("{`raw`:`Fro m:`,`to`:`b@example.org`}");
	EXPECT(send_request_parse(b, strlen(b), &lim, &out, &e) == -1 &&
	               strcmp(e.message, "raw is not valid base64") == 0,
	       "%s", e.message);
	/* over max_size, refused before decoding */
	lim.max_size = 10;
	b = json("{`raw`:`RnJvbTogYUBiLmV4YW1wbGUNCg==`,`to`:`b@example.org`}");
	EXPECT(send_request_parse(b, strlen(b), &lim, &out, &e) == -1 && e.status == 413 &&
	               strcmp(e.message, "the content is 19 octets before encoding; the limit is "
	                                 "10") == 0,
	       "%s", e.message);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),       cmocka_unit_test(test_stream_metadata),
	        cmocka_unit_test(test_injections), cmocka_unit_test(test_limits),
	        cmocka_unit_test(test_raw),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
