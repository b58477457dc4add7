"""
DKIM end to end: messages submitted over SMTP, delivered to a fake MX, and
verified by independent verifiers (dkimpy for both algorithms, Perl's
Mail::DKIM for RSA) that fetch the keys from the test DNS server. Keys are
added, checked, published, rotated and removed with posternctl.
"""
import base64
import email
import email.policy
import json
import os
import re
import smtplib
import stat
import time

import pytest

from conftest import message
from dkimcheck import dkimpy_verify, perl_verify, publish, signatures
from test_delivery import Env

SENDER = "app@example.com"


@pytest.fixture
def dk(make_relay, certdir):
    """A relay delivering by MX through the test DNS, with example.com keys published."""
    envs = []

    def make(publish_keys=True, **kw):
        e = Env(make_relay, certdir, **kw)
        envs.append(e)
        e.mx_host = e.mx("127.0.0.2")
        e.domain("example.net", (10, "mx1.example.net", "127.0.0.2"))
        if publish_keys:
            publish(e.relay, e.dns.zone, "example.com")
        return e

    yield make
    for e in envs:
        try:
            e.relay.stop()
        finally:
            e.stop()


def deliver(e, msg, sender=SENDER, rcpt="user@example.net", **kw):
    before = len(e.mx_host.messages)
    e.send([rcpt], sender=sender, msg=msg, **kw)
    return e.mx_host.wait(before + 1)[-1].data


def assert_verifies(e, raw, domain="example.com"):
    sigs = signatures(raw)
    assert [s["a"] for s in sigs] == ["rsa-sha256", "ed25519-sha256"], sigs
    for s in sigs:
        assert s["c"] == "relaxed/relaxed"
        assert s["d"] == domain
        assert "t" in s and "l" not in s
    assert dkimpy_verify(raw, e.dns.address) == [("rsa-sha256", True),
                                                  ("ed25519-sha256", True)]
    perl = perl_verify(raw, e.dns.port)
    assert perl[0][:2] == ("rsa-sha256", "pass"), perl


