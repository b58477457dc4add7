/*
 * data.h - the message content stream of DATA (RFC 5321 4.1.1.4, 4.5.2) and
 * of BDAT chunks (RFC 3030), decoded without I/O.
 *
 * Only <CR><LF>.<CR><LF> ends DATA. A bare CR or a bare LF anywhere is an
 * error, never a line end (the SMTP smuggling defence), and so is a text line
 * longer than the limit. Decoded content keeps CRLF line ends; dot-stuffing is
 * removed. The decoder holds no buffer: content goes to the sink as spans of
 * the input (plus CRLFs it owns).
 */
#ifndef POSTERN_DATA_H
#define POSTERN_DATA_H

#include <stdbool.h>
#include <stddef.h>

enum data_mode { DATA_MODE_DOT, DATA_MODE_CHUNK };

enum data_status {
	DATA_MORE,     /* all input consumed, the message goes on */
	DATA_END,      /* the end marker was seen; *used says where it ended */
	DATA_ERR_BARE, /* a bare CR or LF */
	DATA_ERR_LONG, /* a line longer than the limit */
};

/* a sink receives decoded content, n > 0; arg is the caller's */
typedef void (*data_sink_fn)(const char *p, size_t n, void *arg);

struct data_decoder {
	enum data_mode mode;
	int state;
	size_t line_len; /* octets of the current line so far, CRLF excluded */
	size_t max_line; /* longest line allowed, CRLF excluded (998 for RFC 5322) */
	data_sink_fn sink;
	void *arg;
};

void data_init(struct data_decoder *d, enum data_mode mode, size_t max_line, data_sink_fn sink,
               void *arg);

/*
 * data_feed - decode n bytes at in. *used is how many were consumed: all of
 * them for DATA_MORE; up to and including the end marker for DATA_END (the
 * rest is the next command); up to the offending byte for errors.
 */
enum data_status data_feed(struct data_decoder *d, const char *in, size_t n, size_t *used);

/*
 * data_finish_chunks - for DATA_MODE_CHUNK at BDAT LAST: a final line without
 * CRLF is completed with one (RFC 3030 does not require it; RFC 5322 does).
 * Returns DATA_ERR_BARE if the content ended in a lone CR, else DATA_END.
 */
enum data_status data_finish_chunks(struct data_decoder *d);

#endif
