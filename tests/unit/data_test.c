/*
 * data_test.c - the DATA / BDAT content decoder and SMTP smuggling.
 *
 * Only <CR><LF>.<CR><LF> ends DATA; every other dot line form, and a bare CR or
 * LF anywhere, is DATA_ERR_BARE. Each row is fed whole, one byte at a time, cut
 * at every single position, at every pair of positions (short inputs), and in
 * random pieces (some empty): status, decoded output and the end position must
 * be the same every way. Each piece is copied to its own heap block of exactly
 * its size, so AddressSanitizer sees any read past what was fed.
 */
#include "data.h"

#include <stdlib.h>

#include "buf.h"
#include "unit.h"

struct row {
	const char *in;
	size_t n;
	enum data_mode mode;
	size_t max_line;
	enum data_status st; /* of data_feed: DATA_MORE at the end of input, or the first other */
	const char *out;     /* decoded output, for DATA_MORE and DATA_END */
	size_t outn;
	size_t end;           /* DATA_END: offset just past the terminator; 0 = end of input */
	enum data_status fin; /* chunk mode, st == DATA_MORE: what data_finish_chunks says */
};

#define D DATA_MODE_DOT
#define C DATA_MODE_CHUNK

/* DATA: ends at the end of the input, or at `at` with the rest left for the next command */
#define END(in, out)                                                                               \
	{                                                                                          \
		RAW(in), D, 998, DATA_END, RAW(out), 0, DATA_END                                   \
	}
#define END_AT(in, out, at)                                                                        \
	{                                                                                          \
		RAW(in), D, 998, DATA_END, RAW(out), at, DATA_END                                  \
	}
#define MORE(in, out)                                                                              \
	{                                                                                          \
		RAW(in), D, 998, DATA_MORE, RAW(out), 0, DATA_END                                  \
	}
#define BARE(in)                                                                                   \
	{                                                                                          \
		RAW(in), D, 998, DATA_ERR_BARE, NULL, 0, 0, DATA_END                               \
	}
#define LEND(max, in, out)                                                                         \
	{                                                                                          \
		RAW(in), D, max, DATA_END, RAW(out), 0, DATA_END                                   \
	}
#define LONG(max, in)                                                                              \
	{                                                                                          \
		RAW(in), D, max, DATA_ERR_LONG, NULL, 0, 0, DATA_END                               \
	}
/* BDAT: never ends by itself; data_finish_chunks gives fin */
#define CHUNK(in, out, fin)                                                                        \
	{                                                                                          \
		RAW(in), C, 998, DATA_MORE, RAW(out), 0, fin                                       \
	}
#define CHUNK_ERR(max, in, st)                                                                     \
	{                                                                                          \
		RAW(in), C, max, st, NULL, 0, 0, DATA_END                                          \
	}

