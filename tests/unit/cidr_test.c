/*
 * cidr_test.c - network prefixes: strict parsing (no host bits, no junk),
 * canonical formatting, matching IPv4, IPv6 and IPv4-mapped peers, and the
 * text forms of socket addresses.
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "unit.h"

struct parse_row {
	const char *s;
	int rc;
	int family;
	unsigned prefix;
	const char *canon; /* cidr_format */
};

#define P4(s, pfx, c)                                                                              \
	{                                                                                          \
		s, 0, AF_INET, pfx, c                                                              \
	}
#define P6(s, pfx, c)                                                                              \
	{                                                                                          \
		s, 0, AF_INET6, pfx, c                                                             \
	}
#define BAD(s)                                                                                     \
	{                                                                                          \
		s, -1, 0, 0, NULL                                                                  \
	}

static const struct parse_row parse_rows[] = {
        P4("192.0.2.0/24", 24, "192.0.2.0/24"),
        P4("192.0.2.1", 32, "192.0.2.1/32"),
        P4("192.0.2.1/32", 32, "192.0.2.1/32"),
        P4("10.0.0.0/8", 8, "10.0.0.0/8"),
        P4("0.0.0.0/0", 0, "0.0.0.0/0"),
        P4("192.0.2.128/25", 25, "192.0.2.128/25"),
        P4("192.0.2.192/26", 26, "192.0.2.192/26"),
        P4("172.16.0.0/12", 12, "172.16.0.0/12"),
        P4("255.255.255.255/32", 32, "255.255.255.255/32"),
        P6("2001:db8::/32", 32, "2001:db8::/32"),
        P6("2001:DB8::/32", 32, "2001:db8::/32"),
        P6("2001:0db8:0000::/48", 48, "2001:db8::/48"),
        P6("::1", 128, "::1/128"),
        P6("::/0", 0, "::/0"),
        P6("fe80::/10", 10, "fe80::/10"),
        P6("::ffff:192.0.2.0/120", 120, "::ffff:192.0.2.0/120"),
        P6("2001:db8::1/128", 128, "2001:db8::1/128"),
        /* host bits beyond the prefix */
        BAD("10.1.2.3/8"),
        BAD("192.0.2.1/24"),
        BAD("192.0.2.64/25"),
        BAD("192.0.2.193/26"),
        BAD("0.0.0.1/0"),
        BAD("2001:db8::1/32"),
        BAD("fe80::1/10"),
        BAD("::1/0"),
        /* prefix length */
        BAD("192.0.2.0/33"),
        BAD("::/129"),
        BAD("192.0.2.0/"),
        BAD("192.0.2.0/-1"),
        BAD("192.0.2.0/+24"),
        BAD("192.0.2.0/0x18"),
        BAD("192.0.2.0/24 "),
        BAD("192.0.2.0/2 4"),
        BAD("192.0.2.0/24/24"),
        BAD("192.0.2.0/99999999999999999999999"),
        BAD("192.0.2.0/a"),
        /* the address */
        BAD(""),
        BAD("/24"),
        BAD(" 192.0.2.0/24"),
        BAD("192.0.2.0 /24"),
        BAD("192.0.2/24"),
        BAD("192.0.2.0.0/24"),
        BAD("192.0.2.256"),
        BAD("192.0.2.-1"),
        BAD("example.com"),
        BAD("example.com/24"),
        BAD("localhost"),
        BAD("2001:db8:::/32"),
        BAD("2001:db8::g/32"),
        BAD("[2001:db8::]/32"),
        BAD("fe80::1%eth0"),
        BAD("192.0.2.0\n/24"),
        BAD("0123456789012345678901234567890123456789012345678901234567890123/8"),
};

static void test_parse_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(parse_rows); i++) {
		const struct parse_row *r = &parse_rows[i];
		struct cidr c;
		int rc = cidr_parse(r->s, &c);
		EXPECT(rc == r->rc, "row %zu %s: rc %d, expected %d", i, shows(r->s), rc, r->rc);
		if (rc != 0 || r->rc != 0)
			continue;
		char text[64];
		cidr_format(&c, text, sizeof(text));
		EXPECT(c.family == r->family && c.prefix == r->prefix &&
		               strcmp(text, r->canon) == 0,
		       "row %zu %s: family %d prefix %u text %s", i, shows(r->s), c.family,
		       c.prefix, shows(text));
		/* the canonical form parses back to the same network */
		struct cidr c2;
		EXPECT(cidr_parse(text, &c2) == 0 && c2.family == c.family &&
		               c2.prefix == c.prefix && memcmp(c2.addr, c.addr, 16) == 0,
		       "row %zu: %s does not parse back", i, shows(text));
	}
	ALL_PASSED();
}

