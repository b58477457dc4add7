/*
 * send_request.c - the JSON body of POST /v1/messages read into an envelope
 * and a message (send_request.h): the top-level parse and the fields. The
 * form checks are in send_shape.c, the raw message path in send_raw.c.
 *
 * Trust: the body comes from an authenticated API client, but nothing in it
 * is trusted. It is bounded before it is parsed (nesting depth), typed
 * before it is read (every key known, every value of its type: 400), and
 * every piece is checked before the message is built (422), so that no
 * field can add a header, a recipient or a body part of its own. Sizes are
 * checked on the decoded parts before anything is decoded or built (413).
 */
#include "send_request.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "compose.h"
#include "mailbox.h"
#include "send_request_internal.h"
#include "strutil.h"
#include "utf8.h"
#include "xmalloc.h"

void send_limits_default(struct send_limits *lim)
{
	lim->max_rcpts = 50;
	lim->max_size = 10 * 1024 * 1024;
	lim->max_depth = 16;
	lim->max_headers = 50;
	lim->max_attachments = 50;
}

int send_refuse(struct send_error *e, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	strlcpy_(e->code, code, sizeof(e->code));
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

const char *send_esc(char *dst, size_t cap, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (o + 8 >= cap || o >= 60) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(dst + o, cap - o, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", c);
	}
	dst[o] = '\0';
	return dst;
}

static char *own(struct send_ctx *c, char *p)
{
	if (c->nowned == c->capowned) {
		c->capowned = c->capowned ? c->capowned * 2 : 16;
		c->owned = xrealloc(c->owned, c->capowned * sizeof(*c->owned));
	}
	c->owned[c->nowned++] = p;
	return p;
}

/* ---- helpers for the 422s ---------------------------------------------- */

json_t *send_get(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_null(v) ? NULL : v;
}

static size_t count_of(const json_t *v)
{
	if (v == NULL)
		return 0;
	return json_is_array(v) ? json_array_size(v) : 1;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static bool is_b64_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* the size base64 text decodes to (at most, if it is not valid), white space ignored */
static uint64_t b64_size(const char *s, size_t n)
{
	uint64_t k = 0, pad = 0;

	for (size_t i = 0; i < n; i++) {
		k += !is_b64_space(s[i]);
		pad += s[i] == '=';
	}
	return (k + 3) / 4 * 3 - (pad < 2 ? pad : 2);
}

int send_b64_decode(const char *s, size_t n, unsigned char **out, size_t *outlen)
{
	char *t = xmalloc(n + 1);
	size_t k = 0;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		if (!is_b64_space(s[i]))
			t[k++] = s[i];
	*out = xmalloc(k / 4 * 3 + 1);
	*outlen = 0;
	if (k % 4 == 0 && base64_decode(t, k, *out, k / 4 * 3 + 1, outlen) == 0)
		rc = 0;
	free(t);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* text_field - a string for a header: controls are header_injection */
static int text_field(struct send_ctx *c, const char *label, const char *s, bool tab_ok)
{
	char why[96];

	if (!compose_text_ok(s, strlen(s), tab_ok, why, sizeof(why)))
		return send_refuse(c->e, 422, "header_injection", "%s %s", label, why);
	return 0;
}

/* ---- addresses -------------------------------------------------------- */

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/*
 * split - "Name <addr>", "\"Quoted \\\"Name\\\"\" <addr>" or "addr": the
 * display name (allocated, unquoted; NULL if none) and the address span.
 * -1 if a quoted name is not closed or is not followed by "<".
 */
static int split(const char *s, size_t n, char **name, const char **a, size_t *alen)
{
	*name = NULL;
	trim(&s, &n);
	*a = s;
	*alen = n;
	if (n == 0 || s[n - 1] != '>')
		return 0;
	const char *lt;
	if (s[0] == '"') {
		struct buf q;
		size_t i = 1;
		buf_init(&q);
		for (; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			buf_putc(&q, s[i]);
		}
		while (i + 1 < n && (s[i + 1] == ' ' || s[i + 1] == '\t'))
			i++;
		if (i + 1 >= n || s[i + 1] != '<') {
			buf_release(&q);
			return -1;
		}
		lt = s + i + 1;
		*name = buf_steal(&q, NULL);
	} else {
		lt = memchr(s, '<', n);
		if (lt == NULL)
			return 0; /* "a@b>": refused by addr_parse_mailbox */
		const char *nm = s;
		size_t nn = (size_t)(lt - s);
		trim(&nm, &nn);
		*name = xstrndup(nm, nn);
	}
	*a = lt + 1;
	*alen = (size_t)(s + n - 1 - *a);
	return 0;
}

static int bad_address(struct send_ctx *c, const char *label, const char *a, size_t n, enum reply r)
{
	char x[100];
	const char *at = memchr(a, '@', n);

	send_esc(x, sizeof(x), a, n);
	/* a control or line separator is no IDN: addr_is_domain takes any UTF-8 */
	if (!compose_text_ok(a, n, false, NULL, 0))
		r = RPL_RCPT_SYNTAX;
	if (r == RPL_NEED_SMTPUTF8 && at != NULL && is_ascii(a, (size_t)(at - a)))
		return send_refuse(c->e, 422, "invalid_address",
		                   "%s: \"%s\": internationalised domain names are not supported; "
		                   "give the domain in its ASCII (xn--) form",
		                   label, x);
	if (r == RPL_NEED_SMTPUTF8)
		return send_refuse(c->e, 422, "invalid_address",
		                   "%s: \"%s\": non-ASCII local parts are not supported", label, x);
	if (r == RPL_ADDR_FORM)
		return send_refuse(c->e, 422, "invalid_address",
		                   "%s: \"%s\": '%%' and '!' routing is not allowed", label, x);
	return send_refuse(c->e, 422, "invalid_address", "%s: \"%s\" is not a valid address", label,
	                   x);
}

/* parse_addr - one address (string or object) into out; label names it */
static int parse_addr(struct send_ctx *c, const json_t *v, const char *label,
                      struct compose_addr *out)
{
	const char *a;
	size_t alen;
	char *name = NULL, lab[64];
	enum reply r;

	memset(out, 0, sizeof(*out));
	if (json_is_string(v)) {
		if (split(json_string_value(v), json_string_length(v), &name, &a, &alen) < 0)
			return send_refuse(
			        c->e, 422, "invalid_address",
			        "%s: a quoted display name must be followed by <address>", label);
	} else {
		const json_t *nm = send_get(v, "name");
		a = json_string_value(json_object_get(v, "email"));
		alen = strlen(a);
		trim(&a, &alen);
		if (nm != NULL) {
			const char *ns = json_string_value(nm);
			size_t nn = strlen(ns);
			trim(&ns, &nn);
			name = xstrndup(ns, nn);
		}
	}
	if (name != NULL) {
		own(c, name);
		snprintf(lab, sizeof(lab), "%s: the display name", label);
		if (text_field(c, lab, name, false) < 0)
			return -1;
		if (strlen(name) > COMPOSE_NAME_MAX)
			return send_refuse(c->e, 422, "invalid_field",
			                   "%s: the display name is longer than %d octets", label,
			                   COMPOSE_NAME_MAX);
		out->name = name;
	}
	if (addr_parse_mailbox(a, alen, false, &out->a, &r) != 0)
		return bad_address(c, label, a, alen, r);
	if (out->a.literal) {
		char x[100];
		return send_refuse(c->e, 422, "invalid_address",
		                   "%s: \"%s\": address literals are not accepted", label,
		                   ESC(x, out->a.addr));
	}
	return 0;
}

/* parse_list - to, cc, bcc or reply_to: one address or an array of them */
static int parse_list(struct send_ctx *c, const char *key, struct compose_addr **out, size_t *n)
{
	const json_t *v = send_get(c->root, key);
	char label[48];

	*n = count_of(v);
	if (*n == 0)
		return 0;
	*out = xcalloc(*n, sizeof(**out));
	if (!json_is_array(v))
		return parse_addr(c, v, key, *out);
	for (size_t i = 0; i < *n; i++) {
		snprintf(label, sizeof(label), "%s[%zu]", key, i);
		if (parse_addr(c, json_array_get(v, i), label, &(*out)[i]) < 0)
			return -1;
	}
	return 0;
}

static bool same_mailbox(const struct mailaddr *a, const struct mailaddr *b)
{
	return a->local_len == b->local_len && memcmp(a->addr, b->addr, a->local_len) == 0 &&
	       strcmp(a->domain, b->domain) == 0;
}

/* the envelope recipients: to, cc, bcc in that order, each mailbox once */
static void collect_rcpts(struct send_ctx *c, struct send_request *out)
{
	const struct compose_addr *lists[3] = {c->to, c->cc, c->bcc};
	size_t counts[3] = {c->nto, c->ncc, c->nbcc};

	out->rcpts = xcalloc(c->nto + c->ncc + c->nbcc + 1, sizeof(*out->rcpts));
	for (size_t l = 0; l < 3; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			const struct mailaddr *a = &lists[l][i].a;
			size_t j = 0;
			while (j < out->nrcpts && !same_mailbox(&out->rcpts[j], a))
				j++;
			if (j == out->nrcpts)
				out->rcpts[out->nrcpts++] = *a;
		}
	}
}

/* ---- headers, attachments, stream, metadata ---------------------------- */

static int parse_headers(struct send_ctx *c)
{
	const json_t *h = send_get(c->root, "headers");
	const char *key;
	json_t *v;
	char k[100], lab[160], why[160];

	if (h == NULL)
		return 0;
	c->hdrs = xcalloc(json_object_size(h) + 1, sizeof(*c->hdrs));
	json_object_foreach((json_t *)h, key, v)
	{
		const char *val = json_string_value(v);
		snprintf(lab, sizeof(lab), "headers: the field name \"%s\"", ESC(k, key));
		if (text_field(c, lab, key, false) < 0)
			return -1;
		snprintf(lab, sizeof(lab), "headers.%s: the value", k);
		if (text_field(c, lab, val, true) < 0)
			return -1;
		if (!compose_header_ok(key, val, why, sizeof(why)))
			return send_refuse(c->e, 422, "invalid_header", "headers.%s: %s", k, why);
		for (size_t i = 0; i < c->nhdrs; i++)
			if (ascii_iequal(c->hdrs[i].name, key))
				return send_refuse(
				        c->e, 422, "invalid_header",
				        "headers: %s is given twice (field names ignore case)", k);
		c->hdrs[c->nhdrs++] = (struct compose_header){key, val};
	}
	return 0;
}

static const char *att_string(const json_t *a, const char *key)
{
	return json_string_value(send_get(a, key));
}

static int parse_attachment(struct send_ctx *c, size_t i, const json_t *a,
                            struct compose_attachment *out)
{
	const char *fn = att_string(a, "filename"), *ct = att_string(a, "content_type");
	const char *cid = att_string(a, "content_id"), *content = att_string(a, "content");
	char lab[64], why[160];
	size_t dn;

	if (fn == NULL || content == NULL)
		return send_refuse(c->e, 422, "invalid_attachment",
		                   "attachments[%zu].%s is required", i,
		                   fn == NULL ? "filename" : "content");
	snprintf(lab, sizeof(lab), "attachments[%zu].filename", i);
	if (text_field(c, lab, fn, false) < 0)
		return -1;
	if (fn[0] == '\0' || strlen(fn) > COMPOSE_FILENAME_MAX)
		return send_refuse(c->e, 422, "invalid_attachment", "%s must be 1 to %d octets",
		                   lab, COMPOSE_FILENAME_MAX);
	if (ct != NULL) {
		snprintf(lab, sizeof(lab), "attachments[%zu].content_type", i);
		if (text_field(c, lab, ct, false) < 0)
			return -1;
		if (!compose_content_type_ok(ct, why, sizeof(why)))
			return send_refuse(c->e, 422, "invalid_attachment", "%s %s", lab, why);
	}
	if (cid != NULL) {
		size_t n = strlen(cid);
		snprintf(lab, sizeof(lab), "attachments[%zu].content_id", i);
		if (text_field(c, lab, cid, false) < 0)
			return -1;
		/* "<logo@example.com>" is taken as "logo@example.com" */
		if (n >= 2 && cid[0] == '<' && cid[n - 1] == '>')
			cid = own(c, xstrndup(cid + 1, n - 2));
		if (!compose_content_id_ok(cid, why, sizeof(why)))
			return send_refuse(c->e, 422, "invalid_attachment", "%s %s", lab, why);
	}
	unsigned char *data;
	if (send_b64_decode(content, strlen(content), &data, &dn) < 0)
		return send_refuse(c->e, 422, "invalid_attachment",
		                   "attachments[%zu].content is not valid base64", i);
	own(c, (char *)data);
	*out = (struct compose_attachment){fn, ct, data, dn, cid};
	return 0;
}

static int parse_attachments(struct send_ctx *c)
{
	const json_t *arr = send_get(c->root, "attachments");

	if (arr == NULL)
		return 0;
	c->att = xcalloc(json_array_size(arr) + 1, sizeof(*c->att));
	for (size_t i = 0; i < json_array_size(arr); i++) {
		if (parse_attachment(c, i, json_array_get(arr, i), &c->att[i]) < 0)
			return -1;
		c->natt++;
	}
	return 0;
}

static int parse_stream(struct send_ctx *c, struct send_request *out)
{
	const json_t *v = send_get(c->root, "stream");
	const char *s = json_string_value(v);

	if (v == NULL)
		return 0;
	if (text_field(c, "stream", s, false) < 0)
		return -1;
	size_t n = strlen(s);
	if (n == 0 || n > SEND_STREAM_MAX ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		return send_refuse(
		        c->e, 422, "invalid_field",
		        "stream must be 1 to %d characters of a-z, 0-9, '.', '_' and '-'",
		        SEND_STREAM_MAX);
	memcpy(out->stream, s, n + 1);
	return 0;
}

static int parse_metadata(struct send_ctx *c, struct send_request *out)
{
	const json_t *m = send_get(c->root, "metadata");
	const char *key;
	json_t *v;
	char k[100], lab[160];

	if (m == NULL)
		return 0;
	if (json_object_size(m) > SEND_METADATA_KEYS)
		return send_refuse(c->e, 422, "invalid_field",
		                   "metadata has %zu keys; at most %d are allowed",
		                   json_object_size(m), SEND_METADATA_KEYS);
	json_object_foreach((json_t *)m, key, v)
	{
		snprintf(lab, sizeof(lab), "metadata: the key \"%s\"", ESC(k, key));
		if (text_field(c, lab, key, false) < 0)
			return -1;
		size_t kc = utf8_chars(key);
		if (kc == 0 || kc > SEND_METADATA_KEY_MAX)
			return send_refuse(c->e, 422, "invalid_field",
			                   "metadata keys must be 1 to %d characters (\"%s\")",
			                   SEND_METADATA_KEY_MAX, k);
		if (json_is_string(v) && utf8_chars(json_string_value(v)) > SEND_METADATA_VAL_MAX)
			return send_refuse(c->e, 422, "invalid_field",
			                   "metadata.%s is longer than %d characters", k,
			                   SEND_METADATA_VAL_MAX);
	}
	char *text = json_dumps(m, JSON_COMPACT);
	out->metadata_json = xstrdup(text ? text : "{}");
	free(text);
	return 0;
}

/* ---- the composed message ---------------------------------------------- */

/*
 * check_from_field - read the From: field just built the way the relay will
 * (mbox_parse_from): a display name it would refuse is refused now, and the
 * envelope sender is the address as the relay reads it.
 */
static int check_from_field(struct send_ctx *c, struct send_request *out)
{
	const char *m = out->message.data;
	size_t end = 5; /* past "From:" */
	char why[200];

	while (end + 2 < out->message.len &&
	       !(m[end] == '\r' && m[end + 1] == '\n' && m[end + 2] != ' ' && m[end + 2] != '\t'))
		end++;
	if (mbox_parse_from(m + 5, end - 5, false, &out->sender, why, sizeof(why)) < 0)
		return send_refuse(c->e, 422, "invalid_from", "from: the relay would refuse it: %s",
		                   why);
	return 0;
}

static int build(struct send_ctx *c, struct send_request *out)
{
	const json_t *subject = send_get(c->root, "subject");
	const json_t *text = send_get(c->root, "text"), *html = send_get(c->root, "html");
	char err[256];

	if (subject != NULL) {
		if (text_field(c, "subject", json_string_value(subject), true) < 0)
			return -1;
		if (json_string_length(subject) > COMPOSE_SUBJECT_MAX)
			return send_refuse(c->e, 422, "invalid_field",
			                   "subject is longer than %d octets", COMPOSE_SUBJECT_MAX);
	}
	if (text != NULL && json_string_length(text) == 0)
		text = NULL;
	if (html != NULL && json_string_length(html) == 0)
		html = NULL;
	struct compose_msg m = {
	        .from = c->from,
	        .to = c->to,
	        .nto = c->nto,
	        .cc = c->cc,
	        .ncc = c->ncc,
	        .reply_to = c->reply_to,
	        .nreply_to = c->nreply_to,
	        .subject = json_string_value(subject),
	        .text = json_string_value(text),
	        .text_len = json_string_length(text),
	        .html = json_string_value(html),
	        .html_len = json_string_length(html),
	        .headers = c->hdrs,
	        .nheaders = c->nhdrs,
	        .att = c->att,
	        .natt = c->natt,
	};
	if (compose_build(&m, &out->message, err, sizeof(err)) < 0)
		return send_refuse(c->e, 422, "invalid_field", "%s", err);
	if (check_from_field(c, out) < 0)
		return -1;
	if (out->message.len > c->lim->max_size)
		return send_refuse(c->e, 413, "too_large",
		                   "the message is %zu octets; the limit is %llu", out->message.len,
		                   (unsigned long long)c->lim->max_size);
	return 0;
}

/* ---- the request ---------------------------------------------------------- */

/* the 422s that need no parsing of the values, and the size before decoding */
static int check_presence(struct send_ctx *c)
{
	static const char *const not_with_raw[] = {"subject", "text",        "html",
	                                           "headers", "attachments", "reply_to"};
	const json_t *raw = send_get(c->root, "raw"), *att = send_get(c->root, "attachments");
	const json_t *text = send_get(c->root, "text"), *html = send_get(c->root, "html");
	const json_t *hdrs = send_get(c->root, "headers");

	for (size_t i = 0; raw && i < sizeof(not_with_raw) / sizeof(not_with_raw[0]); i++)
		if (send_get(c->root, not_with_raw[i]) != NULL)
			return send_refuse(
			        c->e, 422, "raw_exclusive",
			        "raw cannot be combined with %s: give the whole message in raw",
			        not_with_raw[i]);
	if (raw == NULL && send_get(c->root, "from") == NULL)
		return send_refuse(c->e, 422, "missing_from", "from is required");
	size_t nr = count_of(send_get(c->root, "to")) + count_of(send_get(c->root, "cc")) +
	            count_of(send_get(c->root, "bcc"));
	if (nr > c->lim->max_rcpts)
		return send_refuse(c->e, 422, "too_many_recipients",
		                   "%zu recipients in to, cc and bcc; at most %zu are allowed", nr,
		                   c->lim->max_rcpts);
	if (nr == 0)
		return send_refuse(c->e, 422, "no_recipients",
		                   "give at least one recipient in to, cc or bcc");
	if (raw == NULL && json_string_length(text) == 0 && json_string_length(html) == 0 &&
	    json_array_size(att) == 0)
		return send_refuse(c->e, 422, "no_content", "give text, html, attachments or raw");
	if (json_object_size(hdrs) > c->lim->max_headers)
		return send_refuse(c->e, 422, "too_many_headers",
		                   "%zu headers; at most %zu are allowed", json_object_size(hdrs),
		                   c->lim->max_headers);
	if (json_array_size(att) > c->lim->max_attachments)
		return send_refuse(c->e, 422, "too_many_attachments",
		                   "%zu attachments; at most %zu are allowed", json_array_size(att),
		                   c->lim->max_attachments);
	/* bound before decoding: what the parts decode to, before any encoding */
	uint64_t size = json_string_length(text) + json_string_length(html);
	if (raw != NULL)
		size += b64_size(json_string_value(raw), json_string_length(raw));
	for (size_t i = 0; i < json_array_size(att); i++) {
		const json_t *ct = send_get(json_array_get(att, i), "content");
		size += b64_size(json_string_value(ct), json_string_length(ct));
	}
	if (size > c->lim->max_size)
		return send_refuse(c->e, 413, "too_large",
		                   "the content is %llu octets before encoding; the limit is %llu",
		                   (unsigned long long)size, (unsigned long long)c->lim->max_size);
	return 0;
}

static int parse(struct send_ctx *c, struct send_request *out)
{
	const json_t *raw = send_get(c->root, "raw");

	if (send_check_shape(c) < 0 || check_presence(c) < 0)
		return -1;
	if (send_get(c->root, "from") &&
	    parse_addr(c, send_get(c->root, "from"), "from", &c->from) < 0)
		return -1;
	if (parse_list(c, "to", &c->to, &c->nto) < 0 || parse_list(c, "cc", &c->cc, &c->ncc) < 0 ||
	    parse_list(c, "bcc", &c->bcc, &c->nbcc) < 0 ||
	    parse_list(c, "reply_to", &c->reply_to, &c->nreply_to) < 0)
		return -1;
	if (parse_headers(c) < 0 || parse_attachments(c) < 0 || parse_stream(c, out) < 0 ||
	    parse_metadata(c, out) < 0)
		return -1;
	if (raw != NULL ? send_take_raw(c, raw, out) < 0 : build(c, out) < 0)
		return -1;
	collect_rcpts(c, out);
	return 0;
}

static void ctx_release(struct send_ctx *c)
{
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->owned);
	free(c->to);
	free(c->cc);
	free(c->bcc);
	free(c->reply_to);
	free(c->hdrs);
	free(c->att);
	json_decref(c->root);
}

int send_request_parse(const char *body, size_t n, const struct send_limits *lim,
                       struct send_request *out, struct send_error *e)
{
	struct send_ctx c = {.lim = lim, .e = e};
	json_error_t jerr;
	char x[100];

	memset(out, 0, sizeof(*out));
	buf_init(&out->message);
	memset(e, 0, sizeof(*e));
	if (n == 0)
		return send_refuse(e, 400, "bad_json", "the request body is empty");
	if (send_too_deep(body, n, lim->max_depth))
		return send_refuse(e, 400, "too_deep", "the JSON is nested deeper than %zu levels",
		                   lim->max_depth);
	c.root = json_loadb(body, n, JSON_REJECT_DUPLICATES, &jerr);
	if (c.root == NULL) {
		if (strstr(jerr.text, "\\u0000") != NULL)
			return send_refuse(
			        e, 400, "bad_json",
			        "invalid JSON at line %d column %d: NUL (\\u0000) is not "
			        "allowed in strings",
			        jerr.line, jerr.column);
		return send_refuse(e, 400, "bad_json", "invalid JSON at line %d column %d: %s",
		                   jerr.line, jerr.column, ESC(x, jerr.text));
	}
	int rc = json_is_object(c.root)
	                 ? parse(&c, out)
	                 : send_refuse(e, 400, "bad_json", "the body must be a JSON object");
	ctx_release(&c);
	if (rc < 0)
		send_request_release(out);
	return rc;
}

void send_request_release(struct send_request *r)
{
	free(r->rcpts);
	free(r->metadata_json);
	buf_release(&r->message);
	memset(r, 0, sizeof(*r));
	buf_init(&r->message);
}
