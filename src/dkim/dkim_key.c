/*
 * dkim_key.c - DKIM signing keys through OpenSSL 3's EVP interface (no
 * deprecated RSA_* calls). Trust: the PEM comes from the operator's key
 * store and is checked (algorithm, size) before use; private key material
 * only lives in OpenSSL's EVP_PKEY and in PEM buffers that are wiped before
 * they are freed. OpenSSL errors are cleared from the thread's queue so they
 * never leak into an unrelated later report.
 */
#include "dkim_key.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base64.h"
#include "xmalloc.h"

#define ED25519_PUB_LEN 32

struct dkim_key {
	EVP_PKEY *pkey; /* immutable once loaded: shared by concurrent signers */
	enum dkim_alg alg;
	int bits;
	char pub[DKIM_PUBB64_MAX]; /* the p= value, computed once */
};

const char *dkim_alg_name(enum dkim_alg alg)
{
	return alg == DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

const char *dkim_alg_keytype(enum dkim_alg alg)
{
	return alg == DKIM_ALG_ED25519_SHA256 ? "ed25519" : "rsa";
}

int dkim_alg_parse(const char *s, enum dkim_alg *out)
{
	if (strcmp(s, "rsa-sha256") == 0 || strcmp(s, "rsa") == 0)
		*out = DKIM_ALG_RSA_SHA256;
	else if (strcmp(s, "ed25519-sha256") == 0 || strcmp(s, "ed25519") == 0)
		*out = DKIM_ALG_ED25519_SHA256;
	else
		return -1;
	return 0;
}

/* fail - fill err and drop OpenSSL's queued errors (they may quote input) */
static void fail(char *err, size_t errlen, const char *what)
{
	ERR_clear_error();
	snprintf(err, errlen, "%s", what);
}

int dkim_key_generate(enum dkim_alg alg, char **pem, char *err, size_t errlen)
{
	EVP_PKEY *pk;
	BIO *bio;
	char *data;
	long len;
	int rc = -1;

	*pem = NULL;
	if (alg == DKIM_ALG_RSA_SHA256)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pk == NULL) {
		fail(err, errlen, "key generation failed");
		return -1;
	}
	/* a memory BIO wipes its storage when freed (BUF_MEM_free clears it) */
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (len = BIO_get_mem_data(bio, &data)) <= 0) {
		fail(err, errlen, "cannot write the key as PEM");
		goto out;
	}
	*pem = xmalloc((size_t)len + 1);
	memcpy(*pem, data, (size_t)len);
	(*pem)[len] = '\0';
	rc = 0;
out:
	BIO_free(bio);
	EVP_PKEY_free(pk);
	return rc;
}

void dkim_pem_free(char *pem)
{
	if (pem == NULL)
		return;
	OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
}

