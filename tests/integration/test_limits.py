"""Limits from the configuration: size, recipients, header, deadlines, connections."""
import socket
import time

from conftest import message


def session(relay, ehlo=True):
    r = relay.raw()
    assert r.reply()[0] == 220
    if ehlo:
        assert r.cmd("EHLO client.test")[0] == 250
    return r


def test_size_declared_and_actual(make_relay):
    relay = make_relay(smtp={"max_message_size": "2k"})
    relay.add_source("legacy", "--ip", "127.0.0.1/32")
    r = session(relay)
    assert "250-SIZE 2048" in r.cmd("EHLO client.test")[1]
    assert r.cmd("MAIL FROM:<app@example.com> SIZE=2049") == (
        552, "552 5.3.4 Message size exceeds fixed maximum message size")
    # a client that lies about SIZE is refused after its data, and the session goes on
    assert r.cmd("MAIL FROM:<app@example.com> SIZE=100")[0] == 250
    assert r.cmd("RCPT TO:<user@example.org>")[0] == 250
    assert r.cmd("DATA")[0] == 354
    r.send(message(body="x" * 70 + "\r\n") * 40 + ".\r\n")
    assert r.reply() == (552, "552 5.3.4 Message size exceeds fixed maximum message size")
    assert r.cmd("MAIL FROM:<app@example.com>")[0] == 250
    assert r.cmd("RCPT TO:<user@example.org>")[0] == 250
    assert r.cmd("DATA")[0] == 354
    r.send(message() + ".\r\n")
    assert r.reply()[0] == 250
    relay.wait_captured(1)


def test_bdat_chunk_larger_than_the_limit(make_relay):
    relay = make_relay(smtp={"max_message_size": "2k"})
    relay.add_source("legacy", "--ip", "127.0.0.1/32")
    r = session(relay)
    r.cmd("MAIL FROM:<app@example.com>")
    r.cmd("RCPT TO:<user@example.org>")
    code, text = r.cmd("BDAT 100000000 LAST")
    assert (code, text[4:9]) == (552, "5.3.4")
    assert r.closed()
    relay.assert_nothing_accepted()


def test_header_section_limit(make_relay):
    relay = make_relay(smtp={"max_header_size": "1k"})
    relay.add_source("legacy", "--ip", "127.0.0.1/32")
    r = session(relay)
    r.cmd("MAIL FROM:<app@example.com>")
    r.cmd("RCPT TO:<user@example.org>")
    r.cmd("DATA")
    r.send("".join(f"X-Filler-{i}: {'y' * 60}\r\n" for i in range(30)) + "\r\nbody\r\n.\r\n")
    assert r.reply() == (552, "552 5.3.4 Header section exceeds maximum size")
    relay.assert_nothing_accepted()


def test_recipient_limit(make_relay):
    relay = make_relay(smtp={"max_recipients": "3"})
    relay.add_source("legacy", "--ip", "127.0.0.1/32")
    r = session(relay)
    r.cmd("MAIL FROM:<app@example.com>")
    for i in range(3):
        assert r.cmd(f"RCPT TO:<u{i}@example.org>")[0] == 250
    assert r.cmd("RCPT TO:<u3@example.org>") == (452, "452 4.5.3 Too many recipients")
    assert r.cmd("DATA")[0] == 354
    r.send(message() + ".\r\n")
    assert r.reply()[0] == 250
    [eml] = relay.wait_captured(1)
    assert len(relay.envelope(eml)["rcpt_to"]) == 3


def test_idle_client_is_cut_off(make_relay):
    relay = make_relay(smtp={"command_timeout": "1s"})
    r = relay.raw()
    assert r.reply()[0] == 220
    t0 = time.monotonic()
    assert r.reply() == (421, "421 4.4.2 Timeout exceeded; closing")
    assert 0.5 < time.monotonic() - t0 < 5
    assert r.closed()


