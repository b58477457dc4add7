/*
 * dlp_check.h - the validators of dlp.c's built-in detectors (payment cards,
 * IBANs, US social security numbers), internal to src/scan. Hyperscan says
 * where a candidate ends; these read the octets around that end and say
 * whether a real number ends there, and where it starts. Pure functions over a
 * view of the text: no allocation, no state, nothing kept.
 */
#ifndef POSTERN_DLP_CHECK_H
#define POSTERN_DLP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* octets [lo, lo + n) of a text; positions are offsets in the text */
struct dlp_view {
	const unsigned char *b;
	uint64_t lo;
	size_t n;
};

/* dlp_at - the octet at pos, or -1 outside the view (before the text, after its end) */
static inline int dlp_at(const struct dlp_view *v, uint64_t pos)
{
	/* unsigned: a pos below lo (or "0 - 1") wraps far past n */
	return pos - v->lo < v->n ? v->b[pos - v->lo] : -1;
}

/*
 * dlp_check_card, dlp_check_iban, dlp_check_ssn, dlp_check_ssn_bare - does
 * a valid number of that kind end at offset `to` (exclusive)? If so, true
 * with *from its start. The view must hold the 96 octets before `to` (or the
 * text from its start) and the 2 after it (or the text to its end). The rules
 * are those of dlp.h. dlp_check_ssn_bare judges the 9 digits that end a
 * keyword-led candidate ("SSN: 123456789").
 */
bool dlp_check_card(const struct dlp_view *v, uint64_t to, uint64_t *from);
bool dlp_check_iban(const struct dlp_view *v, uint64_t to, uint64_t *from);
bool dlp_check_ssn(const struct dlp_view *v, uint64_t to, uint64_t *from);
bool dlp_check_ssn_bare(const struct dlp_view *v, uint64_t to, uint64_t *from);

/* dlp_luhn - do n digits (ASCII) pass the Luhn check? */
bool dlp_luhn(const char *d, size_t n);
/* dlp_card_issuer - do n digits start with a known issuer's range, with its length? */
bool dlp_card_issuer(const char *d, size_t n);
/* dlp_iban_length - the IBAN length of a country (2 upper-case letters), 0 if unknown */
size_t dlp_iban_length(const char *cc);

#endif
