"""
The console end to end in a real browser (issue 10): Playwright
(playwright-core from npm, tests/console/) drives Debian's Chromium headless
against a real posternd carrying traffic this test sent. The browser logs in,
reads the counts (they must be what was sent), finds a message by recipient
and its timeline, releases a quarantined message (then delivered here), and
suspends a source (then its next SMTP AUTH fails here). Screenshots of each
page are kept in BUILD/console-screenshots/.
"""
import json
import os
import shutil
import smtplib
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BUILD, POSTERNCTL, ROOT, events_of, free_port, message, tls_client_context

CONSOLE_TESTS = ROOT / "tests" / "console"
PASSWORD = "a long console password"

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None or shutil.which("node") is None
    or not (CONSOLE_TESTS / "node_modules" / "playwright-core").exists(),
    reason="needs chromium, node and tests/console/node_modules (make test installs them)")


def smtp_login(relay, user, pw):
    s = smtplib.SMTP("127.0.0.1", relay.port, local_hostname="client.test", timeout=30)
    s.starttls(context=tls_client_context())
    s.login(user, pw)
    return s


def test_console_in_a_browser(make_relay, workdir):
    port = free_port()
    token = workdir / "admin.token"
    token.write_text("a-token-nobody-uses-in-this-test-0123456789\n")
    token.chmod(0o644)
    relay = make_relay(api={"admin_listen": f"127.0.0.1:{port}", "admin_token_file": str(token)},
                       delivery={"smarthost": f"[127.0.0.1]:{free_port()}", "smarthost_tls": "none",
                                 "allow_private_destinations": "yes"},
                       extra=("[dlp]\nsecret = regex:SECRET-[0-9]{4}\n"
                              "[routes]\nexample.net = smarthost\n"))
    pw = relay.add_source("app")
    relay.ctl("source", "scan", "app", "--dlp-action", "quarantine", check=True)
    r = subprocess.run([str(POSTERNCTL), "-c", str(relay.conf), "admin", "add", "ann",
                        "--password-stdin"], input=PASSWORD + "\n", capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr

    # the traffic: 4 delivered, 2 refused, 1 held by a data-loss rule
    s = smtp_login(relay, "app", pw)
    for i in range(4):
        s.sendmail("app@example.com", [f"reader{i}@example.org"], message(subject=f"hello {i}"))
    for bad in ("ceo@evil.test", "billing@elsewhere.test"):
        with pytest.raises(smtplib.SMTPSenderRefused):
            s.sendmail(bad, ["reader0@example.org"], message())
    s.sendmail("app@example.com", ["held@example.org"],
               message(subject="held", body="the code is SECRET-1234\r\n"))
    relay.wait_captured(4)
    # and one that cannot be delivered yet (example.net's route leads nowhere):
    # it waits in the queue
    s.sendmail("app@example.com", ["slow@example.net"], message(subject="waiting"))
    s.quit()
    [q] = relay.ctl_json("quarantine", "list")["messages"]
    events_of(relay, "delivered", 4)
    events_of(relay, "deferred", 1)

    shots = BUILD / "console-screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    expect = {"accepted": 6, "rejected": 2, "quarantined": 1, "rcpt": "reader2@example.org",
              "source": "app", "quarantine_id": q["id"], "waiting_for": "example.net"}
    env = dict(os.environ, BASE=f"http://127.0.0.1:{port}", USER="ann", PASSWORD=PASSWORD,
               SHOTS=str(shots), EXPECT=json.dumps(expect))
    p = subprocess.run(["node", str(CONSOLE_TESTS / "e2e.mjs")], env=env, capture_output=True,
                       text=True, timeout=240, cwd=CONSOLE_TESTS)
    assert p.returncode == 0, p.stdout + p.stderr
    seen = json.loads(p.stdout.strip().splitlines()[-1])
    assert seen["accepted"] == 6 and seen["rejected"] == 2 and seen["quarantined"] == 1
    assert seen["released"] and seen["suspended"]

    # what the clicks did: the released message is delivered, signed now (and
    # the waiting one, held with its suspended source, stays in the queue)
    relay.wait_captured(5)
    [waiting] = relay.ctl_json("queue", "list")["messages"]
    assert waiting["state"] == "held"
    # the suspended source's next AUTH fails
    with pytest.raises(smtplib.SMTPAuthenticationError):
        smtp_login(relay, "app", pw)
    # each change is in the audit log under the administrator's name
    st, audit = relay.admin("GET", "/admin/v1/audit?limit=10")
    actors = {(a["action"], a["target"]): a["actor"] for a in audit["audit"]}
    assert actors[("POST", "/admin/v1/sources/app/suspend")].startswith("console:ann@")
    assert actors[("POST", f"/admin/v1/quarantine/{q['id']}/release")].startswith("console:ann@")
    assert len(list(shots.glob("*.png"))) >= 11
    time.sleep(0.1)
