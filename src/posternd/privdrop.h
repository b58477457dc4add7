/*
 * privdrop.h - running as an unprivileged account once the ports are bound.
 */
#ifndef POSTERN_PRIVDROP_H
#define POSTERN_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

struct runas {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* privdrop_lookup - resolve the account; -1 with err if it does not exist. */
int privdrop_lookup(const char *user, struct runas *out, char *err, size_t errlen);
/*
 * privdrop_apply - drop supplementary groups, gid and uid, then verify that
 * none can be regained (setuid(0) must fail). -1 with err on any failure.
 */
int privdrop_apply(const struct runas *ra, char *err, size_t errlen);

#endif
