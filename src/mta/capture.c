/* capture.c - deliver into a directory of .eml files. */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
#include "id.h"

static int write_eml(const char *path, const struct qmsg *m, char *err, size_t errlen)
{
	char tmp[4096];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", tmp, strerror(errno));
		return -1;
	}
	int r = write_all(fd, m->header.p, m->header.n);
	if (r == 0)
		r = write_all(fd, "\r\n", 2);
	for (size_t i = 0; r == 0 && i < m->nbody; i++)
		r = write_all(fd, m->body[i].p, m->body[i].n);
	if (r == 0)
		r = fsync(fd);
	if (r < 0) {
		snprintf(err, errlen, "write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int capture_deliver(const char *dir, const struct qmsg *m, char *err, size_t errlen)
{
	char hex[ID_HEXLEN + 1], path[4096];
	const struct envelope *e = &m->env;

	id_format(e->id, hex);
	json_t *j = json_object();
	json_t *rcpts = json_array();
	json_object_set_new(j, "id", json_string(hex));
	json_object_set_new(j, "source", json_string(e->source ? e->source : ""));
	json_object_set_new(j, "client", json_string(e->client ? e->client : ""));
	json_object_set_new(j, "mail_from", json_string(e->sender ? e->sender : ""));
	for (size_t i = 0; i < e->nrcpts; i++)
		json_array_append_new(rcpts, json_string(e->rcpts[i].addr));
	json_object_set_new(j, "rcpt_to", rcpts);
	json_object_set_new(j, "body", json_string(e->body == BODY_8BITMIME ? "8bitmime" : "7bit"));
	json_object_set_new(j, "smtputf8", json_boolean(e->smtputf8));
	json_object_set_new(j, "arrival_ms", json_integer((json_int_t)e->arrival_ms));
	json_object_set_new(j, "size", json_integer((json_int_t)m->size));
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	if (text == NULL) {
		snprintf(err, errlen, "encode envelope: out of memory");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.json", dir, hex);
	int r = file_write_atomic(path, text, strlen(text), 0640, err, errlen);
	free(text);
	if (r < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s.eml", dir, hex);
	if (write_eml(path, m, err, errlen) < 0)
		return -1;
	if (fsync_dir(dir) < 0) {
		snprintf(err, errlen, "fsync %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}
