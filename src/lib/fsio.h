/*
 * fsio.h - durable file I/O: the write, fsync, rename, fsync-the-directory
 * recipe, and the small helpers around it. Leaf module: fills err, never logs.
 */
#ifndef POSTERN_FSIO_H
#define POSTERN_FSIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* write_all - write n bytes, retrying on EINTR and short writes. 0 or -1 (errno). */
int write_all(int fd, const void *p, size_t n);

/* fsync_dir - fsync the directory at path, making renames in it durable. */
int fsync_dir(const char *path);

/*
 * mkdir_p - create path and its parents with mode (like mkdir -p). An existing
 * directory is fine. 0 or -1 with err filled.
 */
int mkdir_p(const char *path, mode_t mode, char *err, size_t errlen);

/*
 * file_write_atomic - replace path with data: write a new path.tmp with
 * exactly mode (not masked; a stale tmp file or link is removed first),
 * fsync, rename, fsync the directory. On -1, path is unchanged and err
 * names the step.
 */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err,
                      size_t errlen);

/*
 * file_read - read a whole file of at most max bytes into a new NUL-terminated
 * buffer (*out, caller frees). -1 if it cannot be read or is larger than max.
 */
int file_read(const char *path, size_t max, char **out, size_t *lenp, char *err, size_t errlen);

/* path_dirname - copy the directory part of path into dst ("." if none). */
void path_dirname(const char *path, char *dst, size_t dstlen);

#endif
