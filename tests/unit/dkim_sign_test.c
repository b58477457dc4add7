/*
 * dkim_sign_test.c - the DKIM-Signature field: the RFC 8463 appendix A
 * signatures reproduced exactly (and the simple/simple ones of the draft
 * that dkimpy ships), header selection with over-signing on hostile layouts,
 * the field's format and folding, refusals, the b= blanking a verifier does,
 * and sign -> verify with OpenSSL, including tampering that must break it.
 */
#include "dkim_sign.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base64.h"
#include "dkim_tags.h"
#include "rfc8463_keys.h"
#include "unit.h"

#define S DKIM_CANON_SIMPLE
#define R DKIM_CANON_RELAXED

/* RFC 8463 A.3: the message below its two signatures */
static const char rfc_hdr[] = "From: Joe SixPack <joe@football.example.com>\r\n"
                              "To: Suzie Q <suzie@shopping.example.net>\r\n"
                              "Subject: Is dinner ready?\r\n"
                              "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
                              "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n";
static const char rfc_body[] = "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";

struct vector {
	const char *what;
	const char *pem;
	enum dkim_alg alg;
	enum dkim_canon bcanon;
	const char *bh;    /* base64 of the body hash */
	const char *field; /* the signature as published, b= included */
	const char *b;     /* its b= value, white space removed */
};

static const struct vector vectors[] = {
        {"RFC 8463 A.3 Ed25519", rfc_ed_pem, DKIM_ALG_ED25519_SHA256, R,
         "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=",
         "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
         " d=football.example.com; i=@football.example.com;\r\n"
         " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
         " subject : date : message-id : from : subject : date;\r\n"
         " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
         " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
         " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n",
         "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw="
         "="},
        {"RFC 8463 A.3 RSA", rfc_rsa_pem, DKIM_ALG_RSA_SHA256, R,
         "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=",
         "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
         " d=football.example.com; i=@football.example.com;\r\n"
         " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
         " date : message-id : from : subject : date;\r\n"
         " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
         " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
         " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
         " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n",
         "F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tF"
         "OeS9mPYQTnGdaSGsgeefOsk2JzdA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8="},
        /* simple/simple signatures of the same message (draft-ietf-dcrup-dkim-crypto, as
         * shipped in dkimpy's rfc6376.signed.msg): note the SP before each fold */
        {"draft Ed25519 simple", rfc_ed_pem, DKIM_ALG_ED25519_SHA256, S,
         "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=",
         "DKIM-Signature: v=1; a=ed25519-sha256; c=simple/simple; \r\n"
         " d=football.example.com; i=@football.example.com; \r\n"
         " q=dns/txt; s=brisbane; t=1518460054; h=from : to : \r\n"
         " subject : date : message-id : from : subject : date; \r\n"
         " bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=; \r\n"
         " b=9/dsDChY0YMTtD5Eyw3wx7x22BlSJP7M5ECbJ7GWrR45nXlTCGb8l0YB\r\n"
         " o0wBLR++X5LqmsxXaOYLLJe46l10AQ==\r\n",
         "9/"
         "dsDChY0YMTtD5Eyw3wx7x22BlSJP7M5ECbJ7GWrR45nXlTCGb8l0YBo0wBLR++X5LqmsxXaOYLLJe46l10AQ=="},
        {"draft RSA simple", rfc_rsa_pem, DKIM_ALG_RSA_SHA256, S,
         "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=",
         "DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; \r\n"
         " d=football.example.com; i=@football.example.com; \r\n"
         " q=dns/txt; s=test; t=1527915362; h=from : to : subject : \r\n"
         " date : message-id : from : subject : date; \r\n"
         " bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=; \r\n"
         " b=icKcLSEZYXJ95flvWE8FT6hl5iqd8MC/LEKYH0QjsqYy6MO/4pgVNCZH\r\n"
         " l/RAXAuADxE/40Fg7uTlxwwD1hjN2Ple6J//cJfslBdDOq6zTVbne1dqtl\r\n"
         " NOat7iamJ1AfRqyG+ja7a2AZsrpUuJ7VA6O+0zRYPqpwMEkEFIzI9i/Xk=\r\n",
         "icKcLSEZYXJ95flvWE8FT6hl5iqd8MC/LEKYH0QjsqYy6MO/4pgVNCZHl/RAXAuADxE/40Fg7uTlxwwD1hjN2Ple"
         "6J//cJfslBdDOq6zTVbne1dqtlNOat7iamJ1AfRqyG+ja7a2AZsrpUuJ7VA6O+0zRYPqpwMEkEFIzI9i/Xk="},
};

static struct dkim_key *load(const char *pem, enum dkim_alg alg)
{
	char err[128];
	struct dkim_key *k = dkim_key_load(pem, strlen(pem), alg, err, sizeof(err));

	if (k == NULL)
		fail_msg("load: %s", err);
	return k;
}

