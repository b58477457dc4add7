/*
 * dnsmsg_test.c - DNS answers for MX, A and AAAA: sorting and null MX, CNAME
 * chains, rcodes, answers captured from real servers (compressed), then hostile
 * packets: short headers, wrong questions, pointer loops and forward pointers, bad
 * lengths, and every truncation and single-octet change of valid packets, each of
 * which must give -1 or a consistent answer without reading outside the packet
 * (every parse gets an exact-size heap copy, so ASan sees any over-read).
 */
#include "dnsmsg.h"

#include <arpa/inet.h>

#include "unit.h"

/* ---- a small encoder ---- */

struct enc {
	unsigned char b[65536]; /* a TCP answer can be this big */
	size_t n;
};

static void put8(struct enc *e, unsigned v)
{
	assert_true(e->n < sizeof(e->b));
	e->b[e->n++] = (unsigned char)v;
}

static void put16(struct enc *e, unsigned v)
{
	put8(e, v >> 8 & 0xff);
	put8(e, v & 0xff);
}

static void put32(struct enc *e, unsigned long v)
{
	put16(e, (unsigned)(v >> 16 & 0xffff));
	put16(e, (unsigned)(v & 0xffff));
}

static unsigned hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	assert_true(c >= 'A' && c <= 'F');
	return (unsigned)(c - 'A' + 10);
}

/* put_hex - octets written in hex; spaces are skipped */
static void put_hex(struct enc *e, const char *hex)
{
	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_true(hex[1] != '\0');
		put8(e, hexval(hex[0]) << 4 | hexval(hex[1]));
		hex += 2;
	}
}

/*
 * put_name - a name from text: labels split at '.', "%XX" an octet (so "%2e" is a
 * dot inside a label), a label "@N" a compression pointer to offset N, which ends
 * the name; "." or "" the root. Lengths are not checked, for the hostile rows.
 */
static void put_name(struct enc *e, const char *s)
{
	if (strcmp(s, ".") == 0)
		s = "";
	while (*s) {
		if (*s == '@') {
			put16(e, 0xc000 | (unsigned)strtoul(s + 1, NULL, 10));
			return;
		}
		size_t at = e->n;
		unsigned len = 0;
		put8(e, 0);
		for (; *s && *s != '.'; s++, len++) {
			if (*s == '%') {
				put8(e, hexval(s[1]) << 4 | hexval(s[2]));
				s += 2;
			} else {
				put8(e, (unsigned char)*s);
			}
		}
		assert_true(len < 256);
		e->b[at] = (unsigned char)len;
		if (*s == '.')
			s++;
	}
	put8(e, 0);
}

enum { AN, NS, AR };

struct rr_spec {
	int sect;
	const char *owner; /* put_name syntax; NULL ends the list */
	unsigned type;
	unsigned pref;    /* MX */
	const char *data; /* A, AAAA: an address; MX, CNAME: a name */
	const char *raw;  /* RDATA in hex, instead of data */
	unsigned class;   /* 0: IN */
	int rdfix;        /* added to the true RDLENGTH */
};

#define R_MX(o, p, h)                                                                              \
	{                                                                                          \
		AN, o, DNS_TYPE_MX, p, h, NULL, 0, 0                                               \
	}
#define R_A(o, a)                                                                                  \
	{                                                                                          \
		AN, o, DNS_TYPE_A, 0, a, NULL, 0, 0                                                \
	}
#define R_AAAA(o, a)                                                                               \
	{                                                                                          \
		AN, o, DNS_TYPE_AAAA, 0, a, NULL, 0, 0                                             \
	}
#define R_CNAME(o, t)                                                                              \
	{                                                                                          \
		AN, o, DNS_TYPE_CNAME, 0, t, NULL, 0, 0                                            \
	}
#define R_TXT(o, t)                                                                                \
	{                                                                                          \
		AN, o, DNS_TYPE_TXT, 0, t, NULL, 0, 0                                              \
	}
#define R_HEX(s, o, t, h)                                                                          \
	{                                                                                          \
		s, o, t, 0, NULL, h, 0, 0                                                          \
	}
#define R_SOA(o) R_HEX(NS, o, 6, SOA_RDATA)
#define SOA_RDATA                                                                                  \
	"026e73c00c 0a686f73746d6173746572c00c 00000001 00000e10 00000384 000927c0 00000e10"

static void put_rr(struct enc *e, const struct rr_spec *s)
{
	unsigned char a[16];
	size_t at;

	put_name(e, s->owner);
	put16(e, s->type);
	put16(e, s->class ? s->class : 1);
	put32(e, 3600);
	at = e->n;
	put16(e, 0);
	if (s->raw) {
		put_hex(e, s->raw);
	} else if (s->type == DNS_TYPE_A || s->type == DNS_TYPE_AAAA) {
		int af = s->type == DNS_TYPE_A ? AF_INET : AF_INET6;
		assert_int_equal(inet_pton(af, s->data, a), 1);
		for (size_t i = 0; i < (af == AF_INET ? 4u : 16u); i++)
			put8(e, a[i]);
	} else if (s->type == DNS_TYPE_TXT) {
		/* character-strings separated by '|' */
		for (const char *p = s->data;;) {
			size_t n = strcspn(p, "|");
			assert_true(n < 256);
			put8(e, (unsigned)n);
			for (size_t i = 0; i < n; i++)
				put8(e, (unsigned char)p[i]);
			if (p[n] == '\0')
				break;
			p += n + 1;
		}
	} else {
		if (s->type == DNS_TYPE_MX)
			put16(e, s->pref);
		put_name(e, s->data);
	}
	long rdlen = (long)(e->n - at - 2) + s->rdfix;
	e->b[at] = (unsigned char)(rdlen >> 8);
	e->b[at + 1] = (unsigned char)rdlen;
}

struct row {
	const char *what;
	const char *qname;
	int qtype;
	unsigned flags;        /* 0: 0x8180, a response with RD and RA, NOERROR */
	const char *question;  /* the name in the question; NULL: qname */
	unsigned qtype_pkt;    /* the type in the question; 0: qtype */
	struct rr_spec rr[12]; /* up to the first with a NULL owner */
	int rc;
	int rcode;
	const char *want; /* the records, as fmt_answer writes them */
	const char *canonical;
	bool null_mx;
	const char *err; /* for -1: a part of the message */
};

/* build - the packet of a row: header, question, then the records section by section */
static void build(struct enc *e, const struct row *r)
{
	unsigned count[3] = {0, 0, 0};
	size_t nrr = 0;

	while (nrr < NELEM(r->rr) && r->rr[nrr].owner)
		count[r->rr[nrr++].sect]++;
	e->n = 0;
	put16(e, 0xbeef);
	put16(e, r->flags ? r->flags : 0x8180);
	put16(e, 1);
	for (int s = AN; s <= AR; s++)
		put16(e, count[s]);
	put_name(e, r->question ? r->question : r->qname ? r->qname : "example.com");
	put16(e, r->qtype_pkt ? r->qtype_pkt : (unsigned)r->qtype);
	put16(e, 1);
	for (int s = AN; s <= AR; s++)
		for (size_t i = 0; i < nrr; i++)
			if (r->rr[i].sect == s)
				put_rr(e, &r->rr[i]);
}

/* ---- running the parser and describing its answer ---- */

/* parse - on an exact-size heap copy, so that ASan catches any read past the end */
static int parse(const unsigned char *pkt, size_t len, const char *qname, int qtype,
                 struct dns_answer *out, char *err, size_t errlen)
{
	unsigned char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy, pkt, len);
	rc = dns_parse_answer(copy, len, qname, qtype, out, err, errlen);
	free(copy);
	return rc;
}

/* fmt_answer - "10 a.example, 20 b.example" (the root as "."), or "192.0.2.1, 2001:db8::1" */
static const char *fmt_answer(const struct dns_answer *a)
{
	static char buf[32 * 300];
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < a->nmx; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%u %s", i ? ", " : "",
		                      a->mx[i].pref, a->mx[i].host[0] ? a->mx[i].host : ".");
	for (size_t i = 0; i < a->naddr; i++) {
		char text[INET6_ADDRSTRLEN];
		inet_ntop(a->addr[i].family, a->addr[i].addr, text, sizeof(text));
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i || a->nmx ? ", " : "",
		                      text);
	}
	return buf;
}

/*
 * consistent - what any answer must satisfy, whatever the packet: the checks the
 * fuzz harness makes too.
 */
