/*
 * received.h - the Received: trace field Postern prepends (RFC 5321 4.4,
 * RFC 3848 protocol names), naming the authenticated source and the TLS in use.
 */
#ifndef POSTERN_RECEIVED_H
#define POSTERN_RECEIVED_H

#include <stdbool.h>
#include <time.h>

#include "buf.h"

struct received_info {
	const char *helo;        /* as validated by the server, may be NULL */
	const char *client_addr; /* "192.0.2.1" */
	const char *hostname;    /* ours */
	const char *protocol;    /* "ESMTPSA", "ESMTPS", "UTF8SMTPSA", "HTTP" ... */
	const char *tls_version; /* NULL without TLS */
	const char *tls_cipher;
	const char *source;   /* the source's name */
	const char *id;       /* queue id, hex */
	const char *for_rcpt; /* NULL unless there is exactly one recipient */
	time_t when;
};

/* received_format - append the whole field, folded, CRLF-terminated. */
void received_format(struct buf *out, const struct received_info *ri);

/* received_protocol - the RFC 3848 / RFC 6531 "with" keyword. */
const char *received_protocol(bool esmtp, bool tls, bool auth, bool utf8);

#endif
