"""Shared by the benchmarks: run a command and measure its wall time, CPU time and peak memory.

Both are sampled every 20 ms from /proc over the process and all its descendants (workers forked by a
forkserver are grandchildren that no rusage of ours would include): CPU time is the sum of each
process's last sampled user and system time (so each may lose its last 20 ms), peak memory the highest
sum of resident sizes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Measured:
    wall: float
    cpu: float
    peak: int  # bytes, the process and its workers
    peak_main: int  # bytes, the process alone
    stdout: str
    started: float  # time.time() just before the start, to place trace lines


def family(root: int) -> dict[int, list[str]]:
    """/proc/<pid>/stat fields of `root` and its descendants, by pid."""
    stats: dict[int, list[str]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            text = (proc / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may hold spaces.
        stats[int(proc.name)] = text[text.rindex(")") + 2 :].split()
    members = {root}
    changed = True
    while changed:
        changed = False
        for pid, fields in stats.items():
            if int(fields[1]) in members and pid not in members:
                members.add(pid)
                changed = True
    return {pid: stats[pid] for pid in members if pid in stats}


def measure(command: Sequence[str], env: Mapping[str, str] | None = None) -> Measured:
    """Run `command` to its end; raise SystemExit with its error output if it fails."""
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
    cpu_seen: dict[tuple[int, str], int] = {}  # (pid, start time): user + system clock ticks
    stop = threading.Event()
    page = os.sysconf("SC_PAGE_SIZE")

    def sample() -> None:
        nonlocal peak, peak_main
        while not stop.is_set():
            members = family(proc.pid)
            # stat fields from the state on: state=0, ppid=1, ..., utime=11, stime=12, starttime=19, rss=21
            rss = {pid: int(f[21]) * page for pid, f in members.items()}
            for pid, f in members.items():
                cpu_seen[(pid, f[19])] = int(f[11]) + int(f[12])
            peak, peak_main = max(peak, sum(rss.values())), max(peak_main, rss.get(proc.pid, 0))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {err[-2000:]}")
    cpu = sum(cpu_seen.values()) / os.sysconf("SC_CLK_TCK")
    return Measured(wall, cpu, peak, peak_main, out, started_at)


def child_json(script: str, arguments: Sequence[str]) -> dict[str, Any]:
    """Run `script` with `arguments` in a fresh Python process; its last line of output, read as JSON."""
    done = subprocess.run([sys.executable, script, *arguments], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
