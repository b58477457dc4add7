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

#include <arpa/inet.h>

#include "address.h"
#include "cidr.h"
#include "route.h"
#include "fsio.h"
#include "log.h"
#include "strutil.h"
#include "xmalloc.h"
#include "config_internal.h"

/* the sections whose keys are domains or names of the administrator's */
enum mkind { MAP_ROUTES, MAP_TLS, MAP_CONCURRENCY, MAP_POOLS, MAP_DLP, MAP_DLP_SETS, MAP_STREAMS };
static const struct {
	const char *section;
	enum mkind kind;
	size_t offset;
} maps[] = {
        {"routes", MAP_ROUTES, offsetof(struct config, routes)},
        {"tls_policy", MAP_TLS, offsetof(struct config, tls_map)},
        {"destination_concurrency", MAP_CONCURRENCY, offsetof(struct config, concurrency_map)},
        {"pools", MAP_POOLS, offsetof(struct config, pools)},
        {"dlp", MAP_DLP, offsetof(struct config, dlp)},
        {"dlp_sets", MAP_DLP_SETS, offsetof(struct config, dlp_sets)},
        {"streams", MAP_STREAMS, offsetof(struct config, streams)},
};
#define NMAPS (sizeof(maps) / sizeof(maps[0]))

struct parse_ctx {
	struct config *c;
	bool seen[CONFIG_KEYS_MAX];
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
		return "mx, smarthost or capture";
	case CT_TLS:
		return "none, may, encrypt or verify";
	case CT_SYNC:
		return "filesystem or file";
	case CT_BOOL:
		return "yes or no";
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
	case CT_SYNC:
	case CT_TLS: {
		enum tls_policy tp;
		bool ok = k->type == CT_TLS ? tls_policy_parse(value, &tp) == 0
		          : k->type == CT_SYNC
		                  ? (strcmp(value, "filesystem") == 0 || strcmp(value, "file") == 0)
		                  : (strcmp(value, "mx") == 0 || strcmp(value, "capture") == 0 ||
		                     strcmp(value, "smarthost") == 0);
		if (!ok) {
			snprintf(msg, msglen, "must be %s", type_hint(k->type));
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	}
	case CT_ROUTE: {
		struct route_spec rs;
		if (value[0] && (route_parse(value, &rs, msg, msglen) < 0)) {
			return -1;
		}
		if (value[0] && (rs.kind != ROUTE_HOST)) {
			snprintf(msg, msglen, "must be a host, such as [relay.example.net]:587");
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	}
	case CT_BOOL: {
		bool b;
		if (parse_bool(value, &b) < 0) {
			snprintf(msg, msglen, "'%s' is not %s", value, type_hint(k->type));
			return -1;
		}
		*(bool *)field = b;
		return 0;
	}
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

static bool pool_name_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

struct pool_check {
	int n;
	char *msg;
	size_t msglen;
	bool bad;
};

static void pool_count(const char *addr, const char *ehlo, void *arg)
{
	((struct pool_check *)arg)->n++;
}

int config_pool_parse(const char *value, config_pool_fn fn, void *arg, char *msg, size_t msglen)
{
	char *copy = xstrdup(value), *save = NULL;
	int r = 0;

	for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		char *eq = strchr(t, '=');
		unsigned char bin[16];
		if (eq == NULL) {
			snprintf(msg, msglen, "'%s' is not ADDRESS=EHLO-NAME", t);
			r = -1;
			break;
		}
		*eq = '\0';
		if (inet_pton(AF_INET, t, bin) != 1 && inet_pton(AF_INET6, t, bin) != 1) {
			snprintf(msg, msglen, "'%s' is not an IP address", t);
			r = -1;
			break;
		}
		if (!addr_is_domain(eq + 1, strlen(eq + 1), false)) {
			snprintf(msg, msglen, "'%s' is not a host name for EHLO", eq + 1);
			r = -1;
			break;
		}
		fn(t, eq + 1, arg);
	}
	free(copy);
	return r;
}

/* one key of a free-form section: validate, then keep it with its line */
int config_dlp_parse(const char *value, struct config_dlp_rule *r, char *msg, size_t msglen)
{
	static const char *const kinds[] = {"card", "iban", "ssn", "regex", "keywords"};
	const char *colon = strchr(value, ':');
	const char *min = strstr(value, " min=");
	size_t klen = colon ? (size_t)(colon - value) : min ? (size_t)(min - value) : strlen(value);
	uint64_t v = 1;

	memset(r, 0, sizeof(*r));
	r->kind = -1;
	for (int i = 0; i < 5; i++)
		if (strlen(kinds[i]) == klen && strncmp(value, kinds[i], klen) == 0)
			r->kind = i;
	if (r->kind < 0) {
		snprintf(msg, msglen,
		         "a rule is card, iban, ssn, regex:PATTERN or keywords:WORD,WORD... "
		         "with an optional min=N at the end");
		return -1;
	}
	if ((r->kind >= 3) != (colon != NULL)) {
		snprintf(msg, msglen,
		         r->kind >= 3 ? "%s needs its argument after a ':'"
		                      : "%s takes no argument",
		         kinds[r->kind]);
		return -1;
	}
	/* min=N ends the value; a regex may hold " min=" only before its last one */
	for (const char *m = min; m; m = strstr(m + 1, " min="))
		min = m;
	if (min && (parse_u64(min + 5, 1000000, &v) < 0 || v == 0)) {
		snprintf(msg, msglen, "min must be a number from 1 to 1000000");
		return -1;
	}
	r->min = (unsigned)v;
	if (colon) {
		size_t alen = (size_t)((min ? min : value + strlen(value)) - colon - 1);
		if (alen == 0 || alen > 4000) {
			snprintf(msg, msglen, "the argument is empty or too long");
			return -1;
		}
		r->arg = xstrndup(colon + 1, alen);
	}
	return 0;
}

static int map_value(struct parse_ctx *p, const enum mkind *kind, struct config_map *m,
                     const char *name, const char *value, char *msg, size_t msglen)
{
	struct route_spec rs;
	enum tls_policy tp;
	uint64_t v;

	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->v[i].key, name) == 0) {
			snprintf(msg, msglen, "given more than once (line %d)", m->v[i].line);
			return -1;
		}
	}
	if (*kind == MAP_STREAMS) {
		if (!pool_name_valid(name) || strlen(name) > 32 ||
		    strcmp(name, "transactional") == 0 || strcmp(name, "domain") == 0) {
			snprintf(msg, msglen,
			         "a stream name is up to 32 lower-case letters, digits, '-' and "
			         "'_', not transactional or domain");
			return -1;
		}
		if (strcmp(value, "stream") != 0 && strcmp(value, "domain") != 0) {
			snprintf(msg, msglen,
			         "the scope of its unsubscribes: stream (this stream only) or "
			         "domain (every stream)");
			return -1;
		}
	} else if (*kind == MAP_DLP || *kind == MAP_DLP_SETS) {
		struct config_dlp_rule r;
		if (!pool_name_valid(name)) {
			snprintf(msg, msglen,
			         "a rule or set name is lower-case letters, digits, '-' "
			         "and '_'");
			return -1;
		}
		if (*kind == MAP_DLP && config_dlp_parse(value, &r, msg, msglen) < 0)
			return -1;
		if (*kind == MAP_DLP) {
			free(r.arg);
		} else if (value[0] == '\0') {
			snprintf(msg, msglen, "a set lists rule names, separated by commas");
			return -1;
		}
	} else if (*kind == MAP_POOLS) {
		struct pool_check pc = {0, msg, msglen, false};
		if (!pool_name_valid(name)) {
			snprintf(msg, msglen,
			         "a pool name is lower-case letters, digits, '-' and '_'");
			return -1;
		}
		if (config_pool_parse(value, pool_count, &pc, msg, msglen) < 0)
			return -1;
		if (pc.n == 0) {
			snprintf(msg, msglen, "a pool needs at least one ADDRESS=EHLO-NAME");
			return -1;
		}
	} else {
		if (!domain_pattern_valid(name)) {
			snprintf(msg, msglen,
			         "not a domain pattern (example.com, .example.com for its "
			         "subdomains, "
			         "or *)");
			return -1;
		}
		if (*kind == MAP_ROUTES && route_parse(value, &rs, msg, msglen) < 0)
			return -1;
		if (*kind == MAP_TLS && tls_policy_parse(value, &tp) < 0) {
			snprintf(msg, msglen, "must be none, may, encrypt or verify");
			return -1;
		}
		if (*kind == MAP_CONCURRENCY && (parse_u64(value, 1000, &v) < 0 || v == 0)) {
			snprintf(msg, msglen, "must be a number from 1 to 1000");
			return -1;
		}
	}
	m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
	m->v[m->n++] = (struct config_pair){xstrdup(name), xstrdup(value), p->line};
	return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *p = user;
	char msg[256];

	for (size_t i = 0; i < config_nkeys; i++) {
		if (strcmp(config_keys[i].section, section) != 0 ||
		    strcmp(config_keys[i].name, name) != 0)
			continue;
		/* a repeated key is a continuation line for lists, a mistake otherwise */
		bool list = config_keys[i].type == CT_LIST || config_keys[i].type == CT_ADDRS;
		if (p->seen[i] && !(list && p->cont)) {
			snprintf(msg, sizeof(msg), "given more than once");
			goto bad;
		}
		if (set_value(p->c, &config_keys[i], value, p->seen[i], msg, sizeof(msg)) < 0)
			goto bad;
		p->seen[i] = true;
		return 1;
	}
	for (size_t i = 0; i < NMAPS; i++) {
		if (strcmp(maps[i].section, section) != 0)
			continue;
		if (map_value(p, &maps[i].kind,
		              (struct config_map *)((char *)p->c + maps[i].offset), name, value,
		              msg, sizeof(msg)) < 0)
			goto bad;
		return 1;
	}
	bool known_section = false;
	for (size_t i = 0; i < config_nkeys; i++)
		if (strcmp(config_keys[i].section, section) == 0)
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
	if (c->dkim_key_dir[0] == '\0') {
		free(c->dkim_key_dir);
		c->dkim_key_dir = under(c->state_dir, "keys");
	}
	if (c->capture_dir[0] == '\0') {
		free(c->capture_dir);
		c->capture_dir = under(c->state_dir, "capture");
	}
	if (c->unsub_base_url[0] == '\0') {
		free(c->unsub_base_url);
		c->unsub_base_url = xasprintf("https://%s", c->hostname);
	}
	if (c->unsub_mailto_domain[0] == '\0') {
		free(c->unsub_mailto_domain);
		c->unsub_mailto_domain = xstrdup(c->hostname);
	}
}

