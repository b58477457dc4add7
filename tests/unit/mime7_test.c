/*
 * mime7_test.c - the 7-bit converter. Table rows give a header section and a
 * body and the exact output (or -1); each row is fed whole, one byte at a
 * time and in random pieces (each piece in its own heap block, so
 * AddressSanitizer sees any read past it), and must give the same output
 * every way. Every run is checked for the invariants: one header output,
 * before any body; no line over 998 octets; no 8-bit octet in a body line
 * but in a part header. Larger cases are generated, and their QP or base64
 * output is decoded here and compared with the input: the conversion loses
 * nothing.
 */
#include "mime7.h"

#include <stdlib.h>

#include "buf.h"
#include "header.h"
#include "unit.h"

/* what the sink received */
struct cap {
	struct buf hdr, body;
	int nhdr;
	bool body_first; /* body output came before the header */
};

struct run {
	int rc;
	char err[256];
	struct cap c;
	struct mime7_stats st;
};

static void sink(enum mime7_out kind, const char *p, size_t n, void *arg)
{
	struct cap *c = arg;

	if (kind == MIME7_HEADER) {
		c->nhdr++;
		buf_append(&c->hdr, p, n);
		return;
	}
	if (c->nhdr == 0)
		c->body_first = true;
	if (n == 0)
		c->body_first = true; /* body output is never empty */
	buf_append(&c->body, p, n);
}

enum split { WHOLE, BYTES, RANDOM };

/* feed - run a converter over hdr and body, cut as split says */
static void feed(const char *hdr, size_t hn, const char *body, size_t bn, size_t window,
                 enum split split, uint64_t seed, struct run *r)
{
	struct mime7 *m;
	size_t pos = 0;

	memset(r, 0, sizeof(*r));
	buf_init(&r->c.hdr);
	buf_init(&r->c.body);
	m = mime7_new(hdr, hn, window, sink, &r->c);
	while (pos < bn && r->rc == 0) {
		size_t k = bn - pos;
		if (split == BYTES)
			k = 1;
		else if (split == RANDOM)
			k = (size_t)(xrand(&seed) % 40);
		if (k > bn - pos)
			k = bn - pos;
		char *piece = malloc(k ? k : 1);
		memcpy(piece, body + pos, k);
		r->rc = mime7_write(m, piece, k, r->err, sizeof(r->err));
		free(piece);
		pos += k;
	}
	if (r->rc == 0)
		r->rc = mime7_finish(m, r->err, sizeof(r->err));
	mime7_get_stats(m, &r->st);
	mime7_free(m);
}

static void run_release(struct run *r)
{
	buf_release(&r->c.hdr);
	buf_release(&r->c.body);
}

