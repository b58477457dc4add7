/* crc32.h - CRC-32 (IEEE 802.3), for the spool's self-validating end record. */
#ifndef POSTERN_CRC32_H
#define POSTERN_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* crc32_update - continue a CRC over p; start with crc = 0. */
uint32_t crc32_update(uint32_t crc, const void *p, size_t n);

#endif
