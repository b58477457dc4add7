"""
The control plane under pressure (findings of a review, each sent for real):
concurrent requests cannot exceed a rate limit; a rotation that cannot keep
the old secret changes nothing; a resume during a delivery attempt undoes its
hold; a webhook endpoint that streams forever or never answers cannot grow
the daemon or crash it; a client without a key cannot make the send API
buffer a large body; connections per address are bounded.
"""
import http.client
import json
import socket
import threading
import time

import pytest

from conftest import message
from test_delivery import env  # noqa: F401  (the fixture)

SEND = {"from": "app@example.com", "to": "user@example.org", "subject": "s", "text": "t"}


def rss_kb(relay):
    with open(f"/proc/{relay.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


def test_concurrent_requests_never_exceed_a_rate(make_relay):
    r = make_relay(api={})
    r.add_source("app")
    key = r.api_key("app")
    r.ctl("source", "limits", "app", "--per-minute", "3", check=True)
    got = []

    def one():
        got.append(r.http("POST", "/v1/messages", SEND, key=key)[0])

    threads = [threading.Thread(target=one) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got.count(202) == 3 and got.count(429) == 27, sorted(got)
    assert r.ctl_json("source", "show", "app")["source"]["usage"]["per_minute"] == 3


def test_refused_messages_give_their_place_back(make_relay):
    r = make_relay(api={})
    r.add_source("app")
    key = r.api_key("app")
    r.ctl("source", "allow", "app", "*@nokeys.example", check=True)
    r.ctl("source", "limits", "app", "--per-minute", "1", check=True)
    # refused after the rate check (no signing key): it must not use the one place up
    for _ in range(3):
        assert r.http("POST", "/v1/messages", {**SEND, "from": "a@nokeys.example"},
                      key=key)[0] == 422
    assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 202


def test_rotation_that_cannot_keep_the_old_secret_changes_nothing(make_relay):
    r = make_relay(api={})
    r.add_source("app")
    keys = [r.api_key("app", name=f"k{i}") for i in range(15)]
    st, out = r.admin("POST", "/admin/v1/sources/app/credentials/k0/rotate", {"grace": "1h"})
    assert st == 422 and out["error"]["code"] == "too_many_credentials"
    assert r.http("POST", "/v1/messages", SEND, key=keys[0])[0] == 202
    # NAME.old taken by a credential of the other kind: refused before anything changes
    r.ctl("source", "credential", "revoke", "app", "k14", check=True)
    st, out = r.admin("POST", "/admin/v1/sources/app/credentials", {"name": "k1.old"})
    assert st == 201  # a password
    st, out = r.admin("POST", "/admin/v1/sources/app/credentials/k1/rotate", {"grace": "1h"})
    assert st == 409 and out["error"]["code"] == "exists"
    assert r.http("POST", "/v1/messages", SEND, key=keys[1])[0] == 202


def test_resume_during_a_delivery_attempt_undoes_its_hold(env):
    e = env(queue={"retry_min": "1s", "retry_max": "1s"})
    mx = e.mx("127.0.0.42")
    mx.delay = 2
    mx.data_reply = "451 4.3.0 later"
    e.domain("slow2.example.net", (10, "mx.slow2.example.net", "127.0.0.42"))
    pw = e.relay.add_source("app")
    with e.relay.smtp(login=("app", pw)) as s:
        s.sendmail("app@example.com", ["r@slow2.example.net"], message())
    time.sleep(0.8)  # in DATA at the MX now
    e.relay.ctl("source", "suspend", "app", check=True)
    e.relay.ctl("source", "resume", "app", check=True)
    time.sleep(2)
    mx.data_reply = None
    mx.delay = 0
    mx.wait(1, timeout=15)
    assert e.relay.ctl_json("queue", "list")["total"] == 0


class Endpoint:
    """A TCP endpoint for webhooks: 'stream' answers 200 and streams forever,
    'silent' accepts and never answers."""

    def __init__(self, mode):
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(64)
        self.port = self.ls.getsockname()[1]
        self.stop = False
        self.conns = []
        threading.Thread(target=self.serve, args=(mode,), daemon=True).start()

    def serve(self, mode):
        while not self.stop:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            self.conns.append(c)
            if mode == "stream":
                threading.Thread(target=self.feed, args=(c,), daemon=True).start()

    def feed(self, c):
        try:
            c.recv(65536)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n")
            while not self.stop:
                c.sendall(b"x" * 65536)
        except OSError:
            pass

    def close(self):
        self.stop = True
        self.ls.close()
        for c in self.conns:
            c.close()


def test_a_streaming_webhook_endpoint_cannot_grow_the_daemon(make_relay):
    ep = Endpoint("stream")
    try:
        r = make_relay(api={}, extra="[webhooks]\nallow_private = yes\ntimeout = 2s\n"
                                     "retry_min = 10s\n")
        r.add_source("app")
        key = r.api_key("app")
        r.ctl("source", "webhook", "app", f"http://127.0.0.1:{ep.port}/h", "--events",
              "accepted", check=True)
        before = rss_kb(r)
        assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 202
        time.sleep(4)
        assert rss_kb(r) - before < 40 * 1024
        assert "webhook failed" in r.log()
    finally:
        ep.close()


def test_removing_a_webhook_with_a_backlog_is_safe(make_relay):
    ep = Endpoint("silent")
    try:
        r = make_relay(api={}, extra="[webhooks]\nallow_private = yes\ntimeout = 2s\n")
        r.add_source("app")
        key = r.api_key("app")
        r.ctl("source", "webhook", "app", f"http://127.0.0.1:{ep.port}/h", "--events",
              "rejected", check=True)
        bad = json.dumps({**SEND, "from": "ceo@other.example"}).encode()
        c = http.client.HTTPConnection("127.0.0.1", r.api_port, timeout=30)
        for _ in range(3000):
            c.request("POST", "/v1/messages", body=bad,
                      headers={"Authorization": f"Bearer {key}",
                               "Content-Type": "application/json"})
            assert c.getresponse().read()
        c.close()
        assert r.admin("DELETE", "/admin/v1/sources/app/webhook")[0] == 200
        time.sleep(3)  # the requests in flight time out; the backlog is discarded
        assert r.proc.poll() is None
        assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 202
    finally:
        ep.close()


def test_no_key_no_large_body(make_relay):
    r = make_relay(api={})
    before = rss_kb(r)
    socks, closed = [], 0
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", r.api_port), timeout=5)
        s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 30000000\r\n\r\n")
        try:
            for _ in range(30):
                s.sendall(b"a" * (1 << 20))
        except OSError:
            closed += 1
        socks.append(s)
    time.sleep(0.5)
    assert closed == 10, "a connection without a key was allowed to send a large body"
    assert rss_kb(r) - before < 50 * 1024
    for s in socks:
        s.close()
    # a small request without a key still gets its JSON answer
    st, out, _ = r.http("POST", "/v1/messages", SEND)
    assert st == 401 and out["error"]["code"] == "unauthorized"


def test_a_key_holder_may_send_a_large_body(make_relay):
    r = make_relay(api={}, smtp={"max_message_size": "10M"})
    r.add_source("app")
    key = r.api_key("app")
    st, out, _ = r.http("POST", "/v1/messages", {**SEND, "text": "x\n" * 300000}, key=key)
    assert st == 202, out


def test_connections_per_address_are_bounded(make_relay):
    r = make_relay(api={"max_connections_per_ip": "3"})
    held = []
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", r.api_port), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        held.append(s)
    s = socket.create_connection(("127.0.0.1", r.api_port), timeout=5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        data = s.recv(4096)
    except ConnectionResetError:
        data = b""
    assert data == b"", "a fourth connection from one address was served"
    for c in held + [s]:
        c.close()
    time.sleep(0.3)
    assert r.http("GET", "/healthz")[0] == 200


BIG = 1 << 20  # over the 64 KiB a request may carry without a key
FRAMINGS = {
    "crlf": b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % BIG,
    "bare-lf": b"POST /v1/messages HTTP/1.1\nHost: x\nContent-Length: %d\n\n" % BIG,
    "crlf-lf": b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\n" % BIG,
    "nul": b"POST /v1/messages HTTP/1.1\r\nX-A: \x00\r\nContent-Length: %d\r\n\r\n" % BIG,
    "folded": b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n %d\r\n\r\n" % BIG,
    "plus": b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: +%d\r\n\r\n" % BIG,
    "vtab": b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: \x0b%d\r\n\r\n" % BIG,
    "short-lines": b"POST /v1/messages HTTP/1.1\r\n" + b"X:\r\n" * 5000
                   + b"Content-Length: %d\r\n\r\n" % BIG,
    "chunked": b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"100000\r\n",
    "bad-key": b"POST /v1/messages HTTP/1.1\r\nAuthorization: Bearer pk_AAAAAAAAAAAAAAAA_"
               b"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\r\nContent-Length: %d\r\n\r\n" % BIG,
}


def push(port, head, body_len=BIG):
    """send head and body_len octets; what came back (b"" if the connection was cut)"""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(head)
        sent = 0
        while sent < body_len:
            k = min(65536, body_len - sent)
            s.sendall(b"a" * k)
            sent += k
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                return data
            data += d
    except OSError:
        return b""
    finally:
        s.close()


@pytest.mark.parametrize("framing", list(FRAMINGS))
def test_no_key_no_large_body_however_framed(make_relay, framing):
    r = make_relay(api={})
    data = push(r.api_port, FRAMINGS[framing])
    # evhttp's own 413 (or a cut connection): never a body read to its end and judged
    assert not data.startswith(b"HTTP/1.1 401"), data[:120]
    assert data == b"" or data.startswith(b"HTTP/1.1 413") or data.startswith(b"HTTP/1.1 400"), \
        data[:120]


def test_silent_connections_count_per_address(make_relay):
    r = make_relay(api={"max_connections_per_ip": "3"})
    idle = [socket.create_connection(("127.0.0.1", r.api_port), timeout=5) for _ in range(3)]
    time.sleep(0.2)
    s = socket.create_connection(("127.0.0.1", r.api_port), timeout=5)
    try:
        assert s.recv(100) == b""  # closed before it said anything
    except ConnectionResetError:
        pass
    for c in idle + [s]:
        c.close()
    time.sleep(0.3)
    assert r.http("GET", "/healthz")[0] == 200
