/* sources_internal.h - what sources.c and sources_settings.c share. */
#ifndef POSTERN_SOURCES_INTERNAL_H
#define POSTERN_SOURCES_INTERNAL_H

#include "sources.h"

struct htab;

struct sources {
	struct store *st;
	struct htab *by_name;
	struct htab *by_id;  /* key: decimal id */
	struct htab *by_key; /* API key id -> source */
};

/* sources_save - write s (its networks as they are) to the store. 0 or as store_source_update */
int sources_save(struct sources *reg, struct source *s, char *err, size_t errlen);
/* sources_put_identity - a rule the store holds, into s (up to SOURCE_MAX_IDENTITIES) */
void sources_put_identity(struct source *s, const struct store_identity *i);

#endif
