/*
 * route_test.c - route_parse and route_format: every next-hop form, hostile
 * specs (brackets, ports, IPv6 without brackets, spaces, controls, lengths,
 * keywords that look like hosts), canonical text and round trips; TLS policy
 * names; domain patterns: validity and ranking (exact > longer suffix > "*").
 */
#include "route.h"

#include <stdlib.h>

#include "unit.h"

enum { MX = ROUTE_MX, HOST = ROUTE_HOST, SMART = ROUTE_SMARTHOST, CAPT = ROUTE_CAPTURE };

struct route_row {
	const char *in;
	int rc;
	int kind;         /* rc == 0 */
	const char *host; /* rc == 0: out->host */
	bool direct;      /* rc == 0 */
	unsigned port;    /* rc == 0 */
	const char *text; /* rc == 0: route_format() */
};

#define OK(in, k, h, d, p, t)                                                                      \
	{                                                                                          \
		in, 0, k, h, d, p, t                                                               \
	}
#define BAD(in)                                                                                    \
	{                                                                                          \
		in, -1, 0, NULL, false, 0, NULL                                                    \
	}

static const struct route_row route_rows[] = {
        /* keywords */
        OK("mx", MX, "", false, 0, "mx"),
        OK("capture", CAPT, "", false, 0, "capture"),
        OK("smarthost", SMART, "", false, 0, "smarthost"),

        /* host[:port]: an MX lookup of host */
        OK("relay.example.net", HOST, "relay.example.net", false, 0, "relay.example.net"),
        OK("relay.example.net:587", HOST, "relay.example.net", false, 587, "relay.example.net:587"),
        OK("Relay.EXAMPLE.net:25", HOST, "relay.example.net", false, 25, "relay.example.net:25"),
        OK("localhost", HOST, "localhost", false, 0, "localhost"),
        OK("a:1", HOST, "a", false, 1, "a:1"),
        OK("a:65535", HOST, "a", false, 65535, "a:65535"),
        OK("a:025", HOST, "a", false, 25, "a:25"), /* leading zeros: the same number */
        OK("xn--bcher-kva.example", HOST, "xn--bcher-kva.example", false, 0,
           "xn--bcher-kva.example"),

        /* [host][:port]: that host, no MX lookup */
        OK("[mail.example.net]", HOST, "mail.example.net", true, 0, "[mail.example.net]"),
        OK("[mail.example.net]:587", HOST, "mail.example.net", true, 587, "[mail.example.net]:587"),
        OK("[MAIL.Example.Net]:465", HOST, "mail.example.net", true, 465, "[mail.example.net]:465"),
        OK("[192.0.2.1]", HOST, "192.0.2.1", true, 0, "[192.0.2.1]"),
        OK("[192.0.2.1]:25", HOST, "192.0.2.1", true, 25, "[192.0.2.1]:25"),
        OK("[2001:db8::1]", HOST, "2001:db8::1", true, 0, "[2001:db8::1]"),
        OK("[2001:db8::1]:587", HOST, "2001:db8::1", true, 587, "[2001:db8::1]:587"),
        OK("[2001:DB8::A]:587", HOST, "2001:db8::a", true, 587, "[2001:db8::a]:587"),
        OK("[::1]:2525", HOST, "::1", true, 2525, "[::1]:2525"),
        OK("[::ffff:192.0.2.1]", HOST, "::ffff:192.0.2.1", true, 0, "[::ffff:192.0.2.1]"),
        OK("[mx]", HOST, "mx", true, 0, "[mx]"), /* brackets: a host, whatever its name */
        OK("[capture]:25", HOST, "capture", true, 25, "[capture]:25"),

        /* empty and unbalanced */
        BAD(""),
        BAD("["),
        BAD("]"),
        BAD("[]"),
        BAD("[]:25"),
        BAD("[host"),
        BAD("[host:25"),
        BAD("host]"),
        BAD("[[host]]"),
        BAD("[host]]"),
        BAD("[host]x"),
        BAD("[host] "),
        BAD("[host]25"),
        BAD(":25"),
        BAD(":"),

        /* ports */
        BAD("host:"),
        BAD("host:0"),
        BAD("host:00"),
        BAD("host:65536"),
        BAD("host:99999"),
        BAD("host:99999999999"),
        BAD("host:18446744073709551616"),
        BAD("host:25x"),
        BAD("host:x25"),
        BAD("host:-1"),
        BAD("host:+25"),
        BAD("host: 25"),
        BAD("host:25 "),
        BAD("host:2 5"),
        BAD("host:0x19"),
        BAD("host:25:26"),
        BAD("host::25"),
        BAD("[host]:"),
        BAD("[host]:0"),
        BAD("[host]:65536"),
        BAD("[host]:25x"),
        BAD("[192.0.2.1]:25:25"),
        BAD("[2001:db8::1]:"),

        /* IPv6 needs brackets; bracketed text must be a name or an address */
        BAD("2001:db8::1"),
        BAD("2001:db8::1:587"),
        BAD("::1"),
        BAD("fe80::1%eth0"),
        BAD("[2001:db8::g]"),
        BAD("[2001:db8:::1]"),
        BAD("[fe80::1%eth0]"),
        BAD("[IPv6:2001:db8::1]"),
        BAD("[192.0.2.1/24]"),
        BAD("[ 192.0.2.1]"),
        BAD("[192.0.2.1 ]"),

        /* names */
        BAD("."),
        BAD(".example.com"),
        BAD("example.com."),
        BAD("a..b"),
        BAD("-a.example"),
        BAD("a-.example"),
        BAD("_smtp.example.com"),
        BAD("a_b.example"),
        BAD("*"),
        BAD("*.example.com"),
        BAD("user@example.com"),
        BAD("b\xc3\xbc"
            "cher.example"), /* UTF-8: use the A-label */
        BAD("[b\xc3\xbc"
            "cher.example]"),
        BAD("http://relay.example"),
        BAD("relay.example/25"),

        /* white space and control bytes */
        BAD(" "),
        BAD(" mx"),
        BAD("mx "),
        BAD("mx\n"),
        BAD("relay example"),
        BAD(" relay.example"),
        BAD("relay.example "),
        BAD("relay.example\t"),
        BAD("relay.example\r\n"),
        BAD("relay\x01.example"),
        BAD("relay.example\x7f"),
        BAD("[relay.example]\n"),
        BAD("[relay\x1b.example]"),
        BAD("relay.example:25\r\nRCPT TO:<x@y>"),

        /* a keyword takes no port: "mx:25" must not become a host called "mx" */
        BAD("mx:25"),
        BAD("mx:587"),
        BAD("capture:25"),
        BAD("smarthost:587"),
};

