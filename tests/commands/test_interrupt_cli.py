"""A real ``fiqa score --workers 2`` ended by kill -9, SIGTERM or Ctrl-C: no worker outlives
it, the interrupt is one line, and the journal resumes to the full table."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    found, frontier = set(), {pid}
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and int(entry.name) not in found:
                found.add(int(entry.name))
                frontier.add(int(entry.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _start(listing: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "fiqa.cli", "score", str(listing), "-o", str(out),
               "--workers", "2", "--batch-size", "4", "--measures", "geometric", "--no-progress"]
    return subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for_rows(process, out: Path, *, timeout: float = 240) -> set[int]:
    """Wait until the journal has rows; the workers then running."""
    journal = out.with_name(out.name + ".partial.csv")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"fiqa score ended early: {process.stderr.read()}")
        if journal.is_file() and len(journal.read_text().splitlines()) > 2:
            return _children(process.pid)
        time.sleep(0.2)
    process.kill()
    pytest.fail("no rows journalled in time")


@pytest.fixture
def listing(shared_data, tmp_path):
    """1,500 LFW images: seconds of work for two workers, so the signal lands mid-run."""
    path = tmp_path / "inputs.txt"
    images = sorted((shared_data / "lfw").glob("*/*.jpg"))[:1500]
    path.write_text("\n".join(str(p) for p in images) + "\n")
    return path


def _gone_within(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _alive(pids)


@pytest.mark.slow
def test_kill_9_leaves_no_worker_behind(listing, tmp_path):
    process = _start(listing, tmp_path / "out.csv")
    workers = _wait_for_rows(process, tmp_path / "out.csv")
    assert len(workers) >= 2
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not _gone_within(workers, 10)


@pytest.mark.slow
@pytest.mark.parametrize("signum, status, word", [(signal.SIGINT, 130, "interrupted"),
                                                  (signal.SIGTERM, 143, "terminated")])
def test_interrupt_is_one_line_and_the_journal_resumes(listing, tmp_path, signum, status, word):
    out = tmp_path / "out.csv"
    process = _start(listing, out)
    workers = _wait_for_rows(process, out)
    os.killpg(process.pid, signum)  # as a terminal's Ctrl-C: the whole process group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == status
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(word) and "rows journalled" in lines[0], stderr
    assert not _gone_within(workers, 10)
    again = subprocess.run([sys.executable, "-m", "fiqa.cli", "score", str(listing), "-o",
                            str(out), "--workers", "2", "--measures", "geometric",
                            "--no-progress"], check=False, cwd=ROOT, capture_output=True,
                           text=True)
    assert again.returncode == 0, again.stderr
    table = pd.read_csv(out, keep_default_na=False)
    assert table["path"].tolist() == listing.read_text().split()
    record = json.loads(out.with_name(out.name + ".run.json").read_text())
    assert record["results"]["skipped_as_done"] > 0  # the journalled rows were kept
