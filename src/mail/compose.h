/*
 * compose.h - build an RFC 5322 message from its parts (the HTTP send API):
 * addresses, subject, text and HTML bodies, extra header fields, attachments.
 *
 * The output is what a careful mail user agent writes: CRLF line ends, pure
 * 7-bit ASCII, every line at most 998 octets (header fields folded at white
 * space near 78, RFC 5322 2.1.1 and 2.2.3), non-ASCII or "=?"-holding text
 * in header fields as RFC 2047 B encoded words (at most 75 characters each,
 * on lines of at most 76), bodies in 7bit or quoted-printable, attachments
 * in base64 with RFC 2231 file names when they are not plain ASCII. Nothing
 * a caller gives can end a header field early or start a new one: every
 * piece of text is checked (compose_text_ok, compose_header_ok) before a
 * byte is written.
 *
 * The From: field comes first. A field name so long (over 58 characters)
 * that no encoded word fits after it on its line has its encoded value start
 * on a continuation line.
 *
 * Not written: Date, Message-ID (unless the caller gives a valid one),
 * Received, Return-Path, DKIM-Signature. The relay adds them.
 *
 * Addresses must be ASCII: a non-ASCII local part cannot be written in a
 * 7-bit header, and internationalised domain names are refused rather than
 * converted (no punycode here). No I/O but the random boundaries (libsodium's
 * randombytes_buf); no logging; errors go to the caller's buffer.
 */
#ifndef POSTERN_COMPOSE_H
#define POSTERN_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "address.h"
#include "buf.h"

#define COMPOSE_NAME_MAX     256 /* display name, octets */
#define COMPOSE_SUBJECT_MAX  998 /* subject, octets (it is folded or encoded) */
#define COMPOSE_FIELD_MAX    76  /* extra header field name */
#define COMPOSE_VALUE_MAX    998 /* extra header field value, octets */
#define COMPOSE_FILENAME_MAX 255 /* attachment file name, octets */
#define COMPOSE_CTYPE_MAX    127 /* "type/subtype" */
#define COMPOSE_CID_MAX      128 /* Content-ID without its angle brackets */

/* A mailbox: an address and an optional UTF-8 display name. */
struct compose_addr {
	const char *name; /* NULL or "" for none */
	struct mailaddr a;
};

/* An extra header field; compose_build checks it with compose_header_ok. */
struct compose_header {
	const char *name, *value;
};

struct compose_attachment {
	const char *filename;     /* UTF-8, required */
	const char *content_type; /* "type/subtype"; NULL: application/octet-stream */
	const unsigned char *data;
	size_t len;
	const char *content_id; /* NULL: an attachment; else an inline part with this Content-ID */
};

/*
 * A message to build. Every pointer is borrowed: compose_build reads them and
 * keeps none. Bcc recipients never appear here: they are envelope only.
 */
struct compose_msg {
	struct compose_addr from;
	const struct compose_addr *to, *cc, *reply_to;
	size_t nto, ncc, nreply_to;
	const char *subject;       /* UTF-8; NULL: no Subject field */
	const char *text, *html;   /* UTF-8 bodies (any line ends); NULL: none */
	size_t text_len, html_len; /* their lengths in octets */
	const struct compose_header *headers;
	size_t nheaders;
	const struct compose_attachment *att;
	size_t natt;
};

/*
 * compose_build - append the whole message (header section, empty line,
 * body) to out. 0; or -1 with err saying which piece was refused and why
 * (a control character in a display name, a non-ASCII address, a field
 * Postern owns, no body at all...), and out as it was on entry.
 *
 * Structure: text alone is text/plain; html alone text/html; both a
 * multipart/alternative (text first); with attachments, a multipart/mixed
 * holding that body (if any) then each attachment. The random boundaries
 * start with "=_", which neither quoted-printable ("=" is always followed by
 * two hex digits or a line end) nor base64 (no '_', '=' only as final
 * padding) can produce; a body sent as 7bit is sent so only if it holds no
 * "=_" either. So no part can hold a delimiter line.
 */
int compose_build(const struct compose_msg *m, struct buf *out, char *err, size_t errlen);

/*
 * compose_header_ok - whether a caller may add the field name: value.
 *
 * The name: 1 to COMPOSE_FIELD_MAX printable ASCII characters (33-126) but
 * ':', and none of the fields Postern builds or owns (case-insensitive):
 * From, Sender, To, Cc, Bcc, Reply-To, Subject, Date, MIME-Version,
 * Content-*, DKIM-Signature, DomainKey-Signature, ARC-*, Received,
 * Received-SPF, Authentication-Results, Return-Path, Resent-*,
 * List-Unsubscribe*, X-Postern-*. Message-ID is allowed, but only as one
 * msg-id "<left@right>" of dot-atom texts (RFC 5322 3.6.4), at most 250
 * characters: the relay keeps a source's Message-ID and adds one otherwise.
 *
 * The value: non-empty and not only white space, valid UTF-8, at most
 * COMPOSE_VALUE_MAX octets, no control character but TAB (no CR, LF, NUL,
 * DEL, C1) and no U+2028 or U+2029; an ASCII value must have no word so long
 * that the field could not be folded within 998 octets. Non-ASCII values,
 * and values holding "=?", are written as RFC 2047 encoded words.
 *
 * false with why (a sentence naming the problem) if not allowed.
 */
bool compose_header_ok(const char *name, const char *value, char *why, size_t whylen);

/*
 * compose_text_ok - whether n octets of text may go into a header field
 * (display name, subject, file name): valid UTF-8, no C0 control (TAB only
 * with tab_ok), no DEL, no C1 control (U+0080-U+009F, U+0085 NEL among
 * them), no U+2028 LINE SEPARATOR or U+2029 PARAGRAPH SEPARATOR. false with
 * why ("contains a line feed (LF)") otherwise.
 */
bool compose_text_ok(const char *s, size_t n, bool tab_ok, char *why, size_t whylen);

/*
 * compose_content_type_ok - "type/subtype", both RFC 2045 tokens (no
 * parameters), at most COMPOSE_CTYPE_MAX characters, and no multipart or
 * message type (they may not be base64-encoded, RFC 2046 5.1.1 and 5.2.1).
 */
bool compose_content_type_ok(const char *ct, char *why, size_t whylen);

/*
 * compose_content_id_ok - an inline part's id as the HTML refers to it
 * ("cid:logo@example.com"): 1 to COMPOSE_CID_MAX characters of atext, '.'
 * and '@', without angle brackets.
 */
bool compose_content_id_ok(const char *cid, char *why, size_t whylen);

#endif
