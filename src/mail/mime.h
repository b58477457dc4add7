/*
 * mime.h - a streaming, bounded MIME parser for content scanning (RFC 2045,
 * 2046, 2047, 2183, 2231). Postern scans every message before it signs it;
 * the scanners (antivirus, anti-spam, data-loss rules) get each leaf part
 * decoded, text as UTF-8, with its type and file name, and a verdict on the
 * message's structure.
 *
 * The parser is given the raw message (header section, empty line, body;
 * CRLF lines) in pieces of any size. It walks multipart entities of any
 * subtype and message/rfc822 (and message/global) recursively, decodes
 * base64, quoted-printable, 7bit, 8bit and binary, converts text parts to
 * UTF-8, and calls back with each leaf part's content in pieces. Memory is
 * bounded whatever the message size: a header section (up to max_header),
 * the start of a line that may be a delimiter, the open boundaries, a few
 * decoder octets, a batch for iconv (4 KiB), four iconv descriptors and one
 * output piece (MIME_CHUNK).
 *
 * Verdicts (struct mime_result):
 *
 * MIME_OK - the structure is read the way readers agree on.
 *
 * MIME_LIMIT - a limit was reached: nesting depth, entity count, boundary
 * length, a header section's size or the total decoded size; or the
 * message switched between charsets (in text parts, encoded words, RFC
 * 2231 values) so often that more than 4 * max_parts + 16 iconv
 * descriptors had to be opened (four are kept). The parser stops at once
 * (no more work, no more callbacks).
 *
 * MIME_AMBIGUOUS - mail readers are known to read this differently, so the
 * scanners could be shown something else than the recipient sees. Postern
 * holds such a message rather than guess. The classes:
 *   header sections
 *   - NUL, or a bare CR or LF (one not part of CRLF), in a header section;
 *   - a line of white space only, or a continuation line with nothing
 *     before it to continue;
 *   - a line starting "From " or ':' (no field name), or a field name
 *     followed by white space before its colon (obsolete syntax some
 *     readers take as a field and others as the start of the body);
 *   - two Content-Type, Content-Transfer-Encoding or Content-Disposition
 *     fields in one header section, or two Subject fields in the message's;
 *   - a Content-Type that is not type/subtype; parameters (of Content-Type
 *     or Content-Disposition) that do not parse: an unquoted value that is
 *     not an RFC 2045 token (such as boundary=----=_x), a missing '=',
 *     an unterminated quoted string or comment;
 *   - one of the parameters the parser uses (boundary, charset, name,
 *     filename) given twice; RFC 2231 sections missing, repeated or mixed
 *     with the single extended form; a plain and an RFC 2231 value that
 *     differ once decoded;
 *   - a Content-Type name and a Content-Disposition filename that differ
 *     once decoded; a file name with a control character in it once
 *     decoded; an encoded word in a file name that does not decode;
 *   - a Content-Transfer-Encoding other than 7bit, 8bit, binary,
 *     quoted-printable and base64 (x-uuencode, or a known one with a
 *     comment), or anything but 7bit, 8bit or binary on a multipart or an
 *     embedded message;
 *   structure
 *   - a multipart without a boundary, with an empty one, or with one that
 *     ends in white space;
 *   - a boundary that is a prefix of an enclosing multipart's, or has one
 *     as a prefix (equal included);
 *   - a multipart with no delimiter line at all, or only its close
 *     delimiter; two delimiter lines in a row (an empty part to some
 *     readers, none to others);
 *   - a close delimiter missing: at the end of the message, or where an
 *     enclosing multipart's delimiter ends an inner multipart;
 *   - a delimiter line of a multipart after its close delimiter (readers
 *     that go on reading parts in the epilogue see more content);
 *   - a line that starts with a delimiter of an open multipart but goes on
 *     with something else than "--" and white space (readers that match the
 *     prefix see a delimiter), or ends in a bare CR or LF;
 *   - a delimiter after a bare CR or LF in the middle of a line (readers
 *     that split lines there see it);
 *   - message/partial (a fragment: no scanner can see the whole);
 *   content
 *   - base64 with an octet outside the alphabet and white space, padding in
 *     the wrong place, data after the padding, or a last quantum left
 *     incomplete (readers skip, stop, or refuse to decode);
 *   - quoted-printable with '=' followed only by white space at the end of
 *     a line (a soft line break to RFC 2045 readers, text to others).
 *
 * MIME_MALFORMED - plainly broken, with no reading to disagree on: a
 * boundary with octets outside printable ASCII, a type or subtype over 127
 * octets, an RFC 2231 section number that is not a small decimal number,
 * input after mime_finish.
 *
 * After the first verdict other than MIME_OK the parser does no more work:
 * mime_feed returns -1 and no callback is made (so the part in progress may
 * not get its last call).
 *
 * Decisions left open above, taken here:
 *   - every entity is counted in parts (the message itself, containers and
 *     leaves): the count Python's email walk() gives. The message is at
 *     depth 0; the parts of a multipart, and the message in a
 *     message/rfc822, one deeper.
 *   - the preamble and epilogue of a multipart are not handed to the
 *     scanners (readers do not show them).
 *   - a header section that ends at a line that is no field (without the
 *     empty line) ends there, and the line is the body's first.
 *   - a missing Content-Type is text/plain (message/rfc822 in
 *     multipart/digest); other message/ types (delivery-status,
 *     disposition-notification, external-body...) are textual leaves.
 *   - quoted-printable as Python's binascii reads it: "=XX" in upper or
 *     lower case; "==" is one '='; another '=' not followed by two hex
 *     digits stays as it is; a last '=' is dropped; trailing white space on
 *     a line is kept (it changes nothing for scanners).
 *   - base64: CR, LF, SP and TAB anywhere are ignored.
 *   - RFC 2047 words in the Subject are decoded wherever they are, B text
 *     leniently (octets outside the alphabet skipped, padding optional, as
 *     readers show it); a word that still does not decode is kept as
 *     written. In a file name (a quoted parameter value) a word is decoded
 *     where it starts the value or follows white space, strictly. Words
 *     separated by white space only are joined, and converted together.
 *   - header text (Subject, file names) is UTF-8 where valid; an invalid
 *     sequence, or text in a charset iconv does not know, shows as U+FFFD.
 *   - body text is converted from its charset with iconv; labels readers
 *     read as a superset are read so: Shift_JIS as CP932 (0x5C is '\'),
 *     GB2312 as GBK, KS_C_5601-1987 as CP949. With no charset, us-ascii, or
 *     a charset iconv does not know (charset_unknown), the octets are taken
 *     as UTF-8 where they are valid and as windows-1252 where not, so that
 *     data-loss rules still see the words. Octets invalid in a known
 *     charset become U+FFFD. Either way a text part's content is UTF-8.
 *
 * Known differences from Python's email (measured with a differential
 * over generated and mutated messages, Python 3.11): a Subject with malformed
 * encoded words; the number of U+FFFD for invalid octets in multibyte
 * charsets (glibc's iconv against Python's codecs); charset labels Python
 * normalises (":koi8-r") and iconv does not know; message/delivery-status,
 * which Python splits into header blocks; 8-bit octets in us-ascii text,
 * which Python shows as U+FFFD.
 *
 * XXX: a file name that hides its extension with bidi controls
 * ("invoice\u202Efdp.exe") is passed as it is: readers agree on its octets,
 * the scanners must judge it.
 *
 * Pure: no I/O, no logging. Allocates, bounded as above.
 */
