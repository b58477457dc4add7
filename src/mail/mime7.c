/*
 * mime7.c - the 7-bit converter: cuts the body into lines, walks the MIME
 * structure with an explicit stack of multipart boundaries, and decides per
 * leaf part what to do (see mime7.h). Header sections are read and
 * rewritten by mime7_hdr.c, lines encoded by mime7_enc.c.
 *
 * Trust: header and body are the submitting client's; every size held is
 * bounded (a line, a part header, the look-ahead window, the nesting depth).
 *
 * States: HEADER while a part's (or an embedded message's) header section is
 * collected; LEAF in the body of a leaf part; TEXT in a preamble or an
 * epilogue. Boundary lines of every open multipart are looked for first, in
 * any state.
 */
#include "mime7.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "header.h"
#include "mime7_internal.h"
#include "strutil.h"
#include "utf8.h"
#include "xmalloc.h"

#define OUT_FLUSH (64 * 1024) /* body output handed to the sink in pieces of about this */

enum state { ST_HEADER, ST_LEAF, ST_TEXT };

/* how a leaf's body is treated */
enum mode {
	LM_HOLD,   /* undecided: held until it ends or fills the window */
	LM_PASS,   /* passed through; must be clean (a 7-bit part, or an unknown encoding) */
	LM_QP,     /* encoded quoted-printable */
	LM_BASE64, /* encoded base64 */
	LM_QPFIX,  /* already quoted-printable: dirty lines repaired */
	LM_B64FIX, /* already base64: long lines re-wrapped */
};

/* how a header section ended: at the empty line, at a line that is no field, or not at all */
enum hend { HEND_NONE, HEND_BLANK, HEND_OTHER };

struct frame {
	char boundary[M7_BOUNDARY_MAX];
	size_t blen;
	size_t depth; /* of the multipart entity */
	bool digest;
};

struct mime7 {
	mime7_sink_fn sink;
	void *arg;
	size_t window;
	struct mime7_stats st;
	bool started, failed, finished, hdr_sent;
	/* a message/rfc822 part's header ended at the first line of its content,
	 * with no empty line: fields written for the content's own header would
	 * join the part's, so an empty line goes before them */
	bool glued;
	char why[160];

	struct buf line; /* an input line not yet complete */
	struct buf out;  /* body output not yet given to the sink */

	struct frame frames[MIME7_DEPTH_MAX]; /* open multiparts, outermost first */
	size_t nframes;

	enum state state;
	/* the current entity: its header section (until its body is decided) */
	struct buf hdr;
	enum hend hend;
	/* HEND_OTHER at a line that will be rewritten (8-bit or too long): what
	 * it becomes could read as a field, so the empty line is written */
	bool hend_dirty;
	bool sep; /* put_header wrote the empty line after the section */
	size_t depth;
	bool message; /* a message's header (top level or message/rfc822), not a part's */
	bool in_digest;
	struct m7_info info;

	/* the current leaf */
	enum mode mode;
	struct buf held;
	bool has8, longl, utf8ok, repaired, crlf_pending;
	struct m7_b64 b64;
};

/* fail - refuse the message: the reason is kept for err, nothing more is emitted */
static int fail(struct mime7 *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct mime7 *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	m->failed = true;
	buf_reset(&m->out);
	return -1;
}

static void flush(struct mime7 *m)
{
	if (m->out.len == 0)
		return;
	assert(m->hdr_sent);
	m->sink(MIME7_BODY, m->out.data, m->out.len, m->arg);
	buf_reset(&m->out);
}

static void out(struct mime7 *m, const char *p, size_t n)
{
	buf_append(&m->out, p, n);
}

/*
 * eol - the length of the line at p up to and including its CRLF (the first
 * LF after a CR; prev_cr: the octet before p was a CR), or 0 if it is not
 * complete within n.
 */
