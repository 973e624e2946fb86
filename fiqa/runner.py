"""Score a set of inputs into a results file: stream batches, resume, record the run.

The per-image work is :mod:`fiqa.pipeline`; where it runs is an engine from
:mod:`fiqa.engines`; where rows go is :class:`fiqa.results.ResultsFile`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

import pandas as pd

from fiqa.engines import DEFAULT_OPTIONS, EngineOptions, create_engine, run_on
from fiqa.io import discover_inputs
from fiqa.measures import select_measures
from fiqa.pipeline import Item, PipelineSpec
from fiqa.quality import score_columns
from fiqa.results import ResultsFile
from fiqa.runs import run_record


def score_to_file(inputs: Sequence[str | os.PathLike], out: str | os.PathLike, *,
                  measures: Sequence[str] | None = None, face: str = "largest",
                  options: EngineOptions = DEFAULT_OPTIONS, format: str | None = None,
                  kind: str = "score", parameters: dict | None = None,
                  on_rows: Callable[[list[dict]], None] | None = None, resume: str = "auto",
                  transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> pd.DataFrame:
    """Score every image under ``inputs`` into ``out``, resuming an interrupted identical run.

    ``out`` gets exactly one row per input, in input order (see :mod:`fiqa.results` for
    duplicates, resuming and locking); files skipped while searching folders are listed,
    with the reason, in the run record's ``results.skipped``.

    Parameters
    ----------
    inputs : list of path-like
        Files, folders (searched recursively) and ``.txt`` lists of paths.
    out : path-like
        ``.csv`` or ``.parquet``; the run record goes to ``<out>.run.json``.
    measures : list of str, optional
        Family or measure names; all by default.
    face : {"largest", "central"}
        The subject rule (:data:`fiqa.face.FACE_CHOICES`).
    options : EngineOptions
        Engine, workers, batch size, progress bar.
    format : {"csv", "parquet", "ofiq"}, optional
        Defaults from the file ending.
    kind, parameters
        The run record's kind and extra parameters (``fiqa gate`` adds its profile).
    on_rows : callable, optional
        Called with each finished batch of rows (e.g. to gate them).
    resume : {"auto", "require", "never"}
        What to do with an interrupted run's journal (:meth:`fiqa.results.ResultsFile.open`).
    transform : callable, optional
        Applied to the finished table before it is written (``fiqa gate`` adds decisions).

    Returns
    -------
    DataFrame
        The whole table as written, one row per input, in input order.
    """
    selection = select_measures(measures)  # unknown names fail before any work
    spec = PipelineSpec(measures=tuple(measures) if measures else None, face=face)
    found = discover_inputs(list(inputs))
    paths = [str(path) for path in found.paths]
    if not paths:
        raise ValueError(f"no image files found in {', '.join(map(str, inputs))}"
                         + (f" ({len(found.skipped)} other files skipped)" if found.skipped else ""))
    names = [name for family in selection.values() for name in family]
    with ResultsFile(out, columns=score_columns(names), format=format) as results:  # locked
        started = time.perf_counter()

        def write(records) -> None:
            rows = [record.quality for record in records]
            results.append(rows)
            if on_rows is not None:
                on_rows(rows)

        with create_engine(options.engine, spec=spec, workers=options.workers,
                           address=options.address) as engine:
            identity = {k: v for k, v in engine.metadata().items() if k not in ("engine", "workers")}
            todo = results.open(paths, identity=identity, resume=resume)
            run = run_on(engine, [Item(path, path=path) for path in todo], options,
                         desc="scoring", keep=False, on_batch=write)
        seconds = {stage: round(value, 3) for stage, value in run.seconds.items()}
        seconds["wall"] = round(time.perf_counter() - started, 3)
        metadata = run.metadata
        record = run_record(
            kind, models={"detector": metadata.get("detector"), **metadata.get("scorers", {})},
            parameters={"inputs": [str(item) for item in inputs], "measures": names, "face": face,
                        **options.record(), **(parameters or {})},
            seconds=seconds,
            results={"scored": len(todo), "skipped_as_done": len(set(paths)) - len(todo),
                     "rescored_changed": len(results.changed), "resume": results.note,
                     "skipped": [{"path": path, "reason": why} for path, why in found.skipped]})
        return results.finish(record, transform=transform)
