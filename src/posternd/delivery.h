/*
 * delivery.h - the daemon's translation of [delivery], [queue], [routes],
 * [tls_policy], [destination_concurrency] and [pools] into the settings of
 * the MTA and the queue manager.
 */
#ifndef POSTERN_DELIVERY_H
#define POSTERN_DELIVERY_H

#include <stddef.h>

#include "config.h"
#include "mta.h"
#include "queue.h"

struct delivery_settings {
	struct mta_config mta;
	struct queue_config queue;
	char *smarthost_password; /* owned */
};

/*
 * delivery_settings_build - fill s from c (which must outlive s). Reads the
 * smarthost password file. 0, or -1 with err.
 */
int delivery_settings_build(const struct config *c, struct delivery_settings *s, char *err,
                            size_t errlen);
void delivery_settings_release(struct delivery_settings *s);

#endif
