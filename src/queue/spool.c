/*
 * spool.c - durable message storage with group commit.
 *
 * Commit threads take jobs from a FIFO, write (and with SPOOL_SYNC_FILE
 * fsync) each file, then hand it to the "finisher": whichever thread finds no
 * finisher at work becomes it, (with SPOOL_SYNC_FS makes every file written so
 * far durable with one syncfs,) renames them into queue/ and fsyncs queue/
 * once for all of them, looping while more arrive. So the directory fsync, the
 * one a single writer pays per message, is shared by every message that was in
 * flight, and with SPOOL_SYNC_FS so is the flush of the files themselves.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "crc32.h"
#include "fsio.h"
#include "id.h"
#include "log.h"
#include "xmalloc.h"

#define SPILL_AT (256 * 1024)
/*
 * The largest queue file there can be: a 64 MiB message (the configuration's
 * ceiling), its record headers, and an envelope of 10,000 recipients with
 * ORCPT. Anything larger was never written by us.
 */
#define MAX_QUEUED (96u * 1024 * 1024)
/*
 * Files up to this size are read rather than mapped: munmap in a threaded
 * process interrupts every CPU that runs one of its threads (a TLB
 * shootdown), which costs more than copying a typical message.
 */
#define READ_BELOW (128 * 1024)

static void move_aside(struct spool *sp, const char *name, const char *why);

struct spool_msg {
	struct spool *sp;
	struct spool_msg *next; /* in a commit list */
	uint64_t id;
	int fd;
	int err;
	struct buf buf;
	uint64_t written; /* octets already in the file */
	uint32_t crc;     /* of the octets already in the file */
	bool renamed;
	spool_commit_fn done;
	void *arg;
};

struct mlist {
	struct spool_msg *head, *tail;
};

struct spool {
	char *dir, *tmpdir, *queuedir, *corruptdir, *statedir;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct mlist todo, synced, finished;
	bool finisher_busy;
	bool stopping;
	enum spool_sync sync;
	int fsfd; /* the spool directory, for syncfs */
	int nthreads;
	pthread_t *threads;
	struct event *wake;
	struct spool_stats stats;
};

static void mlist_push(struct mlist *l, struct spool_msg *m)
{
	m->next = NULL;
	if (l->tail)
		l->tail->next = m;
	else
		l->head = m;
	l->tail = m;
}

static struct spool_msg *mlist_take(struct mlist *l)
{
	struct spool_msg *h = l->head;

	l->head = l->tail = NULL;
	return h;
}

static void tmp_path(const struct spool *sp, uint64_t id, char *dst, size_t n)
{
	char hex[ID_HEXLEN + 1];

	snprintf(dst, n, "%s/%s", sp->tmpdir, id_format(id, hex));
}

static void queue_path(const struct spool *sp, uint64_t id, char *dst, size_t n)
{
	char hex[ID_HEXLEN + 1];

	snprintf(dst, n, "%s/%s", sp->queuedir, id_format(id, hex));
}

/* write the rest of the buffer and the end record, then (SPOOL_SYNC_FILE) fsync;
 * runs on a commit thread */
static void write_and_sync(struct spool_msg *m)
{
	char path[4096];

	if (m->err)
		return;
	if (m->fd < 0) {
		tmp_path(m->sp, m->id, path, sizeof(path));
		m->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (m->fd < 0) {
			m->err = errno;
			return;
		}
	}
	m->crc = crc32_update(m->crc, m->buf.data, m->buf.len);
	m->written += m->buf.len;
	qrec_put_end(&m->buf, m->written, m->crc);
	if (write_all(m->fd, m->buf.data, m->buf.len) < 0 ||
	    (m->sp->sync == SPOOL_SYNC_FILE && fsync(m->fd) < 0)) {
		m->err = errno;
		return;
	}
	if (close(m->fd) < 0) {
		m->fd = -1;
		m->err = errno;
		return;
	}
	m->fd = -1;
}

