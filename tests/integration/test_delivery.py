"""
Outbound delivery against real peers on loopback: MX resolution through a
test DNS server, fake MX servers (aiosmtpd, smtp-sink), retries, bounces
(DSN), TLS policies and hostile server replies.
"""
import email
import email.policy
import json
import re
import signal
import smtplib
import socket
import threading
import time

import pytest

from conftest import free_port, message
from peers import FakeDNS, FakeMX, HostileServer, SmtpSink, tls_server_context

SENDER = "app@senders.example.org"


class Env:
    """DNS, an MX port shared by all fake MX hosts, the relay, and a mailbox for bounces."""

    def __init__(self, make_relay, certdir, **relay_kw):
        self.dns = FakeDNS()
        self.port = free_port()
        self.certdir = certdir
        self.peers = []
        # bounces to SENDER arrive here
        self.bounces = self.mx("127.0.0.250")
        self.dns.zone.mx("senders.example.org", (10, "mx.senders.example.org"))
        self.dns.zone.a("mx.senders.example.org", "127.0.0.250")
        delivery = {"transport": "mx", "resolver": self.dns.address,
                    "allow_private_destinations": "yes", "smtp_port": str(self.port),
                    "connect_timeout": "3s", "command_timeout": "5s", "data_timeout": "5s"}
        # "{port}" in a setting is the MX port
        for k, v in relay_kw.pop("delivery", {}).items():
            delivery[k] = v.replace("{port}", str(self.port))
        if "extra" in relay_kw:
            relay_kw["extra"] = relay_kw["extra"].replace("{port}", str(self.port))
        self.relay = make_relay(delivery=delivery, **relay_kw)
        # envelope senders at senders.example.org, From: at example.com (signed)
        self.relay.add_source("legacy", "--ip", "127.0.0.1/32",
                              identities=(("*@senders.example.org", "*@example.com"),
                                          "*@example.com", ("<>", "*@example.com")))

    def mx(self, host, **kw):
        m = FakeMX(host, self.port, **kw)
        self.peers.append(m)
        return m

    def domain(self, domain, *hosts):
        """domain MX records: hosts are (pref, name, address)."""
        self.dns.zone.mx(domain, *[(p, n) for p, n, _ in hosts])
        for _, name, addr in hosts:
            self.dns.zone.a(name, addr)

    def send(self, rcpts, sender=SENDER, msg=None, **kw):
        s = smtplib.SMTP("127.0.0.1", self.relay.port, local_hostname="client.test")
        resp = s.sendmail(sender, rcpts, msg or message(), **kw)
        s.quit()
        return resp

    def wait_log(self, pattern, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.relay.log()):
                return
            time.sleep(0.05)
        raise AssertionError(f"not in the log: {pattern}\n{self.relay.log()[-3000:]}")

    def stop(self):
        for p in self.peers:
            p.stop()
        self.dns.stop()


@pytest.fixture
def env(make_relay, certdir):
    envs = []

    def make(**kw):
        e = Env(make_relay, certdir, **kw)
        envs.append(e)
        return e

    yield make
    for e in envs:
        try:
            e.relay.stop()
        finally:
            e.stop()


