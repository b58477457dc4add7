/*
 * qrecord_test.c - queue files: round trips of envelopes, headers and bodies,
 * then corruption. Every corrupt file (truncated at every length, every byte
 * changed to every other value, misplaced, missing or unknown records, wrong
 * magic) must be refused whole, with a message, and leave nothing behind.
 */
#include "qrecord.h"

#include <inttypes.h>
#include <stdlib.h>

#include "crc32.h"
#include "envelope.h"
#include "unit.h"

/* append the E record for everything in b so far */
static void finish(struct buf *b)
{
	qrec_put_end(b, b->len, crc32_update(0, b->data, b->len));
}

static void put_s(struct buf *b, enum qrec_type t, const char *s)
{
	qrec_put(b, t, s, strlen(s));
}

#define ID_SAMPLE 0x0123456789abcdefULL

static void env_full(struct envelope *e)
{
	envelope_init(e);
	e->id = ID_SAMPLE;
	e->arrival_ms = 1700000000123ULL;
	envelope_set(&e->source, "billing");
	envelope_set(&e->client, "192.0.2.7");
	envelope_set(&e->helo, "client.example");
	envelope_set(&e->sender, "bounce+x@example.com");
	e->body = BODY_8BITMIME;
	e->smtputf8 = true;
	e->ret = DSN_RET_HDRS;
	envelope_set(&e->envid, "QQ314159+2B1");
	envelope_add_rcpt(e, "a@example.org", DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE,
	                  "rfc822;a+40example.org");
	envelope_add_rcpt(e, "b@example.net", 0, NULL);
	envelope_add_rcpt(e, "c@\xc3\xa9.example", DSN_NOTIFY_NEVER, "utf-8;c@\xc3\xa9.example");
	envelope_add_rcpt(e, "d@example.com", DSN_NOTIFY_DELAY | DSN_NOTIFY_FAILURE, NULL);
}

static void env_minimal(struct envelope *e)
{
	envelope_init(e);
	e->id = 1;
	envelope_set(&e->sender, ""); /* the null reverse-path */
	envelope_add_rcpt(e, "x@y", 0, NULL);
}

static void env_full_ret(struct envelope *e)
{
	env_full(e);
	e->ret = DSN_RET_FULL;
	e->smtputf8 = false;
	e->body = BODY_7BIT;
	envelope_set(&e->helo, NULL);
	envelope_set(&e->envid, NULL);
}

static void env_many(struct envelope *e)
{
	char addr[64];

	env_minimal(e);
	e->id = UINT64_MAX;
	e->arrival_ms = UINT64_MAX;
	envelope_set(&e->sender, "s@example.com");
	for (int k = 0; k < 200; k++) {
		snprintf(addr, sizeof(addr), "r%d@example.org", k);
		envelope_add_rcpt(e, addr, (unsigned)(k % 16), k % 3 ? addr : NULL);
	}
}

struct rt_row {
	const char *name;
	void (*env)(struct envelope *);
	const char *header;
	size_t hlen;
	int nbody;      /* body records */
	size_t bodylen; /* octets in each */
};

static const struct rt_row rt_rows[] = {
        {"full envelope", env_full, RAW("From: a@b\r\nTo: c@d\r\nSubject: x\r\n"), 2, 7},
        {"minimal envelope, no body", env_minimal, RAW("From: a@b\r\n"), 0, 0},
        {"RET=FULL, no helo, no envid", env_full_ret, RAW("X: y\r\n"), 1, 0},
        {"200 recipients", env_many, RAW("X: y\r\n"), 1, 1},
        {"empty header, binary body", env_minimal, RAW(""), 3, QREC_BODY_CHUNK},
        {"NUL in the header", env_minimal, RAW("X: a\0b\r\n"), 1, 3},
};

