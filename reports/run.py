"""Reading the outputs of one evaluation run (``fiqa score``, ``verify``, ``edc``) from a folder.

Every file is optional: a report shows the sections whose inputs are present. Each table
may be CSV or Parquet. Run metadata comes from ``fiqa score``'s ``<file>.meta.json`` sidecar
and ``fiqa verify``'s ``<stem>.metrics.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fiqa.evaluation.edc_run import read_table

#: Table name -> file stem looked for in a run folder (``<stem>.csv`` or ``<stem>.parquet``).
RUN_FILES = {
    "scores": "scores",
    "comparisons": "comparisons",
    "edc": "edc",
    "edc_pauc": "edc_pauc",
}


@dataclass
class RunData:
    """The tables of one run folder; ``None`` for each file that is absent.

    ``meta`` maps a table name to the content of its ``.meta.json`` sidecar (empty when
    there is none); ``files`` maps it to the file it was read from.
    """

    folder: Path
    scores: pd.DataFrame | None = None
    comparisons: pd.DataFrame | None = None
    edc: pd.DataFrame | None = None
    edc_pauc: pd.DataFrame | None = None
    meta: dict[str, dict] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


def find_table(folder: str | os.PathLike, stem: str) -> Path | None:
    """``<folder>/<stem>.csv`` or ``.parquet`` (CSV first), or None when neither exists."""
    for suffix in (".csv", ".parquet"):
        path = Path(folder) / f"{stem}{suffix}"
        if path.is_file():
            return path
    return None


def read_meta(path: str | os.PathLike) -> dict:
    """The JSON sidecar of a table (``<path>.meta.json`` or ``<stem>.metrics.json``), or ``{}``.

    Raises
    ------
    ValueError
        The sidecar is not valid JSON, or not a JSON object.
    """
    from fiqa.evaluation.verify import metrics_path

    candidates = (Path(f"{path}.meta.json"), metrics_path(path))
    sidecar = next((candidate for candidate in candidates if candidate.is_file()), None)
    if sidecar is None:
        return {}
    try:
        meta = json.loads(sidecar.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"run metadata {sidecar} is not valid JSON ({exc})") from None
    if isinstance(meta, dict):
        return meta
    raise ValueError(f"run metadata {sidecar} must hold a JSON object, not {type(meta).__name__}")


def load_run(folder: str | os.PathLike) -> RunData:
    """Read every known table (and its metadata) present in a run folder.

    Raises
    ------
    FileNotFoundError
        ``folder`` does not exist or is not a folder.
    ValueError
        The folder holds none of the known tables, or a table/sidecar cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "edc_pauc.csv").write_text("measure,pauc\\nSharpness,0.01\\n")
    >>> run = load_run(folder)
    >>> run.edc_pauc.measure.tolist(), run.scores is None
    (['Sharpness'], True)
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"run folder not found: {folder}")
    run = RunData(folder=folder)
    for name, stem in RUN_FILES.items():
        path = find_table(folder, stem)
        if path is None:
            continue
        setattr(run, name, read_table(path))
        run.meta[name] = read_meta(path)
        run.files[name] = path
    if not run.files:
        expected = ", ".join(f"{stem}.csv" for stem in RUN_FILES.values())
        raise ValueError(f"no run outputs in {folder}: expected one or more of {expected} "
                         "(or .parquet), as written by fiqa score / verify / edc")
    return run