/*
 * SPOOL_SYNC_FS: make the files of a batch durable with one syncfs. syncfs
 * reports a write-back error of the filesystem, not which file it hit (Linux
 * 5.8 and later), so an error fails every file of the batch.
 */
static void sync_batch(struct spool *sp, struct spool_msg *batch)
{
	bool any = false;

	for (struct spool_msg *m = batch; m; m = m->next)
		any = any || !m->err;
	if (!any || syncfs(sp->fsfd) == 0)
		return;
	int e = errno;
	for (struct spool_msg *m = batch; m; m = m->next)
		if (!m->err)
			m->err = e;
}

/* make a batch durable: its files, then its renames into queue/ with one fsync */
static void finish_batch(struct spool *sp, struct spool_msg *batch, uint64_t *dirsyncs)
{
	char from[4096], to[4096];
	bool any = false;

	if (sp->sync == SPOOL_SYNC_FS)
		sync_batch(sp, batch);
	for (struct spool_msg *m = batch; m; m = m->next) {
		if (m->err)
			continue;
		tmp_path(sp, m->id, from, sizeof(from));
		queue_path(sp, m->id, to, sizeof(to));
		if (rename(from, to) < 0) {
			m->err = errno;
			continue;
		}
		m->renamed = true;
		any = true;
	}
	if (!any)
		return;
	(*dirsyncs)++;
	if (fsync_dir(sp->queuedir) == 0)
		return;
	/*
	 * The renames may or may not survive a crash. Take the files back out so
	 * that a message we are about to refuse is never delivered as well.
	 */
	int e = errno;
	for (struct spool_msg *m = batch; m; m = m->next) {
		if (!m->renamed)
			continue;
		queue_path(sp, m->id, to, sizeof(to));
		unlink(to);
		m->renamed = false;
		m->err = e;
	}
}

static void *commit_thread(void *arg)
{
	struct spool *sp = arg;

	pthread_mutex_lock(&sp->lock);
	for (;;) {
		struct spool_msg *m = sp->todo.head;
		if (m == NULL) {
			if (sp->stopping)
				break;
			pthread_cond_wait(&sp->cond, &sp->lock);
			continue;
		}
		if (sp->sync == SPOOL_SYNC_FS) {
			/* writes to the page cache seldom block: one thread writes all that
			 * waits, and one wake-up serves them all (a thread switch costs more
			 * than the write) */
			mlist_take(&sp->todo);
		} else {
			sp->todo.head = m->next;
			if (sp->todo.head == NULL)
				sp->todo.tail = NULL;
			m->next = NULL;
		}
		pthread_mutex_unlock(&sp->lock);
		for (struct spool_msg *w = m; w; w = w->next)
			write_and_sync(w);
		pthread_mutex_lock(&sp->lock);
		while (m) {
			struct spool_msg *next = m->next;
			mlist_push(&sp->synced, m);
			m = next;
		}
		if (sp->finisher_busy)
			continue;
		sp->finisher_busy = true;
		while (sp->synced.head) {
			struct spool_msg *batch = mlist_take(&sp->synced);
			uint64_t dirsyncs = 0;
			pthread_mutex_unlock(&sp->lock);
			finish_batch(sp, batch, &dirsyncs);
			pthread_mutex_lock(&sp->lock);
			sp->stats.dir_syncs += dirsyncs;
			bool was_empty = sp->finished.head == NULL;
			while (batch) {
				struct spool_msg *next = batch->next;
				mlist_push(&sp->finished, batch);
				batch = next;
			}
			if (was_empty)
				event_active(sp->wake, EV_READ, 0);
		}
		sp->finisher_busy = false;
	}
	pthread_mutex_unlock(&sp->lock);
	return NULL;
}

