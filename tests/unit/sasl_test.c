/*
 * sasl_test.c - SASL PLAIN (RFC 4616) and single-field (LOGIN) decoding: the
 * authzid rule, NUL structure, field limits, cancellation, strict base64.
 */
#include "sasl.h"

#include <stdlib.h>

#include "base64.h"
#include "unit.h"

/* rows given as the raw message; the test encodes it in base64 */
struct plain_row {
	const char *raw;
	size_t n;
	int rc;
	const char *user, *pass; /* rc == 0 */
};

#define POK(raw, u, p)                                                                             \
	{                                                                                          \
		RAW(raw), 0, u, p                                                                  \
	}
#define PERR(raw)                                                                                  \
	{                                                                                          \
		RAW(raw), -1, NULL, NULL                                                           \
	}

static const struct plain_row plain_rows[] = {
        POK("\0user\0pass", "user", "pass"),
        POK("user\0user\0pass", "user", "pass"), /* authzid = authcid */
        POK("\0u\0p", "u", "p"),
        POK("\0user@example.com\0correct horse battery staple", "user@example.com",
            "correct horse battery staple"),
        POK("\0us\xc3\xa9r\0p\xc3\xa4ss", "us\xc3\xa9r", "p\xc3\xa4ss"),
        POK("\0user\0pass word ", "user", "pass word "),
        POK("\0user\0*", "user", "*"),
        PERR("other\0user\0pass"), /* acting for another identity */
        PERR("User\0user\0pass"),  /* ... compared exactly */
        PERR("use\0user\0pass"),
        PERR("users\0user\0pass"),
        PERR("admin\0admin2\0pass"),
        PERR("user\0pass"), /* one NUL */
        PERR("\0userpass"),
        PERR("userpass"),       /* no NUL */
        PERR("\0user\0pa\0ss"), /* three NULs */
        PERR("\0user\0pass\0"),
        PERR("\0\0\0"),
        PERR("\0\0\0\0"),
        PERR("\0\0pass"), /* empty user */
        PERR("\0user\0"), /* empty password */
        PERR("user\0\0pass"),
        PERR("\0\0"),
        PERR("\0"),
};

static void check_plain(size_t i, const char *b64, size_t n, int want_rc, enum reply want_why,
                        const char *user, const char *pass)
{
	struct sasl_creds c;
	enum reply why = RPL_MAX;

	memset(&c, 0x5a, sizeof(c));
	int rc = sasl_plain_decode(b64, n, &c, &why);
	EXPECT(rc == want_rc, "row %zu %s: rc %d why %s", i, show(b64, n), rc, rname(why));
	if (rc != want_rc)
		return;
	if (rc < 0) {
		EXPECT(why == want_why, "row %zu %s: why %s, expected %s", i, show(b64, n),
		       rname(why), rname(want_why));
		/* nothing of a refused message is left behind */
		EXPECT(c.user[0] == '\0' && c.pass[0] == '\0', "row %zu: creds not wiped", i);
		return;
	}
	EXPECT(strcmp(c.user, user) == 0 && strcmp(c.pass, pass) == 0,
	       "row %zu %s: user %s pass %s", i, show(b64, n), shows(c.user), shows(c.pass));
}

static void test_plain_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(plain_rows); i++) {
		const struct plain_row *r = &plain_rows[i];
		char b64[1024];
		base64_encode((const unsigned char *)r->raw, r->n, b64, sizeof(b64));
		check_plain(i, b64, strlen(b64), r->rc, RPL_AUTH_SYNTAX, r->user, r->pass);
	}
	ALL_PASSED();
}

/* rows given as the base64 text itself: cancellation and bad encodings */
struct b64_row {
	const char *b64;
	size_t n;
	int rc;
	enum reply why;
};

