/* scan_internal.h - what the files of src/scan's orchestration share. */
#ifndef POSTERN_SCAN_INTERNAL_H
#define POSTERN_SCAN_INTERNAL_H

#include "dlp.h"
#include "scan.h"

/* a DLP database shared by the scans that started with it */
struct db_ref {
	struct dlp_db *db;
	int refs; /* touched on the loop only */
};

struct scan_limits {
	size_t max_depth, max_parts;
	uint64_t max_decoded;
};

/*
 * scan_content - on a worker thread: read the message's MIME structure and
 * run the DLP rules (db, NULL for none; in->dlp_rules picks which) over the
 * subject, the text parts and the textual attachments. Fills res->mime,
 * mime_why, hits and nhits. Pure but for the work.
 */
void scan_content(const struct scan_input *in, const struct dlp_db *db,
                  const struct scan_limits *lim, struct scan_result *res);

#endif