def test_trickling_client_is_cut_off(make_relay):
    """A byte every 300 ms never idles, but the command deadline still runs out."""
    relay = make_relay(smtp={"command_timeout": "1500ms"})
    r = relay.raw()
    r.reply()
    t0 = time.monotonic()
    code = None
    for c in b"EHLO client.test-with-a-very-long-name":
        try:
            r.send(bytes([c]))
        except OSError:
            break
        time.sleep(0.3)
        if time.monotonic() - t0 > 3:
            break
    code, text = r.reply()
    assert (code, text) == (421, "421 4.4.2 Timeout exceeded; closing")
    assert time.monotonic() - t0 < 4


def test_data_deadline(make_relay):
    relay = make_relay(smtp={"data_timeout": "1s"})
    relay.add_source("legacy", "--ip", "127.0.0.1/32")
    r = session(relay)
    r.cmd("MAIL FROM:<app@example.com>")
    r.cmd("RCPT TO:<user@example.org>")
    r.cmd("DATA")
    r.send("Subject: slow\r\n\r\n")
    assert r.reply() == (421, "421 4.4.2 Timeout exceeded; closing")
    relay.assert_nothing_accepted()


def test_handshake_deadline(make_relay):
    relay = make_relay(smtp={"handshake_timeout": "1s"})
    s = socket.create_connection(("127.0.0.1", relay.tls_port))
    s.settimeout(5)
    t0 = time.monotonic()
    assert s.recv(100) == b""  # closed without a word: no TLS, nothing to say
    assert time.monotonic() - t0 < 4
    s.close()


def test_connections_per_address(make_relay):
    relay = make_relay(smtp={"max_connections_per_ip": "2"})
    a, b = relay.raw(), relay.raw()
    assert a.reply()[0] == 220 and b.reply()[0] == 220
    c = relay.raw()
    code, text = c.reply()
    assert (code, text) == (421, "421 4.7.0 Too many connections from your address; try again later")
    assert c.closed()
    a.cmd("QUIT")
    a.close()
    time.sleep(0.3)
    d = relay.raw()
    assert d.reply()[0] == 220


def test_connections_in_total(make_relay):
    relay = make_relay(smtp={"max_connections": "1"})
    a = relay.raw()
    assert a.reply()[0] == 220
    b = relay.raw()
    assert b.reply() == (421, "421 4.7.0 Too many connections; try again later")


def test_memory_is_bounded_for_a_flood_without_line_ends(legacy):
    """Megabytes without CRLF never grow a buffer: the line limit ends it."""
    r = session(legacy)
    try:
        r.send(b"NOOP " + b"x" * (4 * 1024 * 1024))
    except OSError:
        pass
    code, text = r.reply()
    assert (code, text[4:9]) == (500, "5.5.2")


def test_junk_commands_are_bounded(legacy):
    r = session(legacy)
    for _ in range(100):
        r.send(b"NOOP\r\n")
    for _ in range(100):
        assert r.reply()[0] == 250
    assert r.cmd("RSET") == (421, "421 4.7.0 Too many commands without mail; closing")
    assert r.closed()


def test_input_is_not_buffered_while_auth_is_verified(app):
    """While AUTH is being verified, what the client sends waits in the kernel, not in us."""
    import base64
    relay, user, pw = app

    def rss_kb():
        for line in open(f"/proc/{relay.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

    r = relay.raw(tls=True)
    r.reply()
    r.cmd("EHLO client.test")
    before = rss_kb()
    plain = base64.b64encode(f"\0{user}\0wrong".encode())
    r.sock.settimeout(2)
    sent = 0
    try:
        r.sock.sendall(b"AUTH PLAIN " + plain + b"\r\n")
        chunk = b"A" * 65536
        while sent < 64 * 1024 * 1024:
            r.sock.sendall(chunk)
            sent += len(chunk)
    except (socket.timeout, OSError):
        pass
    grown = rss_kb() - before
    assert grown < 16 * 1024, f"RSS grew by {grown} KiB after {sent} octets"
