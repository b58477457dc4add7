/*
 * admin_domains.c - /admin/v1/domains: the domains Postern signs for, their
 * DKIM keys and the DNS records they need.
 *
 *   GET    /admin/v1/domains                 list
 *   POST   /admin/v1/domains                 add {name, subdomains, force}: new keys
 *   GET    /admin/v1/domains/NAME            show: keys, states, records to publish
 *   PATCH  /admin/v1/domains/NAME            {subdomains}
 *   DELETE /admin/v1/domains/NAME            remove (keys and their files too)
 *   POST   /admin/v1/domains/NAME/check      look the records up {force}
 *   POST   /admin/v1/domains/NAME/rotate     a new key pair {force}
 *
 * Private keys never cross this API: a key is shown by its selector, state
 * and public half. "force" makes pending keys active without seeing their
 * records in DNS (for a domain whose DNS cannot be checked from here).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "domain_check.h"
#include "domains.h"
#include "http.h"
#include "log.h"
#include "mta.h"
#include "strutil.h"
#include "xmalloc.h"

/* a check in flight, so api_free can cancel it */
struct api_check {
	struct api_check *prev, *next;
	struct api *a;
	struct api_pending *p;
	struct domain_check *c;
	bool force;
};

static json_t *key_json(const struct domain *d, const struct dom_key *k)
{
	char name[STORE_DOMAIN_MAX + 80];
	json_t *j = json_pack("{s:s, s:s, s:s, s:o}", "selector", k->selector, "algorithm",
	                      dkim_alg_name(k->alg), "state", store_key_state_name(k->state),
	                      "created_at", http_iso8601(k->created_at));

	snprintf(name, sizeof(name), "%s._domainkey.%s", k->selector, d->name);
	json_object_set_new(j, "record_name", json_string(name));
	json_object_set_new(j, "public_key", json_string(k->pub));
	json_object_set_new(j, "usable", json_boolean(k->key != NULL || k->state >= KEY_RETIRING));
	if (k->activated_at)
		json_object_set_new(j, "activated_at", http_iso8601(k->activated_at));
	if (k->state == KEY_RETIRING)
		json_object_set_new(j, "remove_record_after", http_iso8601(k->retire_at));
	if (k->state == KEY_RETIRED)
		json_object_set_new(j, "record_removable", json_true());
	return j;
}

static json_t *records_json(const struct check_report *rep)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < rep->n; i++) {
		const struct check_item *it = &rep->item[i];
		json_t *r = json_pack("{s:s, s:s, s:s, s:s}", "kind", it->kind, "name", it->name,
		                      "type", "TXT", "value", it->expected);
		if (it->selector[0])
			json_object_set_new(r, "selector", json_string(it->selector));
		json_array_append_new(arr, r);
	}
	return arr;
}

static json_t *domain_json(struct api *a, const struct domain *d)
{
	json_t *keys = json_array();
	struct check_report rep;

	for (size_t i = 0; i < d->nkeys; i++)
		json_array_append_new(keys, key_json(d, d->keys[i]));
	json_t *j = json_pack("{s:s, s:b, s:o, s:o}", "name", d->name, "subdomains", d->subdomains,
	                      "created_at", http_iso8601(d->created_at), "keys", keys);
	if (d->checked_at)
		json_object_set_new(j, "checked_at", http_iso8601(d->checked_at));
	domain_expected_records(d, a->deps.expect, &rep);
	json_object_set_new(j, "records", records_json(&rep));
	return j;
}

static void list(struct api *a, struct evhttp_request *req)
{
	size_t n;
	struct domain **all = domains_list(a->deps.domains, &n);
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, domain_json(a, all[i]));
	free(all);
	http_json(req, 200, json_pack("{s:o}", "domains", arr));
}

/* the name from a request, lower-cased and checked; NULL after replying 422 */
static bool take_name(struct evhttp_request *req, const char *in, char *out, size_t n)
{
	strlcpy_(out, in, n);
	ascii_strlower(out);
	if (strlen(in) >= n || !domain_name_valid(out)) {
		http_error(req, 422, "invalid_name",
		           "%.80s is not a domain name (letters, digits, hyphens, at least two "
		           "labels)",
		           in);
		return false;
	}
	return true;
}

