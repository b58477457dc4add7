/*
 * fuzz_mime.c - libFuzzer: the streaming MIME parser. The first byte
 * chooses the limits (small ones, or the defaults with 1 MiB decoded), the
 * second how the message is cut; the rest is the message. It is parsed
 * whole and in pieces (each in its own heap block), and the two runs must
 * agree: verdict, reason, counts, every callback (after a refusal, one
 * run may have handed over more before it stopped). Each run must keep
 * the contract: pieces of at most MIME_CHUNK; text pieces whole UTF-8; one
 * last call per leaf, in order, before the next leaf (a refusal may leave
 * the last leaf open); the octets handed over are result.decoded, at most
 * max_decoded; parts and depth within their limits; file names and the
 * Subject valid UTF-8, file names without control characters; a reason
 * exactly when the verdict is not MIME_OK; memory held bounded by the
 * limits, whatever the message's size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct trace {
	struct buf log; /* every call, rendered */
	uint64_t total;
	size_t index;
	bool open, any;
	const struct mime_limits *lim;
};

static bool lower(const char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			return false;
	return true;
}

static void on_part(const struct mime_part_info *p, const char *d, size_t n, bool last, void *arg)
{
	struct trace *t = arg;

	if (n > MIME_CHUNK || (n > 0 && d == NULL))
		abort();
	if (p->text && !utf8_valid(d, n))
		abort();
	if (p->content_type == NULL || !lower(p->content_type) ||
	    strchr(p->content_type, '/') == NULL)
		abort();
	if (p->charset && !lower(p->charset))
		abort();
	if (p->filename) {
		size_t l = strlen(p->filename);
		if (l == 0 || !utf8_valid(p->filename, l))
			abort();
		for (size_t i = 0; i < l; i++)
			if ((unsigned char)p->filename[i] < 0x20 || p->filename[i] == 0x7f)
				abort();
	}
	if (p->depth < 0 || (size_t)p->depth > t->lim->max_depth ||
	    (p->index == 0 && p->depth != 0))
		abort();
	if (t->open && p->index != t->index)
		abort(); /* the leaf before had no last call */
	if (!t->open && t->any && p->index <= t->index)
		abort(); /* leaves come in walk order, each once */
	t->open = !last;
	t->any = true;
	t->index = p->index;
	t->total += n;
	buf_printf(&t->log, "%zu %d %s %s %s %d%d%d %zu%c", p->index, p->depth, p->content_type,
	           p->charset ? p->charset : "-", p->filename ? p->filename : "-", p->attachment,
	           p->text, p->charset_unknown, n, last ? '$' : '.');
	buf_append(&t->log, d, n);
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* held_max - what the parser may hold with these limits, whatever the input */
static size_t held_max(const struct mime_limits *l)
{
	return 16 * l->max_header + 4 * MIME_CHUNK +
	       4 * (l->max_depth + 2) * (l->max_boundary + 64) + 64 * 1024;
}

/* run - parse; cut 0: whole, else pieces of 0 to cut octets */
static void run(const struct mime_limits *lim, const char *msg, size_t n, unsigned cut,
                struct trace *t, struct mime_result *r)
{
	struct mime_parser *m;
	uint64_t seed = 0x9e3779b97f4a7c15ULL ^ cut;
	size_t pos = 0;

	memset(t, 0, sizeof(*t));
	buf_init(&t->log);
	t->lim = lim;
	m = mime_new(lim, on_part, t);
	while (pos < n) {
		size_t k = cut == 0 ? n - pos : (size_t)(next(&seed) % (cut + 1));
		if (k > n - pos)
			k = n - pos;
		char *piece = malloc(k ? k : 1);
		memcpy(piece, msg + pos, k);
		int rc = mime_feed(m, piece, k);
		free(piece);
		if (mime_held(m) > held_max(lim))
			abort();
		if (rc < 0)
			break;
		pos += k;
	}
	int rc = mime_finish(m, r);
	if ((rc == 0) != (r->status == MIME_OK) || (r->status == MIME_OK) != (r->why[0] == '\0'))
		abort();
	if (r->decoded != t->total || r->decoded > lim->max_decoded)
		abort();
	if (r->parts > lim->max_parts || r->max_depth < 0 || (size_t)r->max_depth > lim->max_depth)
		abort();
	if (r->status == MIME_OK && (t->open || r->parts == 0))
		abort(); /* every leaf ended */
	if (r->subject && !utf8_valid(r->subject, strlen(r->subject)))
		abort();
	mime_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim;
	struct trace a, b;
	struct mime_result ra, rb;

	if (size < 2 || size > 1024 * 1024)
		return 0;
	mime_limits_default(&lim);
	lim.max_decoded = 1024 * 1024;
	if (data[0] & 1) {
		lim.max_depth = 3;
		lim.max_parts = 12;
		lim.max_boundary = 16;
		lim.max_header = 512;
		lim.max_decoded = 4096;
	}
	const char *msg = (const char *)data + 2;
	size_t n = size - 2;
	run(&lim, msg, n, 0, &a, &ra);
	run(&lim, msg, n, data[1], &b, &rb);
	if (ra.status != rb.status || strcmp(ra.why, rb.why) != 0 || ra.parts != rb.parts ||
	    ra.max_depth != rb.max_depth || (ra.status == MIME_OK && ra.decoded != rb.decoded))
		abort();
	if ((ra.subject == NULL) != (rb.subject == NULL) ||
	    (ra.subject && strcmp(ra.subject, rb.subject) != 0))
		abort();
	/*
	 * what the calls carry depends on the content only (pieces are cut at
	 * MIME_CHUNK): equal logs; after a refusal, how much was handed over
	 * before it depends on where the input was cut: one log starts the other
	 */
	size_t common = a.log.len < b.log.len ? a.log.len : b.log.len;
	if ((ra.status == MIME_OK && a.log.len != b.log.len) ||
	    (common > 0 && memcmp(a.log.data, b.log.data, common) != 0))
		abort();
	mime_result_release(&ra);
	mime_result_release(&rb);
	buf_release(&a.log);
	buf_release(&b.log);
	return 0;
}
