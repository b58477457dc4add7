/*
 * mailbox_test.c - mbox_parse_from: the accepted forms (bare addr-spec,
 * angle-addr, display names plain, quoted and encoded, comments and folding
 * wherever RFC 5322 allows CFWS, UTF-8 with utf8) and one row per refusal
 * with its exact reason (groups, lists, '@' or angles hidden in display
 * names, comments, quoted strings and encoded words, routes, literals,
 * control characters, bare CR/LF, NUL, bad UTF-8, over-long parts).
 */
#include "mailbox.h"

#include <stdlib.h>

#include "unit.h"
#include "utf8.h"

struct row {
	const char *in;
	size_t n;
	bool utf8;
	const char *addr; /* accepted: out->addr; NULL: refused */
	const char *why;  /* refused: the exact reason */
};

/* accepted as addr, with and without utf8 */
#define OK(in, a)                                                                                  \
	{                                                                                          \
		RAW(in), false, a, NULL                                                            \
	}
/* accepted as addr with utf8 only */
#define OK8(in, a)                                                                                 \
	{                                                                                          \
		RAW(in), true, a, NULL                                                             \
	}
/* refused with reason w (utf8 off) */
#define NO(in, w)                                                                                  \
	{                                                                                          \
		RAW(in), false, NULL, w                                                            \
	}
/* refused with reason w with utf8 */
#define NO8(in, w)                                                                                 \
	{                                                                                          \
		RAW(in), true, NULL, w                                                             \
	}

#define AT_NAME    "'@' in the display name"
#define AT_COMMENT "'@' in a comment"
#define AT_EW      "'@' in an encoded word"
#define ANGLE_EW   "angle bracket in an encoded word"
#define CTRL_EW    "control character in an encoded word"
#define BAD_B64    "bad base64 in an encoded word"
#define BAD_ENC    "unknown encoding in an encoded word"
#define UNTERM_EW  "unterminated encoded word"
#define MALF_EW    "malformed encoded word"
#define SPLIT_EW   "encoded word split by a quote or comment"
#define NESTED_EW  "encoded word inside an encoded word"
#define EW_ADDR    "encoded word in the address"
#define MULTI      "more than one mailbox"
#define GROUP      "a group, not a mailbox"
#define BARE       "bare CR or LF"
#define LOOKALIKE  "look-alike '@' (U+FF20 or U+FE6B)"
#define UCTRL      "Unicode control character (C1, bidi or line separator)"

