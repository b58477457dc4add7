/*
 * identity_test.c - a source's identity rules: the envelope sender at MAIL
 * FROM and the (sender, From:) pair after the data, with allow and deny
 * rules, wildcards, the null sender, and the sentence each refusal gives.
 */
#include "identity.h"

#include "sources.h"
#include "unit.h"

struct rule {
	bool deny;
	const char *envelope, *from;
};

/* a source named "app" with the given rules */
static void make(struct source *s, const struct rule *rules, size_t n)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "app");
	s->ids = calloc(n ? n : 1, sizeof(*s->ids));
	assert_non_null(s->ids);
	for (size_t i = 0; i < n; i++) {
		s->ids[i].deny = rules[i].deny;
		snprintf(s->ids[i].envelope, sizeof(s->ids[i].envelope), "%s", rules[i].envelope);
		snprintf(s->ids[i].header_from, sizeof(s->ids[i].header_from), "%s", rules[i].from);
	}
	s->nids = n;
}

struct row {
	const char *what;
	struct rule rules[4];      /* up to the first with a NULL envelope */
	const char *sender, *from; /* from NULL: the envelope check only */
	bool ok;
	const char *why; /* a part of the refusal */
};

#define A(e, f)                                                                                    \
	{                                                                                          \
		false, e, f                                                                        \
	}
#define D(e, f)                                                                                    \
	{                                                                                          \
		true, e, f                                                                         \
	}

static const struct row rows[] = {
        {"no rules: nobody", {{0}}, "a@example.com", NULL, false, "not an approved identity"},
        {"no rules: not <> either", {{0}}, "", NULL, false, "sender <> is not"},
        {"exact",
         {A("noreply@example.com", "noreply@example.com")},
         "noreply@example.com",
         "noreply@example.com",
         true,
         NULL},
        {"exact, other case",
         {A("noreply@example.com", "noreply@example.com")},
         "NoReply@Example.COM",
         "NOREPLY@EXAMPLE.COM",
         true,
         NULL},
        {"a domain",
         {A("*@billing.example.com", "*@billing.example.com")},
         "x@billing.example.com",
         "y@billing.example.com",
         true,
         NULL},
        {"a domain is not its parent",
         {A("*@billing.example.com", "*@billing.example.com")},
         "x@example.com",
         NULL,
         false,
         "sender x@example.com is not an approved identity"},
        {"nor a look-alike",
         {A("*@example.com", "*@example.com")},
         "x@example.com.evil",
         NULL,
         false,
         "not an approved"},
        {"subdomains",
         {A("*@*.example.com", "*@*.example.com")},
         "x@a.b.example.com",
         "y@b.example.com",
         true,
         NULL},
        {"subdomains are not the domain",
         {A("*@*.example.com", "*@*.example.com")},
         "x@example.com",
         NULL,
         false,
         "not an approved"},
        {"the From: pattern is the rule's own",
         {A("*@example.com", "noreply@example.com")},
         "bounce@example.com",
         "ceo@example.com",
         false,
         "From: ceo@example.com is not an approved identity of source app with sender "
         "bounce@example.com"},
        {"each pair on its own: an envelope of one rule, a From: of another",
         {A("a@one.example", "a@one.example"), A("b@two.example", "b@two.example")},
         "a@one.example",
         "b@two.example",
         false,
         "is not an approved identity"},
        {"the second rule matches",
         {A("a@one.example", "a@one.example"), A("b@two.example", "b@two.example")},
         "b@two.example",
         "b@two.example",
         true,
         NULL},
        {"a deny rule wins over an allow, envelope",
         {A("*@example.com", "*@example.com"), D("ceo@example.com", "ceo@example.com")},
         "ceo@example.com",
         NULL,
         false,
         "sender ceo@example.com is denied to source app"},
        {"a deny rule wins over an allow, From:",
         {A("*@example.com", "*@example.com"), D("nobody@nowhere.example", "ceo@example.com")},
         "billing@example.com",
         "ceo@example.com",
         false,
         "From: ceo@example.com is denied to source app (rule ceo@example.com)"},
        {"a deny rule before the allow still wins",
         {D("ceo@example.com", "ceo@example.com"), A("*@example.com", "*@example.com")},
         "billing@example.com",
         "ceo@example.com",
         false,
         "is denied"},
        {"others still allowed beside a deny",
         {A("*@example.com", "*@example.com"), D("ceo@example.com", "ceo@example.com")},
         "billing@example.com",
         "billing@example.com",
         true,
         NULL},
        {"the null sender, when allowed",
         {A("<>", "*@example.com")},
         "",
         "x@example.com",
         true,
         NULL},
        {"the null sender is not *@...",
         {A("*@example.com", "*@example.com")},
         "",
         NULL,
         false,
         "sender <> is not an approved identity"},
};

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];
		struct source s;
		size_t n = 0;
		char why[512] = "";

		while (n < NELEM(r->rules) && r->rules[n].envelope)
			n++;
		make(&s, r->rules, n);
		bool ok = identity_envelope_ok(&s, r->sender, why, sizeof(why));
		if (ok && r->from)
			ok = identity_from_ok(&s, r->sender, r->from, why, sizeof(why));
		EXPECT(ok == r->ok, "%s: %s (%s)", r->what, ok ? "allowed" : "refused", why);
		if (!ok && r->why)
			EXPECT(strstr(why, r->why) != NULL, "%s: \"%s\" lacks \"%s\"", r->what, why,
			       r->why);
		free(s.ids);
	}
	ALL_PASSED();
}

/* a refusal always fits the buffer it is given, however long the addresses */
static void test_why_bounded(void **state)
{
	struct source s;
	struct rule r = A("*@example.com", "*@example.com");
	char sender[300], why[64];

	(void)state;
	make(&s, &r, 1);
	memset(sender, 'a', sizeof(sender) - 1);
	sender[sizeof(sender) - 1] = '\0';
	memset(why, 'x', sizeof(why));
	assert_false(identity_envelope_ok(&s, sender, why, sizeof(why)));
	assert_non_null(memchr(why, '\0', sizeof(why)));
	assert_false(identity_from_ok(&s, "a@example.com", sender, why, sizeof(why)));
	assert_non_null(memchr(why, '\0', sizeof(why)));
	free(s.ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),
	        cmocka_unit_test(test_why_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