static void env_expect_equal(const char *name, const struct envelope *a, const struct envelope *b)
{
#define SEQ(x, y) (((x) == NULL && (y) == NULL) || ((x) && (y) && strcmp((x), (y)) == 0))
	EXPECT(a->id == b->id, "%s: id", name);
	EXPECT(a->arrival_ms == b->arrival_ms, "%s: arrival_ms", name);
	EXPECT(SEQ(a->helo, b->helo), "%s: helo %s vs %s", name, shows(a->helo), shows(b->helo));
	EXPECT(SEQ(a->sender, b->sender), "%s: sender %s vs %s", name, shows(a->sender),
	       shows(b->sender));
	EXPECT(SEQ(a->envid, b->envid), "%s: envid %s vs %s", name, shows(a->envid),
	       shows(b->envid));
	/* source and client are always written, "" when unset */
	EXPECT(strcmp(a->source ? a->source : "", b->source ? b->source : "") == 0, "%s: source",
	       name);
	EXPECT(strcmp(a->client ? a->client : "", b->client ? b->client : "") == 0, "%s: client",
	       name);
	EXPECT(a->body == b->body && a->smtputf8 == b->smtputf8 && a->ret == b->ret,
	       "%s: body %d/%d smtputf8 %d/%d ret %d/%d", name, a->body, b->body, a->smtputf8,
	       b->smtputf8, a->ret, b->ret);
	EXPECT(a->nrcpts == b->nrcpts, "%s: %zu recipients, expected %zu", name, a->nrcpts,
	       b->nrcpts);
	for (size_t k = 0; k < a->nrcpts && k < b->nrcpts; k++) {
		const struct envelope_rcpt *x = &a->rcpts[k], *y = &b->rcpts[k];
		EXPECT(SEQ(x->addr, y->addr) && x->notify == y->notify && SEQ(x->orcpt, y->orcpt),
		       "%s: recipient %zu: %s %u %s vs %s %u %s", name, k, shows(x->addr),
		       x->notify, shows(x->orcpt), shows(y->addr), y->notify, shows(y->orcpt));
	}
#undef SEQ
}

/* the file of a row: envelope, H, body records of a known pattern, E */
static void build(const struct rt_row *r, struct envelope *env, struct buf *b)
{
	r->env(env);
	buf_init(b);
	qrec_put_envelope(b, env);
	qrec_put(b, QREC_HEADER, r->header, r->hlen);
	for (int k = 0; k < r->nbody; k++) {
		char *chunk = malloc(r->bodylen + 1);
		assert_non_null(chunk);
		for (size_t j = 0; j < r->bodylen; j++)
			chunk[j] = (char)(j * 7 + (size_t)k);
		qrec_put(b, QREC_BODY, chunk, r->bodylen);
		free(chunk);
	}
	finish(b);
}

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rt_rows); i++) {
		const struct rt_row *r = &rt_rows[i];
		struct envelope env;
		struct buf b;
		struct qmsg m;
		char err[256] = "";
		build(r, &env, &b);
		int rc = qrec_parse(b.data, b.len, &m, err, sizeof(err));
		EXPECT(rc == 0, "%s: rc %d: %s", r->name, rc, err);
		if (rc == 0) {
			env_expect_equal(r->name, &m.env, &env);
			EXPECT(m.header.n == r->hlen && memcmp(m.header.p, r->header, r->hlen) == 0,
			       "%s: header %s", r->name, show(m.header.p, m.header.n));
			EXPECT(m.header.p >= b.data && m.header.p + m.header.n <= b.data + b.len,
			       "%s: header span not in the file", r->name);
			EXPECT(m.nbody == (size_t)r->nbody, "%s: %zu body records", r->name,
			       m.nbody);
			for (size_t k = 0; k < m.nbody && k < (size_t)r->nbody; k++) {
				bool same = m.body[k].n == r->bodylen;
				for (size_t j = 0; same && j < r->bodylen; j++)
					same = m.body[k].p[j] == (char)(j * 7 + k);
				EXPECT(same, "%s: body record %zu differs", r->name, k);
			}
			uint64_t size = r->hlen + 2 + (uint64_t)r->nbody * r->bodylen;
			EXPECT(m.size == size, "%s: size %" PRIu64 ", expected %" PRIu64, r->name,
			       m.size, size);
			qmsg_release(&m);
			EXPECT(m.body == NULL && m.env.sender == NULL && m.env.rcpts == NULL,
			       "%s: qmsg_release left something", r->name);
		}
		envelope_release(&env);
		buf_release(&b);
	}
	ALL_PASSED();
}

