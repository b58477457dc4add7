/*
 * report_internal.h - what the files of the report reader share: report.c
 * finds the parts (multipart walk, Content-Type) and reads the returned
 * original, report_field.c reads fields and cleans their values,
 * report_dsn.c reads the machine parts (delivery-status, feedback-report)
 * and classifies status codes. Input is untrusted everywhere (see report.h).
 */
#ifndef POSTERN_REPORT_INTERNAL_H
#define POSTERN_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "report.h"

/* one field of a header section or of a report block; pointers into the input */
struct rpt_field {
	const char *name;
	size_t name_len;
	const char *val; /* after the colon, continuation lines included, the last EOL not */
	size_t val_len;
};

/*
 * rpt_line - the line at p[pos..n): returns its length with its line end
 * (LF or CRLF, none at the end of the input); *content is the length without.
 */
size_t rpt_line(const char *p, size_t n, size_t pos, size_t *content);

/*
 * rpt_next_field - the next field of the block of lines at p[*pos..n):
 * true with f filled and *pos past it; false at an empty line (*pos on it)
 * or at the end. Lines that are no field (nor continue one) are skipped.
 */
bool rpt_next_field(const char *p, size_t n, size_t *pos, struct rpt_field *f);

/* rpt_is_named - the field's name is name (ASCII case-insensitive) */
bool rpt_is_named(const struct rpt_field *f, const char *name);

/*
 * rpt_find - the only field named name in the header section h (hlen
 * octets): true with f filled if there is exactly one; *count (may be
 * NULL) says how many there are.
 */
bool rpt_find(const char *h, size_t hlen, const char *name, struct rpt_field *f, size_t *count);

/*
 * rpt_unfold - the value v (n octets, folded) into dst (cap octets and a
 * NUL): each line break with the white space after it, and each tab, as a
 * space; white space at both ends dropped. Returns the length, and *cut if
 * the value did not fit (the rest is not read).
 */
size_t rpt_unfold(const char *v, size_t n, char *dst, size_t cap, bool *cut);

/* rpt_clean - true if s (n octets) is valid UTF-8 without controls (C0, DEL) */
bool rpt_clean(const char *s, size_t n);

/*
 * rpt_strict - the unfolded value as a new string if it fits max octets and
 * rpt_clean accepts it, else NULL. The caller frees.
 */
char *rpt_strict(const char *v, size_t n, size_t max);

/*
 * rpt_addr - an address from the value v (n octets): with typed, an
 * "rfc822;" or "utf-8;" type (any case) is stripped, any other type refused
 * (no type at all is taken as rfc822); then white space and one pair of
 * angle brackets. Refused (NULL): controls, white space, brackets, invalid
 * UTF-8, no '@', an empty local part, a domain that is no domain name or
 * address literal, over 254 octets. The caller frees.
 */
char *rpt_addr(const char *v, size_t n, bool typed);

/*
 * rpt_after_type - the value with a leading "type;" (an atom of at most 32
 * octets) skipped: sets *v and *n to what follows.
 */
void rpt_after_type(const char **v, size_t *n);

/* report_dsn.c */

/*
 * rpt_dsn - read the content of a delivery-status part (n octets) into
 * out's recipients. 0, or -1 with err filled (no per-recipient block).
 */
int rpt_dsn(struct report *out, const char *p, size_t n, char *err, size_t errlen);

/*
 * rpt_arf - read the content of a feedback-report part into out's ARF
 * fields. 0, or -1 with err filled (no valid Feedback-Type).
 */
int rpt_arf(struct report *out, const char *p, size_t n, char *err, size_t errlen);

#endif