/* what no single key can say wrong: keys that need each other */
static int cross_check(const struct config *c, const char *path, char *err, size_t errlen)
{
	bool uses_smarthost = strcmp(c->transport, "smarthost") == 0;

	for (size_t i = 0; i < c->routes.n; i++) {
		if (strcmp(c->routes.v[i].value, "smarthost") == 0 && c->smarthost[0] == '\0') {
			snprintf(err, errlen,
			         "%s:%d: [routes] %s: routes to the smarthost, but [delivery] "
			         "smarthost is not set",
			         path, c->routes.v[i].line, c->routes.v[i].key);
			return -1;
		}
	}
	if (uses_smarthost && c->smarthost[0] == '\0') {
		snprintf(err, errlen,
		         "%s: [delivery] smarthost: required when transport = smarthost", path);
		return -1;
	}
	if (c->smarthost_user[0] && strcmp(c->smarthost_tls, "verify") != 0) {
		snprintf(err, errlen,
		         "%s: [delivery] smarthost_tls: must be verify when "
		         "smarthost_user is set (credentials go only to a verified server)",
		         path);
		return -1;
	}
	/* a selector is a DNS label (RFC 6376 3.1) and a file name under key_dir */
	const char *sp = c->dkim_selector_prefix;
	size_t splen = strlen(sp);
	if (splen == 0 || strspn(sp, "abcdefghijklmnopqrstuvwxyz0123456789-") != splen ||
	    sp[0] == '-' || sp[splen - 1] == '-') {
		snprintf(err, errlen,
		         "%s: [dkim] selector_prefix: %s: lower-case letters, digits and inner "
		         "hyphens only (it starts a DNS label)",
		         path, sp);
		return -1;
	}
	if ((c->smarthost_user[0] == '\0') != (c->smarthost_password_file[0] == '\0')) {
		snprintf(err, errlen,
		         "%s: [delivery] smarthost_user, smarthost_password_file: give "
		         "both or neither",
		         path);
		return -1;
	}
	if (c->admin_listen.n > 0 && c->admin_token_file[0] == '\0') {
		snprintf(err, errlen,
		         "%s: [api] admin_token_file: required with admin_listen (nobody may "
		         "administer the relay over TCP without a token)",
		         path);
		return -1;
	}
	if (strcmp(c->scan_on_error, "tempfail") != 0 &&
	    strcmp(c->scan_on_error, "quarantine") != 0) {
		snprintf(err, errlen, "%s: [scan] on_error: must be tempfail or quarantine", path);
		return -1;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	if (c->clamd[0] && c->clamd[0] != '/' && addrport_parse(c->clamd, &ss, &sl) < 0) {
		snprintf(err, errlen,
		         "%s: [scan] clamd: %s is neither an absolute socket path nor "
		         "ADDRESS:PORT",
		         path, c->clamd);
		return -1;
	}
	if (c->rspamd[0] && addrport_parse(c->rspamd, &ss, &sl) < 0) {
		snprintf(err, errlen, "%s: [scan] rspamd: %s is not ADDRESS:PORT", path, c->rspamd);
		return -1;
	}
	if (c->bounce_domain[0] &&
	    !addr_is_domain(c->bounce_domain, strlen(c->bounce_domain), false)) {
		snprintf(err, errlen, "%s: [inbound] bounce_domain: not a domain name", path);
		return -1;
	}
	struct mailaddr ma;
	enum reply why;
	if (c->complaints[0] &&
	    addr_parse_mailbox(c->complaints, strlen(c->complaints), false, &ma, &why) < 0) {
		snprintf(err, errlen, "%s: [inbound] complaints: not an address (local@domain)",
		         path);
		return -1;
	}
	const char *u = c->unsub_base_url;
	size_t ul = strlen(u);
	if (u[0] && ((strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0) ||
	             u[ul - 1] == '/' ||
	             strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	                       "-._~:/[]%") != ul)) {
		snprintf(err, errlen,
		         "%s: [unsubscribe] base_url: must be https://HOST[:PORT][/PATH] without "
		         "a final '/', query or fragment",
		         path);
		return -1;
	}
	/* a set names rules that exist */
	for (size_t i = 0; i < c->dlp_sets.n; i++) {
		char *list = xstrdup(c->dlp_sets.v[i].value), *save = NULL;
		for (char *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
			bool found = false;
			for (size_t k = 0; k < c->dlp.n; k++)
				found |= strcmp(c->dlp.v[k].key, t) == 0;
			if (!found) {
				snprintf(err, errlen,
				         "%s:%d: [dlp_sets] %s: no rule named %s in [dlp]", path,
				         c->dlp_sets.v[i].line, c->dlp_sets.v[i].key, t);
				free(list);
				return -1;
			}
		}
		free(list);
	}
	if (c->pool[0]) {
		bool found = false;
		for (size_t i = 0; i < c->pools.n; i++)
			if (strcmp(c->pools.v[i].key, c->pool) == 0)
				found = true;
		if (!found) {
			snprintf(err, errlen, "%s: [delivery] pool: no pool named '%s' in [pools]",
			         path, c->pool);
			return -1;
		}
	}
	return 0;
}

