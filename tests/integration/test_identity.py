"""
Sender identity: every source sends only as the identities it was approved
for (SECURITY.md, "Identity"). The envelope sender is checked at MAIL FROM
(553 5.7.1), the header From: after the data (550 5.7.1); every refusal is
an event with the source and the reason.
"""
import base64
import sqlite3
import time

import pytest

from conftest import message


@pytest.fixture
def idrelay(relay):
    """A password source approved for (bounce@example.com, news@example.com) and
    *@billing.example.com, with ceo@example.com denied."""
    relay.ensure_domain("example.com")
    relay.ensure_domain("billing.example.com")
    pw = relay.add_source("app", identities=(("bounce@example.com", "news@example.com"),
                                             "*@billing.example.com"))
    relay.ctl("source", "deny", "app", "ceo@example.com", check=True)
    return relay, ("app", pw)


def raw_session(relay, login):
    r = relay.raw()
    r.reply()
    r.cmd("EHLO client.test")
    r.cmd("STARTTLS")
    r.starttls()
    r.cmd("EHLO client.test")
    cred = base64.b64encode(f"\0{login[0]}\0{login[1]}".encode()).decode()
    assert r.cmd("AUTH PLAIN " + cred)[0] == 235
    return r


def send_data(r, sender, data):
    code, text = r.cmd(f"MAIL FROM:<{sender}>")
    if code != 250:
        return code, text
    assert r.cmd("RCPT TO:<user@example.org>")[0] == 250
    assert r.cmd("DATA")[0] == 354
    r.send(data.encode() + b".\r\n")
    return r.reply()


def with_from(value, extra=""):
    return (f"From: {value}\r\nTo: user@example.org\r\nSubject: t\r\n{extra}\r\nbody\r\n")


ENVELOPE_CASES = [
    ("ceo@example.com", "denied to source app"),              # deny rule
    ("someone@example.com", "not an approved identity"),      # no rule
    ("x@billing.example.com.evil.example", "not an approved identity"),
    ("x@evilbilling.example.com", "not an approved identity"),
    ("", "not an approved identity"),                         # the null sender
]


@pytest.mark.parametrize("sender,words", ENVELOPE_CASES)
def test_envelope_sender_is_checked_at_mail_from(idrelay, sender, words):
    relay, login = idrelay
    r = raw_session(relay, login)
    code, text = r.cmd(f"MAIL FROM:<{sender}>")
    assert code == 553 and text.startswith("553 5.7.1 "), text
    assert words in text
    relay.assert_nothing_accepted()


FROM_CASES = [
    # (envelope, header section, words in the reply)
    ("bounce@example.com", with_from("other@example.com"), "not an approved identity"),
    ("bounce@example.com", with_from("ceo@example.com"), "denied"),
    ("a@billing.example.com", with_from("news@example.com"), "not an approved identity"),
    ("bounce@example.com", with_from("news@example.com", "From: news@example.com\r\n"),
     "2 From: fields"),
    ("bounce@example.com", "To: user@example.org\r\nSubject: t\r\n\r\nbody\r\n",
     "no From: field"),
    ("bounce@example.com", with_from("news@example.com, ceo@example.com"), "From: field"),
    ("bounce@example.com", with_from("Team: news@example.com, ceo@example.com;"),
     "From: field"),
    ("bounce@example.com", with_from("undisclosed-recipients:;"), "From: field"),
    ("bounce@example.com", with_from('"ceo@example.com" <news@example.com>'), "From: field"),
    ("bounce@example.com", with_from("ceo@example.com <news@example.com>"), "From: field"),
    ("bounce@example.com", with_from("news@example.com (ceo@example.com)"), "From: field"),
    ("bounce@example.com", with_from("=?utf-8?b?" +
                                     base64.b64encode(b"ceo@example.com").decode() +
                                     "?= <news@example.com>"), "From: field"),
    ("bounce@example.com", with_from("=?utf-8?q?ceo=40example.com?= <news@example.com>"),
     "From: field"),
    # a full-width '@' spelled in Shift_JIS and in ISO-2022-JP: caught once decoded
    ("bounce@example.com", with_from("ceo=?shift_jis?b?gZc=?=example.com <news@example.com>"),
     "From: field"),
    ("bounce@example.com", with_from("=?iso-2022-jp?b?GyRCIXcbKEI=?= <news@example.com>"),
     "From: field"),
    ("bounce@example.com", with_from("=?utf-16be?b?/yA=?= <news@example.com>"), "From: field"),
    ("bounce@example.com", with_from("<@relay.example:news@example.com>"), "From: field"),
    ("bounce@example.com", with_from("news@[192.0.2.1]"), "From: field"),
    ("bounce@example.com", with_from("=?utf-8?b?bmV3cw==?=@example.com"), "From: field"),
    ("bounce@example.com", with_from("news@example.com\r\n\tsecond@example.com"),
     "From: field"),
    # Sender: (who mail readers show sent it on the author's behalf) is held to the
    # same identities as From:
    ("bounce@example.com", with_from("news@example.com", "Sender: ceo@example.com\r\n"),
     "Sender: field: "),
    ("bounce@example.com", with_from("news@example.com", "Sender: other@example.com\r\n"),
     "not an approved identity"),
    ("bounce@example.com", with_from("news@example.com", "Sender: news@example.com\r\n"
                                     "Sender: news@example.com\r\n"), "2 Sender: fields"),
    ("bounce@example.com", with_from("news@example.com", "Sender: a@x.example, b@y.example\r\n"),
     "Sender: field"),
    ("bounce@example.com", with_from("news@example.com",
                                     "Sender: =?utf-8?q?ceo=40example.com?= <news@example.com>\r\n"),
     "Sender: field"),
]


