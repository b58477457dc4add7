/* fuzz_header.c - libFuzzer: header line classification and indexing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdr_index ix;
	size_t nlen;

	hdr_classify((const char *)data, size, &nlen);
	if (hdr_index_build(&ix, (const char *)data, size) == 0) {
		hdr_find(&ix, "From");
		hdr_count(&ix, "Message-ID");
		hdr_index_release(&ix);
	}
	return 0;
}
