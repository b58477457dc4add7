/*
 * posternctl - administers a running Postern relay through its control socket.
 *
 *   posternctl [-c FILE | -s SOCKET] [--json] NOUN VERB [ARGS...]
 *
 * Every verb accepts --json for machine output. Exit status: 0 done, 1 the
 * relay refused, 2 usage error, 3 the relay cannot be reached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "log.h"

#define DEFAULT_CONFIG "/etc/postern/postern.ini"

static void usage(void)
{
	fprintf(stderr, "usage: posternctl [-c FILE | -s SOCKET] [--json] NOUN VERB [ARGS]\n"
	                "\n"
	                "  source list\n"
	                "  source show NAME\n"
	                "  source add NAME [--kind app|onprem|cloud|saas] [--ip CIDR]... "
	                "[--allow-ip CIDR]...\n"
	                "                  (--ip: authenticate by client address, no password;\n"
	                "                   --allow-ip: a password source usable only from these "
	                "networks)\n"
	                "  source set NAME [--kind KIND] [--pool POOL] [--lane urgent|bulk]\n"
	                "  source suspend NAME [--hold-queued|--drop-queued]\n"
	                "                  the kill switch: its sessions and requests are refused "
	                "at once,\n"
	                "                  its queued mail held (default) or dropped\n"
	                "  source resume NAME\n"
	                "  source passwd NAME      a new password (the old one stops working)\n"
	                "  source networks NAME [CIDR...]\n"
	                "  source credential list NAME\n"
	                "  source credential add NAME CRED [--kind password|api-key] [--expires "
	                "90d]\n"
	                "  source credential rotate NAME CRED [--grace 1h] [--expires 90d]\n"
	                "  source credential revoke NAME CRED\n"
	                "  source webhook NAME [URL [--events TYPE,...] [--rotate-secret] | "
	                "--remove]\n"
	                "  source scan NAME [--dlp all|none|RULE,SET,...] [--dlp-action "
	                "reject|quarantine|require-tls]\n"
	                "                [--spam-action tag|quarantine]\n"
	                "  source stream NAME [--default STREAM|transactional] "
	                "[--on-suppressed drop|reject]\n"
	                "  source limits NAME [--per-minute N] [--per-hour N] [--per-day N]\n"
	                "                [--max-recipients N] [--max-size SIZE] "
	                "[--max-connections N]\n"
	                "  source allow NAME ENVELOPE-PATTERN [FROM-PATTERN] [--remove]\n"
	                "  source deny NAME ENVELOPE-PATTERN [FROM-PATTERN] [--remove]\n"
	                "                  (patterns: example.com, *@example.com, "
	                "noreply@example.com,\n"
	                "                   bounce-*@example.com, *@*.example.com, <>)\n"
	                "  source delete NAME\n"
	                "  domain list\n"
	                "  domain add DOMAIN [--subdomains] [--force]\n"
	                "                  new RSA-2048 and Ed25519 keys; prints the DNS records\n"
	                "  domain show DOMAIN\n"
	                "  domain check DOMAIN [--force]  look the records up; activate "
	                "published keys\n"
	                "  domain rotate DOMAIN [--force] a new key pair, pending until "
	                "published\n"
	                "  domain set DOMAIN --subdomains on|off\n"
	                "  domain remove DOMAIN\n"
	                "  queue list [--limit N] [--offset N]\n"
	                "  queue show ID\n"
	                "  queue flush              try every waiting message now\n"
	                "  queue hold ID | release ID | delete ID | bounce ID\n"
	                "  pool list\n"
	                "  pool spf [POOL]          the SPF record listing the sending addresses\n"
	                "  log search [--source S] [--rcpt R] [--from F] [--status TYPE] "
	                "[--since T]\n"
	                "             [--until T] [--id ID] [--limit N] [--before CURSOR]\n"
	                "                  events, newest first (T: 2026-12-07T10:00:00Z or 1h)\n"
	                "  stats [--source S] [--since T] [--until T]\n"
	                "  audit [--limit N]        administrative changes: who, what, when\n"
	                "  quarantine list | show ID | release ID | delete ID\n"
	                "  suppression add ADDRESS [--scope STREAM|domain] [--reason R] "
	                "[--detail TEXT]\n"
	                "  suppression remove ADDRESS [--scope S]\n"
	                "  suppression list [--address A] [--scope S] [--reason R] [--limit N]\n"
	                "  suppression import FILE.csv | export   (CSV: address,scope,reason,"
	                "created_at,source,detail,origin)\n"
	                "  unsubscribe rotate-secret  a new secret for unsubscribe links\n"
	                "  admin add NAME [--password-stdin] | passwd NAME [--password-stdin] |\n"
	                "        remove NAME | list   the web console's administrators\n"
	                "  status\n"
	                "\n"
	                "  -c FILE     the relay's configuration (default " DEFAULT_CONFIG "),\n"
	                "              read for [server] control_socket\n"
	                "  -s SOCKET   the control socket itself\n"
	                "  --json      machine-readable output\n");
	exit(CTL_USAGE);
}

int main(int argc, char **argv)
{
	const char *cfgpath = NULL, *sock = NULL;
	struct ctl c = {0};
	char *args[64];
	int nargs = 0;

	log_init("posternctl", true, LOG_LV_WARN);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc && nargs == 0) {
			cfgpath = argv[++i];
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc && nargs == 0) {
			sock = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage();
		} else if (nargs < 63) {
			args[nargs++] = argv[i];
		} else {
			usage();
		}
	}
	args[nargs] = NULL;
	if (nargs == 0)
		usage();
	struct config *cfg = NULL;
	if (sock == NULL) {
		char err[512];
		cfg = config_load(cfgpath ? cfgpath : DEFAULT_CONFIG, err, sizeof(err));
		if (cfg == NULL) {
			fprintf(stderr, "posternctl: %s\n", err);
			return CTL_USAGE;
		}
		sock = cfg->control_socket;
	}
	c.socket = sock;
	int r;
	if (strcmp(args[0], "source") == 0)
		r = cmd_source(&c, nargs - 1, args + 1);
	else if (strcmp(args[0], "status") == 0)
		r = cmd_status(&c, nargs - 1, args + 1);
	else if (strcmp(args[0], "queue") == 0)
		r = cmd_queue(&c, nargs - 1, args + 1);
	else if (strcmp(args[0], "pool") == 0)
		r = cmd_pool(&c, nargs - 1, args + 1);
	else if (strcmp(args[0], "domain") == 0)
		r = cmd_domain(&c, nargs - 1, args + 1);
	else if (strcmp(args[0], "log") == 0)
		r = cmd_log(&c, nargs - 1, args + 1);
	else if (strcmp(args[0], "stats") == 0)
		r = cmd_stats(&c, nargs - 1, args + 1);
	else if (strcmp(args[0], "audit") == 0)
		r = cmd_audit(&c, nargs - 1, args + 1);
	else if (strcmp(args[0], "quarantine") == 0)
		r = cmd_quarantine(&c, nargs - 1, args + 1);
	else if (strcmp(args[0], "suppression") == 0)
		r = cmd_suppression(&c, nargs - 1, args + 1);
	else if (strcmp(args[0], "unsubscribe") == 0)
		r = cmd_unsubscribe(&c, nargs - 1, args + 1);
	else if (strcmp(args[0], "admin") == 0)
		r = cmd_admin(&c, nargs - 1, args + 1);
	else {
		fprintf(stderr, "posternctl: unknown noun '%s'\n", args[0]);
		r = CTL_USAGE;
	}
	config_free(cfg);
	return r;
}
