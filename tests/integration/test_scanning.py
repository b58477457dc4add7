"""
Antivirus (a real clamd) and anti-spam (a real rspamd) on every message,
before it is signed: what they find is refused with the right reply over
SMTP and HTTP, recorded with its verdict, and a scanner that is down, slow
or over its limit never lets a message through unscanned.
"""
import base64
import json
import io
import smtplib
import time
import zipfile

import pytest

from conftest import events_of, message
from scanners import EICAR, GTUBE, GTUBE_ADD_HEADER, GTUBE_REWRITE, SIGNATURE, SilentSocket


def scan_extra(clamd=None, rspamd=None, **scan):
    keys = dict(scan)
    if clamd:
        keys["clamd"] = clamd
    if rspamd:
        keys["rspamd"] = rspamd
    return "[scan]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())


def make_scanned(make_relay, api=None, **scan):
    r = make_relay(extra=scan_extra(**scan), api=api)
    r.add_source("legacy", "--ip", "127.0.0.1/32")
    return r


def send(r, msg, rcpts=("user@example.org",)):
    """(code, text) of the reply to the message's end, or (250, ...) when queued."""
    s = smtplib.SMTP("127.0.0.1", r.port, local_hostname="client.test", timeout=60)
    try:
        s.sendmail("app@example.com", list(rcpts), msg)
        return 250, ""
    except smtplib.SMTPDataError as e:
        return e.smtp_code, e.smtp_error.decode()
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            pass


def multipart(parts):
    """A multipart/mixed message of (headers, body) parts; bodies are bytes."""
    out = (b"From: app@example.com\r\nTo: user@example.org\r\nSubject: parts\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n")
    for headers, body in parts:
        out += b"--b1\r\n" + headers.encode() + b"\r\n" + body + b"\r\n"
    return out + b"--b1--\r\n"


def b64(data):
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def eicar_zip():
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("invoice.com", EICAR)
    return z.getvalue()


VIRUSES = {
    "plain": message(body="see below\r\n" + EICAR.decode() + "\r\n").encode(),
    "base64_part": multipart([
        ("Content-Type: text/plain\r\n", b"Your file.\r\n"),
        ("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
         "Content-Disposition: attachment; filename=\"tool.com\"\r\n", b64(EICAR)),
    ]),
    "in_zip": multipart([
        ("Content-Type: text/plain\r\n", b"The archive.\r\n"),
        ("Content-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n"
         "Content-Disposition: attachment; filename=\"files.zip\"\r\n", b64(eicar_zip())),
    ]),
}


@pytest.mark.parametrize("kind", sorted(VIRUSES))
def test_virus_refused_with_its_signature(make_relay, clamd, kind):
    r = make_scanned(make_relay, clamd=clamd.socket)
    code, text = send(r, VIRUSES[kind])
    assert code == 554 and text.startswith("5.7.1"), (code, text)
    assert SIGNATURE in text
    r.assert_nothing_accepted()
    ev = events_of(r, "rejected")
    assert ev and ev[0]["reason"] == "virus" and ev[0]["dsn"] == "5.7.1"
    assert ev[0]["detail"]["scan"]["antivirus"]["result"] == "found"
    assert SIGNATURE in ev[0]["detail"]["scan"]["antivirus"]["signature"]


def test_virus_refused_over_http_and_clean_accepted(make_relay, clamd):
    r = make_scanned(make_relay, clamd=clamd.socket, api={})
    r.add_source("web")
    key = r.api_key("web")
    body = {"from": "app@example.com", "to": "user@example.org", "subject": "file",
            "text": "attached",
            "attachments": [{"filename": "tool.com", "content_type": "application/octet-stream",
                             "content": base64.b64encode(EICAR).decode()}]}
    st, out, _ = r.http("POST", "/v1/messages", body, key=key)
    assert st == 422 and out["error"]["code"] == "virus_found", out
    assert SIGNATURE in out["error"]["message"]
    del body["attachments"]
    st, out, _ = r.http("POST", "/v1/messages", body, key=key)
    assert st == 202, out
    r.wait_captured(1)