static bool consistent(int rc, const struct dns_answer *a, int qtype, const char *err)
{
	if (rc == -1)
		return err[0] != '\0' && a->nmx == 0 && a->naddr == 0 && !a->null_mx &&
		       a->canonical[0] == '\0';
	if (rc != 0 || a->nmx > DNS_MAX_RECORDS || a->naddr > DNS_MAX_RECORDS)
		return false;
	if (qtype == DNS_TYPE_MX ? a->naddr != 0 : (a->nmx != 0 || a->null_mx))
		return false;
	if (a->canonical[0] == '\0' || memchr(a->canonical, 0, sizeof(a->canonical)) == NULL)
		return false;
	if (a->null_mx && (a->nmx != 1 || a->mx[0].pref != 0 || a->mx[0].host[0] != '\0'))
		return false;
	for (size_t i = 0; i < a->nmx; i++) {
		const char *h = a->mx[i].host;
		if (i > 0 && a->mx[i - 1].pref > a->mx[i].pref)
			return false;
		if (h[0] == '\0' ? !a->null_mx
		                 : (!dns_name_valid(h) || strpbrk(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
			return false;
	}
	for (size_t i = 0; i < a->naddr; i++)
		if (a->addr[i].family != (qtype == DNS_TYPE_A ? AF_INET : AF_INET6))
			return false;
	return true;
}

/* check_answer - one parse against its expectation; used by every table */
static void check_answer(const char *what, const unsigned char *pkt, size_t len, const char *qname,
                         int qtype, int rc_want, int rcode, const char *want, const char *canonical,
                         bool null_mx, const char *errsub)
{
	struct dns_answer a;
	char err[256];
	int rc = parse(pkt, len, qname, qtype, &a, err, sizeof(err));

	EXPECT(rc == rc_want, "%s: rc %d, expected %d (err %s)", what, rc, rc_want, shows(err));
	EXPECT(consistent(rc, &a, qtype, err), "%s: inconsistent answer", what);
	if (rc != 0 || rc_want != 0) {
		EXPECT(rc != -1 || errsub == NULL || strstr(err, errsub) != NULL,
		       "%s: err %s, expected to contain %s", what, shows(err), shows(errsub));
		return;
	}
	EXPECT(a.rcode == rcode, "%s: rcode %d, expected %d", what, a.rcode, rcode);
	EXPECT(strcmp(fmt_answer(&a), want ? want : "") == 0, "%s: records %s, expected %s", what,
	       shows(fmt_answer(&a)), shows(want));
	EXPECT(strcmp(a.canonical, canonical ? canonical : "") == 0,
	       "%s: canonical %s, expected %s", what, shows(a.canonical), shows(canonical));
	EXPECT(a.null_mx == null_mx, "%s: null_mx %d, expected %d", what, a.null_mx, null_mx);
}

/* ---- packets built by the encoder ---- */

#define EX "example.com"

static const struct row rows[] = {
        /* MX */
        {.what = "MX, several preferences",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 20, "b.example.net"), R_MX(EX, 10, "a.example.net"),
                R_MX(EX, 30, "c.example.net")},
         .want = "10 a.example.net, 20 b.example.net, 30 c.example.net",
         .canonical = EX},
        {.what = "MX, equal preferences keep packet order",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 10, "b.example.net"), R_MX(EX, 10, "a.example.net"),
                R_MX(EX, 5, "c.example.net"), R_MX(EX, 10, "d.example.net"),
                R_MX(EX, 65535, "z.example.net"), R_MX(EX, 0, "y.example.net")},
         .want = "0 y.example.net, 5 c.example.net, 10 b.example.net, 10 a.example.net, "
                 "10 d.example.net, 65535 z.example.net",
         .canonical = EX},
        {.what = "MX, compressed exchange and owner",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX("@12", 10, "mx1.@12"), R_MX("@12", 20, "mx2.@12")},
         .want = "10 mx1.example.com, 20 mx2.example.com",
         .canonical = EX},
        {.what = "MX, mixed case everywhere",
         .qname = "ExAmple.COM",
         .qtype = DNS_TYPE_MX,
         .question = "eXAMPLE.com",
         .rr = {R_MX("EXAMPLE.Com", 10, "MX1.Example.NET")},
         .want = "10 mx1.example.net",
         .canonical = EX},
        {.what = "MX, qname with a trailing dot",
         .qname = "example.com.",
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 10, "mx.example.net")},
         .want = "10 mx.example.net",
         .canonical = EX},
        {.what = "MX, records for another name are ignored",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX("example.net", 1, "evil.example.org"), R_MX(EX, 10, "mx.example.net"),
                R_MX("sub.example.com", 2, "evil.example.org")},
         .want = "10 mx.example.net",
         .canonical = EX},
        {.what = "MX, only records for another name",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX("example.net", 10, "mx.example.net")},
         .canonical = EX},
        {.what = "MX, additional A and AAAA are not collected",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 10, "mx.example.net"),
                {AR, "mx.example.net", DNS_TYPE_A, 0, "192.0.2.1", NULL, 0, 0},
                {AR, "mx.example.net", DNS_TYPE_AAAA, 0, "2001:db8::1", NULL, 0, 0},
                R_HEX(AR, ".", 41, "")},
         .want = "10 mx.example.net",
         .canonical = EX},
        {.what = "MX of class CH is ignored, malformed or not",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {{AN, EX, DNS_TYPE_MX, 0, NULL, "ff", 3, 0},
                {AN, EX, DNS_TYPE_MX, 1, "ch.example.net", NULL, 3, 0},
                R_MX(EX, 10, "mx.example.net")},
         .want = "10 mx.example.net",
         .canonical = EX},
        {.what = "MX through a CNAME",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_CNAME(EX, "mail.example.net"), R_MX("mail.example.net", 10, "mx.example.net")},
         .want = "10 mx.example.net",
         .canonical = "mail.example.net"},
        {.what = "MX, exchange of 253 characters",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 10,
                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
                     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
                     "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
                     "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd")},
         .want = "10 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
                 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
                 "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
                 "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
         .canonical = EX},
        /* null MX (RFC 7505) and the root among others */
        {.what = "null MX",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 0, ".")},
         .want = "0 .",
         .canonical = EX,
         .null_mx = true},
        {.what = "root among other MX is dropped",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 0, "."), R_MX(EX, 10, "mx.example.net")},
         .want = "10 mx.example.net",
         .canonical = EX},
        {.what = "root after another MX is dropped",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 10, "mx.example.net"), R_MX(EX, 0, ".")},
         .want = "10 mx.example.net",
         .canonical = EX},
        {.what = "root alone with preference 10 is no null MX and no host",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 10, ".")},
         .rc = -1,
         .err = "none with a usable exchange"},
        {.what = "two roots",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 0, "."), R_MX(EX, 0, ".")},
         .rc = -1,
         .err = "2 MX records, none with a usable exchange"},
        /* exchanges that are not host names are skipped */
        {.what = "MX exchanges that are not LDH are skipped",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 1, "mx_1.example.net"), R_MX(EX, 2, "mx%2eevil.example.net"),
                R_MX(EX, 3, "mx%00.example.net"), R_MX(EX, 4, "192.0.2.1"),
                R_MX(EX, 5, "-mx.example.net"), R_MX(EX, 6, "mx-.example.net"),
                R_MX(EX, 7, "mx%c3%a9.example.net"), R_MX(EX, 8, "mx%20x.example.net"),
                R_MX(EX, 9, "example.123"), R_MX(EX, 10, "mx.example.net"),
                R_MX(EX, 11, "123.example.net")},
         .want = "10 mx.example.net, 11 123.example.net",
         .canonical = EX},
        {.what = "the only MX has a dot inside a label",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 10, "mx%2eexample.net")},
         .rc = -1,
         .err = "1 MX records, none with a usable exchange"},
        {.what = "the only MX is a null MX of another name",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX("example.net", 0, ".")},
         .canonical = EX},
        /* A and AAAA, CNAME chains */
        {.what = "A",
         .qname = "mx.example.net",
         .qtype = DNS_TYPE_A,
         .rr = {R_A("mx.example.net", "192.0.2.1"), R_A("mx.example.net", "192.0.2.2")},
         .want = "192.0.2.1, 192.0.2.2",
         .canonical = "mx.example.net"},
        {.what = "AAAA",
         .qname = "mx.example.net",
         .qtype = DNS_TYPE_AAAA,
         .rr = {R_AAAA("mx.example.net", "2001:db8::1"), R_AAAA("@12", "2001:db8::25")},
         .want = "2001:db8::1, 2001:db8::25",
         .canonical = "mx.example.net"},
        {.what = "A query: AAAA and MX records are not collected",
         .qname = "mx.example.net",
         .qtype = DNS_TYPE_A,
         .rr = {R_AAAA("mx.example.net", "2001:db8::1"), R_A("mx.example.net", "192.0.2.1"),
                R_MX("mx.example.net", 10, "other.example.net")},
         .want = "192.0.2.1",
         .canonical = "mx.example.net"},
        {.what = "CNAME chain to A",
         .qname = "www.example.com",
         .qtype = DNS_TYPE_A,
         .rr = {R_CNAME("www.example.com", "a.example.net"),
                R_CNAME("a.example.net", "b.example.org"), R_A("b.example.org", "192.0.2.7"),
                R_A("c.example.org", "192.0.2.66")},
         .want = "192.0.2.7",
         .canonical = "b.example.org"},
        {.what = "CNAME chain listed backwards, compressed",
         .qname = "www.example.com",
         .qtype = DNS_TYPE_A,
         .rr = {R_A("b.example.org", "192.0.2.7"), R_CNAME("a.@16", "b.example.org"),
                R_CNAME("@12", "a.@16")},
         .want = "192.0.2.7",
         .canonical = "b.example.org"},
        {.what = "CNAME chain: records of every link are collected",
         .qname = "www.example.com",
         .qtype = DNS_TYPE_AAAA,
         .rr = {R_AAAA("www.example.com", "2001:db8::1"),
                R_CNAME("www.example.com", "a.example.net"),
                R_AAAA("a.example.net", "2001:db8::2")},
         .want = "2001:db8::1, 2001:db8::2",
         .canonical = "a.example.net"},
        {.what = "CNAME, mixed case",
         .qname = "WWW.example.com",
         .qtype = DNS_TYPE_A,
         .rr = {R_CNAME("www.EXAMPLE.com", "A.Example.NET"), R_A("a.example.net", "192.0.2.7")},
         .want = "192.0.2.7",
         .canonical = "a.example.net"},
        {.what = "CNAME with two targets: the first is followed",
         .qname = "www.example.com",
         .qtype = DNS_TYPE_A,
         .rr = {R_CNAME("www.example.com", "a.example.net"),
                R_CNAME("www.example.com", "b.example.net"), R_A("a.example.net", "192.0.2.1"),
                R_A("b.example.net", "192.0.2.2")},
         .want = "192.0.2.1",
         .canonical = "a.example.net"},
        {.what = "CNAME target not writable as text is skipped",
         .qname = "www.example.com",
         .qtype = DNS_TYPE_A,
         .rr = {R_CNAME("www.example.com", "a%2eb.example.net"),
                R_A("a%2eb.example.net", "192.0.2.1")},
         .canonical = "www.example.com"},
        {.what = "CNAME to the root is skipped",
         .qname = "www.example.com",
         .qtype = DNS_TYPE_A,
         .rr = {R_CNAME("www.example.com", "."), R_A(".", "192.0.2.1"),
                R_A("www.example.com", "192.0.2.2")},
         .want = "192.0.2.2",
         .canonical = "www.example.com"},
        {.what = "CNAME to the root further down the chain",
         .qname = "www.example.com",
         .qtype = DNS_TYPE_MX,
         .rr = {R_CNAME("www.example.com", "a.example.net"), R_CNAME("a.example.net", ".")},
         .canonical = "a.example.net"},
        {.what = "CNAME target with an underscore is followed",
         .qname = "www.example.com",
         .qtype = DNS_TYPE_A,
         .rr = {R_CNAME("www.example.com", "a_b.example.net"), R_A("a_b.example.net", "192.0.2.1")},
         .want = "192.0.2.1",
         .canonical = "a_b.example.net"},
        {.what = "CNAME loop",
         .qname = "a.example.com",
         .qtype = DNS_TYPE_A,
         .rr = {R_CNAME("a.example.com", "b.example.com"),
                R_CNAME("b.example.com", "a.example.com"), R_A("a.example.com", "192.0.2.1")},
         .rc = -1,
         .err = "CNAME loop"},
        {.what = "CNAME to itself",
         .qname = "a.example.com",
         .qtype = DNS_TYPE_A,
         .rr = {R_CNAME("a.example.com", "A.example.com")},
         .rc = -1,
         .err = "CNAME loop"},
        {.what = "CNAME loop further down the chain",
         .qname = "a.example.com",
         .qtype = DNS_TYPE_MX,
         .rr = {R_CNAME("a.example.com", "b.example.com"),
                R_CNAME("b.example.com", "c.example.com"),
                R_CNAME("c.example.com", "b.example.com")},
         .rc = -1,
         .err = "CNAME loop"},
        {.what = "CNAME of another name is not followed",
         .qname = "www.example.com",
         .qtype = DNS_TYPE_A,
         .rr = {R_CNAME("ftp.example.com", "a.example.net"), R_A("a.example.net", "192.0.2.1")},
         .canonical = "www.example.com"},
        /* rcodes */
        {.what = "NXDOMAIN",
         .qname = "nx.example.com",
         .qtype = DNS_TYPE_MX,
         .flags = 0x8183,
         .rr = {R_SOA(EX)},
         .rcode = DNS_RCODE_NXDOMAIN,
         .canonical = "nx.example.com"},
        {.what = "NXDOMAIN at the end of a CNAME",
         .qname = "www.example.com",
         .qtype = DNS_TYPE_A,
         .flags = 0x8183,
         .rr = {R_CNAME("www.example.com", "gone.example.net"), R_SOA("example.net")},
         .rcode = DNS_RCODE_NXDOMAIN,
         .canonical = "gone.example.net"},
        {.what = "SERVFAIL",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .flags = 0x8182,
         .rcode = DNS_RCODE_SERVFAIL,
         .canonical = EX},
        {.what = "NODATA", .qname = EX, .qtype = DNS_TYPE_AAAA, .rr = {R_SOA(EX)}, .canonical = EX},
        /* hostile: the query and the question */
        {.what = "question for another name",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .question = "example.net",
         .rr = {R_MX(EX, 10, "mx.example.net")},
         .rc = -1,
         .err = "another name"},
        {.what = "question for a longer name",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .question = "www.example.com",
         .rc = -1,
         .err = "another name"},
        {.what = "question with a dot inside a label",
         .qname = "www.example.com",
         .qtype = DNS_TYPE_MX,
         .question = "www%2eexample.com",
         .rc = -1,
         .err = "another name"},
        {.what = "question of another type",
         .qname = EX,
         .qtype = DNS_TYPE_AAAA,
         .qtype_pkt = DNS_TYPE_A,
         .rc = -1,
         .err = "type 1, not 28"},
        {.what = "truncated (TC)",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .flags = 0x8380,
         .rr = {R_MX(EX, 10, "mx.example.net")},
         .rc = -1,
         .err = "truncated answer"},
        {.what = "a query, not a response",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .flags = 0x0100,
         .rc = -1,
         .err = "not a response"},
        {.what = "opcode NOTIFY",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .flags = 0xa180,
         .rc = -1,
         .err = "opcode 4"},
        {.what = "unsupported query type",
         .qname = EX,
         .qtype = 16,
         .rc = -1,
         .err = "not supported"},
        {.what = "query type CNAME",
         .qname = EX,
         .qtype = DNS_TYPE_CNAME,
         .rc = -1,
         .err = "not supported"},
        {.what = "empty qname", .qname = "", .qtype = DNS_TYPE_MX, .rc = -1, .err = "query name"},
        {.what = "root qname", .qname = ".", .qtype = DNS_TYPE_MX, .rc = -1, .err = "query name"},
        {.what = "NULL qname", .qname = NULL, .qtype = DNS_TYPE_MX, .rc = -1, .err = "query name"},
        {.what = "qname with an empty label",
         .qname = "a..example",
         .qtype = DNS_TYPE_MX,
         .rc = -1,
         .err = "query name"},
        {.what = "qname with two trailing dots",
         .qname = "example.com..",
         .qtype = DNS_TYPE_MX,
         .rc = -1,
         .err = "query name"},
        {.what = "qname with a space",
         .qname = "exa mple.com",
         .qtype = DNS_TYPE_MX,
         .rc = -1,
         .err = "query name"},
        {.what = "qname with a label of 64",
         .qname = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
         .qtype = DNS_TYPE_MX,
         .rc = -1,
         .err = "query name"},
        {.what = "qname of 254 characters",
         .qname = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
                  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
                  "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
                  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
         .qtype = DNS_TYPE_MX,
         .rc = -1,
         .err = "query name"},
        {.what = "qname of 253 characters",
         .qname = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
                  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
                  "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
                  "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.",
         .qtype = DNS_TYPE_A,
         .rr = {R_A("@12", "192.0.2.1")},
         .want = "192.0.2.1",
         .canonical = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
                      "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
                      "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
                      "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"},
        /* hostile: records */
        {.what = "owner with a label of 64",
         .qname = EX,
         .qtype = DNS_TYPE_A,
         .rr = {R_A("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
                    "192.0.2.1")},
         .rc = -1,
         .err = "label type 0x40"},
        {.what = "MX exchange of 256 octets",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 10,
                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
                     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
                     "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
                     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd")},
         .rc = -1,
         .err = "longer than 255 octets"},
        {.what = "RDLENGTH past the end",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {{AN, EX, DNS_TYPE_MX, 10, "mx.example.net", NULL, 0, 50}},
         .rc = -1,
         .err = "runs past the end"},
        {.what = "MX RDLENGTH one short",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {{AN, EX, DNS_TYPE_MX, 10, "mx.example.net", NULL, 0, -1},
                R_A("mx.example.net", "192.0.2.1")},
         .rc = -1,
         .err = "does not match RDLENGTH"},
        {.what = "MX RDLENGTH one long",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {{AN, EX, DNS_TYPE_MX, 10, "mx.example.net", NULL, 0, 1},
                R_A("mx.example.net", "192.0.2.1")},
         .rc = -1,
         .err = "does not match RDLENGTH"},
        {.what = "CNAME RDLENGTH one long",
         .qname = EX,
         .qtype = DNS_TYPE_A,
         .rr = {{AN, EX, DNS_TYPE_CNAME, 0, "a.example.net", NULL, 0, 1},
                R_A("a.example.net", "192.0.2.1")},
         .rc = -1,
         .err = "does not match RDLENGTH"},
        {.what = "A of 5 octets",
         .qname = EX,
         .qtype = DNS_TYPE_A,
         .rr = {R_HEX(AN, EX, DNS_TYPE_A, "c000020101")},
         .rc = -1,
         .err = "has RDLENGTH 5"},
        {.what = "A of 0 octets",
         .qname = EX,
         .qtype = DNS_TYPE_A,
         .rr = {R_HEX(AN, EX, DNS_TYPE_A, "")},
         .rc = -1,
         .err = "has RDLENGTH 0"},
        {.what = "AAAA of 4 octets",
         .qname = EX,
         .qtype = DNS_TYPE_AAAA,
         .rr = {R_HEX(AN, EX, DNS_TYPE_AAAA, "c0000201")},
         .rc = -1,
         .err = "AAAA record"},
        {.what = "AAAA of 17 octets in the additional section",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 10, "mx.example.net"),
                R_HEX(AR, "mx.example.net", DNS_TYPE_AAAA, "20010db8000000000000000000000001ff")},
         .rc = -1,
         .err = "AAAA record"},
        {.what = "MX of one octet in the authority section",
         .qname = EX,
         .qtype = DNS_TYPE_A,
         .rr = {R_A(EX, "192.0.2.1"), R_HEX(NS, EX, DNS_TYPE_MX, "00")},
         .rc = -1,
         .err = "MX record"},
        {.what = "compression pointer loop in an owner",
         .qname = EX,
         .qtype = DNS_TYPE_A,
         .rr = {R_A("x.@29", "192.0.2.1")},
         .rc = -1,
         .err = "does not point backwards"},
        {.what = "forward pointer in an MX exchange",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 10, "mx.@60"), R_A("mx.example.net", "192.0.2.1")},
         .rc = -1,
         .err = "does not point backwards"},
        {.what = "pointer into the header",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .rr = {R_MX(EX, 10, "mx.@4")},
         .rc = -1,
         .err = "points into the header"},
        {.what = "pointer in the question",
         .qname = EX,
         .qtype = DNS_TYPE_MX,
         .question = "@12",
         .rc = -1,
         .err = "does not point backwards"},
};

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];
		struct enc e;
		char what[160];
		build(&e, r);
		snprintf(what, sizeof(what), "row %zu (%s)", i, r->what);
		check_answer(what, e.b, e.n, r->qname, r->qtype, r->rc, r->rcode, r->want,
		             r->canonical, r->null_mx, r->err);
	}
	ALL_PASSED();
}