static size_t eol(const char *p, size_t n, bool prev_cr)
{
	for (const char *q = p; (q = memchr(q, '\n', n - (size_t)(q - p))) != NULL; q++)
		if (q > p ? q[-1] == '\r' : prev_cr)
			return (size_t)(q - p) + 1;
	return 0;
}

/* dirty - the line needs converting to be sent as 7bit */
static bool dirty(const char *p, size_t n)
{
	return n > M7_LINE || !is_ascii(p, n);
}

/*
 * put_header - emit the current entity's header section with edits e: the
 * first one emitted is the top-level section, which goes to the sink alone
 * as MIME7_HEADER; the others are body output, followed by the empty line
 * they had. A section that ended at a body line without the empty line gets
 * one if it was edited, so the body cannot be read as more header.
 */
static int put_header(struct mime7 *m, const struct m7_edits *e)
{
	struct buf top;
	struct buf *dst = m->hdr_sent ? &m->out : &top;
	const char *why = NULL;

	buf_init(&top);
	bool edited = e->cte != NULL || e->content_type;
	if (m->glued && (m->hdr.len > 0 || edited || e->mime_version))
		buf_append(dst, "\r\n", 2);
	m->glued = false;
	if (mime7_hdr_write(dst, m->hdr.data, m->hdr.len, e, &m->st, &why) < 0) {
		buf_release(&top);
		return fail(m, "%s", why);
	}
	m->sep = m->hend == HEND_BLANK || (m->hend == HEND_OTHER && (edited || m->hend_dirty));
	if (m->sep)
		buf_append(dst, "\r\n", 2);
	if (!m->hdr_sent) {
		m->sink(MIME7_HEADER, top.data ? top.data : "", top.len, m->arg);
		m->hdr_sent = true;
	}
	buf_release(&top);
	return 0;
}

static void leaf_reset(struct mime7 *m)
{
	buf_reset(&m->held);
	m->has8 = m->longl = m->repaired = m->crlf_pending = false;
	m->utf8ok = true;
	m->b64.n = 0;
}

/* entity_start - the current entity's header section is complete: what is it? */
static int entity_start(struct mime7 *m)
{
	struct m7_info *in = &m->info;
	struct m7_edits e = {0};

	mime7_hdr_info(m->hdr.data, m->hdr.len, m->in_digest, in);
	if (in->ncte > 1)
		return fail(m, "%zu Content-Transfer-Encoding fields in one header", in->ncte);
	bool flat = in->cte == CTE_NONE || in->cte == CTE_7BIT || in->cte == CTE_8BIT ||
	            in->cte == CTE_BINARY;
	if ((in->multipart || in->rfc822) && flat && m->depth < MIME7_DEPTH_MAX) {
		/* a composite: its content is converted below it, so it is 7bit */
		if (in->cte == CTE_8BIT || in->cte == CTE_BINARY) {
			e.cte = "7bit";
			e.mime_version = m->message;
			m->st.relabelled++;
		}
		if (put_header(m, &e) < 0)
			return -1;
		if (in->multipart) {
			/* a frame's depth is at least its index: depth < MIME7_DEPTH_MAX bounds both */
			assert(m->nframes < MIME7_DEPTH_MAX);
			struct frame *f = &m->frames[m->nframes++];
			memcpy(f->boundary, in->boundary, in->blen);
			f->blen = in->blen;
			f->depth = m->depth;
			f->digest = in->digest;
			m->state = ST_TEXT;
		} else {
			m->glued = m->hend == HEND_OTHER && !m->sep;
			buf_reset(&m->hdr);
			m->hend = HEND_NONE;
			m->depth++;
			m->message = true;
			m->in_digest = false;
			m->state = ST_HEADER;
		}
		return 0;
	}
	m->st.parts++;
	leaf_reset(m);
	m->state = ST_LEAF;
	switch (in->cte) {
	case CTE_QP:
		m->mode = LM_QPFIX;
		break;
	case CTE_BASE64:
		m->mode = LM_B64FIX;
		break;
	case CTE_OTHER:
		/* left as it is if clean, refused if not: the header does not change */
		m->mode = LM_PASS;
		break;
	default:
		m->mode = LM_HOLD;
		return 0;
	}
	return put_header(m, &e);
}

