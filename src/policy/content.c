/* content.c - the scanners' findings turned into what happens to a message (content.h). */
#include "content.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources.h"
#include "strutil.h"
#include "xmalloc.h"

struct content_policy {
	struct scanner *scanner; /* borrowed */
	bool on_error_quarantine;
	char **set_names, **set_rules; /* owned */
	size_t nsets;
	uint64_t held, budget; /* octets of messages held for the scanners, and the most */
};

static void drop_sets(struct content_policy *p)
{
	for (size_t i = 0; i < p->nsets; i++) {
		free(p->set_names[i]);
		free(p->set_rules[i]);
	}
	free(p->set_names);
	free(p->set_rules);
	p->set_names = p->set_rules = NULL;
	p->nsets = 0;
}

struct content_policy *content_policy_new(struct scanner *scanner)
{
	struct content_policy *p = xcalloc(1, sizeof(*p));

	p->scanner = scanner;
	return p;
}

void content_policy_free(struct content_policy *p)
{
	if (p == NULL)
		return;
	drop_sets(p);
	free(p);
}

void content_policy_set(struct content_policy *p, bool on_error_quarantine,
                        const char *const *set_names, const char *const *set_rules, size_t nsets)
{
	drop_sets(p);
	p->on_error_quarantine = on_error_quarantine;
	p->set_names = xcalloc(nsets ? nsets : 1, sizeof(char *));
	p->set_rules = xcalloc(nsets ? nsets : 1, sizeof(char *));
	for (size_t i = 0; i < nsets; i++) {
		p->set_names[i] = xstrdup(set_names[i]);
		p->set_rules[i] = xstrdup(set_rules[i]);
	}
	p->nsets = nsets;
}

void content_set_budget(struct content_policy *p, uint64_t max_bytes)
{
	p->budget = max_bytes;
}

bool content_reserve(struct content_policy *p, uint64_t n)
{
	if (p->budget && p->held + n > p->budget)
		return false;
	p->held += n;
	return true;
}

void content_unreserve(struct content_policy *p, uint64_t n)
{
	p->held = n > p->held ? 0 : p->held - n;
}

struct scanner *content_scanner(const struct content_policy *p)
{
	return p ? p->scanner : NULL;
}

bool content_wanted(const struct content_policy *p, const struct source *src)
{
	if (p == NULL)
		return false;
	if (scanner_active(p->scanner))
		return true;
	if (src == NULL)
		return false;
	struct content_rules r;
	content_rules_of(p, src, &r);
	bool named = !r.all && r.n > 0;
	content_rules_release(&r);
	return named;
}

/* call fn for each trimmed, non-empty name of a comma-separated list */
static void each_name(const char *list, void (*fn)(const char *name, size_t n, void *arg),
                      void *arg)
{
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *a = p, *b = p + n;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a)
			fn(a, (size_t)(b - a), arg);
		p = end ? end + 1 : p + n;
	}
}

static void add_rule(const char *name, size_t n, void *arg)
{
	struct content_rules *r = arg;

	r->v = xrealloc(r->v, (r->n + 1) * sizeof(char *));
	r->v[r->n] = xmalloc(n + 1);
	memcpy(r->v[r->n], name, n);
	r->v[r->n][n] = '\0';
	r->n++;
}

struct expand {
	const struct content_policy *p;
	struct content_rules *out;
};

static void add_name(const char *name, size_t n, void *arg)
{
	struct expand *e = arg;

	if (n == 3 && strncmp(name, "all", 3) == 0) {
		e->out->all = true;
		return;
	}
	for (size_t i = 0; i < e->p->nsets; i++)
		if (strlen(e->p->set_names[i]) == n && strncmp(e->p->set_names[i], name, n) == 0) {
			each_name(e->p->set_rules[i], add_rule, e->out);
			return;
		}
	add_rule(name, n, e->out);
}

void content_rules_of(const struct content_policy *p, const struct source *src,
                      struct content_rules *out)
{
	struct expand e = {p, out};

	memset(out, 0, sizeof(*out));
	each_name(src ? src->dlp_rules : "all", add_name, &e);
	if (out->all) {
		content_rules_release(out);
		out->all = true;
	}
}

