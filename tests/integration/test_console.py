"""
The web console's server side (issue 10): administrators with Argon2id
passwords (posternctl admin ...), logins and sessions in HttpOnly Secure
SameSite=Strict cookies, CSRF tokens on every change, the security headers,
login throttling, and the audit log naming the administrator. The browser
tests (Playwright driving Chromium) are in test_console_browser.py.
"""
import http.client
import json
import re
import subprocess

import pytest

from conftest import POSTERNCTL, free_port

PASSWORD = "correct horse battery staple"


@pytest.fixture
def console(make_relay, workdir):
    port = free_port()
    token = workdir / "admin.token"
    token.write_text("t0ken-for-the-admin-listener-0123456789\n")
    token.chmod(0o644)
    relay = make_relay(api={"admin_listen": f"127.0.0.1:{port}",
                            "admin_token_file": str(token)})
    relay.admin_port = port
    r = subprocess.run([str(POSTERNCTL), "-c", str(relay.conf), "admin", "add", "ann",
                        "--password-stdin"], input=PASSWORD + "\n", capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    return relay


def req(relay, method, path, body=None, headers=None, raw=None):
    c = http.client.HTTPConnection("127.0.0.1", relay.admin_port, timeout=30)
    h = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    text = r.read()
    c.close()
    try:
        out = json.loads(text)
    except ValueError:
        out = text
    return r.status, out, {k.lower(): v for k, v in r.getheaders()}, r.headers.get_all("Set-Cookie")


def login(relay, user="ann", password=PASSWORD):
    st, out, h, cookies = req(relay, "POST", "/console/api/login",
                              {"user": user, "password": password})
    assert st == 200, out
    cookie = cookies[0].split(";")[0]
    return cookie, out["csrf"], cookies[0]


def test_login_session_cookie_and_csrf(console):
    cookie, csrf, setcookie = login(console)
    attrs = [a.strip().lower() for a in setcookie.split(";")]
    assert "httponly" in attrs and "secure" in attrs and "samesite=strict" in attrs
    assert "path=/" in attrs
    assert re.fullmatch(r"__Host-postern_console=[A-Za-z0-9_-]{43}", cookie)
    # the session reads the admin API
    st, out, _, _ = req(console, "GET", "/admin/v1/status", headers={"Cookie": cookie})
    assert st == 200 and out["status"] == "ok"
    st, out, _, _ = req(console, "GET", "/console/api/session", headers={"Cookie": cookie})
    assert st == 200 and out == {"user": "ann", "csrf": csrf}
    # a change without the CSRF token, or with a wrong one, is refused and changes nothing
    for bad in ({}, {"X-CSRF-Token": "x" * 43}, {"X-CSRF-Token": ""}):
        st, out, _, _ = req(console, "POST", "/admin/v1/sources", {"name": "evil"},
                            headers={"Cookie": cookie, **bad})
        assert st == 403 and out["error"]["code"] == "csrf", out
    assert console.ctl_json("source", "list")["sources"] == []
    # with it: done, and audited with the administrator's name
    st, out, _, _ = req(console, "POST", "/admin/v1/sources", {"name": "web"},
                        headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    assert st == 201, out
    st, audit = console.admin("GET", "/admin/v1/audit?limit=5")
    assert audit["audit"][0]["actor"].startswith("console:ann@127.0.0.1"), audit
    # logout ends the session
    st, _, _, cookies = req(console, "POST", "/console/api/logout",
                            headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    assert st == 200 and "max-age=0" in cookies[0].lower()
    st, _, _, _ = req(console, "GET", "/admin/v1/status", headers={"Cookie": cookie})
    assert st == 401


def test_no_session_no_access(console):
    for method, path in (("GET", "/admin/v1/status"), ("GET", "/admin/v1/sources"),
                         ("POST", "/admin/v1/sources"), ("GET", "/metrics"),
                         ("POST", "/console/api/logout")):
        st, out, _, _ = req(console, method, path, {} if method == "POST" else None)
        assert st == 401, (path, out)
    st, out, _, _ = req(console, "GET", "/console/api/session")
    assert st == 200 and out == {"user": None}
    # forged and stale cookies
    for cookie in ("__Host-postern_console=" + "A" * 43, "__Host-postern_console=",
                   "__Host-postern_console=x;", "other=1; __Host-postern_console=" + "B" * 43,
                   "postern_console=" + "C" * 43):
        st, _, _, _ = req(console, "GET", "/admin/v1/status", headers={"Cookie": cookie})
        assert st == 401, cookie


def test_the_pages_and_their_headers(console):
    st, body, h, _ = req(console, "GET", "/console/")
    assert st == 200 and b"<script src=\"/console/app.js\"></script>" in body
    assert h["content-type"].startswith("text/html")
    csp = h["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    st, body, h, _ = req(console, "GET", "/console/app.js")
    assert st == 200 and h["content-type"].startswith("text/javascript")
    st, _, h, _ = req(console, "GET", "/console")
    assert st == 301 and h["location"] == "/console/"
    for path in ("/console/../postern.ini", "/console/nope.js", "/console/%2e%2e/x"):
        st, _, h, _ = req(console, "GET", path)
        assert st == 404 and "content-security-policy" in h, path
    # the admin API's answers carry them too
    st, _, h, _ = req(console, "GET", "/admin/v1/status")
    assert st == 401 and h["x-frame-options"] == "DENY"


def test_login_refusals_and_throttling(console):
    # a form cannot log in (no JSON): CSRF on the login itself
    st, out, _, _ = req(console, "POST", "/console/api/login", raw=b"user=ann&password=x",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 415
    st, out, _, _ = req(console, "POST", "/console/api/login", {"user": "ann"})
    assert st == 400
    # wrong password and unknown name: the same answer
    a = req(console, "POST", "/console/api/login", {"user": "ann", "password": "wrong"})
    b = req(console, "POST", "/console/api/login", {"user": "bob", "password": "wrong"})
    assert a[0] == b[0] == 401 and a[1] == b[1]
    for _ in range(3):
        assert req(console, "POST", "/console/api/login",
                   {"user": "ann", "password": "wrong"})[0] == 401
    # the sixth attempt from this address is throttled, even with the right password
    st, out, h, _ = req(console, "POST", "/console/api/login",
                        {"user": "ann", "password": PASSWORD})
    assert st == 429 and int(h["retry-after"]) > 0, out
    log = console.log()
    assert PASSWORD not in log and "wrong" not in log.replace("wrong name", "")
    assert "console login user=ann client=127.0.0.1 result=failed" in log


def test_token_login_and_admin_management(console):
    st, out, _, cookies = req(console, "POST", "/console/api/login",
                              {"token": "t0ken-for-the-admin-listener-0123456789"})
    assert st == 200 and out["user"] == "token"
    # posternctl admin: list, passwd (ends sessions), remove
    cookie, csrf, _ = login(console)
    listed = console.ctl_json("admin", "list")["admins"]
    assert [a["name"] for a in listed] == ["ann"] and listed[0]["last_login"]
    assert "secret_hash" not in json.dumps(listed) and "argon2" not in json.dumps(listed)
    r = console.ctl("admin", "passwd", "ann", check=True)
    new = re.search(r"password: (\S+)", r.stdout).group(1)
    assert req(console, "GET", "/admin/v1/status", headers={"Cookie": cookie})[0] == 401
    cookie, csrf, _ = login(console, password=new)
    console.ctl("admin", "remove", "ann", check=True)
    assert req(console, "GET", "/admin/v1/status", headers={"Cookie": cookie})[0] == 401
    # bad input to posternctl admin
    for args in (["admin", "add", "bad name"], ["admin", "add"], ["admin", "frob", "x"],
                 ["admin", "remove", "nobody-here"]):
        r = console.ctl(*args)
        assert r.returncode != 0 and r.stderr, args
    r = subprocess.run([str(POSTERNCTL), "-c", str(console.conf), "admin", "add", "weak",
                        "--password-stdin"], input="short\n", capture_output=True, text=True)
    assert r.returncode != 0 and "12" in r.stderr


def test_queue_by_destination_and_series(console):
    cookie, csrf, _ = login(console)
    console.add_source("legacy", "--ip", "127.0.0.1/32")
    console.capture.mkdir(exist_ok=True)
    console.capture.chmod(0o555)  # delivery fails: the message waits in the queue
    s = console.smtp(starttls=False)
    s.sendmail("app@example.com", ["a@example.org", "b@Example.org", "c@other.test"],
               "Subject: x\r\nFrom: app@example.com\r\n\r\nx\r\n")
    s.quit()
    st, out, _, _ = req(console, "GET", "/admin/v1/queue?destinations=1",
                        headers={"Cookie": cookie})
    assert st == 200
    [m] = out["messages"]
    assert sorted(d.lower() for d in m["destinations"]) == ["example.org", "other.test"]
    st, out, _, _ = req(console, "GET", "/admin/v1/queue", headers={"Cookie": cookie})
    assert "destinations" not in out["messages"][0]
    # the per-minute series the charts draw
    st, out, _, _ = req(console, "GET", "/admin/v1/stats/series?since=10m&step=1m",
                        headers={"Cookie": cookie})
    assert st == 200 and out["buckets"] == 10 and out["step_seconds"] == 60
    assert sum(out["series"]["accepted"]) == 1 and len(out["series"]["accepted"]) == 10
    for bad in ("step=0", "step=1ms", "since=30d&step=1s", "step=x", "since=nope"):
        st, out, _, _ = req(console, "GET", f"/admin/v1/stats/series?{bad}",
                            headers={"Cookie": cookie})
        assert st == 400, (bad, out)
    console.capture.chmod(0o755)


def test_review_hardening(console):
    import concurrent.futures
    # a planted cookie of the same name does not hide the real one
    cookie, csrf, _ = login(console)
    planted = "__Host-postern_console=" + "Z" * 43
    st, _, _, _ = req(console, "GET", "/admin/v1/status",
                      headers={"Cookie": f"{planted}; junk; {cookie}"})
    assert st == 200
    # a change from another origin is refused even with the token and cookie
    st, out, _, _ = req(console, "POST", "/admin/v1/sources", {"name": "x"},
                        headers={"Cookie": cookie, "X-CSRF-Token": csrf,
                                 "Origin": "http://evil.test"})
    assert st == 403 and out["error"]["code"] == "csrf"
    st, out, _, _ = req(console, "POST", "/console/api/login",
                        {"user": "ann", "password": PASSWORD},
                        headers={"Origin": "http://evil.test:8080"})
    assert st == 403 and out["error"]["code"] == "bad_origin"
    st, out, _, _ = req(console, "POST", "/admin/v1/sources", {"name": "same-origin"},
                        headers={"Cookie": cookie, "X-CSRF-Token": csrf,
                                 "Origin": f"http://127.0.0.1:{console.admin_port}"})
    assert st == 201, out
    # a password chosen by the caller never reaches the audit log
    st, out, _, _ = req(console, "POST", "/admin/v1/admins",
                        {"name": "bob", "password": "bobs own secret pw"},
                        headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    assert st == 201 and "password" not in out
    st, audit = console.admin("GET", "/admin/v1/audit?limit=50")
    assert "bobs own secret pw" not in json.dumps(audit)
    assert "bobs own secret pw" not in console.log()
    # "token" is the admin token's name, no administrator's
    for name in ("token",):
        st, out, _, _ = req(console, "POST", "/admin/v1/admins", {"name": name},
                            headers={"Cookie": cookie, "X-CSRF-Token": csrf})
        assert st == 422, out
    # guesses sent all at once are counted as they start, not as they end
    def guess(_):
        return req(console, "POST", "/console/api/login",
                   {"user": "bob", "password": "wrong guess"})[0]
    with concurrent.futures.ThreadPoolExecutor(20) as ex:
        codes = list(ex.map(guess, range(20)))
    assert codes.count(401) <= 5 and codes.count(401) + codes.count(429) + \
        codes.count(503) == 20, codes


ADMIN_BAD = [
    # (method, path, body, status)
    ("POST", "/admin/v1/admins", {"name": "x", "extra": 1}, 400),        # unknown field
    ("POST", "/admin/v1/admins", {"name": 7}, 400),                      # wrong type
    ("POST", "/admin/v1/admins", {}, 422),                               # no name
    ("POST", "/admin/v1/admins", {"name": "a" * 65}, 422),               # too long
    ("POST", "/admin/v1/admins", {"name": "a/b"}, 422),
    ("POST", "/admin/v1/admins", {"name": "a\nb"}, 422),
    ("POST", "/admin/v1/admins", {"name": "ann"}, 409),                  # exists
    ("POST", "/admin/v1/admins", {"name": "x", "password": "p" * 257}, 422),
    ("PUT", "/admin/v1/admins/nobody/password", {}, 404),
    ("PUT", "/admin/v1/admins/ann/password", {"password": "short"}, 422),
    ("PUT", "/admin/v1/admins/ann/password", {"name": "ann"}, 400),
    ("DELETE", "/admin/v1/admins/nobody", None, 404),
    ("GET", "/admin/v1/admins/ann", None, 404),
]


@pytest.mark.parametrize("method,path,body,status", ADMIN_BAD)
def test_admins_bad_input(console, method, path, body, status):
    st, out = console.admin(method, path, body)
    assert st == status, out
    assert out["error"]["code"] and out["error"]["message"]
    # nothing changed: ann still logs in with her password, and no one else exists
    assert [a["name"] for a in console.ctl_json("admin", "list")["admins"]] == ["ann"]
    login(console)


LOGIN_BAD = [
    # (raw body, content type, status)
    (b"not json", "application/json", 400),
    (b"[]", "application/json", 400),
    (b'{"user": "ann"}', "application/json", 400),
    (b'{"user": "ann", "password": 5}', "application/json", 400),
    (b'{"user": "ann", "password": "x", "extra": 1}', "application/json", 400),
    (b'{"user": "ann", "password": "' + b"x" * 300 + b'"}', "application/json", 401),
    (b'{"user": "../etc", "password": "x"}', "application/json", 401),
    (b'{"user": "ann\\u0000", "password": "x"}', "application/json", 400),
    (b'{"token": ""}', "application/json", 401),
    (b'{"user": "ann", "password": "x"}', "text/plain", 415),
]


@pytest.mark.parametrize("raw,ctype,status", LOGIN_BAD)
def test_login_bad_input(console, raw, ctype, status):
    st, out, _, cookies = req(console, "POST", "/console/api/login", raw=raw,
                              headers={"Content-Type": ctype})
    assert st == status, out
    assert cookies is None or cookies == [], cookies
    login(console)  # nothing locked: a single bad request is not a lockout
