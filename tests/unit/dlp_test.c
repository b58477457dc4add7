/*
 * dlp_test.c - the DLP engine: each built-in detector's true positives (every
 * issuer and format) and near misses (Luhn, issuer length, check digits,
 * SSN ranges, longer numbers), keywords (whole words, case, white space),
 * regex counts, min_count, matches split across feeds at every offset but
 * never across texts, one database for 50 rules, and every compile error
 * naming its rule.
 */
#include "dlp.h"
#include "dlp_check.h"

#include <limits.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"

/* ---- helpers ---- */

static struct dlp_db *compile(const struct dlp_rule_spec *r, size_t n)
{
	char err[256] = "";
	struct dlp_db *db = dlp_compile(r, n, err, sizeof(err));

	if (db == NULL)
		fail_msg("dlp_compile: %s", err);
	return db;
}

static unsigned count_of(const struct dlp_scan *s, const char *rule)
{
	struct dlp_hit hits[64];
	size_t n = dlp_scan_results(s, hits, NELEM(hits));

	for (size_t i = 0; i < n && i < NELEM(hits); i++)
		if (strcmp(hits[i].rule, rule) == 0)
			return hits[i].count;
	return 0;
}

/*
 * feed - one text, cut at the offsets cuts[0..ncuts) (ascending), each piece
 * copied to a heap block of its exact size so a read past it is caught
 */
static void feed(struct dlp_scan *s, const char *t, size_t n, const size_t *cuts, size_t ncuts)
{
	size_t at = 0;

	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : n;
		char *p = malloc(end - at + 1);
		assert_non_null(p);
		memcpy(p, t + at, end - at);
		assert_int_equal(dlp_scan_feed(s, p, end - at), 0);
		free(p);
		at = end;
	}
	assert_int_equal(dlp_scan_end_text(s), 0);
}

static const struct dlp_rule_spec builtins[] = {
        {.name = "card", .kind = DLP_CARD, .min_count = 1},
        {.name = "iban", .kind = DLP_IBAN, .min_count = 1},
        {.name = "ssn", .kind = DLP_SSN, .min_count = 1},
};

struct bi_row {
	const char *text;
	unsigned card, iban, ssn;
};

#define CARD(t)                                                                                    \
	{                                                                                          \
		t, 1, 0, 0                                                                         \
	}
#define NOCARD(t)                                                                                  \
	{                                                                                          \
		t, 0, 0, 0                                                                         \
	}
#define IBAN(t)                                                                                    \
	{                                                                                          \
		t, 0, 1, 0                                                                         \
	}
#define SSN(t)                                                                                     \
	{                                                                                          \
		t, 0, 0, 1                                                                         \
	}
#define NOTHING(t)                                                                                 \
	{                                                                                          \
		t, 0, 0, 0                                                                         \
	}

