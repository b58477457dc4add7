/*
 * dnsmsg.c - a strict reader of DNS answers (RFC 1035 4.1) for MX, A, AAAA and TXT.
 *
 * Names are compared in a flat wire form: uncompressed labels with their length
 * octets, ASCII lower-cased, ending with the root octet. Comparing wire forms rather
 * than text keeps a label that holds a '.' from ever matching two labels. The packet
 * is walked in passes (check all of it, follow the CNAME chain, collect) instead of
 * being copied, so there is no allocation and no limit but the packet's own size.
 */
#include "dnsmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define HDR_LEN   12
#define RR_MIN    11  /* root owner, type, class, TTL, RDLENGTH */
#define WIRE_MAX  255 /* RFC 1035 3.1: a name in wire form, root octet included */
#define MAX_JUMPS 128
#define MAX_LINKS 8
#define CLASS_IN  1

#define FLAG_QR     0x8000
#define FLAG_TC     0x0200
#define OPCODE_MASK 0x7800

struct reader {
	const unsigned char *pkt;
	size_t len;
	char *err;
	size_t errlen;
};

/* one resource record, its owner flattened, its RDATA left in the packet */
struct rr {
	unsigned char owner[WIRE_MAX];
	size_t ownerlen;
	unsigned type, class;
	size_t rdoff, rdlen;
};

static int fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* fail - fill the caller's error buffer (if any); always returns -1 */
static int fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->err == NULL || r->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/*
 * holdable - an octet a text name can carry without escapes: printable ASCII other
 * than the label separator, the escape character and space.
 */
static bool holdable(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '.' && c != '\\';
}

static bool name_eq(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/*
 * pointer - the target of the compression pointer at pos. It must land after the
 * header and before run, the start of the labels the pointer ends, so that every
 * jump goes strictly backwards and no loop can be built.
 */
static int pointer(struct reader *r, size_t pos, size_t run, size_t *to)
{
	if (pos + 1 >= r->len)
		return fail(r, "compression pointer at offset %zu runs past the end", pos);
	*to = (size_t)(r->pkt[pos] & 0x3f) << 8 | r->pkt[pos + 1];
	if (*to < HDR_LEN)
		return fail(r, "compression pointer at offset %zu points into the header", pos);
	if (*to >= run)
		return fail(r, "compression pointer at offset %zu does not point backwards", pos);
	return 0;
}

/*
 * get_name - read the possibly compressed name at off into name (flat wire form,
 * lower-cased, at most WIRE_MAX octets) and *namelen. *next is the offset just after
 * the name as written at off: after its first pointer if it has one. Pointers only
 * go backwards (see pointer()); MAX_JUMPS bounds the work anyway.
 */
static int get_name(struct reader *r, size_t off, unsigned char *name, size_t *namelen,
                    size_t *next)
{
	size_t pos = off, run = off, n = 0, jumps = 0;
	bool jumped = false;

	for (;;) {
		if (pos >= r->len)
			return fail(r, "name at offset %zu runs past the end", off);
		unsigned c = r->pkt[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pointer(r, pos, run, &run) < 0)
				return -1;
			if (++jumps > MAX_JUMPS)
				return fail(r, "name at offset %zu has too many pointers", off);
			if (!jumped)
				*next = pos + 2;
			jumped = true;
			pos = run;
			continue;
		}
		if (c > 63)
			return fail(r, "label type 0x%02x at offset %zu", c & 0xc0, pos);
		/* room for this label and, after it, at least the root octet */
		if (n + 1 + c + (c ? 1 : 0) > WIRE_MAX)
			return fail(r, "name at offset %zu is longer than 255 octets", off);
		if (c == 0) {
			name[n++] = 0;
			break;
		}
		if (c > r->len - pos - 1)
			return fail(r, "name at offset %zu runs past the end", off);
		name[n++] = (unsigned char)c;
		for (unsigned i = 1; i <= c; i++)
			name[n++] = lower(r->pkt[pos + i]);
		pos += 1 + c;
	}
	if (!jumped)
		*next = pos + 1;
	*namelen = n;
	return 0;
}

