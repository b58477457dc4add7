/*
 * dkim_canon_test.c - DKIM canonicalization: the examples of RFC 6376
 * 3.4.5, then one row per body and header case for both algorithms. Every
 * body row is fed at once, one octet at a time and in random splits, and
 * must hash to the SHA-256 of the expected canonical text every time.
 */
#include "dkim_canon.h"

#include <openssl/evp.h>

#include "unit.h"

#define S DKIM_CANON_SIMPLE
#define R DKIM_CANON_RELAXED

static void sha256(const char *p, size_t n, unsigned char out[DKIM_HASH_LEN])
{
	assert_int_equal(EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL), 1);
}

/* body_hash - the body fed in chunks of step octets (0: all at once; -1: random) */
static void body_hash(enum dkim_canon c, const char *p, size_t n, long step, uint64_t *seed,
                      unsigned char out[DKIM_HASH_LEN], uint64_t *hashed)
{
	struct dkim_body b;
	size_t i = 0;

	assert_int_equal(dkim_body_init(&b, c), 0);
	while (i < n) {
		size_t k = step == 0 ? n - i : step > 0 ? (size_t)step : xrand(seed) % 7 + 1;
		if (k > n - i)
			k = n - i;
		dkim_body_update(&b, p + i, k);
		i += k;
	}
	if (step != 0)
		dkim_body_update(&b, p, 0); /* an empty chunk changes nothing */
	dkim_body_final(&b, out);
	assert_null(b.md);
	*hashed = b.hashed; /* still readable after final: the final CRLF included */
}

struct body_row {
	enum dkim_canon canon;
	const char *in;
	size_t in_len;
	const char *out; /* the canonical body */
	size_t out_len;
};

static const struct body_row body_rows[] = {
        /* RFC 6376 3.4.5 */
        {S, RAW(" C \r\nD \t E\r\n\r\n\r\n"), RAW(" C \r\nD \t E\r\n")},
        {R, RAW(" C \r\nD \t E\r\n\r\n\r\n"), RAW(" C\r\nD E\r\n")},
        /* empty bodies (simple: one CRLF; relaxed: nothing, erratum 1384) */
        {S, RAW(""), RAW("\r\n")},
        {R, RAW(""), RAW("")},
        {S, RAW("\r\n"), RAW("\r\n")},
        {R, RAW("\r\n"), RAW("")},
        {S, RAW("\r\n\r\n\r\n"), RAW("\r\n")},
        {R, RAW("\r\n\r\n\r\n"), RAW("")},
        /* lines of white space only: content for simple, empty for relaxed */
        {S, RAW(" \r\n\t\r\n"), RAW(" \r\n\t\r\n")},
        {R, RAW(" \r\n\t\r\n"), RAW("")},
        {R, RAW("  \t "), RAW("")},
        {S, RAW("  \t "), RAW("  \t \r\n")},
        /* trailing empty lines */
        {S, RAW("abc\r\n"), RAW("abc\r\n")},
        {R, RAW("abc\r\n"), RAW("abc\r\n")},
        {S, RAW("abc\r\n\r\n\r\n\r\n"), RAW("abc\r\n")},
        {R, RAW("abc\r\n\r\n\r\n\r\n"), RAW("abc\r\n")},
        {R, RAW("abc\r\n \r\n\t\r\n"), RAW("abc\r\n")},
        {S, RAW("abc\r\n \r\n\t\r\n"), RAW("abc\r\n \r\n\t\r\n")},
        /* empty lines inside are kept */
        {S, RAW("\r\n\r\nabc\r\n"), RAW("\r\n\r\nabc\r\n")},
        {R, RAW("\r\n\r\nabc\r\n"), RAW("\r\n\r\nabc\r\n")},
        {S, RAW("a\r\n\r\n\r\nb\r\n\r\n"), RAW("a\r\n\r\n\r\nb\r\n")},
        {R, RAW("a\r\n \r\n\r\nb\r\n\r\n"), RAW("a\r\n\r\n\r\nb\r\n")},
        /* trailing and inner white space */
        {S, RAW("abc  \r\n"), RAW("abc  \r\n")},
        {R, RAW("abc  \r\n"), RAW("abc\r\n")},
        {R, RAW("abc \t \r\n"), RAW("abc\r\n")},
        {R, RAW("a \t b\t\tc\r\n"), RAW("a b c\r\n")},
        {R, RAW("\t  lead\r\n"), RAW(" lead\r\n")},
        {S, RAW("a \t b\r\n"), RAW("a \t b\r\n")},
        /* no final CRLF: one is added */
        {S, RAW("abc"), RAW("abc\r\n")},
        {R, RAW("abc"), RAW("abc\r\n")},
        {R, RAW("abc  "), RAW("abc\r\n")},
        {S, RAW("abc  "), RAW("abc  \r\n")},
        {S, RAW("a\r\n\r\nb"), RAW("a\r\n\r\nb\r\n")},
        {R, RAW("a\r\n\r\nb \t"), RAW("a\r\n\r\nb\r\n")},
        /* bare CR and LF are octets like any other, never line ends */
        {S, RAW("a\rb\r\n"), RAW("a\rb\r\n")},
        {R, RAW("a \rb\r\n"), RAW("a \rb\r\n")},
        {S, RAW("a\nb\r\n"), RAW("a\nb\r\n")},
        {R, RAW("a\n b\r\n"), RAW("a\n b\r\n")},
        {S, RAW("abc\r"), RAW("abc\r\r\n")},
        {R, RAW("abc \r"), RAW("abc \r\r\n")},
        {S, RAW("abc\r\r\n"), RAW("abc\r\r\n")},
        {S, RAW("\r"), RAW("\r\r\n")},
        {R, RAW("\r"), RAW("\r\r\n")},
        {S, RAW("\n"), RAW("\n\r\n")},
        {S, RAW("\r\r\r\n\r\n"), RAW("\r\r\r\n")},
        {R, RAW("x\r\n\r\n\r"), RAW("x\r\n\r\n\r\r\n")},
        /* octets are not judged */
        {S, RAW("caf\xc3\xa9\0z\r\n"), RAW("caf\xc3\xa9\0z\r\n")},
        {R, RAW("caf\xc3\xa9 \0 z\r\n"), RAW("caf\xc3\xa9 \0 z\r\n")},
        /* the RFC 8463 example body */
        {S, RAW("Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n\r\n"),
         RAW("Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n")},
        {R, RAW("Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n"),
         RAW("Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n")},
};

