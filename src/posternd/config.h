/*
 * config.h - the configuration file: INI (libinih), one table of keys.
 *
 * Every key has a type, a default and bounds in config.c's table; unknown
 * sections and keys are errors; an error names the file, the line and the key.
 * Only [server] hostname has no default.
 */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_LIST_MAX 16

struct config_list {
	char *v[CONFIG_LIST_MAX];
	size_t n;
};

struct config {
	char *path; /* the file it came from */

	/* [server] */
	char *hostname;
	char *user;
	char *state_dir;
	char *spool_dir;
	char *control_socket;
	char *log_level;

	/* [smtp] */
	struct config_list listen;     /* STARTTLS submission (587) */
	struct config_list listen_tls; /* implicit TLS submission (465) */
	char *tls_cert;
	char *tls_key;
	char *tls_ciphers;      /* TLS 1.2 cipher list */
	char *tls_ciphersuites; /* TLS 1.3 suites */
	uint64_t max_message_size;
	uint64_t max_recipients;
	uint64_t max_header_size;
	uint64_t max_errors;
	uint64_t max_connections;
	uint64_t max_connections_per_ip;
	uint64_t command_timeout_ms;
	uint64_t data_timeout_ms;
	uint64_t handshake_timeout_ms;
	uint64_t banner_delay_ms;
	uint64_t auth_max_failures;
	uint64_t auth_ip_max_failures;
	uint64_t auth_account_max_failures;
	uint64_t auth_failure_window_ms;
	uint64_t auth_cache_ttl_ms;
	uint64_t auth_threads;

	/* [spool] */
	uint64_t commit_threads;

	/* [delivery] */
	char *transport;
	char *capture_dir;
	uint64_t delivery_concurrency;
	uint64_t retry_ms;
};

/*
 * config_load - parse path into a new config (caller frees with config_free).
 * NULL on error, with err as "FILE:LINE: [section] key: problem".
 */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *c);

/* config_print_keys - write the table of keys, defaults and meanings (for docs). */
void config_print_keys(void);

#endif
