#!/usr/bin/python3
"""
crash.py - the crash harness: does Postern keep every message it acknowledged?

Clients submit continuously through both doors (SMTP and the HTTP API), each
message carrying a token and the SHA-256 of its body, and record the tokens
acknowledged (250 / 202). Meanwhile the harness kill -9s posternd at random
moments and starts it again, again and again. posternd delivers to a sink
(an SMTP server on loopback) through a smarthost route. At the end:

  lost       acknowledged tokens the sink never got: must be 0
  partial    messages the sink got whose body does not match their checksum: 0
  duplicates deliveries beyond the first (a kill between the sink's 250 and
             the queue file's removal): counted and reported, allowed
  unacked    delivered though never acknowledged (killed before the 250)

    make crashtest                      100 kills (CRASH_KILLS=N to change)
    tests/integration/crash.py --kills 20 --seed 7

The power-loss mode is the harness's negative control: the spool lives on an
ext4 file system in a loop device; after the kill the image is copied as it
is on the "disk" (what the kernel has not written back is not in it), and the
relay restarts on the copy. With fsync working nothing acknowledged is lost;
run under eatmydata (fsync, fdatasync and syncfs do nothing) the same run must
show losses, which proves that the test can fail. Needs root (mount, losetup).
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import POSTERND, Relay, free_port  # noqa: E402
from peers import FakeMX  # noqa: E402

SENDER = "app@example.com"
RCPT = "user@example.org"


def make_message(rng, token):
    """a message whose body checks itself: X-Crash-Sum is the body's SHA-256"""
    lines = []
    for _ in range(rng.randint(1, 300)):
        n = rng.randint(0, 76)
        lines.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 .-")
                             for _ in range(n)))
    body = ("\r\n".join(lines) + "\r\n").encode()
    head = (f"From: App <{SENDER}>\r\nTo: {RCPT}\r\nSubject: crash {token}\r\n"
            f"Date: Mon, 07 Dec 2026 12:00:00 +0000\r\n"
            f"Message-ID: <{token}@crash.test>\r\n"
            f"X-Crash-Token: {token}\r\nX-Crash-Sum: {hashlib.sha256(body).hexdigest()}\r\n")
    return head.encode() + b"\r\n" + body


def check(data):
    """the token of a whole message as delivered, None for a partial one"""
    head, sep, body = data.partition(b"\r\n\r\n")
    tok = re.search(rb"^X-Crash-Token: (\S+)", head, re.M)
    crc = re.search(rb"^X-Crash-Sum: ([0-9a-f]{64})", head, re.M)
    if not sep or not tok or not crc or \
            hashlib.sha256(body).hexdigest().encode() != crc.group(1):
        return None
    return tok.group(1).decode()


class Sink:
    """An SMTP server counting deliveries per token and checking each body."""

    def __init__(self, port):
        self.port = port
        self.mx = None
        self.counts = {}
        self.partial = []
        self.seen = 0

    def start(self):
        self.mx = FakeMX("127.0.0.1", self.port, hostname="sink.test")

    def collect(self):
        """take what arrived since the last call"""
        if self.mx is None:
            return
        with self.mx.lock:
            new = self.mx.messages[self.seen:]
            self.seen = len(self.mx.messages)
        for m in new:
            t = check(m.data)
            if t is None:
                self.partial.append(m.data[:200])
            else:
                self.counts[t] = self.counts.get(t, 0) + 1

    def stop(self):
        if self.mx:
            self.mx.stop()
            self.mx = None


