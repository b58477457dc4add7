/*
 * http.h - helpers shared by the HTTP handlers: JSON replies, the error
 * shape {"error": {"code": ..., "message": ...}}, and bounded JSON bodies.
 */
#ifndef POSTERN_HTTP_H
#define POSTERN_HTTP_H

#include <jansson.h>
#include <stdint.h>

struct evhttp_request;

/* http_json - send j (taken over: decref'd here) with status code. */
void http_json(struct evhttp_request *req, int code, json_t *j);
/* http_error - {"error": {"code": code_name, "message": ...}} */
void http_error(struct evhttp_request *req, int status, const char *code_name, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/*
 * http_body_json - the request body as a JSON object, or NULL after replying
 * 400/415 itself. Duplicate keys are refused.
 */
json_t *http_body_json(struct evhttp_request *req);
/* http_body_json_opt - as http_body_json, but no body at all reads as {} */
json_t *http_body_json_opt(struct evhttp_request *req);
/* http_time_ms - ms since the epoch as "2026-11-23T10:00:00.123Z" (a new JSON string) */
json_t *http_time_ms(int64_t ms);
/* http_iso8601 - seconds since the epoch as "2026-11-23T10:00:00Z" (a new JSON string). */
json_t *http_iso8601(int64_t t);

#endif
