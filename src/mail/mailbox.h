/*
 * mailbox.h - the header From: field (RFC 5322 3.6.2, 3.4) read the strict
 * way a relay that signs in a company's name must read it: exactly one
 * mailbox, and nothing in it that a mail reader could show as a different
 * address than the one Postern checked.
 *
 * Accepted: "addr-spec", "<addr-spec>", "Display Name <addr-spec>",
 * "\"Quoted Name\" <addr-spec>", RFC 2047 encoded words in the display name,
 * comments "(...)" where RFC 5322 allows CFWS, folding (CRLF followed by
 * white space) anywhere CFWS is allowed. With utf8 (SMTPUTF8, RFC 6532),
 * UTF-8 in the display name and the address.
 *
 * Refused, each with a reason (mbox_parse_from returns -1 and fills why):
 *   - empty, a group ("Team: a@x, b@y;" or "undisclosed-recipients:;"),
 *     more than one mailbox (a comma outside quotes or comments);
 *   - an '@' in the display name or in a comment, whether written as is,
 *     inside a quoted string, or produced by decoding an encoded word
 *     ("ceo@example.com <attacker@example.net>" is the classic spoof);
 *   - an encoded word ("=?") anywhere in the addr-spec, or unbalanced or
 *     nested-too-deep (>8) comments, unterminated quoted strings or angles;
 *   - a quoted local part holding '@', white space or a control character;
 *   - obsolete routes ("<@relay:user@example.com>"), domain literals
 *     ("user@[192.0.2.1]"), a missing or empty local part or domain;
 *   - NUL, bare CR or LF (a CR or LF not part of CRLF+WSP folding), other
 *     control characters; non-ASCII without utf8 or invalid UTF-8 with it;
 *   - a local part over 64 octets or a domain that is not a valid domain name
 *     (addr_is_domain).
 *
 * Decisions the above leaves open, taken on the side of refusing:
 *   - '<' and '>' are refused everywhere but around the address: in the
 *     display name, a quoted string, a comment, or decoded from an encoded
 *     word ("\"CEO <ceo>\" <x@example.net>" is a spoof attempt). So are
 *     decoded control characters (CR, LF, TAB, NUL...).
 *   - encoded words are looked for in the display name (atoms and quoted
 *     strings, mid-atom too) and in comments. Every "=?" there must begin a
 *     complete, decodable word: charset (not UTF-7, which spells '@' without
 *     0x40; at most 40 octets), B (strict, padded base64) or Q, "?=". The
 *     display name is one stream: words a reader would join (adjacent
 *     quoted and unquoted pieces, "\"=\"?utf-8?q?=40?=") are decoded
 *     joined, and a quote or comment inside a word is refused (readers
 *     disagree on it). A decoded "=?" (a word inside a word) is refused. The
 *     cost: a display name such as "Is 1+1=?" is refused.
 *   - anywhere, raw or decoded: the look-alikes of '@' U+FF20 and U+FE6B,
 *     the bidi controls (U+061C, U+200E-F, U+202A-E, U+2066-9), the line
 *     separators U+2028-9 and the C1 controls. Decoded octets are read as
 *     UTF-8 for this: XXX: a look-alike '@' in another charset (Shift_JIS
 *     0x81 0x97...) is not caught.
 *   - "<>" (the null path) is no From: address; nor is "" (the empty quoted
 *     local part). '%' and '!' routing forms are refused as in SMTP, since
 *     the address must pass addr_parse_mailbox.
 *   - CFWS is accepted around the local part and the domain (RFC 5322
 *     dot-atom), not between their dots (obs-local-part, obs-domain). In the
 *     display name obs-phrase dots are accepted ("John Q. Public").
 *   - the whole value is at most 2048 octets; a display name may be long.
 *
 * No I/O, no allocation.
 */
#ifndef POSTERN_MAILBOX_H
#define POSTERN_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "address.h"

/*
 * mbox_parse_from - parse the value of a From: field: the n octets after the
 * colon, folding CRLFs included, the final CRLF excluded. On 0, out holds
 * the address ("local@domain", local part as written without its quotes if
 * they were not needed, domain lower-cased, in out->addr and out->domain),
 * exactly what addr_parse_mailbox gives for it; on -1, out is cleared and
 * why is a short English reason ("more than one mailbox"). why may be NULL
 * with whylen 0. value need not be NUL-terminated.
 */
int mbox_parse_from(const char *value, size_t n, bool utf8, struct mailaddr *out, char *why,
                    size_t whylen);

#endif
