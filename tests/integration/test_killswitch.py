"""
The kill switch: posternctl source suspend NAME [--hold-queued|--drop-queued].
Within a second new connections and requests are refused, open sessions at
their next command, and the source's queued mail is held (released again on
resume) or dropped with events; nothing of it is delivered after the switch.
"""
import smtplib
import time

import pytest

from conftest import message
from test_delivery import env  # noqa: F401  (the fixture)

SEND = {"from": "app@example.com", "to": "user@example.org", "subject": "s", "text": "t"}


def test_suspend_refuses_an_open_session_at_its_next_command(make_relay):
    r = make_relay(api={})
    pw = r.add_source("app")
    key = r.api_key("app")
    s = r.smtp(login=("app", pw))
    s.mail("app@example.com")
    t0 = time.time()
    r.ctl("source", "suspend", "app", check=True)
    took = time.time() - t0
    code, text = s.rcpt("user@example.org")
    assert (code, text[:5]) == (554, b"5.7.1"), (code, text)
    assert took < 1.0
    # new sessions: AUTH fails like a wrong password; the API says why
    with pytest.raises(smtplib.SMTPAuthenticationError):
        r.smtp(login=("app", pw))
    st, out, _ = r.http("POST", "/v1/messages", SEND, key=key)
    assert st == 403 and out["error"]["code"] == "source_suspended"
    r.assert_nothing_accepted()
    r.ctl("source", "resume", "app", check=True)
    assert r.http("POST", "/v1/messages", SEND, key=key)[0] == 202


def test_suspend_refuses_an_address_locked_source_at_connect(make_relay):
    r = make_relay()
    r.add_source("legacy", "--ip", "127.0.0.1/32")
    r.ctl("source", "suspend", "legacy", check=True)
    c = r.raw()
    code, text = c.reply()
    assert code == 554 and "5.7.1" in text and c.closed()
    c.close()


def test_message_in_flight_when_suspended_is_refused(make_relay):
    r = make_relay()
    pw = r.add_source("app")
    with r.smtp(login=("app", pw)) as s:
        s.mail("app@example.com")
        s.rcpt("user@example.org")
        s.putcmd("data")
        assert s.getreply()[0] == 354
        s.send(message().encode())
        r.ctl("source", "suspend", "app", check=True)
        s.send(b".\r\n")
        code, text = s.getreply()
        assert code == 554 and b"5.7.1" in text
    r.assert_nothing_accepted()


def backlog(env, n=30, delay=0.05):
    """n messages of source app queued towards a slow MX (one connection)"""
    e = env(delivery={"destination_concurrency": "1", "messages_per_connection": "1000",
                      "connection_reuse_time": "5s"},
            queue={"retry_min": "1s", "retry_max": "1s"})
    mx = e.mx("127.0.0.41")
    mx.delay = delay
    e.domain("slow.example.net", (10, "mx.slow.example.net", "127.0.0.41"))
    pw = e.relay.add_source("app")
    with e.relay.smtp(login=("app", pw)) as s:
        for i in range(n):
            s.sendmail("app@example.com", [f"r{i}@slow.example.net"], message(subject=f"m{i}"))
    return e, mx


def test_suspend_during_a_backlog_holds_within_a_second_and_resume_releases(env):
    e, mx = backlog(env)
    mx.wait(3)
    t0 = time.time()
    e.relay.ctl("source", "suspend", "app", "--hold-queued", check=True)
    switched = time.time()
    assert switched - t0 < 1.0
    time.sleep(2.5)
    got = len(mx.messages)
    assert got < 30, "the whole backlog went out despite the switch"
    # a transaction already on the wire may finish; nothing starts after the switch
    late = [m for m in mx.messages if m.at > switched + 0.5]
    assert late == [], f"{len(late)} messages delivered after the switch"
    q = e.relay.ctl_json("queue", "list", "--limit", "100")
    states = {m["state"] for m in q["messages"]}
    assert q["total"] == 30 - got and states == {"held"}, q
    held = e.relay.ctl_json("log", "search", "--status", "held", "--source", "app",
                            "--limit", "100")["events"]
    assert len(held) == 30 - got
    assert all(ev["detail"] == {"by": "suspension"} for ev in held)
    # held ones stay held across a restart, and resume releases them
    e.relay.stop()
    e.relay.start()
    time.sleep(1.5)
    assert len(mx.messages) == got
    e.relay.ctl("source", "resume", "app", check=True)
    mx.wait(30, timeout=30)
    assert e.relay.ctl_json("queue", "list")["total"] == 0


def test_suspend_with_drop_deletes_the_backlog_with_events(env):
    e, mx = backlog(env)
    mx.wait(2)
    e.relay.ctl("source", "suspend", "app", "--drop-queued", check=True)
    switched = time.time()
    deadline = time.time() + 5
    while e.relay.ctl_json("queue", "list")["total"] and time.time() < deadline:
        time.sleep(0.1)
    assert e.relay.ctl_json("queue", "list")["total"] == 0
    got = len(mx.messages)
    dropped = e.relay.ctl_json("log", "search", "--status", "dropped", "--limit", "100")["events"]
    assert len(dropped) == 30 - got
    assert {ev["source"] for ev in dropped} == {"app"}
    e.relay.ctl("source", "resume", "app", check=True)
    time.sleep(1.5)
    assert len(mx.messages) == got
    assert [m for m in mx.messages if m.at > switched + 0.5] == []


def test_an_admin_hold_is_not_released_by_resume(env):
    e, mx = backlog(env, n=3, delay=0)
    mx.wait(3)
    mx.rcpt_replies["later"] = "451 4.3.0 not now"
    mx.rcpt_reply_times["later"] = 1000
    pw = e.relay.add_source("app2", identities=("*@example.com",))
    with e.relay.smtp(login=("app2", pw)) as s:
        s.sendmail("app@example.com", ["later@slow.example.net"], message())
    e.wait_log(r"queue deferred")
    [m] = e.relay.ctl_json("queue", "list")["messages"]
    e.relay.ctl("queue", "hold", m["id"], check=True)
    e.relay.ctl("source", "suspend", "app2", check=True)
    e.relay.ctl("source", "resume", "app2", check=True)
    assert e.relay.ctl_json("queue", "show", m["id"])["message"]["state"] == "held"


def test_suspend_bad_input(make_relay):
    r = make_relay()
    r.add_source("app")
    out = r.ctl("source", "suspend", "app", "--hold-queued", "--drop-queued")
    assert out.returncode == 2
    st, out = r.admin("POST", "/admin/v1/sources/app/suspend", {"queued": "burn"})
    assert st == 422 and out["error"]["code"] == "invalid_queued"
    st, out = r.admin("POST", "/admin/v1/sources/nope/suspend", {})
    assert st == 404
    out = r.ctl("source", "suspend", "nope")
    assert out.returncode == 1 and "no source named nope" in out.stderr
