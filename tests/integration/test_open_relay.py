"""Nothing unauthenticated is ever relayed, whatever the address form."""
import pytest

from conftest import message

FORMS = [
    "<user@example.org>",
    "<user%example.org@relay.test>",
    "<@relay.test:user@example.org>",
    "<\"user@example.org\"@relay.test>",
    "<user@[127.0.0.1]>",
    "<postmaster@relay.test>",
    "<example.org!user>",
]


@pytest.mark.parametrize("rcpt", FORMS)
def test_no_relay_without_auth_plaintext(relay, rcpt):
    r = relay.raw()
    r.reply()
    r.cmd("EHLO client.test")
    assert r.cmd("MAIL FROM:<someone@example.com>") == (530, "530 5.7.0 Authentication required")
    code, text = r.cmd(f"RCPT TO:{rcpt}")
    assert (code, text[4:9]) in ((503, "5.5.1"), (501, "5.1.3"), (553, "5.1.3"))
    code, text = r.cmd("DATA")
    assert code == 503
    r.send(message() + ".\r\n")
    r.close()
    relay.assert_nothing_accepted()


def test_no_relay_without_auth_over_tls(relay):
    r = relay.raw(tls=True)
    r.reply()
    r.cmd("EHLO client.test")
    assert r.cmd("MAIL FROM:<someone@example.com>")[0] == 530
    assert r.cmd("MAIL FROM:<>")[0] == 530
    r.send(b"BDAT 5 LAST\r\nhello")
    assert r.reply()[0] == 503
    relay.assert_nothing_accepted()


def test_ip_source_does_not_cover_other_addresses(make_relay):
    relay = make_relay()
    relay.add_source("elsewhere", "--ip", "10.1.2.0/24")
    r = relay.raw()
    r.reply()
    r.cmd("EHLO client.test")
    assert r.cmd("MAIL FROM:<someone@example.com>")[0] == 530
    relay.assert_nothing_accepted()


def test_suspended_ip_source_is_refused(make_relay):
    relay = make_relay()
    relay.add_source("legacy", "--ip", "127.0.0.1/32")
    relay.ctl("source", "suspend", "legacy", check=True)
    r = relay.raw()
    # refused at once: the greeting itself says so, and the connection closes
    assert r.reply() == (554, "554 5.7.1 Source suspended; closing")
    assert r.closed()
    relay.assert_nothing_accepted()
