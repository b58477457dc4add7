#!/usr/bin/python3
"""bench.py BUILD [--smoke] - Postern beside Postfix + OpenDKIM (docs/BENCHMARKS.md).

Runs, one after the other on this machine, Postern and a private Postfix
instance with OpenDKIM as its milter, relaying the same messages to the same
smtp-sink on loopback, and prints one table with the ratio. Then what only
Postern is measured on: 10,000 idle sessions, 200,000 deferred messages.
Every server it starts is stopped, on error and on ^C too.

Environment: BENCH_MSGS (messages per run, 5000), RUNS (3), BENCH_CONC
(sessions at once, 16), DKIM_SECONDS (3), IDLE_SESSIONS (10000), SCALE_MSGS
(200000), LATENCY_SECONDS (10), API_SECONDS (10), SCAN_MSGS (2000), SUPP_ENTRIES
(2000000), BENCH_ONLY (a comma list of dkim, relay, latency, api, scan, suppress,
idle, scale), KEEP=1 (leave
the work directory). --smoke makes
everything tiny: it is what `make test` runs so that the harness cannot rot.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procstat  # noqa: E402
import relays  # noqa: E402
import scanners  # noqa: E402
from relays import RCPT, SENDER  # noqa: E402


class Bench:
    def __init__(self, build, smoke):
        env = os.environ.get
        self.build = os.path.abspath(build)
        self.smoke = smoke
        self.msgs = int(env("BENCH_MSGS", 20 if smoke else 5000))
        self.runs = int(env("RUNS", 1 if smoke else 3))
        self.conc = int(env("BENCH_CONC", 4 if smoke else 16))
        self.dkim_secs = int(env("DKIM_SECONDS", 1 if smoke else 3))
        self.idle = int(env("IDLE_SESSIONS", 50 if smoke else 10000))
        self.scale = int(env("SCALE_MSGS", 200 if smoke else 200000))
        self.lat_secs = float(env("LATENCY_SECONDS", 1 if smoke else 10))
        self.api_secs = int(env("API_SECONDS", 1 if smoke else 10))
        self.scan_msgs = int(env("SCAN_MSGS", 20 if smoke else 2000))
        self.supp = int(env("SUPP_ENTRIES", 2000 if smoke else 2000000))
        self.only = set(env("BENCH_ONLY",
                            "dkim,relay,latency,api,scan,suppress,idle,scale").split(","))
        self.work = tempfile.mkdtemp(prefix="postern-bench.")
        os.chmod(self.work, 0o755)  # the servers' users must reach their files
        self.servers = []
        self.postern = self.postfix = None

    # -- servers -------------------------------------------------------------
    def started(self, server):
        self.servers.append(server)
        return server

    def stop(self, server):
        server.stop()
        if server in self.servers:
            self.servers.remove(server)

    def stop_all(self):
        for s in reversed(self.servers):
            try:
                s.stop()
            except Exception as e:  # keep stopping the others
                print(f"bench: stopping {type(s).__name__}: {e}", file=sys.stderr)
        self.servers = []

    def get_postern(self):
        if not self.postern:
            port = relays.free_port()
            self.postern = relays.Postern(self.build, self.work, port)
            self.postern.sink_port = port
        return self.postern

    def get_postfix(self):
        if not self.postfix:
            port = relays.free_port()
            pt = self.get_postern()  # its throw-away certificate serves both
            self.postfix = relays.Postfix(self.work, port, os.path.join(pt.dir, "cert.pem"),
                                          os.path.join(pt.dir, "key.pem"))
            self.postfix.sink_port = port
        return self.postfix

    # -- load ----------------------------------------------------------------
    def smtp_source(self, port, size, msgs):
        r = subprocess.run(["smtp-source", "-s", str(self.conc), "-l", str(size), "-m",
                            str(msgs), "-f", SENDER, "-t", RCPT, f"127.0.0.1:{port}"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"smtp-source: {r.stdout.strip()} {r.stderr.strip()}")

    def loadgen(self, port, *args):
        r = subprocess.run([os.path.join(self.build, "bench", "loadgen"), *args,
                            f"127.0.0.1:{port}"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"loadgen {' '.join(args)}: {r.stdout.strip()} "
                               f"{r.stderr.strip()}")
        return r.stdout

    # -- one measured run ----------------------------------------------------
    def run_once(self, relay, sink, msgs, inject):
        """inject msgs into relay; returns the figures of the run"""
        base = sink.count
        cpu0 = procstat.cpu_seconds(relay.roots())
        with procstat.Sampler(relay.roots) as mem:
            t0 = time.monotonic()
            inject()
            t1 = time.monotonic()
            t2 = procstat.wait_until(lambda: sink.count >= base + msgs, 120 + msgs / 20)
            if t2 is None:
                raise RuntimeError(f"{relay.name}: the sink got {sink.count - base} of "
                                   f"{msgs} messages")
        cpu1 = procstat.cpu_seconds(relay.roots())
        # the next run starts with an empty queue
        procstat.wait_until(lambda: relay.queue_length() == 0, 60, 0.05)
        return {"inj": msgs / (t1 - t0), "e2e": msgs / (t2 - t0),
                "cpu": (cpu1 - cpu0) / msgs * 1000, "mem": mem.peak / 2**20}

    def series(self, relay, sink, msgs, inject, what):
        out = []
        for i in range(self.runs):
            r = self.run_once(relay, sink, msgs, inject)
            print(f"  {relay.name:<17} {what}: run {i + 1}: injection {r['inj']:.0f} msgs/s, "
                  f"end to end {r['e2e']:.0f} msgs/s, {r['cpu']:.2f} CPU s/1000, "
                  f"{r['mem']:.0f} MiB", flush=True)
            out.append(r)
        return out

    # -- sections --------------------------------------------------------------
    def section_dkim(self):
        print("== DKIM signing, one core ==", flush=True)
        speed = subprocess.run(["openssl", "speed", "-seconds", str(self.dkim_secs), "rsa2048",
                                "ed25519"], capture_output=True, text=True).stdout
        ossl = {}
        for line in speed.splitlines():
            f = line.split()
            if len(f) > 3 and f[0] == "rsa" and f[1] == "2048":
                ossl["rsa-sha256"] = float(f[-2])
            elif "(Ed25519)" in line:
                ossl["ed25519-sha256"] = float(f[-2])
        out = subprocess.run([os.path.join(self.build, "bench", "dkim_bench"),
                              str(self.dkim_secs)], capture_output=True, text=True,
                             check=True).stdout
        print(f"{'':<24} {'openssl speed':>14} {'key op':>10} {'whole signature':>16} "
              f"{'overhead':>9}")
        for line in out.splitlines():
            f = line.split()
            if f[0] == "message":
                print(f"{'message (both, msgs/s)':<24} {'-':>14} {float(f[2]):>10.0f} "
                      f"{float(f[4]):>16.0f} {float(f[6].rstrip('%')):>8.1f}%")
            else:
                print(f"{f[0] + ' (sigs/s)':<24} {ossl.get(f[0], 0):>14.0f} "
                      f"{float(f[2]):>10.0f} {float(f[4]):>16.0f} {float(f[6].rstrip('%')):>8.1f}%")
        print("overhead: canonicalization, header selection, the hashes and the field, as a\n"
              "share of the key operation. A message gets both signatures; its body is\n"
              "hashed once for the two.\n", flush=True)

    def throughput(self, relay, sink, results):
        """smtp-source at 2 and 20 KiB; loadgen through STARTTLS (+AUTH)"""
        for size in (2048, 20480):
            key = f"{size // 1024} KiB"
            results[key] = self.series(relay, sink, self.msgs, lambda: self.smtp_source(
                relay.port, size, self.msgs), f"{key} smtp-source")
        auth = []
        if isinstance(relay, relays.Postern):
            auth = ["--auth", f"benchauth:{relay.password}"]
        for per, label in ((1, "TLS 1/conn"), (100, "TLS 100/conn")):
            results[label] = self.series(relay, sink, self.msgs, lambda: self.loadgen(
                relay.port, "-s", str(self.conc), "-m", str(self.msgs), "-M", str(per),
                "--starttls", *auth), label)

    def section_relay(self):
        print(f"== relaying to smtp-sink: {self.msgs} messages a run, {self.conc} sessions, "
              f"{self.runs} runs ==", flush=True)
        self.res = {}
        for relay in (self.get_postern(), self.get_postfix()):
            sink = self.started(relays.Sink(relay.sink_port))
            self.started(relay.start())
            res = self.res.setdefault(relay.name, {})
            try:
                self.throughput(relay, sink, res)
            finally:
                self.stop(relay)
                self.stop(sink)
        # the setup most guides give: OpenDKIM over TCP on loopback (2 KiB only)
        sink = self.started(relays.Sink())
        pt = self.get_postern()
        tcp = relays.Postfix(self.work, sink.port, os.path.join(pt.dir, "cert.pem"),
                             os.path.join(pt.dir, "key.pem"), tcp_milter=True)
        self.started(tcp.start())
        try:
            runs = self.series(tcp, sink, self.msgs,
                               lambda: self.smtp_source(tcp.port, 2048, self.msgs),
                               "2 KiB smtp-source")
            self.res[tcp.name] = {"2 KiB": runs}
        finally:
            self.stop(tcp)
            self.stop(sink)

    def section_latency(self):
        """paced at half of each relay's own peak (its 2 KiB end-to-end median)"""
        print("== latency from 250 to the sink, paced at half of each one's peak ==", flush=True)
        self.lat = {}
        for relay in (self.postern, self.postfix):
            peak = procstat.summary([r["e2e"] for r in self.res[relay.name]["2 KiB"]])[0]
            rate = max(1.0, peak / 2)
            msgs = max(10, int(rate * self.lat_secs))
            stamps = os.path.join(self.work, f"arrivals-{relay.name}")
            sink = self.started(relays.Sink(relay.sink_port, stamps=(
                os.path.join(self.build, "bench", "tsink"), stamps)))
            self.started(relay.start())
            times = os.path.join(self.work, f"t250-{relay.name}")
            try:
                base = sink.count
                self.loadgen(relay.port, "-s", str(self.conc), "-m", str(msgs), "-M", "0",
                             "-r", f"{rate:.1f}", "-o", times)
                if procstat.wait_until(lambda: sink.count >= base + msgs, 120) is None:
                    raise RuntimeError(f"{relay.name}: the sink got {sink.count - base} of "
                                       f"{msgs} messages")
            finally:
                self.stop(relay)
                self.stop(sink)
            self.lat[relay.name] = self.latencies(times, stamps, rate, relay)

    def latencies(self, times, stamps, rate, relay):
        """250 at the client to the end of data at the sink, per X-Bench-Id"""
        t250 = {}
        with open(times) as f:
            for line in f:
                i, t = line.split()
                t250[i] = int(t)
        lat, sigs = [], []
        with open(stamps) as f:
            for line in f:
                i, t, n = line.split()
                sigs.append(int(n))
                if i in t250:
                    lat.append((int(t) - t250[i]) / 1e6)
        lat.sort()
        want = 2 if isinstance(relay, relays.Postern) else 1
        if len(lat) != len(t250) or min(sigs) < want:
            raise RuntimeError(f"{relay.name}: {len(lat)} of {len(t250)} messages matched at "
                               f"the sink, at least {min(sigs)} DKIM signatures each, "
                               f"not {want}")
        p50, p99 = procstat.percentile(lat, 50), procstat.percentile(lat, 99)
        print(f"  {relay.name:<17} {rate:.0f} msgs/s: {len(lat)} messages, p50 {p50:.2f} ms, "
              f"p99 {p99:.2f} ms, max {lat[-1]:.2f} ms, {min(sigs)} DKIM signature(s) on "
              "each", flush=True)
        return {"rate": rate, "p50": p50, "p99": p99, "n": len(lat), "sigs": min(sigs)}

    def section_api(self):
        """the HTTP send API: wrk POSTing 2 KiB JSON messages with an API key, each
        answered 202 once durable and signed; then until the sink has them all"""
        print(f"== HTTP send API: wrk, {self.conc} connections, {self.api_secs} s a run ==",
              flush=True)
        pt = self.get_postern()
        self.api_res = []
        sink = self.started(relays.Sink(pt.sink_port))
        self.started(pt.start())
        script = os.path.join(self.work, "post.lua")
        body = json.dumps({"from": SENDER, "to": RCPT, "subject": "bench",
                           "text": ("x" * 75 + "\n") * 26})
        with open(script, "w") as f:
            f.write('wrk.method = "POST"\n'
                    'wrk.headers["Content-Type"] = "application/json"\n'
                    f'wrk.headers["Authorization"] = "Bearer {pt.api_key}"\n'
                    f"wrk.body = [[{body}]]\n")
        try:
            for i in range(self.runs):
                base = sink.count
                cpu0 = procstat.cpu_seconds(pt.roots())
                t0 = time.monotonic()
                r = subprocess.run(["wrk", "-t", "2", "-c", str(self.conc), "-d",
                                    f"{self.api_secs}s", "--latency", "-s", script,
                                    f"http://127.0.0.1:{pt.api_port}/v1/messages"],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    raise RuntimeError(f"wrk: {r.stdout} {r.stderr}")
                total = int(re.search(r"(\d+) requests in", r.stdout).group(1))
                bad = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
                ok = total - (int(bad.group(1)) if bad else 0)
                p99 = re.search(r"99%\s+(\S+)", r.stdout).group(1)
                rps = float(re.search(r"Requests/sec:\s+(\S+)", r.stdout).group(1))
                t2 = procstat.wait_until(lambda: sink.count >= base + ok, 120 + ok / 20)
                if t2 is None or ok == 0:
                    raise RuntimeError(f"API: the sink got {sink.count - base} of {ok}")
                cpu = (procstat.cpu_seconds(pt.roots()) - cpu0) / ok * 1000
                res = {"rps": rps, "ok": ok, "total": total, "e2e": ok / (t2 - t0),
                       "p99": p99, "cpu": cpu}
                self.api_res.append(res)
                print(f"  run {i + 1}: {rps:.0f} requests/s ({ok} of {total} answered 202), "
                      f"p99 {p99}, end to end {res['e2e']:.0f} msgs/s, {cpu:.2f} CPU s/1000",
                      flush=True)
                procstat.wait_until(lambda: pt.queue_length() == 0, 60, 0.05)
        finally:
            self.stop(pt)
            self.stop(sink)

    @staticmethod
    def dlp_rules(n):
        """n DLP rules: the three built-in detectors, then patterns and keyword lists"""
        rules = ["card = card", "iban = iban", "ssn = ssn"]
        for i in range(n - 3):
            if i % 2:
                rules.append(f"words{i} = keywords:codename{i} alpha, codename{i} beta, "
                             f"internal only {i}")
            else:
                rules.append(f"pattern{i} = regex:(?i)ACCT-{i:02d}-[0-9]{{6}}")
        return "[dlp]\n" + "\n".join(rules) + "\n"

    def section_scan(self):
        """2 KiB through smtp-source with each scanner on alone, then all of them: the
        throughput each costs (their own CPU counted with Postern's)"""
        print("== the DLP engine alone, one core ==", flush=True)
        out = subprocess.run([os.path.join(self.build, "bench", "dlp_bench"),
                              str(self.dkim_secs)], capture_output=True, text=True,
                             check=True).stdout
        self.dlp_engine = out.strip().splitlines()
        for line in self.dlp_engine:
            print("  " + line)
        print(f"== content scanning: {self.scan_msgs} messages a run, 2 KiB, "
              f"{self.conc} sessions ==", flush=True)
        clamd = self.started(scanners.Clamd())
        rspamd = self.started(scanners.Rspamd())
        configs = (
            ("no scanning", ""),
            ("DLP, 50 rules", self.dlp_rules(50)),
            ("antivirus (clamd)", f"[scan]\nclamd = {clamd.socket}\n"),
            ("anti-spam (Rspamd)", f"[scan]\nrspamd = {rspamd.address}\n"),
            ("all three", f"[scan]\nclamd = {clamd.socket}\nrspamd = {rspamd.address}\n"
                          + self.dlp_rules(50)),
        )
        self.scan_res = []
        for i, (label, extra) in enumerate(configs):
            sink = self.started(relays.Sink())
            pt = relays.Postern(self.build, self.work, sink.port, extra=extra,
                                subdir=f"postern-scan{i}")
            self.started(pt.start())
            # the scanners' CPU is part of the cost
            others = [p.proc.pid for p, on in ((clamd, "clamd"), (rspamd, "rspamd"))
                      if on in extra]
            base_roots = pt.roots
            pt.roots = lambda base_roots=base_roots, others=others: base_roots() + others
            try:
                runs = self.series(pt, sink, self.scan_msgs, lambda: self.smtp_source(
                    pt.port, 2048, self.scan_msgs), label)
                self.scan_res.append((label, runs))
            finally:
                self.stop(pt)
                self.stop(sink)
        self.stop(rspamd)
        self.stop(clamd)

    def section_idle(self):
        """sessions that said EHLO (and STARTTLS) and then nothing; posternd
        restarted for each kind so that each starts from the same memory"""
        print(f"== {self.idle} idle sessions (EHLO, then nothing) ==", flush=True)
        pt = self.get_postern()
        self.idle_res = {}
        for label, extra in (("plain", []), ("STARTTLS", ["--starttls"])):
            sink = self.started(relays.Sink(pt.sink_port))
            self.started(pt.start())
            try:
                before = procstat.rss_bytes(pt.proc.pid)
                lg = subprocess.Popen([os.path.join(self.build, "bench", "loadgen"), "--idle",
                                       str(self.idle), *extra, f"127.0.0.1:{pt.port}"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                try:
                    line = lg.stdout.readline()
                    if not line.startswith("idle"):
                        raise RuntimeError(f"loadgen --idle: {line} {lg.stderr.read()}")
                    time.sleep(1)
                    after = procstat.rss_bytes(pt.proc.pid)
                finally:
                    lg.terminate()
                    lg.wait()
            finally:
                self.stop(pt)
                self.stop(sink)
            per = (after - before) / self.idle / 1024
            self.idle_res[label] = (after / 2**20, per)
            print(f"  {label}: RSS {before / 2**20:.1f} MiB before, {after / 2**20:.1f} MiB "
                  f"with {self.idle} sessions open ({per:.1f} KiB a session)", flush=True)

    def section_scale(self):
        n = self.scale
        print(f"== {n} messages deferred (the sink answers 4xx), then drained ==", flush=True)
        pt = self.get_postern()
        sink = self.started(relays.Sink(pt.sink_port, defer=True))
        self.started(pt.start())
        pid = pt.proc.pid
        steps = 10 if n >= 10000 else 2
        chunk = n // steps
        curve = []
        try:
            t0 = time.monotonic()
            for i in range(steps):
                self.smtp_source(pt.port, 2048, chunk)
                curve.append((chunk * (i + 1), procstat.rss_bytes(pid)))
                print(f"  {chunk * (i + 1)} deferred: RSS {curve[-1][1] / 2**20:.1f} MiB",
                      flush=True)
            inj = time.monotonic() - t0
            total = chunk * steps
            # every one was tried once and deferred
            procstat.wait_until(lambda: pt.queue_length() >= total, 60, 0.5)
            qlen = pt.queue_length()
            self.stop(sink)
            sink = self.started(relays.Sink(pt.sink_port))
            base = sink.count
            with procstat.Sampler(pt.roots) as mem:
                t1 = time.monotonic()
                pt.ctl("queue", "flush")
                t2 = procstat.wait_until(lambda: sink.count >= base + total, 600 + total / 50,
                                         0.05)
            if t2 is None:
                raise RuntimeError(f"the sink got {sink.count - base} of {total} messages")
            drained = procstat.wait_until(lambda: pt.queue_length() == 0, 60, 0.1)
            after = procstat.rss_bytes(pid)
        finally:
            self.stop(pt)
            self.stop(sink)
        first, last = curve[0], curve[-1]
        per = (last[1] - first[1]) / max(1, last[0] - first[0])
        self.scale_res = {"n": total, "queued": qlen, "inj": total / inj,
                          "rss_first": first, "rss_last": last, "per_msg": per,
                          "drain": t2 - t1, "drain_rate": total / (t2 - t1),
                          "drain_peak": mem.peak / 2**20, "after": after / 2**20,
                          "empty": drained is not None}
        print(f"  drained {total} in {t2 - t1:.1f} s ({total / (t2 - t1):.0f} msgs/s); "
              f"{per:.0f} bytes of RSS per deferred message", flush=True)

    # -- the report ------------------------------------------------------------
    def report(self):
        print()
        print("== Postern beside Postfix + OpenDKIM (median [min..max] of "
              f"{self.runs} runs) ==")
        if hasattr(self, "res"):
            a, b = self.res["Postern"], self.res["Postfix+OpenDKIM"]
            print(f"{'':<34} {'Postern':>22} {'Postfix+OpenDKIM':>22} {'ratio':>7}")
            titles = {"2 KiB": "2 KiB, smtp-source, a connection per message",
                      "20 KiB": "20 KiB, smtp-source, a connection per message",
                      "TLS 1/conn": "2 KiB, STARTTLS (+AUTH for Postern), a connection "
                                    "per message",
                      "TLS 100/conn": "2 KiB, STARTTLS (+AUTH for Postern), 100 messages "
                                      "per connection"}
            for key, title in titles.items():
                print(title)
                for fig, label, higher in (("inj", "injection, msgs/s", True),
                                           ("e2e", "end to end, msgs/s", True),
                                           ("cpu", "CPU s per 1,000 msgs", False),
                                           ("mem", "peak memory, MiB (PSS)", False)):
                    va = procstat.summary([r[fig] for r in a[key]])
                    vb = procstat.summary([r[fig] for r in b[key]])
                    ratio = va[0] / vb[0] if vb[0] else float("inf")
                    print(f"  {label:<32} {fmt(va):>22} {fmt(vb):>22} {ratio:>6.2f}x")
                tcp = self.res.get("Postfix+OpenDKIM (TCP milter)", {}).get(key)
                if tcp:
                    vc = procstat.summary([r["e2e"] for r in tcp])
                    va = procstat.summary([r["e2e"] for r in a[key]])
                    print(f"  {'  OpenDKIM over TCP instead':<32} {'':>22} {fmt(vc):>22} "
                          f"{va[0] / vc[0]:>6.2f}x")
        if hasattr(self, "lat"):
            a, b = self.lat["Postern"], self.lat["Postfix+OpenDKIM"]
            print(f"latency from 250 to the sink, at half of each one's peak "
                  f"({a['rate']:.0f} and {b['rate']:.0f} msgs/s)")
            for p in ("p50", "p99"):
                print(f"  {p + ', ms':<32} {a[p]:>22.1f} {b[p]:>22.1f} "
                      f"{a[p] / b[p] if b[p] else 0:>6.2f}x")
            print(f"  {'DKIM signatures per message':<32} {a['sigs']:>22} {b['sigs']:>22}")
        if any(hasattr(self, k) for k in ("idle_res", "scale_res", "api_res", "scan_res")):
            print("Postern alone")
        if getattr(self, "dlp_engine", None):
            print("  the DLP engine alone (one core; rules N text SIZE MB/s, msgs/s):")
            for line in self.dlp_engine:
                print("    " + line)
        if getattr(self, "scan_res", None):
            print("  content scanning, 2 KiB, smtp-source (scanners' CPU included):")
            base = procstat.summary([r["e2e"] for r in self.scan_res[0][1]])[0]
            for label, runs in self.scan_res:
                e2e = procstat.summary([r["e2e"] for r in runs])
                cpu = procstat.summary([r["cpu"] for r in runs])
                cost = (1 - e2e[0] / base) * 100 if base else 0
                print(f"    {label:<20} end to end {fmt(e2e):>20} msgs/s "
                      f"(throughput cost {cost:.0f}%), "
                      f"{fmt(cpu)} CPU s per 1,000")
        if getattr(self, "api_res", None):
            rps = procstat.summary([r["rps"] for r in self.api_res])
            e2e = procstat.summary([r["e2e"] for r in self.api_res])
            cpu = procstat.summary([r["cpu"] for r in self.api_res])
            print(f"  HTTP send API (2 KiB JSON, {self.conc} connections): {fmt(rps)} "
                  f"requests/s answered 202, end to end {fmt(e2e)} msgs/s, "
                  f"{fmt(cpu)} CPU s per 1,000, p99 {self.api_res[-1]['p99']}")
        if getattr(self, "supp_res", None):
            s = self.supp_res
            print(f"  suppression list of {int(s['entries']):,} entries ({s['db_mib']} MiB): "
                  f"a recipient's check {s['check_us_miss']} µs (on no list: the filter), "
                  f"{s['check_us_hit']} µs (on the list: the store); store lookup alone "
                  f"{s['lookup_us_hit']}/{s['lookup_us_miss']} µs; filter built in "
                  f"{s['filter_load_s']} s; filled at {int(s['fill_per_s']):,}/s")
        for label, (rss, per) in getattr(self, "idle_res", {}).items():
            print(f"  {self.idle} idle sessions ({label}): RSS {rss:.1f} MiB, "
                  f"{per:.1f} KiB a session")
        if hasattr(self, "scale_res"):
            s = self.scale_res
            print(f"  {s['n']} deferred (injected at {s['inj']:.0f} msgs/s): RSS "
                  f"{s['rss_first'][1] / 2**20:.1f} MiB at {s['rss_first'][0]}, "
                  f"{s['rss_last'][1] / 2**20:.1f} MiB at {s['rss_last'][0]} "
                  f"({s['per_msg']:.0f} bytes a message)")
            print(f"  drained in {s['drain']:.1f} s ({s['drain_rate']:.0f} msgs/s), peak "
                  f"{s['drain_peak']:.1f} MiB, {s['after']:.1f} MiB after")

    def section_suppress(self):
        """the lookup each recipient costs, with millions of entries on the list"""
        print(f"== suppression list: {self.supp} entries ==", flush=True)
        out = subprocess.run([os.path.join(self.build, "bench", "supp_bench"), self.work,
                              str(self.supp), str(min(self.supp, 200000))],
                             capture_output=True, text=True, check=True).stdout
        self.supp_res = dict(kv.split("=", 1) for kv in out.split())
        print("  " + out.strip().replace("\n", "\n  "))

    def main(self):
        try:
            if "dkim" in self.only:
                self.section_dkim()
            if self.only & {"relay", "latency"}:  # the latency run is paced by its peak
                self.section_relay()
            if "latency" in self.only:
                self.section_latency()
            if "api" in self.only:
                self.section_api()
            if "scan" in self.only:
                self.section_scan()
            if "suppress" in self.only:
                self.section_suppress()
            if "idle" in self.only:
                self.section_idle()
            if "scale" in self.only:
                self.section_scale()
            self.report()
        finally:
            self.stop_all()
            if os.environ.get("KEEP"):
                print(f"bench: work directory kept: {self.work}")
            else:
                shutil.rmtree(self.work, ignore_errors=True)


def fmt(v):
    med, lo, hi = v
    if med >= 100:
        return f"{med:.0f} [{lo:.0f}..{hi:.0f}]"
    return f"{med:.2f} [{lo:.2f}..{hi:.2f}]"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        Bench(args[0], "--smoke" in sys.argv).main()
    except RuntimeError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