def dsn_parts(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    assert msg.get_content_type() == "multipart/report", msg.get_content_type()
    assert msg.get_param("report-type") == "delivery-status"
    parts = msg.get_payload()
    assert parts[1].get_content_type() == "message/delivery-status"
    return msg, parts


def test_mx_delivery(env):
    e = env()
    mx = e.mx("127.0.0.2")
    e.domain("example.net", (10, "mx1.example.net", "127.0.0.2"))
    e.send(["user@example.net", "other@example.net"])
    [got] = mx.wait(1)
    assert got.mail_from == SENDER
    assert sorted(got.rcpts) == ["other@example.net", "user@example.net"]
    assert got.helo == "relay.test"
    assert b"Received: from client.test (127.0.0.1)" in got.data
    e.wait_log(r"delivery rcpt=<user@example\.net> relay=mx1\.example\.net\[127\.0\.0\.2\]:\d+ "
               r"tls=none dsn=2\.0\.0 .* status=sent")
    e.wait_log(r"queue removed")
    assert e.relay.spooled() == []


def test_mx_preference_order_and_fallback(env):
    e = env()
    first = e.mx("127.0.0.3")
    second = e.mx("127.0.0.4")
    # listed out of order in DNS: preference decides; a dead host is skipped
    e.domain("pref.example.net", (20, "mx20.pref.example.net", "127.0.0.4"),
             (10, "mx10.pref.example.net", "127.0.0.3"),
             (5, "mx5.pref.example.net", "127.0.0.5"))  # nothing listens there
    e.send(["a@pref.example.net"])
    first.wait(1)
    assert second.messages == []
    e.wait_log(r"delivery connect relay=mx5\.pref\.example\.net\[127\.0\.0\.5\]")


def test_implicit_mx(env):
    e = env()
    mx = e.mx("127.0.0.6")
    e.dns.zone.a("implicit.example.net", "127.0.0.6")
    e.send(["u@implicit.example.net"])
    mx.wait(1)


def test_null_mx_bounces_at_once(env):
    e = env()
    e.dns.zone.mx("nomail.example.net", (0, "."))
    e.send(["u@nomail.example.net"])
    [dsn] = e.bounces.wait(1)
    assert dsn.mail_from in ("", "<>") and dsn.rcpts == [SENDER]
    msg, parts = dsn_parts(dsn.data)
    status = parts[1].as_string()
    assert "Status: 5.1.10" in status
    assert "Final-Recipient: rfc822; u@nomail.example.net" in status
    assert "Action: failed" in status
    e.wait_log(r"dsn=5\.1\.10 .* status=bounced")


def test_nxdomain_bounces(env):
    e = env()
    e.send(["u@nosuchdomain.example.net"])
    [dsn] = e.bounces.wait(1)
    assert "Status: 5.1.2" in dsn_parts(dsn.data)[1][1].as_string()


def test_servfail_is_retried(env):
    e = env()
    mx = e.mx("127.0.0.7")
    e.domain("flaky.example.net", (10, "mx.flaky.example.net", "127.0.0.7"))
    e.dns.zone.servfail.add("flaky.example.net")
    e.send(["u@flaky.example.net"])
    e.wait_log(r"rcpt=<u@flaky\.example\.net> .* dsn=4\.4\.3 .* status=deferred")
    e.dns.zone.servfail.clear()
    mx.wait(1, timeout=30)
    assert e.bounces.messages == []


def test_reserved_addresses_refused_without_permission(env):
    e = env(delivery={"allow_private_destinations": "no"})
    e.domain("inside.example.net", (10, "mx.inside.example.net", "169.254.169.254"))
    e.send(["u@inside.example.net"])
    e.wait_log(r"rcpt=<u@inside\.example\.net> relay=none tls=none dsn=5\.4\.4 .* status=bounced")


def test_temporary_failure_then_delivered(env):
    e = env()
    mx = e.mx("127.0.0.8")
    mx.rcpt_replies["later"] = "451 4.7.1 Greylisted, come back later"
    mx.rcpt_reply_times["later"] = 1
    e.domain("grey.example.net", (10, "mx.grey.example.net", "127.0.0.8"))
    e.send(["later@grey.example.net"])
    e.wait_log(r"rcpt=<later@grey\.example\.net> .* dsn=4\.7\.1 .* status=deferred")
    [got] = mx.wait(1, timeout=30)
    assert got.rcpts == ["later@grey.example.net"]
    assert e.bounces.messages == []


def test_permanent_failure_bounces_with_a_correct_dsn(env):
    e = env()
    mx = e.mx("127.0.0.9")
    mx.rcpt_replies["nobody"] = "550 5.1.1 <nobody@hard.example.net>: no such user"
    e.domain("hard.example.net", (10, "mx.hard.example.net", "127.0.0.9"))
    e.send(["nobody@hard.example.net", "fine@hard.example.net"],
           msg=message(subject="the original"))
    [got] = mx.wait(1)
    assert got.rcpts == ["fine@hard.example.net"]
    [dsn] = e.bounces.wait(1)
    assert dsn.mail_from in ("", "<>") and dsn.rcpts == [SENDER]
    msg, parts = dsn_parts(dsn.data)
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["To"].endswith(SENDER) or SENDER in msg["To"]
    status = parts[1].as_string()
    assert "Reporting-MTA: dns; relay.test" in status
    assert "Final-Recipient: rfc822; nobody@hard.example.net" in status
    assert "Action: failed" in status and "Status: 5.1.1" in status
    assert "Remote-MTA: dns; mx.hard.example.net" in status
    assert "Diagnostic-Code: smtp; 550 5.1.1 <nobody@hard.example.net>: no such user" in status
    assert "fine@hard.example.net" not in status
    # the original's header comes back, not its body (no RET=FULL)
    assert "Subject: the original" in parts[2].as_string()


def test_dsn_parameters_are_honoured(env):
    e = env()
    mx = e.mx("127.0.0.10")
    mx.rcpt_replies["gone"] = "550 5.1.1 gone"
    e.domain("dsn.example.net", (10, "mx.dsn.example.net", "127.0.0.10"))
    s = smtplib.SMTP("127.0.0.1", e.relay.port, local_hostname="client.test")
    s.ehlo()
    assert s.has_extn("dsn")
    s.mail(SENDER, ["RET=FULL", "ENVID=QQ+2B314"])
    s.rcpt("gone@dsn.example.net", ["NOTIFY=FAILURE", "ORCPT=rfc822;original@dsn.example.net"])
    s.rcpt("quiet@dsn.example.net", ["NOTIFY=NEVER"])
    mx.rcpt_replies["quiet"] = "550 5.1.1 quiet is gone too"
    s.data(message(subject="full please", body="the body comes back\r\n"))
    s.quit()
    [dsn] = e.bounces.wait(1)
    msg, parts = dsn_parts(dsn.data)
    status = parts[1].as_string()
    assert "Original-Envelope-Id: QQ+314" in status  # decoded from xtext (RFC 3461 6.3)
    assert "Original-Recipient: rfc822; original@dsn.example.net" in status
    assert "quiet@dsn.example.net" not in status  # NOTIFY=NEVER
    assert parts[2].get_content_type() == "message/rfc822"
    assert "the body comes back" in parts[2].as_string()
    time.sleep(0.5)
    assert len(e.bounces.messages) == 1


def test_no_bounce_to_the_null_sender(env):
    e = env()
    mx = e.mx("127.0.0.11")
    mx.rcpt_replies["x"] = "550 5.1.1 no"
    e.domain("null.example.net", (10, "mx.null.example.net", "127.0.0.11"))
    e.send(["x@null.example.net"], sender="")
    e.wait_log(r"rcpt=<x@null\.example\.net> .* status=bounced")
    e.wait_log(r"queue removed")
    time.sleep(0.5)
    assert e.bounces.messages == []


def test_connection_dropped_after_the_dot_is_retried(env):
    e = env()
    mx = e.mx("127.0.0.12")
    mx.drop_after_dot = 1
    e.domain("drop.example.net", (10, "mx.drop.example.net", "127.0.0.12"))
    e.send(["u@drop.example.net"])
    e.wait_log(r"rcpt=<u@drop\.example\.net> .* dsn=4\.4\.2 .* status=deferred")
    [got] = mx.wait(1, timeout=30)
    assert got.rcpts == ["u@drop.example.net"]


@pytest.mark.parametrize("flags,expect", [
    (["-r", "rcpt"], r"dsn=4\.\d\.\d .* status=deferred"),
    (["-f", "rcpt"], r"dsn=5\.\d\.\d .* status=bounced"),
    (["-q", "."], r"dsn=4\.4\.2 .* status=deferred"),       # dropped after the dot
    (["-Q", "."], r"dsn=4\.\d\.\d .* status=deferred"),      # 421 after the dot
    (["-W", ".:7"], r"dsn=4\.4\.2 .* status=deferred"),     # slower than data_timeout
    (["-r", "mail"], r"dsn=4\.\d\.\d .* status=deferred"),
    (["-f", "data"], r"dsn=5\.\d\.\d .* status=bounced"),
])
def test_smtp_sink_faults(env, flags, expect):
    e = env()
    sink = SmtpSink("127.0.0.13", e.port, *flags)
    try:
        e.domain("sink.example.net", (10, "mx.sink.example.net", "127.0.0.13"))
        e.send(["u@sink.example.net"])
        e.wait_log(r"rcpt=<u@sink\.example\.net> relay=mx\.sink\.example\.net\[127\.0\.0\.13\]"
                   r":\d+ tls=none " + expect)
    finally:
        sink.stop()


def test_smtp_sink_accepts(env):
    e = env()
    sink = SmtpSink("127.0.0.14", e.port)
    try:
        e.domain("sink-ok.example.net", (10, "mx.sink-ok.example.net", "127.0.0.14"))
        e.send(["u@sink-ok.example.net", "v@sink-ok.example.net"])
        e.wait_log(r"rcpt=<v@sink-ok\.example\.net> .* status=sent")
        deadline = time.time() + 10
        while not sink.messages() and time.time() < deadline:
            time.sleep(0.1)
        dump = sink.messages()[0].read_bytes()
        assert b"u@sink-ok.example.net" in dump and b"v@sink-ok.example.net" in dump
    finally:
        sink.stop()


def test_connections_are_reused(env):
    e = env(extra="[destination_concurrency]\nreuse.example.net = 2\n")
    mx = e.mx("127.0.0.30")
    mx.delay = 0.3  # a backlog builds up behind two busy connections
    e.domain("reuse.example.net", (10, "mx.reuse.example.net", "127.0.0.30"))
    s = smtplib.SMTP("127.0.0.1", e.relay.port, local_hostname="client.test")
    for i in range(20):
        s.sendmail(SENDER, [f"u{i}@reuse.example.net"], message(subject=f"n{i}"))
    s.quit()
    mx.wait(20, timeout=60)
    # at most two connections at a time, each carrying several messages
    assert mx.connections <= 6, mx.connections


def send_apart(e, domain, n, gap):
    s = smtplib.SMTP("127.0.0.1", e.relay.port, local_hostname="client.test")
    for i in range(n):
        s.sendmail(SENDER, [f"u{i}@{domain}"], message(subject=f"n{i}"))
        time.sleep(gap)
    s.quit()


def test_an_idle_connection_carries_the_next_message(env):
    """Messages that come one at a time, a little apart, go down the one
    connection left open between them ([delivery] connection_reuse_time),
    as Postfix's connection cache does; after the reuse time it says QUIT."""
    e = env(delivery={"connection_reuse_time": "3s"})
    mx = e.mx("127.0.0.31")
    base = mx.connections  # the controller's own check that it is up
    e.domain("idle.example.net", (10, "mx.idle.example.net", "127.0.0.31"))
    send_apart(e, "idle.example.net", 4, 0.3)
    mx.wait(4)
    assert mx.connections - base == 1, mx.connections
    # nothing more: the connection ends, with QUIT, once the reuse time is over
    deadline = time.time() + 10
    while mx.quits == 0 and time.time() < deadline:
        time.sleep(0.1)
    assert mx.quits == 1
    send_apart(e, "idle.example.net", 1, 0)
    mx.wait(5)
    assert mx.connections - base == 2, mx.connections


def test_connection_reuse_can_be_turned_off(env):
    e = env(delivery={"connection_reuse_time": "0"})
    mx = e.mx("127.0.0.32")
    base = mx.connections
    e.domain("noreuse.example.net", (10, "mx.noreuse.example.net", "127.0.0.32"))
    send_apart(e, "noreuse.example.net", 3, 0.3)
    mx.wait(3)
    assert mx.connections - base == 3, mx.connections


@pytest.mark.parametrize("say_421", [True, False])
def test_an_mx_closing_an_idle_connection_loses_nothing(env, say_421):
    """The MX ends the idle connection (421 then close, or just close): the
    next message opens a new one and is delivered at once, not deferred."""
    e = env(delivery={"connection_reuse_time": "30s"})
    mx = e.mx("127.0.0.33")
    base = mx.connections
    e.domain("drop.example.net", (10, "mx.drop.example.net", "127.0.0.33"))
    send_apart(e, "drop.example.net", 1, 0)
    mx.wait(1)
    mx.close_sessions(say_421)
    time.sleep(0.5)
    send_apart(e, "drop.example.net", 1, 0)
    mx.wait(2, timeout=10)
    assert mx.connections - base == 2, mx.connections
    assert "status=deferred" not in e.relay.log()


def test_an_idle_connection_gives_its_slot_to_another_destination(env):
    """With every outbound slot taken by a connection idling for one
    destination, mail for another does not wait for the reuse time: the
    idle connection is closed for it."""
    e = env(delivery={"connection_reuse_time": "60s", "max_connections": "1"})
    mx1, mx2 = e.mx("127.0.0.34"), e.mx("127.0.0.35")
    e.domain("one.example.net", (10, "mx.one.example.net", "127.0.0.34"))
    e.domain("two.example.net", (10, "mx.two.example.net", "127.0.0.35"))
    send_apart(e, "one.example.net", 1, 0)
    mx1.wait(1)
    t0 = time.time()
    send_apart(e, "two.example.net", 1, 0)
    mx2.wait(1, timeout=10)
    assert time.time() - t0 < 10


def test_starttls_to_a_tls_capable_mx(env, certdir):
    e = env()
    mx = e.mx("127.0.0.15", tls_context=tls_server_context(certdir))
    e.domain("tls.example.net", (10, "mx.tls.example.net", "127.0.0.15"))
    e.send(["u@tls.example.net"])
    [got] = mx.wait(1)
    assert got.tls
    e.wait_log(r"delivery tls relay=mx\.tls\.example\.net\[127\.0\.0\.15\]:\d+ version=TLSv1\.[23]")
    e.wait_log(r"rcpt=<u@tls\.example\.net> .* tls=TLSv1\.[23] .* status=sent")


def test_encrypt_policy_never_falls_back(env):
    e = env(extra="[tls_policy]\nplain.example.net = encrypt\n")
    mx = e.mx("127.0.0.16")  # no STARTTLS offered
    e.domain("plain.example.net", (10, "mx.plain.example.net", "127.0.0.16"))
    e.send(["u@plain.example.net"])
    e.wait_log(r"rcpt=<u@plain\.example\.net> .* dsn=4\.7\.4 .* status=deferred")
    time.sleep(0.5)
    assert mx.messages == []


def test_verify_policy_refuses_a_bad_certificate(env, certdir):
    # a.crt is self-signed for relay-a.test: not the MX name, and not trusted
    e = env(extra="[tls_policy]\nverify.example.net = verify\n")
    mx = e.mx("127.0.0.17", tls_context=tls_server_context(certdir))
    e.domain("verify.example.net", (10, "mx.verify.example.net", "127.0.0.17"))
    e.send(["u@verify.example.net"])
    e.wait_log(r"rcpt=<u@verify\.example\.net> .* dsn=4\.7\.5 .* status=deferred")
    time.sleep(0.3)
    assert mx.messages == []


def test_verify_policy_accepts_a_good_certificate(env, workdir):
    # a certificate for the MX name, trusted through tls_ca_file
    import subprocess
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", "/CN=mx.verify.example.net",
                    "-addext", "subjectAltName=DNS:mx.verify.example.net",
                    "-keyout", str(workdir / "v.key"), "-out", str(workdir / "v.crt")],
                   check=True, capture_output=True)
    (workdir / "v.crt").chmod(0o644)
    ctx = __import__("ssl").create_default_context(__import__("ssl").Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(workdir / "v.crt"), str(workdir / "v.key"))
    e = env(extra="[tls_policy]\nverify.example.net = verify\n",
            delivery={"tls_ca_file": str(workdir / "v.crt")})
    mx = e.mx("127.0.0.18", tls_context=ctx)
    e.domain("verify.example.net", (10, "mx.verify.example.net", "127.0.0.18"))
    e.send(["u@verify.example.net"])
    [got] = mx.wait(1)
    assert got.tls
    e.wait_log(r"delivery tls relay=mx\.verify\.example\.net\[127\.0\.0\.18\]:\d+ .* verify=ok")


