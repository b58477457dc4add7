/*
 * dlp_check.c - validation of the built-in DLP detectors' candidates: the
 * shape of the number around the end Hyperscan reported, its boundaries (not
 * part of a longer number), then its check: Luhn and issuer ranges for cards,
 * mod-97 and the country's length for IBANs, the issued ranges for SSNs.
 * Reads message text (untrusted) through a bounded view; copies digits only
 * into small stack buffers that it wipes.
 */
#include "dlp_check.h"

#include <string.h>

#define CARD_MIN        13
#define CARD_MAX        19
#define IBAN_MIN        15 /* Norway */
#define IBAN_MAX        34
#define IBAN_SPACED_MAX (IBAN_MAX + (IBAN_MAX - 1) / 4) /* in groups of 4: 42 */

static bool isdig(int c)
{
	return c >= '0' && c <= '9';
}

static bool isalpha_(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool isalnum_(int c)
{
	return isdig(c) || isalpha_(c);
}

/* decimal - a '.' or ',' that joins digits makes them one number ("0.4111...") */
static bool decimal(int c)
{
	return c == '.' || c == ',';
}

/* digits_before - how many digits end at pos (at most cap) */
static size_t digits_before(const struct dlp_view *v, uint64_t pos, size_t cap)
{
	size_t k = 0;

	while (k < cap && isdig(dlp_at(v, pos - k - 1)))
		k++;
	return k;
}

/* outside - may the octets c (nearest) and c2 border a number? */
static bool outside(int c, int c2, int sep)
{
	if (isalnum_(c))
		return false;
	return !((decimal(c) || (sep != 0 && c == sep)) && isdig(c2));
}

bool dlp_luhn(const char *d, size_t n)
{
	unsigned sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned x = (unsigned)(d[n - 1 - i] - '0');
		if (i % 2 == 1) {
			x *= 2;
			if (x > 9)
				x -= 9;
		}
		sum += x;
	}
	return n > 0 && sum % 10 == 0;
}

static unsigned prefix(const char *d, size_t k)
{
	unsigned p = 0;

	for (size_t i = 0; i < k; i++)
		p = p * 10 + (unsigned)(d[i] - '0');
	return p;
}

bool dlp_card_issuer(const char *d, size_t n)
{
	unsigned p2, p3, p4;

	if (n < CARD_MIN || n > CARD_MAX)
		return false;
	p2 = prefix(d, 2);
	p3 = prefix(d, 3);
	p4 = prefix(d, 4);
	if (d[0] == '4') /* Visa */
		return n == 13 || n == 16 || n == 19;
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) /* Mastercard */
		return n == 16;
	if (p2 == 34 || p2 == 37) /* American Express */
		return n == 15;
	if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65) /* Discover */
		return n >= 16;
	if (p4 >= 3528 && p4 <= 3589) /* JCB */
		return n >= 16;
	if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38) /* Diners Club */
		return n >= 14;
	if (p2 == 62) /* UnionPay */
		return n >= 16;
	return false;
}

/* card_ok - copy the digits of [from, to) (separators skipped) and check them */
static bool card_ok(const struct dlp_view *v, uint64_t from, uint64_t to)
{
	char d[CARD_MAX];
	size_t n = 0;
	bool ok;

	for (uint64_t p = from; p < to; p++) {
		int c = dlp_at(v, p);
		if (isdig(c)) {
			if (n == sizeof(d))
				return false;
			d[n++] = (char)c;
		}
	}
	ok = dlp_card_issuer(d, n) && dlp_luhn(d, n);
	explicit_bzero(d, sizeof(d));
	return ok;
}

/*
 * grouped_start - the start of a grouped card number (groups joined by sep)
 * whose last group ends at to, or 0 with *ok false when the run of groups is
 * no card layout: the first group of 4 digits, the others of 3-6, 13-19 in all.
 */
static uint64_t grouped_start(const struct dlp_view *v, uint64_t to, int sep, bool *ok)
{
	uint64_t pos = to;
	size_t total = 0, k = 0, groups = 0;

	*ok = false;
	for (;;) {
		k = digits_before(v, pos, 7);
		total += k;
		groups++;
		pos -= k;
		if (k > 6 || total > CARD_MAX)
			return 0;
		if (dlp_at(v, pos - 1) == sep && isdig(dlp_at(v, pos - 2))) {
			if (k < 3)
				return 0; /* a group after the first one is of 3-6 digits */
			pos--;
			continue;
		}
		break;
	}
	/* k is the first group's */
	if (k != 4 || groups < 2 || total < CARD_MIN)
		return 0;
	if (!outside(dlp_at(v, pos - 1), dlp_at(v, pos - 2), sep))
		return 0;
	*ok = true;
	return pos;
}

bool dlp_check_card(const struct dlp_view *v, uint64_t to, uint64_t *from)
{
	int c1 = dlp_at(v, to), c2 = dlp_at(v, to + 1);
	size_t k = digits_before(v, to, CARD_MAX + 1);
	uint64_t start;
	bool ok;
	int sep;

	if (k >= CARD_MIN) {
		/* contiguous: a separator and more digits after it may follow */
		if (k > CARD_MAX || !outside(c1, c2, 0))
			return false;
		start = to - k;
		if (!outside(dlp_at(v, start - 1), dlp_at(v, start - 2), 0))
			return false;
	} else {
		/* grouped: the whole run of groups joined by one separator */
		if (k < 3)
			return false;
		sep = dlp_at(v, to - k - 1);
		if (sep != ' ' && sep != '-')
			return false;
		if (!outside(c1, c2, sep))
			return false;
		start = grouped_start(v, to, sep, &ok);
		if (!ok)
			return false;
	}
	if (!card_ok(v, start, to))
		return false;
	*from = start;
	return true;
}

