"""The benchmark harness, run tiny so that it cannot rot (`make bench` runs it
at full size; no figure is asserted here, only that every part ran, that
what was relayed was signed, and that every server it started is gone)."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = os.environ.get("POSTERN_BUILD", str(ROOT / "build"))


def leftovers(where):
    """processes whose command line or working directory is under where"""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if str(where) in cmd or cwd.startswith(str(where)):
            found.append(f"{pid}: {cmd}")
    return found


@pytest.fixture
def open_tmp():
    """a directory the servers' own users (postfix, opendkim, nobody) can reach,
    unlike pytest's tmp_path"""
    d = Path(tempfile.mkdtemp(prefix="bench-smoke."))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="the Postfix instance needs root")
def test_bench_smoke(open_tmp):
    tmp_path = open_tmp
    for prog in ("loadgen", "tsink", "dkim_bench", "dlp_bench", "supp_bench"):
        assert (Path(BUILD) / "bench" / prog).exists(), f"{prog} not built"
    env = dict(os.environ, TMPDIR=str(tmp_path))
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "bench.py"), BUILD, "--smoke"],
                       capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    for want in ("== DKIM signing, one core ==", "rsa-sha256 (sigs/s)",
                 "Postern beside Postfix + OpenDKIM",
                 "2 KiB, smtp-source", "20 KiB, smtp-source",
                 "STARTTLS (+AUTH for Postern), a connection per message",
                 "100 messages per connection", "latency from 250 to the sink",
                 "idle sessions (plain)", "idle sessions (STARTTLS)", "deferred (injected",
                 "HTTP send API (2 KiB JSON", "content scanning, 2 KiB", "the DLP engine alone", "DLP, 50 rules",
                 "antivirus (clamd)", "anti-spam (Rspamd)", "suppression list of",
                 "drained in"):
        assert want in out, out
    # the latency run checked each message at the sink: two signatures from
    # Postern, one from OpenDKIM
    sig = [line for line in out.splitlines() if "DKIM signatures per message" in line]
    assert sig and sig[0].split()[-2:] == ["2", "1"], out
    assert leftovers(tmp_path) == []
    assert list(tmp_path.iterdir()) == [], "the work directory was not removed"


def test_bench_usage():
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "bench.py")], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "bench.py BUILD" in r.stderr
