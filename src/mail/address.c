/* address.c - RFC 5321/6531 mailbox and path grammar. */
#include "address.h"

#include <arpa/inet.h>
#include <strings.h>
#include <string.h>

#include "utf8.h"

/* atext of RFC 5322 3.2.3 */
static bool is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool is_letdig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * Scan a local part at p (at most n bytes). Returns its length, or 0 with *why
 * set. Stops at the '@'.
 */
static size_t scan_local(const char *p, size_t n, bool smtputf8, bool *utf8, enum reply syntax,
                         enum reply *why)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0;
	bool routing = false;

	if (n > 0 && u[0] == '"') {
		i = 1;
		for (;;) {
			if (i >= n) {
				*why = syntax;
				return 0;
			}
			unsigned char c = u[i];
			if (c == '"')
				break;
			if (c == '\\') {
				/* quoted-pairSMTP: backslash then %d32-126 */
				if (i + 1 >= n || u[i + 1] < 32 || u[i + 1] > 126) {
					*why = syntax;
					return 0;
				}
				if (u[i + 1] == '%' || u[i + 1] == '!')
					routing = true;
				i += 2;
				continue;
			}
			if (c >= 0x80) {
				size_t l = utf8_seq_len(u + i, n - i);
				if (l == 0) {
					*why = syntax;
					return 0;
				}
				if (!smtputf8) {
					*why = RPL_NEED_SMTPUTF8;
					return 0;
				}
				*utf8 = true;
				i += l;
				continue;
			}
			/* qtextSMTP: %d32-33 / %d35-91 / %d93-126 */
			if (c < 32 || c > 126) {
				*why = syntax;
				return 0;
			}
			if (c == '%' || c == '!')
				routing = true;
			i++;
		}
		i++; /* closing quote */
	} else {
		bool dot_ok = false; /* a dot may not start, end or double */
		while (i < n && u[i] != '@') {
			unsigned char c = u[i];
			if (c == '.') {
				if (!dot_ok) {
					*why = syntax;
					return 0;
				}
				dot_ok = false;
				i++;
				continue;
			}
			if (c >= 0x80) {
				size_t l = utf8_seq_len(u + i, n - i);
				if (l == 0) {
					*why = syntax;
					return 0;
				}
				if (!smtputf8) {
					*why = RPL_NEED_SMTPUTF8;
					return 0;
				}
				*utf8 = true;
				i += l;
				dot_ok = true;
				continue;
			}
			if (!is_atext(c)) {
				*why = syntax;
				return 0;
			}
			if (c == '%' || c == '!')
				routing = true;
			dot_ok = true;
			i++;
		}
		if (i == 0 || !dot_ok) {
			*why = syntax;
			return 0;
		}
	}
	if (i >= n || u[i] != '@') {
		*why = syntax;
		return 0;
	}
	if (routing) {
		*why = RPL_ADDR_FORM;
		return 0;
	}
	if (i > ADDR_LOCAL_MAX) {
		*why = syntax;
		return 0;
	}
	return i;
}

bool addr_is_domain(const char *s, size_t n, bool utf8)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t label = 0;

	if (n == 0 || n > ADDR_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		if (c == '.') {
			/* no empty label, no hyphen at a label's end */
			if (label == 0 || u[i - 1] == '-')
				return false;
			label = 0;
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t l = utf8 ? utf8_seq_len(u + i, n - i) : 0;
			if (l == 0)
				return false;
			i += l;
			label += l;
		} else if (is_letdig(c) || (c == '-' && label > 0)) {
			i++;
			label++;
		} else {
			return false;
		}
		if (label > 63)
			return false;
	}
	return label > 0 && u[n - 1] != '-';
}

static bool is_literal(const char *s, size_t n)
{
	char tmp[64];
	unsigned char bin[16];

	if (n < 3 || s[0] != '[' || s[n - 1] != ']' || n - 2 >= sizeof(tmp))
		return false;
	memcpy(tmp, s + 1, n - 2);
	tmp[n - 2] = '\0';
	if (strncasecmp(tmp, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, tmp + 5, bin) == 1;
	return inet_pton(AF_INET, tmp, bin) == 1;
}

static int parse_mailbox(const char *s, size_t n, bool smtputf8, struct mailaddr *out,
                         enum reply syntax, enum reply *why)
{
	bool utf8 = false;
	size_t llen;

	if (n > ADDR_MAX) {
		*why = syntax;
		return -1;
	}
	llen = scan_local(s, n, smtputf8, &utf8, syntax, why);
	if (llen == 0)
		return -1;
	const char *dom = s + llen + 1;
	size_t dlen = n - llen - 1;
	bool literal = dlen > 0 && dom[0] == '[';
	if (literal ? !is_literal(dom, dlen) : !addr_is_domain(dom, dlen, smtputf8)) {
		/* well-formed UTF-8 that only lacks SMTPUTF8 says so; anything else is syntax */
		*why = (!smtputf8 && !is_ascii(dom, dlen) && utf8_valid(dom, dlen) &&
		        addr_is_domain(dom, dlen, true))
		               ? RPL_NEED_SMTPUTF8
		               : syntax;
		return -1;
	}
	if (!is_ascii(dom, dlen))
		utf8 = true;
	memcpy(out->addr, s, n);
	out->addr[n] = '\0';
	out->local_len = llen;
	for (size_t i = 0; i < dlen; i++) {
		char c = dom[i];
		out->domain[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	out->domain[dlen] = '\0';
	out->utf8 = utf8;
	out->literal = literal;
	return 0;
}

int addr_parse_mailbox(const char *s, size_t n, bool smtputf8, struct mailaddr *out,
                       enum reply *why)
{
	memset(out, 0, sizeof(*out));
	if (memchr(s, '\0', n)) {
		*why = RPL_RCPT_SYNTAX;
		return -1;
	}
	return parse_mailbox(s, n, smtputf8, out, RPL_RCPT_SYNTAX, why);
}

int addr_parse_path(const char *s, enum addr_kind kind, bool smtputf8, struct mailaddr *out,
                    const char **end, enum reply *why)
{
	enum reply syntax = kind == ADDR_SENDER ? RPL_SENDER_SYNTAX : RPL_RCPT_SYNTAX;
	const char *close;
	bool in_quote = false;

	memset(out, 0, sizeof(*out));
	if (s[0] != '<') {
		*why = syntax;
		return -1;
	}
	/* find the closing '>' outside a quoted local part */
	for (close = s + 1; *close; close++) {
		if (in_quote && *close == '\\' && close[1] != '\0') {
			close++;
			continue;
		}
		if (*close == '"')
			in_quote = !in_quote;
		else if (*close == '>' && !in_quote)
			break;
	}
	if (*close != '>') {
		*why = syntax;
		return -1;
	}
	size_t n = (size_t)(close - s - 1);
	const char *p = s + 1;
	if (n == 0) {
		if (kind != ADDR_SENDER) {
			*why = syntax;
			return -1;
		}
		*end = close + 1;
		return 0;
	}
	if (p[0] == '@') {
		/* A-d-l ":" Mailbox: source routes are obsolete and a relay risk */
		*why = RPL_SOURCE_ROUTE;
		return -1;
	}
	if (parse_mailbox(p, n, smtputf8, out, syntax, why) < 0)
		return -1;
	*end = close + 1;
	return 0;
}
