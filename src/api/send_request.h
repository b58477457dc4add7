/*
 * send_request.h - the body of POST /v1/messages (JSON) turned into an
 * envelope and an RFC 5322 message, with every check the send API makes.
 * No I/O, no logging: each refusal is an HTTP status, a code word and an
 * English message for the client.
 *
 * The body is one JSON object (UTF-8; JSON null counts as an absent field):
 *   from         "addr", "Name <addr>", "\"Quoted, Name\" <addr>" or
 *                {"email": "addr", "name": "Name"}
 *   to, cc, bcc, reply_to
 *                one such address, or an array of them
 *   subject, text, html
 *                strings (an empty text or html counts as absent)
 *   headers      {"Name": "value", ...}: extra fields (compose_header_ok)
 *   attachments  [{"filename", "content_type"?, "content" (standard base64,
 *                white space allowed), "content_id"? (an inline part)}, ...]
 *   stream       a token [a-z0-9._-]{1,64}
 *   metadata     {"key": string, number or boolean}: at most 20 keys of at
 *                most 64 characters, string values of at most 512 characters
 *   raw          a whole RFC 5322 message in base64 (then only from, to, cc,
 *                bcc, stream and metadata may be given)
 *
 * Refusals (status, code):
 *   400 bad_json        not JSON, not an object, a duplicate key, "\u0000"
 *   400 too_deep        nested deeper than lim->max_depth
 *   400 unknown_field   a key this API does not know (named)
 *   400 bad_field       a field of the wrong JSON type (named)
 *   413 too_large       the decoded parts or the message over lim->max_size
 *   422 missing_from, no_recipients, no_content, raw_exclusive,
 *       too_many_recipients (to + cc + bcc entries over lim->max_rcpts),
 *       too_many_headers, too_many_attachments,
 *       invalid_address     (named with its index: "to[2]"),
 *       header_injection    CR, LF, NUL, other controls, U+0085, U+2028,
 *                           U+2029 or invalid UTF-8 in a display name,
 *                           subject, header, file name, content type,
 *                           content id, stream or metadata key,
 *       invalid_field       a subject, display name, stream or metadata
 *                           entry of the wrong form or length,
 *       invalid_header      a header Postern owns, a bad name or value,
 *       invalid_attachment  bad base64, content type, file name or id,
 *       invalid_raw         raw that is not a message Postern can relay,
 *       invalid_from        a From: field the relay would refuse.
 * Messages never hold raw control characters: excerpts of the input are
 * escaped ("\x0d").
 *
 * Decisions: addresses are ASCII only (no SMTPUTF8, no IDN: give domains
 * in their xn-- form) and address literals ("user@[192.0.2.1]") are
 * refused; the From: field Postern writes must pass the relay's own reading
 * of it (mbox_parse_from), so a display name with '@', '<', '>' or "=?" in
 * the from address is refused here rather than after queuing; a raw message
 * may not hold a Bcc: field, NUL, a bare CR or a line over 998 octets, nor
 * 8-bit octets in its header section (bare LFs become CRLF).
 */
#ifndef POSTERN_SEND_REQUEST_H
#define POSTERN_SEND_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "address.h"
#include "buf.h"

#define SEND_STREAM_MAX       64
#define SEND_METADATA_KEYS    20
#define SEND_METADATA_KEY_MAX 64  /* characters */
#define SEND_METADATA_VAL_MAX 512 /* characters */

struct send_error {
	int status;        /* 400, 413 or 422 */
	char code[32];     /* "invalid_address" */
	char message[256]; /* "to[2]: \"bob@@example.com\" is not a valid address" */
};

struct send_limits {
	size_t max_rcpts;       /* to + cc + bcc entries, counted before de-duplication */
	uint64_t max_size;      /* the message in octets, and the decoded parts before it */
	size_t max_depth;       /* JSON nesting ({ and [) */
	size_t max_headers;     /* entries of "headers" */
	size_t max_attachments; /* entries of "attachments" */
};

/* send_limits_default - 50 recipients, 10 MiB, depth 16, 50 headers, 50 attachments */
void send_limits_default(struct send_limits *lim);

struct send_request {
	struct mailaddr sender; /* the envelope sender: from, or raw's From: address */
	struct mailaddr *rcpts; /* to + cc + bcc, de-duplicated (domain case ignored) */
	size_t nrcpts;
	char stream[SEND_STREAM_MAX + 1]; /* "" if none */
	char *metadata_json;              /* compact JSON object, or NULL */
	struct buf message;               /* the message, CRLF lines */
	bool raw;                         /* the message came as raw (its body may be 8-bit) */
};

/*
 * send_request_parse - read the n octets of body (need not be
 * NUL-terminated) under the limits lim. 0 with out filled (the caller owns
 * it and calls send_request_release), or -1 with e filled and out empty
 * (releasing it is harmless).
 */
int send_request_parse(const char *body, size_t n, const struct send_limits *lim,
                       struct send_request *out, struct send_error *e);

/* send_request_release - free what out holds; it is empty after. */
void send_request_release(struct send_request *r);

#endif
