/* limit.c - the sliding-window rate counters and the words for a limit reached. */
#include "limit.h"

#include <stdio.h>
#include <string.h>

static const int64_t periods[RATE_N] = {60, 3600, 86400};

int64_t limit_period(int i)
{
	return periods[i];
}

/* the length of one bucket of window i: a twelfth of the period */
static int64_t blen(int i)
{
	return periods[i] / (RATE_BUCKETS - 1);
}

/* bring counter i up to the bucket holding now, emptying the buckets passed over */
static void roll(struct source_rate *r, int i, int64_t now)
{
	int64_t e = now / blen(i);

	if (e <= r->epoch)
		return;
	if (e - r->epoch >= RATE_BUCKETS)
		memset(r->bucket, 0, sizeof(r->bucket));
	else
		for (int64_t k = r->epoch + 1; k <= e; k++)
			r->bucket[k % RATE_BUCKETS] = 0;
	r->epoch = e;
	r->dirty = true;
}

/* the messages counted in window i: its RATE_BUCKETS buckets */
static int64_t sum(const struct source_rate *r)
{
	int64_t n = 0;

	for (int k = 0; k < RATE_BUCKETS; k++)
		n += r->bucket[k];
	return n;
}

int64_t limit_rate_used(struct source *s, int i, int64_t now)
{
	roll(&s->rate[i], i, now);
	return sum(&s->rate[i]);
}

static int64_t rate_limit(const struct source *s, int i)
{
	return i == RATE_MINUTE ? s->limits.per_minute
	       : i == RATE_HOUR ? s->limits.per_hour
	                        : s->limits.per_day;
}

/*
 * seconds until one more message fits under limit: the oldest buckets leave
 * the window one by one, the oldest when the next bucket begins
 */
static int64_t wait_for(const struct source_rate *r, int i, int64_t limit, int64_t now)
{
	int64_t n = sum(r);

	for (int64_t k = 1; k <= RATE_BUCKETS; k++) {
		n -= r->bucket[(r->epoch - RATE_BUCKETS + k) % RATE_BUCKETS];
		if (n + 1 <= limit) {
			int64_t w = (r->epoch + k) * blen(i) - now;
			return w < 1 ? 1 : w;
		}
	}
	return periods[i] + blen(i);
}

enum limit_kind limit_rate_check(struct source *s, int64_t now, int64_t *retry_after)
{
	static const enum limit_kind kinds[RATE_N] = {LIMIT_PER_MINUTE, LIMIT_PER_HOUR,
	                                              LIMIT_PER_DAY};

	for (int i = 0; i < RATE_N; i++) {
		int64_t limit = rate_limit(s, i);
		if (limit <= 0)
			continue;
		roll(&s->rate[i], i, now);
		if (sum(&s->rate[i]) + 1 > limit) {
			*retry_after = wait_for(&s->rate[i], i, limit, now);
			return kinds[i];
		}
	}
	*retry_after = 0;
	return LIMIT_NONE;
}

void limit_rate_count(struct source *s, int64_t now)
{
	for (int i = 0; i < RATE_N; i++) {
		roll(&s->rate[i], i, now);
		s->rate[i].bucket[s->rate[i].epoch % RATE_BUCKETS]++;
		s->rate[i].dirty = true;
	}
}

void limit_rate_uncount(struct source *s, int64_t at)
{
	for (int i = 0; i < RATE_N; i++) {
		struct source_rate *r = &s->rate[i];
		int64_t e = at / blen(i);
		/* only while its bucket is still in the window (not yet reused) */
		if (e <= r->epoch && e > r->epoch - RATE_BUCKETS &&
		    r->bucket[e % RATE_BUCKETS] > 0) {
			r->bucket[e % RATE_BUCKETS]--;
			r->dirty = true;
		}
	}
}

int64_t limit_value(const struct source *s, enum limit_kind k)
{
	switch (k) {
	case LIMIT_PER_MINUTE:
		return s->limits.per_minute;
	case LIMIT_PER_HOUR:
		return s->limits.per_hour;
	case LIMIT_PER_DAY:
		return s->limits.per_day;
	case LIMIT_RCPTS:
		return s->limits.max_rcpts;
	case LIMIT_SIZE:
		return s->limits.max_size;
	case LIMIT_CONNS:
		return s->limits.max_conns;
	default:
		return 0;
	}
}

const char *limit_key(enum limit_kind k)
{
	switch (k) {
	case LIMIT_PER_MINUTE:
		return "per_minute";
	case LIMIT_PER_HOUR:
		return "per_hour";
	case LIMIT_PER_DAY:
		return "per_day";
	case LIMIT_RCPTS:
		return "max_recipients";
	case LIMIT_SIZE:
		return "max_size";
	case LIMIT_CONNS:
		return "max_connections";
	default:
		return "none";
	}
}

void limit_describe(const struct source *s, enum limit_kind k, char *buf, size_t n)
{
	static const char *const what[] = {
	        [LIMIT_PER_MINUTE] = "messages per minute",
	        [LIMIT_PER_HOUR] = "messages per hour",
	        [LIMIT_PER_DAY] = "messages per day",
	        [LIMIT_RCPTS] = "recipients per message",
	        [LIMIT_SIZE] = "octets per message",
	        [LIMIT_CONNS] = "connections at once",
	};

	if (k == LIMIT_NONE) {
		snprintf(buf, n, "no limit");
		return;
	}
	snprintf(buf, n, "limit of %lld %s of source %s reached", (long long)limit_value(s, k),
	         what[k], s->name);
}

bool limit_conns_reached(const struct source *s)
{
	return s->limits.max_conns > 0 && s->conns >= s->limits.max_conns;
}
