/* identity.c - a source's identity rules applied to an envelope and a From:. */
#include "identity.h"

#include <stdio.h>

#include "idpattern.h"
#include "sources.h"

static const char *shown(const char *addr)
{
	return addr[0] ? addr : "<>";
}

bool identity_envelope_ok(const struct source *s, const char *sender, char *why, size_t whylen)
{
	bool allowed = false;

	for (size_t i = 0; i < s->nids; i++) {
		const struct source_identity *r = &s->ids[i];
		if (!idpat_match(r->envelope, sender))
			continue;
		if (r->deny) {
			snprintf(why, whylen, "sender %s is denied to source %s (rule %s)",
			         shown(sender), s->name, r->envelope);
			return false;
		}
		allowed = true;
	}
	if (!allowed)
		snprintf(why, whylen, "sender %s is not an approved identity of source %s",
		         shown(sender), s->name);
	return allowed;
}

bool identity_from_ok(const struct source *s, const char *sender, const char *from, char *why,
                      size_t whylen)
{
	bool allowed = false;

	for (size_t i = 0; i < s->nids; i++) {
		const struct source_identity *r = &s->ids[i];
		if (r->deny) {
			if (idpat_match(r->header_from, from)) {
				snprintf(why, whylen, "From: %s is denied to source %s (rule %s)",
				         from, s->name, r->header_from);
				return false;
			}
			continue;
		}
		if (idpat_match(r->envelope, sender) && idpat_match(r->header_from, from))
			allowed = true;
	}
	if (!allowed)
		snprintf(why, whylen,
		         "From: %s is not an approved identity of source %s with sender %s", from,
		         s->name, shown(sender));
	return allowed;
}
