/*
 * mime_test.c - the streaming MIME parser. Table rows give a message and
 * either the leaves it must yield (type, charset, file name, flags, content
 * as UTF-8 or octets) or the exact verdict and reason; one row per feature,
 * per limit and per ambiguity class of mime.h. Each row is fed whole, one
 * octet at a time and in random pieces (each in its own heap block, so
 * AddressSanitizer sees a read past it), and must give the same result
 * every way; every run is checked for the callback contract (pieces of at
 * most MIME_CHUNK, whole UTF-8 characters in text, one last call per leaf,
 * the octets counted in decoded). The bombs (deep nesting, many parts, a
 * long boundary, 50 MiB of base64) count the work done before the verdict
 * and the memory held, rather than time it.
 */
#include "mime.h"

#include <stdlib.h>

#include "buf.h"
#include "unit.h"
#include "utf8.h"

/* what the callback saw */
struct seen {
	struct buf render; /* the leaves, rendered as in the rows */
	struct buf cur;    /* the content of the leaf in progress */
	size_t index;
	bool open;      /* a leaf has had calls but not its last */
	uint64_t total; /* octets in all calls */
	size_t calls;
	bool broken; /* a contract violation: a reason is in why */
	const char *why;
};

static void on_part(const struct mime_part_info *p, const char *data, size_t n, bool last,
                    void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->total += n;
	if (n > MIME_CHUNK) {
		s->broken = true;
		s->why = "a piece over MIME_CHUNK";
	}
	if (p->text && !utf8_valid(data, n)) {
		s->broken = true;
		s->why = "a text piece that is not whole UTF-8";
	}
	if (s->open && s->index != p->index) {
		s->broken = true;
		s->why = "a leaf left without its last call";
	}
	s->open = true;
	s->index = p->index;
	buf_append(&s->cur, data, n);
	if (!last)
		return;
	buf_printf(&s->render, "%zu %s %s %s %c%c%c [", p->index, p->content_type,
	           p->charset ? p->charset : "-", p->filename ? p->filename : "-",
	           p->attachment ? 'a' : '-', p->text ? 't' : '-', p->charset_unknown ? 'u' : '-');
	buf_append(&s->render, s->cur.data, s->cur.len);
	buf_puts(&s->render, "]\n");
	buf_reset(&s->cur);
	s->open = false;
}

struct run {
	struct seen s;
	struct mime_result r;
	int rc;
	size_t fed; /* octets mime_feed took before it refused */
};

enum split { WHOLE, BYTES, RANDOM };

static void run_free(struct run *r)
{
	buf_release(&r->s.render);
	buf_release(&r->s.cur);
	mime_result_release(&r->r);
}

/* feed - parse in (n octets) cut as split says; r is the caller's to run_free */
static void feed(const struct mime_limits *lim, const char *in, size_t n, enum split split,
                 uint64_t seed, struct run *r)
{
	struct mime_parser *m;
	size_t pos = 0;

	memset(r, 0, sizeof(*r));
	buf_init(&r->s.render);
	buf_init(&r->s.cur);
	m = mime_new(lim, on_part, &r->s);
	while (pos < n) {
		size_t k = n - pos;
		if (split == BYTES)
			k = 1;
		else if (split == RANDOM)
			k = (size_t)(xrand(&seed) % 40);
		if (k > n - pos)
			k = n - pos;
		char *piece = malloc(k ? k : 1);
		memcpy(piece, in + pos, k);
		int rc = mime_feed(m, piece, k);
		free(piece);
		if (rc < 0)
			break;
		pos += k;
	}
	r->fed = pos;
	r->rc = mime_finish(m, &r->r);
	mime_free(m);
}

struct row {
	const char *in;
	size_t n;
	enum mime_status st;
	const char *why; /* st != MIME_OK: the exact reason */
	const char *out; /* MIME_OK: the leaves rendered */
	size_t outn;
	size_t parts; /* MIME_OK: entities */
	const struct mime_limits *lim;
};

#define OK(in, out, parts)                                                                         \
	{                                                                                          \
		RAW(in), MIME_OK, NULL, RAW(out), parts, NULL                                      \
	}
#define NO(st, in, why)                                                                            \
	{                                                                                          \
		RAW(in), st, why, NULL, 0, 0, NULL                                                 \
	}
#define NOL(st, in, why, lim)                                                                      \
	{                                                                                          \
		RAW(in), st, why, NULL, 0, 0, lim                                                  \
	}

#define MP(b) "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" b "\"\r\n\r\n"

/* one limit low, the others at their defaults */
#define LIMITS(d, p, b, h, x)                                                                      \
	{                                                                                          \
		.max_depth = d, .max_parts = p, .max_boundary = b, .max_header = h,                \
		.max_decoded = x                                                                   \
	}
#define KB64 (64 * 1024)
#define MB64 (64ULL * 1024 * 1024)
static const struct mime_limits lim_depth = LIMITS(2, 1000, 70, KB64, MB64);
static const struct mime_limits lim_parts = LIMITS(20, 4, 70, KB64, MB64);
static const struct mime_limits lim_boundary = LIMITS(20, 1000, 8, KB64, MB64);
static const struct mime_limits lim_header = LIMITS(20, 1000, 70, 64, MB64);
static const struct mime_limits lim_decoded = LIMITS(20, 1000, 70, KB64, 10);

