"""Peak memory of a process and every process it starts, sampled from /proc (Linux)."""

from __future__ import annotations

import os
import threading

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants that exist now."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return found


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants."""
    total = 0
    for current in _tree(pid):
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_SIZE
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def tree_pss_bytes(pid: int) -> int:
    """Proportional set size of ``pid`` and all its descendants: memory a forked
    process shares with its parent counts once, not once per process."""
    total = 0
    for current in _tree(pid):
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


class PeakSampler:
    """``with PeakSampler(pid, measure) as peak:`` samples ``measure(pid)`` every
    ``interval`` seconds in a thread; ``peak.bytes`` is the largest value seen."""

    def __init__(self, pid: int, measure=tree_rss_bytes, interval: float = 0.02):
        self.pid, self.measure, self.interval = pid, measure, interval
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.bytes = max(self.bytes, self.measure(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