static const struct b64_row b64_rows[] = {
        {RAW("AHVzZXIAcGFzcw=="), 0, RPL_MAX}, /* "\0user\0pass", the reference */
        {RAW("dXNlcgB1c2VyAHBhc3M="), 0, RPL_MAX},
        {RAW("*"), -1, RPL_AUTH_CANCELLED},
        {RAW("**"), -1, RPL_AUTH_SYNTAX},
        {RAW("* "), -1, RPL_AUTH_SYNTAX},
        {RAW(" *"), -1, RPL_AUTH_SYNTAX},
        {RAW("*AHVzZXIAcGFzcw=="), -1, RPL_AUTH_SYNTAX},
        {RAW(""), -1, RPL_AUTH_SYNTAX},
        {RAW("="), -1, RPL_AUTH_SYNTAX},
        {RAW("===="), -1, RPL_AUTH_SYNTAX},
        {RAW("AHVzZXIAcGFzcw"), -1, RPL_AUTH_SYNTAX},    /* padding missing */
        {RAW("AHVzZXIAcGFzcw="), -1, RPL_AUTH_SYNTAX},   /* padding short, length 15 */
        {RAW("AHVzZXIAcGFzcw==="), -1, RPL_AUTH_SYNTAX}, /* padding long */
        {RAW("AHVzZXIAcGFzcw====="), -1, RPL_AUTH_SYNTAX},
        {RAW("AHVzZXIAcGFzcw==AAAA"), -1, RPL_AUTH_SYNTAX}, /* data after padding */
        {RAW("AH==ZXIAcGFzcw=="), -1, RPL_AUTH_SYNTAX},     /* padding in the middle */
        {RAW("AHVzZXIAcGFzcx=="), -1, RPL_AUTH_SYNTAX},     /* non-zero trailing bits */
        {RAW("AHVzZXIAcGF="), -1, RPL_AUTH_SYNTAX},         /* "...cGE=" with trailing bits */
        {RAW("AHVzZXIA cGFzcw=="), -1, RPL_AUTH_SYNTAX},    /* white space */
        {RAW("AHVzZXIAcGFzcw== "), -1, RPL_AUTH_SYNTAX},
        {RAW(" AHVzZXIAcGFzcw=="), -1, RPL_AUTH_SYNTAX},
        {RAW("AHVzZXIAcGFzcw==\r\n"), -1, RPL_AUTH_SYNTAX},
        {RAW("AHVz\tZXIAcGFzcw=="), -1, RPL_AUTH_SYNTAX},
        {RAW("AHVzZXIA\ncGFz"), -1, RPL_AUTH_SYNTAX},
        {RAW("AHVzZXIA-GFzcw=="), -1, RPL_AUTH_SYNTAX}, /* URL-safe alphabet */
        {RAW("AHVzZXIA_GFzcw=="), -1, RPL_AUTH_SYNTAX},
        {RAW("AHVz!XIAcGFzcw=="), -1, RPL_AUTH_SYNTAX},
        {RAW("AHVz\xc3\xa9XIAcGFzcw=="), -1, RPL_AUTH_SYNTAX},
        {RAW("AHVzZXIA\0GFzcw=="), -1, RPL_AUTH_SYNTAX},
        {RAW("AHVzZXIAcGFzc"), -1, RPL_AUTH_SYNTAX},   /* length 13 */
        {"AHVzZXIAcGFzcw==", 15, -1, RPL_AUTH_SYNTAX}, /* n is honoured, not the NUL */
        {RAW("AAAA"), -1, RPL_AUTH_SYNTAX},            /* three NULs */
        /* regression: libsodium 1.0.18 decodes 0x80-0xff as '/', so these decoded */
        {RAW("AHVzZXIAcGE\xffPw=="), -1, RPL_AUTH_SYNTAX},      /* "AHVzZXIAcGE/Pw==" */
        {RAW("AHVzZXIA\x80\x80\x80\x80"), -1, RPL_AUTH_SYNTAX}, /* "AHVzZXIA////" */
        {RAW("cGFzcz8\xc3"), -1, RPL_AUTH_SYNTAX},              /* "cGFzcz8/" */
};

static void test_b64_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(b64_rows); i++) {
		const struct b64_row *r = &b64_rows[i];
		check_plain(i, r->b64, r->n, r->rc, r->why, "user", "pass");
	}
	ALL_PASSED();
}

/* a buffer of n copies of c */
static char *rep(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* field limits: each of authzid, authcid and password 1..255 octets */
static void test_plain_limits(void **state)
{
	static const struct {
		size_t z, u, p;
		int rc;
	} rows[] = {
	        {0, 255, 255, 0},  {255, 255, 255, 0},     {0, 256, 1, -1}, {0, 1, 256, -1},
	        {256, 256, 1, -1}, {0, 255, 1, 0},         {0, 1, 255, 0},  {0, 1000, 1, -1},
	        {0, 1, 5000, -1},  {3000, 3000, 3000, -1},
	};
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		size_t n = rows[i].z + 1 + rows[i].u + 1 + rows[i].p;
		char *raw = rep('x', n);
		raw[rows[i].z] = '\0';
		raw[rows[i].z + 1 + rows[i].u] = '\0';
		size_t cap = base64_len(n);
		char *b64 = malloc(cap);
		assert_non_null(b64);
		base64_encode((const unsigned char *)raw, n, b64, cap);
		struct sasl_creds c;
		enum reply why = RPL_MAX;
		int rc = sasl_plain_decode(b64, strlen(b64), &c, &why);
		EXPECT(rc == rows[i].rc && (rc == 0 || why == RPL_AUTH_SYNTAX),
		       "authzid %zu authcid %zu passwd %zu: rc %d why %s", rows[i].z, rows[i].u,
		       rows[i].p, rc, rname(why));
		if (rc == 0)
			EXPECT(strlen(c.user) == rows[i].u && strlen(c.pass) == rows[i].p,
			       "row %zu: wrong lengths", i);
		free(raw);
		free(b64);
	}
	ALL_PASSED();
}

