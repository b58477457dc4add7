"""The "TLS and AUTH" section of SECURITY.md, sent for real."""
import base64
import smtplib
import ssl
import subprocess
import time

import pytest

from conftest import message, tls_client_context


def plain(user, pw):
    return base64.b64encode(f"\0{user}\0{pw}".encode()).decode()


def test_auth_refused_before_tls(app):
    relay, user, pw = app
    r = relay.raw()
    r.reply()
    code, text = r.cmd("EHLO client.test")
    assert "AUTH" not in text
    assert r.cmd("AUTH PLAIN " + plain(user, pw)) == (
        538, "538 5.7.11 Encryption required for requested authentication mechanism")
    assert r.cmd("AUTH LOGIN") [0] == 538
    # and nothing can be sent without it
    code, text = r.cmd("MAIL FROM:<app@example.com>")
    assert (code, text) == (530, "530 5.7.0 Authentication required")
    r.close()


def test_starttls_injection_is_discarded(app):
    """CVE-2011-0411: commands pipelined after STARTTLS must not run inside TLS."""
    relay, user, pw = app
    r = relay.raw()
    r.reply()
    r.cmd("EHLO client.test")
    r.send(b"STARTTLS\r\nAUTH PLAIN " + plain(user, pw).encode() + b"\r\nNOOP\r\n")
    code, text = r.reply()
    assert (code, text) == (220, "220 2.0.0 Ready to start TLS")
    r.starttls()
    # if the injected AUTH or NOOP had been kept, their replies would come first
    code, text = r.cmd("EHLO client.test")
    assert code == 250 and text.startswith("250-relay.test"), text
    code, text = r.cmd("MAIL FROM:<app@example.com>")
    assert (code, text[4:9]) == (530, "5.7.0")
    assert "starttls discarded=" in relay.log()
    r.close()


def test_state_is_reset_after_starttls(app):
    relay, user, pw = app
    r = relay.raw()
    r.reply()
    r.cmd("EHLO client.test")
    assert r.cmd("STARTTLS")[0] == 220
    r.starttls()
    # EHLO again before anything: the pre-TLS EHLO is forgotten
    code, text = r.cmd("AUTH PLAIN " + plain(user, pw))
    assert (code, text[4:9]) == (503, "5.5.1")
    assert r.cmd("EHLO client.test")[0] == 250
    assert r.cmd("AUTH PLAIN " + plain(user, pw))[0] == 235
    # a second STARTTLS is refused
    assert r.cmd("STARTTLS") == (503, "503 5.5.1 TLS already active")
    r.close()


def test_starttls_on_implicit_tls_port_refused(app):
    relay, user, pw = app
    r = relay.raw(tls=True)
    r.reply()
    code, text = r.cmd("EHLO client.test")
    assert "STARTTLS" not in text
    assert r.cmd("STARTTLS")[0] == 503
    r.close()


@pytest.mark.parametrize("flag,ok", [("-tls1", False), ("-tls1_1", False),
                                     ("-tls1_2", True), ("-tls1_3", True)])
def test_tls_versions(relay, flag, ok):
    out = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{relay.tls_port}", flag,
         "-cipher", "DEFAULT:@SECLEVEL=0", "-crlf", "-ign_eof"],
        input="QUIT\n", capture_output=True, text=True, timeout=30)
    assert ("220 relay.test ESMTP" in out.stdout) == ok, out.stdout + out.stderr


def test_no_weak_ciphers_and_no_renegotiation(relay):
    weak = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{relay.tls_port}", "-tls1_2",
         "-cipher", "AES128-SHA:DES-CBC3-SHA:RC4-SHA:NULL-SHA:@SECLEVEL=0"],
        input="QUIT\n", capture_output=True, text=True, timeout=30)
    assert "220 relay.test" not in weak.stdout
    reneg = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{relay.tls_port}", "-tls1_2"],
        input="R\n", capture_output=True, text=True, timeout=30)
    # "R" asks s_client to renegotiate; the server must refuse it
    assert "RENEGOTIATING" in reneg.stderr
    assert "no renegotiation" in reneg.stderr or "alert" in reneg.stderr or \
        reneg.returncode != 0, reneg.stderr


def auth_attempt(relay, user, pw):
    s = relay.smtp()
    s.ehlo()
    code, text = s.docmd("AUTH PLAIN " + plain(user, pw))
    s.close()
    return code, text


