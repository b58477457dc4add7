"""
The HTTP send API: POST /v1/messages with an API key, every field, every
error code, injection attempts through every field, oversize and deeply
nested bodies, wrong/revoked/expired keys, Idempotency-Key; the delivered
message checked at a fake MX and verified with dkimpy; GET /v1/messages/ID.
"""
import base64
import email
import email.policy
import http.client
import os
import shutil
import subprocess
import time

import pytest

from dkimcheck import dkimpy_verify, publish
from test_delivery import Env

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
SEND = {"from": "app@example.com", "to": "user@example.org", "subject": "s", "text": "t"}


@pytest.fixture
def mx_api(make_relay, certdir):
    """A relay with the send API, delivering by MX, example.com keys published."""
    envs = []

    def make(**kw):
        kw.setdefault("api", {})
        e = Env(make_relay, certdir, **kw)
        envs.append(e)
        e.mx_host = e.mx("127.0.0.2")
        for d in ("example.net", "example.org"):
            e.domain(d, (10, f"mx1.{d}", "127.0.0.2"))
        e.relay.add_source("app")
        publish(e.relay, e.dns.zone, "example.com")
        e.key = e.relay.api_key("app")
        return e

    yield make
    for e in envs:
        try:
            e.relay.stop()
        finally:
            e.stop()


@pytest.fixture
def api(make_relay):
    """(relay, key): a relay with the send API delivering into its capture directory."""
    r = make_relay(api={})
    r.add_source("app")
    return r, r.api_key("app")


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_every_field_delivered_signed_and_verified(mx_api):
    e = mx_api()
    body = {
        "from": {"email": "app@example.com", "name": "Zoë from Billing"},
        "to": ["Ann <ann@example.net>", {"email": "bob@example.net", "name": "Bob, Jr."}],
        "cc": "carol@example.org",
        "bcc": ["hidden@example.net"],
        "reply_to": "support@example.com",
        "subject": "Ihre Rechnung – Nr. 42 ✓",
        "text": "Hello Ann,\nyour invoice is attached.\n",
        "html": "<p>Hello <b>Ann</b>, your invoice is attached.</p>",
        "headers": {"X-Campaign": "autumn-42", "In-Reply-To": "<order-1@example.com>"},
        "attachments": [{"filename": "Rechnung März.pdf", "content_type": "application/pdf",
                         "content": base64.b64encode(PDF).decode()}],
        "stream": "transactional",
        "metadata": {"order": "42", "customer_id": 7},
    }
    st, out, _ = e.relay.http("POST", "/v1/messages", body, key=e.key)
    assert st == 202, out
    assert out["status"] == "queued" and out["recipients"] == 4 and len(out["id"]) == 16
    # two destinations (example.net, example.org): two transactions
    both = e.mx_host.wait(2)
    assert {g.mail_from for g in both} == {"app@example.com"}
    assert sorted(sum((g.rcpts for g in both), [])) == [
        "ann@example.net", "bob@example.net", "carol@example.org", "hidden@example.net"]
    got = next(g for g in both if "ann@example.net" in g.rcpts)
    raw = got.data
    assert dkimpy_verify(raw, e.dns.address) == [("rsa-sha256", True),
                                                  ("ed25519-sha256", True)]
    assert all(b < 0x80 for b in raw) and max(len(x) for x in raw.split(b"\r\n")) <= 998
    m = parse(raw)
    assert m["Subject"] == body["subject"]
    assert m["From"].addresses[0].display_name == "Zoë from Billing"
    assert [a.addr_spec for a in m["To"].addresses] == ["ann@example.net", "bob@example.net"]
    assert m["To"].addresses[1].display_name == "Bob, Jr."
    assert m["Cc"].addresses[0].addr_spec == "carol@example.org"
    assert m["Reply-To"].addresses[0].addr_spec == "support@example.com"
    assert m["Bcc"] is None and b"hidden@" not in raw
    assert m["X-Campaign"] == "autumn-42" and m["In-Reply-To"] == "<order-1@example.com>"
    assert m["Message-ID"] and m["Date"] and "with HTTP" in m["Received"]
    assert m.get_content_type() == "multipart/mixed"
    alt, att = m.get_payload()
    assert alt.get_content_type() == "multipart/alternative"
    text, html = alt.get_payload()
    assert text.get_content().replace("\r\n", "\n") == body["text"]
    assert "<b>Ann</b>" in html.get_content()
    assert att.get_filename() == "Rechnung März.pdf"
    assert att.get_content_type() == "application/pdf" and att.get_content() == PDF
    # the message's own status, with the metadata kept with its events
    deadline = time.time() + 10
    while time.time() < deadline:
        st, status, _ = e.relay.http("GET", f"/v1/messages/{out['id']}", key=e.key)
        if status.get("status") == "delivered":
            break
        time.sleep(0.2)
    assert st == 200 and status["status"] == "delivered", status
    assert status["metadata"] == {"order": "42", "customer_id": 7}
    assert set(status["recipients"].values()) == {"delivered"}
    types = [ev["type"] for ev in status["events"]]
    assert types[:2] == ["accepted", "signed"] and types.count("delivered") == 4
    acc = status["events"][0]["detail"]
    assert acc["door"] == "api" and acc["stream"] == "transactional"


