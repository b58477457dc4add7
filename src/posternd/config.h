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

/* a free-form section: [routes], [tls_policy], [destination_concurrency], [pools] */
struct config_pair {
	char *key, *value;
	int line;
};

struct config_map {
	struct config_pair *v;
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
	uint64_t conn_reuse_ms;
	char *spool_sync; /* filesystem or file */

	/* [delivery] */
	char *transport; /* mx, capture or smarthost */
	char *capture_dir;
	uint64_t out_max_connections;
	uint64_t dest_concurrency;
	uint64_t msgs_per_conn;
	uint64_t connect_timeout_ms, out_command_timeout_ms, out_data_timeout_ms;
	char *resolver;
	bool allow_private;
	uint64_t smtp_port;
	char *tls_policy; /* the default: none, may, encrypt, verify */
	char *tls_ca_file;
	char *smarthost; /* a route: [host]:port */
	char *smarthost_tls;
	char *smarthost_user;
	char *smarthost_password_file;
	char *pool; /* the default IP pool */

	/* [queue] */
	uint64_t retry_min_ms, retry_max_ms, max_lifetime_ms, delay_warning_ms;
	uint64_t max_active;

	/* [dkim] */
	char *dkim_key_dir;
	char *dkim_selector_prefix;
	uint64_t dkim_expire_ms;
	uint64_t dkim_retire_grace_ms;
	uint64_t dkim_check_interval_ms;
	uint64_t dkim_sign_threads;
	char *dmarc_rua;

	/* [api] */
	struct config_list api_listen, api_listen_tls, admin_listen;
	uint64_t api_max_body;
	uint64_t api_max_conns, api_max_conns_per_ip;
	uint64_t api_timeout_ms;
	char *admin_token_file;
	bool admin_tls;

	/* [events] */
	uint64_t events_retention_ms;

	/* [webhooks] */
	uint64_t webhook_timeout_ms, webhook_max_age_ms, webhook_max_queued, webhook_retry_min_ms;
	bool webhook_allow_private;

	/* [scan] */
	char *clamd;  /* socket path or HOST:PORT, "" for none */
	char *rspamd; /* HOST:PORT, "" for none */
	uint64_t clamd_timeout_ms, clamd_max_size, rspamd_timeout_ms;
	char *scan_on_error; /* tempfail or quarantine */
	uint64_t scan_threads, mime_max_depth, mime_max_parts, mime_max_decoded;
	uint64_t quarantine_retention_ms, scan_max_memory;

	/* [unsubscribe] */
	char *unsub_base_url;      /* "https://host[:port]" the one-click links point at */
	char *unsub_mailto_domain; /* the domain of unsubscribe+TOKEN@ */
	uint64_t unsub_token_lifetime_ms, unsub_secret_grace_ms;

	/* [inbound]: the listener for unsubscribe mail, bounces and complaints */
	struct config_list inbound_listen;
	char *bounce_domain; /* VERP: bounces+TOKEN@BOUNCE_DOMAIN; "" for none */
	char *complaints;    /* the feedback-loop address ARF reports come to; "" for none */
	uint64_t inbound_max_size, inbound_timeout_ms, inbound_max_connections;

	/* the free-form sections, in file order ([streams]: NAME = stream | domain) */
	struct config_map routes, tls_map, concurrency_map, pools, dlp, dlp_sets, streams;
};

/* one [dlp] rule: "card", "iban", "ssn", "regex:PATTERN", "keywords:A,B", then " min=N" */
struct config_dlp_rule {
	int kind;  /* 0 card, 1 iban, 2 ssn, 3 regex, 4 keywords */
	char *arg; /* owned: the pattern or the keyword list, NULL for the built-ins */
	unsigned min;
};
int config_dlp_parse(const char *value, struct config_dlp_rule *r, char *msg, size_t msglen);

/*
 * config_pool_parse - one [pools] value: "ADDRESS=EHLO-NAME, ADDRESS=EHLO-NAME".
 * Calls fn for each pair; 0, or -1 with msg. Shared by the checks and posternd.
 */
typedef void (*config_pool_fn)(const char *addr, const char *ehlo, void *arg);
int config_pool_parse(const char *value, config_pool_fn fn, void *arg, char *msg, size_t msglen);

/*
 * config_load - parse path into a new config (caller frees with config_free).
 * NULL on error, with err as "FILE:LINE: [section] key: problem".
 */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *c);

/* config_print_keys - write the table of keys, defaults and meanings (for docs). */
void config_print_keys(void);

#endif
