/*
 * rspamd_test.c - Rspamd's JSON answers into a verdict: every action it
 * names, the score and the symbols (highest first, printable, bounded),
 * and answers that are not what Rspamd sends (not JSON, no action, an
 * action unknown, hostile symbol names) refused as errors; and the scan
 * result's JSON for the events, which holds no control character.
 */
#include "rspamd.h"

#include <jansson.h>
#include <string.h>

#include "scan.h"
#include "unit.h"

struct row {
	const char *name, *body;
	int ret;
	enum rspamd_action action;
	const char *symbols; /* expected prefix, or NULL */
};

static const struct row rows[] = {
        {"no action", "{\"action\":\"no action\",\"score\":0.5,\"required_score\":15}", 0,
         RSPAMD_NO_ACTION, ""},
        {"greylist", "{\"action\":\"greylist\",\"score\":4}", 0, RSPAMD_GREYLIST, NULL},
        {"add header", "{\"action\":\"add header\",\"score\":6}", 0, RSPAMD_ADD_HEADER, NULL},
        {"rewrite subject", "{\"action\":\"rewrite subject\",\"subject\":\"x\"}", 0,
         RSPAMD_REWRITE_SUBJECT, NULL},
        {"soft reject", "{\"action\":\"soft reject\"}", 0, RSPAMD_SOFT_REJECT, NULL},
        {"reject with symbols",
         "{\"action\":\"reject\",\"score\":15,\"symbols\":{\"A\":{\"score\":1},"
         "\"GTUBE\":{\"score\":0},\"B\":{\"score\":9.5}}}",
         0, RSPAMD_REJECT, "B(9.50) A(1.00) GTUBE(0.00)"},
        {"hostile symbol names",
         "{\"action\":\"no action\",\"symbols\":{\"X\\r\\nY\\\"\":{\"score\":1}}}", 0,
         RSPAMD_NO_ACTION, "X??Y?(1.00)"},
        {"not json", "<html>", -1, RSPAMD_ERROR, NULL},
        {"no action field", "{\"score\":1}", -1, RSPAMD_ERROR, NULL},
        {"action not a string", "{\"action\":5}", -1, RSPAMD_ERROR, NULL},
        {"unknown action", "{\"action\":\"deliver anyway\"}", -1, RSPAMD_ERROR, NULL},
        {"array", "[\"reject\"]", -1, RSPAMD_ERROR, NULL},
        {"empty", "", -1, RSPAMD_ERROR, NULL},
};

static void test_replies(void **state)
{
	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];
		struct rspamd_verdict v;
		int ret = rspamd_parse_reply(r->body, strlen(r->body), &v);
		EXPECT(ret == r->ret, "%s: returned %d", r->name, ret);
		EXPECT(v.action == r->action, "%s: action %d", r->name, v.action);
		if (r->ret < 0)
			EXPECT(v.error[0] != '\0', "%s: says why", r->name);
		if (r->symbols)
			EXPECT(strncmp(v.symbols, r->symbols, strlen(r->symbols)) == 0,
			       "%s: symbols %s", r->name, shows(v.symbols));
	}
	ALL_PASSED();
}

static void test_many_symbols_bounded(void **state)
{
	json_t *syms = json_object();
	char name[32];

	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "SYMBOL_NUMBER_%d", i);
		json_object_set_new(syms, name, json_pack("{s:f}", "score", i / 100.0));
	}
	json_t *j =
	        json_pack("{s:s, s:f, s:o}", "action", "add header", "score", 7.0, "symbols", syms);
	char *text = json_dumps(j, 0);
	struct rspamd_verdict v;
	EXPECT(rspamd_parse_reply(text, strlen(text), &v) == 0, "parsed");
	EXPECT(strlen(v.symbols) < sizeof(v.symbols), "bounded");
	EXPECT(strncmp(v.symbols, "SYMBOL_NUMBER_2999(29.99)", 25) == 0, "highest first: %s",
	       shows(v.symbols));
	free(text);
	json_decref(j);
	ALL_PASSED();
}

static void test_result_json(void **state)
{
	struct scan_result r;

	memset(&r, 0, sizeof(r));
	r.av_on = true;
	r.av = CLAMD_FOUND;
	strcpy(r.av_what, "Evil\"Sig\x01\xff");
	r.spam_on = true;
	r.spam.action = RSPAMD_REJECT;
	r.spam.score = 15;
	strcpy(r.spam.symbols, "GTUBE(0.00)");
	r.mime = SCAN_MIME_AMBIGUOUS;
	strcpy(r.mime_why, "two Content-Type fields");
	r.nhits = 1;
	strcpy(r.hits[0].rule, "cards");
	r.hits[0].count = 2;
	char *s = scan_result_json(&r);
	json_error_t err;
	json_t *j = json_loads(s, 0, &err);
	EXPECT(j != NULL, "valid JSON: %s (%s)", shows(s), err.text);
	for (const char *p = s; *p; p++)
		EXPECT((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "printable: %s",
		       shows(s));
	if (j) {
		const char *sig = json_string_value(
		        json_object_get(json_object_get(j, "antivirus"), "signature"));
		EXPECT(sig && strncmp(sig, "Evil\"Sig\x01", 9) == 0, "signature: %s", shows(sig));
		EXPECT(json_integer_value(json_object_get(
		               json_array_get(json_object_get(j, "dlp"), 0), "count")) == 2,
		       "count");
		EXPECT(strcmp(json_string_value(json_object_get(j, "mime")), "ambiguous") == 0,
		       "mime");
	}
	json_decref(j);
	free(s);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_replies),
	        cmocka_unit_test(test_many_symbols_bounded),
	        cmocka_unit_test(test_result_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
