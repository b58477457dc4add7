/* cmd_source.c - posternctl source ... and status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xmalloc.h"

static int need_name(int argc, char **argv, const char *verb)
{
	if (argc != 2) {
		fprintf(stderr, "posternctl: usage: source %s NAME\n", verb);
		return -1;
	}
	return 0;
}

static void print_source(json_t *s)
{
	size_t i;
	json_t *v;

	printf("name:        %s\n", jstr(s, "name"));
	printf("kind:        %s\n", jstr(s, "kind"));
	printf("auth:        %s\n", jstr(s, "auth"));
	printf("status:      %s\n", jstr(s, "status"));
	printf("pool:        %s\n", *jstr(s, "pool") ? jstr(s, "pool") : "(default)");
	printf("lane:        %s\n", jstr(s, "lane"));
	printf("networks:   ");
	if (json_array_size(json_object_get(s, "networks")) == 0)
		printf(" any");
	json_array_foreach(json_object_get(s, "networks"), i, v)
	        printf(" %s", json_string_value(v));
	printf("\ncredentials:");
	if (json_array_size(json_object_get(s, "credentials")) == 0)
		printf(" none");
	printf("\n");
	json_array_foreach(json_object_get(s, "credentials"), i, v) print_credential(v);
	print_limits(s);
	printf("identities: ");
	if (json_array_size(json_object_get(s, "identities")) == 0)
		printf(" none (it may send as nobody: posternctl source allow %s PATTERN)",
		       jstr(s, "name"));
	printf("\n");
	json_array_foreach(json_object_get(s, "identities"), i, v)
	{
		if (strcmp(jstr(v, "envelope"), jstr(v, "from")) == 0)
			printf("  - %-5s %s\n", jstr(v, "action"), jstr(v, "envelope"));
		else
			printf("  - %-5s envelope %s, From: %s\n", jstr(v, "action"),
			       jstr(v, "envelope"), jstr(v, "from"));
	}
	printf("created:     %s\n", jstr(s, "created_at"));
	printf("updated:     %s\n", jstr(s, "updated_at"));
}

static int list(const struct ctl *c)
{
	json_t *out;
	int r = ctl_run(c, "GET", "/admin/v1/sources", NULL, &out);
	size_t i;
	json_t *s;

	if (r != CTL_OK || c->json) {
		json_decref(out);
		return r;
	}
	json_t *arr = json_object_get(out, "sources");
	if (json_array_size(arr) == 0) {
		printf("no sources; add one with: posternctl source add NAME\n");
		json_decref(out);
		return CTL_OK;
	}
	printf("%-24s %-7s %-9s %-10s %s\n", "NAME", "KIND", "AUTH", "STATUS", "NETWORKS");
	json_array_foreach(arr, i, s)
	{
		json_t *nets = json_object_get(s, "networks");
		size_t k;
		json_t *n;
		char netbuf[256] = "";
		json_array_foreach(nets, k, n)
		{
			size_t used = strlen(netbuf);
			snprintf(netbuf + used, sizeof(netbuf) - used, "%s%s", k ? "," : "",
			         json_string_value(n));
		}
		printf("%-24s %-7s %-9s %-10s %s\n", jstr(s, "name"), jstr(s, "kind"),
		       jstr(s, "auth"), jstr(s, "status"), netbuf[0] ? netbuf : "any");
	}
	json_decref(out);
	return CTL_OK;
}

/* done: what to say after the name on success; NULL prints the source */
static int simple(const struct ctl *c, const char *method, const char *name, const char *action,
                  const char *done)
{
	char path[256];
	json_t *out;

	snprintf(path, sizeof(path), "/admin/v1/sources/%s%s%s", name, action ? "/" : "",
	         action ? action : "");
	int r = ctl_run(c, method, path, NULL, &out);
	if (r == CTL_OK && !c->json) {
		if (done)
			printf("source %s %s\n", name, done);
		else
			print_source(json_object_get(out, "source"));
	}
	json_decref(out);
	return r;
}

