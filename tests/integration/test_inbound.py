"""
The inbound listener: mail for Postern's own addresses only. An unsubscribe
by mail (the List-Unsubscribe mailto), a DSN to the VERP envelope sender and
an ARF complaint to the feedback-loop address each suppress the right
recipient; nothing in a report is believed without a token of Postern's;
every other recipient is refused 550 5.7.1 and nothing is ever relayed.
"""
import re
import smtplib
import socket
import time

import pytest

from conftest import events_of, free_port, message
from dkimcheck import publish
from test_delivery import SENDER, Env
from test_unsubscribe import links, suppressions

BOUNCE_DOMAIN = "bounces.example.com"


@pytest.fixture
def ienv(make_relay, certdir):
    api, inbound = free_port(), free_port()
    e = Env(make_relay, certdir, api={"listen": f"127.0.0.1:{api}"},
            extra=("[streams]\nnewsletter = stream\n"
                   f"[unsubscribe]\nbase_url = http://127.0.0.1:{api}\n"
                   "mailto_domain = unsub.example.com\n"
                   f"[inbound]\nlisten = 127.0.0.1:{inbound}\nbounce_domain = {BOUNCE_DOMAIN}\n"
                   "complaints = fbl@example.com\nmax_message_size = 64k\n"))
    e.relay.api_port = api
    e.inbound = inbound
    e.mx_host = e.mx("127.0.0.41")
    e.domain("example.org", (10, "mx.example.org", "127.0.0.41"))
    publish(e.relay, e.dns.zone, "example.com")
    yield e
    e.stop()


def send(e, rcpt, stream=None, subject="news"):
    headers = {"X-Postern-Stream": stream} if stream else {}
    s = smtplib.SMTP("127.0.0.1", e.relay.port, local_hostname="client.test", timeout=30)
    s.sendmail(SENDER, [rcpt], message(subject=subject, headers=headers, msgid=False))
    s.quit()


def inbound(e, rcpts, data=b"Subject: x\r\n\r\nx\r\n", sender="mailer-daemon@mx.example.org"):
    """(code of each RCPT, code of DATA or None) from the inbound listener"""
    s = smtplib.SMTP("127.0.0.1", e.inbound, local_hostname="mx.example.org", timeout=30)
    s.ehlo()
    s.mail(sender)
    codes = [s.rcpt(r) for r in rcpts]
    end = None
    if any(c == 250 for c, _ in codes):
        end = s.data(data)
    s.quit()
    return [(c, t.decode()) for c, t in codes], end


def delivered(e, n=1):
    return e.mx_host.wait(n)[-1]


def dsn(verp, rcpt, status="5.1.1", action="failed", original=b""):
    return (f"From: MAILER-DAEMON@mx.example.org\r\nTo: {verp}\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            "\tboundary=\"B1\"\r\n\r\nThis is a MIME-encapsulated message.\r\n\r\n--B1\r\n"
            "Content-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your "
            "message could not\r\nbe delivered to one or more recipients.\r\n\r\n--B1\r\n"
            "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n"
            "Arrival-Date: Mon, 7 Dec 2026 10:00:00 +0000\r\n\r\n"
            f"Final-Recipient: rfc822; {rcpt}\r\nOriginal-Recipient: rfc822;{rcpt}\r\n"
            f"Action: {action}\r\nStatus: {status}\r\n"
            "Remote-MTA: dns; mailbox.example.org\r\n"
            f"Diagnostic-Code: smtp; 550 {status} <{rcpt}>: Recipient address rejected:\r\n"
            "    User unknown in local recipient table\r\n\r\n--B1\r\n"
            "Content-Type: text/rfc822-headers\r\n\r\n").encode() + original + b"\r\n--B1--\r\n"


def arf(original_headers, rcpt=None):
    extra = f"Original-Rcpt-To: {rcpt}\r\n" if rcpt else ""
    return ("From: staff@fbl.example.net\r\nTo: fbl@example.com\r\nSubject: complaint\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
            "report-type=feedback-report; boundary=\"A1\"\r\n\r\n--A1\r\n"
            "Content-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n\r\n--A1\r\n"
            "Content-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n"
            "User-Agent: SomeISP-FBL/1.0\r\nVersion: 1\r\n" + extra +
            "\r\n--A1\r\nContent-Type: text/rfc822-headers\r\n\r\n").encode() + \
        original_headers + b"\r\n--A1--\r\n"


