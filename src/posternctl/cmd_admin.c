/*
 * cmd_admin.c - posternctl admin ...: the web console's administrators.
 *
 *   admin add NAME [--password-stdin]     a new one; its password is made and
 *                                          shown once, or read from stdin
 *   admin passwd NAME [--password-stdin]  a new password (its sessions end)
 *   admin remove NAME                     (its sessions end)
 *   admin list
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl.h"

static int usage(void)
{
	fprintf(stderr, "posternctl: usage: admin add NAME [--password-stdin] | passwd NAME "
	                "[--password-stdin] | remove NAME | list\n");
	return CTL_USAGE;
}

/* the first line of stdin, without its line end; false if empty or too long */
static bool read_password(char *out, size_t n)
{
	if (fgets(out, (int)n, stdin) == NULL)
		return false;
	size_t len = strcspn(out, "\r\n");
	if (out[len] == '\0' && len == n - 1)
		return false; /* longer than we take */
	out[len] = '\0';
	return len > 0;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || strcmp(s, "token") == 0)
		return false; /* the admin token's console sessions are named so */
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._-@", *p)))
			return false;
	return true;
}

int cmd_admin(const struct ctl *c, int argc, char **argv)
{
	char path[160], pw[300];
	json_t *out = NULL, *body;
	int r;

	if (argc < 1)
		return usage();
	if (strcmp(argv[0], "list") == 0 && argc == 1) {
		r = ctl_run(c, "GET", "/admin/v1/admins", NULL, &out);
		if (r == CTL_OK && !c->json) {
			size_t i;
			json_t *a;
			json_array_foreach(json_object_get(out, "admins"), i, a)
			{
				json_t *last = json_object_get(a, "last_login");
				printf("%-24s created %s  last login %s\n", jstr(a, "name"),
				       jstr(a, "created"),
				       json_is_string(last) ? json_string_value(last) : "never");
			}
			if (json_array_size(json_object_get(out, "admins")) == 0)
				printf("no administrators\n");
		}
		json_decref(out);
		return r;
	}
	if (argc < 2 || argc > 3 || !name_ok(argv[1]))
		return usage();
	bool from_stdin = argc == 3 && strcmp(argv[2], "--password-stdin") == 0;
	if (argc == 3 && !from_stdin)
		return usage();
	if (strcmp(argv[0], "remove") == 0 && argc == 2) {
		snprintf(path, sizeof(path), "/admin/v1/admins/%s", argv[1]);
		r = ctl_run(c, "DELETE", path, NULL, &out);
		if (r == CTL_OK && !c->json)
			printf("administrator %s removed\n", argv[1]);
		json_decref(out);
		return r;
	}
	bool add = strcmp(argv[0], "add") == 0;
	if (!add && strcmp(argv[0], "passwd") != 0)
		return usage();
	body = json_object();
	if (add)
		json_object_set_new(body, "name", json_string(argv[1]));
	if (from_stdin) {
		if (!read_password(pw, sizeof(pw))) {
			fprintf(stderr,
			        "posternctl: no password on standard input (one line, at most "
			        "256 characters)\n");
			json_decref(body);
			return CTL_USAGE;
		}
		json_object_set_new(body, "password", json_string(pw));
		sodium_memzero(pw, sizeof(pw));
	}
	if (add)
		snprintf(path, sizeof(path), "/admin/v1/admins");
	else
		snprintf(path, sizeof(path), "/admin/v1/admins/%s/password", argv[1]);
	r = ctl_run(c, add ? "POST" : "PUT", path, body, &out);
	json_decref(body);
	if (r == CTL_OK && !c->json) {
		const char *made = jstr(out, "password");
		printf("administrator %s %s\n", argv[1], add ? "added" : "has a new password");
		if (made[0])
			printf("password: %s\n(shown once: keep it now)\n", made);
	}
	json_decref(out);
	return r;
}