static const struct row rows[] = {
        /* the one terminator */
        END("Subject: x\r\n\r\nbody\r\n.\r\n", "Subject: x\r\n\r\nbody\r\n"),
        END(".\r\n", ""),
        END("\r\n.\r\n", "\r\n"),
        END("\r\n\r\n.\r\n", "\r\n\r\n"),
        END("a\0b\r\n.\r\n", "a\0b\r\n"),
        END("\xc3\xa9\x80\xff\r\n.\r\n", "\xc3\xa9\x80\xff\r\n"), /* 8-bit is not judged here */
        END("a.b\r\n.\r\n", "a.b\r\n"),
        END(" .\r\n.\r\n", " .\r\n"),
        END("\t.\r\n.\r\n", "\t.\r\n"),
        END("a.\r\n.\r\n", "a.\r\n"),

        /* pipelined commands after the terminator are left unconsumed */
        END_AT("a\r\n.\r\nMAIL FROM:<a@b>\r\n", "a\r\n", 6),
        END_AT("a\r\n.\r\nQUIT\r\n", "a\r\n", 6),
        END_AT("a\r\n.\r\n.\r\n", "a\r\n", 6),
        END_AT(".\r\n.\r\n", "", 3),
        END_AT("a\r\n.\r\n\n", "a\r\n", 6),
        END_AT("a\r\n.\r\n\r", "a\r\n", 6),
        END_AT("a\r\n.\r\nb\nc\rd", "a\r\n", 6),

        /* dot-unstuffing: the first dot of a line goes */
        END("..x\r\n.\r\n", ".x\r\n"),
        END("..\r\n.\r\n", ".\r\n"),
        END("...\r\n.\r\n", "..\r\n"),
        END(".a\r\n.\r\n", "a\r\n"),
        END(". \r\n.\r\n", " \r\n"),
        END("a\r\n.x\r\n.\r\n", "a\r\nx\r\n"),
        END("a\r\n..\r\n.\r\n", "a\r\n.\r\n"), /* a stuffed terminator does not end */
        END("..\r\n..\r\n.\r\n", ".\r\n.\r\n"),
        END("a\r\n...\r\n..\r\n.\r\n", "a\r\n..\r\n.\r\n"),

        /* not ended yet */
        MORE("", ""),
        MORE("a", "a"),
        MORE("a\r\n", "a\r\n"),
        MORE("a\r\n.", "a\r\n"),
        MORE("a\r\n.\r", "a\r\n"),
        MORE("a\r\n..", "a\r\n."),
        MORE("a\r\n..\r\n", "a\r\n.\r\n"),
        MORE("a\r", "a\r"), /* the CR goes out; the LF that must follow is checked next */
        MORE(".", ""),
        MORE("..", "."),

        /* smuggling: every other end-of-data form is an error, never an end */
        BARE("a\n.\n"),
        BARE("a\r\n.\n"),
        BARE("a\n.\r\n"),
        BARE("a\r.\r"),
        BARE("a\r.\r\n"),
        BARE("a\r\n.\r"
             "MAIL FROM:<a@b>\r\n"),
        BARE("a\r\n.\rX\r\n"),
        BARE("a\r\n.\r\r\n"),
        BARE("a\r\n.\r.\r\n"),
        BARE(".\n"),
        BARE(".\r.\r\n"),
        BARE("..\n"),
        BARE("\r\n.\n\r\n.\r\n"),
        BARE("a\r\n\r.\r\n"),
        BARE("a\n\r\n.\r\n"),
        BARE("body\n.\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<v@example.org>\r\nDATA\r\n"
             "x\r\n.\r\n"),
        BARE("body\r\n.\nMAIL FROM:<evil@example.com>\r\n.\r\n"),
        BARE("body\n.\r\nMAIL FROM:<evil@example.com>\r\n.\r\n"),
        BARE("body\r.\r\nMAIL FROM:<evil@example.com>\r\n.\r\n"),
        BARE("body\r\n.\r\r\nMAIL FROM:<evil@example.com>\r\n.\r\n"),
        BARE("body\r\n\x00.\r\n"
             "\n.\r\n"),

        /* bare LF and bare CR anywhere */
        BARE("\n"),
        BARE("\r\r\n"),
        BARE("\r\r"),
        BARE("a\r\r"),
        BARE("a\rb\r\n.\r\n"),
        BARE("a\nb\r\n.\r\n"),
        BARE("a\r\n\n.\r\n"),
        BARE("a\r\n.\n.\r\n"),
        BARE("Subject: x\nBcc: y\r\n\r\n.\r\n"),
        BARE("Subject: x\r\n\r\nbody\rmore\r\n.\r\n"),
        BARE("\n.\r\n"),
        BARE("\r.\r\n"),
        BARE("\r\n\r\r\n.\r\n"),

        /* line length: max_line octets allowed, CRLF excluded */
        LEND(10, "0123456789\r\n.\r\n", "0123456789\r\n"),
        LEND(10, "0123456789\r\n0123456789\r\n.\r\n", "0123456789\r\n0123456789\r\n"),
        LEND(10, "..123456789\r\n.\r\n", ".123456789\r\n"), /* decoded length counts */
        LEND(0, "\r\n.\r\n", "\r\n"),
        LONG(10, "0123456789A\r\n.\r\n"),
        LONG(10, "0123456789A"),
        LONG(10, "a\r\n0123456789A"),
        LONG(10, "0123456789\r\n0123456789A\r\n.\r\n"),
        LONG(10, "..123456789A\r\n.\r\n"),
        LONG(0, "a\r\n"),
        LONG(0, "\r\n..\r\n"),
        {RAW("0123456789\rX"), D, 10, DATA_ERR_BARE, NULL, 0, 0, DATA_END},

        /* BDAT chunks: no dot handling, no end on ".", a final line completed */
        CHUNK("a\r\n.\r\nb\r\n", "a\r\n.\r\nb\r\n", DATA_END),
        CHUNK(".\r\n", ".\r\n", DATA_END),
        CHUNK("..x\r\n", "..x\r\n", DATA_END),
        CHUNK(".", ".\r\n", DATA_END),
        CHUNK("abc", "abc\r\n", DATA_END),
        CHUNK("abc\r\n", "abc\r\n", DATA_END),
        CHUNK("a\r\nb", "a\r\nb\r\n", DATA_END),
        CHUNK("\r\n", "\r\n", DATA_END),
        CHUNK("", "", DATA_END),
        CHUNK("abc\r", "abc\r", DATA_ERR_BARE), /* a trailing lone CR */
        CHUNK("\r", "\r", DATA_ERR_BARE),
        CHUNK_ERR(998, "a\nb", DATA_ERR_BARE),
        CHUNK_ERR(998, "a\rb", DATA_ERR_BARE),
        CHUNK_ERR(998, "a\r\n.\n", DATA_ERR_BARE),
        CHUNK_ERR(998, "\n", DATA_ERR_BARE),
        CHUNK_ERR(10, "0123456789A", DATA_ERR_LONG),
        CHUNK_ERR(10, "..........\r\n..........X\r\n", DATA_ERR_LONG),
        {RAW("..........\r\n"), C, 10, DATA_MORE, RAW("..........\r\n"), 0, DATA_END},
};

