/*
 * fuzz_qstate.c - libFuzzer: delivery state files. The first octet is the
 * message's number of recipients, the rest the file. A file that decodes must
 * encode to a file that decodes to the same state and the same octets; a file
 * that does not must leave a fresh state. qstate_peek must agree with decode
 * on a file qstate_encode wrote.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_state(const struct qstate *a, const struct qstate *b)
{
	if (a->attempts != b->attempts || a->first_ms != b->first_ms || a->last_ms != b->last_ms ||
	    a->next_ms != b->next_ms || a->held != b->held || a->delayed != b->delayed ||
	    a->bulk != b->bulk || a->nrcpts != b->nrcpts)
		return false;
	for (size_t i = 0; i < a->nrcpts; i++) {
		const struct qstate_rcpt *x = &a->rcpts[i], *y = &b->rcpts[i];
		if (x->status != y->status || x->code != y->code || strcmp(x->dsn, y->dsn) != 0 ||
		    strcmp(x->relay, y->relay) != 0 || strcmp(x->reply, y->reply) != 0)
			return false;
	}
	return true;
}

static bool is_fresh(const struct qstate *st, size_t n)
{
	struct qstate f;
	bool same;

	qstate_init(&f, n);
	same = same_state(st, &f);
	qstate_release(&f);
	return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qstate st, again;
	struct buf b, b2;
	char err[256];
	uint64_t next;
	bool held, bulk;

	if (size == 0)
		return 0;
	size_t nrcpts = data[0];
	const char *p = (const char *)data + 1;
	size_t n = size - 1;

	qstate_peek(p, n, &next, &held, &bulk, NULL);
	if (qstate_decode(p, n, nrcpts, &st, err, sizeof(err)) < 0) {
		if (!is_fresh(&st, nrcpts))
			abort();
		qstate_release(&st);
		return 0;
	}
	buf_init(&b);
	buf_init(&b2);
	qstate_encode(&st, &b);
	if (qstate_decode(b.data, b.len, nrcpts, &again, err, sizeof(err)) < 0 ||
	    !same_state(&st, &again))
		abort();
	qstate_encode(&again, &b2);
	if (b.len != b2.len || memcmp(b.data, b2.data, b.len) != 0)
		abort();
	if (qstate_peek(b.data, b.len, &next, &held, &bulk, NULL) < 0 || next != st.next_ms ||
	    held != st.held || bulk != st.bulk)
		abort();
	buf_release(&b);
	buf_release(&b2);
	qstate_release(&st);
	qstate_release(&again);
	return 0;
}