void content_rules_release(struct content_rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* the rule names of the DLP findings, "card_numbers (2), iban (1)": never the data */
static void dlp_names(const struct scan_result *r, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->nhits && len < n; i++) {
		int w = snprintf(out + len, n - len, "%s%s (%u)", i ? ", " : "", r->hits[i].rule,
		                 r->hits[i].count);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

static bool spam_tagged(const struct scan_result *r)
{
	return r->spam_on &&
	       (r->spam.action == RSPAMD_ADD_HEADER || r->spam.action == RSPAMD_REWRITE_SUBJECT);
}

void content_decide(const struct content_policy *p, const struct source *src,
                    const struct scan_result *r, struct content_verdict *v)
{
	const char *dlp_action = src && src->dlp_action[0] ? src->dlp_action : "reject";
	const char *spam_action = src && src->spam_action[0] ? src->spam_action : "tag";
	char names[200];

	memset(v, 0, sizeof(*v));
	v->action = CONTENT_PASS;
	v->key = "clean";
	dlp_names(r, names, sizeof(names));
	if (r->av_on && r->av == CLAMD_FOUND) {
		v->action = CONTENT_REFUSE;
		v->reply = RPL_VIRUS;
		v->key = "virus";
		snprintf(v->reason, sizeof(v->reason), "Message rejected: virus found (%s)",
		         r->av_what);
		return;
	}
	if (r->spam_on && r->spam.action == RSPAMD_REJECT) {
		v->action = CONTENT_REFUSE;
		v->reply = RPL_SPAM;
		v->key = "spam";
		snprintf(v->reason, sizeof(v->reason),
		         "Message rejected as spam (score %.2f of %.2f)", r->spam.score,
		         r->spam.required);
		return;
	}
	if (r->nhits > 0 && strcmp(dlp_action, "reject") == 0) {
		v->action = CONTENT_REFUSE;
		v->reply = RPL_DLP;
		v->key = "dlp";
		snprintf(v->reason, sizeof(v->reason), "Message rejected by data-loss rule: %s",
		         names);
		return;
	}
	/* a scanner that did not answer: never let the message through as clean */
	const char *down = r->av_on && r->av == CLAMD_ERROR               ? "antivirus"
	                   : r->spam_on && r->spam.action == RSPAMD_ERROR ? "anti-spam"
	                   : r->dlp_error                                 ? "data-loss"
	                                                                  : NULL;
	if (down) {
		const char *what = r->av_on && r->av == CLAMD_ERROR               ? r->av_what
		                   : r->spam_on && r->spam.action == RSPAMD_ERROR ? r->spam.error
		                                                                  : r->dlp_why;
		v->key = "scanner_error";
		snprintf(v->reason, sizeof(v->reason), "%s scanner unavailable: %s", down, what);
		v->action = p && p->on_error_quarantine ? CONTENT_QUARANTINE : CONTENT_DEFER;
		v->reply = RPL_SCAN_TEMP;
		return;
	}
	if (r->spam_on &&
	    (r->spam.action == RSPAMD_SOFT_REJECT || r->spam.action == RSPAMD_GREYLIST)) {
		v->action = CONTENT_DEFER;
		v->reply = RPL_SPAM_TEMP;
		v->key = "spam_deferred";
		snprintf(v->reason, sizeof(v->reason),
		         "Message deferred by the anti-spam scanner (%s); try again later",
		         rspamd_action_name(r->spam.action));
		return;
	}
	if (r->mime != SCAN_MIME_OK) {
		v->action = CONTENT_QUARANTINE;
		v->key = "mime";
		snprintf(v->reason, sizeof(v->reason), "MIME structure held for review: %s",
		         r->mime_why);
		return;
	}
	if (r->nhits > 0 && strcmp(dlp_action, "quarantine") == 0) {
		v->action = CONTENT_QUARANTINE;
		v->key = "dlp";
		snprintf(v->reason, sizeof(v->reason), "Held by data-loss rule: %s", names);
		return;
	}
	if (r->spam_on && (r->spam.action == RSPAMD_QUARANTINE ||
	                   (spam_tagged(r) && strcmp(spam_action, "quarantine") == 0))) {
		v->action = CONTENT_QUARANTINE;
		v->key = "spam";
		snprintf(v->reason, sizeof(v->reason), "Held as probable spam (score %.2f of %.2f)",
		         r->spam.score, r->spam.required);
		return;
	}
	if (r->nhits > 0) {
		/* require-tls */
		v->require_tls = true;
		v->key = "dlp";
		snprintf(v->reason, sizeof(v->reason), "Data-loss rule requires verified TLS: %s",
		         names);
	}
	if (spam_tagged(r)) {
		v->tag = true;
		if (!v->require_tls)
			v->key = "spam_tagged";
	}
}

void content_spam_fields(const struct scan_result *r, struct buf *out)
{
	buf_printf(out, "X-Spam-Flag: YES\r\nX-Spam-Score: %.2f\r\n", r->spam.score);
	buf_printf(out, "X-Spam-Status: Yes, score=%.2f required=%.2f action=%s\r\n", r->spam.score,
	           r->spam.required, rspamd_action_name(r->spam.action));
}
