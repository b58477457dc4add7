/*
 * dlp.h - data-loss prevention: count payment card numbers, IBANs, US social
 * security numbers, custom patterns and keywords in the texts of a message.
 *
 * Mechanism only: no I/O, no logging, no policy. The caller (policy) decides
 * which rule sets apply to a source and what a triggered rule does (reject,
 * quarantine, require TLS). Every rule of a set, built-in or custom, is
 * compiled into one Hyperscan database (streaming mode), so the cost of a scan
 * does not grow with the number of rules; candidates of the built-in detectors
 * are then validated in C (Luhn and issuer ranges, mod-97, SSN ranges).
 *
 * Matched data never leaves this module: results are rule names and counts.
 * To validate a built-in candidate whose text was split across two
 * dlp_scan_feed calls, a scan keeps the last DLP_WINDOW octets of the current
 * text (a candidate is at most 45 octets; its validator reads 96 before its
 * end and 2 after); Hyperscan itself carries regexes and keywords across
 * pieces in its stream state. The window, the copy of the piece Hyperscan
 * reads, and every copy made for validation are wiped when the text ends and
 * when the scan is freed.
 *
 * Threads: a struct dlp_db is read-only once compiled and may be shared by
 * any number of threads. A struct dlp_scan owns its Hyperscan scratch and
 * stream: one scan is used by one thread at a time (scratch per scan, made
 * when the scan is made; dlp_scan_reset reuses it for the next message).
 */
#ifndef POSTERN_DLP_H
#define POSTERN_DLP_H

#include <stdbool.h>
#include <stddef.h>

#define DLP_RULES_MAX    1024 /* rules in one database */
#define DLP_NAME_MAX     64   /* octets of a rule name: [A-Za-z0-9_.:-] */
#define DLP_PATTERN_MAX  4096 /* octets of a regex or of a keyword list */
#define DLP_KEYWORDS_MAX 1000 /* keywords in one rule's list */
#define DLP_KEYWORD_MAX  64   /* octets of one keyword, after trimming */
#define DLP_WINDOW       128  /* octets of a text kept to validate split candidates */

enum dlp_kind {
	DLP_CARD,     /* payment card numbers (built-in) */
	DLP_IBAN,     /* international bank account numbers (built-in) */
	DLP_SSN,      /* US social security numbers (built-in) */
	DLP_REGEX,    /* pattern: a regular expression */
	DLP_KEYWORDS, /* pattern: a comma-separated list of keywords */
};

/*
 * A rule as configured. The strings are only read by dlp_compile, which
 * copies what it keeps.
 *
 * DLP_CARD: 13-19 digits, contiguous or in groups joined by one kind of
 *   separator, a single space or a single dash (4111 1111 1111 1111,
 *   4111-1111-1111-1111, 3782 822463 10005): the first group of 4 digits, the
 *   others of 3-6. Luhn-valid, of a known issuer with that issuer's length:
 *   Visa 4 (13, 16, 19); Mastercard 51-55, 2221-2720 (16); Amex 34, 37 (15);
 *   Discover 6011, 644-649, 65 (16-19); JCB 3528-3589 (16-19); Diners 300-305,
 *   36, 38 (14-19); UnionPay 62 (16-19). Not part of a longer number: a
 *   contiguous number must not touch a letter or digit, nor a '.' or ',' that
 *   touches a digit (a decimal); a grouped number must be the whole run of
 *   groups joined by its separator ("12 4111 1111 1111 1111" is one
 *   18-digit number, and no card). A contiguous number may be followed by a
 *   separator and other digits ("4111111111111111 12/25" holds a card).
 * DLP_IBAN: country code, 2 check digits (02-98), BBAN; compact or in groups
 *   of 4 joined by single spaces; the length of the country's IBAN (SWIFT
 *   registry, 87 countries, every SEPA one among them); mod-97 == 1. Letters of
 *   either case; not touching another letter or digit.
 * DLP_SSN: AAA-GG-SSSS or AAA GG SSSS, not inside a longer run of digits and
 *   separators; or 9 contiguous digits when "SSN", "SS#" or "social security"
 *   (any case) comes at most 30 non-digits before them (without such a
 *   keyword, 9 digits are far more often something else). Area not 000, 666
 *   or 900-999; group not 00; serial not 0000; not one of the published
 *   specimens 078-05-1120 and 219-09-9999.
 * DLP_REGEX: pattern is a regular expression in the PCRE subset Hyperscan
 *   accepts, matched octet by octet; '^' and '$' match at line ends; it is
 *   case-sensitive unless it says (?i). A count is the number of
 *   non-overlapping matches, each taken at its leftmost start and first end
 *   ("foo[0-9]+" counts 1 in "foo123"; "[0-9]{3}" counts 2 in "123456").
 * DLP_KEYWORDS: pattern is a comma-separated list; each keyword is trimmed of
 *   spaces and tabs, is 1-DLP_KEYWORD_MAX octets without control characters,
 *   and matches as a whole word (no letter, digit, '_' or non-ASCII octet
 *   directly before or after, on a side where the keyword itself ends in
 *   one: "#tag" matches in "a#tag"); spaces inside a keyword match any run of
 *   white space ("top secret" matches "top\r\n secret"); ASCII case is
 *   ignored unless case_sensitive. Each place where a keyword of the list
 *   ends counts one ("top secret" counts 1 for the list "top secret,secret").
 */
