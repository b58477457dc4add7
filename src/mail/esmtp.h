/*
 * esmtp.h - MAIL FROM and RCPT TO parameters (RFC 5321 4.1.2 esmtp-param):
 * SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), AUTH (RFC 4954),
 * RET/ENVID/NOTIFY/ORCPT (RFC 3461). Each keyword at most once; values checked
 * against their grammar; anything unknown is refused, never ignored.
 */
#ifndef POSTERN_ESMTP_H
#define POSTERN_ESMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reply.h"

enum body_type { BODY_7BIT, BODY_8BITMIME };

enum dsn_ret { DSN_RET_DEFAULT, DSN_RET_FULL, DSN_RET_HDRS };

/* NOTIFY bits (RFC 3461 4.1); 0 means "not given" */
#define DSN_NOTIFY_NEVER   0x1
#define DSN_NOTIFY_SUCCESS 0x2
#define DSN_NOTIFY_FAILURE 0x4
#define DSN_NOTIFY_DELAY   0x8

#define ESMTP_ENVID_MAX 100
#define ESMTP_ORCPT_MAX 500

struct mail_params {
	uint64_t size; /* 0: not given */
	enum body_type body;
	bool smtputf8;
	enum dsn_ret ret;
	char envid[ESMTP_ENVID_MAX + 1]; /* xtext as given */
};

struct rcpt_params {
	unsigned notify;
	char orcpt[ESMTP_ORCPT_MAX + 1]; /* "rfc822;xtext" as given */
};

/* which extensions the session advertised, for judging parameters */
struct esmtp_ext {
	bool smtputf8, eightbit, dsn;
};

/*
 * esmtp_mail_params - parse the text after the path of MAIL FROM (s may start
 * with spaces or be empty). 0, or -1 with *why: RPL_SYNTAX, RPL_PARAM_DUP,
 * RPL_PARAM_UNKNOWN, RPL_BODY_UNSUPP.
 */
int esmtp_mail_params(const char *s, const struct esmtp_ext *ext, struct mail_params *out,
                      enum reply *why);
int esmtp_rcpt_params(const char *s, const struct esmtp_ext *ext, struct rcpt_params *out,
                      enum reply *why);

/* esmtp_xtext_valid - RFC 3461 4: xchar or "+" followed by two upper-case hex digits. */
bool esmtp_xtext_valid(const char *s, size_t n);

#endif
