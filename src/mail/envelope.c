/* envelope.c - the envelope of a message. */
#include "envelope.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

void envelope_init(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
}

void envelope_release(struct envelope *e)
{
	free(e->source);
	free(e->client);
	free(e->helo);
	free(e->sender);
	free(e->envid);
	free(e->pool);
	free(e->quarantine);
	free(e->stream);
	for (size_t i = 0; i < e->nrcpts; i++) {
		free(e->rcpts[i].addr);
		free(e->rcpts[i].orcpt);
	}
	free(e->rcpts);
	envelope_init(e);
}

void envelope_add_rcpt(struct envelope *e, const char *addr, unsigned notify, const char *orcpt)
{
	if (e->nrcpts == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 4;
		e->rcpts = xrealloc(e->rcpts, e->cap * sizeof(*e->rcpts));
	}
	struct envelope_rcpt *r = &e->rcpts[e->nrcpts++];
	r->addr = xstrdup(addr);
	r->notify = notify;
	r->orcpt = orcpt ? xstrdup(orcpt) : NULL;
}

void envelope_set(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}
