"""
Storage faults (issue 9, SECURITY.md): a full disk on a real file system, and
I/O errors injected with strace into the spool's commit threads at several
points. Expected every time: 452 4.3.1 (no space) or 451 4.3.0 (I/O error)
over SMTP, 503 over HTTP, never 250/202 for a message that is not on disk;
nothing half-written in queue/; and the relay carrying on by itself once the
fault is gone, without a restart.
"""
import base64
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import crash
from conftest import message
from test_durability import block_delivery as hold_delivery
from test_durability import unblock_delivery as release_delivery

needs_loop = pytest.mark.skipif(not crash.can_loop_mount(), reason="needs root and loop devices")
needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")


def smtp_send(relay, body=None):
    s = relay.smtp(starttls=False)
    s.mail("app@example.com")
    s.rcpt("user@example.org")
    code, text = s.data(message(body=body) if body else message())
    s.quit()
    return code, text


def api_send(relay, key, body="Hello.\r\n"):
    raw = message(body=body).encode()
    st, out, _ = relay.http("POST", "/v1/messages",
                            {"raw": base64.b64encode(raw).decode(), "to": "user@example.org"},
                            key=key)
    return st, out


def queue_ok(relay, spool):
    """every file in queue/ is whole (posternctl reads each), tmp/ is empty"""
    assert list((spool / "tmp").iterdir()) == []
    ids = sorted(p.name for p in (spool / "queue").iterdir())
    listed = sorted(m["id"] for m in relay.ctl_json("queue", "list")["messages"])
    assert ids == listed
    return ids


@needs_loop
def test_disk_full_on_a_real_filesystem(make_relay, workdir):
    spool = workdir / "spool"
    fs = crash.LoopFS(workdir / "spool.img", spool, size="16M").mount("defaults")
    try:
        relay = make_relay(server={"spool_dir": str(spool)}, api={})
        relay.add_source("legacy", "--ip", "127.0.0.1/32")
        key = relay.api_key("legacy")
        hold_delivery(relay)
        assert smtp_send(relay)[0] == 250
        # fill the file system, all but 64 KiB, with fallocate
        filler = spool / "filler"
        free = shutil.disk_usage(spool).free
        subprocess.run(["fallocate", "-l", str(free - 64 * 1024), str(filler)], check=True)
        big = ("z" * 76 + "\r\n") * 4000  # ~310 KiB: spills to disk while it arrives
        assert smtp_send(relay, big) == (452, b"4.3.1 Insufficient system storage")
        st, out = api_send(relay, key, big)
        assert st == 503 and out["error"]["message"] == "Insufficient system storage", out
        # then not a single block left
        subprocess.run(["fallocate", "-l", str(free), str(filler)], check=True)
        for _ in range(3):
            assert smtp_send(relay) == (452, b"4.3.1 Insufficient system storage")
            assert api_send(relay, key)[0] == 503
        assert len(queue_ok(relay, spool)) == 1  # the one from before, untouched
        # space comes back: the relay takes mail again, no restart
        filler.unlink()
        assert smtp_send(relay, big)[0] == 250
        assert api_send(relay, key, big)[0] == 202
        assert len(queue_ok(relay, spool)) == 3
        release_delivery(relay)
        relay.wait_captured(3)
        assert relay.wait_unspooled() == []
        log = relay.log()
        assert "4.3.1" in log or "No space left" in log
        relay.stop()
    finally:
        fs.umount()


def commit_threads(pid):
    tids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        if (task / "comm").read_text().strip() == "spool-commit":
            tids.append(task.name)
    return tids


class Injector:
    """strace attached to the spool's commit threads only (so the loop's own
    wake-ups, logging and sockets are untouched), failing a syscall."""

    def __init__(self, relay, spec, trace):
        tids = commit_threads(relay.proc.pid)
        assert len(tids) >= 1
        args = ["strace", "-qq", "-o", str(relay.base / "strace.out"), "-e", f"trace={trace}",
                "-e", f"inject={spec}"]
        for t in tids:
            args += ["-p", t]
        self.proc = subprocess.Popen(args, stderr=subprocess.PIPE)
        # strace has attached once each thread is traced
        deadline = time.time() + 10
        while time.time() < deadline:
            if all(self.tracer(relay.proc.pid, t) for t in tids):
                return
            time.sleep(0.02)
        raise AssertionError("strace did not attach")

    @staticmethod
    def tracer(pid, tid):
        status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
        return re.search(r"^TracerPid:\s+([1-9]\d*)", status, re.M) is not None

    def detach(self):
        self.proc.send_signal(signal.SIGINT)  # strace detaches from every thread
        self.proc.wait(timeout=20)


# (spec, the syscall traced, sync mode, the reply)
POINTS = [
    ("write:error=ENOSPC:when=1", "write", "file", (452, b"4.3.1 Insufficient system storage")),
    ("write:error=EIO:when=1", "write", "filesystem", (451, b"4.3.0 Local error in processing")),
    ("write:error=EDQUOT:when=1", "write", "file", (452, b"4.3.1 Insufficient system storage")),
    ("fsync:error=EIO:when=1", "fsync", "file", (451, b"4.3.0 Local error in processing")),
    ("fsync:error=ENOSPC:when=1", "fsync", "file", (452, b"4.3.1 Insufficient system storage")),
    ("syncfs:error=EIO:when=1", "syncfs", "filesystem", (451, b"4.3.0 Local error in processing")),
    ("rename:error=ENOSPC:when=1", "rename", "filesystem",
     (452, b"4.3.1 Insufficient system storage")),
    ("close:error=EIO:when=1", "close", "file", (451, b"4.3.0 Local error in processing")),
]


@needs_strace
@pytest.mark.skipif(os.geteuid() != 0, reason="strace -p needs ptrace rights")
@pytest.mark.parametrize("spec,trace,sync,refusal", POINTS, ids=[p[0] for p in POINTS])
def test_injected_io_error(make_relay, spec, trace, sync, refusal):
    relay = make_relay(server={"log_level": "info"}, api={},
                       extra=f"[spool]\nsync = {sync}\ncommit_threads = 2\n")
    relay.add_source("legacy", "--ip", "127.0.0.1/32")
    key = relay.api_key("legacy")
    hold_delivery(relay)
    inj = Injector(relay, spec, trace)
    try:
        # each commit thread fails its first such call, then works again
        replies = []
        for i in range(6):
            r = smtp_send(relay)
            assert r[0] == 250 or r == refusal, (spec, r)
            replies.append(r[0])
            st, out = api_send(relay, key)
            assert st in (202, 503), (spec, st, out)
            replies.append(st)
        assert refusal[0] in replies or 503 in replies, (spec, replies)
    finally:
        inj.detach()
    accepted = replies.count(250) + replies.count(202)
    assert accepted >= 8, replies  # the fault has passed: mail flows on, no restart
    ids = queue_ok(relay, relay.state / "spool")
    assert len(ids) == accepted
    release_delivery(relay)
    relay.wait_captured(accepted)
    assert relay.wait_unspooled() == []
    assert len(relay.captured()) == accepted
    relay.stop()
