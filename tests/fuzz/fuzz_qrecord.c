/* fuzz_qrecord.c - libFuzzer: the queue-file parser against arbitrary files. */
#include <stdint.h>
#include <stdlib.h>

#include "qrecord.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmsg m;
	char err[256];

	if (qrec_parse((const char *)data, size, &m, err, sizeof(err)) == 0)
		qmsg_release(&m);
	return 0;
}
