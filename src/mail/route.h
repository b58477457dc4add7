/*
 * route.h - where mail for a domain goes, as the configuration says it: the
 * syntax of next hops, domain patterns and TLS policies. No I/O.
 *
 *   mx              look up the recipient domain's MX records (the default)
 *   host[:port]     look up host's MX records and deliver there
 *   [host][:port]   deliver to host itself (its A/AAAA), no MX lookup
 *   [192.0.2.1]:25  an address
 *   smarthost       the [delivery] smarthost, with its AUTH and TLS settings
 *   capture         write .eml files into the capture directory
 *
 * Domain patterns: "example.com" (that domain), ".example.com" (its
 * subdomains), "*" (everything). The most specific match wins.
 */
#ifndef POSTERN_ROUTE_H
#define POSTERN_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum route_kind { ROUTE_MX, ROUTE_HOST, ROUTE_SMARTHOST, ROUTE_CAPTURE };

struct route_spec {
	enum route_kind kind;
	char host[256]; /* ROUTE_HOST: a name, or an address without brackets */
	bool direct;    /* [host]: no MX lookup */
	uint16_t port;  /* 0: the default (25) */
};

/* route_parse - parse s; 0, or -1 with err saying what is wrong. */
int route_parse(const char *s, struct route_spec *out, char *err, size_t errlen);
/* route_format - the canonical text of r ("mx", "[mail.example.net]:587"). */
void route_format(const struct route_spec *r, char *dst, size_t dstlen);

enum tls_policy { TLS_POLICY_NONE, TLS_POLICY_MAY, TLS_POLICY_ENCRYPT, TLS_POLICY_VERIFY };

int tls_policy_parse(const char *s, enum tls_policy *out);
const char *tls_policy_name(enum tls_policy p);

bool domain_pattern_valid(const char *pat);
/*
 * domain_pattern_rank - how well pat matches domain (lower-case ASCII):
 * 0 no match; otherwise larger is more specific (exact > longer suffix > "*").
 */
size_t domain_pattern_rank(const char *pat, const char *domain);

#endif