static const struct row rows[] = {
        /* the plain forms */
        OK("user@example.com", "user@example.com"),
        OK(" user@example.com", "user@example.com"),
        OK("<user@example.com>", "user@example.com"),
        OK(" <user@example.com> ", "user@example.com"),
        OK("John Smith <john@example.com>", "john@example.com"),
        OK(" John Smith<john@example.com>", "john@example.com"),
        OK("John Q. Public <jqp@example.com>", "jqp@example.com"), /* obs-phrase dots */
        OK("J.R.R. Tolkien <jrrt@example.com>", "jrrt@example.com"),
        OK("Billing <billing+tag@example.com>", "billing+tag@example.com"),
        OK("a=b ?c= <a@example.com>", "a@example.com"), /* '=' and '?' apart are plain text */
        OK("a@b", "a@b"),                               /* a single-label domain is a name */
        OK("{a}#$&'*+-/=^_`|~?@example.com", "{a}#$&'*+-/=^_`|~?@example.com"), /* no "=?" */

        /* the domain is lower-cased, the local part kept as written */
        OK("User.Name@EXAMPLE.Com", "User.Name@example.com"),
        OK("Name <User@Example.COM>", "User@example.com"),

        /* quoted display names, with escapes; specials are fine inside quotes */
        OK("\"John Smith\" <john@example.com>", "john@example.com"),
        OK("\"Smith, John\" <john@example.com>", "john@example.com"),
        OK("\"Re: (no comment); [x]\" <a@example.com>", "a@example.com"),
        OK("\"a \\\"quoted\\\" word\" <a@example.com>", "a@example.com"),
        OK("\"back\\\\slash\" <a@example.com>", "a@example.com"),
        OK("\"\\(not a comment\\)\" <a@example.com>", "a@example.com"),
        OK("\"\" <a@example.com>", "a@example.com"),
        OK("\"a\"\"b\" c <a@example.com>", "a@example.com"),
        OK("\"x\"<a@example.com>", "a@example.com"),
        OK("\"tab\there\" <a@example.com>", "a@example.com"),

        /* comments in every place RFC 5322 allows CFWS */
        OK("(c) John <a@example.com>", "a@example.com"),
        OK("John (c) Smith <a@example.com>", "a@example.com"),
        OK("John Smith (c) <a@example.com>", "a@example.com"),
        OK("John(c)<a@example.com>", "a@example.com"),
        OK("(c)<a@example.com>", "a@example.com"),
        OK("John <(c)a@example.com>", "a@example.com"),
        OK("John <a(c)@example.com>", "a@example.com"),
        OK("John <a@(c)example.com>", "a@example.com"),
        OK("John <a@example.com(c)>", "a@example.com"),
        OK("John < a @ example.com >", "a@example.com"),
        OK("John <a@example.com> (c)", "a@example.com"),
        OK("John <a@example.com>(c)(d)", "a@example.com"),
        OK("(c) a@example.com", "a@example.com"),
        OK("a(c)@example.com", "a@example.com"),
        OK("a @ example.com", "a@example.com"),
        OK("a@example.com (Ann Other)", "a@example.com"),
        OK("a@(c)example.com(d)", "a@example.com"),
        OK("(a (nested (comment))) b <a@example.com>", "a@example.com"),
        OK("((((((((8 deep)))))))) <a@example.com>", "a@example.com"),
        OK("(a \\) b \\( c) <a@example.com>", "a@example.com"),
        OK("(\"not a quote) <a@example.com>", "a@example.com"),
        OK("() <a@example.com>", "a@example.com"),
        OK("(x, y: z;) a@example.com", "a@example.com"), /* specials inside comments */

        /* folding: CRLF followed by white space, wherever FWS may be */
        OK("John\r\n Smith <a@example.com>", "a@example.com"),
        OK("John Smith\r\n\t<a@example.com>", "a@example.com"),
        OK("\r\n <a@example.com>", "a@example.com"),
        OK("<a@example.com>\r\n ", "a@example.com"),
        OK("<a@example.com>\r\n (a\r\n comment)", "a@example.com"),
        OK("\"folded\r\n quoted\" <a@example.com>", "a@example.com"),
        OK("John <\r\n a@example.com\r\n >", "a@example.com"),
        OK("a\r\n @\r\n example.com", "a@example.com"),
        OK("x\r\n \r\n <a@example.com>", "a@example.com"),

        /* quoted local parts: unquoted when the quotes are not needed */
        OK("\"john\"@example.com", "john@example.com"),
        OK("<\"john.doe\"@Example.com>", "john.doe@example.com"),
        OK("\"j\\ohn\"@example.com", "john@example.com"),
        OK("\"john..doe\"@example.com", "\"john..doe\"@example.com"),
        OK("\".john\"@example.com", "\".john\"@example.com"),
        OK("\"a\\\"b\"@example.com", "\"a\\\"b\"@example.com"),
        OK("\"a\\\\b\"@example.com", "\"a\\\\b\"@example.com"),
        OK("\"a,b\"@example.com", "\"a,b\"@example.com"),
        OK("\"a:b\" <\"a:b\"@example.com>", "\"a:b\"@example.com"),
        OK("\"a(b)\"@example.com", "\"a(b)\"@example.com"),

        /* encoded words in the display name: decoded and checked */
        OK("=?utf-8?q?J=C3=B6rg?= <j@example.com>", "j@example.com"),
        OK("=?UTF-8?Q?J=c3=b6rg_M=C3=BCller?= <j@example.com>", "j@example.com"),
        OK("=?ISO-8859-1?B?SvZyZw==?= <j@example.com>", "j@example.com"),
        OK("=?utf-8?b?Sm9obg==?= =?utf-8?b?U21pdGg=?= <j@example.com>", "j@example.com"),
        OK("=?utf-8?b?Sm9o?= <j@example.com>", "j@example.com"),
        OK("=?utf-8*en?q?John?= <j@example.com>", "j@example.com"), /* RFC 2231 language */
        OK("=?utf-8?q?\?= <j@example.com>", "j@example.com"),       /* empty text */
        OK("=?utf-8?b?\?= <j@example.com>", "j@example.com"),
        OK("A=?utf-8?q?b?=C <j@example.com>", "j@example.com"),
        OK("\"=?utf-8?q?J=C3=B6rg?=\" <j@example.com>", "j@example.com"),
        OK("(=?utf-8?q?J=C3=B6rg?=) <j@example.com>", "j@example.com"),
        OK("<j@example.com> (=?utf-8?q?J=C3=B6rg?=)", "j@example.com"),
        OK("=?utf-8?q?a=5Fb?= <j@example.com>", "j@example.com"),

        /* UTF-8 with utf8 (RFC 6532) */
        OK8("J\xc3\xb6rg <j@example.com>", "j@example.com"),
        OK8("\"J\xc3\xb6rg M\xc3\xbcller\" <j@example.com>", "j@example.com"),
        OK8("(\xc3\xa9t\xc3\xa9) <j@example.com>", "j@example.com"),
        OK8("J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc\x63her.example>",
            "j\xc3\xb6rg@b\xc3\xbc\x63her.example"),
        OK8("\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b\xe3\x81\x88.jp",
            "\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b\xe3\x81\x88.jp"),
        OK8("\"j\xc3\xb6rg\"@example.com", "j\xc3\xb6rg@example.com"),
        OK8("\xe2\x80\x8d <a@example.com>", "a@example.com"), /* ZWJ: used by some scripts */

        /* empty */
        NO("", "empty From: value"),
        NO("   ", "empty From: value"),
        NO("(only a comment)", "empty From: value"),
        NO("\r\n ", "empty From: value"),
        NO("<>", "empty address <>"),
        NO("John <>", "empty address <>"),
        NO("< >", "empty address <>"),
        NO("John", "missing '@' and domain"),
        NO("<john>", "missing '@' and domain"),
        NO("John <", "missing address"),
        NO("\"John\"", "missing '@' and domain"),

        /* groups and several mailboxes */
        NO("Team: a@example.com, b@example.com;", GROUP),
        NO("undisclosed-recipients:;", GROUP),
        NO("Team: <a@example.com>;", GROUP),
        NO("Team:;", GROUP),
        NO("a@example.com, b@example.com", MULTI),
        NO("<a@example.com>, <b@example.com>", MULTI),
        NO("A <a@example.com>, B <b@example.com>", MULTI),
        NO("\"Smith, J\" <a@example.com>, b@example.com", MULTI),
        NO("a@example.com,", MULTI),
        NO(",a@example.com", MULTI),
        NO("(c) a@example.com (d), b@example.com", MULTI),
        NO("<a@example.com> <b@example.com>", MULTI),
        NO("a@example.com <b@example.com>", AT_NAME),
        NO("a@example.com b@example.com", "text after the address"),

        /* the classic spoofs: an '@' where the reader shows a name */
        NO("ceo@example.com <attacker@example.net>", AT_NAME),
        NO("\"ceo@example.com\" <attacker@example.net>", AT_NAME),
        NO("\"CEO <ceo@example.com>\" <attacker@example.net>", "angle bracket in the display name"),
        NO("\"ceo\\@example.com\" <attacker@example.net>", AT_NAME),
        NO("CEO (ceo@example.com) <attacker@example.net>", AT_COMMENT),
        NO("<attacker@example.net> (ceo@example.com)", AT_COMMENT),
        NO("attacker@example.net (ceo@example.com)", AT_COMMENT),
        NO("(ceo@example.com) attacker@example.net", AT_COMMENT),
        NO("(a (b@c)) <attacker@example.net>", AT_COMMENT),
        NO("(a \\@ b) <attacker@example.net>", AT_COMMENT),
        NO("\"ceo\" <attacker@example.net> (ceo@example.com)", AT_COMMENT),
        NO("Ceo <boss> <attacker@example.net>", "missing '@' and domain"),
        NO("\"<ceo>\" <attacker@example.net>", "angle bracket in the display name"),
        NO("(<ceo>) <attacker@example.net>", "angle bracket in a comment"),
        NO("CEO > <attacker@example.net>", "angle bracket in the display name"),

        /* '@' produced by decoding an encoded word */
        NO("=?utf-8?b?Y2VvQGV4YW1wbGUuY29t?= <attacker@example.net>", AT_EW),
        NO("=?UTF-8?B?Y2VvQGV4YW1wbGUuY29t?= <attacker@example.net>", AT_EW),
        NO("=?utf-8?q?ceo=40example=2Ecom?= <attacker@example.net>", AT_EW),
        NO("=?utf-8?q?ceo=40example.com?= <attacker@example.net>", AT_EW),
        NO("=?iso-8859-1?q?ceo=40x?= <attacker@example.net>", AT_EW),
        NO("=?x-unknown?q?=40?= <attacker@example.net>", "encoded word in an unknown charset"),
        NO("=?utf-16?b?AEA=?= <attacker@example.net>", "UTF-16 or UTF-32 encoded word"),
        NO("=?UTF-16BE?b?/yA=?= <attacker@example.net>", "UTF-16 or UTF-32 encoded word"),
        NO("=?utf-32le?b?QAAAAA==?= <attacker@example.net>", "UTF-16 or UTF-32 encoded word"),
        /* other charsets are checked as the characters a reader shows, after iconv */
        NO("=?windows-1252?q?ceo=40x?= <attacker@example.net>", AT_EW),
        NO("=?koi8-r?q?=3C?= <attacker@example.net>", ANGLE_EW),
        NO("=?iso-8859-1?q?=85?= <a@example.com>", UCTRL), /* NEL, a C1 control */
        /* a full-width '@' has no UTF-8 octets in these: only decoding shows it */
        NO("=?shift_jis?b?gZc=?= <attacker@example.net>", LOOKALIKE),
        NO("=?iso-2022-jp?b?GyRCIXcbKEI=?= <attacker@example.net>", LOOKALIKE),
        NO("=?gbk?b?o8A=?= <attacker@example.net>", LOOKALIKE),
        NO("=?euc-kr?b?o8A=?= <attacker@example.net>", LOOKALIKE),
        NO("=?shift_jis?b?gQ==?= <a@example.com>",
           "encoded word that does not decode in its charset"),
        NO("\"=?utf-8?b?Y2VvQGV4YW1wbGUuY29t?=\" <attacker@example.net>", AT_EW),
        NO("(=?utf-8?b?Y2VvQGV4YW1wbGUuY29t?=) <attacker@example.net>", AT_EW),
        NO("<attacker@example.net> (=?utf-8?q?ceo=40x?=)", AT_EW),
        NO("Ceo =?utf-8?q?=40?= <attacker@example.net>", AT_EW),
        NO("=?utf-8?q?ceo?= =?utf-8?q?=40example?= <attacker@example.net>", AT_EW),
        NO("x=?utf-8?q?=40?=y <attacker@example.net>", AT_EW), /* mid-atom too */
        NO("=?utf-8?q?=3Cceo=3E?= <attacker@example.net>", ANGLE_EW),
        NO("=?utf-8?b?PGNlbz4=?= <attacker@example.net>", ANGLE_EW),
        NO("=?utf-8?q?a=0D=0ABcc=3A_x?= <a@example.com>", CTRL_EW),
        NO("=?utf-8?q?a=00?= <a@example.com>", CTRL_EW),
        NO("=?utf-8?q?a=09b?= <a@example.com>", CTRL_EW),
        NO("=?utf-8?q?a=7F?= <a@example.com>", CTRL_EW),
        NO("=?utf-8?q?ceo=EF=BC=A0x?= <attacker@example.net>", LOOKALIKE),
        NO("=?utf-8?b?77yg?= <attacker@example.net>", LOOKALIKE),
        NO("=?utf-8?q?=EF?= =?utf-8?q?=BC=A0?= <attacker@example.net>", LOOKALIKE),
        NO("=?utf-8?q?=E2=80=AEmoc.elpmaxe?= <attacker@example.net>", UCTRL),
        NO("=?utf-8?q?=C2=85?= <a@example.com>", UCTRL),

        /* names in national charsets are fine: ESC of ISO-2022-JP, '@' as a trail octet */
        OK("=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>", "yamada@example.jp"),
        OK("=?shift_jis?b?g0CDQA==?= <a@example.jp>", "a@example.jp"),
        OK("=?big5?b?pEA=?= <a@example.tw>", "a@example.tw"),
        OK("=?iso-8859-1?q?J=F6rg?= <joerg@example.de>", "joerg@example.de"),
        OK("=?windows-1252?q?=80_Billing?= <billing@example.com>", "billing@example.com"),
        OK("=?utf-8*en?q?Billing?= <billing@example.com>", "billing@example.com"),
        OK("=?iso-8859-1*de?q?J=F6rg?= <joerg@example.de>", "joerg@example.de"),

        /* encoded words that cannot be decoded, or hardly can: refused */
        NO("=?utf-8?x?abc?= <a@example.com>", BAD_ENC),
        NO("=?utf-8?bb?abc?= <a@example.com>", BAD_ENC),
        NO("=?utf-8??abc?= <a@example.com>", BAD_ENC),
        NO("=??q?abc?= <a@example.com>", "encoded word without a charset"),
        NO("=?utf-8?b?Y2Vv!?= <a@example.com>", BAD_B64),
        NO("=?utf-8?b?Y2V?= <a@example.com>", BAD_B64),  /* not a multiple of 4 */
        NO("=?utf-8?b?QQ?= <a@example.com>", BAD_B64),   /* padding missing */
        NO("=?utf-8?b?QR==?= <a@example.com>", BAD_B64), /* non-zero pad bits */
        NO("=?utf-8?b?QQ=A?= <a@example.com>", BAD_B64),
        NO("=?utf-8?b?QQ==QQ==?= <a@example.com>", BAD_B64), /* data after padding */
        NO("=?utf-8?q?a=4?= <a@example.com>", "bad hex escape in an encoded word"),
        NO("=?utf-8?q?a=G0?= <a@example.com>", "bad hex escape in an encoded word"),
        NO("=?utf-8?q?abc <a@example.com>", MALF_EW), /* the space */
        NO("=?utf-8?q?abc<a@example.com>", UNTERM_EW),
        NO("\"=?utf-8?q?abc\"<a@example.com>", SPLIT_EW),
        NO("(=?utf-8?q?abc)<a@example.com>", UNTERM_EW),
        NO("=?utf-8?q?abc? <a@example.com>", MALF_EW),
        NO("=?utf-8?q?abc?<a@example.com>", UNTERM_EW),
        NO("=?utf-8 <a@example.com>", MALF_EW),
        NO("=? <a@example.com>", MALF_EW),
        OK("=?utf-8?q?J.?= <a@example.com>", "a@example.com"), /* one stream across the dot */
        NO("=?utf-8?q?a(c)?= <a@example.com>", SPLIT_EW),
        NO("=?utf-8?q?a(=40)?= <a@example.com>", SPLIT_EW), /* shown raw: "a(@)" */
        NO("=?utf-8?q?a\"b\"?= <a@example.com>", SPLIT_EW),
        NO("\"=?utf-8?q?a\"?= <a@example.com>", SPLIT_EW),
        NO("\"=?utf-8?q?\"=40?= <a@example.com>", SPLIT_EW),
        /* joined by a reader that unquotes or drops comments: decoded as joined */
        NO("\"=\"?utf-8?q?=40?= <a@example.com>", AT_EW),
        NO("=(c)?utf-8?q?=40?= <a@example.com>", AT_EW),
        NO("=?utf-8?q?=3D?= =?utf-8?q?=3F?= <a@example.com>", NESTED_EW),
        NO("=?utf-8?q?=3D=3Futf-8=3Fq=3F=3D40=3F=3D?= <a@example.com>", NESTED_EW),
        NO("\"=?utf-8?q?a b?=\" <a@example.com>", MALF_EW),
        NO("\"=?utf 8?q?a?=\" <a@example.com>", MALF_EW),
        NO("=?utf-8?q?a?x <a@example.com>", MALF_EW),
        NO("(=?utf-8?q?ab) <a@example.com>", UNTERM_EW),
        NO("=?utf-7?q?+AEA-?= <a@example.com>", "UTF-7 encoded word"),
        NO("=?UNICODE-1-1-UTF-7?q?x?= <a@example.com>", "UTF-7 encoded word"),
        NO("=?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?q?x?= <a@example.com>",
           "encoded word with an over-long charset"),
        NO("Is 1+1=? <a@example.com>", MALF_EW), /* the price of strictness */

        /* encoded words in the address */
        NO("=?utf-8?q?ceo?=@example.com", EW_ADDR),
        NO("<=?utf-8?q?ceo?=@example.com>", EW_ADDR),
        NO("Ceo <a=?utf-8?q?x?=b@example.com>", EW_ADDR),
        NO("\"=?utf-8?q?ceo?=\"@example.com", EW_ADDR),
        NO("a=?b@example.com", EW_ADDR),

        /* quoted local parts holding '@', white space or controls */
        NO("\"a@b\"@example.com", "'@' in the quoted local part"),
        NO("<\"ceo@example.com\"@example.net>", "'@' in the quoted local part"),
        NO("\"a\\@b\"@example.com", "'@' in the quoted local part"),
        NO("\"a b\"@example.com", "white space in the quoted local part"),
        NO("\"a\tb\"@example.com", "white space in the quoted local part"),
        NO("\"a\\ b\"@example.com", "white space in the quoted local part"),
        NO("\"a\r\n b\"@example.com", "white space in the quoted local part"),
        NO("\"\"@example.com", "empty local part"),
        NO("\"abc@example.com", "'@' in the quoted local part"),
        NO("\"abc", "unterminated quoted string"),
        NO("\"abc\\", "unterminated quoted string"),

        /* addr-spec syntax */
        NO("@example.com", "empty local part"),
        NO("John <a@>", "missing domain"),
        NO("a@", "missing domain"),
        NO("a@ (c)", "missing domain"),
        NO(".a@example.com", "invalid local part"),
        NO("a.@example.com", "invalid local part"),
        NO("a..b@example.com", "invalid local part"),
        NO("a . b@example.com", "invalid character in the local part"),
        NO("a\"b\"@example.com", "invalid character in the local part"),
        NO("a@example..com", "invalid domain"),
        NO("a@example.com.", "invalid domain"),
        NO("a@-example.com", "invalid domain"),
        NO("a@exa_mple.com", "invalid domain"),
        NO("a@\"example.com\"", "invalid domain"),
        NO("a@b@example.com", "text after the address"),
        NO("<a@b@example.com>", "invalid character in the address"),
        NO("<a@example.com", "missing '>'"),
        NO("a@example.com>", "text after the address"),
        NO("<a@example.com> x", "text after the address"),
        NO("<a@example.com> \"x\"", "text after the address"),
        NO("<a@example.com>>", "text after the address"),
        NO("<<a@example.com>>", "invalid character in the local part"),
        NO("John Smith@example.com", "invalid character in the local part"),
        NO("a%b@example.com", "'%' or '!' routing in the local part"),
        NO("Name <host!user@example.com>", "'%' or '!' routing in the local part"),
        NO("\"a%b\"@example.com", "'%' or '!' routing in the local part"),

        /* routes and domain literals */
        NO("<@relay.example:user@example.com>", "obsolete route"),
        NO("John <@a,@b:user@example.com>", "obsolete route"),
        NO("< @relay.example:user@example.com>", "obsolete route"),
        NO("<@example.com>", "obsolete route"),
        NO("user@[192.0.2.1]", "domain literal"),
        NO("John <user@[IPv6:2001:db8::1]>", "domain literal"),
        NO("user@ [192.0.2.1]", "domain literal"),

        /* comments: unbalanced or too deep */
        NO("(abc", "unterminated comment"),
        NO("(a (b) c", "unterminated comment"),
        NO("(abc <a@example.com>", "angle bracket in a comment"),
        NO("<a@example.com> (a\\", "unterminated comment"),
        NO("abc) <a@example.com>", "unbalanced ')'"),
        NO("<a@example.com> )", "text after the address"),
        NO("(((((((((9 deep))))))))) <a@example.com>", "comments nested deeper than 8"),

        /* control characters, bare CR and LF, folding done wrong */
        NO("John\r\nSmith <a@example.com>", BARE),
        NO("<a@example.com>\r\n", BARE),
        NO("<a@example.com>\r\nBcc: victim@example.org", BARE),
        NO("John\nSmith <a@example.com>", BARE),
        NO("John\rSmith <a@example.com>", BARE),
        NO("John\r <a@example.com>", BARE),
        NO("John\n <a@example.com>", BARE),
        NO("\r\n\r\n <a@example.com>", BARE),
        NO("<a@example.com>\r", BARE),
        NO("John\x01 <a@example.com>", "control character"),
        NO("John\x1b[31m <a@example.com>", "control character"),
        NO("\"John\x7f\" <a@example.com>", "control character"),
        NO("(\x0c) <a@example.com>", "control character"),
        NO("<a@example.com\x0b>", "control character"),
        NO("\"a\\\r\n b\" <a@example.com>", "quoted-pair of CR"),
        NO("(a\\\r\n b) <a@example.com>", "quoted-pair of CR"),

        /* NUL anywhere */
        NO("\0", "NUL"),
        NO("a@example.com\0", "NUL"),
        NO("a\0@example.com", "NUL"),
        NO("John\0 <a@example.com>", "NUL"),
        NO("<a@example.com>\0<b@example.org>", "NUL"),
        NO("\"\\\0\" <a@example.com>", "NUL"),

        /* 8-bit without utf8; bad UTF-8 with it */
        NO("J\xc3\xb6rg <j@example.com>", "non-ASCII without SMTPUTF8"),
        NO("<j\xc3\xb6rg@example.com>", "non-ASCII without SMTPUTF8"),
        NO("a@b\xc3\xbc\x63her.example", "non-ASCII without SMTPUTF8"),
        NO("J\xf6rg <j@example.com>", "non-ASCII without SMTPUTF8"),
        NO8("J\xf6rg <j@example.com>", "invalid UTF-8"),
        NO8("\xc3 <j@example.com>", "invalid UTF-8"),
        NO8("\xc0\x80 <j@example.com>", "invalid UTF-8"), /* overlong NUL */
        NO8("\xc0\xa0 <j@example.com>", "invalid UTF-8"),
        NO8("\xed\xa0\x80 <j@example.com>", "invalid UTF-8"), /* surrogate */
        NO8("\xf4\x90\x80\x80 <j@example.com>", "invalid UTF-8"),
        NO8("<j@\xc3.example>", "invalid UTF-8"),
        NO8("\"\x80\" <j@example.com>", "invalid UTF-8"),

        /* Unicode that shows another address than the real one */
        NO8("ceo\xef\xbc\xa0"
            "example.com <attacker@example.net>",
            LOOKALIKE),
        NO8("\"ceo\xef\xb9\xab"
            "example.com\" <attacker@example.net>",
            LOOKALIKE),
        NO8("<a\xe2\x80\xae"
            "moc.elpmaxe@attacker.example>",
            UCTRL),
        NO8("\xe2\x80\xaa <a@example.com>", UCTRL),
        NO8("\xe2\x81\xa6 <a@example.com>", UCTRL),
        NO8("\xe2\x80\x8f <a@example.com>", UCTRL),
        NO8("\xd8\x9c <a@example.com>", UCTRL),
        NO8("\xe2\x80\xa8 <a@example.com>", UCTRL),
        NO8("\xc2\x85 <a@example.com>", UCTRL),
};

