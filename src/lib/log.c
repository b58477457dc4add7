/*
 * log.c - the process's one log sink. Lines are assembled in a local buffer and
 * written with a single write(2), so threads never interleave within a line.
 */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static bool use_stderr = true;
static enum log_level max_level = LOG_LV_INFO;
static char log_ident[32] = "postern";
/* glibc no longer caches getpid(): a system call per line otherwise. Set
 * before any thread starts, and in the child of a fork. */
static pid_t log_pid;

static const char *level_names[] = {"error", "warn", "info", "debug"};

static void child_pid(void)
{
	log_pid = getpid();
}

void log_init(const char *ident, bool to_stderr, enum log_level level)
{
	static bool registered;

	if (!registered)
		registered = pthread_atfork(NULL, NULL, child_pid) == 0;
	log_pid = getpid();
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
	use_stderr = to_stderr;
	max_level = level;
	if (!use_stderr)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_set_level(enum log_level level)
{
	max_level = level;
}

int log_parse_level(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static void vlog(enum log_level lv, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char line[4096];
	size_t n = 0;
	int saved = errno;

	if (lv > max_level)
		return;
	if (use_stderr) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		                      ".%03ldZ %s[%d]: %s: ", ts.tv_nsec / 1000000, log_ident,
		                      (int)(log_pid ? log_pid : getpid()), level_names[lv]);
	}
	int r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (r < 0)
		r = 0;
	n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (use_stderr) {
		line[n++] = '\n';
		ssize_t w = write(STDERR_FILENO, line, n);
		(void)w;
	} else {
		line[n] = '\0';
		syslog(prio[lv], "%s", line);
	}
	errno = saved;
}

#define DEFINE_LOG(name, lv)                                                                       \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vlog(lv, fmt, ap);                                                                 \
		va_end(ap);                                                                        \
	}

DEFINE_LOG(log_err, LOG_LV_ERR)
DEFINE_LOG(log_warn, LOG_LV_WARN)
DEFINE_LOG(log_info, LOG_LV_INFO)
DEFINE_LOG(log_debug, LOG_LV_DEBUG)

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LV_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}

char *log_esc(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	bool quote = srclen == 0;
	size_t o = 0;

	if (dstlen < 8) {
		if (dstlen > 0)
			dst[0] = '\0';
		return dst;
	}
	for (size_t i = 0; i < srclen && !quote; i++)
		if (src[i] == ' ' || src[i] == '"' || src[i] == '=')
			quote = true;
	if (quote)
		dst[o++] = '"';
	for (size_t i = 0; i < srclen; i++) {
		unsigned char c = (unsigned char)src[i];
		/* room for the worst case (\xNN), a closing quote and "..." */
		if (o + 4 + 1 + 3 + 1 > dstlen) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	if (quote)
		dst[o++] = '"';
	dst[o] = '\0';
	return dst;
}
