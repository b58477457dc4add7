/*
 * scan.h - every scanner over one message, at once: clamd and Rspamd over
 * their sockets (on the loop), the MIME reading and the DLP rules on a
 * worker thread; one result when all have answered.
 *
 * Mechanism only: what a result means for the message (refused, held,
 * tagged, sent only over verified TLS) is decided by the policy layer.
 * Nothing here logs; matched data never leaves the DLP engine (only rule
 * names and counts are in the result).
 */
#ifndef POSTERN_SCAN_H
#define POSTERN_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clamd.h"
#include "rspamd.h"

struct event_base;
struct dlp_db;

struct scan_settings {
	const char *clamd; /* socket path or HOST:PORT; NULL or "": no antivirus */
	uint64_t clamd_timeout_ms, clamd_max_size;
	const char *rspamd; /* HOST:PORT; NULL or "": no anti-spam */
	uint64_t rspamd_timeout_ms;
	size_t mime_max_depth, mime_max_parts;
	uint64_t mime_max_decoded;
};

#define SCAN_MAX_HITS 16

enum scan_mime { SCAN_MIME_OK, SCAN_MIME_LIMIT, SCAN_MIME_MALFORMED, SCAN_MIME_AMBIGUOUS };

struct scan_result {
	bool av_on;
	enum clamd_status av;
	char av_what[200]; /* the signature (found), or what went wrong (error) */
	bool spam_on;
	struct rspamd_verdict spam;
	enum scan_mime mime;
	char mime_why[200];
	bool dlp_error; /* the DLP rules could not run in full: their findings are incomplete */
	char dlp_why[120];
	size_t nhits; /* the DLP rules that triggered (count at least their minimum) */
	struct {
		char rule[64];
		unsigned count;
	} hits[SCAN_MAX_HITS];
};

/*
 * what the scanners are told about the message. data is taken over by
 * scan_start (the worker may still read it after scan_cancel: it is freed
 * when the last part lets go); dlp_rules are copied; the rest is read at
 * scan_start only.
 */
struct scan_input {
	char *data; /* the whole message, CRLF lines (malloc'd) */
	size_t n;
	const char *source, *sender, *client, *helo, *queue_id;
	const char *const *rcpts;
	size_t nrcpts;
	/* the DLP rules that apply: NULL every rule of the database, else these names */
	const char *const *dlp_rules;
	size_t ndlp_rules;
};

typedef void (*scan_done_fn)(const struct scan_result *r, void *arg);

struct scanner;
struct scan_req;

/* scanner_new - threads: MIME and DLP scans at once. */
struct scanner *scanner_new(struct event_base *base, int threads);
void scanner_free(struct scanner *sc);
/* scanner_set - the settings (copied) and the DLP database (taken over; NULL: none) */
void scanner_set(struct scanner *sc, const struct scan_settings *set, struct dlp_db *db);
/* scanner_active - anything to scan with (clamd, Rspamd, or DLP rules) */
bool scanner_active(const struct scanner *sc);
/* scanner_has_dlp - a DLP database is loaded */
bool scanner_has_dlp(const struct scanner *sc);

/*
 * scan_start - scan in (its data taken over, the rest read now: see struct
 * scan_input); done runs later on the loop, once, unless scan_cancel is
 * called first.
 */
struct scan_req *scan_start(struct scanner *sc, const struct scan_input *in, scan_done_fn done,
                            void *arg);
void scan_cancel(struct scan_req *r);

/* scan_result_json - the result as a JSON object's text (caller frees): no matched data */
char *scan_result_json(const struct scan_result *r);

#endif
