/*
 * dnsmsg.h - parsing DNS answers (RFC 1035 wire format) for MX, A, AAAA and TXT.
 * No I/O, no allocation.
 *
 * The packet is untrusted: it comes from libunbound's ub_resolve_event()
 * callback, and from the network before that. Every offset is checked against
 * the packet length; compression pointers must point backwards; anything that
 * does not fit the rules below makes the whole answer -1, never a partial read.
 */
#ifndef POSTERN_DNSMSG_H
#define POSTERN_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNS_TYPE_A     1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_MX    15
#define DNS_TYPE_TXT   16
#define DNS_TYPE_AAAA  28

#define DNS_RCODE_NOERROR  0
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3

#define DNS_NAME_MAX    253 /* text form, no trailing dot */
#define DNS_MAX_RECORDS 32  /* more matching records than this are ignored, not an error */

/* host lower-cased, no trailing dot; "" for the root (null MX) */
struct dns_mx {
	uint16_t pref;
	char host[DNS_NAME_MAX + 1];
};

/* AF_INET (4 octets used) or AF_INET6 */
struct dns_addr {
	int family;
	unsigned char addr[16];
};

struct dns_answer {
	int rcode; /* from the header */
	size_t nmx;
	struct dns_mx mx[DNS_MAX_RECORDS];
	size_t naddr;
	struct dns_addr addr[DNS_MAX_RECORDS];
	char canonical[DNS_NAME_MAX +
	               1]; /* the name at the end of the CNAME chain (qname if none) */
	bool null_mx;      /* RFC 7505: exactly one MX, preference 0, exchange "." */
};

/*
 * dns_parse_answer - parse the answer to a query for qname (text, case-insensitive,
 * trailing dot optional) of type qtype (MX, A or AAAA). Collects the records of qtype
 * whose owner is qname or a name reached from it by CNAME records in the answer
 * section (follow the chain, at most 8 links, loops refused). MX results are sorted by
 * preference (stable). Returns 0 (an answer with zero records is still 0: NODATA, or
 * NXDOMAIN with rcode set), or -1 with err filled for a malformed packet.
 *
 * Details of the contract:
 * - The header must be a response (QR set, opcode QUERY) without TC, with exactly one
 *   question, for qname, qtype and class IN. All three record sections are walked and
 *   must be well formed; A, AAAA, MX and CNAME records of class IN must have the right
 *   RDATA length wherever they appear. Records of other classes are ignored.
 * - Records are collected whatever the rcode: the caller looks at rcode first.
 * - MX: an exchange must pass dns_name_valid() or be the root. One that does not is
 *   skipped, and so is a root exchange among other MX records. If MX records matched
 *   but none is usable (and it is not a null MX), the answer is -1: falling back to the
 *   address of the domain (RFC 5321 5.1 implicit MX) would deliver to a host the domain
 *   never named. When more than DNS_MAX_RECORDS MX are usable, the ones with the
 *   lowest preferences are kept.
 * - A CNAME whose target is the root, or cannot be written as text (a label holding
 *   '.', '\', a space, a control or a non-ASCII octet), is skipped as if it were not
 *   there.
 * - canonical is lower-cased, without a trailing dot.
 * The packet is only read; out is written (zeroed on -1); err, if not NULL, gets a
 * NUL-terminated reason on -1.
 */
int dns_parse_answer(const unsigned char *pkt, size_t len, const char *qname, int qtype,
                     struct dns_answer *out, char *err, size_t errlen);

#define DNS_TXT_MAX 16384 /* octets of all TXT records of one answer, together */

/* the TXT records of an answer: each record's strings concatenated (RFC 7208 3.3, RFC 6376 3.6.2.2) */
struct dns_txt {
	int rcode;
	size_t n;
	struct {
		size_t off, len; /* into data */
	} rec[DNS_MAX_RECORDS];
	char data[DNS_TXT_MAX];
	bool truncated; /* records were left out: more than DNS_MAX_RECORDS or DNS_TXT_MAX */
};

/*
 * dns_parse_txt - the TXT records of the answer to a TXT query for qname,
 * following CNAMEs as dns_parse_answer does, with the same strictness (a
 * TXT RDATA must be a whole number of character-strings). Records in packet
 * order; the text is not NUL-terminated per record (data holds NULs between
 * them). 0, or -1 with err.
 */
int dns_parse_txt(const unsigned char *pkt, size_t len, const char *qname, struct dns_txt *out,
                  char *err, size_t errlen);

/*
 * dns_name_valid - a host name we can look up: LDH labels of 1-63 (letters, digits,
 * hyphens, not starting or ending with a hyphen), total <= 253, one trailing dot
 * allowed. The last label may not be all digits, so an address written as an MX
 * exchange ("192.0.2.1") is not taken for a name. NULL, "" and "." are not valid.
 */
bool dns_name_valid(const char *name);

#endif
