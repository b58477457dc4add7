/*
 * dkim_key_test.c - DKIM keys: algorithm names; generate -> load -> public
 * -> sign -> verify with OpenSSL's own verify, for both algorithms; known
 * answers with the RFC 8463 A.1 keys (signatures made by the openssl
 * command); refusals (wrong algorithm, A_RSA under 1024 bits, RSA-PSS, EC,
 * encrypted, public-only, garbage PEM); and signing from several threads.
 */
#include "dkim_key.h"

#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base64.h"
#include "rfc8463_keys.h"
#include "unit.h"

#define A_ED  DKIM_ALG_ED25519_SHA256
#define A_RSA DKIM_ALG_RSA_SHA256

/* RFC 8463 A.2: the p= values of the two key records */
static const char rfc_rsa_pub[] =
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY"
        "/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyV"
        "YLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";
static const char rfc_ed_pub[] = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

/* SHA-256("abc") and its signatures by the keys above, made with the openssl command */
static const unsigned char abc_digest[DKIM_HASH_LEN] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
static const char abc_rsa_sig[] =
        "cSusaB1Q4kCwg6taq2M+H1YMMGVBEN8yI8KlVnR6q+EC7dO7BrxE/WIYZ50Lawt8SLviADgStok3AabMP3nAe+ds"
        "DMTn+vjc14sZbT7aBOi8v8OJP1X/pxK8nTePq0R4GRyw1nTYBypMvUv/kXFsysmP86ZDhBrmn3/J+24zdfA=";
static const char abc_ed_sig[] =
        "CW9VadgH7orHsZE9pwzwqrM1wlj0uUyPIQ3RQel0OSfI0aazeIcqcslEbB915tx7Le+YvQwhS+ZwbUh5H1doCg==";

/*
 * verify - OpenSSL's verify of sig over msg (mlen octets) with the p= text.
 * RSA: EVP_DigestVerify with SHA-256 over msg, so the DigestInfo that
 * dkim_key_sign builds around SHA-256(msg) is checked too. Ed25519: msg is
 * the 32-octet digest itself (RFC 8463).
 */
static bool verify(enum dkim_alg alg, const char *pub, const unsigned char *msg, size_t mlen,
                   const unsigned char *sig, size_t siglen)
{
	unsigned char der[1024];
	const unsigned char *p = der;
	size_t n;
	EVP_PKEY *pk;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok;

	if (base64_decode(pub, strlen(pub), der, sizeof(der), &n) < 0)
		return false;
	if (alg == A_ED)
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, n);
	else
		pk = d2i_PUBKEY(NULL, &p, (long)n);
	ok = pk != NULL &&
	     EVP_DigestVerifyInit(md, NULL, alg == A_ED ? NULL : EVP_sha256(), NULL, pk) == 1 &&
	     EVP_DigestVerify(md, sig, siglen, msg, mlen) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return ok;
}

static void sha256(const void *p, size_t n, unsigned char out[DKIM_HASH_LEN])
{
	assert_int_equal(EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL), 1);
}

static void test_alg_names(void **state)
{
	static const struct {
		const char *in;
		int rc;
		enum dkim_alg alg;
	} rows[] = {
	        {"rsa-sha256", 0, A_RSA},
	        {"rsa", 0, A_RSA},
	        {"ed25519-sha256", 0, A_ED},
	        {"ed25519", 0, A_ED},
	        {"rsa-sha1", -1, A_RSA},
	        {"RSA-SHA256", -1, A_RSA},
	        {"", -1, A_RSA},
	        {"ed25519-sha25", -1, A_RSA},
	        {"ed448", -1, A_RSA},
	};
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		enum dkim_alg a = A_RSA;
		int rc = dkim_alg_parse(rows[i].in, &a);
		EXPECT(rc == rows[i].rc && (rc < 0 || a == rows[i].alg), "row %zu %s: rc %d alg %d",
		       i, shows(rows[i].in), rc, a);
	}
	assert_string_equal(dkim_alg_name(A_RSA), "rsa-sha256");
	assert_string_equal(dkim_alg_name(A_ED), "ed25519-sha256");
	assert_string_equal(dkim_alg_keytype(A_RSA), "rsa");
	assert_string_equal(dkim_alg_keytype(A_ED), "ed25519");
	ALL_PASSED();
}

