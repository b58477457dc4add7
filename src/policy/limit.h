/*
 * limit.h - what a source may send: its message rates (per minute, hour and
 * day), recipients and size of one message, and connections at once.
 *
 * A rate is counted in buckets of a twelfth of its period (5 seconds for a
 * minute, 5 minutes for an hour, 2 hours for a day), thirteen of them: the
 * current one and the twelve before. Their sum covers at least the last whole
 * period, so no span of that length ever holds more messages than the limit
 * (a burst at a window's edge included, which plain fixed windows double and
 * the two-counter estimate lets through by up to half again); the price is
 * that a message is forgotten up to one bucket late. Thirteen integers a
 * window, no per-message timestamps.
 *
 * Pure functions over struct source; the registry (sources.h) keeps the
 * counters in the store so that they survive a restart.
 */
#ifndef POSTERN_LIMIT_H
#define POSTERN_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources.h"

enum limit_kind {
	LIMIT_NONE,
	LIMIT_PER_MINUTE,
	LIMIT_PER_HOUR,
	LIMIT_PER_DAY,
	LIMIT_RCPTS,
	LIMIT_SIZE,
	LIMIT_CONNS,
};

/* limit_period - the window of rate counter i (RATE_MINUTE...) in seconds */
int64_t limit_period(int i);

/*
 * limit_rate_check - the first rate limit that one more message from s would
 * exceed at now (seconds since the epoch), or LIMIT_NONE. *retry_after gets
 * the seconds until it would fit (at least 1), exactly: a retry then succeeds
 * unless other messages came first.
 */
enum limit_kind limit_rate_check(struct source *s, int64_t now, int64_t *retry_after);
/* limit_rate_count - one message of s accepted at now */
void limit_rate_count(struct source *s, int64_t now);
/* limit_rate_uncount - a message counted at at will not be sent after all */
void limit_rate_uncount(struct source *s, int64_t at);
/* limit_rate_used - the messages counted in window i at now (for display) */
int64_t limit_rate_used(struct source *s, int i, int64_t now);

/* limit_conns_reached - s has as many sessions and requests open as it may */
bool limit_conns_reached(const struct source *s);
/* limit_value - the source's limit of that kind (0: none) */
int64_t limit_value(const struct source *s, enum limit_kind k);
/* limit_describe - "limit of 100 messages per hour of source billing reached" */
void limit_describe(const struct source *s, enum limit_kind k, char *buf, size_t n);
/* limit_key - the limit's name in the API and the events: "per_hour", "max_rcpts", ... */
const char *limit_key(enum limit_kind k);

#endif
