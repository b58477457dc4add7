"""Authenticated submission over STARTTLS (587) and implicit TLS (465), end to end."""
import email
import email.policy
import re
import smtplib
import subprocess

import pytest

from conftest import message


def test_starttls_auth_plain_smtplib(app):
    relay, user, pw = app
    s = relay.smtp(login=(user, pw))
    code, text = s.docmd("MAIL FROM:<app@example.com>")
    assert code == 250 and text.startswith(b"2.1.0")
    s.rcpt("user@example.org")
    code, text = s.data(message())
    s.quit()
    assert code == 250
    m = re.match(rb"2\.0\.0 Ok: queued as ([0-9a-f]{16})$", text)
    assert m, text
    qid = m.group(1).decode()
    [eml] = relay.wait_captured(1)
    assert eml.name == qid + ".eml"
    env = relay.envelope(eml)
    assert env["source"] == "app"
    assert env["mail_from"] == "app@example.com"
    assert env["rcpt_to"] == ["user@example.org"]
    raw = eml.read_bytes()
    # the Received field names the source and the TLS in use, and comes first
    # after the two signatures
    assert raw.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;")
    assert re.search(rb"\r\nDKIM-Signature: v=1; a=ed25519-sha256;[^\n]*\r\n(\t[^\n]*\r\n)*"
                     rb"Received: from client.test \(127.0.0.1\)\r\n", raw)
    head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    assert b"with ESMTPSA id " + qid.encode() in head
    assert b"(source=app; tls=TLSv1.3 cipher=" in head
    assert b"for <user@example.org>;" in head
    # what the client sent is kept as it was
    assert b"Message-ID: <fixed.1@example.com>\r\n" in head
    assert b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n" in head
    assert raw.endswith(b"\r\n\r\nHello.\r\n")
    assert relay.wait_unspooled() == []


def test_implicit_tls_auth_login(app):
    relay, user, pw = app
    s = relay.smtps()
    s.ehlo()
    assert "auth" in s.esmtp_features
    s.login(user, pw, initial_response_ok=False)  # AUTH LOGIN, step by step
    assert s.user == user
    s.sendmail("app@example.com", ["a@example.org", "b@example.net"], message())
    s.quit()
    [eml] = relay.wait_captured(1)
    env = relay.envelope(eml)
    assert env["rcpt_to"] == ["a@example.org", "b@example.net"]
    head = eml.read_bytes().split(b"\r\n\r\n", 1)[0]
    # two recipients: no "for" clause (RFC 5321 7.6, privacy)
    assert b"\tfor <" not in head


def test_auth_login_with_initial_response(app):
    relay, user, pw = app
    s = relay.smtp()
    s.ehlo()
    import base64
    code, text = s.docmd("AUTH LOGIN " + base64.b64encode(user.encode()).decode())
    assert code == 334 and text == b"UGFzc3dvcmQ6"
    code, text = s.docmd(base64.b64encode(pw.encode()).decode())
    assert code == 235 and text.startswith(b"2.7.0")
    s.quit()


def test_missing_date_and_message_id_are_added(app):
    relay, user, pw = app
    s = relay.smtp(login=(user, pw))
    s.sendmail("app@example.com", ["user@example.org"], message(date=False, msgid=False))
    s.quit()
    [eml] = relay.wait_captured(1)
    head = eml.read_bytes().split(b"\r\n\r\n", 1)[0].decode()
    qid = eml.name[:-4]
    assert re.search(r"\r\nDate: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n",
                     head + "\r\n"), head
    assert re.search(r"\r\nMessage-ID: <" + qid + r"\.[0-9a-f]{8}@relay\.test>", head), head


def test_message_without_header_section(app):
    # no From: field, so nothing to check the identity of or sign for: refused
    relay, user, pw = app
    s = relay.smtp(login=(user, pw))
    with pytest.raises(smtplib.SMTPDataError) as e:
        s.sendmail("app@example.com", ["user@example.org"], "just a body line\r\nand another\r\n")
    assert e.value.smtp_code == 550
    assert e.value.smtp_error == b"5.7.1 the message has no From: field"
    # a header section with a From: only is enough; Date and Message-ID are added
    s.sendmail("app@example.com", ["user@example.org"],
               "From: app@example.com\r\n\r\njust a body line\r\nand another\r\n")
    s.quit()
    [eml] = relay.wait_captured(1)
    raw = eml.read_bytes()
    head, body = raw.split(b"\r\n\r\n", 1)
    assert b"Message-ID:" in head and b"Date:" in head
    assert body == b"just a body line\r\nand another\r\n"


