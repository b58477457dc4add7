/* base64.c - strict base64 through libsodium. */
#include "base64.h"

#include <sodium.h>
#include <stdbool.h>

int base64_decode(const char *in, size_t n, unsigned char *out, size_t outcap, size_t *outlen)
{
	const char *end;

	if (n % 4 != 0)
		return -1;
	/* libsodium 1.0.18 decodes octets 0x80-0xff as '/': check the alphabet first */
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		          (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		          (c == '=' && i + 2 >= n);
		if (!ok)
			return -1;
	}
	if (sodium_base642bin(out, outcap, in, n, NULL, outlen, &end,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return end == in + n ? 0 : -1;
}

size_t base64_len(size_t n)
{
	return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
}

void base64_encode(const unsigned char *in, size_t n, char *out, size_t outcap)
{
	sodium_bin2base64(out, outcap, in, n, sodium_base64_VARIANT_ORIGINAL);
}

void base64url_encode(const unsigned char *in, size_t n, char *out, size_t outcap)
{
	sodium_bin2base64(out, outcap, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
