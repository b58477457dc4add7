/*
 * qstate_test.c - delivery state files: round trips with every recipient
 * status, replies made one printable line by qstate_set_reply, then hostile
 * files (magic, version, items, numbers, recipients, NUL, text after "end",
 * truncation at every length): each is refused whole and leaves a fresh state
 * with every recipient pending. qstate_peek: next/held/bulk without the recipients.
 */
#include "qstate.h"

#include <inttypes.h>
#include <stdlib.h>

#include "unit.h"

/* --- counting allocations (sanitizer builds: the allocator's hooks) ------- */

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCS 1
#endif
#endif

static size_t nallocs;

#ifdef COUNT_ALLOCS
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
                                              void (*f)(const volatile void *));

static void on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	nallocs++;
}

static void on_free(const volatile void *p)
{
	(void)p;
}
#endif

/* --- fixtures ------------------------------------------------------------ */

#define NR 4

/* a state with each status, and every header item set */
static void sample(struct qstate *st)
{
	qstate_init(st, NR);
	st->attempts = 7;
	st->first_ms = 1700000000123ULL;
	st->last_ms = 1700000360456ULL;
	st->next_ms = UINT64_MAX;
	st->held = true;
	st->delayed = true;
	st->bulk = true;
	st->rcpts[0].status = RCPT_PENDING;
	qstate_set_reply(&st->rcpts[0], 451, "4.7.1", "mx.example.org[192.0.2.1]:25",
	                 "451 4.7.1 Greylisted, try again later");
	st->rcpts[1].status = RCPT_SENT;
	qstate_set_reply(&st->rcpts[1], 250, "2.0.0", "mx.example.org[192.0.2.1]:25",
	                 "250 2.0.0 Ok: queued as 4XyZ");
	st->rcpts[2].status = RCPT_FAILED;
	qstate_set_reply(&st->rcpts[2], 550, "5.1.1", "[2001:db8::1]:25",
	                 "550 5.1.1 <c@example.net>: Recipient address rejected");
	st->rcpts[3].status = RCPT_PASSED;
	qstate_set_reply(&st->rcpts[3], 250, "", "smarthost.example[198.51.100.9]:587", "");
}

static bool same_rcpt(const struct qstate_rcpt *a, const struct qstate_rcpt *b)
{
	return a->status == b->status && a->code == b->code && strcmp(a->dsn, b->dsn) == 0 &&
	       strcmp(a->relay, b->relay) == 0 && strcmp(a->reply, b->reply) == 0;
}

static bool same_state(const struct qstate *a, const struct qstate *b)
{
	if (a->attempts != b->attempts || a->first_ms != b->first_ms || a->last_ms != b->last_ms ||
	    a->next_ms != b->next_ms || a->held != b->held || a->delayed != b->delayed ||
	    a->bulk != b->bulk || a->nrcpts != b->nrcpts)
		return false;
	for (size_t i = 0; i < a->nrcpts; i++)
		if (!same_rcpt(&a->rcpts[i], &b->rcpts[i]))
			return false;
	return true;
}

/* fresh - what qstate_init(n) gives: nothing tried, everyone pending */
static bool fresh(const struct qstate *st, size_t n)
{
	if (st->attempts || st->first_ms || st->last_ms || st->next_ms || st->held || st->delayed ||
	    st->bulk || st->nrcpts != n || st->rcpts == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct qstate_rcpt *r = &st->rcpts[i];
		if (r->status != RCPT_PENDING || r->code != 0 || r->dsn[0] || r->relay[0] ||
		    r->reply[0])
			return false;
	}
	return true;
}

