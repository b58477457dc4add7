/*
 * domain_check.h - does DNS publish what a signing domain needs? Per record
 * ok / missing / different, with the exact record expected:
 *
 *   dkim   <selector>._domainkey.<domain> TXT "v=DKIM1; k=...; p=..."  for
 *          every key that must be published (pending, active, retiring)
 *   spf    <domain> TXT "v=spf1 ... -all" listing the sending addresses
 *   dmarc  _dmarc.<domain> TXT "v=DMARC1; p=none; ..." (any valid record is ok)
 *
 * A pending key whose record is found published becomes active (and the key
 * it replaces starts retiring): this is how a rotation completes, whether the
 * operator runs the check or the daemon's timer does.
 */
#ifndef POSTERN_DOMAIN_CHECK_H
#define POSTERN_DOMAIN_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "domains.h"

struct resolver;

enum check_status { CHECK_OK, CHECK_MISSING, CHECK_DIFFERENT, CHECK_UNKNOWN };

#define CHECK_MAX_ITEMS 12
#define CHECK_TEXT_MAX  1400

struct check_item {
	char kind[8];                     /* "dkim", "spf", "dmarc" */
	char name[STORE_DOMAIN_MAX + 80]; /* where the record lives */
	char selector[STORE_SELECTOR_MAX + 1];
	char key_state[16]; /* dkim: the key's state after the check */
	enum check_status status;
	char expected[CHECK_TEXT_MAX]; /* the record to publish */
	char found[CHECK_TEXT_MAX];    /* what is published (the relevant record), "" if none */
	char detail[400];              /* why it is different, or what happened */
	bool activated;                /* dkim: this check made the key active */
};

struct check_report {
	char domain[STORE_DOMAIN_MAX + 1];
	struct check_item item[CHECK_MAX_ITEMS];
	size_t n;
	bool removed; /* the domain went away during the check */
};

/* what the records should say, besides the keys */
struct check_expect {
	const char *spf;       /* the whole expected SPF record, "v=spf1 ... -all" */
	const char *dmarc_rua; /* "" for dmarc-reports@<domain> */
};

const char *check_status_name(enum check_status s);

/*
 * domain_expected_records - fill rep with the records d needs (status
 * CHECK_UNKNOWN, nothing looked up): what "domain add" prints.
 */
void domain_expected_records(const struct domain *d, const struct check_expect *ex,
                             struct check_report *rep);

typedef void (*check_done_fn)(struct check_report *rep, void *arg);
struct domain_check;

/*
 * domain_check_start - look every record of domain name up and compare.
 * done runs later on the loop with a report that lives until it returns.
 * ex is used before this returns. NULL (and no callback) if there is no
 * such domain.
 */
struct domain_check *domain_check_start(struct domains *reg, struct resolver *res, const char *name,
                                        const struct check_expect *ex, check_done_fn done,
                                        void *arg);
/* domain_check_cancel - done will not be called; c is freed */
void domain_check_cancel(struct domain_check *c);

/*
 * spf_record_covers - does the SPF record txt authorize every mechanism of
 * the expected record (its ip4:/ip6: terms by CIDR containment, a:/mx:
 * terms literally)? 0, or -1 with why. include: and redirect= are not
 * followed (why says so when they might explain a miss).
 */
int spf_record_covers(const char *txt, const char *expected, char *why, size_t whylen);

#endif
