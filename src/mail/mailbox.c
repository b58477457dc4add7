/*
 * mailbox.c - the header From: field read strictly: one mailbox, and no
 * '@' or angle bracket outside the addr-spec, wherever it hides (display
 * name, quoted string, comment, RFC 2047 encoded word). Reads a client's
 * message header; writes only the caller's struct mailaddr and reason.
 *
 * Two passes over the value: a pre-scan that classifies the top level
 * (groups, lists, where the angle-addr starts), then a recursive-descent
 * parse that checks every octet. Encoded words are decoded by a streaming
 * state machine (struct ew). What a word decodes to is checked as the
 * characters a reader will show: UTF-8 and US-ASCII octet by octet as they
 * come; any other charset (where '@' may be a trail octet of another
 * character, or a look-alike '@' has no UTF-8 form) is converted to UTF-8
 * with iconv when the word ends, and the result is checked. A charset iconv
 * does not know is refused.
 */
#include "mailbox.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "strutil.h"
#include "utf8.h"

#define VALUE_MAX         2048 /* twice the 998-octet line: no real From: comes near */
#define COMMENT_DEPTH_MAX 8
#define CHARSET_MAX       40 /* RFC 2978 2.3 */

#define WHERE_NAME    "the display name"
#define WHERE_COMMENT "a comment"

enum ew_state { EW_NONE, EW_EQ, EW_CHARSET, EW_ENC, EW_ENC_END, EW_TEXT, EW_CLOSE };

/*
 * a stream of text a reader shows (the display name with quotes, escapes and
 * comments taken out; or one comment) and the RFC 2047 encoded word being
 * decoded in it, one octet at a time
 */
struct ew {
	enum ew_state st;
	char enc;                      /* 'b' or 'q' */
	char cs[CHARSET_MAX + 1];      /* the charset, lower-cased letters and digits only */
	char csraw[CHARSET_MAX + 1];   /* the charset as written, for iconv (no language) */
	size_t cslen;                  /* octets of the charset as written */
	bool cslang;                   /* RFC 2231 "*language" after the charset */
	bool convert;                  /* not UTF-8 or US-ASCII: checked after iconv */
	unsigned char text[VALUE_MAX]; /* convert: the word's octets, decoded */
	size_t ntext;
	char grp[4];          /* B: the quantum being collected */
	size_t ngrp;          /* B: octets in grp */
	bool padded;          /* B: a quantum ended in '=': nothing may follow */
	int qhex;             /* Q: hex digits still due after '=' */
	unsigned char qval;   /* Q: their value so far */
	unsigned char win[3]; /* the last decoded octets: a reader joins adjacent words */
};

struct cur {
	const char *s;
	size_t n;
	size_t i;
	bool utf8;
	struct ew name; /* the display name */
	struct ew cmt;  /* the comment being read */
	char *why;
	size_t whylen;
};

static int fail(struct cur *c, const char *reason)
{
	snprintf(c->why, c->whylen, "%s", reason);
	return -1;
}

static int failw(struct cur *c, const char *what, const char *where)
{
	snprintf(c->why, c->whylen, "%s in %s", what, where);
	return -1;
}

/* atext of RFC 5322 3.2.3, and UTF8-non-ascii of RFC 6532 (already validated) */
static bool atext(unsigned char o)
{
	if ((o >= 'a' && o <= 'z') || (o >= 'A' && o <= 'Z') || (o >= '0' && o <= '9') || o >= 0x80)
		return true;
	return o != 0 && strchr("!#$%&'*+-/=?^_`{|}~", o) != NULL;
}

static bool wsp(unsigned char o)
{
	return o == ' ' || o == '\t';
}

/*
 * sneaky - a reason if the UTF-8 sequence p (l octets, well-formed) is a
 * character that lets a reader show another address than the real one: a
 * look-alike '@', or a control that reorders, breaks or hides text.
 */