/* ---- hand-written packets ---- */

struct hex_row {
	const char *what;
	int qtype;
	const char *hex;  /* always for example.com */
	const char *err;  /* NULL: the answer is good */
	const char *want; /* when it is good */
};

/* the question ends at offset 29; a record's RDATA then starts at 41 */
#define H(an, ns, ar) "beef 8180 0001 " an " " ns " " ar " "
#define Q_MX          "07 6578616d706c65 03 636f6d 00 000f 0001 "
#define Q_A           "07 6578616d706c65 03 636f6d 00 0001 0001 "
#define RR_MX         "c00c 000f 0001 00000e10 0007 000a 026d78 c00c "
#define RR_HEAD       "0001 0001 00000e10 "

static const struct hex_row hex_rows[] = {
        {"empty packet", DNS_TYPE_MX, "", "short header: 0 octets", NULL},
        {"11 octets", DNS_TYPE_MX, "beef 8180 0001 0000 0000 00", "short header: 11 octets", NULL},
        {"header only", DNS_TYPE_MX, H("0000", "0000", "0000"), "runs past the end", NULL},
        {"QDCOUNT 0", DNS_TYPE_MX, "beef 8180 0000 0000 0000 0000", "0 questions", NULL},
        {"QDCOUNT 0 with a question", DNS_TYPE_MX, "beef 8180 0000 0000 0000 0000" Q_MX,
         "0 questions", NULL},
        {"QDCOUNT 2", DNS_TYPE_MX, "beef 8180 0002 0000 0000 0000" Q_MX Q_MX, "2 questions", NULL},
        {"QDCOUNT 65535", DNS_TYPE_MX, "beef 8180 ffff 0000 0000 0000" Q_MX, "65535 questions",
         NULL},
        {"question name cut", DNS_TYPE_MX, H("0000", "0000", "0000") "07 6578616d",
         "runs past the end", NULL},
        {"question type cut", DNS_TYPE_MX,
         H("0000", "0000", "0000") "07 6578616d706c65 03 636f6d 00 000f",
         "question runs past the end", NULL},
        {"question class CH", DNS_TYPE_MX,
         H("0000", "0000", "0000") "07 6578616d706c65 03 636f6d 00 000f 0003", "class 3", NULL},
        {"question of type A", DNS_TYPE_MX, H("0000", "0000", "0000") Q_A, "type 1, not 15", NULL},
        {"good and empty", DNS_TYPE_MX, H("0000", "0000", "0000") Q_MX, NULL, NULL},
        {"good, one MX", DNS_TYPE_MX, H("0001", "0000", "0000") Q_MX RR_MX, NULL,
         "10 mx.example.com"},
        {"trailing octets after the last record are ignored", DNS_TYPE_MX,
         H("0001", "0000", "0000") Q_MX RR_MX "00 00 00", NULL, "10 mx.example.com"},
        {"opcode STATUS", DNS_TYPE_MX, "beef 9180 0001 0000 0000 0000" Q_MX, "opcode 2", NULL},
        {"TC with nothing cut", DNS_TYPE_MX, "beef 8380 0001 0001 0000 0000" Q_MX RR_MX,
         "truncated answer", NULL},
        /* compression pointers */
        {"owner points at itself", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "c01d" RR_HEAD "0004 c0000201",
         "pointer at offset 29 does not point backwards", NULL},
        {"owner points forward", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "c01f" RR_HEAD "0004 c0000201",
         "pointer at offset 29 does not point backwards", NULL},
        {"owner points past the end", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "c0ff" RR_HEAD "0004 c0000201", "does not point backwards",
         NULL},
        {"owner: a label, then a pointer back to it", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "0161 c01d" RR_HEAD "0004 c0000201",
         "pointer at offset 31 does not point backwards", NULL},
        /* record 1 at 29 holds "x" + pointer to 45 in opaque RDATA; record 2's owner at
           45 points back to it: 45 -> 41 -> 45 would loop */
        {"two-pointer loop", DNS_TYPE_A,
         H("0002", "0000", "0000") Q_A "c00c 0063 0001 00000e10 0004 0178 c02d"
                                       "c029" RR_HEAD "0004 c0000201",
         "pointer at offset 43 does not point backwards", NULL},
        {"pointer to offset 0", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "c000" RR_HEAD "0004 c0000201", "points into the header",
         NULL},
        {"pointer to offset 11", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "c00b" RR_HEAD "0004 c0000201", "points into the header",
         NULL},
        {"pointer with the high bits of a large offset", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "ff0c" RR_HEAD "0004 c0000201", "does not point backwards",
         NULL},
        {"label type 0x40", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "4161 00" RR_HEAD "0004 c0000201",
         "label type 0x40 at offset 29", NULL},
        {"label type 0x80", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "8161 00" RR_HEAD "0004 c0000201",
         "label type 0x80 at offset 29", NULL},
        {"label length past the end", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "3f61 00" RR_HEAD "0004 c0000201", "runs past the end",
         NULL},
        /* counts */
        {"ANCOUNT 65535", DNS_TYPE_MX, H("ffff", "0000", "0000") Q_MX RR_MX, "cannot fit", NULL},
        {"ARCOUNT one too many", DNS_TYPE_MX, H("0001", "0000", "0001") Q_MX RR_MX, "cannot fit",
         NULL},
        {"all counts 65535", DNS_TYPE_MX, H("ffff", "ffff", "ffff") Q_MX RR_MX,
         "196605 records cannot fit in 19 octets", NULL},
        {"NSCOUNT counts a record that is cut", DNS_TYPE_MX,
         H("0001", "0001", "0000") Q_MX RR_MX "c00c 0002 0001 00000e10 0006 036e73",
         "RDLENGTH of the record at offset 48 runs past the end", NULL},
        {"record header cut", DNS_TYPE_MX,
         H("0001", "0000", "0000") Q_MX "c00c 000f 0001 00000e10 00",
         "record at offset 29 runs past the end", NULL},
        /* RDATA */
        {"RDLENGTH past the end", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "c00c" RR_HEAD "0010 c0000201", "runs past the end", NULL},
        {"A of 5 octets", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "c00c" RR_HEAD "0005 c000020101",
         "A record at offset 41 has RDLENGTH 5", NULL},
        {"A of 3 octets", DNS_TYPE_A, H("0001", "0000", "0000") Q_A "c00c" RR_HEAD "0003 c00002 00",
         "A record at offset 41 has RDLENGTH 3", NULL},
        {"AAAA of 4 octets", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "c00c 001c 0001 00000e10 0004 c0000201",
         "AAAA record at offset 41 has RDLENGTH 4", NULL},
        {"MX of 1 octet", DNS_TYPE_MX,
         H("0001", "0000", "0000") Q_MX "c00c 000f 0001 00000e10 0001 00",
         "MX record at offset 41 has RDLENGTH 1", NULL},
        {"MX without an exchange", DNS_TYPE_MX,
         H("0001", "0000", "0000") Q_MX "c00c 000f 0001 00000e10 0002 000a", "too short for a name",
         NULL},
        {"MX exchange shorter than RDLENGTH", DNS_TYPE_MX,
         H("0001", "0000", "0000") Q_MX "c00c 000f 0001 00000e10 0008 000a 026d78 c00c ff",
         "does not match RDLENGTH 8", NULL},
        {"MX exchange longer than RDLENGTH", DNS_TYPE_MX,
         H("0001", "0000", "0000") Q_MX "c00c 000f 0001 00000e10 0006 000a 026d78 c00c",
         "does not match RDLENGTH 6", NULL},
        {"MX exchange with a forward pointer", DNS_TYPE_MX,
         H("0001", "0000", "0000") Q_MX "c00c 000f 0001 00000e10 0004 000a c02f 00",
         "does not point backwards", NULL},
        {"CNAME target shorter than RDLENGTH", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "c00c 0005 0001 00000e10 0004 c00c 0000",
         "does not match RDLENGTH 4", NULL},
        {"CNAME of zero octets", DNS_TYPE_A,
         H("0001", "0000", "0000") Q_A "c00c 0005 0001 00000e10 0000", "too short for a name",
         NULL},
        {"bad A in the additional section", DNS_TYPE_MX,
         H("0001", "0000", "0001") Q_MX RR_MX "026d78 c00c" RR_HEAD "0003 c00002", "A record",
         NULL},
        {"bad owner in the authority section", DNS_TYPE_MX,
         H("0001", "0001", "0000") Q_MX RR_MX "c0ff 0002 0001 00000e10 0000",
         "does not point backwards", NULL},
        {"unknown type and class with any RDATA", DNS_TYPE_MX,
         H("0001", "0000", "0001") Q_MX RR_MX "00 ff00 00fe 00000000 0003 c0ffee", NULL,
         "10 mx.example.com"},
};

