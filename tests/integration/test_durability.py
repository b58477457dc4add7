"""
Durability (RFC 5321 6.1, SECURITY.md): 250 only once the message is on disk,
no acknowledged message lost to kill -9, corrupt queue files moved aside at
start-up, and storage failures answered with 4xx, never 250.
"""
import os
import re
import shutil
import subprocess
import threading
import time
import zlib
from pathlib import Path

import pytest

from conftest import message


def block_delivery(relay):
    relay.capture.mkdir(exist_ok=True)
    os.chmod(relay.capture, 0o555)


def unblock_delivery(relay):
    os.chmod(relay.capture, 0o755)
    if relay.user:
        shutil.chown(relay.capture, relay.user)


def send(relay, n=1, subject="m"):
    s = relay.smtp(starttls=False)
    ids = []
    for i in range(n):
        s.mail("app@example.com")
        s.rcpt("user@example.org")
        code, text = s.data(message(subject=f"{subject}{i}"))
        assert code == 250, text
        ids.append(re.search(rb"queued as ([0-9a-f]{16})", text).group(1).decode())
    s.quit()
    return ids


def test_kill9_right_after_250_keeps_the_message(legacy):
    relay = legacy
    block_delivery(relay)
    [qid] = send(relay)
    relay.kill9()
    # durable before the 250: the queue file is complete
    assert [p.name for p in relay.spooled()] == [qid]
    relay.start()
    time.sleep(0.3)
    assert relay.captured() == []  # still queued, delivery still blocked
    unblock_delivery(relay)
    [eml] = relay.wait_captured(1)
    assert eml.name == qid + ".eml"
    assert relay.wait_unspooled() == []


def test_kill9_during_a_burst_loses_nothing(legacy):
    relay = legacy
    acked, lock = [], threading.Lock()

    def client(k):
        try:
            s = relay.smtp(starttls=False, timeout=10)
            for i in range(200):
                s.mail("app@example.com")
                s.rcpt("user@example.org")
                code, text = s.data(message(subject=f"c{k}-{i}"))
                if code == 250:
                    with lock:
                        acked.append(re.search(rb"queued as ([0-9a-f]{16})", text).group(1))
        except Exception:
            pass  # the daemon is killed under us

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    relay.kill9()
    for t in threads:
        t.join()
    assert len(acked) > 0
    relay.start()
    # messages committed but not yet acknowledged are delivered too (a duplicate, never a
    # loss): wait for the acknowledged ones themselves, not for as many files
    deadline = time.time() + 60
    while True:
        got = {p.name[:-4].encode() for p in relay.captured()}
        if set(acked) <= got or time.time() > deadline:
            break
        time.sleep(0.1)
    assert set(acked) <= got


def records(data):
    """a queue file's records: [(type, payload)], the E record last"""
    out, i = [], 0
    while i < len(data):
        n = int.from_bytes(data[i + 1:i + 5], "big")
        out.append((data[i:i + 1], data[i + 5:i + 5 + n]))
        i += 5 + n
    return out


def seal(recs):
    """a queue file of these records with a valid E (length and CRC-32), so
    that only the records themselves are wrong"""
    body = b"".join(t + len(p).to_bytes(4, "big") + p for t, p in recs)
    end = len(body).to_bytes(8, "big") + zlib.crc32(body).to_bytes(4, "big")
    return body + b"E" + len(end).to_bytes(4, "big") + end


def test_queue_file_records_round_trip(legacy):
    relay = legacy
    block_delivery(relay)
    [qid] = send(relay)
    data = (relay.state / "spool" / "queue" / qid).read_bytes()
    recs = records(data)
    assert recs[0] == (b"V", b"POSTERN-QUEUE/1") and recs[-1][0] == b"E"
    assert seal(recs[:-1]) == data  # the test's sealing is the relay's


