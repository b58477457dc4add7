/*
 * address_test.c - addr_parse_path, addr_parse_mailbox and addr_is_domain:
 * dot-atoms, quoted local parts, source routes, '%'/'!' routing forms, the
 * null path, length limits, address literals, UTF-8 with and without SMTPUTF8.
 */
#include "address.h"

#include <stdlib.h>

#include "unit.h"

enum { S = ADDR_SENDER, R = ADDR_RCPT };

struct path_row {
	const char *in;
	int kind;
	bool smtputf8;
	int rc;
	enum reply why;     /* rc == -1 */
	const char *addr;   /* rc == 0: out->addr */
	const char *domain; /* rc == 0: out->domain (lower-cased) */
	const char *rest;   /* rc == 0: the text at *end */
	bool utf8, literal; /* rc == 0: out->utf8, out->literal */
};

#define OK(in, k, u8, a, d, rest)                                                                  \
	{                                                                                          \
		in, k, u8, 0, RPL_MAX, a, d, rest, false, false                                    \
	}
#define OK8(in, k, a, d)                                                                           \
	{                                                                                          \
		in, k, true, 0, RPL_MAX, a, d, "", true, false                                     \
	}
#define OKLIT(in, a, d)                                                                            \
	{                                                                                          \
		in, R, false, 0, RPL_MAX, a, d, "", false, true                                    \
	}
#define ERR(in, k, u8, w)                                                                          \
	{                                                                                          \
		in, k, u8, -1, w, NULL, NULL, NULL, false, false                                   \
	}
#define SYN(in)     ERR(in, R, false, RPL_RCPT_SYNTAX), ERR(in, S, false, RPL_SENDER_SYNTAX)
#define SYN8(in)    ERR(in, R, true, RPL_RCPT_SYNTAX), ERR(in, S, true, RPL_SENDER_SYNTAX)
#define BOTH(in, w) ERR(in, R, false, w), ERR(in, S, false, w)

