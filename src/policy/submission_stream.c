/*
 * submission_stream.c - a submission's stream and its suppressed recipients:
 * which stream the message is in, the recipients left out because the
 * suppression list names them there, and checking them again when the
 * content names another stream than the one they were checked in.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "strutil.h"
#include "submission_internal.h"
#include "suppress.h"
#include "xmalloc.h"

bool submission_set_stream(struct submission *s, const char *stream)
{
	if (strcmp(stream, "transactional") == 0)
		stream = "";
	if (!suppress_stream_valid(s->env_->suppress, stream) ||
	    (stream[0] && !suppress_broadcast(s->env_->suppress, stream)))
		return false;
	strlcpy_(s->stream, stream, sizeof(s->stream));
	return true;
}

bool submission_rcpt_dropped(const struct submission *s)
{
	return s->last_dropped;
}

void sub_drop(struct submission *s, const char *addr, unsigned notify, const char *orcpt,
              const struct store_suppression *why)
{
	s->dropped = xrealloc(s->dropped, (s->ndropped + 1) * sizeof(*s->dropped));
	s->dropped[s->ndropped].addr = xstrdup(addr);
	s->dropped[s->ndropped].notify = notify;
	s->dropped[s->ndropped].orcpt = orcpt ? xstrdup(orcpt) : NULL;
	s->dropped[s->ndropped++].why = *why;
}

void sub_clear_dropped(struct submission *s)
{
	for (size_t i = 0; i < s->ndropped; i++) {
		free(s->dropped[i].addr);
		free(s->dropped[i].orcpt);
	}
	free(s->dropped);
	s->dropped = NULL;
	s->ndropped = 0;
	s->last_dropped = false;
}

void sub_restream(struct submission *s)
{
	struct store_suppression why;
	struct envelope keep;

	/* recipients in the envelope, in order: those now suppressed leave it */
	envelope_init(&keep);
	for (size_t i = 0; i < s->env.nrcpts; i++) {
		struct envelope_rcpt *r = &s->env.rcpts[i];
		if (suppress_check(s->env_->suppress, s->stream, r->addr, &why)) {
			sub_drop(s, r->addr, r->notify, r->orcpt, &why);
		} else {
			envelope_add_rcpt(&keep, r->addr, r->notify, r->orcpt);
		}
	}
	/* those dropped for the old stream only come back */
	size_t k = 0;
	for (size_t i = 0; i < s->ndropped; i++) {
		struct sub_dropped *d = &s->dropped[i];
		if (suppress_check(s->env_->suppress, s->stream, d->addr, &d->why)) {
			s->dropped[k++] = *d;
			continue;
		}
		envelope_add_rcpt(&keep, d->addr, d->notify, d->orcpt);
		free(d->addr);
		free(d->orcpt);
	}
	s->ndropped = k;
	/* the rest of the envelope stays as it was */
	for (size_t i = 0; i < s->env.nrcpts; i++) {
		free(s->env.rcpts[i].addr);
		free(s->env.rcpts[i].orcpt);
	}
	free(s->env.rcpts);
	s->env.rcpts = keep.rcpts;
	s->env.nrcpts = keep.nrcpts;
	s->env.cap = keep.cap;
	memcpy(s->rcpt_stream, s->stream, sizeof(s->rcpt_stream));
}

/*
 * accept_suppressed - every recipient is suppressed: the client hears "250"
 * (it did at RCPT already), the events say what happened, nothing is queued
 */
void sub_accept_suppressed(struct submission *s)
{
	struct buf detail;

	s->reserved_at = 0; /* it counts as a message sent */
	buf_init(&detail);
	buf_printf(&detail,
	           "{\"size\":%llu,\"rcpts\":0,\"client\":\"%s\",\"stream\":\"%s\","
	           "\"suppressed\":%zu%s%s}",
	           (unsigned long long)s->size,
	           s->env.client && !strpbrk(s->env.client, "\"\\") ? s->env.client : "",
	           s->stream[0] ? s->stream : "transactional", s->ndropped,
	           s->event_extra ? "," : "", s->event_extra ? s->event_extra : "");
	eventlog_add(s->events, "accepted", s->env.id, s->env.source, s->env.sender, NULL, NULL,
	             detail.data);
	buf_release(&detail);
	for (size_t i = 0; i < s->ndropped; i++)
		suppressed_event(s->events, s->env.id, s->env.source, s->env.sender,
		                 s->dropped[i].addr, &s->dropped[i].why, "submission");
	sub_clear_content(s);
	s->phase = PH_IDLE;
	s->refused = RPL_QUEUED;
	event_active(s->later, EV_TIMEOUT, 0);
}