static const struct bi_row bi_rows[] = {
        /* Visa: 13, 16, 19 digits; as people write them */
        CARD("4935113502739"),
        CARD("4111111111111111"),
        CARD("4014728336619343"),
        CARD("4049514465758625211"),
        CARD("4111 1111 1111 1111"),
        CARD("4111-1111-1111-1111"),
        CARD("4049 5144 6575 8625 211"),
        CARD("pay with 4111111111111111 today"),
        CARD("card:4111111111111111;"),
        CARD("(4111-1111-1111-1111)"),
        CARD("4111111111111111."),
        CARD("4111111111111111, expires"),
        CARD("4111111111111111 12/25"),
        CARD("4111-1111-1111-1111 2025"),
        CARD("ref 12-4111 1111 1111 1111"),
        /* Mastercard: 51-55, 2221-2720 */
        CARD("5134281149873279"),
        CARD("5548309949974755"),
        CARD("5555 5555 5555 4444"),
        CARD("2221081697310851"),
        CARD("2720606544137143"),
        /* American Express: 34, 37; 15 digits, 4-6-5 */
        CARD("378282246310005"),
        CARD("3782 822463 10005"),
        CARD("343431328213114"),
        CARD("374761061844614"),
        /* Discover: 6011, 644-649, 65 */
        CARD("6011111111111117"),
        CARD("6011973095681344"),
        CARD("6011567250501618471"),
        CARD("6444342112333502"),
        CARD("6490746697886382"),
        CARD("6582550126195087"),
        /* JCB: 3528-3589 */
        CARD("3530111333300000"),
        CARD("3528241960209283"),
        CARD("3589897927435356"),
        CARD("3589296605079543201"),
        /* Diners Club: 300-305, 36, 38; 4-6-4 */
        CARD("30569309025904"),
        CARD("3056 930902 5904"),
        CARD("30047597143036"),
        CARD("30565173660149"),
        CARD("36821969386827"),
        CARD("38965197742745"),
        CARD("3612335105148955"),
        /* UnionPay: 62 */
        CARD("6200000000000005"),
        CARD("6273191675171239"),
        CARD("62033650202121151"),
        CARD("6270887041375674376"),
        {"4111111111111111 and 5555555555554444", 2, 0, 0},
        {"4111 1111 1111 1111\n5555-5555-5555-4444\n378282246310005", 3, 0, 0},

        /* near misses: Luhn, issuer range, issuer length */
        NOCARD("4111111111111112"),
        NOCARD("5555555555554445"),
        NOCARD("2220933303765442"),
        NOCARD("2721644837787851"),
        NOCARD("5647302294656416"),
        NOCARD("5069688747733441"),
        NOCARD("3492667062929950"),
        NOCARD("37014322387521"),
        NOCARD("6010906775993648"),
        NOCARD("6434858105554426"),
        NOCARD("3527434211233357"),
        NOCARD("3590829112533395"),
        NOCARD("30688882670918"),
        NOCARD("446719289382845"),
        NOCARD("46419267457669"),
        NOCARD("515588979899087"),
        NOCARD("49486906780716070"),
        NOCARD("3612345678907"),
        NOCARD("3009876543214"),
        NOCARD("0000000000000000"),
        /* part of a longer number */
        NOCARD("74111111111111111"),
        NOCARD("41111111111111117"),
        NOCARD("x4111111111111111"),
        NOCARD("4111111111111111x"),
        NOCARD("0.4111111111111111"),
        NOCARD("4111111111111111.5"),
        NOCARD("1,4111111111111111"),
        NOCARD("12 4111 1111 1111 1111"),
        NOCARD("4111 1111 1111 1111 1234"),
        NOCARD("4111-1111-1111-1111-1234"),
        NOCARD("4111 1111-1111 1111"),
        NOCARD("4111  1111 1111 1111"),
        NOCARD("41 11 11 11 11 11 11 11"),
        NOCARD("4111 1111 1111 111 1"),
        NOCARD("411 1111 1111 1111 1"),
        NOCARD("4111 11111111 1111"),
        NOCARD("41111 1111 1111 111"),
        NOCARD("4111 1111111 11111"),
        NOCARD("411111 111111 1111"),

        /* IBAN: compact, in groups of 4, either case */
        IBAN("DE89370400440532013000"),
        IBAN("DE89 3704 0044 0532 0130 00"),
        IBAN("de89 3704 0044 0532 0130 00"),
        IBAN("IBAN: DE89 3704 0044 0532 0130 00."),
        IBAN("IBAN:GB82WEST12345698765432\n"),
        IBAN("DE02100000000000000089"),
        IBAN("DE98100000000000000010"),
        {"DE89370400440532013000 GB82 WEST 1234 5698 7654 32", 0, 2, 0},
        /* near misses: check digits, length, country, grouping, boundaries */
        NOTHING("DE88370400440532013000"),
        NOTHING("DE99100000000000000089"), /* mod 97 == 1, but 99 is no check value */
        NOTHING("DE01100000000000000010"),
        NOTHING("DE8937040044053201300"),
        NOTHING("DE893704004405320130000"),
        NOTHING("XX89370400440532013000"),
        NOTHING("DE89 37040044 0532 0130 00"),
        NOTHING("DE89  3704 0044 0532 0130 00"),
        NOTHING("xDE89370400440532013000"),
        NOTHING("DE89370400440532013000x"),
        NOTHING("DE89 3704 0044 0532 0130 00x"),

        /* SSN: dashed, spaced, 9 digits after a keyword */
        SSN("123-45-6789"),
        SSN("SSN 123 45 6789"),
        SSN("ssn: 123456789"),
        SSN("SS# 123456789."),
        SSN("Social Security Number: 123456789"),
        SSN("social\r\nsecurity no. 899010001"),
        SSN("078-05-1121"),
        SSN("665-01-0001"),
        SSN("ssn=123-45-6789, dob=1970-01-01"),
        {"123-45-6789 and 234-56-7890", 0, 0, 2},
        /* near misses: ranges, specimens, longer runs, no keyword */
        NOTHING("000-12-3456"),
        NOTHING("666-12-3456"),
        NOTHING("900-12-3456"),
        NOTHING("999-12-3456"),
        NOTHING("123-00-4567"),
        NOTHING("123-45-0000"),
        NOTHING("078-05-1120"),
        NOTHING("219-09-9999"),
        NOTHING("123456789"),
        NOTHING("order 123456789"),
        NOTHING("1-123-45-6789"),
        NOTHING("123-45-6789-1"),
        NOTHING("123-45-67890"),
        NOTHING("0123-45-6789"),
        NOTHING("123 45-6789"),
        NOTHING("1 123 45 6789"),
        NOTHING("123-45-6789x"),
        NOTHING("SSN 1234567890"),
        NOTHING("SSN: 666123456"),
        NOTHING("SSN: 12345678"),
        NOTHING("SSN for client 7 is 123456789"), /* the keyword is too far: a digit between */

        /* text with none */
        NOTHING(""),
        NOTHING("Dear customer, your invoice 2024-11-000123 of 42.00 EUR is attached."),
        NOTHING("call +1 555 123 4567 or 0800 123 456"),
};

