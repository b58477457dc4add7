"""
Sources, complete: several credentials each (SMTP passwords and API keys) with
expiry, last use, rotation and revocation; per-source limits (message rates,
recipients, size, connections at once) with counters that survive a restart;
and the audit log of every administrative change.
"""
import smtplib
import time

import pytest

from conftest import message


def login_ok(relay, user, pw):
    try:
        with relay.smtp(login=(user, pw)):
            return True
    except smtplib.SMTPAuthenticationError as e:
        assert e.smtp_code == 535, e
        return False


def send_smtp(relay, user, pw, rcpts=("user@example.org",), msg=None, **kw):
    with relay.smtp(login=(user, pw)) as s:
        return s.sendmail("app@example.com", list(rcpts), msg or message(), **kw)


SEND = {"from": "app@example.com", "to": "user@example.org", "subject": "s", "text": "t"}


# -- credentials ---------------------------------------------------------------

def test_several_passwords_each_work_and_record_their_use(make_relay):
    r = make_relay(api={})
    pw1 = r.add_source("app")
    out = r.ctl("source", "credential", "add", "app", "ci", "--expires", "30d", check=True)
    pw2 = out.stdout.split("password:", 1)[1].split()[0]
    assert pw1 != pw2 and len(pw2) == 32
    assert login_ok(r, "app", pw1) and login_ok(r, "app", pw2)
    creds = {c["name"]: c for c in r.ctl_json("source", "credential", "list", "app")["credentials"]}
    assert set(creds) == {"default", "ci"}
    assert creds["ci"]["kind"] == "password" and creds["ci"]["expires_at"] is not None
    assert creds["ci"]["last_used_at"] is not None and creds["default"]["last_used_at"]
    # secrets are never shown again, nor their hashes
    text = r.ctl("--json", "source", "show", "app", check=True).stdout
    assert pw1 not in text and pw2 not in text and "$argon2" not in text


def test_revoke_stops_a_password_at_once_even_when_cached(make_relay):
    r = make_relay()
    pw = r.add_source("app")
    assert login_ok(r, "app", pw)  # now remembered by the verification cache
    r.ctl("source", "credential", "revoke", "app", "default", check=True)
    assert not login_ok(r, "app", pw)
    bad = r.ctl("source", "credential", "revoke", "app", "default")
    assert bad.returncode == 1 and "no credential called default" in bad.stderr


def test_expired_password_and_key_stop_working(make_relay):
    r = make_relay(api={})
    r.add_source("app")
    st, out = r.admin("POST", "/admin/v1/sources/app/credentials",
                      {"name": "short", "expires": "2s"})
    assert st == 201, out
    pw = out["secret"]
    key = r.api_key("app", "shortkey", expires="2s")
    assert login_ok(r, "app", pw)
    assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 202
    time.sleep(2.5)
    assert not login_ok(r, "app", pw)
    st, out, _ = r.http("POST", "/v1/messages", SEND, key=key)
    assert st == 401 and out["error"]["code"] == "unauthorized"
    listed = r.ctl_json("source", "credential", "list", "app")["credentials"]
    assert {c["name"]: c["expired"] for c in listed}["short"] is True


def test_rotate_without_grace_replaces_at_once(make_relay):
    r = make_relay()
    pw = r.add_source("app")
    out = r.ctl_json("source", "credential", "rotate", "app", "default")
    assert out["credential"]["name"] == "default"
    assert not login_ok(r, "app", pw)
    assert login_ok(r, "app", out["secret"])


def test_rotate_with_grace_keeps_the_old_secret_for_a_while(make_relay):
    r = make_relay(api={})
    r.add_source("app")
    key = r.api_key("app", "deploy")
    st, out = r.admin("POST", "/admin/v1/sources/app/credentials/deploy/rotate",
                      {"grace": "2s"})
    assert st == 200, out
    new = out["secret"]
    assert new != key and new.startswith("pk_")
    names = {c["name"] for c in r.ctl_json("source", "credential", "list", "app")["credentials"]}
    assert {"deploy", "deploy.old"} <= names
    assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 202
    assert r.http("POST", "/v1/messages", SEND, key=new)[0] == 202
    time.sleep(2.5)
    assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 401
    assert r.http("POST", "/v1/messages", SEND, key=new)[0] == 202


def test_api_keys_are_not_smtp_passwords(make_relay):
    r = make_relay(api={})
    r.add_source("app")
    key = r.api_key("app")
    assert not login_ok(r, "app", key)