static void check_row(size_t i, const struct row *r, bool utf8)
{
	struct mailaddr a, b;
	enum reply rr = RPL_MAX;
	char why[128] = "unset";
	int rc = mbox_parse_from(r->in, r->n, utf8, &a, why, sizeof(why));

	if (r->addr == NULL) {
		EXPECT(rc == -1, "row %zu %s utf8=%d: accepted as %s, expected refusal (%s)", i,
		       show(r->in, r->n), utf8, shows(a.addr), r->why);
		if (rc == -1)
			EXPECT(strcmp(why, r->why) == 0,
			       "row %zu %s utf8=%d: why \"%s\", expected \"%s\"", i,
			       show(r->in, r->n), utf8, why, r->why);
		return;
	}
	EXPECT(rc == 0, "row %zu %s utf8=%d: refused (%s)", i, show(r->in, r->n), utf8, why);
	if (rc != 0)
		return;
	EXPECT(strcmp(a.addr, r->addr) == 0, "row %zu %s: addr %s, expected %s", i,
	       show(r->in, r->n), shows(a.addr), shows(r->addr));
	/* the address is one SMTP accepts, with the same parts */
	EXPECT(addr_parse_mailbox(a.addr, strlen(a.addr), utf8, &b, &rr) == 0 &&
	               strcmp(b.addr, a.addr) == 0 && strcmp(b.domain, a.domain) == 0 &&
	               b.local_len == a.local_len && b.utf8 == a.utf8 && !a.literal,
	       "row %zu %s: %s is not the same for addr_parse_mailbox (%s)", i, show(r->in, r->n),
	       shows(a.addr), rname(rr));
	EXPECT(strchr(a.addr, '@') == strrchr(a.addr, '@'), "row %zu: several '@'", i);
}

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];
		check_row(i, r, r->utf8);
		/* ASCII rows read the same whether the message is SMTPUTF8 or not */
		if (!r->utf8 && (r->addr != NULL || is_ascii(r->in, r->n)))
			check_row(i, r, true);
	}
	ALL_PASSED();
}

