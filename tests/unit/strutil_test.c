/*
 * strutil_test.c - the number, size, duration and boolean syntax of the
 * configuration (strict: no signs, spaces, unknown suffixes or overflow), and
 * the small string helpers.
 */
#include "strutil.h"

#include <inttypes.h>

#include "unit.h"

struct u64_row {
	const char *s;
	uint64_t max;
	int rc;
	uint64_t v;
};

static const struct u64_row u64_rows[] = {
        {"0", UINT64_MAX, 0, 0},
        {"1", UINT64_MAX, 0, 1},
        {"123", UINT64_MAX, 0, 123},
        {"007", UINT64_MAX, 0, 7},
        {"18446744073709551615", UINT64_MAX, 0, UINT64_MAX},
        {"18446744073709551616", UINT64_MAX, -1, 0},
        {"18446744073709551620", UINT64_MAX, -1, 0},
        {"99999999999999999999", UINT64_MAX, -1, 0},
        {"184467440737095516150", UINT64_MAX, -1, 0},
        {"", UINT64_MAX, -1, 0},
        {"-1", UINT64_MAX, -1, 0},
        {"+1", UINT64_MAX, -1, 0},
        {" 1", UINT64_MAX, -1, 0},
        {"1 ", UINT64_MAX, -1, 0},
        {"1a", UINT64_MAX, -1, 0},
        {"0x10", UINT64_MAX, -1, 0},
        {"1.0", UINT64_MAX, -1, 0},
        {"1e3", UINT64_MAX, -1, 0},
        {"\xd9\xa1", UINT64_MAX, -1, 0}, /* ARABIC-INDIC DIGIT ONE */
        {"100", 100, 0, 100},
        {"101", 100, -1, 0},
        {"32", 32, 0, 32},
        {"33", 32, -1, 0},
        {"128", 128, 0, 128},
        {"129", 128, -1, 0},
        {"15", 15, 0, 15},
        {"16", 15, -1, 0},
        {"19", 15, -1, 0},
        {"10", 10, 0, 10},
        {"11", 10, -1, 0},
        {"9", 9, 0, 9},
        {"0", 0, 0, 0},
        {"5", 5, 0, 5},
        /* regression: a digit greater than max (max < 9) wrapped (max - d) and was accepted */
        {"6", 5, -1, 0},
        {"9", 5, -1, 0},
        {"06", 5, -1, 0},
        {"1", 0, -1, 0},
        {"9", 8, -1, 0},
};

static void check_u64(size_t i, const struct u64_row *r)
{
	uint64_t v = 0xdeadbeef;
	int rc = parse_u64(r->s, r->max, &v);

	EXPECT(rc == r->rc && (rc < 0 || v == r->v),
	       "row %zu parse_u64(%s, %" PRIu64 "): rc %d value %" PRIu64
	       ", expected rc %d value %" PRIu64,
	       i, shows(r->s), r->max, rc, v, r->rc, r->v);
}

static void test_parse_u64(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(u64_rows); i++)
		check_u64(i, &u64_rows[i]);
	ALL_PASSED();
}

/* every max from 0 to 300 against every value from 0 to 400 */
static void test_parse_u64_every_max(void **state)
{
	(void)state;
	for (uint64_t max = 0; max <= 300; max++) {
		for (uint64_t n = 0; n <= 400; n++) {
			char s[16];
			uint64_t v = 0;
			snprintf(s, sizeof(s), "%" PRIu64, n);
			int rc = parse_u64(s, max, &v);
			EXPECT(n <= max ? (rc == 0 && v == n) : rc == -1,
			       "parse_u64(\"%s\", %" PRIu64 "): rc %d value %" PRIu64, s, max, rc,
			       v);
		}
	}
	ALL_PASSED();
}

struct num_row {
	const char *s;
	int rc;
	uint64_t v;
};

#define K 1024ULL
#define M (1024ULL * 1024)
#define G (1024ULL * 1024 * 1024)