/* next_line - the line at *pos (CRLF excluded) in p; *crlf: it had one; false at the end */
static bool next_line(const char *p, size_t n, size_t *pos, const char **l, size_t *ln, bool *crlf)
{
	size_t i = *pos;

	if (i >= n)
		return false;
	*l = p + i;
	while (i < n && !(p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
		i++;
	*ln = (size_t)(p + i - *l);
	*crlf = i < n;
	*pos = i < n ? i + 2 : n;
	return true;
}

/* invariants - what holds for every run that returned 0 */
static void invariants(const struct run *r, const char *what)
{
	const char *l;
	size_t ln, pos = 0;
	bool crlf;

	if (r->rc != 0)
		return;
	EXPECT(r->c.nhdr == 1, "%s: %d header outputs", what, r->c.nhdr);
	EXPECT(!r->c.body_first, "%s: body output before the header", what);
	while (next_line(r->c.hdr.data, r->c.hdr.len, &pos, &l, &ln, &crlf))
		EXPECT(ln <= 998, "%s: header line of %zu octets", what, ln);
	pos = 0;
	while (next_line(r->c.body.data, r->c.body.len, &pos, &l, &ln, &crlf)) {
		size_t nl;
		EXPECT(ln <= 998, "%s: body line of %zu octets", what, ln);
		for (size_t i = 0; i < ln; i++) {
			if ((unsigned char)l[i] < 0x80)
				continue;
			/* only a part header may keep 8-bit octets */
			enum hdr_line t = hdr_classify(l, ln + 2, &nl);
			EXPECT(r->st.out_8bit && (t == HDR_LINE_FIELD || t == HDR_LINE_CONT),
			       "%s: 8-bit body line %s", what, show(l, ln));
			break;
		}
	}
}

/* convert - one run, whole, with the invariants checked */
static void convert(const char *hdr, size_t hn, const char *body, size_t bn, size_t window,
                    struct run *r)
{
	feed(hdr, hn, body, bn, window, WHOLE, 1, r);
	invariants(r, "convert");
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * qp_decode - RFC 2045 6.7: white space at the end of a line deleted, a final
 * '=' joins the line to the next, =XX decoded; anything else (8-bit octets,
 * a lone '=') taken literally, as robust decoders do.
 */
static void qp_decode(const char *p, size_t n, struct buf *o)
{
	const char *l;
	size_t ln, pos = 0;
	bool crlf;

	while (next_line(p, n, &pos, &l, &ln, &crlf)) {
		while (ln > 0 && (l[ln - 1] == ' ' || l[ln - 1] == '\t'))
			ln--;
		bool soft = ln > 0 && l[ln - 1] == '=';
		if (soft)
			ln--;
		for (size_t i = 0; i < ln; i++) {
			if (l[i] == '=' && i + 2 < ln && unhex(l[i + 1]) >= 0 &&
			    unhex(l[i + 2]) >= 0) {
				buf_putc(o, (char)(unhex(l[i + 1]) * 16 + unhex(l[i + 2])));
				i += 2;
			} else {
				buf_putc(o, l[i]);
			}
		}
		if (crlf && !soft)
			buf_append(o, "\r\n", 2);
	}
}

/* b64_decode - RFC 2045 6.8: octets outside the alphabet ignored, '=' ends the data */
static void b64_decode(const char *p, size_t n, struct buf *o)
{
	static const char abc[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned acc = 0, bits = 0;

	for (size_t i = 0; i < n && p[i] != '='; i++) {
		const char *q = p[i] ? strchr(abc, p[i]) : NULL;
		if (q == NULL)
			continue;
		acc = (acc << 6) | (unsigned)(q - abc);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(o, (char)((acc >> bits) & 0xff));
		}
	}
}

static bool same(const struct buf *b, const char *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(b->data, p, n) == 0);
}

/* ---- the table ---- */

struct row {
	const char *name;
	const char *hdr;
	size_t hn;
	const char *body;
	size_t bn;
	int rc;
	const char *ohdr; /* rc 0: the header and body output */
	size_t ohn;
	const char *obody;
	size_t obn;
	struct mime7_stats st; /* rc 0 */
};

#define OK(name, h, b, oh, ob, ...)                                                                \
	{                                                                                          \
		name, RAW(h), RAW(b), 0, RAW(oh), RAW(ob),                                         \
		{                                                                                  \
			__VA_ARGS__                                                                \
		}                                                                                  \
	}
#define SAME(name, h, b, ...) OK(name, h, b, h, b, __VA_ARGS__)
#define REFUSED(name, h, b)                                                                        \
	{                                                                                          \
		name, RAW(h), RAW(b), -1, NULL, 0, NULL, 0,                                        \
		{                                                                                  \
			0                                                                          \
		}                                                                                  \
	}

/* stats in the order of struct mime7_stats: parts, qp, base64, relabelled, repaired, folded, out_8bit */
#define ONE_PART 1, 0, 0, 0, 0, 0, false

#define QP_HDR "Content-Transfer-Encoding: quoted-printable\r\n"
#define MV     "MIME-Version: 1.0\r\n"
#define CT8    "Content-Type: text/plain; charset=utf-8\r\n"

/* a Content-Type the converter must read as a multipart with boundary b */
#define MULTI(name, ct, b)                                                                         \
	OK(name, ct, "--" b "\r\n\r\n\xe9\r\n--" b "--\r\n", ct,                                   \
	   "--" b "\r\n" QP_HDR "\r\n=E9\r\n--" b "--\r\n", 1, 1, 0, 0, 0, 0, false)
/* a Content-Type the converter must read as a leaf that is not text */
#define LEAF(name, ct)                                                                             \
	OK(name, ct, "\xff\r\n", ct MV "Content-Transfer-Encoding: base64\r\n", "/w0K\r\n", 1, 0,  \
	   1, 0, 0, 0, false)

static const struct row rows[] = {
        SAME("7-bit passes", "From: a@example.org\r\nSubject: hi\r\n",
             "Hello\r\n\r\nworld \r\n.\r\nFrom x\r\n", ONE_PART),
        SAME("empty body", "From: a@example.org\r\n", "", ONE_PART),
        SAME("nothing at all", "", "", ONE_PART),
        OK("8-bit UTF-8, no MIME", "From: a@example.org\r\n", "caf\xc3\xa9\r\n",
           "From: a@example.org\r\n" MV CT8 QP_HDR, "caf=C3=A9\r\n", 1, 1, 0, 0, 0, 0, false),
        OK("8-bit not UTF-8, no MIME: no charset claimed", "From: a@example.org\r\n", "caf\xe9\r\n",
           "From: a@example.org\r\n" MV QP_HDR, "caf=E9\r\n", 1, 1, 0, 0, 0, 0, false),
        OK("8bit replaced in place",
           "MIME-Version: 1.0\r\nContent-Type: text/plain; "
           "charset=iso-8859-1\r\nContent-Transfer-Encoding: "
           "8bit\r\nSubject: x\r\n",
           "\xe9t\xe9\r\n",
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n" QP_HDR
           "Subject: x\r\n",
           "=E9t=E9\r\n", 1, 1, 0, 0, 0, 0, false),
        OK("folded CTE with a comment, replaced whole",
           "Content-Transfer-Encoding:\r\n 8BIT (raw)\r\nSubject: x\r\n", "\xe9\r\n",
           QP_HDR "Subject: x\r\n" MV, "=E9\r\n", 1, 1, 0, 0, 0, 0, false),
        OK("8bit declared, clean: 7bit", "MIME-Version: 1.0\r\nContent-Transfer-Encoding: 8bit\r\n",
           "plain\r\n", "MIME-Version: 1.0\r\nContent-Transfer-Encoding: 7bit\r\n", "plain\r\n", 1,
           0, 0, 1, 0, 0, false),
        OK("binary declared, clean: 7bit", "Content-Transfer-Encoding: Binary\r\n", "x\r\n",
           "Content-Transfer-Encoding: 7bit\r\n" MV, "x\r\n", 1, 0, 0, 1, 0, 0, false),
        OK("QP: '=', controls, trailing white space, dot and From lines",
           "Content-Type: text/plain; charset=utf-8\r\n",
           "\xc3\xa9 a=b \r\n\x01\x7f\t\r\n.\r\nFrom me\r\n\r\n",
           "Content-Type: text/plain; charset=utf-8\r\n" MV QP_HDR,
           "=C3=A9 a=3Db=20\r\n=01=7F=09\r\n.\r\nFrom me\r\n\r\n", 1, 1, 0, 0, 0, 0, false),
        OK("text type upper case: QP", "Content-Type: TEXT/Plain\r\n", "\xe9\r\n",
           "Content-Type: TEXT/Plain\r\n" MV QP_HDR, "=E9\r\n", 1, 1, 0, 0, 0, 0, false),
        OK("unreadable Content-Type: application/octet-stream", "Content-Type: garbage\r\n",
           "\xff\r\n", "Content-Type: garbage\r\n" MV "Content-Transfer-Encoding: base64\r\n",
           "/w0K\r\n", 1, 0, 1, 0, 0, 0, false),
        SAME("unknown encoding, clean: passes", "Content-Transfer-Encoding: x-uuencode\r\n",
             "begin 644 f\r\n`\r\nend\r\n", ONE_PART),
        REFUSED("unknown encoding, 8-bit", "Content-Transfer-Encoding: x-uuencode\r\n",
                "begin \xff\r\n"),
        REFUSED("unknown encoding, empty value, 8-bit", "Content-Transfer-Encoding:\r\n",
                "\xff\r\n"),
        REFUSED("two encodings",
                "Content-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: 8bit\r\n", "x\r\n"),
        REFUSED("two encodings, even if clean",
                "Content-Transfer-Encoding: 7bit\r\ncontent-transfer-encoding: 7bit\r\n", ""),
        REFUSED("8-bit in base64",
                "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n",
                "iVBO\xffw0K\r\n"),
        SAME("base64, clean: passes",
             "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n", "iVBORw0KGgo=\r\n",
             ONE_PART),
        OK("QP repaired: 8-bit escaped, lone '=' escaped, trailing space dropped",
           "Content-Type: text/plain; charset=utf-8\r\n" QP_HDR,
           "caf\xc3\xa9 =3D ok=\r\n soft=20\r\na=zz\xff \r\n",
           "Content-Type: text/plain; charset=utf-8\r\n" QP_HDR,
           "caf=C3=A9 =3D ok=\r\n soft=20\r\na=3Dzz=FF\r\n", 1, 0, 0, 0, 1, 0, false),
        SAME("QP, clean: passes", QP_HDR, "a=3Db=\r\nc\r\n", ONE_PART),
        OK("multipart/mixed: only the 8-bit part changes",
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n",
           "This is MIME.\r\n"
           "--b1\r\n"
           "Content-Type: text/plain\r\n"
           "\r\n"
           "clean\r\n"
           "--b1\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n"
           "\r\n"
           "caf\xc3\xa9\r\n"
           "--b1--\r\n"
           "epilogue\r\n",
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n",
           "This is MIME.\r\n"
           "--b1\r\n"
           "Content-Type: text/plain\r\n"
           "\r\n"
           "clean\r\n"
           "--b1\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n" QP_HDR "\r\n"
           "caf=C3=A9\r\n"
           "--b1--\r\n"
           "epilogue\r\n",
           2, 1, 0, 0, 0, 0, false),
        OK("multipart/alternative: quoted boundary, comment, case",
           "Content-Type: Multipart/Alternative (alt); BOUNDARY=\"=_a b\"; x=y\r\n",
           "--=_a b\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "\r\n"
           "\xc3\xa9t\xc3\xa9\r\n"
           "--=_a b\r\n"
           "Content-Type: text/html\r\n"
           "\r\n"
           "<p>ok</p>\r\n"
           "--=_a b-- \r\n",
           "Content-Type: Multipart/Alternative (alt); BOUNDARY=\"=_a b\"; x=y\r\n",
           "--=_a b\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n" QP_HDR "\r\n"
           "=C3=A9t=C3=A9\r\n"
           "--=_a b\r\n"
           "Content-Type: text/html\r\n"
           "\r\n"
           "<p>ok</p>\r\n"
           "--=_a b-- \r\n",
           2, 1, 0, 0, 0, 0, false),
        OK("8-bit application/octet-stream: base64, the CRLF before the boundary excluded",
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n",
           "--XX\r\n"
           "Content-Type: application/octet-stream\r\n"
           "Content-Transfer-Encoding: 8bit\r\n"
           "\r\n"
           "\x00\xff\x80"
           "abc\r\n"
           "xyz\r\n"
           "--XX--\r\n",
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n",
           "--XX\r\n"
           "Content-Type: application/octet-stream\r\n"
           "Content-Transfer-Encoding: base64\r\n"
           "\r\n"
           "AP+AYWJjDQp4eXo=\r\n"
           "--XX--\r\n",
           1, 0, 1, 0, 0, 0, false),
        OK("nested multipart", "Content-Type: multipart/mixed; boundary=outer\r\n",
           "--outer\r\n"
           "Content-Type: multipart/alternative; boundary=inner\r\n"
           "\r\n"
           "--inner\r\n"
           "\r\n"
           "plain\r\n"
           "--inner\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "\r\n"
           "\xc3\xa9\r\n"
           "--inner--\r\n"
           "--outer\r\n"
           "Content-Type: application/pdf\r\n"
           "Content-Transfer-Encoding: base64\r\n"
           "\r\n"
           "JVBERi0=\r\n"
           "--outer--\r\n",
           "Content-Type: multipart/mixed; boundary=outer\r\n",
           "--outer\r\n"
           "Content-Type: multipart/alternative; boundary=inner\r\n"
           "\r\n"
           "--inner\r\n"
           "\r\n"
           "plain\r\n"
           "--inner\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n" QP_HDR "\r\n"
           "=C3=A9\r\n"
           "--inner--\r\n"
           "--outer\r\n"
           "Content-Type: application/pdf\r\n"
           "Content-Transfer-Encoding: base64\r\n"
           "\r\n"
           "JVBERi0=\r\n"
           "--outer--\r\n",
           3, 1, 0, 0, 0, 0, false),
        OK("message/rfc822: recursed, relabelled 7bit, its message made MIME",
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n",
           "--m\r\n"
           "Content-Type: message/rfc822\r\n"
           "Content-Transfer-Encoding: 8bit\r\n"
           "\r\n"
           "Subject: inner\r\n"
           "\r\n"
           "body \xc3\xa9\r\n"
           "--m--\r\n",
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n",
           "--m\r\n"
           "Content-Type: message/rfc822\r\n"
           "Content-Transfer-Encoding: 7bit\r\n"
           "\r\n"
           "Subject: inner\r\n" MV CT8 QP_HDR "\r\n"
           "body =C3=A9\r\n"
           "--m--\r\n",
           1, 1, 0, 1, 0, 0, false),
        OK("top-level message/rfc822, binary: base64 inside, the last CRLF is data",
           "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: "
           "binary\r\n",
           "From: x\r\nContent-Type: application/octet-stream\r\n\r\nbin\xff\r\n",
           "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: "
           "7bit\r\n",
           "From: x\r\nContent-Type: application/octet-stream\r\n" MV
           "Content-Transfer-Encoding: base64\r\n\r\nYmlu/w0K\r\n",
           1, 0, 1, 1, 0, 0, false),
        OK("multipart/digest: a part without Content-Type is a message",
           "Content-Type: multipart/digest; boundary=d\r\n",
           "--d\r\n"
           "\r\n"
           "Subject: one\r\n"
           "\r\n"
           "caf\xc3\xa9\r\n"
           "--d--\r\n",
           "Content-Type: multipart/digest; boundary=d\r\n",
           "--d\r\n"
           "\r\n"
           "Subject: one\r\n" MV CT8 QP_HDR "\r\n"
           "caf=C3=A9\r\n"
           "--d--\r\n",
           1, 1, 0, 0, 0, 0, false),
        OK("preamble and epilogue: 8-bit octets become '?'",
           "Content-Type: multipart/mixed; boundary=p\r\n",
           "pre \xc3\xa9\r\n--p\r\n\r\nx\r\n--p--\r\npost\xff\r\n",
           "Content-Type: multipart/mixed; boundary=p\r\n",
           "pre ??\r\n--p\r\n\r\nx\r\n--p--\r\npost?\r\n", ONE_PART),
        OK("multipart without a boundary: an octet-stream leaf",
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n", "--x\r\n\xff\r\n",
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n"
           "Content-Transfer-Encoding: base64\r\n",
           "LS14DQr/DQo=\r\n", 1, 0, 1, 0, 0, 0, false),
        OK("multipart with a 71-octet boundary: a leaf",
           "Content-Type: multipart/mixed; "
           "boundary=12345678901234567890123456789012345678901234567890123456789012345678901\r\n",
           "\xff\r\n",
           "Content-Type: multipart/mixed; "
           "boundary=12345678901234567890123456789012345678901234567890123456789012345678901\r\n" MV
           "Content-Transfer-Encoding: base64\r\n",
           "/w0K\r\n", 1, 0, 1, 0, 0, 0, false),
        OK("multipart declared 8bit: 7bit",
           "Content-Type: multipart/mixed; boundary=q\r\nContent-Transfer-Encoding: 8bit\r\n",
           "--q\r\n\r\nok\r\n--q--\r\n",
           "Content-Type: multipart/mixed; boundary=q\r\nContent-Transfer-Encoding: 7bit\r\n" MV,
           "--q\r\n\r\nok\r\n--q--\r\n", 1, 0, 0, 1, 0, 0, false),
        OK("part declared 8bit, clean: 7bit, no MIME-Version in a part",
           "Content-Type: multipart/mixed; boundary=q\r\n",
           "--q\r\nContent-Transfer-Encoding: 8bit\r\n\r\nok\r\n--q--\r\n",
           "Content-Type: multipart/mixed; boundary=q\r\n",
           "--q\r\nContent-Transfer-Encoding: 7bit\r\n\r\nok\r\n--q--\r\n", 1, 0, 0, 1, 0, 0,
           false),
        OK("part header without the empty line: one added when edited",
           "Content-Type: multipart/mixed; boundary=q\r\n",
           "--q\r\nContent-Type: text/plain\r\n\xc3\xa9t\xc3\xa9\r\n--q--\r\n",
           "Content-Type: multipart/mixed; boundary=q\r\n",
           "--q\r\nContent-Type: text/plain\r\n" QP_HDR "\r\n=C3=A9t=C3=A9\r\n--q--\r\n", 1, 1, 0,
           0, 0, 0, false),
        /* fuzz_mime7 found it: the fields written for the content joined the
         * part's header (two Content-Transfer-Encoding fields on a second pass) */
        OK("a message/rfc822 part header ended by its content's first line",
           "Content-Type: multipart/mixed; boundary=q\r\n",
           "--q\r\nContent-Type: message/rfc822\r\nnot a field\r\n\xc3\xa9\r\n--q--\r\n",
           "Content-Type: multipart/mixed; boundary=q\r\n",
           "--q\r\nContent-Type: message/rfc822\r\n\r\n" MV CT8 QP_HDR
           "\r\nnot a field\r\n=C3=A9\r\n--q--\r\n",
           1, 1, 0, 0, 0, 0, false),
        /* and this: the '?' for an 8-bit octet made a field of the line
         * that had ended the part's header */
        OK("a part header ended by an 8-bit preamble line: the empty line is written",
           "Content-Type: multipart/mixed; boundary=q\r\n",
           "--q\r\nContent-Type: multipart/alternative; boundary=in\r\nCo\xe9t-Type: "
           "x\r\n--in\r\n\r\nok\r\n--in--\r\n--q--\r\n",
           "Content-Type: multipart/mixed; boundary=q\r\n",
           "--q\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\nCo?t-Type: "
           "x\r\n--in\r\n\r\nok\r\n--in--\r\n--q--\r\n",
           1, 0, 0, 0, 0, 0, false),
        OK("a message/rfc822 part header ended by a clean content: unchanged",
           "Content-Type: multipart/mixed; boundary=q\r\n",
           "--q\r\nContent-Type: message/rfc822\r\nnot a field\r\nok\r\n--q--\r\n",
           "Content-Type: multipart/mixed; boundary=q\r\n",
           "--q\r\nContent-Type: message/rfc822\r\nnot a field\r\nok\r\n--q--\r\n", 1, 0, 0, 0, 0,
           0, false),
        OK("a part header ended by the first delimiter of its own multipart",
           "Content-Type: multipart/mixed; boundary=r\r\n",
           "--r\r\nContent-Type: multipart/mixed; "
           "boundary=x\r\n--x\r\n\r\n\xe9\r\n--x--\r\n--r--\r\n",
           "Content-Type: multipart/mixed; boundary=r\r\n",
           "--r\r\nContent-Type: multipart/mixed; boundary=x\r\n--x\r\n" QP_HDR
           "\r\n=E9\r\n--x--\r\n--r--\r\n",
           1, 1, 0, 0, 0, 0, false),
        OK("an outer boundary ends an inner multipart",
           "Content-Type: multipart/mixed; boundary=o\r\n",
           "--o \t\r\n"
           "Content-Type: multipart/mixed; boundary=i\r\n"
           "\r\n"
           "--i\r\n"
           "\r\n"
           "\xc3\xa9\r\n"
           "--o--\r\n"
           "--i\r\n",
           "Content-Type: multipart/mixed; boundary=o\r\n",
           "--o \t\r\n"
           "Content-Type: multipart/mixed; boundary=i\r\n"
           "\r\n"
           "--i\r\n" CT8 QP_HDR "\r\n"
           "=C3=A9\r\n"
           "--o--\r\n"
           "--i\r\n",
           1, 1, 0, 0, 0, 0, false),
        OK("look-alike boundaries are content", "Content-Type: multipart/mixed; boundary=b\r\n",
           "--b\r\n\r\n--bx\r\n--b--x\r\n-- b\r\n\xe9\r\n--b--\r\n",
           "Content-Type: multipart/mixed; boundary=b\r\n",
           "--b\r\n" QP_HDR "\r\n=2D-bx\r\n=2D-b--x\r\n=2D- b\r\n=E9\r\n--b--\r\n", 1, 1, 0, 0, 0,
           0, false),
        OK("empty parts and a part that is only a header",
           "Content-Type: multipart/mixed; boundary=e\r\n",
           "--e\r\n--e\r\n\r\n--e\r\nContent-Transfer-Encoding: 8bit\r\n--e--\r\n",
           "Content-Type: multipart/mixed; boundary=e\r\n",
           "--e\r\n--e\r\n\r\n--e\r\nContent-Transfer-Encoding: 7bit\r\n--e--\r\n", 2, 0, 0, 1, 0,
           0, false),
        SAME("8-bit in a part header stays, and is reported",
             "Content-Type: multipart/mixed; boundary=h\r\n",
             "--h\r\nContent-Disposition: attachment; "
             "filename=\"\xc3\xa9.txt\"\r\n\r\nok\r\n--h--\r\n",
             1, 0, 0, 0, 0, 0, true),
        SAME("8-bit in the top-level header stays, and is reported", "Subject: caf\xc3\xa9\r\n",
             "x\r\n", 1, 0, 0, 0, 0, 0, true),
        SAME("unterminated multipart", "Content-Type: multipart/mixed; boundary=u\r\n",
             "--u\r\n\r\nok\r\n", ONE_PART),
        OK("unterminated multipart, 8-bit octet-stream: the last CRLF is data",
           "Content-Type: multipart/mixed; boundary=u\r\n",
           "--u\r\nContent-Type: application/octet-stream\r\n\r\nbin\xff\r\n",
           "Content-Type: multipart/mixed; boundary=u\r\n",
           "--u\r\nContent-Type: application/octet-stream\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\nYmlu/w0K\r\n",
           1, 0, 1, 0, 0, 0, false),
        OK("QP part, soft break before a boundary-like piece",
           "Content-Type: multipart/mixed; boundary=b1\r\n",
           "--b1\r\n\r\n"
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx--b1\xe9\r\n"
           "--b1--\r\n",
           "Content-Type: multipart/mixed; boundary=b1\r\n",
           "--b1\r\n" QP_HDR "\r\n"
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=\r\n"
           "=2D-b1=E9\r\n"
           "--b1--\r\n",
           1, 1, 0, 0, 0, 0, false),
        MULTI("boundary: quoted pair", "Content-Type: multipart/mixed; boundary=\"a\\\"b\"\r\n",
              "a\"b"),
        MULTI("boundary: folded quoted string",
              "Content-Type: multipart/mixed;\r\n boundary=\"x\r\n y\"\r\n", "x y"),
        MULTI("comments with quoted pairs and nesting",
              "Content-Type: (a (b) \\) c) multipart/mixed (x) ; (y) boundary (z) = zz (w)\r\n",
              "zz"),
        MULTI("first boundary parameter counts",
              "Content-Type: multipart/mixed; boundary=one; boundary=two\r\n", "one"),
        MULTI("70-octet boundary",
              "Content-Type: multipart/mixed; "
              "boundary=1234567890123456789012345678901234567890123456789012345678901234567890\r\n",
              "1234567890123456789012345678901234567890123456789012345678901234567890"),
        LEAF("boundary: empty", "Content-Type: multipart/mixed; boundary=\"\"\r\n"),
        LEAF("boundary: no value", "Content-Type: multipart/mixed; boundary=\r\n"),
        LEAF("boundary: unterminated quote", "Content-Type: multipart/mixed; boundary=\"zz\r\n"),
        LEAF("boundary: 71 octets quoted",
             "Content-Type: multipart/mixed; "
             "boundary="
             "\"12345678901234567890123456789012345678901234567890123456789012345678901\"\r\n"),
        LEAF("boundary: a control octet", "Content-Type: multipart/mixed; boundary=\"a\x01\"\r\n"),
        OK("boundary: 8-bit", "Content-Type: multipart/mixed; boundary=\"a\xe9\"\r\n", "\xff\r\n",
           "Content-Type: multipart/mixed; boundary=\"a\xe9\"\r\n" MV
           "Content-Transfer-Encoding: base64\r\n",
           "/w0K\r\n", 1, 0, 1, 0, 0, 0, true),
        LEAF("parameters: no ';'", "Content-Type: multipart/mixed boundary=zz\r\n"),
        LEAF("parameters: empty one first", "Content-Type: multipart/mixed; ; boundary=zz\r\n"),
        LEAF("parameters: no '='", "Content-Type: multipart/mixed; charset boundary=zz\r\n"),
        LEAF("no subtype", "Content-Type: multipart/; boundary=zz\r\n"),
        LEAF("no '/'", "Content-Type: multipart; boundary=zz\r\n"),
        LEAF("empty Content-Type", "Content-Type:\r\n"),
        LEAF("message/global is a leaf", "Content-Type: message/global\r\n"),
        OK("top-level header without its last CRLF, edited", "Subject: x", "\xe9\r\n",
           "Subject: x\r\n" MV QP_HDR, "=E9\r\n", 1, 1, 0, 0, 0, 0, false),
        OK("white space before the colon", "Content-Type : text/plain\r\n", "\xe9\r\n",
           "Content-Type : text/plain\r\n" MV QP_HDR, "=E9\r\n", 1, 1, 0, 0, 0, 0, false),
        REFUSED("last line without CRLF, refused at the end",
                "Content-Transfer-Encoding: base64\r\n", "QUJD\r\nQU\xffJD"),
        OK("QP: escaping must not make a delimiter of boundary b=80",
           "Content-Type: multipart/mixed; boundary=\"b=80\"\r\n",
           "--b=80\r\n\r\n--b\x80\r\n--b=80--\r\n",
           "Content-Type: multipart/mixed; boundary=\"b=80\"\r\n",
           "--b=80\r\n" QP_HDR "\r\n=2D-b=80\r\n--b=80--\r\n", 1, 1, 0, 0, 0, 0, false),
        OK("QP repair: escaping must not make a delimiter of boundary b=FF",
           "Content-Type: multipart/mixed; boundary=\"b=FF\"\r\n",
           "--b=FF\r\n" QP_HDR "\r\n--b\xff\r\n--b=FF--\r\n",
           "Content-Type: multipart/mixed; boundary=\"b=FF\"\r\n",
           "--b=FF\r\n" QP_HDR "\r\n=2D-b=FF\r\n--b=FF--\r\n", 1, 0, 0, 0, 1, 0, false),
        OK("preamble: '?' must not make a delimiter of boundary b?",
           "Content-Type: multipart/mixed; boundary=\"b?\"\r\n",
           "--b\xff\r\n--b?\r\n\r\nx\r\n--b?--\r\n--b\xff\r\n",
           "Content-Type: multipart/mixed; boundary=\"b?\"\r\n",
           "?-b?\r\n--b?\r\n\r\nx\r\n--b?--\r\n?-b?\r\n", ONE_PART),
        OK("QP: a signature separator is escaped, not mistaken", "Subject: x\r\n",
           "-- \r\n\xe9\r\n", "Subject: x\r\n" MV QP_HDR, "=2D-=20\r\n=E9\r\n", 1, 1, 0, 0, 0, 0,
           false),
        OK("last line without CRLF is taken as it is", "Subject: x\r\n", "caf\xe9",
           "Subject: x\r\n" MV QP_HDR, "caf=E9", 1, 1, 0, 0, 0, 0, false),
};

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *w = &rows[i];
		struct run r[3];
		static const char *const how[3] = {"whole", "byte by byte", "random pieces"};
		for (int s = 0; s < 3; s++) {
			feed(w->hdr, w->hn, w->body, w->bn, MIME7_WINDOW, (enum split)s, i + 7,
			     &r[s]);
			invariants(&r[s], w->name);
			EXPECT(r[s].rc == w->rc, "%s (%s): rc %d, expected %d: %s", w->name, how[s],
			       r[s].rc, w->rc, r[s].err);
			if (r[s].rc != 0 || w->rc != 0) {
				EXPECT(r[s].rc == 0 || r[s].err[0] != '\0',
				       "%s: -1 without a reason", w->name);
				continue;
			}
			EXPECT(same(&r[s].c.hdr, w->ohdr, w->ohn),
			       "%s (%s): header %s, expected %s", w->name, how[s],
			       show(r[s].c.hdr.data, r[s].c.hdr.len), show(w->ohdr, w->ohn));
			EXPECT(same(&r[s].c.body, w->obody, w->obn),
			       "%s (%s): body %s, expected %s", w->name, how[s],
			       show(r[s].c.body.data, r[s].c.body.len), show(w->obody, w->obn));
			const struct mime7_stats *g = &r[s].st, *e = &w->st;
			EXPECT(g->parts == e->parts && g->qp == e->qp && g->base64 == e->base64 &&
			               g->relabelled == e->relabelled &&
			               g->repaired == e->repaired && g->folded == e->folded &&
			               g->out_8bit == e->out_8bit,
			       "%s (%s): stats %zu %zu %zu %zu %zu %zu %d, expected %zu %zu %zu "
			       "%zu "
			       "%zu %zu %d",
			       w->name, how[s], g->parts, g->qp, g->base64, g->relabelled,
			       g->repaired, g->folded, g->out_8bit, e->parts, e->qp, e->base64,
			       e->relabelled, e->repaired, e->folded, e->out_8bit);
		}
		/* after -1 the output so far depends on the cuts: only rc must agree */
		for (int s = 1; s < 3; s++)
			EXPECT(r[s].rc == r[0].rc &&
			               (r[0].rc != 0 ||
			                (same(&r[s].c.hdr, r[0].c.hdr.data, r[0].c.hdr.len) &&
			                 same(&r[s].c.body, r[0].c.body.data, r[0].c.body.len))),
			       "%s: fed %s, the output differs from fed whole", w->name, how[s]);
		for (int s = 0; s < 3; s++)
			run_release(&r[s]);
	}
	ALL_PASSED();
}

