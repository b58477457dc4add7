"""
SMTP smuggling and the other "Protocol parsing" attacks of SECURITY.md, sent
as raw bytes. Each must get its exact reply, end the session where the rule
says so, and leave nothing queued or delivered.
"""
import base64
import time

import pytest

from conftest import RawSMTP, free_port, message

HEAD = b"From: app@example.com\r\nTo: user@example.org\r\nSubject: s\r\n\r\n"


def open_data(relay, tls=False, auth=None, r=None, sender="app@example.com",
              rcpt="user@example.org"):
    """a session of r (the relay's submission port by default) in DATA"""
    r = r or relay.raw(tls=tls)
    assert r.reply()[0] == 220
    assert r.cmd("EHLO client.test")[0] == 250
    if auth:
        plain = base64.b64encode(f"\0{auth[0]}\0{auth[1]}".encode()).decode()
        assert r.cmd("AUTH PLAIN " + plain)[0] == 235
    assert r.cmd(f"MAIL FROM:<{sender}>")[0] == 250
    assert r.cmd(f"RCPT TO:<{rcpt}>")[0] == 250
    assert r.cmd("DATA")[0] == 354
    return r


# Every end-of-data variant that some MTA has accepted: none may end DATA,
# and a smuggled second message after it must never be queued.
SMUGGLED = b"MAIL FROM:<ceo@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nevil\r\n.\r\n"
VARIANTS = [
    ("lf-dot-lf", b"\n.\n"),
    ("lf-dot-crlf", b"\n.\r\n"),
    ("crlf-dot-lf", b"\r\n.\n"),
    ("cr-dot-cr", b"\r.\r"),
    ("cr-dot-crlf", b"\r.\r\n"),
    ("crlf-dot-cr", b"\r\n.\r"),
    ("crlf-dot-cr-lf-sep", b"\r\n.\r\r\n"),
    ("bare-lf-in-body", b"line one\nline two\r\n.\r\n"),
    ("bare-cr-in-body", b"line one\rline two\r\n.\r\n"),
    ("nul-dot", b"\r\n\x00.\r\n"),
]