/* features: the leaves each message must yield */
static const struct row ok_rows[] = {
        /* no MIME at all: text/plain, us-ascii; the last CRLF is content at the end */
        OK("Subject: hi\r\n\r\nhello\r\nworld\r\n", "0 text/plain - - -t- [hello\r\nworld\r\n]\n",
           1),
        OK("Subject: hi\r\n\r\nno final CRLF", "0 text/plain - - -t- [no final CRLF]\n", 1),
        OK("Subject: hi\r\n\r\n", "0 text/plain - - -t- []\n", 1),
        OK("", "0 text/plain - - -t- []\n", 1),
        OK("Subject: no body", "0 text/plain - - -t- []\n", 1),
        /* a header that ends at a line that is no field: that line is the body's */
        OK("Subject: hi\r\nbody line\r\n", "0 text/plain - - -t- [body line\r\n]\n", 1),
        /* 8-bit without a charset: UTF-8 where valid, windows-1252 where not */
        OK("\r\ncaf\xc3\xa9 caf\xe9 \x80\x81\r\n",
           "0 text/plain - - -t- [caf\xc3\xa9 caf\xc3\xa9 \xe2\x82\xac\xc2\x81\r\n]\n", 1),
        /* declared UTF-8: invalid octets become U+FFFD, one per maximal subpart */
        OK("Content-Type: text/plain; charset=UTF-8\r\n\r\na\xe2\x82z\xff\r\n",
           "0 text/plain utf-8 - -t- [a\xef\xbf\xbdz\xef\xbf\xbd\r\n]\n", 1),
        OK("Content-Type: text/plain; charset=iso-8859-1\r\n\r\nna\xefve\r\n",
           "0 text/plain iso-8859-1 - -t- [na\xc3\xafve\r\n]\n", 1),
        /* Shift_JIS read as CP932: 0x5C is a backslash, as readers show it */
        OK("Content-Type: text/plain; charset=Shift_JIS\r\n\r\n\x93\xfa\x96\x7b C:\\x\r\n",
           "0 text/plain shift_jis - -t- [\xe6\x97\xa5\xe6\x9c\xac C:\\x\r\n]\n", 1),
        /* a stateful charset, back to ASCII at the end */
        OK("Content-Type: text/plain; charset=\"ISO-2022-JP\"\r\n\r\n\x1b$B$H\x1b(B!\r\n",
           "0 text/plain iso-2022-jp - -t- [\xe3\x81\xa8!\r\n]\n", 1),
        OK("Content-Type: text/plain; charset=utf-7\r\n\r\nHi +AGEAYgBj- and +2D3eAA-\r\n",
           "0 text/plain utf-7 - -t- [Hi abc and \xf0\x9f\x98\x80\r\n]\n", 1),
        /* a charset iconv does not know: flagged, read as the octets */
        OK("Content-Type: text/plain; charset=x-martian\r\n\r\nz\xe9\r\n",
           "0 text/plain x-martian - -tu [z\xc3\xa9\r\n]\n", 1),
        OK("Content-Type: text/plain; charset=\"utf-8//TRANSLIT\"\r\n\r\nz\r\n",
           "0 text/plain - - -tu [z\r\n]\n", 1),
        /* quoted-printable: =XX either case, soft breaks, "==" as one '=', the rest kept */
        OK("Content-Transfer-Encoding: quoted-printable\r\n\r\n"
           "a=3Db=3d=\r\nc ==3D =G0 x=4\r\ntrailing  \r\nend=",
           "0 text/plain - - -t- [a=b=c =3D =G0 x=4\r\ntrailing  \r\nend]\n", 1),
        OK("Content-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: Quoted-Printable\r\n\r\n=E2=82=AC=\r\n=C3=A9\r\n",
           "0 text/plain utf-8 - -t- [\xe2\x82\xac\xc3\xa9\r\n]\n", 1),
        /* base64: line breaks and white space anywhere */
        OK("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           "YWJj\r\nZGVm Zw\t==\r\n  \r\n",
           "0 application/octet-stream - - --- [abcdefg]\n", 1),
        OK("Content-Type: image/png\r\nContent-Transfer-Encoding: BASE64\r\n\r\nAAEC/w==",
           "0 image/png - - --- [\x00\x01\x02\xff]\n", 1),
        OK("Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n",
           "0 image/png - - --- []\n", 1),
        OK("Content-Transfer-Encoding: 8bit\r\n\r\nx\r\n", "0 text/plain - - -t- [x\r\n]\n", 1),
        OK("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"
           "\x00\r\x01\n\xff",
           "0 application/octet-stream - - --- [\x00\r\x01\n\xff]\n", 1),
        /* multipart/alternative: the CRLF before a delimiter is the delimiter's */
        OK(MP("b1") "preamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                    "plain\r\n\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
                    "--b1--\r\nepilogue\r\n",
           "1 text/plain utf-8 - -t- [plain\r\n]\n2 text/html - - -t- [<p>html</p>]\n", 3),
        /* white space after a delimiter (transport padding); a close delimiter at the end */
        OK(MP("b") "--b  \t\r\n\r\nx\r\n--b-- \r\n", "1 text/plain - - -t- [x]\n", 2),
        OK(MP("b") "--b\r\n\r\nx\r\n--b--", "1 text/plain - - -t- [x]\n", 2),
        /* a part with no header at all, and one whose header has no empty line */
        OK(MP("b") "--b\r\nx\r\n--b\r\nContent-Type: text/csv\r\ny\r\n--b--\r\n",
           "1 text/plain - - -t- [x]\n2 text/csv - - -t- [y]\n", 3),
        /* lines that look like delimiters but are not: another boundary, a partial one */
        OK(MP("abc") "--abc\r\n\r\n--ab\r\n--abd\r\n-\r\n--\r\n--abc--\r\n",
           "1 text/plain - - -t- [--ab\r\n--abd\r\n-\r\n--]\n", 2),
        /* attachments: a file name, base64, the attachment flag */
        OK(MP("b") "--b\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\n"
                   "Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
                   "Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n",
           "1 application/pdf - r.pdf a-- [%PDF]\n", 2),
        OK(MP("b") "--b\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n\r\n"
                   "x\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: x-token\r\n\r\n"
                   "y\r\n--b--\r\n",
           "1 image/png - - --- [x]\n2 image/png - - a-- [y]\n", 3),
        /* textual attachments */
        OK(MP("b") "--b\r\nContent-Type: application/json\r\n\r\n{}\r\n"
                   "--b\r\nContent-Type: application/octet-stream; name=\"Data.CSV\"\r\n\r\n"
                   "a,b\r\n--b\r\nContent-Type: image/svg+xml\r\n\r\n<svg/>\r\n"
                   "--b\r\nContent-Type: application/ld+json\r\n\r\n[]\r\n"
                   "--b\r\nContent-Type: application/zip; name=x.zip\r\n\r\nPK\r\n--b--\r\n",
           "1 application/json - - -t- [{}]\n2 application/octet-stream - Data.CSV at- [a,b]\n"
           "3 image/svg+xml - - -t- [<svg/>]\n4 application/ld+json - - -t- [[]]\n"
           "5 application/zip - x.zip a-- [PK]\n",
           6),
        /* file names: RFC 2047 (quoted), RFC 2231 single and in sections, name as fallback */
        OK(MP("b") "--b\r\nContent-Type: application/pdf; name=\"=?utf-8?B?4oKs?= "
                   "=?utf-8?Q?_x.pdf?=\"\r\n\r\n1\r\n"
                   "--b\r\nContent-Disposition: attachment; filename*=iso-8859-1'fr'r%E9sum%e9."
                   "doc\r\n\r\n2\r\n"
                   "--b\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''%E6%97%A5;\r\n"
                   " filename*1=\".x\"; filename*2*=%41\r\n\r\n3\r\n"
                   "--b\r\nContent-Disposition: attachment; filename*0=\"a\"; filename*1=\"b\"\r\n"
                   "\r\n4\r\n--b\r\nContent-Disposition: attachment; filename=\"caf\xc3\xa9\"\r\n"
                   "\r\n5\r\n--b\r\nContent-Disposition: attachment; filename=\"\"\r\n\r\n6\r\n"
                   "--b--\r\n",
           "1 application/pdf - \xe2\x82\xac x.pdf a-- [1]\n"
           "2 text/plain - r\xc3\xa9sum\xc3\xa9.doc at- [2]\n"
           "3 text/plain - \xe6\x97\xa5.xA at- [3]\n4 text/plain - ab at- [4]\n"
           "5 text/plain - caf\xc3\xa9 at- [5]\n6 text/plain - - at- [6]\n",
           7),
        /* the same name both ways (plain and RFC 2231, name and filename) is fine */
        OK("Content-Type: application/pdf; name=\"=?iso-8859-1?q?=E9.pdf?=\"\r\n"
           "Content-Disposition: attachment; filename=\"\xc3\xa9.pdf\";\r\n"
           "\tfilename*=UTF-8''%C3%A9.pdf\r\n\r\nx",
           "0 application/pdf - \xc3\xa9.pdf a-- [x]\n", 1),
        /* parameters: comments, quoting, case, white space around '=', a trailing ';' */
        OK("Content-Type: (c) TEXT/Plain (c) ; CharSet = \"ISO-8859-1\" (c);;\r\n\r\n\xe9",
           "0 text/plain iso-8859-1 - -t- [\xc3\xa9]\n", 1),
        OK("Content-Type: multipart/mixed;\r\n\tboundary*0=\"a=\"; boundary*1=\"b\"\r\n\r\n"
           "--a=b\r\n\r\nx\r\n--a=b--\r\n",
           "1 text/plain - - -t- [x]\n", 2),
        /* nesting: message/rfc822 (its text parts too), and multipart inside multipart */
        OK(MP("o") "--o\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n"
                   "Content-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\nin1\r\n"
                   "--i\r\nContent-Type: text/html\r\n\r\nin2\r\n--i--\r\n--o\r\n"
                   "Content-Type: message/global\r\n\r\nno header line\r\n--o--\r\n",
           "3 text/plain - - -t- [in1]\n4 text/html - - -t- [in2]\n"
           "6 text/plain - - -t- [no header line]\n",
           7),
        /* an embedded message with no body at all still is one */
        OK(MP("o") "--o\r\nContent-Type: message/rfc822\r\n--o--\r\n", "2 text/plain - - -t- []\n",
           3),
        /* multipart/digest: parts are messages unless they say otherwise */
        OK("Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: a\r\n\r\nA\r\n"
           "--d\r\nContent-Type: text/plain\r\n\r\nB\r\n--d--\r\n",
           "2 text/plain - - -t- [A]\n3 text/plain - - -t- [B]\n", 4),
        /* other message/ types are textual leaves */
        OK("Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n"
           "--r\r\n\r\nbounce\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\n"
           "Reporting-MTA: dns; mx\r\n\r\nStatus: 5.1.1\r\n--r--\r\n",
           "1 text/plain - - -t- [bounce]\n"
           "2 message/delivery-status - - -t- [Reporting-MTA: dns; mx\r\n\r\nStatus: 5.1.1]\n",
           3),
        /* the innermost of nested multiparts ends at its close, then the outer goes on */
        OK(MP("o") "--o\r\nContent-Type: multipart/related; boundary=\"i\"\r\n\r\n--i\r\n\r\n"
                   "a\r\n--i--\r\ninner epilogue\r\n--o\r\n\r\nb\r\n--o--\r\n",
           "2 text/plain - - -t- [a]\n3 text/plain - - -t- [b]\n", 4),
        /* the header of the first part right after the multipart's, with no empty line */
        OK("Content-Type: multipart/mixed; boundary=x\r\n--x\r\n\r\nhi\r\n--x--\r\n",
           "1 text/plain - - -t- [hi]\n", 2),
        /* a bare LF or CR in content is content (no delimiter follows it) */
        OK(MP("b") "--b\r\n\r\na\nb\rc\n-\r\n--b--\r\n", "1 text/plain - - -t- [a\nb\rc\n-]\n", 2),
};

