/*
 * dkim_record_test.c - the key TXT record: the text Postern asks the
 * operator to publish, and checking a record found in DNS against the key:
 * one row per case with the exact reason expected.
 */
#include "dkim_record.h"

#include "unit.h"

#define A_RSA DKIM_ALG_RSA_SHA256
#define A_ED  DKIM_ALG_ED25519_SHA256

/* RFC 8463 A.2: the two keys of the example, and another one */
#define RSA_P                                                                                      \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qh"                 \
	"dR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+"                 \
	"PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
#define ED_P  "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define OTHER "yi50DjK5O9pqbFpNHklsv9lqaS0ArSYu02qp1S0DW1Y="

static const char rsa_pub[] = RSA_P;
static const char ed_pub[] = ED_P;

static void test_format(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out);
	dkim_record_format(A_RSA, rsa_pub, &out);
	assert_string_equal(out.data, "v=DKIM1; k=rsa; p=" RSA_P);
	buf_reset(&out);
	dkim_record_format(A_ED, ed_pub, &out);
	assert_string_equal(out.data, "v=DKIM1; k=ed25519; p=" ED_P);
	/* what we format, we accept */
	char why[128];
	assert_int_equal(dkim_record_check(out.data, out.len, A_ED, ed_pub, why, sizeof(why)), 0);
	buf_release(&out);
}

struct check_row {
	const char *txt;
	enum dkim_alg alg;
	const char *why; /* NULL: accepted */
};

static const struct check_row check_rows[] = {
        /* accepted */
        {"v=DKIM1; k=rsa; p=" RSA_P, A_RSA, NULL},
        {"v=DKIM1; k=ed25519; p=" ED_P, A_ED, NULL},
        {"k=ed25519; p=" ED_P, A_ED, NULL},
        {"p=" RSA_P, A_RSA, NULL}, /* k= defaults to rsa, v= is optional */
        {"v=DKIM1; p=" RSA_P ";", A_RSA, NULL},
        {"v=DKIM1; g=*; k=rsa; p=" RSA_P, A_RSA, NULL}, /* unknown (historic) tags ignored */
        {"v=DKIM1; k=ed25519; t=y:s; n=a note; x_new=1; p=" ED_P, A_ED, NULL},
        {"p=" ED_P "; k=ed25519", A_ED, NULL},
        {" v = DKIM1 ;\tk = ed25519 ; p = " ED_P " ; ", A_ED, NULL},
        /* white space inside p=: TXT strings joined, folded, spaced */
        {"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR "
         "iGs5V6NpP3idY6Wk08a5qhdR6wy5"
         "bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC\t DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hst"
         "T5QjvHO9PzoxZyVYLzBfO2EeC3\r\n Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
         A_RSA, NULL},
        {"k=ed25519; p=11qYAYKx CrfVS/7T yWQHOg7h\r\n\tcvPapiMl rwIaaPcH URo=", A_ED, NULL},
        /* h= and s= lists */
        {"v=DKIM1; h=sha256; p=" RSA_P, A_RSA, NULL},
        {"v=DKIM1; h=sha1:sha256; p=" RSA_P, A_RSA, NULL},
        {"v=DKIM1; h= sha512 : sha256 ; k=rsa; p=" RSA_P, A_RSA, NULL},
        {"v=DKIM1; s=email; p=" RSA_P, A_RSA, NULL},
        {"v=DKIM1; s=*; p=" RSA_P, A_RSA, NULL},
        {"v=DKIM1; s=tlsrpt : email; p=" RSA_P, A_RSA, NULL},
        /* refused */
        {"v=DKIM1; k=rsa; p=" ED_P, A_RSA, "p= holds a different key"},
        {"v=DKIM1; k=ed25519; p=" OTHER, A_ED, "p= holds a different key"},
        {"v=DKIM1; k=ed25519; p=" ED_P "A", A_ED, "p= holds a different key"},
        {"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo", A_ED,
         "p= holds a different key"},
        {"v=DKIM1; k=ed25519; p=11QYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", A_ED,
         "p= holds a different key"},
        {"v=DKIM1; k=ed25519; p=" ED_P, A_RSA, "k= is ed25519, the key is rsa"},
        {"v=DKIM1; k=rsa; p=" ED_P, A_ED, "k= is rsa, the key is ed25519"},
        {"v=DKIM1; p=" ED_P, A_ED, "k= is rsa (by default), the key is ed25519"},
        {"v=DKIM1; k=RSA; p=" RSA_P, A_RSA, "k= is RSA, the key is rsa"},
        {"v=DKIM1; k=; p=" RSA_P, A_RSA, "k= is , the key is rsa"},
        {"v=DKIM1; k=rsa; p=", A_RSA, "the key is revoked (empty p=)"},
        {"v=DKIM1; k=ed25519; p= \t ;", A_ED, "the key is revoked (empty p=)"},
        {"k=rsa; v=DKIM1; p=" RSA_P, A_RSA, "not a DKIM key record: v= is not the first tag"},
        {"p=" RSA_P "; v=DKIM1", A_RSA, "not a DKIM key record: v= is not the first tag"},
        {"v=DKIM2; p=" RSA_P, A_RSA, "not a DKIM key record: v= is not DKIM1"},
        {"v=dkim1; p=" RSA_P, A_RSA, "not a DKIM key record: v= is not DKIM1"},
        {"v=spf1 -all", A_RSA, "not a DKIM key record: v= is not DKIM1"},
        {"v=DKIM1; h=sha1; p=" RSA_P, A_RSA, "h= does not list sha256"},
        {"v=DKIM1; h=sha1:sha512; p=" RSA_P, A_RSA, "h= does not list sha256"},
        {"v=DKIM1; h=sha2566; p=" RSA_P, A_RSA, "h= does not list sha256"},
        {"v=DKIM1; s=tlsrpt; p=" RSA_P, A_RSA, "s= does not list email or *"},
        {"v=DKIM1; s=; p=" RSA_P, A_RSA, "s= does not list email or *"},
        {"v=DKIM1; k=rsa", A_RSA, "not a DKIM key record: no p="},
        {"", A_RSA, "not a DKIM key record: no p="},
        {"v=DKIM1; p=" RSA_P "; p=" RSA_P, A_RSA, "not a DKIM key record: tag p given twice"},
        {"v=DKIM1; k=rsa; p=" RSA_P ";;", A_RSA,
         "not a DKIM key record: empty or invalid tag name at offset 235"},
        {"hello world", A_RSA, "not a DKIM key record: no '=' after tag hello"},
        {"v=DKIM1\x01; k=rsa; p=" RSA_P, A_RSA,
         "not a DKIM key record: control character 0x01 in a tag value"},
};

