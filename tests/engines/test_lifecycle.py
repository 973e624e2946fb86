"""Workers never outlive the run: kill -9, SIGTERM and Ctrl-C of a real parent process."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import fiqa

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

PARENT = textwrap.dedent("""
    import faulthandler, json, multiprocessing, os, signal, sys, time
    from concurrent.futures import ProcessPoolExecutor
    from fiqa.engines.lifecycle import interruptible, start_workers, stop_pool, worker_initializer

    def nap(seconds):
        time.sleep(seconds)
        return os.getpid()

    if __name__ == "__main__":
        faulthandler.register(signal.SIGUSR1, all_threads=True)  # for a hang's diagnosis
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=worker_initializer, initargs=(os.getpid(),))
        start_workers(pool, 2)
        with interruptible(lambda: 7):
            try:
                futures = [pool.submit(nap, 0.2) for _ in range(4)]
                [f.result() for f in futures]  # both workers up and initialised
                futures = [pool.submit(nap, 120) for _ in range(4)]
                print(json.dumps(sorted(pool._processes)), flush=True)
                [f.result() for f in futures]
            finally:
                stop_pool(pool)
""")


def _children(pid):
    """Every live descendant of ``pid`` (workers and the resource tracker)."""
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            for child in map(int, task.read_text().split()):
                found.append(child)
                frontier.append(child)
    return found


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has exited, whether or not anyone reaps it


def _start(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    env = {**os.environ, "PYTHONPATH": str(Path(fiqa.__file__).parents[1])}
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    workers = json.loads(parent.stdout.readline())
    descendants = _children(parent.pid)
    assert len(workers) == 2 and set(workers) <= set(descendants)
    assert len(descendants) == 3  # the two workers and multiprocessing's resource tracker
    for worker in workers:  # SIGINT (signal 2) ignored
        status = Path(f"/proc/{worker}/status").read_text()
        ignored = int(next(line.split()[1] for line in status.splitlines()
                           if line.startswith("SigIgn:")), 16)
        assert ignored & (1 << (signal.SIGINT - 1))
    return parent, descendants


def _stderr_after_exit(parent, seconds=30):
    """The parent's stderr once it has exited; on a hang, fail with its threads' stacks."""
    try:
        return parent.communicate(timeout=seconds)[1]
    except subprocess.TimeoutExpired:
        parent.send_signal(signal.SIGUSR1)
        time.sleep(1)
        parent.kill()
        pytest.fail(f"parent still running {seconds} s after the signal; its threads:\n"
                    + parent.communicate()[1])


def _wait_gone(pids, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(map(_alive, pids)):
        time.sleep(0.1)
    return [pid for pid in pids if _alive(pid)]


def test_kill_9_of_the_parent_takes_the_workers_with_it(tmp_path):
    parent, descendants = _start(tmp_path)
    parent.kill()  # SIGKILL: no handler, no clean-up in the parent
    parent.wait()
    assert _wait_gone(descendants) == []


def test_sigterm_shuts_down_cleanly_with_one_line(tmp_path):
    parent, descendants = _start(tmp_path)
    parent.send_signal(signal.SIGTERM)
    stderr = _stderr_after_exit(parent)
    assert parent.returncode == 143
    assert stderr == "terminated; 7 rows journalled, rerun the same command to resume\n"
    assert _wait_gone(descendants) == []


def test_ctrl_c_prints_one_line_not_a_traceback(tmp_path):
    parent, descendants = _start(tmp_path)
    os.killpg(parent.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole group
    stderr = _stderr_after_exit(parent)
    assert parent.returncode == 130
    assert stderr == "interrupted; 7 rows journalled, rerun the same command to resume\n"
    assert _wait_gone(descendants) == []
