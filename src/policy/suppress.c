/* suppress.c - streams, the suppression list and unsubscribe links (suppress.h) */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "eventlog.h"
#include "fsio.h"
#include "log.h"
#include "strutil.h"
#include "suppress.h"
#include "xmalloc.h"

struct suppress {
	struct store *st;    /* borrowed */
	struct eventlog *ev; /* borrowed */
	char *key_path;
	char **streams, **scopes;
	size_t nstreams;
	char *base_url, *mailto_domain, *bounce_domain;
	int64_t lifetime, grace;
	unsigned char secret[UNSUB_SECRET_LEN];
	unsigned char previous[UNSUB_SECRET_LEN];
	int64_t rotated_at; /* when previous stopped being current; 0: there is none */
	/*
	 * A Bloom filter of every address (and "@domain") on the list: most
	 * recipients are on no list, and the filter says so without the store,
	 * whose page cache every event written invalidates. A removed address
	 * stays in it (a false positive costs one lookup); past its capacity it
	 * is rebuilt twice as large.
	 */
	uint64_t *bloom;
	size_t bloom_bits; /* a power of two */
	size_t bloom_n;    /* addresses put in */
	unsigned char bloom_key[crypto_shorthash_KEYBYTES];
};

#define BLOOM_K       7          /* hashes: about 1% false positives at 10 bits an address */
#define BLOOM_MIN     (1u << 23) /* bits: 1 MiB, room for 800,000 addresses */
#define BLOOM_PER_KEY 10

static void clear_streams(struct suppress *sp)
{
	for (size_t i = 0; i < sp->nstreams; i++) {
		free(sp->streams[i]);
		free(sp->scopes[i]);
	}
	free(sp->streams);
	free(sp->scopes);
	sp->streams = sp->scopes = NULL;
	sp->nstreams = 0;
}

void suppress_configure(struct suppress *sp, const struct suppress_config *cfg)
{
	clear_streams(sp);
	sp->streams = xcalloc(cfg->nstreams + 1, sizeof(char *));
	sp->scopes = xcalloc(cfg->nstreams + 1, sizeof(char *));
	for (size_t i = 0; i < cfg->nstreams; i++) {
		sp->streams[i] = xstrdup(cfg->streams[i]);
		sp->scopes[i] = xstrdup(cfg->scopes[i]);
	}
	sp->nstreams = cfg->nstreams;
	free(sp->base_url);
	free(sp->mailto_domain);
	free(sp->bounce_domain);
	sp->bounce_domain = xstrdup(cfg->bounce_domain ? cfg->bounce_domain : "");
	sp->base_url = xstrdup(cfg->base_url);
	sp->mailto_domain = xstrdup(cfg->mailto_domain);
	sp->lifetime = cfg->token_lifetime;
	sp->grace = cfg->secret_grace;
}

static void bloom_hashes(const struct suppress *sp, const char *key, uint64_t *h1, uint64_t *h2)
{
	unsigned char out[crypto_shorthash_BYTES];

	crypto_shorthash(out, (const unsigned char *)key, strlen(key), sp->bloom_key);
	memcpy(h1, out, 8);
	*h2 = (*h1 >> 32 | *h1 << 32) * 0x9e3779b97f4a7c15ULL | 1;
}

static void bloom_put(struct suppress *sp, const char *key)
{
	uint64_t h1, h2;

	bloom_hashes(sp, key, &h1, &h2);
	for (unsigned i = 0; i < BLOOM_K; i++) {
		uint64_t b = (h1 + i * h2) & (sp->bloom_bits - 1);
		sp->bloom[b >> 6] |= 1ULL << (b & 63);
	}
	sp->bloom_n++;
}

static bool bloom_may(const struct suppress *sp, const char *key)
{
	uint64_t h1, h2;

	if (sp->bloom == NULL)
		return true;
	bloom_hashes(sp, key, &h1, &h2);
	for (unsigned i = 0; i < BLOOM_K; i++) {
		uint64_t b = (h1 + i * h2) & (sp->bloom_bits - 1);
		if (!(sp->bloom[b >> 6] & (1ULL << (b & 63))))
			return false;
	}
	return true;
}