def test_raw_message(mx_api):
    e = mx_api()
    raw = (b"From: App <app@example.com>\nTo: user@example.net\nSubject: raw one\n"
           b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
           b"Gr\xc3\xbc\xc3\x9fe\n")
    st, out, _ = e.relay.http("POST", "/v1/messages",
                              {"raw": base64.b64encode(raw).decode(), "to": "user@example.net"},
                              key=e.key)
    assert st == 202, out
    [got] = e.mx_host.wait(1)
    assert got.mail_from == "app@example.com" and got.rcpts == ["user@example.net"]
    assert dkimpy_verify(got.data, e.dns.address) == [("rsa-sha256", True),
                                                       ("ed25519-sha256", True)]
    m = parse(got.data)
    assert m["Subject"] == "raw one" and m.get_content().strip() == "Grüße"


def test_get_status_only_for_its_own_source(api):
    r, key = api
    r.add_source("other")
    other = r.api_key("other", "o1")
    st, out, _ = r.http("POST", "/v1/messages", SEND, key=key)
    assert st == 202
    assert r.http("GET", f"/v1/messages/{out['id']}", key=key)[0] == 200
    st, err, _ = r.http("GET", f"/v1/messages/{out['id']}", key=other)
    assert st == 404 and err["error"]["code"] == "not_found"
    assert r.http("GET", "/v1/messages/ffffffffffffffff", key=key)[0] == 404
    assert r.http("GET", "/v1/messages/not-an-id", key=key)[0] == 404
    assert r.http("GET", f"/v1/messages/{out['id']}")[0] == 401


# -- authentication --------------------------------------------------------------

@pytest.mark.parametrize("auth", [
    None, "Bearer", "Bearer ", "Basic YXBwOnB3", "Bearer pk_nope",
    "Bearer pk_AAAAAAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
])
def test_bad_keys_get_401(api, auth):
    r, key = api
    h = {"Authorization": auth} if auth is not None else {}
    st, out, hdrs = r.http("POST", "/v1/messages", SEND, headers=h)
    assert st == 401 and out["error"]["code"] == "unauthorized"
    assert hdrs.get("WWW-Authenticate", "").startswith("Bearer")
    r.assert_nothing_accepted()


def test_a_key_with_one_wrong_character_is_refused(api):
    r, key = api
    wrong = key[:-1] + ("a" if key[-1] != "a" else "b")
    assert r.http("POST", "/v1/messages", SEND, key=wrong)[0] == 401
    assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 202


def test_revoked_key_is_refused_at_once(api):
    r, key = api
    assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 202
    r.ctl("source", "credential", "revoke", "app", "key1", check=True)
    assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 401


