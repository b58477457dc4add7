/* cmd_domain.c - posternctl domain ...: signing domains, DKIM keys, DNS records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* a TXT value as a zone file wants it: strings of at most 255 octets */
static void print_zone(const char *name, const char *value)
{
	size_t n = strlen(value);

	printf("    zone file: %s. IN TXT (", name);
	for (size_t off = 0; off < n; off += 255)
		printf(" \"%.*s\"", (int)(n - off < 255 ? n - off : 255), value + off);
	printf(" )\n");
}

static void print_records(json_t *d)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(d, "records"), i, r)
	{
		const char *kind = jstr(r, "kind");
		const char *what = strcmp(kind, "dkim") == 0  ? "DKIM key"
		                   : strcmp(kind, "spf") == 0 ? "SPF: the sending addresses"
		                                              : "DMARC: a start, monitoring only";
		printf("  %s  TXT  (%s)\n", jstr(r, "name"), what);
		printf("    \"%s\"\n", jstr(r, "value"));
		if (strlen(jstr(r, "value")) > 255)
			print_zone(jstr(r, "name"), jstr(r, "value"));
	}
}

static void print_keys(json_t *d)
{
	size_t i;
	json_t *k;

	printf("  %-34s %-15s %-9s %s\n", "SELECTOR", "ALGORITHM", "STATE", "NOTE");
	json_array_foreach(json_object_get(d, "keys"), i, k)
	{
		const char *state = jstr(k, "state");
		char note[160] = "";
		if (strcmp(state, "pending") == 0)
			snprintf(note, sizeof(note), "not signing until its record is published");
		else if (strcmp(state, "active") == 0)
			snprintf(note, sizeof(note), "signing since %s", jstr(k, "activated_at"));
		else if (strcmp(state, "retiring") == 0)
			snprintf(note, sizeof(note), "replaced; keep its record until %s",
			         jstr(k, "remove_record_after"));
		else
			snprintf(note, sizeof(note), "retired: its record can be removed now");
		if (!json_is_true(json_object_get(k, "usable")))
			snprintf(note, sizeof(note), "PRIVATE KEY FILE MISSING OR UNREADABLE");
		printf("  %-34s %-15s %-9s %s\n", jstr(k, "selector"), jstr(k, "algorithm"), state,
		       note);
	}
}

static void print_domain(json_t *d)
{
	printf("domain:      %s\n", jstr(d, "name"));
	printf("subdomains:  %s\n", json_is_true(json_object_get(d, "subdomains"))
	                                    ? "yes (its keys also sign mail from its subdomains)"
	                                    : "no");
	printf("created:     %s\n", jstr(d, "created_at"));
	printf("checked:     %s\n",
	       json_object_get(d, "checked_at") ? jstr(d, "checked_at") : "never");
	printf("keys:\n");
	print_keys(d);
	printf("DNS records to publish:\n");
	print_records(d);
}

static int list(const struct ctl *c)
{
	json_t *out;
	int r = ctl_run(c, "GET", "/admin/v1/domains", NULL, &out);
	size_t i;
	json_t *d;

	if (r != CTL_OK || c->json) {
		json_decref(out);
		return r;
	}
	json_t *arr = json_object_get(out, "domains");
	if (json_array_size(arr) == 0) {
		printf("no domains; add one with: posternctl domain add DOMAIN\n");
		json_decref(out);
		return CTL_OK;
	}
	printf("%-32s %-10s %-7s %-8s %s\n", "DOMAIN", "SUBDOMAINS", "ACTIVE", "PENDING",
	       "CHECKED");
	json_array_foreach(arr, i, d)
	{
		size_t k, active = 0, pending = 0;
		json_t *key;
		json_array_foreach(json_object_get(d, "keys"), k, key)
		{
			active += strcmp(jstr(key, "state"), "active") == 0;
			pending += strcmp(jstr(key, "state"), "pending") == 0;
		}
		printf("%-32s %-10s %-7zu %-8zu %s\n", jstr(d, "name"),
		       json_is_true(json_object_get(d, "subdomains")) ? "yes" : "no", active,
		       pending, json_object_get(d, "checked_at") ? jstr(d, "checked_at") : "never");
	}
	json_decref(out);
	return CTL_OK;
}