static const char *sneaky(const unsigned char *p, size_t l)
{
	uint32_t cp;

	if (l == 2)
		cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	else if (l == 3)
		cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	else
		return NULL;
	if (cp == 0xff20 || cp == 0xfe6b)
		return "look-alike '@' (U+FF20 or U+FE6B)";
	if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return "Unicode control character (C1, bidi or line separator)";
	return NULL;
}

/*
 * precheck - octets allowed anywhere in the value: no NUL, CR only in
 * CRLF+WSP folding, no other control, 8-bit only as valid UTF-8 with utf8.
 */
static int precheck(struct cur *c)
{
	const unsigned char *u = (const unsigned char *)c->s;
	size_t n = c->n;

	if (n > VALUE_MAX)
		return fail(c, "From: value over 2048 octets");
	for (size_t i = 0; i < n;) {
		unsigned char o = u[i];
		if (o == '\0')
			return fail(c, "NUL");
		if (o == '\r') {
			if (i + 2 >= n || u[i + 1] != '\n' || !wsp(u[i + 2]))
				return fail(c, "bare CR or LF");
			i += 3;
			continue;
		}
		if (o == '\n')
			return fail(c, "bare CR or LF");
		if ((o < 0x20 && o != '\t') || o == 0x7f)
			return fail(c, "control character");
		if (o < 0x80) {
			i++;
			continue;
		}
		if (!c->utf8)
			return fail(c, "non-ASCII without SMTPUTF8");
		size_t l = utf8_seq_len(u + i, n - i);
		if (l == 0)
			return fail(c, "invalid UTF-8");
		const char *r = sneaky(u + i, l);
		if (r)
			return fail(c, r);
		i += l;
	}
	return 0;
}

/*
 * prescan - refuse groups and lists, and find the first '<' outside quoted
 * strings and comments (*lt, or n if none): it separates a display name from
 * the angle-addr. Unterminated quotes or comments are left to the parser.
 */
static int prescan(struct cur *c, size_t *lt)
{
	int depth = 0, angle = 0;
	bool quoted = false;

	*lt = c->n;
	for (size_t i = 0; i < c->n; i++) {
		char o = c->s[i];
		if (quoted || depth > 0) {
			if (o == '\\')
				i++;
			else if (quoted && o == '"')
				quoted = false;
			else if (!quoted && o == '(')
				depth++;
			else if (!quoted && o == ')')
				depth--;
			continue;
		}
		if (o == '"') {
			quoted = true;
		} else if (o == '(') {
			depth = 1;
		} else if (o == '<') {
			if (angle++ == 0 && *lt == c->n)
				*lt = i;
		} else if (o == '>') {
			if (angle > 0)
				angle--;
		} else if ((o == ':' || o == ';') && angle == 0) {
			return fail(c, "a group, not a mailbox");
		} else if (o == ',' && angle == 0) {
			return fail(c, "more than one mailbox");
		}
	}
	return 0;
}

/* shown - one octet (UTF-8) of what a reader will show of an encoded word */
static int shown(struct cur *c, struct ew *w, unsigned char o)
{
	const char *r = NULL;

	if (o == '@')
		return fail(c, "'@' in an encoded word");
	if (o == '<' || o == '>')
		return fail(c, "angle bracket in an encoded word");
	if (o < 0x20 || o == 0x7f)
		return fail(c, "control character in an encoded word");
	w->win[0] = w->win[1];
	w->win[1] = w->win[2];
	w->win[2] = o;
	/* a reader that decodes twice would find a word in this one */
	if (w->win[1] == '=' && o == '?')
		return fail(c, "encoded word inside an encoded word");
	if (utf8_seq_len(w->win + 1, 2) == 2)
		r = sneaky(w->win + 1, 2);
	if (r == NULL && utf8_seq_len(w->win, 3) == 3)
		r = sneaky(w->win, 3);
	return r ? fail(c, r) : 0;
}

