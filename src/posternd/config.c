/*
 * config.c - parsing and checking the configuration file.
 *
 * libinih calls handler() per key; a custom reader counts lines so each error
 * can name its line. Defaults are strings in the table, parsed by the same
 * code as the file, so a default can never be out of bounds.
 */
#include "config.h"

#include <ini.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "cidr.h"
#include "fsio.h"
#include "log.h"
#include "strutil.h"
#include "xmalloc.h"

enum ctype {
	CT_STR,
	CT_PATH,
	CT_LIST,
	CT_ADDRS,
	CT_UINT,
	CT_SIZE,
	CT_DURATION,
	CT_LEVEL,
	CT_TRANSPORT
};

struct ckey {
	const char *section;
	const char *name;
	enum ctype type;
	size_t offset;
	const char *def; /* NULL: required (or derived, see derive()) */
	uint64_t min, max;
	const char *doc;
};

#define OFF(f) offsetof(struct config, f)
#define U64MAX UINT64_MAX

static const char default_ciphers[] = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                                      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
static const char default_suites[] =
        "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";

static const struct ckey keys[] = {
        {"server", "hostname", CT_STR, OFF(hostname), NULL, 1, 253,
         "the relay's host name (EHLO, Received, Message-ID); required"},
        {"server", "user", CT_STR, OFF(user), "postern", 1, 64,
         "account to run as after binding ports, when started as root"},
        {"server", "state_dir", CT_PATH, OFF(state_dir), "/var/lib/postern", 1, 4000,
         "where the store, the spool and the keys live"},
        {"server", "spool_dir", CT_PATH, OFF(spool_dir), "", 0, 4000,
         "the queue; default: STATE_DIR/spool"},
        {"server", "control_socket", CT_PATH, OFF(control_socket), "", 0, 4000,
         "the admin API's Unix socket; default: STATE_DIR/control.sock"},
        {"server", "log_level", CT_LEVEL, OFF(log_level), "info", 0, 0,
         "error, warn, info or debug"},

        {"smtp", "listen", CT_ADDRS, OFF(listen), "0.0.0.0:587", 0, 0,
         "submission with STARTTLS: ADDRESS:PORT list, empty for none"},
        {"smtp", "listen_tls", CT_ADDRS, OFF(listen_tls), "0.0.0.0:465", 0, 0,
         "submission over implicit TLS (RFC 8314): ADDRESS:PORT list, empty for none"},
        {"smtp", "tls_cert", CT_PATH, OFF(tls_cert), "", 0, 4000,
         "certificate chain (PEM); default: STATE_DIR/tls/cert.pem"},
        {"smtp", "tls_key", CT_PATH, OFF(tls_key), "", 0, 4000,
         "private key (PEM); default: STATE_DIR/tls/key.pem"},
        {"smtp", "tls_ciphers", CT_STR, OFF(tls_ciphers), default_ciphers, 1, 2000,
         "TLS 1.2 cipher list (forward secret AEAD only by default)"},
        {"smtp", "tls_ciphersuites", CT_STR, OFF(tls_ciphersuites), default_suites, 1, 2000,
         "TLS 1.3 cipher suites"},
        {"smtp", "max_message_size", CT_SIZE, OFF(max_message_size), "25M", 1024, 64 * 1024 * 1024,
         "largest message accepted (SIZE), octets with k/M/G"},
        {"smtp", "max_recipients", CT_UINT, OFF(max_recipients), "100", 1, 10000,
         "recipients per message"},
        {"smtp", "max_header_size", CT_SIZE, OFF(max_header_size), "1M", 1024, 16 * 1024 * 1024,
         "largest header section"},
        {"smtp", "max_errors", CT_UINT, OFF(max_errors), "10", 1, 1000,
         "errors in a session before it is closed"},
        {"smtp", "max_connections", CT_UINT, OFF(max_connections), "1000", 1, 1000000,
         "sessions at once, in total"},
        {"smtp", "max_connections_per_ip", CT_UINT, OFF(max_connections_per_ip), "50", 1, 1000000,
         "sessions at once from one client address"},
        {"smtp", "command_timeout", CT_DURATION, OFF(command_timeout_ms), "5m", 1, U64MAX,
         "time allowed for each command, idle or trickling"},
        {"smtp", "data_timeout", CT_DURATION, OFF(data_timeout_ms), "10m", 1, U64MAX,
         "time allowed for the whole content of DATA or of one BDAT chunk"},
        {"smtp", "handshake_timeout", CT_DURATION, OFF(handshake_timeout_ms), "30s", 1, U64MAX,
         "time allowed for a TLS handshake"},
        {"smtp", "banner_delay", CT_DURATION, OFF(banner_delay_ms), "0", 0, 60000,
         "wait before the greeting; a client talking first is refused"},
        {"smtp", "auth_max_failures", CT_UINT, OFF(auth_max_failures), "3", 1, 100,
         "failed AUTH per session before it is closed"},
        {"smtp", "auth_ip_max_failures", CT_UINT, OFF(auth_ip_max_failures), "20", 1, 100000,
         "failed AUTH per client address per window before AUTH is refused"},
        {"smtp", "auth_account_max_failures", CT_UINT, OFF(auth_account_max_failures), "10", 1,
         100000, "failed AUTH per user name per window before AUTH is refused"},
        {"smtp", "auth_failure_window", CT_DURATION, OFF(auth_failure_window_ms), "15m", 1000,
         U64MAX, "the window of the two limits above"},
        {"smtp", "auth_cache_ttl", CT_DURATION, OFF(auth_cache_ttl_ms), "5m", 0, U64MAX,
         "how long a verified password is remembered (0: verify every time)"},
        {"smtp", "auth_threads", CT_UINT, OFF(auth_threads), "2", 1, 64,
         "Argon2id verifications at once"},

        {"spool", "commit_threads", CT_UINT, OFF(commit_threads), "16", 1, 256,
         "file fsyncs in flight at once (group commit)"},

        {"delivery", "transport", CT_TRANSPORT, OFF(transport), "capture", 0, 0,
         "how mail leaves: capture (write .eml files)"},
        {"delivery", "capture_dir", CT_PATH, OFF(capture_dir), "", 0, 4000,
         "where the capture transport writes; default: STATE_DIR/capture"},
        {"delivery", "concurrency", CT_UINT, OFF(delivery_concurrency), "4", 1, 1000,
         "deliveries at once"},
        {"delivery", "retry", CT_DURATION, OFF(retry_ms), "60s", 1, U64MAX,
         "wait before retrying a failed delivery"},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct parse_ctx {
	struct config *c;
	bool seen[NKEYS];
	char err[512];
	int line;  /* current line, counted by reader() */
	bool cont; /* it is indented: a continuation of the previous key */
	int err_line;
	FILE *f;
};

static const char *type_hint(enum ctype t)
{
	switch (t) {
	case CT_UINT:
		return "a whole number";
	case CT_SIZE:
		return "a size such as 25M";
	case CT_DURATION:
		return "a duration such as 30s, 5m or 1h";
	case CT_LEVEL:
		return "error, warn, info or debug";
	case CT_TRANSPORT:
		return "capture";
	case CT_LIST:
		return "a comma-separated list";
	case CT_ADDRS:
		return "a list of ADDRESS:PORT such as 0.0.0.0:587 or [::]:587";
	default:
		return "text";
	}
}

static void list_clear(struct config_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* parse value into the field of k; msg says why not */
static int set_value(struct config *c, const struct ckey *k, const char *value, bool append,
                     char *msg, size_t msglen)
{
	void *field = (char *)c + k->offset;
	uint64_t v;
	int r = 0;

	switch (k->type) {
	case CT_STR:
	case CT_PATH: {
		size_t n = strlen(value);
		if (n < k->min || n > k->max) {
			snprintf(msg, msglen, "must be %" PRIu64 " to %" PRIu64 " characters",
			         k->min, k->max);
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)value[i] < 0x20) {
				snprintf(msg, msglen, "control characters are not allowed");
				return -1;
			}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	}
	case CT_ADDRS:
	case CT_LIST: {
		struct config_list *l = field;
		char *copy = xstrdup(value), *save = NULL;
		if (!append)
			list_clear(l);
		for (char *t = strtok_r(copy, ", \t", &save); t;
		     t = strtok_r(NULL, ", \t", &save)) {
			if (l->n == CONFIG_LIST_MAX) {
				snprintf(msg, msglen, "at most %d entries", CONFIG_LIST_MAX);
				r = -1;
				break;
			}
			struct sockaddr_storage ss;
			socklen_t sslen;
			if (k->type == CT_ADDRS && addrport_parse(t, &ss, &sslen) < 0) {
				snprintf(msg, msglen,
				         "'%s' is not ADDRESS:PORT (numeric, such as "
				         "0.0.0.0:587 or [::]:587)",
				         t);
				r = -1;
				break;
			}
			l->v[l->n++] = xstrdup(t);
		}
		free(copy);
		return r;
	}
	case CT_UINT:
		r = parse_u64(value, U64MAX, &v);
		break;
	case CT_SIZE:
		r = parse_size(value, &v);
		break;
	case CT_DURATION:
		r = parse_duration_ms(value, &v);
		break;
	case CT_LEVEL: {
		enum log_level lv;
		if (log_parse_level(value, &lv) < 0) {
			snprintf(msg, msglen, "must be %s", type_hint(k->type));
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	}
	case CT_TRANSPORT:
		if (strcmp(value, "capture") != 0) {
			snprintf(msg, msglen, "must be %s", type_hint(k->type));
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	}
	if (r < 0) {
		snprintf(msg, msglen, "'%s' is not %s", value, type_hint(k->type));
		return -1;
	}
	if (v < k->min || v > k->max) {
		snprintf(msg, msglen, "%s is out of range (%" PRIu64 " to %" PRIu64 ")", value,
		         k->min, k->max);
		return -1;
	}
	*(uint64_t *)field = v;
	return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *p = user;
	char msg[256];

	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0 || strcmp(keys[i].name, name) != 0)
			continue;
		/* a repeated key is a continuation line for lists, a mistake otherwise */
		bool list = keys[i].type == CT_LIST || keys[i].type == CT_ADDRS;
		if (p->seen[i] && !(list && p->cont)) {
			snprintf(msg, sizeof(msg), "given more than once");
			goto bad;
		}
		if (set_value(p->c, &keys[i], value, p->seen[i], msg, sizeof(msg)) < 0)
			goto bad;
		p->seen[i] = true;
		return 1;
	}
	bool known_section = false;
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0)
			known_section = true;
	if (!known_section)
		snprintf(msg, sizeof(msg), "unknown section");
	else
		snprintf(msg, sizeof(msg), "unknown key");
bad:
	if (p->err_line == 0) {
		p->err_line = p->line;
		snprintf(p->err, sizeof(p->err), "[%s] %s: %s", section, name, msg);
	}
	return 0;
}