static void changed(int r, struct domain *d, const char *err, void *arg)
{
	struct api_pending *p = arg;
	struct api *a = p->a;
	bool rotate = p->data != NULL;
	struct evhttp_request *req = api_pending_done(p);

	if (req == NULL || a == NULL)
		return; /* the change stands; nobody is waiting for the answer */
	if (r == STORE_EXISTS)
		http_error(req, 409, "exists", "%s", err);
	else if (r == STORE_NOTFOUND)
		http_error(req, 404, "not_found", "%s", err);
	else if (r != 0)
		http_error(req, 503, "key_error", "%s", err);
	else
		http_json(req, rotate ? 200 : 201, json_pack("{s:o}", "domain", domain_json(a, d)));
}

static void add(struct api *a, struct evhttp_request *req)
{
	json_t *body = http_body_json(req);
	const char *in;
	int sub = 0, force = 0;
	json_error_t jerr;
	char name[STORE_DOMAIN_MAX + 1];

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s:s, s?b, s?b}", "name", &in, "subdomains",
	                   &sub, "force", &force) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	bool ok = take_name(req, in, name, sizeof(name));
	json_decref(body);
	if (!ok)
		return;
	if (domains_find(a->deps.domains, name)) {
		http_error(req, 409, "exists", "domain %s exists", name);
		return;
	}
	log_info("admin domain add name=%s subdomains=%s force=%s", name, sub ? "yes" : "no",
	         force ? "yes" : "no");
	domains_add(a->deps.domains, name, sub, force, changed, api_pending_new(a, req, NULL));
}

static void rotate(struct api *a, struct evhttp_request *req, struct domain *d)
{
	json_t *body = http_body_json(req);
	int force = 0;
	json_error_t jerr;

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s?b}", "force", &force) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	json_decref(body);
	for (size_t i = 0; i < d->nkeys; i++)
		if (d->keys[i]->state == KEY_PENDING) {
			http_error(req, 409, "rotation_pending",
			           "key %s is still pending: publish its record and run \"domain "
			           "check %s\" (\"domain check %s --force\" activates it "
			           "unchecked) before rotating again",
			           d->keys[i]->selector, d->name, d->name);
			return;
		}
	log_info("admin domain rotate name=%s force=%s", d->name, force ? "yes" : "no");
	/* data non-NULL marks a rotation for the answer's status code */
	domains_rotate(a->deps.domains, d, force, changed, api_pending_new(a, req, d));
}

static void patch(struct api *a, struct evhttp_request *req, struct domain *d)
{
	json_t *body = http_body_json(req);
	int sub;
	json_error_t jerr;
	char err[256];

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s:b}", "subdomains", &sub) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	json_decref(body);
	if (domains_set_subdomains(a->deps.domains, d, sub, err, sizeof(err)) != 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	log_info("admin domain set name=%s subdomains=%s", d->name, sub ? "yes" : "no");
	http_json(req, 200, json_pack("{s:o}", "domain", domain_json(a, d)));
}

static void remove_domain(struct api *a, struct evhttp_request *req, struct domain *d)
{
	char err[256], name[STORE_DOMAIN_MAX + 1];

	strlcpy_(name, d->name, sizeof(name));
	if (domains_remove(a->deps.domains, d, err, sizeof(err)) != 0) {
		http_error(req, 503, "store_error", "%s", err);
		return;
	}
	log_info("admin domain remove name=%s", name);
	http_json(req, 200, json_pack("{s:s}", "removed", name));
}

static void unlink_check(struct api_check *k)
{
	struct api *a = k->a;

	if (k->prev)
		k->prev->next = k->next;
	else
		a->checks = k->next;
	if (k->next)
		k->next->prev = k->prev;
	free(k);
}

