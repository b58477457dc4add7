/*
 * webhooks.h - every event of a source POSTed as JSON to the URL the source
 * registered, signed, retried with back-off, never in the mail's way.
 *
 * The request (documented in the README):
 *   POST <url>   Content-Type: application/json   User-Agent: Postern/VERSION
 *   Postern-Event-Id: evt_<16 hex>        (the same on every retry)
 *   Postern-Timestamp: <seconds since the epoch, when signed>
 *   Postern-Signature: t=<timestamp>,v1=<hex HMAC-SHA256(secret, timestamp "." body)>
 *   {"id", "type", "time", "source", "message_id", "sender", "recipient",
 *    "dsn", "reason", "detail"}
 * A 2xx answer is a delivery; anything else, or no answer within the
 * timeout, is retried after retry_min, doubling (with jitter) up to an hour,
 * until max_age; then the event is given up and counted. Redirects are not
 * followed. Events wait in memory (at most max_queued, a quarter of it for
 * one source; beyond, the source's oldest are dropped and counted), each
 * source's in a list of its own, the sources served in turn: a restart
 * forgets the ones not yet delivered.
 *
 * SECURITY: the URL's host is resolved by Postern and the address checked
 * before connecting: loopback, private, link-local and metadata addresses are
 * refused unless allow_private (a source must not aim the relay at the
 * inside). https URLs get a verified certificate for the host.
 */
#ifndef POSTERN_WEBHOOKS_H
#define POSTERN_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct resolver;
struct sources;
struct store_event;

struct webhook_settings {
	uint64_t timeout_ms;
	uint64_t retry_min_ms;
	uint64_t max_age_ms;
	size_t max_queued;
	bool allow_private;
	const char *ca_file; /* NULL: the system's */
	const char *version; /* for User-Agent */
};

struct webhooks;

/* webhooks_new - reg and dns are borrowed and must outlive it. NULL with err. */
struct webhooks *webhooks_new(struct event_base *base, struct sources *reg, struct resolver *dns,
                              const struct webhook_settings *set, char *err, size_t errlen);
/* webhooks_free - requests in flight are cut; queued events are forgotten. */
void webhooks_free(struct webhooks *w);
void webhooks_set(struct webhooks *w, const struct webhook_settings *set);

/* webhooks_event - e (borrowed) is queued if its source has a webhook wanting it. Loop only. */
void webhooks_event(struct webhooks *w, const struct store_event *e);

/*
 * webhook_url_valid - http:// or https://, a host, an optional port, a
 * path; no user information, no fragment, printable ASCII. why says what is
 * wrong.
 */
bool webhook_url_valid(const char *url, char *why, size_t whylen);

struct webhook_stats {
	uint64_t delivered, failed_attempts, given_up, dropped;
	size_t queued, in_flight;
};
void webhooks_get_stats(struct webhooks *w, struct webhook_stats *out);

#endif