/* decoded - one octet an encoded word decodes to, in the word's charset */
static int decoded(struct cur *c, struct ew *w, unsigned char o)
{
	if (!w->convert)
		return shown(c, w, o);
	if (w->ntext == sizeof(w->text)) /* cannot happen: decoding never grows the text */
		return fail(c, "over-long encoded word");
	w->text[w->ntext++] = o;
	return 0;
}

/* ew_convert - the word is complete: its text in UTF-8, checked as shown */
static int ew_convert(struct cur *c, struct ew *w)
{
	iconv_t cd = iconv_open("UTF-8", w->csraw);
	char *in = (char *)w->text, out[256];
	size_t inleft = w->ntext;
	int r = 0;

	if (cd == (iconv_t)-1)
		return fail(c, "encoded word in an unknown charset");
	while (r == 0) {
		char *o = out;
		size_t oleft = sizeof(out);
		size_t k = inleft > 0 ? iconv(cd, &in, &inleft, &o, &oleft)
		                      : iconv(cd, NULL, NULL, &o, &oleft); /* shift back */
		bool more = k == (size_t)-1 && errno == E2BIG;
		if (k == (size_t)-1 && !more)
			r = fail(c, "encoded word that does not decode in its charset");
		for (char *p = out; r == 0 && p < o; p++)
			r = shown(c, w, (unsigned char)*p);
		if (!more && inleft == 0 && k != (size_t)-1 && o == out)
			break;
	}
	iconv_close(cd);
	return r;
}

static bool b64char(unsigned char o)
{
	return (o >= 'a' && o <= 'z') || (o >= 'A' && o <= 'Z') || (o >= '0' && o <= '9') ||
	       o == '+' || o == '/';
}

/* ew_b - one octet of B text: strict base64, padded, '=' only at the very end */
static int ew_b(struct cur *c, struct ew *w, unsigned char o)
{
	unsigned char out[3];
	size_t len;

	if (w->padded || (!b64char(o) && o != '='))
		return fail(c, "bad base64 in an encoded word");
	w->grp[w->ngrp++] = (char)o;
	if (w->ngrp < sizeof(w->grp))
		return 0;
	w->ngrp = 0;
	if (base64_decode(w->grp, sizeof(w->grp), out, sizeof(out), &len) < 0)
		return fail(c, "bad base64 in an encoded word");
	w->padded = w->grp[3] == '=';
	for (size_t k = 0; k < len; k++)
		if (decoded(c, w, out[k]) < 0)
			return -1;
	return 0;
}

static int hexval(unsigned char o)
{
	if (o >= '0' && o <= '9')
		return o - '0';
	if (o >= 'A' && o <= 'F')
		return o - 'A' + 10;
	if (o >= 'a' && o <= 'f') /* RFC 2047 says upper case; readers take both */
		return o - 'a' + 10;
	return -1;
}

/* ew_q - one octet of Q text (RFC 2047 4.2) */
static int ew_q(struct cur *c, struct ew *w, unsigned char o)
{
	if (w->qhex > 0) {
		int v = hexval(o);
		if (v < 0)
			return fail(c, "bad hex escape in an encoded word");
		w->qval = (unsigned char)(w->qval << 4 | v);
		return --w->qhex > 0 ? 0 : decoded(c, w, w->qval);
	}
	if (o == '=') {
		w->qhex = 2;
		w->qval = 0;
		return 0;
	}
	if (o == '_')
		return decoded(c, w, ' ');
	if (o <= 0x20 || o >= 0x7f)
		return fail(c, "malformed encoded word");
	return decoded(c, w, o);
}

/* ew_charset - the charset is done: refuse one that can spell '@' without 0x40 */
static int ew_charset(struct cur *c, struct ew *w)
{
	if (w->cslen == 0)
		return fail(c, "encoded word without a charset");
	if (w->cslen > CHARSET_MAX)
		return fail(c, "encoded word with an over-long charset");
	/* UTF-7 writes '@' as "+AEA-": a reader decoding it would see what we cannot */
	if (strstr(w->cs, "utf7") != NULL)
		return fail(c, "UTF-7 encoded word");
	/* no byte order mark in a word that short: readers guess the order differently */
	if (strncmp(w->cs, "utf16", 5) == 0 || strncmp(w->cs, "utf32", 5) == 0 ||
	    strncmp(w->cs, "ucs", 3) == 0 || strncmp(w->cs, "unicode", 7) == 0)
		return fail(c, "UTF-16 or UTF-32 encoded word");
	w->convert = strcmp(w->cs, "utf8") != 0 && strcmp(w->cs, "usascii") != 0 &&
	             strcmp(w->cs, "ascii") != 0;
	w->ntext = 0;
	w->st = EW_ENC;
	return 0;
}