/*
 * wire_to_text - a flat name as lower-case text without the trailing dot ("" for
 * the root). False if a label holds an octet text cannot carry; dst is then
 * unspecified. dst must hold DNS_NAME_MAX + 1 octets, which a 255-octet wire name
 * always fits.
 */
static bool wire_to_text(const unsigned char *name, char *dst)
{
	size_t o = 0;

	for (size_t i = 0; name[i] != 0; i += 1 + name[i]) {
		if (o > 0)
			dst[o++] = '.';
		for (size_t k = 1; k <= name[i]; k++) {
			if (!holdable(name[i + k]))
				return false;
			dst[o++] = (char)name[i + k];
		}
	}
	dst[o] = '\0';
	return true;
}

/* text_to_wire - qname into flat wire form; one trailing dot allowed, no root, no escapes */
static int text_to_wire(const char *s, unsigned char *name, size_t *namelen)
{
	size_t len = s ? strlen(s) : 0, n = 0, lab = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return -1;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (i == lab || i - lab > 63)
				return -1;
			name[n++] = (unsigned char)(i - lab);
			for (size_t k = lab; k < i; k++)
				name[n++] = lower((unsigned char)s[k]);
			lab = i + 1;
		} else if (!holdable((unsigned char)s[i])) {
			return -1;
		}
	}
	name[n++] = 0;
	*namelen = n;
	return 0;
}

/* next_rr - read the record at *off and move *off past it; RDATA is only bounded */
static int next_rr(struct reader *r, size_t *off, struct rr *rr)
{
	size_t pos;

	if (get_name(r, *off, rr->owner, &rr->ownerlen, &pos) < 0)
		return -1;
	if (pos + 10 > r->len)
		return fail(r, "record at offset %zu runs past the end", *off);
	rr->type = get16(r->pkt + pos);
	rr->class = get16(r->pkt + pos + 2);
	rr->rdlen = get16(r->pkt + pos + 8);
	rr->rdoff = pos + 10;
	if (rr->rdlen > r->len - rr->rdoff)
		return fail(r, "RDLENGTH of the record at offset %zu runs past the end", *off);
	*off = rr->rdoff + rr->rdlen;
	return 0;
}

/* rdata_name - the name in RDATA at off, which must end exactly where RDATA ends */
static int rdata_name(struct reader *r, const struct rr *rr, size_t off, unsigned char *name,
                      size_t *namelen)
{
	size_t end;

	if (off >= rr->rdoff + rr->rdlen)
		return fail(r, "RDATA at offset %zu too short for a name", rr->rdoff);
	if (get_name(r, off, name, namelen, &end) < 0)
		return -1;
	if (end != rr->rdoff + rr->rdlen)
		return fail(r, "name in RDATA at offset %zu does not match RDLENGTH %zu", rr->rdoff,
		            rr->rdlen);
	return 0;
}

/* check_rdata - the RDATA of the IN types we read must have their exact shape */
static int check_rdata(struct reader *r, const struct rr *rr)
{
	unsigned char name[WIRE_MAX];
	size_t namelen;

	switch (rr->type) {
	case DNS_TYPE_A:
		if (rr->rdlen != 4)
			return fail(r, "A record at offset %zu has RDLENGTH %zu", rr->rdoff,
			            rr->rdlen);
		return 0;
	case DNS_TYPE_AAAA:
		if (rr->rdlen != 16)
			return fail(r, "AAAA record at offset %zu has RDLENGTH %zu", rr->rdoff,
			            rr->rdlen);
		return 0;
	case DNS_TYPE_MX:
		if (rr->rdlen < 2)
			return fail(r, "MX record at offset %zu has RDLENGTH %zu", rr->rdoff,
			            rr->rdlen);
		return rdata_name(r, rr, rr->rdoff + 2, name, &namelen);
	case DNS_TYPE_CNAME:
		return rdata_name(r, rr, rr->rdoff, name, &namelen);
	case DNS_TYPE_TXT:
		/* one or more character-strings that fill RDATA exactly */
		if (rr->rdlen == 0)
			return fail(r, "TXT record at offset %zu is empty", rr->rdoff);
		for (size_t k = 0; k < rr->rdlen; k += 1 + r->pkt[rr->rdoff + k])
			if (k + 1 + r->pkt[rr->rdoff + k] > rr->rdlen)
				return fail(r, "TXT string at offset %zu runs past RDATA",
				            rr->rdoff + k);
		return 0;
	default:
		return 0;
	}
}

