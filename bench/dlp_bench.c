/*
 * dlp_bench.c - what the DLP rules cost per message: throughput of one scan
 * over a 2 KiB and a 100 KiB text (fed in 4 KiB pieces, as a MIME decoder
 * hands them over), with the 3 built-in detectors alone and with 47 custom
 * rules beside them (regexes and keyword lists, 50 rules in all). One
 * Hyperscan database holds every rule, so the two should cost about the same.
 * Also: compiling the rules, and making and freeing a scan (its scratch).
 *
 * usage: dlp_bench [SECONDS]   (each measurement runs that long, default 1)
 * output: a line per measurement: "rules N text SIZE MB/s X msgs/s Y", then
 *         "rules N compile_ms X scan_new_us Y"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dlp.h"

#define PIECE 4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* a business mail's text: prose, dates, amounts, references, now and then a card or an IBAN */
static char *make_text(size_t size)
{
	static const char *const lines[] = {
	        "Dear customer, thank you for your order of 12 November 2024.\r\n",
	        "Your invoice INV-2024-11-000123 for 1,234.56 EUR is attached to this message.\r\n",
	        "Please transfer the amount within 30 days, quoting the reference above.\r\n",
	        "If you have any questions, call us on +44 20 7946 0958 or reply to this "
	        "email.\r\n",
	        "Order 4471-2208 was shipped on 2024-11-13 with tracking 1Z999AA10123456784.\r\n",
	        "The meeting moved to Thursday at 10:30; the agenda is in the shared folder.\r\n",
	        "Paid with card 4111 1111 1111 1111, expiry 12/27; thank you.\r\n",
	        "Bank details: IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX.\r\n",
	        "Kind regards, the billing team of Example Ltd, 1 Main Street, London.\r\n",
	        "This message and any attachment are intended for the addressee only.\r\n",
	};
	char *t = malloc(size + 1);
	size_t n = 0, i = 0;

	while (n < size) {
		const char *l = lines[i++ % (sizeof(lines) / sizeof(lines[0]))];
		size_t k = strlen(l);
		if (k > size - n)
			k = size - n;
		memcpy(t + n, l, k);
		n += k;
	}
	t[size] = '\0';
	return t;
}

/* the 3 built-ins, then nrules - 3 custom rules: regexes and keyword lists, alternately */
static struct dlp_db *make_db(size_t nrules, double *ms)
{
	static char names[64][32], pats[64][256];
	struct dlp_rule_spec rules[64] = {
	        {.name = "card", .kind = DLP_CARD},
	        {.name = "iban", .kind = DLP_IBAN},
	        {.name = "ssn", .kind = DLP_SSN},
	};
	char err[256];
	struct dlp_db *db;
	double t0;

	for (size_t i = 3; i < nrules; i++) {
		snprintf(names[i], sizeof(names[i]), "custom-%02zu", i);
		switch (i % 4) {
		case 0:
			snprintf(pats[i], sizeof(pats[i]), "\\bPRJ%02zu-[0-9]{4,6}\\b", i);
			break;
		case 1:
			snprintf(pats[i], sizeof(pats[i]),
			         "codename%02zu,project falcon %02zu,internal only %02zu,"
			         "do not forward %02zu,draft-%02zu",
			         i, i, i, i, i);
			break;
		case 2:
			snprintf(pats[i], sizeof(pats[i]),
			         "(?i)\\bpassport(?:\\s+(?:no|number))?[:\\s]+[A-Z0-9]{2}%02zu[0-9]"
			         "{5}\\b",
			         i);
			break;
		default:
			snprintf(
			        pats[i], sizeof(pats[i]),
			        "salary%02zu,payroll%02zu,merger%02zu,acquisition%02zu,layoff%02zu",
			        i, i, i, i, i);
			break;
		}
		rules[i] = (struct dlp_rule_spec){.name = names[i],
		                                  .kind = i % 2 ? DLP_KEYWORDS : DLP_REGEX,
		                                  .pattern = pats[i],
		                                  .min_count = 1};
	}
	t0 = now();
	db = dlp_compile(rules, nrules, err, sizeof(err));
	*ms = (now() - t0) * 1e3;
	if (db == NULL) {
		fprintf(stderr, "dlp_bench: %s\n", err);
		exit(1);
	}
	return db;
}

/* one message: the text in pieces, then its results */
static void scan_once(struct dlp_scan *s, const char *t, size_t n)
{
	struct dlp_hit hits[64];

	dlp_scan_reset(s);
	for (size_t at = 0; at < n; at += PIECE)
		dlp_scan_feed(s, t + at, n - at < PIECE ? n - at : PIECE);
	dlp_scan_end_text(s);
	if (dlp_scan_results(s, hits, 64) == 0) {
		fprintf(stderr, "dlp_bench: the text should hold a card\n");
		exit(1);
	}
}

static void measure(struct dlp_db *db, size_t nrules, size_t size, double secs)
{
	struct dlp_scan *s = dlp_scan_new(db);
	char *t = make_text(size);
	double t0 = now(), el;
	unsigned long msgs = 0;

	do {
		for (int i = 0; i < 16; i++)
			scan_once(s, t, size);
		msgs += 16;
		el = now() - t0;
	} while (el < secs);
	printf("rules %zu text %zuKiB MB/s %.0f msgs/s %.0f\n", nrules, size / 1024,
	       (double)msgs * (double)size / el / 1e6, (double)msgs / el);
	dlp_scan_free(s);
	free(t);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	static const size_t counts[] = {3, 50};

	if (secs <= 0)
		secs = 1.0;
	for (size_t c = 0; c < 2; c++) {
		double ms, t0;
		struct dlp_db *db = make_db(counts[c], &ms);
		measure(db, counts[c], 2048, secs);
		measure(db, counts[c], 100 * 1024, secs);
		t0 = now();
		int n = 0;
		do {
			for (int i = 0; i < 100; i++)
				dlp_scan_free(dlp_scan_new(db));
			n += 100;
		} while (now() - t0 < secs / 4);
		printf("rules %zu compile_ms %.1f scan_new_us %.1f\n", counts[c], ms,
		       (now() - t0) / n * 1e6);
		dlp_free(db);
	}
	return 0;
}