#define LIM MIME_LIMIT
#define AMB MIME_AMBIGUOUS
#define BAD MIME_MALFORMED

/* refusals: one row per limit, per ambiguity class, per malformation */
static const struct row no_rows[] = {
        /* limits, each row with one low: depth 2, 4 parts, boundary 8, header 64, decoded 10 */
        NOL(LIM,
            MP("a") "--a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                    "Content-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n",
            "MIME nesting deeper than 2", &lim_depth),
        NOL(LIM,
            "Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n"
            "Content-Type: message/rfc822\r\n\r\nx\r\n",
            "MIME nesting deeper than 2", &lim_depth),
        NOL(LIM,
            MP("a") "--a\r\n\r\n1\r\n--a\r\n\r\n2\r\n--a\r\n\r\n3\r\n--a\r\n\r\n4\r\n--a--\r\n",
            "over 4 MIME parts", &lim_parts),
        NOL(LIM, MP("123456789") "--123456789\r\n\r\nx\r\n--123456789--\r\n",
            "a boundary over 8 octets", &lim_boundary),
        NOL(LIM, "Subject: 0123456789012345678901234567890123456789012345678901234567890\r\n\r\n",
            "a header section over 64 octets", &lim_header),
        NOL(LIM,
            MP("a") "--a\r\nX-Long: 0123456789012345678901234567890123456789012345678901234567\r\n"
                    "\r\nx\r\n--a--\r\n",
            "a header section over 64 octets", &lim_header),
        NOL(LIM, "\r\n0123456789ab", "over 10 octets of decoded content", &lim_decoded),
        NOL(LIM, "Content-Type: text/plain; charset=iso-8859-1\r\n\r\n\xe9\xe9\xe9\xe9\xe9\xe9",
            "over 10 octets of decoded content", &lim_decoded), /* UTF-8 octets are counted */
        NO(LIM,
           MP("01234567890123456789012345678901234567890123456789012345678901234567890") "\r\n",
           "a boundary over 70 octets"),

        /* header sections */
        NO(AMB, "Subject: a\x00\r\n\r\nx", "NUL in a header section"),
        NO(AMB, "Subject: a\nContent-Type: text/html\r\n\r\nx",
           "a bare CR or LF in a header section"),
        NO(AMB, "Subject: a\rContent-Type: text/html\r\n\r\nx",
           "a bare CR or LF in a header section"),
        NO(AMB, "Subject: a\r\n \r\nContent-Type: text/html\r\n\r\nx",
           "a header line of white space only"),
        NO(AMB, " Content-Type: text/html\r\n\r\nx", "a header continuation line with no field"),
        NO(AMB, "From a@b Mon Jan  1 00:00:00 2024\r\nSubject: x\r\n\r\nx",
           "a \"From \" line in a header section"),
        NO(AMB, ": no name\r\n\r\nx", "a header field without a name"),
        NO(AMB, "Content-Type : text/html\r\n\r\nx",
           "white space between a field name and its colon"),
        NO(AMB, "Content-Type: text/plain\r\ncontent-type: text/html\r\n\r\nx",
           "2 Content-Type fields in one header section"),
        NO(AMB, "Content-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: 7bit\r\n\r\nx",
           "2 Content-Transfer-Encoding fields in one header section"),
        NO(AMB, "Content-Disposition: inline\r\nContent-Disposition: attachment\r\n\r\nx",
           "2 Content-Disposition fields in one header section"),
        NO(AMB, "Subject: one\r\nSubject: two\r\n\r\nx", "2 Subject fields in one header section"),
        NO(AMB, "Content-Type: text\r\n\r\nx", "a Content-Type that is not type/subtype"),
        NO(AMB, "Content-Type: \r\n\r\nx", "a Content-Type that is not type/subtype"),
        NO(AMB, "Content-Type: text /plain\r\n\r\nx",
           "white space or a comment around the '/' of a Content-Type"),
        NO(AMB, "Content-Type: text/(c)plain\r\n\r\nx",
           "white space or a comment around the '/' of a Content-Type"),
        NO(AMB, "Content-Type: multipart/mixed boundary=x\r\n\r\nx",
           "Content-Type parameters that do not parse"),
        NO(AMB, "Content-Type: multipart/mixed; boundary=----=_Part_1\r\n\r\nx",
           "Content-Type parameters that do not parse"),
        NO(AMB, "Content-Type: text/plain; charset\r\n\r\nx",
           "Content-Type parameters that do not parse"),
        NO(AMB, "Content-Type: text/plain; charset=\"utf-8\r\n\r\nx",
           "an unterminated quoted string in Content-Type"),
        NO(AMB, "Content-Type: text/plain (comment\r\n\r\nx",
           "an unterminated comment in Content-Type"),
        NO(AMB, "Content-Disposition: attachment; filename=a b.exe\r\n\r\nx",
           "Content-Disposition parameters that do not parse"),
        NO(AMB, "Content-Disposition: ; filename=a.exe\r\n\r\nx",
           "a Content-Disposition without a type"),
        NO(AMB, "Content-Type: multipart/mixed; boundary=a; BOUNDARY=b\r\n\r\nx",
           "the boundary parameter given twice"),
        NO(AMB, "Content-Type: text/plain; charset=utf-8; charset=koi8-r\r\n\r\nx",
           "the charset parameter given twice"),
        NO(AMB, "Content-Disposition: attachment; filename=a; filename=b\r\n\r\nx",
           "the filename parameter given twice"),
        NO(AMB, "Content-Disposition: attachment; filename*=''a; filename*=''b\r\n\r\nx",
           "the filename parameter given twice"),
        NO(AMB, "Content-Disposition: attachment; filename*0=a; filename*2=b\r\n\r\nx",
           "RFC 2231 sections of filename missing or repeated"),
        NO(AMB, "Content-Disposition: attachment; filename*0=a; filename*0*=b\r\n\r\nx",
           "RFC 2231 sections of filename missing or repeated"),
        NO(AMB, "Content-Disposition: attachment; filename*=''a; filename*0=a\r\n\r\nx",
           "the filename parameter both whole and in sections"),
        NO(AMB,
           "Content-Disposition: attachment; filename=\"a.exe\"; filename*=utf-8''a.txt\r\n"
           "\r\nx",
           "plain and RFC 2231 filename parameters differ"),
        NO(AMB, "Content-Type: multipart/mixed; boundary=a; boundary*=''b\r\n\r\nx",
           "plain and RFC 2231 boundary parameters differ"),
        NO(AMB,
           "Content-Type: application/pdf; name=\"a.txt\"\r\n"
           "Content-Disposition: attachment; filename=\"a.exe\"\r\n\r\nx",
           "Content-Type name and Content-Disposition filename differ"),
        NO(AMB, "Content-Disposition: attachment; filename*=utf-8''evil.exe%00.txt\r\n\r\nx",
           "a control character in a file name"),
        NO(AMB, "Content-Disposition: attachment; filename=\"=?utf-8?q?a=0Ab?=\"\r\n\r\nx",
           "a control character in a file name"),
        NO(AMB, "Content-Disposition: attachment; filename=\"=?utf-8?b?!!!?=.pdf\"\r\n\r\nx",
           "an encoded word in the filename parameter that does not decode"),
        NO(AMB, "Content-Transfer-Encoding: x-uuencode\r\n\r\nx",
           "an unknown Content-Transfer-Encoding"),
        NO(AMB, "Content-Transfer-Encoding: base64 (c)\r\n\r\nx",
           "an unknown Content-Transfer-Encoding"),
        NO(AMB, "Content-Transfer-Encoding:\r\n\r\nx", "an unknown Content-Transfer-Encoding"),
        NO(AMB,
           "Content-Type: multipart/mixed; boundary=x\r\nContent-Transfer-Encoding: base64\r\n"
           "\r\n--x\r\n",
           "a multipart in base64 or quoted-printable"),
        NO(AMB,
           "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdA==",
           "an embedded message in base64 or quoted-printable"),

        /* structure */
        NO(AMB, "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n",
           "a multipart without a boundary"),
        NO(AMB, "Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n",
           "a multipart with an empty boundary"),
        NO(AMB, MP("x ") "--x \r\n\r\nhi\r\n--x --\r\n", "a boundary that ends in white space"),
        NO(AMB, MP("outer") "--outer\r\nContent-Type: multipart/mixed; boundary=\"out\"\r\n\r\n",
           "a boundary that is a prefix of an enclosing one, or the other way round"),
        NO(AMB, MP("out") "--out\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n",
           "a boundary that is a prefix of an enclosing one, or the other way round"),
        NO(AMB, MP("o") "--o\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n",
           "a boundary that is a prefix of an enclosing one, or the other way round"),
        NO(AMB, MP("b") "no delimiter at all\r\n", "a multipart without any delimiter line"),
        NO(AMB, MP("b") "--b--\r\n", "a multipart with only a close delimiter"),
        NO(AMB, MP("b") "--b\r\n--b\r\n\r\nx\r\n--b--\r\n", "two delimiter lines in a row"),
        NO(AMB, MP("b") "--b\r\n\r\nx\r\n--b\r\n--b--\r\n", "two delimiter lines in a row"),
        NO(AMB, MP("b") "--b\r\n\r\nx\r\n--b--\r\n--b\r\n\r\nsmuggled\r\n--b--\r\n",
           "a delimiter line after its multipart's close delimiter"),
        NO(AMB,
           MP("o") "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\n\r\nx\r\n"
                   "--i--\r\n--i--\r\n--o--\r\n",
           "a delimiter line after its multipart's close delimiter"),
        NO(AMB, MP("b") "--b\r\n\r\nx\r\n", "a multipart's close delimiter is missing"),
        NO(AMB, MP("b") "--b\r\n\r\nx", "a multipart's close delimiter is missing"),
        NO(AMB,
           MP("o") "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\n\r\nx\r\n"
                   "--o--\r\n",
           "a multipart's close delimiter is missing"),
        NO(AMB, MP("o") "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\nx\r\n--o--\r\n",
           "a multipart without any delimiter line"),
        NO(AMB, MP("o") "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n--o--\r\n",
           "a multipart without any delimiter line"),
        NO(AMB, MP("b") "--b\r\n\r\nx\r\n--bjunk\r\n--b--\r\n",
           "a line that starts with a delimiter goes on"),
        NO(AMB, MP("b") "--b\r\n\r\nx\r\n--b--junk\r\n",
           "a line that starts with a delimiter goes on"),
        NO(AMB, MP("b") "--b\r\n\r\nx\r\n--b-\r\n", "a line that starts with a delimiter goes on"),
        NO(AMB, MP("b") "--b\r\n\r\nx\r\n--b\n\r\n", "a line that starts with a delimiter goes on"),
        NO(AMB, MP("b") "--b\r\n\r\nx\r\n--b\rx\r\n",
           "a line that starts with a delimiter goes on"),
        NO(AMB, MP("b") "--b\r\n\r\nx\r\n--b\r", "a line that starts with a delimiter goes on"),
        NO(AMB, MP("b") "--bx\r\n--b\r\n\r\nx\r\n--b--\r\n",
           "a line that starts with a delimiter goes on"),
        NO(AMB,
           MP("o") "--o\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n--p\r\n\r\n"
                   "--ox-not\r\n--p--\r\n--o--\r\n",
           "a line that starts with a delimiter goes on"), /* an outer delimiter's start */
        NO(AMB, MP("b") "--b\r\nContent-Type: text/plain\r\n--b junk\r\n",
           "a line that starts with a delimiter goes on"),
        NO(AMB, MP("b") "--b\r\n\r\nx\n--b\r\n\r\ny\r\n--b--\r\n",
           "a delimiter after a bare CR or LF"),
        NO(AMB, MP("b") "--b\r\n\r\nx\r--b--\r\n", "a delimiter after a bare CR or LF"),
        NO(AMB, MP("b") "--b\r\nContent-Type: message/partial; id=a; number=1; total=2\r\n\r\n",
           "message/partial: a fragment cannot be scanned"),

        /* content */
        NO(AMB, "Content-Transfer-Encoding: base64\r\n\r\nYW*Jj\r\n",
           "an octet outside the base64 alphabet"),
        NO(AMB, "Content-Transfer-Encoding: base64\r\n\r\nYQ==YWJj\r\n",
           "data after the padding in base64"),
        NO(AMB, "Content-Transfer-Encoding: base64\r\n\r\nY===\r\n",
           "base64 padding in the wrong place"),
        NO(AMB, "Content-Transfer-Encoding: base64\r\n\r\nYQ=j\r\n",
           "base64 padding in the wrong place"),
        NO(AMB, "Content-Transfer-Encoding: base64\r\n\r\nYWJjZ\r\n",
           "base64 that ends in the middle of a quantum"),
        NO(AMB, "Content-Transfer-Encoding: base64\r\n\r\nYWJjZA\r\n",
           "base64 that ends in the middle of a quantum"),
        NO(AMB, "Content-Transfer-Encoding: quoted-printable\r\n\r\nVIA=  \r\nGRA\r\n",
           "quoted-printable '=' followed by white space at the end of a line"),
        NO(AMB, "Content-Transfer-Encoding: quoted-printable\r\n\r\nVIA= ",
           "quoted-printable '=' followed by white space at the end"),
        NO(AMB, "Content-Transfer-Encoding: quoted-printable\r\n\r\nVIA=\nGRA\r\n",
           "quoted-printable '=' before a bare CR or LF"),

        /* malformed */
        NO(BAD, MP("a\tb") "--a\tb\r\n", "a boundary with a control or 8-bit octet"),
        NO(BAD, MP("\xc3\xa9") "--\xc3\xa9\r\n", "a boundary with a control or 8-bit octet"),
        NO(BAD,
           "Content-Type: text/"
           "x0123456789012345678901234567890123456789012345678901234567890123456789012345678"
           "9012345678901234567890123456789012345678901234567\r\n\r\nx",
           "a Content-Type type or subtype over 127 octets"),
        NO(BAD, "Content-Disposition: attachment; filename*01=a\r\n\r\nx",
           "an RFC 2231 section of filename that does not parse"),
        NO(BAD, "Content-Disposition: attachment; filename*1000=a\r\n\r\nx",
           "an RFC 2231 section of filename that does not parse"),
        NO(BAD, "Content-Disposition: attachment; filename*x=a\r\n\r\nx",
           "an RFC 2231 section of filename that does not parse"),
};