/*
 * check_packet - the header, the question (which must be qname, qtype, IN) and the
 * shape of every record in all three sections. On 0, *an_off and *ancount locate the
 * answer section, which the later passes can walk without meeting an error.
 */
static int check_packet(struct reader *r, const unsigned char *qwire, size_t qwirelen, int qtype,
                        size_t *an_off, size_t *ancount)
{
	const unsigned char *p = r->pkt;
	unsigned char name[WIRE_MAX];
	size_t namelen, off, total;
	unsigned flags;

	if (r->len < HDR_LEN)
		return fail(r, "short header: %zu octets", r->len);
	flags = get16(p + 2);
	if (!(flags & FLAG_QR))
		return fail(r, "not a response");
	if (flags & OPCODE_MASK)
		return fail(r, "opcode %u is not QUERY", (flags & OPCODE_MASK) >> 11);
	/* unbound retries over TCP itself, so a truncated answer here is a fault */
	if (flags & FLAG_TC)
		return fail(r, "truncated answer");
	if (get16(p + 4) != 1)
		return fail(r, "%u questions, expected 1", get16(p + 4));
	if (get_name(r, HDR_LEN, name, &namelen, &off) < 0)
		return -1;
	if (off + 4 > r->len)
		return fail(r, "question runs past the end");
	if (!name_eq(name, namelen, qwire, qwirelen))
		return fail(r, "answer is for another name");
	if (get16(p + off) != (unsigned)qtype)
		return fail(r, "answer is for type %u, not %d", get16(p + off), qtype);
	if (get16(p + off + 2) != CLASS_IN)
		return fail(r, "question class %u is not IN", get16(p + off + 2));
	off += 4;
	*an_off = off;
	*ancount = get16(p + 6);
	/* bound the walk before starting it: each record takes at least RR_MIN octets */
	total = (size_t)get16(p + 6) + get16(p + 8) + get16(p + 10);
	if (total > (r->len - off) / RR_MIN)
		return fail(r, "%zu records cannot fit in %zu octets", total, r->len - off);
	for (size_t i = 0; i < total; i++) {
		struct rr rr;
		if (next_rr(r, &off, &rr) < 0)
			return -1;
		if (rr.class == CLASS_IN && check_rdata(r, &rr) < 0)
			return -1;
	}
	return 0;
}

/*
 * find_cname - the target of the first IN CNAME owned by name whose target is not the
 * root and can be written as text: the chain's end becomes the canonical name, which
 * must be a name. 1 found, 0 none, -1 error (cannot happen after check_packet).
 */
static int find_cname(struct reader *r, size_t off, size_t ancount, const unsigned char *name,
                      size_t namelen, unsigned char *target, size_t *targetlen)
{
	char text[DNS_NAME_MAX + 1];

	for (size_t i = 0; i < ancount; i++) {
		struct rr rr;
		if (next_rr(r, &off, &rr) < 0)
			return -1;
		if (rr.class != CLASS_IN || rr.type != DNS_TYPE_CNAME ||
		    !name_eq(rr.owner, rr.ownerlen, name, namelen))
			continue;
		if (rdata_name(r, &rr, rr.rdoff, target, targetlen) < 0)
			return -1;
		if (*targetlen > 1 && wire_to_text(target, text))
			return 1;
	}
	return 0;
}

