"""
The suppression list as the communications team manages it: posternctl
suppression add|remove|list|import|export and the admin API; 100,000
entries round-trip through CSV; bad input gets a clear error and changes
nothing.
"""
import csv
import io
import subprocess
import time

import pytest

from conftest import POSTERNCTL

STREAMS = "[streams]\nnewsletter = stream\nupdates = domain\n"


@pytest.fixture
def srelay(make_relay):
    return make_relay(extra=STREAMS)


def ctl_long(r, *args):
    """posternctl with room for 100,000 entries on a slow, sanitized build"""
    res = subprocess.run([str(POSTERNCTL), "-c", str(r.conf), *args], capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    return res


def entries(r, **q):
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    st, out = r.admin("GET", f"/admin/v1/suppressions?{qs}")
    assert st == 200, out
    return out["suppressions"]


def test_add_list_remove(srelay):
    r = srelay
    out = r.ctl("suppression", "add", "Ann@Example.ORG", "--scope", "newsletter", check=True)
    assert "suppressed ann@example.org in newsletter (manual)" in out.stdout
    r.ctl("suppression", "add", "@blocked.example", "--reason", "complaint",
          "--detail", "the whole domain", check=True)
    again = r.ctl("suppression", "add", "ann@example.org", "--scope", "newsletter")
    assert again.returncode == 0 and "already" in again.stdout
    listed = r.ctl("suppression", "list", check=True).stdout
    assert "ann@example.org" in listed and "@blocked.example" in listed
    got = r.ctl_json("suppression", "list", "--scope", "domain")["suppressions"]
    assert [(e["address"], e["reason"], e["detail"]) for e in got] == [
        ("@blocked.example", "complaint", "the whole domain")]
    # the audit log names who did it
    assert any("/admin/v1/suppressions" in a["target"]
               for a in r.ctl_json("audit")["audit"])
    rm = r.ctl("suppression", "remove", "ANN@example.org", check=True)
    assert "removed 1 entry" in rm.stdout
    gone = r.ctl("suppression", "remove", "ann@example.org")
    assert gone.returncode == 1 and "not suppressed" in gone.stderr
    assert [e["address"] for e in entries(r)] == ["@blocked.example"]


@pytest.mark.parametrize("args,words", [
    (("add", "not-an-address"), "address"),
    (("add", "a@b.example", "--scope", "nosuch"), "scope"),
    (("add", "a@b.example", "--reason", "because"), "reason"),
    (("add", "a@b.example\r\nx"), "address"),
    (("add", "a@b.example", "--detail", "two\nlines"), "detail"),
    (("remove", "not-an-address"), "address"),
    (("list", "--limit", "0"), "limit"),
    (("list", "--reason", "nope"), "reason"),
    (("import",), "usage"),
    (("frobnicate",), "usage"),
])
def test_bad_input_is_refused(srelay, args, words):
    r = srelay
    res = r.ctl("suppression", *args)
    assert res.returncode != 0 and words in res.stderr.lower(), res.stderr
    assert entries(r) == []


def test_admin_api_errors(srelay):
    r = srelay
    st, out = r.admin("POST", "/admin/v1/suppressions", {"address": "a@b.example", "x": 1})
    assert st == 422 and out["error"]["code"] == "invalid_entry"
    st, out = r.admin("POST", "/admin/v1/suppressions",
                      {"entries": [{"address": "a@b.example"}, {"address": "bad"}]})
    assert st == 422 and "entry 2" in out["error"]["message"]
    assert entries(r) == []  # the batch is all or nothing
    st, out = r.admin("POST", "/admin/v1/suppressions",
                      {"entries": [{"address": f"u{i}@x.example"} for i in range(1001)]})
    assert st == 400
    st, out = r.admin("DELETE", "/admin/v1/suppressions")
    assert st == 405
    st, out = r.admin("GET", "/admin/v1/suppressions/a/b")
    assert st == 404


def test_csv_round_trip_of_100000(srelay, tmp_path):
    r = srelay
    src = tmp_path / "in.csv"
    rows = []
    reasons = ["unsubscribe", "hard-bounce", "complaint", "manual"]
    for i in range(100000):
        scope = ("domain", "newsletter", "updates", "transactional")[i % 4]
        detail = 'says "gone", really' if i % 1000 == 0 else ""
        rows.append((f"user{i:06d}@example{i % 97}.org", scope, reasons[i % 4],
                     str(1700000000 + i), "billing" if i % 2 else "", detail,
                     "one-click" if i % 3 == 0 else "import"))
    with src.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["address", "scope", "reason", "created_at", "source", "detail", "origin"])
        w.writerows(rows)
    t = time.time()
    out = ctl_long(r, "suppression", "import", str(src))
    took = time.time() - t
    assert "100000 added, 0 already" in out.stdout, out.stdout
    again = ctl_long(r, "suppression", "import", str(src))
    assert "0 added, 100000 already" in again.stdout
    exp = ctl_long(r, "suppression", "export").stdout
    back = list(csv.reader(io.StringIO(exp)))
    assert back[0] == ["address", "scope", "reason", "created_at", "source", "detail", "origin"]
    assert sorted(tuple(x) for x in back[1:]) == sorted(rows)
    print(f"import of 100,000 took {took:.1f} s")


def test_import_stops_at_a_bad_line(srelay, tmp_path):
    r = srelay
    f = tmp_path / "bad.csv"
    f.write_text("address,reason\r\na@x.example,manual\r\nb@x.example,\"unterminated\r\n")
    res = r.ctl("suppression", "import", str(f))
    assert res.returncode == 1 and "bad.csv:3" in res.stderr
    assert entries(r) == []
    f.write_text("email\r\na@x.example\r\n")
    res = r.ctl("suppression", "import", str(f))
    assert res.returncode == 2 and "names the columns" in res.stderr
    f.write_text("address\r\nnot-an-address\r\n")
    res = r.ctl("suppression", "import", str(f))
    assert res.returncode == 1 and "entry 1" in res.stderr
    res = r.ctl("suppression", "import", str(tmp_path / "missing.csv"))
    assert res.returncode == 1 and "missing.csv" in res.stderr