static void test_hex_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(hex_rows); i++) {
		const struct hex_row *r = &hex_rows[i];
		struct enc e = {.n = 0};
		char what[160];
		put_hex(&e, r->hex);
		snprintf(what, sizeof(what), "hex row %zu (%s)", i, r->what);
		check_answer(what, e.b, e.n, EX, r->qtype, r->err ? -1 : 0, 0, r->want, EX, false,
		             r->err);
	}
	ALL_PASSED();
}

/* ---- answers captured from real servers ---- */

/*
 * From the test suites of miekg/dns (Go), dnslib (Python) and others, which
 * captured them from public resolvers: compression as servers really use it,
 * EDNS OPT records, glue in the additional section.
 */
struct real {
	const char *what;
	const char *hex;
	const char *qname;
	int qtype;
	int rcode;
	const char *want;
	const char *canonical;
	bool null_mx;
};

static const char gmail_mx[] =
        "12348180000100050000000105676d61696c03636f6d00000f0001c00c000f00010000033c002000"
        "1e04616c74330d676d61696c2d736d74702d696e016c06676f6f676c65c012c00c000f0001000003"
        "3c0009001404616c7432c02ec00c000f00010000033c0009000a04616c7431c02ec00c000f000100"
        "00033c00040005c02ec00c000f00010000033c0009002804616c7434c02e00002902000000000000"
        "00";
