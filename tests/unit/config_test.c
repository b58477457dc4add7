/*
 * config_test.c - config_load on files written to a temporary directory: the
 * defaults of a minimal file, and one row per mistake, each with the line the
 * error must name ("FILE:LINE: [section] key: problem") and what it must say.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

static char tmpdir[256];

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/postern-config-test-XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

/* write text to a new file in tmpdir; its path into path */
static void write_file(const char *text, size_t n, char *path, size_t pathlen)
{
	static unsigned seq;

	snprintf(path, pathlen, "%s/postern-%u.conf", tmpdir, seq++);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static struct config *load(const char *text, size_t n, char *path, size_t pathlen, char *err,
                           size_t errlen)
{
	write_file(text, n, path, pathlen);
	err[0] = '\0';
	struct config *c = config_load(path, err, errlen);
	unlink(path);
	return c;
}

#define H "[server]\nhostname = mx.example.com\n"
#define L16                                                                                        \
	"127.0.0.1:1 127.0.0.1:2 127.0.0.1:3 127.0.0.1:4 127.0.0.1:5 127.0.0.1:6 127.0.0.1:7,\n"   \
	"  127.0.0.1:8 127.0.0.1:9 127.0.0.1:10 127.0.0.1:11 127.0.0.1:12 127.0.0.1:13\n"          \
	"  127.0.0.1:14 127.0.0.1:15 127.0.0.1:16"

/* checks for rows that load */
static void chk_max_errors_5(const struct config *c)
{
	EXPECT(c->max_errors == 5, "max_errors %" PRIu64, c->max_errors);
}
static void chk_hostname_mx(const struct config *c)
{
	EXPECT(strcmp(c->hostname, "mx") == 0, "hostname %s", shows(c->hostname));
}
static void chk_listen_3(const struct config *c)
{
	EXPECT(c->listen.n == 3 && strcmp(c->listen.v[0], "127.0.0.1:587") == 0 &&
	               strcmp(c->listen.v[1], "127.0.0.2:587") == 0 &&
	               strcmp(c->listen.v[2], "[::1]:587") == 0,
	       "listen has %zu entries", c->listen.n);
	EXPECT(c->listen_tls.n == 0, "listen_tls has %zu entries", c->listen_tls.n);
}
static void chk_listen_2(const struct config *c)
{
	EXPECT(c->listen.n == 2, "listen has %zu entries", c->listen.n);
}
static void chk_listen_16(const struct config *c)
{
	EXPECT(c->listen.n == 16, "listen has %zu entries", c->listen.n);
}
static void chk_bounds(const struct config *c)
{
	EXPECT(c->max_recipients == 10000 && c->banner_delay_ms == 60000 &&
	               c->max_message_size == 64 * 1024 * 1024 &&
	               c->auth_failure_window_ms == 1000 && c->auth_cache_ttl_ms == 0,
	       "bounds not kept");
}
static void chk_state_dir(const struct config *c)
{
	EXPECT(strcmp(c->spool_dir, "/srv/postern/spool") == 0 &&
	               strcmp(c->control_socket, "/srv/postern/control.sock") == 0 &&
	               strcmp(c->tls_cert, "/srv/postern/tls/cert.pem") == 0 &&
	               strcmp(c->tls_key, "/srv/postern/tls/key.pem") == 0 &&
	               strcmp(c->capture_dir, "/srv/postern/capture") == 0,
	       "derived paths: %s %s", c->spool_dir, c->control_socket);
}
static void chk_explicit_paths(const struct config *c)
{
	EXPECT(strcmp(c->spool_dir, "/var/spool/p") == 0 && strcmp(c->capture_dir, "/tmp/cap") == 0,
	       "explicit paths: %s %s", c->spool_dir, c->capture_dir);
}

struct row {
	const char *text;
	size_t n;
	bool ok;
	void (*check)(const struct config *); /* ok rows */
	int line;                             /* error rows: the line named, 0 for none */
	const char *says[3];                  /* error rows: substrings of the message */
};

#define GOOD(t, chk)                                                                               \
	{                                                                                          \
		RAW(t), true, chk, 0,                                                              \
		{                                                                                  \
			NULL                                                                       \
		}                                                                                  \
	}
#define BAD(t, line, ...)                                                                          \
	{                                                                                          \
		RAW(t), false, NULL, line,                                                         \
		{                                                                                  \
			__VA_ARGS__                                                                \
		}                                                                                  \
	}

static const struct row rows[] = {
        GOOD(H, NULL),
        GOOD("[server]\nhostname=mx\n", chk_hostname_mx),
        GOOD("[server]\r\nhostname = mx\r\n", chk_hostname_mx),         /* CRLF */
        GOOD("\xef\xbb\xbf[server]\nhostname = mx\n", chk_hostname_mx), /* BOM */
        GOOD("# comment\n; comment\n\n[server]\n  hostname = mx  \n", chk_hostname_mx),
        GOOD(H "[smtp]\nmax_errors = 5 ; five\n", chk_max_errors_5), /* inline comment */
        GOOD(H "[smtp]\nmax_errors = 5\n[server]\nuser = p\n", chk_max_errors_5),
        /* list continuation lines */
        GOOD(H "[smtp]\nlisten = 127.0.0.1:587,\n  127.0.0.2:587\n  [::1]:587\nlisten_tls =\n",
             chk_listen_3),
        GOOD(H "[smtp]\nlisten = 127.0.0.1:587 127.0.0.2:587,[::1]:587\nlisten_tls =\n",
             chk_listen_3),
        /* an indented continuation line appends to a list key */
        GOOD(H "[smtp]\nlisten = 127.0.0.1:587\n  127.0.0.2:587\n", chk_listen_2),
        GOOD(H "[smtp]\nlisten = 127.0.0.1:587\n\t127.0.0.2:587\n", chk_listen_2),
        GOOD(H "[smtp]\nlisten = " L16 "\n", chk_listen_16),
        /* values at their bounds */
        GOOD(H "[smtp]\nmax_recipients = 10000\nbanner_delay = 60s\nmax_message_size = 64M\n"
               "auth_failure_window = 1000ms\nauth_cache_ttl = 0\n",
             chk_bounds),
        GOOD(H "state_dir = /srv/postern\n", chk_state_dir),
        GOOD(H "spool_dir = /var/spool/p\n[delivery]\ncapture_dir = /tmp/cap\n",
             chk_explicit_paths),
        /* a line of 198 characters is the longest libinih's 200-octet buffer takes */
        GOOD(H
             "# xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
             NULL),

        /* unknown keys and sections */
        BAD(H "[smtp]\nbogus = 1\n", 4, "[smtp] bogus", "unknown key"),
        BAD(H "[smtp]\nMax_Errors = 1\n", 4, "[smtp] Max_Errors", "unknown key"),
        BAD(H "[smtp]\nhostname = x\n", 4, "[smtp] hostname", "unknown key"),
        BAD(H "[bogus]\nkey = 1\n", 4, "[bogus] key", "unknown section"),
        BAD("[Server]\nhostname = mx\n", 2, "[Server] hostname", "unknown section"),
        BAD("hostname = mx\n", 1, "[] hostname", "unknown section"),
        BAD("# c\n\n[server]\n; c\nhostname = h\n\n[smtp]\n\nbogus = 1\n", 9, "[smtp] bogus",
            "unknown key"),

        /* bad values, named with their line */
        BAD(H "[smtp]\nmax_message_size = 10X\n", 4, "[smtp] max_message_size",
            "'10X' is not a size"),
        BAD(H "[smtp]\nmax_message_size = 1.5M\n", 4, "is not a size"),
        BAD(H "[smtp]\nmax_message_size =\n", 4, "'' is not a size"),
        BAD(H "[smtp]\ncommand_timeout = 5 minutes\n", 4, "[smtp] command_timeout",
            "'5 minutes' is not a duration"),
        BAD(H "[smtp]\ncommand_timeout = 5M\n", 4, "is not a duration"),
        BAD(H "[smtp]\nmax_recipients = ten\n", 4, "[smtp] max_recipients",
            "'ten' is not a whole number"),
        BAD(H "[smtp]\nmax_recipients = -1\n", 4, "'-1' is not a whole number"),
        BAD(H "[smtp]\nmax_recipients = 1.5\n", 4, "is not a whole number"),
        BAD(H "[smtp]\nmax_recipients = 99999999999999999999\n", 4, "is not a whole number"),
        BAD(H "[smtp]\nmax_errors = 5 # five\n", 4, "'5 # five' is not a whole number"),
        BAD(H "[server]\nlog_level = verbose\n", 4, "[server] log_level",
            "must be error, warn, info or debug"),
        BAD(H "[delivery]\ntransport = smtp\n", 4, "[delivery] transport",
            "must be mx, smarthost or capture"),
        BAD(H "[spool]\nsync = fdatasync\n", 4, "[spool] sync", "must be filesystem or file"),
        BAD(H "[delivery]\ntls = sometimes\n", 4, "[delivery] tls",
            "must be none, may, encrypt or verify"),
        BAD(H "[delivery]\nallow_private_destinations = maybe\n", 4,
            "[delivery] allow_private_destinations", "is not yes or no"),
        BAD(H "[delivery]\nsmarthost = mx\n", 4, "[delivery] smarthost", "must be a host"),
        BAD(H "[delivery]\nsmarthost = [relay.example:99999\n", 4, "[delivery] smarthost",
            "unbalanced"),
        BAD(H "[routes]\nexample.com = [relay.example]:0\n", 4, "[routes] example.com",
            "port must be 1 to 65535"),
        BAD(H "[routes]\nexa mple.com = mx\n", 4, "[routes] exa mple.com", "not a domain pattern"),
        BAD(H "[routes]\nexample.com = mx\nexample.com = capture\n", 5, "[routes] example.com",
            "given more than once (line 4)"),
        BAD(H "[routes]\nexample.com = smarthost\n", 4, "[routes] example.com",
            "[delivery] smarthost is not set"),
        BAD(H "[tls_policy]\n.example.com = always\n", 4, "[tls_policy] .example.com",
            "must be none, may, encrypt or verify"),
        BAD(H "[destination_concurrency]\ngmail.com = 0\n", 4,
            "[destination_concurrency] gmail.com", "from 1 to 1000"),
        BAD(H "[pools]\nBulk = 192.0.2.1=out.example.com\n", 4, "[pools] Bulk", "pool name"),
        BAD(H "[pools]\nbulk = 192.0.2.1\n", 4, "[pools] bulk", "not ADDRESS=EHLO-NAME"),
        BAD(H "[pools]\nbulk = 192.0.2.300=out.example.com\n", 4, "[pools] bulk",
            "not an IP address"),
        BAD(H "[pools]\nbulk = 192.0.2.1=out..example.com\n", 4, "[pools] bulk",
            "not a host name for EHLO"),
        BAD("[server]\nhostname =\n", 2, "[server] hostname", "must be 1 to 253 characters"),
        BAD("[server]\nhostname = a\x01"
            "b\n",
            2, "[server] hostname", "control characters"),
        BAD(H "[smtp]\nlisten = " L16 " 127.0.0.1:17\n", 6, "[smtp] listen", "at most 16 entries"),
        BAD(H "[smtp]\nlisten_tls = " L16 "\n  127.0.0.1:17\n", 7, "[smtp] listen_tls",
            "at most 16 entries"),
        /* listen addresses: numeric ADDRESS:PORT */
        BAD(H "[smtp]\nlisten = a1\n", 4, "[smtp] listen", "'a1' is not ADDRESS:PORT"),
        BAD(H "[smtp]\nlisten = localhost:587\n", 4, "'localhost:587' is not ADDRESS:PORT"),
        BAD(H "[smtp]\nlisten = 127.0.0.1\n", 4, "'127.0.0.1' is not ADDRESS:PORT"),
        BAD(H "[smtp]\nlisten = 127.0.0.1:0\n", 4, "is not ADDRESS:PORT"),
        BAD(H "[smtp]\nlisten = 127.0.0.1:65536\n", 4, "is not ADDRESS:PORT"),
        BAD(H "[smtp]\nlisten = ::1:587\n", 4, "is not ADDRESS:PORT"),
        BAD(H "[smtp]\nlisten = [127.0.0.1]:587\n", 4, "is not ADDRESS:PORT"),
        BAD(H "[smtp]\nlisten_tls = 127.0.0.1:465,\n  [::1]465\n", 5, "[smtp] listen_tls",
            "'[::1]465' is not ADDRESS:PORT"),

        /* out of range */
        BAD(H "[smtp]\nmax_recipients = 0\n", 4, "[smtp] max_recipients",
            "0 is out of range (1 to 10000)"),
        BAD(H "[smtp]\nmax_recipients = 10001\n", 4, "10001 is out of range"),
        BAD(H "[smtp]\nmax_message_size = 1000\n", 4, "[smtp] max_message_size",
            "1000 is out of range (1024 to 67108864)"),
        BAD(H "[smtp]\nmax_message_size = 65M\n", 4, "65M is out of range"),
        BAD(H "[smtp]\nbanner_delay = 61s\n", 4, "[smtp] banner_delay",
            "61s is out of range (0 to 60000)"),
        BAD(H "[delivery]\nconnection_reuse_time = 6m\n", 4, "[delivery] connection_reuse_time",
            "6m is out of range (0 to 300000)"),
        BAD(H "[delivery]\nconnection_reuse_time = forever\n", 4, "'forever' is not a duration"),
        BAD(H "[smtp]\nauth_threads = 65\n", 4, "out of range (1 to 64)"),
        BAD(H "[smtp]\ncommand_timeout = 0\n", 4, "out of range"),
        BAD(H "[smtp]\nauth_failure_window = 999ms\n", 4, "out of range"),
        BAD(H "[spool]\ncommit_threads = 0\n", 4, "[spool] commit_threads", "out of range"),
        BAD(H "[delivery]\ndestination_concurrency = 1001\n", 4,
            "[delivery] destination_concurrency", "out of range"),
        /* a selector prefix starts a DNS label and names key files */
        GOOD(H "[dkim]\nselector_prefix = mail-2\n", NULL),
        BAD(H "[dkim]\nselector_prefix = mail_key\n", 0, "[dkim] selector_prefix", "mail_key"),
        BAD(H "[dkim]\nselector_prefix = ../x\n", 0, "[dkim] selector_prefix"),
        BAD(H "[dkim]\nselector_prefix = Mail\n", 0, "[dkim] selector_prefix"),
        BAD(H "[dkim]\nselector_prefix = -a\n", 0, "[dkim] selector_prefix"),

        /* required, twice, no listener */
        BAD("[smtp]\nmax_errors = 5\n", 0, "[server] hostname", "required"),
        BAD("", 0, "[server] hostname", "required"),
        BAD("# nothing here\n\n", 0, "[server] hostname", "required"),
        BAD("[server]\nhostname = a\nhostname = b\n", 3, "[server] hostname",
            "given more than once"),
        BAD("[server]\nhostname = a\n[smtp]\nmax_errors = 1\n[server]\nhostname = b\n", 6,
            "[server] hostname", "given more than once"),
        BAD(H "[smtp]\nmax_errors = 1\nmax_errors = 1\n", 5, "[smtp] max_errors",
            "given more than once"),
        BAD("[server]\nhostname = a\n  b\n", 3, "[server] hostname", "given more than once"),
        /* a list key given again on a line of its own (not indented) is a mistake too */
        BAD(H "[smtp]\nlisten = 127.0.0.1:587\nlisten = 127.0.0.2:587\n", 5, "[smtp] listen",
            "given more than once"),
        BAD(H "[smtp]\nlisten = 127.0.0.1:587\n  127.0.0.2:587\nlisten = [::1]:587\n", 6,
            "[smtp] listen", "given more than once"),
        BAD(H "[smtp]\nlisten_tls = 127.0.0.1:465\nmax_errors = 5\nlisten_tls = [::1]:465\n", 6,
            "[smtp] listen_tls", "given more than once"),
        BAD(H "[smtp]\nlisten =\nlisten_tls =\n", 0, "no listener configured"),

        /* first error wins */
        BAD(H "[smtp]\nbogus = 1\nmax_errors = x\n", 4, "[smtp] bogus"),
        BAD(H "[smtp]\nmax_errors = x\nbogus = 1\n", 4, "[smtp] max_errors"),

        /* syntax */
        BAD("[server]\nhostname\n", 2, "syntax error"),
        BAD("[server]\nhostname = mx\nhostname: other\n", 3, "given more than once"),
        BAD("[server]\nhostname = mx\n= value\n", 3, "[server] : unknown key"),
        /* regression: a later handler error was named instead of libinih's earlier syntax error */
        BAD("[server\nhostname = mx\n", 1, "syntax error"),
        BAD("[server]\nhostname = mx\n[smtp\nmax_errors = 5\n", 3, "syntax error"),

        /* over-long lines are named, never cut into a second line */
        BAD(H "# xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
            3, "line longer than 198 characters"),
        BAD(H
            "[smtp]\ntls_ciphers = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            "\n",
            4, "line longer than 198 characters"),
        /* the tail of an over-long line would read as "bogus = 1" if it were cut */
        BAD(H "[smtp]\n"
              "max_errors = 5 ; xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
              "bogus = 1\n",
            4, "line longer than 198 characters"),
};

static void check_row(size_t i, const struct row *r)
{
	char path[512], err[1024];
	struct config *c = load(r->text, r->n, path, sizeof(path), err, sizeof(err));

	if (r->ok) {
		EXPECT(c != NULL, "row %zu %s: refused: %s", i, show(r->text, r->n), err);
		if (c && r->check)
			r->check(c);
		config_free(c);
		return;
	}
	EXPECT(c == NULL, "row %zu %s: loaded", i, show(r->text, r->n));
	config_free(c);
	if (c != NULL)
		return;
	char prefix[600];
	if (r->line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, r->line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	EXPECT(strncmp(err, prefix, strlen(prefix)) == 0,
	       "row %zu %s: message \"%s\" does not start with \"%s\"", i, show(r->text, r->n), err,
	       prefix);
	for (size_t k = 0; k < NELEM(r->says) && r->says[k]; k++)
		EXPECT(strstr(err, r->says[k]) != NULL,
		       "row %zu %s: message \"%s\" does not say \"%s\"", i, show(r->text, r->n),
		       err, r->says[k]);
}

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(rows); i++)
		check_row(i, &rows[i]);
	ALL_PASSED();
}