/* encode, decode, compare; then encode again: the same octets */
static void check_round_trip(const char *label, const struct qstate *st)
{
	struct buf b, b2;
	struct qstate back;
	char err[256] = "";

	buf_init(&b);
	buf_init(&b2);
	qstate_encode(st, &b);
	int rc = qstate_decode(b.data, b.len, st->nrcpts, &back, err, sizeof(err));
	EXPECT(rc == 0, "%s: decode of its own encoding failed: %s\n%s", label, err,
	       show(b.data, b.len));
	if (rc == 0) {
		EXPECT(same_state(st, &back), "%s: differs after a round trip\n%s", label,
		       show(b.data, b.len));
		qstate_encode(&back, &b2);
		EXPECT(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0,
		       "%s: encodes differently the second time", label);
	}
	uint64_t next = 1;
	bool held = !st->held, bulk = !st->bulk;
	EXPECT(qstate_peek(b.data, b.len, &next, &held, &bulk, NULL) == 0 && next == st->next_ms &&
	               held == st->held && bulk == st->bulk,
	       "%s: peek gives next %" PRIu64 " held %d bulk %d", label, next, held, bulk);
	qstate_release(&back);
	buf_release(&b);
	buf_release(&b2);
}

/* --- round trips ----------------------------------------------------------- */

static void test_round_trip(void **state)
{
	(void)state;
	struct qstate st;

	sample(&st);
	check_round_trip("sample", &st);
	/* every status in every position */
	for (int s = RCPT_PENDING; s <= RCPT_PASSED; s++) {
		for (size_t i = 0; i < NR; i++)
			st.rcpts[i].status = (enum rcpt_status)((s + (int)i) % 4);
		check_round_trip(rcpt_status_name((enum rcpt_status)s), &st);
	}
	st.held = false;
	st.delayed = false;
	st.bulk = false;
	st.attempts = UINT32_MAX;
	st.first_ms = st.last_ms = st.next_ms = 0;
	check_round_trip("zeros", &st);
	qstate_release(&st);

	/* fresh states of several sizes, and no recipients at all */
	size_t sizes[] = {0, 1, 2, 100};
	for (size_t k = 0; k < NELEM(sizes); k++) {
		char label[32];
		qstate_init(&st, sizes[k]);
		EXPECT(fresh(&st, sizes[k]), "qstate_init(%zu) is not fresh", sizes[k]);
		snprintf(label, sizeof(label), "fresh %zu", sizes[k]);
		check_round_trip(label, &st);
		qstate_release(&st);
		EXPECT(st.rcpts == NULL && st.nrcpts == 0, "release left a pointer");
	}
	ALL_PASSED();
}

/* the names of the statuses, as the file holds them */
static void test_status_names(void **state)
{
	(void)state;
	EXPECT(strcmp(rcpt_status_name(RCPT_PENDING), "pending") == 0, "pending");
	EXPECT(strcmp(rcpt_status_name(RCPT_SENT), "sent") == 0, "sent");
	EXPECT(strcmp(rcpt_status_name(RCPT_FAILED), "failed") == 0, "failed");
	EXPECT(strcmp(rcpt_status_name(RCPT_PASSED), "passed") == 0, "passed");
	ALL_PASSED();
}

struct reply_row {
	const char *dsn, *relay, *text; /* given */
	const char *edsn, *erelay, *etext;
};

static const struct reply_row reply_rows[] = {
        {"5.1.1", "mx.example[192.0.2.1]:25", "550 5.1.1 No such user", "5.1.1",
         "mx.example[192.0.2.1]:25", "550 5.1.1 No such user"},
        /* spaces inside the text stay, also at its ends */
        {"", "", "  two  spaces  ", "", "", "  two  spaces  "},
        {"", "", " ", "", "", " "},
        /* multi-line replies become one line: CR and LF are spaces */
        {"4.2.0", "r", "451-4.2.0 first\r\n451 4.2.0 second", "4.2.0", "r",
         "451-4.2.0 first  451 4.2.0 second"},
        {"", "", "a\nb\rc", "", "", "a b c"},
        /* other controls, DEL and 8-bit octets: '?' */
        {"", "",
         "a\tb\x01"
         "c\x7f"
         "d\x1b[31m",
         "", "", "a?b?c?d?[31m"},
        {"", "", "caf\xc3\xa9 \xff", "", "", "caf?? ?"},
        /* the dsn and the relay are single tokens: spaces become '_' */
        {"5.1.1 x", "mx.example [192.0.2.1]", "t", "5.1.1_x", "mx.example_[192.0.2.1]", "t"},
        {"5.1\n1", "a\rb", "t", "5.1_1", "a_b", "t"},
        {"\xc3\xa9", "r\x01", "t", "??", "r?", "t"},
        /* NULL is "" */
        {NULL, NULL, NULL, "", "", ""},
        /* bounded: the dsn to 15 octets */
        {"5.123.456789012345", "r", "t", "5.123.456789012", "r", "t"},
};

