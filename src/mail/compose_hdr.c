/*
 * compose_hdr.c - the header fields of a composed message (compose.h): the
 * checks on every piece of header text (compose_text_ok, compose_header_ok,
 * content types and ids, mailboxes), plain values folded before white space
 * near column 78, RFC 2047 B encoded words on lines of at most 76, display
 * names as atoms, quoted-strings or encoded words, and RFC 2231 parameters.
 *
 * Trust: the text comes from an API client. Header text goes out as plain
 * ASCII folded only before white space, a quoted-string, or encoded words,
 * so nothing a caller gives can end a field early or start a new one.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "compose_internal.h"
#include "strutil.h"
#include "utf8.h"

#define FOLD_AT  78 /* RFC 5322 2.1.1 SHOULD */
#define EW_LINE  76 /* a line holding an encoded word, RFC 2047 2 */
#define EW_OVER  12 /* "=?UTF-8?B?" and "?=" */
#define EW_BYTES 45 /* octets in one word: 60 base64 characters, a 72-character word */

static const char hexd[] = "0123456789ABCDEF";

static bool say(char *why, size_t whylen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static bool say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* atext of RFC 5322 3.2.3 */
static bool is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* token of RFC 2045 5.1: printable ASCII but space and tspecials */
static bool is_token_char(unsigned char c)
{
	return c > 32 && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static bool has_ew_start(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '=' && s[i + 1] == '?')
			return true;
	return false;
}

/* the code point of a well-formed sequence of l octets */
static uint32_t code_point(const unsigned char *p, size_t l)
{
	static const unsigned char lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t cp = p[0] & lead_mask[l];

	for (size_t i = 1; i < l; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

bool compose_text_ok(const char *s, size_t n, bool tab_ok, char *why, size_t whylen)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		if (c < 0x80) {
			if (c == '\r')
				return say(why, whylen, "contains a carriage return (CR)");
			if (c == '\n')
				return say(why, whylen, "contains a line feed (LF)");
			if (c == '\0')
				return say(why, whylen, "contains a NUL character");
			if (c == '\t' && !tab_ok)
				return say(why, whylen, "contains a tab");
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return say(why, whylen, "contains a control character (0x%02X)", c);
			i++;
			continue;
		}
		size_t l = utf8_seq_len(u + i, n - i);
		if (l == 0)
			return say(why, whylen, "is not valid UTF-8");
		uint32_t cp = code_point(u + i, l);
		if (cp == 0x85)
			return say(why, whylen, "contains U+0085 NEXT LINE (NEL)");
		if (cp < 0xa0)
			return say(why, whylen, "contains a C1 control character (U+%04X)",
			           (unsigned)cp);
		if (cp == 0x2028)
			return say(why, whylen, "contains U+2028 LINE SEPARATOR");
		if (cp == 0x2029)
			return say(why, whylen, "contains U+2029 PARAGRAPH SEPARATOR");
		i += l;
	}
	return true;
}

/* ---- header fields ---------------------------------------------------- */

/*
 * A header field being written: the output, the column on its last line,
 * whether that line holds an encoded word (then it may not pass column 76),
 * and the column just after the colon: a value never starts with a fold
 * there when it can be avoided (some readers keep that white space).
 */
struct hw {
	struct buf *b;
	size_t col;
	bool ew;
	size_t colon;
};

static void hw_field(struct hw *w, const char *name)
{
	buf_puts(w->b, name);
	buf_putc(w->b, ':');
	w->col = strlen(name) + 1;
	w->colon = w->col;
	w->ew = false;
}

static void hw_end(struct hw *w)
{
	buf_append(w->b, "\r\n", 2);
	w->col = 0;
	w->ew = false;
}

/* hw_fold - CRLF; the next token's space makes it a continuation line */
static void hw_fold(struct hw *w)
{
	buf_append(w->b, "\r\n", 2);
	w->col = 0;
	w->ew = false;
}

/*
 * hw_full - would n more characters (and a comma after them) pass the line's
 * limit, on a line that holds more than its leading space or the field name?
 */
static bool hw_full(const struct hw *w, size_t n)
{
	return w->col > 1 && w->col != w->colon && w->col + 1 + n + 1 > (w->ew ? EW_LINE : FOLD_AT);
}

/*
 * hw_token - one space (or a fold and a space) then an unbreakable token.
 * Folds when the token and a comma after it would pass column 78 (76 on a
 * line with an encoded word) and the line holds more than its leading
 * space. Callers bound tokens well below 998.
 */
static void hw_token(struct hw *w, const char *t, size_t n)
{
	if (hw_full(w, n))
		hw_fold(w);
	buf_putc(w->b, ' ');
	buf_append(w->b, t, n);
	w->col += 1 + n;
}

/*
 * hw_encoded - text (valid UTF-8) as RFC 2047 B encoded words of whole
 * characters (RFC 2047 5), each line holding words at most 76 characters.
 * The white space between adjacent words is dropped by decoders (RFC 2047
 * 6.2), so the words carry every space of the text themselves.
 */
static void hw_encoded(struct hw *w, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char b64[EW_BYTES / 3 * 4 + 1];
	size_t i = 0;

	while (i < n) {
		size_t room = w->col + 1 + EW_OVER < EW_LINE ? EW_LINE - (w->col + 1 + EW_OVER) : 0;
		size_t max = room / 4 * 3;
		size_t take = 0;
		if (max > EW_BYTES)
			max = EW_BYTES;
		while (i + take < n) {
			size_t l = utf8_seq_len(u + i + take, n - i - take);
			if (l == 0)
				l = 1; /* not reached: the text was checked */
			if (take + l > max)
				break;
			take += l;
		}
		if (take == 0) {
			/* no room left on this line: continue on the next */
			hw_fold(w);
			continue;
		}
		base64_encode(u + i, take, b64, sizeof(b64));
		buf_printf(w->b, " =?UTF-8?B?%s?=", b64);
		w->col += 1 + EW_OVER + strlen(b64);
		w->ew = true;
		i += take;
	}
}

/* a fold point of unstructured text: white space followed by non-white space */
static size_t next_fold(const char *v, size_t n, size_t from)
{
	for (size_t j = from + 1; j + 1 < n; j++)
		if (is_wsp(v[j]) && !is_wsp(v[j + 1]))
			return j;
	return n;
}

/*
 * plain_fits - whether an ASCII value can be written as it is after a field
 * name of name_len characters: no "=?" (a reader would decode it), and every
 * piece between fold points short enough for a line of 998 octets.
 */
static bool plain_fits(size_t name_len, const char *v, size_t n)
{
	if (!is_ascii(v, n) || has_ew_start(v, n))
		return false;
	for (size_t start = 0; start < n;) {
		size_t end = next_fold(v, n, start);
		size_t used = start == 0 ? name_len + 2 : 0;
		if (used + end - start > COMPOSE_LINE_MAX)
			return false;
		start = end;
	}
	return true;
}

/*
 * hw_unstructured - an unstructured value (RFC 5322 3.2.5) that passed
 * plain_fits, folded before white space: unfolding gives back the value.
 */
static void hw_unstructured(struct hw *w, const char *v, size_t n)
{
	if (n == 0)
		return;
	buf_putc(w->b, ' ');
	w->col++;
	for (size_t start = 0; start < n;) {
		size_t end = next_fold(v, n, start);
		if (start > 0 && w->col + end - start > FOLD_AT)
			hw_fold(w);
		buf_append(w->b, v + start, end - start);
		w->col += end - start;
		start = end;
	}
}

/* hw_text - an unstructured value, as it is when it can be, else encoded */
static void hw_text(struct hw *w, const char *name, const char *v)
{
	size_t n = strlen(v);

	hw_field(w, name);
	if (plain_fits(strlen(name), v, n))
		hw_unstructured(w, v, n);
	else
		hw_encoded(w, v, n);
	hw_end(w);
}

/* a display name of atoms separated by single spaces can be written as it is */
static bool is_atom_phrase(const char *s)
{
	bool prev_space = true;

	for (; *s; s++) {
		if (*s == ' ') {
			if (prev_space)
				return false;
			prev_space = true;
		} else if (is_atext((unsigned char)*s)) {
			prev_space = false;
		} else {
			return false;
		}
	}
	return !prev_space;
}

static void hw_name(struct hw *w, const char *name)
{
	size_t n = strlen(name);

	if (!is_ascii(name, n) || has_ew_start(name, n)) {
		hw_encoded(w, name, n);
	} else if (is_atom_phrase(name)) {
		for (const char *p = name; *p;) {
			size_t l = strcspn(p, " ");
			hw_token(w, p, l);
			p += l + (p[l] == ' ');
		}
	} else {
		/* a quoted-string: at most 2 * COMPOSE_NAME_MAX + 2 characters */
		struct buf q;
		buf_init(&q);
		buf_putc(&q, '"');
		for (const char *p = name; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(&q, '\\');
			buf_putc(&q, *p);
		}
		buf_putc(&q, '"');
		hw_token(w, q.data, q.len);
		buf_release(&q);
	}
}

/* check_addr - a mailbox compose can write: label names it in err */
static int check_addr(const struct compose_addr *a, const char *label, char *err, size_t errlen)
{
	const char *addr = a->a.addr;
	size_t n = strnlen(addr, sizeof(a->a.addr));
	const char *at = memchr(addr, '@', n);
	struct mailaddr chk;
	enum reply r;
	char why[128];

	if (n == 0 || n == sizeof(a->a.addr) || at == NULL)
		return compose_fail(err, errlen, "%s: the address is missing or malformed", label);
	if (!is_ascii(addr, (size_t)(at - addr)))
		return compose_fail(
		        err, errlen,
		        "%s: the address has a non-ASCII local part, which a 7-bit header "
		        "cannot hold",
		        label);
	if (!is_ascii(at, n - (size_t)(at - addr)))
		return compose_fail(
		        err, errlen,
		        "%s: internationalised domain names are not supported; give the "
		        "domain in its ASCII (xn--) form",
		        label);
	if (addr_parse_mailbox(addr, n, false, &chk, &r) != 0)
		return compose_fail(err, errlen, "%s: the address is not valid", label);
	if (a->name != NULL) {
		size_t nl = strlen(a->name);
		if (nl > COMPOSE_NAME_MAX)
			return compose_fail(err, errlen,
			                    "%s: the display name is longer than %d octets", label,
			                    COMPOSE_NAME_MAX);
		if (!compose_text_ok(a->name, nl, false, why, sizeof(why)))
			return compose_fail(err, errlen, "%s: the display name %s", label, why);
	}
	return 0;
}

/* hw_mailbox - "name <addr>" or "addr"; a plain name that fits goes with its address */
static void hw_mailbox(struct hw *w, const struct compose_addr *a)
{
	char tok[ADDR_MAX + 3];
	size_t n = a->name ? strlen(a->name) : 0;

	if (n == 0) {
		hw_token(w, a->a.addr, strlen(a->a.addr));
		return;
	}
	snprintf(tok, sizeof(tok), "<%s>", a->a.addr);
	if (is_ascii(a->name, n) && !has_ew_start(a->name, n) && hw_full(w, n + 3 + strlen(tok)))
		hw_fold(w);
	hw_name(w, a->name);
	hw_token(w, tok, strlen(tok));
}

static int check_list(const char *label, const struct compose_addr *v, size_t n, char *err,
                      size_t errlen)
{
	char lab[64];

	for (size_t i = 0; i < n; i++) {
		snprintf(lab, sizeof(lab), "%s[%zu]", label, i);
		if (check_addr(&v[i], lab, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* put_list - "Field: mailbox, mailbox...", nothing when n is 0 */
static void put_list(struct buf *b, const char *field, const struct compose_addr *v, size_t n)
{
	struct hw w = {b, 0, false, 0};

	if (n == 0)
		return;
	hw_field(&w, field);
	for (size_t i = 0; i < n; i++) {
		if (i > 0) {
			buf_putc(b, ',');
			w.col++;
		}
		hw_mailbox(&w, &v[i]);
	}
	hw_end(&w);
}

/* ---- compose_header_ok ---------------------------------------------- */

static bool dot_atom(const char *s, size_t n)
{
	bool dot_ok = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (!dot_ok)
				return false;
			dot_ok = false;
		} else if (is_atext((unsigned char)s[i])) {
			dot_ok = true;
		} else {
			return false;
		}
	}
	return dot_ok;
}

/* msg-id of RFC 5322 3.6.4, without the obsolete forms and domain literals */
static bool msg_id_ok(const char *v)
{
	size_t n = strlen(v);
	const char *at = memchr(v, '@', n);

	if (n < 5 || n > 250 || v[0] != '<' || v[n - 1] != '>' || at == NULL)
		return false;
	return dot_atom(v + 1, (size_t)(at - v - 1)) &&
	       dot_atom(at + 1, (size_t)(v + n - 1 - at - 1));
}

static bool owned_name(const char *name)
{
	static const char *const exact[] = {
	        "From",
	        "Sender",
	        "To",
	        "Cc",
	        "Bcc",
	        "Reply-To",
	        "Subject",
	        "Date",
	        "MIME-Version",
	        "Received",
	        "Received-SPF",
	        "Return-Path",
	        "DKIM-Signature",
	        "DomainKey-Signature",
	        "Authentication-Results",
	};
	static const char *const prefix[] = {
	        "Content-", "List-Unsubscribe", "X-Postern-", "Resent-", "ARC-",
	};

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (ascii_iequal(name, exact[i]))
			return true;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (ascii_iprefix(name, prefix[i]))
			return true;
	return false;
}

bool compose_header_ok(const char *name, const char *value, char *why, size_t whylen)
{
	size_t nn = strlen(name), vn = strlen(value);
	char tw[96];

	if (nn == 0)
		return say(why, whylen, "the field name is empty");
	if (nn > COMPOSE_FIELD_MAX)
		return say(why, whylen, "the field name is longer than %d characters",
		           COMPOSE_FIELD_MAX);
	for (size_t i = 0; i < nn; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 33 || c > 126 || c == ':')
			return say(why, whylen,
			           "the field name may hold only printable ASCII but ':' "
			           "(found 0x%02X)",
			           c);
	}
	if (owned_name(name))
		return say(why, whylen, "the field %s is set by Postern, not by the caller", name);
	if (vn == 0 || strspn(value, " \t") == vn)
		return say(why, whylen, "the value of %s is empty", name);
	if (vn > COMPOSE_VALUE_MAX)
		return say(why, whylen, "the value of %s is longer than %d octets", name,
		           COMPOSE_VALUE_MAX);
	if (!compose_text_ok(value, vn, true, tw, sizeof(tw)))
		return say(why, whylen, "the value of %s %s", name, tw);
	if (ascii_iequal(name, "Message-ID")) {
		if (!msg_id_ok(value))
			return say(why, whylen,
			           "Message-ID must be one <left@right> of dot-atom text, at most "
			           "250 characters");
		return true;
	}
	if (is_ascii(value, vn) && !has_ew_start(value, vn) && !plain_fits(nn, value, vn))
		return say(why, whylen,
		           "the value of %s has a word too long to fold within %d octets", name,
		           COMPOSE_LINE_MAX);
	return true;
}

bool compose_content_type_ok(const char *ct, char *why, size_t whylen)
{
	size_t n = strlen(ct);
	const char *slash = strchr(ct, '/');

	if (n > COMPOSE_CTYPE_MAX)
		return say(why, whylen, "is longer than %d characters", COMPOSE_CTYPE_MAX);
	if (slash == NULL || slash == ct || slash[1] == '\0')
		return say(why, whylen, "must be type/subtype");
	for (const char *p = ct; *p; p++)
		if (p != slash && !is_token_char((unsigned char)*p))
			return say(why, whylen,
			           "must be type/subtype of RFC 2045 tokens, without parameters");
	if (ascii_iprefix(ct, "multipart/") || ascii_iprefix(ct, "message/"))
		return say(why, whylen,
		           "may not be multipart/* or message/* (they cannot be base64-encoded)");
	return true;
}

bool compose_content_id_ok(const char *cid, char *why, size_t whylen)
{
	size_t n = strlen(cid);

	if (n == 0 || n > COMPOSE_CID_MAX)
		return say(why, whylen, "must be 1 to %d characters", COMPOSE_CID_MAX);
	for (size_t i = 0; i < n; i++)
		if (!is_atext((unsigned char)cid[i]) && cid[i] != '.' && cid[i] != '@')
			return say(why, whylen,
			           "may hold only letters, digits, '.', '@' and "
			           "!#$%%&'*+-/=?^_`{|}~ (no angle brackets)");
	return true;
}

/* ---- parameters ----------------------------------------------------- */

/* a file name that can go in a quoted-string as it is */
static bool plain_filename(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 32 || c > 126 || c == '"' || c == '\\')
			return false;
	}
	return !has_ew_start(s, n);
}

