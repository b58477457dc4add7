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
#include "delivery.h"
#include "domain_check.h"
#include "domains.h"
#include "eventlog.h"
#include "mta.h"
#include "fsio.h"
#include "log.h"
#include "privdrop.h"
#include "queue.h"
#include "resolve.h"
#include "signer.h"
#include "smtpd.h"
#include "sources.h"
#include "spool.h"
#include "store.h"
#include "strutil.h"
#include "submission.h"
#include "tls.h"
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
	struct submission_env subenv;
	struct buf spf;             /* the SPF record the sending addresses need */
	struct check_expect expect; /* what domain checks compare with */
	struct event *dkim_timer;   /* pending keys looked up, retiring keys retired */
	struct dcheck *checks;      /* the timer's checks in flight */
	struct resolver *check_dns; /* uncached: records just published are seen */
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

static int bind_tcp(const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int one = 1;

	if (addrport_parse(addr, &ss, &sslen) < 0) {
		snprintf(err, errlen, "[smtp] listen: '%s' is not ADDRESS:PORT", addr);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, 1024) < 0) {
		snprintf(err, errlen, "listen on %s: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
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
	domains_set_grace(dm->domains, (int64_t)(c->dkim_retire_grace_ms / 1000));
	dm->expect.spf = dm->spf.data;
	dm->expect.dmarc_rua = c->dmarc_rua;
}

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
		SSL_CTX_free(ctx);
	}
	apply(dm, c);
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

static void daemonize(void)
{
	pid_t pid = fork();

	if (pid < 0)
		fatal("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	setsid();
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* create dir (and parents) and, when root, give it to the run-as account */
static void prepare_dir(const char *dir, const struct runas *ra)
{
	char err[512];

	if (mkdir_p(dir, 0700, err, sizeof(err)) < 0)
		fatal("%s", err);
	if (ra && chown(dir, ra->uid, ra->gid) < 0)
		fatal("chown %s: %s", dir, strerror(errno));
}

struct bound {
	int fd;
	const char *addr;
	bool implicit_tls;
};

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
	delivery_settings_release(&ds);
	buf_init(&dm->spf);
	mta_spf_record(dm->mta, &dm->spf);
	if ((dm->check_dns = resolver_new_uncached(dm->base, c->resolver, err, sizeof(err))) ==
	    NULL)
		fatal("delivery: %s", err);
	dm->subenv = (struct submission_env){dm->spool,   dm->queue,  dm->events,
	                                     dm->domains, dm->signer, 0};
	struct smtpd_deps deps = {dm->reg, dm->auth, dm->spool, dm->queue, dm->events, &dm->subenv};
	dm->smtpd = smtpd_new(dm->base, c->hostname, &deps);
	smtpd_set_tls(dm->smtpd, tls);
	apply(dm, c);
	for (size_t i = 0; i < nb; i++)
		if (smtpd_listen(dm->smtpd, b[i].fd, b[i].addr, b[i].implicit_tls, err,
		                 sizeof(err)) < 0)
			fatal("%s", err);
	struct api_deps ad = {dm->reg,   dm->auth,    dm->spool,   dm->queue,     dm->mta,
	                      dm->smtpd, dm->domains, &dm->expect, dm->check_dns, POSTERN_VERSION};
	dm->api = api_new(dm->base, &ad);
	if (api_listen_unix(dm->api, ctl_fd, c->control_socket, err, sizeof(err)) < 0)
		fatal("%s", err);
	if (spool_recover(dm->spool, recovered, dm->queue, err, sizeof(err)) < 0)
		fatal("spool: %s", err);
	queue_pump(dm->queue);
	dm->dkim_timer = evtimer_new(dm->base, on_dkim_timer, dm);
	/* a first look soon after start: keys published while the relay was down */
	struct timeval soon = {5, 0};
	evtimer_add(dm->dkim_timer, &soon);
}

static void stop_services(struct daemon *dm)
{
	event_free(dm->dkim_timer);
	while (dm->checks) {
		domain_check_cancel(dm->checks->c);
		dcheck_unlink(dm, dm->checks);
	}
	api_free(dm->api);
	resolver_free(dm->check_dns);
	smtpd_free(dm->smtpd);
	/* signatures in flight end first: their messages are dropped (never answered) */
	signer_free(dm->signer);
	/*
	 * Deliveries in flight are cut: their messages stay queued. Then commits
	 * in flight (submissions, bounces) finish and are handed to the stopped
	 * queue, which leaves them in the spool for the next start.
	 */
	queue_stop(dm->queue);
	mta_free(dm->mta);
	spool_stop(dm->spool);
	queue_free(dm->queue);
	spool_free(dm->spool);
	eventlog_close(dm->events);
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
		daemonize();
	enum log_level lv = LOG_LV_INFO;
	log_parse_level(dm.cfg->log_level, &lv);
	log_init("posternd", foreground, lv);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	prepare_dir(dm.cfg->state_dir, drop);
	prepare_dir(dm.cfg->spool_dir, drop);
	prepare_dir(dm.cfg->capture_dir, drop);
	prepare_dir(dm.cfg->dkim_key_dir, drop);
	struct bound b[2 * CONFIG_LIST_MAX];
	size_t nb = 0;
	for (int tlsmode = 0; tlsmode < 2; tlsmode++) {
		const struct config_list *l = tlsmode ? &dm.cfg->listen_tls : &dm.cfg->listen;
		for (size_t i = 0; i < l->n; i++) {
			b[nb].fd = bind_tcp(l->v[i], err, sizeof(err));
			if (b[nb].fd < 0)
				fatal("%s", err);
			b[nb].addr = l->v[i];
			b[nb].implicit_tls = tlsmode;
			nb++;
		}
	}
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
