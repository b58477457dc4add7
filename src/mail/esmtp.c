/* esmtp.c - ESMTP parameter grammar. */
#include "esmtp.h"

#include <string.h>

#include "strutil.h"

#define KW_MAX    32
#define VALUE_MAX 512

struct param {
	char kw[KW_MAX + 1];
	char value[VALUE_MAX + 1];
	bool has_value;
};

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * Take the next "keyword[=value]" from *sp. Returns 1 with p filled, 0 at the
 * end, -1 on bad syntax. esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-");
 * esmtp-value = 1*(%d33-60 / %d62-126).
 */
static int next_param(const char **sp, struct param *p)
{
	const unsigned char *s = (const unsigned char *)*sp;
	size_t n = 0;

	if (*s == '\0')
		return 0;
	if (*s != ' ')
		return -1;
	while (*s == ' ')
		s++;
	if (*s == '\0')
		return 0;
	if (!is_alnum(*s))
		return -1;
	while (is_alnum(*s) || *s == '-') {
		if (n >= KW_MAX)
			return -1;
		p->kw[n++] = (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
		s++;
	}
	p->kw[n] = '\0';
	p->has_value = false;
	p->value[0] = '\0';
	if (*s == '=') {
		s++;
		n = 0;
		while (*s >= 33 && *s <= 126 && *s != '=') {
			if (n >= VALUE_MAX)
				return -1;
			p->value[n++] = (char)*s++;
		}
		if (n == 0)
			return -1;
		p->value[n] = '\0';
		p->has_value = true;
	}
	if (*s != '\0' && *s != ' ')
		return -1;
	*sp = (const char *)s;
	return 1;
}

/* atom = 1*atext (RFC 5322 3.2.3) */
static bool is_atom(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_alnum(c) && (c == 0 || strchr("!#$%&'*+-/=?^_`{|}~", c) == NULL))
			return false;
	}
	return true;
}

bool esmtp_xtext_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '+') {
			for (int k = 1; k <= 2; k++) {
				unsigned char h =
				        i + (size_t)k < n ? (unsigned char)s[i + (size_t)k] : 0;
				if (!((h >= '0' && h <= '9') || (h >= 'A' && h <= 'F')))
					return false;
			}
			i += 2;
			continue;
		}
		if (c < 33 || c > 126 || c == '=')
			return false;
	}
	return true;
}

/* seen - a bitmask of keywords already given, to refuse duplicates */
static int once(unsigned *seen, unsigned bit, enum reply *why)
{
	if (*seen & bit) {
		*why = RPL_PARAM_DUP;
		return -1;
	}
	*seen |= bit;
	return 0;
}

static int mail_param(const struct param *p, const struct esmtp_ext *ext, struct mail_params *out,
                      unsigned *seen, enum reply *why)
{
	*why = RPL_SYNTAX;
	if (strcmp(p->kw, "SIZE") == 0) {
		if (once(seen, 1, why) < 0)
			return -1;
		return p->has_value && parse_u64(p->value, UINT64_MAX, &out->size) == 0 ? 0 : -1;
	}
	if (strcmp(p->kw, "BODY") == 0) {
		if (once(seen, 2, why) < 0)
			return -1;
		if (!p->has_value)
			return -1;
		if (ascii_iequal(p->value, "7BIT")) {
			out->body = BODY_7BIT;
		} else if (ascii_iequal(p->value, "8BITMIME") && ext->eightbit) {
			out->body = BODY_8BITMIME;
		} else {
			*why = RPL_BODY_UNSUPP;
			return -1;
		}
		return 0;
	}
	if (strcmp(p->kw, "SMTPUTF8") == 0 && ext->smtputf8) {
		if (once(seen, 4, why) < 0)
			return -1;
		out->smtputf8 = true;
		return p->has_value ? -1 : 0;
	}
	if (strcmp(p->kw, "AUTH") == 0) {
		/* RFC 4954 5: accepted for syntax, never trusted */
		if (once(seen, 8, why) < 0)
			return -1;
		if (!p->has_value)
			return -1;
		return strcmp(p->value, "<>") == 0 || esmtp_xtext_valid(p->value, strlen(p->value))
		               ? 0
		               : -1;
	}
	if (strcmp(p->kw, "RET") == 0 && ext->dsn) {
		if (once(seen, 16, why) < 0)
			return -1;
		if (p->has_value && ascii_iequal(p->value, "FULL"))
			out->ret = DSN_RET_FULL;
		else if (p->has_value && ascii_iequal(p->value, "HDRS"))
			out->ret = DSN_RET_HDRS;
		else
			return -1;
		return 0;
	}
	if (strcmp(p->kw, "ENVID") == 0 && ext->dsn) {
		if (once(seen, 32, why) < 0)
			return -1;
		size_t n = strlen(p->value);
		if (!p->has_value || n > ESMTP_ENVID_MAX || !esmtp_xtext_valid(p->value, n))
			return -1;
		memcpy(out->envid, p->value, n + 1);
		return 0;
	}
	*why = RPL_PARAM_UNKNOWN;
	return -1;
}