struct result {
	enum data_status st;
	struct buf out;
	size_t end; /* DATA_END: just past the terminator; errors: where decoding stopped */
	enum data_status fin;
	bool empty_emit; /* the sink was called with n == 0 */
};

static void sink(const char *p, size_t n, void *arg)
{
	struct result *r = arg;

	if (n == 0)
		r->empty_emit = true;
	buf_append(&r->out, p, n);
}

/*
 * Feed in[0..n) as pieces of the given lengths (summing to n; a piece may be
 * empty), each copied into a heap block of exactly its length.
 */
static void run(const struct row *row, const size_t *pieces, size_t npieces, struct result *res)
{
	struct data_decoder d;
	size_t pos = 0;

	memset(res, 0, sizeof(*res));
	buf_init(&res->out);
	res->st = DATA_MORE;
	res->fin = DATA_END;
	data_init(&d, row->mode, row->max_line, sink, res);
	for (size_t k = 0; k < npieces; k++) {
		size_t len = pieces[k];
		char *piece = malloc(len ? len : 1);
		assert_non_null(piece);
		memcpy(piece, row->in + pos, len);
		size_t used = (size_t)-1;
		enum data_status st = data_feed(&d, piece, len, &used);
		free(piece);
		if (st == DATA_MORE) {
			if (used != len) {
				/* MORE must consume everything; make it show as a mismatch */
				res->st = (enum data_status) - 1;
				return;
			}
			pos += len;
			continue;
		}
		res->st = st;
		res->end = pos + used;
		return;
	}
	if (row->mode == DATA_MODE_CHUNK)
		res->fin = data_finish_chunks(&d);
}

/*
 * where the whole-input run of the current row stopped on an error: every other
 * way of cutting the input must stop at the same octet, having emitted nothing
 * from that octet on
 */
static size_t err_at;