static void test_set_reply(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(reply_rows); i++) {
		const struct reply_row *r = &reply_rows[i];
		struct qstate st;
		char label[32];
		qstate_init(&st, 1);
		st.rcpts[0].status = RCPT_FAILED;
		qstate_set_reply(&st.rcpts[0], 550, r->dsn, r->relay, r->text);
		const struct qstate_rcpt *q = &st.rcpts[0];
		EXPECT(q->code == 550 && strcmp(q->dsn, r->edsn) == 0 &&
		               strcmp(q->relay, r->erelay) == 0 && strcmp(q->reply, r->etext) == 0,
		       "row %zu: dsn %s relay %s reply %s", i, shows(q->dsn), shows(q->relay),
		       shows(q->reply));
		snprintf(label, sizeof(label), "reply row %zu", i);
		check_round_trip(label, &st);
		qstate_release(&st);
	}
	ALL_PASSED();
}

/* long texts are cut to the field, and still round-trip */
static void test_set_reply_bounds(void **state)
{
	(void)state;
	static char big[5000];
	struct qstate st;

	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof(big) - 1] = '\0';
	qstate_init(&st, 2);
	qstate_set_reply(&st.rcpts[0], 999, big, big, big);
	const struct qstate_rcpt *q = &st.rcpts[0];
	EXPECT(strlen(q->dsn) == sizeof(q->dsn) - 1 && strncmp(q->dsn, big, strlen(q->dsn)) == 0,
	       "dsn %s", shows(q->dsn));
	EXPECT(strlen(q->relay) == QSTATE_RELAY_MAX - 1 &&
	               strncmp(q->relay, big, strlen(q->relay)) == 0,
	       "relay of %zu", strlen(q->relay));
	EXPECT(strlen(q->reply) == QSTATE_REPLY_MAX - 1 &&
	               strncmp(q->reply, big, strlen(q->reply)) == 0,
	       "reply of %zu", strlen(q->reply));
	check_round_trip("long", &st);
	/* a long text of spaces and controls */
	memset(big, '\n', sizeof(big) - 1);
	qstate_set_reply(&st.rcpts[1], 0, big, big, big);
	check_round_trip("long controls", &st);
	qstate_release(&st);
	ALL_PASSED();
}

/* --- hostile files ----------------------------------------------------------- */

#define MAGIC "postern-state 1\n"
#define HEAD  MAGIC "attempts 3\nfirst 1000\nlast 2000\nnext 3000\nheld 0\ndelayed 0\nbulk 0\n"
#define R0    "rcpt 0 sent 250 2.0.0 mx.example[192.0.2.1]:25 250 2.0.0 Ok\n"
#define R1    "rcpt 1 failed 550 5.1.1 mx.example[192.0.2.1]:25 550 5.1.1 No such user\n"
#define END   "end\n"

struct decode_row {
	const char *in;
	size_t n;
	size_t nrcpts;
	int rc;
};

#define GOOD(s, nr)                                                                                \
	{                                                                                          \
		RAW(s), nr, 0                                                                      \
	}
#define HOSTILE(s, nr)                                                                             \
	{                                                                                          \
		RAW(s), nr, -1                                                                     \
	}

