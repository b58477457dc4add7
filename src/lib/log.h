/*
 * log.h - one event per line, key=value, to stderr or syslog.
 *
 * Callers put the session or message id first: "sess=%016" PRIx64 " smtp ...".
 * Values that come from the network go through log_esc() first, so a client
 * can never forge a line break or a key of its own in the log.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LV_ERR, LOG_LV_WARN, LOG_LV_INFO, LOG_LV_DEBUG };

/* log_init - send logs to stderr (foreground) or to syslog under ident. */
void log_init(const char *ident, bool to_stderr, enum log_level level);
void log_set_level(enum log_level level);
int log_parse_level(const char *s, enum log_level *out);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fatal - log at error level and exit(1). For start-up and configuration only. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * log_esc - copy src into dst as one log value: printable ASCII is kept,
 * anything else becomes \xNN, and the value is double-quoted when it holds a
 * space, '"' or '=' (or is empty). Always NUL-terminates; truncates with "...".
 * Returns dst, so it can be used inline as a %s argument.
 */
char *log_esc(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
