/*
 * mime.c - the MIME parser's walk: cuts the message into lines, follows the
 * structure with a stack of open multiparts, counts and bounds entities, and
 * hands each leaf's content lines to the decoder (mime_dec.c). Header
 * sections are read by mime_hdr.c.
 *
 * Trust: the message is a client's. Held: one header section (max_header),
 * the start of a body line while it may be a delimiter (2 + the longest
 * open boundary), the open boundaries (max_depth of them).
 *
 * A body line is looked at as it comes: a line that starts with '-' is held
 * while it matches the start of some open delimiter ("--" boundary), and is
 * content as soon as it does not; a whole delimiter may be followed only by
 * "--", white space and CRLF. A bare CR or LF starts a "shadow" match: what
 * follows it must not be a delimiter either (readers that split lines at a
 * bare CR or LF would see one).
 */
#include "mime.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime_internal.h"
#include "strutil.h"
#include "xmalloc.h"

/* LM_TAIL: what follows "--" boundary */
enum { TAIL_AFTER, TAIL_DASH, TAIL_WS, TAIL_CR };

#define AGAIN 1 /* header_line: the line is not the header's: give it again */

int mime_fail(struct mime_parser *m, enum mime_status st, const char *fmt, ...)
{
	va_list ap;

	assert(st != MIME_OK);
	if (m->status != MIME_OK)
		return -1;
	m->status = st;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	return -1;
}

void mime_limits_default(struct mime_limits *l)
{
	l->max_depth = 20;
	l->max_parts = 1000;
	l->max_boundary = 70;
	l->max_header = 64 * 1024;
	l->max_decoded = 64ULL * 1024 * 1024;
}

const char *mime_status_name(enum mime_status s)
{
	switch (s) {
	case MIME_OK:
		return "ok";
	case MIME_LIMIT:
		return "limit";
	case MIME_MALFORMED:
		return "malformed";
	case MIME_AMBIGUOUS:
		return "ambiguous";
	}
	return "?";
}

/*
 * new_entity - an entity begins (its header section comes next): counted
 * and bounded here, so a bomb stops at the entity past the limit.
 */
static int new_entity(struct mime_parser *m, int depth, bool digest)
{
	if (m->parts >= m->lim.max_parts)
		return mime_fail(m, MIME_LIMIT, "over %zu MIME parts", m->lim.max_parts);
	if ((size_t)depth > m->lim.max_depth)
		return mime_fail(m, MIME_LIMIT, "MIME nesting deeper than %zu", m->lim.max_depth);
	m->index = m->parts++;
	m->depth = depth;
	if (depth > m->max_depth)
		m->max_depth = depth;
	m->digest = digest;
	m->top = false;
	m->st = ST_HEADER;
	buf_reset(&m->hdr);
	return 0;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool prefix_of(const char *a, size_t an, const char *b, size_t bn)
{
	return an <= bn && memcmp(a, b, an) == 0;
}

/* push_frame - a multipart's body begins; takes ownership of h->boundary */
static int push_frame(struct mime_parser *m, struct mime_hdr *h)
{
	const char *b = h->boundary;
	size_t n = h->blen;

	if (b == NULL)
		return mime_fail(m, MIME_AMBIGUOUS, "a multipart without a boundary");
	if (n == 0)
		return mime_fail(m, MIME_AMBIGUOUS, "a multipart with an empty boundary");
	if (n > m->lim.max_boundary)
		return mime_fail(m, MIME_LIMIT, "a boundary over %zu octets", m->lim.max_boundary);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)b[i] < 0x20 || (unsigned char)b[i] > 0x7e)
			return mime_fail(m, MIME_MALFORMED,
			                 "a boundary with a control or 8-bit octet");
	if (is_wsp(b[n - 1]))
		return mime_fail(m, MIME_AMBIGUOUS, "a boundary that ends in white space");
	if (h->cte != CTE_7BIT && h->cte != CTE_8BIT && h->cte != CTE_BINARY)
		return mime_fail(m, MIME_AMBIGUOUS, "a multipart in base64 or quoted-printable");
	for (size_t k = 0; k < m->nframes; k++) {
		const struct mime_frame *f = &m->frames[k];
		if (prefix_of(b, n, f->boundary, f->blen) || prefix_of(f->boundary, f->blen, b, n))
			return mime_fail(m, MIME_AMBIGUOUS,
			                 "a boundary that is a prefix of an enclosing one, or the "
			                 "other way round");
	}
	if (m->nframes == m->framecap) {
		/* depth bounds the frames: one per multipart from the message down */
		m->framecap = m->framecap ? m->framecap * 2 : 4;
		m->frames = xrealloc(m->frames, m->framecap * sizeof(*m->frames));
	}
	if (m->candcap < 2 + n) {
		m->candcap = 2 + n;
		m->cand = xrealloc(m->cand, m->candcap);
	}
	m->frames[m->nframes++] = (struct mime_frame){
	        .boundary = h->boundary,
	        .blen = n,
	        .depth = m->depth,
	        .digest = strcmp(h->ctype, "multipart/digest") == 0,
	};
	h->boundary = NULL;
	m->st = ST_PREAMBLE;
	return 0;
}

