/*
 * fuzz_esmtp.c - libFuzzer: the ESMTP parameters after a MAIL FROM or RCPT TO
 * path (SIZE, BODY, SMTPUTF8, RET, ENVID, NOTIFY, ORCPT), and xtext. The
 * first octet picks the verb and which extensions were advertised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esmtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esmtp_ext ext;
	enum reply why;
	char *s;

	if (size < 1 || size > 4096)
		return 0;
	ext.smtputf8 = data[0] & 1;
	ext.eightbit = data[0] & 2;
	ext.dsn = data[0] & 4;
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (data[0] & 8) {
		struct rcpt_params rp;
		if (esmtp_rcpt_params(s, &ext, &rp, &why) == 0 &&
		    strlen(rp.orcpt) > ESMTP_ORCPT_MAX)
			abort();
	} else {
		struct mail_params mp;
		if (esmtp_mail_params(s, &ext, &mp, &why) == 0 &&
		    (strlen(mp.envid) > ESMTP_ENVID_MAX || (mp.smtputf8 && !ext.smtputf8) ||
		     (mp.envid[0] != '\0' && !ext.dsn)))
			abort();
	}
	esmtp_xtext_valid((const char *)data + 1, size - 1);
	free(s);
	return 0;
}
