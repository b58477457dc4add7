/*
 * spool.h - the only owner of the on-disk queue.
 *
 *   <dir>/tmp/<id>      being written; removed at start-up
 *   <dir>/queue/<id>    committed: durable, complete, self-validating (qrecord.h)
 *   <dir>/corrupt/<id>  found invalid at start-up, moved aside for a human
 *   <dir>/state/<id>    delivery state of queue/<id> (qstate.h), if tried before
 *
 * A message is written into memory first and spilled to tmp/ only when large.
 * spool_msg_commit() hands it to the commit threads, which write, fsync,
 * rename into queue/ and fsync the directory, batching the directory fsync of
 * all messages that finish their file fsync together (group commit). Only after
 * the callback reports 0 may anyone say "250" or "202".
 */
#ifndef POSTERN_SPOOL_H
#define POSTERN_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "qrecord.h"

struct event_base;
struct spool;
struct spool_msg;

/*
 * How a batch of commits is made durable.
 * SPOOL_SYNC_FILE: each file is fsynced on its commit thread, then the
 * directory once per batch (Postfix's way; only the spool's own files are
 * flushed). SPOOL_SYNC_FS: the commit threads only write; one syncfs(2) per
 * batch flushes every file of the batch at once, then the directory is
 * fsynced for the renames. Equally durable, several times less work per
 * message, but it also flushes whatever else is dirty on that filesystem.
 */
enum spool_sync { SPOOL_SYNC_FILE, SPOOL_SYNC_FS };

/* spool_open - create the directories if needed; threads: writes (and fsyncs) in flight. */
struct spool *spool_open(const char *dir, struct event_base *base, int threads,
                         enum spool_sync sync, char *err, size_t errlen);
/*
 * spool_stop - wait for the commits in flight, run their callbacks and stop
 * the commit threads. Loading and removing still work (the queue needs them
 * while it stops). spool_free stops first if needed.
 */
void spool_stop(struct spool *sp);
void spool_free(struct spool *sp);

/* spool_msg_new - start writing message id. Nothing is on disk yet. */
struct spool_msg *spool_msg_new(struct spool *sp, uint64_t id);
/* spool_msg_buf - where to append records; call spool_msg_flush() after large appends. */
struct buf *spool_msg_buf(struct spool_msg *m);
/*
 * spool_msg_flush - spill the buffer to tmp/<id> once it is large. A write
 * error is remembered (spool_msg_error) and fails the commit; until then
 * further data is discarded cheaply.
 */
void spool_msg_flush(struct spool_msg *m);
/* spool_msg_error - 0 or the errno of the first failure. */
int spool_msg_error(const struct spool_msg *m);
/* spool_msg_abort - forget the message and its temporary file. */
void spool_msg_abort(struct spool_msg *m);

/* the commit's outcome: err is 0 (durable in queue/) or an errno */
typedef void (*spool_commit_fn)(int err, uint64_t id, void *arg);
/* spool_msg_commit - takes ownership of m; done runs later on the loop. */
void spool_msg_commit(struct spool_msg *m, spool_commit_fn done, void *arg);

/*
 * spool_recover - at start-up: delete what is in tmp/, validate every file in
 * queue/, move invalid ones to corrupt/ (logged), call fn for each valid id.
 */
typedef void (*spool_found_fn)(uint64_t id, void *arg);
int spool_recover(struct spool *sp, spool_found_fn fn, void *arg, char *err, size_t errlen);

/* a committed message, mapped read-only; msg's spans point into the map */
struct spool_file {
	void *map; /* the file's octets: mapped, or read into the heap if small */
	size_t len;
	bool heap;
	struct qmsg msg;
};

/*
 * spool_load - map and validate queue/<id>. Blocking. On -1, errno is ENOENT
 * (no such message), EBADMSG (the file is not valid), or what the system said.
 */
int spool_load(struct spool *sp, uint64_t id, struct spool_file *f, char *err, size_t errlen);
void spool_file_release(struct spool_file *f);
/* spool_move_corrupt - move queue/<id> to corrupt/ and log why (it is not valid). */
void spool_move_corrupt(struct spool *sp, uint64_t id, const char *why);
/* spool_remove - delete queue/<id> once every recipient is final. Blocking. */
int spool_remove(struct spool *sp, uint64_t id);

/*
 * Delivery state files (qstate.h), state/<id>: written atomically after each
 * attempt but not fsynced (losing one repeats recipients, never loses mail).
 * Blocking, small. spool_state_read returns -1 if there is none.
 */
int spool_state_read(struct spool *sp, uint64_t id, char **out, size_t *len);
/* durable: fsync the file and the directory (a hold must survive a crash) */
int spool_state_write(struct spool *sp, uint64_t id, const char *p, size_t n, bool durable);
void spool_state_remove(struct spool *sp, uint64_t id);

struct spool_stats {
	uint64_t commits, failures, dir_syncs;
};
void spool_get_stats(struct spool *sp, struct spool_stats *out);

#endif
