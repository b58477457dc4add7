/* smtp_cmd.c - SMTP command line recognition. */
#include "smtp_cmd.h"

#include <stdbool.h>
#include <string.h>

#include "strutil.h"

enum arg_rule { ARG_NONE, ARG_OPTIONAL, ARG_REQUIRED };

static const struct {
	const char *name;
	enum smtp_verb verb;
	enum arg_rule arg;
} verbs[] = {
        {"HELO", SMTP_CMD_HELO, ARG_REQUIRED},     {"EHLO", SMTP_CMD_EHLO, ARG_REQUIRED},
        {"MAIL", SMTP_CMD_MAIL, ARG_REQUIRED},     {"RCPT", SMTP_CMD_RCPT, ARG_REQUIRED},
        {"DATA", SMTP_CMD_DATA, ARG_NONE},         {"BDAT", SMTP_CMD_BDAT, ARG_REQUIRED},
        {"RSET", SMTP_CMD_RSET, ARG_NONE},         {"NOOP", SMTP_CMD_NOOP, ARG_OPTIONAL},
        {"QUIT", SMTP_CMD_QUIT, ARG_NONE},         {"VRFY", SMTP_CMD_VRFY, ARG_REQUIRED},
        {"EXPN", SMTP_CMD_EXPN, ARG_REQUIRED},     {"HELP", SMTP_CMD_HELP, ARG_OPTIONAL},
        {"STARTTLS", SMTP_CMD_STARTTLS, ARG_NONE}, {"AUTH", SMTP_CMD_AUTH, ARG_REQUIRED},
};

int smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *out, enum reply *why)
{
	size_t vlen = 0;

	/* Control characters never belong in a command; NUL would cut it short. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f) {
			*why = RPL_BAD_CHAR;
			return -1;
		}
	}
	while (vlen < len && line[vlen] != ' ')
		vlen++;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strlen(verbs[i].name) != vlen || !ascii_niequal(line, verbs[i].name, vlen))
			continue;
		const char *arg = line + vlen;
		bool has_arg = *arg == ' ';
		if (has_arg)
			arg++;
		/* trailing spaces are tolerated (RFC 5321 4.1.1 clients do send them) */
		bool blank = true;
		for (const char *p = arg; *p; p++)
			if (*p != ' ')
				blank = false;
		if (verbs[i].arg == ARG_NONE && !blank) {
			*why = RPL_SYNTAX;
			return -1;
		}
		if (verbs[i].arg == ARG_REQUIRED && blank) {
			*why = RPL_SYNTAX;
			return -1;
		}
		out->verb = verbs[i].verb;
		if (out->verb == SMTP_CMD_MAIL || out->verb == SMTP_CMD_RCPT) {
			const char *kw = out->verb == SMTP_CMD_MAIL ? "FROM:" : "TO:";
			if (!ascii_iprefix(arg, kw)) {
				*why = RPL_SYNTAX;
				return -1;
			}
			arg += strlen(kw);
			/* "MAIL FROM: <a@b>" is common enough to accept (Postfix does) */
			while (*arg == ' ')
				arg++;
		}
		out->arg = arg;
		return 0;
	}
	*why = RPL_UNKNOWN_CMD;
	return -1;
}