/* generate -> load -> public -> sign -> verify, and a changed digest fails */
static void round_trip(enum dkim_alg alg, int bits)
{
	char *pem = NULL, err[128] = "", pub[DKIM_PUBB64_MAX];
	unsigned char digest[DKIM_HASH_LEN], sig[DKIM_SIG_MAX], sig2[DKIM_SIG_MAX];
	size_t siglen, siglen2;
	const char *msg = "the header data";

	assert_int_equal(dkim_key_generate(alg, &pem, err, sizeof(err)), 0);
	assert_non_null(pem);
	assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0); /* PKCS#8 */
	struct dkim_key *k = dkim_key_load(pem, strlen(pem), alg, err, sizeof(err));
	assert_non_null(k);
	dkim_pem_free(pem);
	assert_int_equal(dkim_key_alg(k), alg);
	assert_int_equal(dkim_key_bits(k), bits);
	assert_int_equal(dkim_key_public_b64(k, pub, sizeof(pub)), 0);
	assert_int_equal(strlen(pub), alg == A_ED ? 44 : 392);
	sha256(msg, strlen(msg), digest);
	assert_int_equal(dkim_key_sign(k, digest, sig, &siglen, err, sizeof(err)), 0);
	assert_int_equal(siglen, alg == A_ED ? 64 : 256);
	if (alg == A_ED)
		assert_true(verify(alg, pub, digest, sizeof(digest), sig, siglen));
	else
		assert_true(verify(alg, pub, (const unsigned char *)msg, strlen(msg), sig, siglen));
	/* deterministic: PKCS#1 v1.5 and Ed25519 both */
	assert_int_equal(dkim_key_sign(k, digest, sig2, &siglen2, err, sizeof(err)), 0);
	assert_int_equal(siglen2, siglen);
	assert_memory_equal(sig, sig2, siglen);
	digest[0] ^= 1;
	assert_false(verify(alg, pub, digest, sizeof(digest), sig, siglen));
	/* two generations give two keys */
	char *pem2 = NULL, pub2[DKIM_PUBB64_MAX];
	assert_int_equal(dkim_key_generate(alg, &pem2, err, sizeof(err)), 0);
	struct dkim_key *k2 = dkim_key_load(pem2, strlen(pem2), alg, err, sizeof(err));
	assert_non_null(k2);
	assert_int_equal(dkim_key_public_b64(k2, pub2, sizeof(pub2)), 0);
	assert_string_not_equal(pub, pub2);
	/* too small an output buffer */
	assert_int_equal(dkim_key_public_b64(k, pub, strlen(pub2)), -1);
	dkim_pem_free(pem2);
	dkim_key_free(k2);
	dkim_key_free(k);
}

static void test_round_trip_rsa(void **state)
{
	(void)state;
	round_trip(A_RSA, 2048);
}

static void test_round_trip_ed25519(void **state)
{
	(void)state;
	round_trip(A_ED, 256);
}

/* the RFC 8463 keys: their p= values and known signatures */
static void test_rfc8463_keys(void **state)
{
	static const struct {
		const char *pem;
		enum dkim_alg alg;
		int bits;
		const char *pub, *sig;
	} rows[] = {
	        {rfc_rsa_pem, A_RSA, 1024, rfc_rsa_pub, abc_rsa_sig},
	        {rfc_ed_pem, A_ED, 256, rfc_ed_pub, abc_ed_sig},
	};
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		char err[128] = "", pub[DKIM_PUBB64_MAX], b64[DKIM_PUBB64_MAX];
		unsigned char sig[DKIM_SIG_MAX];
		size_t siglen;
		struct dkim_key *k = dkim_key_load(rows[i].pem, strlen(rows[i].pem), rows[i].alg,
		                                   err, sizeof(err));
		EXPECT(k != NULL, "row %zu: load: %s", i, err);
		if (k == NULL)
			continue;
		EXPECT(dkim_key_bits(k) == rows[i].bits, "row %zu: %d bits", i, dkim_key_bits(k));
		assert_int_equal(dkim_key_public_b64(k, pub, sizeof(pub)), 0);
		EXPECT(strcmp(pub, rows[i].pub) == 0, "row %zu: p=%s", i, pub);
		assert_int_equal(dkim_key_sign(k, abc_digest, sig, &siglen, err, sizeof(err)), 0);
		base64_encode(sig, siglen, b64, sizeof(b64));
		EXPECT(strcmp(b64, rows[i].sig) == 0, "row %zu: signature %s, expected %s", i, b64,
		       rows[i].sig);
		dkim_key_free(k);
	}
	ALL_PASSED();
}

/* pem_of - a key made here, as PEM text (caller frees); cipher: encrypted with "pw" */
static char *pem_of(EVP_PKEY *pk, const EVP_CIPHER *cipher, bool public_only)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long len;

	assert_non_null(pk);
	if (public_only)
		assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
	else
		assert_int_equal(PEM_write_bio_PrivateKey(bio, pk, cipher, (unsigned char *)"pw",
		                                          cipher ? 2 : 0, NULL, NULL),
		                 1);
	len = BIO_get_mem_data(bio, &data);
	out = malloc((size_t)len + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)len);
	out[len] = '\0';
	BIO_free(bio);
	EVP_PKEY_free(pk);
	return out;
}

