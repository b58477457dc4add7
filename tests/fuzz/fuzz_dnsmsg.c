/*
 * fuzz_dnsmsg.c - libFuzzer: the DNS answer parser against arbitrary packets,
 * asked for MX, A, AAAA and TXT. The query name is read from the input's own question
 * (so the fuzzer gets past the question check), or is "example.com" when that
 * fails or the ID's second octet is 0xff. Aborts on any answer that breaks the
 * contract of dns_parse_answer().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* qname_of - the uncompressed question name at offset 12 as text, labels joined by '.' */
static void qname_of(const uint8_t *data, size_t size, char *dst, size_t dstlen)
{
	size_t pos = 12, o = 0;

	strcpy(dst, "example.com");
	if (size < 13 || data[1] == 0xff)
		return;
	while (pos < size && data[pos] != 0) {
		size_t n = data[pos];
		if (n > 63 || pos + 1 + n > size || o + n + 2 > dstlen) {
			strcpy(dst, "example.com");
			return;
		}
		if (o > 0)
			dst[o++] = '.';
		memcpy(dst + o, data + pos + 1, n);
		o += n;
		pos += 1 + n;
	}
	if (o == 0 || memchr(dst, '\0', o) != NULL) {
		strcpy(dst, "example.com");
		return;
	}
	dst[o] = '\0';
}

static void check(int rc, const struct dns_answer *a, int qtype, const char *err)
{
	if (rc == -1) {
		if (err[0] == '\0' || a->nmx || a->naddr || a->null_mx || a->canonical[0])
			abort();
		return;
	}
	if (rc != 0 || a->nmx > DNS_MAX_RECORDS || a->naddr > DNS_MAX_RECORDS)
		abort();
	if (a->rcode < 0 || a->rcode > 15)
		abort();
	if (qtype == DNS_TYPE_MX ? a->naddr != 0 : (a->nmx != 0 || a->null_mx))
		abort();
	if (memchr(a->canonical, '\0', sizeof(a->canonical)) == NULL || a->canonical[0] == '\0')
		abort();
	if (a->null_mx && (a->nmx != 1 || a->mx[0].pref != 0 || a->mx[0].host[0] != '\0'))
		abort();
	for (size_t i = 0; i < a->nmx; i++) {
		const char *h = a->mx[i].host;
		if (memchr(h, '\0', sizeof(a->mx[i].host)) == NULL)
			abort();
		if (i > 0 && a->mx[i - 1].pref > a->mx[i].pref)
			abort();
		if (h[0] == '\0' ? !a->null_mx : !dns_name_valid(h))
			abort();
		for (; *h; h++)
			if (*h >= 'A' && *h <= 'Z')
				abort();
	}
	for (size_t i = 0; i < a->naddr; i++) {
		if (a->addr[i].family != (qtype == DNS_TYPE_A ? AF_INET : AF_INET6))
			abort();
		if (a->addr[i].family == AF_INET)
			for (size_t k = 4; k < 16; k++)
				if (a->addr[i].addr[k] != 0)
					abort();
	}
}

static void check_txt(int rc, const struct dns_txt *t, const char *err)
{
	if (rc == -1) {
		if (err[0] == '\0' || t->n != 0)
			abort();
		return;
	}
	if (rc != 0 || t->n > DNS_MAX_RECORDS || t->rcode < 0 || t->rcode > 15)
		abort();
	for (size_t i = 0; i < t->n; i++) {
		if (t->rec[i].off + t->rec[i].len >= sizeof(t->data))
			abort();
		if (t->data[t->rec[i].off + t->rec[i].len] != '\0')
			abort();
		if (i > 0 && t->rec[i].off != t->rec[i - 1].off + t->rec[i - 1].len + 1)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_txt t; /* 16 KiB: not on the stack */
	static const int types[] = {DNS_TYPE_MX, DNS_TYPE_A, DNS_TYPE_AAAA};
	char qname[DNS_NAME_MAX + 2];
	struct dns_answer a;
	char err[256];

	qname_of(data, size, qname, sizeof(qname));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int rc = dns_parse_answer(data, size, qname, types[i], &a, err, sizeof(err));
		check(rc, &a, types[i], err);
		/* without an error buffer, the same verdict */
		if (dns_parse_answer(data, size, qname, types[i], &a, NULL, 0) != rc)
			abort();
	}
	int rc = dns_parse_txt(data, size, qname, &t, err, sizeof(err));
	check_txt(rc, &t, err);
	if (dns_parse_txt(data, size, qname, &t, NULL, 0) != rc)
		abort();
	return 0;
}