def test_wrong_password_and_unknown_user_look_the_same(app):
    relay, user, pw = app
    t0 = time.monotonic()
    wrong = auth_attempt(relay, user, pw + "x")
    t1 = time.monotonic()
    unknown = auth_attempt(relay, "nosuchsource", pw)
    t2 = time.monotonic()
    assert wrong == unknown == (535, b"5.7.8 Authentication credentials invalid")
    # both pay an Argon2id verification: neither is answered at once
    tw, tu = t1 - t0, t2 - t1
    assert tu > 0.3 * tw and tw > 0.3 * tu, (tw, tu)
    assert auth_attempt(relay, user, pw)[0] == 235


def test_failures_per_session_close_it(app):
    relay, user, pw = app
    r = relay.raw(tls=True)
    r.reply()
    r.cmd("EHLO client.test")
    assert r.cmd("AUTH PLAIN " + plain(user, "bad1"))[0] == 535
    assert r.cmd("AUTH PLAIN " + plain(user, "bad2"))[0] == 535
    code, text = r.cmd("AUTH PLAIN " + plain(user, "bad3"))
    assert (code, text) == (421, "421 4.7.0 Too many authentication failures; closing")
    assert r.closed()


def test_throttle_per_client_address(make_relay):
    relay = make_relay(smtp={"auth_ip_max_failures": "3", "auth_account_max_failures": "100"})
    pw = relay.add_source("app")
    for name in ("x1", "x2", "x3"):
        assert auth_attempt(relay, name, "nope")[0] == 535
    # now even the right password is refused from this address, with a 454
    assert auth_attempt(relay, "app", pw) == (
        454, b"4.7.0 Too many authentication failures; try again later")


def test_throttle_per_account_name(make_relay):
    relay = make_relay(smtp={"auth_ip_max_failures": "100", "auth_account_max_failures": "2",
                             "auth_max_failures": "10"})
    pw = relay.add_source("app")
    for _ in range(2):
        assert auth_attempt(relay, "app", "nope")[0] == 535
        assert auth_attempt(relay, "ghost", "nope")[0] == 535
    # the known and the unknown name are throttled alike
    assert auth_attempt(relay, "app", pw)[0] == 454
    assert auth_attempt(relay, "ghost", "nope")[0] == 454
    # another account is not affected
    pw2 = relay.add_source("other")
    assert auth_attempt(relay, "other", pw2)[0] == 235


@pytest.mark.parametrize("line,expect", [
    ("AUTH CRAM-MD5", (504, "5.5.4")),
    ("AUTH PLAIN !!!!", (501, "5.5.2")),
    ("AUTH PLAIN " + base64.b64encode(b"only-one-field").decode(), (501, "5.5.2")),
    ("AUTH PLAIN " + base64.b64encode(b"other\0app\0pw").decode(), (501, "5.5.2")),
    ("AUTH PLAIN =", (501, "5.5.2")),
    ("AUTH PLAIN " + "A" * 3000, (500, "5.5.2")),
])
def test_bad_auth_exchanges(app, line, expect):
    relay, user, pw = app
    r = relay.raw(tls=True)
    r.reply()
    r.cmd("EHLO client.test")
    code, text = r.cmd(line)
    assert (code, text[4:9]) == expect, text
    r.close()


def test_auth_cancel_and_continuation(app):
    relay, user, pw = app
    r = relay.raw(tls=True)
    r.reply()
    r.cmd("EHLO client.test")
    assert r.cmd("AUTH PLAIN") == (334, "334 ")
    assert r.cmd("*") == (501, "501 5.0.0 Authentication cancelled")
    assert r.cmd("AUTH LOGIN") == (334, "334 VXNlcm5hbWU6")
    assert r.cmd(base64.b64encode(user.encode()).decode()) == (334, "334 UGFzc3dvcmQ6")
    assert r.cmd(base64.b64encode(pw.encode()).decode())[0] == 235
    assert r.cmd("AUTH PLAIN " + plain(user, pw)) == (503, "503 5.5.1 Already authenticated")
    r.close()


def test_suspended_source_refused_at_auth_and_mid_session(app):
    relay, user, pw = app
    s = relay.smtp(login=(user, pw))
    assert relay.ctl("source", "suspend", user).returncode == 0
    # an open session is refused at its next command
    code, text = s.docmd("MAIL FROM:<app@example.com>")
    assert (code, text) == (554, b"5.7.1 Source suspended; closing")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        s.noop()
    # a new session cannot authenticate
    assert auth_attempt(relay, user, pw) == (535, b"5.7.8 Authentication credentials invalid")
    relay.ctl("source", "resume", user, check=True)
    assert auth_attempt(relay, user, pw)[0] == 235
    relay.assert_nothing_accepted()


