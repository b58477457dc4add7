"""The queue as an administrator sees it: posternctl queue list/show/hold/release/
flush/delete/bounce, and retry times that survive a restart."""
import re
import time

from test_delivery import SENDER, dsn_parts, env  # noqa: F401  (the fixture)


def deferred_env(env, retry="1h"):
    e = env(queue={"retry_min": retry, "retry_max": retry})
    mx = e.mx("127.0.0.40")
    mx.rcpt_replies["held"] = "451 4.3.0 not now"
    mx.rcpt_reply_times["held"] = 1000
    e.domain("q.example.net", (10, "mx.q.example.net", "127.0.0.40"))
    e.send(["held@q.example.net"])
    e.wait_log(r"queue deferred pending=1 attempts=1")
    [m] = e.relay.ctl_json("queue", "list")["messages"]
    return e, mx, m["id"]


def test_list_and_show_a_deferred_message(env):
    e, mx, qid = deferred_env(env)
    out = e.relay.ctl_json("queue", "list")
    assert out["total"] == 1
    [m] = out["messages"]
    assert (m["state"], m["sender"], m["recipients"], m["pending"], m["attempts"],
            m["source"], m["lane"]) == ("deferred", SENDER, 1, 1, 1, "legacy", "urgent")
    assert m["last_reply"] == "451 4.3.0 not now"
    assert m["next_attempt"] is not None
    text = e.relay.ctl("queue", "list", check=True).stdout
    assert qid in text and "451 4.3.0 not now" in text
    shown = e.relay.ctl_json("queue", "show", qid)
    [r] = shown["recipients"]
    assert (r["address"], r["status"], r["dsn"], r["code"]) == ("held@q.example.net",
                                                                "pending", "4.3.0", 451)
    assert r["relay"].startswith("mx.q.example.net[127.0.0.40]:")
    assert "via mx.q.example.net" in e.relay.ctl("queue", "show", qid, check=True).stdout


def test_flush_tries_again_now(env):
    e, mx, qid = deferred_env(env)
    mx.rcpt_reply_times["held"] = 0
    assert e.relay.ctl_json("queue", "flush")["flushed"] == 1
    mx.wait(1)
    e.wait_log(r"queue removed")
    assert e.relay.ctl_json("queue", "list")["total"] == 0


def test_hold_and_release(env):
    e, mx, qid = deferred_env(env, retry="1s")
    assert "held" in e.relay.ctl("queue", "hold", qid, check=True).stdout
    assert e.relay.ctl_json("queue", "show", qid)["message"]["state"] == "held"
    mx.rcpt_reply_times["held"] = 0
    before = mx.connections
    time.sleep(3)  # retry_min is 1s: a message not held would have gone by now
    assert mx.messages == [] and mx.connections == before
    e.relay.ctl("queue", "release", qid, check=True)
    mx.wait(1)


def test_hold_survives_a_restart(env):
    e, mx, qid = deferred_env(env, retry="1s")
    e.relay.ctl("queue", "hold", qid, check=True)
    e.relay.stop()
    e.relay.start()
    mx.rcpt_reply_times["held"] = 0
    time.sleep(2)
    assert mx.messages == []
    assert e.relay.ctl_json("queue", "show", qid)["message"]["state"] == "held"
    e.relay.ctl("queue", "release", qid, check=True)
    mx.wait(1)


def test_next_attempt_time_survives_a_restart(env):
    e, mx, qid = deferred_env(env, retry="1h")
    before = e.relay.ctl_json("queue", "show", qid)["message"]
    e.relay.stop()
    attempts_seen = mx.connections
    e.relay.start()
    time.sleep(2)
    # not tried again at start-up: its next attempt is an hour away
    assert mx.connections == attempts_seen
    after = e.relay.ctl_json("queue", "show", qid)["message"]
    assert after["attempts"] == 1 and after["next_attempt"] == before["next_attempt"]


def test_delete_sends_no_bounce(env):
    e, mx, qid = deferred_env(env)
    e.relay.ctl("queue", "delete", qid, check=True)
    assert e.relay.ctl_json("queue", "list")["total"] == 0
    assert e.relay.spooled() == []
    time.sleep(0.5)
    assert e.bounces.messages == []
    r = e.relay.ctl("queue", "show", qid)
    assert r.returncode == 1 and "no such message" in r.stderr


def test_bounce_returns_it_to_its_sender(env):
    e, mx, qid = deferred_env(env)
    e.relay.ctl("queue", "bounce", qid, check=True)
    [dsn] = e.bounces.wait(1)
    status = dsn_parts(dsn.data)[1][1].as_string()
    assert "Status: 5.0.0" in status and "returned by the administrator" in status
    e.wait_log(r"queue removed")
    assert e.relay.ctl_json("queue", "list")["total"] == 0


def test_bad_ids(env):
    e = env()
    r = e.relay.ctl("queue", "show", "ffffffffffffffff")
    assert r.returncode == 1 and "no such message" in r.stderr
    r = e.relay.ctl("queue", "hold", "not-an-id")
    assert r.returncode == 2
    r = e.relay.ctl("queue", "frobnicate")
    assert r.returncode == 2
    assert "the queue is empty" in e.relay.ctl("queue", "list", check=True).stdout
