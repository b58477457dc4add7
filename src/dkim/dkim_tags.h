/*
 * dkim_tags.h - tag=value lists (RFC 6376 3.2), as in DKIM-Signature fields
 * and DKIM key records: "v=1; a=rsa-sha256; ...".
 *
 * Rules: tags are separated by ';' (a trailing ';' is allowed); a tag name is
 * ALPHA *(ALPHA / DIGIT / "_"); white space (SP, HTAB, and CRLF folding) is
 * allowed around names, '=' and values; a value may hold white space inside
 * but not ';', and is returned with the white space at its ends removed
 * (inner folding is kept as is: callers that want base64 strip it). A tag
 * given twice is an error (3.2: "Tags with duplicate names MUST NOT occur"),
 * and so are an empty tag name, a missing '=', control characters other than
 * folding, and more tags than fit. Unknown tags are returned like any other;
 * the caller ignores them.
 *
 * No I/O, no allocation: spans point into the caller's text.
 */
#ifndef POSTERN_DKIM_TAGS_H
#define POSTERN_DKIM_TAGS_H

#include <stdbool.h>
#include <stddef.h>

#define DKIM_TAGS_MAX 32

struct dkim_tag {
	const char *name, *value;
	size_t name_len, value_len;
};

/*
 * dkim_tags_parse - parse n octets at s into tags (at most max). 0 with
 * *ntags set, or -1 with err.
 */
int dkim_tags_parse(const char *s, size_t n, struct dkim_tag *tags, size_t max, size_t *ntags,
                    char *err, size_t errlen);
/* dkim_tags_find - the tag named name (case-sensitive, as the RFC says), or NULL */
const struct dkim_tag *dkim_tags_find(const struct dkim_tag *tags, size_t ntags, const char *name);

#endif
