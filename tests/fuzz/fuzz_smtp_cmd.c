/* fuzz_smtp_cmd.c - libFuzzer: one SMTP command line, then its argument parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "esmtp.h"
#include "smtp_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_cmd cmd;
	enum reply why;
	char *line;

	if (size > SMTP_CMD_MAX)
		return 0;
	line = malloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\0';
	if (smtp_cmd_parse(line, strlen(line), &cmd, &why) == 0 &&
	    (cmd.verb == SMTP_CMD_MAIL || cmd.verb == SMTP_CMD_RCPT)) {
		struct mailaddr a;
		const char *end;
		struct esmtp_ext ext = {true, true, true};
		enum addr_kind kind = cmd.verb == SMTP_CMD_MAIL ? ADDR_SENDER : ADDR_RCPT;
		if (addr_parse_path(cmd.arg, kind, true, &a, &end, &why) == 0) {
			struct mail_params mp;
			struct rcpt_params rp;
			if (kind == ADDR_SENDER)
				esmtp_mail_params(end, &ext, &mp, &why);
			else
				esmtp_rcpt_params(end, &ext, &rp, &why);
		}
	}
	free(line);
	return 0;
}
