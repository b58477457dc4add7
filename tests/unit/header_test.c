/*
 * header_test.c - header lines and the field index: fields, obsolete
 * "Name : value", continuations, the empty line, non-header lines, name
 * limits, and lookups by name.
 */
#include "header.h"

#include <stdlib.h>

#include "unit.h"

struct line_row {
	const char *line;
	size_t len;
	enum hdr_line type;
	size_t name_len; /* HDR_LINE_FIELD */
};

static const struct line_row line_rows[] = {
        {RAW("Subject: hi\r\n"), HDR_LINE_FIELD, 7},
        {RAW("Subject:hi\r\n"), HDR_LINE_FIELD, 7},
        {RAW("Subject:\r\n"), HDR_LINE_FIELD, 7},
        {RAW("X:y\r\n"), HDR_LINE_FIELD, 1},
        {RAW("Subject : hi\r\n"), HDR_LINE_FIELD, 7}, /* obs-optional white space */
        {RAW("Subject \t : hi\r\n"), HDR_LINE_FIELD, 7},
        {RAW("Subject\t: hi\r\n"), HDR_LINE_FIELD, 7},
        {RAW("X-Weird!#$%&'*+-.^_`|~: v\r\n"), HDR_LINE_FIELD, 22},
        {RAW("Subject: no CRLF"), HDR_LINE_FIELD, 7},
        {RAW("Subject: a: b: c\r\n"), HDR_LINE_FIELD, 7},
        {RAW("Subject: \xc3\xa9\r\n"), HDR_LINE_FIELD, 7}, /* the value is not judged here */
        {RAW(" continued\r\n"), HDR_LINE_CONT, 0},
        {RAW("\tcontinued\r\n"), HDR_LINE_CONT, 0},
        {RAW(" \r\n"), HDR_LINE_CONT, 0},
        {RAW(" Subject: x\r\n"), HDR_LINE_CONT, 0},
        {RAW("\r\n"), HDR_LINE_END, 0},
        {RAW(""), HDR_LINE_OTHER, 0},
        {RAW("\n"), HDR_LINE_OTHER, 0},
        {RAW("\r"), HDR_LINE_OTHER, 0},
        {RAW("\r\n\r\n"), HDR_LINE_OTHER, 0},
        {RAW("Subject\r\n"), HDR_LINE_OTHER, 0},
        {RAW("Subject"), HDR_LINE_OTHER, 0},
        {RAW("Subject hi\r\n"), HDR_LINE_OTHER, 0},
        {RAW("Subject : \r\n"), HDR_LINE_FIELD, 7},
        {RAW("Subject  \r\n"), HDR_LINE_OTHER, 0},
        {RAW(": x\r\n"), HDR_LINE_OTHER, 0},
        {RAW(":\r\n"), HDR_LINE_OTHER, 0},
        {RAW("Sub ject: x\r\n"), HDR_LINE_OTHER, 0},
        {RAW("Subj\x01"
             "ect: x\r\n"),
         HDR_LINE_OTHER, 0},
        {RAW("Subj\x7f: x\r\n"), HDR_LINE_OTHER, 0},
        {RAW("Subj\xc3\xa9: x\r\n"), HDR_LINE_OTHER, 0},
        {RAW("Sub\0ject: x\r\n"), HDR_LINE_OTHER, 0},
        {RAW("body text\r\n"), HDR_LINE_OTHER, 0},
        {RAW("--boundary\r\n"), HDR_LINE_OTHER, 0},
        {RAW("From a@b Mon Jan 1 00:00:00 2024\r\n"), HDR_LINE_OTHER, 0}, /* mbox From_ */
        {RAW(">From: x\r\n"), HDR_LINE_FIELD, 5},
};