def test_failed_keys_are_throttled_per_address(make_relay):
    r = make_relay(api={}, smtp={"auth_ip_max_failures": "3"})
    r.add_source("app")
    key = r.api_key("app")
    for _ in range(3):
        assert r.http("POST", "/v1/messages", SEND, key="pk_x")[0] == 401
    st, out, h = r.http("POST", "/v1/messages", SEND, key=key)
    assert st == 429 and out["error"]["code"] == "throttled" and "Retry-After" in h


def test_address_allow_list(make_relay):
    r = make_relay(api={})
    r.add_source("app", "--allow-ip", "192.0.2.0/24")
    key = r.api_key("app")
    st, out, _ = r.http("POST", "/v1/messages", SEND, key=key)
    assert st == 403 and out["error"]["code"] == "address_not_allowed"


# -- every error code ---------------------------------------------------------------

BAD = [
    # (body, status, code)
    ("not json", 400, "bad_json"),
    ("[1, 2]", 400, "bad_json"),
    ('{"from": "app@example.com", "from": "x@example.com"}', 400, "bad_json"),
    ({**SEND, "colour": "red"}, 400, "unknown_field"),
    ({**SEND, "subject": 5}, 400, "bad_field"),
    ({**SEND, "to": {"name": "no email"}}, 400, "bad_field"),
    ('{"metadata": ' + "[" * 17 + "]" * 17 + "}", 400, "too_deep"),
    ({k: v for k, v in SEND.items() if k != "from"}, 422, "missing_from"),
    ({k: v for k, v in SEND.items() if k != "to"}, 422, "no_recipients"),
    ({"from": "app@example.com", "to": "u@example.org"}, 422, "no_content"),
    ({**SEND, "to": "bob@@example.org"}, 422, "invalid_address"),
    ({**SEND, "to": "bob%relay@example.org"}, 422, "invalid_address"),
    ({**SEND, "to": "@a,@b:bob@example.org"}, 422, "invalid_address"),
    ({**SEND, "to": ["u@example.org"] * 101}, 422, "too_many_recipients"),
    ({**SEND, "raw": base64.b64encode(b"From: app@example.com\r\n\r\nx").decode()}, 422,
     "raw_exclusive"),
    ({"raw": "!!!not base64", "to": "u@example.org"}, 422, "invalid_raw"),
    ({**SEND, "headers": {"Bcc": "x@example.org"}}, 422, "invalid_header"),
    ({**SEND, "headers": {"DKIM-Signature": "v=1"}}, 422, "invalid_header"),
    ({**SEND, "headers": {"Bad Name": "v"}}, 422, "invalid_header"),
    ({**SEND, "attachments": [{"filename": "a", "content": "***"}]}, 422,
     "invalid_attachment"),
    ({**SEND, "attachments": [{"filename": "a", "content_type": "text",
                               "content": "YQ=="}]}, 422, "invalid_attachment"),
    ({**SEND, "from": "ceo@example.net"}, 403, "identity_not_allowed"),
]


@pytest.mark.parametrize("body,status,code", BAD)
def test_bad_requests(api, body, status, code):
    r, key = api
    if isinstance(body, str):
        st, out, _ = r.http("POST", "/v1/messages", key=key, raw=body.encode(),
                            headers={"Content-Type": "application/json"})
    else:
        st, out, _ = r.http("POST", "/v1/messages", body, key=key)
    assert (st, out["error"]["code"]) == (status, code), out
    assert out["error"]["message"]
    r.assert_nothing_accepted()