def assert_seven_bit(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    assert all(b < 0x80 for b in body), "8-bit octets left in the body"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_signed_twice_and_both_verify(dk):
    e = dk()
    raw = deliver(e, message())
    assert_verifies(e, raw)
    rsa, ed = signatures(raw)
    # over-signed: every listed field once more than present
    h = rsa["h"].lower().split(":")
    for name in ("from", "to", "subject", "date", "message-id"):
        assert h.count(name) == 2, h
    for name in ("cc", "reply-to", "mime-version", "content-type",
                 "content-transfer-encoding", "list-unsubscribe", "list-unsubscribe-post"):
        assert h.count(name) >= 1, (name, h)
    assert rsa["s"].endswith("-rsa") and ed["s"].endswith("-ed25519")
    assert "x" not in rsa


BODIES = {
    "7bit": ({}, "Plain text.\r\nSecond line.\r\n"),
    "8bit": ({"Content-Type": "text/plain; charset=utf-8",
              "Content-Transfer-Encoding": "8bit", "MIME-Version": "1.0"},
             "Grüße aus Köln — naïve café.\r\nZweite Zeile: äöü ß.\r\n"),
    "8bit-undeclared": ({}, "Ünicode without any MIME header at all.\r\n"),
    "long-line": ({}, "x" * 3000 + "\r\nshort\r\n" + "y " * 800 + "\r\n"),
    "trailing-whitespace": ({}, "line with spaces   \r\nline with tab\t\r\n\r\n\r\n\r\n"),
    "empty": ({}, ""),
}


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_bodies_verify_and_are_sent_7bit(dk, kind):
    e = dk()
    headers, body = BODIES[kind]
    msg = message(body=body, headers=headers).encode()
    opts = ["BODY=8BITMIME"] if kind.startswith("8bit") else []
    raw = deliver(e, msg, mail_options=opts)
    assert_verifies(e, raw)
    assert_seven_bit(raw)
    got = email.message_from_bytes(raw, policy=email.policy.default)
    text = got.get_payload(decode=True).decode("utf-8") if body else ""
    # what the reader sees is what was written (trailing white space of QP aside)
    if kind in ("8bit", "8bit-undeclared", "7bit", "long-line"):
        assert text.replace("\r\n", "\n") == body.replace("\r\n", "\n")


def test_multipart_with_8bit_text_and_binary_attachment(dk):
    e = dk()
    attachment = bytes(range(256)) * 8
    body = ("--b1\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "Hällo wörld\r\n"
            "--b1\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n"
            "<p>plain 7-bit html</p>\r\n"
            "--b1\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: binary\r\n\r\n").encode()
    body += attachment.replace(b"\r", b"R").replace(b"\n", b"N").replace(b"\0", b"Z")
    body += b"\r\n--b1--\r\n"
    head = message(body="", headers={"MIME-Version": "1.0",
                                     "Content-Type": 'multipart/mixed; boundary="b1"'})
    raw = deliver(e, head.encode() + body, mail_options=["BODY=8BITMIME"])
    assert_verifies(e, raw)
    assert_seven_bit(raw)
    got = email.message_from_bytes(raw, policy=email.policy.default)
    parts = list(got.iter_parts())
    assert parts[0].get_content().strip() == "Hällo wörld"
    assert parts[0]["Content-Transfer-Encoding"] == "quoted-printable"
    assert "<p>plain 7-bit html</p>" in parts[1].get_content()
    assert parts[2]["Content-Transfer-Encoding"] == "base64"
    assert parts[2].get_payload(decode=True) == attachment.replace(b"\r", b"R").replace(
        b"\n", b"N").replace(b"\0", b"Z")


def test_header_added_after_signing_breaks_both_signatures(dk):
    e = dk()
    raw = deliver(e, message())
    head, sep, body = raw.partition(b"\r\n\r\n")
    for added in (b"Cc: attacker@example.org\r\n", b"Subject: changed\r\n",
                  b"List-Unsubscribe: <https://evil.example/u>\r\n",
                  b"Reply-To: attacker@example.org\r\n"):
        tampered = head + b"\r\n" + added.rstrip(b"\r\n") + sep + body
        assert dkimpy_verify(tampered, e.dns.address) == [("rsa-sha256", False),
                                                          ("ed25519-sha256", False)], added
        assert perl_verify(tampered, e.dns.port)[0][1] == "fail", added
    changed_body = head + sep + body.replace(b"Hello", b"Hullo")
    assert dkimpy_verify(changed_body, e.dns.address) == [("rsa-sha256", False),
                                                          ("ed25519-sha256", False)]


def test_expiry_tag_when_configured(dk):
    e = dk(extra="[dkim]\nexpire = 2d\n")
    raw = deliver(e, message())
    for s in signatures(raw):
        assert int(s["x"]) - int(s["t"]) == 2 * 86400
    assert_verifies(e, raw)


def test_owned_headers_are_never_taken_from_the_source(dk):
    e = dk()
    msg = message(headers={
        "DKIM-Signature": "v=1; a=rsa-sha256; d=evil.example; s=x; b=AAAA; bh=AAAA; h=from",
        "Received": "from fake.example by spoof.example",
        "Return-Path": "<bounce@evil.example>",
        "List-Unsubscribe": "<https://evil.example/u>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    })
    raw = deliver(e, msg)
    assert b"evil.example" not in raw
    assert b"spoof.example" not in raw
    assert len(re.findall(rb"(?mi)^Received:", raw)) == 1
    assert_verifies(e, raw)


def test_key_signs_only_once_published_then_rotates(dk):
    e = dk()
    r = e.relay
    r.ctl("source", "allow", "legacy", "*@example.net", check=True)
    out = r.ctl("domain", "add", "example.net")
    assert out.returncode == 0, out.stderr
    assert "v=DKIM1; k=rsa; p=" in out.stdout and "v=DKIM1; k=ed25519; p=" in out.stdout
    assert "v=spf1" in out.stdout and "v=DMARC1; p=none" in out.stdout
    assert "_domainkey.example.net" in out.stdout
    msg = message(headers={"From": "news@example.net"})
    with pytest.raises(smtplib.SMTPDataError) as ex:
        e.send(["user@example.net"], sender="news@example.net", msg=msg)
    assert ex.value.smtp_code == 550
    assert b"5.7.1" in ex.value.smtp_error and b"example.net" in ex.value.smtp_error
    # nothing published yet: missing, exit 1
    chk = r.ctl("domain", "check", "example.net")
    assert chk.returncode == 1, chk.stdout + chk.stderr
    assert "missing" in chk.stdout
    publish(r, e.dns.zone, "example.net")
    chk = r.ctl_json("domain", "check", "example.net")
    states = {c["selector"]: c["key_state"] for c in chk["checks"] if c["kind"] == "dkim"}
    assert sorted(states.values()) == ["active", "active"], chk
    raw = deliver(e, msg, sender="news@example.net")
    assert_verifies(e, raw, domain="example.net")
    first = {s["a"]: s["s"] for s in signatures(raw)}
    # rotate: a new pair, pending; mail still signed with the old one
    rot = r.ctl_json("domain", "rotate", "example.net")["domain"]
    pending = [k["selector"] for k in rot["keys"] if k["state"] == "pending"]
    assert len(pending) == 2
    raw = deliver(e, msg, sender="news@example.net")
    assert {s["a"]: s["s"] for s in signatures(raw)} == first
    # a second rotation before the first completes is refused
    again = r.ctl("domain", "rotate", "example.net")
    assert again.returncode == 1 and "pending" in again.stderr
    publish(r, e.dns.zone, "example.net")
    r.ctl_json("domain", "check", "example.net")
    d = r.ctl_json("domain", "show", "example.net")["domain"]
    by_sel = {k["selector"]: k for k in d["keys"]}
    for sel in pending:
        assert by_sel[sel]["state"] == "active"
    for sel in first.values():
        assert by_sel[sel]["state"] == "retiring"
        assert "remove_record_after" in by_sel[sel]
    shown = r.ctl("domain", "show", "example.net").stdout
    assert "keep its record until" in shown
    raw = deliver(e, msg, sender="news@example.net")
    assert sorted(s["s"] for s in signatures(raw)) == sorted(pending)
    assert_verifies(e, raw, domain="example.net")


def test_domain_check_says_what_differs(dk):
    e = dk()
    r = e.relay
    r.ctl("domain", "add", "example.net", check=True)
    d = r.ctl_json("domain", "show", "example.net")["domain"]
    rsa = next(k for k in d["keys"] if k["algorithm"] == "rsa-sha256")
    e.dns.zone.txt(rsa["record_name"], "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A")
    e.dns.zone.txt("example.net", "v=spf1 ip4:198.51.100.7 -all")
    res = r.ctl("--json", "domain", "check", "example.net")
    assert res.returncode == 1  # not everything is published as expected
    out = json.loads(res.stdout)
    by_kind = {}
    for c in out["checks"]:
        by_kind.setdefault(c["kind"], []).append(c)
    statuses = {c["selector"]: c["status"] for c in by_kind["dkim"]}
    assert statuses[rsa["selector"]] == "different"
    assert sorted(statuses.values()) == ["different", "missing"]
    assert by_kind["spf"][0]["status"] == "different"
    assert by_kind["dmarc"][0]["status"] == "missing"
    assert by_kind["dmarc"][0]["expected"].startswith("v=DMARC1; p=none")
    assert out["ok"] is False
    text = r.ctl("domain", "check", "example.net").stdout
    assert "expected:" in text and "found:" in text


def test_keys_are_private_files_and_survive_a_restart(dk):
    e = dk()
    r = e.relay
    keydir = r.state / "keys" / "example.com"
    files = sorted(keydir.iterdir())
    assert len(files) == 2
    assert stat.S_IMODE(os.stat(keydir).st_mode) == 0o700
    for f in files:
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
        pem = f.read_text()
        assert "PRIVATE KEY" in pem
        body = "".join(pem.strip().splitlines()[1:-1])
        assert body not in r.log()
        assert body not in r.ctl("--json", "domain", "show", "example.com").stdout
    r.stop()
    r.start()
    raw = deliver(e, message())
    assert_verifies(e, raw)


def test_key_files_open_to_others_are_refused_and_never_overwritten(dk):
    e = dk()
    r = e.relay
    keydir = r.state / "keys" / "example.com"
    rsa = next(f for f in keydir.iterdir() if f.name.endswith("-rsa.pem"))
    r.stop()
    os.chmod(rsa, 0o644)
    r.start()
    # the key is shown unusable, the log says why, and its mail waits (451: the operator
    # fixes the file), never sent with one signature or none
    assert "is open to others (mode 644): chmod 600 it" in r.log()
    assert "UNREADABLE" in r.ctl("domain", "show", "example.com").stdout
    with pytest.raises(smtplib.SMTPDataError) as ex:
        e.send(["user@example.net"], msg=message())
    assert ex.value.smtp_code == 451, ex.value
    assert ex.value.smtp_error.startswith(b"4.3.0 the rsa-sha256 key "), ex.value
    assert b"no usable private key file" in ex.value.smtp_error
    r.stop()
    os.chmod(rsa, 0o600)
    # a directory opened to others is closed again when keys are written
    os.chmod(keydir, 0o755)
    r.start()
    assert_verifies(e, deliver(e, message()))
    # the day's 26 selectors: 25 rotations after the add, then a clear refusal,
    # and the active keys' files are left alone
    for _ in range(25):
        r.ctl("domain", "rotate", "example.com", "--force", check=True)
    assert stat.S_IMODE(os.stat(keydir).st_mode) == 0o700
    active = {f.name: f.read_bytes() for f in keydir.iterdir()}
    out = r.ctl("domain", "rotate", "example.com", "--force")
    assert out.returncode == 1 and "no selector left for today" in out.stderr, out.stderr
    assert {f.name: f.read_bytes() for f in keydir.iterdir()} == active
    keys = r.ctl_json("domain", "show", "example.com")["domain"]["keys"]
    assert sum(k["state"] == "active" and k["usable"] for k in keys) == 2
    r.stop()
    r.start()
    keys = r.ctl_json("domain", "show", "example.com")["domain"]["keys"]
    assert sum(k["state"] == "active" and k["usable"] for k in keys) == 2


def test_remove_domain_refuses_its_mail(dk):
    e = dk()
    r = e.relay
    out = r.ctl("domain", "list")
    assert "example.com" in out.stdout
    r.ctl("domain", "remove", "example.com", check=True)
    assert not (r.state / "keys" / "example.com").exists()
    with pytest.raises(smtplib.SMTPDataError) as ex:
        e.send(["user@example.net"], msg=message())
    assert ex.value.smtp_code == 550 and b"example.com" in ex.value.smtp_error
    assert r.ctl("domain", "show", "example.com").returncode == 1


def test_parent_domain_signs_subdomains_when_configured(dk):
    e = dk()
    r = e.relay
    r.ctl("source", "allow", "legacy", "*@*.example.org", check=True)
    r.ctl("domain", "add", "example.org", "--force", check=True)
    publish(r, e.dns.zone, "example.org")
    msg = message(headers={"From": "alerts@mail.example.org"})
    with pytest.raises(smtplib.SMTPDataError) as ex:
        e.send(["user@example.net"], sender="alerts@mail.example.org", msg=msg)
    assert ex.value.smtp_code == 550 and b"mail.example.org" in ex.value.smtp_error
    r.ctl("domain", "set", "example.org", "--subdomains", "on", check=True)
    raw = deliver(e, msg, sender="alerts@mail.example.org")
    assert_verifies(e, raw, domain="example.org")


def test_domain_cli_errors(dk):
    e = dk()
    r = e.relay
    bad = r.ctl("domain", "add", "not a domain")
    assert bad.returncode == 1 and "not a domain name" in bad.stderr
    dup = r.ctl("domain", "add", "example.com")
    assert dup.returncode == 1 and "exists" in dup.stderr
    assert r.ctl("domain", "show", "nosuch.example").returncode == 1
    assert r.ctl("domain", "frobnicate").returncode == 2
    assert r.ctl("domain", "add").returncode == 2