static const struct decode_row decode_rows[] = {
        GOOD(HEAD R0 R1 END, 2),
        GOOD(MAGIC END, 2), /* nothing known yet: everything pending */
        GOOD(MAGIC END, 0),
        GOOD(HEAD END, 0),
        GOOD(HEAD R1 END, 2),    /* a recipient not listed stays pending */
        GOOD(HEAD R1 R0 END, 2), /* in any order */
        GOOD(MAGIC "held 1\n" END, 1),
        GOOD(MAGIC "held 1\nsuspended 1\n" END, 1),
        GOOD(MAGIC "bulk 1\n" END, 1),
        GOOD(MAGIC "bulk 0\n" END, 1),
        GOOD(MAGIC "attempts 4294967295\nnext 18446744073709551615\n" END, 1),
        GOOD(MAGIC "rcpt 0 pending 0 - - \n" END, 1),
        GOOD(MAGIC "rcpt 0 pending 0 - -\n" END, 1),
        GOOD(MAGIC "rcpt 0 passed 999 - r reply\n" END, 1),

        /* magic and version */
        HOSTILE("", 2),
        HOSTILE("\n", 2),
        HOSTILE(END, 2),
        HOSTILE("attempts 3\n" END, 2),
        HOSTILE("postern-state 2\n" END, 2),
        HOSTILE("postern-state 0\n" END, 2),
        HOSTILE("postern-state 10\n" END, 2),
        HOSTILE("postern-state\n" END, 2),
        HOSTILE("postern-state 1 \n" END, 2),
        HOSTILE(" postern-state 1\n" END, 2),
        HOSTILE("Postern-State 1\n" END, 2),
        HOSTILE("postern-state 1\r\nend\r\n", 2),
        HOSTILE("postern-queue 1\n" END, 2),
        HOSTILE("\xef\xbb\xbfpostern-state 1\n" END, 2),

        /* the end line: missing, twice, or with text after it */
        HOSTILE(MAGIC, 2),
        HOSTILE(HEAD R0 R1, 2),
        HOSTILE(HEAD R0 R1 "en\n", 2),
        HOSTILE(HEAD R0 R1 "end \n", 2),
        HOSTILE(HEAD R0 R1 "END\n", 2),
        HOSTILE(HEAD R0 R1 "end\r\n", 2),
        HOSTILE(HEAD R0 R1 "ends\n", 2),
        HOSTILE(HEAD R0 R1 END END, 2),
        HOSTILE(HEAD R0 END R1, 2),
        HOSTILE(MAGIC END "attempts 3\n", 2),
        HOSTILE(MAGIC END "x", 2),
        HOSTILE(MAGIC END MAGIC END, 2),

        /* unknown items and lines that are not items */
        HOSTILE(MAGIC "foo 1\n" END, 2),
        HOSTILE(MAGIC "Attempts 3\n" END, 2),
        HOSTILE(MAGIC "attempts\n" END, 2),
        HOSTILE(MAGIC "held\n" END, 2),
        HOSTILE(MAGIC "x\n" END, 2),
        HOSTILE(MAGIC " attempts 3\n" END, 2),
        HOSTILE(MAGIC "rcpt\n" END, 2),

        /* numbers */
        HOSTILE(MAGIC "attempts \n" END, 2),
        HOSTILE(MAGIC "attempts x\n" END, 2),
        HOSTILE(MAGIC "attempts -1\n" END, 2),
        HOSTILE(MAGIC "attempts +1\n" END, 2),
        HOSTILE(MAGIC "attempts 0x10\n" END, 2),
        HOSTILE(MAGIC "attempts 3 \n" END, 2),
        HOSTILE(MAGIC "attempts  3\n" END, 2),
        HOSTILE(MAGIC "attempts 1 2\n" END, 2),
        HOSTILE(MAGIC "attempts 3\r\n" END, 2),
        HOSTILE(MAGIC "attempts 4294967296\n" END, 2),
        HOSTILE(MAGIC "first 18446744073709551616\n" END, 2),
        HOSTILE(MAGIC "last 99999999999999999999999\n" END, 2),
        HOSTILE(MAGIC "next 1.5\n" END, 2),
        HOSTILE(MAGIC "next 1e3\n" END, 2),
        HOSTILE(MAGIC "held 2\n" END, 2),
        HOSTILE(MAGIC "held yes\n" END, 2),
        HOSTILE(MAGIC "delayed 2\n" END, 2),
        HOSTILE(MAGIC "delayed -0\n" END, 2),
        HOSTILE(MAGIC "bulk 2\n" END, 2),
        HOSTILE(MAGIC "bulk\n" END, 2),
        HOSTILE(MAGIC "lane bulk\n" END, 2), /* not an item */

        /* recipient lines */
        HOSTILE(MAGIC "rcpt 2 sent 250 - - ok\n" END, 2), /* index out of range */
        HOSTILE(MAGIC "rcpt 0 sent 250 - - ok\n" END, 0),
        HOSTILE(MAGIC "rcpt 18446744073709551615 sent 250 - - ok\n" END, 2),
        HOSTILE(MAGIC "rcpt 18446744073709551616 sent 250 - - ok\n" END, 2),
        HOSTILE(MAGIC "rcpt -1 sent 250 - - ok\n" END, 2),
        HOSTILE(MAGIC "rcpt x sent 250 - - ok\n" END, 2),
        HOSTILE(MAGIC "rcpt 0x0 sent 250 - - ok\n" END, 2),
        HOSTILE(MAGIC "rcpt 0 delivered 250 - - ok\n" END, 2), /* unknown status */
        HOSTILE(MAGIC "rcpt 0 SENT 250 - - ok\n" END, 2),
        HOSTILE(MAGIC "rcpt 0 sen 250 - - ok\n" END, 2),
        HOSTILE(MAGIC "rcpt 0 sent0 250 - - ok\n" END, 2),
        HOSTILE(MAGIC "rcpt 0 sent 1000 - - ok\n" END, 2), /* codes are three digits */
        HOSTILE(MAGIC "rcpt 0 sent -250 - - ok\n" END, 2),
        HOSTILE(MAGIC "rcpt 0 sent 25x - - ok\n" END, 2),
        HOSTILE(MAGIC "rcpt 0 sent x - - ok\n" END, 2),
        HOSTILE(MAGIC "rcpt 0\n" END, 2), /* fields missing */
        HOSTILE(MAGIC "rcpt 0 sent\n" END, 2),
        HOSTILE(MAGIC "rcpt 0 sent 250\n" END, 2),
        HOSTILE(MAGIC "rcpt 0 sent 250 -\n" END, 2),
        HOSTILE(MAGIC "rcpt 0 sent 250 - \n" END, 2),

        /* NUL anywhere */
        HOSTILE(MAGIC "\0" END, 2),
        HOSTILE(MAGIC END "\0", 2),
        HOSTILE("\0" MAGIC END, 2),
        HOSTILE(MAGIC "attempts 3\0\n" END, 2),
        HOSTILE(MAGIC "rcpt 0 sent 250 - - o\0k\n" END, 2),
        HOSTILE(MAGIC "e\0nd\n", 2),
};