/* the flags of add/rotate/check: --force, --subdomains (add only) */
static int flags(int argc, char **argv, int from, bool allow_sub, bool *force, bool *sub)
{
	for (int i = from; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			*force = true;
		else if (allow_sub && strcmp(argv[i], "--subdomains") == 0)
			*sub = true;
		else {
			fprintf(stderr, "posternctl: unknown option %s\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

static int add(const struct ctl *c, int argc, char **argv)
{
	bool force = false, sub = false;

	if (argc < 2 || argv[1][0] == '-' || flags(argc, argv, 2, true, &force, &sub) < 0) {
		fprintf(stderr, "posternctl: usage: domain add DOMAIN [--subdomains] [--force]\n");
		return CTL_USAGE;
	}
	json_t *body =
	        json_pack("{s:s, s:b, s:b}", "name", argv[1], "subdomains", sub, "force", force);
	json_t *out;
	int r = ctl_run(c, "POST", "/admin/v1/domains", body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json) {
		json_t *d = json_object_get(out, "domain");
		printf("domain %s added with an RSA-2048 and an Ed25519 key (%s)\n",
		       jstr(d, "name"), force ? "active now, by force" : "pending until published");
		print_keys(d);
		printf("\nPublish these DNS records:\n");
		print_records(d);
		if (!force)
			printf("\nthen run: posternctl domain check %s\n"
			       "(the keys sign once their records are seen; the relay also looks "
			       "every [dkim] check_interval)\n",
			       jstr(d, "name"));
	}
	json_decref(out);
	return r;
}

static int rotate(const struct ctl *c, int argc, char **argv)
{
	bool force = false, sub = false;
	char path[400];

	if (argc < 2 || argv[1][0] == '-' || flags(argc, argv, 2, false, &force, &sub) < 0) {
		fprintf(stderr, "posternctl: usage: domain rotate DOMAIN [--force]\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/admin/v1/domains/%s/rotate", argv[1]);
	json_t *body = json_pack("{s:b}", "force", force);
	json_t *out;
	int r = ctl_run(c, "POST", path, body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json) {
		json_t *d = json_object_get(out, "domain");
		printf("domain %s: new key pair %s\n", jstr(d, "name"),
		       force ? "active now; the old keys are retiring"
		             : "pending: publish its records, then run domain check");
		print_keys(d);
		printf("\nDNS records (keep the old keys' records: once replaced, \"domain show "
		       "%s\" gives the date they can go):\n",
		       jstr(d, "name"));
		print_records(d);
	}
	json_decref(out);
	return r;
}

static int check(const struct ctl *c, int argc, char **argv)
{
	bool force = false, sub = false;
	char path[400];
	size_t i;
	json_t *it;

	if (argc < 2 || argv[1][0] == '-' || flags(argc, argv, 2, false, &force, &sub) < 0) {
		fprintf(stderr, "posternctl: usage: domain check DOMAIN [--force]\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/admin/v1/domains/%s/check", argv[1]);
	json_t *body = json_pack("{s:b}", "force", force);
	json_t *out;
	int r = ctl_run(c, "POST", path, body, &out);
	json_decref(body);
	if (r != CTL_OK) {
		json_decref(out);
		return r;
	}
	bool ok = json_is_true(json_object_get(out, "ok"));
	if (!c->json) {
		printf("%s:\n", argv[1]);
		json_array_foreach(json_object_get(out, "checks"), i, it)
		{
			const char *status = jstr(it, "status");
			printf("  %-6s %-52s %s", jstr(it, "kind"), jstr(it, "name"), status);
			if (json_object_get(it, "key_state"))
				printf(" (key %s%s)", jstr(it, "key_state"),
				       json_is_true(json_object_get(it, "activated"))
				               ? ", activated now"
				               : "");
			printf("\n");
			if (*jstr(it, "detail") && strcmp(jstr(it, "detail"), "-") != 0)
				printf("         %s\n", jstr(it, "detail"));
			if (strcmp(status, "ok") != 0) {
				if (*jstr(it, "found"))
					printf("         found:    \"%s\"\n", jstr(it, "found"));
				printf("         expected: \"%s\"\n", jstr(it, "expected"));
			}
		}
		printf("%s\n", ok ? "all records ok" : "some records need attention (see above)");
	}
	json_decref(out);
	/* for scripts: 0 only when everything is published as expected */
	return ok ? CTL_OK : CTL_FAILED;
}

static int set(const struct ctl *c, int argc, char **argv)
{
	char path[400];

	if (argc != 4 || strcmp(argv[2], "--subdomains") != 0 ||
	    (strcmp(argv[3], "on") != 0 && strcmp(argv[3], "off") != 0)) {
		fprintf(stderr, "posternctl: usage: domain set DOMAIN --subdomains on|off\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/admin/v1/domains/%s", argv[1]);
	json_t *body = json_pack("{s:b}", "subdomains", strcmp(argv[3], "on") == 0);
	json_t *out;
	int r = ctl_run(c, "PATCH", path, body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json)
		print_domain(json_object_get(out, "domain"));
	json_decref(out);
	return r;
}

static int simple(const struct ctl *c, const char *method, const char *name)
{
	char path[400];
	json_t *out;

	snprintf(path, sizeof(path), "/admin/v1/domains/%s", name);
	int r = ctl_run(c, method, path, NULL, &out);
	if (r == CTL_OK && !c->json) {
		if (strcmp(method, "DELETE") == 0)
			printf("domain %s removed: its keys are deleted; mail From: it is refused "
			       "until it is added again\n",
			       name);
		else
			print_domain(json_object_get(out, "domain"));
	}
	json_decref(out);
	return r;
}

int cmd_domain(const struct ctl *c, int argc, char **argv)
{
	if (argc == 0) {
		fprintf(stderr,
		        "posternctl: domain: list, add, show, check, rotate, set or remove\n");
		return CTL_USAGE;
	}
	const char *verb = argv[0];
	if (strcmp(verb, "list") == 0)
		return argc == 1 ? list(c) : CTL_USAGE;
	if (strcmp(verb, "add") == 0)
		return add(c, argc, argv);
	if (strcmp(verb, "rotate") == 0)
		return rotate(c, argc, argv);
	if (strcmp(verb, "check") == 0)
		return check(c, argc, argv);
	if (strcmp(verb, "set") == 0)
		return set(c, argc, argv);
	if (strcmp(verb, "show") == 0 || strcmp(verb, "remove") == 0) {
		if (argc != 2) {
			fprintf(stderr, "posternctl: usage: domain %s DOMAIN\n", verb);
			return CTL_USAGE;
		}
		return simple(c, strcmp(verb, "show") == 0 ? "GET" : "DELETE", argv[1]);
	}
	fprintf(stderr, "posternctl: domain: unknown verb '%s'\n", verb);
	return CTL_USAGE;
}
