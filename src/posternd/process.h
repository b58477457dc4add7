/* process.h - the daemon process before it serves (process.c); failures are fatal unless said */
#ifndef POSTERN_PROCESS_H
#define POSTERN_PROCESS_H

#include <stddef.h>

#include "privdrop.h"

/* process_bind_tcp - a listening socket on ADDRESS:PORT; -1 with err */
int process_bind_tcp(const char *addr, char *err, size_t errlen);
void process_daemonize(void);
/* process_raise_nofile - the soft descriptor limit up to the hard one */
void process_raise_nofile(void);
/* process_prepare_dir - create dir (and parents) and, when root, give it to the run-as account */
void process_prepare_dir(const char *dir, const struct runas *ra);
/* process_read_token - the admin token: the file's first line, at least 32 characters */
char *process_read_token(const char *path);

#endif
