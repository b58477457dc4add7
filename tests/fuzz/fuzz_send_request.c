/*
 * fuzz_send_request.c - libFuzzer: send_request_parse over any body, with
 * small limits. On success: at least one and at most max_rcpts recipients,
 * the message within max_size, every line CRLF-terminated and at most 998
 * octets; a composed message is 7-bit, has exactly one From: field, no Bcc:,
 * and only the fields compose writes or compose_header_ok allows. On
 * failure: a status of 400, 413 or 422 with a code and a printable message.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "send_request.h"
#include "strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const built[] = {
        "From",    "To",           "Cc",           "Reply-To",
        "Subject", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
};

/* a header field name compose may have written */
static bool known_field(const char *p, size_t n)
{
	char name[128];

	if (n == 0 || n >= sizeof(name))
		return false;
	memcpy(name, p, n);
	name[n] = '\0';
	for (size_t i = 0; i < sizeof(built) / sizeof(built[0]); i++)
		if (ascii_iequal(name, built[i]))
			return true;
	return compose_header_ok(name, ascii_iequal(name, "Message-ID") ? "<a@b>" : "x", NULL, 0);
}

static void check_message(const struct send_request *r)
{
	const char *m = r->message.data;
	size_t n = r->message.len, froms = 0;
	bool in_header = true;

	if (n < 2 || m[n - 2] != '\r' || m[n - 1] != '\n')
		abort();
	for (size_t pos = 0; pos < n;) {
		const char *eol = memchr(m + pos, '\n', n - pos);
		if (eol == NULL || eol == m + pos || eol[-1] != '\r')
			abort();
		size_t len = (size_t)(eol - (m + pos)) - 1; /* CRLF excluded */
		if (len > 998 || memchr(m + pos, '\r', len) != NULL)
			abort();
		for (size_t i = 0; !r->raw && i < len; i++)
			if ((unsigned char)m[pos + i] >= 0x80 || m[pos + i] == '\0')
				abort();
		if (in_header && len == 0) {
			in_header = false;
		} else if (in_header && !r->raw && m[pos] != ' ' && m[pos] != '\t') {
			const char *colon = memchr(m + pos, ':', len);
			if (colon == NULL || !known_field(m + pos, (size_t)(colon - (m + pos))))
				abort();
			if (ascii_niequal(m + pos, "Bcc:", 4))
				abort();
			froms += ascii_niequal(m + pos, "From:", 5);
		}
		pos = (size_t)(eol - m) + 1;
	}
	if (!r->raw && froms != 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct send_limits lim;
	struct send_request r;
	struct send_error e;
	char *s;

	if (size > 64 * 1024)
		return 0;
	send_limits_default(&lim);
	lim.max_rcpts = 8;
	lim.max_size = 32 * 1024;
	/* exactly size octets on the heap, so reading past n is caught */
	s = malloc(size ? size : 1);
	memcpy(s, data, size);
	if (send_request_parse(s, size, &lim, &r, &e) == 0) {
		if (r.nrcpts == 0 || r.nrcpts > lim.max_rcpts || r.message.len > lim.max_size)
			abort();
		if (r.sender.addr[0] == '\0' || strchr(r.sender.addr, '@') == NULL)
			abort();
		if (strspn(r.stream, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(r.stream))
			abort();
		check_message(&r);
	} else {
		if (e.status != 400 && e.status != 413 && e.status != 422)
			abort();
		if (e.code[0] == '\0' || e.message[0] == '\0')
			abort();
		for (const char *p = e.message; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				abort();
	}
	send_request_release(&r);
	free(s);
	return 0;
}