@pytest.mark.parametrize("body,status,code", [
    ({"name": "x y"}, 422, "invalid_name"),
    ({"name": ""}, 422, "invalid_name"),
    ({"name": "a", "kind": "token"}, 422, "invalid_kind"),
    ({"name": "a", "expires": "yesterday"}, 422, "invalid_expires"),
    ({"name": "a", "expires": "2001-01-01T00:00:00Z"}, 422, "invalid_expires"),
    ({"name": "a", "expires": 5}, 422, "invalid_expires"),
    ({"name": "default"}, 409, "exists"),
    ({"name": "a", "secret": "chosen"}, 400, "bad_request"),
    ({}, 400, "bad_request"),
])
def test_credential_bad_input(make_relay, body, status, code):
    r = make_relay()
    r.add_source("app")
    st, out = r.admin("POST", "/admin/v1/sources/app/credentials", body)
    assert (st, out["error"]["code"]) == (status, code), out


def test_credential_count_is_bounded(make_relay):
    r = make_relay()
    r.add_source("app")
    for i in range(15):
        assert r.admin("POST", "/admin/v1/sources/app/credentials",
                       {"name": f"k{i}", "kind": "api_key"})[0] == 201
    st, out = r.admin("POST", "/admin/v1/sources/app/credentials",
                      {"name": "one-too-many", "kind": "api_key"})
    assert st == 422 and out["error"]["code"] == "too_many_credentials"


def test_ip_source_may_have_keys_not_passwords(make_relay):
    r = make_relay()
    r.add_source("printer", "--ip", "127.0.0.1/32")
    st, out = r.admin("POST", "/admin/v1/sources/printer/credentials", {"name": "pw"})
    assert st == 409 and out["error"]["code"] == "wrong_auth"
    assert r.admin("POST", "/admin/v1/sources/printer/credentials",
                   {"name": "k", "kind": "api_key"})[0] == 201


# -- limits ----------------------------------------------------------------------

def test_limits_set_show_and_clear(make_relay):
    r = make_relay()
    r.add_source("app")
    r.ctl("source", "limits", "app", "--per-minute", "5", "--max-size", "1M",
          "--max-connections", "3", check=True)
    lim = r.ctl_json("source", "show", "app")["source"]["limits"]
    assert lim == {"per_minute": 5, "per_hour": None, "per_day": None,
                   "max_recipients": None, "max_size": 1048576, "max_connections": 3}
    r.ctl("source", "limits", "app", "--per-minute", "none", check=True)
    assert r.ctl_json("source", "show", "app")["source"]["limits"]["per_minute"] is None
    text = r.ctl("source", "limits", "app", check=True).stdout
    assert "octets per message" in text and "1048576" in text
    for bad in (["--per-minute", "-1"], ["--max-size", "lots"], ["--bogus", "1"]):
        out = r.ctl("source", "limits", "app", *bad)
        assert out.returncode in (1, 2), out


def test_rate_limit_per_minute_smtp(make_relay):
    r = make_relay()
    pw = r.add_source("app")
    r.ctl("source", "limits", "app", "--per-minute", "2", check=True)
    with r.smtp(login=("app", pw)) as s:
        for _ in range(2):
            s.sendmail("app@example.com", ["user@example.org"], message())
        code, text = s.mail("app@example.com")
        assert code == 451
        text = text.decode()
        assert text.startswith("4.7.1 limit of 2 messages per minute of source app reached")
        assert "try again in" in text
    r.wait_captured(2)
    time.sleep(0.3)
    assert len(r.captured()) == 2
    ev = r.ctl_json("log", "search", "--status", "rejected", "--source", "app")["events"]
    assert ev and ev[0]["reason"] == "per_minute" and ev[0]["dsn"] == "4.7.1"


def test_rate_limit_per_hour_api_429_with_retry_after(make_relay):
    r = make_relay(api={})
    r.add_source("app")
    key = r.api_key("app")
    r.ctl("source", "limits", "app", "--per-hour", "1", check=True)
    assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 202
    st, out, h = r.http("POST", "/v1/messages", SEND, key=key)
    assert st == 429 and out["error"]["code"] == "limit_exceeded"
    assert "messages per hour" in out["error"]["message"]
    assert int(h["Retry-After"]) > 1


def test_rate_counts_smtp_and_api_together(make_relay):
    r = make_relay(api={})
    pw = r.add_source("app")
    key = r.api_key("app")
    r.ctl("source", "limits", "app", "--per-day", "2", check=True)
    assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 202
    send_smtp(r, "app", pw)
    with pytest.raises(smtplib.SMTPSenderRefused) as e:
        send_smtp(r, "app", pw)
    assert e.value.smtp_code == 451 and b"messages per day" in e.value.smtp_error