def test_smtputf8_needed_but_not_offered(env):
    e = env()
    mx = e.mx("127.0.0.19", smtputf8=False)
    e.domain("ascii.example.net", (10, "mx.ascii.example.net", "127.0.0.19"))
    e.send(["jörg@ascii.example.net"], mail_options=["SMTPUTF8"])
    e.wait_log(r"rcpt=<jörg@ascii\.example\.net> .* dsn=5\.6\.7 .* status=bounced")
    assert mx.messages == []


def hostile(script):
    def run(conn):
        conn.settimeout(5)
        script(conn)
    return run


@pytest.mark.parametrize("name,script", [
    ("long-line", lambda c: c.sendall(b"220 " + b"x" * 5000 + b"\r\n")),
    ("endless-continuation", lambda c: [c.sendall(b"220-more\r\n") for _ in range(2000)]),
    ("bad-code", lambda c: c.sendall(b"2x0 hello\r\n")),
    ("mixed-codes", lambda c: c.sendall(b"220-hello\r\n250 not the same\r\n")),
    ("nul", lambda c: c.sendall(b"220 hel\x00lo\r\n")),
    ("silence", lambda c: time.sleep(4)),
])
def test_hostile_server_replies(env, name, script):
    e = env(delivery={"command_timeout": "2s"})
    srv = HostileServer("127.0.0.20", e.port, hostile(script))
    try:
        e.domain("hostile.example.net", (10, "mx.hostile.example.net", "127.0.0.20"))
        e.send(["u@hostile.example.net"])
        e.wait_log(r"rcpt=<u@hostile\.example\.net> .* dsn=4\.\d\.\d .* status=deferred")
        # the relay is fine: it still takes and delivers mail
        mx = e.mx("127.0.0.21")
        e.domain("ok.example.net", (10, "mx.ok.example.net", "127.0.0.21"))
        e.send(["u@ok.example.net"])
        mx.wait(1)
    finally:
        srv.stop()


