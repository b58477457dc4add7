"""
Events, metrics and webhooks: every message's life recorded and searchable
(posternctl log search, stats), GET /metrics in Prometheus text format with
numbers that match what the test sent, the admin API over TCP with a token,
retention, and webhooks POSTed with valid HMAC-SHA256 signatures, retried
with back-off and never in the mail's way.
"""
import hashlib
import hmac
import http.client
import http.server
import json
import re
import smtplib
import socket
import threading
import time

import pytest

from conftest import free_port, message

SEND = {"from": "app@example.com", "to": "user@example.org", "subject": "s", "text": "t"}


def metric(text, name, **labels):
    """The value of one series in a Prometheus text page (0 if absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r'([a-z_]+)(?:\{(.*)\})? (\S+)$', line)
        if not m or m.group(1) != name:
            continue
        got = ",".join(sorted((m.group(2) or "").split(","))) if m.group(2) else ""
        if got == want:
            return float(m.group(3))
    return 0.0


def traffic(r, pw, key):
    """3 messages by SMTP, 2 by the API, one refused sender, one failed AUTH."""
    with r.smtp(login=("app", pw)) as s:
        for i in range(3):
            s.sendmail("app@example.com", [f"u{i}@example.org"], message(subject=f"m{i}"))
        with pytest.raises(smtplib.SMTPSenderRefused):
            s.sendmail("ceo@example.net", ["u@example.org"], message())
    for i in range(2):
        assert r.http("POST", "/v1/messages", {**SEND, "to": f"api{i}@example.org"},
                      key=key)[0] == 202
    with pytest.raises(smtplib.SMTPAuthenticationError):
        r.smtp(login=("app", "wrong-password"))
    r.wait_captured(5)
    r.wait_unspooled()


def test_metrics_and_log_search_match_what_was_sent(make_relay):
    r = make_relay(api={})
    pw = r.add_source("app")
    key = r.api_key("app")
    traffic(r, pw, key)
    time.sleep(0.3)
    st, text = r.admin("GET", "/metrics")
    assert st == 200 and "# TYPE postern_events_total counter" in text
    assert metric(text, "postern_events_total", source="app", type="accepted") == 5
    assert metric(text, "postern_events_total", source="app", type="delivered") == 5
    assert metric(text, "postern_events_total", source="app", type="rejected") == 1
    assert metric(text, "postern_rejections_total", source="app", reason="identity") == 1
    # smtplib tries PLAIN, then LOGIN: two failures
    assert metric(text, "postern_auth_failures_total", door="smtp") == 2
    assert metric(text, "postern_deliveries_total", outcome="sent", tls="no") == 5
    assert metric(text, "postern_delivery_seconds_count") == 5
    assert metric(text, "postern_delivery_seconds_bucket", le="+Inf") == 5
    assert metric(text, "postern_queue_messages", state="waiting") == 0
    assert "postern_queue_messages{state=\"held\"} 0" in text
    # the same numbers from the event store
    acc = r.ctl_json("log", "search", "--source", "app", "--status", "accepted")["events"]
    assert len(acc) == 5
    assert sum(1 for e in acc if e["detail"].get("door") == "api") == 2
    stats = r.ctl_json("stats", "--source", "app")
    app = stats["sources"]["app"]
    assert (app["accepted"], app["delivered"], app["rejected"]) == (5, 5, 1)
    assert app["rejected_by_reason"] == {"identity": 1}
    assert stats["total"]["accepted"] == 5
    text = r.ctl("stats", check=True).stdout
    assert "accepted" in text and "rejected identity" in text.replace("  ", " ") or \
        "identity" in text


def test_log_search_filters_and_pages(make_relay):
    r = make_relay(api={})
    pw = r.add_source("app")
    key = r.api_key("app")
    t0 = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    traffic(r, pw, key)
    one = r.ctl_json("log", "search", "--rcpt", "U1@example.org")["events"]
    assert {e["type"] for e in one} >= {"queued", "delivered"}
    assert all(e["rcpt"] == "u1@example.org" for e in one)
    msg = one[0]["msg"]
    life = r.ctl_json("log", "search", "--id", msg)["events"]
    types = [e["type"] for e in reversed(life)]
    assert types[:3] == ["accepted", "signed", "queued"] and "delivered" in types
    assert r.ctl_json("log", "search", "--from", "ceo@example.net")["events"][0]["type"] == \
        "rejected"
    assert r.ctl_json("log", "search", "--since", t0, "--status", "accepted")["events"]
    assert r.ctl_json("log", "search", "--until", "2001-01-01")["events"] == []
    assert r.ctl_json("log", "search", "--since", "1h", "--source", "app",
                      "--status", "accepted", "--limit", "4")["next"] is not None
    # pages: newest first, no overlap, no gap
    seen, before = [], None
    while True:
        args = ["log", "search", "--source", "app", "--limit", "4"]
        if before:
            args += ["--before", str(before)]
        page = r.ctl_json(*args)
        seen += [e["id"] for e in page["events"]]
        before = page["next"]
        if before is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    everything = r.ctl_json("log", "search", "--source", "app", "--limit", "1000")["events"]
    assert seen == [e["id"] for e in everything]
    text = r.ctl("log", "search", "--id", msg, check=True).stdout
    assert "accepted" in text and msg in text
    for bad in (["--since", "yesterday-ish"], ["--limit", "0"], ["--id", "zz"],
                ["--bogus", "1"]):
        assert r.ctl("log", "search", *bad).returncode != 0


def test_admin_api_over_tcp_needs_the_token(make_relay, workdir):
    token = "t0k3n-" + "x" * 40
    tf = workdir / "admin.token"
    tf.write_text(token + "\n")
    tf.chmod(0o600)
    port = free_port()
    r = make_relay(api={"listen": "", "admin_listen": f"127.0.0.1:{port}",
                        "admin_token_file": str(tf)})
    r.add_source("app")

    def get(path, tok=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", path, headers={"Authorization": f"Bearer {tok}"} if tok else {})
        resp = c.getresponse()
        body = resp.read()
        c.close()
        return resp.status, body

    assert get("/admin/v1/sources")[0] == 401
    assert get("/admin/v1/sources", "wrong")[0] == 401
    assert get("/admin/v1/sources", token[:-1])[0] == 401
    st, body = get("/admin/v1/sources", token)
    assert st == 200 and json.loads(body)["sources"][0]["name"] == "app"
    st, body = get("/metrics", token)
    assert st == 200 and b"postern_events_total" in body
    assert get("/metrics")[0] == 401
    assert get("/healthz")[0] == 200
    # a change through TCP is audited with the token holder's address
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/admin/v1/sources/app/suspend", body="{}",
              headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert c.getresponse().status == 200
    c.close()
    rows = r.ctl_json("audit")["audit"]
    assert rows[0]["actor"].startswith("token@127.0.0.1")


def test_admin_listen_without_token_is_a_config_error(make_relay):
    r = make_relay(start=False, api={"admin_listen": f"127.0.0.1:{free_port()}"})
    out = __import__("subprocess").run([str(__import__("conftest").POSTERND), "-n", "-c",
                                        str(r.conf)], capture_output=True, text=True)
    assert out.returncode != 0 and "admin_token_file" in out.stderr


def test_retention_prunes_old_events(make_relay):
    r = make_relay(extra="[events]\nretention = 2s\n")
    pw = r.add_source("app")
    with r.smtp(login=("app", pw)) as s:
        s.sendmail("app@example.com", ["u@example.org"], message())
    r.wait_captured(1)
    assert r.ctl_json("log", "search", "--source", "app")["events"]
    deadline = time.time() + 10
    while time.time() < deadline and r.ctl_json("log", "search", "--source", "app")["events"]:
        time.sleep(0.5)
    assert r.ctl_json("log", "search", "--source", "app")["events"] == []


# -- webhooks ------------------------------------------------------------------------

class HookServer:
    """A local HTTP server receiving webhooks; answers from a script of status codes."""

    def __init__(self, statuses=None, hang=False):
        self.got = []
        self.statuses = list(statuses or [])
        self.hang = hang
        self.lock = threading.Lock()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                if outer.hang:
                    time.sleep(30)
                    return
                with outer.lock:
                    outer.got.append((dict(self.headers), body, time.time()))
                    code = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/postern?x=1"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def wait(self, pred, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if pred(self.got):
                    return list(self.got)
            time.sleep(0.05)
        raise AssertionError(f"webhooks received: {[b for _, b, _ in self.got]}")

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture
def hooks():
    servers = []

    def make(**kw):
        s = HookServer(**kw)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


def verify(secret, headers, body):
    sig = headers["Postern-Signature"]
    parts = dict(p.split("=", 1) for p in sig.split(","))
    assert parts["t"] == headers["Postern-Timestamp"]
    want = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(want.hexdigest(), parts["v1"])


HOOKS = "[webhooks]\nallow_private = yes\nretry_min = 300ms\n"


def test_webhooks_arrive_signed(make_relay, hooks):
    srv = hooks()
    r = make_relay(api={}, extra=HOOKS)
    r.add_source("app")
    key = r.api_key("app")
    out = r.ctl_json("source", "webhook", "app", srv.url)
    secret = out["webhook"]["secret"]
    assert secret.startswith("whsec_")
    st, sent, _ = r.http("POST", "/v1/messages", {**SEND, "metadata": {"k": "v"}}, key=key)
    assert st == 202
    got = srv.wait(lambda g: any(json.loads(b)["type"] == "delivered" for _, b, _ in g))
    for headers, body, _ in got:
        assert verify(secret, headers, body), headers
        assert headers["Content-Type"] == "application/json"
        assert headers["Postern-Event-Id"].startswith("evt_")
        assert headers["User-Agent"].startswith("Postern/")
    events = [json.loads(b) for _, b, _ in got]
    types = [e["type"] for e in events]
    assert {"accepted", "signed", "queued", "delivered"} <= set(types)
    acc = next(e for e in events if e["type"] == "accepted")
    assert acc["message_id"] == sent["id"] and acc["source"] == "app"
    assert acc["detail"]["metadata"] == {"k": "v"}
    dlv = next(e for e in events if e["type"] == "delivered")
    assert dlv["recipient"] == "user@example.org" and dlv["dsn"] == "2.0.0"
    # a tampered body does not verify
    headers, body, _ = got[0]
    assert not verify(secret, headers, body.replace(b"app", b"ceo"))


def test_webhook_retried_with_backoff_same_event_id(make_relay, hooks):
    srv = hooks(statuses=[500, 503])
    r = make_relay(api={}, extra=HOOKS)
    r.add_source("app")
    key = r.api_key("app")
    r.ctl("source", "webhook", "app", srv.url, "--events", "accepted", check=True)
    assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 202
    got = srv.wait(lambda g: len(g) >= 3)
    ids = {h["Postern-Event-Id"] for h, _, _ in got}
    assert len(ids) == 1
    times = [t for _, _, t in got]
    # retry_min 300 ms, doubling, +-20%: the second wait is the longer
    assert times[1] - times[0] >= 0.2 and times[2] - times[1] >= 0.45
    time.sleep(1)
    assert len(srv.got) == 3  # delivered once it got its 200; only accepted events
    assert {json.loads(b)["type"] for _, b, _ in srv.got} == {"accepted"}


def test_a_hanging_webhook_never_slows_the_mail(make_relay, hooks):
    srv = hooks(hang=True)
    r = make_relay(api={}, extra=HOOKS + "timeout = 2s\n")
    pw = r.add_source("app")
    r.ctl("source", "webhook", "app", srv.url, check=True)
    t0 = time.time()
    with r.smtp(login=("app", pw)) as s:
        for i in range(20):
            s.sendmail("app@example.com", [f"u{i}@example.org"], message())
    assert time.time() - t0 < 5
    r.wait_captured(20)


def test_private_webhook_addresses_are_refused_by_default(make_relay, hooks):
    srv = hooks()
    r = make_relay(api={}, extra="[webhooks]\nretry_min = 200ms\nmax_age = 1s\n")
    r.add_source("app")
    key = r.api_key("app")
    r.ctl("source", "webhook", "app", srv.url, check=True)
    assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 202
    r.wait_captured(1)
    time.sleep(2.5)
    assert srv.got == []
    assert "webhook given up" in r.log()


@pytest.mark.parametrize("url", [
    "ftp://example.com/x", "http://user:pw@example.com/", "http://exa mple.com/",
    "http://example.com:99999/", "https://", "http://example.com/#frag", "javascript:x",
    "http://ex\u00e4mple.com/",
])
def test_webhook_bad_urls(make_relay, url):
    r = make_relay()
    r.add_source("app")
    st, out = r.admin("PUT", "/admin/v1/sources/app/webhook", {"url": url})
    assert st == 422 and out["error"]["code"] == "invalid_url", (url, out)


def test_webhook_show_rotate_remove(make_relay):
    r = make_relay()
    r.add_source("app")
    a = r.ctl_json("source", "webhook", "app", "https://hooks.example.com/p",
                   "--events", "delivered,bounced")["webhook"]
    assert a["events"] == ["delivered", "bounced"]
    b = r.ctl_json("source", "webhook", "app", "https://hooks.example.com/q")["webhook"]
    assert b["secret"] == a["secret"] and b["events"] == []
    c = r.ctl_json("source", "webhook", "app", "https://hooks.example.com/q",
                   "--rotate-secret")["webhook"]
    assert c["secret"] != a["secret"]
    assert r.ctl_json("source", "show", "app")["source"]["webhook"] == \
        "https://hooks.example.com/q"
    assert c["secret"] not in r.ctl("--json", "source", "show", "app", check=True).stdout
    st, out = r.admin("PUT", "/admin/v1/sources/app/webhook",
                      {"url": "https://h.example/", "events": ["nonsense"]})
    assert st == 422 and out["error"]["code"] == "invalid_events"
    r.ctl("source", "webhook", "app", "--remove", check=True)
    assert r.ctl("source", "webhook", "app").returncode == 1