struct dlp_rule_spec {
	const char *name; /* reported in results; [A-Za-z0-9_.:-], 1-DLP_NAME_MAX octets */
	enum dlp_kind kind;
	const char *pattern; /* DLP_REGEX, DLP_KEYWORDS; ignored by the built-ins */
	unsigned min_count;  /* the rule triggers at this count over a message; 0 reads as 1 */
	bool case_sensitive; /* DLP_KEYWORDS only (the default, false, ignores ASCII case) */
};

struct dlp_db;
struct dlp_scan;

/*
 * dlp_compile - compile n rules (1-DLP_RULES_MAX) into one database. Returns
 * it (the caller frees it with dlp_free), or NULL with err naming the rule at
 * fault (and a keyword by its place in the list, never by its text) and why:
 * for a regex, Hyperscan's own message ("... at index 3").
 */
struct dlp_db *dlp_compile(const struct dlp_rule_spec *rules, size_t n, char *err, size_t errlen);
/* dlp_free - free a database no scan uses any longer; NULL is a no-op */
void dlp_free(struct dlp_db *db);
/* dlp_db_rules - the number of rules: the most dlp_scan_results can return */
size_t dlp_db_rules(const struct dlp_db *db);
/* dlp_db_has_rule - is there a rule of that name (db may be NULL: no) */
bool dlp_db_has_rule(const struct dlp_db *db, const char *name);

/*
 * dlp_scan_new - a scan of one message against db, which must outlive it.
 * NULL when Hyperscan cannot allocate its scratch or stream (out of memory).
 */
struct dlp_scan *dlp_scan_new(const struct dlp_db *db);
/*
 * dlp_scan_feed - the next n octets of the current text (the subject, a text
 * part, a textual attachment, decoded to UTF-8), in pieces of any size: a
 * match split across pieces of one text is found. 0, or -1 if Hyperscan
 * failed, after which the scan is spoilt (every later call fails too, and
 * its results are incomplete).
 */
int dlp_scan_feed(struct dlp_scan *s, const char *utf8, size_t n);
/*
 * dlp_scan_end_text - the current text ends: its last candidates are judged
 * and the next feed starts a new text (no match spans two texts). Call it
 * after each text, the last one included, before reading the results.
 * 0, or -1 as for dlp_scan_feed.
 */
int dlp_scan_end_text(struct dlp_scan *s);

struct dlp_hit {
	const char *rule; /* the rule's name: owned by the database */
	unsigned count;   /* matches over the message's texts (saturates at UINT_MAX) */
	bool triggered;   /* count >= the rule's min_count */
};

/*
 * dlp_scan_results - write to out (up to cap entries, in the order of the
 * rules) each rule whose count is above 0, and return how many such rules
 * there are (which may exceed cap; never more than dlp_db_rules).
 */
size_t dlp_scan_results(const struct dlp_scan *s, struct dlp_hit *out, size_t cap);
/* dlp_scan_triggered - has any rule reached its min_count? */
bool dlp_scan_triggered(const struct dlp_scan *s);
/*
 * dlp_scan_reset - forget every count and the current text: ready for another
 * message (a spoilt scan too). 0, or -1 if Hyperscan failed.
 */
int dlp_scan_reset(struct dlp_scan *s);
/* dlp_scan_free - wipe and free a scan; NULL is a no-op */
void dlp_scan_free(struct dlp_scan *s);

#endif
