/* http.c - JSON request and reply helpers. */
#include "http.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strutil.h"

static const char *reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 503:
		return "Service Unavailable";
	default:
		return code < 500 ? "Error" : "Internal Server Error";
	}
}

void http_json(struct evhttp_request *req, int code, json_t *j)
{
	struct evbuffer *out = evbuffer_new();
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(j);
	if (text) {
		evbuffer_add(out, text, strlen(text));
		evbuffer_add(out, "\n", 1);
		free(text);
	}
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, code, reason(code), out);
	evbuffer_free(out);
}

void http_error(struct evhttp_request *req, int status, const char *code_name, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_json(req, status,
	          json_pack("{s:{s:s, s:s}}", "error", "code", code_name, "message", msg));
}

json_t *http_body_json(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	json_error_t jerr;

	if (n == 0) {
		http_error(req, 400, "bad_request", "a JSON body is required");
		return NULL;
	}
	if (ct == NULL || !ascii_iprefix(ct, "application/json")) {
		http_error(req, 415, "unsupported_media_type", "the body must be application/json");
		return NULL;
	}
	const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		http_error(req, 400, "bad_json", "invalid JSON at line %d column %d: %s", jerr.line,
		           jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_error(req, 400, "bad_json", "the body must be a JSON object");
		return NULL;
	}
	return j;
}

json_t *http_body_json_opt(struct evhttp_request *req)
{
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) == 0)
		return json_object();
	return http_body_json(req);
}

json_t *http_iso8601(int64_t t)
{
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0)
		return json_null();
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

json_t *http_time_ms(int64_t ms)
{
	char buf[40];
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	gmtime_r(&t, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%03dZ", (int)(ms % 1000));
	return json_string(buf);
}
