"""
Remote peers for the delivery tests, all on loopback: a DNS server (dnslib)
serving the test zones, fake MX servers (aiosmtpd) whose behaviour a test sets,
a raw socket server for hostile replies, and Postfix's smtp-sink.

Every MX host lives on its own loopback address (127.0.0.x) at one shared
port, since the relay reaches all MX hosts on [delivery] smtp_port.
"""
import asyncio
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as AioSMTP
from dnslib import AAAA, CNAME, MX, QTYPE, RCODE, RR, SOA, TXT, A
from dnslib.server import BaseResolver, DNSServer

from conftest import free_port


class Zone(BaseResolver):
    """Records by (name, type); a name in servfail gets SERVFAIL."""

    def __init__(self):
        self.records = {}
        self.servfail = set()
        self.queries = []
        self.lock = threading.Lock()

    def add(self, name, rtype, value):
        with self.lock:
            self.records.setdefault((name.lower().rstrip("."), rtype), []).append(value)

    def clear(self, name, rtype=None):
        with self.lock:
            for key in [k for k in self.records
                        if k[0] == name and rtype in (None, k[1])]:
                del self.records[key]

    def mx(self, domain, *hosts):
        """mx("example.test", (10, "mx1.example.test"), ...); (0, ".") is null MX."""
        for pref, host in hosts:
            self.add(domain, "MX", (pref, host))

    def a(self, name, *addrs):
        for a in addrs:
            self.add(name, "AAAA" if ":" in a else "A", a)

    def txt(self, name, value):
        """A TXT record; values over 255 octets are split into strings, as in DNS."""
        self.add(name, "TXT", value)

    def resolve(self, request, handler):
        reply = request.reply()
        q = request.q
        name = str(q.qname).lower().rstrip(".")
        qtype = QTYPE[q.qtype]
        with self.lock:
            self.queries.append((name, qtype))
            if name in self.servfail:
                reply.header.rcode = RCODE.SERVFAIL
                return reply
            known = any(k[0] == name for k in self.records)
            for value in self.records.get((name, qtype), []):
                if qtype == "MX":
                    rdata = MX(value[1], value[0])
                elif qtype == "A":
                    rdata = A(value)
                elif qtype == "AAAA":
                    rdata = AAAA(value)
                elif qtype == "TXT":
                    raw = value.encode()
                    rdata = TXT([raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""])
                else:
                    continue
                reply.add_answer(RR(q.qname, q.qtype, rdata=rdata, ttl=1))
            for target in self.records.get((name, "CNAME"), []):
                reply.add_answer(RR(q.qname, QTYPE.CNAME, rdata=CNAME(target), ttl=1))
        if not known:
            reply.header.rcode = RCODE.NXDOMAIN
        if not reply.rr:
            # negative answers carry the zone's SOA (RFC 2308), as real servers' do
            apex = ".".join(name.split(".")[-2:]) + "."
            reply.add_auth(RR(apex, QTYPE.SOA, ttl=60,
                              rdata=SOA("ns." + apex, "hostmaster." + apex,
                                        (1, 60, 60, 60, 60))))
        return reply


class FakeDNS:
    def __init__(self):
        self.zone = Zone()
        self.port = free_port()
        self.udp = DNSServer(self.zone, port=self.port, address="127.0.0.1")
        self.tcp = DNSServer(self.zone, port=self.port, address="127.0.0.1", tcp=True)
        self.udp.start_thread()
        self.tcp.start_thread()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        self.udp.stop()
        self.tcp.stop()
        self.udp.server.server_close()
        self.tcp.server.server_close()


class Received:
    def __init__(self, peer, helo, mail_from, rcpts, data, tls, mail_options):
        self.peer, self.helo, self.mail_from, self.rcpts = peer, helo, mail_from, rcpts
        self.data, self.tls, self.mail_options = data, tls, mail_options
        self.at = time.time()