def test_server_speaking_before_tls_is_ignored(env, certdir):
    """Bytes a server sends after its 220 to STARTTLS are thrown away."""
    ctx = tls_server_context(certdir)

    def script(conn):
        conn.sendall(b"220 hostile ESMTP\r\n")
        buf = b""
        while b"\r\n" not in buf:
            buf += conn.recv(1024)
        conn.sendall(b"250-hostile\r\n250 STARTTLS\r\n")
        buf = b""
        while b"\r\n" not in buf:
            buf += conn.recv(1024)
        assert buf.startswith(b"STARTTLS")
        # the injected reply would answer EHLO inside TLS if it were kept
        conn.sendall(b"220 go ahead\r\n250 injected\r\n")
        tls = ctx.wrap_socket(conn, server_side=True)
        tls.sendall(b"")
        data = tls.recv(1024)
        assert data.startswith(b"EHLO"), data
        tls.sendall(b"421 bye\r\n")

    e = env()
    srv = HostileServer("127.0.0.22", e.port, script)
    try:
        e.domain("inject.example.net", (10, "mx.inject.example.net", "127.0.0.22"))
        e.send(["u@inject.example.net"])
        e.wait_log(r"delivery starttls relay=mx\.inject\.example\.net\[127\.0\.0\.22\]:\d+ "
                   r"discarded=")
    finally:
        srv.stop()


