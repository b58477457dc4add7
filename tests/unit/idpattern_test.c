/*
 * idpattern_test.c - idpat_normalize (canonical forms and every refusal,
 * with its reason), idpat_match (exact, case, globs, subdomain wildcards,
 * the null sender) and idpat_domain.
 */
#include "idpattern.h"

#include <stdlib.h>

#include "unit.h"

struct norm_row {
	const char *in;
	const char *out; /* NULL: refused with why */
	const char *why;
};

#define N_OK(in, out)                                                                              \
	{                                                                                          \
		in, out, NULL                                                                      \
	}
#define N_NO(in, why)                                                                              \
	{                                                                                          \
		in, NULL, why                                                                      \
	}

#define STAR_DOM "'*' in the domain other than a leading \"*.\""
#define ONE_LBL  "domain of a single label (it would approve a whole top-level domain)"
#define WS_LOCAL "white space or control character in the local part"

static const struct norm_row norm_rows[] = {
        /* the forms, and their canonical text */
        N_OK("<>", "<>"),
        N_OK("example.com", "*@example.com"),
        N_OK("Example.COM", "*@example.com"),
        N_OK("*@example.com", "*@example.com"),
        N_OK("*@EXAMPLE.com", "*@example.com"),
        N_OK("noreply@example.com", "noreply@example.com"),
        N_OK("NoReply@Example.Com", "noreply@example.com"),
        N_OK("bounce-*@example.com", "bounce-*@example.com"),
        N_OK("*-bounce-*@example.com", "*-bounce-*@example.com"),
        N_OK("**@example.com", "**@example.com"),
        N_OK("*@*.example.com", "*@*.example.com"),
        N_OK("*.Example.com", "*@*.example.com"), /* domain-only subdomain form */
        N_OK("noreply@*.example.com", "noreply@*.example.com"),
        N_OK("a.b+c@mail.example.co.uk", "a.b+c@mail.example.co.uk"),
        N_OK("x@xn--bcher-kva.example", "x@xn--bcher-kva.example"),
        N_OK("J\xc3\xb6rg@B\xc3\xbc\x63her.example", "j\xc3\xb6rg@b\xc3\xbc\x63her.example"),

        /* refusals: patterns that would approve the world, or mean nothing */
        N_NO("", "empty pattern"),
        N_NO("*@*", STAR_DOM),
        N_NO("*", STAR_DOM),
        N_NO("*@*.com", ONE_LBL),
        N_NO("*.com", ONE_LBL),
        N_NO("*@com", ONE_LBL),
        N_NO("com", ONE_LBL),
        N_NO("*@exa*mple.com", STAR_DOM),
        N_NO("*@example.*", STAR_DOM),
        N_NO("*@*example.com", STAR_DOM),
        N_NO("*@*.*.example.com", STAR_DOM),
        N_NO("*@a.*.example.com", STAR_DOM),
        N_NO("*@*.", STAR_DOM),
        N_NO("@example.com", "empty local part"),
        N_NO("user@", "empty domain"),
        N_NO("@", "empty local part"),
        N_NO("a@b@example.com", "more than one '@'"),
        N_NO("a b@example.com", WS_LOCAL),
        N_NO(" a@example.com", WS_LOCAL),
        N_NO("a\t@example.com", WS_LOCAL),
        N_NO("a\r\n@example.com", WS_LOCAL),
        N_NO("a\x7f@example.com", WS_LOCAL),
        N_NO("<a>@example.com", "angle bracket in the local part"),
        N_NO("<a@example.com>", "angle bracket in the local part"),
        N_NO("<", "invalid domain"),
        N_NO("< >", "invalid domain"),
        N_NO("<>@example.com", "angle bracket in the local part"),
        N_NO("a@example.com ", "invalid domain"),
        N_NO("a@exa mple.com", "invalid domain"),
        N_NO("a@example..com", "invalid domain"),
        N_NO("a@example.com.", "invalid domain"),
        N_NO("a@-example.com", "invalid domain"),
        N_NO("a@[192.0.2.1]", "invalid domain"),
        N_NO("example.com ", "invalid domain"),
        N_NO("\xff@example.com", "invalid UTF-8 in the local part"),
        N_NO("a@\xc3.example", "invalid domain"),
};

static char *rep(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_normalize_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(norm_rows); i++) {
		const struct norm_row *r = &norm_rows[i];
		char out[IDPAT_MAX + 1] = "unset", why[128] = "unset";
		int rc = idpat_normalize(r->in, out, sizeof(out), why, sizeof(why));
		if (r->out) {
			EXPECT(rc == 0 && strcmp(out, r->out) == 0, "row %zu %s: rc %d out %s (%s)",
			       i, shows(r->in), rc, shows(out), why);
			/* the canonical form is a fixed point */
			char again[IDPAT_MAX + 1];
			EXPECT(rc == 0 &&
			               idpat_normalize(out, again, sizeof(again), why,
			                               sizeof(why)) == 0 &&
			               strcmp(again, out) == 0,
			       "row %zu: %s not a fixed point", i, shows(out));
		} else {
			EXPECT(rc == -1 && strcmp(why, r->why) == 0,
			       "row %zu %s: rc %d why \"%s\", expected \"%s\"", i, shows(r->in), rc,
			       why, r->why);
		}
	}
	ALL_PASSED();
}

