/*
 * sources_settings.c - what a source may do and what happens to its mail:
 * its limits, lane and pool, identity rules, webhook, scanning and streams.
 * Each change is written to the store first and kept in memory only when
 * the store took it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "idpattern.h"
#include "sources.h"
#include "sources_internal.h"
#include "strutil.h"
#include "xmalloc.h"

int sources_set_limits(struct sources *reg, struct source *s, const struct store_limits *lim,
                       char *err, size_t errlen)
{
	struct store_limits old = s->limits;

	s->limits = *lim;
	int r = sources_save(reg, s, err, errlen);
	if (r != 0)
		s->limits = old;
	else
		s->updated_at = (int64_t)time(NULL);
	return r;
}

int sources_set_delivery(struct sources *reg, struct source *s, const char *kind, const char *pool,
                         bool bulk, char *err, size_t errlen)
{
	struct source saved = *s;

	strlcpy_(s->kind, kind, sizeof(s->kind));
	strlcpy_(s->pool, pool, sizeof(s->pool));
	s->bulk = bulk;
	int r = sources_save(reg, s, err, errlen);
	if (r != 0) {
		strlcpy_(s->kind, saved.kind, sizeof(s->kind));
		strlcpy_(s->pool, saved.pool, sizeof(s->pool));
		s->bulk = saved.bulk;
	} else {
		s->updated_at = (int64_t)time(NULL);
	}
	return r;
}

/* the rule's two patterns, normalized; from defaults to the envelope pattern */
static int rule_patterns(const char *envelope, const char *header_from, struct store_identity *i,
                         char *err, size_t errlen)
{
	char why[128];

	if (idpat_normalize(envelope, i->envelope, sizeof(i->envelope), why, sizeof(why)) < 0) {
		snprintf(err, errlen, "envelope pattern \"%s\": %s", envelope, why);
		return SOURCES_INVALID;
	}
	if (header_from == NULL || header_from[0] == '\0') {
		if (strcmp(i->envelope, "<>") == 0) {
			snprintf(err, errlen,
			         "the null sender <> needs a From: pattern (a From: is never "
			         "empty)");
			return SOURCES_INVALID;
		}
		header_from = i->envelope;
	}
	if (idpat_normalize(header_from, i->header_from, sizeof(i->header_from), why, sizeof(why)) <
	    0) {
		snprintf(err, errlen, "From: pattern \"%s\": %s", header_from, why);
		return SOURCES_INVALID;
	}
	if (strcmp(i->header_from, "<>") == 0) {
		snprintf(err, errlen, "a From: pattern cannot be <> (a From: is never empty)");
		return SOURCES_INVALID;
	}
	return 0;
}

static struct source_identity *find_rule(struct source *s, const struct store_identity *i)
{
	for (size_t k = 0; k < s->nids; k++)
		if (s->ids[k].deny == i->deny && strcmp(s->ids[k].envelope, i->envelope) == 0 &&
		    strcmp(s->ids[k].header_from, i->header_from) == 0)
			return &s->ids[k];
	return NULL;
}

int sources_add_identity(struct sources *reg, struct source *s, bool deny, const char *envelope,
                         const char *header_from, char *err, size_t errlen)
{
	struct store_identity i;

	memset(&i, 0, sizeof(i));
	i.source_id = s->id;
	i.deny = deny;
	int bad = rule_patterns(envelope, header_from, &i, err, errlen);
	if (bad != 0)
		return bad;
	if (find_rule(s, &i) != NULL) {
		snprintf(err, errlen, "source %s already has that rule", s->name);
		return STORE_EXISTS;
	}
	if (s->nids == SOURCE_MAX_IDENTITIES) {
		snprintf(err, errlen, "source %s has %d identity rules, the most it may have",
		         s->name, SOURCE_MAX_IDENTITIES);
		return SOURCES_INVALID;
	}
	int r = store_identity_insert(reg->st, &i, err, errlen);
	if (r == 0)
		sources_put_identity(s, &i);
	return r;
}