static void test_builtins(void **state)
{
	struct dlp_db *db = compile(builtins, NELEM(builtins));
	struct dlp_scan *s = dlp_scan_new(db);

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < NELEM(bi_rows); i++) {
		const struct bi_row *r = &bi_rows[i];
		assert_int_equal(dlp_scan_reset(s), 0);
		feed(s, r->text, strlen(r->text), NULL, 0);
		unsigned c = count_of(s, "card"), b = count_of(s, "iban"), n = count_of(s, "ssn");
		EXPECT(c == r->card && b == r->iban && n == r->ssn,
		       "row %zu %s: card %u iban %u ssn %u, expected %u %u %u", i, shows(r->text),
		       c, b, n, r->card, r->iban, r->ssn);
	}
	dlp_scan_free(s);
	dlp_free(db);
	ALL_PASSED();
}

/*
 * the validators on their own, with `to` anywhere (the engine only asks at
 * the ends Hyperscan reports): their own bounds, boundaries and starts
 */
struct check_row {
	bool (*check)(const struct dlp_view *, uint64_t, uint64_t *);
	const char *text;
	size_t to; /* 0: the text's length */
	int from;  /* -1: refused */
};

static const struct check_row check_rows[] = {
        {dlp_check_card, "x 4111111111111111", 0, 2},
        {dlp_check_card, "4111 1111 1111 1111", 0, 0},
        {dlp_check_card, "4111 1111 1111 1111 ", 0, -1},
        {dlp_check_card, "4111111111111111", 15, -1},
        {dlp_check_card, "41111111111111111", 0, -1},
        {dlp_check_card, "4111111111111111", 1, -1},
        {dlp_check_card, "", 0, -1},
        {dlp_check_iban, "DE89370400440532013000", 0, 0},
        {dlp_check_iban, "IBAN DE89370400440532013000", 0, 5},
        {dlp_check_iban, "DE89370400440532013000x", 22, -1},
        {dlp_check_iban, "BE68 5390 0754 7034", 0, 0},
        {dlp_check_iban, "BE68 5390 0754 7034 ", 0, -1},
        {dlp_check_iban, "BE68539007547034 ", 0, -1},
        {dlp_check_iban, "DE89", 0, -1},
        {dlp_check_ssn, "123-45-6789", 0, 0},
        {dlp_check_ssn, "23-45-6789", 0, -1},
        {dlp_check_ssn, "123-45-6789", 10, -1},
        {dlp_check_ssn, "123-45 6789", 0, -1},
        {dlp_check_ssn, "", 0, -1},
        {dlp_check_ssn_bare, "SSN 123456789", 0, 4},
        {dlp_check_ssn_bare, "SSN 1123456789", 0, -1},
        {dlp_check_ssn_bare, "SSN 123456789", 12, -1},
        {dlp_check_ssn_bare, "12345678", 0, -1},
};

static void test_validators(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(check_rows); i++) {
		const struct check_row *r = &check_rows[i];
		size_t n = strlen(r->text);
		struct dlp_view v = {(const unsigned char *)r->text, 0, n};
		uint64_t from = 12345;
		bool ok = r->check(&v, r->to ? r->to : n, &from);
		EXPECT(r->from < 0 ? !ok : ok && from == (uint64_t)r->from,
		       "row %zu %s to %zu: %s from %llu", i, shows(r->text), r->to,
		       ok ? "found" : "refused", (unsigned long long)from);
	}
	/* a view that starts inside the text: octets before it are unknown, not absent */
	static const char t[] = "74111111111111111";
	struct dlp_view v = {(const unsigned char *)t + 1, 1, sizeof(t) - 2};
	uint64_t from;
	EXPECT(dlp_check_card(&v, sizeof(t) - 1, &from), "a view from offset 1");
	EXPECT(dlp_luhn("79927398713", 11) && !dlp_luhn("79927398710", 11) && !dlp_luhn("", 0),
	       "luhn");
	EXPECT(dlp_iban_length("DE") == 22 && dlp_iban_length("NO") == 15 &&
	               dlp_iban_length("RU") == 33 && dlp_iban_length("US") == 0,
	       "iban lengths");
	ALL_PASSED();
}

