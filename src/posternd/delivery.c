/* delivery.c - configuration to MTA and queue settings. */
#include "delivery.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsio.h"
#include "strutil.h"
#include "xmalloc.h"

struct pool_fill {
	struct mta_pool *p;
};

static void add_addr(const char *addr, const char *ehlo, void *arg)
{
	struct mta_pool *p = ((struct pool_fill *)arg)->p;
	struct mta_pool_addr *a;

	p->addrs = xrealloc(p->addrs, (p->n + 1) * sizeof(*p->addrs));
	a = &p->addrs[p->n++];
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&a->ss)->sin_addr) == 1) {
		a->ss.ss_family = AF_INET;
		a->sslen = sizeof(struct sockaddr_in);
	} else {
		inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&a->ss)->sin6_addr);
		a->ss.ss_family = AF_INET6;
		a->sslen = sizeof(struct sockaddr_in6);
	}
	strlcpy_(a->ehlo, ehlo, sizeof(a->ehlo));
	strlcpy_(a->text, addr, sizeof(a->text));
}

int delivery_settings_build(const struct config *c, struct delivery_settings *s, char *err,
                            size_t errlen)
{
	struct mta_config *m = &s->mta;
	char msg[256];

	memset(s, 0, sizeof(*s));
	m->hostname = c->hostname;
	m->capture_dir = c->capture_dir;
	route_parse(c->transport, &m->default_route, msg, sizeof(msg));
	m->routes = xcalloc(c->routes.n + 1, sizeof(*m->routes));
	for (size_t i = 0; i < c->routes.n; i++) {
		strlcpy_(m->routes[i].pattern, c->routes.v[i].key, sizeof(m->routes[i].pattern));
		ascii_strlower(m->routes[i].pattern);
		route_parse(c->routes.v[i].value, &m->routes[i].route, msg, sizeof(msg));
	}
	m->nroutes = c->routes.n;
	tls_policy_parse(c->tls_policy, &m->default_tls);
	m->tls = xcalloc(c->tls_map.n + 1, sizeof(*m->tls));
	for (size_t i = 0; i < c->tls_map.n; i++) {
		strlcpy_(m->tls[i].pattern, c->tls_map.v[i].key, sizeof(m->tls[i].pattern));
		ascii_strlower(m->tls[i].pattern);
		tls_policy_parse(c->tls_map.v[i].value, &m->tls[i].policy);
	}
	m->ntls = c->tls_map.n;
	m->dest_concurrency = (int)c->dest_concurrency;
	m->concurrency = xcalloc(c->concurrency_map.n + 1, sizeof(*m->concurrency));
	for (size_t i = 0; i < c->concurrency_map.n; i++) {
		uint64_t v = 1;
		strlcpy_(m->concurrency[i].pattern, c->concurrency_map.v[i].key,
		         sizeof(m->concurrency[i].pattern));
		ascii_strlower(m->concurrency[i].pattern);
		parse_u64(c->concurrency_map.v[i].value, 1000, &v);
		m->concurrency[i].value = (int)v;
	}
	m->nconcurrency = c->concurrency_map.n;
	m->pools = xcalloc(c->pools.n + 1, sizeof(*m->pools));
	for (size_t i = 0; i < c->pools.n; i++) {
		struct pool_fill pf = {&m->pools[i]};
		strlcpy_(m->pools[i].name, c->pools.v[i].key, sizeof(m->pools[i].name));
		config_pool_parse(c->pools.v[i].value, add_addr, &pf, msg, sizeof(msg));
	}
	m->npools = c->pools.n;
	m->default_pool = c->pool;
	m->smtp_port = (uint16_t)c->smtp_port;
	m->allow_reserved = c->allow_private;
	m->resolver = c->resolver;
	m->tls_ca_file = c->tls_ca_file[0] ? c->tls_ca_file : NULL;
	if (c->smarthost[0]) {
		route_parse(c->smarthost, &m->smarthost, msg, sizeof(msg));
		m->have_smarthost = true;
	}
	tls_policy_parse(c->smarthost_tls, &m->smarthost_tls);
	if (c->smarthost_user[0]) {
		size_t n;
		if (file_read(c->smarthost_password_file, 4096, &s->smarthost_password, &n, msg,
		              sizeof(msg)) < 0) {
			snprintf(err, errlen, "[delivery] smarthost_password_file: %s", msg);
			delivery_settings_release(s);
			return -1;
		}
		/* the file's last line end is not part of the password */
		str_trim(s->smarthost_password);
		m->smarthost_user = c->smarthost_user;
		m->smarthost_password = s->smarthost_password;
	}
	m->connect_timeout_ms = c->connect_timeout_ms;
	m->command_timeout_ms = c->out_command_timeout_ms;
	m->data_timeout_ms = c->out_data_timeout_ms;
	m->msgs_per_conn = (int)c->msgs_per_conn;
	m->reuse_ms = c->conn_reuse_ms;

	s->queue.hostname = c->hostname;
	s->queue.max_active = (int)c->max_active;
	s->queue.max_connections = (int)c->out_max_connections;
	s->queue.retry_min_ms = c->retry_min_ms;
	s->queue.retry_max_ms = c->retry_max_ms;
	s->queue.max_lifetime_ms = c->max_lifetime_ms;
	s->queue.delay_warning_ms = c->delay_warning_ms;
	return 0;
}

void delivery_settings_release(struct delivery_settings *s)
{
	free(s->mta.routes);
	free(s->mta.tls);
	free(s->mta.concurrency);
	for (size_t i = 0; i < s->mta.npools; i++)
		free(s->mta.pools[i].addrs);
	free(s->mta.pools);
	if (s->smarthost_password) {
		OPENSSL_cleanse(s->smarthost_password, strlen(s->smarthost_password));
		free(s->smarthost_password);
	}
	memset(s, 0, sizeof(*s));
}
