/*
 * supp_bench.c - the suppression list with millions of entries: how fast it
 * fills and how long the lookup every recipient of every message makes
 * (store_suppression_find) takes, for addresses on the list and not; then
 * the relay's own check (suppress_check: a Bloom filter in front of the
 * store, built at start) and how long building it takes.
 *
 * Usage: supp_bench DIR N LOOKUPS. Prints key=value lines. DIR is scratch.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store.h"
#include "suppress.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const scopes[] = {"domain", "newsletter", "updates", "transactional"};

static void entry(uint64_t i, struct store_suppression *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->address, sizeof(e->address), "user%" PRIu64 "@example%" PRIu64 ".org", i,
	         i % 1000);
	snprintf(e->scope, sizeof(e->scope), "%s", scopes[i % 4]);
	snprintf(e->reason, sizeof(e->reason), "unsubscribe");
	snprintf(e->origin, sizeof(e->origin), "import");
	e->created_at = 1700000000 + (int64_t)i;
}

/* lookups of random addresses; hit: on the list (in a scope the lookup matches) */
static double lookups(struct store *st, uint64_t n, uint64_t count, bool hit, uint64_t *found)
{
	struct store_suppression out;
	char addr[128], dom[64], err[256];
	double t = now();

	*found = 0;
	for (uint64_t k = 0; k < count; k++) {
		uint64_t i = next() % n;
		if (hit)
			i -= i % 4; /* a "domain" entry: matches every stream */
		snprintf(addr, sizeof(addr), "%s%" PRIu64 "@example%" PRIu64 ".org",
		         hit ? "user" : "nobody", i, i % 1000);
		snprintf(dom, sizeof(dom), "@example%" PRIu64 ".org", i % 1000);
		int rc =
		        store_suppression_find(st, addr, dom, "newsletter", &out, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "supp_bench: %s\n", err);
			exit(1);
		}
		*found += rc == 0;
	}
	return (now() - t) / (double)count * 1e6;
}

int main(int argc, char **argv)
{
	char path[4096], err[256];
	struct store_suppression e;
	struct stat sb;

	if (argc != 4) {
		fprintf(stderr, "usage: supp_bench DIR N LOOKUPS\n");
		return 2;
	}
	uint64_t n = strtoull(argv[2], NULL, 10), count = strtoull(argv[3], NULL, 10);
	snprintf(path, sizeof(path), "%s/supp-bench.db", argv[1]);
	remove(path);
	struct store *st = store_open(path, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "supp_bench: %s\n", err);
		return 1;
	}
	double t = now();
	/* as posternctl import does it: batches, each a transaction */
	for (uint64_t i = 0; i < n; i++) {
		if (i % 1000 == 0 && store_begin(st, err, sizeof(err)) < 0)
			goto fail;
		entry(i, &e);
		if (store_suppression_put(st, &e, false, err, sizeof(err)) < 0)
			goto fail;
		if ((i % 1000 == 999 || i == n - 1) && store_commit(st, err, sizeof(err)) < 0)
			goto fail;
	}
	double fill = now() - t;
	uint64_t f1, f2, f3;
	double cold_hit = lookups(st, n, count, true, &f1);
	double hit = lookups(st, n, count, true, &f2);
	double miss = lookups(st, n, count, false, &f3);
	if (f1 != count || f2 != count || f3 != 0) {
		fprintf(stderr, "supp_bench: wrong answers: %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		        f1, f2, f3);
		return 1;
	}
	/* the relay's check: the filter first, the store for what it may hold */
	char kp[4200];
	snprintf(kp, sizeof(kp), "%s/supp-bench.key", argv[1]);
	const char *names[] = {"newsletter", "updates"}, *sc[] = {"stream", "stream"};
	struct suppress_config cfg = {names, sc, 2, "https://x", "x", "", 86400, 86400};
	t = now();
	struct suppress *sp = suppress_new(st, NULL, kp, &cfg, err, sizeof(err));
	double load = now() - t;
	if (sp == NULL)
		goto fail;
	struct store_suppression out;
	char addr[128];
	uint64_t yes = 0, no = 0;
	t = now();
	for (uint64_t k = 0; k < count; k++) {
		uint64_t i = next() % n;
		i -= i % 4;
		snprintf(addr, sizeof(addr), "user%" PRIu64 "@example%" PRIu64 ".org", i, i % 1000);
		yes += suppress_check(sp, "newsletter", addr, &out);
	}
	double chk_hit = (now() - t) / (double)count * 1e6;
	t = now();
	for (uint64_t k = 0; k < count; k++) {
		uint64_t i = next() % n;
		snprintf(addr, sizeof(addr), "nobody%" PRIu64 "@example%" PRIu64 ".org", i,
		         i % 1000);
		no += suppress_check(sp, "newsletter", addr, &out);
	}
	double chk_miss = (now() - t) / (double)count * 1e6;
	suppress_free(sp);
	remove(kp);
	if (yes != count || no != 0) {
		fprintf(stderr, "supp_bench: the check answered wrong: %" PRIu64 " %" PRIu64 "\n",
		        yes, no);
		return 1;
	}
	printf("check_us_hit=%.2f check_us_miss=%.2f filter_load_s=%.2f\n", chk_hit, chk_miss,
	       load);
	/* the database and its write-ahead log together */
	double size = stat(path, &sb) == 0 ? (double)sb.st_size : 0;
	char wal[4200];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	size += stat(wal, &sb) == 0 ? (double)sb.st_size : 0;
	printf("entries=%" PRIu64 " fill_per_s=%.0f db_mib=%.1f\n", n, (double)n / fill,
	       size / 1048576.0);
	printf("lookup_us_first_pass=%.2f lookup_us_hit=%.2f lookup_us_miss=%.2f lookups=%" PRIu64
	       "\n",
	       cold_hit, hit, miss, count);
	store_close(st);
	remove(path);
	return 0;
fail:
	fprintf(stderr, "supp_bench: %s\n", err);
	return 1;
}
