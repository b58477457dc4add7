"""relays.py - the servers of the benchmark: the sink, Postern, Postfix + OpenDKIM.

Each is started in the bench's work directory on free loopback ports and
stopped by stop(); nothing outside the work directory is touched (Postfix
runs as a private instance: `postfix -c DIR`).
"""

import json
import os
import random
import re
import shutil
import socket
import subprocess
import threading

import procstat

DOMAIN = "example.com"
SENDER = "app@example.com"
RCPT = "user@example.org"


_given = set()  # ports handed out by this process: each once, even before it is bound


def free_port():
    """a free port below the ephemeral range, which the load's own outgoing
    connections draw from (a server restarted later must find it free), and
    never one this process handed out already (a server may not have bound
    it yet)"""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(200):
        port = random.randrange(10000, max(10001, low))
        if port in _given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            _given.add(port)
            return port
    raise RuntimeError("no free port below the ephemeral range")


def wait_port(port, timeout=30):
    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    if procstat.wait_until(up, timeout, 0.05) is None:
        raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def unprivileged():
    """the user servers started as root switch to"""
    return "nobody" if os.geteuid() == 0 else None


class Sink:
    """Postfix's smtp-sink on a free port, counting messages (its -c output).

    defer=True answers RCPT with 4xx. stamps=(tsink, FILE) runs the bench's
    timestamping sink instead, which writes the arrival time of each message
    to FILE when stopped (the latency run)."""

    _COUNT = re.compile(rb"mesg=(\d+)")

    def __init__(self, port=None, defer=False, stamps=None):
        self.port = port or free_port()
        self.count = 0
        if stamps:
            args = [stamps[0], "-o", stamps[1], str(self.port)]
        else:
            args = ["smtp-sink", "-c"]
            user = unprivileged()
            if user:
                args += ["-u", user]
            if defer:
                args += ["-r", "rcpt"]
            args += [f"127.0.0.1:{self.port}", "1000"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_port(self.port)

    def _read(self):
        tail = b""
        while True:
            chunk = self.proc.stdout.read1(65536)
            if not chunk:
                return
            tail = (tail + chunk)[-200:]
            found = self._COUNT.findall(tail)
            if found:
                self.count = int(found[-1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        self._reader.join(timeout=5)


class Postern:
    """posternd relaying to a sink by a static route, every message signed
    RSA-2048 + Ed25519 and made durable before 250.

    Two sources: `bench`, locked to 127.0.0.1 (smtp-source cannot AUTH), and
    `benchauth`, a password source for the STARTTLS + AUTH runs."""

    name = "Postern"

    def __init__(self, build, work, sink_port, extra="", subdir="postern"):
        self.build = build
        self.dir = os.path.join(work, subdir)
        os.makedirs(self.dir, exist_ok=True)
        self.ini = os.path.join(self.dir, "postern.ini")
        self.port, self.tls_port, self.api_port = free_port(), free_port(), free_port()
        self.api_key = None
        self.proc = None
        self.password = None
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=bench",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        os.chmod(key, 0o644)
        user = unprivileged() or ""
        with open(self.ini, "w") as f:
            f.write(f"""[server]
hostname = bench.test
{"user = " + user if user else ""}
state_dir = {self.dir}/state
[smtp]
listen = 127.0.0.1:{self.port}
listen_tls = 127.0.0.1:{self.tls_port}
tls_cert = {cert}
tls_key = {key}
max_connections = 20000
max_connections_per_ip = 20000
[api]
listen = 127.0.0.1:{self.api_port}
[delivery]
allow_private_destinations = yes
tls = none
[routes]
example.org = [127.0.0.1]:{sink_port}
{extra}
""")

    def ctl(self, *args):
        r = subprocess.run([os.path.join(self.build, "posternctl"), "-c", self.ini, *args],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"posternctl {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def ctl_json(self, *args):
        return json.loads(self.ctl("--json", *args))

    def start(self):
        self.log = open(os.path.join(self.dir, "posternd.log"), "ab")
        self.proc = subprocess.Popen([os.path.join(self.build, "posternd"), "-d", "-c", self.ini],
                                     stdout=self.log, stderr=self.log)

        def up():
            if self.proc.poll() is not None:
                with open(os.path.join(self.dir, "posternd.log"), errors="replace") as f:
                    tail = f.read()[-2000:]
                raise RuntimeError(f"posternd exited ({self.proc.returncode}):\n{tail}")
            try:
                self.ctl("status")
                return True
            except RuntimeError:
                return False

        if procstat.wait_until(up, 30, 0.05) is None:
            raise RuntimeError("posternd did not come up")
        if self.password is None:
            self.ctl("source", "add", "bench", "--ip", "127.0.0.1/32")
            self.ctl("source", "allow", "bench", f"*@{DOMAIN}")
            self.password = self.ctl_json("source", "add", "benchauth")["password"]
            self.ctl("source", "allow", "benchauth", f"*@{DOMAIN}")
            self.ctl("domain", "add", DOMAIN, "--force")
            out = self.ctl_json("source", "credential", "add", "benchauth", "bench-key",
                                "--kind", "api-key")
            self.api_key = out["secret"]
        return self

    def roots(self):
        return [self.proc.pid] if self.proc else []

    def queue_length(self):
        return self.ctl_json("status")["queue_length"]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Postfix:
    """A private Postfix instance relaying to the sink, OpenDKIM as its milter
    signing RSA-2048 relaxed/relaxed. Postfix fsyncs every queue file before
    250, as Postern does."""

    name = "Postfix+OpenDKIM"

    def __init__(self, work, sink_port, cert=None, key=None, tcp_milter=False):
        """tcp_milter: OpenDKIM on inet:127.0.0.1:PORT, as most guides set it up"""
        self.tcp_milter = tcp_milter
        if tcp_milter:
            self.name = "Postfix+OpenDKIM (TCP milter)"
        self.dir = os.path.join(work, "postfix-tcp" if tcp_milter else "postfix")
        self.etc = os.path.join(self.dir, "etc")
        self.spool = os.path.join(self.dir, "spool")
        self.data = os.path.join(self.dir, "data")
        for d in (self.etc, self.spool, self.data):
            os.makedirs(d, exist_ok=True)
        self.port = free_port()
        # a unix socket, as Debian's opendkim is set up: over TCP on loopback
        # Nagle's algorithm and delayed ACKs stall the milter's small writes
        # (~75 ms a message, 172 msgs/s instead of about 400 here)
        sockdir = os.path.join(self.dir, "milter")
        os.makedirs(sockdir, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(sockdir, "opendkim")
        self.milter_sock = os.path.join(sockdir, "opendkim.sock")
        self.milter_port = free_port() if tcp_milter else None
        milter = (f"inet:127.0.0.1:{self.milter_port}" if tcp_milter
                  else f"unix:{self.milter_sock}")
        socket_spec = (f"inet:{self.milter_port}@127.0.0.1" if tcp_milter
                       else f"local:{self.milter_sock}")
        self.dkim = None
        if os.geteuid() == 0:
            shutil.chown(self.data, "postfix")
        tls = ""
        if cert:
            tls = (f"smtpd_tls_cert_file = {cert}\nsmtpd_tls_key_file = {key}\n"
                   "smtpd_tls_security_level = may\n")
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(f"""compatibility_level = 3.6
queue_directory = {self.spool}
data_directory = {self.data}
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.bench.test
mydestination =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:{sink_port}
smtp_tls_security_level = none
maillog_file = {self.dir}/postfix.log
maillog_file_prefixes = {self.dir}
smtpd_milters = {milter}
milter_default_action = tempfail
{tls}""")
        # Debian's master.cf, without chroot, smtpd on our port
        out = []
        with open("/etc/postfix/master.cf") as f:
            for line in f:
                cols = line.split()
                if not line[0].isspace() and not line.startswith("#") and len(cols) >= 8:
                    if cols[0] == "smtp" and cols[1] == "inet":
                        cols[0] = str(self.port)
                    cols[4] = "n"
                    line = "  ".join(cols) + "\n"
                out.append(line)
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.writelines(out)
        # OpenDKIM: an RSA-2048 key for example.com
        kdir = os.path.join(self.dir, "dkim")
        os.makedirs(kdir, exist_ok=True)
        self.keyfile = os.path.join(kdir, "bench.private")
        subprocess.run(["openssl", "genrsa", "-out", self.keyfile, "2048"], check=True,
                       capture_output=True)
        os.chmod(self.keyfile, 0o600)
        if os.geteuid() == 0:
            shutil.chown(kdir, "opendkim")
            shutil.chown(self.keyfile, "opendkim")
        self.dkim_conf = os.path.join(self.dir, "opendkim.conf")
        with open(self.dkim_conf, "w") as f:
            f.write(f"""Syslog no
Mode s
Domain {DOMAIN}
Selector bench
KeyFile {self.keyfile}
RequireSafeKeys false
Canonicalization relaxed/relaxed
SignatureAlgorithm rsa-sha256
Socket {socket_spec}
UMask 000
InternalHosts 127.0.0.0/8
{"UserID opendkim" if os.geteuid() == 0 else ""}
""")

    def _postfix(self, verb):
        # postfix(1) reports only to syslog or a terminal; script(1) gives it one
        r = subprocess.run(["script", "-qec", f"postfix -c {self.etc} {verb}", "/dev/null"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"postfix {verb}: {r.stdout.strip()}")

    def master_pid(self):
        try:
            with open(os.path.join(self.spool, "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def start(self):
        self.dkim_log = open(os.path.join(self.dir, "opendkim.log"), "ab")
        self.dkim = subprocess.Popen(["opendkim", "-f", "-x", self.dkim_conf],
                                     stdout=self.dkim_log, stderr=self.dkim_log)
        if self.tcp_milter:
            wait_port(self.milter_port)
        elif procstat.wait_until(lambda: os.path.exists(self.milter_sock), 30, 0.05) is None:
            raise RuntimeError(f"opendkim did not start; see {self.dir}/opendkim.log")
        self._postfix("start")
        wait_port(self.port)
        return self

    def roots(self):
        return [p for p in (self.master_pid(), self.dkim.pid if self.dkim else None) if p]

    def queue_length(self):
        n = 0
        for sub in ("incoming", "active", "deferred", "maildrop", "hold"):
            for _, _, files in os.walk(os.path.join(self.spool, sub)):
                n += len(files)
        return n

    def stop(self):
        pid = self.master_pid()
        if pid and os.path.exists(f"/proc/{pid}"):
            try:
                self._postfix("stop")
            except RuntimeError:
                pass
            procstat.wait_until(lambda: not os.path.exists(f"/proc/{pid}"), 30, 0.1)
        if self.dkim and self.dkim.poll() is None:
            self.dkim.terminate()
            self.dkim.wait()
        self.dkim = None
