/*
 * dkim_sign.c - the DKIM-Signature field and the hash of the header data it
 * signs. The header section is the caller's (already checked by the
 * submission path, indexed again here); the signature field is ours when
 * signing, a stranger's when dkim_sig_digest recomputes one.
 *
 * Signing hashes the selected fields and its own field directly from the
 * header index (a verifier's bottom-up selection, 5.4.2, without parsing
 * h= back: that costs as much as the hash). The unit tests hold the result
 * equal to dkim_sig_digest, the verifier's path, on every selection case,
 * and the integration tests verify every signed message with dkimpy and
 * Mail::DKIM.
 */
#include "dkim_sign.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"
#include "dkim_tags.h"
#include "header.h"
#include "strutil.h"
#include "xmalloc.h"

#define FOLD_AT   78  /* octets a line, CRLF excluded (RFC 5322 2.1.1) */
#define NAME_MAX_ 253 /* a domain name in text form */

/* the signature tags this module reads back; a table, as Rspamd does */
enum sig_tag { SIG_C, SIG_H, SIG_B, SIG_MAX };
static const char *const sig_tag_names[SIG_MAX] = {[SIG_C] = "c", [SIG_H] = "h", [SIG_B] = "b"};

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* ldh - a domain or selector: dot-separated labels of letters, digits, inner hyphens */
static bool ldh(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > NAME_MAX_)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		bool alnum =
		        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (c != '-' || label == 0))
			return false;
		label++;
	}
	return true;
}

/* field_name - 1*ftext (RFC 5322 3.6.8), within what header.h accepts */
static bool field_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > HDR_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126 || s[i] == ':')
			return false;
	return true;
}

static int check_params(const struct dkim_sig_params *p, char *err, size_t errlen)
{
	bool from = false;

	if (!ldh(p->domain ? p->domain : "")) {
		snprintf(err, errlen, "invalid signing domain %s", p->domain ? p->domain : "");
		return -1;
	}
	if (!ldh(p->selector ? p->selector : "")) {
		snprintf(err, errlen, "invalid selector %s", p->selector ? p->selector : "");
		return -1;
	}
	if (p->timestamp < 0 || (p->expire != 0 && p->expire <= p->timestamp)) {
		snprintf(err, errlen, "x= must come after t=");
		return -1;
	}
	size_t lens[DKIM_SIGN_MAX_NAMES];
	if (p->nheaders > DKIM_SIGN_MAX_NAMES) {
		snprintf(err, errlen, "more than %d header field names to sign",
		         DKIM_SIGN_MAX_NAMES);
		return -1;
	}
	for (size_t i = 0; i < p->nheaders; i++) {
		if (!field_name(p->headers[i])) {
			snprintf(err, errlen, "invalid header field name %s", p->headers[i]);
			return -1;
		}
		size_t len = lens[i] = strlen(p->headers[i]);
		for (size_t k = 0; k < i; k++) {
			if (lens[k] == len && ascii_niequal(p->headers[k], p->headers[i], len)) {
				snprintf(err, errlen, "header field %s listed twice",
				         p->headers[i]);
				return -1;
			}
		}
		from = from || ascii_iequal(p->headers[i], "From");
	}
	if (!from) { /* RFC 6376 5.4: From MUST be signed */
		snprintf(err, errlen, "the header fields to sign do not include From");
		return -1;
	}
	return 0;
}

/* a field being written, folded as it goes */
struct fold {
	struct buf *b;
	size_t col; /* octets on the current line */
};

/* word - append w; before it one SP (sp) or nothing, or CRLF HTAB if the line is full */
static void word(struct fold *f, const char *w, size_t len, bool sp)
{
	if (f->col + (sp ? 1 : 0) + len > FOLD_AT && f->col > 1) {
		buf_append(f->b, "\r\n\t", 3);
		f->col = 1;
	} else if (sp) {
		buf_putc(f->b, ' ');
		f->col++;
	}
	buf_append(f->b, w, len);
	f->col += len;
}

static const char *canon_name(enum dkim_canon c)
{
	return c == DKIM_CANON_RELAXED ? "relaxed" : "simple";
}

/* tag - "name=" + the pieces + ";" as one word; no printf: this runs for every message */
static void tag(struct fold *f, const char *name, const char *a, const char *b, const char *c)
{
	char w[NAME_MAX_ + 64];
	size_t len = 0;
	const char *part[4] = {name, a, b, c};

	for (int i = 0; i < 4; i++) {
		if (part[i] != NULL) {
			size_t n = strlen(part[i]);
			assert(len + n + 2 < sizeof(w));
			memcpy(w + len, part[i], n);
			len += n;
		}
		if (i == 0)
			w[len++] = '=';
	}
	w[len++] = ';';
	word(f, w, len, true);
}

