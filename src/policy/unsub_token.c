/* unsub_token.c - one-click unsubscribe tokens (unsub_token.h) */
#include <sodium.h>
#include <string.h>

#include "unsub_token.h"

#define VERSION 0x01

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* urlsafe - only base64url characters: libsodium 1.0.18 decodes octets 0x80-0xff too */
static bool urlsafe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(alphabet, s[i]) == NULL)
			return false;
	return true;
}
#define RAW_MAX (1 + 4 + 3 + SOURCE_NAME_MAX + STORE_STREAM_MAX + STORE_ADDR_MAX + UNSUB_MAC_LEN)

static void mac(const unsigned char secret[UNSUB_SECRET_LEN], const unsigned char *p, size_t n,
                unsigned char out[UNSUB_MAC_LEN])
{
	unsigned char full[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, secret, UNSUB_SECRET_LEN);
	crypto_auth_hmacsha256_update(&st, p, n);
	crypto_auth_hmacsha256_final(&st, full);
	memcpy(out, full, UNSUB_MAC_LEN);
	sodium_memzero(&st, sizeof(st));
}

static bool put_field(unsigned char *raw, size_t *n, const char *s, size_t max)
{
	size_t k = strlen(s);

	if (k > max)
		return false;
	raw[(*n)++] = (unsigned char)k;
	memcpy(raw + *n, s, k);
	*n += k;
	return true;
}

int unsub_token_make(const unsigned char secret[UNSUB_SECRET_LEN], const struct unsub_claim *c,
                     struct buf *out)
{
	unsigned char raw[RAW_MAX];
	size_t n = 0;
	uint32_t t = (uint32_t)c->issued;
	char text[UNSUB_TOKEN_MAX + 1];

	raw[n++] = VERSION;
	raw[n++] = (unsigned char)(t >> 24);
	raw[n++] = (unsigned char)(t >> 16);
	raw[n++] = (unsigned char)(t >> 8);
	raw[n++] = (unsigned char)t;
	if (!put_field(raw, &n, c->source, SOURCE_NAME_MAX) ||
	    !put_field(raw, &n, c->stream, STORE_STREAM_MAX) ||
	    !put_field(raw, &n, c->rcpt, STORE_ADDR_MAX))
		return -1;
	mac(secret, raw, n, raw + n);
	n += UNSUB_MAC_LEN;
	sodium_bin2base64(text, sizeof(text), raw, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	buf_puts(out, text);
	return 0;
}

/* get_field - a length-prefixed text of at most max octets, printable ASCII and UTF-8 only */
static bool get_field(const unsigned char *raw, size_t end, size_t *i, char *dst, size_t max)
{
	if (*i >= end)
		return false;
	size_t k = raw[(*i)++];
	if (k > max || k > end - *i)
		return false;
	for (size_t j = 0; j < k; j++)
		if (raw[*i + j] < 0x21 || raw[*i + j] == 0x7f)
			return false;
	memcpy(dst, raw + *i, k);
	dst[k] = '\0';
	*i += k;
	return true;
}

enum unsub_verdict unsub_token_read(const unsigned char (*secrets)[UNSUB_SECRET_LEN],
                                    size_t nsecrets, const char *token, int64_t now,
                                    int64_t lifetime, struct unsub_claim *out)
{
	unsigned char raw[RAW_MAX], want[UNSUB_MAC_LEN];
	size_t n = 0, tl = strlen(token);
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (tl == 0 || tl > UNSUB_TOKEN_MAX || !urlsafe(token, tl) ||
	    sodium_base642bin(raw, sizeof(raw), token, tl, NULL, &n, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n < 1 + 4 + 3 + UNSUB_MAC_LEN || raw[0] != VERSION)
		return UNSUB_BAD;
	size_t body = n - UNSUB_MAC_LEN;
	/* every secret is tried, so the time taken does not tell which one matched */
	for (size_t i = 0; i < nsecrets; i++) {
		mac(secrets[i], raw, body, want);
		ok |= sodium_memcmp(want, raw + body, UNSUB_MAC_LEN) == 0;
	}
	if (!ok)
		return UNSUB_BAD;
	size_t i = 5;
	if (!get_field(raw, body, &i, out->source, SOURCE_NAME_MAX) ||
	    !get_field(raw, body, &i, out->stream, STORE_STREAM_MAX) ||
	    !get_field(raw, body, &i, out->rcpt, STORE_ADDR_MAX) || i != body ||
	    strchr(out->rcpt, '@') == NULL)
		return UNSUB_BAD;
	out->issued = (int64_t)((uint32_t)raw[1] << 24 | (uint32_t)raw[2] << 16 |
	                        (uint32_t)raw[3] << 8 | (uint32_t)raw[4]);
	if (out->issued > now + 60 || now - out->issued > lifetime)
		return UNSUB_EXPIRED;
	return UNSUB_OK;
}

static void verp_mac(const unsigned char secret[UNSUB_SECRET_LEN], const char *label,
                     const unsigned char id[8], unsigned char out[VERP_MAC_LEN])
{
	unsigned char full[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, secret, UNSUB_SECRET_LEN);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, strlen(label) + 1);
	crypto_auth_hmacsha256_update(&st, id, 8);
	crypto_auth_hmacsha256_final(&st, full);
	memcpy(out, full, VERP_MAC_LEN);
	sodium_memzero(&st, sizeof(st));
}

void verp_token_make(const unsigned char secret[UNSUB_SECRET_LEN], const char *label,
                     uint64_t msg_id, char out[VERP_TOKEN_LEN + 1])
{
	unsigned char raw[8 + VERP_MAC_LEN];

	for (int i = 0; i < 8; i++)
		raw[i] = (unsigned char)(msg_id >> (56 - 8 * i));
	verp_mac(secret, label, raw, raw + 8);
	sodium_bin2base64(out, VERP_TOKEN_LEN + 1, raw, sizeof(raw),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool verp_token_read(const unsigned char (*secrets)[UNSUB_SECRET_LEN], size_t nsecrets,
                     const char *label, const char *token, size_t len, uint64_t *msg_id)
{
	unsigned char raw[8 + VERP_MAC_LEN + 4], want[VERP_MAC_LEN];
	size_t n = 0;
	bool ok = false;

	if (len != VERP_TOKEN_LEN || !urlsafe(token, len) ||
	    sodium_base642bin(raw, sizeof(raw), token, len, NULL, &n, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != 8 + VERP_MAC_LEN)
		return false;
	for (size_t i = 0; i < nsecrets; i++) {
		verp_mac(secrets[i], label, raw, want);
		ok |= sodium_memcmp(want, raw + 8, VERP_MAC_LEN) == 0;
	}
	if (!ok)
		return false;
	*msg_id = 0;
	for (int i = 0; i < 8; i++)
		*msg_id = *msg_id << 8 | raw[i];
	return true;
}

/* the two MACs of a recipient token: over (id, idx), and over (id, idx, rcpt) */
static void rcpt_macs(const unsigned char secret[UNSUB_SECRET_LEN], const unsigned char head[10],
                      const char *rcpt, unsigned char m1[RCPT_MAC1_LEN],
                      unsigned char m2[RCPT_MAC2_LEN])
{
	unsigned char full[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, secret, UNSUB_SECRET_LEN);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)"rcpt1", 6);
	crypto_auth_hmacsha256_update(&st, head, 10);
	crypto_auth_hmacsha256_final(&st, full);
	memcpy(m1, full, RCPT_MAC1_LEN);
	if (rcpt != NULL) {
		crypto_auth_hmacsha256_init(&st, secret, UNSUB_SECRET_LEN);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)"rcpt2", 6);
		crypto_auth_hmacsha256_update(&st, head, 10);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)rcpt, strlen(rcpt));
		crypto_auth_hmacsha256_final(&st, full);
		memcpy(m2, full, RCPT_MAC2_LEN);
	}
	sodium_memzero(&st, sizeof(st));
}

