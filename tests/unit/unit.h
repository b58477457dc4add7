/*
 * unit.h - helpers shared by the cmocka unit tests: table rows report every
 * failing row (not just the first) with a printable copy of their input, and
 * a test fails at its end if any row did.
 */
#ifndef POSTERN_UNIT_H
#define POSTERN_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* RAW - a string literal and its length, NULs included */
#define RAW(s) s, sizeof(s) - 1

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int unit_bad;

/* EXPECT - record a failed check with a message, and go on with the next row */
#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			unit_bad++;                                                                \
			print_error("%s:%d: check failed: %s\n    ", __FILE__, __LINE__, #cond);   \
			print_error(__VA_ARGS__);                                                  \
			print_error("\n");                                                         \
		}                                                                                  \
	} while (0)

/* ALL_PASSED - at the end of a test: fail it if any EXPECT failed */
#define ALL_PASSED()                                                                               \
	do {                                                                                       \
		int bad_ = unit_bad;                                                               \
		unit_bad = 0;                                                                      \
		if (bad_ != 0)                                                                     \
			fail_msg("%d check(s) failed", bad_);                                      \
	} while (0)

/*
 * show - a printable, quoted copy of n bytes for failure messages: printable
 * ASCII kept, anything else as \xNN, long inputs cut. Rotates among 8 static
 * buffers so several may appear in one message.
 */
static inline const char *show(const char *s, size_t n)
{
	static char bufs[8][400];
	static unsigned next;
	char *b = bufs[next++ % 8];
	size_t o = 0;

	b[o++] = '"';
	for (size_t i = 0; i < n && o < sizeof(bufs[0]) - 12; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			b[o++] = (char)c;
		else
			o += (size_t)snprintf(b + o, sizeof(bufs[0]) - o, "\\x%02x", c);
	}
	if (n > 0 && o >= sizeof(bufs[0]) - 12)
		o += (size_t)snprintf(b + o, sizeof(bufs[0]) - o, "...");
	b[o++] = '"';
	b[o] = '\0';
	return b;
}

static inline const char *shows(const char *s)
{
	return s ? show(s, strlen(s)) : "(null)";
}

/* xrand - a small deterministic PRNG (xorshift64*), so random splits are reproducible */
static inline uint64_t xrand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

#ifdef POSTERN_REPLY_H
/* rname - the name of a reply, for failure messages */
static inline const char *rname(enum reply r)
{
	static const char *const names[RPL_MAX] = {
	        [RPL_OK] = "RPL_OK",
	        [RPL_SENDER_OK] = "RPL_SENDER_OK",
	        [RPL_RCPT_OK] = "RPL_RCPT_OK",
	        [RPL_QUEUED] = "RPL_QUEUED",
	        [RPL_DATA_GO] = "RPL_DATA_GO",
	        [RPL_BYE] = "RPL_BYE",
	        [RPL_AUTH_OK] = "RPL_AUTH_OK",
	        [RPL_TLS_GO] = "RPL_TLS_GO",
	        [RPL_VRFY] = "RPL_VRFY",
	        [RPL_LINE_TOO_LONG] = "RPL_LINE_TOO_LONG",
	        [RPL_BARE_CRLF] = "RPL_BARE_CRLF",
	        [RPL_BAD_CHAR] = "RPL_BAD_CHAR",
	        [RPL_UNKNOWN_CMD] = "RPL_UNKNOWN_CMD",
	        [RPL_SYNTAX] = "RPL_SYNTAX",
	        [RPL_NOT_IMPL] = "RPL_NOT_IMPL",
	        [RPL_BAD_SEQUENCE] = "RPL_BAD_SEQUENCE",
	        [RPL_PARAM_UNKNOWN] = "RPL_PARAM_UNKNOWN",
	        [RPL_PARAM_DUP] = "RPL_PARAM_DUP",
	        [RPL_PIPELINING] = "RPL_PIPELINING",
	        [RPL_EARLY_TALKER] = "RPL_EARLY_TALKER",
	        [RPL_NEED_HELO] = "RPL_NEED_HELO",
	        [RPL_AUTH_REQUIRED] = "RPL_AUTH_REQUIRED",
	        [RPL_AUTH_NEED_TLS] = "RPL_AUTH_NEED_TLS",
	        [RPL_AUTH_FAILED] = "RPL_AUTH_FAILED",
	        [RPL_AUTH_TEMP] = "RPL_AUTH_TEMP",
	        [RPL_AUTH_THROTTLED] = "RPL_AUTH_THROTTLED",
	        [RPL_AUTH_MECH] = "RPL_AUTH_MECH",
	        [RPL_AUTH_CANCELLED] = "RPL_AUTH_CANCELLED",
	        [RPL_AUTH_SYNTAX] = "RPL_AUTH_SYNTAX",
	        [RPL_AUTH_ALREADY] = "RPL_AUTH_ALREADY",
	        [RPL_TLS_ALREADY] = "RPL_TLS_ALREADY",
	        [RPL_TLS_UNAVAIL] = "RPL_TLS_UNAVAIL",
	        [RPL_SENDER_SYNTAX] = "RPL_SENDER_SYNTAX",
	        [RPL_RCPT_SYNTAX] = "RPL_RCPT_SYNTAX",
	        [RPL_SOURCE_ROUTE] = "RPL_SOURCE_ROUTE",
	        [RPL_ADDR_FORM] = "RPL_ADDR_FORM",
	        [RPL_NEED_SMTPUTF8] = "RPL_NEED_SMTPUTF8",
	        [RPL_BODY_UNSUPP] = "RPL_BODY_UNSUPP",
	        [RPL_SIZE_EXCEEDED] = "RPL_SIZE_EXCEEDED",
	        [RPL_HEADER_TOO_BIG] = "RPL_HEADER_TOO_BIG",
	        [RPL_TOO_MANY_RCPTS] = "RPL_TOO_MANY_RCPTS",
	        [RPL_NO_RCPTS] = "RPL_NO_RCPTS",
	        [RPL_DISK_FULL] = "RPL_DISK_FULL",
	        [RPL_IO_ERROR] = "RPL_IO_ERROR",
	        [RPL_TIMEOUT] = "RPL_TIMEOUT",
	        [RPL_TOO_MANY_ERRORS] = "RPL_TOO_MANY_ERRORS",
	        [RPL_TOO_MANY_AUTH] = "RPL_TOO_MANY_AUTH",
	        [RPL_TOO_MANY_CONN] = "RPL_TOO_MANY_CONN",
	        [RPL_SHUTDOWN] = "RPL_SHUTDOWN",
	        [RPL_SOURCE_SUSPENDED] = "RPL_SOURCE_SUSPENDED",
	        [RPL_IP_REFUSED] = "RPL_IP_REFUSED",
	};
	if ((unsigned)r < RPL_MAX && names[r])
		return names[r];
	return "RPL_?";
}
#endif

#endif