static void body_b64(enum dkim_canon c, const char *body, size_t n, char out[64])
{
	struct dkim_body b;
	unsigned char bh[DKIM_HASH_LEN];

	assert_int_equal(dkim_body_init(&b, c), 0);
	dkim_body_update(&b, body, n);
	dkim_body_final(&b, bh);
	base64_encode(bh, sizeof(bh), out, 64);
}

/* the published signatures, reproduced octet for octet: both algorithms are deterministic */
static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(vectors); i++) {
		const struct vector *v = &vectors[i];
		struct dkim_key *k = load(v->pem, v->alg);
		unsigned char digest[DKIM_HASH_LEN], again[DKIM_HASH_LEN], sig[DKIM_SIG_MAX];
		char err[128] = "", bh[64], b64[DKIM_PUBB64_MAX];
		size_t siglen;

		/* dkimpy's copy of the body has one more empty line: both canons drop it */
		body_b64(v->bcanon, RAW(rfc_body), bh);
		EXPECT(strcmp(bh, v->bh) == 0, "%s: bh=%s, expected %s", v->what, bh, v->bh);
		body_b64(v->bcanon,
		         RAW("Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\n"
		             "Joe.\r\n\r\n"),
		         bh);
		EXPECT(strcmp(bh, v->bh) == 0, "%s: bh=%s with an extra empty line", v->what, bh);
		int rc = dkim_sig_digest(RAW(rfc_hdr), v->field, strlen(v->field), digest, err,
		                         sizeof(err));
		EXPECT(rc == 0, "%s: digest: %s", v->what, err);
		assert_int_equal(dkim_key_sign(k, digest, sig, &siglen, err, sizeof(err)), 0);
		base64_encode(sig, siglen, b64, sizeof(b64));
		EXPECT(strcmp(b64, v->b) == 0, "%s: b=%s\n    expected %s", v->what, b64, v->b);
		/* the same digest without the final CRLF, and with the b= value already cut */
		rc = dkim_sig_digest(RAW(rfc_hdr), v->field, strlen(v->field) - 2, again, err,
		                     sizeof(err));
		EXPECT(rc == 0 && memcmp(digest, again, sizeof(digest)) == 0,
		       "%s: digest differs without the final CRLF", v->what);
		const char *b = strstr(v->field, " b=");
		rc = dkim_sig_digest(RAW(rfc_hdr), v->field, (size_t)(b + 3 - v->field), again, err,
		                     sizeof(err));
		EXPECT(rc == 0 && memcmp(digest, again, sizeof(digest)) == 0,
		       "%s: digest differs with b= empty", v->what);
		/* the signature field need not be in the section, but fields below it change nothing
		 * unless h= names them */
		char hdr2[sizeof(rfc_hdr) + 64];
		snprintf(hdr2, sizeof(hdr2), "%sX-Unsigned: yes\r\n", rfc_hdr);
		rc = dkim_sig_digest(hdr2, strlen(hdr2), v->field, strlen(v->field), again, err,
		                     sizeof(err));
		EXPECT(rc == 0 && memcmp(digest, again, sizeof(digest)) == 0,
		       "%s: an unsigned field changed the digest", v->what);
		dkim_key_free(k);
	}
	ALL_PASSED();
}

/* h_value - the h= value of a field, folding white space removed */
static void h_value(const char *field, size_t n, char *out, size_t outlen)
{
	struct dkim_tag tags[DKIM_TAGS_MAX];
	size_t ntags, o = 0;
	char err[128];
	const char *colon = memchr(field, ':', n);

	assert_non_null(colon);
	assert_int_equal(dkim_tags_parse(colon + 1, n - (size_t)(colon + 1 - field), tags,
	                                 DKIM_TAGS_MAX, &ntags, err, sizeof(err)),
	                 0);
	const struct dkim_tag *h = dkim_tags_find(tags, ntags, "h");
	assert_non_null(h);
	for (size_t i = 0; i < h->value_len && o + 1 < outlen; i++)
		if (!strchr(" \t\r\n", h->value[i]))
			out[o++] = h->value[i];
	out[o] = '\0';
}

/*
 * field_canon - the field with b= empty as a verifier hashes it, computed
 * here without the module: simple is the field itself; relaxed, given how
 * the field is folded (CRLF HTAB, single spaces), turns each fold into one
 * SP and lower-cases the name.
 */
static void field_canon(enum dkim_canon c, const char *f, size_t n, struct buf *out)
{
	if (c == S) {
		buf_append(out, f, n);
		return;
	}
	assert_true(n > 16 && memcmp(f, "DKIM-Signature: ", 16) == 0);
	buf_puts(out, "dkim-signature:");
	for (size_t i = 16; i < n; i++) {
		if (f[i] == '\r' && i + 2 < n && f[i + 1] == '\n' && f[i + 2] == '\t') {
			buf_putc(out, ' ');
			i += 2;
			continue;
		}
		buf_putc(out, f[i]);
	}
}

