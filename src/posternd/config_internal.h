/*
 * config_internal.h - what config.c (the parser) and config_keys.c (the
 * table of keys) share.
 */
#ifndef POSTERN_CONFIG_INTERNAL_H
#define POSTERN_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

enum ctype {
	CT_STR,
	CT_PATH,
	CT_LIST,
	CT_ADDRS,
	CT_UINT,
	CT_SIZE,
	CT_DURATION,
	CT_BOOL,
	CT_LEVEL,
	CT_TRANSPORT,
	CT_TLS,
	CT_SYNC,
	CT_ROUTE,
};

struct ckey {
	const char *section;
	const char *name;
	enum ctype type;
	size_t offset;
	const char *def; /* NULL: required (or derived, see derive()) */
	uint64_t min, max;
	const char *doc;
};

#define U64MAX          UINT64_MAX
#define CONFIG_KEYS_MAX 256 /* config_nkeys is checked against it at load */

extern const struct ckey config_keys[];
extern const size_t config_nkeys;

#endif
