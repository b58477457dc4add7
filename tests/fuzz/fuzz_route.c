/*
 * fuzz_route.c - libFuzzer: next-hop specs, domain patterns and TLS policy
 * names from the configuration. A spec that parses must format to a text that
 * parses back to the same spec, and formats to the same text again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_spec(const struct route_spec *a, const struct route_spec *b)
{
	return a->kind == b->kind && strcmp(a->host, b->host) == 0 && a->direct == b->direct &&
	       a->port == b->port;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_spec rs, again;
	char err[512], text[320], text2[320];
	enum tls_policy tp;
	char *s;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0'; /* a NUL inside ends the string, as in the configuration */

	if (route_parse(s, &rs, err, sizeof(err)) == 0) {
		if (strlen(rs.host) >= sizeof(rs.host) || (rs.kind != ROUTE_HOST && rs.host[0]))
			abort();
		route_format(&rs, text, sizeof(text));
		if (route_parse(text, &again, err, sizeof(err)) != 0 || !same_spec(&rs, &again))
			abort();
		route_format(&again, text2, sizeof(text2));
		if (strcmp(text, text2) != 0)
			abort();
	} else if (strnlen(err, sizeof(err)) >= sizeof(err)) {
		abort();
	}

	if (tls_policy_parse(s, &tp) == 0 && strcmp(tls_policy_name(tp), s) != 0)
		abort();

	/* a valid pattern other than "*" matches the domains it names, "." first or not */
	if (domain_pattern_valid(s) && strcmp(s, "*") != 0) {
		if (s[0] == '.') {
			char *sub = malloc(strlen(s) + 2);
			sub[0] = 'a';
			strcpy(sub + 1, s);
			if (domain_pattern_rank(s, sub) == 0 || domain_pattern_rank(s, s + 1) != 0)
				abort();
			free(sub);
		} else if (domain_pattern_rank(s, s) <= domain_pattern_rank("*", s)) {
			abort();
		}
	}
	free(s);
	return 0;
}
