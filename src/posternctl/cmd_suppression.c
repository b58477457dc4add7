/*
 * cmd_suppression.c - posternctl suppression ..., unsubscribe ..., source stream ...
 *
 *   suppression add ADDRESS [--scope STREAM|domain] [--reason R] [--detail TEXT]
 *   suppression remove ADDRESS [--scope S]        every scope unless one is named
 *   suppression list [--address A] [--scope S] [--reason R] [--limit N]
 *   suppression import FILE.csv   header line naming the columns; address needed,
 *                                 scope, reason, created_at, source, detail, origin
 *                                 optional (origin "import" unless given)
 *   suppression export            CSV on standard output (what import reads)
 *   unsubscribe rotate-secret
 *   source stream NAME [--default STREAM|transactional] [--on-suppressed drop|reject]
 *
 * Import sends batches of up to 1,000 entries and 48 KiB, each one transaction; a bad line
 * stops it before anything of its batch is sent, naming the line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define BATCH      1000
#define BATCH_SIZE (48 * 1024) /* the admin API takes bodies of 64 KiB */
#define LINE_MAX_  4096

static int usage(void)
{
	fprintf(stderr, "posternctl: usage: suppression add ADDRESS [--scope S] [--reason R] "
	                "[--detail TEXT] | remove ADDRESS [--scope S] | list [--address A] "
	                "[--scope S] [--reason R] [--limit N] | import FILE.csv | export\n");
	return CTL_USAGE;
}

/* enc - s percent-encoded for a URL's path or query (RFC 3986 unreserved kept); caller frees */
static char *enc(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *e = malloc(3 * strlen(s) + 1), *o = e;

	if (e == NULL)
		abort();
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL) {
			*o++ = (char)ch;
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return e;
}

