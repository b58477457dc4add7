/*
 * smtp_cmd.h - parsing one SMTP command line (RFC 5321 section 4.1).
 *
 * The caller has already cut the line at CRLF, checked its length and made
 * sure it holds no bare CR or LF. This module decides the verb and where its
 * argument starts; the argument's own grammar belongs to address.c, esmtp.c
 * and sasl.c.
 */
#ifndef POSTERN_SMTP_CMD_H
#define POSTERN_SMTP_CMD_H

#include <stddef.h>

#include "reply.h"

/* the longest command line RFC 5321 4.5.3.1.4 allows, CRLF included */
#define SMTP_CMD_MAX 512
/* the longest text line, CRLF included (RFC 5321 4.5.3.1.6) */
#define SMTP_TEXT_MAX 1000

enum smtp_verb {
	SMTP_CMD_HELO,
	SMTP_CMD_EHLO,
	SMTP_CMD_MAIL,
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,
	SMTP_CMD_BDAT,
	SMTP_CMD_RSET,
	SMTP_CMD_NOOP,
	SMTP_CMD_QUIT,
	SMTP_CMD_VRFY,
	SMTP_CMD_EXPN,
	SMTP_CMD_HELP,
	SMTP_CMD_STARTTLS,
	SMTP_CMD_AUTH,
};

struct smtp_cmd {
	enum smtp_verb verb;
	/*
	 * Points into the parsed line, never NULL: for MAIL and RCPT, just after
	 * "FROM:" / "TO:" (spaces skipped); otherwise after the verb and one space.
	 */
	const char *arg;
};

/*
 * smtp_cmd_parse - parse line (NUL-terminated, without CRLF). Returns 0, or -1
 * with *why the reply to send: RPL_BAD_CHAR (NUL or control characters),
 * RPL_UNKNOWN_CMD, or RPL_SYNTAX (a verb that takes no argument got one, or a
 * MAIL/RCPT without FROM:/TO:). Bytes above 127 pass; their meaning depends on
 * SMTPUTF8 and is judged by the argument's parser.
 */
int smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *out, enum reply *why);

#endif