def test_clean_mail_passes_untouched(make_relay, clamd, rspamd):
    r = make_scanned(make_relay, clamd=clamd.socket, rspamd=rspamd.address)
    body = "Your order 1234 has shipped.\r\nThank you.\r\n"
    assert send(r, message(body=body))[0] == 250
    raw = r.wait_captured(1)[0].read_bytes()
    assert raw.endswith(b"\r\n\r\n" + body.encode())
    assert b"X-Spam" not in raw and b"DKIM-Signature:" in raw
    ev = events_of(r, "scanned")
    assert ev[0]["detail"]["verdict"] == "clean"
    scan = ev[0]["detail"]["scan"]
    assert scan["antivirus"] == {"result": "clean"}
    assert scan["spam"]["action"] == "no action" and scan["mime"] == "ok"


def test_clamd_down_defers_never_delivers(make_relay, workdir):
    gone = str(workdir / "no-clamd.sock")
    r = make_scanned(make_relay, clamd=gone, api={})
    code, text = send(r, message())
    assert code == 451 and text.startswith("4.7.0"), (code, text)
    assert "antivirus" in text
    r.assert_nothing_accepted()
    # the same over HTTP: 503, try again
    r.add_source("web")
    key = r.api_key("web")
    st, out, h = r.http("POST", "/v1/messages", {"from": "app@example.com",
                                                  "to": "user@example.org", "subject": "x",
                                                  "text": "x"}, key=key)
    assert st == 503 and out["error"]["code"] == "scanner_unavailable", out
    assert "Retry-After" in h
    ev = events_of(r, "rejected")
    assert ev[0]["reason"] == "scanner" and ev[0]["dsn"] == "4.7.0"


def test_clamd_stopped_mid_run_defers(make_relay):
    from scanners import Clamd
    c = Clamd()
    try:
        r = make_scanned(make_relay, clamd=c.socket)
        assert send(r, message())[0] == 250
        r.wait_captured(1)
    finally:
        c.stop()
    code, text = send(r, message(subject="after"))
    assert code == 451 and text.startswith("4.7.0"), (code, text)
    time.sleep(0.3)
    assert len(r.captured()) == 1


def test_clamd_that_never_answers_times_out(make_relay):
    silent = SilentSocket()
    try:
        r = make_scanned(make_relay, clamd=silent.path, clamd_timeout="1s")
        t0 = time.time()
        code, text = send(r, message())
        assert code == 451 and text.startswith("4.7.0"), (code, text)
        assert "in time" in text, text
        assert time.time() - t0 < 10
        r.assert_nothing_accepted()
    finally:
        silent.stop()


def test_clamd_size_limit_is_not_clean(make_relay, clamd):
    # more than clamd_max_size: never sent as clean; deferred (or held, if so configured)
    r = make_scanned(make_relay, clamd=clamd.socket, clamd_max_size="2K")
    code, text = send(r, message(body=("y" * 70 + "\r\n") * 50))
    assert code == 451 and text.startswith("4.7.0"), (code, text)
    r.assert_nothing_accepted()


def test_scanner_error_can_quarantine_instead(make_relay, workdir):
    r = make_scanned(make_relay, clamd=str(workdir / "none.sock"), on_error="quarantine")
    assert send(r, message())[0] == 250
    time.sleep(0.3)
    assert r.captured() == []
    st, out = r.admin("GET", "/admin/v1/quarantine")
    assert st == 200 and out["total"] == 1, out
    assert out["messages"][0]["verdict"]["verdict"] == "scanner_error"


def test_gtube_refused(make_relay, rspamd):
    r = make_scanned(make_relay, rspamd=rspamd.address)
    code, text = send(r, message(body=GTUBE.decode() + "\r\n"))
    assert code == 554 and text.startswith("5.7.1"), (code, text)
    r.assert_nothing_accepted()
    ev = events_of(r, "rejected")
    assert ev[0]["reason"] == "spam"
    spam = ev[0]["detail"]["scan"]["spam"]
    assert spam["action"] == "reject" and "GTUBE" in spam["symbols"]


