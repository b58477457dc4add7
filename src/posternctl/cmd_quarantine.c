/*
 * cmd_quarantine.c - posternctl quarantine ... and source scan ...
 *
 *   quarantine list [--limit N] [--offset N]
 *   quarantine show ID          envelope, verdict, header, the body as text
 *   quarantine release ID       signed and sent on (under a new id)
 *   quarantine delete ID
 *   source scan NAME [--dlp all|none|RULE,SET,...] [--dlp-action reject|quarantine|require-tls]
 *                    [--spam-action tag|quarantine]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void print_verdict(json_t *v)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

	printf("%s", t ? t : "{}");
	free(t);
}

static bool valid_id(const char *s)
{
	return strlen(s) == 16 && strspn(s, "0123456789abcdef") == 16;
}

static bool number(const char *s)
{
	return *s && strlen(s) <= 10 && strspn(s, "0123456789") == strlen(s);
}

static int usage(void)
{
	fprintf(stderr, "posternctl: usage: quarantine list [--limit N] [--offset N] | show ID | "
	                "release ID | delete ID\n");
	return CTL_USAGE;
}

int cmd_quarantine(const struct ctl *c, int argc, char **argv)
{
	char path[256];
	json_t *out = NULL;
	int r;

	if (argc < 1)
		return usage();
	if (strcmp(argv[0], "list") == 0) {
		const char *limit = "100", *offset = "0";
		for (int i = 1; i < argc; i += 2) {
			if (i + 1 >= argc)
				return usage();
			if (strcmp(argv[i], "--limit") == 0)
				limit = argv[i + 1];
			else if (strcmp(argv[i], "--offset") == 0)
				offset = argv[i + 1];
			else
				return usage();
			if (!number(argv[i + 1])) {
				fprintf(stderr, "posternctl: %s takes a number\n", argv[i]);
				return CTL_USAGE;
			}
		}
		snprintf(path, sizeof(path), "/admin/v1/quarantine?limit=%.20s&offset=%.20s", limit,
		         offset);
		r = ctl_run(c, "GET", path, NULL, &out);
		if (r == CTL_OK && !c->json) {
			size_t i;
			json_t *m;
			json_t *arr = json_object_get(out, "messages");
			if (json_array_size(arr) == 0)
				printf("the quarantine is empty\n");
			json_array_foreach(arr, i, m)
			{
				printf("%s %s %-14s <%s> ", jstr(m, "id"), jstr(m, "arrival"),
				       jstr(m, "source"), jstr(m, "sender"));
				print_verdict(json_object_get(m, "verdict"));
				printf("\n");
			}
		}
		json_decref(out);
		return r;
	}
	if (argc != 2)
		return usage();
	const char *verb = argv[0], *id = argv[1];
	if (!valid_id(id)) {
		fprintf(stderr, "posternctl: '%.40s' is not a message id (16 hex digits)\n", id);
		return CTL_USAGE;
	}
	if (strcmp(verb, "show") == 0) {
		snprintf(path, sizeof(path), "/admin/v1/quarantine/%s", id);
		r = ctl_run(c, "GET", path, NULL, &out);
		if (r == CTL_OK && !c->json) {
			json_t *m = json_object_get(out, "message");
			size_t i;
			json_t *v;
			printf("id:       %s\nsource:   %s\nsender:   <%s>\nreceived: %s\nverdict: "
			       " ",
			       jstr(m, "id"), jstr(m, "source"), jstr(m, "sender"),
			       jstr(m, "arrival"));
			print_verdict(json_object_get(m, "verdict"));
			printf("\nrecipients:");
			json_array_foreach(json_object_get(m, "rcpts"), i, v)
			        printf(" <%s>", json_string_value(v) ? json_string_value(v) : "");
			printf("\n\n%s\n%s\n", jstr(m, "header"), jstr(m, "body_preview"));
		}
	} else if (strcmp(verb, "release") == 0) {
		snprintf(path, sizeof(path), "/admin/v1/quarantine/%s/release", id);
		r = ctl_run(c, "POST", path, NULL, &out);
		if (r == CTL_OK && !c->json)
			printf("released: signed and queued as %s\n", jstr(out, "released_as"));
	} else if (strcmp(verb, "delete") == 0) {
		snprintf(path, sizeof(path), "/admin/v1/quarantine/%s", id);
		r = ctl_run(c, "DELETE", path, NULL, &out);
		if (r == CTL_OK && !c->json)
			printf("deleted %s\n", id);
	} else {
		return usage();
	}
	json_decref(out);
	return r;
}

int cmd_scan(const struct ctl *c, int argc, char **argv)
{
	char path[300];
	json_t *body, *out = NULL;

	if (argc < 3 || argv[1][0] == '-') {
		fprintf(stderr, "posternctl: usage: source scan NAME [--dlp all|none|RULE,SET,...] "
		                "[--dlp-action reject|quarantine|require-tls] "
		                "[--spam-action tag|quarantine]\n");
		return CTL_USAGE;
	}
	if (strcspn(argv[1], "/?#% ") != strlen(argv[1])) {
		fprintf(stderr, "posternctl: '%.64s' is not a source name\n", argv[1]);
		return CTL_USAGE;
	}
	body = json_object();
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc) {
			json_decref(body);
			return CTL_USAGE;
		}
		const char *v = argv[i + 1];
		json_t *probe = json_string(v);
		if (probe == NULL) {
			fprintf(stderr, "posternctl: %s: the value is not UTF-8\n", argv[i]);
			json_decref(body);
			return CTL_USAGE;
		}
		json_decref(probe);
		if (strcmp(argv[i], "--dlp") == 0) {
			if (strcmp(v, "all") == 0) {
				json_object_set_new(body, "dlp", json_string("all"));
			} else {
				json_t *arr = json_array();
				char *list = strdup(v), *save = NULL;
				for (char *t = strtok_r(list, ",", &save);
				     t && strcmp(v, "none") != 0; t = strtok_r(NULL, ",", &save))
					json_array_append_new(arr, json_string(t));
				free(list);
				json_object_set_new(body, "dlp", arr);
			}
		} else if (strcmp(argv[i], "--dlp-action") == 0) {
			json_object_set_new(body, "dlp_action", json_string(v));
		} else if (strcmp(argv[i], "--spam-action") == 0) {
			json_object_set_new(body, "spam_action", json_string(v));
		} else {
			fprintf(stderr, "posternctl: source scan: unknown option %s\n", argv[i]);
			json_decref(body);
			return CTL_USAGE;
		}
	}
	snprintf(path, sizeof(path), "/admin/v1/sources/%s/scanning", argv[1]);
	int r = ctl_run(c, "PUT", path, body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json) {
		json_t *s = json_object_get(json_object_get(out, "source"), "scanning");
		printf("source %s: DLP rules %s, a DLP hit: %s, Rspamd's add header: %s\n", argv[1],
		       *jstr(s, "dlp") ? jstr(s, "dlp") : "none", jstr(s, "dlp_action"),
		       jstr(s, "spam_action"));
	}
	json_decref(out);
	return r;
}
