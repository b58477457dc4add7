/* fuzz_address.c - libFuzzer: bare mailboxes and paths, with and without SMTPUTF8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailaddr a;
	const char *end;
	enum reply why;
	char *s;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	addr_parse_mailbox(s, size, size & 1, &a, &why);
	addr_parse_path(s, ADDR_SENDER, true, &a, &end, &why);
	addr_parse_path(s, ADDR_RCPT, false, &a, &end, &why);
	addr_is_domain(s, size, true);
	free(s);
	return 0;
}
