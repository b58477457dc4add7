/* reply.c - the reply table. Codes from RFC 5321, RFC 3463, RFC 4954, RFC 3207. */
#include "reply.h"

#include <errno.h>
#include <stddef.h>

static const struct reply_def table[RPL_MAX] = {
        [RPL_OK] = {250, "2.0.0", "Ok"},
        [RPL_SENDER_OK] = {250, "2.1.0", "Sender ok"},
        [RPL_RCPT_OK] = {250, "2.1.5", "Recipient ok"},
        [RPL_QUEUED] = {250, "2.0.0", "Ok: queued"},
        [RPL_DATA_GO] = {354, NULL, "End data with <CR><LF>.<CR><LF>"},
        [RPL_BYE] = {221, "2.0.0", "Bye"},
        [RPL_AUTH_OK] = {235, "2.7.0", "Authentication successful"},
        [RPL_TLS_GO] = {220, "2.0.0", "Ready to start TLS"},
        [RPL_VRFY] = {252, "2.5.0", "Cannot VRFY user, but will accept message"},
        [RPL_LINE_TOO_LONG] = {500, "5.5.2", "Line too long"},
        [RPL_BARE_CRLF] = {500, "5.5.2", "Bare CR or LF not allowed; lines end with CRLF"},
        [RPL_BAD_CHAR] = {500, "5.5.2", "Invalid character in command"},
        [RPL_UNKNOWN_CMD] = {500, "5.5.1", "Command unrecognized"},
        [RPL_SYNTAX] = {501, "5.5.4", "Syntax error in parameters or arguments"},
        [RPL_NOT_IMPL] = {502, "5.5.1", "Command not implemented"},
        [RPL_BAD_SEQUENCE] = {503, "5.5.1", "Bad sequence of commands"},
        [RPL_PARAM_UNKNOWN] = {555, "5.5.4", "Unsupported parameter"},
        [RPL_PARAM_DUP] = {501, "5.5.4", "Duplicate parameter"},
        [RPL_PIPELINING] = {554, "5.5.0", "Pipelining was not negotiated; closing"},
        [RPL_EARLY_TALKER] = {554, "5.5.0", "Talking before the greeting; closing"},
        [RPL_NEED_HELO] = {503, "5.5.1", "Send EHLO first"},
        [RPL_AUTH_REQUIRED] = {530, "5.7.0", "Authentication required"},
        [RPL_AUTH_NEED_TLS] = {538, "5.7.11",
                               "Encryption required for requested authentication mechanism"},
        [RPL_AUTH_FAILED] = {535, "5.7.8", "Authentication credentials invalid"},
        [RPL_AUTH_TEMP] = {454, "4.7.0", "Temporary authentication failure"},
        [RPL_AUTH_THROTTLED] = {454, "4.7.0", "Too many authentication failures; try again later"},
        [RPL_AUTH_MECH] = {504, "5.5.4", "Unrecognized authentication mechanism"},
        [RPL_AUTH_CANCELLED] = {501, "5.0.0", "Authentication cancelled"},
        [RPL_AUTH_SYNTAX] = {501, "5.5.2", "Cannot decode authentication response"},
        [RPL_AUTH_ALREADY] = {503, "5.5.1", "Already authenticated"},
        [RPL_TLS_ALREADY] = {503, "5.5.1", "TLS already active"},
        [RPL_TLS_UNAVAIL] = {454, "4.7.0", "TLS not available"},
        [RPL_SENDER_SYNTAX] = {501, "5.1.7", "Bad sender address syntax"},
        [RPL_RCPT_SYNTAX] = {501, "5.1.3", "Bad recipient address syntax"},
        [RPL_SOURCE_ROUTE] = {501, "5.1.3", "Source routes are not accepted"},
        [RPL_ADDR_FORM] = {553, "5.1.3", "Addresses with '%' or '!' routing are not accepted"},
        [RPL_NEED_SMTPUTF8] = {553, "5.6.7", "Non-ASCII address requires SMTPUTF8"},
        [RPL_BODY_UNSUPP] = {555, "5.5.4", "Unsupported BODY type"},
        [RPL_SIZE_EXCEEDED] = {552, "5.3.4", "Message size exceeds fixed maximum message size"},
        [RPL_HEADER_TOO_BIG] = {552, "5.3.4", "Header section exceeds maximum size"},
        [RPL_CONTENT_NUL] = {554, "5.6.0", "NUL octets are not allowed in message content"},
        [RPL_TOO_MANY_RCPTS] = {452, "4.5.3", "Too many recipients"},
        [RPL_NO_RCPTS] = {554, "5.5.1", "No valid recipients"},
        [RPL_DISK_FULL] = {452, "4.3.1", "Insufficient system storage"},
        [RPL_IO_ERROR] = {451, "4.3.0", "Local error in processing"},
        [RPL_TIMEOUT] = {421, "4.4.2", "Timeout exceeded; closing"},
        [RPL_TOO_MANY_ERRORS] = {421, "4.7.0", "Too many errors; closing"},
        [RPL_TOO_MANY_AUTH] = {421, "4.7.0", "Too many authentication failures; closing"},
        [RPL_TOO_MANY_CONN] = {421, "4.7.0", "Too many connections; try again later"},
        [RPL_SHUTDOWN] = {421, "4.3.2", "Service shutting down; closing"},
        [RPL_SOURCE_SUSPENDED] = {554, "5.7.1", "Source suspended; closing"},
        [RPL_IP_REFUSED] = {554, "5.7.1", "Client address not allowed for this source"},
        [RPL_SENDER_DENIED] = {553, "5.7.1", "Sender address not approved for this source"},
        [RPL_FROM_DENIED] = {550, "5.7.1", "From: address not approved for this source"},
        [RPL_FROM_INVALID] = {550, "5.7.1",
                              "The message needs exactly one From: field with one address"},
        [RPL_NO_SIGNING_KEY] = {550, "5.7.1", "No active DKIM key for the From: domain"},
        [RPL_CONTENT_CONVERT] = {554, "5.6.0", "Message content cannot be made 7-bit clean"},
        [RPL_SIGN_FAILED] = {451, "4.3.0", "Message could not be signed; try again later"},
        [RPL_SOURCE_LIMIT] = {451, "4.7.1", "Source limit reached; try again later"},
        [RPL_SOURCE_CONNS] = {421, "4.7.1", "Too many connections for this source; closing"},
        [RPL_VIRUS] = {554, "5.7.1", "Message rejected: virus found"},
        [RPL_SPAM] = {554, "5.7.1", "Message rejected as spam"},
        [RPL_DLP] = {550, "5.7.1", "Message rejected by a data-loss rule"},
        [RPL_SCAN_TEMP] = {451, "4.7.0", "Content scanner unavailable; try again later"},
        [RPL_SPAM_TEMP] = {451, "4.7.1",
                           "Message deferred by the anti-spam scanner; try again later"},
        [RPL_RCPT_SUPPRESSED] = {550, "5.7.1", "Recipient suppressed"},
        [RPL_NOT_OURS] = {550, "5.7.1",
                          "Relay access denied: this server takes mail for its own addresses "
                          "only"},
        [RPL_NO_SUCH_ADDRESS] = {550, "5.1.1", "No such address"},
        [RPL_STREAM_UNKNOWN] = {550, "5.5.4", "X-Postern-Stream names no declared stream"},
        [RPL_BROADCAST_RCPTS] = {550, "5.5.3",
                                 "A message in a broadcast stream has exactly one recipient; "
                                 "send one message per recipient"},
};

const struct reply_def *reply_def(enum reply r)
{
	return &table[r < RPL_MAX ? r : RPL_IO_ERROR];
}

enum reply reply_for_errno(int err)
{
	return (err == ENOSPC || err == EDQUOT) ? RPL_DISK_FULL : RPL_IO_ERROR;
}