static void test_decode_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(decode_rows); i++) {
		const struct decode_row *r = &decode_rows[i];
		struct qstate st;
		char err[256] = "";
		int rc = qstate_decode(r->in, r->n, r->nrcpts, &st, err, sizeof(err));
		EXPECT(rc == r->rc, "row %zu %s (nrcpts %zu): rc %d, expected %d (%s)", i,
		       show(r->in, r->n), r->nrcpts, rc, r->rc, err);
		if (rc < 0) {
			EXPECT(err[0] != '\0', "row %zu %s: refused without a message", i,
			       show(r->in, r->n));
			EXPECT(fresh(&st, r->nrcpts),
			       "row %zu %s: refused, but the state is not fresh", i,
			       show(r->in, r->n));
		} else if (rc == 0) {
			char label[32];
			snprintf(label, sizeof(label), "decode row %zu", i);
			check_round_trip(label, &st);
		}
		qstate_release(&st);
	}
	ALL_PASSED();
}

/* what the good sample decodes to, field by field */
static void test_decode_values(void **state)
{
	(void)state;
	static const char in[] = HEAD R0 R1 END;
	struct qstate st;
	char err[256] = "";

	assert_int_equal(qstate_decode(in, sizeof(in) - 1, 3, &st, err, sizeof(err)), 0);
	EXPECT(st.attempts == 3 && st.first_ms == 1000 && st.last_ms == 2000 &&
	               st.next_ms == 3000 && !st.held && !st.delayed && st.nrcpts == 3,
	       "header items wrong");
	EXPECT(st.rcpts[0].status == RCPT_SENT && st.rcpts[0].code == 250 &&
	               strcmp(st.rcpts[0].dsn, "2.0.0") == 0 &&
	               strcmp(st.rcpts[0].relay, "mx.example[192.0.2.1]:25") == 0 &&
	               strcmp(st.rcpts[0].reply, "250 2.0.0 Ok") == 0,
	       "rcpt 0: %s", shows(st.rcpts[0].reply));
	EXPECT(st.rcpts[1].status == RCPT_FAILED && st.rcpts[1].code == 550 &&
	               strcmp(st.rcpts[1].reply, "550 5.1.1 No such user") == 0,
	       "rcpt 1: %s", shows(st.rcpts[1].reply));
	EXPECT(st.rcpts[2].status == RCPT_PENDING && st.rcpts[2].code == 0, "rcpt 2 not pending");
	qstate_release(&st);
	/* "-" is "none" */
	static const char dash[] = MAGIC "rcpt 0 passed 250 - - \n" END;
	assert_int_equal(qstate_decode(dash, sizeof(dash) - 1, 1, &st, err, sizeof(err)), 0);
	EXPECT(st.rcpts[0].status == RCPT_PASSED && st.rcpts[0].dsn[0] == '\0' &&
	               st.rcpts[0].relay[0] == '\0' && st.rcpts[0].reply[0] == '\0',
	       "dashes not read as empty");
	qstate_release(&st);
	/* 8-bit octets and controls in the file are cleaned like qstate_set_reply does */
	static const char dirty[] = MAGIC "rcpt 0 failed 550 5.1.1 r caf\xc3\xa9\x01\r\n" END;
	assert_int_equal(qstate_decode(dirty, sizeof(dirty) - 1, 1, &st, err, sizeof(err)), 0);
	EXPECT(strcmp(st.rcpts[0].reply, "caf??? ") == 0, "reply %s", shows(st.rcpts[0].reply));
	qstate_release(&st);
	ALL_PASSED();
}