static bool same_spec(const struct route_spec *a, const struct route_spec *b)
{
	return a->kind == b->kind && strcmp(a->host, b->host) == 0 && a->direct == b->direct &&
	       a->port == b->port;
}

/*
 * round_trip - route_format(r) must parse back to r, and format to the same
 * text again; returns false (with a message) if not.
 */
static bool round_trip(const char *label, const struct route_spec *r, char *text, size_t textlen)
{
	struct route_spec again;
	char err[512] = "", text2[320];

	route_format(r, text, textlen);
	if (route_parse(text, &again, err, sizeof(err)) != 0) {
		EXPECT(false, "%s: canonical %s does not parse: %s", label, shows(text), err);
		return false;
	}
	EXPECT(same_spec(r, &again), "%s: %s parses to kind %d host %s direct %d port %u", label,
	       shows(text), again.kind, shows(again.host), again.direct, again.port);
	route_format(&again, text2, sizeof(text2));
	EXPECT(strcmp(text, text2) == 0, "%s: formats as %s, then %s", label, shows(text),
	       shows(text2));
	return true;
}

static void test_route_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(route_rows); i++) {
		const struct route_row *r = &route_rows[i];
		struct route_spec rs;
		char err[512] = "", text[320], label[64];

		memset(&rs, 0xa5, sizeof(rs));
		int rc = route_parse(r->in, &rs, err, sizeof(err));
		EXPECT(rc == r->rc, "row %zu %s: rc %d, expected %d (err %s)", i, shows(r->in), rc,
		       r->rc, shows(err));
		if (rc != r->rc)
			continue;
		if (rc < 0) {
			EXPECT(err[0] != '\0', "row %zu %s: refused without a message", i,
			       shows(r->in));
			continue;
		}
		EXPECT((int)rs.kind == r->kind && strcmp(rs.host, r->host) == 0 &&
		               rs.direct == r->direct && rs.port == r->port,
		       "row %zu %s: kind %d host %s direct %d port %u, expected %d %s %d %u", i,
		       shows(r->in), rs.kind, shows(rs.host), rs.direct, rs.port, r->kind,
		       shows(r->host), r->direct, r->port);
		snprintf(label, sizeof(label), "row %zu", i);
		if (round_trip(label, &rs, text, sizeof(text)))
			EXPECT(strcmp(text, r->text) == 0, "row %zu %s: formats as %s, expected %s",
			       i, shows(r->in), shows(text), shows(r->text));
	}
	ALL_PASSED();
}

