/*
 * scan_content.c - the part of a scan that runs on a worker thread: the
 * message's MIME structure read with the bounded parser, and the DLP rules
 * run over what a reader sees of it (the subject, the text parts and the
 * textual attachments, decoded to UTF-8).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "scan_internal.h"
#include "strutil.h"
#include "xmalloc.h"

struct content {
	struct dlp_scan *dlp; /* NULL: no rules to run */
	bool in_text;         /* a text's pieces are being fed */
	bool failed;          /* the DLP engine failed: its counts are incomplete */
};

static void on_part(const struct mime_part_info *p, const char *data, size_t n, bool last,
                    void *arg)
{
	struct content *c = arg;

	if (c->dlp == NULL || c->failed || !p->text)
		return;
	if (n > 0 && dlp_scan_feed(c->dlp, data, n) < 0)
		c->failed = true;
	c->in_text = !last;
	if (last && dlp_scan_end_text(c->dlp) < 0)
		c->failed = true;
}

static bool rule_wanted(const struct scan_input *in, const char *rule)
{
	if (in->dlp_rules == NULL)
		return true;
	for (size_t i = 0; i < in->ndlp_rules; i++)
		if (strcmp(in->dlp_rules[i], rule) == 0)
			return true;
	return false;
}

static void take_hits(const struct scan_input *in, const struct dlp_db *db,
                      const struct dlp_scan *s, struct scan_result *res)
{
	size_t cap = dlp_db_rules(db);
	struct dlp_hit *hits = xcalloc(cap ? cap : 1, sizeof(*hits));
	size_t n = dlp_scan_results(s, hits, cap);

	if (n > cap)
		n = cap;
	for (size_t i = 0; i < n && res->nhits < SCAN_MAX_HITS; i++) {
		if (!hits[i].triggered || !rule_wanted(in, hits[i].rule))
			continue;
		strlcpy_(res->hits[res->nhits].rule, hits[i].rule, sizeof(res->hits[0].rule));
		res->hits[res->nhits].count = hits[i].count;
		res->nhits++;
	}
	free(hits);
}

void scan_content(const struct scan_input *in, const struct dlp_db *db,
                  const struct scan_limits *lim, struct scan_result *res)
{
	struct mime_limits ml;
	struct mime_result mr;
	struct mime_parser *m;
	struct content c = {0};

	mime_limits_default(&ml);
	if (lim->max_depth)
		ml.max_depth = lim->max_depth;
	if (lim->max_parts)
		ml.max_parts = lim->max_parts;
	if (lim->max_decoded)
		ml.max_decoded = lim->max_decoded;
	/* a rule the source names that is not loaded (renamed, removed, or no rules at
	 * all now): its findings cannot be had, so the scan fails closed */
	for (size_t i = 0; in->dlp_rules && i < in->ndlp_rules && !c.failed; i++)
		if (!dlp_db_has_rule(db, in->dlp_rules[i])) {
			c.failed = true;
			snprintf(res->dlp_why, sizeof(res->dlp_why), "rule %.64s is not loaded",
			         in->dlp_rules[i]);
		}
	if (db && !c.failed && (in->dlp_rules == NULL || in->ndlp_rules > 0)) {
		c.dlp = dlp_scan_new(db);
		if (c.dlp == NULL)
			c.failed = true;
	}
	m = mime_new(&ml, on_part, &c);
	(void)mime_feed(m, in->data, in->n);
	memset(&mr, 0, sizeof(mr));
	(void)mime_finish(m, &mr);
	mime_free(m);
	switch (mr.status) {
	case MIME_OK:
		res->mime = SCAN_MIME_OK;
		break;
	case MIME_LIMIT:
		res->mime = SCAN_MIME_LIMIT;
		break;
	case MIME_MALFORMED:
		res->mime = SCAN_MIME_MALFORMED;
		break;
	case MIME_AMBIGUOUS:
		res->mime = SCAN_MIME_AMBIGUOUS;
		break;
	}
	if (mr.status != MIME_OK)
		strlcpy_(res->mime_why, mr.why, sizeof(res->mime_why));
	if (c.dlp && !c.failed) {
		/* a part cut short by a verdict still has its text judged */
		if (c.in_text && dlp_scan_end_text(c.dlp) < 0)
			c.failed = true;
		if (!c.failed && mr.subject && mr.subject[0]) {
			if (dlp_scan_feed(c.dlp, mr.subject, strlen(mr.subject)) < 0 ||
			    dlp_scan_end_text(c.dlp) < 0)
				c.failed = true;
		}
	}
	if (c.dlp && !c.failed)
		take_hits(in, db, c.dlp, res);
	res->dlp_error = c.failed;
	if (c.failed && res->dlp_why[0] == '\0')
		strlcpy_(res->dlp_why, "the engine failed", sizeof(res->dlp_why));
	mime_result_release(&mr);
	dlp_scan_free(c.dlp);
}
