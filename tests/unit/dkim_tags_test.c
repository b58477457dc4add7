/*
 * dkim_tags_test.c - RFC 6376 3.2 tag lists: white space and folding around
 * everything, trailing ';', empty values, inner folding kept, and every way
 * a list is refused (duplicates, empty or bad names, missing '=', controls,
 * CRLF that is not folding, too many tags).
 */
#include "dkim_tags.h"

#include "buf.h"
#include "unit.h"

struct tag_row {
	const char *in;
	size_t len;
	int rc;
	/* the tags expected, in order: name, value (NULL ends the list) */
	const char *tags[8][2];
};

static const struct tag_row tag_rows[] = {
        {RAW("v=1; a=rsa-sha256"), 0, {{"v", "1"}, {"a", "rsa-sha256"}}},
        {RAW("v=1;"), 0, {{"v", "1"}}},
        {RAW("v=1; a=2;"), 0, {{"v", "1"}, {"a", "2"}}},
        {RAW(""), 0, {{NULL, NULL}}},
        {RAW("  \t"), 0, {{NULL, NULL}}},
        {RAW("\r\n\t"), 0, {{NULL, NULL}}},
        {RAW("p="), 0, {{"p", ""}}},
        {RAW("p=;k=rsa"), 0, {{"p", ""}, {"k", "rsa"}}},
        {RAW("p= \t ;"), 0, {{"p", ""}}},
        /* white space and folding around names, '=' and values */
        {RAW(" v = 1 ; a = b ; "), 0, {{"v", "1"}, {"a", "b"}}},
        {RAW("\tv\t=\t1\t;\ta\t=\tb"), 0, {{"v", "1"}, {"a", "b"}}},
        {RAW("\r\n v\r\n =\r\n 1\r\n ;\r\n\ta=b\r\n "), 0, {{"v", "1"}, {"a", "b"}}},
        {RAW("v=1;\r\n\t a=b;\r\n "), 0, {{"v", "1"}, {"a", "b"}}},
        /* inner white space and folding are kept; the ends are trimmed */
        {RAW("h=from : to :\r\n subject"), 0, {{"h", "from : to :\r\n subject"}}},
        {RAW("b= abc\r\n\tdef== \r\n ;x=1"), 0, {{"b", "abc\r\n\tdef=="}, {"x", "1"}}},
        {RAW("n=two  words"), 0, {{"n", "two  words"}}},
        /* values: '=' inside, any printable, octets >= 0x80 */
        {RAW("b=abc=="), 0, {{"b", "abc=="}}},
        {RAW("n=a=b:c|d"), 0, {{"n", "a=b:c|d"}}},
        {RAW("n=caf\xc3\xa9"), 0, {{"n", "caf\xc3\xa9"}}},
        /* names: ALPHA *(ALPHA / DIGIT / "_"); case-sensitive */
        {RAW("a_1=x; B2=y"), 0, {{"a_1", "x"}, {"B2", "y"}}},
        {RAW("v=1; V=2"), 0, {{"v", "1"}, {"V", "2"}}},
        {RAW("bh=x; b=y"), 0, {{"bh", "x"}, {"b", "y"}}},
        /* refused */
        {RAW("v=1; v=2"), -1, {{NULL, NULL}}},
        {RAW("v=1; a=x; v=1"), -1, {{NULL, NULL}}},
        {RAW("v=1; v =1"), -1, {{NULL, NULL}}},
        {RAW("=1"), -1, {{NULL, NULL}}},
        {RAW("v=1; =2"), -1, {{NULL, NULL}}},
        {RAW(";"), -1, {{NULL, NULL}}},
        {RAW(";v=1"), -1, {{NULL, NULL}}},
        {RAW("v=1;;"), -1, {{NULL, NULL}}},
        {RAW("v=1; ;a=2"), -1, {{NULL, NULL}}},
        {RAW("v"), -1, {{NULL, NULL}}},
        {RAW("v 1"), -1, {{NULL, NULL}}},
        {RAW("v=1; a"), -1, {{NULL, NULL}}},
        {RAW("v=1; a;"), -1, {{NULL, NULL}}},
        {RAW("v x=1"), -1, {{NULL, NULL}}},
        {RAW("1v=x"), -1, {{NULL, NULL}}},
        {RAW("_a=1"), -1, {{NULL, NULL}}},
        {RAW("a-b=1"), -1, {{NULL, NULL}}},
        {RAW("a.b=1"), -1, {{NULL, NULL}}},
        {RAW("\xc3\xa9=1"), -1, {{NULL, NULL}}},
        {RAW("v=1\x01"), -1, {{NULL, NULL}}},
        {RAW("v=a\0b"), -1, {{NULL, NULL}}},
        {RAW("v=a\x7f"), -1, {{NULL, NULL}}},
        {RAW("v=a\rb"), -1, {{NULL, NULL}}},
        {RAW("v=a\nb"), -1, {{NULL, NULL}}},
        {RAW("v=a\n b"), -1, {{NULL, NULL}}},
        {RAW("v=a\r\nb"), -1, {{NULL, NULL}}}, /* CRLF without WSP: not folding */
        {RAW("v=1\r\n"), -1, {{NULL, NULL}}},  /* nor at the end */
        {RAW("v=1;\r\n"), -1, {{NULL, NULL}}},
        {RAW("\r\nv=1"), -1, {{NULL, NULL}}},
        {RAW("v=1;\r\n\r\n a=2"), -1, {{NULL, NULL}}},
        {RAW("v\r=1"), -1, {{NULL, NULL}}},
        {RAW("v=1;\x0b a=2"), -1, {{NULL, NULL}}}, /* VT is not white space */
};

