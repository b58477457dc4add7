"""posternd -n / -K and configuration errors: file, line and key named."""
import subprocess

import pytest

from conftest import POSTERND


def check(tmp_path, text):
    p = tmp_path / "p.ini"
    p.write_text(text)
    r = subprocess.run([str(POSTERND), "-n", "-c", str(p)], capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip(), str(p)


def good(certdir, extra=""):
    return (f"[server]\nhostname = relay.test\n\n[smtp]\ntls_cert = {certdir}/a.crt\n"
            f"tls_key = {certdir}/a.key\n" + extra)


def test_good_config(tmp_path, certdir):
    rc, out, path = check(tmp_path, good(certdir))
    assert rc == 0 and out == f"posternd: {path}: configuration OK"


@pytest.mark.parametrize("extra,line,msg", [
    ("bogus = 1\n", 7, "[smtp] bogus: unknown key"),
    ("[nosuch]\nkey = 1\n", 8, "[nosuch] key: unknown section"),
    ("max_message_size = 25Q\n", 7, "[smtp] max_message_size: '25Q' is not a size such as 25M"),
    ("max_recipients = 0\n", 7, "[smtp] max_recipients: 0 is out of range (1 to 10000)"),
    ("command_timeout = soon\n", 7,
     "[smtp] command_timeout: 'soon' is not a duration such as 30s, 5m or 1h"),
    ("max_errors = 3\nmax_errors = 4\n", 8, "[smtp] max_errors: given more than once"),
    ("this line has no equals sign\n", 7, "syntax error"),
    ("tls_ciphers = " + "A" * 300 + "\n", 7, "line longer than"),
])
def test_errors_name_file_line_and_key(tmp_path, certdir, extra, line, msg):
    rc, out, path = check(tmp_path, good(certdir, extra))
    assert rc != 0
    assert out.startswith(f"posternd: {path}:{line}: "), out
    assert msg in out, out


def test_hostname_is_required(tmp_path):
    rc, out, path = check(tmp_path, "[server]\nuser = nobody\n")
    assert rc != 0 and "[server] hostname: required" in out


def test_missing_file(tmp_path):
    r = subprocess.run([str(POSTERND), "-n", "-c", str(tmp_path / "nope.ini")],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "cannot open" in r.stderr


def test_unreadable_tls_key_is_a_config_error(tmp_path, certdir):
    text = good(certdir).replace(f"{certdir}/a.key", str(tmp_path / "missing.key"))
    rc, out, _ = check(tmp_path, text)
    assert rc != 0 and "tls_key" in out and "missing.key" in out


def test_mismatched_key(tmp_path, certdir):
    text = good(certdir).replace(f"{certdir}/a.key", f"{certdir}/b.key")
    rc, out, _ = check(tmp_path, text)
    assert rc != 0 and "tls_cert/tls_key" in out and "mismatch" in out


def test_list_continuation_and_comments(tmp_path, certdir):
    rc, out, _ = check(tmp_path, good(certdir, "listen = 127.0.0.1:2587 ; inline comment\n"
                                               "   127.0.0.2:2587\n; a comment\n"))
    assert rc == 0, out


@pytest.mark.parametrize("value", ["localhost", "127.0.0.1", "127.0.0.1:0",
                                   "127.0.0.1:70000", "::1:587", "[::1]587", "[127.0.0.1]:25"])
def test_bad_listen_address(tmp_path, certdir, value):
    rc, out, path = check(tmp_path, good(certdir, f"listen = {value}\n"))
    assert rc != 0
    assert out.startswith(f"posternd: {path}:7: [smtp] listen: '{value}' is not ADDRESS:PORT")


def test_keys_listing():
    r = subprocess.run([str(POSTERND), "-K"], capture_output=True, text=True)
    assert r.returncode == 0
    for key in ("hostname", "max_message_size", "auth_ip_max_failures", "commit_threads",
                "capture_dir"):
        assert key in r.stdout