/* the IBAN length of each country in SWIFT's IBAN registry (as of 2024) */
static const struct {
	char cc[3];
	unsigned char len;
} iban_lengths[] = {
        {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
        {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
        {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20},
        {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
        {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
        {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30},
        {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21},
        {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
        {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
        {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33},
        {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27},
        {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
        {"VA", 22}, {"VG", 24}, {"XK", 20},
};

size_t dlp_iban_length(const char *cc)
{
	for (size_t i = 0; i < sizeof(iban_lengths) / sizeof(iban_lengths[0]); i++)
		if (iban_lengths[i].cc[0] == cc[0] && iban_lengths[i].cc[1] == cc[1])
			return iban_lengths[i].len;
	return 0;
}

static char upper(int c)
{
	return (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
}

/* mod97 - the IBAN c (n upper-case alphanumerics) read as ISO 7064 requires, mod 97 */
static unsigned mod97(const char *c, size_t n)
{
	unsigned r = 0;

	for (size_t i = 0; i < n; i++) {
		char x = c[(i + 4) % n]; /* the country and check digits go last */
		if (isdig(x))
			r = (r * 10 + (unsigned)(x - '0')) % 97;
		else
			r = (r * 100 + (unsigned)(x - 'A' + 10)) % 97;
	}
	return r;
}

/* iban_at - is [p, to) an IBAN, compact or in groups of 4? */
static bool iban_at(const struct dlp_view *v, uint64_t p, uint64_t to)
{
	char c[IBAN_MAX];
	size_t n = 0, len = (size_t)(to - p), want;
	bool spaced = dlp_at(v, p + 4) == ' ', ok = false;
	unsigned check;

	for (size_t i = 0; i < len; i++) {
		int x = dlp_at(v, p + i);
		if (spaced && i % 5 == 4) {
			if (x != ' ' || i == len - 1)
				goto out;
			continue;
		}
		if (!isalnum_(x) || n == sizeof(c))
			goto out;
		c[n++] = upper(x);
	}
	want = dlp_iban_length(c);
	check = (unsigned)(c[2] - '0') * 10 + (unsigned)(c[3] - '0');
	ok = want != 0 && n == want && check >= 2 && check <= 98 && mod97(c, n) == 1;
out:
	explicit_bzero(c, sizeof(c));
	return ok;
}

bool dlp_check_iban(const struct dlp_view *v, uint64_t to, uint64_t *from)
{
	if (isalnum_(dlp_at(v, to)))
		return false;
	for (size_t len = IBAN_MIN; len <= IBAN_SPACED_MAX && len <= to; len++) {
		uint64_t p = to - len;
		if (!isalpha_(dlp_at(v, p)) || !isalpha_(dlp_at(v, p + 1)) ||
		    !isdig(dlp_at(v, p + 2)) || !isdig(dlp_at(v, p + 3)) ||
		    isalnum_(dlp_at(v, p - 1)))
			continue;
		if (iban_at(v, p, to)) {
			*from = p;
			return true;
		}
	}
	return false;
}

/* ssn_ok - the 9 digits of an SSN (no separators): in an issued range? */
static bool ssn_ok(const char *d)
{
	unsigned area = prefix(d, 3), group = prefix(d + 3, 2), serial = prefix(d + 5, 4);

	if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0)
		return false;
	/* specimens printed on wallet inserts and in advertisements, never issued to anyone */
	if ((area == 78 && group == 5 && serial == 1120) ||
	    (area == 219 && group == 9 && serial == 9999))
		return false;
	return true;
}

/* ssn_digits - copy the 9 digits of [from, from + len) (separators skipped) and check them */
static bool ssn_digits(const struct dlp_view *v, uint64_t from, size_t len)
{
	char d[9];
	size_t n = 0;
	bool ok;

	for (size_t i = 0; i < len; i++) {
		int c = dlp_at(v, from + i);
		if (isdig(c) && n < sizeof(d))
			d[n++] = (char)c;
	}
	ok = n == sizeof(d) && ssn_ok(d);
	explicit_bzero(d, sizeof(d));
	return ok;
}

bool dlp_check_ssn(const struct dlp_view *v, uint64_t to, uint64_t *from)
{
	static const char shape[] = "ddd-dd-dddd";
	uint64_t p;
	int sep;

	if (to < sizeof(shape) - 1)
		return false;
	p = to - (sizeof(shape) - 1);
	sep = dlp_at(v, p + 3);
	if (sep != '-' && sep != ' ')
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		int c = dlp_at(v, p + i);
		if (shape[i] == 'd' ? !isdig(c) : c != sep)
			return false;
	}
	/* not inside a longer run: "1-123-45-6789", "123-45-6789-0", "1 123 45 6789" */
	if (!outside(dlp_at(v, to), dlp_at(v, to + 1), '-') ||
	    !outside(dlp_at(v, to), dlp_at(v, to + 1), sep) ||
	    !outside(dlp_at(v, p - 1), dlp_at(v, p - 2), '-') ||
	    !outside(dlp_at(v, p - 1), dlp_at(v, p - 2), sep))
		return false;
	if (!ssn_digits(v, p, sizeof(shape) - 1))
		return false;
	*from = p;
	return true;
}

bool dlp_check_ssn_bare(const struct dlp_view *v, uint64_t to, uint64_t *from)
{
	uint64_t p;

	if (to < 9)
		return false;
	p = to - 9;
	if (digits_before(v, to, 10) != 9)
		return false;
	if (!outside(dlp_at(v, to), dlp_at(v, to + 1), '-'))
		return false;
	if (!ssn_digits(v, p, 9))
		return false;
	*from = p;
	return true;
}
