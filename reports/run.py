"""Reading the outputs of one evaluation run (``fiqa score``, ``verify``, ``edc``) from a folder.

Every file is optional: a report shows the sections whose inputs are present. Each table
may be CSV or Parquet. Run metadata comes from each table's run record
(``<file>.run.json``, see :mod:`fiqa.runs`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fiqa.evaluation.edc_run import read_table
from fiqa.runs import read_record

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

    ``meta`` maps a table name to its run record (empty when there is none); ``files`` maps it to the file it was read from.
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
        run.meta[name] = read_record(path)
        run.files[name] = path
    if not run.files:
        expected = ", ".join(f"{stem}.csv" for stem in RUN_FILES.values())
        raise ValueError(f"no run outputs in {folder}: expected one or more of {expected} "
                         "(or .parquet), as written by fiqa score / verify / edc")
    return run