static const char example_null_mx[] =
        "123481800001000100000001076578616d706c6503636f6d00000f0001c00c000f00010000012c00"
        "030000000000290200000000000000";
static const char nxdomain_soa[] =
        "123481830001000000010001136e6f2d737563682d646f6d61696e2d3438313503636f6d00000f00"
        "01c0200006000100000384003d01610c67746c642d73657276657273036e657400056e73746c640c"
        "766572697369676e2d677273c0206ac9763b000007080000038400093a8000000384000029020000"
        "0000000000";
static const char github_io_nodata[] =
        "1234818000010000000100010667697468756202696f00000f0001c00c00060001000002af003504"
        "646e733103703035056e736f6e65036e6574000a686f73746d6173746572c0306234c3d10000a8c0"
        "00001c200012750000000e100000290200000000000000";
static const char google_mx_glue[] =
        "724b8180000100050004000b06676f6f676c6503636f6d00000f0001c00c000f000100000005000c"
        "000a056173706d78016cc00cc00c000f0001000000050009001404616c7431c02ac00c000f000100"
        "0000050009001e04616c7432c02ac00c000f0001000000050009002804616c7433c02ac00c000f00"
        "01000000050009003204616c7434c02ac00c00020001000000050006036e7332c00cc00c00020001"
        "000000050006036e7333c00cc00c00020001000000050006036e7334c00cc00c0002000100000005"
        "0006036e7331c00cc02a00010001000000050004adc2421bc02a001c00010000000500102a001450"
        "40080c01000000000000001bc04200010001000000050004adc2461bc05700010001000000050004"
        "adc2451bc06c000100010000000500044a7d8f1bc081000100010000000500044a7d191bc0ca0001"
        "0001000000050004d8ef200ac09400010001000000050004d8ef220ac0a600010001000000050004"
        "d8ef240ac0b800010001000000050004d8ef260a0000290500000000050000";
static const char amazon_a[] =
        "6de1818000010004000a000806616d617a6f6e03636f6d0000010001c00c00010001000000050004"
        "4815c2d4c00c000100010000000500044815d7e8c00c00010001000000050004b02062a6c00c0001"
        "0001000000050004cdfbf236c00c000200010000000500140570646e733408756c747261646e7303"
        "6f726700c00c000200010000000500150570646e733508756c747261646e7304696e666f00c00c00"
        "0200010000000500160570646e733608756c747261646e7302636f02756b00c00c00020001000000"
        "050014036e7331037033310664796e656374036e657400c00c00020001000000050006036e7332c0"
        "cfc00c00020001000000050006036e7333c0cfc00c00020001000000050006036e7334c0cfc00c00"
        "0200010000000500110570646e733108756c747261646e73c0dac00c000200010000000500080570"
        "646e7332c127c00c000200010000000500080570646e7333c06ec0cb00010001000000050004d04e"
        "461fc0eb00010001000000050004cc0dfa1fc0fd00010001000000050004d04e471fc10f00010001"
        "000000050004cc0dfb1fc12100010001000000050004cc4a6c01c121001c00010000000500102001"
        "0502f3ff00000000000000000001c13e00010001000000050004cc4a6d01c13e001c000100000005"
        "0010261000a1101400000000000000000001";
static const char google_aaaa[] =
        "4fd98180000100010000000006676f6f676c6503636f6d00001c0001c00c001c00010000012c0010"
        "2607f8b0400908030000000000001004";
static const char yahoo_cname_a[] =
        "5b1f8180000100030000000003777777057961686f6f03636f6d0000010001c00c00050001000000"
        "2300210e6d652d796370692d63662d77777703673036087961686f6f646e73036e657400c02b0001"
        "0001000000230004bc7d5eccc02b00010001000000230004bc7d5ece";
static const char google_cname_a[] =
        "d5ad818000010005000000000377777706676f6f676c6503636f6d0000010001c00c000500010000"
        "0005000803777777016cc010c02c0001000100000005000442f95b68c02c00010001000000050004"
        "42f95b63c02c0001000100000005000442f95b67c02c0001000100000005000442f95b93";