static void check_body(const char *what, size_t row, enum dkim_canon c, const char *in,
                       size_t in_len, const char *out, size_t out_len)
{
	unsigned char want[DKIM_HASH_LEN], got[DKIM_HASH_LEN];
	static const long steps[] = {0, 1, 2, 3, 511, 512, 513, -1, -1, -1};
	uint64_t seed = 0x9e3779b97f4a7c15ULL + row, hashed;

	sha256(out, out_len, want);
	for (size_t s = 0; s < NELEM(steps); s++) {
		body_hash(c, in, in_len, steps[s], &seed, got, &hashed);
		EXPECT(memcmp(got, want, sizeof(want)) == 0,
		       "%s %zu (%s) %s in chunks of %ld: hash differs from that of %s", what, row,
		       c == S ? "simple" : "relaxed", show(in, in_len), steps[s],
		       show(out, out_len));
		EXPECT(hashed == out_len, "%s %zu: %llu octets hashed, expected %zu", what, row,
		       (unsigned long long)hashed, out_len);
	}
}

static void test_body_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(body_rows); i++) {
		const struct body_row *r = &body_rows[i];
		check_body("row", i, r->canon, r->in, r->in_len, r->out, r->out_len);
	}
	ALL_PASSED();
}

/*
 * big bodies: longer than the internal buffer, with runs of white space and
 * empty lines across every chunk boundary; the expected text is built
 * alongside the input by the rules themselves.
 */
