/*
 * resolve.c - MX and address resolution with libunbound's event API.
 *
 * A request is a small tree of DNS queries: one MX query, then an A and/or
 * AAAA query per MX host, all in flight together. libunbound hands each answer
 * back as a wire-format packet (dnsmsg.c parses it). The request finishes when
 * its last query has answered; the result is delivered from an event, so a
 * caller never sees its callback run inside the call that started it.
 */
#include "resolve.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unbound-event.h>
#include <unbound.h>

#include "cidr.h"
#include "dnsmsg.h"
#include "strutil.h"
#include "xmalloc.h"

struct resolver {
	struct event_base *base;
	struct ub_ctx *ub;
	struct resolve_req *reqs;         /* all requests not yet freed */
	struct query *queries;            /* all queries libunbound still holds */
	struct resolve_txt_req *txt_reqs; /* TXT requests not yet freed */
};

struct resolve_txt_req {
	struct resolver *r;
	struct resolve_txt_req *prev, *next;
	char name[DNS_NAME_MAX + 1];
	bool cancelled, asked; /* asked: libunbound holds it */
	struct dns_txt txt;
	struct resolve_txt_result res;
	struct event *finish;
	resolve_txt_fn done;
	void *arg;
};

static void txt_free(struct resolve_txt_req *q);

struct host_slot {
	char name[DNS_NAME_MAX + 1];
	unsigned pref;
	struct dns_addr addr[2 * DNS_MAX_RECORDS];
	size_t naddr;
	bool answered_nx; /* the host does not exist */
	bool failed;      /* SERVFAIL or the like for one of its queries */
};

struct query {
	struct query *prev, *next;
	struct resolve_req *req;
	int slot; /* host index, or -1 for the MX query */
	int type;
};

struct resolve_req {
	struct resolver *r;
	struct resolve_req *prev, *next;
	struct resolve_opts o;
	char domain[DNS_NAME_MAX + 1];
	int outstanding; /* queries in flight */
	bool cancelled;
	bool mx_temp; /* the MX query failed temporarily */
	struct host_slot hosts[RESOLVE_MAX_MX];
	size_t nhosts;
	struct resolve_result res;
	struct event *finish;
	resolve_done_fn done;
	void *arg;
};

static struct resolver *create(struct event_base *base, const char *spec, bool cached, char *err,
                               size_t errlen)
{
	struct ub_ctx *ub = ub_ctx_create_event(base);
	int rc = 0;

	if (ub == NULL) {
		snprintf(err, errlen, "cannot create the DNS resolver");
		return NULL;
	}
	/* a record just published must be seen now, not after a cached "no such name" */
	if (!cached && (ub_ctx_set_option(ub, "cache-max-ttl:", "0") != 0 ||
	                ub_ctx_set_option(ub, "cache-max-negative-ttl:", "0") != 0)) {
		snprintf(err, errlen, "resolver: cannot turn the cache off");
		ub_ctx_delete(ub);
		return NULL;
	}
	if (strcmp(spec, "system") == 0) {
		rc = ub_ctx_resolvconf(ub, NULL);
	} else if (strcmp(spec, "recursive") != 0) {
		struct sockaddr_storage ss;
		socklen_t len;
		char host[INET6_ADDRSTRLEN], fwd[INET6_ADDRSTRLEN + 8];
		if (addrport_parse(spec, &ss, &len) < 0) {
			snprintf(err, errlen,
			         "resolver: '%s' is not system, recursive or ADDRESS:PORT", spec);
			ub_ctx_delete(ub);
			return NULL;
		}
		sockaddr_ntop((struct sockaddr *)&ss, host, sizeof(host));
		unsigned port =
		        ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
		                                      : ((struct sockaddr_in6 *)&ss)->sin6_port);
		snprintf(fwd, sizeof(fwd), "%s@%u", host, port);
		/* a forwarder on loopback is the whole point of this setting */
		rc = ub_ctx_set_option(ub, "do-not-query-localhost:", "no");
		if (rc == 0)
			rc = ub_ctx_set_fwd(ub, fwd);
	}
	if (rc != 0) {
		snprintf(err, errlen, "resolver: %s", ub_strerror(rc));
		ub_ctx_delete(ub);
		return NULL;
	}
	struct resolver *r = xcalloc(1, sizeof(*r));
	r->base = base;
	r->ub = ub;
	return r;
}

struct resolver *resolver_new(struct event_base *base, const char *spec, char *err, size_t errlen)
{
	return create(base, spec, true, err, errlen);
}

struct resolver *resolver_new_uncached(struct event_base *base, const char *spec, char *err,
                                       size_t errlen)
{
	return create(base, spec, false, err, errlen);
}

