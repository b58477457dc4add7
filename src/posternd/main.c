/*
 * posternd - the Postern daemon.
 *
 * SECURITY: started as root only to bind the submission ports and create the
 * control socket; then it drops to [server] user for good (and verifies that
 * root cannot be regained) before it opens the store or reads any mail. It
 * talks to SMTP clients (src/smtpd) and to administrators through the control
 * socket (src/api); it writes the store, the spool and the capture directory
 * under its state directory, owner-only.
 */
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <sodium.h>

#include "api.h"
#include "auth.h"
#include "cidr.h"
#include "config.h"
#include "content.h"
#include "delivery.h"
#include "domain_check.h"
#include "domains.h"
#include "eventlog.h"
#include "mta.h"
#include "fsio.h"
#include "log.h"
#include "metrics.h"
#include "privdrop.h"
#include "process.h"
#include "queue.h"
#include "resolve.h"
#include "scan.h"
#include "scanning.h"
#include "signer.h"
#include "smtpd.h"
#include "sources.h"
#include "spool.h"
#include "store.h"
#include "strutil.h"
#include "submission.h"
#include "lists.h"
#include "tls.h"
#include "webhooks.h"
#include "xmalloc.h"

#ifndef POSTERN_VERSION /* meson.build passes the project version */
#define POSTERN_VERSION "unknown"
#endif
#define DEFAULT_CONFIG "/etc/postern/postern.ini"
#define STOP_GRACE_MS  10000

struct daemon {
	struct config *cfg;
	struct event_base *base;
	struct store *store;
	struct sources *reg;
	struct eventlog *events;
	struct mta *mta;
	struct auth *auth;
	struct spool *spool;
	struct queue *queue;
	struct smtpd *smtpd;
	struct api *api;
	struct domains *domains;
	struct signer *signer;
	struct scanner *scanner;        /* clamd, Rspamd, MIME and DLP */
	struct content_policy *content; /* what their findings mean */
	struct lists lists;             /* streams, the suppression list, the inbound listener */
	uint64_t quarantine_checked_ms; /* the last look for expired quarantined messages */
	struct submission_env subenv;
	struct buf spf;             /* the SPF record the sending addresses need */
	struct check_expect expect; /* what domain checks compare with */
	struct event *dkim_timer;   /* pending keys looked up, retiring keys retired */
	struct event *tick;         /* every second: rate counters written */
	unsigned long ticks;
	char *admin_token;          /* read before the privilege drop, wiped once handed over */
	struct dcheck *checks;      /* the timer's checks in flight */
	struct resolver *check_dns; /* uncached: records just published are seen */
	struct resolver *hook_dns;  /* webhook hosts */
	struct webhooks *webhooks;
	struct event *sig[4];
	struct event *stop_check;
	uint64_t stop_deadline;
	bool stopping;
};

/* a domain check the timer started */
struct dcheck {
	struct dcheck *prev, *next;
	struct daemon *dm;
	struct domain_check *c;
};

static void dcheck_unlink(struct daemon *dm, struct dcheck *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		dm->checks = k->next;
	if (k->next)
		k->next->prev = k->prev;
	free(k);
}

static void dcheck_done(struct check_report *rep, void *arg)
{
	struct dcheck *k = arg;

	for (size_t i = 0; i < rep->n; i++) {
		const struct check_item *it = &rep->item[i];
		if (strcmp(it->kind, "dkim") != 0 || it->key_state[0] == '\0')
			continue;
		log_info("dkim check domain=%s selector=%s record=%s state=%s%s", rep->domain,
		         it->selector, check_status_name(it->status), it->key_state,
		         it->activated ? " action=activated" : "");
	}
	dcheck_unlink(k->dm, k);
}

static bool has_pending(const struct domain *d)
{
	for (size_t i = 0; i < d->nkeys; i++)
		if (d->keys[i]->state == KEY_PENDING)
			return true;
	return false;
}

static void arm_dkim_timer(struct daemon *dm)
{
	uint64_t ms = dm->cfg->dkim_check_interval_ms;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(dm->dkim_timer, &tv);
}