static const char bbc_cname2_a[] =
        "b88381800001000600000001037777770362626302636f02756b0000010001c00c0005000100003b"
        "030014037777770362626302636f02756b03707269c010c02b000500010000012c00140362626303"
        "6d617006666173746c79036e657400c04b0001000100000023000497654051c04b00010001000000"
        "23000497658051c04b0001000100000023000497650051c04b000100010000002300049765c05100"
        "0029ffd6000000000000";

static const struct real reals[] = {
        {"gmail.com MX", gmail_mx, "gmail.com", DNS_TYPE_MX, 0,
         "5 gmail-smtp-in.l.google.com, 10 alt1.gmail-smtp-in.l.google.com, "
         "20 alt2.gmail-smtp-in.l.google.com, 30 alt3.gmail-smtp-in.l.google.com, "
         "40 alt4.gmail-smtp-in.l.google.com",
         "gmail.com", false},
        {"gmail.com MX, asked in capitals", gmail_mx, "GMail.COM.", DNS_TYPE_MX, 0,
         "5 gmail-smtp-in.l.google.com, 10 alt1.gmail-smtp-in.l.google.com, "
         "20 alt2.gmail-smtp-in.l.google.com, 30 alt3.gmail-smtp-in.l.google.com, "
         "40 alt4.gmail-smtp-in.l.google.com",
         "gmail.com", false},
        {"example.com null MX", example_null_mx, "example.com", DNS_TYPE_MX, 0, "0 .",
         "example.com", true},
        {"NXDOMAIN with SOA", nxdomain_soa, "no-such-domain-4815.com", DNS_TYPE_MX,
         DNS_RCODE_NXDOMAIN, "", "no-such-domain-4815.com", false},
        {"github.io NODATA", github_io_nodata, "github.io", DNS_TYPE_MX, 0, "", "github.io", false},
        {"google.com MX with NS and glue", google_mx_glue, "google.com", DNS_TYPE_MX, 0,
         "10 aspmx.l.google.com, 20 alt1.aspmx.l.google.com, 30 alt2.aspmx.l.google.com, "
         "40 alt3.aspmx.l.google.com, 50 alt4.aspmx.l.google.com",
         "google.com", false},
        {"amazon.com A with NS and glue", amazon_a, "amazon.com", DNS_TYPE_A, 0,
         "72.21.194.212, 72.21.215.232, 176.32.98.166, 205.251.242.54", "amazon.com", false},
        {"google.com AAAA", google_aaaa, "google.com", DNS_TYPE_AAAA, 0, "2607:f8b0:4009:803::1004",
         "google.com", false},
        {"www.yahoo.com CNAME to A", yahoo_cname_a, "www.yahoo.com", DNS_TYPE_A, 0,
         "188.125.94.204, 188.125.94.206", "me-ycpi-cf-www.g06.yahoodns.net", false},
        {"www.google.com CNAME to A", google_cname_a, "www.google.com", DNS_TYPE_A, 0,
         "66.249.91.104, 66.249.91.99, 66.249.91.103, 66.249.91.147", "www.l.google.com", false},
        {"www.bbc.co.uk two CNAMEs to A", bbc_cname2_a, "www.bbc.co.uk", DNS_TYPE_A, 0,
         "151.101.64.81, 151.101.128.81, 151.101.0.81, 151.101.192.81", "bbc.map.fastly.net",
         false},
};

static void test_real(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(reals); i++) {
		const struct real *r = &reals[i];
		struct enc e = {.n = 0};
		put_hex(&e, r->hex);
		check_answer(r->what, e.b, e.n, r->qname, r->qtype, 0, r->rcode, r->want,
		             r->canonical, r->null_mx, NULL);
		/* the same packet asked as another name or type is refused */
		check_answer(r->what, e.b, e.n, "other.example", r->qtype, -1, 0, NULL, NULL, false,
		             "another name");
		check_answer(r->what, e.b, e.n, r->qname,
		             r->qtype == DNS_TYPE_AAAA ? DNS_TYPE_A : DNS_TYPE_AAAA, -1, 0, NULL,
		             NULL, false, "answer is for type");
	}
	ALL_PASSED();
}

/* ---- every truncation, every octet changed ---- */

static bool mx_in(const struct dns_mx *m, const struct dns_answer *a)
{
	for (size_t i = 0; i < a->nmx; i++)
		if (a->mx[i].pref == m->pref && strcmp(a->mx[i].host, m->host) == 0)
			return true;
	return false;
}

static bool addr_in(const struct dns_addr *d, const struct dns_answer *a)
{
	for (size_t i = 0; i < a->naddr; i++)
		if (a->addr[i].family == d->family && memcmp(a->addr[i].addr, d->addr, 16) == 0)
			return true;
	return false;
}

/* subset - part is a consistent subset of whole */
static bool subset(const struct dns_answer *part, const struct dns_answer *whole)
{
	if (part->rcode != whole->rcode || (part->null_mx && !whole->null_mx))
		return false;
	for (size_t i = 0; i < part->nmx; i++)
		if (!mx_in(&part->mx[i], whole))
			return false;
	for (size_t i = 0; i < part->naddr; i++)
		if (!addr_in(&part->addr[i], whole))
			return false;
	return true;
}

/*
 * cut_all - every prefix of a good packet is -1 or a consistent subset. With the
 * record counts checked against the size and all three sections walked, a cut is
 * always seen, so for packets without trailing octets it is in fact always -1.
 */
static void cut_all(const char *what, const unsigned char *pkt, size_t len, const char *qname,
                    int qtype)
{
	struct dns_answer whole, part;
	char err[256];
	size_t accepted = 0;

	if (parse(pkt, len, qname, qtype, &whole, err, sizeof(err)) != 0)
		return;
	for (size_t cut = 0; cut < len; cut++) {
		int rc = parse(pkt, cut, qname, qtype, &part, err, sizeof(err));
		EXPECT(consistent(rc, &part, qtype, err), "%s cut at %zu: inconsistent", what, cut);
		EXPECT(rc == -1 || subset(&part, &whole), "%s cut at %zu: not a subset", what, cut);
		accepted += rc == 0;
	}
	EXPECT(accepted == 0, "%s: %zu cuts accepted", what, accepted);
}

static void test_truncation(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++) {
		struct enc e;
		if (rows[i].rc != 0)
			continue;
		build(&e, &rows[i]);
		cut_all(rows[i].what, e.b, e.n, rows[i].qname, rows[i].qtype);
	}
	for (size_t i = 0; i < NELEM(reals); i++) {
		struct enc e = {.n = 0};
		put_hex(&e, reals[i].hex);
		cut_all(reals[i].what, e.b, e.n, reals[i].qname, reals[i].qtype);
	}
	ALL_PASSED();
}

/* test_mutation - every octet of each real packet set to every other value */
static void test_mutation(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(reals); i++) {
		struct enc e = {.n = 0};
		struct dns_answer a;
		char err[256];
		put_hex(&e, reals[i].hex);
		for (size_t pos = 0; pos < e.n; pos++) {
			unsigned char orig = e.b[pos];
			for (unsigned v = 0; v < 256; v++) {
				if (v == orig)
					continue;
				e.b[pos] = (unsigned char)v;
				int rc = parse(e.b, e.n, reals[i].qname, reals[i].qtype, &a, err,
				               sizeof(err));
				EXPECT(consistent(rc, &a, reals[i].qtype, err),
				       "%s: octet %zu set to 0x%02x: inconsistent", reals[i].what,
				       pos, v);
			}
			e.b[pos] = orig;
		}
	}
	ALL_PASSED();
}

/* ---- generated packets: limits ---- */

static void header(struct enc *e, unsigned an, unsigned ar, const char *qname, unsigned qtype)
{
	e->n = 0;
	put_hex(e, "beef 8180 0001");
	put16(e, an);
	put16(e, 0);
	put16(e, ar);
	put_name(e, qname);
	put16(e, qtype);
	put16(e, 1);
}

