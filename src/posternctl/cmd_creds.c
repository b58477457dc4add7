/*
 * cmd_creds.c - posternctl source credential ... and source limits ...
 *
 *   source credential list NAME
 *   source credential add NAME CRED [--kind password|api-key] [--expires 90d|TIME]
 *   source credential rotate NAME CRED [--grace 1h] [--expires ...]
 *   source credential revoke NAME CRED
 *   source webhook NAME [URL [--events TYPE,...] [--rotate-secret] | --remove]
 *   source limits NAME [--per-minute N] [--per-hour N] [--per-day N]
 *                      [--max-recipients N] [--max-size SIZE] [--max-connections N]
 *                      (0 or "none" removes a limit; without options: show them)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "strutil.h"

static const char *when(json_t *o, const char *key, const char *none)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : none;
}

void print_credential(json_t *v)
{
	printf("  - %-20s %-8s created %s, expires %s, last used %s%s%s\n", jstr(v, "name"),
	       strcmp(jstr(v, "kind"), "api_key") == 0 ? "api-key" : "password",
	       when(v, "created_at", "-"), when(v, "expires_at", "never"),
	       when(v, "last_used_at", "never"),
	       json_is_true(json_object_get(v, "expired")) ? " (EXPIRED)" : "",
	       json_is_string(json_object_get(v, "key_prefix")) ? "" : "");
}

void print_limits(json_t *s)
{
	static const struct {
		const char *key, *label, *used;
	} rows[] = {
	        {"per_minute", "messages per minute", "per_minute"},
	        {"per_hour", "messages per hour", "per_hour"},
	        {"per_day", "messages per day", "per_day"},
	        {"max_recipients", "recipients per message", NULL},
	        {"max_size", "octets per message", NULL},
	        {"max_connections", "connections at once", "connections"},
	};
	json_t *lim = json_object_get(s, "limits"), *used = json_object_get(s, "usage");

	printf("limits:\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *v = json_object_get(lim, rows[i].key);
		printf("  %-24s", rows[i].label);
		if (json_is_integer(v))
			printf(" %lld", (long long)json_integer_value(v));
		else
			printf(" none");
		if (rows[i].used)
			printf("  (now: %lld)",
			       (long long)json_integer_value(json_object_get(used, rows[i].used)));
		printf("\n");
	}
}

static int usage(void)
{
	fprintf(stderr, "posternctl: usage:\n"
	                "  source credential list NAME\n"
	                "  source credential add NAME CRED [--kind password|api-key] "
	                "[--expires 90d|2027-01-01T00:00:00Z]\n"
	                "  source credential rotate NAME CRED [--grace 1h] [--expires ...]\n"
	                "  source credential revoke NAME CRED\n");
	return CTL_USAGE;
}

static void print_secret(json_t *out, const char *source, bool rotated)
{
	json_t *cred = json_object_get(out, "credential");
	bool key = strcmp(jstr(cred, "kind"), "api_key") == 0;

	printf("source %s: %s %s %s\n", source, key ? "API key" : "password", jstr(cred, "name"),
	       rotated ? "rotated" : "added");
	if (key)
		printf("API key:        %s\n(use it as: Authorization: Bearer <key>)\n",
		       jstr(out, "secret"));
	else
		printf("SMTP user name: %s\npassword:       %s\n", source, jstr(out, "secret"));
	printf("expires:        %s\n", when(cred, "expires_at", "never"));
	printf("(shown once: store it now)\n");
}

int cmd_credential(const struct ctl *c, int argc, char **argv)
{
	char path[400];
	json_t *out = NULL, *body = NULL;
	int r;

	if (argc < 2)
		return usage();
	const char *verb = argv[0], *name = argv[1];
	if (strcmp(verb, "list") == 0) {
		if (argc != 2)
			return usage();
		snprintf(path, sizeof(path), "/admin/v1/sources/%s/credentials", name);
		r = ctl_run(c, "GET", path, NULL, &out);
		if (r == CTL_OK && !c->json) {
			size_t i;
			json_t *v;
			json_t *arr = json_object_get(out, "credentials");
			if (json_array_size(arr) == 0)
				printf("source %s has no credentials\n", name);
			json_array_foreach(arr, i, v) print_credential(v);
		}
		json_decref(out);
		return r;
	}
	if (argc < 3 || argv[2][0] == '-')
		return usage();
	const char *cred = argv[2];
	if (strcmp(verb, "revoke") == 0) {
		if (argc != 3)
			return usage();
		snprintf(path, sizeof(path), "/admin/v1/sources/%s/credentials/%s", name, cred);
		r = ctl_run(c, "DELETE", path, NULL, &out);
		if (r == CTL_OK && !c->json)
			printf("source %s: credential %s revoked: it no longer works\n", name,
			       cred);
		json_decref(out);
		return r;
	}
	bool add = strcmp(verb, "add") == 0;
	if (!add && strcmp(verb, "rotate") != 0)
		return usage();
	body = add ? json_pack("{s:s}", "name", cred) : json_object();
	for (int i = 3; i < argc; i += 2) {
		if (i + 1 >= argc) {
			json_decref(body);
			return usage();
		}
		const char *v = argv[i + 1];
		if (add && strcmp(argv[i], "--kind") == 0) {
			if (strcmp(v, "api-key") == 0 || strcmp(v, "api_key") == 0)
				v = "api_key";
			json_object_set_new(body, "kind", json_string(v));
		} else if (strcmp(argv[i], "--expires") == 0) {
			json_object_set_new(body, "expires", json_string(v));
		} else if (!add && strcmp(argv[i], "--grace") == 0) {
			json_object_set_new(body, "grace", json_string(v));
		} else {
			json_decref(body);
			return usage();
		}
	}
	if (add)
		snprintf(path, sizeof(path), "/admin/v1/sources/%s/credentials", name);
	else
		snprintf(path, sizeof(path), "/admin/v1/sources/%s/credentials/%s/rotate", name,
		         cred);
	r = ctl_run(c, "POST", path, body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json)
		print_secret(out, name, !add);
	json_decref(out);
	return r;
}

int cmd_limits(const struct ctl *c, int argc, char **argv)
{
	static const struct {
		const char *opt, *key;
	} opts[] = {
	        {"--per-minute", "per_minute"}, {"--per-hour", "per_hour"},
	        {"--per-day", "per_day"},       {"--max-recipients", "max_recipients"},
	        {"--max-size", "max_size"},     {"--max-connections", "max_connections"},
	};
	char path[300];
	json_t *out = NULL;
	int r;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "posternctl: usage: source limits NAME [--per-minute N] "
		                "[--per-hour N] [--per-day N] [--max-recipients N] [--max-size "
		                "SIZE] [--max-connections N]   (0 or none: no limit)\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/admin/v1/sources/%s", argv[1]);
	if (argc == 2) {
		r = ctl_run(c, "GET", path, NULL, &out);
		if (r == CTL_OK && !c->json)
			print_limits(json_object_get(out, "source"));
		json_decref(out);
		return r;
	}
	json_t *body = json_object();
	for (int i = 2; i < argc; i += 2) {
		const char *key = NULL;
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (strcmp(argv[i], opts[k].opt) == 0)
				key = opts[k].key;
		if (key == NULL || i + 1 >= argc) {
			fprintf(stderr,
			        "posternctl: source limits: unknown option or missing "
			        "value: %s\n",
			        argv[i]);
			json_decref(body);
			return CTL_USAGE;
		}
		const char *v = argv[i + 1];
		uint64_t n;
		if (strcmp(v, "none") == 0)
			json_object_set_new(body, key, json_null());
		else if (parse_u64(v, UINT64_MAX, &n) == 0)
			json_object_set_new(body, key, json_integer((json_int_t)n));
		else
			json_object_set_new(body, key,
			                    json_string(v)); /* a size: the relay judges */
	}
	strlcpy_(path + strlen(path), "/limits", sizeof(path) - strlen(path));
	r = ctl_run(c, "PUT", path, body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json) {
		printf("source %s:\n", argv[1]);
		print_limits(json_object_get(out, "source"));
	}
	json_decref(out);
	return r;
}