/* qrec_put framing: type, 4-octet big-endian length, payload */
static void test_framing(void **state)
{
	struct buf b;
	char payload[300];

	(void)state;
	memset(payload, 'p', sizeof(payload));
	buf_init(&b);
	qrec_put(&b, QREC_BODY, payload, sizeof(payload));
	qrec_put(&b, QREC_HEADER, "", 0);
	assert_int_equal(b.len, 5 + 300 + 5);
	assert_memory_equal(b.data, "B\x00\x00\x01\x2c", 5);
	assert_memory_equal(b.data + 305, "H\x00\x00\x00\x00", 5);
	buf_reset(&b);
	qrec_put_end(&b, 0x0102030405060708ULL, 0xa1b2c3d4u);
	assert_int_equal(b.len, QREC_END_LEN);
	assert_memory_equal(b.data,
	                    "E\x00\x00\x00\x0c\x01\x02\x03\x04\x05\x06\x07\x08\xa1\xb2\xc3\xd4",
	                    QREC_END_LEN);
	buf_release(&b);
}

/*
 * Corrupt files, one builder each. Builders that keep the E record valid
 * (recomputed) test the structure checks that come before the checksum.
 */
typedef void (*build_fn)(struct buf *b);

static void sample_env(struct envelope *e)
{
	env_full(e);
}

/* the sample file up to (not including) H */
static void envelope_part(struct buf *b)
{
	struct envelope e;

	sample_env(&e);
	qrec_put_envelope(b, &e);
	envelope_release(&e);
}

static void header_part(struct buf *b)
{
	put_s(b, QREC_HEADER, "From: a@b\r\n");
}

static void body_part(struct buf *b)
{
	put_s(b, QREC_BODY, "body\r\n");
}

static void good_file(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	body_part(b);
	finish(b);
}