/* pss_key - EVP_PKEY_Q_keygen cannot make an RSA-PSS key in OpenSSL 3.0 */
static EVP_PKEY *pss_key(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
	EVP_PKEY *pk = NULL;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 1024), 1);
	assert_int_equal(EVP_PKEY_generate(ctx, &pk), 1);
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static void test_load_refused(void **state)
{
	char *rsa512 = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512), NULL, false);
	char *rsa1016 = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1016), NULL, false);
	char *pss = pem_of(pss_key(), NULL, false);
	char *ec = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), NULL, false);
	char *x25519 = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "X25519"), NULL, false);
	char *ed_enc = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), EVP_aes_128_cbc(), false);
	char *ed_pub = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), NULL, true);
	char truncated[sizeof(rfc_rsa_pem)];
	memcpy(truncated, rfc_rsa_pem, 200);
	truncated[200] = '\0';
	const struct {
		const char *pem;
		size_t len;
		enum dkim_alg alg;
		const char *err;
	} rows[] = {
	        {rfc_rsa_pem, strlen(rfc_rsa_pem), A_ED, "not an Ed25519 key"},
	        {rfc_ed_pem, strlen(rfc_ed_pem), A_RSA, "not an RSA key"},
	        {rsa512, strlen(rsa512), A_RSA, "RSA key of 512 bits (1024-4096 allowed)"},
	        {rsa1016, strlen(rsa1016), A_RSA, "RSA key of 1016 bits (1024-4096 allowed)"},
	        {pss, strlen(pss), A_RSA, "not an RSA key"},
	        {ec, strlen(ec), A_RSA, "not an RSA key"},
	        {ec, strlen(ec), A_ED, "not an Ed25519 key"},
	        {x25519, strlen(x25519), A_ED, "not an Ed25519 key"},
	        {ed_enc, strlen(ed_enc), A_ED, "not a PEM private key (or an encrypted one)"},
	        {ed_pub, strlen(ed_pub), A_ED, "not a PEM private key (or an encrypted one)"},
	        {truncated, strlen(truncated), A_RSA,
	         "not a PEM private key (or an encrypted one)"},
	        {"garbage", 7, A_RSA, "not a PEM private key (or an encrypted one)"},
	        {"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 59, A_ED,
	         "not a PEM private key (or an encrypted one)"},
	        {"", 0, A_RSA, "not a PEM private key"},
	        {rfc_ed_pem, 30, A_ED, "not a PEM private key (or an encrypted one)"},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		char err[128] = "";
		struct dkim_key *k =
		        dkim_key_load(rows[i].pem, rows[i].len, rows[i].alg, err, sizeof(err));
		EXPECT(k == NULL, "row %zu: loaded", i);
		EXPECT(strcmp(err, rows[i].err) == 0, "row %zu: err %s, expected %s", i, shows(err),
		       shows(rows[i].err));
		dkim_key_free(k);
	}
	/* the boundary: 1024 bits is allowed */
	char *rsa1024 = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024), NULL, false);
	char err[128];
	struct dkim_key *k = dkim_key_load(rsa1024, strlen(rsa1024), A_RSA, err, sizeof(err));
	assert_non_null(k);
	assert_int_equal(dkim_key_bits(k), 1024);
	dkim_key_free(k);
	free(rsa1024);
	free(rsa512);
	free(rsa1016);
	free(pss);
	free(ec);
	free(x25519);
	free(ed_enc);
	free(ed_pub);
	ALL_PASSED();
}

static void test_free_null(void **state)
{
	(void)state;
	dkim_key_free(NULL);
	dkim_pem_free(NULL);
}

struct signer {
	const struct dkim_key *k;
	unsigned char want[DKIM_SIG_MAX];
	size_t wantlen;
	int bad;
};

static void *sign_many(void *arg)
{
	struct signer *s = arg;

	for (int i = 0; i < 200; i++) {
		unsigned char sig[DKIM_SIG_MAX];
		size_t len;
		char err[64];
		if (dkim_key_sign(s->k, abc_digest, sig, &len, err, sizeof(err)) < 0 ||
		    len != s->wantlen || memcmp(sig, s->want, len) != 0)
			s->bad++;
	}
	return NULL;
}

/* one loaded key, four threads signing at once: every signature is the right one */
static void test_threads(void **state)
{
	static const char *const pems[] = {rfc_rsa_pem, rfc_ed_pem};
	static const enum dkim_alg algs[] = {A_RSA, A_ED};

	(void)state;
	for (size_t a = 0; a < 2; a++) {
		char err[128];
		struct dkim_key *k =
		        dkim_key_load(pems[a], strlen(pems[a]), algs[a], err, sizeof(err));
		struct signer s[4];
		pthread_t t[4];
		assert_non_null(k);
		for (int i = 0; i < 4; i++) {
			s[i].k = k;
			s[i].bad = 0;
			assert_int_equal(dkim_key_sign(k, abc_digest, s[i].want, &s[i].wantlen, err,
			                               sizeof(err)),
			                 0);
			assert_int_equal(pthread_create(&t[i], NULL, sign_many, &s[i]), 0);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(t[i], NULL);
			assert_int_equal(s[i].bad, 0);
		}
		dkim_key_free(k);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_alg_names),
	        cmocka_unit_test(test_round_trip_rsa),
	        cmocka_unit_test(test_round_trip_ed25519),
	        cmocka_unit_test(test_rfc8463_keys),
	        cmocka_unit_test(test_load_refused),
	        cmocka_unit_test(test_free_null),
	        cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
