/*
 * strutil.h - string helpers with no mail knowledge: bounded copies, ASCII
 * case, and the number/size/duration syntax of the configuration.
 */
#ifndef POSTERN_STRUTIL_H
#define POSTERN_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* strlcpy_ - copy with truncation; returns strlen(src) like BSD strlcpy. */
size_t strlcpy_(char *dst, const char *src, size_t size);

static inline char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}
bool ascii_iequal(const char *a, const char *b);
bool ascii_niequal(const char *a, const char *b, size_t n);
/* ascii_prefix - true if s starts with prefix, ignoring ASCII case. */
bool ascii_iprefix(const char *s, const char *prefix);
void ascii_strlower(char *s);

/* str_trim - strip ASCII white space at both ends, in place; returns s. */
char *str_trim(char *s);

/*
 * parse_u64 - strictly decimal digits, no sign, no space, no overflow past max.
 * parse_size - a byte count with an optional k/K, m/M or g/G suffix (powers of 1024).
 * parse_duration_ms - a number with ms, s, m, h or d ("30s", "5m"); bare = seconds.
 * All return 0 or -1.
 */
int parse_u64(const char *s, uint64_t max, uint64_t *out);
int parse_size(const char *s, uint64_t *out);
int parse_duration_ms(const char *s, uint64_t *out);
int parse_bool(const char *s, bool *out);

/* rfc5322_date - "Mon, 23 Nov 2026 10:00:00 +0000" for t, in UTC. */
void rfc5322_date(time_t t, char *dst, size_t dstlen);

/* now_ms - wall clock in milliseconds; mono_ms - monotonic milliseconds. */
uint64_t now_ms(void);
uint64_t mono_ms(void);

#endif
