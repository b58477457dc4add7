/*
 * content_test.c - what the scanners' findings mean for a message: a table
 * of findings (antivirus, every Rspamd action, MIME verdicts, DLP hits) and
 * source settings with the action, reply and flags expected; the order of
 * precedence when several scanners find something; a scanner error never
 * let through; the reply's words naming the rule and never data; and the
 * expansion of a source's rule list through the configured sets.
 */
#include "content.h"

#include <string.h>

#include "sources.h"
#include "unit.h"

enum { NONE = -1 };

struct row {
	const char *name;
	int av;   /* NONE (off), CLAMD_CLEAN, CLAMD_FOUND, CLAMD_ERROR */
	int spam; /* NONE (off), or an rspamd_action */
	int mime; /* scan_mime */
	int hits; /* DLP rules triggered */
	bool dlp_error;
	const char *dlp_action, *spam_action;
	bool on_error_quarantine;
	enum content_action want;
	enum reply reply; /* for refuse and defer */
	bool tls, tag;
	const char *key;
};

static const struct row rows[] = {
        {"nothing on", NONE, NONE, SCAN_MIME_OK, 0, false, "reject", "tag", false, CONTENT_PASS, 0,
         false, false, "clean"},
        {"all clean", CLAMD_CLEAN, RSPAMD_NO_ACTION, SCAN_MIME_OK, 0, false, "reject", "tag", false,
         CONTENT_PASS, 0, false, false, "clean"},
        {"virus", CLAMD_FOUND, RSPAMD_NO_ACTION, SCAN_MIME_OK, 0, false, "reject", "tag", false,
         CONTENT_REFUSE, RPL_VIRUS, false, false, "virus"},
        {"virus beats a scanner error", CLAMD_FOUND, RSPAMD_ERROR, SCAN_MIME_OK, 0, false, "reject",
         "tag", true, CONTENT_REFUSE, RPL_VIRUS, false, false, "virus"},
        {"spam reject", CLAMD_CLEAN, RSPAMD_REJECT, SCAN_MIME_OK, 0, false, "reject", "tag", false,
         CONTENT_REFUSE, RPL_SPAM, false, false, "spam"},
        {"dlp reject", CLAMD_CLEAN, RSPAMD_NO_ACTION, SCAN_MIME_OK, 1, false, "reject", "tag",
         false, CONTENT_REFUSE, RPL_DLP, false, false, "dlp"},
        {"dlp reject beats clamd down", CLAMD_ERROR, NONE, SCAN_MIME_OK, 1, false, "reject", "tag",
         false, CONTENT_REFUSE, RPL_DLP, false, false, "dlp"},
        {"clamd down", CLAMD_ERROR, RSPAMD_NO_ACTION, SCAN_MIME_OK, 0, false, "reject", "tag",
         false, CONTENT_DEFER, RPL_SCAN_TEMP, false, false, "scanner_error"},
        {"clamd down, quarantine", CLAMD_ERROR, NONE, SCAN_MIME_OK, 0, false, "reject", "tag", true,
         CONTENT_QUARANTINE, RPL_SCAN_TEMP, false, false, "scanner_error"},
        {"rspamd down", NONE, RSPAMD_ERROR, SCAN_MIME_OK, 0, false, "reject", "tag", false,
         CONTENT_DEFER, RPL_SCAN_TEMP, false, false, "scanner_error"},
        {"dlp engine failed", NONE, NONE, SCAN_MIME_OK, 0, true, "reject", "tag", false,
         CONTENT_DEFER, RPL_SCAN_TEMP, false, false, "scanner_error"},
        {"scanner down beats a dlp quarantine", CLAMD_ERROR, NONE, SCAN_MIME_OK, 1, false,
         "quarantine", "tag", false, CONTENT_DEFER, RPL_SCAN_TEMP, false, false, "scanner_error"},
        {"soft reject", NONE, RSPAMD_SOFT_REJECT, SCAN_MIME_OK, 0, false, "reject", "tag", false,
         CONTENT_DEFER, RPL_SPAM_TEMP, false, false, "spam_deferred"},
        {"greylist", NONE, RSPAMD_GREYLIST, SCAN_MIME_OK, 0, false, "reject", "tag", false,
         CONTENT_DEFER, RPL_SPAM_TEMP, false, false, "spam_deferred"},
        {"mime limit", NONE, NONE, SCAN_MIME_LIMIT, 0, false, "reject", "tag", false,
         CONTENT_QUARANTINE, 0, false, false, "mime"},
        {"mime ambiguous", CLAMD_CLEAN, RSPAMD_NO_ACTION, SCAN_MIME_AMBIGUOUS, 0, false, "reject",
         "tag", false, CONTENT_QUARANTINE, 0, false, false, "mime"},
        {"mime malformed", NONE, NONE, SCAN_MIME_MALFORMED, 0, false, "reject", "tag", false,
         CONTENT_QUARANTINE, 0, false, false, "mime"},
        {"dlp quarantine", NONE, NONE, SCAN_MIME_OK, 2, false, "quarantine", "tag", false,
         CONTENT_QUARANTINE, 0, false, false, "dlp"},
        {"dlp require-tls", NONE, NONE, SCAN_MIME_OK, 1, false, "require-tls", "tag", false,
         CONTENT_PASS, 0, true, false, "dlp"},
        {"dlp require-tls and tagged", NONE, RSPAMD_ADD_HEADER, SCAN_MIME_OK, 1, false,
         "require-tls", "tag", false, CONTENT_PASS, 0, true, true, "dlp"},
        {"add header tags", NONE, RSPAMD_ADD_HEADER, SCAN_MIME_OK, 0, false, "reject", "tag", false,
         CONTENT_PASS, 0, false, true, "spam_tagged"},
        {"rewrite subject tags", NONE, RSPAMD_REWRITE_SUBJECT, SCAN_MIME_OK, 0, false, "reject",
         "tag", false, CONTENT_PASS, 0, false, true, "spam_tagged"},
        {"add header, quarantine", NONE, RSPAMD_ADD_HEADER, SCAN_MIME_OK, 0, false, "reject",
         "quarantine", false, CONTENT_QUARANTINE, 0, false, false, "spam"},
        {"no hits, require-tls source", NONE, NONE, SCAN_MIME_OK, 0, false, "require-tls", "tag",
         false, CONTENT_PASS, 0, false, false, "clean"},
};