/* check - one row, every way it can be cut; the runs must agree */
static void check(const struct row *w)
{
	struct run a, b, c;

	feed(w->lim, w->in, w->n, WHOLE, 0, &a);
	feed(w->lim, w->in, w->n, BYTES, 0, &b);
	feed(w->lim, w->in, w->n, RANDOM, w->n * 7919 + 1, &c);
	const struct run *runs[] = {&a, &b, &c};
	for (size_t i = 0; i < 3; i++) {
		const struct run *r = runs[i];
		EXPECT(!r->s.broken, "%s: cut %zu: %s", show(w->in, w->n), i, r->s.why);
		EXPECT(r->s.total == r->r.decoded, "%s: cut %zu: %llu octets seen, %llu counted",
		       show(w->in, w->n), i, (unsigned long long)r->s.total,
		       (unsigned long long)r->r.decoded);
		EXPECT(r->r.status == w->st, "%s: cut %zu: %s (%s), not %s", show(w->in, w->n), i,
		       mime_status_name(r->r.status), r->r.why, mime_status_name(w->st));
		EXPECT((r->rc == 0) == (r->r.status == MIME_OK), "%s: rc %d", show(w->in, w->n),
		       r->rc);
		if (w->st != MIME_OK) {
			EXPECT(strcmp(r->r.why, w->why) == 0, "%s: cut %zu: why %s, not %s",
			       show(w->in, w->n), i, shows(r->r.why), shows(w->why));
			continue;
		}
		EXPECT(!r->s.open, "%s: a leaf left open", show(w->in, w->n));
		EXPECT(r->s.render.len == w->outn &&
		               memcmp(r->s.render.data ? r->s.render.data : "", w->out, w->outn) ==
		                       0,
		       "%s: cut %zu:\n    got  %s\n    want %s", show(w->in, w->n), i,
		       show(r->s.render.data ? r->s.render.data : "", r->s.render.len),
		       show(w->out, w->outn));
		EXPECT(r->r.parts == w->parts, "%s: %zu parts, not %zu", show(w->in, w->n),
		       r->r.parts, w->parts);
	}
	run_free(&a);
	run_free(&b);
	run_free(&c);
}