struct select_row {
	enum dkim_canon hcanon;
	const char *hdr;
	const char *names[6];
	const char *h;    /* h= expected, without white space */
	const char *data; /* the canonical fields hashed, in order */
};

static const struct select_row select_rows[] = {
        {R,
         "From: a\r\nTo: b\r\nSubject: s\r\n",
         {"From", "To", "Subject", "Date"},
         "From:From:To:To:Subject:Subject:Date",
         "from:a\r\nto:b\r\nsubject:s\r\n"},
        /* a field present twice is listed three times; the bottom-most is hashed first */
        {R,
         "Received: r1\r\nFrom: a\r\nReceived: r2\r\nX-A: 1\r\n",
         {"From", "Received"},
         "From:From:Received:Received:Received",
         "from:a\r\nreceived:r2\r\nreceived:r1\r\n"},
        /* names differing only in case are one name; h= keeps the case given */
        {R,
         "X-Tag: 1\r\nx-tag: 2\r\nX-TAG: 3\r\nFrom: a\r\n",
         {"x-Tag", "From"},
         "x-Tag:x-Tag:x-Tag:x-Tag:From:From",
         "x-tag:3\r\nx-tag:2\r\nx-tag:1\r\nfrom:a\r\n"},
        {R, "from: a\r\nFROM: b\r\n", {"From"}, "From:From:From", "from:b\r\nfrom:a\r\n"},
        /* obsolete white space before the colon */
        {R,
         "From : a\r\nSubject\t:  b \r\n",
         {"From", "Subject"},
         "From:From:Subject:Subject",
         "from:a\r\nsubject:b\r\n"},
        /* continuation lines */
        {R,
         "Subject: a\r\n b\r\n\tc\r\nFrom: x\r\n\ty\r\n",
         {"Subject", "From"},
         "Subject:Subject:From:From",
         "subject:a b c\r\nfrom:x y\r\n"},
        /* names that share a prefix are different names */
        {R,
         "From-Alt: z\r\nFrom: a\r\nFro: q\r\nFromm: w\r\n",
         {"From"},
         "From:From",
         "from:a\r\n"},
        /* the last field without its CRLF */
        {R, "From: a\r\nTo: b", {"From", "To"}, "From:From:To:To", "from:a\r\nto:b\r\n"},
        /* simple: the fields exactly as they are */
        {S,
         "From : a \r\nSubject: s\r\n\t t\r\nSubject: u\r\n",
         {"Subject", "From"},
         "Subject:Subject:Subject:From:From",
         "Subject: u\r\nSubject: s\r\n\t t\r\nFrom : a \r\n"},
        /* a listed name not in the message: listed once, signs its absence */
        {S, "From: a\r\n", {"From", "Reply-To", "Cc"}, "From:From:Reply-To:Cc", "From: a\r\n"},
};

static const unsigned char zero_bh[DKIM_HASH_LEN];

static void test_selection(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(select_rows); i++) {
		const struct select_row *r = &select_rows[i];
		size_t nnames = 0;
		while (nnames < NELEM(r->names) && r->names[nnames])
			nnames++;
		struct dkim_sig_params p = {
		        DKIM_ALG_RSA_SHA256, r->hcanon, R,        "example.com", "sel",
		        1700000000,          0,         r->names, nnames};
		struct buf field, data;
		unsigned char digest[DKIM_HASH_LEN], want[DKIM_HASH_LEN];
		char err[128] = "", h[512];

		buf_init(&field);
		buf_init(&data);
		int rc = dkim_sig_prepare(&p, r->hdr, strlen(r->hdr), zero_bh, &field, digest, err,
		                          sizeof(err));
		EXPECT(rc == 0, "row %zu: %s", i, err);
		if (rc < 0)
			continue;
		h_value(field.data, field.len, h, sizeof(h));
		EXPECT(strcmp(h, r->h) == 0, "row %zu: h=%s, expected %s", i, h, r->h);
		buf_puts(&data, r->data);
		field_canon(r->hcanon, field.data, field.len, &data);
		assert_int_equal(EVP_Digest(data.data, data.len, want, NULL, EVP_sha256(), NULL),
		                 1);
		EXPECT(memcmp(digest, want, sizeof(want)) == 0,
		       "row %zu %s: digest is not that of %s", i, shows(r->hdr),
		       show(data.data, data.len));
		/* and a verifier reading the field gets the same */
		rc = dkim_sig_digest(r->hdr, strlen(r->hdr), field.data, field.len, want, err,
		                     sizeof(err));
		EXPECT(rc == 0 && memcmp(digest, want, sizeof(want)) == 0,
		       "row %zu: dkim_sig_digest differs (%s)", i, err);
		buf_release(&field);
		buf_release(&data);
	}
	ALL_PASSED();
}