static void msg_free(struct spool_msg *m)
{
	char path[4096];

	if (m->fd >= 0)
		close(m->fd);
	if (!m->renamed && (m->written > 0 || m->err)) {
		tmp_path(m->sp, m->id, path, sizeof(path));
		unlink(path);
	}
	buf_release(&m->buf);
	free(m);
}

static void run_finished(struct spool *sp)
{
	pthread_mutex_lock(&sp->lock);
	struct spool_msg *m = mlist_take(&sp->finished);
	pthread_mutex_unlock(&sp->lock);
	while (m) {
		struct spool_msg *next = m->next;
		if (m->err)
			sp->stats.failures++;
		else
			sp->stats.commits++;
		m->done(m->err, m->id, m->arg);
		msg_free(m);
		m = next;
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	run_finished(arg);
}

/*
 * syncfs reports a write-back error only since Linux 5.8; before, it returns
 * 0 after one, and a 250 could follow a lost write. There, each file is
 * fsynced instead.
 */
static bool syncfs_reports_errors(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 5 || (major == 5 && minor >= 8);
}

static int open_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
	return fd;
}

struct spool *spool_open(const char *dir, struct event_base *base, int threads,
                         enum spool_sync sync, char *err, size_t errlen)
{
	struct spool *sp = xcalloc(1, sizeof(*sp));

	sp->dir = xstrdup(dir);
	sp->tmpdir = xasprintf("%s/tmp", dir);
	sp->queuedir = xasprintf("%s/queue", dir);
	sp->corruptdir = xasprintf("%s/corrupt", dir);
	sp->statedir = xasprintf("%s/state", dir);
	if (mkdir_p(sp->statedir, 0700, err, errlen) < 0 ||
	    mkdir_p(sp->tmpdir, 0700, err, errlen) < 0 ||
	    mkdir_p(sp->queuedir, 0700, err, errlen) < 0 ||
	    mkdir_p(sp->corruptdir, 0700, err, errlen) < 0 ||
	    (sp->fsfd = open_dir(dir, err, errlen)) < 0) {
		free(sp->dir);
		free(sp->tmpdir);
		free(sp->queuedir);
		free(sp->corruptdir);
		free(sp->statedir);
		free(sp);
		return NULL;
	}
	sp->sync = sync;
	if (sync == SPOOL_SYNC_FS && !syncfs_reports_errors()) {
		log_warn("spool sync=filesystem needs Linux 5.8 or later to see write errors; "
		         "using sync=file");
		sp->sync = SPOOL_SYNC_FILE;
	}
	pthread_mutex_init(&sp->lock, NULL);
	pthread_cond_init(&sp->cond, NULL);
	sp->wake = event_new(base, -1, 0, on_wake, sp);
	sp->nthreads = threads < 1 ? 1 : threads;
	sp->threads = xcalloc((size_t)sp->nthreads, sizeof(*sp->threads));
	for (int i = 0; i < sp->nthreads; i++) {
		if (pthread_create(&sp->threads[i], NULL, commit_thread, sp) != 0)
			abort();
		pthread_setname_np(sp->threads[i], "spool-commit");
	}
	return sp;
}

void spool_stop(struct spool *sp)
{
	if (sp->stopping)
		return;
	pthread_mutex_lock(&sp->lock);
	sp->stopping = true;
	pthread_cond_broadcast(&sp->cond);
	pthread_mutex_unlock(&sp->lock);
	for (int i = 0; i < sp->nthreads; i++)
		pthread_join(sp->threads[i], NULL);
	run_finished(sp);
}

void spool_free(struct spool *sp)
{
	if (sp == NULL)
		return;
	spool_stop(sp);
	event_free(sp->wake);
	pthread_mutex_destroy(&sp->lock);
	pthread_cond_destroy(&sp->cond);
	free(sp->threads);
	close(sp->fsfd);
	free(sp->dir);
	free(sp->tmpdir);
	free(sp->queuedir);
	free(sp->corruptdir);
	free(sp->statedir);
	free(sp);
}

