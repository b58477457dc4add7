/* heap.c - binary min-heap of 64-bit pairs. */
#include "heap.h"

#include <stdlib.h>

#include "xmalloc.h"

void heap_init(struct heap *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
}

void heap_release(struct heap *h)
{
	free(h->v);
	heap_init(h);
}

static void swap(struct heap_item *a, struct heap_item *b)
{
	struct heap_item t = *a;
	*a = *b;
	*b = t;
}

static void up(struct heap *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (h->v[p].key <= h->v[i].key)
			break;
		swap(&h->v[p], &h->v[i]);
		i = p;
	}
}

static void down(struct heap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && h->v[l].key < h->v[m].key)
			m = l;
		if (r < h->n && h->v[r].key < h->v[m].key)
			m = r;
		if (m == i)
			return;
		swap(&h->v[m], &h->v[i]);
		i = m;
	}
}

void heap_push(struct heap *h, uint64_t key, uint64_t value)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	h->v[h->n] = (struct heap_item){key, value};
	up(h, h->n++);
}

const struct heap_item *heap_peek(const struct heap *h)
{
	return h->n ? &h->v[0] : NULL;
}

bool heap_pop(struct heap *h, struct heap_item *out)
{
	if (h->n == 0)
		return false;
	*out = h->v[0];
	h->v[0] = h->v[--h->n];
	down(h, 0);
	return true;
}

static void heapify(struct heap *h)
{
	for (size_t i = h->n / 2; i-- > 0;)
		down(h, i);
}

size_t heap_remove_value(struct heap *h, uint64_t value)
{
	size_t k = 0, removed = 0;

	for (size_t i = 0; i < h->n; i++) {
		if (h->v[i].value == value)
			removed++;
		else
			h->v[k++] = h->v[i];
	}
	h->n = k;
	if (removed)
		heapify(h);
	return removed;
}

void heap_set_all_keys(struct heap *h, uint64_t key)
{
	for (size_t i = 0; i < h->n; i++)
		h->v[i].key = key;
}
