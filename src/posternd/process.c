/*
 * process.c - the daemon process before it serves: its listening sockets,
 * its directories and the admin token (made and read as root, before the
 * privilege drop), detaching from the terminal, the descriptor limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cidr.h"
#include "fsio.h"
#include "log.h"
#include "process.h"

int process_bind_tcp(const char *addr, char *err, size_t errlen)
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

void process_daemonize(void)
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

void process_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* create dir (and parents) and, when root, give it to the run-as account */
void process_prepare_dir(const char *dir, const struct runas *ra)
{
	char err[512];

	if (mkdir_p(dir, 0700, err, sizeof(err)) < 0)
		fatal("%s", err);
	if (ra && chown(dir, ra->uid, ra->gid) < 0)
		fatal("chown %s: %s", dir, strerror(errno));
}

/* the admin token: the file's first line, at least 32 characters */
char *process_read_token(const char *path)
{
	char err[256], *text = NULL;
	size_t n = 0;

	if (file_read(path, 4096, &text, &n, err, sizeof(err)) < 0)
		fatal("[api] admin_token_file: %s", err);
	text[strcspn(text, "\r\n")] = '\0';
	if (strlen(text) < 32)
		fatal("[api] admin_token_file: %s: the token must be at least 32 characters", path);
	return text;
}
