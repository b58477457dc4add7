/*
 * ctl_http.c - a minimal HTTP/1.1 client over a Unix socket: one request per
 * connection ("Connection: close"), the reply read to EOF, bounded.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "fsio.h"

#define MAX_REPLY (64 * 1024 * 1024)

static int connect_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, errlen, "cannot reach posternd at %s: %s (is it running?)", path,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int ctl_call(const struct ctl *c, const char *method, const char *path, json_t *body, int *status,
             json_t **out, char *err, size_t errlen)
{
	struct buf req, resp;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int fd = connect_unix(c->socket, err, errlen);

	*out = NULL;
	if (fd < 0) {
		free(text);
		return -1;
	}
	buf_init(&req);
	buf_printf(&req, "%s %s HTTP/1.1\r\nHost: postern\r\nConnection: close\r\n", method, path);
	/* who asks, for the audit log (the relay records the socket's account too) */
	const char *who = getenv("SUDO_USER");
	struct passwd *pw = who ? NULL : getpwuid(getuid());
	if (who == NULL && pw)
		who = pw->pw_name;
	if (who && strlen(who) <= 64 && strpbrk(who, "\r\n") == NULL)
		buf_printf(&req, "X-Postern-Actor: %s\r\n", who);
	if (text)
		buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		           strlen(text), text);
	else
		buf_puts(&req, "Content-Length: 0\r\n\r\n");
	free(text);
	int r = write_all(fd, req.data, req.len);
	buf_release(&req);
	if (r < 0) {
		snprintf(err, errlen, "write to %s: %s", c->socket, strerror(errno));
		close(fd);
		return -1;
	}
	buf_init(&resp);
	for (;;) {
		char chunk[8192];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_append(&resp, chunk, (size_t)n);
		if (resp.len > MAX_REPLY)
			break;
	}
	close(fd);
	const char *sep = resp.data ? strstr(resp.data, "\r\n\r\n") : NULL;
	if (sep == NULL || sscanf(resp.data, "HTTP/1.%*d %d", status) != 1) {
		snprintf(err, errlen, "bad reply from posternd");
		buf_release(&resp);
		return -1;
	}
	const char *b = sep + 4;
	*out = json_loadb(b, resp.len - (size_t)(b - resp.data), 0, NULL);
	buf_release(&resp);
	return 0;
}

const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

int ctl_run(const struct ctl *c, const char *method, const char *path, json_t *body, json_t **out)
{
	char err[512];
	int status;
	json_t *j;

	*out = NULL;
	if (ctl_call(c, method, path, body, &status, &j, err, sizeof(err)) < 0) {
		fprintf(stderr, "posternctl: %s\n", err);
		return CTL_NO_DAEMON;
	}
	if (c->json && j) {
		char *t = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (t) {
			puts(t);
			free(t);
		}
	}
	if (status >= 400) {
		json_t *e = json_object_get(j, "error");
		if (!c->json)
			fprintf(stderr, "posternctl: %s (%s)\n",
			        e ? jstr(e, "message") : "request failed",
			        e ? jstr(e, "code") : "?");
		json_decref(j);
		return CTL_FAILED;
	}
	*out = j;
	return CTL_OK;
}
