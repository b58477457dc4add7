/* header.c - header section lines and fields. */
#include "header.h"

#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include "xmalloc.h"

enum hdr_line hdr_classify(const char *line, size_t len, size_t *name_len)
{
	size_t i = 0;

	if (len == 2 && line[0] == '\r' && line[1] == '\n')
		return HDR_LINE_END;
	if (len > 0 && (line[0] == ' ' || line[0] == '\t'))
		return HDR_LINE_CONT;
	/* ftext = %d33-57 / %d59-126 */
	while (i < len && (unsigned char)line[i] >= 33 && (unsigned char)line[i] <= 126 &&
	       line[i] != ':')
		i++;
	size_t n = i;
	/* obs-optional: white space between the name and the colon */
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (n == 0 || n > HDR_NAME_MAX || i >= len || line[i] != ':')
		return HDR_LINE_OTHER;
	*name_len = n;
	return HDR_LINE_FIELD;
}

int hdr_index_build(struct hdr_index *ix, const char *base, size_t len)
{
	size_t pos = 0;

	memset(ix, 0, sizeof(*ix));
	ix->base = base;
	while (pos < len) {
		const char *eol = memchr(base + pos, '\n', len - pos);
		size_t llen = eol ? (size_t)(eol - (base + pos)) + 1 : len - pos;
		size_t nlen = 0;
		switch (hdr_classify(base + pos, llen, &nlen)) {
		case HDR_LINE_FIELD:
			if (ix->n == ix->cap) {
				ix->cap = ix->cap ? ix->cap * 2 : 32;
				ix->fields = xrealloc(ix->fields, ix->cap * sizeof(*ix->fields));
			}
			ix->fields[ix->n++] = (struct hdr_field){pos, llen, nlen};
			break;
		case HDR_LINE_CONT:
			if (ix->n == 0)
				goto bad;
			ix->fields[ix->n - 1].len += llen;
			break;
		default:
			goto bad;
		}
		pos += llen;
	}
	return 0;
bad:
	hdr_index_release(ix);
	return -1;
}

void hdr_index_release(struct hdr_index *ix)
{
	free(ix->fields);
	memset(ix, 0, sizeof(*ix));
}

bool hdr_name_is(const struct hdr_index *ix, const struct hdr_field *f, const char *name)
{
	return strlen(name) == f->name_len && ascii_niequal(ix->base + f->off, name, f->name_len);
}

/* the length first: most names differ in it, and strlen runs once per call */
static bool same_name(const struct hdr_index *ix, const struct hdr_field *f, const char *name,
                      size_t len)
{
	return f->name_len == len && ascii_niequal(ix->base + f->off, name, len);
}

size_t hdr_count(const struct hdr_index *ix, const char *name)
{
	size_t c = 0, len = strlen(name);

	for (size_t i = 0; i < ix->n; i++)
		if (same_name(ix, &ix->fields[i], name, len))
			c++;
	return c;
}

const struct hdr_field *hdr_find(const struct hdr_index *ix, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < ix->n; i++)
		if (same_name(ix, &ix->fields[i], name, len))
			return &ix->fields[i];
	return NULL;
}