static void pop_frames(struct mime_parser *m, size_t k)
{
	while (m->nframes > k)
		free(m->frames[--m->nframes].boundary);
}

/* textual - a leaf the scanners should read as text */
static bool textual(const char *ctype, const char *filename)
{
	static const char *const types[] = {"application/json", "application/xml"};
	static const char *const exts[] = {".txt", ".csv", ".tsv", ".json",
	                                   ".xml", ".htm", ".html"};
	size_t n = strlen(ctype);

	if (strncmp(ctype, "text/", 5) == 0 || strncmp(ctype, "message/", 8) == 0)
		return true;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(ctype, types[i]) == 0)
			return true;
	if ((n > 5 && strcmp(ctype + n - 5, "+json") == 0) ||
	    (n > 4 && strcmp(ctype + n - 4, "+xml") == 0))
		return true;
	if (filename == NULL)
		return false;
	n = strlen(filename);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t e = strlen(exts[i]);
		if (n > e && ascii_niequal(filename + n - e, exts[i], e))
			return true;
	}
	return false;
}

/* leaf_start - the current entity is a leaf; takes over h's strings */
static int leaf_start(struct mime_parser *m, struct mime_hdr *h)
{
	mime_hdr_release(&m->leaf);
	m->leaf = *h;
	memset(h, 0, sizeof(*h));
	m->info = (struct mime_part_info){
	        .depth = m->depth,
	        .index = m->index,
	        .content_type = m->leaf.ctype,
	        .charset = m->leaf.charset[0] ? m->leaf.charset : NULL,
	        .filename = m->leaf.filename,
	        .attachment = m->leaf.disp == DISP_ATTACHMENT || m->leaf.disp == DISP_OTHER ||
	                      m->leaf.filename != NULL,
	        .text = textual(m->leaf.ctype, m->leaf.filename),
	};
	buf_reset(&m->out);
	m->st = ST_LEAF;
	return mime_leaf_open(m);
}

/* entity_start - the current entity's header section is complete: what is it? */
static int entity_start(struct mime_parser *m)
{
	struct mime_hdr h;
	struct mime_hdr_ctx ctx = {
	        .digest = m->digest,
	        .want_subject = m->top,
	        .ic = &m->ic,
	};
	enum mime_status st = mime_hdr_parse(m->hdr.data ? m->hdr.data : "", m->hdr.len, &ctx, &h,
	                                     m->why, sizeof(m->why));
	int rc = 0;

	buf_reset(&m->hdr);
	if (st != MIME_OK) {
		m->status = st; /* why is filled */
		return -1;
	}
	if (m->top) {
		m->subject = h.subject;
		h.subject = NULL;
	}
	bool flat = h.cte == CTE_7BIT || h.cte == CTE_8BIT || h.cte == CTE_BINARY;
	if (strncmp(h.ctype, "multipart/", 10) == 0) {
		rc = push_frame(m, &h);
	} else if (strcmp(h.ctype, "message/rfc822") == 0 ||
	           strcmp(h.ctype, "message/global") == 0) {
		if (!flat)
			rc = mime_fail(m, MIME_AMBIGUOUS,
			               "an embedded message in base64 or quoted-printable");
		else
			rc = new_entity(m, m->depth + 1, false);
	} else if (strcmp(h.ctype, "message/partial") == 0) {
		rc = mime_fail(m, MIME_AMBIGUOUS, "message/partial: a fragment cannot be scanned");
	} else {
		rc = leaf_start(m, &h);
	}
	mime_hdr_release(&h);
	return rc;
}