/* retire what is due; look up the records of keys still pending (a rotation completes) */
static void on_dkim_timer(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *dm = arg;
	size_t n;

	domains_tick(dm->domains, (int64_t)time(NULL));
	struct domain **all = domains_list(dm->domains, &n);
	for (size_t i = 0; i < n; i++) {
		if (!has_pending(all[i]))
			continue;
		struct dcheck *k = xcalloc(1, sizeof(*k));
		k->dm = dm;
		k->c = domain_check_start(dm->domains, dm->check_dns, all[i]->name, &dm->expect,
		                          dcheck_done, k);
		if (k->c == NULL) {
			free(k);
			continue;
		}
		k->next = dm->checks;
		if (k->next)
			k->next->prev = k;
		dm->checks = k;
	}
	free(all);
	arm_dkim_timer(dm);
}

/* the kill switch reaching the queue: a suspended source's mail is held or dropped */
static enum queue_gate source_gate(const char *source, void *arg)
{
	struct daemon *dm = arg;
	struct source *s = sources_find(dm->reg, source);

	if (s == NULL || !s->suspended)
		return QGATE_OPEN;
	return s->drop_queued ? QGATE_DROP : QGATE_HOLD;
}

/* every event: counted for /metrics (and offered to the source's webhooks) */
static void on_event(const struct store_event *e, void *arg)
{
	metrics_inc("postern_events_total", "source", e->source ? e->source : "", "type", e->type,
	            1);
	if (strcmp(e->type, "rejected") == 0)
		metrics_inc("postern_rejections_total", "source", e->source ? e->source : "",
		            "reason", e->reason[0] ? e->reason : "other", 1);
	webhooks_event(((struct daemon *)arg)->webhooks, e);
}

static void hook_settings(const struct config *c, struct webhook_settings *ws)
{
	*ws = (struct webhook_settings){
	        .timeout_ms = c->webhook_timeout_ms,
	        .retry_min_ms = c->webhook_retry_min_ms,
	        .max_age_ms = c->webhook_max_age_ms,
	        .max_queued = (size_t)c->webhook_max_queued,
	        .allow_private = c->webhook_allow_private,
	        .ca_file = c->tls_ca_file[0] ? c->tls_ca_file : NULL,
	        .version = POSTERN_VERSION,
	};
}

static void flush_counters(struct daemon *dm)
{
	char err[256];

	if (sources_flush_counters(dm->reg, err, sizeof(err)) < 0)
		log_warn("rate counters not written error=\"%s\" action=retry", err);
}

/* quarantined messages older than the retention are deleted, each with an event */
static void expire_quarantine(struct daemon *dm)
{
	uint64_t now = now_ms(), every = dm->cfg->quarantine_retention_ms / 10;

	if (every < 1000)
		every = 1000;
	if (every > 300000)
		every = 300000;
	if (now - dm->quarantine_checked_ms < every)
		return;
	dm->quarantine_checked_ms = now;
	uint64_t keep = dm->cfg->quarantine_retention_ms;
	size_t n = queue_quarantine_expire(dm->queue, keep < now ? now - keep : 0);
	if (n > 0)
		log_info("quarantine expired=%zu retention_s=%llu", n,
		         (unsigned long long)(dm->cfg->quarantine_retention_ms / 1000));
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *dm = arg;
	char err[256];

	flush_counters(dm);
	expire_quarantine(dm);
	/* the answers kept for idempotency keys live a day */
	if (++dm->ticks % 60 == 0 &&
	    store_idem_prune(dm->store, (int64_t)time(NULL) - 86400, err, sizeof(err)) < 0)
		log_warn("idempotency keys not pruned error=\"%s\"", err);
}

