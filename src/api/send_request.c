/*
 * send_request.c - the JSON body of POST /v1/messages read into an envelope
 * and a message (send_request.h).
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
#include "header.h"
#include "mailbox.h"
#include "strutil.h"
#include "utf8.h"
#include "xmalloc.h"

#define LINE_MAX_ 998 /* RFC 5322 2.1.1 */

/* what the parse holds until the message is built */
struct ctx {
	const struct send_limits *lim;
	struct send_error *e;
	json_t *root;
	struct compose_addr from;
	struct compose_addr *to, *cc, *reply_to, *bcc;
	size_t nto, ncc, nreply_to, nbcc;
	struct compose_header *hdrs;
	size_t nhdrs;
	struct compose_attachment *att;
	size_t natt;
	char **owned; /* display names and attachment data, freed at the end */
	size_t nowned, capowned;
};

void send_limits_default(struct send_limits *lim)
{
	lim->max_rcpts = 50;
	lim->max_size = 10 * 1024 * 1024;
	lim->max_depth = 16;
	lim->max_headers = 50;
	lim->max_attachments = 50;
}

static int refuse(struct send_error *e, int status, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int refuse(struct send_error *e, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	strlcpy_(e->code, code, sizeof(e->code));
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * esc - a printable excerpt of n octets for a message, in dst (at least 100
 * octets): printable ASCII as it is ('"' and '\' escaped), anything else as
 * \xNN, cut after about 60 characters. Returns dst.
 */
static const char *esc(char *dst, size_t cap, const char *s, size_t n)
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

#define ESC(buf, s) esc(buf, sizeof(buf), s, strlen(s))

static char *own(struct ctx *c, char *p)
{
	if (c->nowned == c->capowned) {
		c->capowned = c->capowned ? c->capowned * 2 : 16;
		c->owned = xrealloc(c->owned, c->capowned * sizeof(*c->owned));
	}
	c->owned[c->nowned++] = p;
	return p;
}

/* ---- before jansson: depth ------------------------------------------- */

/* nested deeper than max? Brackets inside strings (escapes honoured) do not count. */
static bool too_deep(const char *p, size_t n, size_t max)
{
	size_t depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			if (++depth > max)
				return true;
		} else if ((ch == '}' || ch == ']') && depth > 0) {
			depth--;
		}
	}
	return false;
}

/* ---- types: the 400s -------------------------------------------------- */

enum { T_STR = 1, T_OBJ = 2, T_ARR = 4, T_NUM = 8, T_BOOL = 16 };

static const struct field {
	const char *name;
	unsigned types;
} fields[] = {
        {"from", T_STR | T_OBJ},
        {"to", T_STR | T_OBJ | T_ARR},
        {"cc", T_STR | T_OBJ | T_ARR},
        {"bcc", T_STR | T_OBJ | T_ARR},
        {"reply_to", T_STR | T_OBJ | T_ARR},
        {"subject", T_STR},
        {"text", T_STR},
        {"html", T_STR},
        {"headers", T_OBJ},
        {"attachments", T_ARR},
        {"stream", T_STR},
        {"metadata", T_OBJ},
        {"raw", T_STR},
};

static const char *const attachment_keys[] = {"filename", "content_type", "content", "content_id"};

static bool of_type(const json_t *v, unsigned types)
{
	return ((types & T_STR) && json_is_string(v)) || ((types & T_OBJ) && json_is_object(v)) ||
	       ((types & T_ARR) && json_is_array(v)) || ((types & T_NUM) && json_is_number(v)) ||
	       ((types & T_BOOL) && json_is_boolean(v));
}

static const char *type_words(unsigned types)
{
	switch (types) {
	case T_STR:
		return "a string";
	case T_OBJ:
		return "an object";
	case T_ARR:
		return "an array";
	case T_STR | T_OBJ:
		return "a string or an object";
	case T_STR | T_OBJ | T_ARR:
		return "a string, an object or an array of them";
	default:
		return "a string, a number or a boolean";
	}
}

/* an address object: {"email": string, "name": string or null} */
static int addr_shape(struct ctx *c, const json_t *v, const char *label)
{
	const char *key;
	json_t *x;
	char k[100];

	if (json_is_string(v))
		return 0;
	if (!json_is_object(v))
		return refuse(c->e, 400, "bad_field", "%s must be a string or an object", label);
	json_object_foreach((json_t *)v, key, x)
	{
		if (strcmp(key, "email") != 0 && strcmp(key, "name") != 0)
			return refuse(c->e, 400, "unknown_field", "unknown field \"%s.%s\"", label,
			              ESC(k, key));
		if (!json_is_string(x) && !(json_is_null(x) && strcmp(key, "name") == 0))
			return refuse(c->e, 400, "bad_field", "%s.%s must be a string", label, key);
	}
	if (json_object_get(v, "email") == NULL)
		return refuse(c->e, 400, "bad_field", "%s.email must be a string", label);
	return 0;
}

static int shape_list(struct ctx *c, const json_t *v, const char *name)
{
	char label[48];
	size_t i;
	json_t *x;

	if (!json_is_array(v))
		return addr_shape(c, v, name);
	json_array_foreach(v, i, x)
	{
		snprintf(label, sizeof(label), "%s[%zu]", name, i);
		if (addr_shape(c, x, label) < 0)
			return -1;
	}
	return 0;
}

static int shape_attachments(struct ctx *c, const json_t *arr)
{
	size_t i;
	json_t *a, *x;
	const char *key;
	char k[100];

	json_array_foreach(arr, i, a)
	{
		if (!json_is_object(a))
			return refuse(c->e, 400, "bad_field", "attachments[%zu] must be an object",
			              i);
		json_object_foreach(a, key, x)
		{
			size_t j = 0;
			while (j < 4 && strcmp(key, attachment_keys[j]) != 0)
				j++;
			if (j == 4)
				return refuse(c->e, 400, "unknown_field",
				              "unknown field \"attachments[%zu].%s\"", i,
				              ESC(k, key));
			if (!json_is_string(x) && !json_is_null(x))
				return refuse(c->e, 400, "bad_field",
				              "attachments[%zu].%s must be a string", i, key);
		}
	}
	return 0;
}

static int shape_map(struct ctx *c, const json_t *obj, const char *name, unsigned types)
{
	const char *key;
	json_t *x;
	char k[100];

	json_object_foreach((json_t *)obj, key, x)
	{
		if (!of_type(x, types))
			return refuse(c->e, 400, "bad_field", "%s.\"%s\" must be %s", name,
			              ESC(k, key), type_words(types));
	}
	return 0;
}

/* check_shape - every key known, every value of its type; nothing is read yet */
static int check_shape(struct ctx *c)
{
	const char *key;
	json_t *v;
	char k[100];

	json_object_foreach(c->root, key, v)
	{
		size_t i = 0;
		while (i < sizeof(fields) / sizeof(fields[0]) && strcmp(key, fields[i].name) != 0)
			i++;
		if (i == sizeof(fields) / sizeof(fields[0]))
			return refuse(c->e, 400, "unknown_field", "unknown field \"%s\"",
			              ESC(k, key));
		if (json_is_null(v))
			continue;
		if (!of_type(v, fields[i].types))
			return refuse(c->e, 400, "bad_field", "%s must be %s", key,
			              type_words(fields[i].types));
		int rc = 0;
		if (fields[i].types & T_ARR && strcmp(key, "attachments") != 0)
			rc = shape_list(c, v, key);
		else if (strcmp(key, "from") == 0)
			rc = addr_shape(c, v, key);
		else if (strcmp(key, "attachments") == 0)
			rc = shape_attachments(c, v);
		else if (strcmp(key, "headers") == 0)
			rc = shape_map(c, v, key, T_STR);
		else if (strcmp(key, "metadata") == 0)
			rc = shape_map(c, v, key, T_STR | T_NUM | T_BOOL);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- helpers for the 422s ---------------------------------------------- */

/* get - a field that is present and not null, or NULL */
static json_t *get(const json_t *o, const char *key)
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

/* b64_decode - standard base64, padded, white space anywhere ignored; caller frees *out */
static int b64_decode(const char *s, size_t n, unsigned char **out, size_t *outlen)
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
static int text_field(struct ctx *c, const char *label, const char *s, bool tab_ok)
{
	char why[96];

	if (!compose_text_ok(s, strlen(s), tab_ok, why, sizeof(why)))
		return refuse(c->e, 422, "header_injection", "%s %s", label, why);
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

static int bad_address(struct ctx *c, const char *label, const char *a, size_t n, enum reply r)
{
	char x[100];
	const char *at = memchr(a, '@', n);

	esc(x, sizeof(x), a, n);
	/* a control or line separator is no IDN: addr_is_domain takes any UTF-8 */
	if (!compose_text_ok(a, n, false, NULL, 0))
		r = RPL_RCPT_SYNTAX;
	if (r == RPL_NEED_SMTPUTF8 && at != NULL && is_ascii(a, (size_t)(at - a)))
		return refuse(c->e, 422, "invalid_address",
		              "%s: \"%s\": internationalised domain names are not supported; "
		              "give the domain in its ASCII (xn--) form",
		              label, x);
	if (r == RPL_NEED_SMTPUTF8)
		return refuse(c->e, 422, "invalid_address",
		              "%s: \"%s\": non-ASCII local parts are not supported", label, x);
	if (r == RPL_ADDR_FORM)
		return refuse(c->e, 422, "invalid_address",
		              "%s: \"%s\": '%%' and '!' routing is not allowed", label, x);
	return refuse(c->e, 422, "invalid_address", "%s: \"%s\" is not a valid address", label, x);
}

/* parse_addr - one address (string or object) into out; label names it */
static int parse_addr(struct ctx *c, const json_t *v, const char *label, struct compose_addr *out)
{
	const char *a;
	size_t alen;
	char *name = NULL, lab[64];
	enum reply r;

	memset(out, 0, sizeof(*out));
	if (json_is_string(v)) {
		if (split(json_string_value(v), json_string_length(v), &name, &a, &alen) < 0)
			return refuse(c->e, 422, "invalid_address",
			              "%s: a quoted display name must be followed by <address>",
			              label);
	} else {
		const json_t *nm = get(v, "name");
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
			return refuse(c->e, 422, "invalid_field",
			              "%s: the display name is longer than %d octets", label,
			              COMPOSE_NAME_MAX);
		out->name = name;
	}
	if (addr_parse_mailbox(a, alen, false, &out->a, &r) != 0)
		return bad_address(c, label, a, alen, r);
	if (out->a.literal) {
		char x[100];
		return refuse(c->e, 422, "invalid_address",
		              "%s: \"%s\": address literals are not accepted", label,
		              ESC(x, out->a.addr));
	}
	return 0;
}

/* parse_list - to, cc, bcc or reply_to: one address or an array of them */
static int parse_list(struct ctx *c, const char *key, struct compose_addr **out, size_t *n)
{
	const json_t *v = get(c->root, key);
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
static void collect_rcpts(struct ctx *c, struct send_request *out)
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

static int parse_headers(struct ctx *c)
{
	const json_t *h = get(c->root, "headers");
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
			return refuse(c->e, 422, "invalid_header", "headers.%s: %s", k, why);
		for (size_t i = 0; i < c->nhdrs; i++)
			if (ascii_iequal(c->hdrs[i].name, key))
				return refuse(
				        c->e, 422, "invalid_header",
				        "headers: %s is given twice (field names ignore case)", k);
		c->hdrs[c->nhdrs++] = (struct compose_header){key, val};
	}
	return 0;
}

static const char *att_string(const json_t *a, const char *key)
{
	return json_string_value(get(a, key));
}

static int parse_attachment(struct ctx *c, size_t i, const json_t *a,
                            struct compose_attachment *out)
{
	const char *fn = att_string(a, "filename"), *ct = att_string(a, "content_type");
	const char *cid = att_string(a, "content_id"), *content = att_string(a, "content");
	char lab[64], why[160];
	size_t dn;

	if (fn == NULL || content == NULL)
		return refuse(c->e, 422, "invalid_attachment", "attachments[%zu].%s is required", i,
		              fn == NULL ? "filename" : "content");
	snprintf(lab, sizeof(lab), "attachments[%zu].filename", i);
	if (text_field(c, lab, fn, false) < 0)
		return -1;
	if (fn[0] == '\0' || strlen(fn) > COMPOSE_FILENAME_MAX)
		return refuse(c->e, 422, "invalid_attachment", "%s must be 1 to %d octets", lab,
		              COMPOSE_FILENAME_MAX);
	if (ct != NULL) {
		snprintf(lab, sizeof(lab), "attachments[%zu].content_type", i);
		if (text_field(c, lab, ct, false) < 0)
			return -1;
		if (!compose_content_type_ok(ct, why, sizeof(why)))
			return refuse(c->e, 422, "invalid_attachment", "%s %s", lab, why);
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
			return refuse(c->e, 422, "invalid_attachment", "%s %s", lab, why);
	}
	unsigned char *data;
	if (b64_decode(content, strlen(content), &data, &dn) < 0)
		return refuse(c->e, 422, "invalid_attachment",
		              "attachments[%zu].content is not valid base64", i);
	own(c, (char *)data);
	*out = (struct compose_attachment){fn, ct, data, dn, cid};
	return 0;
}

static int parse_attachments(struct ctx *c)
{
	const json_t *arr = get(c->root, "attachments");

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

static int parse_stream(struct ctx *c, struct send_request *out)
{
	const json_t *v = get(c->root, "stream");
	const char *s = json_string_value(v);

	if (v == NULL)
		return 0;
	if (text_field(c, "stream", s, false) < 0)
		return -1;
	size_t n = strlen(s);
	if (n == 0 || n > SEND_STREAM_MAX ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		return refuse(c->e, 422, "invalid_field",
		              "stream must be 1 to %d characters of a-z, 0-9, '.', '_' and '-'",
		              SEND_STREAM_MAX);
	memcpy(out->stream, s, n + 1);
	return 0;
}

static int parse_metadata(struct ctx *c, struct send_request *out)
{
	const json_t *m = get(c->root, "metadata");
	const char *key;
	json_t *v;
	char k[100], lab[160];

	if (m == NULL)
		return 0;
	if (json_object_size(m) > SEND_METADATA_KEYS)
		return refuse(c->e, 422, "invalid_field",
		              "metadata has %zu keys; at most %d are allowed", json_object_size(m),
		              SEND_METADATA_KEYS);
	json_object_foreach((json_t *)m, key, v)
	{
		snprintf(lab, sizeof(lab), "metadata: the key \"%s\"", ESC(k, key));
		if (text_field(c, lab, key, false) < 0)
			return -1;
		size_t kc = utf8_chars(key);
		if (kc == 0 || kc > SEND_METADATA_KEY_MAX)
			return refuse(c->e, 422, "invalid_field",
			              "metadata keys must be 1 to %d characters (\"%s\")",
			              SEND_METADATA_KEY_MAX, k);
		if (json_is_string(v) && utf8_chars(json_string_value(v)) > SEND_METADATA_VAL_MAX)
			return refuse(c->e, 422, "invalid_field",
			              "metadata.%s is longer than %d characters", k,
			              SEND_METADATA_VAL_MAX);
	}
	char *text = json_dumps(m, JSON_COMPACT);
	out->metadata_json = xstrdup(text ? text : "{}");
	free(text);
	return 0;
}

/* ---- raw ---------------------------------------------------------------- */

/*
 * raw_lines - the decoded message into dst with CRLF line ends: bare LF
 * becomes CRLF; NUL, bare CR and lines over 998 octets are refused; a last
 * line without a line end gets one.
 */
static int raw_lines(struct ctx *c, const unsigned char *d, size_t n, struct buf *dst)
{
	size_t col = 0;

	buf_reserve(dst, n + n / 32 + 2);
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '\0')
			return refuse(c->e, 422, "invalid_raw", "raw holds a NUL octet");
		if (d[i] == '\r' && (i + 1 == n || d[i + 1] != '\n'))
			return refuse(c->e, 422, "invalid_raw",
			              "raw holds a bare CR (one not followed by LF)");
		if (d[i] == '\r')
			continue;
		if (d[i] == '\n') {
			buf_append(dst, "\r\n", 2);
			col = 0;
			continue;
		}
		if (++col > LINE_MAX_)
			return refuse(c->e, 422, "invalid_raw",
			              "raw has a line longer than %d octets (RFC 5322 2.1.1)",
			              LINE_MAX_);
		buf_putc(dst, (char)d[i]);
	}
	if (dst->len > 0 && dst->data[dst->len - 1] != '\n')
		buf_append(dst, "\r\n", 2);
	return 0;
}

/* the value of a field: after the colon, unfolded, without the final CRLF */
static char *field_value(const struct hdr_index *ix, const struct hdr_field *f, size_t *vn)
{
	const char *v = ix->base + f->off + f->name_len;
	size_t n = f->len - f->name_len;
	struct buf u;

	while (n > 0 && *v != ':') {
		v++;
		n--;
	}
	buf_init(&u);
	for (size_t i = 1; i < n; i++) {
		if (v[i] == '\r' && i + 1 < n && v[i + 1] == '\n') {
			i++;
			continue;
		}
		buf_putc(&u, v[i]);
	}
	*vn = u.len;
	return buf_steal(&u, NULL);
}

static int raw_header(struct ctx *c, const char *msg, size_t len, struct mailaddr *from)
{
	struct hdr_index ix;
	size_t end = 0;
	char why[200];

	/* the header section ends at the first empty line, or with the message */
	while (end < len && !(msg[end] == '\r' && msg[end + 1] == '\n')) {
		const char *eol = memchr(msg + end, '\n', len - end);
		end = (size_t)(eol - msg) + 1;
	}
	if (end == 0)
		return refuse(c->e, 422, "invalid_raw", "raw has no header section");
	if (!is_ascii(msg, end))
		return refuse(c->e, 422, "invalid_raw",
		              "raw has 8-bit octets in its header section (use RFC 2047 "
		              "encoded words)");
	if (hdr_index_build(&ix, msg, end) < 0)
		return refuse(c->e, 422, "invalid_raw",
		              "raw's header section holds a line that is not a field");
	size_t nfrom = hdr_count(&ix, "From");
	int rc = 0;
	if (nfrom != 1) {
		rc = refuse(c->e, 422, "invalid_from",
		            nfrom == 0 ? "raw has no From: field"
		                       : "raw has %zu From: fields; exactly one is allowed",
		            nfrom);
	} else if (hdr_find(&ix, "Bcc") != NULL) {
		rc = refuse(c->e, 422, "invalid_raw",
		            "raw has a Bcc: field; give blind copies in bcc instead");
	} else {
		size_t vn;
		char *v = field_value(&ix, hdr_find(&ix, "From"), &vn);
		if (mbox_parse_from(v, vn, false, from, why, sizeof(why)) < 0)
			rc = refuse(c->e, 422, "invalid_from", "raw's From: field: %s", why);
		free(v);
	}
	hdr_index_release(&ix);
	return rc;
}

static int take_raw(struct ctx *c, const json_t *raw, struct send_request *out)
{
	unsigned char *d;
	size_t dn;
	struct mailaddr hfrom;

	if (b64_decode(json_string_value(raw), json_string_length(raw), &d, &dn) < 0)
		return refuse(c->e, 422, "invalid_raw", "raw is not valid base64");
	int rc = dn == 0 ? refuse(c->e, 422, "invalid_raw", "raw holds no message")
	                 : raw_lines(c, d, dn, &out->message);
	free(d);
	if (rc < 0)
		return -1;
	if (out->message.len > c->lim->max_size)
		return refuse(c->e, 413, "too_large",
		              "the message is %zu octets; the limit is %llu", out->message.len,
		              (unsigned long long)c->lim->max_size);
	if (raw_header(c, out->message.data, out->message.len, &hfrom) < 0)
		return -1;
	out->sender = get(c->root, "from") ? c->from.a : hfrom;
	out->raw = true;
	return 0;
}

/* ---- the composed message ---------------------------------------------- */

/*
 * check_from_field - read the From: field just built the way the relay will
 * (mbox_parse_from): a display name it would refuse is refused now, and the
 * envelope sender is the address as the relay reads it.
 */
static int check_from_field(struct ctx *c, struct send_request *out)
{
	const char *m = out->message.data;
	size_t end = 5; /* past "From:" */
	char why[200];

	while (end + 2 < out->message.len &&
	       !(m[end] == '\r' && m[end + 1] == '\n' && m[end + 2] != ' ' && m[end + 2] != '\t'))
		end++;
	if (mbox_parse_from(m + 5, end - 5, false, &out->sender, why, sizeof(why)) < 0)
		return refuse(c->e, 422, "invalid_from", "from: the relay would refuse it: %s",
		              why);
	return 0;
}

static int build(struct ctx *c, struct send_request *out)
{
	const json_t *subject = get(c->root, "subject");
	const json_t *text = get(c->root, "text"), *html = get(c->root, "html");
	char err[256];

	if (subject != NULL) {
		if (text_field(c, "subject", json_string_value(subject), true) < 0)
			return -1;
		if (json_string_length(subject) > COMPOSE_SUBJECT_MAX)
			return refuse(c->e, 422, "invalid_field",
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
		return refuse(c->e, 422, "invalid_field", "%s", err);
	if (check_from_field(c, out) < 0)
		return -1;
	if (out->message.len > c->lim->max_size)
		return refuse(c->e, 413, "too_large",
		              "the message is %zu octets; the limit is %llu", out->message.len,
		              (unsigned long long)c->lim->max_size);
	return 0;
}

/* ---- the request ---------------------------------------------------------- */

/* the 422s that need no parsing of the values, and the size before decoding */
static int check_presence(struct ctx *c)
{
	static const char *const not_with_raw[] = {"subject", "text",        "html",
	                                           "headers", "attachments", "reply_to"};
	const json_t *raw = get(c->root, "raw"), *att = get(c->root, "attachments");
	const json_t *text = get(c->root, "text"), *html = get(c->root, "html");
	const json_t *hdrs = get(c->root, "headers");

	for (size_t i = 0; raw && i < sizeof(not_with_raw) / sizeof(not_with_raw[0]); i++)
		if (get(c->root, not_with_raw[i]) != NULL)
			return refuse(
			        c->e, 422, "raw_exclusive",
			        "raw cannot be combined with %s: give the whole message in raw",
			        not_with_raw[i]);
	if (raw == NULL && get(c->root, "from") == NULL)
		return refuse(c->e, 422, "missing_from", "from is required");
	size_t nr = count_of(get(c->root, "to")) + count_of(get(c->root, "cc")) +
	            count_of(get(c->root, "bcc"));
	if (nr > c->lim->max_rcpts)
		return refuse(c->e, 422, "too_many_recipients",
		              "%zu recipients in to, cc and bcc; at most %zu are allowed", nr,
		              c->lim->max_rcpts);
	if (nr == 0)
		return refuse(c->e, 422, "no_recipients",
		              "give at least one recipient in to, cc or bcc");
	if (raw == NULL && json_string_length(text) == 0 && json_string_length(html) == 0 &&
	    json_array_size(att) == 0)
		return refuse(c->e, 422, "no_content", "give text, html, attachments or raw");
	if (json_object_size(hdrs) > c->lim->max_headers)
		return refuse(c->e, 422, "too_many_headers", "%zu headers; at most %zu are allowed",
		              json_object_size(hdrs), c->lim->max_headers);
	if (json_array_size(att) > c->lim->max_attachments)
		return refuse(c->e, 422, "too_many_attachments",
		              "%zu attachments; at most %zu are allowed", json_array_size(att),
		              c->lim->max_attachments);
	/* bound before decoding: what the parts decode to, before any encoding */
	uint64_t size = json_string_length(text) + json_string_length(html);
	if (raw != NULL)
		size += b64_size(json_string_value(raw), json_string_length(raw));
	for (size_t i = 0; i < json_array_size(att); i++) {
		const json_t *ct = get(json_array_get(att, i), "content");
		size += b64_size(json_string_value(ct), json_string_length(ct));
	}
	if (size > c->lim->max_size)
		return refuse(c->e, 413, "too_large",
		              "the content is %llu octets before encoding; the limit is %llu",
		              (unsigned long long)size, (unsigned long long)c->lim->max_size);
	return 0;
}

static int parse(struct ctx *c, struct send_request *out)
{
	const json_t *raw = get(c->root, "raw");

	if (check_shape(c) < 0 || check_presence(c) < 0)
		return -1;
	if (get(c->root, "from") && parse_addr(c, get(c->root, "from"), "from", &c->from) < 0)
		return -1;
	if (parse_list(c, "to", &c->to, &c->nto) < 0 || parse_list(c, "cc", &c->cc, &c->ncc) < 0 ||
	    parse_list(c, "bcc", &c->bcc, &c->nbcc) < 0 ||
	    parse_list(c, "reply_to", &c->reply_to, &c->nreply_to) < 0)
		return -1;
	if (parse_headers(c) < 0 || parse_attachments(c) < 0 || parse_stream(c, out) < 0 ||
	    parse_metadata(c, out) < 0)
		return -1;
	if (raw != NULL ? take_raw(c, raw, out) < 0 : build(c, out) < 0)
		return -1;
	collect_rcpts(c, out);
	return 0;
}

static void ctx_release(struct ctx *c)
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
	struct ctx c = {.lim = lim, .e = e};
	json_error_t jerr;
	char x[100];

	memset(out, 0, sizeof(*out));
	buf_init(&out->message);
	memset(e, 0, sizeof(*e));
	if (n == 0)
		return refuse(e, 400, "bad_json", "the request body is empty");
	if (too_deep(body, n, lim->max_depth))
		return refuse(e, 400, "too_deep", "the JSON is nested deeper than %zu levels",
		              lim->max_depth);
	c.root = json_loadb(body, n, JSON_REJECT_DUPLICATES, &jerr);
	if (c.root == NULL) {
		if (strstr(jerr.text, "\\u0000") != NULL)
			return refuse(e, 400, "bad_json",
			              "invalid JSON at line %d column %d: NUL (\\u0000) is not "
			              "allowed in strings",
			              jerr.line, jerr.column);
		return refuse(e, 400, "bad_json", "invalid JSON at line %d column %d: %s",
		              jerr.line, jerr.column, ESC(x, jerr.text));
	}
	int rc = json_is_object(c.root)
	                 ? parse(&c, out)
	                 : refuse(e, 400, "bad_json", "the body must be a JSON object");
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
