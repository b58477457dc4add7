/*
 * send_request_internal.h - what the files of the send API's request reader share:
 * send_request.c parses the request and its fields, send_shape.c checks its
 * form and depth (the 400s), send_raw.c takes a raw message. Not for the
 * rest of src/api: send_request.h is the interface.
 */
#ifndef POSTERN_SEND_REQUEST_INTERNAL_H
#define POSTERN_SEND_REQUEST_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "compose.h"
#include "send_request.h"

#define SEND_LINE_MAX 998 /* RFC 5322 2.1.1 */

/* what the parse holds until the message is built */
struct send_ctx {
	const struct send_limits *lim;
	struct send_error *e;
	json_t *root;
	struct compose_addr from;
	struct compose_addr *to, *cc, *reply_to, *bcc;
	size_t nto, ncc, nreply_to, nbcc;
	struct compose_header *hdrs;
	size_t nhdrs;
	struct compose_attachment *att;
	size_t natt;
	char **owned; /* display names and attachment data, freed at the end */
	size_t nowned, capowned;
};

/* send_request.c */

/* send_refuse - fill e with status, code and the message from fmt; returns -1 */
int send_refuse(struct send_error *e, int status, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/*
 * send_esc - a printable excerpt of n octets for a message, in dst (at least
 * 100 octets): printable ASCII as it is ('"' and '\' escaped), anything else
 * as \xNN, cut after about 60 characters. Returns dst.
 */
const char *send_esc(char *dst, size_t cap, const char *s, size_t n);

/* ESC - send_esc of a NUL-terminated s into the array buf */
#define ESC(buf, s) send_esc(buf, sizeof(buf), s, strlen(s))

/* send_get - the member key of o if it is present and not null, else NULL */
json_t *send_get(const json_t *o, const char *key);

/*
 * send_b64_decode - standard base64, padded, white space anywhere ignored:
 * 0 with *out (the caller frees it) and *outlen, or -1 with *out NULL.
 */
int send_b64_decode(const char *s, size_t n, unsigned char **out, size_t *outlen);

/* send_shape.c */

/*
 * send_too_deep - is the JSON text nested ({ and [) deeper than max?
 * Brackets inside strings (escapes honoured) do not count.
 */
bool send_too_deep(const char *p, size_t n, size_t max);

/*
 * send_check_shape - every key of c->root known, every value of its type
 * (400 with c->e filled otherwise); nothing is read yet.
 */
int send_check_shape(struct send_ctx *c);

/*
 * send_take_raw - the request's "raw" (a JSON string) decoded and checked into
 * out->message, with out->sender from the request's from if given, else from
 * the message's From: field. 0, or -1 with c->e filled (422 or 413).
 */
int send_take_raw(struct send_ctx *c, const json_t *raw, struct send_request *out);

#endif
