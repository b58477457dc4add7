/*
 * fuzz_mailbox.c - libFuzzer: mbox_parse_from, utf8 chosen by the first
 * byte. On success the address must be one SMTP accepts (addr_parse_mailbox,
 * same parts), hold exactly one '@', and read back as itself; on failure a
 * reason must be given.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailaddr a, b, c;
	enum reply r;
	char why[128];
	char *s;

	if (size < 1 || size > 4096)
		return 0;
	bool utf8 = data[0] & 1;
	size--;
	/* exactly size octets on the heap, so reading past n is caught */
	s = malloc(size ? size : 1);
	memcpy(s, data + 1, size);
	if (mbox_parse_from(s, size, utf8, &a, why, sizeof(why)) == 0) {
		size_t n = strlen(a.addr);
		const char *at = strchr(a.addr, '@');
		if (at == NULL || strchr(at + 1, '@') != NULL)
			abort();
		if (addr_parse_mailbox(a.addr, n, utf8, &b, &r) != 0)
			abort();
		if (strcmp(a.addr, b.addr) != 0 || strcmp(a.domain, b.domain) != 0 ||
		    a.local_len != b.local_len || a.literal || a.utf8 != b.utf8)
			abort();
		if (mbox_parse_from(a.addr, n, utf8, &c, why, sizeof(why)) != 0 ||
		    strcmp(c.addr, a.addr) != 0)
			abort();
	} else if (why[0] == '\0') {
		abort();
	}
	free(s);
	return 0;
}