static const struct num_row size_rows[] = {
        {"0", 0, 0},
        {"1024", 0, 1024},
        {"1k", 0, K},
        {"1K", 0, K},
        {"1kb", 0, K},
        {"1KB", 0, K},
        {"1kB", 0, K},
        {"25M", 0, 25 * M},
        {"25m", 0, 25 * M},
        {"25MB", 0, 25 * M},
        {"64M", 0, 64 * M},
        {"1g", 0, G},
        {"16G", 0, 16 * G},
        {"17179869183G", 0, 17179869183ULL * G},
        {"18446744073709551615", 0, UINT64_MAX},
        {"17179869184G", -1, 0}, /* 2^64 */
        {"18014398509481984K", -1, 0},
        {"18446744073709551616", -1, 0},
        {"", -1, 0},
        {"k", -1, 0},
        {"M", -1, 0},
        {"1T", -1, 0},
        {"1b", -1, 0},
        {"1B", -1, 0},
        {"1 k", -1, 0},
        {"1kk", -1, 0},
        {"1kbb", -1, 0},
        {"1kx", -1, 0},
        {"1MiB", -1, 0},
        {"-1", -1, 0},
        {"+1", -1, 0},
        {"1.5M", -1, 0},
        {" 1M", -1, 0},
        {"1M ", -1, 0},
        {"0x10", -1, 0},
        {"000000000000000000000001", -1, 0}, /* too many digits */
};

static const struct num_row duration_rows[] = {
        {"0", 0, 0},
        {"30", 0, 30000}, /* bare: seconds */
        {"30s", 0, 30000},
        {"5m", 0, 300000},
        {"1h", 0, 3600000},
        {"1d", 0, 86400000},
        {"250ms", 0, 250},
        {"1ms", 0, 1},
        {"0ms", 0, 0},
        {"18446744073709551615ms", 0, UINT64_MAX},
        {"18446744073709551s", 0, 18446744073709551000ULL},
        {"18446744073709552s", -1, 0},
        {"213503982334d", 0, 213503982334ULL * 86400000ULL},
        {"213503982335d", -1, 0},
        {"18446744073709551616ms", -1, 0},
        {"", -1, 0},
        {"s", -1, 0},
        {"ms", -1, 0},
        {"1S", -1, 0},
        {"1M", -1, 0},
        {"1H", -1, 0},
        {"1 s", -1, 0},
        {"1s ", -1, 0},
        {" 1s", -1, 0},
        {"1sec", -1, 0},
        {"1min", -1, 0},
        {"1mss", -1, 0},
        {"1sm", -1, 0},
        {"1.5s", -1, 0},
        {"-1s", -1, 0},
        {"+1s", -1, 0},
        {"1w", -1, 0},
        {"1us", -1, 0},
        {"5m30s", -1, 0},
};

static void check_num(const char *fn, int (*f)(const char *, uint64_t *),
                      const struct num_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0xdeadbeef;
		int rc = f(rows[i].s, &v);
		EXPECT(rc == rows[i].rc && (rc < 0 || v == rows[i].v),
		       "row %zu %s(%s): rc %d value %" PRIu64 ", expected rc %d value %" PRIu64, i,
		       fn, shows(rows[i].s), rc, v, rows[i].rc, rows[i].v);
	}
}

static void test_parse_size(void **state)
{
	(void)state;
	check_num("parse_size", parse_size, size_rows, NELEM(size_rows));
	ALL_PASSED();
}

static void test_parse_duration(void **state)
{
	(void)state;
	check_num("parse_duration_ms", parse_duration_ms, duration_rows, NELEM(duration_rows));
	ALL_PASSED();
}

struct bool_row {
	const char *s;
	int rc;
	bool v;
};

