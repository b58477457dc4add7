/*
 * unsubscribe.c - the one-click unsubscribe endpoint (RFC 8058) on the send
 * doors: the links of List-Unsubscribe point here.
 *
 *   GET  /u/TOKEN   a small HTML page saying what a click will do, with a
 *                   button that POSTs; changes nothing (mail scanners and
 *                   link previews fetch links)
 *   POST /u/TOKEN   body List-Unsubscribe=One-Click (form-encoded or
 *                   multipart/form-data): the recipient is suppressed at
 *                   once; 200 again for a repeat
 *
 * SECURITY: anyone on the Internet may call this, without credentials. The
 * token is the only authority: its MAC is checked in constant time
 * (unsub_token.h) before anything of it is believed; a bad, altered,
 * truncated, expired or foreign token gets 400 and changes nothing. No
 * cookies are read or set, nothing redirects, the pages load nothing
 * (Content-Security-Policy default-src 'none'), and the recipient's address
 * is HTML-escaped. Bodies are small: the door's limit before an API key is
 * shown applies (door.c).
 */
#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "buf.h"
#include "http.h"
#include "log.h"
#include "strutil.h"
#include "suppress.h"

#define BODY_MAX 8192

static void html_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_putc(b, *s);
			break;
		}
	}
}

static void page(struct evhttp_request *req, int status, const char *title, const char *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evbuffer_new();

	evbuffer_add_printf(
	        out,
	        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	        "<title>%s</title><style>body{font-family:sans-serif;max-width:36em;"
	        "margin:3em auto;padding:0 1em;line-height:1.5}button{font-size:1.1em;"
	        "padding:.5em 1.2em}</style></head>\n<body><main><h1>%s</h1>\n%s"
	        "</main></body></html>\n",
	        title, title, body);
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Content-Security-Policy",
	                  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
	                  "frame-ancestors 'none'");
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Bad Request", out);
	evbuffer_free(out);
}

static void invalid(struct evhttp_request *req, enum unsub_verdict v)
{
	page(req, 400, "This link does not work",
	     v == UNSUB_EXPIRED
	             ? "<p>This unsubscribe link has expired. Use the link in a more recent "
	               "message.</p>\n"
	             : "<p>This unsubscribe link is not valid. Nothing was changed.</p>\n");
}

/* one_click - the body says List-Unsubscribe=One-Click (form-encoded or multipart) */
static bool one_click(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char body[BODY_MAX + 1];

	if (n == 0 || n > BODY_MAX)
		return false;
	evbuffer_copyout(in, body, n);
	body[n] = '\0';
	if (memchr(body, '\0', n) != NULL)
		return false;
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	if (ct != NULL && ascii_iprefix(ct, "multipart/form-data")) {
		/* a part named List-Unsubscribe whose content is One-Click */
		const char *p = strstr(body, "name=\"List-Unsubscribe\"");
		const char *v = p ? strstr(p, "\r\n\r\n") : NULL;
		return v != NULL && strncmp(v + 4, "One-Click", 9) == 0 &&
		       (v[13] == '\r' || v[13] == '\0');
	}
	/* form-encoded: one of the pairs is exactly List-Unsubscribe=One-Click */
	char *save = NULL;
	for (char *t = strtok_r(body, "&", &save); t; t = strtok_r(NULL, "&", &save)) {
		size_t k = strlen(t);
		while (k > 0 && (t[k - 1] == '\r' || t[k - 1] == '\n'))
			t[--k] = '\0';
		if (strcmp(t, "List-Unsubscribe=One-Click") == 0)
			return true;
	}
	return false;
}

void api_unsubscribe(struct api *a, struct evhttp_request *req, const char *token)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct unsub_claim c;
	struct buf b;
	char err[256];

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, POST");
		http_error(req, 405, "method_not_allowed", "use GET or POST");
		return;
	}
	enum unsub_verdict v =
	        a->deps.suppress ? suppress_token_read(a->deps.suppress, token, &c) : UNSUB_BAD;
	if (v != UNSUB_OK) {
		log_info("unsubscribe refused verdict=%s", v == UNSUB_EXPIRED ? "expired" : "bad");
		invalid(req, v);
		return;
	}
	buf_init(&b);
	if (cmd == EVHTTP_REQ_GET) {
		buf_puts(&b, "<p>Stop sending <strong>");
		html_escape(&b, c.stream);
		buf_puts(&b, "</strong> messages to <strong>");
		html_escape(&b, c.rcpt);
		buf_puts(&b, "</strong>?</p>\n<form method=\"post\"><input type=\"hidden\" "
		             "name=\"List-Unsubscribe\" value=\"One-Click\">"
		             "<button type=\"submit\">Unsubscribe</button></form>\n");
		page(req, 200, "Unsubscribe", b.data);
		buf_release(&b);
		return;
	}
	if (!one_click(req)) {
		buf_release(&b);
		http_error(req, 400, "bad_request", "the body must be List-Unsubscribe=One-Click");
		return;
	}
	struct store_suppression e;
	memset(&e, 0, sizeof(e));
	strlcpy_(e.address, c.rcpt, sizeof(e.address));
	strlcpy_(e.scope, suppress_scope_of(a->deps.suppress, c.stream), sizeof(e.scope));
	strlcpy_(e.reason, "unsubscribe", sizeof(e.reason));
	strlcpy_(e.origin, "one-click", sizeof(e.origin));
	strlcpy_(e.source, c.source, sizeof(e.source));
	if (suppress_add(a->deps.suppress, &e, err, sizeof(err)) < 0) {
		buf_release(&b);
		log_err("unsubscribe failed error=\"%s\"", err);
		http_error(req, 503, "unavailable", "try again later");
		return;
	}
	buf_puts(&b, "<p>Done: no more ");
	if (strcmp(e.scope, "domain") != 0) {
		html_escape(&b, c.stream);
		buf_putc(&b, ' ');
	}
	buf_puts(&b, "messages will be sent to <strong>");
	html_escape(&b, c.rcpt);
	buf_puts(&b, "</strong>.</p>\n");
	page(req, 200, "Unsubscribed", b.data);
	buf_release(&b);
}
