/*
 * esmtp_test.c - MAIL and RCPT parameters: SIZE, BODY, SMTPUTF8, AUTH, the DSN
 * parameters (only when DSN was advertised), duplicates, unknown keywords,
 * bad keyword and value syntax, oversize and empty values; and xtext.
 * The parameter text starts just after the path, e.g. " SIZE=100".
 */
#include "esmtp.h"

#include <inttypes.h>
#include <stdlib.h>

#include "unit.h"

static const struct esmtp_ext ALL = {.smtputf8 = true, .eightbit = true, .dsn = true};
static const struct esmtp_ext NONE = {.smtputf8 = false, .eightbit = false, .dsn = false};
static const struct esmtp_ext NODSN = {.smtputf8 = true, .eightbit = true, .dsn = false};

struct mail_row {
	const char *s;
	const struct esmtp_ext *ext;
	int rc;
	enum reply why;
	uint64_t size;
	enum body_type body;
	bool smtputf8;
	enum dsn_ret ret;
	const char *envid;
};

#define MOK(s, e, ...)                                                                             \
	{                                                                                          \
		s, &(e), 0, RPL_MAX, __VA_ARGS__                                                   \
	}
#define MERR(s, e, w)                                                                              \
	{                                                                                          \
		s, &(e), -1, w, 0, BODY_7BIT, false, DSN_RET_DEFAULT, ""                           \
	}

