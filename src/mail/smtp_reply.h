/*
 * smtp_reply.h - the replies of a remote SMTP server, as the client reads
 * them (RFC 5321 4.2): one or more lines "CODE-text" ending with "CODE text",
 * every line with the same code. Bounded in line length and line count, so a
 * hostile server cannot make us buffer without end.
 */
#ifndef POSTERN_SMTP_REPLY_H
#define POSTERN_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTP_REPLY_LINE_MAX  2048 /* RFC 5321 says 512; real servers exceed it a little */
#define SMTP_REPLY_LINES_MAX 64
#define SMTP_REPLY_TEXT_MAX  1024 /* kept for logs and DSNs: the first lines */

struct smtp_reply {
	int code;                       /* 0 until the first line */
	char enh[16];                   /* the enhanced status code of the first line, or "" */
	char text[SMTP_REPLY_TEXT_MAX]; /* "250 2.0.0 Ok" lines joined with "\n", truncated */
	size_t textlen;
	bool text_full; /* a line had to be cut: later ones are not kept */
	size_t nlines;
	bool done;
};

void smtp_reply_init(struct smtp_reply *r);
/*
 * smtp_reply_feed - one line, without its line end. Returns 1 when the reply is
 * complete, 0 when more lines follow, -1 if the line is malformed (no code, a
 * code that changes, too many lines, control characters).
 */
int smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len);

/* smtp_reply_class - 2, 3, 4 or 5 */
int smtp_reply_class(const struct smtp_reply *r);
/* smtp_reply_first_line - the first line of text ("550 5.1.1 No such user"). */
void smtp_reply_first_line(const struct smtp_reply *r, char *dst, size_t dstlen);

struct smtp_caps {
	bool pipelining, eightbitmime, smtputf8, starttls, chunking, dsn, enhanced;
	bool auth_plain, auth_login;
	bool size;
	uint64_t size_max; /* 0: no limit given */
};

/*
 * smtp_ehlo_caps_line - add what one EHLO reply line after the first advertises.
 * A client feeds every line as it arrives: the reply's text is truncated for
 * logs, its capabilities must not be.
 */
void smtp_ehlo_caps_line(struct smtp_caps *caps, const char *line, size_t len);
/* smtp_ehlo_caps - the extensions in a (short) reply's kept text, lines after the first. */
void smtp_ehlo_caps(const struct smtp_reply *r, struct smtp_caps *caps);

#endif
