"""procstat.py - CPU time and memory of a relay's processes, read from /proc.

A relay is a set of root pids (posternd; Postfix's master and opendkim) and
all their descendants. CPU is the sum over the live processes of their own
time plus the time of the children they have reaped (utime, stime, cutime,
cstime of /proc/PID/stat), so that a Postfix smtpd which exits mid-run still
counts once master has reaped it. Memory is the sum of the PSS of the
processes (/proc/PID/smaps_rollup): shared pages are shared out, so many
small Postfix processes are not charged their libraries many times over; for
one process PSS is its RSS less what it shares.
"""

import os
import statistics
import threading
import time

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    """(ppid, cpu seconds incl. reaped children) of pid, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    # fields[0] is field 3 (state); ppid is field 4, utime..cstime 14..17
    ppid = int(fields[1])
    ticks = sum(int(x) for x in fields[11:15])
    return ppid, ticks / _TICK


def tree(roots):
    """pids of roots and all their descendants"""
    parent = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st:
                parent[int(name)] = st[0]
    keep = set(r for r in roots if r in parent)
    grew = True
    while grew:
        grew = False
        for pid, pp in parent.items():
            if pp in keep and pid not in keep:
                keep.add(pid)
                grew = True
    return keep


def cpu_seconds(roots):
    total = 0.0
    for pid in tree(roots):
        st = _stat(pid)
        if st:
            total += st[1]
    return total


def pss_bytes(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


def rss_bytes(pid):
    """VmRSS of one process"""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Sampler:
    """Samples the memory of a relay's processes every `every` seconds in a
    thread, keeping the peak; `with Sampler(roots) as s: ...; s.peak`."""

    def __init__(self, roots_fn, every=0.25):
        self.roots_fn = roots_fn
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def sample(self):
        self.peak = max(self.peak, pss_bytes(tree(self.roots_fn())))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()


def summary(values):
    """(median, min, max) of a list of numbers"""
    return statistics.median(values), min(values), max(values)


def percentile(sorted_values, p):
    """the p-th percentile (0..100) of an already sorted list, nearest rank"""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def wait_until(pred, timeout, step=0.01):
    """polls pred until true; returns the time it became true or None"""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return time.monotonic()
        time.sleep(step)
    return None