def test_spam_add_header_tags_or_quarantines_per_source(make_relay, rspamd):
    r = make_scanned(make_relay, rspamd=rspamd.address)
    assert send(r, message(body=GTUBE_ADD_HEADER.decode() + "\r\n"))[0] == 250
    raw = r.wait_captured(1)[0].read_bytes()
    assert b"X-Spam-Flag: YES" in raw and b"X-Spam-Score:" in raw
    ev = events_of(r, "scanned")
    assert ev[0]["detail"]["verdict"] == "spam_tagged"
    # the source asks for the quarantine instead
    r.ctl("source", "scan", "legacy", "--spam-action", "quarantine", check=True)
    assert send(r, message(body=GTUBE_REWRITE.decode() + "\r\n"))[0] == 250
    time.sleep(0.3)
    assert len(r.captured()) == 1
    st, out = r.admin("GET", "/admin/v1/quarantine")
    assert out["total"] == 1 and out["messages"][0]["verdict"]["verdict"] == "spam"


def test_rspamd_down_defers(make_relay):
    from conftest import free_port
    r = make_scanned(make_relay, rspamd=f"127.0.0.1:{free_port()}")
    code, text = send(r, message())
    assert code == 451 and text.startswith("4.7.0") and "anti-spam" in text, (code, text)
    r.assert_nothing_accepted()


@pytest.mark.parametrize("answer,code", ids=("crlf", "long", "error", "empty", "ok_plus",
                                             "garbage"), argvalues=[
    # a signature name with CR LF in it cannot add a line to the reply
    (b"stream: Evil\r\n250 2.0.0 Ok\r\nSig FOUND\0", 554),
    (b"stream: " + b"A" * 5000 + b" FOUND\0", 451),  # too long to be read: not trusted
    (b"stream: Size limit exceeded ERROR\0", 451),
    (b"\0", 451),
    (b"stream: OK but not quite\0", 451),
    (b"\xff\xfe garbage", 451),
])
def test_odd_clamd_answers(make_relay, answer, code):
    fake = SilentSocket(answer=answer)
    try:
        r = make_scanned(make_relay, clamd=fake.path, clamd_timeout="3s")
        s = smtplib.SMTP("127.0.0.1", r.port, local_hostname="client.test", timeout=60)
        s.ehlo()
        assert s.mail("app@example.com")[0] == 250
        assert s.rcpt("user@example.org")[0] == 250
        got, text = s.data(message().encode())
        assert got == code, (got, text)
        assert b"\n" not in text and b"\r" not in text
        assert len(text) < 600
        # the session goes on, in step: the next command gets its own reply
        assert s.noop()[0] == 250
        s.quit()
        r.assert_nothing_accepted()
    finally:
        fake.stop()


class FakeRspamd:
    """A TCP server that reads a request and answers the given octets (or nothing)."""

    def __init__(self, answer):
        import socket
        import threading
        self.answer = answer
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(8)
        self.address = "127.0.0.1:%d" % self.srv.getsockname()[1]
        self.conns = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.conns.append(c)
            got = b""
            try:
                while b"\r\n\r\n" not in got:
                    got += c.recv(65536)
                head, _, body = got.partition(b"\r\n\r\n")
                n = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                             if line.lower().startswith(b"content-length")))
                while len(body) < n:
                    body += c.recv(65536)
                if self.answer is not None:
                    c.sendall(self.answer)
                    c.close()
            except (OSError, StopIteration, ValueError):
                pass

    def stop(self):
        self.srv.close()
        for c in self.conns:
            c.close()


def http_answer(body, status="200 OK"):
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


