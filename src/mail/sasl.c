/* sasl.c - SASL PLAIN and LOGIN decoding. */
#include "sasl.h"

#include <sodium.h>
#include <string.h>

#include "base64.h"

#define RAW_MAX (3 * SASL_FIELD_MAX + 2)

static int decode(const char *b64, size_t n, unsigned char *raw, size_t cap, size_t *len,
                  enum reply *why)
{
	if (n == 1 && b64[0] == '*') {
		*why = RPL_AUTH_CANCELLED;
		return -1;
	}
	if (n == 0 || base64_decode(b64, n, raw, cap, len) < 0) {
		*why = RPL_AUTH_SYNTAX;
		return -1;
	}
	return 0;
}

int sasl_plain_decode(const char *b64, size_t n, struct sasl_creds *out, enum reply *why)
{
	unsigned char raw[RAW_MAX + 1];
	size_t len;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (decode(b64, n, raw, sizeof(raw) - 1, &len, why) < 0)
		return -1;
	*why = RPL_AUTH_SYNTAX;
	unsigned char *nul1 = memchr(raw, '\0', len);
	unsigned char *nul2 = nul1 ? memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - raw)) : NULL;
	if (nul2 == NULL)
		goto out;
	size_t zlen = (size_t)(nul1 - raw);
	size_t ulen = (size_t)(nul2 - nul1 - 1);
	size_t plen = len - (size_t)(nul2 + 1 - raw);
	/* a third NUL would be inside the password: not a valid PLAIN message */
	if (memchr(nul2 + 1, '\0', plen) != NULL)
		goto out;
	if (ulen == 0 || plen == 0 || ulen > SASL_FIELD_MAX || plen > SASL_FIELD_MAX ||
	    zlen > SASL_FIELD_MAX)
		goto out;
	if (zlen != 0 && (zlen != ulen || memcmp(raw, nul1 + 1, ulen) != 0))
		goto out;
	memcpy(out->user, nul1 + 1, ulen);
	out->user[ulen] = '\0';
	memcpy(out->pass, nul2 + 1, plen);
	out->pass[plen] = '\0';
	r = 0;
out:
	sodium_memzero(raw, sizeof(raw));
	if (r < 0)
		sodium_memzero(out, sizeof(*out));
	return r;
}

int sasl_field_decode(const char *b64, size_t n, char *out, size_t outcap, enum reply *why)
{
	unsigned char raw[SASL_FIELD_MAX + 3];
	size_t len;
	int r = -1;

	if (decode(b64, n, raw, sizeof(raw), &len, why) < 0)
		return -1;
	*why = RPL_AUTH_SYNTAX;
	if (len == 0 || len > SASL_FIELD_MAX || len >= outcap || memchr(raw, '\0', len))
		goto out;
	memcpy(out, raw, len);
	out[len] = '\0';
	r = 0;
out:
	sodium_memzero(raw, sizeof(raw));
	return r;
}
