/* domain_check.c - the DNS records of a signing domain, looked up and compared. */
#include "domain_check.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "dkim_record.h"
#include "log.h"
#include "resolve.h"
#include "strutil.h"
#include "xmalloc.h"

struct lookup;

struct domain_check {
	struct domains *reg;
	struct check_report rep;
	struct resolve_txt_req *q[CHECK_MAX_ITEMS];
	struct lookup *l[CHECK_MAX_ITEMS];
	int outstanding;
	check_done_fn done;
	void *arg;
};

const char *check_status_name(enum check_status s)
{
	static const char *const names[] = {"ok", "missing", "different", "unknown"};

	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static bool must_publish(const struct dom_key *k)
{
	return k->state == KEY_PENDING || k->state == KEY_ACTIVE || k->state == KEY_RETIRING;
}

void domain_expected_records(const struct domain *d, const struct check_expect *ex,
                             struct check_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	strlcpy_(rep->domain, d->name, sizeof(rep->domain));
	for (size_t i = 0; i < d->nkeys && rep->n < CHECK_MAX_ITEMS - 2; i++) {
		const struct dom_key *k = d->keys[i];
		if (!must_publish(k))
			continue;
		struct check_item *it = &rep->item[rep->n++];
		struct buf rec;
		strlcpy_(it->kind, "dkim", sizeof(it->kind));
		snprintf(it->name, sizeof(it->name), "%s._domainkey.%s", k->selector, d->name);
		strlcpy_(it->selector, k->selector, sizeof(it->selector));
		strlcpy_(it->key_state, store_key_state_name(k->state), sizeof(it->key_state));
		buf_init(&rec);
		dkim_record_format(k->alg, k->pub, &rec);
		strlcpy_(it->expected, rec.data, sizeof(it->expected));
		buf_release(&rec);
		it->status = CHECK_UNKNOWN;
	}
	struct check_item *spf = &rep->item[rep->n++];
	strlcpy_(spf->kind, "spf", sizeof(spf->kind));
	strlcpy_(spf->name, d->name, sizeof(spf->name));
	strlcpy_(spf->expected, ex->spf, sizeof(spf->expected));
	spf->status = CHECK_UNKNOWN;
	struct check_item *dm = &rep->item[rep->n++];
	strlcpy_(dm->kind, "dmarc", sizeof(dm->kind));
	snprintf(dm->name, sizeof(dm->name), "_dmarc.%s", d->name);
	if (ex->dmarc_rua && ex->dmarc_rua[0])
		snprintf(dm->expected, sizeof(dm->expected),
		         "v=DMARC1; p=none; rua=mailto:%s; adkim=r; aspf=r", ex->dmarc_rua);
	else
		snprintf(dm->expected, sizeof(dm->expected),
		         "v=DMARC1; p=none; rua=mailto:dmarc-reports@%s; adkim=r; aspf=r", d->name);
	dm->status = CHECK_UNKNOWN;
}

/* ---- SPF ---- */

struct net {
	int family;
	unsigned char a[16];
	unsigned prefix;
};

/* "192.0.2.1", "192.0.2.0/24", "2001:db8::/32"; host bits may be set, as in SPF */
static int parse_net(const char *s, int family, struct net *n)
{
	char tmp[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max = family == AF_INET ? 32 : 128;

	if (alen == 0 || alen >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	n->family = family;
	if (inet_pton(family, tmp, n->a) != 1)
		return -1;
	n->prefix = max;
	if (slash) {
		uint64_t v;
		if (parse_u64(slash + 1, max, &v) < 0)
			return -1;
		n->prefix = (unsigned)v;
	}
	return 0;
}

static bool net_contains(const struct net *outer, const struct net *inner)
{
	if (outer->family != inner->family || outer->prefix > inner->prefix)
		return false;
	unsigned full = outer->prefix / 8, rest = outer->prefix % 8;
	if (memcmp(outer->a, inner->a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (outer->a[full] & mask) == (inner->a[full] & mask);
}

/* the next white-space separated term of s from *pos into term; false at the end */
static bool next_term(const char *s, size_t *pos, char *term, size_t n)
{
	size_t i = *pos, k = 0;

	while (s[i] == ' ' || s[i] == '\t')
		i++;
	if (s[i] == '\0')
		return false;
	while (s[i] && s[i] != ' ' && s[i] != '\t') {
		if (k + 1 < n)
			term[k++] = s[i];
		i++;
	}
	term[k] = '\0';
	*pos = i;
	return true;
}

/* is one expected term ("ip4:192.0.2.1", "a:relay.example.com") covered by txt? */
static bool covered(const char *txt, const char *want)
{
	char term[300];
	size_t pos = 0;
	bool is_ip = ascii_iprefix(want, "ip4:") || ascii_iprefix(want, "ip6:");
	struct net w;

	if (is_ip && parse_net(want + 4, ascii_iprefix(want, "ip4:") ? AF_INET : AF_INET6, &w) < 0)
		return false;
	next_term(txt, &pos, term, sizeof(term)); /* v=spf1 */
	while (next_term(txt, &pos, term, sizeof(term))) {
		const char *t = term;
		if (*t == '+')
			t++;
		else if (*t == '-' || *t == '~' || *t == '?')
			continue; /* a mechanism that does not pass */
		if (!is_ip) {
			if (ascii_iequal(t, want))
				return true;
			continue;
		}
		struct net n;
		if (ascii_iprefix(t, "ip4:") && parse_net(t + 4, AF_INET, &n) == 0 &&
		    net_contains(&n, &w))
			return true;
		if (ascii_iprefix(t, "ip6:") && parse_net(t + 4, AF_INET6, &n) == 0 &&
		    net_contains(&n, &w))
			return true;
	}
	return false;
}

int spf_record_covers(const char *txt, const char *expected, char *why, size_t whylen)
{
	char want[300];
	size_t pos = 0;

	if (!ascii_iprefix(txt, "v=spf1") || (txt[6] != '\0' && txt[6] != ' ')) {
		snprintf(why, whylen, "not an SPF record");
		return -1;
	}
	next_term(expected, &pos, want, sizeof(want)); /* v=spf1 */
	while (next_term(expected, &pos, want, sizeof(want))) {
		if (strchr("-~?+", want[0]) != NULL || ascii_iprefix(want, "all"))
			continue; /* the final "-all": the domain owner's choice */
		if (!covered(txt, want)) {
			bool indirect = strstr(txt, "include:") || strstr(txt, "redirect=") ||
			                strstr(txt, " a ") || strstr(txt, " mx");
			snprintf(why, whylen, "it does not list %s%s", want,
			         indirect ? " (include:, redirect=, a and mx are not followed)"
			                  : "");
			return -1;
		}
	}
	return 0;
}

/* ---- looking up ---- */

static void copy_found(struct check_item *it, const char *txt, size_t len)
{
	size_t n = len < sizeof(it->found) - 1 ? len : sizeof(it->found) - 1;

	memcpy(it->found, txt, n);
	it->found[n] = '\0';
	/* what DNS said is shown to the operator: no control characters */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)it->found[i] < 0x20 || it->found[i] == 0x7f)
			it->found[i] = '?';
}

static struct dom_key *find_key(struct domain *d, const char *selector)
{
	for (size_t i = 0; d && i < d->nkeys; i++)
		if (strcmp(d->keys[i]->selector, selector) == 0)
			return d->keys[i];
	return NULL;
}

static void judge_dkim(struct domain_check *c, struct check_item *it,
                       const struct resolve_txt_result *res)
{
	struct domain *d = domains_find(c->reg, c->rep.domain);
	struct dom_key *k = find_key(d, it->selector);
	char why[300] = "";

	if (k == NULL) {
		it->status = CHECK_UNKNOWN;
		snprintf(it->detail, sizeof(it->detail), "the key was removed during the check");
		return;
	}
	it->status = res->n == 0 ? CHECK_MISSING : CHECK_DIFFERENT;
	for (size_t i = 0; i < res->n; i++) {
		if (dkim_record_check(res->txt[i], res->len[i], k->alg, k->pub, why, sizeof(why)) ==
		    0) {
			it->status = CHECK_OK;
			copy_found(it, res->txt[i], res->len[i]);
			break;
		}
		if (i == 0)
			copy_found(it, res->txt[i], res->len[i]);
	}
	if (it->status == CHECK_DIFFERENT)
		snprintf(it->detail, sizeof(it->detail), "%s", why);
	if (it->status == CHECK_OK && k->state == KEY_PENDING) {
		char err[256];
		if (domains_activate(c->reg, d, k, (int64_t)time(NULL), err, sizeof(err)) == 0) {
			it->activated = true;
			snprintf(it->detail, sizeof(it->detail),
			         "published: the key is now active");
		} else {
			snprintf(it->detail, sizeof(it->detail), "published, but not activated: %s",
			         err);
		}
	}
	strlcpy_(it->key_state, store_key_state_name(k->state), sizeof(it->key_state));
}

static void judge_spf(struct check_item *it, const struct resolve_txt_result *res)
{
	size_t nspf = 0, which = 0;

	for (size_t i = 0; i < res->n; i++)
		if (ascii_iprefix(res->txt[i], "v=spf1") &&
		    (res->len[i] == 6 || res->txt[i][6] == ' ')) {
			nspf++;
			which = i;
		}
	if (nspf == 0) {
		it->status = CHECK_MISSING;
		return;
	}
	copy_found(it, res->txt[which], res->len[which]);
	if (nspf > 1) {
		it->status = CHECK_DIFFERENT;
		snprintf(it->detail, sizeof(it->detail),
		         "%zu SPF records: receivers treat that as an error (RFC 7208 4.5)", nspf);
		return;
	}
	it->status = spf_record_covers(it->found, it->expected, it->detail, sizeof(it->detail)) == 0
	                     ? CHECK_OK
	                     : CHECK_DIFFERENT;
}

static void judge_dmarc(struct check_item *it, const struct resolve_txt_result *res)
{
	size_t n = 0, which = 0;

	for (size_t i = 0; i < res->n; i++)
		if (ascii_iprefix(res->txt[i], "v=DMARC1")) {
			n++;
			which = i;
		}
	if (n == 0) {
		it->status = res->n ? CHECK_DIFFERENT : CHECK_MISSING;
		if (res->n) {
			copy_found(it, res->txt[0], res->len[0]);
			snprintf(it->detail, sizeof(it->detail), "not a DMARC record (v=DMARC1)");
		}
		return;
	}
	copy_found(it, res->txt[which], res->len[which]);
	it->status = n == 1 ? CHECK_OK : CHECK_DIFFERENT;
	if (n > 1)
		snprintf(it->detail, sizeof(it->detail),
		         "%zu DMARC records: receivers ignore them all (RFC 7489 6.6.3)", n);
	else if (strstr(it->found, "p=none"))
		snprintf(it->detail, sizeof(it->detail),
		         "p=none monitors only; move to quarantine or reject once reports are "
		         "clean");
}

struct lookup {
	struct domain_check *c;
	size_t item;
};

static void on_txt(void *arg, const struct resolve_txt_result *res)
{
	struct lookup *l = arg;
	struct domain_check *c = l->c;
	struct check_item *it = &c->rep.item[l->item];

	c->q[l->item] = NULL;
	c->l[l->item] = NULL;
	free(l);
	if (res->status != RESOLVE_OK) {
		it->status = CHECK_UNKNOWN;
		strlcpy_(it->detail, res->why, sizeof(it->detail));
	} else if (strcmp(it->kind, "dkim") == 0) {
		judge_dkim(c, it, res);
	} else if (strcmp(it->kind, "spf") == 0) {
		judge_spf(it, res);
	} else {
		judge_dmarc(it, res);
	}
	if (--c->outstanding > 0)
		return;
	c->done(&c->rep, c->arg);
	free(c);
}

struct domain_check *domain_check_start(struct domains *reg, struct resolver *res, const char *name,
                                        const struct check_expect *ex, check_done_fn done,
                                        void *arg)
{
	struct domain *d = domains_find(reg, name);

	if (d == NULL)
		return NULL;
	struct domain_check *c = xcalloc(1, sizeof(*c));
	c->reg = reg;
	c->done = done;
	c->arg = arg;
	domain_expected_records(d, ex, &c->rep);
	/* every lookup answers from the loop, never from inside resolve_txt() */
	c->outstanding = (int)c->rep.n;
	for (size_t i = 0; i < c->rep.n; i++) {
		struct lookup *l = xcalloc(1, sizeof(*l));
		l->c = c;
		l->item = i;
		c->l[i] = l;
		c->q[i] = resolve_txt(res, c->rep.item[i].name, on_txt, l);
	}
	return c;
}

void domain_check_cancel(struct domain_check *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->rep.n; i++)
		if (c->q[i]) {
			resolve_txt_cancel(c->q[i]);
			free(c->l[i]);
		}
	free(c);
}
