/*
 * domain_check_test.c - does a published SPF record authorize the relay's
 * sending addresses? CIDR containment for ip4:/ip6:, literal a:/mx: terms,
 * qualifiers, case, and records that are not SPF at all.
 */
#include "domain_check.h"

#include "unit.h"

struct row {
	const char *published, *expected;
	int rc;
	const char *why; /* for -1: a part of the reason */
};

static const struct row rows[] = {
        {"v=spf1 ip4:192.0.2.10 -all", "v=spf1 ip4:192.0.2.10 -all", 0, NULL},
        /* a wider network covers an address; other terms around it do not matter */
        {"v=spf1 include:_spf.google.com ip4:192.0.2.0/24 ~all", "v=spf1 ip4:192.0.2.10 -all", 0,
         NULL},
        {"v=spf1 ip4:192.0.2.0/25 -all", "v=spf1 ip4:192.0.2.10 ip4:192.0.2.200 -all", -1,
         "does not list ip4:192.0.2.200"},
        {"v=spf1 ip4:192.0.2.10/32 -all", "v=spf1 ip4:192.0.2.0/24 -all", -1,
         "does not list ip4:192.0.2.0/24"},
        {"V=SPF1 IP4:192.0.2.10 -ALL", "v=spf1 ip4:192.0.2.10 -all", 0, NULL},
        {"v=spf1 +ip4:192.0.2.10 -all", "v=spf1 ip4:192.0.2.10 -all", 0, NULL},
        /* a mechanism that does not pass is no authorization */
        {"v=spf1 -ip4:192.0.2.10 ~all", "v=spf1 ip4:192.0.2.10 -all", -1, "does not list"},
        {"v=spf1 ~ip4:192.0.2.10 ?all", "v=spf1 ip4:192.0.2.10 -all", -1, "does not list"},
        {"v=spf1 ip6:2001:db8::/32 -all", "v=spf1 ip6:2001:db8:1::25 -all", 0, NULL},
        {"v=spf1 ip6:2001:db8:2::/48 -all", "v=spf1 ip6:2001:db8:1::25 -all", -1,
         "does not list ip6:2001:db8:1::25"},
        /* an IPv4 network never covers an IPv6 address, nor the reverse */
        {"v=spf1 ip4:0.0.0.0/0 -all", "v=spf1 ip6:2001:db8::1 -all", -1, "does not list"},
        {"v=spf1 a:relay.example.com -all", "v=spf1 a:relay.example.com -all", 0, NULL},
        {"v=spf1 a:RELAY.example.com -all", "v=spf1 a:relay.example.com -all", 0, NULL},
        {"v=spf1 a:other.example.com -all", "v=spf1 a:relay.example.com -all", -1,
         "does not list a:relay.example.com"},
        /* include: and redirect= are not followed, and the reason says so */
        {"v=spf1 include:_spf.example.net -all", "v=spf1 ip4:192.0.2.10 -all", -1,
         "are not followed"},
        {"v=spf1 redirect=_spf.example.com", "v=spf1 ip4:192.0.2.10 -all", -1, "are not followed"},
        /* the expected record's own "all" is the owner's choice, not a requirement */
        {"v=spf1 ip4:192.0.2.10 ~all", "v=spf1 ip4:192.0.2.10 -all", 0, NULL},
        /* not SPF */
        {"v=spf10 ip4:192.0.2.10 -all", "v=spf1 ip4:192.0.2.10 -all", -1, "not an SPF record"},
        {"spf1 ip4:192.0.2.10", "v=spf1 ip4:192.0.2.10 -all", -1, "not an SPF record"},
        {"", "v=spf1 ip4:192.0.2.10 -all", -1, "not an SPF record"},
        {"v=DKIM1; p=AAAA", "v=spf1 ip4:192.0.2.10 -all", -1, "not an SPF record"},
        /* malformed terms authorize nothing and break nothing */
        {"v=spf1 ip4:192.0.2.999 ip4:192.0.2.10/33 ip4:/8 ip6:zz::1 -all",
         "v=spf1 ip4:192.0.2.10 -all", -1, "does not list"},
        {"v=spf1   ip4:192.0.2.10\t-all", "v=spf1 ip4:192.0.2.10 -all", 0, NULL},
        /* nothing to send from yet: anything SPF will do */
        {"v=spf1 -all", "v=spf1 -all", 0, NULL},
};

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];
		char why[300] = "";
		int rc = spf_record_covers(r->published, r->expected, why, sizeof(why));
		EXPECT(rc == r->rc, "\"%s\" for \"%s\": %d (%s)", r->published, r->expected, rc,
		       why);
		if (rc == -1 && r->why)
			EXPECT(strstr(why, r->why) != NULL, "\"%s\": \"%s\" lacks \"%s\"",
			       r->published, why, r->why);
	}
	ALL_PASSED();
}

/* a term longer than any buffer is cut, not overflowed */
static void test_long_terms(void **state)
{
	char published[4096], why[64];

	(void)state;
	snprintf(published, sizeof(published), "v=spf1 a:");
	memset(published + 9, 'x', 3000);
	snprintf(published + 3009, sizeof(published) - 3009, " ip4:192.0.2.10 -all");
	assert_int_equal(
	        spf_record_covers(published, "v=spf1 ip4:192.0.2.10 -all", why, sizeof(why)), 0);
	assert_int_equal(spf_record_covers("v=spf1 -all", published, why, sizeof(why)), -1);
	assert_non_null(memchr(why, '\0', sizeof(why)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),
	        cmocka_unit_test(test_long_terms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
