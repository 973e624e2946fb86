"""Tidy tables for reports: one row per image x measure, per pair x measure, per curve point.

Wide run outputs (``fiqa score`` writes one column per measure) are reshaped here so every
chart and every saved table works on the same long form.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

#: Suffix of the 0..100 column that ``fiqa score`` writes next to each raw measure column.
SCALAR_SUFFIX = ".scalar"

_TABLE_FORMATS = (".csv", ".parquet")


def save_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table as CSV or Parquet, chosen by the file ending; returns the path.

    Examples
    --------
    >>> import tempfile, os
    >>> path = save_table(pd.DataFrame({"a": [1]}), os.path.join(tempfile.mkdtemp(), "t.csv"))
    >>> path.read_text().splitlines()
    ['a', '1']
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


def rank_pauc(pauc: pd.DataFrame) -> pd.DataFrame:
    """A pAUC table with measures best (lowest pAUC) first and the references last.

    References are found by :func:`is_reference`.

    Examples
    --------
    >>> table = pd.DataFrame({"measure": ["random", "B", "A"], "pauc": [0.01, 0.008, 0.005]})
    >>> rank_pauc(table).measure.tolist()
    ['A', 'B', 'random']
    """
    if not {"measure", "pauc"} <= set(pauc.columns):
        raise ValueError(f"pAUC table needs columns measure and pauc, found {list(pauc.columns)}")
    reference = is_reference(pauc)
    ordered = pd.concat([pauc[~reference].sort_values("pauc", kind="stable"),
                         pauc[reference]])
    return ordered.reset_index(drop=True)


def is_reference(table: pd.DataFrame) -> pd.Series:
    """True for the rows of reference curves in an EDC or pAUC table: ``kind`` other than
    ``"measure"`` when the table has that column, else ``measure`` named perfect/random."""
    if "kind" in table:
        return table["kind"].ne("measure")
    return table["measure"].isin(REFERENCE_CURVES)


#: Labels of the reference curves in EDC tables (the ``measure`` column).
REFERENCE_CURVES = ("perfect", "random")


def roc_table(comparisons: pd.DataFrame, *, group: str = "protocol",
              bins_per_decade: int = 50) -> pd.DataFrame:
    """ROC/DET points per group of comparisons, thinned for drawing and saving.

    Points come from :func:`fiqa.evaluation.metrics.roc_points`, for all comparisons
    (``curve="all"``) and per value of the ``group`` column when present. A point is kept
    only where log10 FMR or log10 FNMR moves to a new bin (``bins_per_decade`` per
    decade), so a million comparisons give a few hundred points with the same shape.

    Examples
    --------
    >>> table = pd.DataFrame({"score": [0.9, 0.8, 0.3, 0.2], "same": [1, 1, 0, 0]})
    >>> roc_table(table).columns.tolist()
    ['curve', 'threshold', 'fmr', 'fnmr']
    """
    from fiqa.evaluation.metrics import roc_points

    groups = [("all", comparisons)]
    if group in comparisons and comparisons[group].nunique() > 1:
        groups += [(f"{group} {name}", rows) for name, rows in comparisons.groupby(group)]
    parts = []
    for name, rows in groups:
        same = rows["same"].astype(bool)
        if same.all() or not same.any():
            continue
        points = roc_points(rows["score"], same)
        bins = np.floor(np.log10(points[["fmr", "fnmr"]].clip(lower=1e-12)) * bins_per_decade)
        moved = np.array(bins.diff().ne(0).any(axis=1))
        moved[[0, -1]] = True
        parts.append(points[moved].assign(curve=name))
    if not parts:
        raise ValueError("ROC needs both mated and non-mated comparisons")
    table = pd.concat(parts, ignore_index=True)
    return table[["curve", "threshold", "fmr", "fnmr"]]


def edc_settings(pauc: pd.DataFrame) -> dict:
    """The settings an EDC run shares across its curves, read from its pAUC table.

    Returns the first non-missing value of each of ``threshold``, ``discard_limit``,
    ``starting_fnmr``, ``variant`` and ``pairs`` present (measure rows before references).

    Examples
    --------
    >>> table = pd.DataFrame({"measure": ["A"], "threshold": [0.31], "discard_limit": [0.2]})
    >>> edc_settings(table)
    {'threshold': 0.31, 'discard_limit': 0.2}
    """
    settings = {}
    for key in ("threshold", "discard_limit", "starting_fnmr", "variant", "pairs"):
        if key in pauc and pauc[key].notna().any():
            value = pauc[key].dropna().iloc[0]
            settings[key] = value.item() if hasattr(value, "item") else value
    return settings


def pair_outcomes(comparisons: pd.DataFrame, scores: pd.DataFrame, *, threshold: float,
                  root: str | os.PathLike, quality_base: str | os.PathLike = ".",
                  rule: str = "min") -> pd.DataFrame:
    """One row per comparison x measure: pair quality and the decision outcome.

    Parameters
    ----------
    comparisons : DataFrame
        Successful comparisons: ``image_a``, ``image_b``, ``same``, ``score``.
    scores : DataFrame
        The wide ``fiqa score`` table; images are matched as in
        :func:`fiqa.evaluation.edc_run.image_qualities`.
    threshold : float
        Accept a comparison when ``score >= threshold``.
    root, quality_base : path-like
        The folders comparison paths and relative score paths are relative to.
    rule : {"min", "mean", "product"}
        Pair quality rule, see :func:`fiqa.evaluation.edc.pair_quality`.

    Returns
    -------
    DataFrame
        ``image_a``, ``image_b``, ``same``, ``score``, ``outcome`` (match, false non-match,
        non-match, false match), ``measure``, ``quality_a``, ``quality_b``, ``pair_quality``
        (0..100 scalars; NaN where an image has no quality).
    """
    from fiqa.evaluation.edc import pair_quality
    from fiqa.evaluation.edc_run import image_qualities

    base = comparisons[["image_a", "image_b", "same", "score"]].reset_index(drop=True)
    same = base["same"].astype(bool).to_numpy()
    accepted = base["score"].to_numpy(np.float64) >= threshold
    base["outcome"] = np.select([same & accepted, same, accepted],
                                ["match", "false non-match", "false match"], "non-match")
    # Match each distinct image to its scores row once (NaN: not scored or not "ok"), then
    # read every measure through that row index.
    codes, images = pd.factorize(pd.concat([base["image_a"], base["image_b"]]).astype(str))
    numbered = scores.assign(_row=np.arange(len(scores), dtype=np.float64))
    row, _ = image_qualities(pd.DataFrame({"image_a": images, "image_b": images}), numbered,
                             column="_row", root=root, quality_base=quality_base)
    position = np.where(np.isnan(row), -1, row).astype(np.int64)[codes]
    side_a, side_b = position[: len(base)], position[len(base):]
    parts = []
    for measure in measure_names(scores):
        values = np.append(pd.to_numeric(scores[measure + SCALAR_SUFFIX], errors="coerce")
                           .to_numpy(np.float64), np.nan)
        quality_a, quality_b = values[side_a], values[side_b]
        parts.append(base.assign(measure=measure, quality_a=quality_a, quality_b=quality_b,
                                 pair_quality=pair_quality(quality_a, quality_b, rule=rule)))
    return pd.concat(parts, ignore_index=True)


def thin_steps(curves: pd.DataFrame, *, bins: int = 2000) -> pd.DataFrame:
    """Step curves (EDC) cut to at most about ``bins`` points each, for drawing.

    Within each curve (``measure`` and, when present, ``variant``) the discard axis is cut
    into ``bins`` equal bins and only the first point and the last point of every bin are
    kept: a step drawn from the kept points differs from the full one by less than a bin
    width along the axis, while a million-comparison curve shrinks to a few thousand rows.

    Examples
    --------
    >>> curve = pd.DataFrame({"measure": "A", "discard_fraction": np.linspace(0, 1, 10_001),
    ...                       "fnmr": np.linspace(0.05, 0, 10_001)})
    >>> len(thin_steps(curve, bins=100)) <= 2 * 100 + 1
    True
    """
    keys = ["measure", "variant"] if "variant" in curves else ["measure"]
    group = curves.groupby(keys, sort=False).ngroup().to_numpy()  # curves in table order
    discard = curves["discard_fraction"].to_numpy(np.float64)
    order = np.lexsort((discard, group))
    ordered, group = curves.iloc[order], group[order]
    cell = np.floor(discard[order] * bins)
    new_cell = np.r_[True, (cell[1:] != cell[:-1]) | (group[1:] != group[:-1])]
    last_of_cell = np.r_[new_cell[1:], True]
    return ordered[new_cell | last_of_cell].reset_index(drop=True)