def test_wrong_content_type_415_and_method_405(api):
    r, key = api
    st, out, _ = r.http("POST", "/v1/messages", key=key, raw=b"from=x",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 415 and out["error"]["code"] == "unsupported_media_type"
    st, out, _ = r.http("GET", "/v1/messages", key=key)
    assert st == 405
    st, out, _ = r.http("GET", "/admin/v1/sources", key=key)
    assert st == 404  # the admin API is never reachable through the send door


def test_sizes_413(make_relay):
    r = make_relay(api={"max_body": "64k"}, smtp={"max_message_size": "20k"})
    r.add_source("app")
    key = r.api_key("app")
    st, out, _ = r.http("POST", "/v1/messages", {**SEND, "text": "x" * 30000}, key=key)
    assert st == 413 and out["error"]["code"] == "too_large"
    st, _, _ = r.http("POST", "/v1/messages", {**SEND, "text": "x" * 100000}, key=key)
    assert st == 413
    r.assert_nothing_accepted()


def test_no_signing_key_422(api):
    r, key = api
    r.ctl("source", "allow", "app", "*@nokeys.example", check=True)
    st, out, _ = r.http("POST", "/v1/messages", {**SEND, "from": "a@nokeys.example"}, key=key)
    assert st == 422 and out["error"]["code"] == "no_signing_key"
    assert "nokeys.example" in out["error"]["message"]


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
def test_storage_failure_503_never_202(make_relay):
    r = make_relay(api={}, extra="[spool]\nsync = file\n")
    r.add_source("app")
    key = r.api_key("app")
    r.stop()
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=0"
    r.logf = open(r.log_path, "ab")
    r.proc = subprocess.Popen(
        ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync",
         "-e", "inject=fsync:error=EIO", "--", *r.proc_cmd()],
        stdout=r.logf, stderr=r.logf, env=env)
    r.wait_ready()
    st, out, _ = r.http("POST", "/v1/messages", SEND, key=key)
    assert st == 503 and out["error"]["code"] == "unavailable", out
    assert r.spooled() == []
    child = subprocess.run(["pgrep", "-P", str(r.proc.pid), "posternd"],
                           capture_output=True, text=True).stdout.split()
    os.kill(int(child[0]), 15)
    r.proc.wait(timeout=30)
    r.proc = None
    r.logf.close()


# -- injection through every field ------------------------------------------------

EVIL = ["a\r\nBcc: victim@example.org", "a\nX-Injected: 1", "a\rb", "a\u0000b",
        "a\u2028b", "a\u2029b", "a\u0085b", "a\x0bb"]
FIELDS = [
    lambda v: {**SEND, "from": {"email": "app@example.com", "name": v}},
    lambda v: {**SEND, "to": {"email": "user@example.org", "name": v}},
    lambda v: {**SEND, "cc": [{"email": "c@example.org", "name": v}]},
    lambda v: {**SEND, "reply_to": {"email": "r@example.com", "name": v}},
    lambda v: {**SEND, "subject": v},
    lambda v: {**SEND, "headers": {"X-Tag": v}},
    lambda v: {**SEND, "headers": {v: "x"}},
    lambda v: {**SEND, "attachments": [{"filename": v, "content": "YQ=="}]},
    lambda v: {**SEND, "attachments": [{"filename": "a.txt", "content_type": v,
                                        "content": "YQ=="}]},
    lambda v: {**SEND, "attachments": [{"filename": "a.png", "content_id": v,
                                        "content": "YQ=="}]},
    lambda v: {**SEND, "stream": v},
    lambda v: {**SEND, "metadata": {v: "x"}},
    lambda v: {**SEND, "to": "user" + v + "@example.org"},
    lambda v: {**SEND, "from": "app" + v + "@example.com"},
]


@pytest.mark.parametrize("field", range(len(FIELDS)))
def test_injection_is_refused_in_every_field(api, field):
    r, key = api
    for v in EVIL:
        st, out, _ = r.http("POST", "/v1/messages", FIELDS[field](v), key=key)
        assert st in (400, 422), (field, repr(v), st, out)
    r.assert_nothing_accepted()


