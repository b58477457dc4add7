/*
 * compose_internal.h - what the files of the message builder share:
 * compose.c lays out the message (MIME structure, bodies, boundaries),
 * compose_hdr.c writes its header fields (checks, RFC 2047 encoded words,
 * RFC 2231 parameters, folding).
 */
#ifndef POSTERN_COMPOSE_INTERNAL_H
#define POSTERN_COMPOSE_INTERNAL_H

#include <stddef.h>

#include "buf.h"
#include "compose.h"

#define COMPOSE_LINE_MAX 998 /* RFC 5322 2.1.1, CRLF excluded */

/* compose.c */

/* compose_fail - fmt into err (when errlen > 0); returns -1 */
int compose_fail(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* compose_hdr.c */

/*
 * compose_check_addrs - from, then each of to, cc and reply_to, as
 * compose_build needs them (ASCII, valid, display names of allowed text and
 * length): 0, or -1 with err naming the first refused ("to[1]: ...").
 */
int compose_check_addrs(const struct compose_msg *m, char *err, size_t errlen);

/*
 * compose_put_fields - append the header fields of a message that passed
 * every check: From, To, Cc, Reply-To, Subject, MIME-Version, then the
 * caller's extra fields; each ends in CRLF.
 */
void compose_put_fields(const struct compose_msg *m, struct buf *out);

/*
 * compose_put_param - append "; attr=value" on its own folded line: a
 * quoted-string when the value is plain, else RFC 2231 encoded (and cut into
 * continuations when long). v is checked UTF-8 text (compose_text_ok).
 */
void compose_put_param(struct buf *b, const char *attr, const char *v);

#endif