/*
 * the control socket path, explicit or derived from state_dir, must fit a
 * Unix socket's sun_path (108 octets with its NUL): 107 characters at most
 */
struct sock_row {
	bool derived; /* state_dir set, control_socket derived (STATE_DIR/control.sock) */
	size_t len;   /* length of the control socket path */
	bool ok;
};

static const struct sock_row sock_rows[] = {
        {true, 20, true},    {true, 107, true},   {true, 108, false},  {true, 109, false},
        {true, 150, false},  {false, 20, true},   {false, 100, true},  {false, 107, true},
        {false, 108, false}, {false, 109, false}, {false, 150, false},
};

static size_t last_socket_len;

static void chk_socket_len(const struct config *c)
{
	EXPECT(strlen(c->control_socket) == last_socket_len, "control_socket of %zu, expected %zu",
	       strlen(c->control_socket), last_socket_len);
}

static void test_control_socket_length(void **state)
{
	static const char leaf[] = "/control.sock";

	(void)state;
	for (size_t i = 0; i < NELEM(sock_rows); i++) {
		const struct sock_row *s = &sock_rows[i];
		char dir[256], text[512];
		/* a path of n characters: '/' then 'p's */
		size_t n = s->derived ? s->len - (sizeof(leaf) - 1) : s->len;
		assert_true(n >= 2 && n < sizeof(dir));
		dir[0] = '/';
		memset(dir + 1, 'p', n - 1);
		dir[n] = '\0';
		int tn = snprintf(text, sizeof(text), H "%s = %s\n",
		                  s->derived ? "state_dir" : "control_socket", dir);
		assert_true(tn > 0 && (size_t)tn < sizeof(text));
		last_socket_len = s->len;
		struct row r = {
		        text,  (size_t)tn,
		        s->ok, chk_socket_len,
		        0,     {"[server] control_socket", "is too long for a Unix socket"}};
		check_row(i, &r);
	}
	ALL_PASSED();
}