static void checked(struct check_report *rep, void *arg)
{
	struct api_check *k = arg;
	struct api *a = k->a;
	struct domain *d = domains_find(a->deps.domains, rep->domain);
	struct evhttp_request *req = api_pending_done(k->p);
	bool force = k->force;
	char err[256];
	int64_t now = (int64_t)time(NULL);

	unlink_check(k);
	if (d)
		domains_set_checked(a->deps.domains, d, now, err, sizeof(err));
	/* forced: what DNS did not confirm becomes active anyway */
	for (size_t i = 0; d && force && i < rep->n; i++) {
		struct check_item *it = &rep->item[i];
		if (strcmp(it->kind, "dkim") != 0)
			continue;
		for (size_t j = 0; j < d->nkeys; j++) {
			struct dom_key *dk = d->keys[j];
			if (strcmp(dk->selector, it->selector) != 0 || dk->state != KEY_PENDING)
				continue;
			if (domains_activate(a->deps.domains, d, dk, now, err, sizeof(err)) == 0) {
				it->activated = true;
				strlcpy_(it->detail, "activated by force (record not confirmed)",
				         sizeof(it->detail));
			}
			strlcpy_(it->key_state, store_key_state_name(dk->state),
			         sizeof(it->key_state));
		}
	}
	if (req == NULL)
		return;
	if (d == NULL) {
		http_error(req, 404, "not_found", "domain %s was removed during the check",
		           rep->domain);
		return;
	}
	json_t *arr = json_array();
	bool all_ok = true;
	for (size_t i = 0; i < rep->n; i++) {
		const struct check_item *it = &rep->item[i];
		json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind", it->kind, "name",
		                      it->name, "status", check_status_name(it->status), "expected",
		                      it->expected, "found", it->found, "detail", it->detail);
		if (it->selector[0]) {
			json_object_set_new(r, "selector", json_string(it->selector));
			json_object_set_new(r, "key_state", json_string(it->key_state));
			json_object_set_new(r, "activated", json_boolean(it->activated));
		}
		all_ok = all_ok && it->status == CHECK_OK;
		json_array_append_new(arr, r);
	}
	log_info("admin domain check name=%s result=%s", d->name, all_ok ? "ok" : "incomplete");
	http_json(req, 200,
	          json_pack("{s:o, s:o, s:b}", "domain", domain_json(a, d), "checks", arr, "ok",
	                    all_ok));
}

static void check(struct api *a, struct evhttp_request *req, struct domain *d)
{
	json_t *body = http_body_json(req);
	int force = 0;
	json_error_t jerr;

	if (body == NULL)
		return;
	if (json_unpack_ex(body, &jerr, JSON_STRICT, "{s?b}", "force", &force) < 0) {
		http_error(req, 400, "bad_request", "%s", jerr.text);
		json_decref(body);
		return;
	}
	json_decref(body);
	struct api_check *k = xcalloc(1, sizeof(*k));
	k->a = a;
	k->force = force;
	k->p = api_pending_new(a, req, NULL);
	k->next = a->checks;
	if (k->next)
		k->next->prev = k;
	a->checks = k;
	k->c = domain_check_start(a->deps.domains, a->deps.check_dns, d->name, a->deps.expect,
	                          checked, k);
}

void admin_domains_stop(struct api *a)
{
	while (a->checks) {
		struct api_check *k = a->checks;
		domain_check_cancel(k->c);
		api_pending_done(k->p);
		unlink_check(k);
	}
}

void admin_domains(struct api *a, struct evhttp_request *req, char **seg, size_t nseg)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char name[STORE_DOMAIN_MAX + 1];

	if (nseg == 0) {
		if (cmd == EVHTTP_REQ_GET)
			list(a, req);
		else if (cmd == EVHTTP_REQ_POST)
			add(a, req);
		else
			http_error(req, 405, "method_not_allowed", "use GET or POST");
		return;
	}
	strlcpy_(name, seg[0], sizeof(name));
	ascii_strlower(name);
	struct domain *d = domains_find(a->deps.domains, name);
	if (d == NULL || nseg > 2) {
		http_error(req, 404, "not_found", "no domain named %.80s", seg[0]);
		return;
	}
	if (nseg == 1) {
		if (cmd == EVHTTP_REQ_GET)
			http_json(req, 200, json_pack("{s:o}", "domain", domain_json(a, d)));
		else if (cmd == EVHTTP_REQ_DELETE)
			remove_domain(a, req, d);
		else if (cmd == EVHTTP_REQ_PATCH)
			patch(a, req, d);
		else
			http_error(req, 405, "method_not_allowed", "use GET, PATCH or DELETE");
		return;
	}
	if (cmd != EVHTTP_REQ_POST)
		http_error(req, 405, "method_not_allowed", "use POST");
	else if (strcmp(seg[1], "check") == 0)
		check(a, req, d);
	else if (strcmp(seg[1], "rotate") == 0)
		rotate(a, req, d);
	else
		http_error(req, 404, "not_found", "no such action: %.32s", seg[1]);
}