static void define_metrics(void)
{
	static const double secs[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1,    2.5,   5,
	                              10,   30,   60,  300,  900, 3600, 14400, 86400};

	metrics_define("postern_events_total", METRIC_COUNTER,
	               "Events of messages by source and type (accepted, rejected, delivered, "
	               "deferred, bounced, held, dropped, ...)",
	               NULL, 0);
	metrics_define("postern_rejections_total", METRIC_COUNTER,
	               "Refused messages and transactions by source and reason", NULL, 0);
	metrics_define("postern_deliveries_total", METRIC_COUNTER,
	               "Delivery outcomes per recipient by outcome and TLS (yes/no)", NULL, 0);
	metrics_define("postern_delivery_seconds", METRIC_HISTOGRAM,
	               "Time from acceptance to delivery of each delivered recipient", secs,
	               sizeof(secs) / sizeof(secs[0]));
	metrics_define("postern_auth_failures_total", METRIC_COUNTER,
	               "Failed authentications by door (smtp, api)", NULL, 0);
	metrics_define("postern_queue_messages", METRIC_GAUGE, "Messages in the queue by state",
	               NULL, 0);
	metrics_define("postern_smtp_sessions", METRIC_GAUGE, "SMTP sessions open now", NULL, 0);
	metrics_define("postern_events_dropped_total", METRIC_COUNTER,
	               "Events the store could not keep up with", NULL, 0);
}

static void usage(void)
{
	fprintf(stderr, "usage: posternd [-d] [-n] [-c FILE]\n"
	                "  -c FILE  configuration file (default " DEFAULT_CONFIG ")\n"
	                "  -d       stay in the foreground, log to stderr\n"
	                "  -n       check the configuration and exit\n"
	                "  -K       list the configuration keys and exit\n"
	                "  -V       print the version and exit\n");
	exit(2);
}

static SSL_CTX *load_tls(const struct config *c, char *err, size_t errlen)
{
	return tls_server_ctx_new(c->tls_cert, c->tls_key, c->tls_ciphers, c->tls_ciphersuites, err,
	                          errlen);
}

/* the settings that can change without a restart */
static void apply(struct daemon *dm, const struct config *c)
{
	enum log_level lv;
	struct smtpd_limits lim = {
	        .max_message_size = c->max_message_size,
	        .max_recipients = c->max_recipients,
	        .max_header_size = c->max_header_size,
	        .max_errors = c->max_errors,
	        .max_connections = c->max_connections,
	        .max_connections_per_ip = c->max_connections_per_ip,
	        .command_timeout_ms = c->command_timeout_ms,
	        .data_timeout_ms = c->data_timeout_ms,
	        .handshake_timeout_ms = c->handshake_timeout_ms,
	        .banner_delay_ms = c->banner_delay_ms,
	        .auth_max_failures = c->auth_max_failures,
	};
	struct auth_limits al = {
	        .ip_max_failures = (unsigned)c->auth_ip_max_failures,
	        .account_max_failures = (unsigned)c->auth_account_max_failures,
	        .window_ms = c->auth_failure_window_ms,
	        .cache_ttl_ms = c->auth_cache_ttl_ms,
	};

	if (log_parse_level(c->log_level, &lv) == 0)
		log_set_level(lv);
	smtpd_set_limits(dm->smtpd, &lim);
	smtpd_set_hostname(dm->smtpd, c->hostname);
	auth_set_limits(dm->auth, &al);
	dm->subenv.dkim_expire = (int64_t)(c->dkim_expire_ms / 1000);
	lists_apply(&dm->lists, c);
	domains_set_grace(dm->domains, (int64_t)(c->dkim_retire_grace_ms / 1000));
	dm->expect.spf = dm->spf.data;
	dm->expect.dmarc_rua = c->dmarc_rua;
}

static void apply_api(struct daemon *dm, const struct config *c);
static void publish_dlp_names(struct daemon *dm, const struct config *c);