/* nopass - never prompt on a terminal for the passphrase of an encrypted key */
static int nopass(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* public_b64 - the p= text: SPKI DER for RSA, the raw key for Ed25519 (RFC 8463 4.2) */
static int public_b64(EVP_PKEY *pk, enum dkim_alg alg, char *out, size_t outlen)
{
	unsigned char raw[ED25519_PUB_LEN], *der = NULL;
	size_t n = sizeof(raw);
	int rc = -1;

	if (alg == DKIM_ALG_ED25519_SHA256) {
		if (EVP_PKEY_get_raw_public_key(pk, raw, &n) == 1 && n == sizeof(raw) &&
		    base64_len(n) <= outlen) {
			base64_encode(raw, n, out, outlen);
			rc = 0;
		}
		return rc;
	}
	int dlen = i2d_PUBKEY(pk, &der);
	if (dlen > 0 && base64_len((size_t)dlen) <= outlen) {
		base64_encode(der, (size_t)dlen, out, outlen);
		rc = 0;
	}
	OPENSSL_free(der);
	return rc;
}

/* check - is pk a key of algorithm alg that Postern signs with? */
static int check(EVP_PKEY *pk, enum dkim_alg alg, int *bits, char *err, size_t errlen)
{
	*bits = EVP_PKEY_get_bits(pk);
	if (alg == DKIM_ALG_ED25519_SHA256) {
		if (!EVP_PKEY_is_a(pk, "ED25519")) {
			snprintf(err, errlen, "not an Ed25519 key");
			return -1;
		}
		return 0;
	}
	/* RSA-PSS keys are refused too: DKIM's rsa-sha256 is PKCS#1 v1.5 */
	if (!EVP_PKEY_is_a(pk, "RSA")) {
		snprintf(err, errlen, "not an RSA key");
		return -1;
	}
	if (*bits < 1024 || *bits > 4096) {
		snprintf(err, errlen, "RSA key of %d bits (1024-4096 allowed)", *bits);
		return -1;
	}
	return 0;
}

struct dkim_key *dkim_key_load(const char *pem, size_t n, enum dkim_alg alg, char *err,
                               size_t errlen)
{
	struct dkim_key *k;
	EVP_PKEY *pk;
	BIO *bio;
	int bits;

	if (n == 0 || n > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)n)) == NULL) {
		fail(err, errlen, "not a PEM private key");
		return NULL;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, nopass, NULL);
	BIO_free(bio);
	if (pk == NULL) {
		fail(err, errlen, "not a PEM private key (or an encrypted one)");
		return NULL;
	}
	if (check(pk, alg, &bits, err, errlen) < 0) {
		EVP_PKEY_free(pk);
		ERR_clear_error();
		return NULL;
	}
	k = xcalloc(1, sizeof(*k));
	k->pkey = pk;
	k->alg = alg;
	k->bits = bits;
	if (public_b64(pk, alg, k->pub, sizeof(k->pub)) < 0) {
		fail(err, errlen, "cannot encode the public key");
		dkim_key_free(k);
		return NULL;
	}
	return k;
}

void dkim_key_free(struct dkim_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey); /* OpenSSL clears the private key as it frees it */
	free(k);
}

enum dkim_alg dkim_key_alg(const struct dkim_key *k)
{
	return k->alg;
}

int dkim_key_bits(const struct dkim_key *k)
{
	return k->bits;
}

int dkim_key_public_b64(const struct dkim_key *k, char *out, size_t outlen)
{
	size_t len = strlen(k->pub);

	if (len >= outlen)
		return -1;
	memcpy(out, k->pub, len + 1);
	return 0;
}

/* sign_rsa - RSASSA-PKCS1-v1_5: the DigestInfo for SHA-256 around the digest, then RSA */
static int sign_rsa(EVP_PKEY *pk, const unsigned char *digest, unsigned char *sig, size_t *siglen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	int ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
	         EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	         EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	         EVP_PKEY_sign(ctx, sig, siglen, digest, DKIM_HASH_LEN) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

/*
 * sign_ed25519 - PureEdDSA over the 32 digest octets as the message (RFC
 * 8463 3: the "message" Ed25519 signs is the SHA-256 of the header data).
 */
static int sign_ed25519(EVP_PKEY *pk, const unsigned char *digest, unsigned char *sig,
                        size_t *siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, pk) == 1 &&
	         EVP_DigestSign(md, sig, siglen, digest, DKIM_HASH_LEN) == 1;

	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

int dkim_key_sign(const struct dkim_key *k, const unsigned char digest[DKIM_HASH_LEN],
                  unsigned char *sig, size_t *siglen, char *err, size_t errlen)
{
	int rc;

	*siglen = DKIM_SIG_MAX;
	if (k->alg == DKIM_ALG_ED25519_SHA256)
		rc = sign_ed25519(k->pkey, digest, sig, siglen);
	else
		rc = sign_rsa(k->pkey, digest, sig, siglen);
	if (rc < 0) {
		*siglen = 0;
		fail(err, errlen, "signing failed");
	}
	return rc;
}
