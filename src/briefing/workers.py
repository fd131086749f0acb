"""Worker processes for the CPU-heavy, hostile-input steps (feed parsing, page extraction).

Each task runs in a pebble process pool with a wall-clock deadline and an address-space limit: a
pathological page costs one article (timeout, crash or memory), never the run or the machine. Workers
come from a forkserver that has already imported the parsers, so replacing a killed worker is cheap and
never forks our threads.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import signal
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

import pebble

from briefing.errors import BriefingError, ExtractError

T = TypeVar("T")

_PRELOAD = ["briefing.extract", "briefing.feeds", "trafilatura"]  # imported once, by the forkserver
_NEVER_STARTED = "worker process died before it could start the task"


def _worker_init(memory_bytes: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    if memory_bytes > 0:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _guarded(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn` in the worker; any failure on hostile input becomes an `ExtractError` for that item.

    Some exceptions cannot cross back to asyncio at all (a StopIteration would leave the future
    unresolved forever), so nothing but our own errors and results leaves the worker.
    """
    try:
        return fn(*args)
    except BriefingError:
        raise
    except MemoryError:
        raise ExtractError("memory", "worker ran out of its memory allowance") from None
    except RecursionError:
        raise ExtractError("failed", "input nested too deeply") from None
    except Exception as e:
        detail = f"{type(e).__name__}: {e}"[:300]
        raise ExtractError("failed", f"{getattr(fn, '__name__', 'task')} failed: {detail}") from e


class WorkerPool:
    """A pool of isolated workers. `await pool.run(fn, *args)` returns fn's result or raises.

    Raises `ExtractError` with status timeout, crashed, memory or failed; a `BriefingError` raised by
    the task itself is passed through unchanged.
    """

    def __init__(self, workers: int, timeout: float, memory_mb: int) -> None:
        self.timeout = timeout
        self._workers = max(1, workers)
        self._memory_bytes = memory_mb * 1024 * 1024
        self._pool = self._start()
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def _start(self) -> pebble.ProcessPool:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return pebble.ProcessPool(
            max_workers=self._workers,
            initializer=_worker_init,
            initargs=(self._memory_bytes,),
            context=context,
        )

    def _replace(self, broken: pebble.ProcessPool) -> pebble.ProcessPool:
        """A fresh pool in place of `broken` (once, however many tasks saw it break)."""
        if self._pool is broken:
            broken.stop()  # type: ignore[no-untyped-call]
            broken.join(timeout=5)
            self._pool = self._start()
        return self._pool

    def _free_worker(self) -> asyncio.Semaphore:
        """One slot per worker, in the running event loop (tests run one pool under several loops)."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self._workers))
        return self._slots[1]

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        # Tasks wait here, not in pebble's queue: every task handed to pebble starts at once, so the
        # deadline below can tell a task that never started from one waiting its turn.
        async with self._free_worker():
            return await self._run(fn, *args)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        pool = self._pool
        try:
            future = pool.schedule(_guarded, args=(fn, *args), timeout=self.timeout)
        except RuntimeError:  # pebble's pool broke on an earlier task
            pool = self._replace(pool)
            future = pool.schedule(_guarded, args=(fn, *args), timeout=self.timeout)
        waiting: asyncio.Future[T] = asyncio.wrap_future(future)
        try:
            done, _ = await asyncio.wait({waiting}, timeout=self.timeout + max(5.0, self.timeout))
        except asyncio.CancelledError:  # the run's deadline: stop the task too
            waiting.cancel()
            raise
        if not done:
            # A worker died while receiving the task (for example out of memory) while another was
            # busy: pebble can then lose the task, neither starting nor timing it out.
            waiting.cancel()
            raise ExtractError("crashed", _NEVER_STARTED)
        try:
            return waiting.result()
        except FutureTimeout:
            raise ExtractError("timeout", f"worker stopped after {self.timeout:g} s") from None
        except pebble.ProcessExpired as e:
            raise ExtractError("crashed", f"worker process died (exit status {e.exitcode})") from e
        except RuntimeError:
            # BrokenProcessPool: the same death with no other task running makes pebble give up on
            # the whole pool. Only this task was in it (see run); the next gets a new pool.
            self._replace(pool)
            raise ExtractError("crashed", _NEVER_STARTED) from None

    def close(self) -> None:
        """Stop the workers (killing any still busy) and wait for them."""
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join()