/* IBANs of the registry's countries, each compact and in groups of 4 */
static const char *const ibans[] = {
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "BE68539007547034",
        "ES9121000418450200051332",
        "IT60X0542811101000000123456",
        "CH9300762011623852957",
        "AT611904300234573201",
        "NO9386011117947",
        "MT84MALT011000012345MTLCAST001S",
        "PL61109010140000071219812874",
        "SE4550000000058398257466",
        "SA0380000000608010167519",
        "BR9700360305000010009795493P1",
        "LC55HEMM000100010012001200023015",
        "RU0304452522540817810538091310419",
        "IE29AIBK93115212345678",
        "PT50000201231234567890154",
        "FI2112345600000785",
        "DK5000400440116243",
        "LU280019400644750000",
        "HR1210010051863000160",
        "GR1601101250000000012300695",
        "SI56263300012039086",
        "SK3112000000198742637541",
        "CZ6508000000192000145399",
        "HU42117730161111101800000000",
        "RO49AAAA1B31007593840000",
        "BG80BNBG96611020345678",
        "LT121000011101001000",
        "LV80BANK0000435195001",
        "EE382200221020145685",
        "CY17002001280000001200527600",
        "IS140159260076545510730339",
        "LI21088100002324013AA",
        "MC5811222000010123456789030",
        "SM86U0322509800000000270100",
        "VA59001123000012345678",
        "AD1200012030200359100100",
        "GI75NWBK000000007099453",
        "AL47212110090000000235698741",
        "MD24AG000225100013104168",
        "ME25505000012345678951",
        "MK07250120000058984",
        "RS35260005601001611379",
        "TR330006100519786457841326",
        "UA213223130000026007233566001",
        "IL620108000000099999999",
        "AE070331234567890123456",
        "KW81CBKU0000000000001234560101",
        "QA58DOHB00001234567890ABCDEFG",
        "JO94CBJO0010000000000131000302",
        "BH67BMAG00001299123456",
        "LB62099900000001001901229114",
        "PK36SCBL0000001123456702",
        "KZ86125KZT5004100100",
        "GE29NB0000000101904917",
        "AZ21NABZ00000000137010001944",
        "BA391290079401028494",
        "XK051212012345678906",
        "TN5910006035183598478831",
        "MR1300020001010000123456753",
        "EG380019000500000000263180002",
        "DO28BAGR00000001212453611324",
        "CR05015202001026284066",
        "GT82TRAJ01020000001210029690",
        "SV62CENR00000000000000700025",
        "VG96VPVG0000012345678901",
        "BY13NBRB3600900000002Z00AB00",
        "IQ98NBIQ850123456789012",
        "LY83002048000020100120361",
        "SD2129010501234001",
        "SC18SSCB11010000000000001497USD",
        "MU17BOMM0101101030300200000MUR",
        "ST23000100010051845310146",
        "TL380080012345678910157",
        "FO6264600001631634",
        "GL8964710001000206",
        "DJ2100010000000154000100186",
        "BI4210000100010000332045181",
        "NI45BAPR00000013000003558124",
        "MN121234123456789123",
        "SO211000001001000100141",
        "OM810180000001299123456",
        "FK88SC123456789012",
};

static void test_ibans(void **state)
{
	struct dlp_db *db = compile(builtins, NELEM(builtins));
	struct dlp_scan *s = dlp_scan_new(db);

	(void)state;
	for (size_t i = 0; i < NELEM(ibans); i++) {
		char spaced[64], text[96];
		size_t n = 0;
		for (const char *p = ibans[i]; *p; p++) {
			if (p > ibans[i] && (p - ibans[i]) % 4 == 0)
				spaced[n++] = ' ';
			spaced[n++] = *p;
		}
		spaced[n] = '\0';
		/* compact, spaced, and one digit changed (mod 97 catches every single change) */
		const char *forms[] = {ibans[i], spaced};
		for (size_t f = 0; f < 2; f++) {
			snprintf(text, sizeof(text), "IBAN %s.", forms[f]);
			dlp_scan_reset(s);
			feed(s, text, strlen(text), NULL, 0);
			EXPECT(count_of(s, "iban") == 1, "%s: not found", shows(text));
		}
		snprintf(text, sizeof(text), "%s", ibans[i]);
		text[5] = text[5] == '9' ? '0' : (char)(text[5] + 1);
		if (text[5] == ':')
			text[5] = '0';
		dlp_scan_reset(s);
		feed(s, text, strlen(text), NULL, 0);
		EXPECT(count_of(s, "iban") == 0, "%s: found", shows(text));
	}
	dlp_scan_free(s);
	dlp_free(db);
	ALL_PASSED();
}

/* every true-positive row, cut in two at every offset, then fed octet by octet */
static void test_split(void **state)
{
	struct dlp_db *db = compile(builtins, NELEM(builtins));
	struct dlp_scan *s = dlp_scan_new(db);
	uint64_t seed = 7;

	(void)state;
	for (size_t i = 0; i < NELEM(bi_rows); i++) {
		const struct bi_row *r = &bi_rows[i];
		size_t n = strlen(r->text);
		if (r->card + r->iban + r->ssn == 0)
			continue;
		for (size_t k = 0; k <= n; k++) {
			dlp_scan_reset(s);
			feed(s, r->text, n, &k, 1);
			EXPECT(count_of(s, "card") == r->card && count_of(s, "iban") == r->iban &&
			               count_of(s, "ssn") == r->ssn,
			       "row %zu %s cut at %zu", i, shows(r->text), k);
		}
		size_t cuts[128], nc = 0;
		for (size_t k = 1; k < n && nc < NELEM(cuts); k++)
			cuts[nc++] = k;
		dlp_scan_reset(s);
		feed(s, r->text, n, cuts, nc);
		EXPECT(count_of(s, "card") == r->card && count_of(s, "iban") == r->iban &&
		               count_of(s, "ssn") == r->ssn,
		       "row %zu %s octet by octet", i, shows(r->text));
		/* three random cuts, empty pieces allowed */
		for (int t = 0; t < 20; t++) {
			size_t c3[3];
			for (int j = 0; j < 3; j++)
				c3[j] = (size_t)(xrand(&seed) % (n + 1));
			for (int a = 0; a < 3; a++)
				for (int b = a + 1; b < 3; b++)
					if (c3[b] < c3[a]) {
						size_t x = c3[a];
						c3[a] = c3[b];
						c3[b] = x;
					}
			dlp_scan_reset(s);
			feed(s, r->text, n, c3, 3);
			EXPECT(count_of(s, "card") == r->card && count_of(s, "iban") == r->iban &&
			               count_of(s, "ssn") == r->ssn,
			       "row %zu %s cut at %zu %zu %zu", i, shows(r->text), c3[0], c3[1],
			       c3[2]);
		}
	}
	dlp_scan_free(s);
	dlp_free(db);
	ALL_PASSED();
}