static void req_free(struct resolve_req *q)
{
	struct resolver *r = q->r;

	if (q->prev)
		q->prev->next = q->next;
	else
		r->reqs = q->next;
	if (q->next)
		q->next->prev = q->prev;
	event_free(q->finish);
	free(q);
}

void resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	/* deleting the context drops the queries in flight, and with them our callbacks */
	ub_ctx_delete(r->ub);
	while (r->queries) {
		struct query *qq = r->queries;
		r->queries = qq->next;
		free(qq);
	}
	while (r->reqs)
		req_free(r->reqs);
	while (r->txt_reqs)
		txt_free(r->txt_reqs);
	free(r);
}

static void set_fail(struct resolve_req *q, enum resolve_status st, const char *dsn,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_fail(struct resolve_req *q, enum resolve_status st, const char *dsn,
                     const char *fmt, ...)
{
	va_list ap;

	q->res.status = st;
	strlcpy_(q->res.dsn, dsn, sizeof(q->res.dsn));
	va_start(ap, fmt);
	vsnprintf(q->res.why, sizeof(q->res.why), fmt, ap);
	va_end(ap);
}

static void add_target(struct resolve_req *q, const char *host, const struct dns_addr *a)
{
	struct resolve_target *t;

	if (q->res.n == RESOLVE_MAX_TARGETS)
		return;
	t = &q->res.t[q->res.n];
	memset(t, 0, sizeof(*t));
	strlcpy_(t->host, host, sizeof(t->host));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&t->ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(q->o.port);
		memcpy(&in->sin_addr, a->addr, 4);
		t->sslen = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&t->ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(q->o.port);
		memcpy(&in6->sin6_addr, a->addr, 16);
		t->sslen = sizeof(*in6);
	}
	if (!q->o.allow_reserved && addr_is_reserved((struct sockaddr *)&t->ss))
		return;
	q->res.n++;
}

/* all queries are in: turn the host slots into targets, or a failure */
static void compose(struct resolve_req *q)
{
	bool any_temp = q->mx_temp;
	size_t dropped = 0;

	if (q->res.status != RESOLVE_OK)
		return;
	for (size_t i = 0; i < q->nhosts; i++) {
		struct host_slot *h = &q->hosts[i];
		if (h->failed)
			any_temp = true;
		for (size_t k = 0; k < h->naddr; k++) {
			size_t before = q->res.n;
			add_target(q, h->name, &h->addr[k]);
			if (q->res.n == before && q->res.n < RESOLVE_MAX_TARGETS)
				dropped++;
		}
	}
	if (q->res.n > 0)
		return;
	if (any_temp)
		set_fail(q, RESOLVE_TEMP, "4.4.3", "DNS lookup failed temporarily for %s",
		         q->domain);
	else if (dropped > 0)
		set_fail(q, RESOLVE_PERM, "5.4.4",
		         "the mail servers of %s have only reserved (private, loopback or "
		         "link-local) addresses",
		         q->domain);
	else
		set_fail(q, RESOLVE_PERM, "5.4.4", "no address found for the mail servers of %s",
		         q->domain);
}

static void on_finish(evutil_socket_t fd, short what, void *arg)
{
	struct resolve_req *q = arg;

	if (!q->cancelled) {
		compose(q);
		q->done(q->arg, &q->res);
	}
	req_free(q);
}

static void maybe_finish(struct resolve_req *q)
{
	if (q->outstanding == 0)
		event_active(q->finish, EV_TIMEOUT, 0);
}

static void on_answer(void *arg, int rcode, void *pkt, int len, int sec, char *why_bogus,
                      int ratelimited);

static void query(struct resolve_req *q, const char *name, int type, int slot)
{
	struct query *qq = xcalloc(1, sizeof(*qq));
	int id;

	qq->req = q;
	qq->slot = slot;
	qq->type = type;
	qq->next = q->r->queries;
	if (qq->next)
		qq->next->prev = qq;
	q->r->queries = qq;
	q->outstanding++;
	if (ub_resolve_event(q->r->ub, name, type, 1, qq, on_answer, &id) != 0) {
		/* could not even ask: treat as a temporary failure of this query */
		on_answer(qq, DNS_RCODE_SERVFAIL, NULL, 0, 0, NULL, 0);
	}
}

static void ask_addresses(struct resolve_req *q, int slot)
{
	if (q->o.want_v4)
		query(q, q->hosts[slot].name, DNS_TYPE_A, slot);
	if (q->o.want_v6)
		query(q, q->hosts[slot].name, DNS_TYPE_AAAA, slot);
}

