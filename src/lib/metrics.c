/* metrics.c - the process-wide metric registry and its Prometheus rendering. */
#include "metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "xmalloc.h"

#define MAX_FAMILIES 48

struct series {
	char *labels; /* rendered: k1="v1",k2="v2" (escaped), "" for none */
	double value; /* counter or gauge; a histogram's sum */
	uint64_t count;
	uint64_t buckets[METRICS_MAX_BUCKETS];
};

struct family {
	char *name, *help;
	enum metric_type type;
	double bounds[METRICS_MAX_BUCKETS];
	size_t nbounds;
	struct htab *series; /* labels -> struct series */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct family families[MAX_FAMILIES];
static size_t nfamilies;

static struct family *find(const char *name)
{
	for (size_t i = 0; i < nfamilies; i++)
		if (strcmp(families[i].name, name) == 0)
			return &families[i];
	return NULL;
}

static struct family *define(const char *name, enum metric_type type, const char *help,
                             const double *buckets, size_t nbuckets)
{
	struct family *f = find(name);

	if (f || nfamilies == MAX_FAMILIES)
		return f;
	f = &families[nfamilies++];
	f->name = xstrdup(name);
	f->help = xstrdup(help ? help : "");
	f->type = type;
	f->nbounds = nbuckets < METRICS_MAX_BUCKETS ? nbuckets : METRICS_MAX_BUCKETS;
	for (size_t i = 0; i < f->nbounds; i++)
		f->bounds[i] = buckets[i];
	f->series = htab_new();
	return f;
}

void metrics_define(const char *name, enum metric_type type, const char *help,
                    const double *buckets, size_t nbuckets)
{
	pthread_mutex_lock(&lock);
	define(name, type, help, buckets, nbuckets);
	pthread_mutex_unlock(&lock);
}

/* a label value in the exposition format: backslash, quote and newline escaped */
static void put_value(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			buf_puts(b, "\\\\");
		else if (*v == '"')
			buf_puts(b, "\\\"");
		else if (*v == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *v);
	}
}

static void labels(struct buf *b, const char *k1, const char *v1, const char *k2, const char *v2)
{
	if (k1) {
		buf_printf(b, "%s=\"", k1);
		put_value(b, v1 ? v1 : "");
		buf_putc(b, '"');
	}
	if (k2) {
		buf_printf(b, "%s%s=\"", k1 ? "," : "", k2);
		put_value(b, v2 ? v2 : "");
		buf_putc(b, '"');
	}
}

/* the series of f with these labels, made if new; called locked */
static struct series *get(struct family *f, const char *k1, const char *v1, const char *k2,
                          const char *v2)
{
	struct buf key;

	buf_init(&key);
	labels(&key, k1, v1, k2, v2);
	struct series *s = htab_get(f->series, key.len ? key.data : "");
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->labels = buf_steal(&key, NULL);
		if (s->labels == NULL)
			s->labels = xstrdup("");
		htab_put(f->series, s->labels, s);
	}
	buf_release(&key);
	return s;
}

void metrics_inc(const char *name, const char *k1, const char *v1, const char *k2, const char *v2,
                 uint64_t n)
{
	pthread_mutex_lock(&lock);
	struct family *f = define(name, METRIC_COUNTER, NULL, NULL, 0);
	if (f)
		get(f, k1, v1, k2, v2)->value += (double)n;
	pthread_mutex_unlock(&lock);
}

void metrics_set(const char *name, const char *k1, const char *v1, double value)
{
	pthread_mutex_lock(&lock);
	struct family *f = define(name, METRIC_GAUGE, NULL, NULL, 0);
	if (f)
		get(f, k1, v1, NULL, NULL)->value = value;
	pthread_mutex_unlock(&lock);
}

void metrics_observe(const char *name, const char *k1, const char *v1, double value)
{
	pthread_mutex_lock(&lock);
	struct family *f = find(name);
	if (f && f->type == METRIC_HISTOGRAM) {
		struct series *s = get(f, k1, v1, NULL, NULL);
		s->value += value;
		s->count++;
		for (size_t i = 0; i < f->nbounds; i++)
			if (value <= f->bounds[i])
				s->buckets[i]++;
	}
	pthread_mutex_unlock(&lock);
}

struct collect {
	struct series **v;
	size_t n;
};

static void collect_one(const char *key, void *value, void *arg)
{
	struct collect *c = arg;

	c->v[c->n++] = value;
}

static int by_labels(const void *a, const void *b)
{
	return strcmp((*(struct series *const *)a)->labels, (*(struct series *const *)b)->labels);
}

/* name{labels,extra} with the braces only when there is something inside */
static void series_name(struct buf *b, const char *name, const char *suffix, const char *lbl,
                        const char *extra)
{
	bool any = lbl[0] || extra;

	buf_printf(b, "%s%s", name, suffix);
	if (!any)
		return;
	buf_printf(b, "{%s%s%s}", lbl, lbl[0] && extra ? "," : "", extra ? extra : "");
}

static void render_family(struct buf *out, const struct family *f)
{
	static const char *types[] = {"counter", "gauge", "histogram"};
	struct collect c = {xcalloc(htab_count(f->series) + 1, sizeof(struct series *)), 0};

	if (f->help[0])
		buf_printf(out, "# HELP %s %s\n", f->name, f->help);
	buf_printf(out, "# TYPE %s %s\n", f->name, types[f->type]);
	htab_foreach(f->series, collect_one, &c);
	qsort(c.v, c.n, sizeof(*c.v), by_labels);
	for (size_t i = 0; i < c.n; i++) {
		const struct series *s = c.v[i];
		if (f->type != METRIC_HISTOGRAM) {
			series_name(out, f->name, "", s->labels, NULL);
			buf_printf(out, " %.17g\n", s->value);
			continue;
		}
		for (size_t k = 0; k < f->nbounds; k++) {
			char le[48];
			snprintf(le, sizeof(le), "le=\"%g\"", f->bounds[k]);
			series_name(out, f->name, "_bucket", s->labels, le);
			buf_printf(out, " %llu\n", (unsigned long long)s->buckets[k]);
		}
		series_name(out, f->name, "_bucket", s->labels, "le=\"+Inf\"");
		buf_printf(out, " %llu\n", (unsigned long long)s->count);
		series_name(out, f->name, "_sum", s->labels, NULL);
		buf_printf(out, " %.17g\n", s->value);
		series_name(out, f->name, "_count", s->labels, NULL);
		buf_printf(out, " %llu\n", (unsigned long long)s->count);
	}
	free(c.v);
}

void metrics_render(struct buf *out)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nfamilies; i++)
		render_family(out, &families[i]);
	pthread_mutex_unlock(&lock);
}

static void free_series(const char *key, void *value, void *arg)
{
	struct series *s = value;

	free(s->labels);
	free(s);
}

void metrics_reset(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nfamilies; i++) {
		htab_foreach(families[i].series, free_series, NULL);
		htab_free(families[i].series);
		free(families[i].name);
		free(families[i].help);
	}
	memset(families, 0, sizeof(families));
	nfamilies = 0;
	pthread_mutex_unlock(&lock);
}