static void reload(struct daemon *dm)
{
	char err[512];
	struct config *c = config_load(dm->cfg->path, err, sizeof(err));

	if (c == NULL) {
		log_err("reload failed error=\"%s\" action=kept-running-configuration", err);
		return;
	}
	SSL_CTX *ctx = load_tls(c, err, sizeof(err));
	if (ctx == NULL) {
		log_err("reload tls failed error=\"%s\" action=kept-old-certificate", err);
	} else {
		smtpd_set_tls(dm->smtpd, ctx);
		api_set_tls(dm->api, ctx);
		SSL_CTX_free(ctx);
	}
	apply(dm, c);
	apply_api(dm, c);
	if (scanning_apply(dm->scanner, dm->content, c, err, sizeof(err)) < 0)
		log_err("reload scanning failed error=\"%s\" action=kept-old-rules", err);
	else
		publish_dlp_names(dm, c);
	struct webhook_settings ws;
	hook_settings(c, &ws);
	webhooks_set(dm->webhooks, &ws);
	struct delivery_settings ds;
	if (delivery_settings_build(c, &ds, err, sizeof(err)) == 0) {
		queue_set_config(dm->queue, &ds.queue);
		delivery_settings_release(&ds);
	}
	if (strcmp(c->state_dir, dm->cfg->state_dir) != 0 ||
	    strcmp(c->spool_dir, dm->cfg->spool_dir) != 0)
		log_warn("reload: state_dir and spool_dir changes need a restart");
	config_free(dm->cfg);
	dm->cfg = c;
	dm->expect.dmarc_rua = c->dmarc_rua;
	evtimer_del(dm->dkim_timer);
	arm_dkim_timer(dm);
	eventlog_set_retention(dm->events, c->events_retention_ms);
	log_info("reload done");
}

static void on_stop_check(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *dm = arg;
	struct timeval tv = {0, 100000};

	if (smtpd_sessions(dm->smtpd) == 0 || mono_ms() >= dm->stop_deadline) {
		event_base_loopbreak(dm->base);
		return;
	}
	evtimer_add(dm->stop_check, &tv);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *dm = arg;

	if (sig == SIGHUP) {
		log_info("signal=HUP action=reload");
		reload(dm);
		return;
	}
	if (dm->stopping) {
		log_info("signal=%d action=stop-now", (int)sig);
		event_base_loopbreak(dm->base);
		return;
	}
	log_info("signal=%d action=stop sessions=%zu", (int)sig, smtpd_sessions(dm->smtpd));
	dm->stopping = true;
	smtpd_shutdown(dm->smtpd);
	dm->stop_deadline = mono_ms() + STOP_GRACE_MS;
	on_stop_check(-1, 0, dm);
}

struct bound {
	int fd;
	const char *addr;
	bool implicit_tls;
	int door; /* -1: SMTP submission; DOOR_INBOUND; else an enum api_door_kind */
};
#define DOOR_INBOUND (-2)

static void apply_api(struct daemon *dm, const struct config *c)
{
	struct api_limits al = {
	        .max_body = c->api_max_body,
	        .timeout_ms = c->api_timeout_ms,
	        .max_message_size = c->max_message_size,
	        .max_recipients = (size_t)c->max_recipients,
	        .max_header_size = (size_t)c->max_header_size,
	        .max_conns = (size_t)c->api_max_conns,
	        .max_conns_per_ip = (size_t)c->api_max_conns_per_ip,
	};

	api_set_limits(dm->api, &al);
}

/* the rule and set names a source may be given: those of the rules in force */
static void publish_dlp_names(struct daemon *dm, const struct config *c)
{
	size_t n;
	const char **names = scanning_names(c, &n);

	api_set_dlp_names(dm->api, names, n);
	free(names);
}

static void recovered(uint64_t id, void *arg)
{
	queue_recovered(arg, id);
}