int cmd_webhook(const struct ctl *c, int argc, char **argv)
{
	char path[300];
	json_t *out = NULL, *body;
	int r;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "posternctl: usage: source webhook NAME [URL [--events TYPE,...] "
		                "[--rotate-secret] | --remove]\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/admin/v1/sources/%s/webhook", argv[1]);
	if (argc == 2 || (argc == 3 && strcmp(argv[2], "--remove") == 0)) {
		bool rm = argc == 3;
		r = ctl_run(c, rm ? "DELETE" : "GET", path, NULL, &out);
		if (r == CTL_OK && !c->json && rm)
			printf("source %s: webhook removed\n", argv[1]);
		else if (r == CTL_OK && !c->json)
			printf("url:     %s\nevents:  %s\nsecret:  %s\n",
			       jstr(json_object_get(out, "webhook"), "url"),
			       json_array_size(
			               json_object_get(json_object_get(out, "webhook"), "events"))
			               ? "(as listed in --json)"
			               : "all",
			       jstr(json_object_get(out, "webhook"), "secret"));
		json_decref(out);
		return r;
	}
	body = json_pack("{s:s}", "url", argv[2]);
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--rotate-secret") == 0) {
			json_object_set_new(body, "rotate_secret", json_true());
		} else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
			json_t *ev = json_array();
			char *list = argv[++i];
			for (char *save = NULL, *t = strtok_r(list, ",", &save); t;
			     t = strtok_r(NULL, ",", &save))
				json_array_append_new(ev, json_string(t));
			json_object_set_new(body, "events", ev);
		} else {
			fprintf(stderr, "posternctl: source webhook: unknown option %s\n", argv[i]);
			json_decref(body);
			return CTL_USAGE;
		}
	}
	r = ctl_run(c, "PUT", path, body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json) {
		json_t *w = json_object_get(out, "webhook");
		printf("source %s: events go to %s\n", argv[1], jstr(w, "url"));
		printf("signing secret: %s\n", jstr(w, "secret"));
		printf("(verify Postern-Signature: t=TS,v1=HMAC-SHA256(secret, TS \".\" body))\n");
	}
	json_decref(out);
	return r;
}