/*
 * A state file cut short anywhere is refused: the file is replaced atomically,
 * so a short one is damaged, and its last line ("end") is not there whole until
 * its newline is. qstate_peek agrees.
 */
static void test_truncated(void **state)
{
	(void)state;
	struct qstate st;
	struct buf b;

	sample(&st);
	buf_init(&b);
	qstate_encode(&st, &b);
	qstate_release(&st);
	for (size_t n = 0; n < b.len; n++) {
		char err[256] = "";
		int rc = qstate_decode(b.data, n, NR, &st, err, sizeof(err));
		EXPECT(rc == -1 && fresh(&st, NR), "cut at %zu of %zu (...%s): rc %d", n, b.len,
		       show(b.data + (n > 12 ? n - 12 : 0), n > 12 ? 12 : n), rc);
		qstate_release(&st);
		uint64_t next;
		bool held, bulk;
		rc = qstate_peek(b.data, n, &next, &held, &bulk, NULL);
		EXPECT(rc == -1, "peek, cut at %zu of %zu (...%s): rc %d", n, b.len,
		       show(b.data + (n > 12 ? n - 12 : 0), n > 12 ? 12 : n), rc);
	}
	buf_release(&b);
	ALL_PASSED();
}

/* a NUL in place of any octet of a good file: refused whole */
static void test_corrupt_octets(void **state)
{
	(void)state;
	static const char good[] = HEAD R0 R1 END;
	char bad[sizeof(good)];

	for (size_t i = 0; i < sizeof(good) - 1; i++) {
		memcpy(bad, good, sizeof(good));
		bad[i] = '\0';
		struct qstate st;
		char err[256] = "";
		int rc = qstate_decode(bad, sizeof(good) - 1, 2, &st, err, sizeof(err));
		EXPECT(rc == -1 && fresh(&st, 2), "NUL at %zu accepted", i);
		qstate_release(&st);
	}
	ALL_PASSED();
}

