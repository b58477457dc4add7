"""
Integration test harness: runs a real posternd in a temporary directory and
talks to it through real clients (smtplib, ssl, swaks, openssl s_client).

Every relay a test starts is stopped by the fixture; stopping asserts a clean
exit, so an AddressSanitizer or UBSan report in the daemon fails the test.
"""
import http.client
import json
import os
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("POSTERN_BUILD", ROOT / "build"))
POSTERND = BUILD / "posternd"
POSTERNCTL = BUILD / "posternctl"
IS_ROOT = os.geteuid() == 0
# one way to pick a port, shared with the bench (bench/relays.py)
sys.path.insert(0, str(ROOT / "bench"))
from relays import free_port  # noqa: E402,F401

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def tls_client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


@pytest.fixture(scope="session")
def certdir():
    """A self-signed certificate, readable by the unprivileged run-as account."""
    d = Path(tempfile.mkdtemp(prefix="postern-cert-"))
    os.chmod(d, 0o755)
    for name in ("a", "b"):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
             "-subj", f"/CN=relay-{name}.test",
             "-keyout", str(d / f"{name}.key"), "-out", str(d / f"{name}.crt")],
            check=True, capture_output=True)
        os.chmod(d / f"{name}.key", 0o644)
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Relay:
    """A posternd process with its own configuration, state and ports."""

    def __init__(self, base, certdir, smtp=None, server=None, delivery=None, queue=None,
                 api=None, extra=""):
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        os.chmod(base, 0o755)
        self.port = free_port()
        self.tls_port = free_port()
        self.state = base / "state"
        self.capture = base / "capture"
        self.conf = base / "postern.ini"
        self.log_path = base / "posternd.log"
        self.certdir = certdir
        self.proc = None
        self.user = "nobody" if IS_ROOT else None
        smtp_keys = {
            "listen": f"127.0.0.1:{self.port}",
            "listen_tls": f"127.0.0.1:{self.tls_port}",
            "tls_cert": str(certdir / "a.crt"),
            "tls_key": str(certdir / "a.key"),
        }
        smtp_keys.update(smtp or {})
        server_keys = {"hostname": "relay.test", "state_dir": str(self.state),
                       "log_level": "debug"}
        if self.user:
            server_keys["user"] = self.user
        server_keys.update(server or {})
        delivery_keys = {"transport": "capture", "capture_dir": str(self.capture)}
        delivery_keys.update(delivery or {})
        queue_keys = {"retry_min": "1s", "retry_max": "2s"}
        queue_keys.update(queue or {})
        # the HTTP send API on a port of its own, when a test asks for it (api={...})
        self.api_port = free_port() if api is not None else None
        api_keys = {}
        if api is not None:
            api_keys = {"listen": f"127.0.0.1:{self.api_port}"}
            api_keys.update(api)
        text = ""
        for section, keys in (("server", server_keys), ("smtp", smtp_keys),
                              ("delivery", delivery_keys), ("queue", queue_keys),
                              ("api", api_keys)):
            if not keys:
                continue
            text += f"[{section}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
        self.conf.write_text(text + extra)

    # -- process ---------------------------------------------------------
    def proc_cmd(self):
        return [str(POSTERND), "-d", "-c", str(self.conf)]

    def start(self, wait=True):
        self.logf = open(self.log_path, "ab")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        self.proc = subprocess.Popen(self.proc_cmd(), stdout=self.logf, stderr=self.logf,
                                     env=env)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"posternd exited {self.proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    # greet, QUIT, and wait for the close, so this probe's session
                    # is gone before a test counts connections
                    s.settimeout(5)
                    s.recv(512)
                    s.sendall(b"QUIT\r\n")
                    while s.recv(512):
                        pass
                if (self.state / "control.sock").exists():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("posternd did not become ready:\n" + self.log())

    def stop(self, check=True):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("posternd did not stop on SIGTERM:\n" + self.log())
        rc = self.proc.returncode
        self.proc = None
        self.logf.close()
        if check:
            log = self.log()
            for mark in SANITIZER_MARKS:
                assert mark not in log, f"sanitizer report in posternd log:\n{log}"
            assert rc == 0, f"posternd exited {rc}:\n{log[-4000:]}"
        return rc

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self.logf.close()

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- administration --------------------------------------------------
    def ctl(self, *args, check=False):
        r = subprocess.run([str(POSTERNCTL), "-c", str(self.conf), *args],
                           capture_output=True, text=True, timeout=60)
        if check:
            assert r.returncode == 0, f"posternctl {args}: {r.returncode}\n{r.stdout}{r.stderr}"
        return r

    def ctl_json(self, *args):
        r = self.ctl("--json", *args, check=True)
        return json.loads(r.stdout)

    def add_source(self, name="app", *extra, identities=("*@example.com",)):
        """A source approved to send as identities (ENVELOPE or (ENVELOPE, FROM)
        patterns), with example.com signing keys active, so that a message
        from app@example.com is accepted as before identities existed."""
        out = self.ctl_json("source", "add", name, *extra)
        for ident in identities:
            pats = (ident,) if isinstance(ident, str) else tuple(ident)
            self.ctl("source", "allow", name, *pats, check=True)
        if identities:
            self.ensure_domain("example.com")
        return out.get("password")

    def ensure_domain(self, name, force=True):
        """Signing keys for name, active at once (no DNS to publish in)."""
        if name in getattr(self, "_domains", set()):
            return
        args = ["domain", "add", name] + (["--force"] if force else [])
        r = self.ctl(*args)
        assert r.returncode == 0 or "exists" in r.stderr, r.stdout + r.stderr
        self._domains = getattr(self, "_domains", set()) | {name}

    # -- clients ---------------------------------------------------------
    def http(self, method, path, body=None, key=None, headers=None, raw=None, timeout=30):
        """One request to the send API: (status, parsed JSON or text, headers)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=timeout)
        h = dict(headers or {})
        if key:
            h["Authorization"] = f"Bearer {key}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        text = r.read()
        conn.close()
        try:
            out = json.loads(text)
        except ValueError:
            out = text.decode("utf-8", "replace")
        return r.status, out, dict(r.getheaders())

    def admin(self, method, path, body=None):
        """One request to the admin API over the control socket: (status, JSON)."""
        conn = UnixHTTPConnection(str(self.state / "control.sock"))
        h = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        text = r.read()
        conn.close()
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text.decode("utf-8", "replace")

    def api_key(self, source, name="key1", expires=None):
        body = {"name": name, "kind": "api_key"}
        if expires:
            body["expires"] = expires
        st, out = self.admin("POST", f"/admin/v1/sources/{source}/credentials", body)
        assert st == 201, out
        return out["secret"]

    def smtp(self, starttls=True, login=None, timeout=30):
        s = smtplib.SMTP("127.0.0.1", self.port, local_hostname="client.test", timeout=timeout)
        s.ehlo()
        if starttls:
            s.starttls(context=tls_client_context())
            s.ehlo()
        if login:
            s.login(*login)
        return s

    def smtps(self, login=None, timeout=30):
        s = smtplib.SMTP_SSL("127.0.0.1", self.tls_port, local_hostname="client.test",
                             context=tls_client_context(), timeout=timeout)
        if login:
            s.login(*login)
        return s

    def raw(self, tls=False, timeout=10):
        return RawSMTP(("127.0.0.1", self.tls_port if tls else self.port), tls, timeout)

    # -- what came out ---------------------------------------------------
    def captured(self):
        if not self.capture.exists():
            return []
        return sorted(self.capture.glob("*.eml"))

    def wait_captured(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.captured()
            if len(got) >= n:
                return got
            time.sleep(0.05)
        raise AssertionError(f"expected {n} captured messages, have {len(self.captured())}:\n"
                             + self.log()[-3000:])

    def wait_unspooled(self, timeout=5):
        """the queue files left once they had time to go: a delivered message's
        file is removed just after its capture appears, not before"""
        deadline = time.time() + timeout
        while self.spooled() and time.time() < deadline:
            time.sleep(0.05)
        return self.spooled()

    def envelope(self, eml):
        return json.loads(Path(str(eml)[:-4] + ".json").read_text())

    def spooled(self):
        q = self.state / "spool" / "queue"
        return sorted(q.iterdir()) if q.exists() else []

    def assert_nothing_accepted(self):
        time.sleep(0.2)
        assert self.captured() == [], "a message was delivered"
        assert self.spooled() == [], "a message is in the queue"


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over the control socket."""

    def __init__(self, path, timeout=30):
        super().__init__("postern", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class RawSMTP:
    """A byte-level SMTP client, for the inputs a well-behaved library never sends."""

    def __init__(self, addr, tls, timeout):
        self.sock = socket.create_connection(addr, timeout=timeout)
        if tls:
            self.sock = tls_client_context().wrap_socket(self.sock)
        self.buf = b""

    def starttls(self):
        self.sock = tls_client_context().wrap_socket(self.sock)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def reply(self):
        """One whole reply (all its lines): (code, text), or (None, b'') at EOF."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                try:
                    chunk = self.sock.recv(65536)
                except (ConnectionResetError, ssl.SSLError):
                    chunk = b""
                if not chunk:
                    if lines:
                        break
                    return None, ""
                self.buf += chunk
            if b"\r\n" not in self.buf:
                break
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            if len(line) < 4 or line[3:4] != b"-":
                break
        return int(lines[-1][:3]), "\n".join(lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self, timeout=5):
        """True if the server closed the connection (EOF) within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


@pytest.fixture
def workdir():
    """A directory the unprivileged run-as account can reach."""
    d = Path(tempfile.mkdtemp(prefix="postern-test-"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def make_relay(workdir, certdir):
    """Factory: make_relay(smtp={...}, ...) -> a started Relay, stopped after the test."""
    relays = []

    def make(start=True, **kw):
        r = Relay(workdir / f"r{len(relays)}", certdir, **kw)
        relays.append(r)
        if start:
            r.start()
        return r

    yield make
    errors = []
    for r in relays:
        try:
            r.stop()
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n".join(errors)


@pytest.fixture
def relay(make_relay):
    return make_relay()


@pytest.fixture
def app(relay):
    """A password source: (relay, user, password)."""
    pw = relay.add_source("app")
    return relay, "app", pw


@pytest.fixture
def legacy(relay):
    """A source locked to 127.0.0.1 that needs no AUTH: plain-text raw sessions."""
    relay.add_source("legacy", "--ip", "127.0.0.1/32")
    return relay


def message(subject="hello", body="Hello.\r\n", headers=None, date=True, msgid=True):
    h = {"From": "app@example.com", "To": "user@example.org", "Subject": subject}
    if date:
        h["Date"] = "Mon, 23 Nov 2026 10:00:00 +0000"
    if msgid:
        h["Message-ID"] = "<fixed.1@example.com>"
    h.update(headers or {})
    return "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n" + body


# -- content scanners (bench/scanners.py): one of each per test run --
@pytest.fixture(scope="session")
def clamd():
    from scanners import Clamd
    c = Clamd()
    yield c
    c.stop()


@pytest.fixture(scope="session")
def rspamd():
    from scanners import Rspamd
    r = Rspamd()
    yield r
    r.stop()


def events_of(relay, status, n=1, timeout=10, **match):
    """The events of one type (newest first) once there are n of them whose
    fields equal match (the event log is written in batches)."""
    deadline = time.time() + timeout
    while True:
        st, out = relay.admin("GET", f"/admin/v1/events?status={status}&limit=500")
        assert st == 200, out
        got = [e for e in out["events"] if all(e.get(k) == v for k, v in match.items())]
        if len(got) >= n or time.time() > deadline:
            return got
        time.sleep(0.1)
