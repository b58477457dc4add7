/*
 * dsn_text.h - what dsn.c uses to put untrusted text into a report: cleaning
 * (which octets may appear), folding (where lines end), header fields, and the
 * decoding of xtext (RFC 3461) and utf-8-addr-xtext/unitext (RFC 6533). Internal
 * to src/mail: only dsn.c and dsn_text.c include it.
 */
#ifndef POSTERN_DSN_TEXT_H
#define POSTERN_DSN_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

/* dsn_text_clean() flags */
#define DSN_CL_UTF8   0x1 /* keep well-formed UTF-8; otherwise every 8-bit octet becomes '?' */
#define DSN_CL_BREAKS 0x2 /* a run of CR and LF becomes '\n', a forced fold; otherwise a space */

/* dsn_text_is_atext - RFC 5322 3.2.3 atext, ASCII */
bool dsn_text_is_atext(unsigned char c);

/*
 * dsn_text_clean - append n untrusted octets of s to out as text fit for a field
 * or a text line: NUL dropped, a run of CR/LF one space (or one '\n' with
 * DSN_CL_BREAKS), HTAB a space, other controls '?', 8-bit octets '?' unless
 * DSN_CL_UTF8 and well-formed UTF-8. Never fails.
 */
void dsn_text_clean(struct buf *out, const char *s, size_t n, unsigned flags);

/*
 * dsn_text_wrap - append cleaned text v (n octets, '\n' a forced break) from
 * column col, breaking at white space before 78 octets and inside a word only at
 * 900 (never inside a UTF-8 sequence). In a header field (indent NULL) a break
 * is CRLF and the white space that was there, at least one SP: folding (RFC 5322
 * 2.2.3), so unfolding gives the text back. In text a break is CRLF and indent.
 * Trailing white space is dropped, so no line is white space alone. v must come
 * from dsn_text_clean(): it holds no CR, LF other than as '\n', or NUL.
 */
void dsn_text_wrap(struct buf *out, size_t col, const char *v, size_t n, const char *indent);

/* dsn_text_field - append "name: value" folded, CRLF-terminated; v already cleaned */
void dsn_text_field(struct buf *out, const char *name, const char *v, size_t n);

/*
 * dsn_text_field_clean - a field of our prefix followed by the untrusted s,
 * cleaned with flags; v is the caller's scratch buffer (reset first).
 */
void dsn_text_field_clean(struct buf *out, struct buf *v, const char *name, const char *prefix,
                          const char *s, unsigned flags);

/* dsn_text_field_date - "name: <RFC 5322 date of t>" */
void dsn_text_field_date(struct buf *out, const char *name, time_t t);

/* dsn_text_xtext_decode - RFC 3461 4: "+XX" becomes the octet; a stray '+' stays as it is */
void dsn_text_xtext_decode(struct buf *out, const char *s, size_t n);

/*
 * dsn_text_unitext_decode - the utf-8-address form of a utf-8-addr-xtext or
 * -unitext value (RFC 6533 3): each \x{HEXPOINT} becomes its character. -1 if
 * the value does not conform (RFC 6533: then it is copied unaltered) or an escape
 * stands for a control character, which no field may hold; out may then hold
 * part of the value, and the caller discards it.
 */
int dsn_text_unitext_decode(struct buf *out, const char *s, size_t n);

/*
 * dsn_text_xform - append cleaned s in the 7-bit utf-8-addr-xtext form (RFC 6533
 * 3): each non-ASCII character as \x{HEXPOINT}. For a raw address (raw) SP, '\',
 * '+' and '=' are escaped too; an ORCPT value is already in that form, its '\' an
 * escape. Octets that are not UTF-8 become '?'.
 */
void dsn_text_xform(struct buf *out, const char *s, size_t n, bool raw);

#endif
