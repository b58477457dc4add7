/*
 * heap_test.c - the queue's min-heap against a sorted reference: 10,000
 * random pushes and pops (unique keys, many equal keys, the extremes), then
 * heap_remove_value and heap_set_all_keys, checking the heap order after
 * every change.
 */
#include "heap.h"

#include <inttypes.h>
#include <stdlib.h>

#include "unit.h"

#define NITEMS 10000

/* heap_ok - every parent's key at most its children's */
static bool heap_ok(const struct heap *h)
{
	for (size_t i = 1; i < h->n; i++)
		if (h->v[(i - 1) / 2].key > h->v[i].key)
			return false;
	return true;
}

static int cmp_item(const void *a, const void *b)
{
	const struct heap_item *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return 0;
}

/* the reference: items sorted by (key, value) */
struct ref {
	struct heap_item *v;
	size_t n;
};

/* first index whose item is not below x */
static size_t ref_lower(const struct ref *r, const struct heap_item *x)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_item(&r->v[mid], x) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void ref_insert(struct ref *r, struct heap_item x)
{
	size_t at = ref_lower(r, &x);

	memmove(&r->v[at + 1], &r->v[at], (r->n - at) * sizeof(r->v[0]));
	r->v[at] = x;
	r->n++;
}

/* remove x, which must be there; false if it is not */
static bool ref_remove(struct ref *r, const struct heap_item *x)
{
	size_t at = ref_lower(r, x);

	if (at == r->n || cmp_item(&r->v[at], x) != 0)
		return false;
	memmove(&r->v[at], &r->v[at + 1], (r->n - at - 1) * sizeof(r->v[0]));
	r->n--;
	return true;
}

/*
 * pop one from both: the heap's item must have the reference's smallest key,
 * and be an item that was pushed (equal keys come out in any order)
 */
static bool pop_both(struct heap *h, struct ref *r, const char *label, size_t step)
{
	struct heap_item got;
	const struct heap_item *peek = heap_peek(h);
	uint64_t peek_key = peek ? peek->key : 0;

	if (!heap_pop(h, &got)) {
		EXPECT(r->n == 0, "%s step %zu: heap empty, reference has %zu", label, step, r->n);
		return false;
	}
	EXPECT(peek && peek_key == got.key, "%s step %zu: peek and pop differ", label, step);
	EXPECT(r->n > 0 && got.key == r->v[0].key,
	       "%s step %zu: popped key %" PRIu64 ", smallest is %" PRIu64, label, step, got.key,
	       r->n ? r->v[0].key : 0);
	EXPECT(ref_remove(r, &got), "%s step %zu: popped (%" PRIu64 ", %" PRIu64 ") never pushed",
	       label, step, got.key, got.value);
	return true;
}

typedef uint64_t (*keygen)(uint64_t *rng);

static uint64_t key_any(uint64_t *rng)
{
	return xrand(rng);
}

static uint64_t key_few(uint64_t *rng)
{
	return xrand(rng) % 8; /* many equal keys */
}

static uint64_t key_ends(uint64_t *rng)
{
	uint64_t x = xrand(rng);
	return (x & 3) == 0 ? 0 : (x & 3) == 1 ? UINT64_MAX : (x & 3) == 2 ? UINT64_MAX - 1 : 1;
}

/* times in ms near now, as the queue uses it */
static uint64_t key_times(uint64_t *rng)
{
	return 1700000000000ULL + xrand(rng) % 86400000ULL;
}

static const struct {
	const char *name;
	keygen gen;
} keygens[] = {
        {"any", key_any},
        {"few", key_few},
        {"ends", key_ends},
        {"times", key_times},
};