static void c_empty(struct buf *b)
{
	(void)b;
}
static void c_no_end(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	body_part(b);
}
static void c_end_not_last(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	finish(b);
	body_part(b);
}
static void c_end_twice(struct buf *b)
{
	good_file(b);
	finish(b);
}
static void c_end_wrong_total(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	qrec_put_end(b, b->len + 1, crc32_update(0, b->data, b->len));
}
static void c_end_wrong_crc(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	qrec_put_end(b, b->len, crc32_update(0, b->data, b->len) ^ 1u);
}
static void c_end_short(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	qrec_put(b, QREC_END, "01234567890", 11);
}
static void c_end_long(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	qrec_put(b, QREC_END, "0123456789012", 13);
}
static void c_end_only(struct buf *b)
{
	finish(b);
}
static void c_end_length_past(struct buf *b)
{
	good_file(b);
	b->data[b->len - 12 - 1] = 13; /* E's length octet */
}
static void c_length_past(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	unsigned char h[5] = {'B', 0, 0, 0x10, 0};
	buf_append(b, h, 5);
	buf_append(b, "short", 5);
}
static void c_length_huge(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	unsigned char h[5] = {'B', 0xff, 0xff, 0xff, 0xff};
	buf_append(b, h, 5);
	body_part(b);
	finish(b);
}
static void c_truncated_header(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	buf_append(b, "B\0\0", 3);
}
static void c_truncated_after_end(struct buf *b)
{
	good_file(b);
	buf_append(b, "B\0\0", 3);
}
static void c_unknown_type(struct buf *b)
{
	envelope_part(b);
	put_s(b, (enum qrec_type)'Z', "future");
	header_part(b);
	finish(b);
}
static void c_unknown_lower(struct buf *b)
{
	envelope_part(b);
	put_s(b, (enum qrec_type)'s', "evil@example.com");
	header_part(b);
	finish(b);
}
static void c_unknown_after_h(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	put_s(b, (enum qrec_type)'b', "body\r\n");
	finish(b);
}
static void c_unknown_nul(struct buf *b)
{
	envelope_part(b);
	qrec_put(b, (enum qrec_type)0, "", 0);
	header_part(b);
	finish(b);
}
static void c_wrong_magic(struct buf *b)
{
	struct buf t;

	buf_init(&t);
	envelope_part(&t);
	put_s(b, QREC_VERSION, "POSTERN-QUEUE/2");
	size_t skip = QREC_HDR_LEN + strlen(QREC_MAGIC);
	buf_append(b, t.data + skip, t.len - skip);
	buf_release(&t);
	header_part(b);
	finish(b);
}
static void c_magic_long(struct buf *b)
{
	put_s(b, QREC_VERSION, "POSTERN-QUEUE/1x");
	finish(b);
}
static void c_magic_short(struct buf *b)
{
	put_s(b, QREC_VERSION, "POSTERN-QUEUE/");
	finish(b);
}
static void c_not_v_first(struct buf *b)
{
	put_s(b, QREC_ID, "0123456789abcdef");
	envelope_part(b);
	header_part(b);
	finish(b);
}
static void c_v_twice(struct buf *b)
{
	envelope_part(b);
	put_s(b, QREC_VERSION, QREC_MAGIC);
	header_part(b);
	finish(b);
}
static void c_s_after_h(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	put_s(b, QREC_SENDER, "evil@example.com");
	finish(b);
}
static void c_r_after_h(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	body_part(b);
	qrec_put(b, QREC_RCPT,
	         "evil@example.com\0"
	         "0\0",
	         19);
	finish(b);
}
static void c_a_after_h(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	put_s(b, QREC_ATTR, "body=8bitmime");
	finish(b);
}
/* an attribute after the content is allowed: what only the content told */
static void test_late_attribute(void **state)
{
	struct buf b;
	struct qmsg m;
	char err[256];

	(void)state;
	buf_init(&b);
	c_a_after_h(&b);
	assert_int_equal(qrec_parse(b.data, b.len, &m, err, sizeof(err)), 0);
	assert_int_equal(m.env.body, BODY_8BITMIME);
	qmsg_release(&m);
	buf_release(&b);
}

static void c_i_after_h(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	put_s(b, QREC_ID, "0000000000000001");
	finish(b);
}
static void c_v_after_h(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	put_s(b, QREC_VERSION, QREC_MAGIC);
	finish(b);
}
static void c_h_twice(struct buf *b)
{
	envelope_part(b);
	header_part(b);
	body_part(b);
	put_s(b, QREC_HEADER, "Bcc: evil@example.com\r\n");
	finish(b);
}
static void c_b_before_h(struct buf *b)
{
	envelope_part(b);
	body_part(b);
	header_part(b);
	finish(b);
}
static void c_s_after_b(struct buf *b)
{
	envelope_part(b);
	body_part(b);
	put_s(b, QREC_SENDER, "evil@example.com");
	header_part(b);
	finish(b);
}
static void c_h_twice_around_b(struct buf *b)
{
	envelope_part(b);
	body_part(b);
	header_part(b);
	body_part(b);
	header_part(b);
	finish(b);
}
static void c_no_header(struct buf *b)
{
	envelope_part(b);
	finish(b);
}
static void c_no_id(struct buf *b)
{
	put_s(b, QREC_VERSION, QREC_MAGIC);
	put_s(b, QREC_SENDER, "s@example.com");
	qrec_put(b, QREC_RCPT,
	         "r@example.com\0"
	         "0\0",
	         16);
	header_part(b);
	finish(b);
}
static void c_no_sender(struct buf *b)
{
	put_s(b, QREC_VERSION, QREC_MAGIC);
	put_s(b, QREC_ID, "0123456789abcdef");
	qrec_put(b, QREC_RCPT,
	         "r@example.com\0"
	         "0\0",
	         16);
	header_part(b);
	finish(b);
}
static void c_no_rcpt(struct buf *b)
{
	put_s(b, QREC_VERSION, QREC_MAGIC);
	put_s(b, QREC_ID, "0123456789abcdef");
	put_s(b, QREC_SENDER, "s@example.com");
	header_part(b);
	finish(b);
}

