/* cidr.c - network prefixes and matching. */
#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "strutil.h"

int cidr_parse(const char *s, struct cidr *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t prefix;

	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		out->prefix = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		out->prefix = 128;
	} else {
		return -1;
	}
	if (slash) {
		if (parse_u64(slash + 1, out->prefix, &prefix) < 0 || slash[1] == '\0')
			return -1;
		out->prefix = (unsigned)prefix;
	}
	/* host bits beyond the prefix must be zero: "10.1.2.3/8" is a typo, not a network */
	size_t bytes = out->family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < bytes; i++) {
		unsigned bit0 = (unsigned)i * 8;
		unsigned char mask;
		if (bit0 + 8 <= out->prefix)
			mask = 0xff;
		else if (bit0 >= out->prefix)
			mask = 0;
		else
			mask = (unsigned char)(0xff << (8 - (out->prefix - bit0)));
		if (out->addr[i] & (unsigned char)~mask)
			return -1;
	}
	return 0;
}

void cidr_format(const struct cidr *c, char *dst, size_t dstlen)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(c->family, c->addr, host, sizeof(host));
	snprintf(dst, dstlen, "%s/%u", host, c->prefix);
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

bool cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return c->family == AF_INET &&
		       prefix_equal((const unsigned char *)&in->sin_addr, c->addr, c->prefix);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const unsigned char *a = in6->sin6_addr.s6_addr;
		if (c->family == AF_INET6)
			return prefix_equal(a, c->addr, c->prefix);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return prefix_equal(a + 12, c->addr, c->prefix);
	}
	return false;
}

void sockaddr_ntop(const struct sockaddr *sa, char *dst, size_t dstlen)
{
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, dst,
		          (socklen_t)dstlen);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, dst,
		          (socklen_t)dstlen);
	else if (sa->sa_family == AF_UNIX)
		snprintf(dst, dstlen, "unix");
	else
		snprintf(dst, dstlen, "unknown");
}

void sockaddr_key(const struct sockaddr *sa, char *dst, size_t dstlen)
{
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, in6->sin6_addr.s6_addr + 12, dst, (socklen_t)dstlen);
			return;
		}
	}
	sockaddr_ntop(sa, dst, dstlen);
}

int addrport_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon;
	uint64_t port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	if (parse_u64(colon + 1, 65535, &port) < 0 || port == 0)
		return -1;
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (s[0] != '[' && inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

static const char *reserved_nets[] = {
        "0.0.0.0/8",      "10.0.0.0/8",      "100.64.0.0/10",  "127.0.0.0/8",    "169.254.0.0/16",
        "172.16.0.0/12",  "192.0.0.0/24",    "192.0.2.0/24",   "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15",  "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",    "240.0.0.0/4",
        "::/128",         "::1/128",         "100::/64",       "2001:db8::/32",  "fc00::/7",
        "fe80::/10",      "ff00::/8",        "2001::/32",      "2002::/16",      "64:ff9b::/96",
        "64:ff9b:1::/48",
};

bool addr_is_reserved(const struct sockaddr *sa)
{
	static struct cidr nets[sizeof(reserved_nets) / sizeof(reserved_nets[0])];
	static bool ready;

	if (!ready) {
		for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
			if (cidr_parse(reserved_nets[i], &nets[i]) < 0)
				return true;
		ready = true;
	}
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return true;
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		if (cidr_match(&nets[i], sa))
			return true;
	return false;
}