/* ---- generated cases ---- */

/* part_body - the body of the only part of a multipart output: after the first empty line, up to "\r\n--" */
static bool part_body(const struct buf *b, const char **p, size_t *n)
{
	const char *s = memmem(b->data, b->len, "\r\n\r\n", 4);
	if (s == NULL)
		return false;
	s += 4;
	const char *e = memmem(s, b->len - (size_t)(s - b->data), "\r\n--", 4);
	if (e == NULL)
		return false;
	*p = s;
	*n = (size_t)(e - s);
	return true;
}

/* a long text line: QP with soft breaks, no line over 76, decoding gives it back */
static void test_long_text_line(void **state)
{
	struct buf body, dec;
	struct run r;
	const char *l;
	size_t ln, pos = 0;
	bool crlf;
	uint64_t seed = 42;
	static const char alpha[] = "abc -=\t\xc3\xa9.\x01";

	(void)state;
	buf_init(&body);
	buf_init(&dec);
	for (int i = 0; i < 3000; i++)
		buf_putc(&body, alpha[xrand(&seed) % (sizeof(alpha) - 1)]);
	buf_puts(&body, " \r\nshort line\r\n");
	convert(RAW("Subject: long\r\n"), body.data, body.len, MIME7_WINDOW, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.st.qp, 1);
	while (next_line(r.c.body.data, r.c.body.len, &pos, &l, &ln, &crlf)) {
		EXPECT(ln <= 76, "QP line of %zu octets: %s", ln, show(l, ln));
		EXPECT(ln == 0 || (l[ln - 1] != ' ' && l[ln - 1] != '\t'),
		       "QP line ends in white space: %s", show(l, ln));
		for (size_t i = 0; i < ln; i++)
			EXPECT(((unsigned char)l[i] >= 32 && (unsigned char)l[i] < 127) ||
			               l[i] == '\t',
			       "QP line with octet %02x", (unsigned char)l[i]);
	}
	qp_decode(r.c.body.data, r.c.body.len, &dec);
	EXPECT(same(&dec, body.data, body.len), "QP decodes to %s", show(dec.data, dec.len));
	run_release(&r);
	buf_release(&body);
	buf_release(&dec);
	ALL_PASSED();
}

