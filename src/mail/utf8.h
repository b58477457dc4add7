/* utf8.h - strict UTF-8 validation (RFC 3629: no overlongs, no surrogates). */
#ifndef POSTERN_UTF8_H
#define POSTERN_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * utf8_seq_len - the length of the well-formed sequence starting at p (at most
 * n bytes available): 1 for ASCII, 2-4 for a valid multi-byte sequence, 0 if
 * the bytes there are not well-formed UTF-8.
 */
size_t utf8_seq_len(const unsigned char *p, size_t n);
bool utf8_valid(const char *s, size_t n);
bool is_ascii(const char *s, size_t n);

#endif
