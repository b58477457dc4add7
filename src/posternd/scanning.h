/*
 * scanning.h - the daemon's scanners from its configuration: [scan] for
 * clamd, Rspamd and the MIME limits, [dlp] compiled into one database,
 * [dlp_sets] for the sources' rule lists.
 */
#ifndef POSTERN_SCANNING_H
#define POSTERN_SCANNING_H

#include <stddef.h>

struct config;
struct content_policy;
struct scanner;

/*
 * scanning_apply - compile c's DLP rules and hand them with the [scan]
 * settings to sc and p. -1 with err (naming the rule) if a rule does not
 * compile: then nothing is changed.
 */
int scanning_apply(struct scanner *sc, struct content_policy *p, const struct config *c, char *err,
                   size_t errlen);

/* scanning_check - do c's DLP rules compile? 0, or -1 with err */
int scanning_check(const struct config *c, char *err, size_t errlen);

/* scanning_names - the rule and set names of c (the caller frees the array, not the names) */
const char **scanning_names(const struct config *c, size_t *n);

#endif