def test_counters_survive_a_restart(make_relay):
    r = make_relay()
    pw = r.add_source("app")
    r.ctl("source", "limits", "app", "--per-day", "2", check=True)
    send_smtp(r, "app", pw)
    time.sleep(1.5)  # counters are written every second
    r.stop()
    r.start()
    send_smtp(r, "app", pw)
    with pytest.raises(smtplib.SMTPSenderRefused) as e:
        send_smtp(r, "app", pw)
    assert e.value.smtp_code == 451
    used = r.ctl_json("source", "show", "app")["source"]["usage"]["per_day"]
    assert used == 2


def test_recipient_limit(make_relay):
    r = make_relay()
    pw = r.add_source("app")
    r.ctl("source", "limits", "app", "--max-recipients", "2", check=True)
    with r.smtp(login=("app", pw)) as s:
        s.mail("app@example.com")
        assert s.rcpt("a@example.org")[0] == 250
        assert s.rcpt("b@example.org")[0] == 250
        code, text = s.rcpt("c@example.org")
        assert code == 451 and b"4.7.1 limit of 2 recipients per message of source app" in text
        code, _ = s.data(message())
        assert code == 250
    [eml] = r.wait_captured(1)
    assert r.envelope(eml)["rcpt_to"] == ["a@example.org", "b@example.org"]


def test_size_limit_declared_and_actual(make_relay):
    r = make_relay()
    pw = r.add_source("app")
    r.ctl("source", "limits", "app", "--max-size", "2000", check=True)
    big = message(body="x" * 70 + "\r\n") * 1 + ("y" * 70 + "\r\n") * 40
    with r.smtp(login=("app", pw)) as s:
        code, text = s.mail("app@example.com", ["SIZE=5000"])
        assert code == 451 and b"octets per message" in text
        s.rset()
        s.mail("app@example.com")
        s.rcpt("user@example.org")
        code, text = s.data(big)
        assert code == 451 and b"4.7.1 limit of 2000 octets per message" in text
    r.assert_nothing_accepted()


def test_connection_limit_password_source(make_relay):
    r = make_relay()
    pw = r.add_source("app")
    r.ctl("source", "limits", "app", "--max-connections", "1", check=True)
    first = r.smtp(login=("app", pw))
    try:
        with pytest.raises(smtplib.SMTPResponseException) as e:
            r.smtp(login=("app", pw))
        assert e.value.smtp_code == 451
        assert b"limit of 1 connections at once of source app" in e.value.smtp_error
    finally:
        first.quit()
    time.sleep(0.2)
    with r.smtp(login=("app", pw)):
        pass


def test_connection_limit_ip_source_at_the_greeting(make_relay):
    r = make_relay()
    r.add_source("legacy", "--ip", "127.0.0.1/32")
    r.ctl("source", "limits", "legacy", "--max-connections", "1", check=True)
    a = r.raw()
    assert a.reply()[0] == 220
    b = r.raw()
    code, text = b.reply()
    assert code == 421 and "4.7.1" in text and "connections at once" in text
    assert b.closed()
    a.close()
    b.close()


# -- the audit log -------------------------------------------------------------

def test_every_change_is_audited_with_who_what_when(make_relay):
    r = make_relay()
    r.add_source("app")
    r.ctl("source", "limits", "app", "--per-hour", "10", check=True)
    r.ctl("source", "suspend", "app", check=True)
    r.ctl("source", "resume", "app", check=True)
    r.ctl("source", "show", "app", check=True)  # a read: not audited
    bad = r.ctl("source", "limits", "app", "--per-hour", "-5")
    assert bad.returncode != 0
    rows = r.ctl_json("audit")["audit"]
    targets = [(x["action"], x["target"], x["status"]) for x in rows]
    assert ("PUT", "/admin/v1/sources/app/limits", 200) in targets
    assert ("POST", "/admin/v1/sources/app/suspend", 200) in targets
    assert ("POST", "/admin/v1/sources/app/resume", 200) in targets
    assert ("PUT", "/admin/v1/sources/app/limits", 422) in targets
    assert not any(a == "GET" for a, _, _ in targets)
    assert all(x["actor"].startswith("unix:") for x in rows)
    assert all(x["time"].endswith("Z") for x in rows)
    suspend = next(x for x in rows if x["target"].endswith("/suspend"))
    assert suspend["request"] == {"queued": "hold"}
    # secrets made by a change are never in the audit log
    st, out = r.admin("POST", "/admin/v1/sources/app/credentials", {"name": "k2"})
    assert out["secret"] not in r.ctl("--json", "audit", check=True).stdout