struct field_row {
	const char *raw; /* NULL: use b64 as is */
	size_t n;
	const char *b64;
	size_t outcap;
	int rc;
	enum reply why;
	const char *out;
};

static const struct field_row field_rows[] = {
        {RAW("user"), NULL, 256, 0, RPL_MAX, "user"},
        {RAW("user@example.com"), NULL, 256, 0, RPL_MAX, "user@example.com"},
        {RAW("p\xc3\xa4ss word"), NULL, 256, 0, RPL_MAX, "p\xc3\xa4ss word"},
        {RAW("u"), NULL, 2, 0, RPL_MAX, "u"},
        {RAW("user"), NULL, 5, 0, RPL_MAX, "user"},
        {RAW("user"), NULL, 4, -1, RPL_AUTH_SYNTAX, NULL}, /* no room for the NUL */
        {RAW("a\0b"), NULL, 256, -1, RPL_AUTH_SYNTAX, NULL},
        {RAW("\0"), NULL, 256, -1, RPL_AUTH_SYNTAX, NULL},
        {RAW("user\0"), NULL, 256, -1, RPL_AUTH_SYNTAX, NULL},
        {NULL, 0, "*", 256, -1, RPL_AUTH_CANCELLED, NULL},
        {NULL, 0, "", 256, -1, RPL_AUTH_SYNTAX, NULL},
        {NULL, 0, "=", 256, -1, RPL_AUTH_SYNTAX, NULL},
        {NULL, 0, "dXNlcg", 256, -1, RPL_AUTH_SYNTAX, NULL},
        {NULL, 0, "dXNlcg=", 256, -1, RPL_AUTH_SYNTAX, NULL},
        {NULL, 0, "dXNlcg===", 256, -1, RPL_AUTH_SYNTAX, NULL},
        {NULL, 0, "dXNlcg== ", 256, -1, RPL_AUTH_SYNTAX, NULL},
        {NULL, 0, "dXNl cg==", 256, -1, RPL_AUTH_SYNTAX, NULL},
        {NULL, 0, "dXNlch==", 256, -1, RPL_AUTH_SYNTAX, NULL},
        {NULL, 0, "dXN!cg==", 256, -1, RPL_AUTH_SYNTAX, NULL},
        {NULL, 0, "dXNlcg==", 256, 0, RPL_MAX, "user"},
        /* regression: libsodium 1.0.18 decodes 0x80-0xff as '/', so these decoded */
        {NULL, 0, "AHVzZXIAcGE\xffPw==", 256, -1, RPL_AUTH_SYNTAX, NULL},
        {NULL, 0, "AHVzZXIA\x80\x80\x80\x80", 256, -1, RPL_AUTH_SYNTAX, NULL},
        {NULL, 0, "cGFzcz8\xc3", 256, -1, RPL_AUTH_SYNTAX, NULL},
};

static void test_field_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(field_rows); i++) {
		const struct field_row *r = &field_rows[i];
		char b64[1024], out[256];
		if (r->raw)
			base64_encode((const unsigned char *)r->raw, r->n, b64, sizeof(b64));
		else
			snprintf(b64, sizeof(b64), "%s", r->b64);
		enum reply why = RPL_MAX;
		int rc = sasl_field_decode(b64, strlen(b64), out, r->outcap, &why);
		EXPECT(rc == r->rc, "row %zu %s: rc %d why %s", i, shows(b64), rc, rname(why));
		if (rc != r->rc)
			continue;
		if (rc < 0)
			EXPECT(why == r->why, "row %zu %s: why %s, expected %s", i, shows(b64),
			       rname(why), rname(r->why));
		else
			EXPECT(strcmp(out, r->out) == 0, "row %zu: out %s", i, shows(out));
	}
	ALL_PASSED();
}

static void test_field_limits(void **state)
{
	static const struct {
		size_t n;
		int rc;
	} rows[] = {{1, 0},    {254, 0},  {255, 0},  {256, -1},  {257, -1},
	            {258, -1}, {259, -1}, {300, -1}, {10000, -1}};
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		char *raw = rep('f', rows[i].n);
		size_t cap = base64_len(rows[i].n);
		char *b64 = malloc(cap);
		assert_non_null(b64);
		base64_encode((const unsigned char *)raw, rows[i].n, b64, cap);
		char out[SASL_FIELD_MAX + 1];
		enum reply why = RPL_MAX;
		int rc = sasl_field_decode(b64, strlen(b64), out, sizeof(out), &why);
		EXPECT(rc == rows[i].rc &&
		               (rc == 0 ? strlen(out) == rows[i].n : why == RPL_AUTH_SYNTAX),
		       "field of %zu: rc %d why %s", rows[i].n, rc, rname(why));
		free(raw);
		free(b64);
	}
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_plain_rows),   cmocka_unit_test(test_b64_rows),
	        cmocka_unit_test(test_plain_limits), cmocka_unit_test(test_field_rows),
	        cmocka_unit_test(test_field_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
