"""
The quarantine: what the scanners hold is kept unsigned in the spool with its
verdict; the security team lists it, looks at it, releases it (then it is
signed and delivered) or deletes it, with posternctl or the admin API; it
survives a restart and is deleted with an event after the retention. MIME
that cannot be read safely (bombs, ambiguous structure) is held, quickly.
"""
import json
import smtplib
import time

import pytest

from conftest import events_of, message
from dkimcheck import dkimpy_verify, publish
from test_delivery import Env

HOLD = """
[dlp]
ibans = iban
"""

IBAN_MSG = message(subject="payment", body="Pay to DE89 3704 0044 0532 0130 00 please.\r\n")


def send(r, msg, rcpts=("user@example.org",)):
    s = smtplib.SMTP("127.0.0.1", r.port, local_hostname="client.test", timeout=60)
    try:
        s.sendmail("app@example.com", list(rcpts), msg)
        return 250, ""
    except smtplib.SMTPDataError as e:
        return e.smtp_code, e.smtp_error.decode()
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            pass


def held(r, n=1, timeout=10):
    deadline = time.time() + timeout
    while True:
        st, out = r.admin("GET", "/admin/v1/quarantine")
        assert st == 200, out
        if out["total"] >= n or time.time() > deadline:
            return out["messages"]
        time.sleep(0.05)


@pytest.fixture
def qenv(make_relay, certdir):
    e = Env(make_relay, certdir, extra=HOLD)
    publish(e.relay, e.dns.zone, "example.com")
    e.relay.ctl("source", "scan", "legacy", "--dlp-action", "quarantine", check=True)
    yield e
    e.stop()


def test_round_trip_held_listed_released_delivered_and_signed(qenv):
    e, r = qenv, qenv.relay
    mx = e.mx("127.0.0.41")
    e.domain("example.org", (10, "mx.example.org", "127.0.0.41"))
    assert send(r, IBAN_MSG) == (250, "")
    [m] = held(r)
    time.sleep(0.5)
    assert mx.messages == []
    # listed, by posternctl too
    out = r.ctl("quarantine", "list", check=True).stdout
    assert m["id"] in out and "legacy" in out and "ibans" in out
    listed = r.ctl_json("quarantine", "list")
    assert listed["total"] == 1 and listed["messages"][0]["source"] == "legacy"
    shown = r.ctl("quarantine", "show", m["id"], check=True).stdout
    assert "Subject: payment" in shown and "<user@example.org>" in shown
    # not signed while it is held
    assert "DKIM-Signature" not in r.ctl_json("quarantine", "show", m["id"])["message"]["header"]
    ev = events_of(r, "quarantined")
    assert ev[0]["msg"] == m["id"] and ev[0]["detail"]["verdict"] == "dlp"
    # released: signed now, delivered, DKIM-valid
    rel = r.ctl_json("quarantine", "release", m["id"])
    assert rel["released"] == m["id"] and rel["released_as"] != m["id"]
    [got] = mx.wait(1)
    assert got.rcpts == ["user@example.org"] and b"DE89 3704" in got.data
    assert dkimpy_verify(got.data, e.dns.address) == [("rsa-sha256", True),
                                                      ("ed25519-sha256", True)]
    assert got.data.count(b"\r\nReceived:") + got.data.startswith(b"Received:") >= 1
    assert held(r, 0) == []
    assert events_of(r, "released")[0]["msg"] == m["id"]
    assert events_of(r, "delivered")[0]["msg"] == rel["released_as"]
    # gone: a second release or a show finds nothing
    again = r.ctl("quarantine", "release", m["id"])
    assert again.returncode != 0 and "no quarantined message" in again.stderr
    st, out = r.admin("GET", f"/admin/v1/quarantine/{m['id']}")
    assert st == 404 and out["error"]["code"] == "not_found"


def test_delete_records_an_event(qenv):
    r = qenv.relay
    assert send(r, IBAN_MSG)[0] == 250
    [m] = held(r)
    st, out = r.admin("DELETE", f"/admin/v1/quarantine/{m['id']}")
    assert st == 200 and out == {"deleted": m["id"]}
    assert held(r, 0) == [] and r.wait_unspooled() == []
    ev = events_of(r, "deleted")
    assert ev[0]["msg"] == m["id"]
    assert r.ctl("quarantine", "delete", m["id"]).returncode != 0


def test_bad_ids_and_methods(qenv):
    r = qenv.relay
    for path in ("/admin/v1/quarantine/zzzz", "/admin/v1/quarantine/0123456789abcdef"):
        st, out = r.admin("GET", path)
        assert st == 404 and "error" in out
    st, out = r.admin("POST", "/admin/v1/quarantine/0123456789abcdef/release")
    assert st == 404
    st, out = r.admin("PUT", "/admin/v1/quarantine")
    assert st == 405
    st, out = r.admin("GET", "/admin/v1/quarantine?limit=0")
    assert st == 400
    assert r.ctl("quarantine", "show", "../../etc").returncode != 0


def test_held_across_a_restart(qenv):
    e, r = qenv, qenv.relay
    mx = e.mx("127.0.0.42")
    e.domain("example.org", (10, "mx.example.org", "127.0.0.42"))
    assert send(r, IBAN_MSG)[0] == 250
    [m] = held(r)
    r.stop()
    r.start()
    time.sleep(1)
    assert [x["id"] for x in held(r)] == [m["id"]]
    assert mx.messages == []
    r.ctl("quarantine", "release", m["id"], check=True)
    mx.wait(1)