def test_suspend_during_data_refuses_the_message(app):
    relay, user, pw = app
    s = relay.smtp(login=(user, pw))
    s.mail("app@example.com")
    s.rcpt("user@example.org")
    assert s.docmd("DATA")[0] == 354
    relay.ctl("source", "suspend", user, check=True)
    s.send(message().encode() + b".\r\n")
    code, text = s.getreply()
    # the message that was in flight when the switch was thrown is not accepted
    assert (code, text) == (554, b"5.7.1 Source suspended; closing")
    relay.assert_nothing_accepted()


def test_password_source_locked_to_networks(make_relay):
    relay = make_relay()
    pw = relay.add_source("remote", "--allow-ip", "10.0.0.0/8")
    assert auth_attempt(relay, "remote", pw)[0] == 535
    relay.ctl("source", "networks", "remote", "127.0.0.0/8", check=True)
    assert auth_attempt(relay, "remote", pw)[0] == 235


def test_ip_source_needs_no_auth_but_is_named(legacy):
    s = smtplib.SMTP("127.0.0.1", legacy.port, local_hostname="client.test")
    s.sendmail("app@example.com", ["user@example.org"], message())
    s.quit()
    [eml] = legacy.wait_captured(1)
    assert legacy.envelope(eml)["source"] == "legacy"
    head = eml.read_bytes().split(b"\r\n\r\n")[0]
    assert b"with ESMTP id" in head and b"(source=legacy)" in head


def test_password_change_takes_effect(app):
    relay, user, pw = app
    assert auth_attempt(relay, user, pw)[0] == 235  # now cached
    out = relay.ctl_json("source", "passwd", user)
    assert auth_attempt(relay, user, pw)[0] == 535
    assert auth_attempt(relay, user, out["password"])[0] == 235


def test_parallel_guesses_are_throttled_as_they_arrive(make_relay):
    """A burst of simultaneous guesses cannot outrun the per-account limit."""
    import threading
    relay = make_relay(smtp={"auth_account_max_failures": "5", "auth_ip_max_failures": "1000",
                             "max_connections_per_ip": "100", "auth_threads": "1"})
    relay.add_source("app")
    results, lock = [], threading.Lock()
    sessions = []
    for _ in range(25):
        r = relay.raw(tls=True)
        r.reply()
        r.cmd("EHLO client.test")
        sessions.append(r)
    barrier = threading.Barrier(len(sessions))

    def guess(r, i):
        barrier.wait()
        code, _ = r.cmd("AUTH PLAIN " + plain("app", f"guess{i}"))
        with lock:
            results.append(code)

    threads = [threading.Thread(target=guess, args=(r, i)) for i, r in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(535) <= 5, results
    assert results.count(454) >= 20, results


def burst(relay, n, user, pw):
    """n sessions over implicit TLS send the same AUTH at the same moment"""
    import threading
    sessions = []
    for _ in range(n):
        r = relay.raw(tls=True)
        r.reply()
        r.cmd("EHLO client.test")
        sessions.append(r)
    barrier, results, lock = threading.Barrier(n), [], threading.Lock()

    def login(r):
        barrier.wait()
        code, _ = r.cmd("AUTH PLAIN " + plain(user, pw))
        with lock:
            results.append(code)

    threads = [threading.Thread(target=login, args=(r,)) for r in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in sessions:
        r.close()
    return results


def test_a_pool_logging_in_at_once_is_not_throttled(make_relay):
    """An application opening 16 sessions at once with its right password:
    one verification answers them all, and none is charged a failure (each
    used to be, provisionally, and the 11th got 454)."""
    relay = make_relay(smtp={"max_connections_per_ip": "100", "auth_threads": "1"})
    pw = relay.add_source("app")
    assert burst(relay, 16, "app", pw) == [235] * 16
    relay.ctl("source", "passwd", "app", check=True)  # forgets the cache
    assert burst(relay, 16, "app", "wrong") == [535] * 16
    # the 16 identical guesses were one guess: the account is not throttled
    pw = relay.ctl_json("source", "passwd", "app")["password"]
    assert auth_attempt(relay, "app", pw)[0] == 235


def test_network_change_reaches_open_sessions(make_relay):
    relay = make_relay()
    pw = relay.add_source("remote", "--allow-ip", "127.0.0.0/8")
    s = relay.smtp(login=("remote", pw))
    relay.ctl("source", "networks", "remote", "10.0.0.0/8", check=True)
    code, text = s.docmd("MAIL FROM:<app@example.com>")
    assert (code, text) == (554, b"5.7.1 Client address not allowed for this source")


def test_talking_before_the_banner_on_465(make_relay):
    relay = make_relay(smtp={"banner_delay": "700ms"})
    r = relay.raw(tls=True)
    r.send(b"EHLO client.test\r\n")
    assert r.reply() == (554, "554 5.5.0 Talking before the greeting; closing")