/* the canonical address is a fixed point: read again, it gives itself */
static void test_fixed_point(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];
		struct mailaddr a;
		char why[128];
		if (r->addr == NULL)
			continue;
		int rc = mbox_parse_from(r->addr, strlen(r->addr), r->utf8, &a, why, sizeof(why));
		EXPECT(rc == 0 && strcmp(a.addr, r->addr) == 0, "row %zu: %s reads as %s (%s)", i,
		       shows(r->addr), rc == 0 ? shows(a.addr) : "refused", rc == 0 ? "" : why);
	}
	ALL_PASSED();
}

/* n is honoured: octets past it are not read */
static void test_length_honoured(void **state)
{
	struct mailaddr a;
	char why[128];

	(void)state;
	EXPECT(mbox_parse_from("a@example.com, b@example.org", 13, false, &a, why, sizeof(why)) ==
	                       0 &&
	               strcmp(a.addr, "a@example.com") == 0,
	       "n not honoured: %s", why);
	EXPECT(mbox_parse_from("<a@example.com>\r\n", 15, false, &a, why, sizeof(why)) == 0,
	       "the final CRLF is not part of the value: %s", why);
	EXPECT(mbox_parse_from("x", 0, false, &a, why, sizeof(why)) == -1 &&
	               strcmp(why, "empty From: value") == 0,
	       "n = 0: %s", why);
	/* a short why buffer is cut, not overrun; none at all is fine */
	char small[4] = "xyz";
	EXPECT(mbox_parse_from(RAW("a, b"), false, &a, small, 3) == -1 && strcmp(small, "mo") == 0,
	       "small why: %s", small);
	EXPECT(mbox_parse_from(RAW("a, b"), false, &a, NULL, 0) == -1, "why NULL");
	/* on refusal out is cleared */
	strcpy(a.addr, "stale@example.com");
	EXPECT(mbox_parse_from(RAW("a, b"), false, &a, why, sizeof(why)) == -1 && a.addr[0] == '\0',
	       "out not cleared");
	ALL_PASSED();
}