/* a match split across a long run of filler, pieces of every size */
static void test_split_long(void **state)
{
	static const struct dlp_rule_spec rules[] = {
	        {.name = "card", .kind = DLP_CARD},
	        {.name = "kw", .kind = DLP_KEYWORDS, .pattern = "top secret"},
	};
	struct dlp_db *db = compile(rules, NELEM(rules));
	struct dlp_scan *s = dlp_scan_new(db);
	char text[6000];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(
		        text + n, sizeof(text) - n, "%.*s 4111 1111 1111 1111 and TOP\n  SECRET; ",
		        i * 3,
		        "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed "
		        "do eiusmod tempor incididunt ut labore et dolore magna aliqua "
		        "ut enim ad minim veniam, quis nostrud exercitation ullamco");
	for (size_t piece = 1; piece <= 300; piece++) {
		size_t cuts[6000], nc = 0;
		for (size_t k = piece; k < n; k += piece)
			cuts[nc++] = k;
		dlp_scan_reset(s);
		feed(s, text, n, cuts, nc);
		EXPECT(count_of(s, "card") == 40 && count_of(s, "kw") == 40,
		       "pieces of %zu: card %u kw %u", piece, count_of(s, "card"),
		       count_of(s, "kw"));
	}
	dlp_scan_free(s);
	dlp_free(db);
	ALL_PASSED();
}

/* one feed larger than the engine's own pieces: candidates across their seams */
static void test_large_feed(void **state)
{
	static const struct dlp_rule_spec rules[] = {
	        {.name = "card", .kind = DLP_CARD},
	        {.name = "kw", .kind = DLP_KEYWORDS, .pattern = "top secret"},
	        {.name = "re", .kind = DLP_REGEX, .pattern = "PRJ-[0-9]{4}"},
	};
	static const char *const needles[] = {"4111 1111 1111 1111", "top   secret", "PRJ-1234"};
	struct dlp_db *db = compile(rules, NELEM(rules));
	struct dlp_scan *s = dlp_scan_new(db);
	size_t n = 70000;
	char *t = malloc(n);

	(void)state;
	assert_non_null(t);
	for (size_t seam = 16384; seam < n; seam += 16384) {
		for (size_t k = 0; k < NELEM(needles); k++) {
			size_t len = strlen(needles[k]);
			for (size_t d = 0; d <= len; d++) {
				memset(t, ' ', n);
				memcpy(t + seam - d, needles[k], len);
				dlp_scan_reset(s);
				feed(s, t, n, NULL, 0);
				EXPECT(count_of(s, rules[k].name) == 1, "%s across %zu, %zu before",
				       needles[k], seam, d);
			}
		}
	}
	free(t);
	dlp_scan_free(s);
	dlp_free(db);
	ALL_PASSED();
}

/*
 * texts that end where a page ends, before one that may not be read:
 * Hyperscan 5.4.0's AVX-512 VBMI matcher reads past the end of its buffer
 * (the engine hands it a copy with room)
 */
static void test_page_end(void **state)
{
	static const struct dlp_rule_spec rules[] = {
	        {.name = "kw",
	         .kind = DLP_KEYWORDS,
	         .pattern = "bat,cat,mat,rat,fat,sat,pat,hat,vat"},
	        {.name = "card", .kind = DLP_CARD},
	};
	static const char text[] = "VAt hat pat sat fat rat mat ca 4111111111111111";
	long page = sysconf(_SC_PAGESIZE);
	struct dlp_db *db = compile(rules, NELEM(rules));
	struct dlp_scan *s = dlp_scan_new(db);
	char *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	               -1, 0);

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + page, (size_t)page, PROT_NONE), 0);
	for (size_t len = 1; len < sizeof(text); len++) {
		char *p = m + page - len;
		memcpy(p, text + sizeof(text) - 1 - len, len);
		dlp_scan_reset(s);
		assert_int_equal(dlp_scan_feed(s, p, len), 0);
		assert_int_equal(dlp_scan_end_text(s), 0);
	}
	memcpy(m + page - (sizeof(text) - 1), text, sizeof(text) - 1);
	dlp_scan_reset(s);
	feed(s, m + page - (sizeof(text) - 1), sizeof(text) - 1, NULL, 0);
	assert_int_equal(count_of(s, "kw"), 7);
	assert_int_equal(count_of(s, "card"), 1);
	munmap(m, (size_t)page * 2);
	dlp_scan_free(s);
	dlp_free(db);
}

