/*
 * admin_webhook.c - /admin/v1/sources/NAME/webhook: where a source's events go.
 *
 *   GET    .../webhook                       {url, events, secret} (or 404)
 *   PUT    .../webhook {url, events: [TYPE...], rotate_secret: bool}
 *                                            set it; a new signing secret the first
 *                                            time, or when asked to rotate
 *   DELETE .../webhook                       remove it
 *
 * The secret ("whsec_" and 32 random characters) signs every POST
 * (webhooks.h); it is shown to administrators here and never logged.
 */
#include <sodium.h>
#include <string.h>

#include "api_internal.h"
#include "auth.h"
#include "http.h"
#include "log.h"
#include "sources.h"
#include "strutil.h"
#include "webhooks.h"

static const char *const types[] = {"accepted",    "rejected", "signed",  "queued",   "deferred",
                                    "delivered",   "bounced",  "held",    "released", "dropped",
                                    "deleted",     "expired",  "removed", "dsn",      "scanned",
                                    "quarantined", NULL};

static bool type_known(const char *t)
{
	for (size_t i = 0; types[i]; i++)
		if (strcmp(types[i], t) == 0)
			return true;
	return false;
}

static json_t *hook_json(const struct source *s)
{
	json_t *ev = json_array();

	for (const char *p = s->webhook_events; *p;) {
		size_t k = strcspn(p, ",");
		json_array_append_new(ev, json_stringn(p, k));
		p += k + (p[k] == ',');
	}
	return json_pack("{s:s, s:s, s:o, s:s}", "source", s->name, "url", s->webhook_url, "events",
	                 ev, "secret", s->webhook_secret);
}

static void put(struct api *a, struct evhttp_request *req, struct source *s)
{
	json_t *body = http_body_json(req), *events = NULL;
	const char *url;
	int rotate = 0;
	json_error_t jerr;
	char why[200], list[STORE_EVENTS_MAX + 1] = "", secret[STORE_SECRET_MAX + 1], err[256];

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s:s, s?o, s?b}", "url", &url, "events",
	                   &events, "rotate_secret", &rotate) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	if (!webhook_url_valid(url, why, sizeof(why))) {
		http_error(req, 422, "invalid_url", "%s", why);
		json_decref(body);
		return;
	}
	if (events && !json_is_array(events)) {
		http_error(req, 422, "invalid_events", "events is a list of event types");
		json_decref(body);
		return;
	}
	size_t i;
	json_t *v;
	json_array_foreach(events, i, v)
	{
		const char *t = json_string_value(v);
		if (t == NULL || !type_known(t) || strlen(list) + strlen(t) + 2 > sizeof(list)) {
			http_error(
			        req, 422, "invalid_events",
			        "event %zu is not one of accepted, rejected, signed, queued, "
			        "deferred, delivered, bounced, held, released, dropped, deleted, "
			        "expired, removed, dsn",
			        i + 1);
			json_decref(body);
			return;
		}
		if (list[0])
			strlcpy_(list + strlen(list), ",", sizeof(list) - strlen(list));
		strlcpy_(list + strlen(list), t, sizeof(list) - strlen(list));
	}
	if (s->webhook_secret[0] && !rotate) {
		strlcpy_(secret, s->webhook_secret, sizeof(secret));
	} else {
		char r[33];
		auth_generate_secret(r);
		snprintf(secret, sizeof(secret), "whsec_%s", r);
		sodium_memzero(r, sizeof(r));
	}
	int rc = sources_set_webhook(a->deps.reg, s, url, secret, list, err, sizeof(err));
	sodium_memzero(secret, sizeof(secret));
	json_decref(body);
	if (rc != 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	log_info("admin source webhook source=%s events=%s rotated=%s", s->name,
	         list[0] ? list : "all", rotate ? "yes" : "no");
	http_json(req, 200, json_pack("{s:o}", "webhook", hook_json(s)));
}

void admin_webhook(struct api *a, struct evhttp_request *req, struct source *s)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char err[256];

	if (cmd == EVHTTP_REQ_PUT) {
		put(a, req, s);
	} else if (s->webhook_url[0] == '\0' && cmd != EVHTTP_REQ_PUT) {
		http_error(req, 404, "not_found", "source %s has no webhook", s->name);
	} else if (cmd == EVHTTP_REQ_GET) {
		http_json(req, 200, json_pack("{s:o}", "webhook", hook_json(s)));
	} else if (cmd == EVHTTP_REQ_DELETE) {
		if (sources_set_webhook(a->deps.reg, s, "", "", "", err, sizeof(err)) != 0) {
			http_error(req, 503, "store_error", "%s", err);
			return;
		}
		log_info("admin source webhook removed source=%s", s->name);
		http_json(req, 200,
		          json_pack("{s:s, s:s}", "source", s->name, "removed", "webhook"));
	} else {
		http_error(req, 405, "method_not_allowed", "use GET, PUT or DELETE");
	}
}