static void start_services(struct daemon *dm, struct bound *b, size_t nb, int ctl_fd, SSL_CTX *tls)
{
	struct config *c = dm->cfg;
	char err[512], path[4096];

	snprintf(path, sizeof(path), "%s/postern.db", c->state_dir);
	if ((dm->store = store_open(path, err, sizeof(err))) == NULL)
		fatal("store: %s", err);
	if ((dm->reg = sources_new(dm->store, err, sizeof(err))) == NULL)
		fatal("store: %s", err);
	if ((dm->events = eventlog_open(path, err, sizeof(err))) == NULL)
		fatal("events: %s", err);
	define_metrics();
	eventlog_set_tap(dm->events, on_event, dm);
	eventlog_set_retention(dm->events, c->events_retention_ms);
	dm->auth = auth_new(dm->base, dm->reg, (int)c->auth_threads);
	struct domains_settings dset = {c->dkim_key_dir, c->dkim_selector_prefix,
	                                (int64_t)(c->dkim_retire_grace_ms / 1000)};
	if ((dm->domains = domains_new(dm->base, dm->store, &dset, err, sizeof(err))) == NULL)
		fatal("store: %s", err);
	dm->signer = signer_new(dm->base, (int)c->dkim_sign_threads);
	if ((dm->spool = spool_open(c->spool_dir, dm->base, (int)c->commit_threads,
	                            strcmp(c->spool_sync, "file") == 0 ? SPOOL_SYNC_FILE
	                                                               : SPOOL_SYNC_FS,
	                            err, sizeof(err))) == NULL)
		fatal("spool: %s", err);
	struct delivery_settings ds;
	if (delivery_settings_build(c, &ds, err, sizeof(err)) < 0)
		fatal("%s: %s", c->path, err);
	if ((dm->mta = mta_new(dm->base, &ds.mta, err, sizeof(err))) == NULL)
		fatal("delivery: %s", err);
	dm->queue = queue_new(dm->base, dm->spool, dm->mta, dm->events, &ds.queue);
	queue_set_gate(dm->queue, source_gate, dm);
	if (lists_start(&dm->lists, dm->base, c, dm->store, dm->events, dm->queue, err,
	                sizeof(err)) < 0)
		fatal("unsubscribe: %s", err);
	for (size_t i = 0; i < nb; i++)
		if (b[i].door == DOOR_INBOUND &&
		    lists_listen(&dm->lists, b[i].fd, b[i].addr, err, sizeof(err)) < 0)
			fatal("%s", err);
	delivery_settings_release(&ds);
	buf_init(&dm->spf);
	mta_spf_record(dm->mta, &dm->spf);
	if ((dm->check_dns = resolver_new_uncached(dm->base, c->resolver, err, sizeof(err))) ==
	    NULL)
		fatal("delivery: %s", err);
	struct webhook_settings ws;
	hook_settings(c, &ws);
	if ((dm->hook_dns = resolver_new(dm->base, c->resolver, err, sizeof(err))) == NULL ||
	    (dm->webhooks = webhooks_new(dm->base, dm->reg, dm->hook_dns, &ws, err, sizeof(err))) ==
	            NULL)
		fatal("webhooks: %s", err);
	dm->scanner = scanner_new(dm->base, (int)c->scan_threads);
	dm->content = content_policy_new(dm->scanner);
	if (scanning_apply(dm->scanner, dm->content, c, err, sizeof(err)) < 0)
		fatal("%s: %s", c->path, err);
	dm->subenv =
	        (struct submission_env){dm->spool,  dm->queue, dm->events,  dm->domains,
	                                dm->signer, 0,         dm->content, dm->lists.suppress};
	struct smtpd_deps deps = {dm->reg, dm->auth, dm->spool, dm->queue, dm->events, &dm->subenv};
	dm->smtpd = smtpd_new(dm->base, c->hostname, &deps);
	smtpd_set_tls(dm->smtpd, tls);
	apply(dm, c);
	for (size_t i = 0; i < nb; i++)
		if (b[i].door == -1 && smtpd_listen(dm->smtpd, b[i].fd, b[i].addr,
		                                    b[i].implicit_tls, err, sizeof(err)) < 0)
			fatal("%s", err);
	struct api_deps ad = {
	        .reg = dm->reg,
	        .auth = dm->auth,
	        .spool = dm->spool,
	        .queue = dm->queue,
	        .mta = dm->mta,
	        .smtpd = dm->smtpd,
	        .domains = dm->domains,
	        .expect = &dm->expect,
	        .check_dns = dm->check_dns,
	        .version = POSTERN_VERSION,
	        .store = dm->store,
	        .store_path = path,
	        .events = dm->events,
	        .subenv = &dm->subenv,
	        .hostname = c->hostname,
	        .suppress = dm->lists.suppress,
	};
	dm->api = api_new(dm->base, &ad);
	api_set_tls(dm->api, tls);
	apply_api(dm, c);
	publish_dlp_names(dm, c);
	if (api_listen_unix(dm->api, ctl_fd, c->control_socket, err, sizeof(err)) < 0)
		fatal("%s", err);
	for (size_t i = 0; i < nb; i++) {
		if (b[i].door < 0)
			continue; /* SMTP submission and inbound */
		if (api_listen_tcp(dm->api, (enum api_door_kind)b[i].door, b[i].fd,
		                   b[i].implicit_tls, b[i].addr, err, sizeof(err)) < 0)
			fatal("%s", err);
	}
	if (dm->admin_token) {
		api_set_admin_token(dm->api, dm->admin_token);
		sodium_memzero(dm->admin_token, strlen(dm->admin_token));
		free(dm->admin_token);
		dm->admin_token = NULL;
	}
	if (spool_recover(dm->spool, recovered, dm->queue, err, sizeof(err)) < 0)
		fatal("spool: %s", err);
	queue_pump(dm->queue);
	dm->tick = event_new(dm->base, -1, EV_PERSIST, on_tick, dm);
	struct timeval second = {1, 0};
	evtimer_add(dm->tick, &second);
	dm->dkim_timer = evtimer_new(dm->base, on_dkim_timer, dm);
	/* a first look soon after start: keys published while the relay was down */
	struct timeval soon = {5, 0};
	evtimer_add(dm->dkim_timer, &soon);
}

