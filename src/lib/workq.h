/*
 * workq.h - a pool of threads for blocking work (Argon2id, fsync), with the
 * completion delivered back on the event loop.
 *
 * work() runs on a pool thread and must not touch the event loop or anything
 * the loop owns; done() runs later on the loop thread, in submission order per
 * thread but in no global order. The job's arg belongs to the caller throughout.
 */
#ifndef POSTERN_WORKQ_H
#define POSTERN_WORKQ_H

#include <stddef.h>

struct event_base;
struct workq;

typedef void (*workq_fn)(void *arg);

/* workq_new - start nthreads threads. The event base must be thread-enabled. */
struct workq *workq_new(struct event_base *base, int nthreads, const char *name);
/*
 * workq_free - finish the queued jobs, join the threads, then run every pending
 * done() before returning. NULL is a no-op.
 */
void workq_free(struct workq *wq);
void workq_submit(struct workq *wq, workq_fn work, workq_fn done, void *arg);
/* workq_pending - jobs submitted whose done() has not run yet. */
size_t workq_pending(const struct workq *wq);

#endif