/* a value of n octets: text, then filler of c (folded every 70 octets if fold), then tail */
static char *value_of(size_t n, const char *head, char c, bool fold, const char *tail)
{
	char *s = malloc(n + 1);
	size_t h = strlen(head), t = strlen(tail);

	assert_non_null(s);
	assert_true(h + t <= n);
	memcpy(s, head, h);
	memset(s + h, c, n - h - t);
	if (fold)
		for (size_t i = h + 70; i + 3 < n - t; i += 70)
			memcpy(s + i, "\r\n ", 3);
	memcpy(s + n - t, tail, t);
	s[n] = '\0';
	return s;
}

struct long_row {
	size_t n;
	const char *head;
	char fill;
	bool fold;
	const char *tail;
	const char *addr; /* NULL: refused with why */
	const char *why;
};

static const struct long_row long_rows[] = {
        /* 1000 octets: a long folded display name or comment is fine */
        {1000, "", 'x', true, " <a@example.com>", "a@example.com", NULL},
        {1000, "\"", 'x', true, "\" <a@example.com>", "a@example.com", NULL},
        {1000, "(", 'x', true, ") <a@example.com>", "a@example.com", NULL},
        {1000, "<a@example.com> (", 'x', true, ")", "a@example.com", NULL},
        {1000, "", ' ', false, "a@example.com", "a@example.com", NULL},
        /* ... not a long unfolded name either: line length is the caller's business */
        {1000, "", 'x', false, " <a@example.com>", "a@example.com", NULL},
        /* ... but parts of the address are bounded */
        {1000, "", 'l', false, "@example.com", NULL, "local part over 64 octets"},
        {1000, "<", 'l', false, "@example.com>", NULL, "local part over 64 octets"},
        {1000, "\"", 'l', false, "\"@example.com", NULL, "local part over 64 octets"},
        {1000, "a@", 'd', false, ".example", NULL, "domain over 255 octets"},
        {1000, "x <a@", 'd', false, ">", NULL, "domain over 255 octets"},
        {1000, "", 'x', true, " <a@example.com>, b@example.com", NULL, MULTI},
        /* the whole value: 2048 octets at most */
        {2048, "", 'x', true, " <a@example.com>", "a@example.com", NULL},
        {2049, "", 'x', true, " <a@example.com>", NULL, "From: value over 2048 octets"},
        {100000, "", 'x', true, " <a@example.com>", NULL, "From: value over 2048 octets"},
};