static const struct path_row path_rows[] = {
        /* dot-atoms */
        OK("<user@example.com>", R, false, "user@example.com", "example.com", ""),
        OK("<user@example.com>", S, false, "user@example.com", "example.com", ""),
        OK("<a@b>", R, false, "a@b", "b", ""),
        OK("<a.b.c@d.e.f>", R, false, "a.b.c@d.e.f", "d.e.f", ""),
        OK("<User.Name+tag@Example.COM>", R, false, "User.Name+tag@Example.COM", "example.com", ""),
        OK("<{a}#$&'*+-/=?^_`|~@b.example>", R, false, "{a}#$&'*+-/=?^_`|~@b.example", "b.example",
           ""),
        OK("<0@1.2.3.4>", R, false, "0@1.2.3.4", "1.2.3.4", ""), /* numeric labels are names */
        OK("<a@b-c.d>", R, false, "a@b-c.d", "b-c.d", ""),
        OK("<a@xn--bcher-kva.example>", R, false, "a@xn--bcher-kva.example",
           "xn--bcher-kva.example", ""),
        OK("<a@B--C.D>", R, false, "a@B--C.D", "b--c.d", ""),

        /* `end` points just past '>' so the parameters can be parsed */
        OK("<user@example.com> SIZE=100", S, false, "user@example.com", "example.com", " SIZE=100"),
        OK("<c@d.example> NOTIFY=NEVER ORCPT=rfc822;c@d", R, false, "c@d.example", "d.example",
           " NOTIFY=NEVER ORCPT=rfc822;c@d"),
        OK("<a@b>>", R, false, "a@b", "b", ">"),
        OK("<a@b><c@d>", R, false, "a@b", "b", "<c@d>"),

        /* the null path: senders only */
        OK("<>", S, false, "", "", ""),
        OK("<> SIZE=1", S, false, "", "", " SIZE=1"),
        OK("<>>", S, false, "", "", ">"),
        ERR("<>", R, false, RPL_RCPT_SYNTAX),
        ERR("<> NOTIFY=NEVER", R, false, RPL_RCPT_SYNTAX),
        ERR("<>", R, true, RPL_RCPT_SYNTAX),

        /* quoted local parts */
        OK("<\"john doe\"@example.com>", R, false, "\"john doe\"@example.com", "example.com", ""),
        OK("<\"a\\\"b\"@c>", R, false, "\"a\\\"b\"@c", "c", ""),
        OK("<\"a\\\\b\"@c>", R, false, "\"a\\\\b\"@c", "c", ""),
        OK("<\"a\\ b\"@c>", R, false, "\"a\\ b\"@c", "c", ""),
        OK("<\"a\\b\"@c>", R, false, "\"a\\b\"@c", "c", ""), /* quoted-pair of any %d32-126 */
        OK("<\"\"@c>", R, false, "\"\"@c", "c", ""),         /* empty Quoted-string */
        OK("<\"a>b\"@c.d> SIZE=1", S, false, "\"a>b\"@c.d", "c.d", " SIZE=1"),
        OK("<\"a@b\"@c.d>", R, false, "\"a@b\"@c.d", "c.d", ""),
        OK("<\"a.b..c.\"@d>", R, false, "\"a.b..c.\"@d", "d", ""), /* dots free when quoted */
        OK("<\"<>()[]:;,\"@d>", R, false, "\"<>()[]:;,\"@d", "d", ""),
        SYN("<\"abc@d>"),   /* unterminated quote */
        SYN("<\"abc>"),     /* unterminated quote */
        SYN("<\"a\\\">"),   /* the closing quote is escaped */
        SYN("<\"a\\\"@b>"), /* ... so the quote never ends */
        SYN("<\"a\x01"
            "b\"@c>"),               /* control characters */
        SYN("<\"a\tb\"@c>"),         /* HTAB is not qtextSMTP */
        SYN("<\"a\x7f\"@c>"),        /* DEL */
        SYN("<\"a\\\x01\"@c>"),      /* quoted-pair of a control character */
        SYN("<\"a\\\x7f\"@c>"),      /* quoted-pair of DEL */
        SYN("<\"a\\\xc3\xa9\"@c>"),  /* quoted-pair of a non-ASCII octet */
        SYN8("<\"a\\\xc3\xa9\"@c>"), /* ... even with SMTPUTF8 */
        SYN("<\"a\"b@c>"),           /* text after the closing quote */
        SYN("<\"a\">"),              /* no domain */
        SYN("<\"a\"@>"),
        SYN("<a.\"b\"@c>"), /* no mixing of atoms and quoted strings */
        SYN("<\"a\".b@c>"),

        /* dot-atom syntax */
        SYN("<.a@b>"),
        SYN("<a.@b>"),
        SYN("<a..b@c>"),
        SYN("<.@b>"),
        SYN("<a b@c>"),
        SYN("<a\x01@c>"),
        SYN("<a\x7f@c>"),
        SYN("<a(comment)@c>"),
        SYN("<a,b@c>"),
        SYN("<a;b@c>"),
        SYN("<a:b@c>"),
        SYN("<a[b]@c>"),
        SYN("<a\\b@c>"),
        SYN("<<a@b>>"),
        SYN("<a@b@c>"),
        SYN("<postmaster>"), /* no bare Postmaster on a submission relay */
        SYN("<a>"),
        BOTH("<@>", RPL_SOURCE_ROUTE),

        /* source routes */
        BOTH("<@a,@b:u@c>", RPL_SOURCE_ROUTE),
        BOTH("<@a:u@c>", RPL_SOURCE_ROUTE),
        BOTH("<@a.example,@b.example:user@c.example>", RPL_SOURCE_ROUTE),
        ERR("<@a:u@c>", R, true, RPL_SOURCE_ROUTE),
        BOTH("<@b>", RPL_SOURCE_ROUTE), /* any leading '@' reads as an A-d-l */

        /* '%' and '!' routing forms, also inside quotes and quoted-pairs */
        BOTH("<a%b@c>", RPL_ADDR_FORM),
        BOTH("<user%other.example@relay.example>", RPL_ADDR_FORM),
        BOTH("<a!b@c>", RPL_ADDR_FORM),
        BOTH("<host!user@relay.example>", RPL_ADDR_FORM),
        BOTH("<a%b%c@d>", RPL_ADDR_FORM),
        BOTH("<\"a%b\"@c>", RPL_ADDR_FORM),
        BOTH("<\"a!b\"@c>", RPL_ADDR_FORM),
        BOTH("<\"a\\%b\"@c>", RPL_ADDR_FORM),
        BOTH("<\"a\\!b\"@c>", RPL_ADDR_FORM),
        BOTH("<\"user%host\"@relay.example>", RPL_ADDR_FORM),
        ERR("<a%b@c>", R, true, RPL_ADDR_FORM),
        ERR("<a!\xc3\xa9@c>", R, true, RPL_ADDR_FORM),
        SYN("<a@b%c>"), /* in the domain it is plain bad syntax */
        SYN("<a@b!c>"),

        /* missing or misplaced angle brackets */
        SYN("user@example.com"),
        SYN("<user@example.com"),
        SYN("user@example.com>"),
        SYN(" <user@example.com>"),
        SYN(""),
        SYN("<"),
        SYN(">"),
        SYN("<user@example.com\x01>"),

        /* domains */
        SYN("<a@>"),
        SYN("<a@.b>"),
        SYN("<a@b.>"), /* trailing dot */
        SYN("<a@b..c>"),
        SYN("<a@-b.c>"),
        SYN("<a@b-.c>"),
        SYN("<a@b.c->"),
        SYN("<a@b.-c>"),
        SYN("<a@b_c.d>"),
        SYN("<a@b c>"),
        SYN("<a@b\r\n>"),
        SYN("<a@b\x01>"),
        SYN("<a@b.c\x7f>"),
        SYN("<a@\"b\">"),

        /* address literals */
        OKLIT("<a@[192.0.2.1]>", "a@[192.0.2.1]", "[192.0.2.1]"),
        OKLIT("<a@[IPv6:2001:db8::1]>", "a@[IPv6:2001:db8::1]", "[ipv6:2001:db8::1]"),
        OKLIT("<a@[IPv6:2001:DB8::1]>", "a@[IPv6:2001:DB8::1]", "[ipv6:2001:db8::1]"),
        OKLIT("<a@[IPv6:::1]>", "a@[IPv6:::1]", "[ipv6:::1]"),
        OKLIT("<a@[IPv6:::ffff:192.0.2.1]>", "a@[IPv6:::ffff:192.0.2.1]",
              "[ipv6:::ffff:192.0.2.1]"),
        /* the "IPv6:" tag is case-insensitive (ABNF literals, RFC 5234 2.3) */
        OKLIT("<u@[ipv6:2001:db8::1]>", "u@[ipv6:2001:db8::1]", "[ipv6:2001:db8::1]"),
        OKLIT("<u@[IpV6:2001:db8::1]>", "u@[IpV6:2001:db8::1]", "[ipv6:2001:db8::1]"),
        OKLIT("<u@[IPV6:::1]>", "u@[IPV6:::1]", "[ipv6:::1]"),
        {"<u@[ipv6:2001:db8::1]>", S, false, 0, RPL_MAX, "u@[ipv6:2001:db8::1]",
         "[ipv6:2001:db8::1]", "", false, true},
        SYN("<a@[ipv6:192.0.2.1]>"), /* any case, the tag still needs an IPv6 address */
        SYN("<a@[ipv6:2001:db8::g]>"),
        SYN("<a@[192.0.2.256]>"),
        SYN("<a@[192.0.2]>"),
        SYN("<a@[192.0.2.1.5]>"),
        SYN("<a@[192.0.2.1>"),
        SYN("<a@192.0.2.1]>"),
        SYN("<a@[192.0.2.1]x>"),
        SYN("<a@[192.0.2.1].example>"),
        SYN("<a@[]>"),
        SYN("<a@[ 192.0.2.1]>"),
        SYN("<a@[192.0.2.1 ]>"),
        SYN("<a@[0x7f.1.1.1]>"),
        SYN("<a@[2001:db8::1]>"),    /* IPv6 needs its tag */
        SYN("<a@[IPv6:192.0.2.1]>"), /* ... and an IPv6 address after it */
        SYN("<a@[IPv6:2001:db8::g]>"),
        SYN("<a@[IPv6:2001:db8:::1]>"),
        SYN("<a@[IPv6:]>"),
        SYN("<a@[IPv4:192.0.2.1]>"), /* general address literals are refused */
        SYN("<a@[x-tag:content]>"),
        SYN("<a@[example.com]>"),
        SYN("<a@[IPv6:2001:0db8:0000:0000:0000:0000:0000:0001:0002:0003:0004:0005]>"),

        /* UTF-8 (RFC 6531): only with SMTPUTF8 */
        ERR("<\xc3\xa9@example.com>", R, false, RPL_NEED_SMTPUTF8),
        ERR("<\xc3\xa9@example.com>", S, false, RPL_NEED_SMTPUTF8),
        ERR("<a@\xc3\xa9.example>", R, false, RPL_NEED_SMTPUTF8),
        ERR("<a@\xc3\xa9.example>", S, false, RPL_NEED_SMTPUTF8),
        ERR("<\"\xc3\xa9\"@b>", R, false, RPL_NEED_SMTPUTF8),
        ERR("<j\xc3\xb6rg.\xe2\x82\xac@b>", R, false, RPL_NEED_SMTPUTF8),
        OK8("<\xc3\xa9@example.com>", R, "\xc3\xa9@example.com", "example.com"),
        OK8("<\xc3\xa9@example.com>", S, "\xc3\xa9@example.com", "example.com"),
        OK8("<a@\xc3\xa9.example>", R, "a@\xc3\xa9.example", "\xc3\xa9.example"),
        OK8("<a@B\xc3\xa9.EXAMPLE>", R, "a@B\xc3\xa9.EXAMPLE", "b\xc3\xa9.example"),
        OK8("<a@\xc3\x89.example>", R, "a@\xc3\x89.example", "\xc3\x89.example"), /* ASCII only */
        OK8("<\"\xc3\xa9 x\"@b>", R, "\"\xc3\xa9 x\"@b", "b"),
        OK8("<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a>", R,
            "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a",
            "\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a"),
        OK8("<\xf0\x9f\x98\x80@b>", R, "\xf0\x9f\x98\x80@b", "b"),
        OK("<a@b>", R, true, "a@b", "b", ""), /* ASCII with SMTPUTF8: not flagged utf8 */

        /* invalid UTF-8 is bad syntax, with or without SMTPUTF8 */
        SYN8("<\xc0\x80@b>"),         /* overlong NUL */
        SYN8("<\xc1\xbf@b>"),         /* overlong */
        SYN8("<\xe0\x80\xaf@b>"),     /* overlong '/' */
        SYN8("<\xed\xa0\x80@b>"),     /* surrogate U+D800 */
        SYN8("<\xed\xbf\xbf@b>"),     /* surrogate U+DFFF */
        SYN8("<\xf4\x90\x80\x80@b>"), /* above U+10FFFF */
        SYN8("<\xf5\x80\x80\x80@b>"),
        SYN8("<\xff@b>"),
        SYN8("<\x80@b>"), /* lone continuation byte */
        SYN8("<\xc3@b>"), /* truncated sequence */
        SYN8("<\"\xc0\x80\"@b>"),
        SYN8("<\"\xed\xa0\x80\"@b>"),
        SYN8("<a@\xc0\x80.com>"),
        SYN8("<a@\xed\xa0\x80.com>"),
        SYN8("<a@\xf5\x80\x80\x80>"),
        SYN8("<a@b\xc3>"),
        SYN("<\xc0\x80@b>"),
        SYN("<\xed\xa0\x80@b>"),
        SYN("<\"\xf5\x80\x80\x80\"@b>"),
        /* regression: ill-formed UTF-8 in a domain without SMTPUTF8 got RPL_NEED_SMTPUTF8 */
        ERR("<a@\xc0\x80.com>", R, false, RPL_RCPT_SYNTAX),
        ERR("<a@\xed\xa0\x80.com>", S, false, RPL_SENDER_SYNTAX),
};