/* every octet value but CR and LF, in an 8bit octet-stream part: base64 gives them back */
static void test_binary_part(void **state)
{
	struct buf body, data, dec;
	struct run r;
	const char *p, *l;
	size_t n, ln, pos = 0;
	bool crlf;
	uint64_t seed = 7;

	(void)state;
	buf_init(&body);
	buf_init(&data);
	buf_init(&dec);
	for (int i = 0; i < 5000; i++) {
		char c = (char)(xrand(&seed) & 0xff);
		if (c == '\r' || c == '\n')
			c = (char)0xff;
		buf_putc(&data, c);
		if (i % 97 == 96)
			buf_append(&data, "\r\n", 2);
	}
	buf_puts(&body, "--B\r\nContent-Type: application/octet-stream\r\n"
	                "Content-Transfer-Encoding: 8bit\r\n\r\n");
	buf_append(&body, data.data, data.len);
	buf_puts(&body, "\r\n--B--\r\n");
	convert(RAW("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n"),
	        body.data, body.len, MIME7_WINDOW, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.st.base64, 1);
	assert_true(part_body(&r.c.body, &p, &n));
	b64_decode(p, n, &dec);
	EXPECT(same(&dec, data.data, data.len), "base64 decodes to %zu octets, expected %zu",
	       dec.len, data.len);
	while (next_line(p, n, &pos, &l, &ln, &crlf))
		EXPECT(ln == 76 || pos >= n, "base64 line of %zu octets before the last", ln);
	EXPECT(memmem(r.c.body.data, r.c.body.len, "Content-Transfer-Encoding: base64\r\n", 35) !=
	               NULL,
	       "no base64 label");
	run_release(&r);
	buf_release(&body);
	buf_release(&data);
	buf_release(&dec);
	ALL_PASSED();
}