static int leaf_line(struct mime7 *m, const char *p, size_t n, bool crlf);

/*
 * decide - a held leaf is either clean (passed through, relabelled 7bit if it
 * said 8bit or binary) or encoded: emit its header, then what was held.
 */
static int decide(struct mime7 *m, bool encode)
{
	struct m7_info *in = &m->info;
	struct m7_edits e = {0};

	if (encode) {
		bool b64 = !in->text;
		e.cte = b64 ? "base64" : "quoted-printable";
		e.mime_version = m->message;
		/* us-ascii, the default, would misread it */
		e.content_type = in->ct_absent && in->text && m->has8 && m->utf8ok;
		m->mode = b64 ? LM_BASE64 : LM_QP;
		if (b64)
			m->st.base64++;
		else
			m->st.qp++;
	} else {
		if (in->cte == CTE_8BIT || in->cte == CTE_BINARY) {
			e.cte = "7bit";
			e.mime_version = m->message;
			m->st.relabelled++;
		}
		m->mode = LM_PASS;
	}
	if (put_header(m, &e) < 0)
		return -1;
	/* replay what was held, line by line, in the mode now chosen */
	struct buf h = m->held;
	buf_init(&m->held);
	int rc = 0;
	for (size_t pos = 0; pos < h.len && rc == 0;) {
		size_t len = eol(h.data + pos, h.len - pos, false);
		size_t n = len > 0 ? len : h.len - pos;
		rc = leaf_line(m, h.data + pos, len > 0 ? len - 2 : n, len > 0);
		pos += n;
	}
	buf_release(&h);
	return rc;
}

/* leaf_line - one line of a leaf's body (n octets, CRLF excluded) */
static int leaf_line(struct mime7 *m, const char *p, size_t n, bool crlf)
{
	size_t full = n + (crlf ? 2 : 0);

	switch (m->mode) {
	case LM_HOLD: {
		bool d = dirty(p, n);
		m->has8 = m->has8 || !is_ascii(p, n);
		m->longl = m->longl || n > M7_LINE;
		/* only a part without Content-Type cares whether it is UTF-8 */
		bool want_utf8 = m->info.ct_absent && m->info.text;
		if (want_utf8 && m->utf8ok)
			m->utf8ok = utf8_valid(p, n);
		if ((d && !(want_utf8 && m->utf8ok)) || m->held.len + full > m->window) {
			if (decide(m, true) < 0)
				return -1;
			return leaf_line(m, p, n, crlf); /* once: the mode is no longer LM_HOLD */
		}
		buf_append(&m->held, p, full);
		return 0;
	}
	case LM_PASS:
		if (dirty(p, n))
			return fail(m, "a part in an unknown Content-Transfer-Encoding has 8-bit "
			               "octets or lines over 998 octets");
		out(m, p, full);
		break;
	case LM_QP:
		mime7_qp_line(&m->out, p, n, crlf);
		break;
	case LM_BASE64:
		/* the CRLF before a boundary belongs to the boundary: held back until a line follows */
		if (m->crlf_pending)
			mime7_b64_feed(&m->b64, &m->out, "\r\n", 2);
		mime7_b64_feed(&m->b64, &m->out, p, n);
		m->crlf_pending = crlf;
		break;
	case LM_QPFIX:
		if (!dirty(p, n)) {
			out(m, p, full);
			break;
		}
		mime7_qp_repair(&m->out, p, n, crlf);
		m->repaired = true;
		break;
	case LM_B64FIX:
		if (!is_ascii(p, n))
			return fail(m, "8-bit octets in a base64 part");
		if (n <= M7_LINE) {
			out(m, p, full);
			break;
		}
		mime7_b64_rewrap(&m->out, p, n, crlf);
		m->repaired = true;
		break;
	}
	if (m->out.len >= OUT_FLUSH)
		flush(m);
	return 0;
}

