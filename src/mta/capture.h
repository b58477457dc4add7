/*
 * capture.h - the capture transport: instead of sending a message over SMTP,
 * write it as <id>.eml (exactly the octets that would be sent) beside <id>.json
 * (its envelope) into a directory. The sandbox and staging mode, and what
 * `make run` uses.
 */
#ifndef POSTERN_CAPTURE_H
#define POSTERN_CAPTURE_H

#include <stddef.h>

#include "qrecord.h"

/* capture_deliver - write both files durably (the .json first). Blocking. */
int capture_deliver(const char *dir, const struct qmsg *m, char *err, size_t errlen);

#endif
