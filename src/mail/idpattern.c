/*
 * idpattern.c - approved-identity patterns: checked and normalized once, when
 * the operator adds them, then matched against every envelope sender and
 * From: address. Patterns come from the operator (trusted, but checked so a
 * slip cannot approve the world); addresses from clients, already parsed by
 * address.c or mailbox.c.
 */
#include "idpattern.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "address.h"
#include "strutil.h"
#include "utf8.h"

static int fail(char *why, size_t whylen, const char *reason)
{
	snprintf(why, whylen, "%s", reason);
	return -1;
}

/* check_local - the local-part glob: 1-64 octets, no white space, control or angle */
static const char *check_local(const char *s, size_t n)
{
	if (n == 0)
		return "empty local part";
	if (n > ADDR_LOCAL_MAX)
		return "local part over 64 octets";
	for (size_t i = 0; i < n; i++) {
		unsigned char o = (unsigned char)s[i];
		if (o <= 0x20 || o == 0x7f)
			return "white space or control character in the local part";
		if (o == '<' || o == '>')
			return "angle bracket in the local part";
	}
	if (!utf8_valid(s, n))
		return "invalid UTF-8 in the local part";
	return NULL;
}

/* check_domain - "[*.]domain": a valid name of two labels or more, no other '*' */
static const char *check_domain(const char *s, size_t n)
{
	if (n == 0)
		return "empty domain";
	if (n > 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	if (memchr(s, '*', n) != NULL)
		return "'*' in the domain other than a leading \"*.\"";
	if (!addr_is_domain(s, n, true))
		return "invalid domain";
	if (memchr(s, '.', n) == NULL)
		return "domain of a single label (it would approve a whole top-level domain)";
	return NULL;
}

int idpat_normalize(const char *pat, char *out, size_t outlen, char *why, size_t whylen)
{
	const char *at, *loc = "*", *dom;
	size_t n = strlen(pat), ll = 1, dl, k = 0;
	const char *r;

	if (n == 0)
		return fail(why, whylen, "empty pattern");
	if (n > IDPAT_MAX)
		return fail(why, whylen, "pattern over 320 octets");
	if (strcmp(pat, "<>") == 0) {
		if (outlen < 3)
			return fail(why, whylen, "no room for the pattern");
		memcpy(out, "<>", 3);
		return 0;
	}
	at = strchr(pat, '@');
	dom = pat; /* no '@': a domain, read as "*@domain" */
	if (at != NULL) {
		if (strchr(at + 1, '@') != NULL)
			return fail(why, whylen, "more than one '@'");
		loc = pat;
		ll = (size_t)(at - pat);
		dom = at + 1;
	}
	dl = strlen(dom);
	if ((r = check_local(loc, ll)) != NULL || (r = check_domain(dom, dl)) != NULL)
		return fail(why, whylen, r);
	if (ll + 1 + dl + 1 > outlen)
		return fail(why, whylen, "no room for the pattern");
	for (size_t i = 0; i < ll; i++)
		out[k++] = ascii_lower(loc[i]);
	out[k++] = '@';
	for (size_t i = 0; i < dl; i++)
		out[k++] = ascii_lower(dom[i]);
	out[k] = '\0';
	return 0;
}

/* glob - does s (sn octets) match p (pn octets), '*' any run, ASCII case ignored? */
static bool glob(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	/* greedy with one backtrack point: the last '*' seen is the only one worth retrying */
	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && ascii_lower(p[pi]) == ascii_lower(s[si])) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

/* dom_match - exact, or for "*.d" a name ending in ".d" with at least one label before */
static bool dom_match(const char *pd, const char *ad)
{
	if (pd[0] == '*' && pd[1] == '.') {
		const char *suffix = pd + 1; /* ".example.com" */
		size_t sl = strlen(suffix), al = strlen(ad);
		return al > sl && ad[al - sl - 1] != '.' && ascii_iequal(ad + al - sl, suffix);
	}
	return ascii_iequal(pd, ad);
}

bool idpat_match(const char *pat, const char *addr)
{
	const char *pat_at = strchr(pat, '@');
	/* the last '@': a quoted local part ("a@b"@c, kept by SMTP) may hold one */
	const char *addr_at = strrchr(addr, '@');

	if (strcmp(pat, "<>") == 0)
		return addr[0] == '\0';
	if (addr_at == NULL || addr_at == addr)
		return false;
	if (pat_at == NULL)
		return dom_match(pat, addr_at + 1);
	return dom_match(pat_at + 1, addr_at + 1) &&
	       glob(pat, (size_t)(pat_at - pat), addr, (size_t)(addr_at - addr));
}

const char *idpat_domain(const char *pat)
{
	const char *at = strchr(pat, '@');

	if (strcmp(pat, "<>") == 0)
		return pat + 2; /* "" */
	return at ? at + 1 : pat;
}