/* csv_field - RFC 4180: out gets the next field of *p (quotes undone); false at a syntax error */
static bool csv_field(const char **p, char *out, size_t outlen)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '"') {
		s++;
		for (;;) {
			if (*s == '\0')
				return false;
			if (*s == '"' && s[1] == '"') {
				s += 2;
				if (n + 1 < outlen)
					out[n++] = '"';
				continue;
			}
			if (*s == '"') {
				s++;
				break;
			}
			if (n + 1 >= outlen)
				return false;
			out[n++] = *s++;
		}
		if (*s != ',' && *s != '\0')
			return false;
	} else {
		while (*s && *s != ',') {
			if (*s == '"' || n + 1 >= outlen)
				return false;
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	*p = *s == ',' ? s + 1 : NULL; /* NULL: that was the last field */
	return true;
}

static void csv_put(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static const char *const columns[] = {"address", "scope",  "reason", "created_at",
                                      "source",  "detail", "origin"};
#define NCOL 7

static int send_batch(const struct ctl *c, json_t *batch, size_t *added, size_t *existing)
{
	json_t *out = NULL;
	struct ctl quiet = *c;

	quiet.json = false;
	json_t *body = json_pack("{s:O}", "entries", batch);
	int r = ctl_run(&quiet, "POST", "/admin/v1/suppressions", body, &out);
	json_decref(body);
	if (r == CTL_OK) {
		*added += (size_t)json_integer_value(json_object_get(out, "added"));
		*existing += (size_t)json_integer_value(json_object_get(out, "existing"));
	}
	json_decref(out);
	json_array_clear(batch);
	return r;
}

static int import(const struct ctl *c, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char line[LINE_MAX_ + 2];
	int map[NCOL], ncols = 0, r = CTL_OK;
	size_t lineno = 0, added = 0, existing = 0, size = 0;

	if (f == NULL) {
		fprintf(stderr, "posternctl: %s: %s\n", path, strerror(errno));
		return CTL_FAILED;
	}
	json_t *batch = json_array();
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		size_t n = strlen(line);
		if (n > LINE_MAX_ || (n == sizeof(line) - 1 && line[n - 1] != '\n')) {
			fprintf(stderr, "posternctl: %s:%zu: line too long\n", path, lineno);
			r = CTL_FAILED;
			break;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		const char *p = line;
		char field[LINE_MAX_ + 1];
		if (ncols == 0) {
			/* the header line: which column is which */
			while (p != NULL && ncols < NCOL) {
				if (!csv_field(&p, field, sizeof(field)))
					break;
				map[ncols] = -1;
				for (int k = 0; k < NCOL; k++)
					if (strcmp(field, columns[k]) == 0)
						map[ncols] = k;
				ncols++;
			}
			bool have = false;
			for (int k = 0; k < ncols; k++)
				have |= map[k] == 0;
			if (!have || p != NULL) {
				fprintf(stderr,
				        "posternctl: %s:1: the first line names the columns: "
				        "address "
				        "and any of scope, reason, created_at, source, detail, "
				        "origin\n",
				        path);
				r = CTL_USAGE;
				break;
			}
			continue;
		}
		json_t *e = json_object();
		int k = 0;
		bool ok = true;
		while (p != NULL && ok) {
			if (k >= ncols || !csv_field(&p, field, sizeof(field))) {
				ok = false;
				break;
			}
			if (map[k] == 3 && field[0]) {
				char *end;
				long long t = strtoll(field, &end, 10);
				if (*end != '\0' || t < 0) {
					ok = false;
					break;
				}
				json_object_set_new(e, "created_at", json_integer(t));
			} else if (map[k] >= 0 && map[k] != 3 && field[0]) {
				json_object_set_new(e, columns[map[k]], json_string(field));
			}
			k++;
		}
		if (!ok || k != ncols || json_object_get(e, "address") == NULL) {
			json_decref(e);
			fprintf(stderr,
			        "posternctl: %s:%zu: not a CSV line of %d fields with an address\n",
			        path, lineno, ncols);
			r = CTL_FAILED;
			break;
		}
		char *et = json_dumps(e, JSON_COMPACT);
		size_t es = (et ? strlen(et) : 2 * LINE_MAX_) + 1;
		free(et);
		if (size + es > BATCH_SIZE && json_array_size(batch) > 0) {
			if ((r = send_batch(c, batch, &added, &existing)) != CTL_OK) {
				json_decref(e);
				break;
			}
			size = 0;
		}
		json_array_append_new(batch, e);
		size += es;
		if (json_array_size(batch) == BATCH) {
			if ((r = send_batch(c, batch, &added, &existing)) != CTL_OK)
				break;
			size = 0;
		}
	}
	if (r == CTL_OK && ferror(f)) {
		fprintf(stderr, "posternctl: %s: read error\n", path);
		r = CTL_FAILED;
	}
	if (r == CTL_OK && json_array_size(batch) > 0)
		r = send_batch(c, batch, &added, &existing);
	json_decref(batch);
	if (f != stdin)
		fclose(f);
	if (r == CTL_OK && ncols == 0) {
		fprintf(stderr, "posternctl: %s: empty\n", path);
		return CTL_USAGE;
	}
	if (c->json)
		printf("{\"added\":%zu,\"existing\":%zu}\n", added, existing);
	else if (r == CTL_OK)
		printf("imported: %zu added, %zu already on the list\n", added, existing);
	else if (added)
		fprintf(stderr, "posternctl: %zu entries were added before the error\n", added);
	return r;
}

static int export(const struct ctl *c)
{
	char *after = strdup(""), *after_scope = strdup("");
	int r = CTL_OK;
	struct ctl quiet = *c;

	quiet.json = false;
	printf("address,scope,reason,created_at,source,detail,origin\n");
	for (;;) {
		char path[1024];
		char *a = enc(after), *s = enc(after_scope);
		json_t *out = NULL;
		snprintf(path, sizeof(path),
		         "/admin/v1/suppressions?limit=10000&after=%s&after_scope=%s", a, s);
		free(a);
		free(s);
		r = ctl_run(&quiet, "GET", path, NULL, &out);
		if (r != CTL_OK)
			break;
		json_t *arr = json_object_get(out, "suppressions"), *e;
		size_t i;
		json_array_foreach(arr, i, e)
		{
			csv_put(stdout, jstr(e, "address"));
			putchar(',');
			csv_put(stdout, jstr(e, "scope"));
			putchar(',');
			csv_put(stdout, jstr(e, "reason"));
			printf(",%lld,",
			       (long long)json_integer_value(json_object_get(e, "created_epoch")));
			csv_put(stdout, jstr(e, "source"));
			putchar(',');
			csv_put(stdout, jstr(e, "detail"));
			putchar(',');
			csv_put(stdout, jstr(e, "origin"));
			putchar('\n');
		}
		size_t n = json_array_size(arr);
		if (n > 0) {
			free(after);
			free(after_scope);
			after = strdup(jstr(json_array_get(arr, n - 1), "address"));
			after_scope = strdup(jstr(json_array_get(arr, n - 1), "scope"));
		}
		json_decref(out);
		if (n < 10000)
			break;
	}
	free(after);
	free(after_scope);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "posternctl: standard output: %s\n", strerror(errno));
		return CTL_FAILED;
	}
	return r;
}

static int list(const struct ctl *c, int argc, char **argv)
{
	const char *addr = "", *scope = "", *reason = "", *limit = "100";
	char path[1024];
	json_t *out = NULL;

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--address") == 0)
			addr = argv[i + 1];
		else if (strcmp(argv[i], "--scope") == 0)
			scope = argv[i + 1];
		else if (strcmp(argv[i], "--reason") == 0)
			reason = argv[i + 1];
		else if (strcmp(argv[i], "--limit") == 0)
			limit = argv[i + 1];
		else
			return usage();
	}
	char *a = enc(addr), *s = enc(scope), *re = enc(reason), *l = enc(limit);
	snprintf(path, sizeof(path),
	         "/admin/v1/suppressions?address=%s&scope=%s&reason=%s&limit=%s", a, s, re, l);
	free(a);
	free(s);
	free(re);
	free(l);
	int r = ctl_run(c, "GET", path, NULL, &out);
	if (r == CTL_OK && !c->json) {
		json_t *arr = json_object_get(out, "suppressions"), *e;
		size_t i;
		if (json_array_size(arr) == 0)
			printf("no suppressions\n");
		json_array_foreach(arr, i, e) printf(
		        "%-40s %-16s %-12s %s %s%s%s\n", jstr(e, "address"), jstr(e, "scope"),
		        jstr(e, "reason"), jstr(e, "created_at"), jstr(e, "origin"),
		        jstr(e, "detail")[0] != '-' && jstr(e, "detail")[0] ? " " : "",
		        jstr(e, "detail")[0] != '-' ? jstr(e, "detail") : "");
	}
	json_decref(out);
	return r;
}