/* a peer address as a sockaddr_storage */
static const struct sockaddr *peer(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(s, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, s, &in6->sin6_addr), 1);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, s, &in->sin_addr), 1);
	}
	return (const struct sockaddr *)ss;
}

struct match_row {
	const char *net, *addr;
	bool match;
};

static const struct match_row match_rows[] = {
        {"192.0.2.0/24", "192.0.2.7", true},
        {"192.0.2.0/24", "192.0.2.0", true},
        {"192.0.2.0/24", "192.0.2.255", true},
        {"192.0.2.0/24", "192.0.3.1", false},
        {"192.0.2.0/24", "192.0.1.255", false},
        {"192.0.2.0/24", "::ffff:192.0.2.7", true}, /* IPv4-mapped */
        {"192.0.2.0/24", "::ffff:192.0.3.7", false},
        {"192.0.2.0/24", "::192.0.2.7", false}, /* IPv4-compatible is not mapped */
        {"192.0.2.0/24", "2001:db8::1", false},
        {"192.0.2.128/25", "192.0.2.127", false},
        {"192.0.2.128/25", "192.0.2.128", true},
        {"192.0.2.128/25", "192.0.2.255", true},
        {"10.0.0.1", "10.0.0.1", true},
        {"10.0.0.1", "10.0.0.2", false},
        {"0.0.0.0/0", "203.0.113.9", true},
        {"0.0.0.0/0", "::ffff:203.0.113.9", true},
        {"0.0.0.0/0", "2001:db8::1", false},
        {"2001:db8::/32", "2001:db8:1::1", true},
        {"2001:db8::/32", "2001:db9::", false},
        {"2001:db8::/32", "192.0.2.1", false},
        {"::/0", "2001:db8::1", true},
        {"::/0", "::ffff:192.0.2.1", true},
        {"::/0", "192.0.2.1", false}, /* an IPv6 network never matches an IPv4 peer */
        {"::1", "::1", true},
        {"::1", "::2", false},
        {"fe80::/10", "febf::1", true},
        {"fe80::/10", "fec0::1", false},
        {"::ffff:192.0.2.0/120", "::ffff:192.0.2.9", true},
        {"::ffff:192.0.2.0/120", "192.0.2.9", false},
};

static void test_match_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(match_rows); i++) {
		const struct match_row *r = &match_rows[i];
		struct cidr c;
		struct sockaddr_storage ss;
		assert_int_equal(cidr_parse(r->net, &c), 0);
		bool m = cidr_match(&c, peer(r->addr, &ss));
		EXPECT(m == r->match, "row %zu %s vs %s: %d", i, r->net, r->addr, m);
	}
	/* a Unix-domain peer matches nothing */
	struct sockaddr_un un;
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	struct cidr all;
	assert_int_equal(cidr_parse("0.0.0.0/0", &all), 0);
	EXPECT(!cidr_match(&all, (const struct sockaddr *)&un), "AF_UNIX matched 0.0.0.0/0");
	assert_int_equal(cidr_parse("::/0", &all), 0);
	EXPECT(!cidr_match(&all, (const struct sockaddr *)&un), "AF_UNIX matched ::/0");
	ALL_PASSED();
}

struct text_row {
	const char *addr, *ntop, *key;
};

static const struct text_row text_rows[] = {
        {"192.0.2.7", "192.0.2.7", "192.0.2.7"},
        {"::ffff:192.0.2.7", "::ffff:192.0.2.7", "192.0.2.7"}, /* folded for the key */
        {"2001:db8::1", "2001:db8::1", "2001:db8::1"},
        {"::1", "::1", "::1"},
};

static void test_sockaddr_text(void **state)
{
	char ntop[64], key[64];

	(void)state;
	for (size_t i = 0; i < NELEM(text_rows); i++) {
		struct sockaddr_storage ss;
		const struct sockaddr *sa = peer(text_rows[i].addr, &ss);
		sockaddr_ntop(sa, ntop, sizeof(ntop));
		sockaddr_key(sa, key, sizeof(key));
		EXPECT(strcmp(ntop, text_rows[i].ntop) == 0 && strcmp(key, text_rows[i].key) == 0,
		       "row %zu %s: ntop %s key %s", i, text_rows[i].addr, ntop, key);
	}
	struct sockaddr_un un;
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	sockaddr_ntop((const struct sockaddr *)&un, ntop, sizeof(ntop));
	EXPECT(strcmp(ntop, "unix") == 0, "AF_UNIX: %s", ntop);
	struct sockaddr other;
	memset(&other, 0, sizeof(other));
	other.sa_family = AF_UNSPEC;
	sockaddr_ntop(&other, ntop, sizeof(ntop));
	EXPECT(strcmp(ntop, "unknown") == 0, "AF_UNSPEC: %s", ntop);
	ALL_PASSED();
}