def test_expired_message_bounces(env):
    e = env(queue={"max_lifetime": "2s", "retry_min": "1s", "retry_max": "1s"})
    e.domain("down.example.net", (10, "mx.down.example.net", "127.0.0.23"))  # no server
    e.send(["u@down.example.net"])
    [dsn] = e.bounces.wait(1, timeout=30)
    status = dsn_parts(dsn.data)[1][1].as_string()
    assert "Status: 4.4.7" in status and "Action: failed" in status
    assert "delivery time expired" in status


def test_delay_notice_when_asked(env):
    e = env(queue={"delay_warning": "1s", "retry_min": "1s", "retry_max": "1s"})
    mx = e.mx("127.0.0.24")
    mx.rcpt_replies["slow"] = "451 4.3.0 try later"
    mx.rcpt_reply_times["slow"] = 3
    e.domain("slow.example.net", (10, "mx.slow.example.net", "127.0.0.24"))
    e.send(["slow@slow.example.net"])
    [dsn] = e.bounces.wait(1, timeout=30)
    status = dsn_parts(dsn.data)[1][1].as_string()
    assert "Action: delayed" in status and "Will-Retry-Until:" in status
    mx.wait(1, timeout=30)
    time.sleep(0.5)
    assert len(e.bounces.messages) == 1  # one notice, not one per attempt


def test_static_route_and_smarthost_with_auth(env, workdir):
    import ssl
    import subprocess
    pwfile = workdir / "smarthost.pw"
    pwfile.write_text("s3cret\n")
    pwfile.chmod(0o644)
    # the smarthost is named by address: its certificate must name that address
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=smarthost",
                    "-addext", "subjectAltName=IP:127.0.0.26",
                    "-keyout", str(workdir / "s.key"), "-out", str(workdir / "s.crt")],
                   check=True, capture_output=True)
    (workdir / "s.crt").chmod(0o644)
    sctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    sctx.load_cert_chain(str(workdir / "s.crt"), str(workdir / "s.key"))
    e = env(delivery={"smarthost": "[127.0.0.26]:{port}", "smarthost_user": "relayuser",
                      "smarthost_password_file": str(pwfile),
                      "tls_ca_file": str(workdir / "s.crt")},
            extra="[routes]\nstatic.example.net = [127.0.0.25]\nvia.example.net = smarthost\n")
    static = e.mx("127.0.0.25")
    seen = {}

    def auth_cb(mechanism, login, password):
        seen["auth"] = (mechanism, login, password)
        return login == b"relayuser" and password == b"s3cret"

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP as AioSMTP

    class AuthCtl(Controller):
        def factory(self):
            return AioSMTP(self.handler, tls_context=sctx,
                           auth_callback=auth_cb, auth_require_tls=True)

    smart = FakeMX.__new__(FakeMX)
    smart.messages, smart.lock, smart.host = [], threading.Lock(), "127.0.0.26"
    smart.rcpt_replies, smart.rcpt_reply_times, smart.data_reply = {}, {}, None
    smart.drop_after_dot, smart.delay, smart.connections = 0, 0, 0
    from peers import Handler
    smart.ctl = AuthCtl(Handler(smart), hostname="127.0.0.26", port=e.port)
    smart.ctl.start()
    e.peers.append(smart)
    e.send(["a@static.example.net", "b@via.example.net"])
    [got] = static.wait(1)
    assert got.rcpts == ["a@static.example.net"]
    [got] = smart.wait(1)
    assert got.rcpts == ["b@via.example.net"] and got.tls
    assert seen["auth"][1:] == (b"relayuser", b"s3cret")
    assert "s3cret" not in e.relay.log()