void rcpt_token_make(const unsigned char secret[UNSUB_SECRET_LEN], uint64_t msg_id, unsigned idx,
                     const char *rcpt, char out[RCPT_TOKEN_LEN + 1])
{
	unsigned char raw[RCPT_RAW_LEN];

	for (int i = 0; i < 8; i++)
		raw[i] = (unsigned char)(msg_id >> (56 - 8 * i));
	raw[8] = (unsigned char)(idx >> 8);
	raw[9] = (unsigned char)idx;
	rcpt_macs(secret, raw, rcpt, raw + 10, raw + 10 + RCPT_MAC1_LEN);
	sodium_bin2base64(out, RCPT_TOKEN_LEN + 1, raw, sizeof(raw),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool rcpt_token_read(const unsigned char (*secrets)[UNSUB_SECRET_LEN], size_t nsecrets,
                     const char *token, size_t len, const char *rcpt, uint64_t *msg_id,
                     unsigned *idx)
{
	unsigned char raw[RCPT_RAW_LEN + 4], m1[RCPT_MAC1_LEN], m2[RCPT_MAC2_LEN];
	size_t n = 0;
	bool ok = false;

	if (len != RCPT_TOKEN_LEN || !urlsafe(token, len) ||
	    sodium_base642bin(raw, sizeof(raw), token, len, NULL, &n, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != RCPT_RAW_LEN)
		return false;
	for (size_t i = 0; i < nsecrets; i++) {
		rcpt_macs(secrets[i], raw, rcpt, m1, m2);
		bool one = sodium_memcmp(m1, raw + 10, RCPT_MAC1_LEN) == 0;
		bool two = rcpt == NULL ||
		           sodium_memcmp(m2, raw + 10 + RCPT_MAC1_LEN, RCPT_MAC2_LEN) == 0;
		ok |= one && two;
	}
	if (!ok)
		return false;
	*msg_id = 0;
	for (int i = 0; i < 8; i++)
		*msg_id = *msg_id << 8 | raw[i];
	*idx = (unsigned)raw[8] << 8 | raw[9];
	return true;
}
