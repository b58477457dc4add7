/*
 * metrics.h - process-wide counters, gauges and histograms, rendered in the
 * Prometheus text exposition format (version 0.0.4) for GET /metrics.
 *
 * One registry per process, like the log: any module may count without a
 * handle passed down to it. Thread-safe (one mutex; a count costs a lock
 * and a hash lookup). A series is a metric name with at most two labels;
 * label values are escaped when rendered, so they may hold anything.
 * Counters start at zero with the process, as Prometheus expects.
 */
#ifndef POSTERN_METRICS_H
#define POSTERN_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

#define METRICS_MAX_BUCKETS 16

/*
 * metrics_define - declare a metric (its type, help text and, for a
 * histogram, its upper bounds in ascending order). Counting a name never
 * defined defines it as an undocumented counter. Defining twice is a no-op.
 */
void metrics_define(const char *name, enum metric_type type, const char *help,
                    const double *buckets, size_t nbuckets);

/* metrics_inc - add n to a counter; k1/v1 and k2/v2 are labels (NULL: none) */
void metrics_inc(const char *name, const char *k1, const char *v1, const char *k2, const char *v2,
                 uint64_t n);
/* metrics_set - set a gauge */
void metrics_set(const char *name, const char *k1, const char *v1, double value);
/* metrics_observe - one observation of a histogram */
void metrics_observe(const char *name, const char *k1, const char *v1, double value);

/* metrics_render - append every series, families in definition order, series sorted */
void metrics_render(struct buf *out);
/* metrics_reset - forget everything (tests, and the daemon's exit) */
void metrics_reset(void);

#endif
