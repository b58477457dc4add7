"""
The crash harness (crash.py) in short: kill -9 at random moments while both
doors submit, and its negative control, a simulated power loss under which
a relay without fsync (eatmydata) must lose acknowledged mail and Postern
must not. `make crashtest` is the long version (100 kills).
"""
import random

import pytest

import crash


def test_the_checker_sees_a_partial_message():
    m = crash.make_message(random.Random(3), "smtp-0-1")
    assert crash.check(m) == "smtp-0-1"
    assert crash.check(m[:-10]) is None
    assert crash.check(m.replace(b"\r\n\r\n", b"\r\n", 1)) is None
    flipped = bytearray(m)
    flipped[-5] ^= 1
    assert crash.check(bytes(flipped)) is None


def test_kill9_again_and_again_loses_nothing(workdir, certdir):
    seed = random.randrange(1 << 30)
    r = crash.kill_run(workdir, certdir, kills=8, seed=seed, max_gap=0.8)
    print(f"seed={seed} {r.line()}")
    assert r.acked_smtp > 0 and r.acked_api > 0, r.line()
    assert r.lost == [] and r.partial == 0, f"seed={seed} {r.line()}"
    assert r.foreign == 0


@pytest.mark.skipif(not crash.can_loop_mount(), reason="needs root and loop devices")
def test_power_loss_loses_nothing_with_fsync_and_mail_without(workdir, certdir):
    (workdir / "fsync").mkdir()
    (workdir / "eat").mkdir()
    good = crash.power_loss_run(workdir / "fsync", certdir, eatmydata=False, seconds=2)
    print("fsync:", good.line())
    assert good.acked > 0 and good.lost == [] and good.partial == 0, good.line()
    bad = crash.power_loss_run(workdir / "eat", certdir, eatmydata=True, seconds=2)
    print("eatmydata:", bad.line())
    # the same run without fsync loses acknowledged mail: the test can fail
    assert bad.acked > 0 and len(bad.lost) > 0, bad.line()
