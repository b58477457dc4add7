/*
 * qrecord.h - the queue file format: typed records, self-validating.
 *
 * A queue file is a sequence of records, each a type octet, a 4-octet
 * big-endian length and that many octets of payload:
 *
 *   V "POSTERN-QUEUE/1"   always first
 *   I id  T arrival-ms  O source  C client  G helo  S sender   (envelope)
 *   A "key=value"         envelope attributes (body, smtputf8, ret, envid, pool, lane,
 *                         quarantine: the verdict that keeps the message from leaving,
 *                         tls=verify: only over TLS with a verified certificate,
 *                         stream: the broadcast stream, for the suppression list)
 *   R addr NUL notify NUL orcpt                                (each recipient)
 *   H header section      exactly one, the fields as they will be sent
 *   B body octets         zero or more, in order; H comes before or after
 *                         them (after: the header is signed once the body
 *                         has been hashed, so it is written last)
 *   A "key=value"         again, for what only the content told (lane, verdicts)
 *   E total CRC           always last: the 8-octet length of everything before
 *                         it and the CRC-32 of those octets
 *
 * A file that does not end with a valid E record is half-written or corrupt;
 * a record of an unknown type means a newer format: both are refused whole.
 * Like Postfix's END record, nothing before E is trusted until E checks out.
 */
#ifndef POSTERN_QRECORD_H
#define POSTERN_QRECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "envelope.h"

#define QREC_MAGIC      "POSTERN-QUEUE/1"
#define QREC_HDR_LEN    5
#define QREC_BODY_CHUNK (64 * 1024)
#define QREC_END_LEN    (QREC_HDR_LEN + 12)

enum qrec_type {
	QREC_VERSION = 'V',
	QREC_ID = 'I',
	QREC_TIME = 'T',
	QREC_SOURCE = 'O',
	QREC_CLIENT = 'C',
	QREC_HELO = 'G',
	QREC_SENDER = 'S',
	QREC_ATTR = 'A',
	QREC_RCPT = 'R',
	QREC_HEADER = 'H',
	QREC_BODY = 'B',
	QREC_END = 'E',
};

/* qrec_put - append one record to b. */
void qrec_put(struct buf *b, enum qrec_type type, const void *p, size_t n);
/* qrec_put_envelope - append V and the envelope records (everything before H). */
void qrec_put_envelope(struct buf *b, const struct envelope *env);
/* qrec_put_end - append E for a file whose preceding octets number total with crc. */
void qrec_put_end(struct buf *b, uint64_t total, uint32_t crc);

/* a parsed queue file; spans point into the caller's bytes */
struct qrec_span {
	const char *p;
	size_t n;
};

struct qmsg {
	struct envelope env;
	struct qrec_span header;
	struct qrec_span *body;
	size_t nbody;
	uint64_t size; /* header + CRLF + body: the message as sent */
};

/*
 * qrec_parse - validate a whole queue file (n bytes at p) and fill m, whose
 * spans point into p. On -1, err says what is wrong and m is empty.
 */
int qrec_parse(const char *p, size_t n, struct qmsg *m, char *err, size_t errlen);
void qmsg_release(struct qmsg *m);

#endif
