"""posternctl source ... through the admin API on the control socket."""
import json
import os
import stat
import subprocess

from conftest import POSTERNCTL


def test_source_lifecycle(relay):
    r = relay.ctl("source", "add", "billing", "--kind", "saas")
    assert r.returncode == 0, r.stderr
    assert "SMTP user name: billing" in r.stdout
    pw = [l.split()[-1] for l in r.stdout.splitlines() if l.startswith("password:")][0]
    assert len(pw) == 32

    listing = relay.ctl_json("source", "list")["sources"]
    assert [(s["name"], s["kind"], s["auth"], s["status"]) for s in listing] == [
        ("billing", "saas", "password", "active")]
    # the secret is never returned again, nor its hash
    shown = relay.ctl_json("source", "show", "billing")["source"]
    assert "password" not in json.dumps(shown) or shown["credentials"][0]["kind"] == "password"
    assert pw not in json.dumps(shown) and "argon2" not in json.dumps(shown)

    assert relay.ctl_json("source", "suspend", "billing")["source"]["status"] == "suspended"
    assert "suspended" in relay.ctl("source", "list").stdout
    assert relay.ctl_json("source", "resume", "billing")["source"]["status"] == "active"
    new = relay.ctl_json("source", "passwd", "billing")["password"]
    assert new != pw and len(new) == 32
    assert relay.ctl_json("source", "delete", "billing") == {"deleted": "billing"}
    assert relay.ctl_json("source", "list") == {"sources": []}
    assert pw not in relay.log() and new not in relay.log()


def test_ip_source(relay):
    out = relay.ctl_json("source", "add", "legacy", "--ip", "192.0.2.0/24", "--ip", "::1")
    assert "password" not in out
    assert out["source"]["networks"] == ["192.0.2.0/24", "::1/128"]
    assert out["source"]["auth"] == "ip"
    r = relay.ctl("source", "networks", "legacy")
    assert r.returncode == 1 and "needs at least one network" in r.stderr
    assert relay.ctl("source", "passwd", "legacy").returncode == 1


def test_errors_have_clear_messages_and_exit_codes(relay):
    relay.ctl("source", "add", "dup", check=True)
    r = relay.ctl("source", "add", "dup")
    assert r.returncode == 1 and "already exists" in r.stderr
    r = relay.ctl("source", "show", "nosuch")
    assert r.returncode == 1 and "no source named nosuch" in r.stderr
    r = relay.ctl("source", "add", "bad name!")
    assert r.returncode == 1 and "a source name is" in r.stderr
    r = relay.ctl("source", "add", "x", "--kind", "martian")
    assert r.returncode == 1 and "kind must be" in r.stderr
    r = relay.ctl("source", "add", "y", "--ip", "10.1.2.3/8")
    assert r.returncode == 1 and "host bits must be zero" in r.stderr
    r = relay.ctl("source", "frobnicate", "x")
    assert r.returncode == 2
    r = relay.ctl("--json", "source", "show", "nosuch")
    assert r.returncode == 1
    assert json.loads(r.stdout)["error"]["code"] == "not_found"


def test_no_daemon(tmp_path):
    r = subprocess.run([str(POSTERNCTL), "-s", str(tmp_path / "none.sock"), "source", "list"],
                       capture_output=True, text=True)
    assert r.returncode == 3 and "cannot reach posternd" in r.stderr


def test_control_socket_is_owner_only(relay):
    st = os.stat(relay.state / "control.sock")
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert stat.S_IMODE(os.stat(relay.state).st_mode) == 0o700


def test_admin_api_rejects_bad_requests(relay):
    import socket

    def http(raw):
        s = socket.socket(socket.AF_UNIX)
        s.connect(str(relay.state / "control.sock"))
        s.sendall(raw)
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
        s.close()
        return data

    def post(body, ctype="application/json"):
        return http(b"POST /admin/v1/sources HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    b"Content-Type: " + ctype.encode() + b"\r\nContent-Length: " +
                    str(len(body)).encode() + b"\r\n\r\n" + body)

    assert b" 400 " in post(b"{not json")
    assert b" 415 " in post(b'{"name":"a"}', "text/plain")
    assert b" 400 " in post(b'{"name":"a","name":"b"}')          # duplicate keys
    assert b" 400 " in post(b'{"name":"a","extra":1}')           # unknown member
    assert b" 400 " in post(b"[1,2,3]")
    # the body limit is judged on the declared length, before reading the body
    assert b" 413 " in http(b"POST /admin/v1/sources HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Type: application/json\r\nContent-Length: 70000\r\n\r\n")
    assert b" 404 " in http(b"GET /admin/v1/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b" 405 " in http(b"PUT /admin/v1/sources HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            b"Content-Length: 0\r\n\r\n")
    assert b'"status":"ok"' in http(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")


def test_status(relay):
    st = relay.ctl_json("status")
    assert st["status"] == "ok" and st["version"] and st["queue_length"] == 0