@pytest.mark.parametrize("name,terminator", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_end_of_data_variants(legacy, name, terminator):
    r = open_data(legacy)
    r.send(HEAD + b"body" + terminator + SMUGGLED + b"QUIT\r\n")
    code, text = r.reply()
    if name == "nul-dot":
        # NUL is not a line end: DATA goes on to the real terminator (inside the
        # smuggled text), and a message holding NUL is refused whole
        assert (code, text) == (554, "554 5.6.0 NUL octets are not allowed in message content")
        assert r.reply()[0] == 221
        legacy.assert_nothing_accepted()
        return
    assert (code, text) == (500, "500 5.5.2 Bare CR or LF not allowed; lines end with CRLF")
    assert r.closed()
    legacy.assert_nothing_accepted()


def test_smuggling_over_tls_with_auth(app):
    relay, user, pw = app
    r = open_data(relay, tls=True, auth=(user, pw))
    r.send(HEAD + b"body\n.\n" + SMUGGLED)
    code, text = r.reply()
    assert (code, text[4:9]) == (500, "5.5.2")
    assert r.closed()
    relay.assert_nothing_accepted()


def test_proper_end_then_pipelined_message(legacy):
    """The one real terminator ends DATA; what follows is the next command."""
    r = open_data(legacy)
    second = SMUGGLED.replace(b"ceo", b"app").replace(b"evil\r\n", HEAD + b"second\r\n")
    r.send(HEAD + b"first\r\n.\r\n" + second)
    for expect in (250, 250, 250, 354, 250):
        code, text = r.reply()
        assert code == expect, text
    legacy.wait_captured(2)


@pytest.mark.parametrize("line", [
    b"EHLO client.test\n",             # bare LF command
    b"EHLO client.test\r",             # bare CR at the end (then more)
    b"EHLO cli\rent.test\r\n",         # bare CR inside
    b"NOOP\n\r\n",                     # LF then CRLF
])
def test_bare_cr_lf_in_commands(legacy, line):
    r = legacy.raw()
    assert r.reply()[0] == 220
    r.send(line + b"NOOP\r\n")
    code, text = r.reply()
    assert code == 500 and text[4:9] == "5.5.2", text
    assert r.closed()


def test_command_line_too_long(legacy):
    r = legacy.raw()
    r.reply()
    assert r.cmd("EHLO client.test")[0] == 250
    # 510 octets + CRLF = 512: the limit itself is fine
    assert r.cmd("NOOP " + "x" * 505)[0] == 250
    r.send(b"NOOP " + b"x" * 506 + b"\r\nMAIL FROM:<app@example.com>\r\n")
    code, text = r.reply()
    assert (code, text) == (500, "500 5.5.2 Line too long")
    assert r.closed()


def test_command_without_line_end_overflows(legacy):
    r = legacy.raw()
    r.reply()
    r.send(b"EHLO " + b"a" * 4000)
    code, text = r.reply()
    assert (code, text[4:9]) == (500, "5.5.2")
    assert r.closed()


def test_text_line_too_long(legacy):
    # a line over 998 octets is taken and encoded (it is signed as it is sent);
    # only a line past the converter's bound (1 MiB) is refused, and closes
    r = open_data(legacy)
    r.send(HEAD + b"x" * 998 + b"\r\n" + b"y" * 5000 + b"\r\n.\r\n")
    assert r.reply()[0] == 250
    [eml] = legacy.wait_captured(1)
    assert max(len(line) for line in eml.read_bytes().split(b"\r\n")) <= 998
    assert r.cmd("MAIL FROM:<app@example.com>")[0] == 250
    assert r.cmd("RCPT TO:<user@example.org>")[0] == 250
    assert r.cmd("DATA")[0] == 354
    r.send(HEAD + b"y" * (1024 * 1024 - 1) + b"\r\n.\r\n")
    code, text = r.reply()
    assert (code, text) == (500, "500 5.5.2 Line too long")
    assert r.closed()
    assert len(legacy.captured()) == 1


def test_pipelining_before_ehlo(legacy):
    r = legacy.raw()
    r.reply()
    r.send(b"EHLO client.test\r\nMAIL FROM:<app@example.com>\r\n")
    code, text = r.reply()
    assert (code, text) == (554, "554 5.5.0 Pipelining was not negotiated; closing")
    assert r.closed()


def test_pipelining_after_helo(legacy):
    r = legacy.raw()
    r.reply()
    assert r.cmd("HELO client.test")[0] == 250
    r.send(b"MAIL FROM:<app@example.com>\r\nRCPT TO:<user@example.org>\r\n")
    code, text = r.reply()
    assert (code, text[4:9]) == (554, "5.5.0")
    assert r.closed()
    legacy.assert_nothing_accepted()


def test_pipelining_after_ehlo_is_fine(legacy):
    r = legacy.raw()
    r.reply()
    assert r.cmd("EHLO client.test")[0] == 250
    r.send(b"MAIL FROM:<app@example.com>\r\nRCPT TO:<user@example.org>\r\nDATA\r\n")
    assert [r.reply()[0] for _ in range(3)] == [250, 250, 354]
    r.send(message().encode() + b".\r\nQUIT\r\n")
    assert r.reply()[0] == 250
    assert r.reply()[0] == 221
    legacy.wait_captured(1)


def test_talking_before_the_banner(make_relay):
    relay = make_relay(smtp={"banner_delay": "700ms"})
    relay.add_source("legacy", "--ip", "127.0.0.1/32")
    r = relay.raw()
    r.send(b"EHLO client.test\r\n")
    code, text = r.reply()
    assert (code, text) == (554, "554 5.5.0 Talking before the greeting; closing")
    assert r.closed()
    # a patient client is greeted
    r = relay.raw()
    code, text = r.reply()
    assert code == 220 and text.startswith("220 relay.test ESMTP")
    r.close()


@pytest.mark.parametrize("cmd,expect", [
    ("MAIL FROM:<@evil.example:app@example.com>", (501, "5.1.3")),  # source route
    ("MAIL FROM:<a%b@example.com>", (553, "5.1.3")),                 # %-hack
    ("MAIL FROM:<host!user@example.com>", (553, "5.1.3")),           # bang path
    ("MAIL FROM:<\"a%b\"@example.com>", (553, "5.1.3")),             # quoted %-hack
    ("MAIL FROM:app@example.com", (501, "5.1.7")),                   # no brackets
    ("MAIL FROM:<app@example.com", (501, "5.1.7")),                  # unclosed
    ("MAIL FROM:<app@@example.com>", (501, "5.1.7")),
    ("MAIL FROM:<app@example..com>", (501, "5.1.7")),
    ("MAIL FROM:<app@-example.com>", (501, "5.1.7")),
    ("MAIL FROM:<\"unterminated@example.com>", (501, "5.1.7")),
    ("MAIL FROM:<" + "a" * 65 + "@example.com>", (501, "5.1.7")),     # local part > 64
    ("MAIL FROM:<app@" + "a" * 64 + ".com>", (501, "5.1.7")),          # label > 63
    ("MAIL FROM:<app@example.com> SIZE=10 SIZE=10", (501, "5.5.4")),  # duplicate
    ("MAIL FROM:<app@example.com> BODY=BINARYMIME", (555, "5.5.4")),
    ("MAIL FROM:<app@example.com> FOO=bar", (555, "5.5.4")),
    ("MAIL FROM:<app@example.com> SIZE=abc", (501, "5.5.4")),
    ("MAIL FROM:<app@example.com> SIZE=99999999999999999999999", (501, "5.5.4")),
    ("MAIL FROM:<app@example.com> SMTPUTF8=yes", (501, "5.5.4")),
    ("MAIL FROM:<app@example.com> RET=PARTIAL", (501, "5.5.4")),
    ("MAIL FROM:<app@example.com> RET=FULL RET=HDRS", (501, "5.5.4")),
    ("MAIL FROM:<app@example.com> ENVID=a=b", (501, "5.5.4")),
    ("MAIL FROM:<app@example.com> ENVID=" + "x" * 101, (501, "5.5.4")),
    ("MAIL FROM:<app@example.com>SIZE=10", (501, "5.5.4")),           # no space
    ("MAIL FROM:<app@example.com> SIZE=999999999", (552, "5.3.4")),  # above the limit
    ("MAIL TO:<app@example.com>", (501, "5.5.4")),
    ("MAIL", (501, "5.5.4")),
])
def test_hostile_mail_from(legacy, cmd, expect):
    r = legacy.raw()
    r.reply()
    r.cmd("EHLO client.test")
    code, text = r.cmd(cmd)
    assert (code, text[4:9]) == expect, text
    # never a partial accept: the transaction has not started
    code, text = r.cmd("RCPT TO:<user@example.org>")
    assert (code, text[4:9]) == (503, "5.5.1")
    r.close()
    legacy.assert_nothing_accepted()


@pytest.mark.parametrize("cmd,expect", [
    ("RCPT TO:<>", (501, "5.1.3")),
    ("RCPT TO:<postmaster>", (501, "5.1.3")),
    ("RCPT TO:<@relay.example:user@example.org>", (501, "5.1.3")),
    ("RCPT TO:<user%example.org@relay.test>", (553, "5.1.3")),
    ("RCPT TO:<example.org!user@relay.test>", (553, "5.1.3")),
    ("RCPT TO:<user@[999.1.1.1]>", (501, "5.1.3")),
    ("RCPT TO:<user@[tag:foo]>", (501, "5.1.3")),
    ("RCPT TO:<user@example.org> NOTIFY=NEVER,SUCCESS", (501, "5.5.4")),
    ("RCPT TO:<user@example.org> NOTIFY=SOMETIMES", (501, "5.5.4")),
    ("RCPT TO:<user@example.org> ORCPT=no-semicolon", (501, "5.5.4")),
    ("RCPT TO:<user@example.org> FOO", (555, "5.5.4")),
    ("RCPT TO:<us\x01er@example.org>", (500, "5.5.2")),
    ("RCPT FROM:<user@example.org>", (501, "5.5.4")),
])
def test_hostile_rcpt_to(legacy, cmd, expect):
    r = legacy.raw()
    r.reply()
    r.cmd("EHLO client.test")
    assert r.cmd("MAIL FROM:<app@example.com>")[0] == 250
    code, text = r.cmd(cmd)
    assert (code, text[4:9]) == expect, text
    # the refused recipient was not added: DATA still has none
    code, text = r.cmd("DATA")
    assert (code, text[4:9]) == (554, "5.5.1")
    r.close()
    legacy.assert_nothing_accepted()


def test_nul_in_command(legacy):
    r = legacy.raw()
    r.reply()
    r.cmd("EHLO client.test")
    r.send(b"MAIL FROM:<app@exa\x00mple.com>\r\n")
    code, text = r.reply()
    assert (code, text) == (500, "500 5.5.2 Invalid character in command")
    code, text = r.cmd("RCPT TO:<user@example.org>")
    assert code == 503


def test_error_limit_closes_session(make_relay):
    relay = make_relay(smtp={"max_errors": "3"})
    relay.add_source("legacy", "--ip", "127.0.0.1/32")
    r = relay.raw()
    r.reply()
    assert r.cmd("FOO")[0] == 500
    assert r.cmd("BAR")[0] == 500
    r.send(b"BAZ\r\n")
    assert r.reply()[0] == 500
    code, text = r.reply()
    assert (code, text) == (421, "421 4.7.0 Too many errors; closing")
    assert r.closed()


def test_unknown_commands_and_bad_helo(legacy):
    r = legacy.raw()
    r.reply()
    assert r.cmd("EHLOX client.test") == (500, "500 5.5.1 Command unrecognized")
    assert r.cmd("EHLO") == (501, "501 5.5.4 Syntax error in parameters or arguments")
    code, text = r.cmd("EHLO bad host name")
    assert (code, text[4:9]) == (501, "5.5.4")
    code, text = r.cmd("MAIL FROM:<app@example.com>")
    assert (code, text[4:9]) == (503, "5.5.1")  # no EHLO yet
    assert r.cmd("DATA extra")[0] == 501
    r.close()


# -- the same set against the inbound listener (bounces, complaints, unsubscribes)

@pytest.fixture
def inbound(make_relay):
    port = free_port()
    relay = make_relay(extra=("[unsubscribe]\nbase_url = http://127.0.0.1:1\n"
                              "mailto_domain = unsub.example.com\n"
                              f"[inbound]\nlisten = 127.0.0.1:{port}\n"
                              "bounce_domain = bounces.example.com\n"
                              "complaints = fbl@example.com\n"))
    relay.inbound_port = port
    return relay


def inbound_data(relay):
    return open_data(relay, r=RawSMTP(("127.0.0.1", relay.inbound_port), False, 10), sender="",
                     rcpt="postmaster@unsub.example.com")


INBOUND_SMUGGLED = (b"MAIL FROM:<>\r\nRCPT TO:<postmaster@unsub.example.com>\r\nDATA\r\n"
                    b"Subject: smuggled\r\n\r\nevil\r\n.\r\n")


def inbound_messages(relay):
    return relay.log().count("inbound message id=")


@pytest.mark.parametrize("name,terminator", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_end_of_data_variants_inbound(inbound, name, terminator):
    r = inbound_data(inbound)
    # the whole attack in one write, pipelined, as the researchers sent it
    r.send(HEAD + b"body" + terminator + INBOUND_SMUGGLED + b"QUIT\r\n")
    code, text = r.reply()
    if name == "nul-dot":
        assert code == 554 and text[4:9] == "5.6.0", text
    else:
        assert (code, text[4:9]) == (500, "5.5.2"), text
        assert r.closed()
    time.sleep(0.3)
    assert inbound_messages(inbound) == 0, inbound.log()[-2000:]


def test_inbound_proper_end_then_pipelined_message(inbound):
    r = inbound_data(inbound)
    r.send(HEAD + b"first\r\n.\r\n" + INBOUND_SMUGGLED + b"QUIT\r\n")
    for expect in (250, 250, 250, 354, 250, 221):
        code, text = r.reply()
        assert code == expect, text
    deadline = time.time() + 5
    while inbound_messages(inbound) < 2 and time.time() < deadline:
        time.sleep(0.05)
    assert inbound_messages(inbound) == 2