/* compare a run with the row; label says how the input was cut */
static void check(size_t i, const struct row *row, const struct result *res, const char *label)
{
	const char *in = show(row->in, row->n);

	EXPECT(!res->empty_emit, "row %zu %s (%s): sink called with n == 0", i, in, label);
	EXPECT(res->st == row->st, "row %zu %s (%s): status %d, expected %d", i, in, label, res->st,
	       row->st);
	if (res->st == row->st && row->st != DATA_MORE && row->st != DATA_END) {
		EXPECT(res->end == err_at && res->end < row->n,
		       "row %zu %s (%s): stopped at %zu, whole input stopped at %zu", i, in, label,
		       res->end, err_at);
		EXPECT(res->out.len <= res->end,
		       "row %zu %s (%s): %zu octets emitted, stopped at %zu", i, in, label,
		       res->out.len, res->end);
	}
	if (res->st != row->st || (row->st != DATA_MORE && row->st != DATA_END))
		return;
	EXPECT(res->out.len == row->outn &&
	               (row->outn == 0 || memcmp(res->out.data, row->out, row->outn) == 0),
	       "row %zu %s (%s): output %s, expected %s", i, in, label,
	       show(res->out.data, res->out.len), show(row->out, row->outn));
	if (row->st == DATA_END) {
		size_t end = row->end ? row->end : row->n;
		EXPECT(res->end == end, "row %zu %s (%s): ended at %zu, expected %zu", i, in, label,
		       res->end, end);
	}
	if (row->mode == DATA_MODE_CHUNK)
		EXPECT(res->fin == row->fin, "row %zu %s (%s): finish %d, expected %d", i, in,
		       label, res->fin, row->fin);
}

static void run_check(size_t i, const struct row *row, const size_t *pieces, size_t np,
                      const char *label)
{
	struct result res;

	run(row, pieces, np, &res);
	check(i, row, &res, label);
	buf_release(&res.out);
}

static void every_split(size_t i, const struct row *row)
{
	size_t n = row->n;
	size_t *pieces = malloc((n + 2) * sizeof(*pieces));
	char label[64];

	assert_non_null(pieces);
	/* whole */
	pieces[0] = n;
	struct result whole;
	run(row, pieces, 1, &whole);
	err_at = whole.end;
	buf_release(&whole.out);
	run_check(i, row, pieces, 1, "whole");
	/* one byte at a time */
	for (size_t k = 0; k < n; k++)
		pieces[k] = 1;
	run_check(i, row, pieces, n, "1-byte feeds");
	/* cut at every position, with and without an empty feed at the cut */
	for (size_t a = 0; a <= n; a++) {
		size_t p2[3] = {a, n - a, 0};
		size_t p3[3] = {a, 0, n - a};
		snprintf(label, sizeof(label), "cut at %zu", a);
		run_check(i, row, p2, 2, label);
		snprintf(label, sizeof(label), "cut at %zu, empty feed", a);
		run_check(i, row, p3, 3, label);
	}
	/* every pair of cuts, for short inputs */
	if (n <= 64) {
		for (size_t a = 1; a < n; a++)
			for (size_t b = a + 1; b < n; b++) {
				size_t p[3] = {a, b - a, n - b};
				snprintf(label, sizeof(label), "cuts at %zu and %zu", a, b);
				run_check(i, row, p, 3, label);
			}
	}
	/* random pieces of 0 to 7 octets, reproducible */
	uint64_t seed = 0x9e3779b97f4a7c15ULL ^ (uint64_t)i;
	for (int t = 0; t < 200; t++) {
		size_t np = 0, left = n;
		while (left > 0) {
			size_t len = (size_t)(xrand(&seed) % 8);
			if (len > left)
				len = left;
			pieces[np++] = len;
			left -= len;
			if (np == n + 1 && left > 0) {
				pieces[np - 1] += left;
				left = 0;
			}
		}
		snprintf(label, sizeof(label), "random split #%d", t);
		run_check(i, row, pieces, np, label);
	}
	free(pieces);
}

static void test_rows_every_split(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++)
		every_split(i, &rows[i]);
	ALL_PASSED();
}