/*
 * end_entity - what is in progress ends (at a delimiter, or at the end of
 * the message): a header section without a body is still an entity (an
 * embedded message's, empty, follows it), a leaf makes its last callback.
 */
static int end_entity(struct mime_parser *m, bool at_delim)
{
	while (m->st == ST_HEADER)
		if (entity_start(m) < 0)
			return -1;
	if (m->st == ST_LEAF) {
		m->st = ST_EPILOGUE; /* nothing more goes to the leaf */
		return mime_dec_end(m, at_delim);
	}
	return 0;
}

/* unclosed - multiparts are left open where they may not be */
static int unclosed(struct mime_parser *m)
{
	if (m->frames[m->nframes - 1].ndelim == 0)
		return mime_fail(m, MIME_AMBIGUOUS, "a multipart without any delimiter line");
	return mime_fail(m, MIME_AMBIGUOUS, "a multipart's close delimiter is missing");
}

/*
 * at_delim - a delimiter line of frame k: ends the entity in progress (and
 * the epilogue of a multipart closed inside frame k); a close delimiter
 * starts frame k's epilogue, another one its next part.
 */
static int at_delim(struct mime_parser *m, size_t k, bool close)
{
	/* content after the end: some readers go on reading parts there */
	if (m->frames[k].closed)
		return mime_fail(m, MIME_AMBIGUOUS,
		                 "a delimiter line after its multipart's close delimiter");
	if (m->frames[m->nframes - 1].closed)
		pop_frames(m, m->nframes - 1); /* its epilogue ends here */
	if (m->fresh && m->st == ST_HEADER && m->hdr.len == 0)
		return mime_fail(m, MIME_AMBIGUOUS, "two delimiter lines in a row");
	if (k + 1 < m->nframes)
		return unclosed(m);
	if (end_entity(m, true) < 0)
		return -1;
	if (k + 1 < m->nframes)
		return unclosed(m); /* the entity that ended was a multipart, never begun */
	struct mime_frame *f = &m->frames[k];
	if (close) {
		if (f->ndelim == 0)
			return mime_fail(m, MIME_AMBIGUOUS,
			                 "a multipart with only a close delimiter");
		f->closed = true; /* kept until its epilogue ends, to see its delimiters there */
		m->st = ST_EPILOGUE;
		return 0;
	}
	f->ndelim++;
	if (new_entity(m, f->depth + 1, f->digest) < 0)
		return -1;
	m->fresh = true;
	return 0;
}

/* sink - octets of the current body line's content */
static int sink(struct mime_parser *m, const char *p, size_t n)
{
	if (n == 0 || m->st != ST_LEAF)
		return 0;
	return mime_dec_data(m, p, n);
}

/*
 * step - octet o at position pos of a line, matched against the delimiters
 * of the open multiparts still alive (the frames' alive flags, or shalive
 * for a shadow). The frame whose delimiter o completes, -1 if some are
 * still alive, -2 if none is.
 */
static int step(struct mime_parser *m, size_t pos, char o, bool shadow)
{
	bool any = false;
	int full = -1;

	for (size_t k = 0; k < m->nframes; k++) {
		struct mime_frame *f = &m->frames[k];
		bool *alive = shadow ? &f->shalive : &f->alive;
		if (pos == 0)
			*alive = true;
		if (!*alive)
			continue;
		char want = pos < 2 ? '-' : f->boundary[pos - 2];
		if (o != want) {
			*alive = false;
			continue;
		}
		any = true;
		if (pos + 1 == 2 + f->blen)
			full = (int)
			        k; /* open boundaries are no prefix of each other: one at most */
	}
	return full >= 0 ? full : any ? -1 : -2;
}

/*
 * shadow - octets after a bare CR or LF (none of them a CR or LF): how many
 * of them up to and including one that completes a delimiter (then
 * *found), or n
 */
static size_t shadow(struct mime_parser *m, const char *p, size_t n, bool *found)
{
	*found = false;
	for (size_t i = 0; i < n && m->shadow; i++) {
		int r = step(m, m->nshadow++, p[i], true);
		if (r >= 0) {
			*found = true;
			return i + 1;
		}
		if (r == -2)
			m->shadow = false;
	}
	return n;
}

/* bare_break - a bare CR or LF: a reader may start a line after it */
static void bare_break(struct mime_parser *m)
{
	m->shadow = m->nframes > 0;
	m->nshadow = 0;
}

