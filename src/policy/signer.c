/* signer.c - DKIM signatures on a thread pool (workq.h). */
#include "signer.h"

#include <stdio.h>
#include <stdlib.h>

#include "workq.h"
#include "xmalloc.h"

struct signer {
	struct workq *wq;
	struct signer_stats stats;
};

struct job {
	struct signer *sg;
	struct sign_req *req;
	signer_done_fn done;
	void *arg;
};

struct signer *signer_new(struct event_base *base, int threads)
{
	struct signer *sg = xcalloc(1, sizeof(*sg));

	sg->wq = workq_new(base, threads > 0 ? threads : 1, "dkim-sign");
	return sg;
}

void signer_free(struct signer *sg)
{
	if (sg == NULL)
		return;
	workq_free(sg->wq);
	free(sg);
}

/* on a pool thread: only the request's own memory and immutable keys are touched */
static void work(void *arg)
{
	struct job *j = arg;
	struct sign_req *req = j->req;

	req->r = 0;
	for (size_t i = 0; i < req->n && req->r == 0; i++) {
		struct sign_item *it = &req->item[i];
		if (it->key->key == NULL) {
			snprintf(req->err, sizeof(req->err), "key %s is not loaded",
			         it->key->selector);
			req->r = -1;
			break;
		}
		req->r = dkim_key_sign(it->key->key, it->digest, it->sig, &it->siglen, req->err,
		                       sizeof(req->err));
	}
}

static void done(void *arg)
{
	struct job *j = arg;

	if (j->req->r == 0)
		j->sg->stats.signed_ok += j->req->n;
	else
		j->sg->stats.failed++;
	j->done(j->req, j->arg);
	free(j);
}

void signer_sign(struct signer *sg, struct sign_req *req, signer_done_fn fn, void *arg)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->sg = sg;
	j->req = req;
	j->done = fn;
	j->arg = arg;
	workq_submit(sg->wq, work, done, j);
}

void signer_get_stats(const struct signer *sg, struct signer_stats *out)
{
	*out = sg->stats;
}
