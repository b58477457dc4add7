/*
 * id_test.c - message ids: strictly increasing (also across threads), time
 * ordered, 16 lower-case hex digits that round-trip; id_parse refuses
 * everything else; session ids are never 0.
 */
#include "id.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>

#include "strutil.h"
#include "unit.h"

static void test_next_strictly_increasing(void **state)
{
	(void)state;
	uint64_t before = now_ms();
	uint64_t prev = id_next();
	for (int k = 0; k < 200000; k++) {
		uint64_t id = id_next();
		if (id <= prev)
			fail_msg("id %016" PRIx64 " after %016" PRIx64, id, prev);
		prev = id;
	}
	uint64_t after = now_ms();
	/* the time in an id is the arrival time (the sequence may run a little ahead) */
	uint64_t t = id_time_ms(prev);
	assert_true(t >= before);
	assert_true(t <= after + 1000);
}

enum { THREADS = 4, PER_THREAD = 20000 };

static void *worker(void *arg)
{
	uint64_t *out = arg;

	for (int k = 0; k < PER_THREAD; k++)
		out[k] = id_next();
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_next_threads_unique(void **state)
{
	pthread_t t[THREADS];
	uint64_t *ids = malloc(sizeof(uint64_t) * THREADS * PER_THREAD);

	(void)state;
	assert_non_null(ids);
	for (int k = 0; k < THREADS; k++)
		assert_int_equal(pthread_create(&t[k], NULL, worker, ids + k * PER_THREAD), 0);
	for (int k = 0; k < THREADS; k++)
		assert_int_equal(pthread_join(t[k], NULL), 0);
	/* each thread saw its own ids increase */
	for (int k = 0; k < THREADS; k++)
		for (int j = 1; j < PER_THREAD; j++)
			assert_true(ids[k * PER_THREAD + j] > ids[k * PER_THREAD + j - 1]);
	/* and no id was given twice */
	qsort(ids, THREADS * PER_THREAD, sizeof(uint64_t), cmp_u64);
	for (int k = 1; k < THREADS * PER_THREAD; k++)
		if (ids[k] == ids[k - 1])
			fail_msg("id %016" PRIx64 " given twice", ids[k]);
	free(ids);
}

struct fmt_row {
	uint64_t id;
	const char *text;
};

static const struct fmt_row fmt_rows[] = {
        {0, "0000000000000000"},
        {1, "0000000000000001"},
        {0x0123456789abcdefULL, "0123456789abcdef"},
        {0xfedcba9876543210ULL, "fedcba9876543210"},
        {UINT64_MAX, "ffffffffffffffff"},
        {0x8000000000000000ULL, "8000000000000000"},
};

static void test_format_parse_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(fmt_rows); i++) {
		char text[ID_HEXLEN + 1];
		uint64_t back = 0;
		EXPECT(strcmp(id_format(fmt_rows[i].id, text), fmt_rows[i].text) == 0,
		       "row %zu: formatted %s", i, text);
		EXPECT(id_parse(fmt_rows[i].text, &back) && back == fmt_rows[i].id,
		       "row %zu: parse gave %016" PRIx64, i, back);
	}
	ALL_PASSED();
}

static const char *const bad_ids[] = {
        "0123456789ABCDEF", /* upper case */
        "0123456789abcdeF",
        "A123456789abcdef",
        "0123456789abcde",   /* 15 */
        "0123456789abcdef0", /* 17 */
        "0123456789abcdef\n",
        "0123456789abcdef ",
        "",
        "0",
        "0123456789abcdeg", /* not hex */
        "g123456789abcdef",
        " 123456789abcdef",
        "-123456789abcdef",
        "+123456789abcdef",
        "0x23456789abcdef",
        "0123456789abcd\xc3\xa9",
        "../../etc/passwd",
        "0123456789abcdef/../x",
};

static void test_parse_refuses(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(bad_ids); i++) {
		uint64_t v = 42;
		bool ok = id_parse(bad_ids[i], &v);
		EXPECT(!ok, "row %zu %s accepted", i, shows(bad_ids[i]));
		EXPECT(v == 42, "row %zu: *out written on failure", i);
	}
	/* a 15-digit string at the end of a heap block: nothing past its NUL is read */
	char *s = malloc(16);
	assert_non_null(s);
	memcpy(s, "0123456789abcde", 16);
	uint64_t v;
	EXPECT(!id_parse(s, &v), "15 digits accepted");
	free(s);
	ALL_PASSED();
}

static void test_round_trip_random(void **state)
{
	(void)state;
	for (int k = 0; k < 10000; k++) {
		uint64_t id = id_random(), back = 0;
		char text[ID_HEXLEN + 1], text2[ID_HEXLEN + 1];
		assert_true(id != 0);
		id_format(id, text);
		assert_int_equal(strlen(text), ID_HEXLEN);
		assert_true(id_parse(text, &back));
		assert_true(back == id);
		/* text order is numeric order */
		uint64_t other = id_random();
		id_format(other, text2);
		assert_true((strcmp(text, text2) < 0) == (id < other));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_next_strictly_increasing),
	        cmocka_unit_test(test_next_threads_unique),
	        cmocka_unit_test(test_format_parse_rows),
	        cmocka_unit_test(test_parse_refuses),
	        cmocka_unit_test(test_round_trip_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
