"""
Real content scanners for the tests, started in the foreground on loopback:
clamd (Debian's clamav-daemon) on a Unix socket with a signature database
the test writes, and rspamd with a minimal configuration on a free port. No
signature download, no system service touched.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from relays import free_port

# the EICAR test file (68 octets): every antivirus is meant to flag it
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
assert len(EICAR) == 68
# Rspamd's GTUBE strings: X rejects, Y adds a header, Z rewrites the subject
GTUBE = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
GTUBE_ADD_HEADER = b"YJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
GTUBE_REWRITE = b"ZJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
SIGNATURE = "Postern-Test-EICAR"


def _tmpdir(prefix):
    d = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(d, 0o755)  # posternd runs as nobody
    return d


class Clamd:
    """clamd in the foreground; .socket is its Unix socket (socket= to choose it),
    extra more lines of clamd.conf."""

    def __init__(self, extra="", socket=None):
        self.dir = _tmpdir("postern-clamd-")
        db = self.dir / "db"
        db.mkdir()
        # a body signature: the EICAR string anywhere in what clamd scans (after
        # it decoded the MIME parts and opened the archives), and its hash
        (db / "postern.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
        self.socket = socket or str(self.dir / "clamd.sock")
        conf = self.dir / "clamd.conf"
        conf.write_text(
            f"LocalSocket {self.socket}\nLocalSocketMode 666\nForeground yes\n"
            f"DatabaseDirectory {db}\nLogFile {self.dir / 'clamd.log'}\n"
            f"PidFile {self.dir / 'clamd.pid'}\nTemporaryDirectory {self.dir}\n"
            "StreamMaxLength 25M\nMaxThreads 4\n" + extra)
        self.log = open(self.dir / "clamd.out", "ab")
        self.proc = subprocess.Popen(["clamd", "-c", str(conf)], stdout=self.log,
                                     stderr=self.log)
        self._wait()

    def _wait(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("clamd exited: " + (self.dir / "clamd.out").read_text())
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.settimeout(2)
                    s.connect(self.socket)
                    s.sendall(b"zPING\0")
                    if s.recv(16).startswith(b"PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("clamd did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


RSPAMD_CONF = """
options {{
  pidfile = "{dir}/rspamd.pid";
  dbdir = "{dir}/db";
  filters = "";
  url_tld = "{dir}/tld.dat";
  enable_test_patterns = true;
  dns {{ nameserver = ["127.0.0.1:{dns}"]; timeout = 1s; retransmits = 1; }}
}}
logging {{ type = "file"; filename = "{dir}/rspamd.log"; level = "notice"; }}
worker "normal" {{ bind_socket = "127.0.0.1:{port}"; count = 1; }}
actions {{ reject = 15; rewrite_subject = 8; add_header = 6; greylist = 4; }}
"""


class Rspamd:
    """rspamd in the foreground with the normal worker only; .address is HOST:PORT."""

    def __init__(self):
        self.dir = _tmpdir("postern-rspamd-")
        (self.dir / "db").mkdir()
        # a short public-suffix list: the full one takes rspamd 15 s to compile
        (self.dir / "tld.dat").write_text("com\norg\nnet\ntest\nexample\n")
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        conf = self.dir / "rspamd.conf"
        # no DNS: a closed port answers at once
        conf.write_text(RSPAMD_CONF.format(dir=self.dir, port=self.port, dns=free_port()))
        self.log = open(self.dir / "rspamd.out", "ab")
        args = ["rspamd", "-f", "-c", str(conf)]
        if os.geteuid() == 0:
            args += ["-u", "root", "-g", "root"]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log,
                                     start_new_session=True)
        self._wait()

    def _wait(self, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("rspamd exited: " + (self.dir / "rspamd.out").read_text())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(b"GET /ping HTTP/1.0\r\n\r\n")
                    if b"pong" in s.recv(512):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("rspamd did not start")

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class SilentSocket:
    """A Unix socket that takes connections and what they send, and never answers:
    a scanner that hangs. With answer set, it answers that (octets) once the
    stream has ended instead, then closes: a scanner that says odd things."""

    def __init__(self, answer=None):
        self.answer = answer
        self.dir = _tmpdir("postern-silent-")
        self.path = str(self.dir / "silent.sock")
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind(self.path)
        os.chmod(self.path, 0o666)
        self.srv.listen(16)
        self.conns = []
        self.stopping = False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self.stopping:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._drain, args=(c,), daemon=True).start()

    def _drain(self, c):
        got = b""
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    return
                got += chunk
                # INSTREAM ends with a zero length
                if self.answer is not None and got.endswith(b"\0\0\0\0"):
                    c.sendall(self.answer)
                    c.close()
                    return
        except OSError:
            pass

    def stop(self):
        self.stopping = True
        self.srv.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
