/*
 * dkim_tags.c - RFC 6376 3.2 tag=value lists. Reads text that comes from the
 * network (a DKIM-Signature field, a TXT record from DNS): every octet is
 * checked against the grammar, nothing is copied, nothing allocated.
 *
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC          ; ALNUMPUNC = ALPHA / DIGIT / "_"
 *   FWS       = [*WSP CRLF] 1*WSP
 */
#include "dkim_tags.h"

#include <stdio.h>
#include <string.h>

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_namechar(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/*
 * fws - skip white space at *pos: WSP, and CRLF when WSP follows it (a CRLF
 * that is not folding is not white space). Returns the number of octets
 * skipped.
 */
static size_t fws(const char *s, size_t n, size_t *pos)
{
	size_t start = *pos, i = *pos;

	for (;;) {
		if (i < n && is_wsp(s[i]))
			i++;
		else if (i + 2 < n && s[i] == '\r' && s[i + 1] == '\n' && is_wsp(s[i + 2]))
			i += 3;
		else
			break;
	}
	*pos = i;
	return i - start;
}

/*
 * value - scan a tag value from *pos to the ';' or the end: any octet but
 * ';' and controls, with folding inside. *len gets its length without the
 * white space at its end.
 */
static int value(const char *s, size_t n, size_t *pos, size_t *len, char *err, size_t errlen)
{
	size_t i = *pos, end = *pos;

	while (i < n && s[i] != ';') {
		unsigned char c = (unsigned char)s[i];
		if ((is_wsp((char)c) || c == '\r') && fws(s, n, &i) > 0)
			continue;
		if (c < 0x20 || c == 0x7f) {
			snprintf(err, errlen, "control character 0x%02x in a tag value", c);
			return -1;
		}
		end = ++i;
	}
	*len = end - *pos;
	*pos = i;
	return 0;
}

static bool same_name(const struct dkim_tag *t, const char *name, size_t len)
{
	return t->name_len == len && memcmp(t->name, name, len) == 0;
}

int dkim_tags_parse(const char *s, size_t n, struct dkim_tag *tags, size_t max, size_t *ntags,
                    char *err, size_t errlen)
{
	size_t pos = 0, count = 0;

	*ntags = 0;
	for (;;) {
		struct dkim_tag t;
		fws(s, n, &pos);
		if (pos == n) /* the end: an empty list, or a trailing ';' */
			break;
		t.name = s + pos;
		if (!is_alpha(s[pos])) {
			snprintf(err, errlen, "empty or invalid tag name at offset %zu", pos);
			return -1;
		}
		while (pos < n && is_namechar(s[pos]))
			pos++;
		t.name_len = (size_t)(s + pos - t.name);
		fws(s, n, &pos);
		if (pos == n || s[pos] != '=') {
			snprintf(err, errlen, "no '=' after tag %.*s", (int)t.name_len, t.name);
			return -1;
		}
		pos++;
		fws(s, n, &pos);
		t.value = s + pos;
		if (value(s, n, &pos, &t.value_len, err, errlen) < 0)
			return -1;
		for (size_t k = 0; k < count; k++) {
			if (same_name(&tags[k], t.name, t.name_len)) {
				snprintf(err, errlen, "tag %.*s given twice", (int)t.name_len,
				         t.name);
				return -1;
			}
		}
		if (count == max) {
			snprintf(err, errlen, "more than %zu tags", max);
			return -1;
		}
		tags[count++] = t;
		if (pos == n)
			break;
		pos++; /* the ';' */
	}
	*ntags = count;
	return 0;
}

const struct dkim_tag *dkim_tags_find(const struct dkim_tag *tags, size_t ntags, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < ntags; i++)
		if (same_name(&tags[i], name, len))
			return &tags[i];
	return NULL;
}
