/*
 * crc32_test.c - CRC-32 (IEEE 802.3): published check values, incremental
 * updates at every split, and the slice-by-4 code against a bit-at-a-time
 * reference at every length and alignment.
 */
#include "crc32.h"

#include <stdlib.h>

#include "unit.h"

struct row {
	const char *in;
	size_t n;
	uint32_t crc;
};

static const struct row rows[] = {
        {RAW(""), 0x00000000u},
        {RAW("a"), 0xe8b7be43u},
        {RAW("abc"), 0x352441c2u},
        {RAW("123456789"), 0xcbf43926u}, /* the standard check value */
        {RAW("The quick brown fox jumps over the lazy dog"), 0x414fa339u},
        {RAW("\0"), 0xd202ef8du},
        {RAW("\0\0\0\0"), 0x2144df1cu},
        {RAW("\xff\xff\xff\xff"), 0xffffffffu},
        {RAW("message digest"), 0x20159d7fu},
};

/* one bit at a time, straight from the definition */
static uint32_t reference(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
	}
	return ~crc;
}

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		uint32_t c = crc32_update(0, rows[i].in, rows[i].n);
		EXPECT(c == rows[i].crc, "row %zu %s: %08x, expected %08x", i,
		       show(rows[i].in, rows[i].n), c, rows[i].crc);
		/* the same in two parts, split anywhere */
		for (size_t k = 0; k <= rows[i].n; k++) {
			uint32_t s = crc32_update(crc32_update(0, rows[i].in, k), rows[i].in + k,
			                          rows[i].n - k);
			EXPECT(s == rows[i].crc, "row %zu split at %zu: %08x", i, k, s);
		}
	}
	ALL_PASSED();
}

static void test_against_reference(void **state)
{
	enum { N = 4096 };
	unsigned char *buf = malloc(N + 8);
	uint64_t seed = 7;

	(void)state;
	assert_non_null(buf);
	for (size_t k = 0; k < N + 8; k++)
		buf[k] = (unsigned char)xrand(&seed);
	/* every length up to 256 at every alignment 0..7 */
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n <= 256; n++)
			EXPECT(crc32_update(0, buf + off, n) == reference(0, buf + off, n),
			       "offset %zu length %zu", off, n);
	/* the whole buffer, in random pieces */
	uint32_t want = reference(0, buf, N), c = 0;
	size_t pos = 0;
	while (pos < N) {
		size_t len = (size_t)(xrand(&seed) % 37);
		if (len > N - pos)
			len = N - pos;
		c = crc32_update(c, buf + pos, len);
		pos += len;
	}
	EXPECT(c == want, "random pieces: %08x, expected %08x", c, want);
	/* a single changed bit anywhere changes the CRC */
	for (size_t bit = 0; bit < 512 * 8; bit++) {
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		EXPECT(crc32_update(0, buf, 512) == reference(0, buf, 512), "bit %zu", bit);
		EXPECT(crc32_update(0, buf, N) != want, "bit %zu flipped, same CRC", bit);
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	free(buf);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),
	        cmocka_unit_test(test_against_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