/*
 * ew_feed - one octet of display-name or comment text (after unescaping):
 * every "=?" starts an encoded word that must be complete, B or Q, and
 * decodable (a lenient reader might decode what we would have skipped).
 */
static int ew_feed(struct cur *c, struct ew *w, unsigned char o)
{
	switch (w->st) {
	case EW_NONE:
		if (o == '=')
			w->st = EW_EQ;
		else if (!wsp(o)) /* a reader joins words separated by white space only */
			memset(w->win, 0, sizeof(w->win));
		return 0;
	case EW_EQ:
		if (o == '?') {
			w->st = EW_CHARSET;
			memset(w->cs, 0, sizeof(w->cs));
			memset(w->csraw, 0, sizeof(w->csraw));
			w->cslang = false;
			w->cslen = w->ngrp = 0;
			w->padded = false;
			w->qhex = 0;
		} else if (o != '=') {
			w->st = EW_NONE;
			memset(w->win, 0, sizeof(w->win));
		}
		return 0;
	case EW_CHARSET:
		if (o == '?')
			return ew_charset(c, w);
		if (o <= 0x20 || o >= 0x7f)
			return fail(c, "malformed encoded word");
		w->cslang = w->cslang || o == '*';
		if (((o >= 'a' && o <= 'z') || (o >= 'A' && o <= 'Z') || (o >= '0' && o <= '9')) &&
		    !w->cslang && strlen(w->cs) < CHARSET_MAX)
			w->cs[strlen(w->cs)] = ascii_lower((char)o);
		if (!w->cslang && w->cslen < CHARSET_MAX)
			w->csraw[w->cslen] = (char)o;
		w->cslen++;
		return 0;
	case EW_ENC:
		w->enc = ascii_lower((char)o);
		if (w->enc != 'b' && w->enc != 'q')
			return fail(c, "unknown encoding in an encoded word");
		w->st = EW_ENC_END;
		return 0;
	case EW_ENC_END:
		if (o != '?')
			return fail(c, "unknown encoding in an encoded word");
		w->st = EW_TEXT;
		return 0;
	case EW_TEXT:
		if (o != '?')
			return w->enc == 'b' ? ew_b(c, w, o) : ew_q(c, w, o);
		if (w->ngrp != 0)
			return fail(c, "bad base64 in an encoded word");
		if (w->qhex != 0)
			return fail(c, "bad hex escape in an encoded word");
		w->st = EW_CLOSE;
		return w->convert ? ew_convert(c, w) : 0;
	case EW_CLOSE:
		if (o != '=')
			return fail(c, "malformed encoded word");
		w->st = EW_NONE;
		return 0;
	}
	return 0;
}

/*
 * ew_split - a quote or comment boundary in the display name: refused inside
 * an encoded word, where readers disagree (one joins the pieces, one shows
 * the quotes or the comment as part of the word's text).
 */
static int ew_split(struct cur *c, struct ew *w)
{
	if (w && w->st != EW_NONE && w->st != EW_EQ)
		return fail(c, "encoded word split by a quote or comment");
	return 0;
}

/* ew_end - a stream of text ends: no word may be left open */
static int ew_end(struct cur *c, struct ew *w)
{
	enum ew_state st = w->st;

	memset(w, 0, sizeof(*w));
	if (st != EW_NONE && st != EW_EQ)
		return fail(c, "unterminated encoded word");
	return 0;
}

