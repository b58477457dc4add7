/*
 * fuzz_dkim_tags.c - libFuzzer: RFC 6376 tag lists (dkim_tags_parse), key
 * records from DNS (dkim_record_check), and a stranger's DKIM-Signature
 * read back (dkim_sig_digest: tags, h= selection, b= blanking). Beyond not
 * crashing, the parser's promises are checked: spans inside the input,
 * names valid and unique, values trimmed, every tag found again by name.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dkim_record.h"
#include "dkim_sign.h"
#include "dkim_tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void check_tags(const char *s, size_t n, const struct dkim_tag *tags, size_t ntags)
{
	char name[64];

	for (size_t i = 0; i < ntags; i++) {
		const struct dkim_tag *t = &tags[i];
		if (t->name < s || t->name + t->name_len > s + n || t->value < s ||
		    t->value + t->value_len > s + n || t->name_len == 0)
			abort();
		if (t->value_len > 0 && (is_wsp(t->value[0]) || is_wsp(t->value[t->value_len - 1])))
			abort();
		for (size_t k = 0; k < t->value_len; k++)
			if (t->value[k] == ';')
				abort();
		if (t->name_len >= sizeof(name))
			continue;
		memcpy(name, t->name, t->name_len);
		name[t->name_len] = '\0';
		if (strlen(name) != t->name_len || dkim_tags_find(tags, ntags, name) != t)
			abort(); /* a NUL in a name, or a duplicate */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char ed_pub[] = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
	static const char rsa_pub[] =
	        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOK"
	        "b2"
	        "jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5Qj"
	        "vHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";
	const char *s = (const char *)data;
	struct dkim_tag tags[DKIM_TAGS_MAX];
	size_t ntags;
	char err[128], why[160];

	if (dkim_tags_parse(s, size, tags, DKIM_TAGS_MAX, &ntags, err, sizeof(err)) == 0)
		check_tags(s, size, tags, ntags);
	else if (ntags != 0 || err[0] == '\0')
		abort();
	if (dkim_tags_parse(s, size, tags, 2, &ntags, err, sizeof(err)) == 0 && ntags > 2)
		abort();
	dkim_record_check(s, size, DKIM_ALG_ED25519_SHA256, ed_pub, why, sizeof(why));
	dkim_record_check(s, size, DKIM_ALG_RSA_SHA256, rsa_pub, why, sizeof(why));

	/* the input as the value of a DKIM-Signature field over a fixed section */
	static const char hdr[] = "From: a\r\nTo: b\r\nfrom : c\r\nSubject: x\r\n\ty\r\n";
	struct buf field;
	unsigned char digest[DKIM_HASH_LEN];
	buf_init(&field);
	buf_puts(&field, "DKIM-Signature:");
	buf_append(&field, s, size);
	dkim_sig_digest(hdr, sizeof(hdr) - 1, field.data, field.len, digest, why, sizeof(why));
	buf_release(&field);
	return 0;
}