static void fill(const struct row *r, struct scan_result *res, struct source *src)
{
	memset(res, 0, sizeof(*res));
	memset(src, 0, sizeof(*src));
	if (r->av != NONE) {
		res->av_on = true;
		res->av = (enum clamd_status)r->av;
		strcpy(res->av_what, r->av == CLAMD_FOUND ? "Eicar-Sig" : "connect: refused");
	}
	if (r->spam != NONE) {
		res->spam_on = true;
		res->spam.action = (enum rspamd_action)r->spam;
		res->spam.score = 7.5;
		res->spam.required = 15;
	}
	res->mime = (enum scan_mime)r->mime;
	strcpy(res->mime_why, "nesting deeper than 20");
	res->dlp_error = r->dlp_error;
	for (int i = 0; i < r->hits; i++) {
		snprintf(res->hits[i].rule, sizeof(res->hits[i].rule), "rule%d", i + 1);
		res->hits[i].count = (unsigned)(i + 2);
	}
	res->nhits = (size_t)r->hits;
	strcpy(src->dlp_action, r->dlp_action);
	strcpy(src->spam_action, r->spam_action);
	strcpy(src->dlp_rules, "all");
}

static void test_table(void **state)
{
	struct content_policy *p = content_policy_new(NULL);

	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];
		struct scan_result res;
		struct source src;
		struct content_verdict v;
		content_policy_set(p, r->on_error_quarantine, NULL, NULL, 0);
		fill(r, &res, &src);
		content_decide(p, &src, &res, &v);
		EXPECT(v.action == r->want, "%s: action %d, want %d", r->name, v.action, r->want);
		if (r->want == CONTENT_REFUSE || r->want == CONTENT_DEFER)
			EXPECT(v.reply == r->reply, "%s: reply %d, want %d", r->name, v.reply,
			       r->reply);
		EXPECT(v.require_tls == r->tls, "%s: require_tls", r->name);
		EXPECT(v.tag == r->tag, "%s: tag", r->name);
		EXPECT(strcmp(v.key, r->key) == 0, "%s: key %s, want %s", r->name, v.key, r->key);
		if (r->want != CONTENT_PASS)
			EXPECT(v.reason[0] != '\0', "%s: words for it", r->name);
	}
	content_policy_free(p);
	ALL_PASSED();
}