def test_corrupt_and_half_written_files_at_startup(legacy):
    relay = legacy
    block_delivery(relay)
    ids = send(relay, 7)
    relay.stop()
    q = relay.state / "spool" / "queue"
    tmp = relay.state / "spool" / "tmp"
    good, truncated, flipped, empty, unknown, headless, twice = ids
    # well sealed, wrong inside: a record type from the future, no header
    # section, a second version record
    recs = records((q / unknown).read_bytes())[:-1]
    (q / unknown).write_bytes(seal(recs[:-1] + [(b"Z", b"from a newer Postern")] + recs[-1:]))
    recs = records((q / headless).read_bytes())[:-1]
    (q / headless).write_bytes(seal([r for r in recs if r[0] != b"H"]))
    recs = records((q / twice).read_bytes())[:-1]
    (q / twice).write_bytes(seal(recs[:1] + recs))
    data = (q / truncated).read_bytes()
    (q / truncated).write_bytes(data[: len(data) // 2])
    data = bytearray((q / flipped).read_bytes())
    data[len(data) // 3] ^= 0x40
    (q / flipped).write_bytes(bytes(data))
    (q / empty).write_bytes(b"")
    (q / "not-a-queue-id").write_bytes(b"junk")
    (q / "ffffffffffffffff").write_bytes(b"V\0\0\0\x0fPOSTERN-QUEUE/9")
    (tmp / "0123456789abcdef").write_bytes(b"half written")
    unblock_delivery(relay)
    relay.start()
    [eml] = relay.wait_captured(1)
    assert eml.name == good + ".eml"
    corrupt = sorted(p.name for p in (relay.state / "spool" / "corrupt").iterdir())
    assert corrupt == sorted([truncated, flipped, empty, unknown, headless, twice,
                              "not-a-queue-id", "ffffffffffffffff"])
    assert list(tmp.iterdir()) == []
    log = relay.log()
    for name in (truncated, flipped, empty, unknown, headless, twice):
        assert f"spool corrupt file={name}" in log
    assert "spool removed half-written file=tmp/0123456789abcdef" in log
    # the daemon runs on and takes new mail
    send(relay)
    relay.wait_captured(2)


def can_mount_tmpfs(path):
    if os.geteuid() != 0:
        return False
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k,mode=0755", "tmpfs", str(path)],
                       capture_output=True)
    return r.returncode == 0


def test_disk_full_gives_452_never_250(make_relay, workdir):
    spool = workdir / "smallspool"
    spool.mkdir()
    if not can_mount_tmpfs(spool):
        pytest.skip("cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN)")
    try:
        relay = make_relay(server={"spool_dir": str(spool)})
        relay.add_source("legacy", "--ip", "127.0.0.1/32")
        block_delivery(relay)
        s = relay.smtp(starttls=False)
        s.mail("app@example.com")
        s.rcpt("user@example.org")
        big = message(body=("z" * 76 + "\r\n") * 3000)  # ~234 KiB > 128 KiB
        code, text = s.data(big)
        assert (code, text) == (452, b"4.3.1 Insufficient system storage")
        # nothing half-written became visible
        assert list((spool / "queue").iterdir()) == []
        assert list((spool / "tmp").iterdir()) == []
        # space is back as soon as the failed file is gone: small mail flows on
        s.mail("app@example.com")
        s.rcpt("user@example.org")
        code, text = s.data(message())
        assert code == 250, text
        s.quit()
        unblock_delivery(relay)
        relay.wait_captured(1)
        relay.stop()
    finally:
        subprocess.run(["umount", "-l", str(spool)])


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
@pytest.mark.parametrize("mode,syscall", [
    ("file", "fsync"),          # the file's own fsync
    ("filesystem", "syncfs"),   # the batch's syncfs
    ("filesystem", "fsync"),    # the directory's, after the renames
])
def test_fsync_error_gives_451_never_250(make_relay, mode, syscall):
    relay = make_relay(extra=f"[spool]\nsync = {mode}\n")
    # the source and its signing keys first: writing a key file needs fsync too
    relay.add_source("legacy", "--ip", "127.0.0.1/32")
    relay.stop()
    # every such call fails with EIO (SQLite uses fdatasync, so the store still works)
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=0"  # LeakSanitizer cannot work under ptrace
    relay.logf = open(relay.log_path, "ab")
    relay.proc = subprocess.Popen(
        ["strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}",
         "-e", f"inject={syscall}:error=EIO", "--", str(relay.proc_cmd()[0]),
         *relay.proc_cmd()[1:]], stdout=relay.logf, stderr=relay.logf, env=env)
    relay.wait_ready()
    s = relay.smtp(starttls=False)
    s.mail("app@example.com")
    s.rcpt("user@example.org")
    code, text = s.data(message())
    assert (code, text) == (451, b"4.3.0 Local error in processing")
    s.quit()
    assert relay.spooled() == []
    assert list((relay.state / "spool" / "tmp").iterdir()) == []
    # stop the traced daemon itself; strace exits with its status
    child = subprocess.run(["pgrep", "-P", str(relay.proc.pid), "posternd"],
                           capture_output=True, text=True).stdout.split()
    assert child, "posternd is not running under strace"
    os.kill(int(child[0]), 15)
    relay.proc.wait(timeout=30)
