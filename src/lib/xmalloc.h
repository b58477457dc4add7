/*
 * xmalloc.h - allocation that aborts on out-of-memory.
 *
 * Acceptable only because every size is bounded before it is allocated (see
 * STYLE.md): a failure here means the machine is out of memory, not that a
 * client asked for too much.
 */
#ifndef POSTERN_XMALLOC_H
#define POSTERN_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xasprintf - like asprintf, aborting on failure; the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