/* text - one octet of display-name or comment text, as a reader will show it */
static int text(struct cur *c, struct ew *w, unsigned char o, const char *where)
{
	if (o == '@')
		return failw(c, "'@'", where);
	if (o == '<' || o == '>')
		return failw(c, "angle bracket", where);
	return ew_feed(c, w, o);
}

/*
 * comment - at '(': the comment and those nested in it, up to the matching
 * ')', read as one stream of text (inner parentheses included).
 */
static int comment(struct cur *c)
{
	int depth = 0;

	do {
		if (c->i >= c->n)
			return fail(c, "unterminated comment");
		unsigned char o = (unsigned char)c->s[c->i];
		if (o == '(' || o == ')') {
			depth += o == '(' ? 1 : -1;
			if (depth > COMMENT_DEPTH_MAX)
				return fail(c, "comments nested deeper than 8");
			if (depth > (o == '(' ? 1 : 0) && ew_feed(c, &c->cmt, o) < 0)
				return -1;
			c->i++;
			continue;
		}
		if (o == '\r') { /* folding: precheck saw LF and WSP follow */
			c->i += 2;
			continue;
		}
		if (o == '\\') {
			if (c->i + 1 >= c->n)
				return fail(c, "unterminated comment");
			o = (unsigned char)c->s[++c->i];
			if (o == '\r')
				return fail(c, "quoted-pair of CR");
		}
		if (text(c, &c->cmt, o, WHERE_COMMENT) < 0)
			return -1;
		c->i++;
	} while (depth > 0);
	return ew_end(c, &c->cmt);
}

/*
 * cfws - skip white space, folding and comments (checking the comments);
 * in a display name (w not NULL) the white space is part of its text.
 */
static int cfws(struct cur *c, struct ew *w)
{
	while (c->i < c->n) {
		unsigned char o = (unsigned char)c->s[c->i];
		if (wsp(o)) {
			if (w && ew_feed(c, w, o) < 0)
				return -1;
			c->i++;
		} else if (o == '\r') {
			c->i += 2;
		} else if (o == '(') {
			if (ew_split(c, w) < 0 || comment(c) < 0)
				return -1;
		} else {
			break;
		}
	}
	return 0;
}

/* qname - at '"': a quoted string in the display name */
static int qname(struct cur *c)
{
	if (ew_split(c, &c->name) < 0)
		return -1;
	c->i++;
	for (;;) {
		if (c->i >= c->n)
			return fail(c, "unterminated quoted string");
		unsigned char o = (unsigned char)c->s[c->i];
		if (o == '"')
			break;
		if (o == '\r') {
			c->i += 2;
			continue;
		}
		if (o == '\\') {
			if (c->i + 1 >= c->n)
				return fail(c, "unterminated quoted string");
			o = (unsigned char)c->s[++c->i];
			if (o == '\r')
				return fail(c, "quoted-pair of CR");
		}
		if (text(c, &c->name, o, WHERE_NAME) < 0)
			return -1;
		c->i++;
	}
	c->i++;
	return ew_split(c, &c->name);
}

/*
 * phrase - the display name, up to end (the '<'): words (atoms, quoted
 * strings) and, as obs-phrase allows ("John Q. Public"), dots after the
 * first word. It may be empty (just CFWS before the '<'). Its text is one
 * stream for encoded words: a reader that unquotes and joins adjacent words
 * ("="?utf-8?q?=40?=) must not find a word we did not decode.
 */
static int phrase(struct cur *c, size_t end)
{
	bool words = false;

	for (;;) {
		if (cfws(c, &c->name) < 0)
			return -1;
		if (c->i >= end)
			return ew_end(c, &c->name);
		unsigned char o = (unsigned char)c->s[c->i];
		if (o == '"') {
			if (qname(c) < 0)
				return -1;
		} else if (o == '.' && words) {
			if (text(c, &c->name, o, WHERE_NAME) < 0)
				return -1;
			c->i++;
		} else if (atext(o)) {
			for (; c->i < end && atext((unsigned char)c->s[c->i]); c->i++)
				if (text(c, &c->name, (unsigned char)c->s[c->i], WHERE_NAME) < 0)
					return -1;
		} else if (o == '@') {
			return failw(c, "'@'", WHERE_NAME);
		} else if (o == '>') {
			return failw(c, "angle bracket", WHERE_NAME);
		} else if (o == ')') {
			return fail(c, "unbalanced ')'");
		} else {
			return failw(c, "invalid character", WHERE_NAME);
		}
		words = true;
	}
}