/*
 * a file whose one extra envelope record (before H) is given as type and
 * payload; the sample envelope already has I, T, O, C, G and S, so an extra
 * one of these with bad content must still be reported as a bad record
 */
static void with_record(struct buf *b, enum qrec_type t, const char *p, size_t n)
{
	envelope_part(b);
	qrec_put(b, t, p, n);
	header_part(b);
	finish(b);
}
#define WITH(fn, t, payload)                                                                       \
	static void fn(struct buf *b)                                                              \
	{                                                                                          \
		with_record(b, t, RAW(payload));                                                   \
	}
WITH(c_id_upper, QREC_ID, "0123456789ABCDEF")
WITH(c_id_short, QREC_ID, "0123456789abcde")
WITH(c_id_long, QREC_ID, "0123456789abcdef0")
WITH(c_id_nonhex, QREC_ID, "0123456789abcdeg")
WITH(c_time_empty, QREC_TIME, "")
WITH(c_time_alpha, QREC_TIME, "12a")
WITH(c_time_neg, QREC_TIME, "-1")
WITH(c_time_long, QREC_TIME, "000000000000000000000001")
WITH(c_time_overflow, QREC_TIME, "18446744073709551616")
WITH(c_attr_no_eq, QREC_ATTR, "body")
WITH(c_attr_nul, QREC_ATTR, "envid=a\0b")
WITH(c_rcpt_no_nul, QREC_RCPT, "a@b")
WITH(c_rcpt_one_nul, QREC_RCPT,
     "a@b\0"
     "0")
WITH(c_rcpt_empty_addr, QREC_RCPT,
     "\0"
     "0\0")
WITH(c_rcpt_notify_big, QREC_RCPT,
     "a@b\0"
     "16\0")
WITH(c_rcpt_notify_alpha, QREC_RCPT, "a@b\0x\0")
WITH(c_rcpt_notify_empty, QREC_RCPT, "a@b\0\0")
WITH(c_rcpt_orcpt_nul, QREC_RCPT,
     "a@b\0"
     "0\0rfc822;a\0b")
WITH(c_sender_nul, QREC_SENDER, "a@b\0evil@x")
WITH(c_source_nul, QREC_SOURCE, "a\0b")
WITH(c_client_nul, QREC_CLIENT, "a\0b")
WITH(c_helo_nul, QREC_HELO, "a\0b")
/* duplicated single-valued envelope records: the file says two things at once */
WITH(c_dup_id, QREC_ID, "0000000000000001")
WITH(c_dup_time, QREC_TIME, "1")
WITH(c_dup_source, QREC_SOURCE, "other")
WITH(c_dup_client, QREC_CLIENT, "198.51.100.1")
WITH(c_dup_helo, QREC_HELO, "other.example")
WITH(c_dup_sender, QREC_SENDER, "evil@example.com")

struct corrupt_row {
	const char *name;
	build_fn build;
	const char *err; /* a substring of the message */
};

