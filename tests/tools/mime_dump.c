/*
 * mime_dump.c - what the streaming MIME parser (src/mail/mime.h) sees in a
 * message, one JSON line per message, for the differential test against
 * Python's email package (tests/integration/test_mime_differential.py).
 *
 * Usage: mime_dump [-x] [-p MAX] [FILE...]; no FILE (or "-") reads stdin.
 * -p feeds each message in pieces of 1 to MAX octets (sizes from a fixed
 * seed, so a run is repeatable) instead of whole; -x adds each leaf's
 * decoded content in hex. Each line holds the verdict, its reason, the
 * counts, the decoded Subject and every leaf part (index, depth, type,
 * charset, file name, flags, size and SHA-256 of its content), and
 * "errors": the parser's own contract broken (see mime_part_fn), which the
 * test requires empty. Trusts nothing in the input; a test tool, not
 * installed.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "mime.h"
#include "utf8.h"

struct leaf {
	size_t index;
	int depth;
	char *type, *charset, *filename;
	bool attachment, text, charset_unknown, ended;
	uint64_t size;
	crypto_hash_sha256_state sha;
	struct buf hex;
};

struct dump {
	struct leaf *v;
	size_t n, cap;
	bool hex;
	struct buf errors; /* JSON strings, comma-separated */
};

static char *dup_or_null(const char *s)
{
	if (s == NULL)
		return NULL;
	char *d = strdup(s);
	if (d == NULL)
		abort();
	return d;
}

/* put_str - s as a JSON string; octets of invalid UTF-8 come out as \u00XX */
static void put_str(struct buf *o, const char *s, size_t n)
{
	bool valid = utf8_valid(s, n);

	buf_putc(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			buf_printf(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !valid))
			buf_printf(o, "\\u%04x", c);
		else
			buf_putc(o, (char)c);
	}
	buf_putc(o, '"');
}

static void put_opt(struct buf *o, const char *s)
{
	if (s == NULL)
		buf_puts(o, "null");
	else
		put_str(o, s, strlen(s));
}

static void error(struct dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* error - the parser broke its contract: a line in "errors" */
static void error(struct dump *d, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->errors.len > 0)
		buf_putc(&d->errors, ',');
	put_str(&d->errors, msg, strlen(msg));
}

/* on_part - one piece of a leaf: a new leaf starts when the last one has ended */
static void on_part(const struct mime_part_info *p, const char *data, size_t n, bool last,
                    void *arg)
{
	struct dump *d = arg;
	struct leaf *l = d->n > 0 ? &d->v[d->n - 1] : NULL;

	if (l != NULL && !l->ended && l->index != p->index)
		error(d, "leaf %zu started before the one before it ended", p->index);
	if (l != NULL && l->index >= p->index && l->ended)
		error(d, "leaf %zu called again, or out of walk order", p->index);
	if (l == NULL || l->ended || l->index != p->index) {
		if (d->n == d->cap) {
			d->cap = d->cap ? 2 * d->cap : 16;
			d->v = realloc(d->v, d->cap * sizeof(*d->v));
			if (d->v == NULL)
				abort();
		}
		l = &d->v[d->n++];
		memset(l, 0, sizeof(*l));
		l->index = p->index;
		l->depth = p->depth;
		l->type = dup_or_null(p->content_type);
		l->charset = dup_or_null(p->charset);
		l->filename = dup_or_null(p->filename);
		l->attachment = p->attachment;
		l->text = p->text;
		l->charset_unknown = p->charset_unknown;
		crypto_hash_sha256_init(&l->sha);
		buf_init(&l->hex);
	}
	if (n > MIME_CHUNK)
		error(d, "leaf %zu: a piece over MIME_CHUNK", p->index);
	if (p->text && !utf8_valid(data, n))
		error(d, "leaf %zu: text that is not UTF-8", p->index);
	crypto_hash_sha256_update(&l->sha, (const unsigned char *)data, n);
	l->size += n;
	for (size_t i = 0; d->hex && i < n; i++)
		buf_printf(&l->hex, "%02x", (unsigned char)data[i]);
	l->ended = last;
}

static void put_leaf(struct buf *o, struct leaf *l, bool hex)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_final(&l->sha, h);
	buf_printf(o, "{\"index\":%zu,\"depth\":%d,\"type\":", l->index, l->depth);
	put_opt(o, l->type);
	buf_puts(o, ",\"charset\":");
	put_opt(o, l->charset);
	buf_puts(o, ",\"filename\":");
	put_opt(o, l->filename);
	buf_printf(o, ",\"attachment\":%s,\"text\":%s,\"charset_unknown\":%s,\"ended\":%s",
	           l->attachment ? "true" : "false", l->text ? "true" : "false",
	           l->charset_unknown ? "true" : "false", l->ended ? "true" : "false");
	buf_printf(o, ",\"size\":%llu,\"sha256\":\"", (unsigned long long)l->size);
	for (size_t i = 0; i < sizeof(h); i++)
		buf_printf(o, "%02x", h[i]);
	buf_putc(o, '"');
	if (hex) {
		buf_puts(o, ",\"hex\":\"");
		buf_append(o, l->hex.data, l->hex.len);
		buf_putc(o, '"');
	}
	buf_putc(o, '}');
}