static void check_path(size_t i, const struct path_row *r)
{
	struct mailaddr a;
	const char *end = NULL;
	enum reply why = RPL_MAX;
	int rc = addr_parse_path(r->in, (enum addr_kind)r->kind, r->smtputf8, &a, &end, &why);
	const char *k = r->kind == S ? "sender" : "rcpt";

	EXPECT(rc == r->rc, "row %zu %s (%s, smtputf8=%d): rc %d, expected %d (why %s)", i,
	       shows(r->in), k, r->smtputf8, rc, r->rc, rname(why));
	if (rc != r->rc)
		return;
	if (rc < 0) {
		EXPECT(why == r->why, "row %zu %s (%s, smtputf8=%d): why %s, expected %s", i,
		       shows(r->in), k, r->smtputf8, rname(why), rname(r->why));
		return;
	}
	EXPECT(strcmp(a.addr, r->addr) == 0, "row %zu %s: addr %s, expected %s", i, shows(r->in),
	       shows(a.addr), shows(r->addr));
	EXPECT(strcmp(a.domain, r->domain) == 0, "row %zu %s: domain %s, expected %s", i,
	       shows(r->in), shows(a.domain), shows(r->domain));
	size_t llen = r->addr[0] ? strlen(r->addr) - strlen(r->domain) - 1 : 0;
	EXPECT(a.local_len == llen, "row %zu %s: local_len %zu, expected %zu", i, shows(r->in),
	       a.local_len, llen);
	EXPECT(a.utf8 == r->utf8, "row %zu %s: utf8 %d", i, shows(r->in), a.utf8);
	EXPECT(a.literal == r->literal, "row %zu %s: literal %d", i, shows(r->in), a.literal);
	size_t at = strlen(r->in) - strlen(r->rest);
	EXPECT(end == r->in + at, "row %zu %s: end at %td, expected %zu", i, shows(r->in),
	       end ? end - r->in : -1, at);
}