int sources_remove_identity(struct sources *reg, struct source *s, bool deny, const char *envelope,
                            const char *header_from, char *err, size_t errlen)
{
	struct store_identity i;

	memset(&i, 0, sizeof(i));
	i.deny = deny;
	int bad = rule_patterns(envelope, header_from, &i, err, errlen);
	if (bad != 0)
		return bad;
	struct source_identity *found = find_rule(s, &i);
	if (found == NULL) {
		snprintf(err, errlen, "source %s has no such rule", s->name);
		return STORE_NOTFOUND;
	}
	int r = store_identity_delete(reg->st, found->id, err, errlen);
	if (r != 0)
		return r;
	size_t k = (size_t)(found - s->ids);
	memmove(&s->ids[k], &s->ids[k + 1], (s->nids - k - 1) * sizeof(*s->ids));
	s->nids--;
	return 0;
}

int sources_set_webhook(struct sources *reg, struct source *s, const char *url, const char *secret,
                        const char *events, char *err, size_t errlen)
{
	char old_url[sizeof(s->webhook_url)], old_secret[sizeof(s->webhook_secret)];
	char old_events[sizeof(s->webhook_events)];

	memcpy(old_url, s->webhook_url, sizeof(old_url));
	memcpy(old_secret, s->webhook_secret, sizeof(old_secret));
	memcpy(old_events, s->webhook_events, sizeof(old_events));
	strlcpy_(s->webhook_url, url, sizeof(s->webhook_url));
	strlcpy_(s->webhook_secret, url[0] ? secret : "", sizeof(s->webhook_secret));
	strlcpy_(s->webhook_events, url[0] ? events : "", sizeof(s->webhook_events));
	int r = sources_save(reg, s, err, errlen);
	if (r != 0) {
		memcpy(s->webhook_url, old_url, sizeof(old_url));
		memcpy(s->webhook_secret, old_secret, sizeof(old_secret));
		memcpy(s->webhook_events, old_events, sizeof(old_events));
	} else {
		s->updated_at = (int64_t)time(NULL);
	}
	return r;
}

bool source_wants_event(const struct source *s, const char *type)
{
	size_t n = strlen(type);

	if (s->webhook_url[0] == '\0')
		return false;
	if (s->webhook_events[0] == '\0')
		return true;
	for (const char *p = s->webhook_events; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && strncmp(p, type, n) == 0)
			return true;
		p += k + (p[k] == ',');
	}
	return false;
}

int sources_set_scanning(struct sources *reg, struct source *s, const char *dlp_rules,
                         const char *dlp_action, const char *spam_action, char *err, size_t errlen)
{
	struct source old = *s;

	strlcpy_(s->dlp_rules, dlp_rules, sizeof(s->dlp_rules));
	strlcpy_(s->dlp_action, dlp_action, sizeof(s->dlp_action));
	strlcpy_(s->spam_action, spam_action, sizeof(s->spam_action));
	int r = sources_save(reg, s, err, errlen);
	if (r != 0) {
		memcpy(s->dlp_rules, old.dlp_rules, sizeof(s->dlp_rules));
		memcpy(s->dlp_action, old.dlp_action, sizeof(s->dlp_action));
		memcpy(s->spam_action, old.spam_action, sizeof(s->spam_action));
	} else {
		s->updated_at = (int64_t)time(NULL);
	}
	return r;
}

int sources_set_streams(struct sources *reg, struct source *s, const char *stream,
                        bool reject_suppressed, char *err, size_t errlen)
{
	struct source old = *s;

	strlcpy_(s->stream, stream, sizeof(s->stream));
	s->reject_suppressed = reject_suppressed;
	int r = sources_save(reg, s, err, errlen);
	if (r != 0) {
		memcpy(s->stream, old.stream, sizeof(s->stream));
		s->reject_suppressed = old.reject_suppressed;
	} else {
		s->updated_at = (int64_t)time(NULL);
	}
	return r;
}
