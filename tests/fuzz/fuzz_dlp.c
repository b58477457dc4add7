/*
 * fuzz_dlp.c - libFuzzer: the DLP engine over any octets. The first two
 * octets seed where the text is cut; the rest is the text. The counts must
 * not depend on the cuts (whole, cut at random places with empty pieces,
 * octet by octet), nor exceed what the text can hold.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct dlp_rule_spec rules[] = {
        {.name = "card", .kind = DLP_CARD},
        {.name = "iban", .kind = DLP_IBAN},
        {.name = "ssn", .kind = DLP_SSN},
        {.name = "conf", .kind = DLP_REGEX, .pattern = "(?i)conf[a-z]*|^[0-9]{2}$"},
        {.name = "kw", .kind = DLP_KEYWORDS, .pattern = "secret,top secret,#tag,caf\xc3\xa9"},
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

static struct dlp_db *db;
static struct dlp_scan *scan;

/* run - scan text (copied to exactly sized heap pieces) cut where rnd says; counts into c */
static void run(const uint8_t *text, size_t n, uint32_t rnd, int how, unsigned *c)
{
	struct dlp_hit hits[NRULES];
	size_t at = 0, k;

	if (dlp_scan_reset(scan) < 0)
		abort();
	do {
		size_t len = n - at;
		if (how == 1) {
			rnd = rnd * 1103515245 + 12345;
			len = (rnd >> 16) % 40; /* empty pieces too */
		} else if (how == 2) {
			len = 1;
		}
		if (len > n - at)
			len = n - at;
		char *p = malloc(len ? len : 1);
		memcpy(p, text + at, len);
		if (dlp_scan_feed(scan, p, len) < 0)
			abort();
		free(p);
		at += len;
	} while (at < n);
	if (dlp_scan_end_text(scan) < 0)
		abort();
	memset(c, 0, NRULES * sizeof(*c));
	k = dlp_scan_results(scan, hits, NRULES);
	if (k > NRULES)
		abort();
	for (size_t i = 0; i < k; i++)
		for (size_t r = 0; r < NRULES; r++)
			if (strcmp(hits[i].rule, rules[r].name) == 0)
				c[r] = hits[i].count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned whole[NRULES], cut[NRULES], bytes[NRULES];
	char err[256];

	if (db == NULL) {
		db = dlp_compile(rules, NRULES, err, sizeof(err));
		scan = db ? dlp_scan_new(db) : NULL;
		if (scan == NULL)
			abort();
	}
	if (size < 2 || size > 8192)
		return 0;
	uint32_t rnd = (uint32_t)data[0] << 8 | data[1];
	data += 2;
	size -= 2;
	run(data, size, rnd, 0, whole);
	run(data, size, rnd, 1, cut);
	if (size <= 1024) {
		run(data, size, rnd, 2, bytes);
		if (memcmp(whole, bytes, sizeof(whole)) != 0)
			abort();
	}
	if (memcmp(whole, cut, sizeof(whole)) != 0)
		abort();
	for (size_t r = 0; r < NRULES; r++)
		if (whole[r] > size)
			abort();
	return 0;
}