static void bloom_row(const struct store_suppression *e, void *arg)
{
	bloom_put(arg, e->address);
}

/* bloom_build - a filter of nbits bits (at least) of every address on the list */
static void bloom_build(struct suppress *sp, size_t want)
{
	char err[256];
	size_t bits = BLOOM_MIN;
	struct store_supp_query q = {0};

	while (bits < want * BLOOM_PER_KEY)
		bits <<= 1;
	free(sp->bloom);
	sp->bloom_bits = bits;
	sp->bloom = xcalloc(bits / 64, sizeof(uint64_t));
	sp->bloom_n = 0;
	if (store_suppressions_each(sp->st, &q, bloom_row, sp, err, sizeof(err)) < 0) {
		/* without a complete filter, every lookup goes to the store */
		log_err("suppression filter not built error=\"%s\"", err);
		free(sp->bloom);
		sp->bloom = NULL;
	}
}

void suppress_noted(struct suppress *sp, const char *address)
{
	if (sp == NULL || sp->bloom == NULL)
		return;
	if ((sp->bloom_n + 1) * BLOOM_PER_KEY > sp->bloom_bits) {
		/* full: twice as large, from the store (which has the new address already) */
		size_t n = sp->bloom_n;
		bloom_build(sp, 2 * (n + 1));
		log_info("suppression filter rebuilt addresses=%zu bits=%zu", sp->bloom_n,
		         sp->bloom_bits);
		return;
	}
	bloom_put(sp, address);
}

static int parse_hex(const char *s, unsigned char out[UNSUB_SECRET_LEN])
{
	size_t n = 0;

	if (sodium_hex2bin(out, UNSUB_SECRET_LEN, s, strlen(s), NULL, &n, NULL) != 0 ||
	    n != UNSUB_SECRET_LEN)
		return -1;
	return 0;
}

static int save_key(struct suppress *sp, char *err, size_t errlen)
{
	char cur[2 * UNSUB_SECRET_LEN + 1], prev[2 * UNSUB_SECRET_LEN + 1];
	struct buf b;

	sodium_bin2hex(cur, sizeof(cur), sp->secret, UNSUB_SECRET_LEN);
	buf_init(&b);
	buf_printf(&b, "postern-unsubscribe-key 1\ncurrent %s\n", cur);
	if (sp->rotated_at) {
		sodium_bin2hex(prev, sizeof(prev), sp->previous, UNSUB_SECRET_LEN);
		buf_printf(&b, "previous %s %" PRId64 "\n", prev, sp->rotated_at);
		sodium_memzero(prev, sizeof(prev));
	}
	int rc = file_write_atomic(sp->key_path, b.data, b.len, 0600, err, errlen);
	sodium_memzero(cur, sizeof(cur));
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	return rc;
}

/* load_key - read the key file, or make one; 0 or -1 with err */
static int load_key(struct suppress *sp, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	char e2[256];

	if (file_read(sp->key_path, 4096, &text, &len, e2, sizeof(e2)) < 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s", e2);
			return -1;
		}
		randombytes_buf(sp->secret, UNSUB_SECRET_LEN);
		sp->rotated_at = 0;
		return save_key(sp, err, errlen);
	}
	bool have = false;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char hex[2 * UNSUB_SECRET_LEN + 2];
		long long t = 0;
		if (sscanf(l, "current %65s", hex) == 1 && parse_hex(hex, sp->secret) == 0)
			have = true;
		else if (sscanf(l, "previous %65s %lld", hex, &t) == 2 &&
		         parse_hex(hex, sp->previous) == 0)
			sp->rotated_at = t;
	}
	sodium_memzero(text, len);
	free(text);
	if (!have) {
		snprintf(err, errlen, "%s: no current secret in it", sp->key_path);
		return -1;
	}
	return 0;
}