def test_dot_stuffing_and_8bit(app):
    relay, user, pw = app
    s = relay.smtp(login=(user, pw))
    body = ".leading dot\r\n..two dots\r\nGrüße aus Köln\r\n"
    s.sendmail("app@example.com", ["user@example.org"], message(body=body).encode(),
               mail_options=["BODY=8BITMIME"])
    s.quit()
    [eml] = relay.wait_captured(1)
    raw = eml.read_bytes()
    # sent 7-bit: the 8-bit text is quoted-printable, dot-stuffing undone
    assert raw.endswith(b".leading dot\r\n..two dots\r\nGr=C3=BC=C3=9Fe aus K=C3=B6ln\r\n")
    got = email.message_from_bytes(raw, policy=email.policy.default)
    assert got.get_content().replace("\r\n", "\n") == body.replace("\r\n", "\n")
    # converted: no next hop needs 8BITMIME any more
    assert relay.envelope(eml)["body"] == "7bit"


def test_smtputf8_addresses(app):
    relay, user, pw = app
    s = relay.smtp(login=(user, pw))
    s.command_encoding = "utf-8"
    s.ehlo()
    assert s.has_extn("smtputf8")
    code, _ = s.docmd("MAIL FROM:<app@example.com> SMTPUTF8")
    assert code == 250
    code, _ = s.docmd("RCPT TO:<jörg@exämple.org>")
    assert code == 250
    code, _ = s.docmd("DATA")
    assert code == 354
    s.send(message().encode() + b".\r\n")
    code, text = s.getreply()
    assert code == 250, text
    s.quit()
    [eml] = relay.wait_captured(1)
    env = relay.envelope(eml)
    assert env["rcpt_to"] == ["jörg@exämple.org"] and env["smtputf8"] is True


def test_non_ascii_address_without_smtputf8(app):
    relay, user, pw = app
    s = relay.smtp(login=(user, pw))
    s.command_encoding = "utf-8"
    code, text = s.docmd("MAIL FROM:<jörg@example.com>")
    assert (code, text[:5]) == (553, b"5.6.7")
    code, _ = s.docmd("MAIL FROM:<app@example.com>")
    assert code == 250
    code, text = s.docmd("RCPT TO:<jörg@example.org>")
    assert (code, text[:5]) == (553, b"5.6.7")
    s.quit()


def test_ehlo_extensions_before_and_after_tls(relay):
    r = relay.raw()
    assert r.reply()[0] == 220
    code, text = r.cmd("EHLO client.test")
    lines = [l[4:] for l in text.split("\n")]
    assert lines[0].startswith("relay.test")
    assert set(lines[1:]) == {"PIPELINING", "SIZE 26214400", "8BITMIME",
                              "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING", "DSN",
                              "STARTTLS"}
    assert r.cmd("STARTTLS")[0] == 220
    r.starttls()
    code, text = r.cmd("EHLO client.test")
    lines = [l[4:] for l in text.split("\n")]
    assert "STARTTLS" not in lines and "AUTH PLAIN LOGIN" in lines
    r.close()


def test_swaks_pipelining(app):
    relay, user, pw = app
    out = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{relay.port}", "--tls", "--pipeline",
         "--auth", "PLAIN", "--auth-user", user, "--auth-password", pw,
         "--ehlo", "client.test", "--from", "app@example.com",
         "--to", "one@example.org,two@example.org", "--header", "Subject: swaks"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"<~  250 2\.0\.0 Ok: queued as [0-9a-f]{16}", out.stdout), out.stdout
    [eml] = relay.wait_captured(1)
    assert relay.envelope(eml)["rcpt_to"] == ["one@example.org", "two@example.org"]


def test_swaks_implicit_tls_auth_login(app):
    relay, user, pw = app
    out = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{relay.tls_port}", "--tlsc",
         "--auth", "LOGIN", "--auth-user", user, "--auth-password", pw,
         "--from", "app@example.com", "--to", "user@example.org"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    relay.wait_captured(1)


