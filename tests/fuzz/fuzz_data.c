/*
 * fuzz_data.c - libFuzzer: the DATA/BDAT decoder. The first byte picks the
 * mode and how the input is split; the decoded output must be the same
 * whatever the split (checked against a one-piece decode).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(const char *p, size_t n, void *arg)
{
	buf_append(arg, p, n);
}

static enum data_status run(const uint8_t *in, size_t n, enum data_mode mode, size_t step,
                            struct buf *out, size_t *consumed)
{
	struct data_decoder d;
	enum data_status st = DATA_MORE;
	size_t pos = 0;

	data_init(&d, mode, 998, sink, out);
	while (pos < n) {
		size_t take = n - pos < step ? n - pos : step, used = 0;
		st = data_feed(&d, (const char *)in + pos, take, &used);
		pos += used;
		if (st != DATA_MORE)
			break;
	}
	if (st == DATA_MORE && mode == DATA_MODE_CHUNK)
		st = data_finish_chunks(&d);
	*consumed = pos;
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a, b;
	size_t ua, ub;

	if (size < 1 || size > 65536)
		return 0;
	enum data_mode mode = (data[0] & 1) ? DATA_MODE_CHUNK : DATA_MODE_DOT;
	size_t step = 1 + (data[0] >> 1);
	buf_init(&a);
	buf_init(&b);
	enum data_status sa = run(data + 1, size - 1, mode, size, &a, &ua);
	enum data_status sb = run(data + 1, size - 1, mode, step, &b, &ub);
	if (sa != sb || ua != ub || a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
		abort();
	/* decoded content never holds a bare CR or LF */
	for (size_t i = 0; i < a.len; i++)
		if ((a.data[i] == '\n' && (i == 0 || a.data[i - 1] != '\r')) ||
		    (a.data[i] == '\r' && (i + 1 < a.len && a.data[i + 1] != '\n')))
			abort();
	buf_release(&a);
	buf_release(&b);
	return 0;
}