def test_verp_sender_and_a_late_bounce_suppresses(ienv):
    e, r = ienv, ienv.relay
    send(e, "bob@example.org")
    got = delivered(e)
    m = re.fullmatch(r"bounces\+([A-Za-z0-9_-]{28})@" + re.escape(BOUNCE_DOMAIN), got.mail_from)
    assert m, got.mail_from
    verp = got.mail_from
    # a soft one: counted, not suppressed
    codes, end = inbound(e, [verp], dsn(verp, "bob@example.org", "4.2.2", "delayed"))
    assert codes == [(250, codes[0][1])] and end[0] == 250
    assert events_of(r, "bounce_report", rcpt="bob@example.org")
    assert suppressions(r) == []
    # the hard one, naming the address bob's mail was forwarded to: the VERP
    # address says whose it is; suppressed for every stream, with the remote reason
    inbound(e, [verp], dsn(verp, "robert@mailbox.example.net"))
    ev = events_of(r, "bounced", rcpt="bob@example.org")
    assert ev and ev[0]["detail"]["late"] is True and "User unknown" in ev[0]["detail"]["reply"]
    [entry] = suppressions(r)
    assert (entry["address"], entry["scope"], entry["reason"], entry["origin"]) == \
        ("bob@example.org", "domain", "hard-bounce", "dsn")
    send(e, "bob@example.org", subject="again")
    assert events_of(r, "suppressed", rcpt="bob@example.org")
    # a forged VERP address is no address at all
    bad = "bounces+" + "A" * 28 + "@" + BOUNCE_DOMAIN
    codes, end = inbound(e, [bad], dsn(bad, "carol@example.org"))
    assert codes[0][0] == 550 and "5.1.1" in codes[0][1] and end is None


def test_mailto_unsubscribe(ienv):
    e, r = ienv, ienv.relay
    send(e, "dora@example.org", "newsletter")
    _, mailto = links(delivered(e).data)
    codes, end = inbound(e, [mailto], b"Subject: unsubscribe\r\n\r\nunsubscribe\r\n",
                         sender="dora@example.org")
    assert codes[0][0] == 250 and end[0] == 250
    [entry] = suppressions(r)
    assert (entry["address"], entry["scope"], entry["origin"]) == \
        ("dora@example.org", "newsletter", "mailto")
    tampered = mailto.replace("unsubscribe+", "unsubscribe+x")
    codes, _ = inbound(e, [tampered])
    assert codes[0][0] == 550 and "5.1.1" in codes[0][1]


def test_complaints(ienv):
    e, r = ienv, ienv.relay
    # a newsletter: the List-Unsubscribe of the returned original names her and the stream
    send(e, "erin@example.org", "newsletter")
    got = delivered(e)
    head = got.data.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    codes, end = inbound(e, ["fbl@example.com"], arf(head), sender="fbl@fbl.example.net")
    assert codes[0][0] == 250 and end[0] == 250
    assert events_of(r, "complained", rcpt="erin@example.org")
    [entry] = suppressions(r)
    assert (entry["address"], entry["scope"], entry["reason"], entry["origin"]) == \
        ("erin@example.org", "newsletter", "complaint", "arf")
    # transactional mail: tied by the VERP address the receiver put in Return-Path
    send(e, "fred@example.org", subject="receipt")
    got = delivered(e, 2)
    head = (f"Return-Path: <{got.mail_from}>\r\n").encode() + \
        got.data.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    inbound(e, ["fbl@example.com"], arf(head, "fred@example.org"))
    events_of(r, "complained", rcpt="fred@example.org")
    assert sorted((x["address"], x["scope"]) for x in suppressions(r)) == [
        ("erin@example.org", "newsletter"), ("fred@example.org", "transactional")]
    # a report that cannot be tied to a message of ours changes nothing
    forged = (b"From: app@example.com\r\nTo: gina@example.org\r\n"
              b"List-Unsubscribe: <http://127.0.0.1/u/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA>\r\n"
              b"Return-Path: <bounces+AAAAAAAAAAAAAAAAAAAAAAAAAAAA@bounces.example.com>\r\n")
    inbound(e, ["fbl@example.com"], arf(forged, "gina@example.org"))
    time.sleep(0.5)
    assert "gina@example.org" not in [x["address"] for x in suppressions(r)]


