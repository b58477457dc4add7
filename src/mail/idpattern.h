/*
 * idpattern.h - the patterns that name a source's approved sender
 * identities (envelope sender or header From:), and matching addresses
 * against them.
 *
 * A pattern is one of:
 *   <>                       the null envelope sender (only it)
 *   example.com              any address at exactly example.com (= *@example.com)
 *   *@example.com            the same
 *   noreply@example.com      exactly that address
 *   bounce-*@example.com     a local part matching a glob: '*' is any run of
 *                            octets (possibly empty), several '*' allowed
 *   *@*.example.com          any address at a subdomain of example.com (one or
 *                            more labels), not at example.com itself
 *   noreply@*.example.com    the two combined
 * The domain after an optional "*." must be a valid domain name of at least
 * two labels (so "*@*" or "*@*.com" cannot approve the world); no '*'
 * elsewhere in the domain. The local part is at most 64 octets and holds no
 * '@', white space, control characters, '<' or '>'. Matching ignores ASCII
 * case in both parts (mail systems treat local parts case-insensitively in
 * practice, and a spoofer gains nothing from case). UTF-8 is compared
 * octet for octet apart from that. The domain-only form also takes a
 * leading "*." ("*.example.com" = "*@*.example.com"). A pattern is at most
 * IDPAT_MAX octets as given and after normalization; its local part must be
 * valid UTF-8. An address is split at its last '@' (a quoted local part kept
 * by SMTP may hold one).
 *
 * No I/O, no allocation.
 */
#ifndef POSTERN_IDPATTERN_H
#define POSTERN_IDPATTERN_H

#include <stdbool.h>
#include <stddef.h>

#define IDPAT_MAX 320 /* longest pattern text */

/*
 * idpat_normalize - check pat and write its canonical form to out (lower
 * case, "example.com" written "*@example.com"). 0, or -1 with why.
 */
int idpat_normalize(const char *pat, char *out, size_t outlen, char *why, size_t whylen);
/*
 * idpat_match - does addr ("local@domain", or "" for the null sender) match
 * pat (a pattern idpat_normalize accepted; either form)?
 */
bool idpat_match(const char *pat, const char *addr);
/*
 * idpat_domain - the domain part of a normalized pattern ("*.example.com"
 * keeps its "*."; "" for "<>"): a pointer into pat.
 */
const char *idpat_domain(const char *pat);

#endif
