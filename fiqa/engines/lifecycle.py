"""Worker processes that never outlive the run, and interrupts that end it in one line.

In the workers: :func:`bind_to_parent` (give it, or :func:`worker_initializer`, to a
``ProcessPoolExecutor``) makes a worker die with the process that started it, however that
one ends (``kill -9`` included): on Linux the kernel sends it SIGKILL (``PR_SET_PDEATHSIG``),
elsewhere a watch thread notices the parent is gone within half a second. Workers ignore
SIGINT, so Ctrl-C in a terminal (sent to the whole process group) reaches only the parent.
The multiprocessing resource tracker exits by itself once the workers are gone.

In the parent: :func:`start_workers` starts a pool's workers with SIGINT ignored from their
first instruction, :func:`stop_pool` ends a pool at once (for an interrupted run), and
:func:`interruptible` turns SIGTERM into a clean shutdown like Ctrl-C, and
either into one line on stderr (``interrupted; N rows journalled, rerun the same command to
resume``) and exit status 130 (Ctrl-C) or 143 (SIGTERM) instead of a traceback.

Examples
--------
>>> import multiprocessing, os
>>> from concurrent.futures import ProcessPoolExecutor
>>> with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
...                          initializer=bind_to_parent, initargs=(os.getpid(),)) as pool:
...     pool.submit(abs, -3).result()
3
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator

#: prctl option asking the kernel to signal this process when its parent dies (Linux).
PR_SET_PDEATHSIG = 1
#: Seconds between the watch thread's checks that the parent is still there.
WATCH_INTERVAL = 0.5


def bind_to_parent(parent_pid: int) -> None:
    """Make this worker process die when ``parent_pid`` (its parent) does; ignore SIGINT.

    Call it first thing in the worker (a pool ``initializer``). ``parent_pid`` is the
    parent's ``os.getpid()``, taken in the parent when the pool is made. Linux signals the
    worker when the *thread* that started it ends, so start workers (submit to a spawn
    pool) from a thread that lives as long as the pool, normally the main thread.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                     name="fiqa-parent-watch").start()


def worker_initializer(parent_pid: int, initializer: Callable | None = None,
                       initargs: tuple = ()) -> None:
    """:func:`bind_to_parent`, then the pool's own ``initializer(*initargs)``.

    Examples
    --------
    >>> # ProcessPoolExecutor(..., initializer=worker_initializer,
    >>> #                     initargs=(os.getpid(), _init_worker, (measures,)))
    """
    bind_to_parent(parent_pid)
    if initializer is not None:
        initializer(*initargs)


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_INTERVAL)
    os._exit(1)


def start_workers(pool, count: int) -> None:
    """Start ``count`` workers of a spawn ``ProcessPoolExecutor`` now, SIGINT ignored.

    A worker's initializer runs only after the worker has imported everything, a second or
    more; a Ctrl-C in that window would print a traceback from the worker. Started with
    SIGINT ignored in the parent, a spawned Python inherits the ignored signal and never
    installs its own handler, so Ctrl-C reaches only the parent from the start.
    """
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        for _ in range(count):  # each submit to a pool with no idle worker starts one
            pool.submit(int)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def stop_pool(pool) -> None:
    """Shut a ``ProcessPoolExecutor`` down now: queued work cancelled, workers killed.

    For an interrupted run (waiting for the batches in flight could take minutes); a run
    that ends normally uses ``pool.shutdown()``.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())  # gone after shutdown
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.kill()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join(5)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so the run shuts down as it would on Ctrl-C."""


@contextlib.contextmanager
def interruptible(journalled: Callable[[], int] | None = None) -> Iterator[None]:
    """Run the body with SIGTERM handled like Ctrl-C; either ends in one line and an exit.

    Parameters
    ----------
    journalled : callable, optional
        Returns how many rows are safely journalled (e.g. ``lambda: results.journalled``),
        for the message.

    Raises
    ------
    SystemExit
        130 after Ctrl-C, 143 after SIGTERM, once the body's own ``finally`` blocks (which
        shut the worker pool down) have run.
    """
    def terminate(signum, frame):
        raise Terminated

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
        signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    except KeyboardInterrupt as interrupt:
        # a second signal during the clean-up must not turn into a traceback either
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        word, status = ("terminated", 143) if isinstance(interrupt, Terminated) else ("interrupted", 130)
        done = f"; {journalled()} rows journalled" if journalled is not None else ""
        print(f"{word}{done}, rerun the same command to resume", file=sys.stderr, flush=True)
        raise SystemExit(status) from None
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
