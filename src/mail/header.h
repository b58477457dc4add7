/*
 * header.h - the header section of an RFC 5322 message: classifying lines as
 * they arrive, indexing the fields of a complete section, finding fields.
 *
 * A field is a name (printable ASCII but ':'), optional obsolete white space,
 * ':' and a value; continuation lines start with SP or HTAB. Lines keep their
 * CRLF. Nothing here allocates except the field index.
 */
#ifndef POSTERN_HEADER_H
#define POSTERN_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#define HDR_NAME_MAX 128

enum hdr_line {
	HDR_LINE_FIELD, /* "Name: value" */
	HDR_LINE_CONT,  /* folded continuation of the previous field */
	HDR_LINE_END,   /* the empty line that ends the section */
	HDR_LINE_OTHER, /* anything else: the section has ended without an empty line */
};

/* hdr_classify - classify one complete line (CRLF included). For a field,
 * *name_len is the length of its name. */
enum hdr_line hdr_classify(const char *line, size_t len, size_t *name_len);

struct hdr_field {
	size_t off;      /* offset of the name in the section */
	size_t len;      /* the whole field, continuation lines and final CRLF included */
	size_t name_len; /* the name alone */
};

struct hdr_index {
	const char *base;
	struct hdr_field *fields;
	size_t n, cap;
};

/*
 * hdr_index_build - index the fields of a section (lines of fields only, no
 * empty line) of len bytes at base, which must stay valid while the index is
 * used. 0, or -1 if a line is not a field (or a section starts with a
 * continuation).
 */
int hdr_index_build(struct hdr_index *ix, const char *base, size_t len);
void hdr_index_release(struct hdr_index *ix);
/* hdr_count - how many fields are named name (ASCII case-insensitive). */
size_t hdr_count(const struct hdr_index *ix, const char *name);
/* hdr_find - the first field named name, or NULL. */
const struct hdr_field *hdr_find(const struct hdr_index *ix, const char *name);
bool hdr_name_is(const struct hdr_index *ix, const struct hdr_field *f, const char *name);

#endif
