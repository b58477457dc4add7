/*
 * dkim_record.c - the key record in DNS (RFC 6376 3.6.1, RFC 8463 4.2).
 * dkim_record_check reads text from DNS, which anyone may have published:
 * it goes through the strict tag parser, then the tags Postern cares about
 * are looked up through one table; the rest are ignored, as 3.6.1 says.
 */
#include "dkim_record.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dkim_tags.h"

enum rec_tag { REC_V, REC_K, REC_H, REC_S, REC_P, REC_MAX };
static const char *const rec_tag_names[REC_MAX] = {
        [REC_V] = "v", [REC_K] = "k", [REC_H] = "h", [REC_S] = "s", [REC_P] = "p",
};

void dkim_record_format(enum dkim_alg alg, const char *pub_b64, struct buf *out)
{
	buf_printf(out, "v=DKIM1; k=%s; p=%s", dkim_alg_keytype(alg), pub_b64);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_word(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && memcmp(s, w, n) == 0;
}

/* list_has - does the colon-separated list (white space around items allowed) hold w? */
static bool list_has(const struct dkim_tag *t, const char *w)
{
	const char *s = t->value, *end = t->value + t->value_len;

	while (s <= end) {
		const char *colon = memchr(s, ':', (size_t)(end - s));
		const char *a = s, *b = colon ? colon : end;
		while (a < b && is_ws(*a))
			a++;
		while (b > a && is_ws(b[-1]))
			b--;
		if (is_word(a, (size_t)(b - a), w))
			return true;
		if (colon == NULL)
			break;
		s = colon + 1;
	}
	return false;
}

/* same_key - p= against pub, white space inside p= ignored */
static bool same_key(const struct dkim_tag *p, const char *pub)
{
	size_t k = 0;

	for (size_t i = 0; i < p->value_len; i++) {
		if (is_ws(p->value[i]))
			continue;
		if (pub[k] == '\0' || pub[k] != p->value[i])
			return false;
		k++;
	}
	return pub[k] == '\0';
}

static bool blank(const struct dkim_tag *p)
{
	for (size_t i = 0; i < p->value_len; i++)
		if (!is_ws(p->value[i]))
			return false;
	return true;
}

int dkim_record_check(const char *txt, size_t n, enum dkim_alg alg, const char *pub_b64, char *why,
                      size_t whylen)
{
	struct dkim_tag tags[DKIM_TAGS_MAX];
	const struct dkim_tag *t[REC_MAX];
	size_t ntags;
	char err[128];
	const char *want = dkim_alg_keytype(alg);

	if (dkim_tags_parse(txt, n, tags, DKIM_TAGS_MAX, &ntags, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "not a DKIM key record: %s", err);
		return -1;
	}
	for (int i = 0; i < REC_MAX; i++)
		t[i] = dkim_tags_find(tags, ntags, rec_tag_names[i]);
	if (t[REC_V] != NULL &&
	    (t[REC_V] != &tags[0] || !is_word(t[REC_V]->value, t[REC_V]->value_len, "DKIM1"))) {
		snprintf(why, whylen, "not a DKIM key record: %s",
		         t[REC_V] != &tags[0] ? "v= is not the first tag" : "v= is not DKIM1");
		return -1;
	}
	if (t[REC_P] == NULL) {
		snprintf(why, whylen, "not a DKIM key record: no p=");
		return -1;
	}
	if (t[REC_K] != NULL && !is_word(t[REC_K]->value, t[REC_K]->value_len, want)) {
		snprintf(why, whylen, "k= is %.*s, the key is %s", (int)t[REC_K]->value_len,
		         t[REC_K]->value, want);
		return -1;
	}
	if (t[REC_K] == NULL && alg != DKIM_ALG_RSA_SHA256) {
		snprintf(why, whylen, "k= is rsa (by default), the key is %s", want);
		return -1;
	}
	if (t[REC_H] != NULL && !list_has(t[REC_H], "sha256")) {
		snprintf(why, whylen, "h= does not list sha256");
		return -1;
	}
	if (t[REC_S] != NULL && !list_has(t[REC_S], "email") && !list_has(t[REC_S], "*")) {
		snprintf(why, whylen, "s= does not list email or *");
		return -1;
	}
	if (blank(t[REC_P])) {
		snprintf(why, whylen, "the key is revoked (empty p=)");
		return -1;
	}
	if (!same_key(t[REC_P], pub_b64)) {
		snprintf(why, whylen, "p= holds a different key");
		return -1;
	}
	return 0;
}