/* test_mx_limit - past DNS_MAX_RECORDS, the lowest preferences are kept, in order */
static void test_mx_limit(void **state)
{
	struct enc e;
	char want[4096], host[32];
	size_t o = 0;

	(void)state;
	header(&e, 40, 0, EX, DNS_TYPE_MX);
	for (unsigned i = 0; i < 40; i++) {
		struct rr_spec s = R_MX("@12", 40 - i, NULL);
		snprintf(host, sizeof(host), "mx%u.@12", 40 - i);
		s.data = host;
		put_rr(&e, &s);
	}
	for (unsigned p = 1; p <= DNS_MAX_RECORDS; p++)
		o += (size_t)snprintf(want + o, sizeof(want) - o, "%s%u mx%u.example.com",
		                      p > 1 ? ", " : "", p, p);
	check_answer("40 MX, descending", e.b, e.n, EX, DNS_TYPE_MX, 0, 0, want, EX, false, NULL);

	/* equal preferences: the first 32 in packet order */
	header(&e, 40, 0, EX, DNS_TYPE_MX);
	o = 0;
	for (unsigned i = 0; i < 40; i++) {
		struct rr_spec s = R_MX("@12", 10, NULL);
		snprintf(host, sizeof(host), "mx%u.@12", i);
		s.data = host;
		put_rr(&e, &s);
		if (i < DNS_MAX_RECORDS)
			o += (size_t)snprintf(want + o, sizeof(want) - o, "%s10 mx%u.example.com",
			                      i ? ", " : "", i);
	}
	check_answer("40 MX, equal", e.b, e.n, EX, DNS_TYPE_MX, 0, 0, want, EX, false, NULL);

	/* 40 A: the first 32 */
	header(&e, 40, 0, EX, DNS_TYPE_A);
	o = 0;
	for (unsigned i = 0; i < 40; i++) {
		struct rr_spec s = R_A("@12", NULL);
		snprintf(host, sizeof(host), "192.0.2.%u", i);
		s.data = host;
		put_rr(&e, &s);
		if (i < DNS_MAX_RECORDS)
			o += (size_t)snprintf(want + o, sizeof(want) - o, "%s192.0.2.%u",
			                      i ? ", " : "", i);
	}
	check_answer("40 A", e.b, e.n, EX, DNS_TYPE_A, 0, 0, want, EX, false, NULL);
	ALL_PASSED();
}

/* test_cname_links - a chain of 8 CNAMEs is followed, one of 9 refused */
static void test_cname_links(void **state)
{
	(void)state;
	for (unsigned links = 0; links <= 10; links++) {
		struct enc e;
		char owner[32], target[32], what[64];
		header(&e, links + 1, 0, "h0.example", DNS_TYPE_A);
		for (unsigned i = 0; i < links; i++) {
			struct rr_spec s = R_CNAME(owner, target);
			snprintf(owner, sizeof(owner), "h%u.example", i);
			snprintf(target, sizeof(target), "h%u.example", i + 1);
			put_rr(&e, &s);
		}
		struct rr_spec s = R_A(target, "192.0.2.1");
		snprintf(target, sizeof(target), "h%u.example", links);
		put_rr(&e, &s);
		snprintf(what, sizeof(what), "%u CNAME links", links);
		if (links <= 8)
			check_answer(what, e.b, e.n, "h0.example", DNS_TYPE_A, 0, 0, "192.0.2.1",
			             target, false, NULL);
		else
			check_answer(what, e.b, e.n, "h0.example", DNS_TYPE_A, -1, 0, NULL, NULL,
			             false, "longer than 8 links");
	}
	ALL_PASSED();
}

/*
 * test_pointer_jumps - an owner reached through n pointers: a chain of pointers in
 * the opaque RDATA of a type-99 record, each pointing to the one before, the first
 * to the question name. 128 jumps are allowed, 129 are not.
 */
static void test_pointer_jumps(void **state)
{
	(void)state;
	for (unsigned jumps = 126; jumps <= 130; jumps++) {
		struct enc e;
		size_t last;
		char owner[16], what[64];
		header(&e, 2, 0, EX, DNS_TYPE_A);
		put_name(&e, "@12");
		put16(&e, 99);
		put16(&e, 1);
		put32(&e, 0);
		put16(&e, 2 * (jumps - 1));
		put16(&e, 0xc000 | 12);
		for (unsigned i = 1; i < jumps - 1; i++)
			put16(&e, 0xc000 | (unsigned)(e.n - 2));
		last = e.n - 2;
		snprintf(owner, sizeof(owner), "@%zu", last);
		struct rr_spec s = R_A(owner, "192.0.2.1");
		put_rr(&e, &s);
		snprintf(what, sizeof(what), "%u pointer jumps", jumps);
		if (jumps <= 128)
			check_answer(what, e.b, e.n, EX, DNS_TYPE_A, 0, 0, "192.0.2.1", EX, false,
			             NULL);
		else
			check_answer(what, e.b, e.n, EX, DNS_TYPE_A, -1, 0, NULL, NULL, false,
			             "too many pointers");
	}
	ALL_PASSED();
}

/*
 * test_long_names - names of 255 and 256 wire octets assembled from pieces by
 * compression: the length limit holds across pointers.
 */
static void test_long_names(void **state)
{
	static const char l63[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	(void)state;
	for (unsigned last = 60; last <= 63; last++) {
		struct enc e;
		char tail[256], ex[96], what[64], want[400];
		size_t tail_off;
		/* tail: three labels; the exchange: one label + pointer to the tail */
		snprintf(tail, sizeof(tail), "%s.%s.%.*s", l63, l63, (int)last, l63);
		header(&e, 2, 0, EX, DNS_TYPE_MX);
		put_name(&e, "@12");
		put16(&e, 99);
		put16(&e, 1);
		put32(&e, 0);
		put16(&e, (unsigned)(64 + 64 + last + 2));
		tail_off = e.n;
		put_name(&e, tail);
		snprintf(ex, sizeof(ex), "%s.@%zu", l63, tail_off);
		struct rr_spec s = R_MX("@12", 10, ex);
		put_rr(&e, &s);
		/* wire: 64 * 3 + (last + 1) + 1 */
		snprintf(what, sizeof(what), "exchange of %u wire octets", 64 * 3 + last + 2);
		snprintf(want, sizeof(want), "10 %s.%s", l63, tail);
		if (64 * 3 + last + 2 <= 255)
			check_answer(what, e.b, e.n, EX, DNS_TYPE_MX, 0, 0, want, EX, false, NULL);
		else
			check_answer(what, e.b, e.n, EX, DNS_TYPE_MX, -1, 0, NULL, NULL, false,
			             "longer than 255 octets");
	}
	ALL_PASSED();
}

/* test_err_buffer - err may be NULL or small; out is zeroed on -1 */
static void test_err_buffer(void **state)
{
	struct enc e;
	struct dns_answer a;
	char err[8];

	(void)state;
	header(&e, 0, 0, EX, DNS_TYPE_MX);
	e.b[3] |= 0x02; /* SERVFAIL and TC */
	e.b[2] |= 0x02;
	memset(&a, 0x5a, sizeof(a));
	memset(err, 'x', sizeof(err));
	assert_int_equal(dns_parse_answer(e.b, e.n, EX, DNS_TYPE_MX, &a, err, sizeof(err)), -1);
	assert_string_equal(err, "truncat");
	assert_int_equal(a.rcode, 0);
	assert_int_equal(a.nmx, 0);
	assert_false(a.null_mx);
	assert_int_equal(dns_parse_answer(e.b, e.n, EX, DNS_TYPE_MX, &a, NULL, 0), -1);
	assert_int_equal(dns_parse_answer(e.b, e.n, EX, DNS_TYPE_MX, &a, err, 0), -1);
	e.b[2] &= (unsigned char)~0x02;
	memset(err, 'x', sizeof(err));
	assert_int_equal(dns_parse_answer(e.b, e.n, EX, DNS_TYPE_MX, &a, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(a.rcode, DNS_RCODE_SERVFAIL);
}

/* ---- dns_name_valid ---- */

struct name_row {
	const char *name;
	bool valid;
};

static const struct name_row name_rows[] = {
        {"example.com", true},
        {"Example.COM", true},
        {"example.com.", true},
        {"mx-1.example.com", true},
        {"a", true},
        {"localhost", true},
        {"1.example", true},
        {"123.example.net", true},
        {"xn--bcher-kva.example", true},
        {"a1.b2.c3", true},
        {"example.c0m", true},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", true},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
         "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
         "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
         true},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
         "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
         "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.",
         true},
        {NULL, false},
        {"", false},
        {".", false},
        {"..", false},
        {"example.com..", false},
        {".example.com", false},
        {"a..example", false},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", false},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
         "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
         "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
         false},
        {"-example.com", false},
        {"example-.com", false},
        {"example.-com", false},
        {"mx_1.example.com", false},
        {"exa mple.com", false},
        {"example.com ", false},
        {"ex@mple.com", false},
        {"ex\\.ample.com", false},
        {"\xc3\xa9.example", false},
        {"ex\tample.com", false},
        {"192.0.2.1", false},
        {"192.0.2.1.", false},
        {"example.123", false},
        {"1", false},
        {"*.example.com", false},
};

static void test_name_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(name_rows); i++) {
		bool v = dns_name_valid(name_rows[i].name);
		EXPECT(v == name_rows[i].valid, "row %zu %s: %d, expected %d", i,
		       shows(name_rows[i].name), v, name_rows[i].valid);
	}
	ALL_PASSED();
}

/* ---- TXT: DKIM keys, SPF and DMARC records ---- */

/* fmt_txt - the records joined with " | ", each in quotes */
static const char *fmt_txt(const struct dns_txt *t)
{
	static char buf[DNS_TXT_MAX + 8 * DNS_MAX_RECORDS];
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s\"%.*s\"", i ? " | " : "",
		                      (int)t->rec[i].len, t->data + t->rec[i].off);
	return buf;
}

