/* id.c - message and session ids. */
#include "id.h"

#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <time.h>

#define SEQ_BITS 20

static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t id_last;

uint64_t id_next(void)
{
	struct timespec ts;
	uint64_t id;

	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	pthread_mutex_lock(&id_lock);
	id = ms << SEQ_BITS;
	/* Same millisecond, clock stepped back, or sequence overflow: count on. */
	if (id <= id_last)
		id = id_last + 1;
	id_last = id;
	pthread_mutex_unlock(&id_lock);
	return id;
}

uint64_t id_random(void)
{
	uint64_t r;

	do
		randombytes_buf(&r, sizeof(r));
	while (r == 0);
	return r;
}

char *id_format(uint64_t id, char dst[ID_HEXLEN + 1])
{
	snprintf(dst, ID_HEXLEN + 1, "%016" PRIx64, id);
	return dst;
}

bool id_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	for (int i = 0; i < ID_HEXLEN; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return false;
		v = (v << 4) | d;
	}
	if (s[ID_HEXLEN] != '\0')
		return false;
	*out = v;
	return true;
}

uint64_t id_time_ms(uint64_t id)
{
	return id >> SEQ_BITS;
}
