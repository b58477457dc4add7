/* strutil.c - string, number and time helpers. */
#include "strutil.h"

#include <stdio.h>
#include <string.h>

size_t strlcpy_(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

bool ascii_iequal(const char *a, const char *b)
{
	while (*a && *b) {
		if (ascii_lower(*a) != ascii_lower(*b))
			return false;
		a++;
		b++;
	}
	return *a == *b;
}

bool ascii_niequal(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
		if (a[i] == '\0')
			return true;
	}
	return true;
}

bool ascii_iprefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strlen(s) >= n && ascii_niequal(s, prefix, n);
}

void ascii_strlower(char *s)
{
	for (; *s; s++)
		*s = ascii_lower(*s);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

char *str_trim(char *s)
{
	char *p = s;

	while (is_space(*p))
		p++;
	size_t n = strlen(p);
	while (n > 0 && is_space(p[n - 1]))
		n--;
	memmove(s, p, n);
	s[n] = '\0';
	return s;
}

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* split "123abc" into the number and its suffix */
static int number_suffix(const char *s, uint64_t *num, const char **suffix)
{
	char digits[24];
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (parse_u64(digits, UINT64_MAX, num) < 0)
		return -1;
	*suffix = s + n;
	return 0;
}

static int scale(uint64_t v, uint64_t mul, uint64_t *out)
{
	if (mul != 0 && v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v;
	const char *suf;

	if (number_suffix(s, &v, &suf) < 0)
		return -1;
	if (*suf == '\0')
		return scale(v, 1, out);
	if (suf[1] != '\0' && !((suf[1] == 'b' || suf[1] == 'B') && suf[2] == '\0'))
		return -1;
	switch (*suf) {
	case 'k':
	case 'K':
		return scale(v, 1024, out);
	case 'm':
	case 'M':
		return scale(v, 1024 * 1024, out);
	case 'g':
	case 'G':
		return scale(v, 1024 * 1024 * 1024, out);
	default:
		return -1;
	}
}

int parse_duration_ms(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {{"", 1000},       {"ms", 1},          {"s", 1000},
	             {"m", 60 * 1000}, {"h", 3600 * 1000}, {"d", 86400 * 1000}};
	uint64_t v;
	const char *suf;

	if (number_suffix(s, &v, &suf) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(suf, units[i].suffix) == 0)
			return scale(v, units[i].ms, out);
	return -1;
}

int parse_bool(const char *s, bool *out)
{
	if (ascii_iequal(s, "yes") || ascii_iequal(s, "true") || ascii_iequal(s, "on") ||
	    strcmp(s, "1") == 0) {
		*out = true;
		return 0;
	}
	if (ascii_iequal(s, "no") || ascii_iequal(s, "false") || ascii_iequal(s, "off") ||
	    strcmp(s, "0") == 0) {
		*out = false;
		return 0;
	}
	return -1;
}

void rfc5322_date(time_t t, char *dst, size_t dstlen)
{
	static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(dst, dstlen, "%s, %d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	         months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
