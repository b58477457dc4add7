"""
The protocol and TLS audit of issue 9, run by the tools an auditor would use:
testssl.sh against implicit TLS (465) and STARTTLS (587), and nmap's
smtp-open-relay script against every SMTP listener. Their verdicts are
asserted here; docs/SECURITY.md keeps the last full run.
"""
import json
import os
import random
import re
import shutil
import socket
import subprocess

import pytest

from conftest import free_port

needs_testssl = pytest.mark.skipif(shutil.which("testssl") is None, reason="testssl.sh missing")
needs_nmap = pytest.mark.skipif(shutil.which("nmap") is None, reason="nmap missing")


def free_tls_host():
    """a loopback address whose port 465 is free (tests may run in parallel)"""
    for _ in range(50):
        host = f"127.0.0.{random.randint(2, 250)}"
        with socket.socket() as s:
            try:
                s.bind((host, 465))
                return host
            except OSError:
                continue
    return None


def audited_relay(make_relay, sources):
    """a relay with submission, implicit TLS (also on 127.0.0.R:465, where
    nmap's scripts expect TLS, when root may bind it) and the inbound listener"""
    inbound = free_port()
    tls_host = free_tls_host() if os.geteuid() == 0 else None
    relay = make_relay(start=False, smtp={"max_errors": "20"},
                       extra=("[unsubscribe]\nbase_url = http://127.0.0.1:1\n"
                              "mailto_domain = unsub.example.com\n"
                              f"[inbound]\nlisten = 127.0.0.1:{inbound}\n"
                              "bounce_domain = bounces.example.com\n"
                              "complaints = fbl@example.com\n"))
    if tls_host:
        text = re.sub(r"^listen_tls = (\S+)$", rf"listen_tls = \1, {tls_host}:465",
                      relay.conf.read_text(), flags=re.M)
        relay.conf.write_text(text)
    relay.start()
    for args in sources:
        relay.add_source(*args)
    relay.inbound_port = inbound
    relay.tls_host = tls_host
    return relay


# -- testssl.sh ---------------------------------------------------------------

MUST = {
    "SSLv2": "not offered", "SSLv3": "not offered", "TLS1": "not offered",
    "TLS1_1": "not offered", "TLS1_2": "offered", "TLS1_3": "offered",
    "cipherlist_NULL": "not offered", "cipherlist_aNULL": "not offered",
    "cipherlist_EXPORT": "not offered", "cipherlist_LOW": "not offered",
    "cipherlist_3DES_IDEA": "not offered", "cipherlist_AVERAGE": "not offered",
    "cipherlist_STRONG": "offered", "PFS": "offered",
    "secure_renego": "supported", "secure_client_renego": "not vulnerable",
    "CRIME_TLS": "not vulnerable", "RC4": "not vulnerable",
}


@needs_testssl
def test_testssl_verdict_on_465_and_587(make_relay, workdir):
    relay = audited_relay(make_relay, [])
    common = ["testssl", "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
              "--connect-timeout", "10", "--openssl-timeout", "10",
              "-p", "-s", "-f", "-R", "-C", "-4"]
    runs = {}
    for name, target in (("465", [f"127.0.0.1:{relay.tls_port}"]),
                         ("587", ["--starttls", "smtp", f"127.0.0.1:{relay.port}"])):
        out = workdir / f"testssl-{name}.json"
        runs[name] = (out, subprocess.Popen(common + ["--jsonfile", str(out)] + target,
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            text=True))
    for name, (out, proc) in runs.items():
        text, _ = proc.communicate(timeout=300)
        findings = {f["id"]: f for f in json.loads(out.read_text())}
        for key, want in MUST.items():
            assert key in findings, f"{name}: testssl did not report {key}:\n{text}"
            assert findings[key]["finding"].startswith(want), \
                f"{name}: {key} is '{findings[key]['finding']}', want '{want}'"
        bad = [f for f in findings.values() if f["severity"] in ("MEDIUM", "HIGH", "CRITICAL")]
        assert bad == [], f"{name}: {bad}"
    relay.stop()


# -- nmap smtp-open-relay -------------------------------------------------------

def nmap_open_relay(host, port, domain):
    return subprocess.Popen(
        ["nmap", "-Pn", "-n", "-p", str(port), "--script", "+smtp-open-relay",
         "--script-args", f"smtp-open-relay.domain={domain},smtp-open-relay.ip=127.0.0.1",
         host], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def scan_every_listener(relay, domain):
    targets = [("submission", "127.0.0.1", relay.port), ("inbound", "127.0.0.1",
                                                         relay.inbound_port)]
    if relay.tls_host:
        targets.append(("implicit-tls", relay.tls_host, 465))
    procs = [(name, nmap_open_relay(h, p, domain)) for name, h, p in targets]
    for name, proc in procs:
        out, _ = proc.communicate(timeout=180)
        verdict = re.search(r"smtp-open-relay: (.*)", out)
        assert verdict, f"{name}: the script did not run:\n{out}"
        # "doesn't seem to be an open relay, all tests failed", or "isn't an open
        # relay, authentication needed" (the submission listener's 530 at MAIL)
        assert re.match(r"Server (doesn't seem to be|isn't) an open relay", verdict.group(1)), \
            f"{name}: {out}"
    return len(procs)


@needs_nmap
def test_nmap_open_relay_unauthenticated(make_relay):
    """nobody at 127.0.0.1 is a source: every listener refuses all 16 tests,
    even with the domain the relay signs for as the sender"""
    relay = audited_relay(make_relay, [("app",)])
    assert scan_every_listener(relay, "example.com") >= 2
    assert relay.captured() == [] and relay.spooled() == []
    relay.stop()


@needs_nmap
def test_nmap_open_relay_from_an_ip_source(make_relay):
    """127.0.0.1 is an IP-authorized source, approved for example.com only: as
    any other sender (the script's domain) nothing is relayed"""
    relay = audited_relay(make_relay, [("legacy", "--ip", "127.0.0.1/32")])
    scan_every_listener(relay, "example.org")
    assert relay.captured() == [] and relay.spooled() == []
    relay.stop()