struct suppress *suppress_new(struct store *st, struct eventlog *ev, const char *key_path,
                              const struct suppress_config *cfg, char *err, size_t errlen)
{
	struct suppress *sp = xcalloc(1, sizeof(*sp));

	sp->st = st;
	sp->ev = ev;
	sp->key_path = xstrdup(key_path);
	suppress_configure(sp, cfg);
	if (load_key(sp, err, errlen) < 0) {
		suppress_free(sp);
		return NULL;
	}
	randombytes_buf(sp->bloom_key, sizeof(sp->bloom_key));
	bloom_build(sp, 0);
	if (sp->bloom && sp->bloom_n * BLOOM_PER_KEY > sp->bloom_bits)
		bloom_build(sp, 2 * sp->bloom_n); /* room to grow, at 10 bits an address */
	if (sp->bloom)
		log_info("suppression list loaded addresses=%zu filter_bits=%zu", sp->bloom_n,
		         sp->bloom_bits);
	return sp;
}

void suppress_free(struct suppress *sp)
{
	if (sp == NULL)
		return;
	clear_streams(sp);
	free(sp->key_path);
	free(sp->base_url);
	free(sp->mailto_domain);
	free(sp->bounce_domain);
	sodium_memzero(sp->secret, sizeof(sp->secret));
	sodium_memzero(sp->previous, sizeof(sp->previous));
	free(sp->bloom);
	free(sp);
}

int suppress_rotate(struct suppress *sp, char *err, size_t errlen)
{
	unsigned char old[UNSUB_SECRET_LEN], oldprev[UNSUB_SECRET_LEN];
	int64_t oldat = sp->rotated_at;

	memcpy(old, sp->secret, sizeof(old));
	memcpy(oldprev, sp->previous, sizeof(oldprev));
	memcpy(sp->previous, sp->secret, UNSUB_SECRET_LEN);
	sp->rotated_at = (int64_t)time(NULL);
	randombytes_buf(sp->secret, UNSUB_SECRET_LEN);
	if (save_key(sp, err, errlen) < 0) {
		/* nothing changed: the file and the memory still agree */
		memcpy(sp->secret, old, sizeof(old));
		memcpy(sp->previous, oldprev, sizeof(oldprev));
		sp->rotated_at = oldat;
		return -1;
	}
	sodium_memzero(old, sizeof(old));
	sodium_memzero(oldprev, sizeof(oldprev));
	log_info("unsubscribe secret rotated grace=%" PRId64 "s", sp->grace);
	return 0;
}

static int stream_index(const struct suppress *sp, const char *stream)
{
	for (size_t i = 0; i < sp->nstreams; i++)
		if (strcmp(sp->streams[i], stream) == 0)
			return (int)i;
	return -1;
}

bool suppress_stream_valid(const struct suppress *sp, const char *stream)
{
	return stream == NULL || stream[0] == '\0' || strcmp(stream, "transactional") == 0 ||
	       stream_index(sp, stream) >= 0;
}

bool suppress_broadcast(const struct suppress *sp, const char *stream)
{
	return stream != NULL && stream[0] != '\0' && stream_index(sp, stream) >= 0;
}

const char *suppress_scope_of(const struct suppress *sp, const char *stream)
{
	int i = stream ? stream_index(sp, stream) : -1;

	if (i >= 0 && strcmp(sp->scopes[i], "domain") == 0)
		return "domain";
	return stream && stream[0] ? stream : "transactional";
}

int suppress_normalize(const char *addr, bool allow_domain, char *out, size_t outlen)
{
	struct mailaddr a;
	enum reply why;
	size_t n = strlen(addr);

	if (n == 0 || n >= outlen || n > STORE_ADDR_MAX)
		return -1;
	if (addr[0] == '@') {
		if (!allow_domain || !addr_is_domain(addr + 1, n - 1, true))
			return -1;
	} else if (addr_parse_mailbox(addr, n, true, &a, &why) < 0) {
		return -1;
	}
	for (size_t i = 0; i <= n; i++)
		out[i] = ascii_lower(addr[i]);
	return 0;
}

