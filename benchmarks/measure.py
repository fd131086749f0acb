"""Shared by the benchmarks: run a command and measure its wall time, CPU time and peak memory.

CPU time is the command's and its waited-for workers' (RUSAGE_CHILDREN before and after). Peak memory
is the highest sum of the resident sizes of the process and all its descendants, sampled every 20 ms
from /proc, so worker processes count while they live.
"""

from __future__ import annotations

import resource
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    wall: float
    cpu: float
    peak: int  # bytes, the process and its workers
    peak_main: int  # bytes, the process alone
    stdout: str
    started: float  # time.time() just before the start, to place trace lines


def tree_rss(root: int) -> tuple[int, int]:
    """(total RSS of root and its descendants, RSS of root) in bytes."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(proc.name)] = int(fields.get("PPid", "0").strip() or 0)
        rss[int(proc.name)] = int(fields.get("VmRSS", "0 kB").split()[0] or 0) * 1024
    family = {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                changed = True
    return sum(rss.get(p, 0) for p in family), rss.get(root, 0)


def measure(command: Sequence[str], env: Mapping[str, str] | None = None) -> Measured:
    """Run `command` to its end; raise SystemExit with its error output if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started_at = time.time()
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(command),
        env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = peak_main = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_main
        while not stop.is_set():
            total, main = tree_rss(proc.pid)
            peak, peak_main = max(peak, total), max(peak_main, main)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {err[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(wall, cpu, peak, peak_main, out, started_at)
