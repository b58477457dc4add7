/*
 * tls.h - the server TLS context: TLS 1.2 and 1.3 only, forward-secret AEAD
 * ciphers, no compression, no renegotiation. Leaf module: fills err.
 */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

/* tls_server_ctx_new - load cert (chain) and key; NULL with err on failure. */
SSL_CTX *tls_server_ctx_new(const char *cert, const char *key, const char *ciphers,
                            const char *suites, char *err, size_t errlen);

/* tls_describe - "TLSv1.3" and the cipher name of an established connection. */
void tls_describe(SSL *ssl, const char **version, const char **cipher);

#endif