static void test_check_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(check_rows); i++) {
		const struct check_row *r = &check_rows[i];
		char why[128] = "";
		int rc = dkim_record_check(r->txt, strlen(r->txt), r->alg,
		                           r->alg == A_RSA ? rsa_pub : ed_pub, why, sizeof(why));
		if (r->why == NULL) {
			EXPECT(rc == 0, "row %zu %s: refused: %s", i, shows(r->txt), why);
			continue;
		}
		EXPECT(rc == -1 && strcmp(why, r->why) == 0, "row %zu %s: %d %s, expected %s", i,
		       shows(r->txt), rc, shows(why), shows(r->why));
	}
	ALL_PASSED();
}

/* the record is n octets, not a C string: a NUL or text past n is not read */
static void test_check_length(void **state)
{
	static const char txt[] = "k=ed25519; p=" ED_P "; junk\0=x";
	char why[128];

	(void)state;
	assert_int_equal(dkim_record_check(txt, strlen("k=ed25519; p=" ED_P), A_ED, ed_pub, why,
	                                   sizeof(why)),
	                 0);
	assert_int_equal(dkim_record_check(txt, sizeof(txt) - 1, A_ED, ed_pub, why, sizeof(why)),
	                 -1);
	assert_int_equal(dkim_record_check(txt, 20, A_ED, ed_pub, why, sizeof(why)), -1);
	assert_string_equal(why, "p= holds a different key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_format),
	        cmocka_unit_test(test_check_rows),
	        cmocka_unit_test(test_check_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
