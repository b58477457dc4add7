"""
Streams, one-click unsubscribe (RFC 8058) and the suppression list, end to
end: a broadcast message carries signed List-Unsubscribe headers pointing at
the relay's own endpoint; a POST there (from Python's urllib, as a mailbox
provider sends it) suppresses the recipient in that stream; later mail to
them in that stream is not delivered (a "suppressed" event), other streams
are unaffected unless the stream's scope is the domain. Forged, altered,
truncated, expired and foreign tokens change nothing; GET changes nothing.
"""
import base64
import hashlib
import hmac
import re
import smtplib
import struct
import time
import urllib.error
import urllib.request

import pytest

from conftest import events_of, free_port, message
from dkimcheck import dkimpy_verify, publish
from test_delivery import SENDER, Env

STREAMS = """
[streams]
newsletter = stream
updates = stream
everything = domain
"""


@pytest.fixture
def uenv(make_relay, certdir):
    port = free_port()
    e = Env(make_relay, certdir, api={"listen": f"127.0.0.1:{port}"},
            extra=STREAMS + f"[unsubscribe]\nbase_url = http://127.0.0.1:{port}\n"
                            "mailto_domain = unsub.example.com\n")
    e.relay.api_port = port
    e.mx_host = e.mx("127.0.0.41")
    e.domain("example.org", (10, "mx.example.org", "127.0.0.41"))
    publish(e.relay, e.dns.zone, "example.com")
    yield e
    e.stop()


def send(e, rcpts, stream=None, subject="news"):
    headers = {"X-Postern-Stream": stream} if stream else {}
    msg = message(subject=subject, headers=headers, msgid=False)
    s = smtplib.SMTP("127.0.0.1", e.relay.port, local_hostname="client.test", timeout=30)
    try:
        s.sendmail(SENDER, rcpts, msg)
        return 250, ""
    except smtplib.SMTPRecipientsRefused as ex:
        code, text = list(ex.recipients.values())[0]
        return code, text.decode()
    except smtplib.SMTPDataError as ex:
        return ex.smtp_code, ex.smtp_error.decode()
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            pass


def unfold(raw, name):
    m = re.search(rb"(?im)^" + name.encode() + rb":((?:.*\r\n)(?:[ \t].*\r\n)*)", raw)
    return m and re.sub(rb"\r\n[ \t]", b" ", m.group(1)).strip().decode()


def links(raw):
    lu = unfold(raw, "List-Unsubscribe")
    https = re.search(r"<(http[^>]+)>", lu).group(1)
    mailto = re.search(r"<mailto:([^>]+)>", lu).group(1)
    return https, mailto


def post(url, body=b"List-Unsubscribe=One-Click",
         ctype="application/x-www-form-urlencoded"):
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as ex:
        return ex.code, ex.read().decode(), dict(ex.headers)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as ex:
        return ex.code, ex.read().decode(), dict(ex.headers)


def suppressions(r, **q):
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    st, out = r.admin("GET", f"/admin/v1/suppressions?{qs}")
    assert st == 200, out
    return out["suppressions"]


