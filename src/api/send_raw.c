/*
 * send_raw.c - the send API's raw path: "raw", a whole RFC 5322 message in
 * base64, decoded, its lines made CRLF (NUL, bare CR and lines over 998
 * octets refused) and its header section checked the way the relay will
 * read it: 7-bit, fields only, exactly one From: that mbox_parse_from
 * accepts, no Bcc:. The From: address is the envelope sender unless the
 * request gives from.
 */
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "mailbox.h"
#include "send_request_internal.h"
#include "utf8.h"

/*
 * raw_lines - the decoded message into dst with CRLF line ends: bare LF
 * becomes CRLF; NUL, bare CR and lines over 998 octets are refused; a last
 * line without a line end gets one.
 */
static int raw_lines(struct send_ctx *c, const unsigned char *d, size_t n, struct buf *dst)
{
	size_t col = 0;

	buf_reserve(dst, n + n / 32 + 2);
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '\0')
			return send_refuse(c->e, 422, "invalid_raw", "raw holds a NUL octet");
		if (d[i] == '\r' && (i + 1 == n || d[i + 1] != '\n'))
			return send_refuse(c->e, 422, "invalid_raw",
			                   "raw holds a bare CR (one not followed by LF)");
		if (d[i] == '\r')
			continue;
		if (d[i] == '\n') {
			buf_append(dst, "\r\n", 2);
			col = 0;
			continue;
		}
		if (++col > SEND_LINE_MAX)
			return send_refuse(c->e, 422, "invalid_raw",
			                   "raw has a line longer than %d octets (RFC 5322 2.1.1)",
			                   SEND_LINE_MAX);
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

static int raw_header(struct send_ctx *c, const char *msg, size_t len, struct mailaddr *from)
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
		return send_refuse(c->e, 422, "invalid_raw", "raw has no header section");
	if (!is_ascii(msg, end))
		return send_refuse(c->e, 422, "invalid_raw",
		                   "raw has 8-bit octets in its header section (use RFC 2047 "
		                   "encoded words)");
	if (hdr_index_build(&ix, msg, end) < 0)
		return send_refuse(c->e, 422, "invalid_raw",
		                   "raw's header section holds a line that is not a field");
	size_t nfrom = hdr_count(&ix, "From");
	int rc = 0;
	if (nfrom != 1) {
		rc = send_refuse(c->e, 422, "invalid_from",
		                 nfrom == 0 ? "raw has no From: field"
		                            : "raw has %zu From: fields; exactly one is allowed",
		                 nfrom);
	} else if (hdr_find(&ix, "Bcc") != NULL) {
		rc = send_refuse(c->e, 422, "invalid_raw",
		                 "raw has a Bcc: field; give blind copies in bcc instead");
	} else {
		size_t vn;
		char *v = field_value(&ix, hdr_find(&ix, "From"), &vn);
		if (mbox_parse_from(v, vn, false, from, why, sizeof(why)) < 0)
			rc = send_refuse(c->e, 422, "invalid_from", "raw's From: field: %s", why);
		free(v);
	}
	hdr_index_release(&ix);
	return rc;
}

int send_take_raw(struct send_ctx *c, const json_t *raw, struct send_request *out)
{
	unsigned char *d;
	size_t dn;
	struct mailaddr hfrom;

	if (send_b64_decode(json_string_value(raw), json_string_length(raw), &d, &dn) < 0)
		return send_refuse(c->e, 422, "invalid_raw", "raw is not valid base64");
	int rc = dn == 0 ? send_refuse(c->e, 422, "invalid_raw", "raw holds no message")
	                 : raw_lines(c, d, dn, &out->message);
	free(d);
	if (rc < 0)
		return -1;
	if (out->message.len > c->lim->max_size)
		return send_refuse(c->e, 413, "too_large",
		                   "the message is %zu octets; the limit is %llu", out->message.len,
		                   (unsigned long long)c->lim->max_size);
	if (raw_header(c, out->message.data, out->message.len, &hfrom) < 0)
		return -1;
	out->sender = send_get(c->root, "from") ? c->from.a : hfrom;
	out->raw = true;
	return 0;
}