/* ---- texts ---- */

static const struct dlp_rule_spec text_rules[] = {
        {.name = "card", .kind = DLP_CARD},
        {.name = "iban", .kind = DLP_IBAN},
        {.name = "ssn", .kind = DLP_SSN},
        {.name = "kw", .kind = DLP_KEYWORDS, .pattern = "top secret, secret"},
        {.name = "re", .kind = DLP_REGEX, .pattern = "foo[0-9]"},
};

struct text_row {
	const char *texts[3]; /* each ended with dlp_scan_end_text */
	const char *rule;
	unsigned count;
};

static const struct text_row text_rows[] = {
        /* no match spans two texts */
        {{"4111 1111 ", "1111 1111"}, "card", 0},
        {{"41111111", "11111111"}, "card", 0},
        {{"DE89 3704 0044", " 0532 0130 00"}, "iban", 0},
        {{"123-45-", "6789"}, "ssn", 0},
        {{"SSN: ", "123456789"}, "ssn", 0},
        {{"top sec", "ret"}, "kw", 0},
        {{"foo", "1"}, "re", 0},
        /* the ends of a text are boundaries */
        {{"xx", "secret"}, "kw", 1},
        {{"secret", "ary"}, "kw", 1},
        {{"4111111111111111", "5"}, "card", 1},
        {{"5", "4111111111111111"}, "card", 1},
        {{"DE89370400440532013000", "0"}, "iban", 1},
        /* counts add up over the texts of a message */
        {{"secret", "Secret", "SECRET"}, "kw", 3},
        {{"4111111111111111", "4111111111111111"}, "card", 2},
        {{"foo1", "foo2foo3"}, "re", 3},
        {{"top secret"}, "kw", 1}, /* two keywords, one place */
};

static void test_texts(void **state)
{
	struct dlp_db *db = compile(text_rules, NELEM(text_rules));
	struct dlp_scan *s = dlp_scan_new(db);

	(void)state;
	for (size_t i = 0; i < NELEM(text_rows); i++) {
		const struct text_row *r = &text_rows[i];
		dlp_scan_reset(s);
		for (size_t t = 0; t < 3 && r->texts[t]; t++)
			feed(s, r->texts[t], strlen(r->texts[t]), NULL, 0);
		EXPECT(count_of(s, r->rule) == r->count, "row %zu (%s ...): %s %u, expected %u", i,
		       shows(r->texts[0]), r->rule, count_of(s, r->rule), r->count);
	}
	dlp_scan_free(s);
	dlp_free(db);
	ALL_PASSED();
}

/* ---- keywords and regexes ---- */

struct kw_row {
	const char *rule, *text;
	unsigned count;
};

static const struct dlp_rule_spec kw_rules[] = {
        {.name = "kw",
         .kind = DLP_KEYWORDS,
         .pattern = " secret ,top secret,Caf\xc3\xa9,#internal,c++"},
        {.name = "case", .kind = DLP_KEYWORDS, .pattern = "Secret", .case_sensitive = true},
        {.name = "foo", .kind = DLP_REGEX, .pattern = "foo[0-9]+"},
        {.name = "three", .kind = DLP_REGEX, .pattern = "[0-9]{3}"},
        {.name = "conf", .kind = DLP_REGEX, .pattern = "(?i)confidential"},
        {.name = "line", .kind = DLP_REGEX, .pattern = "^Account: [0-9]+$"},
        {.name = "a", .kind = DLP_REGEX, .pattern = "a"},
};

static const struct kw_row kw_rows[] = {
        {"kw", "this is secret", 1},
        {"kw", "SECRET", 1},
        {"kw", "Secret.", 1},
        {"kw", "secretary", 0},
        {"kw", "topsecret", 0},
        {"kw", "secrets", 0},
        {"kw", "secret_x", 0},
        {"kw", "x_secret", 0},
        {"kw", "\xc3\xbcsecret", 0},
        {"kw", "top-secret", 1},
        {"kw", "top secret", 1},
        {"kw", "Top\r\n   Secret", 1},
        {"kw", "top\tsecret", 1},
        {"kw", "secret secret, SeCrEt", 3},
        {"kw", "caf\xc3\xa9", 1},
        {"kw", "CAF\xc3\xa9!", 1},
        {"kw", "caf\xc3\xa9s", 0},
        {"kw", "cafeteria", 0},
        {"kw", "xcaf\xc3\xa9", 0},
        {"kw", "#internal", 1},
        {"kw", "a#internal", 1},
        {"kw", "#internals", 0},
        {"kw", "we use C++.", 1},
        {"kw", "abc++", 0},
        {"case", "Secret", 1},
        {"case", "secret SECRET", 0},
        {"case", "Secretary", 0},
        {"foo", "foo123 foo4", 2},
        {"foo", "foo", 0},
        {"three", "123456", 2},
        {"three", "12345", 1},
        {"three", "12 34", 0},
        {"conf", "Confidential CONFIDENTIAL confidential", 3},
        {"line", "x\nAccount: 12\ny", 1},
        {"line", "Account: 12", 1},
        {"line", "My Account: 12", 0},
        {"line", "Account: 12 (old)", 0},
        {"a", "aaa", 3},
};