def test_never_relays(ienv):
    e, r = ienv, ienv.relay
    for rcpt in ("user@example.org", "app@example.com", "postmaster@example.org",
                 "abuse@unsub.example.com", "bounces@" + BOUNCE_DOMAIN,
                 "fbl@example.com.evil.test", "unsubscribe@unsub.example.com",
                 "someone@relay.test"):
        codes, end = inbound(e, [rcpt])
        assert codes[0][0] == 550 and "5.7.1" in codes[0][1], rcpt
        assert end is None
    # postmaster of its own domains is taken (RFC 5321 4.5.1), and only logged
    codes, _ = inbound(e, ["postmaster@unsub.example.com"])
    assert codes[0][0] == 250
    time.sleep(0.5)
    assert e.mx_host.messages == [] and r.wait_unspooled() == []


def raw_session(e):
    s = socket.create_connection(("127.0.0.1", e.inbound), timeout=10)
    f = s.makefile("rb")
    assert f.readline().startswith(b"220 ")
    return s, f


def test_hostile_input(ienv):
    e, r = ienv, ienv.relay
    # a command line past 512 octets
    s, f = raw_session(e)
    s.sendall(b"EHLO " + b"a" * 2000 + b"\r\n")
    assert f.readline().startswith(b"500 5.5.2")
    s.close()
    # a bare LF in the content ends the session with an error (no smuggling)
    send(e, "hal@example.org")
    verp = delivered(e).mail_from
    s, f = raw_session(e)
    s.sendall(b"EHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<" + verp.encode() + b">\r\nDATA\r\n")
    lines = [f.readline() for _ in range(8)]
    assert lines[-1].startswith(b"354"), lines
    s.sendall(b"Subject: x\r\n\r\nbare\nlf\r\n.\r\n")
    assert f.readline().startswith(b"500 5.5.2")
    s.close()
    # larger than max_message_size: 552, nothing acted on
    codes, end = None, None
    c = smtplib.SMTP("127.0.0.1", e.inbound, timeout=30)
    c.ehlo()
    c.mail("<>")
    c.rcpt(verp)
    code, _ = c.data(b"Subject: big\r\n\r\n" + (b"x" * 900 + b"\r\n") * 100)
    assert code == 552
    c.quit()
    # AUTH, STARTTLS, BDAT: not here
    s, f = raw_session(e)
    for cmd in (b"EHLO x", b"AUTH PLAIN AGFhAGI=", b"STARTTLS", b"BDAT 1 LAST"):
        s.sendall(cmd + b"\r\n")
        line = f.readline()
        while line[3:4] == b"-":
            line = f.readline()
        if cmd != b"EHLO x":
            assert line.startswith(b"502"), (cmd, line)
    s.close()
    assert suppressions(r) == []


def test_verp_is_per_recipient(ienv):
    """each recipient leaves with its own envelope sender; a report acts on that one only"""
    e, r = ienv, ienv.relay
    s = smtplib.SMTP("127.0.0.1", e.relay.port, local_hostname="client.test", timeout=30)
    s.sendmail(SENDER, ["kay@example.org", "lee@example.org"], message(msgid=False))
    s.quit()
    got = e.mx_host.wait(2)
    senders = {m.rcpts[0]: m.mail_from for m in got}
    assert sorted(senders) == ["kay@example.org", "lee@example.org"]
    assert senders["kay@example.org"] != senders["lee@example.org"]
    # kay, with her own VERP address, names lee: only kay's address is acted on
    kay = senders["kay@example.org"]
    inbound(e, [kay], dsn(kay, "lee@example.org"))
    events_of(r, "bounced", rcpt="kay@example.org")
    assert [x["address"] for x in suppressions(r)] == ["kay@example.org"]


def test_a_client_that_does_not_read(make_relay):
    """replies pile up no further than a bound; a stuck session gives its slot back"""
    port = free_port()
    r = make_relay(extra=f"[inbound]\nlisten = 127.0.0.1:{port}\ntimeout = 1s\n"
                         "max_connections = 1\n")
    pid = r.proc.pid

    def rss():
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    before = rss()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(1)
    sent = 0
    chunk = b"NOOP\r\n" * 10000
    try:
        while sent < 50 * 2**20:
            sent += s.send(chunk)
    except (socket.timeout, BlockingIOError):
        pass
    assert 2**20 < sent < 50 * 2**20, sent  # the relay stopped reading
    assert rss() - before < 30 * 2**20, (sent, rss() - before)
    # the stuck session (it reads nothing) times out and frees its one slot
    deadline = time.time() + 15
    while True:
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        first = c.makefile("rb").readline()
        c.close()
        if first.startswith(b"220 ") or time.time() > deadline:
            break
        time.sleep(0.5)
    assert first.startswith(b"220 "), first
    s.close()