static void test_words(void **state)
{
	struct scan_result res;
	struct source src;
	struct content_verdict v;

	fill(&rows[5], &res, &src); /* dlp reject, one rule */
	content_decide(NULL, &src, &res, &v);
	EXPECT(strstr(v.reason, "rule1 (2)") != NULL, "names the rule and count: %s", v.reason);
	fill(&rows[2], &res, &src); /* virus */
	content_decide(NULL, &src, &res, &v);
	EXPECT(strstr(v.reason, "Eicar-Sig") != NULL, "names the signature: %s", v.reason);
	fill(&rows[7], &res, &src); /* clamd down */
	content_decide(NULL, &src, &res, &v);
	EXPECT(strstr(v.reason, "antivirus") && strstr(v.reason, "refused"), "%s", v.reason);
	/* reply codes */
	EXPECT(reply_def(RPL_VIRUS)->code == 554 && strcmp(reply_def(RPL_VIRUS)->enh, "5.7.1") == 0,
	       "virus 554 5.7.1");
	EXPECT(reply_def(RPL_DLP)->code == 550 && strcmp(reply_def(RPL_DLP)->enh, "5.7.1") == 0,
	       "dlp 550 5.7.1");
	EXPECT(reply_def(RPL_SCAN_TEMP)->code == 451 &&
	               strcmp(reply_def(RPL_SCAN_TEMP)->enh, "4.7.0") == 0,
	       "scanner 451 4.7.0");
	EXPECT(reply_def(RPL_SPAM_TEMP)->code == 451, "soft reject 451");
	/* tagging fields */
	struct buf b;
	buf_init(&b);
	fill(&rows[20], &res, &src);
	content_spam_fields(&res, &b);
	EXPECT(strstr(b.data, "X-Spam-Flag: YES\r\n") && strstr(b.data, "score=7.50"), "%s",
	       b.data);
	buf_release(&b);
	ALL_PASSED();
}

static void test_rule_lists(void **state)
{
	const char *names[] = {"finance", "people"};
	const char *lists[] = {"cards, ibans", "ssns"};
	struct content_policy *p = content_policy_new(NULL);
	struct content_rules r;
	struct source src;

	content_policy_set(p, false, names, lists, 2);
	memset(&src, 0, sizeof(src));
	strcpy(src.dlp_rules, "all");
	content_rules_of(p, &src, &r);
	EXPECT(r.all && r.n == 0, "all");
	content_rules_release(&r);
	strcpy(src.dlp_rules, "");
	content_rules_of(p, &src, &r);
	EXPECT(!r.all && r.n == 0, "none");
	content_rules_release(&r);
	strcpy(src.dlp_rules, "finance, project ,people");
	content_rules_of(p, &src, &r);
	EXPECT(!r.all && r.n == 4, "expanded: %zu", r.n);
	if (r.n == 4)
		EXPECT(strcmp(r.v[0], "cards") == 0 && strcmp(r.v[1], "ibans") == 0 &&
		               strcmp(r.v[2], "project") == 0 && strcmp(r.v[3], "ssns") == 0,
		       "order");
	content_rules_release(&r);
	strcpy(src.dlp_rules, "project,all");
	content_rules_of(p, &src, &r);
	EXPECT(r.all && r.n == 0, "all wins");
	content_rules_release(&r);
	content_policy_free(p);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_words),
	        cmocka_unit_test(test_rule_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
