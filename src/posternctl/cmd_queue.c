/* cmd_queue.c - posternctl queue ... and pool ... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "strutil.h"

static bool valid_id(const char *s)
{
	return strlen(s) == 16 && strspn(s, "0123456789abcdef") == 16;
}

static int list(const struct ctl *c, int argc, char **argv)
{
	uint64_t limit = 100, offset = 0;
	char path[128];
	json_t *out, *m;
	size_t i;

	for (int k = 1; k < argc; k++) {
		uint64_t *dst = strcmp(argv[k], "--limit") == 0    ? &limit
		                : strcmp(argv[k], "--offset") == 0 ? &offset
		                                                   : NULL;
		if (dst == NULL || k + 1 >= argc || parse_u64(argv[k + 1], 1000000, dst) < 0) {
			fprintf(stderr, "posternctl: usage: queue list [--limit N] [--offset N]\n");
			return CTL_USAGE;
		}
		k++;
	}
	snprintf(path, sizeof(path), "/admin/v1/queue?limit=%llu&offset=%llu",
	         (unsigned long long)limit, (unsigned long long)offset);
	int r = ctl_run(c, "GET", path, NULL, &out);
	if (r != CTL_OK || c->json) {
		json_decref(out);
		return r;
	}
	json_t *arr = json_object_get(out, "messages");
	if (json_array_size(arr) == 0)
		printf("the queue is empty\n");
	else
		printf("%-16s %-8s %-6s %8s %-20s %-5s %s\n", "ID", "STATE", "LANE", "SIZE",
		       "ARRIVAL", "RCPTS", "SENDER / LAST REPLY");
	json_array_foreach(arr, i, m)
	{
		printf("%-16s %-8s %-6s %8lld %-20s %lld/%lld <%s>\n", jstr(m, "id"),
		       jstr(m, "state"), jstr(m, "lane"),
		       (long long)json_integer_value(json_object_get(m, "size")),
		       jstr(m, "arrival"),
		       (long long)json_integer_value(json_object_get(m, "pending")),
		       (long long)json_integer_value(json_object_get(m, "recipients")),
		       jstr(m, "sender"));
		const char *last = jstr(m, "last_reply");
		if (*last && strcmp(last, "-") != 0)
			printf("%-16s   %s\n", "", last);
	}
	long long total = (long long)json_integer_value(json_object_get(out, "total"));
	if ((long long)json_array_size(arr) < total)
		printf("(%zu of %lld shown; use --offset and --limit)\n", json_array_size(arr),
		       total);
	json_decref(out);
	return CTL_OK;
}

static int show(const struct ctl *c, const char *id)
{
	char path[128];
	json_t *out, *r;
	size_t i;

	snprintf(path, sizeof(path), "/admin/v1/queue/%s", id);
	int rc = ctl_run(c, "GET", path, NULL, &out);
	if (rc != CTL_OK || c->json) {
		json_decref(out);
		return rc;
	}
	json_t *m = json_object_get(out, "message");
	printf("id:        %s\nstate:     %s\nlane:      %s\nsource:    %s\nsender:    <%s>\n"
	       "arrival:   %s\nsize:      %lld\nattempts:  %lld\nnext:      %s\n",
	       jstr(m, "id"), jstr(m, "state"), jstr(m, "lane"), jstr(m, "source"),
	       jstr(m, "sender"), jstr(m, "arrival"),
	       (long long)json_integer_value(json_object_get(m, "size")),
	       (long long)json_integer_value(json_object_get(m, "attempts")),
	       json_is_null(json_object_get(m, "next_attempt")) ? "-" : jstr(m, "next_attempt"));
	printf("recipients:\n");
	json_array_foreach(json_object_get(out, "recipients"), i, r)
	{
		printf("  <%s> %s", jstr(r, "address"), jstr(r, "status"));
		if (json_integer_value(json_object_get(r, "code")) || *jstr(r, "dsn") != '-')
			printf(" %s", jstr(r, "dsn"));
		if (*jstr(r, "relay") && strcmp(jstr(r, "relay"), "-") != 0)
			printf(" via %s", jstr(r, "relay"));
		if (*jstr(r, "reply") && strcmp(jstr(r, "reply"), "-") != 0)
			printf("\n      %s", jstr(r, "reply"));
		printf("\n");
	}
	json_decref(out);
	return CTL_OK;
}

static int act(const struct ctl *c, const char *verb, const char *id)
{
	char path[128];
	json_t *out;
	bool del = strcmp(verb, "delete") == 0;

	snprintf(path, sizeof(path), "/admin/v1/queue/%s%s%s", id, del ? "" : "/", del ? "" : verb);
	int r = ctl_run(c, del ? "DELETE" : "POST", path, NULL, &out);
	if (r == CTL_OK && !c->json) {
		static const struct {
			const char *verb, *said;
		} said[] = {{"hold", "held: it waits until released"},
		            {"release", "released: it will be tried now"},
		            {"delete", "deleted, without a bounce"},
		            {"bounce", "bounced: its sender gets a notice"}};
		for (size_t i = 0; i < sizeof(said) / sizeof(said[0]); i++)
			if (strcmp(said[i].verb, verb) == 0)
				printf("message %s %s\n", id, said[i].said);
	}
	json_decref(out);
	return r;
}

int cmd_queue(const struct ctl *c, int argc, char **argv)
{
	if (argc == 0) {
		fprintf(stderr, "posternctl: queue: list, show, flush, hold, release, delete or "
		                "bounce\n");
		return CTL_USAGE;
	}
	const char *verb = argv[0];
	if (strcmp(verb, "list") == 0)
		return list(c, argc, argv);
	if (strcmp(verb, "flush") == 0) {
		json_t *out;
		if (argc != 1)
			return CTL_USAGE;
		int r = ctl_run(c, "POST", "/admin/v1/queue/flush", NULL, &out);
		if (r == CTL_OK && !c->json)
			printf("%lld waiting messages will be tried now\n",
			       (long long)json_integer_value(json_object_get(out, "flushed")));
		json_decref(out);
		return r;
	}
	if (strcmp(verb, "show") == 0 || strcmp(verb, "hold") == 0 ||
	    strcmp(verb, "release") == 0 || strcmp(verb, "delete") == 0 ||
	    strcmp(verb, "bounce") == 0) {
		if (argc != 2) {
			fprintf(stderr, "posternctl: usage: queue %s ID\n", verb);
			return CTL_USAGE;
		}
		if (!valid_id(argv[1])) {
			fprintf(stderr, "posternctl: '%s' is not a queue id (16 hex digits)\n",
			        argv[1]);
			return CTL_USAGE;
		}
		return strcmp(verb, "show") == 0 ? show(c, argv[1]) : act(c, verb, argv[1]);
	}
	fprintf(stderr, "posternctl: queue: unknown verb '%s'\n", verb);
	return CTL_USAGE;
}

int cmd_pool(const struct ctl *c, int argc, char **argv)
{
	json_t *out, *p, *a;
	size_t i, k;

	if (argc < 1 || (strcmp(argv[0], "list") != 0 && strcmp(argv[0], "spf") != 0) || argc > 2 ||
	    (strcmp(argv[0], "list") == 0 && argc != 1)) {
		fprintf(stderr, "posternctl: usage: pool list | pool spf [POOL]\n");
		return CTL_USAGE;
	}
	int r = ctl_run(c, "GET", "/admin/v1/pools", NULL, &out);
	if (r != CTL_OK || c->json) {
		json_decref(out);
		return r;
	}
	if (strcmp(argv[0], "spf") == 0) {
		const char *want = argc == 2 ? argv[1] : NULL;
		if (want == NULL) {
			if (json_array_size(json_object_get(out, "pools")) == 0) {
				fprintf(stderr,
				        "posternctl: no [pools] configured: mail leaves from the "
				        "host's own addresses\n");
				json_decref(out);
				return CTL_FAILED;
			}
			printf("%s\n", jstr(out, "spf"));
			json_decref(out);
			return CTL_OK;
		}
		json_array_foreach(json_object_get(out, "pools"), i, p)
		{
			if (strcmp(jstr(p, "name"), want) == 0) {
				printf("%s\n", jstr(p, "spf"));
				json_decref(out);
				return CTL_OK;
			}
		}
		fprintf(stderr, "posternctl: no pool named %s\n", want);
		json_decref(out);
		return CTL_FAILED;
	}
	if (json_array_size(json_object_get(out, "pools")) == 0)
		printf("no pools: mail leaves from the host's own addresses\n");
	json_array_foreach(json_object_get(out, "pools"), i, p)
	{
		printf("%s:\n", jstr(p, "name"));
		json_array_foreach(json_object_get(p, "addresses"), k, a)
		        printf("  %-40s EHLO %s\n", jstr(a, "address"), jstr(a, "ehlo"));
		printf("  SPF: %s\n", jstr(p, "spf"));
	}
	json_decref(out);
	return CTL_OK;
}