/* the RFC 5322 limit: 998 octets plus CRLF, with a line built at run time */
static void test_default_line_limit(void **state)
{
	static const struct {
		size_t len;
		bool dot; /* line starts with a stuffed dot (not counted) */
		enum data_status st;
	} cases[] = {{997, false, DATA_END},      {998, false, DATA_END},
	             {999, false, DATA_ERR_LONG}, {5000, false, DATA_ERR_LONG},
	             {998, true, DATA_END},       {999, true, DATA_ERR_LONG}};
	(void)state;
	for (size_t c = 0; c < NELEM(cases); c++) {
		size_t len = cases[c].len, off = cases[c].dot ? 1 : 0;
		size_t n = off + len + 5;
		char *in = malloc(n);
		char *out = malloc(len + 2);
		assert_non_null(in);
		assert_non_null(out);
		in[0] = '.';
		memset(in + off, 'x', len);
		memcpy(in + off + len, "\r\n.\r\n", 5);
		memset(out, 'x', len);
		memcpy(out + len, "\r\n", 2);
		struct row row = {in, n, D, 998, cases[c].st, out, len + 2, 0, DATA_END};
		size_t *pieces = malloc(n * sizeof(*pieces));
		assert_non_null(pieces);
		pieces[0] = n;
		struct result whole;
		run(&row, pieces, 1, &whole);
		err_at = whole.end;
		buf_release(&whole.out);
		run_check(c, &row, pieces, 1, "whole");
		for (size_t k = 0; k < n; k++)
			pieces[k] = 1;
		run_check(c, &row, pieces, n, "1-byte feeds");
		for (size_t a = 0; a <= n; a += 7) {
			size_t p[2] = {a, n - a};
			run_check(c, &row, p, 2, "cut");
		}
		free(pieces);
		free(in);
		free(out);
	}
	ALL_PASSED();
}

/* a long message of many lines, fed in random pieces, decodes to the original */
static void test_long_message(void **state)
{
	struct buf in, want;
	uint64_t seed = 42;

	(void)state;
	buf_init(&in);
	buf_init(&want);
	for (int l = 0; l < 2000; l++) {
		size_t len = (size_t)(xrand(&seed) % 120);
		char line[128];
		for (size_t k = 0; k < len; k++)
			line[k] = (char)(' ' + xrand(&seed) % 95);
		if (len > 0 && xrand(&seed) % 5 == 0)
			line[0] = '.';
		buf_append(&want, line, len);
		buf_append(&want, "\r\n", 2);
		if (len > 0 && line[0] == '.')
			buf_putc(&in, '.');
		buf_append(&in, line, len);
		buf_append(&in, "\r\n", 2);
	}
	buf_append(&in, ".\r\nQUIT\r\n", 9);
	struct row row = {in.data,   in.len,   D,          998,     DATA_END,
	                  want.data, want.len, in.len - 6, DATA_END};
	size_t *pieces = malloc(in.len * sizeof(*pieces));
	assert_non_null(pieces);
	for (int t = 0; t < 20; t++) {
		size_t np = 0, left = in.len;
		while (left > 0) {
			size_t len = 1 + (size_t)(xrand(&seed) % 700);
			if (len > left)
				len = left;
			pieces[np++] = len;
			left -= len;
		}
		run_check((size_t)t, &row, pieces, np, "long message, random split");
	}
	free(pieces);
	buf_release(&in);
	buf_release(&want);
	ALL_PASSED();
}

/* after DATA_END the decoder is at the start of a line: the next message decodes alike */
static void test_reuse_after_end(void **state)
{
	struct result res;
	struct data_decoder d;
	size_t used;

	(void)state;
	memset(&res, 0, sizeof(res));
	buf_init(&res.out);
	data_init(&d, D, 998, sink, &res);
	assert_int_equal(data_feed(&d, "a\r\n.\r\n", 6, &used), DATA_END);
	assert_int_equal(used, 6);
	assert_int_equal(data_feed(&d, "..b\r\n.\r\n", 8, &used), DATA_END);
	assert_int_equal(used, 8);
	assert_int_equal(res.out.len, 7);
	assert_memory_equal(res.out.data, "a\r\n.b\r\n", 7);
	buf_release(&res.out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows_every_split),
	        cmocka_unit_test(test_default_line_limit),
	        cmocka_unit_test(test_long_message),
	        cmocka_unit_test(test_reuse_after_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