def test_retention_deletes_with_an_event(make_relay):
    r = make_relay(extra=HOLD + "[scan]\nquarantine_retention = 2s\n")
    r.add_source("legacy", "--ip", "127.0.0.1/32")
    r.ctl("source", "scan", "legacy", "--dlp-action", "quarantine", check=True)
    assert send(r, IBAN_MSG)[0] == 250
    [m] = held(r)
    ev = events_of(r, "expired", timeout=15)
    assert ev and ev[0]["msg"] == m["id"]
    assert held(r, 0) == []


def nested(depth):
    head = ("From: app@example.com\r\nTo: user@example.org\r\nSubject: deep\r\n"
            "MIME-Version: 1.0\r\n")
    body = ""
    for i in range(depth):
        body += f"Content-Type: multipart/mixed; boundary=\"b{i}x\"\r\n\r\n--b{i}x\r\n"
    body += "Content-Type: text/plain\r\n\r\nbottom\r\n"
    for i in reversed(range(depth)):
        body += f"--b{i}x--\r\n"
    return head + body


def many_parts(n):
    parts = "".join(f"--p\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(n))
    return ("From: app@example.com\r\nTo: user@example.org\r\nSubject: many\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n"
            + parts + "--p--\r\n")


def long_boundary(n):
    b = "x" * n
    return ("From: app@example.com\r\nTo: user@example.org\r\nSubject: long\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n"
            f"--{b}\r\nContent-Type: text/plain\r\n\r\nhi\r\n--{b}--\r\n")


AMBIGUOUS = ("From: app@example.com\r\nTo: user@example.org\r\nSubject: two types\r\n"
             "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
             "Content-Type: multipart/mixed; boundary=\"q\"\r\n\r\n"
             "--q\r\nContent-Type: text/plain\r\n\r\nhidden 4111 1111 1111 1111\r\n--q--\r\n")

BOMBS = {
    "deep_nesting": (nested(300), "limit"),
    "many_parts": (many_parts(5000), "limit"),
    "long_boundary": (long_boundary(500), "limit"),
    "two_content_types": (AMBIGUOUS, "ambiguous"),
}


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_mime_bombs_and_ambiguity_are_held_quickly(make_relay, case):
    r = make_relay(extra="[dlp]\ncards = card\n")
    r.add_source("legacy", "--ip", "127.0.0.1/32")
    msg, status = BOMBS[case]
    t0 = time.time()
    assert send(r, msg) == (250, "")
    assert time.time() - t0 < 10
    [m] = held(r)
    assert m["verdict"]["verdict"] == "mime"
    assert m["verdict"]["scan"]["mime"] == status, m
    time.sleep(0.2)
    assert r.captured() == []


def test_mime_limits_are_configurable(make_relay):
    r = make_relay(extra="[dlp]\ncards = card\n[scan]\nmime_max_depth = 3\nmime_max_parts = 10\n")
    r.add_source("legacy", "--ip", "127.0.0.1/32")
    assert send(r, nested(2))[0] == 250
    r.wait_captured(1)
    assert send(r, nested(5))[0] == 250
    assert send(r, many_parts(20))[0] == 250
    assert len(held(r, 2)) == 2
    assert len(r.captured()) == 1


def test_only_the_quarantine_routes_act_on_held_mail(qenv):
    r = qenv.relay
    assert send(r, IBAN_MSG)[0] == 250
    [m] = held(r)
    for verb in ("bounce", "hold", "release"):
        st, out = r.admin("POST", f"/admin/v1/queue/{m['id']}/{verb}")
        assert st == 409 and out["error"]["code"] == "quarantined", (verb, st, out)
    st, out = r.admin("DELETE", f"/admin/v1/queue/{m['id']}")
    assert st == 409 and out["error"]["code"] == "quarantined", (st, out)
    bad = r.ctl("queue", "delete", m["id"])
    assert bad.returncode != 0 and "quarantine" in bad.stderr
    assert [x["id"] for x in held(r)] == [m["id"]]


def test_a_long_retention_keeps_everything(make_relay):
    r = make_relay(extra=HOLD + "[scan]\nquarantine_retention = 36500d\n")
    r.add_source("legacy", "--ip", "127.0.0.1/32")
    r.ctl("source", "scan", "legacy", "--dlp-action", "quarantine", check=True)
    assert send(r, IBAN_MSG)[0] == 250
    [m] = held(r)
    time.sleep(2.5)
    assert [x["id"] for x in held(r)] == [m["id"]]
    assert events_of(r, "expired", timeout=0) == []


def test_held_for_a_scanner_error_is_scanned_on_release(make_relay, workdir):
    from scanners import EICAR, Clamd
    sock = str(workdir / "later-clamd.sock")
    r = make_relay(extra=f"[scan]\nclamd = {sock}\non_error = quarantine\n")
    r.add_source("legacy", "--ip", "127.0.0.1/32")
    clean = message(subject="clean")
    infected = message(subject="infected", body=EICAR.decode() + "\r\n")
    assert send(r, clean)[0] == 250 and send(r, infected)[0] == 250
    ids = [x["id"] for x in held(r, 2)]
    assert len(ids) == 2
    # still down: a release holds it again, it does not let it out unscanned
    st, out = r.admin("POST", f"/admin/v1/quarantine/{ids[0]}/release")
    assert st == 200 and out["held_again"] is True, out
    assert r.captured() == []
    c = Clamd(socket=sock)
    try:
        again = [x["id"] for x in held(r, 2)]
        results = {}
        for i in again:
            st, out = r.admin("POST", f"/admin/v1/quarantine/{i}/release")
            results[st] = out
        # the clean one goes; the infected one is refused for good, and stays held
        assert 200 in results and results[200]["held_again"] is False, results
        assert 422 in results and "virus" in results[422]["error"]["message"], results
        [got] = r.wait_captured(1)
        assert b"Subject: clean" in got.read_bytes()
        assert len(held(r, 1)) == 1
    finally:
        c.stop()