static const struct corrupt_row corrupt_rows[] = {
        {"zero-length file", c_empty, "no end record"},
        {"E record missing", c_no_end, "no end record"},
        {"E not last", c_end_not_last, "end record misplaced"},
        {"E twice", c_end_twice, "end record misplaced"},
        {"E with wrong total", c_end_wrong_total, "checksum mismatch"},
        {"E with wrong CRC", c_end_wrong_crc, "checksum mismatch"},
        {"E of 11 octets", c_end_short, "end record misplaced"},
        {"E of 13 octets", c_end_long, "end record misplaced"},
        {"E alone", c_end_only, "not a queue file"},
        {"E length past the end", c_end_length_past, "runs past the end"},
        {"record length past the end", c_length_past, "runs past the end"},
        {"record length 0xffffffff", c_length_huge, "runs past the end"},
        {"truncated record header", c_truncated_header, "truncated record"},
        {"octets after E", c_truncated_after_end, "end record misplaced"},
        {"unknown record type", c_unknown_type, "unknown record type 0x5a"},
        {"lower-case record type", c_unknown_lower, "unknown record type 0x73"},
        {"unknown type after H", c_unknown_after_h, "record 'b' after the content"},
        {"record type NUL", c_unknown_nul, "unknown record type 0x00"},
        {"wrong magic", c_wrong_magic, "not a queue file"},
        {"magic too long", c_magic_long, "not a queue file"},
        {"magic too short", c_magic_short, "not a queue file"},
        {"first record not V", c_not_v_first, "not a queue file"},
        {"V twice", c_v_twice, "bad 'V' record"},
        {"S after H", c_s_after_h, "record 'S' after the content"},
        {"R after H and B", c_r_after_h, "record 'R' after the content"},
        {"I after H", c_i_after_h, "record 'I' after the content"},
        {"V after H", c_v_after_h, "record 'V' after the content"},
        {"H twice", c_h_twice, "record 'H' repeated"},
        {"S after B", c_s_after_b, "record 'S' after the content"},
        {"B, H, B, H", c_h_twice_around_b, "record 'H' repeated"},
        {"no H", c_no_header, "incomplete envelope"},
        {"no I", c_no_id, "incomplete envelope"},
        {"no S", c_no_sender, "incomplete envelope"},
        {"no R", c_no_rcpt, "incomplete envelope"},
        {"I upper-case", c_id_upper, "bad 'I' record"},
        {"I of 15", c_id_short, "bad 'I' record"},
        {"I of 17", c_id_long, "bad 'I' record"},
        {"I not hex", c_id_nonhex, "bad 'I' record"},
        {"T empty", c_time_empty, "bad 'T' record"},
        {"T not a number", c_time_alpha, "bad 'T' record"},
        {"T negative", c_time_neg, "bad 'T' record"},
        {"T of 24 digits", c_time_long, "bad 'T' record"},
        {"T overflow", c_time_overflow, "bad 'T' record"},
        {"A without '='", c_attr_no_eq, "bad 'A' record"},
        {"A with NUL", c_attr_nul, "bad 'A' record"},
        {"R without NUL", c_rcpt_no_nul, "bad 'R' record"},
        {"R with one NUL", c_rcpt_one_nul, "bad 'R' record"},
        {"R empty address", c_rcpt_empty_addr, "bad 'R' record"},
        {"R notify 16", c_rcpt_notify_big, "bad 'R' record"},
        {"R notify not a number", c_rcpt_notify_alpha, "bad 'R' record"},
        {"R notify empty", c_rcpt_notify_empty, "bad 'R' record"},
        {"R orcpt with NUL", c_rcpt_orcpt_nul, "bad 'R' record"},
        {"S with NUL", c_sender_nul, "bad 'S' record"},
        {"O with NUL", c_source_nul, "bad 'O' record"},
        {"C with NUL", c_client_nul, "bad 'C' record"},
        {"G with NUL", c_helo_nul, "bad 'G' record"},
        /* regression: a second single-valued envelope record was accepted, the last winning */
        {"I twice", c_dup_id, "record 'I' repeated at offset"},
        {"T twice", c_dup_time, "record 'T' repeated at offset"},
        {"O twice", c_dup_source, "record 'O' repeated at offset"},
        {"C twice", c_dup_client, "record 'C' repeated at offset"},
        {"G twice", c_dup_helo, "record 'G' repeated at offset"},
        {"S twice", c_dup_sender, "record 'S' repeated at offset"},
};