/* a very long folded field and a thousand fields: selection still bottom-up and exact */
static void test_selection_big(void **state)
{
	struct buf hdr, data, field;
	const char *names[] = {"From", "Subject", "Received"};
	struct dkim_sig_params p = {
	        DKIM_ALG_ED25519_SHA256, R, R, "example.com", "sel", 1700000000, 0, names, 3};
	unsigned char digest[DKIM_HASH_LEN], want[DKIM_HASH_LEN];
	char err[128];

	(void)state;
	buf_init(&hdr);
	buf_init(&data);
	buf_init(&field);
	buf_puts(&hdr, "Subject:");
	buf_puts(&data, "from:me\r\nsubject:");
	for (int k = 0; k < 3000; k++) {
		buf_printf(&hdr, "%sw%d", k % 10 == 9 ? "\r\n\t" : "  ", k);
		buf_printf(&data, "%sw%d", k ? " " : "", k);
	}
	buf_puts(&hdr, "\r\n");
	buf_puts(&data, "\r\n");
	for (int k = 0; k < 1000; k++)
		buf_printf(&hdr, "%s: %d\r\n", k % 2 ? "Received" : "X-Other", k);
	buf_puts(&hdr, "From: me\r\n");
	for (int k = 999; k > 0; k -= 2)
		buf_printf(&data, "received:%d\r\n", k);
	assert_int_equal(
	        dkim_sig_prepare(&p, hdr.data, hdr.len, zero_bh, &field, digest, err, sizeof(err)),
	        0);
	field_canon(R, field.data, field.len, &data);
	assert_int_equal(EVP_Digest(data.data, data.len, want, NULL, EVP_sha256(), NULL), 1);
	assert_memory_equal(digest, want, sizeof(want));
	/* Received: 500 fields, listed 501 times */
	char *h = malloc(16384);
	assert_non_null(h);
	h_value(field.data, field.len, h, 16384);
	size_t count = 0;
	for (const char *s = h; (s = strstr(s, "Received")) != NULL; s++)
		count++;
	assert_int_equal(count, 501);
	free(h);
	buf_release(&hdr);
	buf_release(&data);
	buf_release(&field);
}

/* check_lines - every line at most 78 octets, continuation lines start with HTAB */
static void check_lines(const char *what, const char *f, size_t n, bool final_crlf)
{
	size_t start = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		if (f[i] != '\r' || f[i + 1] != '\n')
			continue;
		EXPECT(i - start <= 78, "%s: line of %zu octets: %s", what, i - start,
		       show(f + start, i - start));
		start = i + 2;
		EXPECT(start == n || f[start] == '\t', "%s: continuation without HTAB", what);
	}
	EXPECT(n - start <= 78 || final_crlf, "%s: last line of %zu octets", what, n - start);
	EXPECT(final_crlf == (n >= 2 && f[n - 2] == '\r' && f[n - 1] == '\n'), "%s: final CRLF %s",
	       what, final_crlf ? "missing" : "present");
}