static void test_long_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(long_rows); i++) {
		const struct long_row *r = &long_rows[i];
		char *s = value_of(r->n, r->head, r->fill, r->fold, r->tail);
		struct mailaddr a;
		char why[128] = "";
		int rc = mbox_parse_from(s, r->n, false, &a, why, sizeof(why));
		if (r->addr)
			EXPECT(rc == 0 && strcmp(a.addr, r->addr) == 0,
			       "long row %zu: rc %d (%s) %s", i, rc, why, shows(a.addr));
		else
			EXPECT(rc == -1 && strcmp(why, r->why) == 0,
			       "long row %zu: rc %d why \"%s\"", i, rc, why);
		free(s);
	}
	ALL_PASSED();
}

/* a string of n copies of c, with a '.' every 64th octet if dots (labels of 63) */
static char *rep(char c, size_t n, bool dots)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	for (size_t i = 63; dots && i + 1 < n; i += 64)
		s[i] = '.';
	s[n] = '\0';
	return s;
}

struct lim_row {
	const char *head, *tail; /* around the generated part */
	char fill;               /* of the generated part */
	size_t len;              /* its length */
	bool dots;               /* labels of 63 */
	const char *why;         /* NULL: accepted */
	size_t addr_len;         /* accepted: strlen(out->addr) */
};

