/*
 * reply.h - the one table from Postern's internal outcomes to SMTP replies
 * (RFC 5321 codes with RFC 3463 enhanced status codes). Servers name an outcome;
 * they never spell a code themselves, so the same failure always reads the same.
 */
#ifndef POSTERN_REPLY_H
#define POSTERN_REPLY_H

enum reply {
	RPL_OK,               /* 250 2.0.0 */
	RPL_SENDER_OK,        /* 250 2.1.0 */
	RPL_RCPT_OK,          /* 250 2.1.5 */
	RPL_QUEUED,           /* 250 2.0.0 Ok: queued as <id> */
	RPL_DATA_GO,          /* 354 */
	RPL_BYE,              /* 221 2.0.0 */
	RPL_AUTH_OK,          /* 235 2.7.0 */
	RPL_TLS_GO,           /* 220 2.0.0 */
	RPL_VRFY,             /* 252 2.5.0 */
	RPL_LINE_TOO_LONG,    /* 500 5.5.2 */
	RPL_BARE_CRLF,        /* 500 5.5.2 */
	RPL_BAD_CHAR,         /* 500 5.5.2 */
	RPL_UNKNOWN_CMD,      /* 500 5.5.1 */
	RPL_SYNTAX,           /* 501 5.5.4 */
	RPL_NOT_IMPL,         /* 502 5.5.1 */
	RPL_BAD_SEQUENCE,     /* 503 5.5.1 */
	RPL_PARAM_UNKNOWN,    /* 555 5.5.4 */
	RPL_PARAM_DUP,        /* 501 5.5.4 */
	RPL_PIPELINING,       /* 554 5.5.0 */
	RPL_EARLY_TALKER,     /* 554 5.5.0 */
	RPL_NEED_HELO,        /* 503 5.5.1 */
	RPL_AUTH_REQUIRED,    /* 530 5.7.0 */
	RPL_AUTH_NEED_TLS,    /* 538 5.7.11 */
	RPL_AUTH_FAILED,      /* 535 5.7.8 */
	RPL_AUTH_TEMP,        /* 454 4.7.0 */
	RPL_AUTH_THROTTLED,   /* 454 4.7.0 */
	RPL_AUTH_MECH,        /* 504 5.5.4 */
	RPL_AUTH_CANCELLED,   /* 501 5.0.0 */
	RPL_AUTH_SYNTAX,      /* 501 5.5.2 */
	RPL_AUTH_ALREADY,     /* 503 5.5.1 */
	RPL_TLS_ALREADY,      /* 503 5.5.1 */
	RPL_TLS_UNAVAIL,      /* 454 4.7.0 */
	RPL_SENDER_SYNTAX,    /* 501 5.1.7 */
	RPL_RCPT_SYNTAX,      /* 501 5.1.3 */
	RPL_SOURCE_ROUTE,     /* 501 5.1.7 / 5.1.3: source routes are refused */
	RPL_ADDR_FORM,        /* 553 5.1.3: %-hack and !-path forms */
	RPL_NEED_SMTPUTF8,    /* 553 5.6.7 */
	RPL_BODY_UNSUPP,      /* 555 5.5.4 */
	RPL_SIZE_EXCEEDED,    /* 552 5.3.4 */
	RPL_HEADER_TOO_BIG,   /* 552 5.3.4 */
	RPL_CONTENT_NUL,      /* 554 5.6.0 */
	RPL_TOO_MANY_RCPTS,   /* 452 4.5.3 */
	RPL_NO_RCPTS,         /* 554 5.5.1 */
	RPL_DISK_FULL,        /* 452 4.3.1 */
	RPL_IO_ERROR,         /* 451 4.3.0 */
	RPL_TIMEOUT,          /* 421 4.4.2 */
	RPL_TOO_MANY_ERRORS,  /* 421 4.7.0 */
	RPL_TOO_MANY_AUTH,    /* 421 4.7.0 */
	RPL_TOO_MANY_CONN,    /* 421 4.7.0 */
	RPL_SHUTDOWN,         /* 421 4.3.2 */
	RPL_SOURCE_SUSPENDED, /* 554 5.7.1 */
	RPL_IP_REFUSED,       /* 554 5.7.1 */
	RPL_SENDER_DENIED,    /* 553 5.7.1: envelope sender not an approved identity */
	RPL_FROM_DENIED,      /* 550 5.7.1: From: not an approved identity */
	RPL_FROM_INVALID,     /* 550 5.7.1: not exactly one From: with one mailbox */
	RPL_NO_SIGNING_KEY,   /* 550 5.7.1: no active DKIM key for the From: domain */
	RPL_CONTENT_CONVERT,  /* 554 5.6.0: content that cannot be made 7-bit clean */
	RPL_SIGN_FAILED,      /* 451 4.3.0 */
	RPL_SOURCE_LIMIT,     /* 451 4.7.1: a limit of the source's (the text names it) */
	RPL_SOURCE_CONNS,     /* 421 4.7.1: at connect, the source's connections at once */
	RPL_VIRUS,            /* 554 5.7.1: the antivirus found malware (the text names it) */
	RPL_SPAM,             /* 554 5.7.1: the anti-spam scanner said reject */
	RPL_DLP,              /* 550 5.7.1: a data-loss rule (the text names the rule only) */
	RPL_SCAN_TEMP,        /* 451 4.7.0: a scanner did not answer; never sent unscanned */
	RPL_SPAM_TEMP,        /* 451 4.7.1: the anti-spam scanner said soft reject or greylist */
	RPL_RCPT_SUPPRESSED,  /* 550 5.7.1: on the suppression list (the source asked to refuse) */
	RPL_STREAM_UNKNOWN,   /* 550 5.5.4: X-Postern-Stream names no declared stream */
	RPL_BROADCAST_RCPTS,  /* 550 5.5.3: a broadcast message has exactly one recipient */
	RPL_NOT_OURS,         /* 550 5.7.1: the inbound listener relays nothing */
	RPL_NO_SUCH_ADDRESS,  /* 550 5.1.1: one of Postern's own forms, with a token that fails */
	RPL_MAX
};

struct reply_def {
	int code;
	const char *enh;  /* enhanced status code, "5.5.2" */
	const char *text; /* default text */
};

/* reply_def - the definition of r; never NULL for r < RPL_MAX. */
const struct reply_def *reply_def(enum reply r);

/* reply_for_errno - the reply for a failure to store a message: ENOSPC and
 * EDQUOT are "insufficient storage" (452 4.3.1), anything else 451 4.3.0. */
enum reply reply_for_errno(int err);

#endif