static void test_features(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(ok_rows); i++)
		check(&ok_rows[i]);
	ALL_PASSED();
}

static void test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(no_rows); i++)
		check(&no_rows[i]);
	ALL_PASSED();
}

/* the Subject, RFC 2047 decoded */
static const struct {
	const char *in;
	const char *subject; /* NULL: none */
} subj_rows[] = {
        {"Subject: plain text  \r\n\r\n", "plain text  "},
        {"Subject:\r\n\r\n", ""},
        {"From: a@b\r\n\r\n", NULL},
        {"Subject: =?utf-8?q?h=C3=A9llo?= world\r\n\r\n", "h\xc3\xa9llo world"},
        {"Subject: =?UTF-8?B?4oKs?=\r\n\r\n", "\xe2\x82\xac"},
        {"Subject: =?utf-8?q?a?= =?utf-8?q?b?=\r\n =?utf-8?q?_c?=\r\n\r\n", "ab c"},
        {"Subject: =?utf-8?q?=E2=82?= =?utf-8?q?=AC?=\r\n\r\n", "\xe2\x82\xac"},
        {"Subject: =?iso-8859-1?q?caf=E9?= x =?koi8-r?b?8NLJ18XU?=\r\n\r\n",
         "caf\xc3\xa9 x \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"},
        {"Subject: =?utf-8*en?q?lang?=\r\n\r\n", "lang"},
        {"Subject: mid=?utf-8?q?word?=s\r\n\r\n", "midwords"},
        {"Subject: =?utf-8?b?YQ?= =?utf-8?b?Y!Q==?=\r\n\r\n", "aa"},
        {"Subject: =?utf-8?q?unterminated\r\n\r\n", "=?utf-8?q?unterminated"},
        {"Subject: =?x-martian?q?=E9?=\r\n\r\n", "\xef\xbf\xbd"},
        {"Subject: raw caf\xc3\xa9 caf\xe9\r\n\r\n", "raw caf\xc3\xa9 caf\xef\xbf\xbd"},
        {"Subject: =?iso-2022-jp?b?GyRCJEgbKEI=?=\r\n\r\n", "\xe3\x81\xa8"},
};