class Handler:
    """What a fake MX does; a test changes the attributes as it goes."""

    def __init__(self, mx):
        self.mx = mx

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        mx = self.mx
        for pattern, reply in list(mx.rcpt_replies.items()):
            if pattern in address:
                if mx.rcpt_reply_times.get(pattern, 1) > 0:
                    if pattern in mx.rcpt_reply_times:
                        mx.rcpt_reply_times[pattern] -= 1
                    return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        mx = self.mx
        if mx.delay:
            await asyncio.sleep(mx.delay)
        if mx.drop_after_dot > 0:
            mx.drop_after_dot -= 1
            server.transport.close()
            return "250 never seen"
        if mx.data_reply:
            return mx.data_reply
        tls = session.ssl is not None
        with mx.lock:
            mx.messages.append(Received(session.peer, session.host_name, envelope.mail_from,
                                        list(envelope.rcpt_tos), envelope.original_content
                                        or envelope.content, tls, envelope.mail_options))
        return "250 2.0.0 Ok: stored"

    async def handle_QUIT(self, server, session, envelope):
        self.mx.quits += 1
        return "221 2.0.0 Bye"


class CountingSMTP(AioSMTP):
    def connection_made(self, transport):
        self.mx_ref.connections += 1
        self.mx_ref.transports.append(transport)
        super().connection_made(transport)


class FakeMX:
    """An aiosmtpd server on host:port; messages it took are in .messages."""

    def __init__(self, host, port, tls_context=None, smtputf8=True, hostname=None):
        self.host, self.port = host, port
        self.messages = []
        self.lock = threading.Lock()
        self.connections = 0
        self.quits = 0
        self.transports = []
        self.rcpt_replies = {}      # substring of the address -> reply
        self.rcpt_reply_times = {}  # substring -> how many times to give it
        self.data_reply = None
        self.drop_after_dot = 0
        self.delay = 0
        mx = self

        class Ctl(Controller):
            def factory(self):
                s = CountingSMTP(self.handler, tls_context=tls_context,
                                 enable_SMTPUTF8=smtputf8, decode_data=False,
                                 hostname=hostname or f"mx-{host}.test")
                s.mx_ref = mx
                return s

        self.ctl = Ctl(Handler(self), hostname=host, port=port)
        self.ctl.start()

    def wait(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"{self.host}: expected {n} messages, got {len(self.messages)}")

    def close_sessions(self, say_421=True):
        """end every open session the way a server with an idle timeout does
        (or, say_421=False, the way a crashed one does: no reply)"""
        def close():
            for t in self.transports:
                if not t.is_closing():
                    if say_421:
                        t.write(b"421 4.4.2 idle too long, closing\r\n")
                    t.close()
        self.ctl.loop.call_soon_threadsafe(close)

    def stop(self):
        self.ctl.stop()


class HostileServer:
    """A raw server that greets with whatever bytes a test gives it."""

    def __init__(self, host, port, script):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(8)
        self.script = script
        self.connections = 0
        self.stopped = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            try:
                self.script(conn)
            except OSError:
                pass
            finally:
                conn.close()

    def stop(self):
        self.stopped = True
        self.thread.join(timeout=5)
        self.sock.close()


class SmtpSink:
    """Postfix's smtp-sink with fault flags, dumping each message to a file."""

    def __init__(self, host, port, *flags):
        self.dir = Path(tempfile.mkdtemp(prefix="postern-sink-"))
        os.chmod(self.dir, 0o777)
        cmd = ["smtp-sink", "-d", str(self.dir / "%Y%m%d%H%M%S."), *flags]
        if os.geteuid() == 0:
            cmd += ["-u", "nobody"]
        cmd += [f"[{host}]:{port}" if ":" in host else f"{host}:{port}", "64"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection((host, port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("smtp-sink did not start")

    def messages(self):
        return sorted(self.dir.iterdir())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def tls_server_context(certdir, name="a"):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(certdir / f"{name}.crt"), str(certdir / f"{name}.key"))
    return ctx