/* the field: tags in order v a c d s t x h bh b, no l=, folded at 78 */
static void test_field_format(void **state)
{
	static const char hdr[] = "From: a@example.com\r\nTo: b@example.org\r\n";
	static const char *const names[] = {
	        "From",
	        "To",
	        "Subject",
	        "Date",
	        "Message-ID",
	        "MIME-Version",
	        "Content-Type",
	        "List-Unsubscribe",
	        "List-Unsubscribe-Post",
	        "X-Very-Long-Header-Field-Name-That-Needs-Its-Own-Line-000"};
	static const char *const want_order[] = {"v", "a", "c", "d", "s", "t", "x", "h", "bh", "b"};
	struct {
		enum dkim_alg alg;
		enum dkim_canon hc, bc;
		const char *domain, *selector;
		int64_t t, x;
		const char *prefix;
	} rows[] = {
	        {DKIM_ALG_RSA_SHA256, R, R, "example.com", "s1", 1700000000, 0,
	         "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1;\r\n"
	         "\tt=1700000000; h="},
	        {DKIM_ALG_ED25519_SHA256, S, R, "mail.example.com", "2024-01", 0, 1,
	         "DKIM-Signature: v=1; a=ed25519-sha256; c=simple/relaxed; d=mail.example.com;\r\n"
	         "\ts=2024-01; t=0; x=1; "
	         "h=From:From:To:To:Subject:Date:Message-ID:MIME-Version:\r\n"
	         "\tContent-Type:List-Unsubscribe:List-Unsubscribe-Post:\r\n"
	         "\tX-Very-Long-Header-Field-Name-That-Needs-Its-Own-Line-000;\r\n"
	         "\tbh=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=; b="},
	        {DKIM_ALG_RSA_SHA256, R, S,
	         "a-very-long-subdomain-label-for-the-purpose-of-folding.example.com", "x", 5, 9,
	         "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple;\r\n"
	         "\td=a-very-long-subdomain-label-for-the-purpose-of-folding.example.com; s=x;\r\n"
	         "\tt=5; x=9; h="},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		struct dkim_sig_params p = {
		        rows[i].alg, rows[i].hc, rows[i].bc, rows[i].domain, rows[i].selector,
		        rows[i].t,   rows[i].x,  names,      NELEM(names)};
		struct buf field;
		unsigned char digest[DKIM_HASH_LEN], sig[DKIM_SIG_MAX];
		char err[128], what[32];
		struct dkim_tag tags[DKIM_TAGS_MAX];
		size_t ntags, k = 0;

		snprintf(what, sizeof(what), "row %zu", i);
		buf_init(&field);
		assert_int_equal(
		        dkim_sig_prepare(&p, RAW(hdr), zero_bh, &field, digest, err, sizeof(err)),
		        0);
		EXPECT(strncmp(field.data, rows[i].prefix, strlen(rows[i].prefix)) == 0,
		       "%s: field %s\n    expected it to start %s", what,
		       show(field.data, field.len), shows(rows[i].prefix));
		EXPECT(field.len > 3 && memcmp(field.data + field.len - 3, " b=", 3) == 0,
		       "%s: prepared field does not end with b=", what);
		check_lines(what, field.data, field.len, false);
		assert_int_equal(dkim_tags_parse(field.data + 15, field.len - 15, tags,
		                                 DKIM_TAGS_MAX, &ntags, err, sizeof(err)),
		                 0);
		for (size_t t = 0; t < NELEM(want_order); t++) {
			if (strcmp(want_order[t], "x") == 0 && rows[i].x == 0)
				continue;
			EXPECT(k < ntags && tags[k].name_len == strlen(want_order[t]) &&
			               memcmp(tags[k].name, want_order[t], tags[k].name_len) == 0,
			       "%s: tag %zu is not %s", what, k, want_order[t]);
			k++;
		}
		EXPECT(k == ntags, "%s: %zu tags, expected %zu", what, ntags, k);
		EXPECT(dkim_tags_find(tags, ntags, "l") == NULL, "%s: l= present", what);
		/* finish: the b= value is the signature, folded */
		for (size_t siglen = 0; siglen <= DKIM_SIG_MAX; siglen += 64) {
			struct buf f2;
			char b64[DKIM_SIG_MAX * 2], got[DKIM_SIG_MAX * 2];
			size_t o = 0;
			buf_init(&f2);
			buf_append(&f2, field.data, field.len);
			for (size_t j = 0; j < siglen; j++)
				sig[j] = (unsigned char)(j * 7 + i);
			dkim_sig_finish(&f2, sig, siglen);
			check_lines(what, f2.data, f2.len, true);
			base64_encode(sig, siglen, b64, sizeof(b64));
			for (size_t j = field.len; j < f2.len; j++)
				if (!strchr(" \t\r\n", f2.data[j]))
					got[o++] = f2.data[j];
			got[o] = '\0';
			EXPECT(strcmp(got, b64) == 0, "%s: b=%s, expected %s", what, got, b64);
			buf_release(&f2);
		}
		buf_release(&field);
	}
	ALL_PASSED();
}

/* verify - OpenSSL's verify of the b= of field (its white space removed) */
static bool verify(const struct dkim_key *k, const unsigned char digest[DKIM_HASH_LEN],
                   const char *field, size_t n)
{
	char pub[DKIM_PUBB64_MAX], b64[DKIM_SIG_MAX * 2];
	unsigned char der[1024], sig[DKIM_SIG_MAX];
	const unsigned char *p = der;
	size_t derlen, siglen, o = 0;
	const char *b = strstr(field, " b=");
	EVP_PKEY *pk;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = false;

	assert_non_null(b);
	for (b += 3; b < field + n; b++)
		if (!strchr(" \t\r\n", *b))
			b64[o++] = *b;
	b64[o] = '\0';
	assert_int_equal(base64_decode(b64, o, sig, sizeof(sig), &siglen), 0);
	assert_int_equal(dkim_key_public_b64(k, pub, sizeof(pub)), 0);
	assert_int_equal(base64_decode(pub, strlen(pub), der, sizeof(der), &derlen), 0);
	if (dkim_key_alg(k) == DKIM_ALG_ED25519_SHA256) {
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, derlen);
		ok = EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
		     EVP_DigestVerify(md, sig, siglen, digest, DKIM_HASH_LEN) == 1;
	} else {
		pk = d2i_PUBKEY(NULL, &p, (long)derlen);
		ctx = EVP_PKEY_CTX_new(pk, NULL);
		ok = EVP_PKEY_verify_init(ctx) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
		     EVP_PKEY_verify(ctx, sig, siglen, digest, DKIM_HASH_LEN) == 1;
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return ok;
}

/*
 * sign with a generated key, then verify as a verifier would: recompute the
 * digest from the finished field and the section, check b= with OpenSSL.
 * Then change the message the ways an attacker would.
 */
