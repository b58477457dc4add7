/*
 * ctl.h - posternctl: a client of the admin API over the control socket.
 */
#ifndef POSTERN_CTL_H
#define POSTERN_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* exit codes */
#define CTL_OK        0
#define CTL_FAILED    1 /* the relay refused or failed the request */
#define CTL_USAGE     2
#define CTL_NO_DAEMON 3 /* the control socket cannot be reached */

struct ctl {
	const char *socket;
	bool json;
};

/*
 * ctl_call - one HTTP request to the admin API. On a reply (any status),
 * returns 0 with *status and *out (the parsed JSON body, caller decrefs; NULL
 * if the body was not JSON). -1 if the relay could not be reached (err).
 */
int ctl_call(const struct ctl *c, const char *method, const char *path, json_t *body, int *status,
             json_t **out, char *err, size_t errlen);

/*
 * ctl_run - call and report: prints the API's error message and returns
 * CTL_FAILED for a status >= 400, CTL_NO_DAEMON if unreachable; with --json,
 * prints the body as it came. On success *out holds the body (caller decrefs).
 */
int ctl_run(const struct ctl *c, const char *method, const char *path, json_t *body, json_t **out);

int cmd_source(const struct ctl *c, int argc, char **argv);
int cmd_status(const struct ctl *c, int argc, char **argv);
int cmd_queue(const struct ctl *c, int argc, char **argv);
int cmd_pool(const struct ctl *c, int argc, char **argv);
int cmd_domain(const struct ctl *c, int argc, char **argv);

/* cmd_creds.c: source credential ..., source limits ..., and their printing */
int cmd_credential(const struct ctl *c, int argc, char **argv);
int cmd_limits(const struct ctl *c, int argc, char **argv);
int cmd_webhook(const struct ctl *c, int argc, char **argv);
void print_credential(json_t *cred);
void print_limits(json_t *source);
/* cmd_quarantine.c: quarantine ..., source scan ... */
int cmd_quarantine(const struct ctl *c, int argc, char **argv);
int cmd_scan(const struct ctl *c, int argc, char **argv);
/* cmd_suppression.c: suppression ..., unsubscribe ..., source stream ... */
int cmd_suppression(const struct ctl *c, int argc, char **argv);
int cmd_unsubscribe(const struct ctl *c, int argc, char **argv);
int cmd_admin(const struct ctl *c, int argc, char **argv);
int cmd_stream(const struct ctl *c, int argc, char **argv);
/* cmd_log.c: log search, stats, audit */
int cmd_log(const struct ctl *c, int argc, char **argv);
int cmd_stats(const struct ctl *c, int argc, char **argv);
int cmd_audit(const struct ctl *c, int argc, char **argv);

/* a JSON string member or "-" */
const char *jstr(json_t *o, const char *key);

#endif