/* data - LM_DATA: octets up to the line's CRLF; how many were used */
static size_t data(struct mime_parser *m, const char *p, size_t n)
{
	size_t j = 0;

	if (m->pend_cr) {
		m->pend_cr = false;
		if (p[0] == '\n') {
			m->lm = LM_START;
			m->shadow = false;
			if (m->st == ST_LEAF)
				mime_dec_eol(m);
			return 1;
		}
		if (sink(m, "\r", 1) < 0)
			return n;
		bare_break(m);
	}
	while (j < n && p[j] != '\r' && p[j] != '\n')
		j++;
	if (m->shadow && j > 0) {
		/* content up to the delimiter's end first: the verdict must not depend on the cuts */
		bool found;
		size_t k = shadow(m, p, j, &found);
		if (sink(m, p, k) < 0)
			return n;
		if (found) {
			mime_fail(m, MIME_AMBIGUOUS, "a delimiter after a bare CR or LF");
			return n;
		}
		return k;
	}
	if (sink(m, p, j) < 0)
		return n;
	if (j == n)
		return n;
	if (p[j] == '\r') {
		m->pend_cr = true;
		return j + 1;
	}
	if (sink(m, "\n", 1) < 0)
		return n;
	bare_break(m);
	return j + 1;
}

/* cand - LM_CAND: the line's start, held while it matches the start of a delimiter */
static size_t cand(struct mime_parser *m, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = step(m, m->ncand, p[i], false);
		if (r == -2) {
			/* content after all: what was held, then p[i] on, in LM_DATA */
			m->lm = LM_DATA;
			m->fresh = false;
			sink(m, m->cand, m->ncand);
			return i;
		}
		assert(m->ncand < m->candcap);
		m->cand[m->ncand++] = p[i];
		if (r >= 0) {
			m->lm = LM_TAIL;
			m->tail_k = (size_t)r;
			m->tail = TAIL_AFTER;
			m->tail_close = false;
			return i + 1;
		}
	}
	return n;
}

/* tail - LM_TAIL: after "--" boundary, only "--", white space and CRLF */
static size_t tail(struct mime_parser *m, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char o = p[i];
		bool ws_ok = m->tail == TAIL_AFTER || m->tail == TAIL_WS;
		if (m->tail == TAIL_CR && o == '\n') {
			m->lm = LM_START;
			at_delim(m, m->tail_k, m->tail_close);
			return i + 1;
		}
		if (m->tail == TAIL_AFTER && o == '-') {
			m->tail = TAIL_DASH;
		} else if (m->tail == TAIL_DASH && o == '-') {
			m->tail_close = true;
			m->tail = TAIL_WS;
		} else if (ws_ok && is_wsp(o)) {
			m->tail = TAIL_WS;
		} else if (ws_ok && o == '\r') {
			m->tail = TAIL_CR;
		} else {
			mime_fail(m, MIME_AMBIGUOUS, "a line that starts with a delimiter goes on");
			return n;
		}
	}
	return n;
}

/* body - octets in a body state (preamble, leaf, epilogue); how many were used */
static size_t body(struct mime_parser *m, const char *p, size_t n)
{
	switch (m->lm) {
	case LM_START:
		m->ncand = 0;
		if (m->nframes > 0 && p[0] == '-') {
			m->lm = LM_CAND;
		} else {
			m->lm = LM_DATA;
			m->fresh = false;
		}
		return 0;
	case LM_CAND:
		return cand(m, p, n);
	case LM_TAIL:
		return tail(m, p, n);
	case LM_DATA:
		return data(m, p, n);
	}
	return n;
}

/*
 * delim_line - is a complete header line (n octets, CRLF excluded) a
 * delimiter of an open multipart? Its frame, -1 if not, -2 if refused (it
 * starts with one and goes on).
 */
static int delim_line(struct mime_parser *m, const char *p, size_t n, bool *close)
{
	for (size_t k = 0; k < m->nframes; k++) {
		const struct mime_frame *f = &m->frames[k];
		if (n < 2 + f->blen || p[0] != '-' || p[1] != '-' ||
		    memcmp(p + 2, f->boundary, f->blen) != 0)
			continue;
		size_t i = 2 + f->blen;
		*close = i + 1 < n && p[i] == '-' && p[i + 1] == '-';
		if (*close)
			i += 2;
		while (i < n && is_wsp(p[i]))
			i++;
		if (i < n) {
			mime_fail(m, MIME_AMBIGUOUS, "a line that starts with a delimiter goes on");
			return -2;
		}
		return (int)k;
	}
	return -1;
}

