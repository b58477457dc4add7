/* route.c - next-hop syntax, domain patterns, TLS policy names. */
#include "route.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "address.h"
#include "strutil.h"

static bool host_valid(const char *h)
{
	unsigned char bin[16];

	return addr_is_domain(h, strlen(h), false) || inet_pton(AF_INET, h, bin) == 1 ||
	       inet_pton(AF_INET6, h, bin) == 1;
}

int route_parse(const char *s, struct route_spec *out, char *err, size_t errlen)
{
	char host[256];
	const char *rest;
	uint64_t port = 0;

	static const struct {
		const char *word;
		enum route_kind kind;
	} words[] = {{"mx", ROUTE_MX}, {"capture", ROUTE_CAPTURE}, {"smarthost", ROUTE_SMARTHOST}};

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].word);
		if (ascii_iequal(s, words[i].word)) {
			out->kind = words[i].kind;
			return 0;
		}
		/* "mx:25" is not a host called mx: say so rather than guess */
		if (ascii_niequal(s, words[i].word, n) && s[n] == ':') {
			snprintf(err, errlen, "'%s': %s takes no port (a host named %s is [%s])", s,
			         words[i].word, words[i].word, words[i].word);
			return -1;
		}
	}
	out->kind = ROUTE_HOST;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (size_t)(close - s - 1) >= sizeof(host) || close == s + 1) {
			snprintf(err, errlen, "'%s': unbalanced or empty [host]", s);
			return -1;
		}
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		out->direct = true;
		rest = close + 1;
	} else {
		size_t n = strcspn(s, ":");
		if (n == 0 || n >= sizeof(host)) {
			snprintf(err, errlen, "'%s': no host", s);
			return -1;
		}
		memcpy(host, s, n);
		host[n] = '\0';
		rest = s + n;
	}
	if (*rest == ':') {
		if (parse_u64(rest + 1, 65535, &port) < 0 || port == 0) {
			snprintf(err, errlen, "'%s': the port must be 1 to 65535", s);
			return -1;
		}
	} else if (*rest != '\0') {
		snprintf(err, errlen, "'%s': unexpected text after the host", s);
		return -1;
	}
	if (!host_valid(host)) {
		snprintf(err, errlen, "'%s': '%s' is not a host name or address", s, host);
		return -1;
	}
	if (!out->direct && strchr(host, ':') != NULL) {
		snprintf(err, errlen, "'%s': an IPv6 address needs brackets", s);
		return -1;
	}
	strlcpy_(out->host, host, sizeof(out->host));
	ascii_strlower(out->host);
	out->port = (uint16_t)port;
	return 0;
}

void route_format(const struct route_spec *r, char *dst, size_t dstlen)
{
	switch (r->kind) {
	case ROUTE_MX:
		snprintf(dst, dstlen, "mx");
		return;
	case ROUTE_CAPTURE:
		snprintf(dst, dstlen, "capture");
		return;
	case ROUTE_SMARTHOST:
		snprintf(dst, dstlen, "smarthost");
		return;
	case ROUTE_HOST:
		break;
	}
	const char *open = r->direct ? "[" : "", *close = r->direct ? "]" : "";
	if (r->port)
		snprintf(dst, dstlen, "%s%s%s:%u", open, r->host, close, r->port);
	else
		snprintf(dst, dstlen, "%s%s%s", open, r->host, close);
}

static const char *policy_names[] = {"none", "may", "encrypt", "verify"};

int tls_policy_parse(const char *s, enum tls_policy *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, policy_names[i]) == 0) {
			*out = (enum tls_policy)i;
			return 0;
		}
	}
	return -1;
}

const char *tls_policy_name(enum tls_policy p)
{
	return (unsigned)p < 4 ? policy_names[p] : "?";
}

bool domain_pattern_valid(const char *pat)
{
	if (strcmp(pat, "*") == 0)
		return true;
	if (pat[0] == '.')
		pat++;
	return addr_is_domain(pat, strlen(pat), false);
}

size_t domain_pattern_rank(const char *pat, const char *domain)
{
	size_t pl = strlen(pat), dl = strlen(domain);

	if (strcmp(pat, "*") == 0)
		return 1;
	if (pat[0] == '.') {
		/* ".example.com" matches "a.example.com", not "example.com" */
		if (dl > pl && ascii_iequal(domain + dl - pl, pat))
			return 1 + pl;
		return 0;
	}
	/* an exact match outranks every suffix */
	return ascii_iequal(pat, domain) ? 1 + 256 + pl : 0;
}