/* a base64 part in one very long line is re-wrapped at 76 */
static void test_base64_rewrap(void **state)
{
	struct buf body, data, dec;
	struct run r;
	const char *l;
	size_t ln, pos = 0;
	bool crlf;
	uint64_t seed = 9;
	static const char abc[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	(void)state;
	buf_init(&body);
	buf_init(&data);
	buf_init(&dec);
	for (int i = 0; i < 6000; i++)
		buf_putc(&body, abc[xrand(&seed) % 64]);
	buf_puts(&body, "\r\nQUJD\r\n");
	b64_decode(body.data, body.len, &data);
	convert(RAW("Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"), body.data,
	        body.len, MIME7_WINDOW, &r);
	assert_int_equal(r.rc, 0);
	EXPECT(r.st.repaired == 1 && r.st.base64 == 0, "stats repaired %zu base64 %zu",
	       r.st.repaired, r.st.base64);
	EXPECT(same(&r.c.hdr,
	            RAW("Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n")),
	       "header changed: %s", show(r.c.hdr.data, r.c.hdr.len));
	while (next_line(r.c.body.data, r.c.body.len, &pos, &l, &ln, &crlf))
		EXPECT(ln <= 76, "base64 line of %zu octets", ln);
	b64_decode(r.c.body.data, r.c.body.len, &dec);
	EXPECT(same(&dec, data.data, data.len), "re-wrapped base64 decodes differently");
	run_release(&r);
	buf_release(&body);
	buf_release(&data);
	buf_release(&dec);
	ALL_PASSED();
}

/* a QP part with raw 8-bit octets and a 3000-octet line: repaired, decodes the same */
static void test_qp_repair(void **state)
{
	struct buf body, want, dec;
	struct run r;
	const char *l;
	size_t ln, pos = 0;
	bool crlf;
	uint64_t seed = 11;
	static const char *const bits[] = {"=C3=A9", "abc", " ", "\xc3\xa9",
	                                   "=3D",    "=",   "-", "=e9"};

	(void)state;
	buf_init(&body);
	buf_init(&want);
	buf_init(&dec);
	for (int i = 0; i < 800; i++)
		buf_puts(&body, bits[xrand(&seed) % NELEM(bits)]);
	buf_puts(&body, "x=\r\nnext \xff line\r\nclean=20line\r\n");
	qp_decode(body.data, body.len, &want);
	convert(RAW("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
	            "Quoted-Printable\r\n"),
	        body.data, body.len, MIME7_WINDOW, &r);
	assert_int_equal(r.rc, 0);
	EXPECT(r.st.repaired == 1 && r.st.qp == 0, "stats repaired %zu qp %zu", r.st.repaired,
	       r.st.qp);
	while (next_line(r.c.body.data, r.c.body.len, &pos, &l, &ln, &crlf))
		EXPECT(ln <= 76, "QP line of %zu octets", ln);
	EXPECT(memmem(r.c.body.data, r.c.body.len, "clean=20line\r\n", 14) != NULL,
	       "a clean line was changed");
	qp_decode(r.c.body.data, r.c.body.len, &dec);
	EXPECT(same(&dec, want.data, want.len), "repaired QP decodes to %s, expected %s",
	       show(dec.data, dec.len), show(want.data, want.len));
	run_release(&r);
	buf_release(&body);
	buf_release(&want);
	buf_release(&dec);
	ALL_PASSED();
}

/* unfold - a header section with its folds undone (CRLF before SP or HTAB removed) */
static void unfold(const char *p, size_t n, struct buf *o)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r' && i + 2 < n && p[i + 1] == '\n' &&
		    (p[i + 2] == ' ' || p[i + 2] == '\t')) {
			i++;
			continue;
		}
		buf_putc(o, p[i]);
	}
}

