/*
 * rspamd.h - a client of Rspamd's /checkv2 (its HTTP protocol) over TCP on
 * loopback, on the daemon's event base: the message with its envelope and
 * the authenticated source (as Rspamd's "User"), answered with Rspamd's
 * action, score and symbols.
 *
 * Fails closed: a refused connection, a timeout, a status other than 200 or
 * an answer that is not Rspamd's JSON is RSPAMD_ERROR, never "no action".
 */
#ifndef POSTERN_RSPAMD_H
#define POSTERN_RSPAMD_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

enum rspamd_action {
	RSPAMD_NO_ACTION,
	RSPAMD_GREYLIST,
	RSPAMD_ADD_HEADER,
	RSPAMD_REWRITE_SUBJECT,
	RSPAMD_SOFT_REJECT,
	RSPAMD_QUARANTINE, /* Rspamd's own "quarantine" (a custom action some set up) */
	RSPAMD_REJECT,     /* "reject", and "discard" */
	RSPAMD_ERROR,
};

struct rspamd_verdict {
	enum rspamd_action action;
	double score, required;
	char symbols[512]; /* "GTUBE(0.00) MISSING_DATE(1.00)": the highest scores first */
	char error[200];   /* for RSPAMD_ERROR */
};

/* the envelope Rspamd is told; each may be NULL */
struct rspamd_env {
	const char *user; /* the source */
	const char *from; /* envelope sender */
	const char *const *rcpts;
	size_t nrcpts;
	const char *ip, *helo, *queue_id;
};

typedef void (*rspamd_done_fn)(const struct rspamd_verdict *v, void *arg);

struct rspamd_req;

/*
 * rspamd_check - send data (borrowed until done) to Rspamd at addr
 * ("HOST:PORT"). done always runs later on the loop unless cancelled. NULL
 * if addr is malformed (err).
 */
struct rspamd_req *rspamd_check(struct event_base *base, const char *addr,
                                const struct rspamd_env *env, const char *data, size_t n,
                                uint64_t timeout_ms, rspamd_done_fn done, void *arg, char *err,
                                size_t errlen);
void rspamd_cancel(struct rspamd_req *r);

const char *rspamd_action_name(enum rspamd_action a);

/*
 * rspamd_parse_reply - the body of an answer (Rspamd's JSON) into v: 0, or
 * -1 with v->action RSPAMD_ERROR and v->error. Pure; for tests and fuzzing.
 */
int rspamd_parse_reply(const char *body, size_t n, struct rspamd_verdict *v);

#endif