/*
 * field_line - a header line (n > 0 octets, CRLF excluded) that is no
 * delimiter: 0 for a field or a continuation, AGAIN if it is no header line
 * (the section has ended without its empty line), -1 if refused.
 */
static int field_line(struct mime_parser *m, const char *p, size_t n)
{
	size_t i = 0;

	if (memchr(p, '\0', n) != NULL)
		return mime_fail(m, MIME_AMBIGUOUS, "NUL in a header section");
	if (memchr(p, '\r', n) != NULL || memchr(p, '\n', n) != NULL)
		return mime_fail(m, MIME_AMBIGUOUS, "a bare CR or LF in a header section");
	if (is_wsp(p[0])) {
		while (i < n && is_wsp(p[i]))
			i++;
		if (i == n)
			return mime_fail(m, MIME_AMBIGUOUS, "a header line of white space only");
		if (m->hdr.len == 0)
			return mime_fail(m, MIME_AMBIGUOUS,
			                 "a header continuation line with no field");
		return 0;
	}
	if (n >= 5 && memcmp(p, "From ", 5) == 0)
		return mime_fail(m, MIME_AMBIGUOUS, "a \"From \" line in a header section");
	if (p[0] == ':')
		return mime_fail(m, MIME_AMBIGUOUS, "a header field without a name");
	/* a field name as Python's email reads it too: %d33-57 / %d59-126, then ':' */
	while (i < n && (unsigned char)p[i] >= 33 && (unsigned char)p[i] <= 126 && p[i] != ':')
		i++;
	if (i < n && p[i] == ':')
		return 0;
	while (i < n && is_wsp(p[i]))
		i++;
	if (i < n && p[i] == ':')
		return mime_fail(m, MIME_AMBIGUOUS,
		                 "white space between a field name and its colon");
	return AGAIN;
}

/* header_line - ST_HEADER: the line in m->line is complete (crlf: it ends in CRLF) */
static int header_line(struct mime_parser *m, bool crlf)
{
	const char *p = m->line.data;
	size_t n = m->line.len - (crlf ? 2 : 0);
	bool close = false;
	int k = m->nframes > 0 && n >= 2 ? delim_line(m, p, n, &close) : -1;

	if (k == -2)
		return -1;
	if (k >= 0)
		return at_delim(m, (size_t)k, close);
	m->fresh = false;
	if (n == 0)
		return entity_start(m); /* the empty line: the body follows */
	int r = field_line(m, p, n);
	if (r == 0)
		buf_append(&m->hdr, m->line.data, m->line.len);
	if (r != AGAIN)
		return r;
	return entity_start(m) < 0 ? -1 : AGAIN;
}

static void run(struct mime_parser *m, const char *p, size_t n);

/*
 * header_done - a header line is complete in m->line. One that is no
 * header line ends the section, and is given again: to the next header
 * section (that of an embedded message) or to the body.
 */
static void header_done(struct mime_parser *m, bool crlf)
{
	int r;

	while ((r = header_line(m, crlf)) == AGAIN && m->st == ST_HEADER)
		;
	if (r == AGAIN && m->status == MIME_OK) {
		/* not a delimiter, so the body cannot end in it: run goes one deep at most */
		struct buf again = m->line;
		buf_init(&m->line);
		run(m, again.data, again.len);
		buf_release(&again);
	}
	buf_reset(&m->line);
}

/* header - ST_HEADER: octets of a header line; how many were used */
static size_t header(struct mime_parser *m, const char *p, size_t n)
{
	const char *lf = memchr(p, '\n', n);
	size_t take = lf ? (size_t)(lf - p) + 1 : n;

	/* the empty line that ends the section is not counted */
	if (m->hdr.len + m->line.len + take > m->lim.max_header + 2) {
		mime_fail(m, MIME_LIMIT, "a header section over %zu octets", m->lim.max_header);
		return n;
	}
	buf_append(&m->line, p, take);
	if (lf == NULL)
		return n;
	if (m->line.len < 2 || m->line.data[m->line.len - 2] != '\r') {
		mime_fail(m, MIME_AMBIGUOUS, "a bare CR or LF in a header section");
		return n;
	}
	header_done(m, true);
	return take;
}

