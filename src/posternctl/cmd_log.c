/*
 * cmd_log.c - posternctl log search, stats and audit: what happened.
 *
 *   log search [--source S] [--rcpt R] [--from F] [--status X] [--since T]
 *              [--until T] [--id ID] [--limit N] [--before CURSOR]
 *   stats [--source S] [--since T] [--until T]
 *   audit [--limit N] [--before CURSOR]
 *
 * T: 2026-12-07T10:00:00Z, 2026-12-07, seconds since the epoch, or a duration
 * back from now (1h, 7d).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl.h"

/* append ?key=value&... with the value percent-encoded */
static void add_param(struct buf *b, const char *key, const char *v)
{
	buf_printf(b, "%c%s=", strchr(b->data, '?') ? '&' : '?', key);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~@", *p))
			buf_putc(b, (char)*p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

/* options into query parameters; -1 on an unknown option */
static int params(struct buf *b, int argc, char **argv, const char *const *allowed)
{
	for (int i = 0; i < argc; i += 2) {
		const char *key = NULL;
		for (size_t k = 0; allowed[k]; k++)
			if (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, allowed[k]) == 0)
				key = allowed[k];
		if (key == NULL || i + 1 >= argc) {
			fprintf(stderr, "posternctl: unknown option or missing value: %s\n",
			        argv[i]);
			return -1;
		}
		add_param(b, strcmp(key, "from") == 0 ? "from" : key, argv[i + 1]);
	}
	return 0;
}

/* GET base?options: 0 with *out, or an exit code (the usage printed on bad options) */
static int query(const struct ctl *c, const char *base, int argc, char **argv,
                 const char *const *allowed, const char *usage, json_t **out)
{
	struct buf path;

	*out = NULL;
	buf_init(&path);
	buf_puts(&path, base);
	if (params(&path, argc, argv, allowed) < 0) {
		buf_release(&path);
		fprintf(stderr, "posternctl: usage: %s\n", usage);
		return CTL_USAGE;
	}
	int r = ctl_run(c, "GET", path.data, NULL, out);
	buf_release(&path);
	return r;
}

int cmd_log(const struct ctl *c, int argc, char **argv)
{
	static const char *const allowed[] = {"source", "rcpt", "from",  "status", "since",
	                                      "until",  "id",   "limit", "before", NULL};
	static const char usage[] = "log search [--source S] [--rcpt R] [--from F] [--status X] "
	                            "[--since T] [--until T] [--id ID] [--limit N] "
	                            "[--before CURSOR]";
	json_t *out = NULL, *e;
	size_t i;

	if (argc < 1 || strcmp(argv[0], "search") != 0) {
		fprintf(stderr, "posternctl: usage: %s\n", usage);
		return CTL_USAGE;
	}
	int r = query(c, "/admin/v1/events", argc - 1, argv + 1, allowed, usage, &out);
	if (r != CTL_OK || c->json) {
		json_decref(out);
		return r;
	}
	json_t *events = json_object_get(out, "events");
	if (json_array_size(events) == 0)
		printf("no events match\n");
	else
		printf("%-24s %-10s %-16s %-14s %-6s %s\n", "TIME", "EVENT", "MESSAGE", "SOURCE",
		       "DSN", "FROM -> TO / REASON");
	json_array_foreach(events, i, e)
	{
		const char *rcpt = jstr(e, "rcpt"), *reason = jstr(e, "reason");
		printf("%-24s %-10s %-16s %-14s %-6s <%s>", jstr(e, "time"), jstr(e, "type"),
		       *jstr(e, "msg") ? jstr(e, "msg") : "-",
		       *jstr(e, "source") ? jstr(e, "source") : "-",
		       *jstr(e, "dsn") ? jstr(e, "dsn") : "-", jstr(e, "sender"));
		if (*rcpt)
			printf(" -> <%s>", rcpt);
		if (*reason)
			printf(" reason=%s", reason);
		printf("\n");
	}
	json_t *next = json_object_get(out, "next");
	if (json_is_integer(next))
		printf("(more: add --before %lld)\n", (long long)json_integer_value(next));
	json_decref(out);
	return CTL_OK;
}

static void print_counts(const char *name, json_t *src)
{
	static const char *order[] = {"accepted", "rejected", "delivered", "deferred", "bounced",
	                              "held",     "dropped",  "expired",   NULL};

	printf("%s\n", name);
	for (size_t k = 0; order[k]; k++)
		printf("  %-10s %lld\n", order[k],
		       (long long)json_integer_value(json_object_get(src, order[k])));
	json_t *by = json_object_get(src, "rejected_by_reason");
	const char *reason;
	json_t *v;
	json_object_foreach(by, reason, v)
	        printf("    rejected %-20s %lld\n", reason, (long long)json_integer_value(v));
}

int cmd_stats(const struct ctl *c, int argc, char **argv)
{
	static const char *const allowed[] = {"source", "since", "until", NULL};
	json_t *out = NULL, *v;
	const char *name;
	int r = query(c, "/admin/v1/stats", argc, argv, allowed,
	              "stats [--source S] [--since T] [--until T]", &out);

	if (r != CTL_OK || c->json) {
		json_decref(out);
		return r;
	}
	printf("from %s to %s\n", jstr(out, "since"), jstr(out, "until"));
	json_object_foreach(json_object_get(out, "sources"), name, v) print_counts(name, v);
	print_counts("total", json_object_get(out, "total"));
	json_decref(out);
	return CTL_OK;
}

int cmd_audit(const struct ctl *c, int argc, char **argv)
{
	static const char *const allowed[] = {"limit", "before", NULL};
	json_t *out = NULL, *e;
	size_t i;
	int r = query(c, "/admin/v1/audit", argc, argv, allowed,
	              "audit [--limit N] [--before CURSOR]", &out);

	if (r != CTL_OK || c->json) {
		json_decref(out);
		return r;
	}
	json_array_foreach(json_object_get(out, "audit"), i, e)
	        printf("%-24s %-28s %-6s %-44s %lld\n", jstr(e, "time"), jstr(e, "actor"),
	               jstr(e, "action"), jstr(e, "target"),
	               (long long)json_integer_value(json_object_get(e, "status")));
	json_decref(out);
	return CTL_OK;
}
