/* received.c - the Received: field. */
#include "received.h"

#include "strutil.h"

const char *received_protocol(bool esmtp, bool tls, bool auth, bool utf8)
{
	static const char *names[2][2][2] = {
	        {{"ESMTP", "ESMTPA"}, {"ESMTPS", "ESMTPSA"}},
	        {{"UTF8SMTP", "UTF8SMTPA"}, {"UTF8SMTPS", "UTF8SMTPSA"}},
	};

	if (!esmtp && !utf8)
		return tls ? "SMTPS" : "SMTP";
	return names[utf8][tls][auth];
}

void received_format(struct buf *out, const struct received_info *ri)
{
	char date[64];

	rfc5322_date(ri->when, date, sizeof(date));
	buf_printf(out, "Received: from %s (%s)\r\n", ri->helo && *ri->helo ? ri->helo : "unknown",
	           ri->client_addr);
	buf_printf(out, "\tby %s (Postern) with %s id %s\r\n", ri->hostname, ri->protocol, ri->id);
	buf_printf(out, "\t(source=%s", ri->source);
	if (ri->tls_version)
		buf_printf(out, "; tls=%s cipher=%s", ri->tls_version,
		           ri->tls_cipher ? ri->tls_cipher : "unknown");
	buf_puts(out, ")\r\n");
	if (ri->for_rcpt)
		buf_printf(out, "\tfor <%s>;\r\n", ri->for_rcpt);
	buf_printf(out, "\t%s%s\r\n", ri->for_rcpt ? "" : "; ", date);
}