/* a refused parse: -1, a message, and an empty qmsg */
static void expect_refused(const char *what, const char *p, size_t n, const char *want_err)
{
	struct qmsg m;
	char err[256];

	memset(err, 0, sizeof(err));
	int rc = qrec_parse(p, n, &m, err, sizeof(err));
	EXPECT(rc == -1, "%s: the file was accepted", what);
	if (rc == 0) {
		qmsg_release(&m);
		return;
	}
	EXPECT(err[0] != '\0', "%s: no message", what);
	if (want_err)
		EXPECT(strstr(err, want_err) != NULL, "%s: message \"%s\", expected \"%s\"", what,
		       err, want_err);
	EXPECT(m.body == NULL && m.nbody == 0 && m.env.sender == NULL && m.env.rcpts == NULL &&
	               m.env.nrcpts == 0 && m.header.p == NULL,
	       "%s: qmsg not empty after -1", what);
}

static void test_corrupt_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(corrupt_rows); i++) {
		const struct corrupt_row *r = &corrupt_rows[i];
		struct buf b;
		buf_init(&b);
		r->build(&b);
		/* an exact-size copy, so ASan sees any read past the file */
		char *copy = malloc(b.len ? b.len : 1);
		assert_non_null(copy);
		if (b.len > 0)
			memcpy(copy, b.data, b.len);
		expect_refused(r->name, copy, b.len, r->err);
		free(copy);
		buf_release(&b);
	}
	ALL_PASSED();
}

/* the good file is accepted (the builders above start from it) */
static void test_good_file(void **state)
{
	struct buf b;
	struct qmsg m;
	char err[256] = "";

	(void)state;
	buf_init(&b);
	good_file(&b);
	assert_int_equal(qrec_parse(b.data, b.len, &m, err, sizeof(err)), 0);
	assert_int_equal(m.nbody, 1);
	assert_int_equal(m.env.nrcpts, 4);
	qmsg_release(&m);
	buf_release(&b);
}

/* a signed message is written with its header after the body: the same message */
static void test_header_after_body(void **state)
{
	struct buf b;
	struct qmsg m;
	char err[256] = "";

	(void)state;
	buf_init(&b);
	c_b_before_h(&b);
	assert_int_equal(qrec_parse(b.data, b.len, &m, err, sizeof(err)), 0);
	assert_int_equal(m.nbody, 1);
	assert_int_equal(m.header.n, strlen("From: a@b\r\n"));
	assert_memory_equal(m.header.p, "From: a@b\r\n", m.header.n);
	assert_memory_equal(m.body[0].p, "body\r\n", 6);
	assert_int_equal(m.size, m.header.n + 2 + 6);
	qmsg_release(&m);
	buf_release(&b);
}

/* every proper prefix of a good file is refused */
static void test_truncated_every_length(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rt_rows); i++) {
		struct envelope env;
		struct buf b;
		build(&rt_rows[i], &env, &b);
		envelope_release(&env);
		size_t step = b.len > 5000 ? 97 : 1; /* the 192 KiB body row: sample */
		for (size_t n = 0; n < b.len; n += step) {
			char *copy = malloc(n ? n : 1);
			assert_non_null(copy);
			memcpy(copy, b.data, n);
			char what[128];
			snprintf(what, sizeof(what), "%s truncated to %zu of %zu", rt_rows[i].name,
			         n, b.len);
			expect_refused(what, copy, n, NULL);
			free(copy);
		}
		buf_release(&b);
	}
	ALL_PASSED();
}