static void got_mx(struct resolve_req *q, int rcode, const struct dns_answer *a)
{
	if (rcode == DNS_RCODE_NXDOMAIN) {
		set_fail(q, RESOLVE_PERM, "5.1.2", "the domain %s does not exist", q->domain);
		return;
	}
	if (rcode != DNS_RCODE_NOERROR || a == NULL) {
		q->mx_temp = true;
		set_fail(q, RESOLVE_TEMP, "4.4.3", "DNS lookup failed temporarily for %s (MX)",
		         q->domain);
		return;
	}
	if (a->null_mx) {
		set_fail(q, RESOLVE_PERM, "5.1.10", "the domain %s accepts no mail (null MX)",
		         q->domain);
		return;
	}
	if (a->nmx == 0) {
		/* RFC 5321 5.1: no MX records, the domain itself is the implicit MX */
		strlcpy_(q->hosts[0].name, q->domain, sizeof(q->hosts[0].name));
		q->nhosts = 1;
	} else {
		for (size_t i = 0; i < a->nmx && q->nhosts < RESOLVE_MAX_MX; i++) {
			if (a->mx[i].host[0] == '\0')
				continue;
			strlcpy_(q->hosts[q->nhosts].name, a->mx[i].host, sizeof(q->hosts[0].name));
			q->hosts[q->nhosts].pref = a->mx[i].pref;
			q->nhosts++;
		}
		if (q->nhosts == 0) {
			set_fail(q, RESOLVE_PERM, "5.4.4", "the MX records of %s name no host",
			         q->domain);
			return;
		}
	}
	for (size_t i = 0; i < q->nhosts; i++)
		ask_addresses(q, (int)i);
}

static void on_answer(void *arg, int rcode, void *pkt, int len, int sec, char *why_bogus,
                      int ratelimited)
{
	struct query *qq = arg;
	struct resolve_req *q = qq->req;
	struct dns_answer a;
	char err[128];
	bool ok = false;

	/* DNSSEC says the answer was tampered with: as good as no answer */
	if (rcode == 0 && sec == 1)
		rcode = DNS_RCODE_SERVFAIL;
	if (rcode == 0 && pkt != NULL && len > 0) {
		const char *name = qq->slot < 0 ? q->domain : q->hosts[qq->slot].name;
		ok = dns_parse_answer(pkt, (size_t)len, name, qq->type, &a, err, sizeof(err)) == 0;
		if (ok)
			rcode = a.rcode;
		else
			rcode = DNS_RCODE_SERVFAIL;
	}
	if (!q->cancelled && q->res.status == RESOLVE_OK) {
		if (qq->slot < 0) {
			got_mx(q, rcode, ok ? &a : NULL);
		} else {
			struct host_slot *h = &q->hosts[qq->slot];
			if (rcode == DNS_RCODE_NXDOMAIN)
				h->answered_nx = true;
			else if (rcode != DNS_RCODE_NOERROR || !ok)
				h->failed = true;
			else
				for (size_t i = 0; i < a.naddr && h->naddr < 2 * DNS_MAX_RECORDS;
				     i++)
					h->addr[h->naddr++] = a.addr[i];
		}
	}
	if (qq->prev)
		qq->prev->next = qq->next;
	else
		q->r->queries = qq->next;
	if (qq->next)
		qq->next->prev = qq->prev;
	free(qq);
	q->outstanding--;
	maybe_finish(q);
}

static struct resolve_req *req_new(struct resolver *r, const char *domain,
                                   const struct resolve_opts *o, resolve_done_fn done, void *arg)
{
	struct resolve_req *q = xcalloc(1, sizeof(*q));

	q->r = r;
	q->o = *o;
	strlcpy_(q->domain, domain, sizeof(q->domain));
	ascii_strlower(q->domain);
	q->done = done;
	q->arg = arg;
	q->finish = event_new(r->base, -1, 0, on_finish, q);
	q->next = r->reqs;
	if (q->next)
		q->next->prev = q;
	r->reqs = q;
	return q;
}

struct resolve_req *resolve_mx(struct resolver *r, const char *domain, const struct resolve_opts *o,
                               resolve_done_fn done, void *arg)
{
	struct resolve_req *q = req_new(r, domain, o, done, arg);

	if (!dns_name_valid(q->domain)) {
		set_fail(q, RESOLVE_PERM, "5.1.2", "'%s' is not a domain that can be looked up",
		         domain);
		maybe_finish(q);
		return q;
	}
	q->outstanding++; /* hold the request open while the MX query is started */
	query(q, q->domain, DNS_TYPE_MX, -1);
	q->outstanding--;
	maybe_finish(q);
	return q;
}