/* --- qstate_peek ------------------------------------------------------------ */

struct peek_row {
	const char *in;
	size_t n;
	int rc;
	uint64_t next;
	bool held, bulk;
};

static const struct peek_row peek_rows[] = {
        {RAW(HEAD R0 R1 END), 0, 3000, false, false},
        {RAW(MAGIC END), 0, 0, false, false},
        {RAW(MAGIC "next 42\nheld 1\n" END), 0, 42, true, false},
        {RAW(MAGIC "held 1\nnext 18446744073709551615\n" END), 0, UINT64_MAX, true, false},
        {RAW(MAGIC "held 0\nbulk 0\n" END), 0, 0, false, false},
        {RAW(MAGIC "bulk 1\nnext 7\n" END), 0, 7, false, true},
        /* a recipient's reply cannot pass for an item: items start their line */
        {RAW(MAGIC "rcpt 0 failed 550 - - held 1\n" END), 0, 0, false, false},
        {RAW(MAGIC "rcpt 0 failed 550 - - bulk 1\n" END), 0, 0, false, false},
        /* no end, no magic: refused */
        {RAW(""), -1, 0, false, false},
        {RAW(MAGIC), -1, 0, false, false},
        {RAW(MAGIC "next 42\nheld 1\n"), -1, 0, false, false},
        {RAW(HEAD R0 R1), -1, 0, false, false},
        {RAW(END), -1, 0, false, false},
        {RAW("next 42\n" END), -1, 0, false, false},
        {RAW("postern-state 2\nnext 42\n" END), -1, 0, false, false},
        {RAW("postern-state 1 \n" END), -1, 0, false, false},
};

/* a hold by the kill switch: written only when set, read back by decode and peek */
static void test_suspended_hold(void **state)
{
	struct qstate st, back;
	struct buf b;
	char err[128];
	uint64_t next;
	bool held, bulk;
	int why;

	(void)state;
	qstate_init(&st, 1);
	buf_init(&b);
	qstate_encode(&st, &b);
	EXPECT(strstr(b.data, "suspended") == NULL, "written when not set: %s", b.data);
	buf_reset(&b);
	st.held = st.held_suspended = true;
	qstate_encode(&st, &b);
	EXPECT(strstr(b.data, "held 1\n") && strstr(b.data, "suspended 1\n"), "%s", b.data);
	EXPECT(qstate_decode(b.data, b.len, 1, &back, err, sizeof(err)) == 0 && back.held &&
	               back.held_suspended,
	       "decode: %s", err);
	EXPECT(qstate_peek(b.data, b.len, &next, &held, &bulk, &why) == 0 && held &&
	               why == QSTATE_HELD_SUSPENDED,
	       "peek");
	/* held by the scanners: quarantined */
	buf_reset(&b);
	st.held_suspended = false;
	st.held_quarantine = true;
	qstate_encode(&st, &b);
	EXPECT(strstr(b.data, "quarantined 1\n") != NULL, "%s", b.data);
	EXPECT(qstate_peek(b.data, b.len, &next, &held, &bulk, &why) == 0 && held &&
	               why == QSTATE_HELD_QUARANTINE,
	       "peek quarantined");
	qstate_release(&back);
	/* "suspended 1" without "held 1" is no hold at all */
	const char lone[] = "postern-state 1\nsuspended 1\nend\n";
	EXPECT(qstate_peek(lone, sizeof(lone) - 1, &next, &held, &bulk, &why) == 0 && !held &&
	               why == QSTATE_HELD_ADMIN,
	       "lone suspended");
	buf_release(&b);
	qstate_release(&st);
	ALL_PASSED();
}