/*
 * compose_put_param - "; attr=value" on its own folded line: a
 * quoted-string when the value is plain, else RFC 2231 "attr*=utf-8''%XX..."
 * (no ASCII fallback: readers disagree on which of two parameters wins), cut
 * into continuations "attr*0*=", "attr*1*=" of at most 60 characters.
 */
void compose_put_param(struct buf *b, const char *attr, const char *v)
{
	static const char attr_char[] = "!#$&+-.^_`|~";
	struct buf enc;
	size_t part = 0;

	if (plain_filename(v)) {
		buf_printf(b, ";\r\n %s=\"%s\"", attr, v);
		return;
	}
	buf_init(&enc);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(attr_char, *p) != NULL)
			buf_putc(&enc, (char)*p);
		else
			buf_printf(&enc, "%%%c%c", hexd[*p >> 4], hexd[*p & 15]);
	}
	if (enc.len <= 60) {
		buf_printf(b, ";\r\n %s*=utf-8''%s", attr, enc.data);
		buf_release(&enc);
		return;
	}
	for (size_t i = 0; i < enc.len; part++) {
		size_t k = enc.len - i < 60 ? enc.len - i : 60;
		/* never cut a %XX triplet */
		if (i + k < enc.len && enc.data[i + k - 1] == '%')
			k -= 1;
		else if (i + k < enc.len && enc.data[i + k - 2] == '%')
			k -= 2;
		buf_printf(b, ";\r\n %s*%zu*=%s%.*s", attr, part, part == 0 ? "utf-8''" : "",
		           (int)k, enc.data + i);
		i += k;
	}
	buf_release(&enc);
}

