/*
 * limit_test.c - the sliding-window rate counters of a source: a table of
 * (limits, messages counted at given times, the check at a time) rows with
 * the verdict and the retry-after expected; a client sending as fast as it
 * may (never more than the limit in any span of the period, across edges
 * too); retry-after honest; counters long idle; and the words of a limit.
 */
#include "limit.h"

#include <string.h>

#include "unit.h"

struct row {
	const char *name;
	int64_t per_minute, per_hour, per_day;
	int64_t sent_at[8]; /* seconds; 0 ends the list */
	int64_t check_at;
	enum limit_kind want;
	int64_t retry_min, retry_max; /* bounds of retry_after when refused */
};

/* a start in the middle of a minute, hour and day window */
#define T0 (1796600000 - 1796600000 % 86400 + 43230)

static const struct row rows[] = {
        {"no limits", 0, 0, 0, {T0, T0, T0, T0}, T0, LIMIT_NONE, 0, 0},
        {"under the minute limit", 3, 0, 0, {T0, T0 + 1}, T0 + 2, LIMIT_NONE, 0, 0},
        /* a message is forgotten between one period and one period and a bucket later */
        {"at the minute limit", 2, 0, 0, {T0, T0 + 1}, T0 + 2, LIMIT_PER_MINUTE, 58, 63},
        {"the hour limit", 0, 2, 0, {T0, T0 + 100}, T0 + 200, LIMIT_PER_HOUR, 3400, 3700},
        {"the day limit", 0, 0, 1, {T0}, T0 + 5000, LIMIT_PER_DAY, 81400, 88600},
        {"minute checked before hour", 1, 1, 0, {T0}, T0 + 1, LIMIT_PER_MINUTE, 58, 64},
        /* two windows later the old count is gone entirely */
        {"long idle", 1, 0, 0, {T0}, T0 + 130, LIMIT_NONE, 0, 0},
        /* just after the edge, most of the last minute still weighs */
        {"across the edge", 2, 0, 0, {T0 + 29, T0 + 29}, T0 + 31, LIMIT_PER_MINUTE, 1, 61},
};

static void test_rate_table(void **state)
{
	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];
		struct source s;
		memset(&s, 0, sizeof(s));
		strcpy(s.name, "app");
		s.limits.per_minute = r->per_minute;
		s.limits.per_hour = r->per_hour;
		s.limits.per_day = r->per_day;
		for (size_t k = 0; k < 8 && r->sent_at[k]; k++)
			limit_rate_count(&s, r->sent_at[k]);
		int64_t retry = -1;
		enum limit_kind got = limit_rate_check(&s, r->check_at, &retry);
		EXPECT(got == r->want, "%s: got %d want %d", r->name, got, r->want);
		if (r->want == LIMIT_NONE)
			EXPECT(retry == 0, "%s: retry %lld", r->name, (long long)retry);
		else
			EXPECT(retry >= r->retry_min && retry <= r->retry_max,
			       "%s: retry %lld not in [%lld, %lld]", r->name, (long long)retry,
			       (long long)r->retry_min, (long long)r->retry_max);
	}
	ALL_PASSED();
}

/* a client sending as fast as allowed never gets much more than the limit in any minute */
static void test_no_double_burst_at_the_edge(void **state)
{
	struct source s;
	int64_t accepted[4000];
	size_t n = 0;

	memset(&s, 0, sizeof(s));
	s.limits.per_minute = 60;
	for (int64_t t = T0; t < T0 + 600; t++) {
		for (int k = 0; k < 10; k++) { /* ten attempts a second */
			int64_t retry;
			if (limit_rate_check(&s, t, &retry) != LIMIT_NONE)
				break;
			limit_rate_count(&s, t);
			accepted[n++] = t;
		}
	}
	/* in every 60-second span, never more than the limit */
	size_t lo = 0, worst = 0;
	for (size_t hi = 0; hi < n; hi++) {
		while (accepted[hi] - accepted[lo] >= 60)
			lo++;
		if (hi - lo + 1 > worst)
			worst = hi - lo + 1;
	}
	EXPECT(worst <= 60, "a 60-second span held %zu messages (limit 60)", worst);
	/* and it keeps sending near the limit: 10 minutes, at least 60 for every 65 s */
	EXPECT(n >= 540 && n <= 600, "accepted %zu in 10 minutes at 60 a minute", n);
	ALL_PASSED();
}

/* the retry-after is honest: waiting that long lets the next message through */
static void test_retry_after_is_enough(void **state)
{
	static const int64_t limits[] = {1, 5, 60, 1000};

	for (size_t i = 0; i < NELEM(limits); i++) {
		struct source s;
		memset(&s, 0, sizeof(s));
		s.limits.per_hour = limits[i];
		for (int64_t k = 0; k < limits[i]; k++)
			limit_rate_count(&s, T0);
		int64_t retry = 0;
		EXPECT(limit_rate_check(&s, T0 + 1, &retry) == LIMIT_PER_HOUR, "limit %lld",
		       (long long)limits[i]);
		int64_t again;
		EXPECT(limit_rate_check(&s, T0 + 1 + retry, &again) == LIMIT_NONE,
		       "limit %lld: still refused after retry-after %lld", (long long)limits[i],
		       (long long)retry);
		EXPECT(retry <= 7200, "limit %lld: retry-after %lld over two windows",
		       (long long)limits[i], (long long)retry);
	}
	ALL_PASSED();
}

/* a message refused after it was counted gives its place back, while it still can */
static void test_uncount(void **state)
{
	struct source s;
	int64_t retry;

	memset(&s, 0, sizeof(s));
	s.limits.per_minute = 1;
	limit_rate_count(&s, T0);
	EXPECT(limit_rate_check(&s, T0 + 1, &retry) == LIMIT_PER_MINUTE, "counted");
	limit_rate_uncount(&s, T0);
	EXPECT(limit_rate_check(&s, T0 + 1, &retry) == LIMIT_NONE, "given back");
	EXPECT(limit_rate_used(&s, RATE_HOUR, T0 + 1) == 0, "the hour too");
	/* twice, or after its bucket left the window: nothing goes below zero */
	limit_rate_uncount(&s, T0);
	limit_rate_count(&s, T0 + 200);
	limit_rate_uncount(&s, T0);
	EXPECT(limit_rate_used(&s, RATE_MINUTE, T0 + 200) == 1, "an old place is not given back");
	ALL_PASSED();
}

static void test_words(void **state)
{
	struct source s;
	char buf[200];

	memset(&s, 0, sizeof(s));
	strcpy(s.name, "billing");
	s.limits.per_hour = 100;
	s.limits.max_conns = 2;
	limit_describe(&s, LIMIT_PER_HOUR, buf, sizeof(buf));
	EXPECT(strcmp(buf, "limit of 100 messages per hour of source billing reached") == 0, "%s",
	       buf);
	limit_describe(&s, LIMIT_CONNS, buf, sizeof(buf));
	EXPECT(strcmp(buf, "limit of 2 connections at once of source billing reached") == 0, "%s",
	       buf);
	EXPECT(strcmp(limit_key(LIMIT_RCPTS), "max_recipients") == 0, "key");
	EXPECT(!limit_conns_reached(&s), "no connection yet");
	s.conns = 2;
	EXPECT(limit_conns_reached(&s), "two of two");
	s.limits.max_conns = 0;
	EXPECT(!limit_conns_reached(&s), "no limit");
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rate_table),
	        cmocka_unit_test(test_no_double_burst_at_the_edge),
	        cmocka_unit_test(test_retry_after_is_enough),
	        cmocka_unit_test(test_uncount),
	        cmocka_unit_test(test_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