/* every octet of a good file changed to each of the 255 other values is refused */
static void test_every_byte_flipped(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	good_file(&b);
	char *copy = malloc(b.len);
	assert_non_null(copy);
	for (size_t pos = 0; pos < b.len; pos++) {
		for (unsigned x = 1; x < 256; x++) {
			memcpy(copy, b.data, b.len);
			copy[pos] = (char)((unsigned char)copy[pos] ^ x);
			char what[96];
			snprintf(what, sizeof(what), "octet %zu of %zu xor 0x%02x", pos, b.len, x);
			expect_refused(what, copy, b.len, NULL);
		}
	}
	free(copy);
	buf_release(&b);
	ALL_PASSED();
}

/*
 * the exact message for a repeated single-valued envelope record: it names the
 * record and the offset of the second one (just after the sample envelope)
 */
static void test_repeated_record_offset(void **state)
{
	static const struct {
		enum qrec_type t;
		const char *payload;
	} dups[] = {
	        {QREC_ID, "0000000000000001"}, {QREC_TIME, "1"},         {QREC_SOURCE, "other"},
	        {QREC_CLIENT, "198.51.100.1"}, {QREC_HELO, "h.example"}, {QREC_SENDER, "e@x"},
	};
	struct buf e;

	(void)state;
	buf_init(&e);
	envelope_part(&e);
	for (size_t i = 0; i < NELEM(dups); i++) {
		struct buf b;
		struct qmsg m;
		char err[256] = "", want[96];
		buf_init(&b);
		with_record(&b, dups[i].t, dups[i].payload, strlen(dups[i].payload));
		snprintf(want, sizeof(want), "record '%c' repeated at offset %zu", (char)dups[i].t,
		         e.len);
		int rc = qrec_parse(b.data, b.len, &m, err, sizeof(err));
		EXPECT(rc == -1 && strcmp(err, want) == 0,
		       "'%c' twice: rc %d, message \"%s\", expected \"%s\"", (char)dups[i].t, rc,
		       err, want);
		if (rc == 0)
			qmsg_release(&m);
		buf_release(&b);
	}
	buf_release(&e);
	ALL_PASSED();
}

/*
 * regression: put_attr() formatted "key=value" into a char tmp[256] and
 * appended snprintf's return value of octets, reading past tmp for an envid
 * over 249 octets (a stack over-read; garbage in the spool file). ESMTP bounds
 * ENVID to 100, but qrec_put_envelope's contract has no limit.
 */
static void test_long_envid(void **state)
{
	static const size_t lens[] = {1, 248, 249, 250, 251, 255, 256, 300, 1000, 5000};
	char envid[5001];

	(void)state;
	for (size_t i = 0; i < NELEM(lens); i++) {
		struct envelope env;
		struct buf b;
		struct qmsg m;
		char err[256] = "";
		size_t n = lens[i];
		memset(envid, 'e', n);
		envid[n] = '\0';
		env_minimal(&env);
		envelope_set(&env.envid, envid);
		buf_init(&b);
		qrec_put_envelope(&b, &env);
		header_part(&b);
		finish(&b);
		int rc = qrec_parse(b.data, b.len, &m, err, sizeof(err));
		EXPECT(rc == 0 && m.env.envid && strcmp(m.env.envid, envid) == 0,
		       "an envid of %zu octets does not round-trip: rc %d (%s)", n, rc, err);
		if (rc == 0)
			qmsg_release(&m);
		envelope_release(&env);
		buf_release(&b);
	}
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_framing),
	        cmocka_unit_test(test_good_file),
	        cmocka_unit_test(test_header_after_body),
	        cmocka_unit_test(test_corrupt_rows),
	        cmocka_unit_test(test_truncated_every_length),
	        cmocka_unit_test(test_every_byte_flipped),
	        cmocka_unit_test(test_repeated_record_offset),
	        cmocka_unit_test(test_late_attribute),
	        cmocka_unit_test(test_long_envid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