/* header lines over 998: folded at white space, refused if there is none to fold at */
static void test_fold(void **state)
{
	struct buf hdr, un, body;
	struct run r;

	(void)state;
	buf_init(&hdr);
	buf_init(&un);
	buf_init(&body);
	buf_puts(&hdr, "From: a@example.org\r\nSubject:");
	for (int i = 0; i < 400; i++)
		buf_printf(&hdr, "%sword%d", i % 7 == 0 ? "\t" : " ", i);
	buf_puts(&hdr, "\r\n");

	/* top level, with nothing else to change */
	convert(hdr.data, hdr.len, RAW("x\r\n"), MIME7_WINDOW, &r);
	assert_int_equal(r.rc, 0);
	EXPECT(r.st.folded == 1, "folded %zu", r.st.folded);
	unfold(r.c.hdr.data, r.c.hdr.len, &un);
	EXPECT(same(&un, hdr.data, hdr.len), "unfolded header differs: %s", show(un.data, un.len));
	EXPECT(r.c.hdr.len > hdr.len, "nothing was folded");
	EXPECT(same(&r.c.body, RAW("x\r\n")), "body changed");
	run_release(&r);

	/* top level, folded and edited */
	convert(hdr.data, hdr.len, RAW("\xff\r\n"), MIME7_WINDOW, &r);
	assert_int_equal(r.rc, 0);
	buf_reset(&un);
	unfold(r.c.hdr.data, r.c.hdr.len, &un);
	buf_append(&hdr, RAW(MV QP_HDR));
	EXPECT(same(&un, hdr.data, hdr.len), "unfolded edited header differs: %s",
	       show(un.data, un.len));
	hdr.len -= sizeof(MV QP_HDR) - 1;
	run_release(&r);

	/* in a part header */
	buf_puts(&body, "--p\r\nContent-Type: text/plain\r\nX-Long:");
	for (int i = 0; i < 300; i++)
		buf_printf(&body, " item%d", i);
	buf_puts(&body, "\r\n\r\nok\r\n--p--\r\n");
	convert(RAW("Content-Type: multipart/mixed; boundary=p\r\n"), body.data, body.len,
	        MIME7_WINDOW, &r);
	assert_int_equal(r.rc, 0);
	EXPECT(r.st.folded == 1, "part header: folded %zu", r.st.folded);
	buf_reset(&un);
	unfold(r.c.body.data, r.c.body.len, &un);
	EXPECT(same(&un, body.data, body.len), "part header: unfolded differs");
	run_release(&r);

	/* no white space after the colon, or only white space around one word */
	struct {
		const char *what;
		const char *pre, *post;
		size_t fill;
		char c;
	} bad[] = {
	        {"one long word", "X-Long: ", "\r\n", 1200, 'a'},
	        {"no white space at all", "X-Long:", "\r\n", 1200, 'a'},
	        {"white space only before the colon", "X-Long", ":abc\r\n", 1200, ' '},
	        {"a word then only white space", "X-Long: word", "\r\n", 1200, ' '},
	        {"a continuation of one long word", "X-A: b\r\n ", "\r\n", 1200, 'a'},
	};
	for (size_t i = 0; i < NELEM(bad); i++) {
		buf_reset(&hdr);
		buf_puts(&hdr, bad[i].pre);
		for (size_t k = 0; k < bad[i].fill; k++)
			buf_putc(&hdr, bad[i].c);
		buf_puts(&hdr, bad[i].post);
		convert(hdr.data, hdr.len, RAW("x\r\n"), MIME7_WINDOW, &r);
		EXPECT(r.rc == -1 && strstr(r.err, "fold") != NULL, "%s: rc %d err %s", bad[i].what,
		       r.rc, r.err);
		EXPECT(r.c.nhdr == 0 && r.c.body.len == 0, "%s: output after -1", bad[i].what);
		run_release(&r);
		/* the same in a part header */
		buf_reset(&body);
		buf_puts(&body, "--p\r\n");
		buf_append(&body, hdr.data, hdr.len);
		buf_puts(&body, "\r\n\xffok\r\nmore\r\n--p--\r\n"); /* decided at its first line */
		convert(RAW("Content-Type: multipart/mixed; boundary=p\r\n"), body.data, body.len,
		        MIME7_WINDOW, &r);
		EXPECT(r.rc == -1, "%s in a part: rc %d", bad[i].what, r.rc);
		run_release(&r);
		/* and in the header of a multipart, emitted at once */
		buf_reset(&body);
		buf_puts(&body, "Content-Type: multipart/mixed; boundary=p\r\n");
		buf_append(&body, hdr.data, hdr.len);
		convert(body.data, body.len, RAW("--p\r\n\r\nx\r\n--p--\r\n"), MIME7_WINDOW, &r);
		EXPECT(r.rc == -1 && r.c.nhdr == 0, "%s in a multipart header: rc %d", bad[i].what,
		       r.rc);
		run_release(&r);
	}
	buf_release(&hdr);
	buf_release(&un);
	buf_release(&body);
	ALL_PASSED();
}

