"""Tidy tables for reports: one row per image x measure, per pair x measure, per curve point.

Wide run outputs (``fiqa score`` writes one column per measure) are reshaped here so every
chart and every saved table works on the same long form.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

#: Suffix of the 0..100 column that ``fiqa score`` writes next to each raw measure column.
SCALAR_SUFFIX = ".scalar"

_TABLE_FORMATS = (".csv", ".parquet")


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV or Parquet table, chosen by the file ending.

    Raises
    ------
    ValueError
        The ending is neither ``.csv`` nor ``.parquet``, or the file cannot be parsed.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _TABLE_FORMATS:
        raise ValueError(f"cannot read {path}: expected a .csv or .parquet file")
    try:
        return pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise ValueError(f"cannot read table {path}: {exc}") from None


def save_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table as CSV or Parquet, chosen by the file ending; returns the path.

    Examples
    --------
    >>> import tempfile, os
    >>> path = save_table(pd.DataFrame({"a": [1]}), os.path.join(tempfile.mkdtemp(), "t.csv"))
    >>> read_table(path).a.tolist()
    [1]
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _TABLE_FORMATS:
        raise ValueError(f"cannot save {path}: use a .csv or .parquet file ending")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        table.to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)
    return path


def measure_names(scores: pd.DataFrame) -> list[str]:
    """Measures in a wide scores table: every ``<Name>`` that has a ``<Name>.scalar`` column.

    Examples
    --------
    >>> measure_names(pd.DataFrame(columns=["path", "Sharpness", "Sharpness.scalar"]))
    ['Sharpness']
    """
    return [column[: -len(SCALAR_SUFFIX)] for column in scores.columns
            if column.endswith(SCALAR_SUFFIX) and len(column) > len(SCALAR_SUFFIX)]


def quality_long(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per image x measure from a wide ``fiqa score`` table.

    Parameters
    ----------
    scores : DataFrame
        Columns ``path`` and, per measure, ``<Name>.scalar`` (0..100) and usually ``<Name>``
        (raw value); ``status`` is kept when present.

    Returns
    -------
    DataFrame
        Columns ``path``, ``status`` (when given), ``measure``, ``raw``, ``scalar``; images in
        their original order within each measure, measures in column order.

    Raises
    ------
    ValueError
        No ``path`` column or no ``<Name>.scalar`` column.

    Examples
    --------
    >>> wide = pd.DataFrame({"path": ["a.jpg"], "Sharpness": [0.3], "Sharpness.scalar": [41.0]})
    >>> quality_long(wide).to_dict("records")
    [{'path': 'a.jpg', 'measure': 'Sharpness', 'raw': 0.3, 'scalar': 41.0}]
    """
    if "path" not in scores.columns:
        raise ValueError("scores table has no 'path' column (is it the output of fiqa score?)")
    measures = measure_names(scores)
    if not measures:
        raise ValueError("scores table has no '<Measure>.scalar' column (is it the output of "
                         "fiqa score?)")
    keys = [column for column in ("path", "status") if column in scores.columns]
    parts = []
    for measure in measures:
        part = scores[keys].copy()
        part["measure"] = measure
        part["raw"] = pd.to_numeric(scores[measure], errors="coerce") if measure in scores \
            else float("nan")
        part["scalar"] = pd.to_numeric(scores[measure + SCALAR_SUFFIX], errors="coerce")
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