static void test_body_generated(void **state)
{
	(void)state;
	for (size_t round = 0; round < 40; round++) {
		uint64_t seed = 77 + round;
		struct buf in, s_out, r_out, line;
		size_t nlines = 1 + xrand(&seed) % 200;

		buf_init(&in);
		buf_init(&s_out);
		buf_init(&r_out);
		buf_init(&line);
		size_t s_keep = 0, r_keep = 0; /* lengths up to the last non-empty line */
		for (size_t l = 0; l < nlines; l++) {
			size_t len = xrand(&seed) % 4 == 0 ? 0 : xrand(&seed) % 1500;
			bool wsp = false, any = false;
			buf_reset(&line);
			for (size_t k = 0; k < len; k++) {
				static const char alphabet[] = "ab  \t\tc.";
				char c = alphabet[xrand(&seed) % (sizeof(alphabet) - 1)];
				buf_putc(&in, c);
				buf_putc(&s_out, c);
				if (c == ' ' || c == '\t') {
					wsp = true;
					continue;
				}
				if (wsp)
					buf_putc(&line, ' ');
				buf_putc(&line, c);
				wsp = false;
				any = true;
			}
			buf_append(&in, "\r\n", 2);
			buf_append(&s_out, "\r\n", 2);
			buf_append(&r_out, line.data ? line.data : "", line.len);
			buf_append(&r_out, "\r\n", 2);
			if (len > 0)
				s_keep = s_out.len;
			if (any)
				r_keep = r_out.len;
		}
		check_body("generated", round, S, in.data, in.len, s_out.data,
		           s_keep ? s_keep : (size_t)2);
		check_body("generated", round, R, in.data, in.len, r_out.data, r_keep);
		buf_release(&in);
		buf_release(&s_out);
		buf_release(&r_out);
		buf_release(&line);
	}
	ALL_PASSED();
}

/*
 * lines of text with single spaces (the common case, scanned eight octets
 * at a time) and one TAB, or two or three spaces, at every position of
 * lines of every length up to 40: across each word boundary of the scan.
 */
static void test_body_sparse_wsp(void **state)
{
	static const char *const events[] = {"", "\t", "  ", "   ", " \t"};
	size_t row = 0;

	(void)state;
	for (size_t len = 1; len <= 40; len++)
		for (size_t ev = 0; ev < NELEM(events); ev++)
			for (size_t at = 0; at <= len; at++, row++) {
				struct buf in, out;
				buf_init(&in);
				buf_init(&out);
				for (size_t k = 0; k < len; k++) {
					if (k == at)
						buf_puts(&in, events[ev]);
					/* a single space after every third letter */
					buf_putc(&in, k % 4 == 3 ? ' ' : (char)('a' + k % 26));
				}
				if (at == len)
					buf_puts(&in, events[ev]);
				buf_puts(&in, "x\r\n");
				/* expected: runs of WSP as one SP, leading ones too (the line ends in "x") */
				bool wsp = false;
				for (size_t k = 0; k + 2 < in.len; k++) {
					char c = in.data[k];
					if (c == ' ' || c == '\t') {
						wsp = true;
						continue;
					}
					if (wsp)
						buf_putc(&out, ' ');
					buf_putc(&out, c);
					wsp = false;
				}
				buf_puts(&out, "\r\n");
				check_body("sparse", row, R, in.data, in.len, out.data, out.len);
				buf_release(&in);
				buf_release(&out);
			}
	ALL_PASSED();
}

/* release without final, and after final, leaks nothing and is safe */
static void test_body_release(void **state)
{
	struct dkim_body b;
	unsigned char out[DKIM_HASH_LEN];

	(void)state;
	assert_int_equal(dkim_body_init(&b, R), 0);
	dkim_body_update(&b, RAW("abc \r\n"));
	dkim_body_release(&b);
	assert_null(b.md);
	dkim_body_release(&b);
	assert_int_equal(dkim_body_init(&b, S), 0);
	dkim_body_final(&b, out);
	dkim_body_release(&b);
	assert_null(b.md);
}

struct header_row {
	const char *in;
	size_t in_len;
	const char *simple, *relaxed;
};