/* push all, then pop all: sorted order */
static void test_push_then_pop(void **state)
{
	(void)state;
	for (size_t g = 0; g < NELEM(keygens); g++) {
		uint64_t rng = 0x9e3779b97f4a7c15ULL + g;
		struct heap h;
		struct ref r = {calloc(NITEMS, sizeof(struct heap_item)), 0};
		assert_non_null(r.v);
		heap_init(&h);
		EXPECT(heap_peek(&h) == NULL, "%s: peek of an empty heap", keygens[g].name);
		for (uint64_t i = 0; i < NITEMS; i++) {
			struct heap_item x = {keygens[g].gen(&rng), i};
			heap_push(&h, x.key, x.value);
			ref_insert(&r, x);
		}
		EXPECT(h.n == NITEMS && heap_ok(&h), "%s: %zu items after the pushes",
		       keygens[g].name, h.n);
		size_t step = 0;
		while (pop_both(&h, &r, keygens[g].name, step))
			step++;
		EXPECT(step == NITEMS && r.n == 0, "%s: %zu popped", keygens[g].name, step);
		struct heap_item none = {1, 2};
		EXPECT(!heap_pop(&h, &none) && none.key == 1 && none.value == 2,
		       "%s: pop of an empty heap", keygens[g].name);
		heap_release(&h);
		free(r.v);
	}
	ALL_PASSED();
}

/* pushes and pops mixed at random, the heap growing and shrinking */
static void test_random_mix(void **state)
{
	(void)state;
	for (size_t g = 0; g < NELEM(keygens); g++) {
		uint64_t rng = 0x5851f42d4c957f2dULL + g;
		struct heap h;
		struct ref r = {calloc(NITEMS, sizeof(struct heap_item)), 0};
		uint64_t next_value = 0;
		size_t pushes = 0;
		assert_non_null(r.v);
		heap_init(&h);
		for (size_t step = 0; pushes < NITEMS; step++) {
			/* two pushes for one pop on the whole, in bursts */
			bool push = (xrand(&rng) % 3) != 0 || r.n == 0;
			if (push) {
				struct heap_item x = {keygens[g].gen(&rng), next_value++};
				heap_push(&h, x.key, x.value);
				ref_insert(&r, x);
				pushes++;
			} else {
				pop_both(&h, &r, keygens[g].name, step);
			}
			if (step % 997 == 0)
				EXPECT(heap_ok(&h) && h.n == r.n, "%s step %zu: heap broken",
				       keygens[g].name, step);
		}
		size_t step = 0;
		while (pop_both(&h, &r, keygens[g].name, step))
			step++;
		EXPECT(r.n == 0 && h.n == 0, "%s: %zu left", keygens[g].name, r.n);
		heap_release(&h);
		EXPECT(h.v == NULL && h.n == 0 && h.cap == 0, "release");
		heap_release(&h); /* twice is harmless */
		free(r.v);
	}
	ALL_PASSED();
}