/* leaf_end - the leaf has ended, at a boundary or at the end of the body */
static int leaf_end(struct mime7 *m, bool at_boundary)
{
	if (m->mode == LM_HOLD && decide(m, m->has8 || m->longl) < 0)
		return -1;
	if (m->mode == LM_BASE64) {
		if (m->crlf_pending && !at_boundary)
			mime7_b64_feed(&m->b64, &m->out, "\r\n", 2);
		mime7_b64_end(&m->b64, &m->out);
	}
	if (m->repaired)
		m->st.repaired++;
	leaf_reset(m);
	m->state = ST_TEXT;
	return 0;
}

/*
 * end_entity - whatever is in progress ends here: a header section without
 * a body is still an entity (an embedded message may follow it, with no
 * header at all), a leaf is flushed.
 */
static int end_entity(struct mime7 *m, bool at_boundary)
{
	while (m->state == ST_HEADER && m->hdr.len > 0)
		if (entity_start(m) < 0)
			return -1;
	if (m->state == ST_LEAF)
		return leaf_end(m, at_boundary);
	return 0;
}

/*
 * boundary - the innermost open multipart whose delimiter the line is:
 * "--" boundary, optionally "--" (close), then only white space (RFC 2046
 * 5.1.1). -1 if none.
 */
static int boundary(const struct mime7 *m, const char *p, size_t n, bool *close)
{
	if (n < 3 || p[0] != '-' || p[1] != '-')
		return -1;
	for (size_t k = m->nframes; k-- > 0;) {
		const struct frame *f = &m->frames[k];
		if (n < 2 + f->blen || memcmp(p + 2, f->boundary, f->blen) != 0)
			continue;
		size_t i = 2 + f->blen;
		bool c = i + 1 < n && p[i] == '-' && p[i + 1] == '-';
		if (c)
			i += 2;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == n) {
			*close = c;
			return (int)k;
		}
	}
	return -1;
}

/*
 * at_boundary - a delimiter of frame k: ends the current entity and any
 * multipart opened inside frame k (left unclosed), then starts the next part
 * or, after a close delimiter, frame k's epilogue.
 */
static int at_boundary(struct mime7 *m, size_t k, bool close, const char *p, size_t n, bool crlf)
{
	const struct frame *f = &m->frames[k];

	if (end_entity(m, true) < 0)
		return -1;
	if (n > M7_LINE)
		n = 2 + f->blen + (close ? 2 : 0); /* only white space follows */
	out(m, p, n);
	if (crlf)
		out(m, "\r\n", 2);
	buf_reset(&m->hdr);
	m->glued = false;
	m->hend = HEND_NONE;
	if (close) {
		m->nframes = k;
		m->state = ST_TEXT;
		return 0;
	}
	m->nframes = k + 1;
	m->depth = f->depth + 1;
	m->message = false;
	m->in_digest = f->digest;
	m->state = ST_HEADER;
	return 0;
}

#define AGAIN 1 /* header_line: the line is the first of the body, give it again */

static int header_line(struct mime7 *m, const char *p, size_t n, bool crlf)
{
	size_t full = n + (crlf ? 2 : 0), nlen;
	enum hdr_line t = hdr_classify(p, full, &nlen);

	if (t == HDR_LINE_CONT && m->hdr.len == 0)
		t = HDR_LINE_OTHER; /* a continuation of nothing */
	switch (t) {
	case HDR_LINE_FIELD:
	case HDR_LINE_CONT:
		if (m->hdr.len + full > MIME7_PART_HEADER_MAX)
			return fail(m, "a part header section over %d octets",
			            MIME7_PART_HEADER_MAX);
		buf_append(&m->hdr, p, full);
		return 0;
	case HDR_LINE_END:
		m->hend = HEND_BLANK;
		return entity_start(m);
	default:
		m->hend = HEND_OTHER;
		m->hend_dirty = dirty(p, n);
		return entity_start(m) < 0 ? -1 : AGAIN;
	}
}