static void test_keywords_regex(void **state)
{
	struct dlp_db *db = compile(kw_rules, NELEM(kw_rules));
	struct dlp_scan *s = dlp_scan_new(db);

	(void)state;
	for (size_t i = 0; i < NELEM(kw_rows); i++) {
		const struct kw_row *r = &kw_rows[i];
		size_t n = strlen(r->text);
		for (size_t k = 0; k <= n; k++) {
			dlp_scan_reset(s);
			feed(s, r->text, n, &k, k < n ? 1 : 0);
			unsigned c = count_of(s, r->rule);
			EXPECT(c == r->count, "row %zu %s %s cut at %zu: %u, expected %u", i,
			       r->rule, shows(r->text), k, c, r->count);
		}
	}
	dlp_scan_free(s);
	dlp_free(db);
	ALL_PASSED();
}

/* ---- min_count, results ---- */

static void test_min_count(void **state)
{
	static const struct dlp_rule_spec rules[] = {
	        {.name = "card", .kind = DLP_CARD, .min_count = 2},
	        {.name = "ssn", .kind = DLP_SSN, .min_count = 0}, /* read as 1 */
	        {.name = "kw", .kind = DLP_KEYWORDS, .pattern = "secret", .min_count = 3},
	};
	struct dlp_db *db = compile(rules, NELEM(rules));
	struct dlp_scan *s = dlp_scan_new(db);
	struct dlp_hit hits[3];
	size_t n;

	(void)state;
	assert_int_equal(dlp_db_rules(db), 3);
	feed(s, RAW("nothing here"), NULL, 0);
	assert_int_equal(dlp_scan_results(s, hits, 3), 0);
	assert_false(dlp_scan_triggered(s));

	feed(s, RAW("4111111111111111 secret secret"), NULL, 0);
	n = dlp_scan_results(s, hits, 3);
	assert_int_equal(n, 2);
	assert_string_equal(hits[0].rule, "card");
	assert_int_equal(hits[0].count, 1);
	assert_false(hits[0].triggered);
	assert_string_equal(hits[1].rule, "kw");
	assert_int_equal(hits[1].count, 2);
	assert_false(hits[1].triggered);
	assert_false(dlp_scan_triggered(s));

	feed(s, RAW("5555555555554444 secret"), NULL, 0);
	n = dlp_scan_results(s, hits, 3);
	assert_int_equal(n, 2);
	assert_int_equal(hits[0].count, 2);
	assert_true(hits[0].triggered);
	assert_int_equal(hits[1].count, 3);
	assert_true(hits[1].triggered);
	assert_true(dlp_scan_triggered(s));

	feed(s, RAW("123-45-6789"), NULL, 0);
	/* a short array: the count of all, the first ones written */
	memset(hits, 0, sizeof(hits));
	assert_int_equal(dlp_scan_results(s, hits, 1), 3);
	assert_string_equal(hits[0].rule, "card");
	assert_null(hits[1].rule);
	assert_int_equal(dlp_scan_results(s, NULL, 0), 3);
	n = dlp_scan_results(s, hits, 3);
	assert_string_equal(hits[1].rule, "ssn");
	assert_true(hits[1].triggered);

	/* reset: a new message */
	assert_int_equal(dlp_scan_reset(s), 0);
	assert_int_equal(dlp_scan_results(s, hits, 3), 0);
	assert_false(dlp_scan_triggered(s));
	/* a text left open by the last message does not leak into the next */
	assert_int_equal(dlp_scan_feed(s, RAW("4111 1111")), 0);
	assert_int_equal(dlp_scan_reset(s), 0);
	feed(s, RAW(" 1111 1111"), NULL, 0);
	assert_int_equal(dlp_scan_results(s, hits, 3), 0);
	dlp_scan_free(s);
	dlp_scan_free(NULL);
	dlp_free(db);
	dlp_free(NULL);
}

/* ---- 50 rules, one database ---- */

