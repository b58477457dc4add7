/* smtp_reply.c - client-side reply parsing and EHLO capabilities. */
#include "smtp_reply.h"

#include <stdio.h>
#include <string.h>

#include "strutil.h"

void smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
}

static bool is_enh(const char *p, size_t n, size_t *elen)
{
	/* class "." subject "." detail: 2-5 . 1-3 digits . 1-3 digits */
	size_t i = 0, parts = 0;

	if (n == 0 || p[0] < '2' || p[0] > '5')
		return false;
	while (parts < 3) {
		size_t d = 0;
		while (i < n && p[i] >= '0' && p[i] <= '9' && d < 3) {
			i++;
			d++;
		}
		if (d == 0)
			return false;
		parts++;
		if (parts < 3) {
			if (i >= n || p[i] != '.')
				return false;
			i++;
		}
	}
	if (i < n && p[i] != ' ')
		return false;
	*elen = i;
	return true;
}

int smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len)
{
	if (r->done || len < 3 || len > SMTP_REPLY_LINE_MAX || ++r->nlines > SMTP_REPLY_LINES_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
	}
	if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' ||
	    line[2] > '9')
		return -1;
	int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->code != 0 && code != r->code)
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	bool last = len == 3 || line[3] == ' ';
	if (r->code == 0) {
		size_t elen;
		r->code = code;
		/* the enhanced code counts only if its class matches the reply's */
		if (len > 4 && is_enh(line + 4, len - 4, &elen) && line[4] == line[0] &&
		    elen < sizeof(r->enh)) {
			memcpy(r->enh, line + 4, elen);
			r->enh[elen] = '\0';
		}
	}
	/*
	 * Keep what fits of each line, in order, and nothing after the first line
	 * that had to be cut: a log or a DSN gets a prefix of the reply, never a
	 * reply with a line missing from its middle.
	 */
	if (!r->text_full) {
		size_t room = sizeof(r->text) - 1 - r->textlen;
		if (r->textlen && room > 0) {
			r->text[r->textlen++] = '\n';
			room--;
		}
		size_t take = len < room ? len : room;
		memcpy(r->text + r->textlen, line, take);
		r->textlen += take;
		r->text[r->textlen] = '\0';
		if (take < len)
			r->text_full = true;
	}
	r->done = last;
	return last ? 1 : 0;
}

int smtp_reply_class(const struct smtp_reply *r)
{
	return r->code / 100;
}

void smtp_reply_first_line(const struct smtp_reply *r, char *dst, size_t dstlen)
{
	size_t n = strcspn(r->text, "\n");

	if (dstlen == 0)
		return;
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, r->text, n);
	dst[n] = '\0';
}

void smtp_ehlo_caps_line(struct smtp_caps *caps, const char *line, size_t len)
{
	char kw[64];
	const char *arg = NULL;
	size_t alen = 0;

	/* line holds len octets and need not be NUL-terminated */
	if (len <= 4)
		return;
	size_t k = 0;
	while (4 + k < len && line[4 + k] != ' ' && k + 1 < sizeof(kw)) {
		kw[k] = line[4 + k];
		k++;
	}
	kw[k] = '\0';
	if (4 + k < len && line[4 + k] == ' ') {
		arg = line + 4 + k + 1;
		alen = len - (4 + k + 1);
	}
	if (ascii_iequal(kw, "PIPELINING"))
		caps->pipelining = true;
	else if (ascii_iequal(kw, "8BITMIME"))
		caps->eightbitmime = true;
	else if (ascii_iequal(kw, "SMTPUTF8"))
		caps->smtputf8 = true;
	else if (ascii_iequal(kw, "STARTTLS"))
		caps->starttls = true;
	else if (ascii_iequal(kw, "CHUNKING"))
		caps->chunking = true;
	else if (ascii_iequal(kw, "DSN"))
		caps->dsn = true;
	else if (ascii_iequal(kw, "ENHANCEDSTATUSCODES"))
		caps->enhanced = true;
	else if (ascii_iequal(kw, "SIZE")) {
		char num[24];
		size_t d = 0;
		while (arg && d < alen && d + 1 < sizeof(num) && arg[d] >= '0' && arg[d] <= '9') {
			num[d] = arg[d];
			d++;
		}
		num[d] = '\0';
		caps->size = true;
		if (d > 0)
			parse_u64(num, UINT64_MAX, &caps->size_max);
	} else if (ascii_iequal(kw, "AUTH")) {
		char mechs[256];
		size_t m = alen < sizeof(mechs) - 1 ? alen : sizeof(mechs) - 1;
		if (m)
			memcpy(mechs, arg, m);
		mechs[m] = '\0';
		char *save = NULL;
		for (char *t = strtok_r(mechs, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			if (ascii_iequal(t, "PLAIN"))
				caps->auth_plain = true;
			else if (ascii_iequal(t, "LOGIN"))
				caps->auth_login = true;
		}
	}
}

void smtp_ehlo_caps(const struct smtp_reply *r, struct smtp_caps *caps)
{
	const char *p = r->text;
	bool first = true;

	memset(caps, 0, sizeof(*caps));
	while (*p) {
		size_t n = strcspn(p, "\n");
		if (!first)
			smtp_ehlo_caps_line(caps, p, n);
		first = false;
		p += n;
		if (*p == '\n')
			p++;
	}
}