static void test_sign_verify(void **state)
{
	static const char hdr[] = "Received: from x by y\r\n"
	                          "From: Shop <orders@shop.example>\r\n"
	                          "To: a@example.org\r\n"
	                          "Subject: Your receipt\r\n"
	                          "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	                          "Message-ID: <1@shop.example>\r\n";
	static const char *const names[] = {"From", "To",         "Subject",
	                                    "Date", "Message-ID", "Reply-To"};
	static const struct {
		const char *above, *below; /* fields added above and below the signed ones */
		bool verifies;
	} variants[] = {
	        {"", "", true},
	        {"", "X-Added-Later: fine\r\n", true},               /* not signed: may be added */
	        {"Received: from relay\r\n", "", true},              /* not signed */
	        {"From: Bank <alerts@bank.example>\r\n", "", false}, /* over-signed */
	        {"", "From: Bank <alerts@bank.example>\r\n", false},
	        {"", "Reply-To: evil@example.org\r\n", false}, /* absent, yet signed */
	        {"Subject: Refund\r\n", "", false},
	        {"", "date: Tue, 2 Jan 2024 00:00:00 +0000\r\n", false},
	};
	enum dkim_alg algs[] = {DKIM_ALG_RSA_SHA256, DKIM_ALG_ED25519_SHA256};

	(void)state;
	for (size_t a = 0; a < NELEM(algs); a++) {
		char *pem, err[128];
		assert_int_equal(dkim_key_generate(algs[a], &pem, err, sizeof(err)), 0);
		struct dkim_key *k = load(pem, algs[a]);
		dkim_pem_free(pem);
		struct dkim_sig_params p = {algs[a],
		                            R,
		                            R,
		                            "shop.example",
		                            "s1",
		                            1700000000,
		                            1700000000 + 86400,
		                            names,
		                            NELEM(names)};
		struct buf field;
		unsigned char bh[DKIM_HASH_LEN] = {1, 2, 3}, digest[DKIM_HASH_LEN],
		              sig[DKIM_SIG_MAX];
		size_t siglen;
		buf_init(&field);
		assert_int_equal(
		        dkim_sig_prepare(&p, RAW(hdr), bh, &field, digest, err, sizeof(err)), 0);
		assert_int_equal(dkim_key_sign(k, digest, sig, &siglen, err, sizeof(err)), 0);
		dkim_sig_finish(&field, sig, siglen);
		for (size_t v = 0; v < NELEM(variants); v++) {
			char h2[1024];
			unsigned char d2[DKIM_HASH_LEN];
			snprintf(h2, sizeof(h2), "%s%s%s", variants[v].above, hdr,
			         variants[v].below);
			assert_int_equal(dkim_sig_digest(h2, strlen(h2), field.data, field.len, d2,
			                                 err, sizeof(err)),
			                 0);
			bool ok = verify(k, d2, field.data, field.len);
			EXPECT(ok == variants[v].verifies, "%s variant %zu %s/%s: verifies %d",
			       dkim_alg_name(algs[a]), v, shows(variants[v].above),
			       shows(variants[v].below), ok);
		}
		/* the b= value is what the signature covers least: changing it breaks it */
		char *b = strstr(field.data, " b=") + 3;
		*b = *b == 'A' ? 'B' : 'A';
		EXPECT(!verify(k, digest, field.data, field.len), "%s: altered b= verifies",
		       dkim_alg_name(algs[a]));
		buf_release(&field);
		dkim_key_free(k);
	}
	ALL_PASSED();
}

static const char *const std_names[] = {"From", "To", "Subject"};

struct prep_err_row {
	struct dkim_sig_params p;
	const char *hdr;
	const char *err;
};

#define P(dom, sel, t, x, names, n)                                                                \
	{                                                                                          \
		DKIM_ALG_RSA_SHA256, R, R, dom, sel, t, x, names, n                                \
	}

static const char *const no_from[] = {"To", "Subject"};
static const char *const dup[] = {"From", "To", "from"};
static const char *const bad_name1[] = {"From", "Sub ject"};
static const char *const bad_name2[] = {"From", "X:Y"};
static const char *const bad_name3[] = {"From", ""};
static const char *const bad_name4[] = {"From", "Caf\xc3\xa9"};