/* txt_consistent - what any answer, good or bad, must look like */
static bool txt_consistent(int rc, const struct dns_txt *t, const char *err)
{
	if (rc == -1)
		return err[0] != '\0' && t->n == 0;
	if (rc != 0 || t->n > DNS_MAX_RECORDS)
		return false;
	for (size_t i = 0; i < t->n; i++)
		if (t->rec[i].off + t->rec[i].len >= sizeof(t->data) ||
		    t->data[t->rec[i].off + t->rec[i].len] != '\0')
			return false;
	return true;
}

static int parse_txt(const unsigned char *pkt, size_t len, const char *qname, struct dns_txt *t,
                     char *err, size_t errlen)
{
	unsigned char *copy = malloc(len ? len : 1); /* exact size: ASan sees over-reads */
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy, pkt, len);
	rc = dns_parse_txt(copy, len, qname, t, err, errlen);
	free(copy);
	return rc;
}

static const struct row txt_rows[] = {
        {"a DKIM key",
         "sel._domainkey.example.com",
         DNS_TYPE_TXT,
         0,
         NULL,
         0,
         {R_TXT("sel._domainkey.example.com",
                "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")},
         0,
         0,
         "\"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"",
         NULL,
         false,
         NULL},
        {"strings of one record are joined, nothing between them",
         "example.com",
         DNS_TYPE_TXT,
         0,
         NULL,
         0,
         {R_TXT("example.com", "v=spf1 ip4:192.0.2.1| ip4:192.0.2.2 |-all")},
         0,
         0,
         "\"v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 -all\"",
         NULL,
         false,
         NULL},
        {"records in packet order, an empty string kept",
         "example.com",
         DNS_TYPE_TXT,
         0,
         NULL,
         0,
         {R_TXT("example.com", "google-site-verification=x"), R_TXT("example.com", ""),
          R_TXT("example.com", "v=spf1 -all")},
         0,
         0,
         "\"google-site-verification=x\" | \"\" | \"v=spf1 -all\"",
         NULL,
         false,
         NULL},
        {"owner names compare without case; a CNAME is followed",
         "sel._domainkey.example.com",
         DNS_TYPE_TXT,
         0,
         NULL,
         0,
         {R_CNAME("SEL._DomainKey.Example.COM", "sel.keys.example.net"),
          R_TXT("sel.keys.example.net", "v=DKIM1; p=AB"),
          R_TXT("other.example.net", "not this one")},
         0,
         0,
         "\"v=DKIM1; p=AB\"",
         NULL,
         false,
         NULL},
        {"TXT of another name only",
         "_dmarc.example.com",
         DNS_TYPE_TXT,
         0,
         NULL,
         0,
         {R_TXT("example.com", "v=spf1 -all")},
         0,
         0,
         "",
         NULL,
         false,
         NULL},
        {"NXDOMAIN",
         "_dmarc.example.com",
         DNS_TYPE_TXT,
         0x8183,
         NULL,
         0,
         {R_SOA("example.com")},
         0,
         3,
         "",
         NULL,
         false,
         NULL},
        {"an empty string between two",
         "example.com",
         DNS_TYPE_TXT,
         0,
         NULL,
         0,
         {R_HEX(AN, "example.com", DNS_TYPE_TXT, "03616263 00 03646566")},
         0,
         0,
         "\"abcdef\"",
         NULL,
         false,
         NULL},
        {"empty RDATA",
         "example.com",
         DNS_TYPE_TXT,
         0,
         NULL,
         0,
         {R_HEX(AN, "example.com", DNS_TYPE_TXT, "")},
         -1,
         0,
         "",
         NULL,
         false,
         "is empty"},
        {"a string runs past RDATA",
         "example.com",
         DNS_TYPE_TXT,
         0,
         NULL,
         0,
         {R_HEX(AN, "example.com", DNS_TYPE_TXT, "03616263 05616263")},
         -1,
         0,
         "",
         NULL,
         false,
         "runs past RDATA"},
        {"the question is another name",
         "example.com",
         DNS_TYPE_TXT,
         0,
         "example.org",
         0,
         {R_TXT("example.org", "v=spf1 -all")},
         -1,
         0,
         "",
         NULL,
         false,
         NULL},
        {"the question is another type",
         "example.com",
         DNS_TYPE_TXT,
         0,
         NULL,
         DNS_TYPE_MX,
         {R_TXT("example.com", "v=spf1 -all")},
         -1,
         0,
         "",
         NULL,
         false,
         NULL},
};

static void test_txt(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(txt_rows); i++) {
		const struct row *r = &txt_rows[i];
		struct enc e;
		struct dns_txt t;
		char err[256];

		build(&e, r);
		int rc = parse_txt(e.b, e.n, r->qname, &t, err, sizeof(err));
		EXPECT(rc == r->rc, "%s: rc %d, expected %d (%s)", r->what, rc, r->rc, err);
		EXPECT(txt_consistent(rc, &t, err), "%s: inconsistent", r->what);
		if (rc == 0) {
			EXPECT(t.rcode == r->rcode, "%s: rcode %d", r->what, t.rcode);
			EXPECT(strcmp(fmt_txt(&t), r->want) == 0, "%s: got %s, expected %s",
			       r->what, fmt_txt(&t), r->want);
			EXPECT(!t.truncated, "%s: truncated", r->what);
		} else if (r->err) {
			EXPECT(strstr(err, r->err) != NULL, "%s: error \"%s\" lacks \"%s\"",
			       r->what, err, r->err);
		}
		if (rc != 0)
			continue;
		/* every cut of a good answer is refused; every octet changed stays consistent */
		for (size_t cut = 0; cut < e.n; cut++) {
			int c = parse_txt(e.b, cut, r->qname, &t, err, sizeof(err));
			EXPECT(c == -1 && txt_consistent(c, &t, err), "%s cut at %zu: accepted",
			       r->what, cut);
		}
		for (size_t pos = 0; pos < e.n; pos++) {
			unsigned char orig = e.b[pos];
			for (unsigned v = 0; v < 256; v++) {
				e.b[pos] = (unsigned char)v;
				int m = parse_txt(e.b, e.n, r->qname, &t, err, sizeof(err));
				EXPECT(txt_consistent(m, &t, err), "%s: octet %zu = 0x%02x",
				       r->what, pos, v);
			}
			e.b[pos] = orig;
		}
	}
	ALL_PASSED();
}

/* test_txt_limits - past DNS_MAX_RECORDS records or DNS_TXT_MAX octets: kept in order, truncated */
static void test_txt_limits(void **state)
{
	struct enc e;
	struct dns_txt t;
	char err[256], text[256];

	(void)state;
	/* 40 records: the first 32 kept */
	header(&e, 40, 0, "example.com", DNS_TYPE_TXT);
	for (unsigned i = 0; i < 40; i++) {
		snprintf(text, sizeof(text), "record %u", i);
		struct rr_spec rr = R_TXT("example.com", text);
		put_rr(&e, &rr);
	}
	assert_int_equal(parse_txt(e.b, e.n, "example.com", &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, DNS_MAX_RECORDS);
	assert_true(t.truncated);
	assert_string_equal(t.data + t.rec[31].off, "record 31");
	/* 20 records of 1,000 octets: 16 fit in DNS_TXT_MAX, with their NULs */
	static struct enc big;
	header(&big, 20, 0, "example.com", DNS_TYPE_TXT);
	char four[4 * 251 + 1];
	memset(four, 'k', sizeof(four) - 1);
	four[sizeof(four) - 1] = '\0';
	for (size_t k = 250; k < sizeof(four) - 1; k += 251)
		four[k] = '|'; /* four strings of 250 octets */
	for (unsigned i = 0; i < 20; i++) {
		struct rr_spec rr = R_TXT("example.com", four);
		put_rr(&big, &rr);
	}
	assert_int_equal(parse_txt(big.b, big.n, "example.com", &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, DNS_TXT_MAX / 1001);
	assert_true(t.truncated);
	assert_int_equal(t.rec[t.n - 1].len, 1000);
	assert_true(txt_consistent(0, &t, err));
	ALL_PASSED();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),        cmocka_unit_test(test_hex_rows),
	        cmocka_unit_test(test_real),        cmocka_unit_test(test_truncation),
	        cmocka_unit_test(test_mutation),    cmocka_unit_test(test_mx_limit),
	        cmocka_unit_test(test_cname_links), cmocka_unit_test(test_pointer_jumps),
	        cmocka_unit_test(test_long_names),  cmocka_unit_test(test_err_buffer),
	        cmocka_unit_test(test_name_valid),  cmocka_unit_test(test_txt),
	        cmocka_unit_test(test_txt_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