/* limits: local part 64 as written (quotes and escapes counted), label 63, address 254 */
static const struct lim_row lim_rows[] = {
        {"", "@example.com", 'l', 64, false, NULL, 76},
        {"", "@example.com", 'l', 65, false, "local part over 64 octets", 0},
        {"Name <", "@example.com>", 'l', 64, false, NULL, 76},
        {"Name <", "@example.com>", 'l', 65, false, "local part over 64 octets", 0},
        {"\"", "\"@example.com", 'l', 64, false, NULL, 76}, /* unquoted: 64 */
        {"\"", "\"@example.com", 'l', 65, false, "local part over 64 octets", 0},
        /* quotes kept: "lll.": 2 quotes + 62 = 64 fits, + 63 does not */
        {"\"", ".\"@example.com", 'l', 61, false, NULL, 76},
        {"\"", ".\"@example.com", 'l', 62, false, "local part over 64 octets", 0},
        /* an escape counts: 2 quotes + 60 + \" = 64 fits */
        {"\"", "\\\"\"@example.com", 'l', 60, false, NULL, 76},
        {"\"", "\\\"\"@example.com", 'l', 61, false, "local part over 64 octets", 0},
        {"a@", ".example", 'd', 63, false, NULL, 73},
        {"a@", ".example", 'd', 64, false, "invalid domain", 0},
        {"a@", "", 'd', 252, true, NULL, 254},
        {"a@", "", 'd', 253, true, "address over 254 octets", 0},
        {"a@", "", 'd', 255, true, "address over 254 octets", 0},
        {"a@", "", 'd', 256, true, "domain over 255 octets", 0},
};