static const struct prep_err_row prep_err_rows[] = {
        {P("", "s", 1, 0, std_names, 3), "From: a\r\n", "invalid signing domain "},
        {P(NULL, "s", 1, 0, std_names, 3), "From: a\r\n", "invalid signing domain "},
        {P("-a.com", "s", 1, 0, std_names, 3), "From: a\r\n", "invalid signing domain -a.com"},
        {P("a-.com", "s", 1, 0, std_names, 3), "From: a\r\n", "invalid signing domain a-.com"},
        {P("a..com", "s", 1, 0, std_names, 3), "From: a\r\n", "invalid signing domain a..com"},
        {P("a.com.", "s", 1, 0, std_names, 3), "From: a\r\n", "invalid signing domain a.com."},
        {P(".a.com", "s", 1, 0, std_names, 3), "From: a\r\n", "invalid signing domain .a.com"},
        {P("a_b.com", "s", 1, 0, std_names, 3), "From: a\r\n", "invalid signing domain a_b.com"},
        {P("a.com; x=1", "s", 1, 0, std_names, 3), "From: a\r\n",
         "invalid signing domain a.com; x=1"},
        {P("b\xc3\xa9.com", "s", 1, 0, std_names, 3), "From: a\r\n",
         "invalid signing domain b\xc3\xa9.com"},
        {P("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", "s", 1, 0,
           std_names, 3),
         "From: a\r\n",
         "invalid signing domain "
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"},
        {P("a.com", "", 1, 0, std_names, 3), "From: a\r\n", "invalid selector "},
        {P("a.com", "s;b=", 1, 0, std_names, 3), "From: a\r\n", "invalid selector s;b="},
        {P("a.com", "s ", 1, 0, std_names, 3), "From: a\r\n", "invalid selector s "},
        {P("a.com", "s", 100, 100, std_names, 3), "From: a\r\n", "x= must come after t="},
        {P("a.com", "s", 100, 99, std_names, 3), "From: a\r\n", "x= must come after t="},
        {P("a.com", "s", -1, 0, std_names, 3), "From: a\r\n", "x= must come after t="},
        {P("a.com", "s", 1, 0, no_from, 2), "From: a\r\n",
         "the header fields to sign do not include From"},
        {P("a.com", "s", 1, 0, std_names, 0), "From: a\r\n",
         "the header fields to sign do not include From"},
        {P("a.com", "s", 1, 0, dup, 3), "From: a\r\n", "header field from listed twice"},
        {P("a.com", "s", 1, 0, bad_name1, 2), "From: a\r\n", "invalid header field name Sub ject"},
        {P("a.com", "s", 1, 0, bad_name2, 2), "From: a\r\n", "invalid header field name X:Y"},
        {P("a.com", "s", 1, 0, bad_name3, 2), "From: a\r\n", "invalid header field name "},
        {P("a.com", "s", 1, 0, bad_name4, 2), "From: a\r\n",
         "invalid header field name Caf\xc3\xa9"},
        {P("a.com", "s", 1, 0, std_names, 3), "To: a\r\n", "the header section has no From field"},
        {P("a.com", "s", 1, 0, std_names, 3), "", "the header section has no From field"},
        {P("a.com", "s", 1, 0, std_names, 3), " cont\r\nFrom: a\r\n", "malformed header section"},
        {P("a.com", "s", 1, 0, std_names, 3), "From: a\r\nno colon\r\n",
         "malformed header section"},
        {P("a.com", "s", 1, 0, std_names, 3), "From: a\r\n\r\nbody\r\n",
         "malformed header section"},
};

static void test_prepare_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(prep_err_rows); i++) {
		const struct prep_err_row *r = &prep_err_rows[i];
		struct buf field;
		unsigned char digest[DKIM_HASH_LEN];
		char err[128] = "";
		buf_init(&field);
		buf_puts(&field, "kept");
		int rc = dkim_sig_prepare(&r->p, r->hdr, strlen(r->hdr), zero_bh, &field, digest,
		                          err, sizeof(err));
		EXPECT(rc == -1, "row %zu: rc %d", i, rc);
		EXPECT(strcmp(err, r->err) == 0, "row %zu: err %s, expected %s", i, shows(err),
		       shows(r->err));
		EXPECT(field.len == 4 && memcmp(field.data, "kept", 4) == 0,
		       "row %zu: field changed on error: %s", i, show(field.data, field.len));
		buf_release(&field);
	}
	/* the longest valid names pass */
	char dom[254];
	memset(dom, 'a', 253);
	for (int k = 63; k < 253; k += 64)
		dom[k] = '.';
	dom[253] = '\0';
	struct dkim_sig_params p = P(dom, "s", 1, 0, std_names, 3);
	struct buf field;
	unsigned char digest[DKIM_HASH_LEN];
	char err[128];
	buf_init(&field);
	assert_int_equal(
	        dkim_sig_prepare(&p, RAW("From: a\r\n"), zero_bh, &field, digest, err, sizeof(err)),
	        0);
	buf_release(&field);
	ALL_PASSED();
}

