/*
 * cidr.h - IPv4 and IPv6 networks ("192.0.2.0/24", "2001:db8::/32", or a bare
 * address for a single host) and matching a peer address against them.
 * IPv4-mapped IPv6 peers (::ffff:a.b.c.d) match IPv4 networks.
 */
#ifndef POSTERN_CIDR_H
#define POSTERN_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;
};

/* cidr_parse - strict: no host bits set beyond the prefix. 0 or -1. */
int cidr_parse(const char *s, struct cidr *out);
/* cidr_format - canonical text ("10.0.0.0/8") into dst. */
void cidr_format(const struct cidr *c, char *dst, size_t dstlen);
bool cidr_match(const struct cidr *c, const struct sockaddr *sa);

/* sockaddr_ntop - the address alone, as text ("192.0.2.1", "2001:db8::1"). */
void sockaddr_ntop(const struct sockaddr *sa, char *dst, size_t dstlen);
/* sockaddr_key - the address (IPv4-mapped folded to IPv4) as a hash key. */
void sockaddr_key(const struct sockaddr *sa, char *dst, size_t dstlen);

/*
 * addrport_parse - "192.0.2.1:587" or "[2001:db8::1]:587" (numeric only, port
 * 1-65535) into ss. 0 or -1.
 */
struct sockaddr_storage;
int addrport_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/*
 * addr_is_reserved - true for addresses mail must not be delivered to when a
 * remote DNS answer named them: unspecified, loopback, private (RFC 1918, ULA),
 * carrier-grade NAT, link-local (169.254/16, where cloud metadata services
 * live, and fe80::/10), multicast, documentation and other special ranges.
 * IPv4-mapped IPv6 addresses are judged as IPv4.
 */
bool addr_is_reserved(const struct sockaddr *sa);

#endif