/*
 * follow_chain - chain[0] is qname; append each CNAME target in turn. A target already
 * in the chain is a loop; more than MAX_LINKS targets is refused like a loop, as
 * resolvers do.
 */
static int follow_chain(struct reader *r, size_t an_off, size_t ancount,
                        unsigned char (*chain)[WIRE_MAX], size_t *chainlen, size_t *nchain)
{
	size_t n = 1;

	for (;;) {
		unsigned char target[WIRE_MAX];
		size_t tlen;
		int found = find_cname(r, an_off, ancount, chain[n - 1], chainlen[n - 1], target,
		                       &tlen);
		if (found < 0)
			return -1;
		if (found == 0)
			break;
		for (size_t i = 0; i < n; i++)
			if (name_eq(chain[i], chainlen[i], target, tlen))
				return fail(r, "CNAME loop");
		if (n == MAX_LINKS + 1)
			return fail(r, "CNAME chain longer than %d links", MAX_LINKS);
		memcpy(chain[n], target, tlen);
		chainlen[n++] = tlen;
	}
	*nchain = n;
	return 0;
}

/*
 * add_mx - insert after every MX of lower or equal preference, so the list stays
 * sorted and equal preferences keep packet order. When full, the highest preference
 * gives way to a lower one.
 */
static void add_mx(struct dns_answer *out, unsigned pref, const char *host)
{
	size_t n = out->nmx, i;

	if (n == DNS_MAX_RECORDS) {
		if (out->mx[n - 1].pref <= pref)
			return;
		n--;
	}
	for (i = n; i > 0 && out->mx[i - 1].pref > pref; i--)
		out->mx[i] = out->mx[i - 1];
	out->mx[i].pref = (uint16_t)pref;
	memcpy(out->mx[i].host, host, strlen(host) + 1);
	out->nmx = n + 1;
}

static bool in_chain(const struct rr *rr, unsigned char (*chain)[WIRE_MAX], const size_t *chainlen,
                     size_t nchain)
{
	for (size_t i = 0; i < nchain; i++)
		if (name_eq(rr->owner, rr->ownerlen, chain[i], chainlen[i]))
			return true;
	return false;
}

static void add_addr(struct dns_answer *out, struct reader *r, const struct rr *rr)
{
	struct dns_addr *a;

	if (out->naddr == DNS_MAX_RECORDS)
		return;
	a = &out->addr[out->naddr++];
	a->family = rr->type == DNS_TYPE_A ? AF_INET : AF_INET6;
	memcpy(a->addr, r->pkt + rr->rdoff, rr->rdlen);
}

/* add_txt - one TXT record, its strings joined, NUL after it */
static void add_txt(struct dns_txt *t, struct reader *r, const struct rr *rr)
{
	size_t used = t->n ? t->rec[t->n - 1].off + t->rec[t->n - 1].len + 1 : 0;
	size_t need = 0;

	for (size_t k = 0; k < rr->rdlen; k += 1 + r->pkt[rr->rdoff + k])
		need += r->pkt[rr->rdoff + k];
	if (t->n == DNS_MAX_RECORDS || used + need + 1 > sizeof(t->data)) {
		t->truncated = true;
		return;
	}
	t->rec[t->n].off = used;
	for (size_t k = 0; k < rr->rdlen; k += 1 + r->pkt[rr->rdoff + k]) {
		size_t sl = r->pkt[rr->rdoff + k];
		memcpy(t->data + used, r->pkt + rr->rdoff + k + 1, sl);
		used += sl;
	}
	t->data[used] = '\0';
	t->rec[t->n].len = need;
	t->n++;
}

/* collect - the qtype records owned by a name of the chain; null MX is decided here */
static int collect(struct reader *r, size_t off, size_t ancount, unsigned qtype,
                   unsigned char (*chain)[WIRE_MAX], const size_t *chainlen, size_t nchain,
                   struct dns_answer *out, struct dns_txt *txt)
{
	size_t nmatch = 0, nroot = 0;
	unsigned rootpref = 0;