/* only [server] hostname: everything else is its default */
static void test_defaults(void **state)
{
	char path[512], err[1024];
	struct config *c = load(RAW(H), path, sizeof(path), err, sizeof(err));

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->path, path);
	assert_string_equal(c->hostname, "mx.example.com");
	assert_string_equal(c->user, "postern");
	assert_string_equal(c->state_dir, "/var/lib/postern");
	assert_string_equal(c->spool_dir, "/var/lib/postern/spool");
	assert_string_equal(c->control_socket, "/var/lib/postern/control.sock");
	assert_string_equal(c->log_level, "info");
	assert_int_equal(c->listen.n, 1);
	assert_string_equal(c->listen.v[0], "0.0.0.0:587");
	assert_int_equal(c->listen_tls.n, 1);
	assert_string_equal(c->listen_tls.v[0], "0.0.0.0:465");
	assert_string_equal(c->tls_cert, "/var/lib/postern/tls/cert.pem");
	assert_string_equal(c->tls_key, "/var/lib/postern/tls/key.pem");
	assert_non_null(strstr(c->tls_ciphers, "ECDHE-ECDSA-AES256-GCM-SHA384"));
	assert_null(strstr(c->tls_ciphers, "CBC"));
	assert_non_null(strstr(c->tls_ciphersuites, "TLS_AES_256_GCM_SHA384"));
	assert_int_equal(c->max_message_size, 25 * 1024 * 1024);
	assert_int_equal(c->max_recipients, 100);
	assert_int_equal(c->max_header_size, 1024 * 1024);
	assert_int_equal(c->max_errors, 10);
	assert_int_equal(c->max_connections, 1000);
	assert_int_equal(c->max_connections_per_ip, 50);
	assert_int_equal(c->command_timeout_ms, 5 * 60 * 1000);
	assert_int_equal(c->data_timeout_ms, 10 * 60 * 1000);
	assert_int_equal(c->handshake_timeout_ms, 30 * 1000);
	assert_int_equal(c->banner_delay_ms, 0);
	assert_int_equal(c->auth_max_failures, 3);
	assert_int_equal(c->auth_ip_max_failures, 20);
	assert_int_equal(c->auth_account_max_failures, 10);
	assert_int_equal(c->auth_failure_window_ms, 15 * 60 * 1000);
	assert_int_equal(c->auth_cache_ttl_ms, 5 * 60 * 1000);
	assert_int_equal(c->auth_threads, 2);
	assert_int_equal(c->commit_threads, 16);
	assert_string_equal(c->transport, "mx");
	assert_string_equal(c->spool_sync, "filesystem");
	assert_string_equal(c->capture_dir, "/var/lib/postern/capture");
	assert_int_equal(c->out_max_connections, 100);
	assert_int_equal(c->dest_concurrency, 10);
	assert_int_equal(c->msgs_per_conn, 100);
	assert_int_equal(c->conn_reuse_ms, 2000);
	assert_int_equal(c->connect_timeout_ms, 30 * 1000);
	assert_int_equal(c->out_command_timeout_ms, 5 * 60 * 1000);
	assert_int_equal(c->out_data_timeout_ms, 10 * 60 * 1000);
	assert_string_equal(c->resolver, "system");
	assert_false(c->allow_private);
	assert_int_equal(c->smtp_port, 25);
	assert_string_equal(c->tls_policy, "may");
	assert_string_equal(c->smarthost, "");
	assert_string_equal(c->smarthost_tls, "verify");
	assert_string_equal(c->pool, "");
	assert_int_equal(c->retry_min_ms, 5 * 60 * 1000);
	assert_int_equal(c->retry_max_ms, 60 * 60 * 1000);
	assert_int_equal(c->max_lifetime_ms, 5ULL * 24 * 3600 * 1000);
	assert_int_equal(c->delay_warning_ms, 0);
	assert_int_equal(c->max_active, 10000);
	assert_int_equal(c->routes.n, 0);
	assert_int_equal(c->pools.n, 0);
	config_free(c);
}

static void test_missing_file(void **state)
{
	char path[512], err[1024] = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/does-not-exist.conf", tmpdir);
	assert_null(config_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "cannot open"));
	/* a directory is not a configuration file */
	assert_null(config_load(tmpdir, err, sizeof(err)));
	assert_non_null(strstr(err, tmpdir));
	config_free(NULL); /* a no-op */
}

/* a small err buffer is filled, truncated, and terminated */
static void test_small_err_buffer(void **state)
{
	char path[512], err[16];

	(void)state;
	memset(err, 'Z', sizeof(err));
	struct config *c = load(RAW(H "[smtp]\nbogus = 1\n"), path, sizeof(path), err, sizeof(err));
	assert_null(c);
	assert_int_equal(strlen(err), sizeof(err) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rows),
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_missing_file),
	        cmocka_unit_test(test_small_err_buffer),
	        cmocka_unit_test(test_control_socket_length),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