def test_ip_pool_binds_and_names_itself(env):
    e = env(delivery={"pool": "main"},
            extra="[pools]\nmain = 127.0.0.1=out1.example.org\n")
    mx = e.mx("127.0.0.27")
    e.domain("pool.example.net", (10, "mx.pool.example.net", "127.0.0.27"))
    e.send(["u@pool.example.net"])
    [got] = mx.wait(1)
    assert got.helo == "out1.example.org"
    assert got.peer[0] == "127.0.0.1"
    out = e.relay.ctl("pool", "spf")
    assert out.stdout.strip() == "v=spf1 ip4:127.0.0.1 -all", out
    pools = e.relay.ctl_json("pool", "list")["pools"]
    assert pools == [{"name": "main", "spf": "v=spf1 ip4:127.0.0.1 -all",
                      "addresses": [{"address": "127.0.0.1", "ehlo": "out1.example.org"}]}]


def test_urgent_mail_is_not_stuck_behind_bulk(env):
    e = env(extra="[destination_concurrency]\nbusy.example.net = 2\n")
    mx = e.mx("127.0.0.28")
    mx.delay = 0.5
    e.domain("busy.example.net", (10, "mx.busy.example.net", "127.0.0.28"))
    s = smtplib.SMTP("127.0.0.1", e.relay.port, local_hostname="client.test")
    for i in range(8):
        s.sendmail(SENDER, [f"bulk{i}@busy.example.net"],
                   message(subject=f"bulk{i}", headers={"X-Postern-Lane": "bulk"}))
    s.sendmail(SENDER, ["urgent@busy.example.net"], message(subject="urgent"))
    s.quit()
    got = mx.wait(9, timeout=30)
    order = [m.rcpts[0] for m in got]
    # the urgent message had a connection of its own: it overtook most of the burst
    assert order.index("urgent@busy.example.net") <= 2, order