struct config *config_load(const char *path, char *err, size_t errlen)
{
	struct parse_ctx p;
	char msg[256];

	if (config_nkeys > CONFIG_KEYS_MAX)
		abort(); /* a key added past the table's bound: raise CONFIG_KEYS_MAX */
	memset(&p, 0, sizeof(p));
	p.c = xcalloc(1, sizeof(*p.c));
	p.c->path = xstrdup(path);
	for (size_t i = 0; i < config_nkeys; i++)
		if (config_keys[i].def && set_value(p.c, &config_keys[i], config_keys[i].def, false,
		                                    msg, sizeof(msg)) < 0)
			fatal("config: bad built-in default for [%s] %s: %s",
			      config_keys[i].section, config_keys[i].name, msg);
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
	for (size_t i = 0; i < config_nkeys; i++) {
		if (config_keys[i].def == NULL && !p.seen[i]) {
			snprintf(err, errlen, "%s: [%s] %s: required (%s)", path,
			         config_keys[i].section, config_keys[i].name, config_keys[i].doc);
			config_free(p.c);
			return NULL;
		}
	}
	if (p.c->listen.n == 0 && p.c->listen_tls.n == 0 && p.c->api_listen.n == 0 &&
	    p.c->api_listen_tls.n == 0) {
		snprintf(err, errlen,
		         "%s: [smtp] listen, listen_tls, [api] listen, listen_tls: no listener "
		         "configured",
		         path);
		config_free(p.c);
		return NULL;
	}
	derive(p.c);
	if (cross_check(p.c, path, err, errlen) < 0) {
		config_free(p.c);
		return NULL;
	}
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
	for (size_t i = 0; i < config_nkeys; i++) {
		void *field = (char *)c + config_keys[i].offset;
		switch (config_keys[i].type) {
		case CT_STR:
		case CT_PATH:
		case CT_LEVEL:
		case CT_TRANSPORT:
		case CT_SYNC:
		case CT_TLS:
		case CT_ROUTE:
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
	for (size_t i = 0; i < NMAPS; i++) {
		struct config_map *m = (struct config_map *)((char *)c + maps[i].offset);
		for (size_t k = 0; k < m->n; k++) {
			free(m->v[k].key);
			free(m->v[k].value);
		}
		free(m->v);
	}
	free(c->path);
	free(c);
}

void config_print_keys(void)
{
	const char *section = "";

	printf("free-form sections:\n"
	       "[routes]                   DOMAIN-PATTERN = mx | smarthost | capture | host[:port] "
	       "| "
	       "[host][:port]\n"
	       "[tls_policy]               DOMAIN-PATTERN = none | may | encrypt | verify\n"
	       "[destination_concurrency]  DOMAIN-PATTERN = connections (1-1000)\n"
	       "[pools]                    NAME = ADDRESS=EHLO-NAME, ...\n"
	       "(DOMAIN-PATTERN: example.com, .example.com for its subdomains, * for all)\n");

	for (size_t i = 0; i < config_nkeys; i++) {
		if (strcmp(section, config_keys[i].section) != 0) {
			section = config_keys[i].section;
			printf("\n[%s]\n", section);
		}
		printf("%-26s %-12s %s\n", config_keys[i].name,
		       config_keys[i].def
		               ? (config_keys[i].def[0]
		                          ? (strlen(config_keys[i].def) > 12 ? "(see doc)"
		                                                             : config_keys[i].def)
		                          : "(derived)")
		               : "(required)",
		       config_keys[i].doc);
	}
}