def test_encoded_words_are_shown_literally_not_decoded(api):
    r, key = api
    tricky = "=?utf-8?q?x=0D=0ABcc:_victim@example.org?="
    st, out, _ = r.http("POST", "/v1/messages",
                        {**SEND, "subject": tricky,
                         "to": {"email": "user@example.org", "name": tricky}}, key=key)
    assert st == 202, out
    [eml] = r.wait_captured(1)
    raw = eml.read_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in head and b"\r\nX-Injected" not in head
    m = parse(raw)
    assert m["Subject"] == tricky
    assert m["Bcc"] is None


def test_metadata_in_the_events_never_in_the_message(api):
    r, key = api
    st, out, _ = r.http("POST", "/v1/messages", {**SEND, "metadata": {"secret_ref": "r-99"}},
                        key=key)
    assert st == 202
    [eml] = r.wait_captured(1)
    assert b"r-99" not in eml.read_bytes()
    ev = r.ctl_json("log", "search", "--id", out["id"], "--status", "accepted")["events"]
    assert ev[0]["detail"]["metadata"] == {"secret_ref": "r-99"}


# -- idempotency -------------------------------------------------------------------------

def test_idempotency_key_replays_the_first_answer(api):
    r, key = api
    h = {"Idempotency-Key": "order-42-receipt"}
    st1, out1, _ = r.http("POST", "/v1/messages", SEND, key=key, headers=h)
    st2, out2, h2 = r.http("POST", "/v1/messages", SEND, key=key, headers=h)
    assert (st1, st2) == (202, 202) and out1["id"] == out2["id"]
    assert h2.get("Idempotent-Replayed") == "true"
    st3, out3, _ = r.http("POST", "/v1/messages", {**SEND, "subject": "other"}, key=key,
                          headers=h)
    assert st3 == 409 and out3["error"]["code"] == "idempotency_mismatch"
    # kept across a restart
    r.stop()
    r.start()
    st4, out4, _ = r.http("POST", "/v1/messages", SEND, key=key, headers=h)
    assert st4 == 202 and out4["id"] == out1["id"]
    time.sleep(0.5)
    assert len(r.captured()) == 1
    # another key, or no key, sends anew
    assert r.http("POST", "/v1/messages", SEND, key=key,
                  headers={"Idempotency-Key": "another"})[1]["id"] != out1["id"]


def test_idempotency_keys_are_per_source_and_validated(api):
    r, key = api
    r.add_source("other")
    other = r.api_key("other", "o")
    h = {"Idempotency-Key": "same"}
    a = r.http("POST", "/v1/messages", SEND, key=key, headers=h)[1]["id"]
    b = r.http("POST", "/v1/messages", SEND, key=other, headers=h)[1]["id"]
    assert a != b
    st, out, _ = r.http("POST", "/v1/messages", SEND, key=key,
                        headers={"Idempotency-Key": "x" * 300})
    assert st == 400 and out["error"]["code"] == "bad_idempotency_key"


def test_idempotent_refusals_are_kept_too(api):
    r, key = api
    h = {"Idempotency-Key": "bad-one"}
    body = {**SEND, "to": "nobody@@example.org"}
    assert r.http("POST", "/v1/messages", body, key=key, headers=h)[0] == 422
    st, out, hd = r.http("POST", "/v1/messages", body, key=key, headers=h)
    assert st == 422 and hd.get("Idempotent-Replayed") == "true"


# -- HTTPS -----------------------------------------------------------------------

def test_send_over_https(make_relay):
    import ssl
    r = make_relay(api={"listen": ""})
    # a second config key for TLS: a port of its own
    r.stop()
    from conftest import free_port
    port = free_port()
    text = r.conf.read_text().replace("[api]\nlisten = \n", f"[api]\nlisten_tls = 127.0.0.1:{port}\n")
    r.conf.write_text(text)
    r.start()
    r.add_source("app")
    key = r.api_key("app")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    import json as _json
    conn.request("POST", "/v1/messages", body=_json.dumps(SEND),
                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 202, resp.read()
    conn.close()
    [eml] = r.wait_captured(1)
    assert b"with HTTPS" in eml.read_bytes()
