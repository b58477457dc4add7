/*
 * fuzz_config.c - libFuzzer: the configuration file (libinih and Postern's
 * table of keys: sizes, durations, addresses, lists, rules, pools, streams).
 * The input is written to a memory file and loaded as a path would be.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512];
	struct config *c;
	int fd;

	if (size > 65536)
		return 0;
	fd = memfd_create("postern-fuzz-config", 0);
	if (fd < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	err[0] = '\0';
	c = config_load(path, err, sizeof err);
	if (c == NULL && err[0] == '\0')
		abort(); /* every refusal says why */
	if (c != NULL)
		config_free(c);
	close(fd);
	return 0;
}