#ifndef POSTERN_MIME_H
#define POSTERN_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the longest piece of content in one callback */
#define MIME_CHUNK 16384

struct mime_limits {
	size_t max_depth;     /* deepest entity: the message is depth 0 */
	size_t max_parts;     /* entities in all: the message, containers, leaves */
	size_t max_boundary;  /* octets in a boundary */
	size_t max_header;    /* octets in one header section (the empty line excluded) */
	uint64_t max_decoded; /* octets handed to the callback, all parts together */
};

/* mime_limits_default - depth 20, 1000 parts, boundary 70 (RFC 2046), header 64 KiB, 64 MiB */
void mime_limits_default(struct mime_limits *l);

/* one leaf part; the strings are the parser's, valid during the callback only */
struct mime_part_info {
	int depth;
	size_t index;             /* the entity's place in walk order: 0 is the message */
	const char *content_type; /* "type/subtype", lower case */
	const char *charset;      /* the charset parameter, lower case, or NULL */
	const char *filename;     /* Content-Disposition filename, else Content-Type name:
	                             UTF-8, or NULL */
	bool attachment;          /* a Content-Disposition other than inline (RFC 2183 2.8),
	                             or a file name */
	bool text;                /* textual: text/..., application/json or xml (or +json,
	                             +xml), other message/ types, or a .txt, .csv, .tsv,
	                             .json, .xml, .htm or .html file name: content is UTF-8 */
	bool charset_unknown;     /* text whose charset iconv does not know (see above) */
};

/*
 * mime_part_fn - the decoded content of one leaf part, in pieces of at most
 * MIME_CHUNK octets, in order; the last call for a part has last set (its n
 * may be 0). Text parts are UTF-8 and never split inside a character. data
 * is valid during the call only.
 */
typedef void (*mime_part_fn)(const struct mime_part_info *p, const char *data, size_t n, bool last,
                             void *arg);

enum mime_status { MIME_OK, MIME_LIMIT, MIME_MALFORMED, MIME_AMBIGUOUS };

struct mime_result {
	enum mime_status status;
	char why[200];    /* for any status but MIME_OK: a short English reason */
	size_t parts;     /* entities seen */
	int max_depth;    /* the deepest seen */
	uint64_t decoded; /* octets handed to the callback (at most max_decoded) */
	char *subject;    /* the message's Subject, RFC 2047 decoded, UTF-8, or NULL if it
	                     has none: the caller's, freed by mime_result_release */
};

struct mime_parser;

/*
 * mime_new - a parser with limits l (copied; NULL for the defaults) that
 * calls fn(..., arg) from mime_feed and mime_finish only.
 */
struct mime_parser *mime_new(const struct mime_limits *l, mime_part_fn fn, void *arg);
void mime_free(struct mime_parser *m);

/*
 * mime_feed - n more octets of the message. 0, or -1 once the verdict is
 * other than MIME_OK (the caller may stop feeding; mime_finish says why).
 */
int mime_feed(struct mime_parser *m, const char *p, size_t n);

/*
 * mime_finish - the message has ended: ends the parts still open and fills
 * out (which the caller releases with mime_result_release). 0 if the
 * verdict is MIME_OK, else -1.
 */
int mime_finish(struct mime_parser *m, struct mime_result *out);
void mime_result_release(struct mime_result *r);

/* mime_held - octets the parser holds now (its buffers), for tests and metrics */
size_t mime_held(const struct mime_parser *m);

const char *mime_status_name(enum mime_status s);

#endif