int cmd_suppression(const struct ctl *c, int argc, char **argv)
{
	json_t *out = NULL;
	char path[1024];
	int r;

	if (argc < 1)
		return usage();
	if (strcmp(argv[0], "list") == 0)
		return list(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "import") == 0)
		return argc == 2 ? import(c, argv[1]) : usage();
	if (strcmp(argv[0], "export") == 0)
		return argc == 1 ? export(c) : usage();
	if (argc < 2 || (argc % 2) != 0)
		return usage();
	const char *scope = NULL, *reason = "manual", *detail = NULL;
	for (int i = 2; i < argc; i += 2) {
		if (strcmp(argv[i], "--scope") == 0)
			scope = argv[i + 1];
		else if (strcmp(argv[i], "--reason") == 0)
			reason = argv[i + 1];
		else if (strcmp(argv[i], "--detail") == 0)
			detail = argv[i + 1];
		else
			return usage();
	}
	if (strcmp(argv[0], "add") == 0) {
		json_t *body = json_pack("{s:s, s:s, s:s}", "address", argv[1], "scope",
		                         scope ? scope : "domain", "reason", reason);
		if (detail)
			json_object_set_new(body, "detail", json_string(detail));
		r = ctl_run(c, "POST", "/admin/v1/suppressions", body, &out);
		json_decref(body);
		if (r == CTL_OK && !c->json) {
			json_t *e = json_object_get(out, "suppression");
			if (e)
				printf("suppressed %s in %s (%s)\n", jstr(e, "address"),
				       jstr(e, "scope"), jstr(e, "reason"));
			else
				printf("%s was already suppressed there\n", argv[1]);
		}
	} else if (strcmp(argv[0], "remove") == 0) {
		char *a = enc(argv[1]), *s = enc(scope ? scope : "");
		snprintf(path, sizeof(path), "/admin/v1/suppressions/%s?scope=%s", a, s);
		free(a);
		free(s);
		r = ctl_run(c, "DELETE", path, NULL, &out);
		if (r == CTL_OK && !c->json)
			printf("removed %lld entr%s for %s\n",
			       (long long)json_integer_value(json_object_get(out, "removed")),
			       json_integer_value(json_object_get(out, "removed")) == 1 ? "y"
			                                                                : "ies",
			       argv[1]);
	} else {
		return usage();
	}
	json_decref(out);
	return r;
}

int cmd_unsubscribe(const struct ctl *c, int argc, char **argv)
{
	json_t *out = NULL;

	if (argc != 1 || strcmp(argv[0], "rotate-secret") != 0) {
		fprintf(stderr, "posternctl: usage: unsubscribe rotate-secret\n");
		return CTL_USAGE;
	}
	int r = ctl_run(c, "POST", "/admin/v1/unsubscribe/rotate", NULL, &out);
	if (r == CTL_OK && !c->json)
		printf("a new unsubscribe secret; links made before still work for "
		       "[unsubscribe] secret_grace\n");
	json_decref(out);
	return r;
}

int cmd_stream(const struct ctl *c, int argc, char **argv)
{
	json_t *out = NULL, *body = json_object();
	char path[256];

	if (argc < 1 || (argc % 2) != 1) {
		json_decref(body);
		fprintf(stderr, "posternctl: usage: source stream NAME [--default STREAM] "
		                "[--on-suppressed drop|reject]\n");
		return CTL_USAGE;
	}
	for (int i = 1; i < argc; i += 2) {
		if (strcmp(argv[i], "--default") == 0)
			json_object_set_new(body, "default", json_string(argv[i + 1]));
		else if (strcmp(argv[i], "--on-suppressed") == 0)
			json_object_set_new(body, "on_suppressed", json_string(argv[i + 1]));
		else {
			json_decref(body);
			fprintf(stderr, "posternctl: usage: source stream NAME [--default STREAM] "
			                "[--on-suppressed drop|reject]\n");
			return CTL_USAGE;
		}
	}
	char *n = enc(argv[0]);
	snprintf(path, sizeof(path), "/admin/v1/sources/%.64s/stream", n);
	free(n);
	int r = ctl_run(c, "PUT", path, body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json) {
		json_t *st = json_object_get(json_object_get(out, "source"), "stream");
		printf("source %s: stream %s, suppressed recipients %s\n", argv[0],
		       jstr(st, "default"),
		       strcmp(jstr(st, "on_suppressed"), "reject") == 0 ? "refused" : "dropped");
	}
	json_decref(out);
	return r;
}