/* dotatom - is s (n octets) a dot-atom-text: atoms joined by single dots? */
static bool dotatom(const char *s, size_t n)
{
	bool ok = false; /* a dot may not start, end or double */

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (!ok)
				return false;
			ok = false;
		} else if (atext((unsigned char)s[i])) {
			ok = true;
		} else {
			return false;
		}
	}
	return ok;
}

static bool has_ew(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '=' && s[i + 1] == '?')
			return true;
	return false;
}

/*
 * qlocal - at '"': a quoted local part, its content (unescaped) into buf
 * (ADDR_LOCAL_MAX + 1 octets), *len set. No '@', white space or control.
 */
static int qlocal(struct cur *c, char *buf, size_t *len)
{
	size_t k = 0;

	c->i++;
	for (;;) {
		if (c->i >= c->n)
			return fail(c, "unterminated quoted string");
		unsigned char o = (unsigned char)c->s[c->i];
		if (o == '"')
			break;
		if (o == '\\') {
			if (c->i + 1 >= c->n)
				return fail(c, "unterminated quoted string");
			o = (unsigned char)c->s[++c->i];
		}
		if (o == '@')
			return fail(c, "'@' in the quoted local part");
		if (wsp(o) || o == '\r')
			return fail(c, "white space in the quoted local part");
		if (k >= ADDR_LOCAL_MAX)
			return fail(c, "local part over 64 octets");
		buf[k++] = (char)o;
		c->i++;
	}
	c->i++;
	*len = k;
	return 0;
}

/*
 * local - the local part, written to buf as it will be sent: a dot-atom as
 * is; a quoted string without its quotes if it is a dot-atom, else quoted
 * again with '"' and '\' escaped. *len set.
 */
static int local(struct cur *c, char *buf, size_t *len)
{
	char q[ADDR_LOCAL_MAX + 1];
	size_t k = 0, qn;

	if (c->i >= c->n || c->s[c->i] == '>')
		return fail(c, "missing address");
	if (c->s[c->i] == '@')
		return fail(c, "empty local part");
	if (c->s[c->i] != '"') {
		while (c->i < c->n && (c->s[c->i] == '.' || atext((unsigned char)c->s[c->i]))) {
			if (k >= ADDR_LOCAL_MAX)
				return fail(c, "local part over 64 octets");
			buf[k++] = c->s[c->i++];
		}
		if (k == 0)
			return fail(c, "invalid character in the local part");
		if (!dotatom(buf, k))
			return fail(c, "invalid local part");
		if (has_ew(buf, k))
			return fail(c, "encoded word in the address");
		*len = k;
		return 0;
	}
	if (qlocal(c, q, &qn) < 0)
		return -1;
	if (qn == 0)
		return fail(c, "empty local part");
	if (has_ew(q, qn))
		return fail(c, "encoded word in the address");
	if (dotatom(q, qn)) {
		memcpy(buf, q, qn);
		*len = qn;
		return 0;
	}
	buf[k++] = '"';
	for (size_t j = 0; j < qn; j++) {
		bool esc = q[j] == '"' || q[j] == '\\';
		if (k + (esc ? 2 : 1) + 1 > ADDR_LOCAL_MAX) /* and room for the closing quote */
			return fail(c, "local part over 64 octets");
		if (esc)
			buf[k++] = '\\';
		buf[k++] = q[j];
	}
	buf[k++] = '"';
	*len = k;
	return 0;
}

