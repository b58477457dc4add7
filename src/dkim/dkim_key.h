/*
 * dkim_key.h - DKIM signing keys: generation, loading (decoded once, then
 * used for every signature), the public key as published in DNS, and the
 * signature primitive.
 *
 * Algorithms: rsa-sha256 (RFC 6376; RSA PKCS#1 v1.5 over SHA-256, keys of
 * 1024-4096 bits, 2048 generated) and ed25519-sha256 (RFC 8463; PureEdDSA
 * Ed25519 over the 32-octet SHA-256 of the canonical header data). Both sign
 * a digest, which is what lets signing move to another thread or another
 * process: the caller hashes, the key holder signs 32 octets.
 *
 * A loaded key is immutable and may be used from several threads at once.
 * Nothing here logs or writes files; private key material is only ever in
 * the PEM the caller gives or gets.
 */
#ifndef POSTERN_DKIM_KEY_H
#define POSTERN_DKIM_KEY_H

#include <stddef.h>

#include "dkim_canon.h"

enum dkim_alg { DKIM_ALG_RSA_SHA256, DKIM_ALG_ED25519_SHA256 };

#define DKIM_SIG_MAX    512  /* octets of a signature (RSA-4096) */
#define DKIM_PUBB64_MAX 1024 /* base64 text of a public key (RSA-4096 SPKI) */

/* "rsa-sha256" / "ed25519-sha256"; the k= of the key record: "rsa" / "ed25519" */
const char *dkim_alg_name(enum dkim_alg alg);
const char *dkim_alg_keytype(enum dkim_alg alg);
/* dkim_alg_parse - from "rsa-sha256", "rsa", "ed25519-sha256" or "ed25519". 0 or -1. */
int dkim_alg_parse(const char *s, enum dkim_alg *out);

struct dkim_key;

/*
 * dkim_key_generate - a new private key (RSA-2048 or Ed25519) as PKCS#8 PEM
 * text in *pem (caller frees; wipe it with dkim_pem_free). 0 or -1 with err.
 */
int dkim_key_generate(enum dkim_alg alg, char **pem, char *err, size_t errlen);
/* dkim_pem_free - wipe and free PEM text from dkim_key_generate. */
void dkim_pem_free(char *pem);

/*
 * dkim_key_load - decode a private key from PEM (PKCS#8 or traditional RSA)
 * of n octets. It must be of algorithm alg (RSA of 1024-4096 bits). NULL with
 * err on failure; err never holds key material.
 */
struct dkim_key *dkim_key_load(const char *pem, size_t n, enum dkim_alg alg, char *err,
                               size_t errlen);
void dkim_key_free(struct dkim_key *k);
enum dkim_alg dkim_key_alg(const struct dkim_key *k);
/* dkim_key_bits - RSA modulus size, or 256 for Ed25519 */
int dkim_key_bits(const struct dkim_key *k);

/*
 * dkim_key_public_b64 - the p= value of the key record: base64 of the DER
 * SubjectPublicKeyInfo for RSA, of the raw 32-octet public key for Ed25519
 * (RFC 8463 4.2). 0, or -1 if out is too small.
 */
int dkim_key_public_b64(const struct dkim_key *k, char *out, size_t outlen);

/*
 * dkim_key_sign - sign a 32-octet digest. sig must hold DKIM_SIG_MAX octets;
 * *siglen gets the length. Thread-safe. 0 or -1 with err.
 */
int dkim_key_sign(const struct dkim_key *k, const unsigned char digest[DKIM_HASH_LEN],
                  unsigned char *sig, size_t *siglen, char *err, size_t errlen);

#endif
