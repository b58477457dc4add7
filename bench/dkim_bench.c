/*
 * dkim_bench.c - what a DKIM signature costs Postern, per algorithm: the raw
 * private-key operation (dkim_key_sign on a digest, the key decoded once) and
 * the whole signature of a typical 2 KiB message (relaxed body hash, header
 * selection and hash over posternd's own list of signed fields, the field,
 * the key operation); then a message signed
 * as Postern signs it, with both. bench/run.sh prints it beside `openssl
 * speed` for the same algorithms.
 *
 * usage: dkim_bench [SECONDS]   (each measurement runs that long, default 2)
 * output: NAME raw N full N overhead X% us N   (a line per algorithm, then
 *         "message": raw and full are then messages per second)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "dkim_canon.h"
#include "dkim_key.h"
#include "dkim_sign.h"
#include "submission.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_message(struct buf *hdr, struct buf *body)
{
	buf_puts(hdr,
	         "Received: from app1.internal (192.0.2.10) by relay.example.com\r\n"
	         "\t(Postern) with ESMTPSA id 1a2079fd89700000 (TLSv1.3 TLS_AES_256_GCM_SHA384)\r\n"
	         "\tsource billing for <customer@example.org>; Mon, 23 Nov 2026 10:00:00 +0000\r\n"
	         "From: \"Example Billing\" <billing@example.com>\r\n"
	         "To: Customer Name <customer@example.org>\r\n"
	         "Subject: Your invoice INV-2026-11-000123 is ready\r\n"
	         "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
	         "Message-ID: <1a2079fd89700000.5f3c2a1b@relay.example.com>\r\n"
	         "MIME-Version: 1.0\r\n"
	         "Content-Type: text/plain; charset=utf-8\r\n"
	         "Content-Transfer-Encoding: quoted-printable\r\n"
	         "X-Mailer: example-app 4.2\r\n"
	         "X-Request-ID: 7d0c5b0e-2f6a-4b7e-9a51-3b1a2c4d5e6f\r\n");
	while (body->len < 2048)
		buf_puts(body,
		         "Dear customer, your invoice for November is attached. The total   \r\n"
		         "amount of 42.00 EUR will be charged to your card on file.\r\n\r\n");
}

#define ROUNDS 20 /* slices per measurement */

struct result {
	double raw, full; /* signatures (one alg) or messages (both) per second */
};

static struct dkim_key *key(enum dkim_alg alg)
{
	char *pem = NULL, err[256];

	if (dkim_key_generate(alg, &pem, err, sizeof(err)) < 0) {
		fprintf(stderr, "dkim_bench: %s\n", err);
		exit(1);
	}
	struct dkim_key *k = dkim_key_load(pem, strlen(pem), alg, err, sizeof(err));
	dkim_pem_free(pem);
	if (k == NULL) {
		fprintf(stderr, "dkim_bench: %s\n", err);
		exit(1);
	}
	return k;
}

/*
 * measure - the key operations alone (raw) against whole signatures (full)
 * with the nalg algorithms: with two, a message as Postern signs it, the
 * body hashed once for both. The two loops take turns in short slices, so
 * a change of clock speed or a neighbour's burst of work weighs on both.
 */
static struct result measure(const enum dkim_alg *algs, size_t nalg, double secs)
{
	unsigned char dg[DKIM_HASH_LEN] = {1, 2, 3}, sig[DKIM_SIG_MAX], bh[DKIM_HASH_LEN];
	struct dkim_key *k[2];
	struct dkim_sig_params p[2];
	char err[256];
	size_t siglen;
	struct buf hdr, body, field;

	buf_init(&hdr);
	buf_init(&body);
	buf_init(&field);
	make_message(&hdr, &body);
	size_t nnames;
	const char *const *names = submission_signed_fields(&nnames);
	for (size_t a = 0; a < nalg; a++) {
		k[a] = key(algs[a]);
		p[a] = (struct dkim_sig_params){algs[a],
		                                DKIM_CANON_RELAXED,
		                                DKIM_CANON_RELAXED,
		                                "example.com",
		                                "postern-20261123",
		                                1795424245,
		                                0,
		                                names,
		                                nnames};
	}
	long nraw = 0, nfull = 0;
	double traw = 0, tfull = 0, slice = secs / ROUNDS;
	for (int round = 0; round < ROUNDS; round++) {
		double t0 = now(), t;
		do {
			for (int i = 0; i < 16; i++, nraw++)
				for (size_t a = 0; a < nalg; a++)
					dkim_key_sign(k[a], dg, sig, &siglen, err, sizeof(err));
		} while ((t = now()) - t0 < slice);
		traw += t - t0;
		t0 = now();
		do {
			for (int i = 0; i < 16; i++, nfull++) {
				struct dkim_body b;
				dkim_body_init(&b, DKIM_CANON_RELAXED);
				dkim_body_update(&b, body.data, body.len);
				dkim_body_final(&b, bh);
				for (size_t a = 0; a < nalg; a++) {
					buf_reset(&field);
					if (dkim_sig_prepare(&p[a], hdr.data, hdr.len, bh, &field,
					                     dg, err, sizeof(err)) < 0) {
						fprintf(stderr, "dkim_bench: %s\n", err);
						exit(1);
					}
					dkim_key_sign(k[a], dg, sig, &siglen, err, sizeof(err));
					dkim_sig_finish(&field, sig, siglen);
				}
			}
		} while ((t = now()) - t0 < slice);
		tfull += t - t0;
	}
	for (size_t a = 0; a < nalg; a++)
		dkim_key_free(k[a]);
	buf_release(&hdr);
	buf_release(&body);
	buf_release(&field);
	return (struct result){(double)nraw / traw, (double)nfull / tfull};
}

static void report(const char *name, struct result r)
{
	double overhead = (1.0 / r.full - 1.0 / r.raw) * r.raw * 100.0;
	printf("%s raw %.0f full %.0f overhead %.1f%% us %.1f\n", name, r.raw, r.full, overhead,
	       1e6 / r.full);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	static const enum dkim_alg algs[] = {DKIM_ALG_RSA_SHA256, DKIM_ALG_ED25519_SHA256};

	for (size_t i = 0; i < 2; i++)
		report(dkim_alg_name(algs[i]), measure(&algs[i], 1, secs));
	report("message", measure(algs, 2, secs));
	return 0;
}