static void tag_num(struct fold *f, const char *name, int64_t v)
{
	char num[24], *e = num + sizeof(num);
	uint64_t u = (uint64_t)v; /* check_params: t= and x= are not negative */

	*--e = '\0';
	do {
		*--e = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	tag(f, name, e, NULL, NULL);
}

/*
 * write_field - the field with an empty b=, tags in the order v a c d s t x
 * h bh b; each name of the list in h= once per field of that name in the
 * section (counts[i]), plus once (5.4.2 over-signing).
 */
static void write_field(const struct dkim_sig_params *p, const size_t *counts, const size_t *nlens,
                        const unsigned char bh[DKIM_HASH_LEN], struct buf *out)
{
	struct fold f = {out, 0};
	char bh64[64];

	buf_puts(out, "DKIM-Signature:");
	f.col = out->len;
	tag(&f, "v", "1", NULL, NULL);
	tag(&f, "a", dkim_alg_name(p->alg), NULL, NULL);
	tag(&f, "c", canon_name(p->hcanon), "/", canon_name(p->bcanon));
	tag(&f, "d", p->domain, NULL, NULL);
	tag(&f, "s", p->selector, NULL, NULL);
	tag_num(&f, "t", p->timestamp);
	if (p->expire != 0)
		tag_num(&f, "x", p->expire);
	bool first = true;
	for (size_t i = 0; i < p->nheaders; i++) {
		size_t times = counts[i] + 1;
		size_t nlen = nlens[i]; /* <= HDR_NAME_MAX: check_params */
		for (size_t k = 0; k < times; k++) {
			bool last = i + 1 == p->nheaders && k + 1 == times;
			char w[HDR_NAME_MAX + 4];
			size_t len = 0;
			/* no snprintf here: this loop runs for every name of every message */
			if (first) {
				memcpy(w, "h=", 2);
				len = 2;
			}
			memcpy(w + len, p->headers[i], nlen);
			len += nlen;
			w[len++] = last ? ';' : ':';
			word(&f, w, len, first);
			first = false;
		}
	}
	base64_encode(bh, DKIM_HASH_LEN, bh64, sizeof(bh64));
	tag(&f, "bh", bh64, NULL, NULL);
	word(&f, "b=", 2, true);
}

/*
 * find_tags - copy the tags of the table out of the field's tag list (v:
 * after the colon, no final CRLF); name == NULL where a tag is absent.
 */
static int find_tags(const char *v, size_t n, struct dkim_tag found[SIG_MAX], char *err,
                     size_t errlen)
{
	struct dkim_tag tags[DKIM_TAGS_MAX];
	size_t ntags;
	char why[128];

	if (dkim_tags_parse(v, n, tags, DKIM_TAGS_MAX, &ntags, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "DKIM-Signature: %s", why);
		return -1;
	}
	for (int t = 0; t < SIG_MAX; t++) {
		const struct dkim_tag *tag = dkim_tags_find(tags, ntags, sig_tag_names[t]);
		found[t] = tag ? *tag : (struct dkim_tag){NULL, NULL, 0, 0};
	}
	return 0;
}

static bool is_word(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && memcmp(s, w, n) == 0;
}

static int one_canon(const char *s, size_t n, enum dkim_canon *out)
{
	if (is_word(s, n, "simple"))
		*out = DKIM_CANON_SIMPLE;
	else if (is_word(s, n, "relaxed"))
		*out = DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

/* header_canon - the header half of c= ("simple" if c= is absent, 3.5) */
static int header_canon(const struct dkim_tag *c, enum dkim_canon *out)
{
	enum dkim_canon body;

	*out = DKIM_CANON_SIMPLE;
	if (c->name == NULL)
		return 0;
	const char *slash = memchr(c->value, '/', c->value_len);
	size_t hlen = slash ? (size_t)(slash - c->value) : c->value_len;
	if (one_canon(c->value, hlen, out) < 0)
		return -1;
	if (slash && one_canon(slash + 1, c->value_len - hlen - 1, &body) < 0)
		return -1;
	return 0;
}

static bool is_fws(char c)
{
	return is_wsp(c) || c == '\r' || c == '\n';
}

/*
 * pick - the next field named by the h= entry name (len octets) that is not
 * used yet, from the bottom up (5.4.2); NULL if none is left, in which case
 * the entry signs the absence of another field of that name.
 */
static const struct hdr_field *pick(const struct hdr_index *ix, bool *used, const char *name,
                                    size_t len)
{
	if (len > HDR_NAME_MAX) /* no field has such a name: header.h refuses it */
		return NULL;
	for (size_t i = ix->n; i-- > 0;) {
		const struct hdr_field *f = &ix->fields[i];
		if (!used[i] && f->name_len == len && ascii_niequal(ix->base + f->off, name, len)) {
			used[i] = true;
			return &ix->fields[i];
		}
	}
	return NULL;
}

/*
 * hash - 3.7: the selected fields canonicalized, then the signature field
 * (sig, slen octets, b= already empty) canonicalized without its CRLF.
 */
/* canon_buf - c reserved for the canonical selected fields and the signature field */
static void canon_buf(const struct hdr_index *ix, size_t slen, struct buf *c)
{
	/* canonical fields are never longer than the section (plus ':' and CRLF each) */
	size_t total = slen + 3;
	for (size_t i = 0; i < ix->n; i++)
		total += ix->fields[i].len + 3;
	buf_init(c);
	buf_reserve(c, total);
}

/*
 * canon_digest - the signature field (sig, slen octets, b= empty) appended
 * to the canonical fields in c, without its CRLF, and everything hashed in
 * one call (3.7). 0, or -1 with err.
 */
static int canon_digest(enum dkim_canon hc, const char *sig, size_t slen, struct buf *c,
                        unsigned char digest[DKIM_HASH_LEN], char *err, size_t errlen)
{
	dkim_canon_header(hc, sig, slen, c);
	if (dkim_sha256() == NULL ||
	    EVP_Digest(c->data, c->len - 2, digest, NULL, dkim_sha256(), NULL) != 1) {
		snprintf(err, errlen, "SHA-256 unavailable");
		return -1;
	}
	return 0;
}

static int hash(const struct hdr_index *ix, enum dkim_canon hc, const char *h, size_t hlen,
                const char *sig, size_t slen, unsigned char digest[DKIM_HASH_LEN], char *err,
                size_t errlen)
{
	bool *used = xcalloc(ix->n + 1, sizeof(*used));
	struct buf c;
	int rc = -1;

	canon_buf(ix, slen, &c); /* each field is picked at most once */
	for (size_t pos = 0; pos <= hlen;) {
		const char *colon = memchr(h + pos, ':', hlen - pos);
		size_t a = pos, b = colon ? (size_t)(colon - h) : hlen;
		pos = b + 1;
		while (a < b && is_fws(h[a]))
			a++;
		while (b > a && is_fws(h[b - 1]))
			b--;
		if (a == b) {
			snprintf(err, errlen, "DKIM-Signature: empty name in h=");
			goto out;
		}
		const struct hdr_field *f = pick(ix, used, h + a, b - a);
		if (f == NULL)
			continue;
		dkim_canon_header(hc, ix->base + f->off, f->len, &c);
	}
	rc = canon_digest(hc, sig, slen, &c, digest, err, errlen);
out:
	buf_release(&c);
	free(used);
	return rc;
}

/*
 * digest_field - what a verifier computes for the field sig (slen octets,
 * final CRLF optional) over the indexed section: the b= value, with the
 * white space around it, is cut out (3.5 b=, 3.7) before hashing.
 */
static int digest_field(const struct hdr_index *ix, const char *sig, size_t slen,
                        unsigned char digest[DKIM_HASH_LEN], char *err, size_t errlen)
{
	struct dkim_tag t[SIG_MAX];
	enum dkim_canon hc;
	size_t n = slen, name;

	if (n >= 2 && sig[n - 2] == '\r' && sig[n - 1] == '\n')
		n -= 2;
	const char *colon = memchr(sig, ':', n);
	for (name = colon ? (size_t)(colon - sig) : 0; name > 0 && is_wsp(sig[name - 1]);)
		name--;
	if (colon == NULL || name != 14 || !ascii_niequal(sig, "DKIM-Signature", 14)) {
		snprintf(err, errlen, "not a DKIM-Signature field");
		return -1;
	}
	size_t v = (size_t)(colon + 1 - sig);
	if (find_tags(sig + v, n - v, t, err, errlen) < 0)
		return -1;
	if (t[SIG_H].name == NULL || t[SIG_B].name == NULL) {
		snprintf(err, errlen, "DKIM-Signature: no %s= tag", t[SIG_H].name ? "b" : "h");
		return -1;
	}
	if (header_canon(&t[SIG_C], &hc) < 0) {
		snprintf(err, errlen, "DKIM-Signature: unknown canonicalization in c=");
		return -1;
	}
	/* cut from after the '=' of b= to the ';' that ends its value, or the end */
	const char *b = t[SIG_B].name + t[SIG_B].name_len;
	size_t cut = (size_t)((const char *)memchr(b, '=', (size_t)(t[SIG_B].value - b)) - sig) + 1;
	size_t resume = (size_t)(t[SIG_B].value - sig) + t[SIG_B].value_len;
	while (resume < n && sig[resume] != ';')
		resume++;
	struct buf blank;
	buf_init(&blank);
	buf_append(&blank, sig, cut);
	buf_append(&blank, sig + resume, n - resume);
	int rc = hash(ix, hc, t[SIG_H].value, t[SIG_H].value_len, blank.data, blank.len, digest,
	              err, errlen);
	buf_release(&blank);
	return rc;
}

int dkim_sig_digest(const char *hdr, size_t n, const char *sig, size_t slen,
                    unsigned char digest[DKIM_HASH_LEN], char *err, size_t errlen)
{
	struct hdr_index ix;

	if (hdr_index_build(&ix, hdr, n) < 0) {
		snprintf(err, errlen, "malformed header section");
		return -1;
	}
	int rc = digest_field(&ix, sig, slen, digest, err, errlen);
	hdr_index_release(&ix);
	return rc;
}

int dkim_sig_prepare(const struct dkim_sig_params *p, const char *hdr, size_t n,
                     const unsigned char bh[DKIM_HASH_LEN], struct buf *field,
                     unsigned char digest[DKIM_HASH_LEN], char *err, size_t errlen)
{
	size_t counts[DKIM_SIGN_MAX_NAMES], nlens[DKIM_SIGN_MAX_NAMES];
	struct hdr_index ix;
	struct buf f, c;
	int rc = -1;

	if (check_params(p, err, errlen) < 0)
		return -1;
	if (hdr_index_build(&ix, hdr, n) < 0) {
		snprintf(err, errlen, "malformed header section");
		return -1;
	}
	buf_init(&f);
	buf_reserve(&f, 512); /* a field with the usual h= list fits: no regrowth */
	for (size_t i = 0; i < p->nheaders; i++) {
		nlens[i] = strlen(p->headers[i]);
		counts[i] = hdr_count(&ix, p->headers[i]);
		/* From is always listed (check_params) */
		if (counts[i] == 0 && ascii_iequal(p->headers[i], "From")) {
			snprintf(err, errlen, "the header section has no From field");
			goto out;
		}
	}
	write_field(p, counts, nlens, bh, &f);
	/*
	 * What a verifier hashes for this field (3.7, 5.4.2), without parsing
	 * its h= back: for each name, the fields of that name from the bottom
	 * up (the extra over-signing entry picks none), then the field itself
	 * with its empty b= and without its CRLF. The unit tests hold the
	 * result equal to dkim_sig_digest on the finished field.
	 */
	canon_buf(&ix, f.len, &c);
	for (size_t i = 0; i < p->nheaders; i++) {
		for (size_t k = ix.n; counts[i] > 0 && k-- > 0;) {
			const struct hdr_field *h = &ix.fields[k];
			if (h->name_len == nlens[i] &&
			    ascii_niequal(ix.base + h->off, p->headers[i], nlens[i]))
				dkim_canon_header(p->hcanon, ix.base + h->off, h->len, &c);
		}
	}
	rc = canon_digest(p->hcanon, f.data, f.len, &c, digest, err, errlen);
	buf_release(&c);
	if (rc == 0)
		buf_append(field, f.data, f.len);
out:
	buf_release(&f);
	hdr_index_release(&ix);
	return rc;
}

void dkim_sig_finish(struct buf *field, const unsigned char *sig, size_t siglen)
{
	char b64[(DKIM_SIG_MAX + 2) / 3 * 4 + 1];
	size_t col = field->len, len, i = 0;

	assert(siglen <= DKIM_SIG_MAX);
	base64_encode(sig, siglen, b64, sizeof(b64));
	for (size_t k = field->len; k-- > 0;) {
		if (field->data[k] == '\n') {
			col = field->len - k - 1;
			break;
		}
	}
	len = strlen(b64);
	while (i < len) {
		if (col >= FOLD_AT) {
			buf_append(field, "\r\n\t", 3);
			col = 1;
		}
		size_t take = len - i < FOLD_AT - col ? len - i : FOLD_AT - col;
		buf_append(field, b64 + i, take);
		col += take;
		i += take;
	}
	buf_append(field, "\r\n", 2);
}
