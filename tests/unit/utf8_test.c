/*
 * utf8_test.c - strict UTF-8 (RFC 3629): the boundary code points, overlongs,
 * surrogates, values past U+10FFFF, truncated and stray bytes; and a check of
 * utf8_seq_len against an independent decoder over every 1- and 2-octet
 * prefix.
 */
#include "utf8.h"

#include "unit.h"

struct row {
	const char *s;
	size_t n;
	size_t first; /* utf8_seq_len of the first sequence */
	bool valid;   /* utf8_valid of the whole */
};

static const struct row rows[] = {
        {RAW("a"), 1, true},
        {RAW("\0"), 1, true}, /* NUL is well-formed UTF-8; callers judge it */
        {RAW("\x7f"), 1, true},
        {RAW("\xc2\x80"), 2, true},         /* U+0080 */
        {RAW("\xdf\xbf"), 2, true},         /* U+07FF */
        {RAW("\xe0\xa0\x80"), 3, true},     /* U+0800 */
        {RAW("\xed\x9f\xbf"), 3, true},     /* U+D7FF */
        {RAW("\xee\x80\x80"), 3, true},     /* U+E000 */
        {RAW("\xef\xbf\xbf"), 3, true},     /* U+FFFF */
        {RAW("\xef\xbb\xbf"), 3, true},     /* BOM */
        {RAW("\xf0\x90\x80\x80"), 4, true}, /* U+10000 */
        {RAW("\xf4\x8f\xbf\xbf"), 4, true}, /* U+10FFFF */
        {RAW("\xf0\x9f\x98\x80"), 4, true},
        /* overlongs */
        {RAW("\xc0\x80"), 0, false},
        {RAW("\xc0\xaf"), 0, false},
        {RAW("\xc1\xbf"), 0, false},
        {RAW("\xe0\x80\x80"), 0, false},
        {RAW("\xe0\x80\xaf"), 0, false},
        {RAW("\xe0\x9f\xbf"), 0, false},
        {RAW("\xf0\x80\x80\x80"), 0, false},
        {RAW("\xf0\x8f\xbf\xbf"), 0, false},
        /* surrogates */
        {RAW("\xed\xa0\x80"), 0, false},
        {RAW("\xed\xaf\xbf"), 0, false},
        {RAW("\xed\xb0\x80"), 0, false},
        {RAW("\xed\xbf\xbf"), 0, false},
        {RAW("\xed\xa0\xbd\xed\xb8\x80"), 0, false}, /* CESU-8 pair */
        /* past U+10FFFF, and bytes never used */
        {RAW("\xf4\x90\x80\x80"), 0, false},
        {RAW("\xf5\x80\x80\x80"), 0, false},
        {RAW("\xf7\xbf\xbf\xbf"), 0, false},
        {RAW("\xf8\x88\x80\x80\x80"), 0, false},
        {RAW("\xfc\x84\x80\x80\x80\x80"), 0, false},
        {RAW("\xfe"), 0, false},
        {RAW("\xff"), 0, false},
        /* stray continuation bytes */
        {RAW("\x80"), 0, false},
        {RAW("\xbf"), 0, false},
        /* truncated sequences */
        {RAW("\xc2"), 0, false},
        {RAW("\xe0\xa0"), 0, false},
        {RAW("\xe1"), 0, false},
        {RAW("\xf0\x90\x80"), 0, false},
        {RAW("\xf0"), 0, false},
        /* a continuation byte that isn't one */
        {RAW("\xc2\x41"), 0, false},
        {RAW("\xc2\xc0"), 0, false},
        {RAW("\xe1\x80\x41"), 0, false},
        {RAW("\xe1\x41\x80"), 0, false},
        {RAW("\xf1\x80\x80\x41"), 0, false},
        {RAW("\xf1\x80\x80\xc0"), 0, false},
        /* strings */
        {RAW("h\xc3\xa9llo"), 1, true},
        {RAW("a\xe2\x82\xac"), 1, true},
        {RAW("\xc3\xa9\xc3"), 2, false},
        {RAW("\xc3\xa9\x80"), 2, false},
        {RAW("ok\xed\xa0\x80ok"), 1, false},
        {RAW("ok\xc0\x80"), 1, false},
        {RAW(""), 0, true},
};

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];
		if (r->n > 0) {
			size_t l = utf8_seq_len((const unsigned char *)r->s, r->n);
			EXPECT(l == r->first, "row %zu %s: seq_len %zu, expected %zu", i,
			       show(r->s, r->n), l, r->first);
		}
		bool v = utf8_valid(r->s, r->n);
		EXPECT(v == r->valid, "row %zu %s: valid %d, expected %d", i, show(r->s, r->n), v,
		       r->valid);
	}
	/* n is honoured: a valid sequence cut by n is not valid */
	EXPECT(utf8_seq_len((const unsigned char *)"\xe2\x82\xac", 2) == 0, "cut by n");
	EXPECT(!utf8_valid("\xe2\x82\xac", 2), "cut by n");
	ALL_PASSED();
}

/* the length of the well-formed sequence at p, by decoding it: 0 if none */
static size_t reference(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = p[0] & 0x1fu;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = p[0] & 0x0fu;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3fu);
	}
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* every first and second octet, with the rest filled three ways */
static void test_against_reference(void **state)
{
	static const unsigned char fill[] = {0x80, 0xbf, 0x41};
	unsigned char p[4];

	(void)state;
	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b++) {
			for (size_t f = 0; f < sizeof(fill); f++) {
				p[0] = (unsigned char)a;
				p[1] = (unsigned char)b;
				p[2] = p[3] = fill[f];
				for (size_t n = 1; n <= 4; n++) {
					size_t got = utf8_seq_len(p, n), want = reference(p, n);
					if (got != want) {
						EXPECT(got == want,
						       "%02x %02x %02x %02x n=%zu: %zu, expected "
						       "%zu",
						       p[0], p[1], p[2], p[3], n, got, want);
					}
				}
			}
		}
	}
	ALL_PASSED();
}

static void test_is_ascii(void **state)
{
	(void)state;
	assert_true(is_ascii("", 0));
	assert_true(is_ascii("plain text\r\n\x01\x7f", 14));
	assert_false(is_ascii("caf\xc3\xa9", 5));
	assert_false(is_ascii("\x80", 1));
	assert_true(is_ascii("ab\xff", 2)); /* n is honoured */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),
	        cmocka_unit_test(test_against_reference),
	        cmocka_unit_test(test_is_ascii),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