/* lengths: the pattern 320, the local part 64, the domain 255 (labels 63) */
static void test_normalize_limits(void **state)
{
	char out[IDPAT_MAX + 1], why[128];
	char *l64 = rep('l', 64), *l65 = rep('l', 65), *lab = rep('d', 63);
	char p[1200];

	(void)state;
	snprintf(p, sizeof(p), "%s@example.com", l64);
	EXPECT(idpat_normalize(p, out, sizeof(out), why, sizeof(why)) == 0, "local 64: %s", why);
	snprintf(p, sizeof(p), "%s@example.com", l65);
	EXPECT(idpat_normalize(p, out, sizeof(out), why, sizeof(why)) == -1 &&
	               strcmp(why, "local part over 64 octets") == 0,
	       "local 65: %s", why);
	/* a domain of 255 = 63.63.63.63; with a 64-octet local part: 320 in all */
	snprintf(p, sizeof(p), "%s@%s.%s.%s.%s", l64, lab, lab, lab, lab);
	EXPECT(strlen(p) == IDPAT_MAX, "test setup: %zu", strlen(p));
	EXPECT(idpat_normalize(p, out, sizeof(out), why, sizeof(why)) == 0 && strcmp(out, p) == 0,
	       "320 octets: %s", why);
	/* the output buffer must hold it */
	EXPECT(idpat_normalize(p, out, IDPAT_MAX, why, sizeof(why)) == -1 &&
	               strcmp(why, "no room for the pattern") == 0,
	       "short out: %s", why);
	EXPECT(idpat_normalize("<>", out, 2, why, sizeof(why)) == -1, "short out for <>");
	EXPECT(idpat_normalize("example.com", out, 14, why, sizeof(why)) == 0 &&
	               idpat_normalize("example.com", out, 13, why, sizeof(why)) == -1,
	       "out of exactly strlen(\"*@example.com\") + 1");
	snprintf(p, sizeof(p), "%s@%s.%s.%s.%sx", l64, lab, lab, lab, lab);
	EXPECT(idpat_normalize(p, out, sizeof(out), why, sizeof(why)) == -1 &&
	               strcmp(why, "pattern over 320 octets") == 0,
	       "321 octets: %s", why);
	snprintf(p, sizeof(p), "a@%s.%s.%s.%s", lab, lab, lab, lab);
	EXPECT(idpat_normalize(p + 2, out, sizeof(out), why, sizeof(why)) == 0 &&
	               strlen(out) == 257,
	       "domain-only of 255: %s", why);
	snprintf(p, sizeof(p), "a@%s.%s.%s.%sd", lab, lab, lab, lab);
	EXPECT(idpat_normalize(p, out, sizeof(out), why, sizeof(why)) == -1 &&
	               strcmp(why, "invalid domain") == 0,
	       "domain of 256: %s", why);
	snprintf(p, sizeof(p), "a@%sd.example", lab);
	EXPECT(idpat_normalize(p, out, sizeof(out), why, sizeof(why)) == -1 &&
	               strcmp(why, "invalid domain") == 0,
	       "label of 64: %s", why);
	char *big = rep('x', 5000);
	EXPECT(idpat_normalize(big, out, sizeof(out), why, sizeof(why)) == -1 &&
	               strcmp(why, "pattern over 320 octets") == 0,
	       "5000 octets: %s", why);
	free(big);
	free(l64);
	free(l65);
	free(lab);
	ALL_PASSED();
}

struct match_row {
	const char *pat;
	const char *addr;
	bool match;
};

