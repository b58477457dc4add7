/*
 * heap.h - a binary min-heap of (key, value) pairs of 64-bit integers: the
 * queue's waiting messages as (next attempt, id), 16 octets each, so a
 * million deferred messages cost 16 MB and no other structure.
 */
#ifndef POSTERN_HEAP_H
#define POSTERN_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct heap_item {
	uint64_t key;
	uint64_t value;
};

struct heap {
	struct heap_item *v;
	size_t n, cap;
};

void heap_init(struct heap *h);
void heap_release(struct heap *h);
void heap_push(struct heap *h, uint64_t key, uint64_t value);
/* heap_peek - the smallest key's item, or NULL if empty */
const struct heap_item *heap_peek(const struct heap *h);
/* heap_pop - remove the smallest; false if empty */
bool heap_pop(struct heap *h, struct heap_item *out);
/* heap_remove_value - remove every item with this value (linear: admin use); how many */
size_t heap_remove_value(struct heap *h, uint64_t value);
/* heap_set_all_keys - set every key to key (flush), keeping a valid heap */
void heap_set_all_keys(struct heap *h, uint64_t key);

#endif