/* libinih's reader: one line per call, so p->line is the line being handled */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *p = stream;
	char *r = fgets(str, num, p->f);

	if (r) {
		p->line++;
		p->cont = r[0] == ' ' || r[0] == '\t';
		size_t n = strlen(r);
		if (n == (size_t)num - 1 && r[n - 1] != '\n' && p->err_line == 0) {
			p->err_line = p->line;
			snprintf(p->err, sizeof(p->err), "line longer than %d characters", num - 2);
		}
	}
	return r;
}

static char *under(const char *dir, const char *leaf)
{
	return xasprintf("%s/%s", dir, leaf);
}

/* fill in the keys whose defaults depend on others */
static void derive(struct config *c)
{
	if (c->spool_dir[0] == '\0') {
		free(c->spool_dir);
		c->spool_dir = under(c->state_dir, "spool");
	}
	if (c->control_socket[0] == '\0') {
		free(c->control_socket);
		c->control_socket = under(c->state_dir, "control.sock");
	}
	if (c->tls_cert[0] == '\0') {
		free(c->tls_cert);
		c->tls_cert = under(c->state_dir, "tls/cert.pem");
	}
	if (c->tls_key[0] == '\0') {
		free(c->tls_key);
		c->tls_key = under(c->state_dir, "tls/key.pem");
	}
	if (c->capture_dir[0] == '\0') {
		free(c->capture_dir);
		c->capture_dir = under(c->state_dir, "capture");
	}
}