def test_one_click_end_to_end(uenv):
    e, r = uenv, uenv.relay
    assert send(e, ["alice@example.org"], "newsletter") == (250, "")
    [got] = e.mx_host.wait(1)
    # both fields present, the source's own none, and both signed
    assert got.data.count(b"\r\nList-Unsubscribe:") == 1
    assert unfold(got.data, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert dkimpy_verify(got.data, e.dns.address) == [("rsa-sha256", True),
                                                      ("ed25519-sha256", True)]
    sig = unfold(got.data, "DKIM-Signature").replace(" ", "").lower()
    assert "list-unsubscribe:list-unsubscribe-post" in sig
    assert b"X-Postern-Stream" not in got.data
    https, mailto = links(got.data)
    assert https.startswith(f"http://127.0.0.1:{r.api_port}/u/")
    assert mailto.startswith("unsubscribe+") and mailto.endswith("@unsub.example.com")
    # GET: a page with a button that POSTs; nothing changes
    st, page, hdrs = get(https)
    assert st == 200 and "<form method=\"post\">" in page and "alice@example.org" in page
    assert "default-src 'none'" in hdrs["Content-Security-Policy"]
    assert "Set-Cookie" not in hdrs
    assert suppressions(r) == []
    # the one-click POST, as a mailbox provider sends it; again is harmless
    for _ in range(3):
        st, body, hdrs = post(https)
        assert st == 200 and "Location" not in hdrs and "Set-Cookie" not in hdrs
    [entry] = suppressions(r)
    assert (entry["address"], entry["scope"], entry["reason"], entry["origin"]) == \
        ("alice@example.org", "newsletter", "unsubscribe", "one-click")
    assert entry["source"] == "legacy"
    assert len(events_of(r, "suppression", rcpt="alice@example.org")) == 1
    # the next newsletter to her: accepted, not delivered, a "suppressed" event
    assert send(e, ["alice@example.org"], "newsletter", subject="second") == (250, "")
    ev = events_of(r, "suppressed", rcpt="alice@example.org")
    assert ev and ev[0]["detail"]["scope"] == "newsletter"
    # another stream, and transactional mail, still reach her
    assert send(e, ["alice@example.org"], "updates", subject="update") == (250, "")
    assert send(e, ["alice@example.org"], None, subject="receipt") == (250, "")
    msgs = e.mx_host.wait(3)
    time.sleep(0.5)
    subjects = sorted(re.search(rb"Subject: (\w+)", m.data).group(1) for m in e.mx_host.messages)
    assert subjects == [b"news", b"receipt", b"update"]
    assert len(msgs) == 3


def test_multipart_post_and_source_default_stream(uenv):
    e, r = uenv, uenv.relay
    r.ctl("source", "stream", "legacy", "--default", "updates", check=True)
    assert send(e, ["bob@example.org"]) == (250, "")
    [got] = e.mx_host.wait(1)
    https, _ = links(got.data)
    body = (b"--xyz\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"
            b"One-Click\r\n--xyz--\r\n")
    st, _, _ = post(https, body, "multipart/form-data; boundary=xyz")
    assert st == 200
    assert [(x["address"], x["scope"]) for x in suppressions(r)] == [("bob@example.org", "updates")]
    # the source's default stream is checked at RCPT: dropped at submission
    assert send(e, ["bob@example.org", "carol@example.org"][:1]) == (250, "")
    ev = events_of(r, "suppressed", rcpt="bob@example.org")
    assert ev and ev[0]["detail"]["at"] == "submission"
    # refused instead, when the source asks
    r.ctl("source", "stream", "legacy", "--on-suppressed", "reject", check=True)
    code, text = send(e, ["bob@example.org"])
    assert code == 550 and "5.7.1" in text and "suppressed" in text
    shown = r.ctl_json("source", "show", "legacy")
    assert shown["source"]["stream"] == {"default": "updates", "on_suppressed": "reject"} or \
        shown.get("stream") == {"default": "updates", "on_suppressed": "reject"}


def test_domain_scope_stops_every_stream(uenv):
    e, r = uenv, uenv.relay
    assert send(e, ["dave@example.org"], "everything") == (250, "")
    [got] = e.mx_host.wait(1)
    assert post(links(got.data)[0])[0] == 200
    assert [x["scope"] for x in suppressions(r)] == ["domain"]
    for stream in ("newsletter", None):
        assert send(e, ["dave@example.org"], stream) == (250, "")
    assert len(events_of(r, "suppressed", n=2, rcpt="dave@example.org")) == 2
    time.sleep(0.5)
    assert len(e.mx_host.messages) == 1


def secret_of(r):
    text = (r.state / "unsubscribe.key").read_text()
    return bytes.fromhex(re.search(r"current ([0-9a-f]{64})", text).group(1))


def mint(secret, rcpt, stream="newsletter", source="legacy", issued=None):
    raw = bytes([1]) + struct.pack(">I", int(issued if issued is not None else time.time()))
    for f in (source, stream, rcpt):
        raw += bytes([len(f)]) + f.encode()
    raw += hmac.new(secret, raw, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_bad_tokens_change_nothing(uenv):
    e, r = uenv, uenv.relay
    assert send(e, ["erin@example.org"], "newsletter") == (250, "")
    [got] = e.mx_host.wait(1)
    https, _ = links(got.data)
    base, token = https.rsplit("/", 1)
    # minted here as the relay does it: the same token for the same issue time
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    issued = struct.unpack(">I", raw[1:5])[0]
    assert abs(issued - time.time()) < 120
    assert mint(secret_of(r), "erin@example.org", issued=issued) == token
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    # the same token with another recipient of the same length put in, MAC kept
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    swapped = base64.urlsafe_b64encode(raw.replace(b"erin@example.org", b"eve1@example.org"))
    assert swapped != token.encode()
    bad = {
        "forged": mint(b"\x00" * 32, "erin@example.org"),
        "bit-flipped": flipped,
        "truncated": token[:-3],
        "expired": mint(secret_of(r), "erin@example.org", issued=time.time() - 400 * 86400),
        "future": mint(secret_of(r), "erin@example.org", issued=time.time() + 86400),
        "other recipient, foreign key": mint(b"\x01" * 32, "frank@example.org"),
        "other recipient, swapped in": swapped.rstrip(b"=").decode(),
        "garbage": "%00%0d%0a" + "x" * 50,
        "too long": "A" * 5000,
        "not base64": "!!!!",
    }
    for what, t in bad.items():
        st, page, _ = post(f"{base}/{t}")
        assert st == 400, what
        st, page, _ = get(f"{base}/{t}")
        assert st == 400, what
    # a body other than the one-click one changes nothing either
    for body in (b"", b"List-Unsubscribe=Yes", b"x=1", b"List-Unsubscribe=One-Click\x00"):
        assert post(https, body)[0] == 400
    st, _, _ = get(https)
    assert st == 200
    assert suppressions(r) == []
    # other methods
    req = urllib.request.Request(https, method="DELETE")
    with pytest.raises(urllib.error.HTTPError) as ex:
        urllib.request.urlopen(req, timeout=5)
    assert ex.value.code in (405, 501)  # the send doors allow GET and POST only
    # a token made with the relay's secret for someone else is what a link is: it works
    assert post(f"{base}/{mint(secret_of(r), 'grace@example.org')}")[0] == 200
    assert [x["address"] for x in suppressions(r)] == ["grace@example.org"]


def test_rotated_secret_still_verifies_old_links(uenv):
    e, r = uenv, uenv.relay
    old = secret_of(r)
    r.ctl("unsubscribe", "rotate-secret", check=True)
    assert secret_of(r) != old
    base = f"http://127.0.0.1:{r.api_port}/u"
    assert post(f"{base}/{mint(old, 'henry@example.org')}")[0] == 200
    assert post(f"{base}/{mint(secret_of(r), 'ivy@example.org')}")[0] == 200
    assert sorted(x["address"] for x in suppressions(r)) == ["henry@example.org",
                                                               "ivy@example.org"]


def test_broadcast_takes_one_recipient_and_streams_are_declared(uenv):
    e, r = uenv, uenv.relay
    code, text = send(e, ["a@example.org", "b@example.org"], "newsletter")
    assert code == 550 and "5.5.3" in text
    code, text = send(e, ["a@example.org"], "nosuchstream")
    assert code == 550 and "5.5.4" in text
    bad = r.ctl("source", "stream", "legacy", "--default", "nosuch")
    assert bad.returncode != 0 and "stream" in bad.stderr
    bad = r.ctl("source", "stream", "legacy", "--on-suppressed", "bounce")
    assert bad.returncode != 0


def test_hard_bounce_suppresses(uenv):
    e, r = uenv, uenv.relay
    e.mx_host.rcpt_replies["gone"] = "550 5.1.1 <gone@example.org>: no such user"
    e.mx_host.rcpt_replies["full"] = "552 5.2.2 mailbox full"
    assert send(e, ["gone@example.org"]) == (250, "")
    assert send(e, ["full@example.org"]) == (250, "")
    events_of(r, "bounced", n=2)
    [entry] = suppressions(r)
    assert (entry["address"], entry["scope"], entry["reason"], entry["origin"]) == \
        ("gone@example.org", "domain", "hard-bounce", "delivery")
    assert "5.1.1" in entry["detail"]
    assert send(e, ["gone@example.org"], "newsletter") == (250, "")
    assert events_of(r, "suppressed", rcpt="gone@example.org")


def test_api_streams_and_suppressed_recipients(uenv):
    e, r = uenv, uenv.relay
    key = r.api_key("legacy")
    r.ctl("suppression", "add", "kim@example.org", "--scope", "newsletter", check=True)
    body = {"from": "app@example.com", "to": ["kim@example.org"], "subject": "s",
            "text": "t", "stream": "newsletter"}
    st, out, _ = r.http("POST", "/v1/messages", body, key=key)
    assert st == 202 and out["suppressed"] == ["kim@example.org"], out
    st, fate, _ = r.http("GET", f"/v1/messages/{out['id']}", key=key)
    assert st == 200 and fate["status"] == "suppressed", fate
    assert fate["recipients"] == {"kim@example.org": "suppressed"}
    st, out, _ = r.http("POST", "/v1/messages", dict(body, stream="nosuch"), key=key)
    assert st == 422 and out["error"]["code"] == "unknown_stream"
    st, out, _ = r.http("POST", "/v1/messages",
                     dict(body, to=["x@example.org", "y@example.org"]), key=key)
    assert st == 422 and out["error"]["code"] == "one_recipient"
    r.ctl("source", "stream", "legacy", "--on-suppressed", "reject", check=True)
    st, out, _ = r.http("POST", "/v1/messages", body, key=key)
    assert st == 422 and out["error"]["code"] == "recipient_suppressed"
    assert "kim@example.org" in out["error"]["message"]
    st, out, _ = r.http("POST", "/v1/messages", dict(body, stream="updates"), key=key)
    assert st == 202 and "suppressed" not in out


def test_old_secret_stops_after_the_grace(make_relay):
    port = free_port()
    r = make_relay(api={"listen": f"127.0.0.1:{port}"},
                   extra=STREAMS + f"[unsubscribe]\nbase_url = http://127.0.0.1:{port}\n"
                                   "secret_grace = 1s\n")
    r.api_port = port
    old = secret_of(r)
    r.ctl("unsubscribe", "rotate-secret", check=True)
    time.sleep(2.5)
    assert post(f"http://127.0.0.1:{port}/u/{mint(old, 'jo@example.org')}")[0] == 400
    assert post(f"http://127.0.0.1:{port}/u/{mint(secret_of(r), 'jo@example.org')}")[0] == 200
    assert [x["address"] for x in suppressions(r)] == ["jo@example.org"]


def test_the_stream_a_message_names_decides(uenv):
    """checked at RCPT in the source's stream, again in the one the header names"""
    e, r = uenv, uenv.relay
    r.ctl("source", "stream", "legacy", "--default", "newsletter", check=True)
    r.ctl("suppression", "add", "ida@example.org", "--scope", "newsletter", check=True)
    # a password reset from a newsletter source: delivered
    assert send(e, ["ida@example.org"], "transactional", subject="reset") == (250, "")
    [got] = e.mx_host.wait(1)
    assert b"Subject: reset" in got.data and b"\r\nList-Unsubscribe:" not in got.data
    # the other way round: dropped at submission, nothing queued, nothing corrupt
    r.ctl("source", "stream", "legacy", "--default", "transactional", check=True)
    assert send(e, ["ida@example.org"], "newsletter", subject="promo") == (250, "")
    ev = events_of(r, "suppressed", rcpt="ida@example.org")
    assert ev and ev[0]["detail"]["at"] == "submission"
    acc = [a for a in events_of(r, "accepted", n=2) if a["msg"] == ev[0]["msg"]]
    assert acc and acc[0]["detail"]["rcpts"] == 0 and acc[0]["detail"]["suppressed"] == 1
    time.sleep(0.5)
    assert len(e.mx_host.messages) == 1
    assert r.wait_unspooled() == [] and "corrupt" not in r.log()


def test_the_list_survives_a_restart(uenv):
    """the filter in front of the store is rebuilt from it at start"""
    e, r = uenv, uenv.relay
    r.ctl("suppression", "add", "max@example.org", check=True)
    r.ctl("suppression", "add", "@gone.example", check=True)
    r.stop()
    r.start()
    assert "suppression list loaded addresses=2" in r.log()
    assert send(e, ["max@example.org"], "newsletter") == (250, "")
    assert send(e, ["someone@gone.example"]) == (250, "")
    assert events_of(r, "suppressed", rcpt="max@example.org")
    assert events_of(r, "suppressed", rcpt="someone@gone.example")
    assert send(e, ["nina@example.org"]) == (250, "")
    e.mx_host.wait(1)
