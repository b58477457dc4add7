/*
 * id.h - sortable unique 64-bit ids for messages, random ids for sessions.
 *
 * A message id is the milliseconds since the epoch in the top 44 bits and a
 * per-millisecond sequence in the low 20: sorting ids sorts by arrival, and
 * printed as 16 lower-case hex digits they sort the same way as text.
 */
#ifndef POSTERN_ID_H
#define POSTERN_ID_H

#include <stdbool.h>
#include <stdint.h>

#define ID_HEXLEN 16

/* id_next - a new message id, strictly greater than any this process made. Thread-safe. */
uint64_t id_next(void);
/* id_random - 64 random bits (never 0), for session ids. */
uint64_t id_random(void);
/* id_format - write 16 hex digits and a NUL into dst (17 bytes). */
char *id_format(uint64_t id, char dst[ID_HEXLEN + 1]);
/* id_parse - strictly 16 hex digits; false otherwise. */
bool id_parse(const char *s, uint64_t *out);
/* id_time_ms - the arrival time encoded in a message id. */
uint64_t id_time_ms(uint64_t id);

#endif