class Submitter(threading.Thread):
    """Submits until stopped, through one door; acked holds the tokens
    acknowledged, tried those sent at all."""

    def __init__(self, relay, door, k, seed, key=None):
        super().__init__(daemon=True)
        self.relay, self.door, self.k, self.key = relay, door, k, key
        self.rng = random.Random(seed)
        self.acked, self.tried = [], set()
        self.stopping = threading.Event()
        self.seq = 0

    def next_token(self):
        self.seq += 1
        return f"{self.door}-{self.k}-{self.seq}"

    def run(self):
        while not self.stopping.is_set():
            try:
                if self.door == "smtp":
                    self.smtp_session()
                else:
                    self.api_request()
            except (OSError, smtplib.SMTPException, http.client.HTTPException, ValueError):
                time.sleep(0.02)  # the daemon was killed under us: try again

    def smtp_session(self):
        s = smtplib.SMTP("127.0.0.1", self.relay.port, local_hostname="crash.test", timeout=10)
        try:
            s.ehlo()
            for _ in range(self.rng.randint(1, 10)):
                if self.stopping.is_set():
                    break
                tok = self.next_token()
                self.tried.add(tok)
                s.mail(SENDER)
                s.rcpt(RCPT)
                code, _ = s.data(make_message(self.rng, tok))
                if code == 250:
                    self.acked.append(tok)
            s.quit()
        finally:
            s.close()

    def api_request(self):
        tok = self.next_token()
        self.tried.add(tok)
        body = json.dumps({"raw": base64.b64encode(make_message(self.rng, tok)).decode(),
                           "to": RCPT})
        conn = http.client.HTTPConnection("127.0.0.1", self.relay.api_port, timeout=10)
        try:
            conn.request("POST", "/v1/messages", body=body,
                         headers={"Authorization": f"Bearer {self.key}",
                                  "Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status == 202:
                self.acked.append(tok)
            elif r.status not in (503, 429):
                raise AssertionError(f"API answered {r.status}")
        finally:
            conn.close()


def new_relay(base, certdir, sink_port, spool_dir=None, sync="filesystem"):
    server = {"log_level": "info"}
    if spool_dir:
        server["spool_dir"] = str(spool_dir)
    relay = Relay(base, certdir, server=server, api={},
                  delivery={"transport": "smarthost", "smarthost": f"[127.0.0.1]:{sink_port}",
                            "smarthost_tls": "none", "allow_private_destinations": "yes",
                            "connect_timeout": "2s", "connection_reuse_time": "0"},
                  queue={"retry_min": "1s", "retry_max": "1s"},
                  extra=f"[spool]\nsync = {sync}\n")
    relay.start()
    relay.add_source("legacy", "--ip", "127.0.0.1/32")
    key = relay.api_key("legacy")
    return relay, key


class Report:
    def __init__(self, subs, sink, kills):
        acked = [t for s in subs for t in s.acked]
        tried = set().union(*(s.tried for s in subs))
        self.kills = kills
        self.acked = len(acked)
        self.acked_smtp = sum(len(s.acked) for s in subs if s.door == "smtp")
        self.acked_api = self.acked - self.acked_smtp
        self.lost = sorted(set(acked) - set(sink.counts))
        self.partial = len(sink.partial)
        self.duplicates = sum(c - 1 for c in sink.counts.values())
        self.unacked = len([t for t in sink.counts if t in tried and t not in set(acked)])
        self.foreign = len([t for t in sink.counts if t not in tried])

    def line(self):
        return (f"kills={self.kills} acked={self.acked} (smtp={self.acked_smtp} "
                f"api={self.acked_api}) lost={len(self.lost)} partial={self.partial} "
                f"duplicates={self.duplicates} delivered_unacked={self.unacked} "
                f"unknown={self.foreign}")


def wait_delivered(relay, sink, subs, timeout):
    """until the sink has every acknowledged token and the queue is empty, or
    the queue has been empty for 2 s (what it lost will not come)"""
    acked = {t for s in subs for t in s.acked}
    deadline = time.time() + timeout
    empty_since = None
    while time.time() < deadline:
        sink.collect()
        if relay.spooled():
            empty_since = None
        else:
            empty_since = empty_since or time.time()
            if acked <= set(sink.counts) or time.time() - empty_since > 2:
                time.sleep(0.5)  # a last delivery may still be on the wire
                sink.collect()
                return
        time.sleep(0.2)
    sink.collect()


def kill_run(workdir, certdir, kills, seed, smtp_clients=2, api_clients=1, max_gap=1.0,
             log=print):
    """kill -9 posternd `kills` times while clients submit; a Report"""
    rng = random.Random(seed)
    sink = Sink(free_port())
    sink.start()
    relay, key = new_relay(workdir / "relay", certdir, sink.port)
    subs = [Submitter(relay, "smtp", k, seed * 100 + k) for k in range(smtp_clients)]
    subs += [Submitter(relay, "api", k, seed * 100 + 50 + k, key) for k in range(api_clients)]
    try:
        for s in subs:
            s.start()
        for i in range(kills):
            time.sleep(rng.uniform(0.05, max_gap))
            relay.kill9()
            relay.start()
            sink.collect()
            if (i + 1) % 10 == 0:
                log(f"crash: {i + 1}/{kills} kills, "
                    f"{sum(len(s.acked) for s in subs)} acknowledged")
        time.sleep(rng.uniform(0.05, max_gap))
        for s in subs:
            s.stopping.set()
        for s in subs:
            s.join(timeout=30)
        wait_delivered(relay, sink, subs, timeout=120)
        relay.stop()  # a sanitizer report anywhere in the log fails here
        return Report(subs, sink, kills)
    finally:
        for s in subs:
            s.stopping.set()
        if relay.proc:
            relay.kill9()
        sink.stop()


# -- the negative control: a power loss on a loop device ---------------------

def can_loop_mount():
    return os.geteuid() == 0 and shutil.which("losetup") and shutil.which("mkfs.ext4") \
        and os.path.exists("/dev/loop-control")


class LoopFS:
    """An ext4 file system in an image file, mounted at mnt through a loop device."""

    def __init__(self, image, mnt, size="64M"):
        self.image, self.mnt, self.dev = Path(image), Path(mnt), None
        self.mnt.mkdir(parents=True, exist_ok=True)
        if not self.image.exists():
            subprocess.run(["truncate", "-s", size, str(self.image)], check=True)
            subprocess.run(["mkfs.ext4", "-q", "-F", str(self.image)], check=True)

    def mount(self, options="commit=300"):
        self.dev = subprocess.run(["losetup", "--show", "-f", str(self.image)], check=True,
                                  capture_output=True, text=True).stdout.strip()
        subprocess.run(["mount", "-t", "ext4", "-o", options, self.dev, str(self.mnt)],
                       check=True)
        os.chmod(self.mnt, 0o755)
        return self

    def power_cut(self, copy):
        """copy the image as the disk holds it now, then drop the mount (the
        page cache still holds what was never written: unmounting writes it
        back, but only into the original image, which is dropped)"""
        subprocess.run(["cp", "--sparse=always", str(self.image), str(copy)], check=True)
        self.umount()
        return LoopFS(copy, self.mnt)

    def umount(self):
        if self.dev:
            subprocess.run(["umount", "-l", str(self.mnt)], capture_output=True)
            subprocess.run(["losetup", "-d", self.dev], capture_output=True)
            self.dev = None


def power_loss_run(workdir, certdir, eatmydata, seconds=3.0, seed=1, sync="filesystem"):
    """Submit for `seconds` with delivery held (no sink yet), cut the power, start
    on the disk's copy with a sink: a Report whose lost are the acknowledged
    messages the disk did not have."""
    spool = workdir / "spool"
    fs = LoopFS(workdir / "spool.img", spool).mount()
    sink = Sink(free_port())  # not listening yet: everything stays queued
    relay = after = None
    try:
        relay, key = new_relay(workdir / "relay", certdir, sink.port, spool_dir=spool, sync=sync)
        relay.stop()
        if eatmydata:
            cmd = relay.proc_cmd
            relay.proc_cmd = lambda: ["eatmydata"] + cmd()
        # eatmydata is preloaded before the sanitizer runtime
        os.environ["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:verify_asan_link_order=0"
        try:
            relay.start()
        finally:
            del os.environ["ASAN_OPTIONS"]
        subs = [Submitter(relay, "smtp", k, seed * 100 + k) for k in range(2)]
        subs.append(Submitter(relay, "api", 0, seed * 100 + 50, key))
        for s in subs:
            s.start()
        time.sleep(seconds)
        for s in subs:
            s.stopping.set()
        for s in subs:
            s.join(timeout=30)
        relay.kill9()
        after = fs.power_cut(workdir / "spool-after.img")
        fs = after.mount()
        relay.proc_cmd = lambda: [str(POSTERND), "-d", "-c", str(relay.conf)]
        sink.start()
        relay.start()
        wait_delivered(relay, sink, subs, timeout=30)
        relay.stop()
        return Report(subs, sink, 1)
    finally:
        if relay and relay.proc:
            relay.kill9()
        sink.stop()
        fs.umount()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--max-gap", type=float, default=1.0,
                    help="longest wait between kills, seconds")
    ap.add_argument("--power-loss", action="store_true",
                    help="also run the power-loss control, with and without eatmydata")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="postern-crash-"))
    os.chmod(work, 0o755)
    certs = work / "certs"
    certs.mkdir()
    os.chmod(certs, 0o755)
    for name in ("a", "b"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                        "-subj", f"/CN=relay-{name}.test", "-keyout", str(certs / f"{name}.key"),
                        "-out", str(certs / f"{name}.crt")], check=True, capture_output=True)
        os.chmod(certs / f"{name}.key", 0o644)
    status = 0
    try:
        print(f"crash: seed={args.seed} kills={args.kills} posternd={POSTERND}", flush=True)
        t0 = time.time()
        r = kill_run(work / "kill", certs, args.kills, args.seed, max_gap=args.max_gap,
                     log=lambda s: print(s, flush=True))
        print(f"crash: {r.line()} seconds={time.time() - t0:.0f}")
        if r.lost or r.partial:
            print(f"crash: FAILED: lost {r.lost[:20]}", file=sys.stderr)
            status = 1
        if args.power_loss:
            if not can_loop_mount():
                print("crash: power-loss control needs root and loop devices: skipped")
            else:
                for eat in (False, True):
                    d = work / ("power-eatmydata" if eat else "power")
                    d.mkdir()
                    os.chmod(d, 0o755)
                    p = power_loss_run(d, certs, eat, seed=args.seed)
                    label = "eatmydata" if eat else "fsync"
                    print(f"crash: power loss with {label}: {p.line()}")
                    if eat and not p.lost:
                        print("crash: FAILED: the control lost nothing", file=sys.stderr)
                        status = 1
                    if not eat and (p.lost or p.partial):
                        status = 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