bool suppress_check(struct suppress *sp, const char *stream, const char *rcpt,
                    struct store_suppression *out)
{
	char addr[STORE_ADDR_MAX + 2], dom[STORE_ADDR_MAX + 2], err[256];

	if (sp == NULL || suppress_normalize(rcpt, false, addr, sizeof(addr)) < 0)
		return false;
	const char *at = strrchr(addr, '@');
	snprintf(dom, sizeof(dom), "%s", at);
	if (!bloom_may(sp, addr) && !bloom_may(sp, dom))
		return false; /* on no list: the common case, without the store */
	int rc = store_suppression_find(sp->st, addr, dom,
	                                stream && stream[0] ? stream : "transactional", out, err,
	                                sizeof(err));
	if (rc < 0)
		log_err("suppression lookup failed error=\"%s\"", err);
	return rc == 0;
}

static void json_str(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
}

int suppress_add(struct suppress *sp, struct store_suppression *e, char *err, size_t errlen)
{
	char addr[STORE_ADDR_MAX + 2];

	if (suppress_normalize(e->address, true, addr, sizeof(addr)) < 0) {
		snprintf(err, errlen, "not an address (local@domain or @domain)");
		return -1;
	}
	memcpy(e->address, addr, strlen(addr) + 1);
	if (e->created_at == 0)
		e->created_at = (int64_t)time(NULL);
	int rc = store_suppression_put(sp->st, e, false, err, errlen);
	if (rc == STORE_EXISTS)
		return 0; /* already on the list: the first reason stands */
	if (rc < 0)
		return -1;
	suppress_noted(sp, e->address);
	struct buf d;
	buf_init(&d);
	buf_puts(&d, "{\"scope\":");
	json_str(&d, e->scope);
	buf_puts(&d, ",\"reason\":");
	json_str(&d, e->reason);
	buf_puts(&d, ",\"origin\":");
	json_str(&d, e->origin);
	if (e->detail[0]) {
		buf_puts(&d, ",\"detail\":");
		json_str(&d, e->detail);
	}
	buf_putc(&d, '}');
	eventlog_add(sp->ev, "suppression", 0, e->source[0] ? e->source : NULL, NULL, e->address,
	             NULL, d.data);
	buf_release(&d);
	log_info("suppression added address=%s scope=%s reason=%s origin=%s", e->address, e->scope,
	         e->reason, e->origin);
	return 0;
}