static const struct header_row header_rows[] = {
        /* RFC 6376 3.4.5 */
        {RAW("A: X\r\n"), "A: X\r\n", "a:X\r\n"},
        {RAW("B : Y\t\r\n\tZ  \r\n"), "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n"},
        /* names lower-cased, white space around the colon removed */
        {RAW("SUBJECT:hi\r\n"), "SUBJECT:hi\r\n", "subject:hi\r\n"},
        {RAW("Subject \t :  hi\r\n"), "Subject \t :  hi\r\n", "subject:hi\r\n"},
        {RAW("X-Mixed-CASE_1: v\r\n"), "X-Mixed-CASE_1: v\r\n", "x-mixed-case_1:v\r\n"},
        /* runs of white space, leading and trailing */
        {RAW("Subject:   a  \t b   \r\n"), "Subject:   a  \t b   \r\n", "subject:a b\r\n"},
        {RAW("Subject:\r\n"), "Subject:\r\n", "subject:\r\n"},
        {RAW("Subject: \t \r\n"), "Subject: \t \r\n", "subject:\r\n"},
        /* unfolding */
        {RAW("Subject: a\r\n b\r\n\tc\r\n"), "Subject: a\r\n b\r\n\tc\r\n", "subject:a b c\r\n"},
        {RAW("Subject:\r\n folded\r\n"), "Subject:\r\n folded\r\n", "subject:folded\r\n"},
        {RAW("Subject: a \r\n \r\n\t\r\n b \r\n"), "Subject: a \r\n \r\n\t\r\n b \r\n",
         "subject:a b\r\n"},
        {RAW("To: x,\r\n\t\ty\r\n"), "To: x,\r\n\t\ty\r\n", "to:x, y\r\n"},
        /* no final CRLF: one is added */
        {RAW("To: b"), "To: b\r\n", "to:b\r\n"},
        {RAW("To: b \r"), "To: b \r\r\n", "to:b \r\r\n"},
        /* bare CR, other octets: kept */
        {RAW("X: a\rb\r\n"), "X: a\rb\r\n", "x:a\rb\r\n"},
        {RAW("X: caf\xc3\xa9  \xff\r\n"), "X: caf\xc3\xa9  \xff\r\n", "x:caf\xc3\xa9 \xff\r\n"},
        /* colons in the value */
        {RAW("Date: Fri, 11 Jul 2003 21:00:37 -0700\r\n"),
         "Date: Fri, 11 Jul 2003 21:00:37 -0700\r\n", "date:Fri, 11 Jul 2003 21:00:37 -0700\r\n"},
        /* the RFC 8463 example signature field (b= emptied, no final CRLF) */
        {RAW("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
             " d=football.example.com; i=@football.example.com;\r\n"
             " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
             " subject : date : message-id : from : subject : date;\r\n"
             " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n b="),
         "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
         " d=football.example.com; i=@football.example.com;\r\n"
         " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
         " subject : date : message-id : from : subject : date;\r\n"
         " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n b=\r\n",
         "dkim-signature:v=1; a=ed25519-sha256; c=relaxed/relaxed; d=football.example.com; "
         "i=@football.example.com; q=dns/txt; s=brisbane; t=1528637909; h=from : to : "
         "subject : date : message-id : from : subject : date; "
         "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=\r\n"},
};

static void test_header_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(header_rows); i++) {
		const struct header_row *r = &header_rows[i];
		struct buf out;
		buf_init(&out);
		buf_puts(&out, "prefix|"); /* appended, never overwritten */
		dkim_canon_header(S, r->in, r->in_len, &out);
		EXPECT(out.len == 7 + strlen(r->simple) && memcmp(out.data, "prefix|", 7) == 0 &&
		               memcmp(out.data + 7, r->simple, strlen(r->simple)) == 0,
		       "row %zu simple %s: got %s, expected %s", i, show(r->in, r->in_len),
		       show(out.data, out.len), shows(r->simple));
		buf_reset(&out);
		dkim_canon_header(R, r->in, r->in_len, &out);
		EXPECT(out.len == strlen(r->relaxed) && memcmp(out.data, r->relaxed, out.len) == 0,
		       "row %zu relaxed %s: got %s, expected %s", i, show(r->in, r->in_len),
		       show(out.data, out.len), shows(r->relaxed));
		buf_release(&out);
	}
	ALL_PASSED();
}

/* a very long field, folded every few words: relaxed is one line of single spaces */
static void test_header_long(void **state)
{
	struct buf in, want, out;

	(void)state;
	buf_init(&in);
	buf_init(&want);
	buf_init(&out);
	buf_puts(&in, "X-Long:");
	buf_puts(&want, "x-long:");
	for (int k = 0; k < 5000; k++) {
		buf_printf(&in, "%sw%d", k % 7 == 6 ? "\r\n\t " : " \t", k);
		buf_printf(&want, "%sw%d", k ? " " : "", k);
	}
	buf_puts(&in, "  \r\n");
	buf_puts(&want, "\r\n");
	dkim_canon_header(R, in.data, in.len, &out);
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.data, want.data, want.len);
	buf_reset(&out);
	dkim_canon_header(S, in.data, in.len, &out);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.data, in.data, in.len);
	buf_release(&in);
	buf_release(&want);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_body_rows),       cmocka_unit_test(test_body_generated),
	        cmocka_unit_test(test_body_sparse_wsp), cmocka_unit_test(test_body_release),
	        cmocka_unit_test(test_header_rows),     cmocka_unit_test(test_header_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