static void test_path_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(path_rows); i++)
		check_path(i, &path_rows[i]);
	ALL_PASSED();
}

/* a string of n copies of c */
static char *rep(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* a domain of exactly n octets made of labels of at most 63 */
static char *domain_of(size_t n)
{
	char *s = rep('d', n);

	for (size_t i = 63; i < n - 1; i += 64)
		s[i] = '.';
	return s;
}

struct len_row {
	size_t local, domain; /* octets */
	bool quoted;          /* local part as a Quoted-string (quotes counted) */
	int rc;
};

/* limits: local part 64 (RFC 5321 4.5.3.1.1), path 256 incl. brackets (4.5.3.1.3) */
static const struct len_row len_rows[] = {
        {64, 10, false, 0},   {65, 10, false, -1}, {64, 189, false, 0}, {64, 190, false, -1},
        {1, 252, false, 0},   {1, 253, false, -1}, {64, 10, true, 0},   {65, 10, true, -1},
        {100, 10, false, -1}, {1, 300, false, -1}, {200, 10, true, -1}, {2, 251, true, 0},
        {2, 252, true, -1},
};

static void test_length_limits(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(len_rows); i++) {
		const struct len_row *r = &len_rows[i];
		char *local = rep('l', r->local);
		char *dom = domain_of(r->domain);
		if (r->quoted) {
			local[0] = '"';
			local[r->local - 1] = '"';
		}
		size_t n = r->local + 1 + r->domain;
		char *path = malloc(n + 3);
		assert_non_null(path);
		snprintf(path, n + 3, "<%s@%s>", local, dom);
		for (int kind = S; kind <= R; kind++) {
			struct mailaddr a;
			const char *end;
			enum reply why = RPL_MAX;
			int rc = addr_parse_path(path, (enum addr_kind)kind, false, &a, &end, &why);
			enum reply syn = kind == S ? RPL_SENDER_SYNTAX : RPL_RCPT_SYNTAX;
			EXPECT(rc == r->rc && (rc == 0 || why == syn),
			       "row %zu local %zu domain %zu quoted %d: rc %d why %s", i, r->local,
			       r->domain, r->quoted, rc, rname(why));
			if (rc == 0)
				EXPECT(strlen(a.addr) == n && a.local_len == r->local &&
				               strcmp(a.domain, dom) == 0 && end == path + n + 2,
				       "row %zu: wrong output", i);
		}
		struct mailaddr a;
		enum reply why = RPL_MAX;
		int rc = addr_parse_mailbox(path + 1, n, false, &a, &why);
		EXPECT(rc == r->rc && (rc == 0 || why == RPL_RCPT_SYNTAX),
		       "mailbox row %zu: rc %d why %s", i, rc, rname(why));
		free(path);
		free(local);
		free(dom);
	}
	ALL_PASSED();
}