/*
 * A spec that only differs from a keyword in case must not become a host named
 * after the keyword: route_format() would write the keyword, which parses as
 * something else (an MX lookup of the recipient domain instead of a host called
 * "mx"). Either the keyword or a refusal is correct; a host is not.
 */
static const char *const keyword_lookalikes[] = {"MX",      "Mx",        "mX",       "Capture",
                                                 "CAPTURE", "SmartHost", "SMARTHOST"};

static void test_keyword_lookalikes(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(keyword_lookalikes); i++) {
		const char *in = keyword_lookalikes[i];
		struct route_spec rs;
		char err[512] = "", text[320];
		if (route_parse(in, &rs, err, sizeof(err)) < 0)
			continue;
		EXPECT(rs.kind != ROUTE_HOST, "%s parses as a host called %s", shows(in),
		       shows(rs.host));
		round_trip(in, &rs, text, sizeof(text));
	}
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

/* a host name of exactly n octets, labels of at most 63 */
static char *name_of(size_t n)
{
	char *s = rep('h', n);

	for (size_t i = 63; i < n - 1; i += 64)
		s[i] = '.';
	return s;
}

/* host names: 255 octets at most (RFC 1035 2.3.4), with or without brackets and port */
static void test_long_hosts(void **state)
{
	(void)state;
	static const char *const forms[][2] = {
	        {"", ""}, {"", ":65535"}, {"[", "]"}, {"[", "]:65535"}};
	for (size_t n = 250; n <= 260; n++) {
		char *h = name_of(n);
		for (size_t f = 0; f < NELEM(forms); f++) {
			char spec[600], err[1024] = "", text[320];
			struct route_spec rs;
			snprintf(spec, sizeof(spec), "%s%s%s", forms[f][0], h, forms[f][1]);
			int rc = route_parse(spec, &rs, err, sizeof(err));
			EXPECT(rc == (n <= 255 ? 0 : -1), "host of %zu, form %s%s: rc %d (%s)", n,
			       forms[f][0], forms[f][1], rc, err);
			if (rc == 0) {
				EXPECT(strcmp(rs.host, h) == 0, "host of %zu: host not kept", n);
				round_trip(spec, &rs, text, sizeof(text));
			}
		}
		free(h);
	}
	/* a label of 64 octets is not a name */
	char *l64 = rep('x', 64), spec[80], err[512];
	struct route_spec rs;
	snprintf(spec, sizeof(spec), "[%s]", l64);
	EXPECT(route_parse(spec, &rs, err, sizeof(err)) == -1, "label of 64 accepted");
	free(l64);
	/* far too long, both forms: refused, and the message is bounded by errlen */
	char *huge = rep('a', 10000);
	char small[16];
	EXPECT(route_parse(huge, &rs, small, sizeof(small)) == -1, "10000 octets accepted");
	EXPECT(strlen(small) < sizeof(small), "err overflowed");
	huge[0] = '[';
	huge[9998] = ']';
	EXPECT(route_parse(huge, &rs, small, sizeof(small)) == -1, "[10000 octets] accepted");
	free(huge);
	ALL_PASSED();
}