int suppress_headers(struct suppress *sp, uint64_t id, const char *rcpt, const char *stream,
                     const char *source, struct buf *out)
{
	struct unsub_claim c;
	struct buf tok;
	char mt[VERP_TOKEN_LEN + 1];

	memset(&c, 0, sizeof(c));
	if (suppress_normalize(rcpt, false, c.rcpt, sizeof(c.rcpt)) < 0 ||
	    strlen(stream) > STORE_STREAM_MAX || strlen(source) > SOURCE_NAME_MAX)
		return -1;
	memcpy(c.stream, stream, strlen(stream) + 1);
	memcpy(c.source, source, strlen(source) + 1);
	c.issued = (int64_t)time(NULL);
	buf_init(&tok);
	if (unsub_token_make(sp->secret, &c, &tok) < 0) {
		buf_release(&tok);
		return -1;
	}
	/* the mailto names the message (its one recipient), short enough for a local part */
	verp_token_make(sp->secret, "unsub", id, mt);
	/* folded before each URI: the token alone can pass 78 octets, never 998 */
	buf_printf(out, "List-Unsubscribe:\r\n <%s/u/%s>,\r\n <mailto:unsubscribe+%s@%s>\r\n",
	           sp->base_url, tok.data, mt, sp->mailto_domain);
	buf_puts(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
	buf_release(&tok);
	return 0;
}

static size_t secrets_of(const struct suppress *sp, unsigned char out[2][UNSUB_SECRET_LEN]);

enum unsub_verdict suppress_token_read(struct suppress *sp, const char *token,
                                       struct unsub_claim *out)
{
	unsigned char secrets[2][UNSUB_SECRET_LEN];
	int64_t now = (int64_t)time(NULL);
	size_t n = secrets_of(sp, secrets);
	enum unsub_verdict v = unsub_token_read((const unsigned char(*)[UNSUB_SECRET_LEN])secrets,
	                                        n, token, now, sp->lifetime, out);
	sodium_memzero(secrets, sizeof(secrets));
	return v;
}

void suppress_event_detail(const struct store_suppression *why, const char *where, struct buf *out)
{
	buf_puts(out, "{\"scope\":");
	json_str(out, why->scope);
	buf_puts(out, ",\"reason\":");
	json_str(out, why->reason);
	buf_puts(out, ",\"at\":");
	json_str(out, where);
	buf_putc(out, '}');
}

void suppressed_event(struct eventlog *ev, uint64_t id, const char *source, const char *sender,
                      const char *rcpt, const struct store_suppression *why, const char *where)
{
	struct buf d;

	buf_init(&d);
	suppress_event_detail(why, where, &d);
	eventlog_add(ev, "suppressed", id, source, sender, rcpt, NULL, d.data);
	buf_release(&d);
}

/* the secrets that verify: the current one, and the one before within the grace */
static size_t secrets_of(const struct suppress *sp, unsigned char out[2][UNSUB_SECRET_LEN])
{
	size_t n = 1;

	memcpy(out[0], sp->secret, UNSUB_SECRET_LEN);
	if (sp->rotated_at && (int64_t)time(NULL) - sp->rotated_at <= sp->grace)
		memcpy(out[n++], sp->previous, UNSUB_SECRET_LEN);
	return n;
}

bool suppress_verp(struct suppress *sp, uint64_t id, size_t idx, const char *rcpt, struct buf *out)
{
	char tok[RCPT_TOKEN_LEN + 1], addr[STORE_ADDR_MAX + 2];

	if (sp == NULL || sp->bounce_domain == NULL || sp->bounce_domain[0] == '\0' ||
	    idx > 0xffff || suppress_normalize(rcpt, false, addr, sizeof(addr)) < 0)
		return false;
	rcpt_token_make(sp->secret, id, (unsigned)idx, addr, tok);
	buf_printf(out, "bounces+%s@%s", tok, sp->bounce_domain);
	return true;
}

bool suppress_verp_read(struct suppress *sp, const char *token, size_t len, const char *rcpt,
                        uint64_t *id)
{
	unsigned char secrets[2][UNSUB_SECRET_LEN];
	char addr[STORE_ADDR_MAX + 2];
	size_t n = secrets_of(sp, secrets);
	unsigned idx;

	if (rcpt != NULL && suppress_normalize(rcpt, false, addr, sizeof(addr)) < 0)
		return false;
	bool ok = rcpt_token_read((const unsigned char(*)[UNSUB_SECRET_LEN])secrets, n, token, len,
	                          rcpt ? addr : NULL, id, &idx);
	sodium_memzero(secrets, sizeof(secrets));
	return ok;
}

bool suppress_msg_token_read(struct suppress *sp, const char *label, const char *token, size_t len,
                             uint64_t *id)
{
	unsigned char secrets[2][UNSUB_SECRET_LEN];
	size_t n = secrets_of(sp, secrets);
	bool ok = verp_token_read((const unsigned char(*)[UNSUB_SECRET_LEN])secrets, n, label,
	                          token, len, id);

	sodium_memzero(secrets, sizeof(secrets));
	return ok;
}

const char *suppress_mailto_domain(const struct suppress *sp)
{
	return sp->mailto_domain;
}

const char *suppress_bounce_domain(const struct suppress *sp)
{
	return sp->bounce_domain ? sp->bounce_domain : "";
}