static int add(const struct ctl *c, int argc, char **argv)
{
	const char *kind = "app";
	json_t *nets = json_array();
	bool by_ip = false, allow = false;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "posternctl: usage: source add NAME [--kind KIND] [--ip CIDR]... "
		                "[--allow-ip CIDR]...\n");
		json_decref(nets);
		return CTL_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (i + 1 >= argc) {
			fprintf(stderr, "posternctl: %s needs a value\n", argv[i]);
			json_decref(nets);
			return CTL_USAGE;
		}
		if (strcmp(argv[i], "--kind") == 0) {
			kind = argv[++i];
		} else if (strcmp(argv[i], "--ip") == 0) {
			by_ip = true;
			json_array_append_new(nets, json_string(argv[++i]));
		} else if (strcmp(argv[i], "--allow-ip") == 0) {
			allow = true;
			json_array_append_new(nets, json_string(argv[++i]));
		} else {
			fprintf(stderr, "posternctl: unknown option %s\n", argv[i]);
			json_decref(nets);
			return CTL_USAGE;
		}
	}
	if (by_ip && allow) {
		fprintf(stderr, "posternctl: --ip and --allow-ip exclude each other\n");
		json_decref(nets);
		return CTL_USAGE;
	}
	json_t *body = json_pack("{s:s, s:s, s:s, s:o}", "name", argv[1], "kind", kind, "auth",
	                         by_ip ? "ip" : "password", "networks", nets);
	json_t *out;
	int r = ctl_run(c, "POST", "/admin/v1/sources", body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json) {
		printf("source %s added\n", argv[1]);
		if (by_ip) {
			printf("it authenticates by address: connections from its networks need no "
			       "AUTH\n");
		} else {
			printf("SMTP user name: %s\n", argv[1]);
			printf("password:       %s\n", jstr(out, "password"));
			printf("(shown once: store it now; 'posternctl source passwd %s' makes a "
			       "new "
			       "one)\n",
			       argv[1]);
		}
	}
	json_decref(out);
	return r;
}

static int passwd(const struct ctl *c, const char *name)
{
	char path[256];
	json_t *out;

	snprintf(path, sizeof(path), "/admin/v1/sources/%s/password", name);
	int r = ctl_run(c, "POST", path, NULL, &out);
	if (r == CTL_OK && !c->json) {
		printf("new password for %s: %s\n", name, jstr(out, "password"));
		printf("(shown once; the old password no longer works)\n");
	}
	json_decref(out);
	return r;
}

static int networks(const struct ctl *c, int argc, char **argv)
{
	char path[256];
	json_t *nets = json_array(), *out;

	if (argc < 2) {
		fprintf(stderr, "posternctl: usage: source networks NAME [CIDR...]\n");
		json_decref(nets);
		return CTL_USAGE;
	}
	for (int i = 2; i < argc; i++)
		json_array_append_new(nets, json_string(argv[i]));
	json_t *body = json_pack("{s:o}", "networks", nets);
	snprintf(path, sizeof(path), "/admin/v1/sources/%s/networks", argv[1]);
	int r = ctl_run(c, "PUT", path, body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json)
		print_source(json_object_get(out, "source"));
	json_decref(out);
	return r;
}

/* source set NAME [--kind K] [--pool P|--pool ""] [--lane urgent|bulk] */
static int set(const struct ctl *c, int argc, char **argv)
{
	char path[256];
	json_t *body = json_object(), *out;

	if (argc < 3 || argv[1][0] == '-') {
		fprintf(stderr, "posternctl: usage: source set NAME [--kind KIND] [--pool POOL] "
		                "[--lane urgent|bulk]\n");
		json_decref(body);
		return CTL_USAGE;
	}
	for (int i = 2; i < argc; i += 2) {
		const char *key = strcmp(argv[i], "--kind") == 0   ? "kind"
		                  : strcmp(argv[i], "--pool") == 0 ? "pool"
		                  : strcmp(argv[i], "--lane") == 0 ? "lane"
		                                                   : NULL;
		if (key == NULL || i + 1 >= argc) {
			fprintf(stderr,
			        "posternctl: source set: unknown option or missing value: %s\n",
			        argv[i]);
			json_decref(body);
			return CTL_USAGE;
		}
		json_object_set_new(body, key, json_string(argv[i + 1]));
	}
	snprintf(path, sizeof(path), "/admin/v1/sources/%s", argv[1]);
	int r = ctl_run(c, "PATCH", path, body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json)
		print_source(json_object_get(out, "source"));
	json_decref(out);
	return r;
}

/* source allow|deny NAME ENVELOPE-PATTERN [FROM-PATTERN] [--remove] */
static int identity(const struct ctl *c, int argc, char **argv)
{
	const char *action = argv[0], *pat[2] = {NULL, NULL};
	bool remove = false;
	int npat = 0;
	char path[256];

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--remove") == 0)
			remove = true;
		else if (npat < 2)
			pat[npat++] = argv[i];
		else
			npat = 3;
	}
	if (argc < 3 || npat == 0 || npat > 2) {
		fprintf(stderr,
		        "posternctl: usage: source %s NAME ENVELOPE-PATTERN [FROM-PATTERN] "
		        "[--remove]\n"
		        "  patterns: example.com, *@example.com, noreply@example.com, "
		        "bounce-*@example.com,\n"
		        "            *@*.example.com, <> (the null envelope sender)\n",
		        action);
		return CTL_USAGE;
	}
	json_t *body = json_pack("{s:s, s:s, s:b}", "action", action, "envelope", pat[0], "remove",
	                         remove);
	if (pat[1])
		json_object_set_new(body, "from", json_string(pat[1]));
	snprintf(path, sizeof(path), "/admin/v1/sources/%s/identities", argv[1]);
	json_t *out;
	int r = ctl_run(c, "POST", path, body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json) {
		printf("source %s: %s rule %s: envelope %s, From: %s\n", argv[1], action,
		       remove ? "removed" : "added", pat[0], pat[1] ? pat[1] : pat[0]);
		print_source(json_object_get(out, "source"));
	}
	json_decref(out);
	return r;
}