static const struct bool_row bool_rows[] = {
        {"yes", 0, true},     {"YES", 0, true},    {"Yes", 0, true},    {"true", 0, true},
        {"TRUE", 0, true},    {"on", 0, true},     {"On", 0, true},     {"1", 0, true},
        {"no", 0, false},     {"NO", 0, false},    {"false", 0, false}, {"False", 0, false},
        {"off", 0, false},    {"OFF", 0, false},   {"0", 0, false},     {"", -1, false},
        {"2", -1, false},     {"y", -1, false},    {"n", -1, false},    {"t", -1, false},
        {"yes ", -1, false},  {" yes", -1, false}, {"yess", -1, false}, {"ye", -1, false},
        {"truee", -1, false}, {"01", -1, false},   {"00", -1, false},   {"enable", -1, false},
        {"-1", -1, false},    {"nope", -1, false}, {"o", -1, false},
};

static void test_parse_bool(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(bool_rows); i++) {
		bool v = !bool_rows[i].v;
		int rc = parse_bool(bool_rows[i].s, &v);
		EXPECT(rc == bool_rows[i].rc && (rc < 0 || v == bool_rows[i].v),
		       "row %zu %s: rc %d value %d", i, shows(bool_rows[i].s), rc, v);
	}
	ALL_PASSED();
}

static void test_string_helpers(void **state)
{
	char buf[8];

	(void)state;
	/* strlcpy_: truncates, always terminates, returns strlen(src) */
	assert_int_equal(strlcpy_(buf, "abc", sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(strlcpy_(buf, "0123456789", sizeof(buf)), 10);
	assert_string_equal(buf, "0123456");
	assert_int_equal(strlcpy_(buf, "xyz", 1), 3);
	assert_string_equal(buf, "");
	buf[0] = 'q';
	assert_int_equal(strlcpy_(buf, "xyz", 0), 3);
	assert_int_equal(buf[0], 'q');

	assert_true(ascii_iequal("MAIL", "mail"));
	assert_true(ascii_iequal("", ""));
	assert_false(ascii_iequal("MAIL", "MAILX"));
	assert_false(ascii_iequal("MAILX", "MAIL"));
	assert_false(ascii_iequal("\xc3\xa9", "\xc3\x89")); /* ASCII only */
	assert_true(ascii_niequal("FROM:<a>", "from:", 5));
	assert_false(ascii_niequal("FRO", "from:", 5));
	assert_true(ascii_iprefix("FROM:<a>", "from:"));
	assert_false(ascii_iprefix("FROM", "from:"));
	assert_true(ascii_iprefix("x", ""));
	assert_int_equal(ascii_lower('A'), 'a');
	assert_int_equal(ascii_lower('['), '[');
	assert_int_equal(ascii_lower('@'), '@');

	char s[] = "MiXeD-Case.EXAMPLE";
	ascii_strlower(s);
	assert_string_equal(s, "mixed-case.example");

	char t1[] = " \t value with space \r\n";
	assert_string_equal(str_trim(t1), "value with space");
	char t2[] = "   ";
	assert_string_equal(str_trim(t2), "");
	char t3[] = "x";
	assert_string_equal(str_trim(t3), "x");
}

static void test_rfc5322_date(void **state)
{
	char d[64];

	(void)state;
	rfc5322_date(0, d, sizeof(d));
	assert_string_equal(d, "Thu, 1 Jan 1970 00:00:00 +0000");
	rfc5322_date(1700000000, d, sizeof(d));
	assert_string_equal(d, "Tue, 14 Nov 2023 22:13:20 +0000");
	rfc5322_date(951782400, d, sizeof(d)); /* leap day */
	assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 +0000");
	/* clocks */
	uint64_t a = mono_ms(), b = mono_ms();
	assert_true(b >= a);
	assert_true(now_ms() > 1600000000000ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_u64),    cmocka_unit_test(test_parse_u64_every_max),
	        cmocka_unit_test(test_parse_size),   cmocka_unit_test(test_parse_duration),
	        cmocka_unit_test(test_parse_bool),   cmocka_unit_test(test_string_helpers),
	        cmocka_unit_test(test_rfc5322_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