def s_client_dialogue(port, lines):
    """Drive openssl s_client -starttls smtp one command at a time; the replies."""
    p = subprocess.Popen(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-starttls", "smtp",
         "-quiet", "-crlf"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    replies = []
    try:
        for line in lines:
            p.stdin.write(line + "\n")
            p.stdin.flush()
            reply = []
            while True:
                l = p.stdout.readline()
                if not l:
                    break
                reply.append(l.rstrip("\r\n"))
                if len(l) < 4 or l[3] != "-":
                    break
            replies.append("\n".join(reply))
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    return replies


def test_openssl_s_client_starttls(app):
    relay, user, pw = app
    import base64
    plain = base64.b64encode(f"\0{user}\0{pw}".encode()).decode()
    data = message().replace("\r\n", "\n") + "."
    replies = s_client_dialogue(relay.port, [
        "EHLO client.test", "AUTH PLAIN " + plain, "MAIL FROM:<app@example.com>",
        "RCPT TO:<user@example.org>", "DATA", data, "QUIT"])
    assert replies[1].startswith("235 2.7.0"), replies
    assert replies[4].startswith("354"), replies
    assert re.match(r"250 2\.0\.0 Ok: queued as [0-9a-f]{16}", replies[5]), replies
    assert replies[6].startswith("221 2.0.0"), replies
    relay.wait_captured(1)


def test_bdat_chunking(app):
    relay, user, pw = app
    r = relay.raw(tls=True)
    assert r.reply()[0] == 220
    assert r.cmd("EHLO client.test")[0] == 250
    import base64
    plain = base64.b64encode(f"\0{user}\0{pw}".encode()).decode()
    assert r.cmd("AUTH PLAIN " + plain)[0] == 235
    msg = message(body="chunked\r\nbody without a final line end").encode()
    first, rest = msg[:40], msg[40:]
    # pipelined: MAIL, RCPT and both chunks in one write
    r.send(b"MAIL FROM:<app@example.com>\r\nRCPT TO:<user@example.org>\r\n" +
           b"BDAT %d\r\n" % len(first) + first + b"BDAT %d LAST\r\n" % len(rest) + rest)
    assert r.reply()[0] == 250
    assert r.reply()[0] == 250
    code, text = r.reply()
    assert code == 250 and text.endswith("40 octets received"), text
    code, text = r.reply()
    assert code == 250 and "queued as" in text, text
    assert r.cmd("QUIT")[0] == 221
    [eml] = relay.wait_captured(1)
    # a last line without CRLF is completed
    assert eml.read_bytes().endswith(b"chunked\r\nbody without a final line end\r\n")


def test_bdat_errors(legacy):
    relay = legacy
    r = relay.raw()
    r.reply()
    r.cmd("EHLO client.test")
    # BDAT without a transaction: the chunk is read and skipped, then 503
    r.send(b"BDAT 5\r\nhello")
    code, text = r.reply()
    assert (code, text[4:9]) == (503, "5.5.1")
    assert r.cmd("MAIL FROM:<app@example.com>")[0] == 250
    # BDAT with no recipient: 554
    r.send(b"BDAT 3 LAST\r\nabc")
    assert r.reply()[0] == 554
    # DATA after BDAT in the same transaction is refused
    assert r.cmd("MAIL FROM:<app@example.com>")[0] == 250
    assert r.cmd("RCPT TO:<user@example.org>")[0] == 250
    r.send(b"BDAT 4\r\nab\r\n")
    assert r.reply()[0] == 250
    code, text = r.cmd("DATA")
    assert (code, text[4:9]) == (503, "5.5.1")
    assert r.cmd("RSET")[0] == 250
    # a chunk size that is not a number cannot be skipped: the session ends
    code, text = r.cmd("BDAT ten")
    assert (code, text[4:9]) == (501, "5.5.4")
    assert r.closed()
    relay.assert_nothing_accepted()


def test_rset_and_noop_and_vrfy(legacy):
    r = legacy.raw()
    r.reply()
    assert r.cmd("EHLO client.test")[0] == 250
    assert r.cmd("MAIL FROM:<app@example.com>")[0] == 250
    assert r.cmd("RSET")[0] == 250
    code, text = r.cmd("RCPT TO:<user@example.org>")
    assert (code, text[4:9]) == (503, "5.5.1")
    assert r.cmd("NOOP")[0] == 250
    assert r.cmd("VRFY user")[0] == 252
    assert r.cmd("EXPN list")[0] == 502
    assert r.cmd("HELP")[0] == 214
    assert r.cmd("QUIT")[0] == 221
    assert r.closed()


def test_null_sender_and_many_messages_in_one_session(app):
    relay, user, pw = app
    relay.ctl("source", "allow", user, "<>", "*@example.com", check=True)
    s = relay.smtp(login=(user, pw))
    for i in range(5):
        s.sendmail("", ["user@example.org"], message(subject=f"n{i}"))
    s.quit()
    got = relay.wait_captured(5)
    assert {relay.envelope(e)["mail_from"] for e in got} == {""}