struct config *config_load(const char *path, char *err, size_t errlen)
{
	struct parse_ctx p;
	char msg[256];

	memset(&p, 0, sizeof(p));
	p.c = xcalloc(1, sizeof(*p.c));
	p.c->path = xstrdup(path);
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].def &&
		    set_value(p.c, &keys[i], keys[i].def, false, msg, sizeof(msg)) < 0)
			fatal("config: bad built-in default for [%s] %s: %s", keys[i].section,
			      keys[i].name, msg);
	p.f = fopen(path, "r");
	if (p.f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %m", path);
		config_free(p.c);
		return NULL;
	}
	int r = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.f);
	if (r != 0 || p.err_line != 0) {
		/* inih's r is the first bad line; if it precedes ours, it is a syntax error */
		if (p.err_line != 0 && (r <= 0 || r >= p.err_line))
			snprintf(err, errlen, "%s:%d: %s", path, p.err_line, p.err);
		else if (r > 0)
			snprintf(err, errlen,
			         "%s:%d: syntax error (expected [section] or key = value)", path,
			         r);
		else
			snprintf(err, errlen, "%s: cannot read", path);
		config_free(p.c);
		return NULL;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].def == NULL && !p.seen[i]) {
			snprintf(err, errlen, "%s: [%s] %s: required (%s)", path, keys[i].section,
			         keys[i].name, keys[i].doc);
			config_free(p.c);
			return NULL;
		}
	}
	if (p.c->listen.n == 0 && p.c->listen_tls.n == 0) {
		snprintf(err, errlen, "%s: [smtp] listen, listen_tls: no listener configured",
		         path);
		config_free(p.c);
		return NULL;
	}
	derive(p.c);
	if (strlen(p.c->control_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen,
		         "%s: [server] control_socket: '%s' is too long for a Unix socket (set "
		         "control_socket, or a shorter state_dir)",
		         path, p.c->control_socket);
		config_free(p.c);
		return NULL;
	}
	return p.c;
}

void config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		void *field = (char *)c + keys[i].offset;
		switch (keys[i].type) {
		case CT_STR:
		case CT_PATH:
		case CT_LEVEL:
		case CT_TRANSPORT:
			free(*(char **)field);
			break;
		case CT_LIST:
		case CT_ADDRS:
			list_clear(field);
			break;
		default:
			break;
		}
	}
	free(c->path);
	free(c);
}

void config_print_keys(void)
{
	const char *section = "";

	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(section, keys[i].section) != 0) {
			section = keys[i].section;
			printf("\n[%s]\n", section);
		}
		printf("%-26s %-12s %s\n", keys[i].name,
		       keys[i].def ? (keys[i].def[0] ? (strlen(keys[i].def) > 12 ? "(see doc)"
		                                                                 : keys[i].def)
		                                     : "(derived)")
		                   : "(required)",
		       keys[i].doc);
	}
}
