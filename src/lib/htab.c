/* htab.c - chained hash table with SipHash-keyed buckets. */
#include "htab.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct entry {
	struct entry *next;
	void *value;
	uint64_t hash;
	char key[];
};

struct htab {
	struct entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
};

static unsigned char hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void hash_init(void)
{
	randombytes_buf(hash_key, sizeof(hash_key));
}

static uint64_t hash(const char *key)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	pthread_once(&hash_once, hash_init);
	crypto_shorthash(out, (const unsigned char *)key, strlen(key), hash_key);
	memcpy(&h, out, sizeof(h));
	return h;
}

struct htab *htab_new(void)
{
	struct htab *h = xcalloc(1, sizeof(*h));

	h->nbuckets = 16;
	h->buckets = xcalloc(h->nbuckets, sizeof(*h->buckets));
	return h;
}

void htab_free(struct htab *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nbuckets; i++) {
		struct entry *e = h->buckets[i];
		while (e) {
			struct entry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(h->buckets);
	free(h);
}

size_t htab_count(const struct htab *h)
{
	return h->count;
}

static struct entry **find(const struct htab *h, const char *key, uint64_t hv)
{
	struct entry **pp = &h->buckets[hv & (h->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == hv && strcmp((*pp)->key, key) == 0)
			return pp;
	return pp;
}

void *htab_get(const struct htab *h, const char *key)
{
	struct entry **pp = find(h, key, hash(key));

	return *pp ? (*pp)->value : NULL;
}

static void grow(struct htab *h)
{
	size_t n = h->nbuckets * 2;
	struct entry **b = xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < h->nbuckets; i++) {
		struct entry *e = h->buckets[i];
		while (e) {
			struct entry *next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
			e = next;
		}
	}
	free(h->buckets);
	h->buckets = b;
	h->nbuckets = n;
}

void *htab_put(struct htab *h, const char *key, void *value)
{
	uint64_t hv = hash(key);
	struct entry **pp = find(h, key, hv);

	if (*pp) {
		void *old = (*pp)->value;
		(*pp)->value = value;
		return old;
	}
	size_t klen = strlen(key);
	struct entry *e = xmalloc(sizeof(*e) + klen + 1);
	memcpy(e->key, key, klen + 1);
	e->hash = hv;
	e->value = value;
	e->next = NULL;
	*pp = e;
	if (++h->count > h->nbuckets)
		grow(h);
	return NULL;
}

void *htab_del(struct htab *h, const char *key)
{
	struct entry **pp = find(h, key, hash(key));
	struct entry *e = *pp;

	if (e == NULL)
		return NULL;
	void *v = e->value;
	*pp = e->next;
	free(e);
	h->count--;
	return v;
}

void htab_foreach(const struct htab *h, htab_fn fn, void *arg)
{
	for (size_t i = 0; i < h->nbuckets; i++)
		for (struct entry *e = h->buckets[i]; e; e = e->next)
			fn(e->key, e->value, arg);
}
