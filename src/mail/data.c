/*
 * data.c - DATA/BDAT content decoder.
 *
 * States (DATA mode): SOL at the start of a line; DOT after a leading '.';
 * DOT_CR after ".\r"; TEXT inside a line; CR after a '\r' inside a line.
 * In chunk mode the dot states are never entered.
 */
#include "data.h"

#include <string.h>

enum { ST_SOL, ST_DOT, ST_DOT_CR, ST_TEXT, ST_CR };

void data_init(struct data_decoder *d, enum data_mode mode, size_t max_line, data_sink_fn sink,
               void *arg)
{
	memset(d, 0, sizeof(*d));
	d->mode = mode;
	d->state = ST_SOL;
	d->max_line = max_line;
	d->sink = sink;
	d->arg = arg;
}

static void emit(struct data_decoder *d, const char *p, size_t n)
{
	if (n > 0)
		d->sink(p, n, d->arg);
}

enum data_status data_feed(struct data_decoder *d, const char *in, size_t n, size_t *used)
{
	size_t i = 0;
	size_t span = 0; /* start of the pending run of text to emit */

	while (i < n) {
		char c = in[i];
		switch (d->state) {
		case ST_SOL:
			if (c == '.' && d->mode == DATA_MODE_DOT) {
				/* the dot is dropped: stuffing or the end marker */
				d->state = ST_DOT;
				i++;
				span = i;
				continue;
			}
			d->state = ST_TEXT;
			continue; /* re-examine c as text */
		case ST_DOT:
			if (c == '\r') {
				d->state = ST_DOT_CR;
				i++;
				continue;
			}
			d->line_len = 0;
			d->state = ST_TEXT;
			continue;
		case ST_DOT_CR:
			if (c == '\n') {
				*used = i + 1;
				d->state = ST_SOL;
				return DATA_END;
			}
			*used = i;
			return DATA_ERR_BARE;
		case ST_TEXT: {
			/* fast path: run to the next CR or LF */
			size_t j = i;
			while (j < n && in[j] != '\r' && in[j] != '\n')
				j++;
			if (d->line_len + (j - i) > d->max_line) {
				/* stop at the first octet past the limit, however the input was cut */
				size_t ok = i + (d->max_line - d->line_len);
				emit(d, in + span, ok - span);
				d->line_len = d->max_line;
				*used = ok;
				return DATA_ERR_LONG;
			}
			d->line_len += j - i;
			i = j;
			if (i == n)
				break;
			if (in[i] == '\n') {
				emit(d, in + span, i - span);
				*used = i;
				return DATA_ERR_BARE;
			}
			d->state = ST_CR;
			i++;
			continue;
		}
		case ST_CR:
			if (c != '\n') {
				emit(d, in + span, i - span);
				*used = i;
				return DATA_ERR_BARE;
			}
			i++;
			d->line_len = 0;
			d->state = ST_SOL;
			/* emit whole lines at a time, then start a new span */
			emit(d, in + span, i - span);
			span = i;
			continue;
		}
	}
	/*
	 * End of input mid-line. In DOT / DOT_CR the dropped dot and CR are not
	 * yet content; a "\r" pending in ST_CR is emitted with its span and the
	 * LF that must follow will be checked on the next call.
	 */
	if (d->state == ST_DOT_CR) {
		emit(d, in + span, (i - span) > 0 ? (i - span) - 1 : 0);
	} else {
		emit(d, in + span, i - span);
	}
	*used = n;
	return DATA_MORE;
}

enum data_status data_finish_chunks(struct data_decoder *d)
{
	if (d->state == ST_CR)
		return DATA_ERR_BARE;
	if (d->state == ST_TEXT)
		d->sink("\r\n", 2, d->arg);
	d->state = ST_SOL;
	return DATA_END;
}
