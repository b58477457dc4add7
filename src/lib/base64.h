/*
 * base64.h - strict standard base64 (RFC 4648 section 4), built on libsodium's
 * constant-time codec. Used for SASL, where the input is a client's secret.
 */
#ifndef POSTERN_BASE64_H
#define POSTERN_BASE64_H

#include <stddef.h>

/*
 * base64_decode - decode exactly the n bytes at in (padding required, no
 * white space) into out (capacity outcap). 0 with *outlen set, or -1.
 */
int base64_decode(const char *in, size_t n, unsigned char *out, size_t outcap, size_t *outlen);
/* base64_encode - encode into out (capacity at least base64_len(n)); NUL-terminated. */
void base64_encode(const unsigned char *in, size_t n, char *out, size_t outcap);
size_t base64_len(size_t n);
/* base64url_encode - URL-safe alphabet, no padding (for tokens and passwords). */
void base64url_encode(const unsigned char *in, size_t n, char *out, size_t outcap);

#endif