static void test_subject(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(subj_rows); i++) {
		struct run r;
		const char *in = subj_rows[i].in, *want = subj_rows[i].subject;
		feed(NULL, in, strlen(in), RANDOM, i + 1, &r);
		EXPECT(r.r.status == MIME_OK, "%s: %s", shows(in), r.r.why);
		EXPECT(want ? r.r.subject && strcmp(r.r.subject, want) == 0 : r.r.subject == NULL,
		       "%s: subject %s, not %s", shows(in), shows(r.r.subject), shows(want));
		EXPECT(r.r.subject == NULL || utf8_valid(r.r.subject, strlen(r.r.subject)),
		       "%s: not UTF-8", shows(in));
		run_free(&r);
	}
	/* an encoded word left as text: Python's email decodes what RFC 2047 leaves */
	static const char *const held[] = {
	        "Subject: =?utf-8?x?bad?=\r\n\r\n",
	        "Subject: a =?utf-8?b?4oCTIOKCrD\tMwMA==?=\r\n\r\n",
	        "Subject: =?utf-8?b?5Lya6K2w44G=4Gm?=\r\n\r\n",
	};
	for (size_t i = 0; i < NELEM(held); i++) {
		struct run r;
		feed(NULL, held[i], strlen(held[i]), RANDOM, i + 1, &r);
		EXPECT(r.r.status == MIME_AMBIGUOUS, "%s: %s", shows(held[i]),
		       mime_status_name(r.r.status));
		run_free(&r);
	}
	ALL_PASSED();
}

/*
 * invalid octets in stateful charsets: what iconv makes of them is its
 * business, but it must not depend on how the message was cut
 */
static const char *const stateful[] = {
        "Content-Type: text/plain; charset=utf-7\r\n\r\nHi +AGEA- bad +\x80+AG\r\n\xe2\x82\xac "
        "+-end",
        "Content-Type: text/plain; "
        "charset=iso-2022-jp\r\n\r\n\x1b$B$H\x1b(\x1b$B\xff\x1b\r\nx\x1b$",
        "Content-Type: text/plain; charset=utf-16\r\n\r\n\xff\xfe"
        "a\x00\x00\xd8"
        "b\x00\r\n\x00",
        "Content-Type: text/plain; charset=gb18030\r\n\r\n\x81\x30\x81\r\n\x81\x30\x81\x30\x81",
};