static void stop_services(struct daemon *dm)
{
	event_free(dm->tick);
	flush_counters(dm);
	event_free(dm->dkim_timer);
	while (dm->checks) {
		domain_check_cancel(dm->checks->c);
		dcheck_unlink(dm, dm->checks);
	}
	api_free(dm->api);
	resolver_free(dm->check_dns);
	/* events still flow while the queue stops: the tap must not reach freed webhooks */
	struct webhooks *w = dm->webhooks;
	dm->webhooks = NULL;
	webhooks_free(w);
	resolver_free(dm->hook_dns);
	lists_stop(&dm->lists); /* the inbound listener */
	smtpd_free(dm->smtpd);
	/* signatures in flight end first: their messages are dropped (never answered) */
	signer_free(dm->signer);
	scanner_free(dm->scanner); /* no scan is left: every submission is gone */
	content_policy_free(dm->content);
	/*
	 * Deliveries in flight are cut: their messages stay queued. Then commits
	 * in flight (submissions, bounces) finish and are handed to the stopped
	 * queue, which leaves them in the spool for the next start.
	 */
	queue_stop(dm->queue);
	mta_free(dm->mta);
	spool_stop(dm->spool);
	queue_free(dm->queue);
	lists_free(&dm->lists); /* the queue asked it last */
	spool_free(dm->spool);
	eventlog_close(dm->events);
	metrics_reset();
	auth_free(dm->auth);
	domains_free(dm->domains);
	sources_free(dm->reg);
	store_close(dm->store);
	buf_release(&dm->spf);
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	bool foreground = false, check = false;
	char err[512];
	int ch;

	while ((ch = getopt(argc, argv, "c:dnKV")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'K':
			config_print_keys();
			return 0;
		case 'V':
			printf("posternd %s\n", POSTERN_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("posternd", true, LOG_LV_INFO);
	if (sodium_init() < 0)
		fatal("libsodium cannot initialise");
	struct daemon dm;
	memset(&dm, 0, sizeof(dm));
	if ((dm.cfg = config_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "posternd: %s\n", err);
		return 1;
	}
	SSL_CTX *tls = load_tls(dm.cfg, err, sizeof(err));
	if (tls == NULL) {
		fprintf(stderr, "posternd: %s: [smtp] tls_cert/tls_key: %s\n", path, err);
		config_free(dm.cfg);
		return 1;
	}
	if (check) {
		/* the DLP rules compile (Hyperscan says more than the file's syntax) */
		if (scanning_check(dm.cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "posternd: %s: %s\n", path, err);
			SSL_CTX_free(tls);
			config_free(dm.cfg);
			return 1;
		}
		printf("posternd: %s: configuration OK\n", path);
		SSL_CTX_free(tls);
		config_free(dm.cfg);
		return 0;
	}
	struct runas ra, *drop = NULL;
	if (geteuid() == 0) {
		if (privdrop_lookup(dm.cfg->user, &ra, err, sizeof(err)) < 0)
			fatal("%s: %s", path, err);
		drop = &ra;
	}
	if (!foreground)
		process_daemonize();
	enum log_level lv = LOG_LV_INFO;
	log_parse_level(dm.cfg->log_level, &lv);
	log_init("posternd", foreground, lv);
	signal(SIGPIPE, SIG_IGN);
	process_raise_nofile();

	process_prepare_dir(dm.cfg->state_dir, drop);
	process_prepare_dir(dm.cfg->spool_dir, drop);
	process_prepare_dir(dm.cfg->capture_dir, drop);
	process_prepare_dir(dm.cfg->dkim_key_dir, drop);
	struct bound b[6 * CONFIG_LIST_MAX];
	size_t nb = 0;
	const struct {
		const struct config_list *l;
		bool tls;
		int door;
	} lists[] = {
	        {&dm.cfg->listen, false, -1},
	        {&dm.cfg->listen_tls, true, -1},
	        {&dm.cfg->api_listen, false, API_DOOR_SEND},
	        {&dm.cfg->api_listen_tls, true, API_DOOR_SEND},
	        {&dm.cfg->admin_listen, dm.cfg->admin_tls, API_DOOR_ADMIN},
	        {&dm.cfg->inbound_listen, false, DOOR_INBOUND},
	};
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		for (size_t i = 0; i < lists[k].l->n; i++) {
			b[nb].fd = process_bind_tcp(lists[k].l->v[i], err, sizeof(err));
			if (b[nb].fd < 0)
				fatal("%s", err);
			b[nb].addr = lists[k].l->v[i];
			b[nb].implicit_tls = lists[k].tls;
			b[nb].door = lists[k].door;
			nb++;
		}
	}
	/* read as root, like the TLS key: the file may be root's alone */
	if (dm.cfg->admin_listen.n > 0)
		dm.admin_token = process_read_token(dm.cfg->admin_token_file);
	int ctl = api_bind_unix(dm.cfg->control_socket, drop ? ra.uid : geteuid(),
	                        drop ? ra.gid : getegid(), err, sizeof(err));
	if (ctl < 0)
		fatal("control socket: %s", err);
	if (drop && ra.uid != 0) {
		if (privdrop_apply(&ra, err, sizeof(err)) < 0)
			fatal("%s", err);
		log_info("privileges dropped user=%s uid=%d gid=%d", ra.name, (int)ra.uid,
		         (int)ra.gid);
	} else if (drop) {
		log_warn("running as root: [server] user = root; set an unprivileged account");
	}

	evthread_use_pthreads();
	/*
	 * The changelist folds the epoll_ctl calls of one loop iteration into
	 * the net change: a reply queued and written in the same iteration costs
	 * no EPOLL_CTL_MOD at all (about 27 calls a relayed message without it).
	 * Its one caveat, dup()ed descriptors in the same loop, does not apply.
	 */
	struct event_config *ecfg = event_config_new();
	if (ecfg == NULL)
		fatal("event_config_new failed");
	event_config_set_flag(ecfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	dm.base = event_base_new_with_config(ecfg);
	event_config_free(ecfg);
	if (dm.base == NULL)
		fatal("event_base_new failed");
	start_services(&dm, b, nb, ctl, tls);
	SSL_CTX_free(tls);
	int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
	for (int i = 0; i < 4; i++) {
		dm.sig[i] = evsignal_new(dm.base, sigs[i], on_signal, &dm);
		evsignal_add(dm.sig[i], NULL);
	}
	dm.stop_check = evtimer_new(dm.base, on_stop_check, &dm);
	log_info("started version=%s hostname=%s sources=%zu queued=%zu", POSTERN_VERSION,
	         dm.cfg->hostname, sources_count(dm.reg), queue_length(dm.queue));
	event_base_dispatch(dm.base);

	log_info("stopping");
	stop_services(&dm);
	for (int i = 0; i < 4; i++)
		event_free(dm.sig[i]);
	event_free(dm.stop_check);
	event_base_free(dm.base);
	config_free(dm.cfg);
	log_info("stopped");
	libevent_global_shutdown();
	return 0;
}