struct ap_row {
	const char *s;
	int rc;
	int family;
	const char *host; /* rc == 0: the address as text */
	unsigned port;
};

static const struct ap_row ap_rows[] = {
        {"192.0.2.1:587", 0, AF_INET, "192.0.2.1", 587},
        {"0.0.0.0:465", 0, AF_INET, "0.0.0.0", 465},
        {"127.0.0.1:1", 0, AF_INET, "127.0.0.1", 1},
        {"127.0.0.1:65535", 0, AF_INET, "127.0.0.1", 65535},
        {"[::]:587", 0, AF_INET6, "::", 587},
        {"[::1]:25", 0, AF_INET6, "::1", 25},
        {"[2001:db8::1]:2525", 0, AF_INET6, "2001:db8::1", 2525},
        {"[::ffff:192.0.2.1]:587", 0, AF_INET6, "::ffff:192.0.2.1", 587},
        {"127.0.0.1:0", -1, 0, NULL, 0},
        {"127.0.0.1:65536", -1, 0, NULL, 0},
        {"127.0.0.1:99999999999999999999999", -1, 0, NULL, 0},
        {"127.0.0.1:", -1, 0, NULL, 0},
        {"127.0.0.1:-1", -1, 0, NULL, 0},
        {"127.0.0.1:+25", -1, 0, NULL, 0},
        {"127.0.0.1: 25", -1, 0, NULL, 0},
        {"127.0.0.1:25 ", -1, 0, NULL, 0},
        {"127.0.0.1:smtp", -1, 0, NULL, 0},
        {"127.0.0.1", -1, 0, NULL, 0},
        {"localhost:587", -1, 0, NULL, 0},
        {"mx.example.com:25", -1, 0, NULL, 0},
        {"999.0.0.1:25", -1, 0, NULL, 0},
        {"1.2.3.4:5:6", -1, 0, NULL, 0},
        {":587", -1, 0, NULL, 0},
        {"", -1, 0, NULL, 0},
        {"::1:587", -1, 0, NULL, 0},         /* IPv6 needs brackets */
        {"[127.0.0.1]:587", -1, 0, NULL, 0}, /* ... and IPv4 must not have them */
        {"[::1]587", -1, 0, NULL, 0},
        {"[::1]", -1, 0, NULL, 0},
        {"[::1:587", -1, 0, NULL, 0},
        {"::1]:587", -1, 0, NULL, 0},
        {"[]:587", -1, 0, NULL, 0},
        {"[::1]:587x", -1, 0, NULL, 0},
        {"[::1]:", -1, 0, NULL, 0},
        {"[fe80::1%eth0]:587", -1, 0, NULL, 0},
        {"[0123456789012345678901234567890123456789012345678901234567]:1", -1, 0, NULL, 0},
        {"01234567890123456789012345678901234567890123456789012345678:1", -1, 0, NULL, 0},
};

static void test_addrport_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(ap_rows); i++) {
		const struct ap_row *r = &ap_rows[i];
		struct sockaddr_storage ss;
		socklen_t len = 0;
		int rc = addrport_parse(r->s, &ss, &len);
		EXPECT(rc == r->rc, "row %zu %s: rc %d, expected %d", i, shows(r->s), rc, r->rc);
		if (rc != 0 || r->rc != 0)
			continue;
		char host[64];
		unsigned port;
		sockaddr_ntop((const struct sockaddr *)&ss, host, sizeof(host));
		if (ss.ss_family == AF_INET)
			port = ntohs(((const struct sockaddr_in *)&ss)->sin_port);
		else
			port = ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
		socklen_t want = r->family == AF_INET ? sizeof(struct sockaddr_in)
		                                      : sizeof(struct sockaddr_in6);
		EXPECT(ss.ss_family == r->family && strcmp(host, r->host) == 0 && port == r->port &&
		               len == want,
		       "row %zu %s: family %d host %s port %u len %u", i, shows(r->s), ss.ss_family,
		       host, port, (unsigned)len);
	}
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_rows),
	        cmocka_unit_test(test_match_rows),
	        cmocka_unit_test(test_sockaddr_text),
	        cmocka_unit_test(test_addrport_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