static void test_cuts(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(stateful); i++) {
		const char *in = stateful[i];
		struct run a, b, c;
		feed(NULL, in, strlen(in), WHOLE, 0, &a);
		feed(NULL, in, strlen(in), BYTES, 0, &b);
		feed(NULL, in, strlen(in), RANDOM, i + 1, &c);
		EXPECT(a.r.status == MIME_OK && b.r.status == MIME_OK && c.r.status == MIME_OK,
		       "%s: %s", shows(in), a.r.why);
		EXPECT(!a.s.broken && !b.s.broken && !c.s.broken, "%s: broken", shows(in));
		EXPECT(a.s.render.len == b.s.render.len && a.s.render.len == c.s.render.len &&
		               memcmp(a.s.render.data, b.s.render.data, a.s.render.len) == 0 &&
		               memcmp(a.s.render.data, c.s.render.data, a.s.render.len) == 0,
		       "%s: cuts differ:\n    %s\n    %s\n    %s", shows(in),
		       show(a.s.render.data, a.s.render.len), show(b.s.render.data, b.s.render.len),
		       show(c.s.render.data, c.s.render.len));
		run_free(&a);
		run_free(&b);
		run_free(&c);
	}
	ALL_PASSED();
}

/* big text: pieces of at most MIME_CHUNK, never cut inside a character, charsets kept apart */
static void test_pieces(void **state)
{
	struct buf in, want;
	struct run r;

	(void)state;
	buf_init(&in);
	buf_init(&want);
	buf_puts(&in, MP("b") "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
	for (int i = 0; i < 20000; i++) {
		buf_puts(&in, "\xe2\x82\xac\xf0\x9f\x98\x80");
		buf_puts(&want, "\xe2\x82\xac\xf0\x9f\x98\x80");
	}
	buf_puts(&in,
	         "\r\n--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n\xe9\r\n"
	         "--b\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n\xf0\r\n"
	         "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n\xe9\r\n--b--\r\n");
	feed(NULL, in.data, in.len, RANDOM, 1, &r);
	EXPECT(r.r.status == MIME_OK, "%s", r.r.why);
	EXPECT(!r.s.broken, "%s", r.s.why);
	EXPECT(r.s.calls >= want.len / MIME_CHUNK + 4, "%zu calls", r.s.calls);
	EXPECT(r.r.decoded == want.len + 2 + 2 + 2, "%llu decoded",
	       (unsigned long long)r.r.decoded);
	EXPECT(strstr(r.s.render.data, "[\xc3\xa9]\n") != NULL &&
	               strstr(r.s.render.data, "[\xd0\x9f]\n") != NULL,
	       "charsets mixed up: %s", show(r.s.render.data + r.s.render.len - 120, 120));
	run_free(&r);
	buf_release(&in);
	buf_release(&want);
	ALL_PASSED();
}

/*
 * bomb - feed msg (built by the caller) in 4 KiB pieces; report the octets
 * taken before the verdict, the most memory held at any point, and the
 * verdict. A parser that stops at a limit takes nothing more.
 */
struct bomb {
	size_t fed, held, calls;
	uint64_t decoded;
	enum mime_status st;
	char why[200];
};

static void count_part(const struct mime_part_info *p, const char *data, size_t n, bool last,
                       void *arg)
{
	struct bomb *b = arg;

	(void)p;
	(void)data;
	(void)n;
	(void)last;
	b->calls++;
}

static void bomb_run(const struct mime_limits *lim, const char *msg, size_t n, struct bomb *b)
{
	struct mime_parser *m;
	struct mime_result r;

	memset(b, 0, sizeof(*b));
	m = mime_new(lim, count_part, b);
	for (size_t pos = 0; pos < n;) {
		size_t k = n - pos < 4096 ? n - pos : 4096;
		if (mime_feed(m, msg + pos, k) < 0) {
			/* once refused, nothing more is taken */
			if (mime_feed(m, msg + pos, k) != -1)
				b->st = MIME_OK;
			break;
		}
		pos += k;
		b->fed = pos;
		if (mime_held(m) > b->held)
			b->held = mime_held(m);
	}
	mime_finish(m, &r);
	b->st = r.status;
	b->decoded = r.decoded;
	snprintf(b->why, sizeof(b->why), "%s", r.why);
	mime_result_release(&r);
	mime_free(m);
}

static void test_bomb_depth(void **state)
{
	struct buf msg;
	struct bomb b;

	(void)state;
	buf_init(&msg);
	for (int i = 0; i < 1000; i++)
		buf_printf(&msg,
		           "Content-Type: multipart/mixed; boundary=\"d%dx\"\r\n\r\n--d%dx\r\n", i,
		           i);
	buf_puts(&msg, "\r\nbottom\r\n");
	bomb_run(NULL, msg.data, msg.len, &b);
	EXPECT(b.st == MIME_LIMIT && strcmp(b.why, "MIME nesting deeper than 20") == 0, "%s",
	       b.why);
	/* stopped at level 21 of 1000: the first 4 KiB piece holds it */
	EXPECT(b.fed == 0, "%zu octets taken after the limit", b.fed);
	EXPECT(b.calls == 0, "%zu callbacks", b.calls);
	/* message/rfc822 nesting too */
	buf_reset(&msg);
	for (int i = 0; i < 1000; i++)
		buf_puts(&msg, "Content-Type: message/rfc822\r\n\r\n");
	bomb_run(NULL, msg.data, msg.len, &b);
	EXPECT(b.st == MIME_LIMIT && b.fed == 0, "%s, %zu taken", b.why, b.fed);
	buf_release(&msg);
	ALL_PASSED();
}

static void test_bomb_parts(void **state)
{
	struct buf msg;
	struct bomb b;

	(void)state;
	buf_init(&msg);
	buf_puts(&msg, MP("p"));
	for (int i = 0; i < 100000; i++)
		buf_puts(&msg, "--p\r\n\r\nx\r\n");
	buf_puts(&msg, "--p--\r\n");
	bomb_run(NULL, msg.data, msg.len, &b);
	EXPECT(b.st == MIME_LIMIT && strcmp(b.why, "over 1000 MIME parts") == 0, "%s", b.why);
	/* 1000 parts of 10 octets: the work stopped within the piece holding part 1001 */
	EXPECT(b.fed <= 1000 * 10 + 4096, "%zu octets taken of %zu", b.fed, msg.len);
	EXPECT(b.calls == 999, "%zu callbacks", b.calls);
	EXPECT(b.held < 64 * 1024, "%zu octets held", b.held);
	buf_release(&msg);
	ALL_PASSED();
}

static void test_bomb_boundary(void **state)
{
	struct buf msg;
	struct bomb b;
	char *bd = malloc(10 * 1024 + 1);

	(void)state;
	memset(bd, 'q', 10 * 1024);
	bd[10 * 1024] = '\0';
	buf_init(&msg);
	buf_printf(&msg, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n", bd);
	for (int i = 0; i < 100; i++)
		buf_printf(&msg, "--%s\r\n\r\nx\r\n", bd);
	bomb_run(NULL, msg.data, msg.len, &b);
	EXPECT(b.st == MIME_LIMIT && strcmp(b.why, "a boundary over 70 octets") == 0, "%s", b.why);
	EXPECT(b.fed <= 12 * 1024, "%zu octets taken", b.fed);
	/* a boundary over the header limit is a header over it */
	struct mime_limits l;
	mime_limits_default(&l);
	l.max_boundary = 1 << 20;
	l.max_header = 4096;
	bomb_run(&l, msg.data, msg.len, &b);
	EXPECT(b.st == MIME_LIMIT && strcmp(b.why, "a header section over 4096 octets") == 0, "%s",
	       b.why);
	/* allowed, a long boundary costs memory in proportion, not more */
	l.max_header = 64 * 1024;
	bomb_run(&l, msg.data, msg.len, &b);
	EXPECT(b.st == MIME_AMBIGUOUS, "%s", b.why); /* no close delimiter */
	EXPECT(b.held < 200 * 1024, "%zu octets held", b.held);
	EXPECT(b.calls == 99, "%zu callbacks", b.calls);
	buf_release(&msg);
	free(bd);
	ALL_PASSED();
}

/* charsets: many switches between a few are cheap (kept open); cycling through many is bounded */
static void test_bomb_charsets(void **state)
{
	static const char *const cs[] = {"koi8-r", "iso-8859-2", "cp1251", "big5", "euc-kr"};
	struct buf msg;
	struct bomb b;

	(void)state;
	buf_init(&msg);
	buf_puts(&msg, MP("c"));
	for (int p = 0; p < 300; p++) {
		buf_puts(&msg, "--c\r\nContent-Type: text/plain; charset=koi8-r\r\n"
		               "Content-Disposition: attachment; filename=\"");
		for (int w = 0; w < 40; w++)
			buf_printf(&msg, "=?%s?q?a?= ", cs[w % 4]);
		buf_puts(&msg, "\"\r\n\r\n\xf0\r\n");
	}
	buf_puts(&msg, "--c--\r\n");
	bomb_run(NULL, msg.data, msg.len, &b);
	EXPECT(b.st == MIME_OK, "%s", b.why); /* four charsets: all kept open */
	EXPECT(b.calls == 300, "%zu callbacks", b.calls);
	buf_reset(&msg);
	buf_puts(&msg, MP("c"));
	for (int p = 0; p < 300; p++) {
		buf_puts(&msg, "--c\r\nContent-Disposition: attachment; filename=\"");
		for (int w = 0; w < 40; w++)
			buf_printf(&msg, "=?%s?q?a?= ", cs[w % 5]);
		buf_puts(&msg, "\"\r\n\r\nx\r\n");
	}
	buf_puts(&msg, "--c--\r\n");
	bomb_run(NULL, msg.data, msg.len, &b);
	EXPECT(b.st == MIME_LIMIT && strcmp(b.why, "over 4016 charset conversions") == 0, "%s",
	       b.why);
	/* 40 opens a part: refused at about part 100 of 300 */
	EXPECT(b.fed < msg.len / 2, "%zu of %zu octets taken", b.fed, msg.len);
	buf_release(&msg);
	ALL_PASSED();
}

static void test_bomb_base64(void **state)
{
	const size_t big = 50u * 1024 * 1024;
	char *msg = malloc(big + 200);
	struct bomb b;
	struct mime_limits l;
	int h = snprintf(msg, 200,
	                 "Content-Type: application/octet-stream\r\n"
	                 "Content-Transfer-Encoding: base64\r\n\r\n");

	(void)state;
	memset(msg + h, 'A', big); /* one line of 50 MiB */
	/* under the default 64 MiB: decoded to the end in bounded memory */
	bomb_run(NULL, msg, (size_t)h + big, &b);
	EXPECT(b.st == MIME_OK, "%s", b.why);
	EXPECT(b.decoded == big / 4 * 3, "%llu decoded", (unsigned long long)b.decoded);
	EXPECT(b.calls == (big / 4 * 3 + MIME_CHUNK - 1) / MIME_CHUNK + 1, "%zu callbacks",
	       b.calls);
	EXPECT(b.held < 64 * 1024, "%zu octets held", b.held);
	/* with 1 MiB allowed: refused once 1 MiB is decoded, the rest never read */
	mime_limits_default(&l);
	l.max_decoded = 1024 * 1024;
	bomb_run(&l, msg, (size_t)h + big, &b);
	EXPECT(b.st == MIME_LIMIT && strcmp(b.why, "over 1048576 octets of decoded content") == 0,
	       "%s", b.why);
	EXPECT(b.fed <= 1024 * 1024 / 3 * 4 + 8192, "%zu octets taken", b.fed);
	EXPECT(b.decoded <= 1024 * 1024, "%llu decoded", (unsigned long long)b.decoded);
	free(msg);
	ALL_PASSED();
}

/* API corners: input after the end, NULL limits, mime_free(NULL), a result twice */
static void test_api(void **state)
{
	struct seen s;
	struct mime_result r;
	struct mime_parser *m;

	(void)state;
	memset(&s, 0, sizeof(s));
	buf_init(&s.render);
	buf_init(&s.cur);
	m = mime_new(NULL, on_part, &s);
	EXPECT(mime_feed(m, "Subject: x\r\n\r\nbody", 18) == 0, "feed");
	EXPECT(mime_finish(m, &r) == 0 && r.parts == 1 && strcmp(r.subject, "x") == 0, "finish");
	mime_result_release(&r);
	EXPECT(mime_feed(m, "more", 4) == -1, "input after the end taken");
	EXPECT(mime_finish(m, &r) == -1 && r.status == MIME_MALFORMED &&
	               strcmp(r.why, "input after the end of the message") == 0,
	       "%s", r.why);
	mime_result_release(&r);
	mime_free(m);
	mime_free(NULL);
	EXPECT(strcmp(s.render.data, "0 text/plain - - -t- [body]\n") == 0, "%s", s.render.data);
	buf_release(&s.render);
	buf_release(&s.cur);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_features),    cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_subject),     cmocka_unit_test(test_cuts),
	        cmocka_unit_test(test_pieces),      cmocka_unit_test(test_bomb_depth),
	        cmocka_unit_test(test_bomb_parts),  cmocka_unit_test(test_bomb_boundary),
	        cmocka_unit_test(test_bomb_base64), cmocka_unit_test(test_bomb_charsets),
	        cmocka_unit_test(test_api),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