struct resolve_req *resolve_host(struct resolver *r, const char *host, const struct resolve_opts *o,
                                 resolve_done_fn done, void *arg)
{
	struct resolve_req *q = req_new(r, host, o, done, arg);
	struct dns_addr a;

	memset(&a, 0, sizeof(a));
	/* an address needs no DNS, and was named by the administrator: always allowed */
	if (inet_pton(AF_INET, host, a.addr) == 1 || inet_pton(AF_INET6, host, a.addr) == 1) {
		a.family = strchr(host, ':') ? AF_INET6 : AF_INET;
		q->o.allow_reserved = true;
		strlcpy_(q->hosts[0].name, host, sizeof(q->hosts[0].name));
		q->hosts[0].addr[0] = a;
		q->hosts[0].naddr = 1;
		q->nhosts = 1;
		maybe_finish(q);
		return q;
	}
	if (!dns_name_valid(q->domain)) {
		set_fail(q, RESOLVE_PERM, "5.1.2", "'%s' is not a host name that can be looked up",
		         host);
		maybe_finish(q);
		return q;
	}
	strlcpy_(q->hosts[0].name, q->domain, sizeof(q->hosts[0].name));
	q->nhosts = 1;
	q->outstanding++;
	ask_addresses(q, 0);
	q->outstanding--;
	maybe_finish(q);
	return q;
}

void resolve_cancel(struct resolve_req *q)
{
	if (q)
		q->cancelled = true;
}

/* ---- TXT ---- */

static void txt_free(struct resolve_txt_req *q)
{
	struct resolver *r = q->r;

	if (q->prev)
		q->prev->next = q->next;
	else
		r->txt_reqs = q->next;
	if (q->next)
		q->next->prev = q->prev;
	event_free(q->finish);
	free(q);
}

static void txt_finish(evutil_socket_t fd, short what, void *arg)
{
	struct resolve_txt_req *q = arg;

	if (!q->cancelled)
		q->done(q->arg, &q->res);
	txt_free(q);
}

static void txt_answer(void *arg, int rcode, void *pkt, int len, int sec, char *why_bogus,
                       int ratelimited)
{
	struct resolve_txt_req *q = arg;
	char err[128] = "";

	q->asked = false;
	if (rcode == 0 && sec == 1) {
		rcode = DNS_RCODE_SERVFAIL;
		snprintf(err, sizeof(err), "DNSSEC validation failed");
	}
	if (rcode == 0 && pkt != NULL && len > 0) {
		if (dns_parse_txt(pkt, (size_t)len, q->name, &q->txt, err, sizeof(err)) == 0)
			rcode = q->txt.rcode;
		else
			rcode = DNS_RCODE_SERVFAIL;
	}
	if (rcode == DNS_RCODE_NXDOMAIN) {
		q->res.nxdomain = true;
	} else if (rcode != DNS_RCODE_NOERROR) {
		q->res.status = RESOLVE_TEMP;
		snprintf(q->res.why, sizeof(q->res.why), "DNS lookup of %s failed%s%s", q->name,
		         err[0] ? ": " : "", err);
	} else {
		for (size_t i = 0; i < q->txt.n; i++) {
			q->res.txt[i] = q->txt.data + q->txt.rec[i].off;
			q->res.len[i] = q->txt.rec[i].len;
		}
		q->res.n = q->txt.n;
	}
	event_active(q->finish, EV_TIMEOUT, 0);
}

struct resolve_txt_req *resolve_txt(struct resolver *r, const char *name, resolve_txt_fn done,
                                    void *arg)
{
	struct resolve_txt_req *q = xcalloc(1, sizeof(*q));
	int id;

	q->r = r;
	strlcpy_(q->name, name, sizeof(q->name));
	ascii_strlower(q->name);
	q->done = done;
	q->arg = arg;
	q->finish = event_new(r->base, -1, 0, txt_finish, q);
	q->next = r->txt_reqs;
	if (q->next)
		q->next->prev = q;
	r->txt_reqs = q;
	/* DKIM selectors may hold '_' (they are not host names): a lighter check */
	if (strlen(q->name) == 0 ||
	    strspn(q->name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(q->name)) {
		q->res.status = RESOLVE_TEMP;
		snprintf(q->res.why, sizeof(q->res.why), "'%s' cannot be looked up", name);
		event_active(q->finish, EV_TIMEOUT, 0);
		return q;
	}
	q->asked = true;
	if (ub_resolve_event(r->ub, q->name, DNS_TYPE_TXT, 1, q, txt_answer, &id) != 0)
		txt_answer(q, DNS_RCODE_SERVFAIL, NULL, 0, 0, NULL, 0);
	return q;
}

void resolve_txt_cancel(struct resolve_txt_req *q)
{
	if (q)
		q->cancelled = true;
}