/* a label of 63 octets is allowed, 64 is not */
static void test_label_limits(void **state)
{
	(void)state;
	for (size_t len = 60; len <= 66; len++) {
		char *label = rep('x', len);
		char path[128];
		struct mailaddr a;
		const char *end;
		enum reply why = RPL_MAX;
		snprintf(path, sizeof(path), "<u@a.%s.example>", label);
		int rc = addr_parse_path(path, ADDR_RCPT, false, &a, &end, &why);
		EXPECT(len <= 63 ? rc == 0 : (rc == -1 && why == RPL_RCPT_SYNTAX),
		       "label of %zu: rc %d why %s", len, rc, rname(why));
		free(label);
	}
	ALL_PASSED();
}

struct mbox_row {
	const char *s;
	size_t n;
	bool smtputf8;
	int rc;
	enum reply why;
	const char *addr, *domain;
};

static const struct mbox_row mbox_rows[] = {
        {RAW("user@example.com"), false, 0, RPL_MAX, "user@example.com", "example.com"},
        {RAW("User@EXAMPLE.com"), false, 0, RPL_MAX, "User@EXAMPLE.com", "example.com"},
        {RAW("\"a b\"@c"), false, 0, RPL_MAX, "\"a b\"@c", "c"},
        {RAW("a@[192.0.2.1]"), false, 0, RPL_MAX, "a@[192.0.2.1]", "[192.0.2.1]"},
        {RAW("a@[ipv6:2001:DB8::1]"), false, 0, RPL_MAX, "a@[ipv6:2001:DB8::1]",
         "[ipv6:2001:db8::1]"},
        {RAW("a@[IpV6:::1]"), false, 0, RPL_MAX, "a@[IpV6:::1]", "[ipv6:::1]"},
        {"a@bcd", 3, false, 0, RPL_MAX, "a@b", "b"}, /* exactly n bytes */
        {RAW("\xc3\xa9@b"), true, 0, RPL_MAX, "\xc3\xa9@b", "b"},
        {RAW("\xc3\xa9@b"), false, -1, RPL_NEED_SMTPUTF8, NULL, NULL},
        {RAW("<user@example.com>"), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW("a\0b@c"), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW("a@b\0"), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW("\0"), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW(""), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW("@b"), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW("a@"), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW("a"), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW("@a,@b:c@d"), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW("a%b@c"), false, -1, RPL_ADDR_FORM, NULL, NULL},
        {RAW("a!b@c"), false, -1, RPL_ADDR_FORM, NULL, NULL},
        {RAW("a@b.c\r\nBcc: x@y"), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW("a@b.c "), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW(" a@b.c"), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW("a@b.c,d@e.f"), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
        {RAW("a@b.c."), false, -1, RPL_RCPT_SYNTAX, NULL, NULL},
};

static void test_mailbox_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(mbox_rows); i++) {
		const struct mbox_row *r = &mbox_rows[i];
		struct mailaddr a;
		enum reply why = RPL_MAX;
		int rc = addr_parse_mailbox(r->s, r->n, r->smtputf8, &a, &why);
		EXPECT(rc == r->rc, "row %zu %s: rc %d why %s", i, show(r->s, r->n), rc,
		       rname(why));
		if (rc != r->rc)
			continue;
		if (rc < 0) {
			EXPECT(why == r->why, "row %zu %s: why %s, expected %s", i,
			       show(r->s, r->n), rname(why), rname(r->why));
			continue;
		}
		EXPECT(strcmp(a.addr, r->addr) == 0 && strcmp(a.domain, r->domain) == 0,
		       "row %zu %s: addr %s domain %s", i, show(r->s, r->n), shows(a.addr),
		       shows(a.domain));
	}
	ALL_PASSED();
}

