/*
 * base64_test.c - strict standard base64 (RFC 4648 section 4): the RFC test
 * vectors, refused encodings (padding, white space, other alphabets,
 * non-canonical trailing bits, small output buffers), the URL-safe encoder.
 */
#include "base64.h"

#include <stdlib.h>

#include "unit.h"

struct row {
	const char *b64;
	size_t n;
	int rc;
	const char *raw; /* rc == 0 */
	size_t rawn;
};

#define OK(b, r)                                                                                   \
	{                                                                                          \
		RAW(b), 0, RAW(r)                                                                  \
	}
#define BAD(b)                                                                                     \
	{                                                                                          \
		RAW(b), -1, NULL, 0                                                                \
	}

static const struct row rows[] = {
        /* RFC 4648 section 10 */
        OK("", ""),
        OK("Zg==", "f"),
        OK("Zm8=", "fo"),
        OK("Zm9v", "foo"),
        OK("Zm9vYg==", "foob"),
        OK("Zm9vYmE=", "fooba"),
        OK("Zm9vYmFy", "foobar"),
        OK("AAAA", "\0\0\0"),
        OK("////", "\xff\xff\xff"),
        OK("+/+/", "\xfb\xff\xbf"),
        /* padding */
        BAD("Zg"),
        BAD("Zg="),
        BAD("Zg==="),
        BAD("Zg===="),
        BAD("Zm8"),
        BAD("Zm8=="),
        BAD("Z==="),
        BAD("===="),
        BAD("Z"),
        BAD("="),
        BAD("Zg==Zg=="), /* data after padding */
        BAD("Zg==AAAA"),
        BAD("Z=g="),
        /* non-canonical: bits after the data must be zero */
        BAD("Zh=="),
        BAD("Zm9="),
        BAD("Zm/="),
        /* white space and line breaks */
        BAD("Zm9v\n"),
        BAD("Zm9v\r\n"),
        BAD(" Zm9v"),
        BAD("Zm 9v"),
        BAD("Zm9v YmFy"),
        BAD("Zm9v\tYmFy"),
        BAD("Zm9v\0YmF"),
        /* other alphabets and characters */
        BAD("Zm9-"),
        BAD("Zm9_"),
        BAD("Zm9v!"),
        BAD("Zm9.YmFy"),
        BAD("Zm9\xc3\xa9"), /* refused for its length */
        /* regression: libsodium 1.0.18 decodes 0x80-0xff as '/' (value 63) */
        BAD("Zm9\x80"),
        BAD("Zm9\xff"),
        BAD("\x80\x80\x80\x80"),
        BAD("Zm9v\xc3\xa9\xc3\xa9"),
        BAD("A\xc8VzZXIAcGFzcw=="),
};

static void test_decode_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];
		unsigned char out[64];
		size_t outlen = 999;
		int rc = base64_decode(r->b64, r->n, out, sizeof(out), &outlen);
		EXPECT(rc == r->rc, "row %zu %s: rc %d, expected %d", i, show(r->b64, r->n), rc,
		       r->rc);
		if (rc == 0 && r->rc == 0)
			EXPECT(outlen == r->rawn && memcmp(out, r->raw, r->rawn) == 0,
			       "row %zu %s: decoded %s", i, show(r->b64, r->n),
			       show((const char *)out, outlen));
	}
	ALL_PASSED();
}

static void test_decode_bounds(void **state)
{
	unsigned char out[8];
	size_t outlen;

	(void)state;
	/* exactly the room needed, then one octet short */
	assert_int_equal(base64_decode("Zm9vYmFy", 8, out, 6, &outlen), 0);
	assert_int_equal(outlen, 6);
	assert_int_equal(base64_decode("Zm9vYmFy", 8, out, 5, &outlen), -1);
	assert_int_equal(base64_decode("Zm9vYg==", 8, out, 4, &outlen), 0);
	assert_int_equal(base64_decode("Zm9vYg==", 8, out, 3, &outlen), -1);
	/* n is honoured: the text is not NUL-terminated where n ends */
	assert_int_equal(base64_decode("Zm9vYmFyXXXX", 8, out, sizeof(out), &outlen), 0);
	assert_int_equal(outlen, 6);
	assert_int_equal(base64_decode("Zm9vYmFy", 7, out, sizeof(out), &outlen), -1);
	/* from an exact-size heap block, so ASan sees any over-read */
	char *p = malloc(4);
	assert_non_null(p);
	memcpy(p, "Zm9v", 4);
	assert_int_equal(base64_decode(p, 4, out, sizeof(out), &outlen), 0);
	assert_memory_equal(out, "foo", 3);
	free(p);
}

static void test_encode(void **state)
{
	static const struct {
		const char *raw;
		size_t n;
		const char *b64, *url;
	} enc[] = {
	        {RAW(""), "", ""},
	        {RAW("f"), "Zg==", "Zg"},
	        {RAW("fo"), "Zm8=", "Zm8"},
	        {RAW("foo"), "Zm9v", "Zm9v"},
	        {RAW("foobar"), "Zm9vYmFy", "Zm9vYmFy"},
	        {RAW("\xfb\xff"), "+/8=", "-_8"},
	        {RAW("\xfb\xff\xbf"), "+/+/", "-_-_"},
	        {RAW("\0user\0pass"), "AHVzZXIAcGFzcw==", "AHVzZXIAcGFzcw"},
	};
	(void)state;
	for (size_t i = 0; i < NELEM(enc); i++) {
		char out[64];
		assert_int_equal(base64_len(enc[i].n), strlen(enc[i].b64) + 1);
		base64_encode((const unsigned char *)enc[i].raw, enc[i].n, out, sizeof(out));
		EXPECT(strcmp(out, enc[i].b64) == 0, "row %zu: %s, expected %s", i, out,
		       enc[i].b64);
		base64url_encode((const unsigned char *)enc[i].raw, enc[i].n, out, sizeof(out));
		EXPECT(strcmp(out, enc[i].url) == 0, "row %zu url: %s, expected %s", i, out,
		       enc[i].url);
	}
	ALL_PASSED();
}

/* encode then decode returns the input, for every length up to 300 */
static void test_round_trip(void **state)
{
	unsigned char in[300], out[300];
	char b64[512];
	uint64_t seed = 1;

	(void)state;
	for (size_t k = 0; k < sizeof(in); k++)
		in[k] = (unsigned char)xrand(&seed);
	for (size_t n = 0; n <= sizeof(in); n++) {
		size_t outlen = 0;
		base64_encode(in, n, b64, sizeof(b64));
		EXPECT(strlen(b64) + 1 == base64_len(n), "length %zu: encoded length", n);
		EXPECT(base64_decode(b64, strlen(b64), out, sizeof(out), &outlen) == 0 &&
		               outlen == n && memcmp(in, out, n) == 0,
		       "length %zu: round trip", n);
	}
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_decode_rows),
	        cmocka_unit_test(test_decode_bounds),
	        cmocka_unit_test(test_encode),
	        cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