/* domain - a dot-atom domain, lower-cased into buf (ADDR_DOMAIN_MAX octets); *len set */
static int domain(struct cur *c, char *buf, size_t *len)
{
	size_t k = 0;

	if (c->i < c->n && c->s[c->i] == '[')
		return fail(c, "domain literal");
	while (c->i < c->n && (c->s[c->i] == '.' || atext((unsigned char)c->s[c->i]))) {
		if (k >= ADDR_DOMAIN_MAX)
			return fail(c, "domain over 255 octets");
		buf[k++] = ascii_lower(c->s[c->i++]);
	}
	if (k == 0)
		return fail(c, c->i >= c->n || c->s[c->i] == '>' ? "missing domain"
		                                                 : "invalid domain");
	if (has_ew(buf, k))
		return fail(c, "encoded word in the address");
	if (!addr_is_domain(buf, k, c->utf8))
		return fail(c, "invalid domain");
	*len = k;
	return 0;
}

/*
 * addrspec - [CFWS] local-part [CFWS] "@" [CFWS] domain [CFWS], written
 * "local@domain" to buf (ADDR_LOCAL_MAX + 1 + ADDR_DOMAIN_MAX octets), *len set.
 */
static int addrspec(struct cur *c, char *buf, size_t *len)
{
	size_t ll, dl;

	if (cfws(c, NULL) < 0 || local(c, buf, &ll) < 0 || cfws(c, NULL) < 0)
		return -1;
	if (c->i >= c->n || c->s[c->i] == '>')
		return fail(c, "missing '@' and domain");
	if (c->s[c->i] != '@')
		return fail(c, "invalid character in the local part");
	c->i++;
	buf[ll] = '@';
	if (cfws(c, NULL) < 0 || domain(c, buf + ll + 1, &dl) < 0 || cfws(c, NULL) < 0)
		return -1;
	*len = ll + 1 + dl;
	return 0;
}

/* angle - at '<': the angle-addr */
static int angle(struct cur *c, char *buf, size_t *len)
{
	c->i++;
	if (cfws(c, NULL) < 0)
		return -1;
	if (c->i < c->n && c->s[c->i] == '@')
		return fail(c, "obsolete route");
	if (c->i < c->n && c->s[c->i] == '>')
		return fail(c, "empty address <>");
	if (addrspec(c, buf, len) < 0)
		return -1;
	if (c->i >= c->n)
		return fail(c, "missing '>'");
	if (c->s[c->i] != '>')
		return fail(c, "invalid character in the address");
	c->i++;
	return 0;
}

int mbox_parse_from(const char *value, size_t n, bool utf8, struct mailaddr *out, char *why,
                    size_t whylen)
{
	struct cur c = {.s = value, .n = n, .utf8 = utf8, .why = why, .whylen = whylen};
	char buf[ADDR_LOCAL_MAX + 1 + ADDR_DOMAIN_MAX];
	size_t len, lt;
	enum reply r;

	memset(out, 0, sizeof(*out));
	if (why && whylen > 0)
		why[0] = '\0';
	if (precheck(&c) < 0 || prescan(&c, &lt) < 0 || cfws(&c, NULL) < 0)
		return -1;
	if (c.i >= n)
		return fail(&c, "empty From: value");
	if (lt < n) {
		if (phrase(&c, lt) < 0 || angle(&c, buf, &len) < 0 || cfws(&c, NULL) < 0)
			return -1;
	} else if (addrspec(&c, buf, &len) < 0) {
		return -1;
	}
	if (c.i < n)
		return fail(&c,
		            value[c.i] == '<' ? "more than one mailbox" : "text after the address");
	if (len > ADDR_MAX)
		return fail(&c, "address over 254 octets");
	/* the SMTP rules have the last word, so both doors agree on what an address is */
	if (addr_parse_mailbox(buf, len, utf8, out, &r) < 0)
		return fail(&c, r == RPL_ADDR_FORM ? "'%' or '!' routing in the local part"
		                                   : "invalid address");
	return 0;
}