/* heap_remove_value removes every item of that value, and only those */
static void test_remove_value(void **state)
{
	(void)state;
	uint64_t rng = 42;
	struct heap h;
	struct ref r = {calloc(NITEMS, sizeof(struct heap_item)), 0};

	assert_non_null(r.v);
	heap_init(&h);
	for (size_t i = 0; i < NITEMS; i++) {
		/* values 0..99, each about 100 times (a message id may be queued twice) */
		struct heap_item x = {xrand(&rng) % 1000, xrand(&rng) % 100};
		heap_push(&h, x.key, x.value);
		ref_insert(&r, x);
	}
	static const uint64_t victims[] = {7, 0, 99, 1000, 7, 50};
	for (size_t k = 0; k < NELEM(victims); k++) {
		size_t expect = 0;
		for (size_t i = 0; i < r.n;) {
			if (r.v[i].value == victims[k]) {
				memmove(&r.v[i], &r.v[i + 1], (r.n - i - 1) * sizeof(r.v[0]));
				r.n--;
				expect++;
			} else {
				i++;
			}
		}
		size_t got = heap_remove_value(&h, victims[k]);
		EXPECT(got == expect, "remove %" PRIu64 ": %zu removed, expected %zu", victims[k],
		       got, expect);
		EXPECT(h.n == r.n && heap_ok(&h), "remove %" PRIu64 ": heap broken", victims[k]);
		for (size_t i = 0; i < h.n; i++)
			EXPECT(h.v[i].value != victims[k], "value %" PRIu64 " still there",
			       victims[k]);
	}
	size_t step = 0;
	while (pop_both(&h, &r, "after remove", step))
		step++;
	/* remove from an empty heap, and the last item */
	EXPECT(heap_remove_value(&h, 1) == 0, "remove from an empty heap");
	heap_push(&h, 5, 9);
	EXPECT(heap_remove_value(&h, 9) == 1 && h.n == 0 && heap_peek(&h) == NULL, "remove last");
	/* all items of one value */
	for (int i = 0; i < 3000; i++)
		heap_push(&h, (uint64_t)(3000 - i), 4);
	EXPECT(heap_remove_value(&h, 4) == 3000 && h.n == 0, "remove all");
	heap_push(&h, 1, 1);
	EXPECT(heap_peek(&h) && heap_peek(&h)->key == 1, "usable after removing all");
	heap_release(&h);
	free(r.v);
	ALL_PASSED();
}

/* heap_set_all_keys (flush): every key the same, and the heap stays usable */
static void test_set_all_keys(void **state)
{
	(void)state;
	uint64_t rng = 7;
	struct heap h;
	struct ref r = {calloc(2 * NITEMS, sizeof(struct heap_item)), 0};

	assert_non_null(r.v);
	heap_init(&h);
	heap_set_all_keys(&h, 5); /* empty: nothing to do */
	EXPECT(h.n == 0, "set_all_keys on an empty heap");
	for (size_t i = 0; i < NITEMS; i++)
		heap_push(&h, xrand(&rng), i);
	heap_set_all_keys(&h, 1000);
	EXPECT(heap_ok(&h), "heap broken after set_all_keys");
	for (size_t i = 0; i < h.n; i++)
		EXPECT(h.v[i].key == 1000, "item %zu key %" PRIu64, i, h.v[i].key);
	/* the reference: every value with key 1000; then later pushes on both sides */
	for (size_t i = 0; i < NITEMS; i++)
		ref_insert(&r, (struct heap_item){1000, i});
	for (size_t i = 0; i < NITEMS; i++) {
		struct heap_item x = {xrand(&rng) % 2001, NITEMS + i};
		heap_push(&h, x.key, x.value);
		ref_insert(&r, x);
	}
	EXPECT(heap_ok(&h), "heap broken after pushes");
	size_t step = 0;
	while (pop_both(&h, &r, "after set_all_keys", step))
		step++;
	EXPECT(step == 2 * NITEMS, "%zu popped", step);
	/* to 0 and to UINT64_MAX */
	for (size_t i = 0; i < 100; i++)
		heap_push(&h, xrand(&rng), i);
	heap_set_all_keys(&h, 0);
	heap_push(&h, 0, 1000);
	heap_push(&h, 1, 1001);
	struct heap_item it;
	size_t zeros = 0;
	while (heap_pop(&h, &it) && it.key == 0)
		zeros++;
	EXPECT(zeros == 101 && it.value == 1001 && h.n == 0, "to 0: %zu zeros", zeros);
	for (size_t i = 0; i < 100; i++)
		heap_push(&h, xrand(&rng), i);
	heap_set_all_keys(&h, UINT64_MAX);
	heap_push(&h, 3, 1000);
	EXPECT(heap_pop(&h, &it) && it.key == 3 && it.value == 1000, "to max: a smaller key");
	heap_release(&h);
	free(r.v);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_push_then_pop),
	        cmocka_unit_test(test_random_mix),
	        cmocka_unit_test(test_remove_value),
	        cmocka_unit_test(test_set_all_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