/* source suspend NAME [--hold-queued | --drop-queued] */
static int suspend(const struct ctl *c, int argc, char **argv)
{
	const char *queued = "hold";
	char path[256];
	json_t *out;

	if (argc < 2 || argc > 3 || argv[1][0] == '-' ||
	    (argc == 3 && strcmp(argv[2], "--hold-queued") != 0 &&
	     strcmp(argv[2], "--drop-queued") != 0)) {
		fprintf(stderr, "posternctl: usage: source suspend NAME [--hold-queued | "
		                "--drop-queued]\n");
		return CTL_USAGE;
	}
	if (argc == 3 && strcmp(argv[2], "--drop-queued") == 0)
		queued = "drop";
	json_t *body = json_pack("{s:s}", "queued", queued);
	snprintf(path, sizeof(path), "/admin/v1/sources/%s/suspend", argv[1]);
	int r = ctl_run(c, "POST", path, body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json)
		printf("source %s suspended: its connections and requests are refused from now "
		       "on; its queued mail is %s\n",
		       argv[1], strcmp(queued, "drop") == 0 ? "dropped" : "held until resume");
	json_decref(out);
	return r;
}

int cmd_source(const struct ctl *c, int argc, char **argv)
{
	if (argc == 0) {
		fprintf(stderr,
		        "posternctl: source: list, show, add, set, allow, deny, suspend, resume, "
		        "passwd, credential, limits, webhook, scan, networks or delete\n");
		return CTL_USAGE;
	}
	const char *verb = argv[0];
	if (strcmp(verb, "list") == 0)
		return argc == 1 ? list(c) : CTL_USAGE;
	if (strcmp(verb, "add") == 0)
		return add(c, argc, argv);
	if (strcmp(verb, "networks") == 0)
		return networks(c, argc, argv);
	if (strcmp(verb, "set") == 0)
		return set(c, argc, argv);
	if (strcmp(verb, "allow") == 0 || strcmp(verb, "deny") == 0)
		return identity(c, argc, argv);
	if (strcmp(verb, "suspend") == 0)
		return suspend(c, argc, argv);
	if (strcmp(verb, "limits") == 0)
		return cmd_limits(c, argc, argv);
	if (strcmp(verb, "webhook") == 0)
		return cmd_webhook(c, argc, argv);
	if (strcmp(verb, "scan") == 0)
		return cmd_scan(c, argc, argv);
	if (strcmp(verb, "stream") == 0)
		return cmd_stream(c, argc - 1, argv + 1);
	if (strcmp(verb, "credential") == 0 || strcmp(verb, "cred") == 0)
		return cmd_credential(c, argc - 1, argv + 1);
	if (strcmp(verb, "show") == 0 || strcmp(verb, "resume") == 0 ||
	    strcmp(verb, "delete") == 0 || strcmp(verb, "passwd") == 0) {
		if (need_name(argc, argv, verb) < 0)
			return CTL_USAGE;
		if (strcmp(verb, "show") == 0)
			return simple(c, "GET", argv[1], NULL, NULL);

		if (strcmp(verb, "resume") == 0)
			return simple(c, "POST", argv[1], "resume", "resumed");
		if (strcmp(verb, "delete") == 0)
			return simple(c, "DELETE", argv[1], NULL, "deleted");
		return passwd(c, argv[1]);
	}
	fprintf(stderr, "posternctl: source: unknown verb '%s'\n", verb);
	return CTL_USAGE;
}

int cmd_status(const struct ctl *c, int argc, char **argv)
{
	json_t *out;

	if (argc != 0)
		return CTL_USAGE;
	int r = ctl_run(c, "GET", "/admin/v1/status", NULL, &out);
	if (r == CTL_OK && !c->json) {
		printf("status:        %s\n", jstr(out, "status"));
		printf("version:       %s\n", jstr(out, "version"));
		printf("uptime:        %lld s\n",
		       (long long)json_integer_value(json_object_get(out, "uptime_seconds")));
		printf("sessions:      %lld\n",
		       (long long)json_integer_value(json_object_get(out, "smtp_sessions")));
		printf("sources:       %lld\n",
		       (long long)json_integer_value(json_object_get(out, "sources")));
		printf("queue length:  %lld\n",
		       (long long)json_integer_value(json_object_get(out, "queue_length")));
	}
	json_decref(out);
	return r;
}