/* next - xorshift64: the piece sizes, the same on every run */
static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* dump - parse msg (n octets) fed in pieces of 1..piece octets (0: whole), print one line */
static void dump(const char *name, const char *msg, size_t n, size_t piece, bool hex)
{
	struct dump d = {.hex = hex};
	struct mime_result r;
	struct buf o;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t pos = 0;

	buf_init(&d.errors);
	struct mime_parser *m = mime_new(NULL, on_part, &d);
	while (pos < n) {
		size_t k = piece == 0 ? n - pos : 1 + (size_t)(next(&seed) % piece);
		if (k > n - pos)
			k = n - pos;
		if (mime_feed(m, msg + pos, k) < 0)
			break;
		pos += k;
	}
	mime_finish(m, &r);
	if (r.status == MIME_OK && d.n > 0 && !d.v[d.n - 1].ended)
		error(&d, "leaf %zu had no last call", d.v[d.n - 1].index);

	buf_init(&o);
	buf_puts(&o, "{\"file\":");
	put_str(&o, name, strlen(name));
	buf_printf(&o, ",\"status\":\"%s\",\"why\":", mime_status_name(r.status));
	put_str(&o, r.why, strlen(r.why));
	buf_printf(&o, ",\"parts\":%zu,\"depth\":%d,\"decoded\":%llu,\"subject\":", r.parts,
	           r.max_depth, (unsigned long long)r.decoded);
	put_opt(&o, r.subject);
	if (r.subject != NULL && !utf8_valid(r.subject, strlen(r.subject)))
		error(&d, "the Subject is not UTF-8");
	buf_puts(&o, ",\"leaves\":[");
	for (size_t i = 0; i < d.n; i++) {
		struct leaf *l = &d.v[i];
		if (l->filename != NULL && !utf8_valid(l->filename, strlen(l->filename)))
			error(&d, "leaf %zu: a file name that is not UTF-8", l->index);
		if (i > 0)
			buf_putc(&o, ',');
		put_leaf(&o, l, hex);
		free(l->type);
		free(l->charset);
		free(l->filename);
		buf_release(&l->hex);
	}
	buf_puts(&o, "],\"errors\":[");
	buf_append(&o, d.errors.data, d.errors.len);
	buf_puts(&o, "]}\n");
	fwrite(o.data, 1, o.len, stdout);

	buf_release(&o);
	buf_release(&d.errors);
	free(d.v);
	mime_result_release(&r);
	mime_free(m);
}

/* slurp - the whole of f into b; -1 on a read error */
static int slurp(FILE *f, struct buf *b)
{
	char tmp[65536];
	size_t k;

	while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(b, tmp, k);
	return ferror(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
	size_t piece = 0;
	bool hex = false;
	int c, rc = 0;

	while ((c = getopt(argc, argv, "xp:")) != -1) {
		if (c == 'x') {
			hex = true;
		} else if (c == 'p') {
			piece = strtoul(optarg, NULL, 10);
		} else {
			fprintf(stderr, "usage: mime_dump [-x] [-p MAX] [FILE...]\n");
			return 2;
		}
	}
	if (sodium_init() < 0)
		return 1;
	char *stdin_only[] = {"-"};
	char **names = optind < argc ? argv + optind : stdin_only;
	int count = optind < argc ? argc - optind : 1;
	for (int i = 0; i < count; i++) {
		bool in = strcmp(names[i], "-") == 0;
		FILE *f = in ? stdin : fopen(names[i], "rb");
		struct buf b;
		buf_init(&b);
		if (f == NULL || slurp(f, &b) < 0) {
			/* still one line per message: the caller pairs lines with files */
			perror(names[i]);
			buf_reset(&b);
			buf_puts(&b, "{\"file\":");
			put_str(&b, names[i], strlen(names[i]));
			buf_puts(&b, ",\"error\":\"cannot read\"}\n");
			fwrite(b.data, 1, b.len, stdout);
			rc = 1;
		} else {
			dump(names[i], b.data ? b.data : "", b.len, piece, hex);
		}
		if (f != NULL && !in)
			fclose(f);
		buf_release(&b);
	}
	return rc;
}