struct dom_row {
	const char *s;
	bool utf8;
	bool valid;
};

static const struct dom_row dom_rows[] = {
        {"example.com", false, true},
        {"a", false, true},
        {"a-b.c", false, true},
        {"ab--cd.example", false, true},
        {"1.2.3.4", false, true},
        {"EXAMPLE.COM", false, true},
        {"-a.c", false, false},
        {"a-.c", false, false},
        {"a.c-", false, false},
        {"a.-c", false, false},
        {"-", false, false},
        {"xn--", false, false},
        {".a", false, false},
        {"a.", false, false},
        {".", false, false},
        {"a..b", false, false},
        {"", false, false},
        {"a_b", false, false},
        {"a b", false, false},
        {"a\x01", false, false},
        {"[1.2.3.4]", false, false},
        {"a@b", false, false},
        {"\xc3\xa9.com", true, true},
        {"\xc3\xa9.com", false, false},
        {"b\xc3\xa9-\xc3\xa9.com", true, true},
        {"\xc0\x80.com", true, false},
        {"\xed\xa0\x80.com", true, false},
        {"a\xc3", true, false},
};

static void test_is_domain_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(dom_rows); i++) {
		const struct dom_row *r = &dom_rows[i];
		bool v = addr_is_domain(r->s, strlen(r->s), r->utf8);
		EXPECT(v == r->valid, "row %zu %s utf8=%d: %d, expected %d", i, shows(r->s),
		       r->utf8, v, r->valid);
	}
	ALL_PASSED();
}