	for (size_t i = 0; i < ancount; i++) {
		unsigned char ex[WIRE_MAX];
		char host[DNS_NAME_MAX + 1];
		size_t exlen;
		struct rr rr;
		if (next_rr(r, &off, &rr) < 0)
			return -1;
		if (rr.class != CLASS_IN || rr.type != qtype ||
		    !in_chain(&rr, chain, chainlen, nchain))
			continue;
		if (qtype == DNS_TYPE_TXT) {
			add_txt(txt, r, &rr);
			continue;
		}
		if (qtype != DNS_TYPE_MX) {
			add_addr(out, r, &rr);
			continue;
		}
		nmatch++;
		if (rdata_name(r, &rr, rr.rdoff + 2, ex, &exlen) < 0)
			return -1;
		if (exlen == 1) {
			nroot++;
			rootpref = get16(r->pkt + rr.rdoff);
			continue;
		}
		if (wire_to_text(ex, host) && dns_name_valid(host))
			add_mx(out, get16(r->pkt + rr.rdoff), host);
	}
	if (nmatch == 1 && nroot == 1 && rootpref == 0) {
		out->null_mx = true;
		out->nmx = 1;
		out->mx[0].pref = 0;
		out->mx[0].host[0] = '\0';
	} else if (nmatch > 0 && out->nmx == 0) {
		return fail(r, "%zu MX records, none with a usable exchange", nmatch);
	}
	return 0;
}

static int parse(struct reader *r, const char *qname, int qtype, struct dns_answer *out,
                 struct dns_txt *txt)
{
	unsigned char chain[MAX_LINKS + 1][WIRE_MAX];
	size_t chainlen[MAX_LINKS + 1], nchain = 0, an_off = 0, ancount = 0;

	if (qtype != DNS_TYPE_MX && qtype != DNS_TYPE_A && qtype != DNS_TYPE_AAAA &&
	    !(qtype == DNS_TYPE_TXT && txt != NULL))
		return fail(r, "query type %d not supported", qtype);
	if (text_to_wire(qname, chain[0], &chainlen[0]) < 0)
		return fail(r, "query name is not a name");
	if (check_packet(r, chain[0], chainlen[0], qtype, &an_off, &ancount) < 0)
		return -1;
	out->rcode = r->pkt[3] & 0x0f;
	if (txt)
		txt->rcode = out->rcode;
	if (follow_chain(r, an_off, ancount, chain, chainlen, &nchain) < 0)
		return -1;
	/* every chain name is qname or a target that passed wire_to_text */
	wire_to_text(chain[nchain - 1], out->canonical);
	return collect(r, an_off, ancount, (unsigned)qtype, chain, chainlen, nchain, out, txt);
}

int dns_parse_answer(const unsigned char *pkt, size_t len, const char *qname, int qtype,
                     struct dns_answer *out, char *err, size_t errlen)
{
	struct reader r = {pkt, len, err, errlen};

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (parse(&r, qname, qtype, out, NULL) < 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

int dns_parse_txt(const unsigned char *pkt, size_t len, const char *qname, struct dns_txt *out,
                  char *err, size_t errlen)
{
	struct reader r = {pkt, len, err, errlen};
	struct dns_answer a;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&a, 0, sizeof(a));
	out->n = 0;
	out->rcode = 0;
	out->truncated = false;
	if (parse(&r, qname, DNS_TYPE_TXT, &a, out) < 0) {
		out->n = 0;
		return -1;
	}
	return 0;
}

static bool ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

bool dns_name_valid(const char *name)
{
	size_t len, lab = 0;
	bool numeric = true;

	if (name == NULL)
		return false;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '.') {
			if (!ldh(name[i]))
				return false;
			continue;
		}
		if (i == lab || i - lab > 63 || name[lab] == '-' || name[i - 1] == '-')
			return false;
		numeric = strspn(name + lab, "0123456789") >= i - lab;
		lab = i + 1;
	}
	/* a TLD is never all digits (RFC 3696 2): "192.0.2.1" is an address, not a name */
	return !numeric;
}
