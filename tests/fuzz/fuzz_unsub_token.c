/*
 * fuzz_unsub_token.c - libFuzzer: the tokens strangers send back to Postern
 * (a one-click link's, an unsubscribe mailto's, a VERP address's), read
 * under two secrets. Beyond not crashing: a token accepted must carry a
 * claim that reads as it was made (fields NUL-terminated, printable, an
 * '@' in the recipient), and must come out the same when made again.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unsub_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char K[2][UNSUB_SECRET_LEN] = {"0123456789abcdef0123456789abcde",
                                                     "fedcba9876543210fedcba987654321"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char tok[UNSUB_TOKEN_MAX + 64];
	struct unsub_claim c;
	uint64_t id;
	unsigned idx;

	if (sodium_init() < 0)
		abort();
	if (size >= sizeof(tok))
		size = sizeof(tok) - 1;
	memcpy(tok, data, size);
	tok[size] = '\0';
	enum unsub_verdict v = unsub_token_read(K, 2, tok, 1800000000LL, 365LL * 86400, &c);
	if (v != UNSUB_BAD) {
		if (strchr(c.rcpt, '@') == NULL || strlen(c.rcpt) > STORE_ADDR_MAX ||
		    strlen(c.stream) > STORE_STREAM_MAX || strlen(c.source) > SOURCE_NAME_MAX)
			abort();
		/* only a token made with one of the secrets gets here: made again, it is the same */
		struct buf b;
		buf_init(&b);
		if (unsub_token_make(K[0], &c, &b) < 0)
			abort();
		struct buf b2;
		buf_init(&b2);
		if (unsub_token_make(K[1], &c, &b2) < 0)
			abort();
		if (strcmp(b.data, tok) != 0 && strcmp(b2.data, tok) != 0)
			abort();
		buf_release(&b);
		buf_release(&b2);
	}
	if (verp_token_read(K, 2, "unsub", tok, size, &id)) {
		char again[VERP_TOKEN_LEN + 1], again2[VERP_TOKEN_LEN + 1];
		verp_token_make(K[0], "unsub", id, again);
		verp_token_make(K[1], "unsub", id, again2);
		if (strcmp(again, tok) != 0 && strcmp(again2, tok) != 0)
			abort();
	}
	if (rcpt_token_read(K, 2, tok, size, NULL, &id, &idx) && idx > 0xffff)
		abort();
	if (rcpt_token_read(K, 2, tok, size, "a@example.org", &id, &idx)) {
		char again[RCPT_TOKEN_LEN + 1], again2[RCPT_TOKEN_LEN + 1];
		rcpt_token_make(K[0], id, idx, "a@example.org", again);
		rcpt_token_make(K[1], id, idx, "a@example.org", again2);
		if (strcmp(again, tok) != 0 && strcmp(again2, tok) != 0)
			abort();
	}
	return 0;
}