static void test_classify_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(line_rows); i++) {
		const struct line_row *r = &line_rows[i];
		size_t nlen = 9999;
		enum hdr_line t = hdr_classify(r->line, r->len, &nlen);
		EXPECT(t == r->type, "row %zu %s: type %d, expected %d", i, show(r->line, r->len),
		       t, r->type);
		if (t == r->type && t == HDR_LINE_FIELD)
			EXPECT(nlen == r->name_len, "row %zu %s: name_len %zu, expected %zu", i,
			       show(r->line, r->len), nlen, r->name_len);
	}
	ALL_PASSED();
}

/* names: 128 octets allowed, 129 not */
static void test_name_limit(void **state)
{
	(void)state;
	for (size_t n = 126; n <= 131; n++) {
		char line[256];
		memset(line, 'N', n);
		memcpy(line + n, ": v\r\n", 5);
		size_t nlen = 0;
		enum hdr_line t = hdr_classify(line, n + 5, &nlen);
		if (n <= HDR_NAME_MAX)
			EXPECT(t == HDR_LINE_FIELD && nlen == n, "name of %zu: type %d", n, t);
		else
			EXPECT(t == HDR_LINE_OTHER, "name of %zu: type %d", n, t);
		/* in a section, a too-long name makes the section invalid */
		struct hdr_index ix;
		int rc = hdr_index_build(&ix, line, n + 5);
		EXPECT(rc == (n <= HDR_NAME_MAX ? 0 : -1), "section with name of %zu: rc %d", n,
		       rc);
		if (rc == 0)
			hdr_index_release(&ix);
	}
	ALL_PASSED();
}

struct lookup {
	const char *name;
	size_t count;
	const char *first; /* the whole first field, or NULL if none */
};

struct index_row {
	const char *section;
	size_t len;
	int rc;
	size_t nfields;
	struct lookup look[4];
};

static const struct index_row index_rows[] = {
        {RAW("From: a@b\r\nTo: c@d\r\nSubject: hi\r\n"),
         0,
         3,
         {{"From", 1, "From: a@b\r\n"},
          {"to", 1, "To: c@d\r\n"},
          {"SUBJECT", 1, "Subject: hi\r\n"},
          {"Cc", 0, NULL}}},
        {RAW("Subject: a\r\n b\r\n\tc\r\nTo: x\r\n"),
         0,
         2,
         {{"Subject", 1, "Subject: a\r\n b\r\n\tc\r\n"}, {"To", 1, "To: x\r\n"}}},
        {RAW("From : a@b\r\n"), 0, 1, {{"From", 1, "From : a@b\r\n"}, {"From ", 0, NULL}}},
        {RAW("From: a\r\nFROM: b\r\nfrom : c\r\n"),
         0,
         3,
         {{"from", 3, "From: a\r\n"}, {"Fro", 0, NULL}, {"From:", 0, NULL}, {"Froms", 0, NULL}}},
        {RAW("From: a\r\nTo: b"), 0, 2, {{"To", 1, "To: b"}}},
        {RAW("X-A: 1\r\nX-AB: 2\r\nX-A: 3\r\n"),
         0,
         3,
         {{"X-A", 2, "X-A: 1\r\n"}, {"X-AB", 1, "X-AB: 2\r\n"}, {"X-", 0, NULL}}},
        {RAW(""), 0, 0, {{"From", 0, NULL}}},
        {RAW("DKIM-Signature: v=1;\r\n\tb=abc\r\n"),
         0,
         1,
         {{"dkim-signature", 1, "DKIM-Signature: v=1;\r\n\tb=abc\r\n"}}},
        /* a section must be fields only */
        {RAW(" cont\r\nFrom: a\r\n"), -1, 0, {{NULL, 0, NULL}}},
        {RAW("\tcont\r\n"), -1, 0, {{NULL, 0, NULL}}},
        {RAW("From: a\r\n\r\n"), -1, 0, {{NULL, 0, NULL}}},
        {RAW("\r\n"), -1, 0, {{NULL, 0, NULL}}},
        {RAW("From: a\r\nbody text\r\n"), -1, 0, {{NULL, 0, NULL}}},
        {RAW("From: a\r\nTo b\r\n"), -1, 0, {{NULL, 0, NULL}}},
        {RAW("From: a\r\n: b\r\n"), -1, 0, {{NULL, 0, NULL}}},
        {RAW("From: a\r\nX\0: b\r\n"), -1, 0, {{NULL, 0, NULL}}},
        {RAW("From: a\r\nX-\xc3\xa9: b\r\n"), -1, 0, {{NULL, 0, NULL}}},
};