/* total length: 255 allowed, 256 not; a label: 63 allowed, 64 not */
static void test_is_domain_limits(void **state)
{
	(void)state;
	for (size_t n = 250; n <= 260; n++) {
		char *d = domain_of(n);
		bool v = addr_is_domain(d, n, false);
		EXPECT(v == (n <= ADDR_DOMAIN_MAX), "domain of %zu: %d", n, v);
		free(d);
	}
	char *l63 = rep('x', 63), *l64 = rep('x', 64);
	EXPECT(addr_is_domain(l63, 63, false), "label of 63 refused");
	EXPECT(!addr_is_domain(l64, 64, false), "label of 64 accepted");
	/* a label of 63 octets of UTF-8 (21 three-octet characters) is fine, 66 is not */
	char u[67 * 3];
	for (int k = 0; k < 22; k++)
		memcpy(u + 3 * k, "\xe2\x82\xac", 3);
	EXPECT(addr_is_domain(u, 63, true), "UTF-8 label of 63 octets refused");
	EXPECT(!addr_is_domain(u, 66, true), "UTF-8 label of 66 octets accepted");
	/* n is honoured: the bytes after it are not looked at */
	EXPECT(addr_is_domain("example.com!!", 11, false), "n not honoured");
	free(l63);
	free(l64);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_path_rows),      cmocka_unit_test(test_length_limits),
	        cmocka_unit_test(test_label_limits),   cmocka_unit_test(test_mailbox_rows),
	        cmocka_unit_test(test_is_domain_rows), cmocka_unit_test(test_is_domain_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