/* run - n octets, in whatever state the parser is in */
static void run(struct mime_parser *m, const char *p, size_t n)
{
	while (n > 0 && m->status == MIME_OK) {
		size_t k = m->st == ST_HEADER ? header(m, p, n) : body(m, p, n);
		p += k;
		n -= k;
	}
}

/* end_lines - the message has ended: the line in progress, which has no CRLF */
static void end_lines(struct mime_parser *m)
{
	if (m->st == ST_HEADER) {
		if (m->line.len > 0)
			header_done(m, false);
		if (m->st == ST_HEADER || m->status != MIME_OK)
			return;
	}
	switch (m->lm) {
	case LM_START:
		break;
	case LM_CAND:
		m->lm = LM_START;
		sink(m, m->cand, m->ncand); /* a delimiter's start only */
		break;
	case LM_TAIL:
		m->lm = LM_START;
		/* a delimiter without CRLF is one to readers that split lines (Python's email) */
		if (m->tail == TAIL_AFTER || m->tail == TAIL_WS)
			at_delim(m, m->tail_k, m->tail_close);
		else
			mime_fail(m, MIME_AMBIGUOUS, "a line that starts with a delimiter goes on");
		break;
	case LM_DATA:
		m->lm = LM_START;
		if (m->pend_cr) {
			m->pend_cr = false;
			sink(m, "\r", 1);
		}
		break;
	}
}

struct mime_parser *mime_new(const struct mime_limits *l, mime_part_fn fn, void *arg)
{
	struct mime_parser *m = xcalloc(1, sizeof(*m));

	if (l != NULL)
		m->lim = *l;
	else
		mime_limits_default(&m->lim);
	m->fn = fn;
	m->arg = arg;
	m->cd = (iconv_t)-1;
	/* a few charset conversions per entity, however often the message switches charsets */
	mime_iconv_init(&m->ic,
	                m->lim.max_parts < SIZE_MAX / 8 ? 4 * m->lim.max_parts + 16 : SIZE_MAX);
	buf_init(&m->line);
	buf_init(&m->hdr);
	buf_init(&m->out);
	/* the message itself: entity 0 at depth 0 (a max_parts of 0 refuses even it) */
	new_entity(m, 0, false);
	m->top = true;
	return m;
}

void mime_free(struct mime_parser *m)
{
	if (m == NULL)
		return;
	pop_frames(m, 0);
	free(m->frames);
	free(m->cand);
	buf_release(&m->line);
	buf_release(&m->hdr);
	buf_release(&m->out);
	mime_hdr_release(&m->leaf);
	mime_dec_close(m);
	free(m->subject);
	free(m);
}

int mime_feed(struct mime_parser *m, const char *p, size_t n)
{
	if (m->status != MIME_OK)
		return -1;
	if (m->finished)
		return mime_fail(m, MIME_MALFORMED, "input after the end of the message");
	run(m, p, n);
	return m->status == MIME_OK ? 0 : -1;
}

int mime_finish(struct mime_parser *m, struct mime_result *out)
{
	if (m->status == MIME_OK && !m->finished) {
		m->finished = true;
		end_lines(m);
		if (m->nframes > 0 && m->frames[m->nframes - 1].closed)
			pop_frames(m, m->nframes - 1);
		if (m->status == MIME_OK && m->nframes > 0)
			unclosed(m);
		else if (m->status == MIME_OK)
			end_entity(m, false);
	}
	m->finished = true;
	memset(out, 0, sizeof(*out));
	out->status = m->status;
	if (m->status != MIME_OK)
		snprintf(out->why, sizeof(out->why), "%s", m->why);
	out->parts = m->parts;
	out->max_depth = m->max_depth;
	out->decoded = m->delivered;
	out->subject = m->subject; /* the caller's now */
	m->subject = NULL;
	return m->status == MIME_OK ? 0 : -1;
}

void mime_result_release(struct mime_result *r)
{
	free(r->subject);
	r->subject = NULL;
}

size_t mime_held(const struct mime_parser *m)
{
	size_t n = sizeof(*m) + m->line.cap + m->hdr.cap + m->out.cap + m->candcap +
	           m->framecap * sizeof(*m->frames);

	for (size_t k = 0; k < m->nframes; k++)
		n += m->frames[k].blen;
	if (m->leaf.filename)
		n += strlen(m->leaf.filename);
	if (m->subject)
		n += strlen(m->subject);
	return n;
}