/* line - one body line (n octets, CRLF excluded; crlf false only for a last line without) */
static int line(struct mime7 *m, const char *p, size_t n, bool crlf)
{
	for (;;) {
		/* again after a header that ended here: it may have opened a multipart */
		bool close = false;
		int k = boundary(m, p, n, &close);
		if (k >= 0)
			return at_boundary(m, (size_t)k, close, p, n, crlf);
		switch (m->state) {
		case ST_HEADER: {
			int rc = header_line(m, p, n, crlf);
			if (rc != AGAIN)
				return rc;
			break; /* again, in the state the header led to */
		}
		case ST_LEAF:
			return leaf_line(m, p, n, crlf);
		case ST_TEXT:
			mime7_text_line(&m->out, p, n, crlf);
			if (m->out.len >= OUT_FLUSH)
				flush(m);
			return 0;
		}
	}
}

struct mime7 *mime7_new(const char *hdr, size_t hdr_len, size_t window, mime7_sink_fn sink,
                        void *arg)
{
	struct mime7 *m = xcalloc(1, sizeof(*m));

	m->sink = sink;
	m->arg = arg;
	m->window = window;
	buf_init(&m->line);
	buf_init(&m->out);
	buf_init(&m->hdr);
	buf_init(&m->held);
	if (hdr_len > 0)
		buf_append(&m->hdr, hdr, hdr_len);
	m->message = true;
	m->state = ST_HEADER;
	return m;
}

void mime7_free(struct mime7 *m)
{
	if (m == NULL)
		return;
	buf_release(&m->line);
	buf_release(&m->out);
	buf_release(&m->hdr);
	buf_release(&m->held);
	free(m);
}

/* begin - check the state before a call; the top-level section is read at the first */
static int begin(struct mime7 *m)
{
	if (m->failed)
		return -1;
	if (m->finished)
		return fail(m, "body after its end");
	if (m->started)
		return 0;
	m->started = true;
	return entity_start(m);
}

static int refused(struct mime7 *m, char *err, size_t errlen)
{
	if (errlen > 0)
		strlcpy_(err, m->why, errlen);
	return -1;
}

int mime7_write(struct mime7 *m, const char *p, size_t n, char *err, size_t errlen)
{
	if (begin(m) < 0)
		return refused(m, err, errlen);
	while (n > 0) {
		bool prev_cr = m->line.len > 0 && m->line.data[m->line.len - 1] == '\r';
		size_t e = eol(p, n, prev_cr);
		if (m->line.len + (e > 0 ? e : n) > MIME7_LINE_MAX) {
			fail(m, "a line over %d octets", MIME7_LINE_MAX);
			return refused(m, err, errlen);
		}
		if (e == 0) {
			buf_append(&m->line, p, n);
			break;
		}
		int rc;
		if (m->line.len == 0) {
			rc = line(m, p, e - 2, true);
		} else {
			buf_append(&m->line, p, e);
			rc = line(m, m->line.data, m->line.len - 2, true);
			buf_reset(&m->line);
		}
		if (rc < 0)
			return refused(m, err, errlen);
		p += e;
		n -= e;
	}
	flush(m);
	return 0;
}

int mime7_finish(struct mime7 *m, char *err, size_t errlen)
{
	if (begin(m) < 0)
		return refused(m, err, errlen);
	if (m->line.len > 0) {
		/* a last line without CRLF: taken as it is */
		int rc = line(m, m->line.data, m->line.len, false);
		buf_reset(&m->line);
		if (rc < 0)
			return refused(m, err, errlen);
	}
	if (end_entity(m, false) < 0)
		return refused(m, err, errlen);
	assert(m->hdr_sent);
	flush(m);
	m->finished = true;
	return 0;
}

void mime7_get_stats(const struct mime7 *m, struct mime7_stats *out)
{
	*out = m->st;
}
