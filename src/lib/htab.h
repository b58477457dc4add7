/*
 * htab.h - a hash table from NUL-terminated string keys to pointers.
 *
 * Keys are hashed with SipHash under a per-process random key, so clients that
 * choose the keys (addresses, user names) cannot flood one bucket. The table
 * copies keys; it never owns values.
 */
#ifndef POSTERN_HTAB_H
#define POSTERN_HTAB_H

#include <stddef.h>

struct htab;

struct htab *htab_new(void);
/* htab_free - free the table and its keys; values are the caller's. NULL is a no-op. */
void htab_free(struct htab *h);
size_t htab_count(const struct htab *h);
void *htab_get(const struct htab *h, const char *key);
/* htab_put - insert or replace; returns the previous value or NULL. */
void *htab_put(struct htab *h, const char *key, void *value);
/* htab_del - remove; returns the value it held or NULL. */
void *htab_del(struct htab *h, const char *key);

/* htab_foreach - call fn for each entry; fn may not modify the table. */
typedef void (*htab_fn)(const char *key, void *value, void *arg);
void htab_foreach(const struct htab *h, htab_fn fn, void *arg);

#endif