static const struct mail_row mail_rows[] = {
        MOK("", ALL, 0, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK("", NONE, 0, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK(" ", ALL, 0, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK("   ", NONE, 0, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK(" SIZE=100", NONE, 100, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK(" size=100", NONE, 100, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK(" Size=0", NONE, 0, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK(" SIZE=18446744073709551615", NONE, UINT64_MAX, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK(" SIZE=100 BODY=8BITMIME", ALL, 100, BODY_8BITMIME, false, DSN_RET_DEFAULT, ""),
        MOK(" BODY=7BIT", NONE, 0, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK(" body=7bit", NONE, 0, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK(" body=8bitmime", ALL, 0, BODY_8BITMIME, false, DSN_RET_DEFAULT, ""),
        MOK(" SMTPUTF8", ALL, 0, BODY_7BIT, true, DSN_RET_DEFAULT, ""),
        MOK(" smtputf8", ALL, 0, BODY_7BIT, true, DSN_RET_DEFAULT, ""),
        MOK("   SIZE=1   BODY=7BIT   ", ALL, 1, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK(" AUTH=<>", NONE, 0, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK(" AUTH=user+40example.com", NONE, 0, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK(" AUTH=a+2Bb+3D", NONE, 0, BODY_7BIT, false, DSN_RET_DEFAULT, ""),
        MOK(" RET=FULL", ALL, 0, BODY_7BIT, false, DSN_RET_FULL, ""),
        MOK(" ret=hdrs", ALL, 0, BODY_7BIT, false, DSN_RET_HDRS, ""),
        MOK(" ENVID=abc+2B123", ALL, 0, BODY_7BIT, false, DSN_RET_DEFAULT, "abc+2B123"),
        MOK(" ENVID=QQ314159", ALL, 0, BODY_7BIT, false, DSN_RET_DEFAULT, "QQ314159"),
        MOK(" SIZE=1 BODY=8BITMIME SMTPUTF8 AUTH=<> RET=HDRS ENVID=x", ALL, 1, BODY_8BITMIME, true,
            DSN_RET_HDRS, "x"),

        /* no leading space: the parameters must be separated from the path */
        MERR("SIZE=100", ALL, RPL_SYNTAX),
        MERR(">", ALL, RPL_SYNTAX),
        MERR("\tSIZE=100", ALL, RPL_SYNTAX),
        MERR(" \tSIZE=100", ALL, RPL_SYNTAX),

        /* SIZE */
        MERR(" SIZE", ALL, RPL_SYNTAX),
        MERR(" SIZE=", ALL, RPL_SYNTAX),
        MERR(" SIZE=abc", ALL, RPL_SYNTAX),
        MERR(" SIZE=-1", ALL, RPL_SYNTAX),
        MERR(" SIZE=+1", ALL, RPL_SYNTAX),
        MERR(" SIZE=1.5", ALL, RPL_SYNTAX),
        MERR(" SIZE=1k", ALL, RPL_SYNTAX),
        MERR(" SIZE=0x10", ALL, RPL_SYNTAX),
        MERR(" SIZE=18446744073709551616", ALL, RPL_SYNTAX),
        MERR(" SIZE=99999999999999999999999", ALL, RPL_SYNTAX),
        MERR(" SIZE=1 SIZE=2", ALL, RPL_PARAM_DUP),
        MERR(" SIZE=1 size=1", ALL, RPL_PARAM_DUP),
        MERR(" SIZE=1 BODY=7BIT SIZE=1", ALL, RPL_PARAM_DUP),

        /* '=' inside a value, and values of other bad characters */
        MERR(" SIZE==1", ALL, RPL_SYNTAX),
        MERR(" SIZE=1=2", ALL, RPL_SYNTAX),
        MERR(" BODY=8BIT=MIME", ALL, RPL_SYNTAX),
        MERR(" AUTH=a=b", ALL, RPL_SYNTAX),
        MERR(" SIZE= 1", ALL, RPL_SYNTAX),
        MERR(" SIZE =1", ALL, RPL_SYNTAX),
        MERR(" SIZE=1\t", ALL, RPL_SYNTAX),
        MERR(" SIZE=1\x01", ALL, RPL_SYNTAX),
        MERR(" SIZE=1\x7f", ALL, RPL_SYNTAX),
        MERR(" AUTH=\xc3\xa9", ALL, RPL_SYNTAX),
        MERR(" SIZE=1\r\nRCPT TO:<a@b>", ALL, RPL_SYNTAX),

        /* bad keyword characters */
        MERR(" SI_ZE=1", ALL, RPL_SYNTAX),
        MERR(" -SIZE=1", ALL, RPL_SYNTAX),
        MERR(" =1", ALL, RPL_SYNTAX),
        MERR(" SIZE.=1", ALL, RPL_SYNTAX),
        MERR(" S\xc3\x8dZE=1", ALL, RPL_SYNTAX),
        MERR(" <a@b>", ALL, RPL_SYNTAX),
        MERR(" SIZE:1", ALL, RPL_SYNTAX),

        /* BODY */
        MERR(" BODY=BINARYMIME", ALL, RPL_BODY_UNSUPP),
        MERR(" BODY=8BITMIME", NONE, RPL_BODY_UNSUPP), /* not advertised */
        MERR(" BODY=bogus", ALL, RPL_BODY_UNSUPP),
        MERR(" BODY=8BIT", ALL, RPL_BODY_UNSUPP),
        MERR(" BODY=", ALL, RPL_SYNTAX),
        MERR(" BODY", ALL, RPL_SYNTAX),
        MERR(" BODY=8BITMIME BODY=7BIT", ALL, RPL_PARAM_DUP),

        /* SMTPUTF8 */
        MERR(" SMTPUTF8=yes", ALL, RPL_SYNTAX),
        MERR(" SMTPUTF8=", ALL, RPL_SYNTAX),
        MERR(" SMTPUTF8", NONE, RPL_PARAM_UNKNOWN), /* not advertised */
        MERR(" SMTPUTF8 SMTPUTF8", ALL, RPL_PARAM_DUP),

        /* AUTH: <> or xtext */
        MERR(" AUTH", ALL, RPL_SYNTAX),
        MERR(" AUTH=", ALL, RPL_SYNTAX),
        MERR(" AUTH=a+2b", ALL, RPL_SYNTAX), /* hex must be upper case */
        MERR(" AUTH=a+", ALL, RPL_SYNTAX),
        MERR(" AUTH=a+4", ALL, RPL_SYNTAX),
        MERR(" AUTH=a+GG", ALL, RPL_SYNTAX),
        MERR(" AUTH=<> AUTH=<>", ALL, RPL_PARAM_DUP),

        /* DSN: only when advertised */
        MERR(" RET=FULL", NODSN, RPL_PARAM_UNKNOWN),
        MERR(" ENVID=x", NODSN, RPL_PARAM_UNKNOWN),
        MERR(" RET=NONE", ALL, RPL_SYNTAX),
        MERR(" RET=", ALL, RPL_SYNTAX),
        MERR(" RET", ALL, RPL_SYNTAX),
        MERR(" RET=FULL RET=HDRS", ALL, RPL_PARAM_DUP),
        MERR(" ENVID", ALL, RPL_SYNTAX),
        MERR(" ENVID=", ALL, RPL_SYNTAX),
        MERR(" ENVID=a+zz", ALL, RPL_SYNTAX),
        MERR(" ENVID=a+2", ALL, RPL_SYNTAX),
        MERR(" ENVID=a ENVID=b", ALL, RPL_PARAM_DUP),
        MERR(" NOTIFY=NEVER", ALL, RPL_PARAM_UNKNOWN), /* a RCPT parameter */
        MERR(" ORCPT=rfc822;a+40b", ALL, RPL_PARAM_UNKNOWN),

        /* unknown keywords are refused, never ignored */
        MERR(" X-FOO=1", ALL, RPL_PARAM_UNKNOWN),
        MERR(" FOO", ALL, RPL_PARAM_UNKNOWN),
        MERR(" XYZ=1", ALL, RPL_PARAM_UNKNOWN),
        MERR(" MT-PRIORITY=3", ALL, RPL_PARAM_UNKNOWN),
        MERR(" REQUIRETLS", ALL, RPL_PARAM_UNKNOWN),
        MERR(" X-FOO=1 SIZE=1", ALL, RPL_PARAM_UNKNOWN),
        MERR(" SIZE=1 X-FOO=1", ALL, RPL_PARAM_UNKNOWN),
        MERR(" SIZEX=1", ALL, RPL_PARAM_UNKNOWN),
        MERR(" SIZ=1", ALL, RPL_PARAM_UNKNOWN),

        /* a failure later in the line is never a partial accept */
        MERR(" SIZE=1 BODY=BOGUS", ALL, RPL_BODY_UNSUPP),
        MERR(" SIZE=1 BODY=7BIT SMTPUTF8=1", ALL, RPL_SYNTAX),
        MERR(" SIZE=1 BODY=7BIT =", ALL, RPL_SYNTAX),
};

static void test_mail_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(mail_rows); i++) {
		const struct mail_row *r = &mail_rows[i];
		struct mail_params p;
		enum reply why = RPL_MAX;
		memset(&p, 0xa5, sizeof(p));
		int rc = esmtp_mail_params(r->s, r->ext, &p, &why);
		EXPECT(rc == r->rc, "row %zu %s: rc %d why %s", i, shows(r->s), rc, rname(why));
		if (rc != r->rc)
			continue;
		if (rc < 0) {
			EXPECT(why == r->why, "row %zu %s: why %s, expected %s", i, shows(r->s),
			       rname(why), rname(r->why));
			continue;
		}
		EXPECT(p.size == r->size && p.body == r->body && p.smtputf8 == r->smtputf8 &&
		               p.ret == r->ret && strcmp(p.envid, r->envid) == 0,
		       "row %zu %s: size %" PRIu64 " body %d smtputf8 %d ret %d envid %s", i,
		       shows(r->s), p.size, p.body, p.smtputf8, p.ret, shows(p.envid));
	}
	ALL_PASSED();
}

struct rcpt_row {
	const char *s;
	const struct esmtp_ext *ext;
	int rc;
	enum reply why;
	unsigned notify;
	const char *orcpt;
};

#define ROK(s, e, n, o)                                                                            \
	{                                                                                          \
		s, &(e), 0, RPL_MAX, n, o                                                          \
	}
#define RERR(s, e, w)                                                                              \
	{                                                                                          \
		s, &(e), -1, w, 0, ""                                                              \
	}

static const struct rcpt_row rcpt_rows[] = {
        ROK("", ALL, 0, ""),
        ROK("", NONE, 0, ""),
        ROK("  ", NONE, 0, ""),
        ROK(" NOTIFY=NEVER", ALL, DSN_NOTIFY_NEVER, ""),
        ROK(" notify=never", ALL, DSN_NOTIFY_NEVER, ""),
        ROK(" NOTIFY=SUCCESS", ALL, DSN_NOTIFY_SUCCESS, ""),
        ROK(" NOTIFY=SUCCESS,FAILURE,DELAY", ALL,
            DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY, ""),
        ROK(" NOTIFY=delay,Failure", ALL, DSN_NOTIFY_DELAY | DSN_NOTIFY_FAILURE, ""),
        ROK(" ORCPT=rfc822;user+40example.com", ALL, 0, "rfc822;user+40example.com"),
        ROK(" ORCPT=utf-8;x", ALL, 0, "utf-8;x"),
        ROK(" ORCPT=rfc822;a;b", ALL, 0, "rfc822;a;b"), /* ';' is an xchar */
        ROK(" NOTIFY=FAILURE ORCPT=rfc822;a+40b", ALL, DSN_NOTIFY_FAILURE, "rfc822;a+40b"),
        ROK(" ORCPT=rfc822;a+40b NOTIFY=FAILURE ", ALL, DSN_NOTIFY_FAILURE, "rfc822;a+40b"),

        RERR("NOTIFY=NEVER", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=NEVER,SUCCESS", ALL, RPL_SYNTAX), /* NEVER stands alone */
        RERR(" NOTIFY=SUCCESS,NEVER", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=NEVER,NEVER", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=DELAY,FAILURE,SUCCESS,NEVER", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=", ALL, RPL_SYNTAX),
        RERR(" NOTIFY", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=SUCCESS,SUCCESS", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=SUCCESS,", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=,SUCCESS", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=SUCCESS,,FAILURE", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=,", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=ALWAYS", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=SUCCES", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=SUCCESSFAILURE", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=NEVER=1", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=NEVER NOTIFY=NEVER", ALL, RPL_PARAM_DUP),
        RERR(" NOTIFY=NEVER", NODSN, RPL_PARAM_UNKNOWN),
        RERR(" ORCPT=rfc822;a", NODSN, RPL_PARAM_UNKNOWN),
        RERR(" ORCPT=rfc822", ALL, RPL_SYNTAX),
        RERR(" ORCPT=;a", ALL, RPL_SYNTAX),
        RERR(" ORCPT=rfc822;", ALL, RPL_SYNTAX),
        RERR(" ORCPT=rfc822;a+2g", ALL, RPL_SYNTAX),
        RERR(" ORCPT=rfc822;a+", ALL, RPL_SYNTAX),
        RERR(" ORCPT", ALL, RPL_SYNTAX),
        RERR(" ORCPT=", ALL, RPL_SYNTAX),
        RERR(" ORCPT=rfc822;a=b", ALL, RPL_SYNTAX),
        /* regression: the ORCPT addr-type was not checked to be an RFC 5322 atom (RFC 3461 4.2) */
        RERR(" ORCPT=@;a", ALL, RPL_SYNTAX),
        RERR(" ORCPT=r\"c;a", ALL, RPL_SYNTAX),
        RERR(" ORCPT=(x);a", ALL, RPL_SYNTAX),
        RERR(" ORCPT=a;b ORCPT=a;b", ALL, RPL_PARAM_DUP),
        RERR(" SIZE=1", ALL, RPL_PARAM_UNKNOWN), /* MAIL parameters */
        RERR(" BODY=7BIT", ALL, RPL_PARAM_UNKNOWN),
        RERR(" RET=FULL", ALL, RPL_PARAM_UNKNOWN),
        RERR(" SMTPUTF8", ALL, RPL_PARAM_UNKNOWN),
        RERR(" X-FOO", ALL, RPL_PARAM_UNKNOWN),
        RERR(" NOTIFY=NEVER X-FOO", ALL, RPL_PARAM_UNKNOWN),
        RERR(" NO_TIFY=NEVER", ALL, RPL_SYNTAX),
        RERR(" NOTIFY=NEVER\x01", ALL, RPL_SYNTAX),
};

static void test_rcpt_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rcpt_rows); i++) {
		const struct rcpt_row *r = &rcpt_rows[i];
		struct rcpt_params p;
		enum reply why = RPL_MAX;
		memset(&p, 0xa5, sizeof(p));
		int rc = esmtp_rcpt_params(r->s, r->ext, &p, &why);
		EXPECT(rc == r->rc, "row %zu %s: rc %d why %s", i, shows(r->s), rc, rname(why));
		if (rc != r->rc)
			continue;
		if (rc < 0) {
			EXPECT(why == r->why, "row %zu %s: why %s, expected %s", i, shows(r->s),
			       rname(why), rname(r->why));
			continue;
		}
		EXPECT(p.notify == r->notify && strcmp(p.orcpt, r->orcpt) == 0,
		       "row %zu %s: notify %#x orcpt %s", i, shows(r->s), p.notify, shows(p.orcpt));
	}
	ALL_PASSED();
}

/* " KW=" followed by n copies of c */
static char *param_of(const char *kw, const char *prefix, char c, size_t n)
{
	size_t k = strlen(kw), p = strlen(prefix);
	char *s = malloc(k + p + n + 3);

	assert_non_null(s);
	s[0] = ' ';
	memcpy(s + 1, kw, k);
	s[1 + k] = '=';
	memcpy(s + 2 + k, prefix, p);
	memset(s + 2 + k + p, c, n);
	s[2 + k + p + n] = '\0';
	return s;
}

/* oversize values and keywords: the limits of ENVID (100), ORCPT (500), any value (512) */
static void test_oversize(void **state)
{
	struct mail_params mp;
	struct rcpt_params rp;
	enum reply why;
	char *s;

	(void)state;
	s = param_of("ENVID", "", 'e', ESMTP_ENVID_MAX);
	EXPECT(esmtp_mail_params(s, &ALL, &mp, &why) == 0 && strlen(mp.envid) == 100,
	       "ENVID of 100 refused");
	free(s);
	s = param_of("ENVID", "", 'e', ESMTP_ENVID_MAX + 1);
	EXPECT(esmtp_mail_params(s, &ALL, &mp, &why) == -1 && why == RPL_SYNTAX,
	       "ENVID of 101: why %s", rname(why));
	free(s);
	s = param_of("ORCPT", "rfc822;", 'o', ESMTP_ORCPT_MAX - 7);
	EXPECT(esmtp_rcpt_params(s, &ALL, &rp, &why) == 0 && strlen(rp.orcpt) == 500,
	       "ORCPT of 500 refused");
	free(s);
	s = param_of("ORCPT", "rfc822;", 'o', ESMTP_ORCPT_MAX - 6);
	EXPECT(esmtp_rcpt_params(s, &ALL, &rp, &why) == -1 && why == RPL_SYNTAX,
	       "ORCPT of 501: why %s", rname(why));
	free(s);
	s = param_of("ORCPT", "rfc822;", 'o', 2000);
	EXPECT(esmtp_rcpt_params(s, &ALL, &rp, &why) == -1 && why == RPL_SYNTAX,
	       "ORCPT of 2007: why %s", rname(why));
	free(s);
	s = param_of("AUTH", "", 'a', 512);
	EXPECT(esmtp_mail_params(s, &ALL, &mp, &why) == 0, "AUTH of 512 refused: %s", rname(why));
	free(s);
	s = param_of("AUTH", "", 'a', 513);
	EXPECT(esmtp_mail_params(s, &ALL, &mp, &why) == -1 && why == RPL_SYNTAX,
	       "AUTH of 513: why %s", rname(why));
	free(s);
	s = param_of("SIZE", "", '1', 100000);
	EXPECT(esmtp_mail_params(s, &ALL, &mp, &why) == -1 && why == RPL_SYNTAX,
	       "SIZE of 100000 digits: why %s", rname(why));
	free(s);
	s = param_of("X", "", 'x', 100000);
	EXPECT(esmtp_mail_params(s, &ALL, &mp, &why) == -1 && why == RPL_SYNTAX,
	       "X=100000 octets: why %s", rname(why));
	free(s);

	/* keywords: 32 octets is a (well-formed, unknown) keyword; 33 is bad syntax */
	char kw[64];
	memset(kw, 0, sizeof(kw));
	kw[0] = ' ';
	memset(kw + 1, 'K', 32);
	EXPECT(esmtp_mail_params(kw, &ALL, &mp, &why) == -1 && why == RPL_PARAM_UNKNOWN,
	       "keyword of 32: why %s", rname(why));
	kw[33] = 'K';
	EXPECT(esmtp_mail_params(kw, &ALL, &mp, &why) == -1 && why == RPL_SYNTAX,
	       "keyword of 33: why %s", rname(why));
	ALL_PASSED();
}

/* many parameters (each unique keyword once) never overflow anything */
static void test_many_params(void **state)
{
	char s[8192];
	size_t n = 0;
	struct mail_params mp;
	enum reply why = RPL_MAX;

	(void)state;
	while (n < sizeof(s) - 16)
		n += (size_t)snprintf(s + n, sizeof(s) - n, " SIZE=1");
	EXPECT(esmtp_mail_params(s, &ALL, &mp, &why) == -1 && why == RPL_PARAM_DUP,
	       "repeated SIZE: why %s", rname(why));
	ALL_PASSED();
}

struct xtext_row {
	const char *s;
	bool valid;
};

static const struct xtext_row xtext_rows[] = {
        {"", true},       {"abc", true},  {"a+2B", true},  {"+2B+3D", true}, {"+00+FF", true},
        {"~!", true},     {"<>", true},   {"a@b.c", true}, {"+2b", false},   {"+2", false},
        {"+", false},     {"a+", false},  {"+G0", false},  {"+0g", false},   {"a=b", false},
        {"=", false},     {"a b", false}, {" ", false},    {"\x7f", false},  {"\xc3\xa9", false},
        {"a\x01", false}, {"a\t", false}, {"++2B", false}, {"+-1", false},
};

static void test_xtext_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(xtext_rows); i++) {
		bool v = esmtp_xtext_valid(xtext_rows[i].s, strlen(xtext_rows[i].s));
		EXPECT(v == xtext_rows[i].valid, "row %zu %s: %d", i, shows(xtext_rows[i].s), v);
	}
	/* n is honoured: a '+' whose hex digits lie beyond n is incomplete */
	EXPECT(!esmtp_xtext_valid("a+2B", 3), "xtext read past n");
	EXPECT(esmtp_xtext_valid("ab=", 2), "xtext looked past n");
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mail_rows),  cmocka_unit_test(test_rcpt_rows),
	        cmocka_unit_test(test_oversize),   cmocka_unit_test(test_many_params),
	        cmocka_unit_test(test_xtext_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