static void test_limits(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(lim_rows); i++) {
		const struct lim_row *r = &lim_rows[i];
		char *part = rep(r->fill, r->len, r->dots);
		char s[600], why[128] = "";
		struct mailaddr a;
		snprintf(s, sizeof(s), "%s%s%s", r->head, part, r->tail);
		int rc = mbox_parse_from(s, strlen(s), false, &a, why, sizeof(why));
		if (r->why == NULL)
			EXPECT(rc == 0 && strlen(a.addr) == r->addr_len,
			       "limit row %zu: rc %d (%s), addr of %zu", i, rc, why,
			       strlen(a.addr));
		else
			EXPECT(rc == -1 && strcmp(why, r->why) == 0,
			       "limit row %zu: rc %d why \"%s\"", i, rc, why);
		free(part);
	}
	ALL_PASSED();
}

/* out->utf8 says whether the address (not the display name) is non-ASCII */
static void test_utf8_flag(void **state)
{
	struct mailaddr a;
	char why[128];

	(void)state;
	EXPECT(mbox_parse_from(RAW("J\xc3\xb6rg <j@example.com>"), true, &a, why, sizeof(why)) ==
	                       0 &&
	               !a.utf8,
	       "ASCII address marked utf8");
	EXPECT(mbox_parse_from(RAW("<j\xc3\xb6rg@example.com>"), true, &a, why, sizeof(why)) == 0 &&
	               a.utf8 && a.local_len == 5 && strcmp(a.domain, "example.com") == 0,
	       "UTF-8 address: utf8 %d local_len %zu", a.utf8, a.local_len);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),
	        cmocka_unit_test(test_fixed_point),
	        cmocka_unit_test(test_length_honoured),
	        cmocka_unit_test(test_long_values),
	        cmocka_unit_test(test_limits),
	        cmocka_unit_test(test_utf8_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