/* same_fed_by_bytes - byte by byte gives the same as whole */
static void same_fed_by_bytes(const char *hdr, size_t hn, const char *body, size_t bn,
                              size_t window, const struct run *whole, const char *what)
{
	struct run r;

	feed(hdr, hn, body, bn, window, BYTES, 1, &r);
	invariants(&r, what);
	EXPECT(r.rc == whole->rc && same(&r.c.hdr, whole->c.hdr.data, whole->c.hdr.len) &&
	               same(&r.c.body, whole->c.body.data, whole->c.body.len),
	       "%s: byte by byte differs", what);
	run_release(&r);
}

/* a clean part larger than the window is encoded anyway, and decodes to itself */
static void test_window(void **state)
{
	struct buf body, dec, mp;
	struct run r;
	const char *p;
	size_t n;

	(void)state;
	buf_init(&body);
	buf_init(&dec);
	buf_init(&mp);
	for (int i = 0; i < 200; i++)
		buf_printf(&body, "line %03d is clean text, = and trailing space \r\n", i);

	convert(RAW("Subject: w\r\n"), body.data, body.len, MIME7_WINDOW, &r);
	EXPECT(r.rc == 0 && r.st.qp == 0 && same(&r.c.body, body.data, body.len) &&
	               same(&r.c.hdr, RAW("Subject: w\r\n")),
	       "default window: changed");
	run_release(&r);

	convert(RAW("Subject: w\r\n"), body.data, body.len, 1024, &r);
	EXPECT(r.rc == 0 && r.st.qp == 1, "window 1024: rc %d qp %zu", r.rc, r.st.qp);
	EXPECT(same(&r.c.hdr, RAW("Subject: w\r\n" MV QP_HDR)), "window 1024: header %s",
	       show(r.c.hdr.data, r.c.hdr.len));
	qp_decode(r.c.body.data, r.c.body.len, &dec);
	EXPECT(same(&dec, body.data, body.len), "window 1024: QP decodes differently");
	same_fed_by_bytes(RAW("Subject: w\r\n"), body.data, body.len, 1024, &r, "window 1024");
	run_release(&r);

	convert(RAW("Content-Type: application/x-data\r\n"), body.data, body.len, 1000, &r);
	EXPECT(r.rc == 0 && r.st.base64 == 1, "window 1000, octets: rc %d base64 %zu", r.rc,
	       r.st.base64);
	buf_reset(&dec);
	b64_decode(r.c.body.data, r.c.body.len, &dec);
	EXPECT(same(&dec, body.data, body.len), "window 1000: base64 decodes differently");
	run_release(&r);

	/* window 0: every part with a line is encoded */
	convert(RAW(""), RAW("a\r\n"), 0, &r);
	EXPECT(r.rc == 0 && same(&r.c.hdr, RAW(MV QP_HDR)) && same(&r.c.body, RAW("a\r\n")),
	       "window 0: %s %s", show(r.c.hdr.data, r.c.hdr.len),
	       show(r.c.body.data, r.c.body.len));
	run_release(&r);

	/* in a multipart, declared 8bit: the part before the boundary decodes to itself */
	buf_puts(&mp,
	         "--w\r\nContent-Type: image/x-raw\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
	buf_append(&mp, body.data, body.len);
	buf_puts(&mp, "--w--\r\n");
	convert(RAW("Content-Type: multipart/mixed; boundary=w\r\n"), mp.data, mp.len, 2000, &r);
	EXPECT(r.rc == 0 && r.st.base64 == 1 && r.st.relabelled == 0, "multipart window: rc %d",
	       r.rc);
	assert_true(part_body(&r.c.body, &p, &n));
	buf_reset(&dec);
	b64_decode(p, n, &dec);
	EXPECT(same(&dec, body.data, body.len - 2), "multipart window: decodes differently");
	same_fed_by_bytes(RAW("Content-Type: multipart/mixed; boundary=w\r\n"), mp.data, mp.len,
	                  2000, &r, "multipart window");
	run_release(&r);

	buf_release(&body);
	buf_release(&dec);
	buf_release(&mp);
	ALL_PASSED();
}

/* a delimiter line over 998 octets loses its padding; a preamble over 64 KiB streams */
static void test_long_delimiter(void **state)
{
	struct buf body, want;
	struct run r;

	(void)state;
	buf_init(&body);
	buf_init(&want);
	for (int i = 0; i < 5000; i++)
		buf_puts(&body, "preamble line \xe9\r\n");
	buf_puts(&body, "--d");
	for (int i = 0; i < 1200; i++)
		buf_putc(&body, i % 2 ? ' ' : '\t');
	buf_puts(&body, "\r\n\r\nx\r\n--d--");
	for (int i = 0; i < 1200; i++)
		buf_putc(&body, ' ');
	buf_puts(&body, "\r\n");
	for (int i = 0; i < 5000; i++)
		buf_puts(&want, "preamble line ?\r\n");
	buf_puts(&want, "--d\r\n\r\nx\r\n--d--\r\n");
	convert(RAW("Content-Type: multipart/mixed; boundary=d\r\n"), body.data, body.len,
	        MIME7_WINDOW, &r);
	EXPECT(r.rc == 0 && same(&r.c.body, want.data, want.len), "rc %d body %s", r.rc,
	       show(r.c.body.data, r.c.body.len));
	same_fed_by_bytes(RAW("Content-Type: multipart/mixed; boundary=d\r\n"), body.data, body.len,
	                  MIME7_WINDOW, &r, "long delimiter");
	run_release(&r);
	buf_release(&body);
	buf_release(&want);
	ALL_PASSED();
}

/* MIME7_LINE_MAX, MIME7_PART_HEADER_MAX, MIME7_DEPTH_MAX */
static void test_limits(void **state)
{
	struct buf body;
	struct run r;

	(void)state;
	buf_init(&body);
	buf_reserve(&body, MIME7_LINE_MAX + 2);
	memset(body.data, 'a', MIME7_LINE_MAX - 2);
	body.len = MIME7_LINE_MAX - 2;
	buf_append(&body, "\r\n", 2);
	convert(RAW("Subject: x\r\n"), body.data, body.len, MIME7_WINDOW, &r);
	EXPECT(r.rc == 0 && r.st.qp == 1, "line of MIME7_LINE_MAX: rc %d %s", r.rc, r.err);
	run_release(&r);
	body.len -= 2;
	buf_append(&body, "a\r\n", 3);
	convert(RAW("Subject: x\r\n"), body.data, body.len, MIME7_WINDOW, &r);
	EXPECT(r.rc == -1 && r.c.nhdr == 0, "line over MIME7_LINE_MAX: rc %d", r.rc);
	run_release(&r);
	buf_reset(&body);
	for (size_t i = 0; i <= MIME7_LINE_MAX; i++)
		buf_putc(&body, 'a'); /* MIME7_LINE_MAX + 1 octets and no CRLF yet */
	feed(RAW("Subject: x\r\n"), body.data, body.len, MIME7_WINDOW, RANDOM, 1, &r);
	EXPECT(r.rc == -1 && strstr(r.err, "line") != NULL,
	       "unfinished line over MIME7_LINE_MAX: "
	       "rc %d %s",
	       r.rc, r.err);
	run_release(&r);

	/* 998 octets is a line that can be sent, 999 is not */
	for (size_t n = 997; n <= 1000; n++) {
		buf_reset(&body);
		for (size_t i = 0; i < n; i++)
			buf_putc(&body, (char)('0' + i % 10));
		buf_puts(&body, "\r\n");
		convert(RAW("Subject: x\r\n"), body.data, body.len, MIME7_WINDOW, &r);
		EXPECT(r.rc == 0 && r.st.qp == (n > 998) &&
		               same(&r.c.body, body.data, body.len) == (n <= 998),
		       "line of %zu: rc %d qp %zu", n, r.rc, r.st.qp);
		run_release(&r);
	}

	buf_reset(&body);
	buf_puts(&body, "--h\r\n");
	for (int i = 0; body.len < MIME7_PART_HEADER_MAX + 100; i++)
		buf_printf(&body, "X-Field-%d: a value long enough to fill a header quickly\r\n",
		           i);
	buf_puts(&body, "\r\nx\r\n--h--\r\n");
	convert(RAW("Content-Type: multipart/mixed; boundary=h\r\n"), body.data, body.len,
	        MIME7_WINDOW, &r);
	EXPECT(r.rc == -1 && strstr(r.err, "header") != NULL, "big part header: rc %d %s", r.rc,
	       r.err);
	run_release(&r);

	/* nesting past the limit: the deepest entity allowed a structure is a leaf */
	buf_reset(&body);
	for (int d = 1; d < 40; d++)
		buf_printf(&body, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n",
		           d - 1, d);
	buf_puts(&body, "--b39\r\n\r\ndeep \xc3\xa9\r\n");
	for (int d = 39; d >= 0; d--)
		buf_printf(&body, "--b%d--\r\n", d);
	convert(RAW("Content-Type: multipart/mixed; boundary=b0\r\n"), body.data, body.len,
	        MIME7_WINDOW, &r);
	EXPECT(r.rc == 0 && r.st.parts == 1 && r.st.base64 == 1 && r.st.qp == 0,
	       "deep multipart: rc %d parts %zu base64 %zu qp %zu", r.rc, r.st.parts, r.st.base64,
	       r.st.qp);
	run_release(&r);

	buf_reset(&body);
	for (int d = 0; d < 40; d++)
		buf_puts(&body, "Content-Type: message/rfc822\r\n\r\n");
	buf_puts(&body, "deep \xc3\xa9\r\n");
	convert(RAW("Content-Type: message/rfc822\r\n"), body.data, body.len, MIME7_WINDOW, &r);
	EXPECT(r.rc == 0 && r.st.parts == 1 && r.st.base64 == 1, "deep message: rc %d base64 %zu",
	       r.rc, r.st.base64);
	run_release(&r);
	buf_release(&body);
	ALL_PASSED();
}

static int calls;

static void count_sink(enum mime7_out kind, const char *p, size_t n, void *arg)
{
	(void)kind;
	(void)p;
	(void)n;
	(void)arg;
	calls++;
}

/* after -1 nothing more is emitted, and every later call is -1 */
static void test_after_refusal(void **state)
{
	char err[128];
	struct mime7 *m;

	(void)state;
	calls = 0;
	m = mime7_new(RAW("Content-Type: multipart/mixed; boundary=z\r\n"), MIME7_WINDOW,
	              count_sink, NULL);
	assert_int_equal(mime7_write(m, RAW("--z\r\nContent-Transfer-Encoding: base64\r\n\r\n"),
	                             err, sizeof(err)),
	                 0);
	int before = calls;
	assert_int_equal(mime7_write(m, RAW("QUJD\xff\r\n"), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "base64"));
	assert_int_equal(mime7_write(m, RAW("x\r\n"), err, sizeof(err)), -1);
	assert_int_equal(mime7_finish(m, err, sizeof(err)), -1);
	assert_int_equal(calls, before);
	mime7_free(m);

	/* a body after finish */
	m = mime7_new(RAW(""), MIME7_WINDOW, count_sink, NULL);
	assert_int_equal(mime7_finish(m, err, sizeof(err)), 0);
	assert_int_equal(mime7_write(m, RAW("x\r\n"), err, sizeof(err)), -1);
	mime7_free(m);
	mime7_free(NULL);
}

/* every counter of struct mime7_stats in one message */
static void test_stats(void **state)
{
	struct buf hdr;
	struct run r;
	static const char body[] = "--s\r\n"
	                           "Content-Type: text/plain\r\n"
	                           "\r\n"
	                           "\xc3\xa9\r\n"
	                           "--s\r\n"
	                           "Content-Type: image/gif\r\n"
	                           "\r\n"
	                           "GIF\xff\r\n"
	                           "--s\r\n"
	                           "Content-Transfer-Encoding: 8bit\r\n"
	                           "\r\n"
	                           "clean\r\n"
	                           "--s\r\n"
	                           "Content-Transfer-Encoding: quoted-printable\r\n"
	                           "Content-Description: caf\xc3\xa9\r\n"
	                           "\r\n"
	                           "raw \xff\r\n"
	                           "--s\r\n"
	                           "\r\n"
	                           "untouched\r\n"
	                           "--s--\r\n";

	(void)state;
	buf_init(&hdr);
	buf_puts(&hdr, "Content-Type: multipart/mixed; boundary=s\r\nX-Long:");
	for (int i = 0; i < 300; i++)
		buf_printf(&hdr, " v%d", i);
	buf_puts(&hdr, "\r\n");
	convert(hdr.data, hdr.len, RAW(body), MIME7_WINDOW, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.st.parts, 5);
	assert_int_equal(r.st.qp, 1);
	assert_int_equal(r.st.base64, 1);
	assert_int_equal(r.st.relabelled, 1);
	assert_int_equal(r.st.repaired, 1);
	assert_int_equal(r.st.folded, 1);
	assert_true(r.st.out_8bit);
	run_release(&r);
	buf_release(&hdr);
}

/*
 * random messages built from pieces (boundaries, part headers, 8-bit, long
 * lines): the invariants hold, and the output does not depend on how the
 * body was cut.
 */
static void test_random_messages(void **state)
{
	static const char *const bits[] = {
	        "--r\r\n",
	        "--r--\r\n",
	        "--q\r\n",
	        "Content-Type: multipart/mixed; boundary=q\r\n",
	        "Content-Type: message/rfc822\r\n",
	        "Content-Type: application/octet-stream\r\n",
	        "Content-Type: text/plain\r\n",
	        "Content-Transfer-Encoding: 8bit\r\n",
	        "Content-Transfer-Encoding: base64\r\n",
	        "Content-Transfer-Encoding: quoted-printable\r\n",
	        "\r\n",
	        "plain text\r\n",
	        "caf\xc3\xa9 =\r\n",
	        "\xff\xfe\r\n",
	        "QUJD\r\n",
	        " folded\r\n",
	        "x",
	        "-",
	        " ",
	        "\xe9",
	};
	struct buf body;
	uint64_t seed = 2024;

	(void)state;
	buf_init(&body);
	for (int it = 0; it < 300; it++) {
		buf_reset(&body);
		int nbits = (int)(xrand(&seed) % 60);
		for (int k = 0; k < nbits; k++) {
			size_t b = xrand(&seed) % NELEM(bits);
			int rep = bits[b][1] == '\0' ? (int)(xrand(&seed) % 1200) : 1;
			for (int j = 0; j < rep; j++)
				buf_puts(&body, bits[b]);
		}
		if (body.len > 0 && body.data[body.len - 1] != '\n')
			buf_puts(&body, "\r\n");
		size_t window = xrand(&seed) % 2 ? MIME7_WINDOW : (size_t)(xrand(&seed) % 300);
		struct run r[3];
		for (int s = 0; s < 3; s++) {
			feed(RAW("Content-Type: multipart/mixed; boundary=r\r\n"), body.data,
			     body.len, window, (enum split)s, seed + (uint64_t)s, &r[s]);
			invariants(&r[s], "random");
		}
		for (int s = 1; s < 3; s++)
			EXPECT(r[s].rc == r[0].rc &&
			               (r[0].rc != 0 ||
			                (same(&r[s].c.hdr, r[0].c.hdr.data, r[0].c.hdr.len) &&
			                 same(&r[s].c.body, r[0].c.body.data, r[0].c.body.len))),
			       "random %d: split %d differs: %s", it, s, show(body.data, body.len));
		for (int s = 0; s < 3; s++)
			run_release(&r[s]);
	}
	buf_release(&body);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),        cmocka_unit_test(test_long_text_line),
	        cmocka_unit_test(test_binary_part), cmocka_unit_test(test_base64_rewrap),
	        cmocka_unit_test(test_qp_repair),   cmocka_unit_test(test_fold),
	        cmocka_unit_test(test_window),      cmocka_unit_test(test_long_delimiter),
	        cmocka_unit_test(test_limits),      cmocka_unit_test(test_after_refusal),
	        cmocka_unit_test(test_stats),       cmocka_unit_test(test_random_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
