/* fuzz_sasl.c - libFuzzer: SASL PLAIN and LOGIN responses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sasl_creds c;
	char field[SASL_FIELD_MAX + 1];
	enum reply why;

	if (size > 4096)
		return 0;
	sasl_plain_decode((const char *)data, size, &c, &why);
	sasl_field_decode((const char *)data, size, field, sizeof(field), &why);
	return 0;
}
