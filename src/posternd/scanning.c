/* scanning.c - the scanners configured (scanning.h). */
#include "scanning.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "content.h"
#include "dlp.h"
#include "scan.h"
#include "xmalloc.h"

static struct dlp_db *compile(const struct config *c, char *err, size_t errlen)
{
	size_t n = c->dlp.n;
	struct dlp_rule_spec *specs = xcalloc(n ? n : 1, sizeof(*specs));
	struct config_dlp_rule *rules = xcalloc(n ? n : 1, sizeof(*rules));
	struct dlp_db *db = NULL;
	bool ok = true;

	for (size_t i = 0; i < n && ok; i++) {
		char msg[200];
		/* checked when the file was read: this cannot fail */
		if (config_dlp_parse(c->dlp.v[i].value, &rules[i], msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "[dlp] %s: %s", c->dlp.v[i].key, msg);
			ok = false;
			break;
		}
		static const enum dlp_kind kinds[] = {DLP_CARD, DLP_IBAN, DLP_SSN, DLP_REGEX,
		                                      DLP_KEYWORDS};
		specs[i].name = c->dlp.v[i].key;
		specs[i].kind = kinds[rules[i].kind];
		specs[i].pattern = rules[i].arg;
		specs[i].min_count = rules[i].min;
	}
	if (ok && n > 0) {
		char why[300];
		db = dlp_compile(specs, n, why, sizeof(why));
		if (db == NULL)
			snprintf(err, errlen, "[dlp]: %s", why);
	}
	for (size_t i = 0; i < n; i++)
		free(rules[i].arg);
	free(rules);
	free(specs);
	return db;
}

int scanning_apply(struct scanner *sc, struct content_policy *p, const struct config *c, char *err,
                   size_t errlen)
{
	struct dlp_db *db = NULL;

	if (c->dlp.n > 0 && (db = compile(c, err, errlen)) == NULL)
		return -1;
	struct scan_settings set = {
	        .clamd = c->clamd,
	        .clamd_timeout_ms = c->clamd_timeout_ms,
	        .clamd_max_size = c->clamd_max_size,
	        .rspamd = c->rspamd,
	        .rspamd_timeout_ms = c->rspamd_timeout_ms,
	        .mime_max_depth = (size_t)c->mime_max_depth,
	        .mime_max_parts = (size_t)c->mime_max_parts,
	        .mime_max_decoded = c->mime_max_decoded,
	};
	scanner_set(sc, &set, db);
	const char **names = xcalloc(c->dlp_sets.n ? c->dlp_sets.n : 1, sizeof(char *));
	const char **lists = xcalloc(c->dlp_sets.n ? c->dlp_sets.n : 1, sizeof(char *));
	for (size_t i = 0; i < c->dlp_sets.n; i++) {
		names[i] = c->dlp_sets.v[i].key;
		lists[i] = c->dlp_sets.v[i].value;
	}
	content_policy_set(p, strcmp(c->scan_on_error, "quarantine") == 0, names, lists,
	                   c->dlp_sets.n);
	content_set_budget(p, c->scan_max_memory);
	free(names);
	free(lists);
	return 0;
}

int scanning_check(const struct config *c, char *err, size_t errlen)
{
	struct dlp_db *db;

	if (c->dlp.n == 0)
		return 0;
	if ((db = compile(c, err, errlen)) == NULL)
		return -1;
	dlp_free(db);
	return 0;
}

const char **scanning_names(const struct config *c, size_t *n)
{
	const char **v = xcalloc(c->dlp.n + c->dlp_sets.n + 1, sizeof(char *));

	*n = 0;
	for (size_t i = 0; i < c->dlp.n; i++)
		v[(*n)++] = c->dlp.v[i].key;
	for (size_t i = 0; i < c->dlp_sets.n; i++)
		v[(*n)++] = c->dlp_sets.v[i].key;
	return v;
}