/* route_format truncates to dstlen and always terminates */
static void test_format_bounded(void **state)
{
	(void)state;
	struct route_spec rs;
	char err[256];

	assert_int_equal(route_parse("[mail.example.net]:587", &rs, err, sizeof(err)), 0);
	for (size_t len = 1; len <= 24; len++) {
		char dst[32];
		memset(dst, 'Z', sizeof(dst));
		route_format(&rs, dst, len);
		EXPECT(strlen(dst) == (len - 1 < 22 ? len - 1 : 22) &&
		               strncmp(dst, "[mail.example.net]:587", strlen(dst)) == 0,
		       "dstlen %zu: %s", len, show(dst, sizeof(dst)));
		EXPECT(dst[len] == 'Z', "dstlen %zu: wrote past dstlen", len);
	}
	ALL_PASSED();
}

struct tls_row {
	const char *in;
	int rc;
	enum tls_policy p;
};

static const struct tls_row tls_rows[] = {
        {"none", 0, TLS_POLICY_NONE},
        {"may", 0, TLS_POLICY_MAY},
        {"encrypt", 0, TLS_POLICY_ENCRYPT},
        {"verify", 0, TLS_POLICY_VERIFY},
        {"", -1, 0},
        {"maybe", -1, 0},
        {"ma", -1, 0},
        {"may ", -1, 0},
        {" may", -1, 0},
        {"verify\n", -1, 0},
        {"encrypt\r", -1, 0},
        {"dane", -1, 0},
        {"secure", -1, 0},
        {"none,may", -1, 0},
        {"?", -1, 0},
};

static void test_tls_policy(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(tls_rows); i++) {
		const struct tls_row *r = &tls_rows[i];
		enum tls_policy p = TLS_POLICY_VERIFY;
		int rc = tls_policy_parse(r->in, &p);
		EXPECT(rc == r->rc, "row %zu %s: rc %d", i, shows(r->in), rc);
		if (rc == 0)
			EXPECT(p == r->p && strcmp(tls_policy_name(p), r->in) == 0,
			       "row %zu %s: policy %d named %s", i, shows(r->in), p,
			       tls_policy_name(p));
		else
			EXPECT(p == TLS_POLICY_VERIFY, "row %zu %s: out changed on failure", i,
			       shows(r->in));
	}
	/* every policy's name parses back to it */
	for (int k = TLS_POLICY_NONE; k <= TLS_POLICY_VERIFY; k++) {
		enum tls_policy p;
		EXPECT(tls_policy_parse(tls_policy_name((enum tls_policy)k), &p) == 0 &&
		               (int)p == k,
		       "policy %d does not round-trip", k);
	}
	ALL_PASSED();
}

struct pat_row {
	const char *pat;
	bool valid;
};

static const struct pat_row pat_rows[] = {
        {"*", true},
        {"example.com", true},
        {".example.com", true},
        {"EXAMPLE.Com", true},
        {".Example.COM", true},
        {"com", true},
        {".com", true},
        {"xn--bcher-kva.example", true},
        {"", false},
        {".", false},
        {"..", false},
        {"..example.com", false},
        {"example.com.", false},
        {".example.com.", false},
        {"example..com", false},
        {"**", false},
        {"*.example.com", false},
        {".*", false},
        {"*example.com", false},
        {"ex*ple.com", false},
        {" example.com", false},
        {"example.com ", false},
        {"exa mple.com", false},
        {"example.com\n", false},
        {"exa\x01mple.com", false},
        {"-example.com", false},
        {"example-.com", false},
        {"_dmarc.example.com", false},
        {"user@example.com", false},
        {"@example.com", false},
        {"[192.0.2.1]", false},
        {"b\xc3\xbc"
         "cher.example",
         false},
        {"example.com:25", false},
        {"example.com,example.org", false},
};

static void test_pattern_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(pat_rows); i++) {
		bool v = domain_pattern_valid(pat_rows[i].pat);
		EXPECT(v == pat_rows[i].valid, "row %zu %s: %d, expected %d", i,
		       shows(pat_rows[i].pat), v, pat_rows[i].valid);
	}
	/* 255 octets is the longest name, after the leading dot of a suffix too */
	char *d255 = name_of(255), *d256 = name_of(256), dot[300];
	EXPECT(domain_pattern_valid(d255), "255 octets refused");
	EXPECT(!domain_pattern_valid(d256), "256 octets accepted");
	snprintf(dot, sizeof(dot), ".%s", d255);
	EXPECT(domain_pattern_valid(dot), ". + 255 octets refused");
	snprintf(dot, sizeof(dot), ".%s", d256);
	EXPECT(!domain_pattern_valid(dot), ". + 256 octets accepted");
	free(d255);
	free(d256);
	ALL_PASSED();
}

