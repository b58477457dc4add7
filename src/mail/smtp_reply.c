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
	if (r->textlen + len + 2 < sizeof(r->text)) {
		if (r->textlen)
			r->text[r->textlen++] = '\n';
		memcpy(r->text + r->textlen, line, len);
		r->textlen += len;
		r->text[r->textlen] = '\0';
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

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, r->text, n);
	dst[n] = '\0';
}

void smtp_ehlo_caps(const struct smtp_reply *r, struct smtp_caps *caps)
{
	const char *p = r->text;
	bool first = true;

	memset(caps, 0, sizeof(*caps));
	while (*p) {
		size_t n = strcspn(p, "\n");
		char kw[64];
		const char *arg = "";
		if (!first && n > 4) {
			size_t k = strcspn(p + 4, " \n");
			if (k >= sizeof(kw))
				k = sizeof(kw) - 1;
			memcpy(kw, p + 4, k);
			kw[k] = '\0';
			if (p[4 + k] == ' ')
				arg = p + 4 + k + 1;
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
				size_t d = strspn(arg, "0123456789");
				caps->size = true;
				if (d > 0 && d < sizeof(num)) {
					memcpy(num, arg, d);
					num[d] = '\0';
					parse_u64(num, UINT64_MAX, &caps->size_max);
				}
			} else if (ascii_iequal(kw, "AUTH")) {
				char mechs[256];
				size_t m = strcspn(arg, "\n");
				if (m >= sizeof(mechs))
					m = sizeof(mechs) - 1;
				memcpy(mechs, arg, m);
				mechs[m] = '\0';
				char *save = NULL;
				for (char *t = strtok_r(mechs, " ", &save); t;
				     t = strtok_r(NULL, " ", &save)) {
					if (ascii_iequal(t, "PLAIN"))
						caps->auth_plain = true;
					else if (ascii_iequal(t, "LOGIN"))
						caps->auth_login = true;
				}
			}
		}
		first = false;
		p += n;
		if (*p == '\n')
			p++;
	}
}