static void test_tag_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(tag_rows); i++) {
		const struct tag_row *r = &tag_rows[i];
		struct dkim_tag tags[DKIM_TAGS_MAX];
		size_t n = 99, want = 0;
		char err[128] = "";
		int rc = dkim_tags_parse(r->in, r->len, tags, DKIM_TAGS_MAX, &n, err, sizeof(err));
		EXPECT(rc == r->rc, "row %zu %s: rc %d, expected %d (%s)", i, show(r->in, r->len),
		       rc, r->rc, err);
		if (rc < 0) {
			EXPECT(err[0] != '\0', "row %zu: -1 without a reason", i);
			EXPECT(n == 0, "row %zu: -1 with %zu tags", i, n);
			continue;
		}
		while (want < NELEM(r->tags) && r->tags[want][0])
			want++;
		EXPECT(n == want, "row %zu %s: %zu tags, expected %zu", i, show(r->in, r->len), n,
		       want);
		for (size_t k = 0; k < n && k < want; k++) {
			const struct dkim_tag *t = &tags[k];
			EXPECT(t->name_len == strlen(r->tags[k][0]) &&
			               memcmp(t->name, r->tags[k][0], t->name_len) == 0 &&
			               t->value_len == strlen(r->tags[k][1]) &&
			               memcmp(t->value, r->tags[k][1], t->value_len) == 0,
			       "row %zu %s: tag %zu is %s=%s, expected %s=%s", i,
			       show(r->in, r->len), k, show(t->name, t->name_len),
			       show(t->value, t->value_len), shows(r->tags[k][0]),
			       shows(r->tags[k][1]));
			/* spans point into the input */
			EXPECT(t->name >= r->in && t->value >= r->in &&
			               t->value + t->value_len <= r->in + r->len,
			       "row %zu: tag %zu outside the input", i, k);
			EXPECT(dkim_tags_find(tags, n, r->tags[k][0]) == t,
			       "row %zu: dkim_tags_find(%s) is not tag %zu", i, r->tags[k][0], k);
		}
	}
	ALL_PASSED();
}

/* DKIM_TAGS_MAX tags fit, one more does not; a smaller max is honoured */
static void test_tag_limit(void **state)
{
	struct dkim_tag tags[DKIM_TAGS_MAX];
	struct buf in;
	size_t n;
	char err[128];

	(void)state;
	buf_init(&in);
	for (int k = 0; k < DKIM_TAGS_MAX; k++)
		buf_printf(&in, "t%d=%d;", k, k);
	assert_int_equal(
	        dkim_tags_parse(in.data, in.len, tags, DKIM_TAGS_MAX, &n, err, sizeof(err)), 0);
	assert_int_equal(n, DKIM_TAGS_MAX);
	assert_int_equal(dkim_tags_parse(in.data, in.len, tags, 3, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "more than 3 tags");
	buf_puts(&in, "extra=1");
	assert_int_equal(
	        dkim_tags_parse(in.data, in.len, tags, DKIM_TAGS_MAX, &n, err, sizeof(err)), -1);
	assert_int_equal(n, 0);
	assert_int_equal(dkim_tags_parse("", 0, NULL, 0, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	buf_release(&in);
}

/* the reasons say what is wrong, and a tiny err buffer is never overrun */
static void test_tag_errors(void **state)
{
	static const struct {
		const char *in, *err;
	} rows[] = {
	        {"v=1; v=2", "tag v given twice"},
	        {"v=1; =2", "empty or invalid tag name at offset 5"},
	        {"v=1; a", "no '=' after tag a"},
	        {"v=a\x01", "control character 0x01 in a tag value"},
	        {"v=a\r\nb", "control character 0x0d in a tag value"},
	};
	struct dkim_tag tags[4];
	size_t n;

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		char err[128], tiny[4] = "xyz";
		int rc = dkim_tags_parse(rows[i].in, strlen(rows[i].in), tags, 4, &n, err,
		                         sizeof(err));
		EXPECT(rc == -1 && strcmp(err, rows[i].err) == 0, "row %zu %s: %d %s", i,
		       shows(rows[i].in), rc, shows(err));
		rc = dkim_tags_parse(rows[i].in, strlen(rows[i].in), tags, 4, &n, tiny, 2);
		EXPECT(rc == -1 && tiny[1] == '\0' && tiny[2] == 'z', "row %zu: tiny err %s", i,
		       show(tiny, 3));
	}
	ALL_PASSED();
}

static void test_tag_find(void **state)
{
	struct dkim_tag tags[8];
	size_t n;
	char err[64];
	const char *in = "v=1; bh=abc; b=def; V=2";

	(void)state;
	assert_int_equal(dkim_tags_parse(in, strlen(in), tags, 8, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	assert_ptr_equal(dkim_tags_find(tags, n, "b"), &tags[2]);
	assert_ptr_equal(dkim_tags_find(tags, n, "bh"), &tags[1]);
	assert_ptr_equal(dkim_tags_find(tags, n, "V"), &tags[3]);
	assert_ptr_equal(dkim_tags_find(tags, n, "v"), &tags[0]);
	assert_null(dkim_tags_find(tags, n, "B"));
	assert_null(dkim_tags_find(tags, n, "bhx"));
	assert_null(dkim_tags_find(tags, n, ""));
	assert_null(dkim_tags_find(tags, 0, "v"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_tag_rows),
	        cmocka_unit_test(test_tag_limit),
	        cmocka_unit_test(test_tag_errors),
	        cmocka_unit_test(test_tag_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