def test_kill9_during_a_delivery_burst(env):
    e = env()
    mx = e.mx("127.0.0.29")
    mx.delay = 0.02
    e.domain("burst.example.net", (10, "mx.burst.example.net", "127.0.0.29"))
    acked = []

    def client():
        try:
            s = smtplib.SMTP("127.0.0.1", e.relay.port, local_hostname="client.test",
                             timeout=10)
            for i in range(300):
                subject = f"burst-{threading.get_ident()}-{i}"
                s.sendmail(SENDER, ["u@burst.example.net"], message(subject=subject))
                acked.append(subject)
        except Exception:
            pass

    threads = [threading.Thread(target=client) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    e.relay.kill9()
    for t in threads:
        t.join()
    assert acked
    e.relay.start()
    deadline = time.time() + 60
    while time.time() < deadline:
        with mx.lock:
            got = {re.search(rb"Subject: (\S+)", m.data).group(1).decode() for m in mx.messages}
        if set(acked) <= got:
            break
        time.sleep(0.2)
    assert set(acked) <= got, f"{len(set(acked) - got)} acknowledged messages never arrived"


def events_of(relay, qid=None):
    """The event log, read straight from the store (the admin API grows a search later)."""
    import sqlite3
    time.sleep(0.3)  # the writer flushes every 100 ms
    db = sqlite3.connect(f"file:{relay.state / 'postern.db'}?mode=ro", uri=True)
    rows = db.execute("SELECT type, msg, source, sender, rcpt, dsn, detail FROM events "
                      + ("WHERE msg = ? " if qid else "") + "ORDER BY id",
                      (qid,) if qid else ()).fetchall()
    db.close()
    return [dict(zip(("type", "msg", "source", "sender", "rcpt", "dsn"), r[:6]),
                 detail=json.loads(r[6])) for r in rows]


def test_every_attempt_is_an_event(env):
    e = env(queue={"retry_min": "1s", "retry_max": "1s"})
    mx = e.mx("127.0.0.31")
    mx.rcpt_replies["once"] = "451 4.7.1 later"
    mx.rcpt_reply_times["once"] = 1
    mx.rcpt_replies["never"] = "550 5.1.1 unknown"
    e.domain("ev.example.net", (10, "mx.ev.example.net", "127.0.0.31"))
    resp = e.send(["once@ev.example.net", "never@ev.example.net"])
    mx.wait(1, timeout=30)
    e.wait_log(r"queue removed")
    evs = [x for x in events_of(e.relay) if x["sender"] == SENDER]
    qid = evs[0]["msg"]
    mine = [(x["type"], x["rcpt"], x["dsn"]) for x in evs if x["msg"] == qid]
    assert mine[0] == ("accepted", "", "")
    assert ("deferred", "once@ev.example.net", "4.7.1") in mine
    assert ("delivered", "once@ev.example.net", "2.0.0") in mine
    assert ("bounced", "never@ev.example.net", "5.1.1") in mine
    assert ("dsn", "", "") in mine and mine[-1][0] == "removed"
    delivered = [x for x in evs if x["type"] == "delivered" and x["msg"] == qid][0]
    assert delivered["source"] == "legacy"
    assert delivered["detail"]["relay"].startswith("mx.ev.example.net[127.0.0.31]")
    assert delivered["detail"]["code"] == 250 and delivered["detail"]["attempt"] == 2


def test_source_pool_and_lane(env):
    e = env(extra="[pools]\nmain = 127.0.0.1=out-main.example.org\n"
                  "alt = 127.0.0.1=out-alt.example.org\n")
    mx = e.mx("127.0.0.32")
    base = mx.connections
    e.domain("lanes.example.net", (10, "mx.lanes.example.net", "127.0.0.32"))
    out = e.relay.ctl_json("source", "set", "legacy", "--pool", "alt", "--lane", "bulk")
    assert (out["source"]["pool"], out["source"]["lane"]) == ("alt", "bulk")
    r = e.relay.ctl("source", "set", "legacy", "--pool", "nosuch")
    assert r.returncode == 1 and "no IP pool named nosuch" in r.stderr
    r = e.relay.ctl("source", "set", "legacy", "--lane", "fast")
    assert r.returncode == 1 and "lane must be urgent or bulk" in r.stderr
    e.send(["u@lanes.example.net"], msg=message(subject="by source"))
    [got] = mx.wait(1)
    assert got.helo == "out-alt.example.org"
    [m] = [x for x in events_of(e.relay) if x["type"] == "accepted"]
    assert m["detail"]["lane"] == "bulk"
    # a message can ask for the other lane; the header never leaves the relay
    e.send(["v@lanes.example.net"], msg=message(headers={"X-Postern-Lane": "urgent"}))
    got = mx.wait(2)
    assert b"X-Postern-Lane" not in got[1].data
    assert "pool:        alt" in e.relay.ctl("source", "show", "legacy", check=True).stdout


def test_smarthost_credentials_need_a_verified_certificate(env, certdir, workdir):
    """With a certificate that does not name the smarthost, the password is never sent."""
    pwfile = workdir / "smarthost.pw"
    pwfile.write_text("s3cret\n")
    pwfile.chmod(0o644)
    e = env(delivery={"smarthost": "[127.0.0.33]:{port}", "smarthost_user": "relayuser",
                      "smarthost_password_file": str(pwfile), "transport": "smarthost"})
    seen = []

    def script(conn):
        from peers import tls_server_context as ctxf
        conn.sendall(b"220 smarthost\r\n")
        f = conn.makefile("rb")
        while True:
            line = f.readline()
            if not line:
                return
            seen.append(line)
            if line.upper().startswith(b"EHLO"):
                conn.sendall(b"250-smarthost\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n")
            elif line.upper().startswith(b"STARTTLS"):
                conn.sendall(b"220 go\r\n")
                tls = ctxf(certdir).wrap_socket(conn, server_side=True)
                seen.append(tls.recv(4096))
                return

    srv = HostileServer("127.0.0.33", e.port, script)
    try:
        e.send(["u@anywhere.example.net"])
        e.wait_log(r"rcpt=<u@anywhere\.example\.net> .* dsn=4\.7\.5 .* status=deferred")
        assert not any(b"AUTH" in l for l in seen)
    finally:
        srv.stop()


def scripted(answers):
    """A raw MX that answers by the first word of each command."""
    got = []

    def script(c):
        c.settimeout(5)
        c.sendall(b"220 raw ESMTP\r\n")
        f = c.makefile("rb")
        indata = False
        while True:
            line = f.readline()
            if not line:
                return
            line = line.rstrip(b"\r\n")
            got.append(line)
            if indata:
                if line == b".":
                    indata = False
                    c.sendall(answers.get(".", b"250 ok\r\n"))
                continue
            word = line.split(b" ")[0].upper().decode()
            default = b"354 go\r\n" if word == "DATA" else b"250 ok\r\n"
            reply = answers.get(word, default)
            if word == "DATA" and reply.startswith(b"354"):
                indata = True
            c.sendall(reply)
            if word == "QUIT":
                return
    return script, got


def test_data_answered_250_is_not_a_delivery(env):
    script, got = scripted({"EHLO": b"250-raw\r\n250 8BITMIME\r\n",
                            "DATA": b"250 2.0.0 whatever\r\n"})
    e = env()
    srv = HostileServer("127.0.0.34", e.port, script)
    try:
        e.domain("d250.example.net", (10, "mx.d250.example.net", "127.0.0.34"))
        e.send(["u@d250.example.net"])
        e.wait_log(r"rcpt=<u@d250\.example\.net> .* dsn=4\.4\.2 .* status=deferred")
        assert "status=sent" not in e.relay.log()
    finally:
        srv.stop()


def test_long_ehlo_reply_does_not_hide_starttls(env):
    script, got = scripted({"EHLO": b"250-" + b"x" * 1011 + b"\r\n250-PIPELINING\r\n"
                                    b"250 STARTTLS\r\n", "STARTTLS": b"454 4.7.0 not now\r\n"})
    e = env()
    srv = HostileServer("127.0.0.35", e.port, script)
    try:
        e.domain("long.example.net", (10, "mx.long.example.net", "127.0.0.35"))
        e.send(["u@long.example.net"])
        e.wait_log(r"rcpt=<u@long\.example\.net> .* status=sent")
        assert any(l.upper().startswith(b"STARTTLS") for l in got)
    finally:
        srv.stop()


def test_stray_reply_never_makes_an_unsent_message_delivered(env):
    e = env(queue={"retry_min": "1s", "retry_max": "1s"})
    mx = e.mx("127.0.0.37")
    sent = {"n": 0}

    def script(c):
        c.settimeout(5)
        c.sendall(b"220 raw\r\n")
        f = c.makefile("rb")
        indata = False
        while True:
            line = f.readline()
            if not line:
                return
            line = line.rstrip(b"\r\n")
            if indata:
                if line == b".":
                    indata = False
                    sent["n"] += 1
                    c.sendall(b"250 ok\r\n250 extra\r\n")
                continue
            w = line.split(b" ")[0].upper()
            if w == b"EHLO":
                c.sendall(b"250-raw\r\n250 PIPELINING\r\n")
            elif w == b"DATA":
                indata = True
                c.sendall(b"354 go\r\n")
            elif w == b"QUIT":
                c.sendall(b"221 bye\r\n")
                return
            else:
                c.sendall(b"250 ok\r\n")

    srv = HostileServer("127.0.0.36", e.port, script)
    try:
        # the odd server first; a good one behind it for the retries
        e.domain("x.example.net", (10, "mx1.x.example.net", "127.0.0.36"))
        s = smtplib.SMTP("127.0.0.1", e.relay.port, local_hostname="client.test")
        s.sendmail(SENDER, ["a@x.example.net"], message(subject="one"))
        s.sendmail(SENDER, ["b@x.example.net"], message(subject="two"))
        s.quit()
        e.wait_log(r"more replies than commands")
        # every "sent" in the log had its content really taken by the server
        sent_lines = re.findall(r"rcpt=<[ab]@x\.example\.net> .* status=sent", e.relay.log())
        assert len(sent_lines) <= sent["n"]
    finally:
        srv.stop()


def test_554_greeting_is_never_final(env):
    def script(c):
        c.sendall(b"554 5.3.2 busy, try later\r\n")
        time.sleep(0.5)

    e = env()
    srv = HostileServer("127.0.0.39", e.port, script)
    try:
        e.domain("g.example.net", (10, "mx1.g.example.net", "127.0.0.38"),   # refused
                 (20, "mx2.g.example.net", "127.0.0.39"))                    # 554 greeting
        e.send(["u@g.example.net"])
        e.wait_log(r"rcpt=<u@g\.example\.net> .* status=deferred")
        assert "status=bounced" not in e.relay.log()
    finally:
        srv.stop()


def test_urgent_mail_is_loaded_even_when_bulk_fills_the_active_slots(env):
    e = env(queue={"max_active": "4"}, delivery={"destination_concurrency": "2"})
    mx = e.mx("127.0.0.41")
    mx.delay = 0.3
    e.domain("slow.example.net", (10, "mx.slow.example.net", "127.0.0.41"))
    s = smtplib.SMTP("127.0.0.1", e.relay.port, local_hostname="client.test")
    for i in range(12):
        s.sendmail(SENDER, [f"bulk{i}@slow.example.net"],
                   message(subject=f"bulk{i}", headers={"X-Postern-Lane": "bulk"}))
    s.sendmail(SENDER, ["urgent@slow.example.net"], message(subject="urgent"))
    s.quit()
    got = mx.wait(13, timeout=60)
    order = [m.rcpts[0] for m in got]
    assert order.index("urgent@slow.example.net") <= 3, order


def test_admin_actions_while_a_bounce_is_stored(env):
    """delete/hold/bounce on a message whose DSN is being committed: no harm done"""
    import subprocess
    from conftest import POSTERNCTL
    e = env(smtp={"max_message_size": "30M"})
    mx = e.mx("127.0.0.42")
    mx.rcpt_replies["@b.example.net"] = "550 5.1.1 no such user"
    e.domain("b.example.net", (10, "mx.b.example.net", "127.0.0.42"))
    big = message(body=("x" * 998 + "\r\n") * 5000)
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            for mid in re.findall(r"msg=([0-9a-f]{16}) bounce dsn=", e.relay.log())[-1:]:
                for verb in ("delete", "hold", "bounce"):
                    subprocess.run([str(POSTERNCTL), "-c", str(e.relay.conf), "queue", verb,
                                    mid], capture_output=True)
            time.sleep(0.005)

    t = threading.Thread(target=hammer, daemon=True)
    t.start()
    # three recipients: a hard bounce suppresses its address (test_unsubscribe.py)
    for i in range(3):
        e.send([f"u{i}@b.example.net"], msg=big)
    e.bounces.wait(3, timeout=60)
    stop.set()
    t.join()
    time.sleep(0.5)
    assert len(e.bounces.messages) == 3  # one notice each, never two