@pytest.mark.parametrize("sender,data,words", FROM_CASES)
def test_header_from_is_checked_after_the_data(idrelay, sender, data, words):
    relay, login = idrelay
    r = raw_session(relay, login)
    code, text = send_data(r, sender, data)
    assert code == 550 and text.startswith("550 5.7.1 "), text
    assert words in text, text
    # the session goes on: the next transaction is accepted
    code, text = send_data(r, "bounce@example.com", with_from("News <news@example.com>"))
    assert code == 250, text
    relay.wait_captured(1)


def test_an_approved_sender_field_is_accepted_and_signed(idrelay):
    relay, login = idrelay
    r = raw_session(relay, login)
    code, text = send_data(r, "bounce@example.com",
                           with_from("News <news@example.com>", "Sender: news@example.com\r\n"))
    assert code == 250, text
    [eml] = relay.wait_captured(1)
    data = eml.read_bytes()
    assert b"Sender: news@example.com" in data
    sig = data.split(b"DKIM-Signature:")[1].split(b"\r\n\r\n")[0]
    assert b"sender" in sig.lower().replace(b"\r\n\t", b"").replace(b" ", b"")


def test_approved_pairs_and_patterns_are_accepted(idrelay):
    relay, login = idrelay
    s = relay.smtp(login=login)
    s.sendmail("bounce@example.com", ["user@example.org"],
               message(headers={"From": '"News" <news@example.com>'}))
    s.sendmail("invoices@billing.example.com", ["user@example.org"],
               message(headers={"From": "Billing <INVOICES@Billing.Example.com>"}))
    # a Japanese display name in ISO-2022-JP (ESC octets) and in Shift_JIS ('@' trail octet)
    s.sendmail("bounce@example.com", ["user@example.org"],
               message(headers={"From": "=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <news@example.com>"}))
    s.sendmail("bounce@example.com", ["user@example.org"],
               message(headers={"From": "=?shift_jis?b?g0CDQA==?= <news@example.com>"}))
    s.quit()
    relay.wait_captured(4)


def test_a_source_without_identities_sends_as_nobody(relay):
    pw = relay.add_source("bare", identities=())
    r = raw_session(relay, ("bare", pw))
    code, text = r.cmd("MAIL FROM:<app@example.com>")
    assert (code, text[:9]) == (553, "553 5.7.1")
    out = relay.ctl("source", "show", "bare").stdout
    assert "identities:  none" in out


def test_from_domain_without_key_is_refused_naming_it(relay):
    pw = relay.add_source("app", identities=("*@example.com", "*@nokey.example"))
    r = raw_session(relay, ("app", pw))
    code, text = send_data(r, "a@nokey.example", with_from("a@nokey.example"))
    assert code == 550 and text.startswith("550 5.7.1 ")
    assert "nokey.example" in text and "domain add" in text
    relay.assert_nothing_accepted()


def test_rejections_are_events(idrelay):
    relay, login = idrelay
    r = raw_session(relay, login)
    r.cmd("MAIL FROM:<ceo@example.com>")
    send_data(r, "bounce@example.com", with_from("other@example.com"))
    r.cmd("QUIT")
    deadline = time.time() + 10
    rows = []
    while time.time() < deadline:
        db = sqlite3.connect(str(relay.state / "postern.db"))
        rows = db.execute("SELECT source, sender, dsn, detail FROM events WHERE type = "
                          "'rejected' ORDER BY id").fetchall()
        db.close()
        if len(rows) >= 2:
            break
        time.sleep(0.2)
    assert len(rows) == 2, rows
    assert rows[0][:3] == ("app", "ceo@example.com", "5.7.1")
    assert "denied" in rows[0][3]
    assert rows[1][:3] == ("app", "bounce@example.com", "5.7.1")
    assert "other@example.com" in rows[1][3]


def test_identity_cli(relay):
    relay.add_source("app", identities=())
    ok = relay.ctl("source", "allow", "app", "Example.COM")
    assert ok.returncode == 0, ok.stderr
    show = relay.ctl_json("source", "show", "app")["source"]
    assert show["identities"] == [{"action": "allow", "envelope": "*@example.com",
                                   "from": "*@example.com"}]
    assert relay.ctl("source", "allow", "app", "example.com").returncode == 1  # exists
    for bad in ("*@*", "*@*.com", "a b@example.com", "@example.com", "user@", "x@exa*mple.com"):
        r = relay.ctl("source", "allow", "app", bad)
        assert r.returncode == 1, bad
        assert "pattern" in r.stderr, r.stderr
    r = relay.ctl("source", "allow", "app", "<>")  # needs a From pattern: the client's mistake
    assert r.returncode == 1 and "needs a From: pattern" in r.stderr, r.stderr
    assert "(invalid_identity)" in r.stderr, r.stderr
    assert relay.ctl("source", "allow", "app", "<>", "*@example.com").returncode == 0
    assert relay.ctl("source", "allow", "app", "example.com", "--remove").returncode == 0
    assert relay.ctl("source", "allow", "app", "example.com", "--remove").returncode == 1
    assert relay.ctl("source", "deny", "app").returncode == 2
    show = relay.ctl_json("source", "show", "app")["source"]
    assert show["identities"] == [{"action": "allow", "envelope": "<>",
                                   "from": "*@example.com"}]
    # rules survive a restart
    relay.stop()
    relay.start()
    show = relay.ctl_json("source", "show", "app")["source"]
    assert len(show["identities"]) == 1
