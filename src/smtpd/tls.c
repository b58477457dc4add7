/* tls.c - server TLS contexts. */
#include "tls.h"

#include <openssl/err.h>
#include <stdio.h>

static void ssl_error(const char *what, char *err, size_t errlen)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s: %s", what, e ? buf : "unknown error");
	ERR_clear_error();
}

SSL_CTX *tls_server_ctx_new(const char *cert, const char *key, const char *ciphers,
                            const char *suites, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		ssl_error("SSL_CTX_new", err, errlen);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/*
	 * No compression (CRIME), no renegotiation of any kind (client-initiated
	 * renegotiation DoS, and it would let a session change its identity
	 * mid-stream), and the server's cipher order.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
	/*
	 * An idle session holds no record buffers (about 34 KiB each otherwise):
	 * thousands of connected, silent submission sessions are the normal
	 * state of a relay that applications keep pools open to.
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
		ssl_error("tls_ciphers", err, errlen);
		goto bad;
	}
	if (SSL_CTX_set_ciphersuites(ctx, suites) != 1) {
		ssl_error("tls_ciphersuites", err, errlen);
		goto bad;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		ssl_error(cert, err, errlen);
		goto bad;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_error(key, err, errlen);
		goto bad;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_error("the key does not match the certificate", err, errlen);
		goto bad;
	}
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"postern", 7);
	return ctx;
bad:
	SSL_CTX_free(ctx);
	return NULL;
}

void tls_describe(SSL *ssl, const char **version, const char **cipher)
{
	*version = SSL_get_version(ssl);
	*cipher = SSL_get_cipher_name(ssl);
}
