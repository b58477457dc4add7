/*
 * identity.h - may this source send as this identity? The checks behind
 * "553 5.7.1" at MAIL FROM and "550 5.7.1" after the data.
 *
 * A source's rules (sources.h) are pairs of patterns (idpattern.h):
 *   - the envelope sender is acceptable if some allow rule's envelope
 *     pattern matches it and no deny rule's envelope pattern does;
 *   - the pair (envelope sender, From: address) is acceptable if some allow
 *     rule matches both (its envelope pattern the sender, its From: pattern
 *     the From: address) and no deny rule's From: pattern matches the From:.
 * A source without allow rules may send as nobody: approval is explicit.
 */
#ifndef POSTERN_IDENTITY_H
#define POSTERN_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

struct source;

/* identity_envelope_ok - sender ("" for <>); false with why (an English sentence) */
bool identity_envelope_ok(const struct source *s, const char *sender, char *why, size_t whylen);
/* identity_from_ok - the From: address from with the envelope sender sender */
bool identity_from_ok(const struct source *s, const char *sender, const char *from, char *why,
                      size_t whylen);

#endif