static const struct match_row match_rows[] = {
        /* exact */
        {"noreply@example.com", "noreply@example.com", true},
        {"noreply@example.com", "noreply@example.org", false},
        {"noreply@example.com", "noreply2@example.com", false},
        {"noreply@example.com", "xnoreply@example.com", false},
        {"noreply@example.com", "noreply@sub.example.com", false},
        {"noreply@example.com", "noreply@example.com.evil", false},
        {"noreply@example.com", "", false},
        /* case, both parts, pattern and address */
        {"noreply@example.com", "NoReply@EXAMPLE.com", true},
        {"NoReply@Example.COM", "noreply@example.com", true},
        {"j\xc3\xb6rg@example.com", "J\xc3\xb6RG@example.com", true},
        {"j\xc3\xb6rg@example.com", "J\xc3\x96RG@example.com", false}, /* non-ASCII: octets */
        /* domain forms */
        {"*@example.com", "anyone@example.com", true},
        {"*@example.com", "anyone@EXAMPLE.COM", true},
        {"example.com", "anyone@example.com", true},
        {"Example.com", "anyone@example.COM", true},
        {"*@example.com", "", false},
        {"example.com", "", false},
        {"*@example.com", "x@sub.example.com", false},
        {"example.com", "x@sub.example.com", false},
        {"*@example.com", "x@badexample.com", false},
        {"*@example.com", "x@example.com.", false},
        {"*@example.com", "x@example.co", false},
        {"*@example.com", "example.com", false},  /* no '@' */
        {"*@example.com", "@example.com", false}, /* no local part */
        /* globs */
        {"bounce-*@example.com", "bounce-123@example.com", true},
        {"bounce-*@example.com", "bounce-@example.com", true}, /* '*' may be empty */
        {"bounce-*@example.com", "BOUNCE-x@example.com", true},
        {"bounce-*@example.com", "bounce@example.com", false},
        {"bounce-*@example.com", "xbounce-1@example.com", false},
        {"bounce-*@example.com", "bounce-1@example.org", false},
        {"*-bounce-*@example.com", "a-bounce-b@example.com", true},
        {"*-bounce-*@example.com", "-bounce-@example.com", true},
        {"*-bounce-*@example.com", "a-bounce@example.com", false},
        {"a*b*c@example.com", "abc@example.com", true},
        {"a*b*c@example.com", "axxbyybzzc@example.com", true},
        {"a*b*c@example.com", "axxbyyc@example.com", true},
        {"a*b*c@example.com", "axxbyycd@example.com", false},
        {"a*b*c@example.com", "acb@example.com", false},
        {"*a*a*a*a*a*b@example.com", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
         false},
        {"**@example.com", "x@example.com", true},
        {"*x@example.com", "x@example.com", true},
        {"x*@example.com", "x@example.com", true},
        /* quoted local parts, as SMTP keeps them: split at the last '@' */
        {"*@example.com", "\"a@b\"@example.com", true},
        {"a@example.com", "\"a@b\"@example.com", false},
        {"*@b.example", "\"a@b.example\"@example.com", false},
        /* subdomains */
        {"*@*.example.com", "x@a.example.com", true},
        {"*@*.example.com", "x@a.b.example.com", true},
        {"*@*.example.com", "x@A.Example.COM", true},
        {"*@*.example.com", "x@example.com", false},
        {"*@*.example.com", "x@badexample.com", false},
        {"*@*.example.com", "x@.example.com", false},
        {"*@*.example.com", "x@a..example.com", false},
        {"*@*.example.com", "x@a.example.com.evil", false},
        {"*@*.example.com", "x@a.example.org", false},
        {"*@*.example.com", "", false},
        {"*.example.com", "x@a.example.com", true},
        {"*.example.com", "x@example.com", false},
        {"noreply@*.example.com", "noreply@eu.example.com", true},
        {"noreply@*.example.com", "noreply@example.com", false},
        {"noreply@*.example.com", "info@eu.example.com", false},
        /* the null sender: only "<>" matches it, and it matches nothing else */
        {"<>", "", true},
        {"<>", "a@example.com", false},
        {"<>", "<>", false},
        {"*@example.com", "<>", false},
};

static void test_match_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(match_rows); i++) {
		const struct match_row *r = &match_rows[i];
		bool m = idpat_match(r->pat, r->addr);
		EXPECT(m == r->match, "row %zu %s ~ %s: %d, expected %d", i, shows(r->pat),
		       shows(r->addr), m, r->match);
		/* the canonical form matches the same */
		char out[IDPAT_MAX + 1], why[128];
		EXPECT(idpat_normalize(r->pat, out, sizeof(out), why, sizeof(why)) == 0,
		       "row %zu %s: pattern refused (%s)", i, shows(r->pat), why);
		EXPECT(idpat_match(out, r->addr) == r->match, "row %zu: normalized %s differs", i,
		       shows(out));
	}
	ALL_PASSED();
}

static void test_domain(void **state)
{
	static const struct {
		const char *pat, *dom;
	} rows[] = {
	        {"*@example.com", "example.com"},     {"noreply@example.com", "example.com"},
	        {"*@*.example.com", "*.example.com"}, {"bounce-*@*.example.com", "*.example.com"},
	        {"example.com", "example.com"},       {"<>", ""},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		const char *d = idpat_domain(rows[i].pat);
		EXPECT(strcmp(d, rows[i].dom) == 0, "%s: %s", rows[i].pat, shows(d));
	}
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_normalize_rows),
	        cmocka_unit_test(test_normalize_limits),
	        cmocka_unit_test(test_match_rows),
	        cmocka_unit_test(test_domain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
