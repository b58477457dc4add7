/*
 * mime7.h - make a message 7-bit clean with short lines before it is signed,
 * so that what Postern signs is exactly what it sends and no later hop (one
 * without 8BITMIME, or one that wraps long lines) has a reason to change it
 * and break the DKIM signature (RFC 6376 5.3, RFC 6152, RFC 2045, RFC 2046).
 *
 * The converter is a stream: it is given the top-level header section (the
 * fields as they will be sent, CRLF lines, no empty line), then the body in
 * chunks of any size, then told the body has ended. It walks the MIME
 * structure (multipart by boundary, message/rfc822 recursively) and emits
 *
 *   - exactly one MIME7_HEADER output: the top-level header section, edited
 *     where needed, before any body output;
 *   - MIME7_BODY output: the body, in chunks of any size.
 *
 * What it changes, per leaf part (and the whole body of a non-MIME message):
 *   - a part with an octet >= 0x80 or a line over 998 octets (CRLF excluded)
 *     is encoded: quoted-printable for text types (and for a body without
 *     Content-Type), base64 otherwise; its Content-Transfer-Encoding field is
 *     replaced where it was (or added at the end of its header), and in a
 *     message header (the top level, or one inside message/rfc822, RFC 2045
 *     4) MIME-Version: 1.0 is added if missing. A body without Content-Type
 *     (at the top level or in a part) whose 8-bit octets are valid UTF-8 also
 *     gets "Content-Type: text/plain; charset=utf-8" (us-ascii, the default,
 *     would misread it); when the window forced the decision, only what it
 *     held was judged. An unreadable Content-Type is application/octet-stream.
 *   - a part declared 8bit or binary that turns out to be 7-bit with short
 *     lines is relabelled 7bit and otherwise left alone.
 *   - a part already quoted-printable: only its lines with 8-bit octets or
 *     over 998 octets are rewritten: 8-bit octets (and a '=' that starts no
 *     =XX) escaped, trailing white space dropped, soft line breaks at 76.
 *   - a part already base64: lines over 998 octets are re-wrapped at 76
 *     columns (octets outside the alphabet, which decoders ignore, dropped).
 *   - preamble and epilogue lines: 8-bit octets become '?', lines over 998
 *     octets are cut.
 *   - multipart and message/rfc822 entities declared 8bit or binary are
 *     relabelled 7bit (their content is converted below them).
 *   - header lines (top-level and in parts) over 998 octets are folded at
 *     white space.
 * Parts that need nothing are passed through byte for byte.
 *
 * Memory is bounded: an undecided part (one that might still turn out to
 * need encoding) is held until it ends or until it reaches `window` octets;
 * then it is encoded whatever the rest holds (always correct, just not
 * minimal). Part headers are bounded by MIME7_PART_HEADER_MAX, nesting by
 * MIME7_DEPTH_MAX (deeper entities are treated as leaves).
 *
 * Refused (mime7_write/mime7_finish return -1, err says why, and the caller
 * answers 554 5.6.0): a header line over 998 octets with no white space to
 * fold at; 8-bit octets in a base64 part; a part whose encoding is not one of
 * 7bit/8bit/binary/quoted-printable/base64 that would need converting; two
 * Content-Transfer-Encoding fields in one header section; a part (or
 * embedded message) header section over MIME7_PART_HEADER_MAX; a line longer
 * than MIME7_LINE_MAX. After -1 the converter emits nothing more.
 *
 * Input lines end in CRLF (the SMTP decoder guarantees no bare CR or LF;
 * one that slips through is an ordinary octet of its line). A line broken by
 * the converter never starts with '-', so it cannot become a boundary.
 * No I/O; the converter allocates (bounded as above).
 */
#ifndef POSTERN_MIME7_H
#define POSTERN_MIME7_H

#include <stdbool.h>
#include <stddef.h>

#define MIME7_LINE_MAX        (1024 * 1024) /* longest input line, CRLF included */
#define MIME7_PART_HEADER_MAX (64 * 1024)   /* a part's header section */
#define MIME7_DEPTH_MAX       32            /* nested multiparts / messages */
#define MIME7_WINDOW          (1024 * 1024) /* default for mime7_new's window */

enum mime7_out { MIME7_HEADER, MIME7_BODY };

/* the sink gets n > 0 octets (for MIME7_HEADER, possibly 0: an empty header) */
typedef void (*mime7_sink_fn)(enum mime7_out kind, const char *p, size_t n, void *arg);

struct mime7_stats {
	size_t parts;      /* leaf parts seen (a non-MIME body counts as one) */
	size_t qp;         /* encoded quoted-printable */
	size_t base64;     /* encoded base64 */
	size_t relabelled; /* 8bit/binary declared, relabelled 7bit: a leaf found 7-bit, or a
	                      multipart or message/rfc822 (converted below it) */
	size_t repaired;   /* QP or base64 parts whose lines or octets were fixed */
	size_t folded;     /* header lines folded */
	bool out_8bit;     /* some 8-bit octet remains in the output (a part header) */
};

struct mime7;

/*
 * mime7_new - a converter for a message whose top-level header section is
 * hdr (hdr_len octets, copied). window bounds an undecided part (use
 * MIME7_WINDOW). The sink is called from mime7_write/mime7_finish only.
 */
struct mime7 *mime7_new(const char *hdr, size_t hdr_len, size_t window, mime7_sink_fn sink,
                        void *arg);
void mime7_free(struct mime7 *m);

/* mime7_write - n octets of body. 0, or -1 with err (see above). */
int mime7_write(struct mime7 *m, const char *p, size_t n, char *err, size_t errlen);
/*
 * mime7_finish - the body has ended (it may be empty, and its last line may
 * lack CRLF only if the body is empty; one that does anyway is taken as a
 * line without CRLF). Flushes everything held; the header output is
 * guaranteed to have been emitted after 0. 0, or -1 with err. After -1 from
 * mime7_write, the output already given to the sink is incomplete.
 */
int mime7_finish(struct mime7 *m, char *err, size_t errlen);

void mime7_get_stats(const struct mime7 *m, struct mime7_stats *out);

#endif