/* ---- the message's fields --------------------------------------------- */

int compose_check_addrs(const struct compose_msg *m, char *err, size_t errlen)
{
	if (check_addr(&m->from, "from", err, errlen) < 0 ||
	    check_list("to", m->to, m->nto, err, errlen) < 0 ||
	    check_list("cc", m->cc, m->ncc, err, errlen) < 0 ||
	    check_list("reply_to", m->reply_to, m->nreply_to, err, errlen) < 0)
		return -1;
	return 0;
}

void compose_put_fields(const struct compose_msg *m, struct buf *out)
{
	struct hw w = {out, 0, false, 0};

	put_list(out, "From", &m->from, 1);
	put_list(out, "To", m->to, m->nto);
	put_list(out, "Cc", m->cc, m->ncc);
	put_list(out, "Reply-To", m->reply_to, m->nreply_to);
	if (m->subject != NULL)
		hw_text(&w, "Subject", m->subject);
	buf_puts(out, "MIME-Version: 1.0\r\n");
	for (size_t i = 0; i < m->nheaders; i++) {
		/* a msg-id is structured: written as it is (compose_header_ok checked it) */
		if (ascii_iequal(m->headers[i].name, "Message-ID"))
			buf_printf(out, "%s: %s\r\n", m->headers[i].name, m->headers[i].value);
		else
			hw_text(&w, m->headers[i].name, m->headers[i].value);
	}
}