struct spool_msg *spool_msg_new(struct spool *sp, uint64_t id)
{
	struct spool_msg *m = xcalloc(1, sizeof(*m));

	m->sp = sp;
	m->id = id;
	m->fd = -1;
	buf_init(&m->buf);
	return m;
}

struct buf *spool_msg_buf(struct spool_msg *m)
{
	return &m->buf;
}

void spool_msg_flush(struct spool_msg *m)
{
	char path[4096];

	if (m->err) {
		buf_reset(&m->buf);
		return;
	}
	if (m->buf.len < SPILL_AT)
		return;
	if (m->fd < 0) {
		tmp_path(m->sp, m->id, path, sizeof(path));
		m->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (m->fd < 0) {
			m->err = errno;
			buf_reset(&m->buf);
			return;
		}
	}
	if (write_all(m->fd, m->buf.data, m->buf.len) < 0) {
		m->err = errno;
	} else {
		m->crc = crc32_update(m->crc, m->buf.data, m->buf.len);
		m->written += m->buf.len;
	}
	buf_reset(&m->buf);
}

int spool_msg_error(const struct spool_msg *m)
{
	return m->err;
}

void spool_msg_abort(struct spool_msg *m)
{
	if (m)
		msg_free(m);
}

void spool_msg_commit(struct spool_msg *m, spool_commit_fn done, void *arg)
{
	struct spool *sp = m->sp;

	m->done = done;
	m->arg = arg;
	pthread_mutex_lock(&sp->lock);
	bool first = sp->todo.head == NULL;
	mlist_push(&sp->todo, m);
	/* SPOOL_SYNC_FS: the thread woken for the first takes the rest as well */
	if (first || sp->sync == SPOOL_SYNC_FILE)
		pthread_cond_signal(&sp->cond);
	pthread_mutex_unlock(&sp->lock);
}

void spool_move_corrupt(struct spool *sp, uint64_t id, const char *why)
{
	char hex[ID_HEXLEN + 1];

	move_aside(sp, id_format(id, hex), why);
	spool_state_remove(sp, id);
}

static void move_aside(struct spool *sp, const char *name, const char *why)
{
	char from[4096], to[4096];

	snprintf(from, sizeof(from), "%s/%s", sp->queuedir, name);
	snprintf(to, sizeof(to), "%s/%s", sp->corruptdir, name);
	if (rename(from, to) < 0)
		log_err("spool corrupt file=%s error=\"%s\" action=none rename_error=\"%s\"", name,
		        why, strerror(errno));
	else
		log_warn("spool corrupt file=%s error=\"%s\" action=moved dest=corrupt/", name,
		         why);
}