int esmtp_mail_params(const char *s, const struct esmtp_ext *ext, struct mail_params *out,
                      enum reply *why)
{
	struct param p;
	unsigned seen = 0;
	int r;

	memset(out, 0, sizeof(*out));
	while ((r = next_param(&s, &p)) > 0)
		if (mail_param(&p, ext, out, &seen, why) < 0)
			return -1;
	if (r < 0) {
		*why = RPL_SYNTAX;
		return -1;
	}
	return 0;
}

static int parse_notify(const char *v, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bit;
	} words[] = {{"NEVER", DSN_NOTIFY_NEVER},
	             {"SUCCESS", DSN_NOTIFY_SUCCESS},
	             {"FAILURE", DSN_NOTIFY_FAILURE},
	             {"DELAY", DSN_NOTIFY_DELAY}};
	unsigned bits = 0;

	while (*v) {
		const char *comma = strchr(v, ',');
		size_t n = comma ? (size_t)(comma - v) : strlen(v);
		unsigned bit = 0;
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].name) == n && ascii_niequal(v, words[i].name, n))
				bit = words[i].bit;
		if (bit == 0 || (bits & bit))
			return -1;
		bits |= bit;
		v += n;
		if (comma) {
			v++;
			if (*v == '\0')
				return -1;
		}
	}
	/* NEVER stands alone (RFC 3461 4.1) */
	if (bits == 0 || ((bits & DSN_NOTIFY_NEVER) && bits != DSN_NOTIFY_NEVER))
		return -1;
	*out = bits;
	return 0;
}

int esmtp_rcpt_params(const char *s, const struct esmtp_ext *ext, struct rcpt_params *out,
                      enum reply *why)
{
	struct param p;
	unsigned seen = 0;
	int r;

	memset(out, 0, sizeof(*out));
	while ((r = next_param(&s, &p)) > 0) {
		*why = RPL_SYNTAX;
		if (strcmp(p.kw, "NOTIFY") == 0 && ext->dsn) {
			if (once(&seen, 1, why) < 0)
				return -1;
			if (!p.has_value || parse_notify(p.value, &out->notify) < 0)
				return -1;
		} else if (strcmp(p.kw, "ORCPT") == 0 && ext->dsn) {
			if (once(&seen, 2, why) < 0)
				return -1;
			const char *semi = strchr(p.value, ';');
			size_t n = strlen(p.value);
			/* addr-type ";" xtext, addr-type an atom (RFC 3461 4.2) */
			if (!p.has_value || semi == NULL || n > ESMTP_ORCPT_MAX ||
			    !is_atom(p.value, (size_t)(semi - p.value)) ||
			    !esmtp_xtext_valid(semi + 1, strlen(semi + 1)) || semi[1] == '\0')
				return -1;
			memcpy(out->orcpt, p.value, n + 1);
		} else {
			*why = RPL_PARAM_UNKNOWN;
			return -1;
		}
	}
	if (r < 0) {
		*why = RPL_SYNTAX;
		return -1;
	}
	return 0;
}