@pytest.mark.parametrize("answer,code", ids=("not_json", "unknown_action", "http_500",
                                             "no_answer", "many_symbols", "short_body",
                                             "skipped", "discard", "quarantine",
                                             "status_only"),
                         argvalues=[
    (http_answer(b"<html>hello</html>"), 451),
    (http_answer(b'{"action": "deliver anyway", "score": 0}'), 451),
    (http_answer(b'{"error": "oops"}', "500 Internal Server Error"), 451),
    (None, 451),
    (http_answer(json.dumps({"action": "no action", "score": 1.5, "required_score": 15,
                             "symbols": {f"S\r\n{i}": {"score": i / 10}
                                         for i in range(2000)}}).encode()), 250),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"action\": \"no action\"}", 451),
    # settings said skip: the checks never ran
    (http_answer(b'{"action": "no action", "is_skipped": true, "score": 0}'), 451),
    (http_answer(b'{"action": "discard", "score": 20}'), 554),
    (http_answer(b'{"action": "quarantine", "score": 9}'), 250),
    (b"HTTP/1.1 ", 451),
])
def test_odd_rspamd_answers(make_relay, answer, code):
    fake = FakeRspamd(answer)
    try:
        r = make_scanned(make_relay, rspamd=fake.address, rspamd_timeout="2s")
        got, text = send(r, message())
        assert got == code, (got, text)
        if code == 250 and b"quarantine" in answer:
            st, out = r.admin("GET", "/admin/v1/quarantine")
            assert out["total"] == 1 and r.captured() == []
        elif code == 250:
            ev = events_of(r, "scanned")
            syms = ev[0]["detail"]["scan"]["spam"]["symbols"]
            assert "\r" not in syms and "\n" not in syms and len(syms) < 600
        elif code == 554:
            assert text.startswith("5.7.1")
        else:
            assert text.startswith("4.7.0") and "\n" not in text
            r.assert_nothing_accepted()
    finally:
        fake.stop()


def test_client_gone_while_scanning(make_relay):
    # the session ends while clamd still thinks: the scan is cancelled, nothing is kept,
    # and the relay (run under the sanitizers by make test) is none the worse
    import socket
    silent = SilentSocket()
    try:
        r = make_scanned(make_relay, clamd=silent.path, clamd_timeout="2s")
        for _ in range(3):
            c = socket.create_connection(("127.0.0.1", r.port))
            c.recv(512)
            for cmd in (b"EHLO client.test\r\n", b"MAIL FROM:<app@example.com>\r\n",
                        b"RCPT TO:<user@example.org>\r\n", b"DATA\r\n"):
                c.sendall(cmd)
                time.sleep(0.05)
                c.recv(4096)
            c.sendall(message().encode() + b".\r\n")
            time.sleep(0.1)
            c.close()
        time.sleep(2.5)
        r.assert_nothing_accepted()
        assert send(r, message())[0] == 451
    finally:
        silent.stop()


def test_clamd_limit_exceeded_is_not_a_virus_nor_clean(make_relay):
    # clamd told to say when it stops at a limit (AlertExceedsMax): deferred, not refused
    from scanners import Clamd
    c = Clamd(extra="AlertExceedsMax yes\nMaxFileSize 2K\nMaxScanSize 2K\n")
    try:
        r = make_scanned(make_relay, clamd=c.socket)
        big = multipart([("Content-Type: text/plain\r\n", b"see attached\r\n"),
                         ("Content-Type: application/octet-stream\r\n"
                          "Content-Transfer-Encoding: base64\r\n"
                          "Content-Disposition: attachment; filename=\"a.bin\"\r\n",
                          b64(bytes(range(256)) * 40))])
        code, text = send(r, big)
        assert code == 451 and text.startswith("4.7.0") and "limit" in text, (code, text)
        r.assert_nothing_accepted()
    finally:
        c.stop()


def test_source_cannot_forge_the_spam_verdict(make_relay, rspamd):
    r = make_scanned(make_relay, rspamd=rspamd.address)
    msg = message(headers={"X-Spam-Flag": "NO", "X-Spam-Status": "No, score=-100"},
                  body=GTUBE_ADD_HEADER.decode() + "\r\n")
    assert send(r, msg)[0] == 250
    raw = r.wait_captured(1)[0].read_bytes()
    assert b"X-Spam-Flag: YES" in raw and b"X-Spam-Flag: NO" not in raw
    assert b"score=-100" not in raw