static int sweep_tmp(struct spool *sp, char *err, size_t errlen)
{
	DIR *d = opendir(sp->tmpdir);
	struct dirent *de;
	char path[4096];

	if (d == NULL) {
		snprintf(err, errlen, "opendir %s: %s", sp->tmpdir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", sp->tmpdir, de->d_name);
		if (unlink(path) == 0)
			log_info("spool removed half-written file=tmp/%s", de->d_name);
	}
	closedir(d);
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* state files whose message is gone, and half-written ones, are removed */
static void sweep_state(struct spool *sp, const uint64_t *ids, size_t n)
{
	DIR *d = opendir(sp->statedir);
	struct dirent *de;
	char path[4096];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		uint64_t id;
		if (de->d_name[0] == '.')
			continue;
		if (id_parse(de->d_name, &id) && bsearch(&id, ids, n, sizeof(*ids), cmp_id))
			continue;
		snprintf(path, sizeof(path), "%s/%s", sp->statedir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

int spool_recover(struct spool *sp, spool_found_fn fn, void *arg, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	uint64_t *ids = NULL;
	size_t n = 0, cap = 0;

	if (sweep_tmp(sp, err, errlen) < 0)
		return -1;
	if ((d = opendir(sp->queuedir)) == NULL) {
		snprintf(err, errlen, "opendir %s: %s", sp->queuedir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		uint64_t id;
		struct spool_file f;
		char why[256];
		if (de->d_name[0] == '.')
			continue;
		if (!id_parse(de->d_name, &id)) {
			move_aside(sp, de->d_name, "not a queue file name");
			continue;
		}
		if (spool_load(sp, id, &f, why, sizeof(why)) < 0) {
			move_aside(sp, de->d_name, why);
			continue;
		}
		bool same = f.msg.env.id == id;
		spool_file_release(&f);
		if (!same) {
			move_aside(sp, de->d_name, "id does not match file name");
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			ids = xrealloc(ids, cap * sizeof(*ids));
		}
		ids[n++] = id;
	}
	closedir(d);
	/* oldest first, so a restart keeps arrival order */
	if (n > 1)
		qsort(ids, n, sizeof(*ids), cmp_id);
	sweep_state(sp, ids, n);
	for (size_t i = 0; i < n; i++)
		fn(ids[i], arg);
	free(ids);
	return 0;
}

int spool_load(struct spool *sp, uint64_t id, struct spool_file *f, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;

	memset(f, 0, sizeof(*f));
	queue_path(sp, id, path, sizeof(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "open: %s", strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "fstat: %s", strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0 || (uint64_t)st.st_size > MAX_QUEUED) {
		snprintf(err, errlen, "%s",
		         st.st_size == 0 ? "empty file" : "bad file size or type");
		close(fd);
		errno = EBADMSG;
		return -1;
	}
	f->len = (size_t)st.st_size;
	if (f->len < READ_BELOW) {
		f->heap = true;
		f->map = xmalloc(f->len);
		ssize_t n = pread(fd, f->map, f->len, 0);
		int e = n < 0 ? errno : EBADMSG;
		close(fd);
		if (n != (ssize_t)f->len) {
			/* shorter than fstat said: it changed under us, so it is not ours */
			snprintf(err, errlen, "read: %s", n < 0 ? strerror(e) : "short read");
			spool_file_release(f);
			errno = e;
			return -1;
		}
	} else {
		f->map = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
		int e = errno;
		close(fd);
		if (f->map == MAP_FAILED) {
			snprintf(err, errlen, "mmap: %s", strerror(e));
			f->map = NULL;
			errno = e;
			return -1;
		}
	}
	if (qrec_parse(f->map, f->len, &f->msg, err, errlen) < 0) {
		spool_file_release(f);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

void spool_file_release(struct spool_file *f)
{
	qmsg_release(&f->msg);
	if (f->heap)
		free(f->map);
	else if (f->map)
		munmap(f->map, f->len);
	memset(f, 0, sizeof(*f));
}

int spool_remove(struct spool *sp, uint64_t id)
{
	char path[4096];

	queue_path(sp, id, path, sizeof(path));
	return unlink(path);
}

void spool_get_stats(struct spool *sp, struct spool_stats *out)
{
	*out = sp->stats;
}

static void state_path(const struct spool *sp, uint64_t id, char *dst, size_t n)
{
	char hex[ID_HEXLEN + 1];

	snprintf(dst, n, "%s/%s", sp->statedir, id_format(id, hex));
}

int spool_state_read(struct spool *sp, uint64_t id, char **out, size_t *len)
{
	char path[4096], err[256];

	state_path(sp, id, path, sizeof(path));
	return file_read(path, 1024 * 1024 * 16, out, len, err, sizeof(err));
}

int spool_state_write(struct spool *sp, uint64_t id, const char *p, size_t n, bool durable)
{
	char path[4096], tmp[4200];

	state_path(sp, id, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, p, n) < 0 || (durable && fsync(fd) < 0) || close(fd) < 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return durable ? fsync_dir(sp->statedir) : 0;
}

void spool_state_remove(struct spool *sp, uint64_t id)
{
	char path[4096];

	state_path(sp, id, path, sizeof(path));
	unlink(path);
}