static void test_peek_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(peek_rows); i++) {
		const struct peek_row *r = &peek_rows[i];
		uint64_t next = 12345;
		bool held = true, bulk = true;
		int rc = qstate_peek(r->in, r->n, &next, &held, &bulk, NULL);
		EXPECT(rc == r->rc, "row %zu %s: rc %d, expected %d", i, show(r->in, r->n), rc,
		       r->rc);
		if (rc == 0 && r->rc == 0)
			EXPECT(next == r->next && held == r->held && bulk == r->bulk,
			       "row %zu %s: next %" PRIu64 " held %d bulk %d", i, show(r->in, r->n),
			       next, held, bulk);
	}
	ALL_PASSED();
}

/*
 * qstate_peek reads a file of any number of recipients, with replies of any
 * length, and allocates nothing for them (start-up peeks at every message).
 */
static void test_peek_many(void **state)
{
	(void)state;
	struct qstate st;
	struct buf b;
	char label[32];

	qstate_init(&st, 10000);
	st.next_ms = 1700000999000ULL;
	st.held = true;
	st.bulk = true;
	for (size_t i = 0; i < st.nrcpts; i++) {
		static const char longtext[] =
		        "550 5.7.1 This message was rejected because it looks like spam to us, "
		        "please see https://www.example.net/policy/5.7.1 for details";
		st.rcpts[i].status = (enum rcpt_status)(i % 4);
		qstate_set_reply(&st.rcpts[i], 550, "5.7.1", "mx.example[192.0.2.1]:25", longtext);
	}
	buf_init(&b);
	qstate_encode(&st, &b);
	snprintf(label, sizeof(label), "%zu recipients", st.nrcpts);
	check_round_trip(label, &st);

	uint64_t next = 0;
	bool held = false, bulk = false;
	nallocs = 0;
#ifdef COUNT_ALLOCS
	__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
#endif
	int rc = qstate_peek(b.data, b.len, &next, &held, &bulk, NULL);
#ifdef COUNT_ALLOCS
	__sanitizer_install_malloc_and_free_hooks(NULL, NULL);
#endif
	EXPECT(rc == 0 && next == st.next_ms && held && bulk,
	       "peek: rc %d next %" PRIu64 " held %d bulk %d", rc, next, held, bulk);
	EXPECT(nallocs == 0, "peek allocated %zu times", nallocs);
#ifdef COUNT_ALLOCS
	/* the counter works: decoding the same file allocates */
	struct qstate st2;
	char err[256];
	nallocs = 0;
	__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
	rc = qstate_decode(b.data, b.len, st.nrcpts, &st2, err, sizeof(err));
	__sanitizer_install_malloc_and_free_hooks(NULL, NULL);
	EXPECT(rc == 0 && nallocs > 0, "decode: rc %d, %zu allocations counted", rc, nallocs);
	qstate_release(&st2);
#endif
	qstate_release(&st);
	buf_release(&b);
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_status_names),
	        cmocka_unit_test(test_set_reply),   cmocka_unit_test(test_set_reply_bounds),
	        cmocka_unit_test(test_decode_rows), cmocka_unit_test(test_decode_values),
	        cmocka_unit_test(test_truncated),   cmocka_unit_test(test_corrupt_octets),
	        cmocka_unit_test(test_peek_rows),   cmocka_unit_test(test_suspended_hold),
	        cmocka_unit_test(test_peek_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