static void test_index_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(index_rows); i++) {
		const struct index_row *r = &index_rows[i];
		const char *in = show(r->section, r->len);
		struct hdr_index ix;
		int rc = hdr_index_build(&ix, r->section, r->len);
		EXPECT(rc == r->rc, "row %zu %s: rc %d, expected %d", i, in, rc, r->rc);
		if (rc < 0) {
			EXPECT(ix.n == 0 && ix.fields == NULL, "row %zu: index not empty on -1", i);
			continue;
		}
		if (rc != r->rc) {
			hdr_index_release(&ix);
			continue;
		}
		EXPECT(ix.n == r->nfields, "row %zu %s: %zu fields, expected %zu", i, in, ix.n,
		       r->nfields);
		/* the fields tile the section exactly */
		size_t pos = 0;
		for (size_t f = 0; f < ix.n; f++) {
			EXPECT(ix.fields[f].off == pos, "row %zu: field %zu at %zu, expected %zu",
			       i, f, ix.fields[f].off, pos);
			pos = ix.fields[f].off + ix.fields[f].len;
		}
		EXPECT(pos == r->len, "row %zu: fields cover %zu of %zu", i, pos, r->len);
		for (size_t k = 0; k < NELEM(r->look) && r->look[k].name; k++) {
			const struct lookup *l = &r->look[k];
			size_t c = hdr_count(&ix, l->name);
			const struct hdr_field *f = hdr_find(&ix, l->name);
			EXPECT(c == l->count, "row %zu %s: hdr_count(%s) %zu, expected %zu", i, in,
			       l->name, c, l->count);
			if (l->first == NULL) {
				EXPECT(f == NULL, "row %zu %s: hdr_find(%s) found a field", i, in,
				       l->name);
				continue;
			}
			EXPECT(f != NULL, "row %zu %s: hdr_find(%s) found nothing", i, in, l->name);
			if (f == NULL)
				continue;
			EXPECT(f->len == strlen(l->first) &&
			               memcmp(r->section + f->off, l->first, f->len) == 0,
			       "row %zu: hdr_find(%s) gave %s, expected %s", i, l->name,
			       show(r->section + f->off, f->len), shows(l->first));
			EXPECT(hdr_name_is(&ix, f, l->name), "row %zu: hdr_name_is(%s) false", i,
			       l->name);
		}
		hdr_index_release(&ix);
		EXPECT(ix.n == 0 && ix.fields == NULL, "row %zu: release left the index", i);
	}
	ALL_PASSED();
}

/* many fields grow the index; all are found in order */
static void test_many_fields(void **state)
{
	char *sec = malloc(1000 * 16);
	size_t len = 0;
	struct hdr_index ix;

	(void)state;
	assert_non_null(sec);
	for (int k = 0; k < 1000; k++)
		len += (size_t)sprintf(sec + len, "%s: %d\r\n", k % 10 == 0 ? "Received" : "X-F",
		                       k);
	assert_int_equal(hdr_index_build(&ix, sec, len), 0);
	assert_int_equal(ix.n, 1000);
	assert_int_equal(hdr_count(&ix, "received"), 100);
	assert_int_equal(hdr_count(&ix, "x-f"), 900);
	const struct hdr_field *f = hdr_find(&ix, "X-F");
	assert_non_null(f);
	assert_memory_equal(sec + f->off, "X-F: 1\r\n", f->len);
	hdr_index_release(&ix);
	free(sec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_classify_rows),
	        cmocka_unit_test(test_name_limit),
	        cmocka_unit_test(test_index_rows),
	        cmocka_unit_test(test_many_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