struct match_row {
	const char *pat, *domain;
	bool match;
};

static const struct match_row match_rows[] = {
        {"*", "example.com", true},
        {"*", "a.b.c.example.com", true},
        {"*", "com", true},
        {"example.com", "example.com", true},
        {"example.com", "a.example.com", false}, /* an exact pattern: that domain only */
        {"example.com", "badexample.com", false},
        {"example.com", "example.co", false},
        {"example.com", "example.com.evil.example", false},
        {".example.com", "a.example.com", true},
        {".example.com", "a.b.example.com", true},
        {".example.com", "example.com", false}, /* subdomains only */
        {".example.com", "badexample.com", false},
        {".example.com", "xexample.com", false},
        {".example.com", "a.example.com.evil.example", false},
        {".example.com", "example.org", false},
        {".com", "example.com", true},
        {"a.example.com", "example.com", false},
        {".a.example.com", "example.com", false},
        /* ASCII case does not matter, on either side */
        {"Example.COM", "example.com", true},
        {"example.com", "EXAMPLE.com", true},
        {".EXAMPLE.com", "a.example.COM", true},
        {".example.com", "A.EXAMPLE.COM", true},
        {"EXAMPLE.COM", "a.example.com", false},
};

static void test_pattern_match(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(match_rows); i++) {
		const struct match_row *r = &match_rows[i];
		size_t rank = domain_pattern_rank(r->pat, r->domain);
		EXPECT((rank > 0) == r->match, "row %zu %s vs %s: rank %zu, expected %s", i,
		       shows(r->pat), shows(r->domain), rank, r->match ? "a match" : "none");
	}
	ALL_PASSED();
}

/* for one domain, patterns from the most specific to the least: ranks strictly fall */
struct rank_row {
	const char *domain;
	const char *pats[6]; /* NULL-terminated */
};

static const struct rank_row rank_rows[] = {
        {"a.b.example.com", {"a.b.example.com", ".b.example.com", ".example.com", ".com", "*"}},
        {"mx.example.org", {"MX.Example.Org", ".example.org", ".org", "*"}},
        /* the longest name as a suffix still loses to the shortest exact name */
        {"x.hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh",
         {"x.hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh",
          ".hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh", "*"}},
};

static void test_pattern_rank(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rank_rows); i++) {
		const struct rank_row *r = &rank_rows[i];
		size_t prev = 0;
		for (size_t k = 0; r->pats[k]; k++) {
			size_t rank = domain_pattern_rank(r->pats[k], r->domain);
			EXPECT(rank > 0, "row %zu: %s does not match %s", i, shows(r->pats[k]),
			       shows(r->domain));
			EXPECT(k == 0 || rank < prev, "row %zu: %s (rank %zu) not below %s (%zu)",
			       i, shows(r->pats[k]), rank, shows(r->pats[k - 1]), prev);
			prev = rank;
		}
	}
	/* an exact match of a 1-octet name beats a suffix of 254 octets */
	char *d = name_of(255), suffix[300], exact[] = "q";
	d[0] = 'q';
	d[1] = '.';
	snprintf(suffix, sizeof(suffix), "%s", d + 1);
	size_t rs = domain_pattern_rank(suffix, d), re = domain_pattern_rank(exact, exact);
	EXPECT(rs > 0 && re > rs, "suffix of %zu ranks %zu, exact \"q\" ranks %zu", strlen(suffix),
	       rs, re);
	free(d);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_route_rows),    cmocka_unit_test(test_keyword_lookalikes),
	        cmocka_unit_test(test_long_hosts),    cmocka_unit_test(test_format_bounded),
	        cmocka_unit_test(test_tls_policy),    cmocka_unit_test(test_pattern_valid),
	        cmocka_unit_test(test_pattern_match), cmocka_unit_test(test_pattern_rank),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
