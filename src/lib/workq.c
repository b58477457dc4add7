/*
 * workq.c - thread pool with completions on the event loop.
 *
 * Jobs wait in a FIFO under one mutex; finished jobs move to a done list and the
 * loop is woken with event_active(), which libevent makes thread-safe once
 * evthread_use_pthreads() has been called.
 */
#include "workq.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct job {
	struct job *next;
	workq_fn work, done;
	void *arg;
};

struct jobq {
	struct job *head, *tail;
};

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct jobq todo, finished;
	bool stopping;
	size_t pending;
	int nthreads;
	pthread_t *threads;
	struct event *wake;
};

static void jobq_push(struct jobq *q, struct job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct job *jobq_pop(struct jobq *q)
{
	struct job *j = q->head;

	if (j) {
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
	}
	return j;
}

static void *worker(void *p)
{
	struct workq *wq = p;

	pthread_mutex_lock(&wq->lock);
	for (;;) {
		struct job *j = jobq_pop(&wq->todo);
		if (j == NULL) {
			if (wq->stopping)
				break;
			pthread_cond_wait(&wq->cond, &wq->lock);
			continue;
		}
		pthread_mutex_unlock(&wq->lock);
		if (j->work)
			j->work(j->arg);
		pthread_mutex_lock(&wq->lock);
		bool was_empty = wq->finished.head == NULL;
		jobq_push(&wq->finished, j);
		if (was_empty && wq->wake)
			event_active(wq->wake, EV_READ, 0);
	}
	pthread_mutex_unlock(&wq->lock);
	return NULL;
}

static void run_finished(struct workq *wq)
{
	struct jobq q;

	pthread_mutex_lock(&wq->lock);
	q = wq->finished;
	memset(&wq->finished, 0, sizeof(wq->finished));
	pthread_mutex_unlock(&wq->lock);
	struct job *j;
	while ((j = jobq_pop(&q)) != NULL) {
		wq->pending--;
		if (j->done)
			j->done(j->arg);
		free(j);
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run_finished(arg);
}

struct workq *workq_new(struct event_base *base, int nthreads, const char *name)
{
	struct workq *wq = xcalloc(1, sizeof(*wq));

	pthread_mutex_init(&wq->lock, NULL);
	pthread_cond_init(&wq->cond, NULL);
	wq->wake = event_new(base, -1, 0, on_wake, wq);
	wq->nthreads = nthreads < 1 ? 1 : nthreads;
	wq->threads = xcalloc((size_t)wq->nthreads, sizeof(*wq->threads));
	for (int i = 0; i < wq->nthreads; i++) {
		if (pthread_create(&wq->threads[i], NULL, worker, wq) != 0)
			abort();
		char tname[16];
		snprintf(tname, sizeof(tname), "%.10s/%d", name, i % 100);
		pthread_setname_np(wq->threads[i], tname);
	}
	return wq;
}

void workq_free(struct workq *wq)
{
	if (wq == NULL)
		return;
	pthread_mutex_lock(&wq->lock);
	wq->stopping = true;
	pthread_cond_broadcast(&wq->cond);
	pthread_mutex_unlock(&wq->lock);
	for (int i = 0; i < wq->nthreads; i++)
		pthread_join(wq->threads[i], NULL);
	run_finished(wq);
	event_free(wq->wake);
	pthread_mutex_destroy(&wq->lock);
	pthread_cond_destroy(&wq->cond);
	free(wq->threads);
	free(wq);
}

void workq_submit(struct workq *wq, workq_fn work, workq_fn done, void *arg)
{
	struct job *j = xmalloc(sizeof(*j));

	j->work = work;
	j->done = done;
	j->arg = arg;
	wq->pending++;
	pthread_mutex_lock(&wq->lock);
	jobq_push(&wq->todo, j);
	pthread_cond_signal(&wq->cond);
	pthread_mutex_unlock(&wq->lock);
}

size_t workq_pending(const struct workq *wq)
{
	return wq->pending;
}
