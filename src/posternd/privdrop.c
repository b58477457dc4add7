/* privdrop.c - drop root for good, and prove it. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int privdrop_lookup(const char *user, struct runas *out, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		snprintf(err, errlen, "[server] user: no account named '%s'", user);
		return -1;
	}
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	snprintf(out->name, sizeof(out->name), "%s", user);
	return 0;
}

int privdrop_apply(const struct runas *ra, char *err, size_t errlen)
{
	if (setgroups(0, NULL) < 0 || setresgid(ra->gid, ra->gid, ra->gid) < 0 ||
	    setresuid(ra->uid, ra->uid, ra->uid) < 0) {
		snprintf(err, errlen, "cannot become %s: %s", ra->name, strerror(errno));
		return -1;
	}
	/* verify: every id is the target, and root cannot be regained */
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != ra->uid ||
	    eu != ra->uid || su != ra->uid || rg != ra->gid || eg != ra->gid || sg != ra->gid) {
		snprintf(err, errlen, "privilege drop to %s did not take", ra->name);
		return -1;
	}
	if (ra->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "privilege drop to %s can be undone", ra->name);
		return -1;
	}
#ifdef POSTERN_SANITIZED
	/* LeakSanitizer needs to ptrace the process at exit; test builds only */
	prctl(PR_SET_DUMPABLE, 1);
#endif
	return 0;
}