static void test_digest_errors(void **state)
{
	static const struct {
		const char *sig, *err;
	} rows[] = {
	        {"DKIM-Signature: v=1; b=", "DKIM-Signature: no h= tag"},
	        {"DKIM-Signature: v=1; h=from", "DKIM-Signature: no b= tag"},
	        {"DKIM-Signature: h=from; b=; c=relaxed/loose",
	         "DKIM-Signature: unknown canonicalization in c="},
	        {"DKIM-Signature: h=from; b=; c=Relaxed",
	         "DKIM-Signature: unknown canonicalization in c="},
	        {"DKIM-Signature: h=from; b=; c=",
	         "DKIM-Signature: unknown canonicalization in c="},
	        {"DKIM-Signature: h=from; b=; c=relaxed/",
	         "DKIM-Signature: unknown canonicalization in c="},
	        {"DKIM-Signature: h=from::to; b=", "DKIM-Signature: empty name in h="},
	        {"DKIM-Signature: h=from:; b=", "DKIM-Signature: empty name in h="},
	        {"DKIM-Signature: h=; b=", "DKIM-Signature: empty name in h="},
	        {"DKIM-Signature: h=from; b=; h=to", "DKIM-Signature: tag h given twice"},
	        {"DKIM-Signature: h=from; b=\x01",
	         "DKIM-Signature: control character 0x01 in a tag value"},
	        {"DKIM-Signatures: h=from; b=", "not a DKIM-Signature field"},
	        {"X-DKIM-Signature: h=from; b=", "not a DKIM-Signature field"},
	        {"DKIM-Signature h=from; b=", "not a DKIM-Signature field"},
	        {"", "not a DKIM-Signature field"},
	};
	unsigned char digest[DKIM_HASH_LEN];

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		char err[128] = "";
		int rc = dkim_sig_digest(RAW("From: a\r\n"), rows[i].sig, strlen(rows[i].sig),
		                         digest, err, sizeof(err));
		EXPECT(rc == -1 && strcmp(err, rows[i].err) == 0, "row %zu %s: %d %s, expected %s",
		       i, shows(rows[i].sig), rc, shows(err), shows(rows[i].err));
	}
	char err[128];
	assert_int_equal(dkim_sig_digest(RAW("From: a\r\n\r\n"), RAW("DKIM-Signature: h=from; b="),
	                                 digest, err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "malformed header section");
	/* accepted: the name in any case, obsolete space before the colon, no c= */
	assert_int_equal(dkim_sig_digest(RAW("From: a\r\n"), RAW("dkim-signature \t: h=from; b="),
	                                 digest, err, sizeof(err)),
	                 0);
	ALL_PASSED();
}

/* b= is emptied with the white space around its value, wherever it stands; nothing else is */
static void test_b_blanking(void **state)
{
	static const struct {
		const char *a, *b;
		bool same;
	} rows[] = {
	        {"DKIM-Signature: h=from; b=abc", "DKIM-Signature: h=from; b=", true},
	        {"DKIM-Signature: h=from; b=ab\r\n\tc\r\n\t", "DKIM-Signature: h=from; b=", true},
	        {"DKIM-Signature: b=abc; h=from", "DKIM-Signature: b=; h=from", true},
	        {"DKIM-Signature: b = \r\n abc \t; h=from", "DKIM-Signature: b =; h=from", true},
	        {"DKIM-Signature: h=from; bh=abc; b=x", "DKIM-Signature: h=from; bh=abc; b=", true},
	        {"DKIM-Signature: h=from; bh=abc; b=x", "DKIM-Signature: h=from; bh=; b=", false},
	        {"DKIM-Signature: h=from; z=b=3Dx; b=y", "DKIM-Signature: h=from; z=b=3Dy; b=y",
	         false},
	        {"DKIM-Signature: h=from; b=", "DKIM-Signature: h=from; b= ", true},
	        {"DKIM-Signature: h=from; b=", "DKIM-Signature: h=From; b=", false},
	        {"DKIM-Signature: h=from; b=", "DKIM-Signature: h=from ; b=", false},
	        {"DKIM-Signature: c=relaxed; h=from; b=",
	         "dkim-signature:c=relaxed;  h=from;\r\n\tb=", true},
	        {"DKIM-Signature: c=simple; h=from; b=", "dkim-signature:c=simple; h=from; b=",
	         false},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		unsigned char da[DKIM_HASH_LEN], db[DKIM_HASH_LEN];
		char err[128];
		assert_int_equal(dkim_sig_digest(RAW("From: a\r\n"), rows[i].a, strlen(rows[i].a),
		                                 da, err, sizeof(err)),
		                 0);
		assert_int_equal(dkim_sig_digest(RAW("From: a\r\n"), rows[i].b, strlen(rows[i].b),
		                                 db, err, sizeof(err)),
		                 0);
		EXPECT((memcmp(da, db, sizeof(da)) == 0) == rows[i].same,
		       "row %zu: %s and %s should%s hash the same", i, shows(rows[i].a),
		       shows(rows[i].b), rows[i].same ? "" : " not");
	}
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vectors),       cmocka_unit_test(test_selection),
	        cmocka_unit_test(test_selection_big), cmocka_unit_test(test_field_format),
	        cmocka_unit_test(test_sign_verify),   cmocka_unit_test(test_prepare_errors),
	        cmocka_unit_test(test_digest_errors), cmocka_unit_test(test_b_blanking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