static void test_fifty_rules(void **state)
{
	struct dlp_rule_spec rules[50];
	char names[50][16], pats[50][200];
	struct dlp_db *db;
	struct dlp_scan *s;
	char text[512];

	(void)state;
	memcpy(rules, builtins, sizeof(builtins));
	for (int i = 3; i < 50; i++) {
		snprintf(names[i], sizeof(names[i]), "custom-%02d", i);
		if (i % 2)
			snprintf(pats[i], sizeof(pats[i]), "\\bPRJ%02d-[0-9]{4}\\b", i);
		else
			snprintf(pats[i], sizeof(pats[i]), "codename%02d, project %02d,k%02d", i, i,
			         i);
		rules[i] = (struct dlp_rule_spec){.name = names[i],
		                                  .kind = i % 2 ? DLP_REGEX : DLP_KEYWORDS,
		                                  .pattern = pats[i],
		                                  .min_count = 1};
	}
	db = compile(rules, 50);
	assert_int_equal(dlp_db_rules(db), 50);
	s = dlp_scan_new(db);
	snprintf(text, sizeof(text),
	         "Card 4111 1111 1111 1111, PRJ07-1234 and PRJ49-0000 PRJ49-0001; CodeName04 "
	         "and Project  10, k48. IBAN DE89370400440532013000, SSN 123-45-6789.");
	feed(s, text, strlen(text), NULL, 0);
	assert_int_equal(dlp_scan_results(s, NULL, 0), 8);
	assert_int_equal(count_of(s, "card"), 1);
	assert_int_equal(count_of(s, "iban"), 1);
	assert_int_equal(count_of(s, "ssn"), 1);
	assert_int_equal(count_of(s, "custom-07"), 1);
	assert_int_equal(count_of(s, "custom-49"), 2);
	assert_int_equal(count_of(s, "custom-04"), 1);
	assert_int_equal(count_of(s, "custom-10"), 1);
	assert_int_equal(count_of(s, "custom-48"), 1);
	assert_int_equal(count_of(s, "custom-12"), 0);
	dlp_scan_free(s);
	dlp_free(db);
}

/* ---- compile errors ---- */

struct err_row {
	struct dlp_rule_spec rules[2];
	size_t n;
	const char *err; /* the message begins so */
};

static char long_kw[] = "ok, 12345678901234567890123456789012345678901234567890123456789012345";

static const struct err_row err_rows[] = {
        {{{.name = "ok", .kind = DLP_CARD},
          {.name = "bad", .kind = DLP_REGEX, .pattern = "(unclosed"}},
         2,
         "rule \"bad\": bad pattern: "},
        {{{.name = "bad", .kind = DLP_REGEX, .pattern = "(a)\\1"}},
         1,
         "rule \"bad\": bad pattern: "},
        {{{.name = "empty", .kind = DLP_REGEX, .pattern = "a*"}},
         1,
         "rule \"empty\": bad pattern: "},
        {{{.name = "r", .kind = DLP_REGEX, .pattern = ""}},
         1,
         "rule \"r\": the pattern must be 1-4096 octets"},
        {{{.name = "r", .kind = DLP_REGEX}}, 1, "rule \"r\": the pattern must be 1-4096 octets"},
        {{{.name = "k", .kind = DLP_KEYWORDS, .pattern = "a,,b"}},
         1,
         "rule \"k\": keyword 2 is empty"},
        {{{.name = "k", .kind = DLP_KEYWORDS, .pattern = "a,b,"}},
         1,
         "rule \"k\": keyword 3 is empty"},
        {{{.name = "k", .kind = DLP_KEYWORDS, .pattern = long_kw}},
         1,
         "rule \"k\": keyword 2 is over 64 octets"},
        {{{.name = "k", .kind = DLP_KEYWORDS, .pattern = "ok,bad\x01word"}},
         1,
         "rule \"k\": keyword 2 holds a control character"},
        {{{.name = "", .kind = DLP_CARD}}, 1, "rule 1: the name must be 1-64 octets"},
        {{{.kind = DLP_CARD}}, 1, "rule 1: the name must be 1-64 octets"},
        {{{.name = "ok", .kind = DLP_CARD}, {.name = "a b", .kind = DLP_CARD}},
         2,
         "rule 2: the name may hold only"},
        {{{.name = "r\xc3\xa9", .kind = DLP_CARD}}, 1, "rule 1: the name must be ASCII"},
        {{{.name = "x", .kind = DLP_CARD}, {.name = "x", .kind = DLP_IBAN}},
         2,
         "rule \"x\": a second rule of that name"},
        {{{.name = "x", .kind = (enum dlp_kind)99}}, 1, "rule \"x\": unknown kind 99"},
        {{{.name = "x", .kind = DLP_CARD}}, 0, "0 DLP rules: 1-1024 allowed"},
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(err_rows); i++) {
		const struct err_row *r = &err_rows[i];
		char err[256] = "unset";
		struct dlp_db *db = dlp_compile(r->rules, r->n, err, sizeof(err));
		EXPECT(db == NULL && strncmp(err, r->err, strlen(r->err)) == 0,
		       "row %zu: %s, expected %s", i, shows(err), shows(r->err));
		EXPECT(strstr(err, "1234567890") == NULL, "row %zu: the keyword in %s", i,
		       shows(err));
		dlp_free(db);
	}
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_validators),     cmocka_unit_test(test_builtins),
	        cmocka_unit_test(test_ibans),          cmocka_unit_test(test_split),
	        cmocka_unit_test(test_split_long),     cmocka_unit_test(test_large_feed),
	        cmocka_unit_test(test_page_end),       cmocka_unit_test(test_texts),
	        cmocka_unit_test(test_keywords_regex), cmocka_unit_test(test_min_count),
	        cmocka_unit_test(test_fifty_rules),    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
