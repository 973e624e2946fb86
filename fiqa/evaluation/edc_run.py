"""EDC of quality measures from files: ``fiqa verify`` comparisons joined with ``fiqa score``
qualities, one curve per measure plus the random and perfect references.

Output contracts
----------------
Curves table (one row per curve point): ``measure``, ``kind`` (``measure`` / ``random`` /
``perfect``), ``variant`` (``edc``, or ``erc`` when asked for), then
:data:`fiqa.evaluation.edc.CURVE_COLUMNS`.

pAUC table (one row per curve): ``measure``, ``kind``, ``variant``, ``column`` (the quality
column used), ``discard_limit``, ``pairs``, ``missing_quality``, ``starting_fnmr``,
``pauc``, ``theoretical_best``, ``pauc_above_best``, ``pauc_relative``, ``threshold``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from fiqa.evaluation.edc import (
    edc_curve,
    edc_threshold,
    erc_curve,
    pair_quality,
    perfect_quality,
    random_quality,
    summarise_curve,
)

MISSING_QUALITY_RULES = ("lowest", "drop")


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a ``.csv`` or ``.parquet`` table."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"table not found: {path}")
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, keep_default_na=True)


def quality_column(quality: pd.DataFrame, measure: str, *, raw: bool = False) -> str:
    """The column holding ``measure``: ``<Measure>.scalar`` (0..100, higher = better) by
    default, the measure's native value with ``raw=True``. Names match case-insensitively.

    Examples
    --------
    >>> quality_column(pd.DataFrame(columns=["path", "Sharpness", "Sharpness.scalar"]),
    ...                "sharpness")
    'Sharpness.scalar'
    """
    wanted = measure if raw else f"{measure}.scalar"
    by_lower = {str(column).lower(): column for column in quality.columns}
    if wanted.lower() in by_lower:
        return by_lower[wanted.lower()]
    available = sorted(str(c)[: -len(".scalar")] for c in quality.columns
                       if str(c).endswith(".scalar"))
    raise ValueError(f"measure {measure!r} has no column {wanted!r} in the quality table; "
                     f"measures present: {available}")


def image_qualities(comparisons: pd.DataFrame, quality: pd.DataFrame, *, column: str,
                    root: str | os.PathLike, quality_base: str | os.PathLike = ".",
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Look up each comparison's two qualities (NaN where missing or not ``status == "ok"``);
    paths are matched as in :func:`quality_rows`."""
    rows_a, rows_b = quality_rows(comparisons, quality, root=root, quality_base=quality_base)
    return _values(quality, column, rows_a), _values(quality, column, rows_b)


def quality_rows(comparisons: pd.DataFrame, quality: pd.DataFrame, *, root: str | os.PathLike,
                 quality_base: str | os.PathLike = ".") -> tuple[np.ndarray, np.ndarray]:
    """Row of the quality table holding each comparison's ``image_a`` and ``image_b``
    (-1 when absent).

    Paths are matched as absolute paths: comparison paths are joined to ``root``, relative
    quality paths to ``quality_base`` (the folder ``fiqa score`` ran in). Paths still not
    found are matched on their trailing components (``Name/Name_0001.jpg``) when those are
    unique in the quality table.
    """
    base = Path(quality_base)
    absolute = [_absolute(path, base) for path in quality["path"].astype(str)]
    lookup = {path: row for row, path in enumerate(absolute)}
    suffix_tables: dict[int, dict[tuple, int]] = {}

    def find(relative: str) -> int:
        key = _absolute(relative, Path(root))
        if key in lookup:
            return lookup[key]
        parts = Path(relative).parts
        if len(parts) not in suffix_tables:
            suffix_tables[len(parts)] = _suffix_table(absolute, len(parts))
        return suffix_tables[len(parts)].get(parts, -1)

    found: dict[str, int] = {}
    sides = []
    for side in ("image_a", "image_b"):
        rows = [found[p] if p in found else found.setdefault(p, find(p))
                for p in comparisons[side].astype(str)]
        sides.append(np.asarray(rows, np.int64))
    return sides[0], sides[1]


def _values(quality: pd.DataFrame, column: str, rows: np.ndarray) -> np.ndarray:
    values = pd.to_numeric(quality[column], errors="coerce").to_numpy(np.float64)
    if "status" in quality:
        values = np.where(quality["status"].astype(str).eq("ok"), values, np.nan)
    return np.append(values, np.nan)[rows]  # row -1 (absent) picks the appended NaN


def edc_table(
    comparisons: pd.DataFrame,
    quality: pd.DataFrame,
    *,
    measures: list[str],
    root: str | os.PathLike,
    quality_base: str | os.PathLike = ".",
    starting_error: float | None = 0.05,
    fmr: float | None = None,
    discard_limit: float = 0.2,
    pair_rule: str = "min",
    raw: bool = False,
    missing_quality: str = "lowest",
    variant: str = "edc",
    seed: int = 0,
    max_missing: float = 0.1,
    threshold: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """EDC curves and pAUC figures of several measures (see the module notes for columns).

    Failed comparisons (``status != "ok"``) are left out. A comparison whose pair quality is
    missing counts as the lowest quality (``missing_quality="lowest"``: a sample the
    measure could not score is discarded first) or is left out (``"drop"``). The threshold
    is fixed once from all comparisons used (``starting_error`` or ``fmr``) and shared by
    every curve. ``variant="erc"`` computes :func:`fiqa.evaluation.edc.erc_curve` instead
    (target FMR ``fmr``, or the FMR of the fixed starting threshold). ``threshold`` fixes
    the decision threshold directly instead (e.g. one set on a larger non-mated set).

    A quality table that matches none of the comparisons' images is an error, and so is a
    measure whose pair quality is missing for more than ``max_missing`` (a share) of the
    comparisons: its curve would say more about the join than about the measure.
    """
    if missing_quality not in MISSING_QUALITY_RULES:
        raise ValueError(f"missing_quality must be one of {MISSING_QUALITY_RULES}, got "
                         f"{missing_quality!r}")
    if variant not in ("edc", "erc"):
        raise ValueError(f"variant must be 'edc' or 'erc', got {variant!r}")
    if fmr is not None:
        starting_error = None
    usable = comparisons[comparisons["status"].astype(str).eq("ok")] if "status" in comparisons \
        else comparisons
    usable = usable.reset_index(drop=True)
    scores = usable["score"].to_numpy(np.float64)
    same = usable["same"].to_numpy(bool)
    curves, summaries = [], []
    if threshold is None:
        threshold = edc_threshold(scores, same, starting_error=starting_error, fmr=fmr)
    target_fmr = fmr
    if variant == "erc" and target_fmr is None:
        if same.all():
            raise ValueError("the ERC variant needs non-mated comparisons to keep an FMR")
        target_fmr = float(np.mean(scores[~same] >= threshold))

    def add(name: str, kind: str, column: str, keep: np.ndarray, pair: np.ndarray) -> None:
        if variant == "erc":
            curve = erc_curve(scores[keep], same[keep], pair[keep], target_fmr=target_fmr)
        else:
            curve = edc_curve(scores[keep], same[keep], pair[keep], threshold=threshold)
        frame = curve.to_frame()
        frame.insert(0, "kind", kind)
        frame.insert(0, "measure", name)
        curves.append(frame)
        summaries.append({"measure": name, "kind": kind, "variant": variant, "column": column,
                          "discard_limit": discard_limit, "pairs": int(keep.sum()),
                          "missing_quality": int(len(keep) - np.isfinite(pair).sum()),
                          **summarise_curve(curve, discard_limit=discard_limit),
                          "threshold": threshold if variant == "edc" else np.nan})

    everything = np.ones(len(usable), bool)
    columns = [quality_column(quality, measure, raw=raw) for measure in measures]
    rows_a, rows_b = quality_rows(usable, quality, root=root, quality_base=quality_base)
    _check_join(usable, quality, rows_a, rows_b, root)
    for column in columns:
        pair = pair_quality(_values(quality, column, rows_a), _values(quality, column, rows_b),
                            rule=pair_rule)
        _check_missing(pair, rows_a, rows_b, column, max_missing)
        keep = np.isfinite(pair) if missing_quality == "drop" else everything
        name = column.removesuffix(".scalar")
        add(name, "measure", column, keep, np.where(np.isnan(pair), -np.inf, pair))
    add("random", "random", "", everything, random_quality(len(usable), seed=seed))
    add("perfect", "perfect", "", everything, perfect_quality(scores, same))
    return pd.concat(curves, ignore_index=True), pd.DataFrame(summaries)


def _check_join(comparisons, quality, rows_a, rows_b, root) -> None:
    if len(comparisons) and not ((rows_a >= 0) | (rows_b >= 0)).any():
        example = str(quality["path"].iloc[0]) if len(quality) else "(empty table)"
        raise ValueError(
            f"the quality table matches none of the {len(comparisons)} comparisons' images "
            f"(e.g. {comparisons['image_a'].iloc[0]} under root {root}; the quality table has "
            f"{example}): score the images the comparisons use, or give the right --root")


def _check_missing(pair, rows_a, rows_b, column, max_missing) -> None:
    missing = ~np.isfinite(pair)
    if len(pair) and missing.mean() > max_missing:
        absent = int((missing & ((rows_a < 0) | (rows_b < 0))).sum())
        raise ValueError(
            f"{column}: quality is missing for {int(missing.sum())} of {len(pair)} comparisons "
            f"({missing.mean():.0%}; {absent} with an image not in the quality table, "
            f"{int(missing.sum()) - absent} with an image not scored ok), over the "
            f"{max_missing:.0%} allowed: check the quality file and --root, or allow more "
            "missing quality (max_missing)")


def pauc_path(out: str | os.PathLike) -> Path:
    """Where :func:`edc_to_file` writes the pAUC table: ``<stem>_pauc.csv`` next to ``out``."""
    out = Path(out)
    return out.with_name(f"{out.stem}_pauc.csv")


def read_comparisons(comparisons: str | os.PathLike, *, root: str | os.PathLike | None = None,
                     protocol: str | None = None) -> tuple[pd.DataFrame, str | os.PathLike]:
    """A ``fiqa verify`` table (only ``protocol``'s rows when given, e.g. ``"FP"`` in CFP) and
    the folder its paths are relative to: ``root``, or the one ``fiqa verify`` recorded in the
    comparisons' run record (``<comparisons>.run.json``)."""
    from fiqa.runs import read_record, record_path

    if root is None:
        root = read_record(comparisons).get("parameters", {}).get("root")
        if root is None:
            raise ValueError(f"give --root: the folder the comparison paths are relative to "
                             f"(no {record_path(comparisons).name} from fiqa verify next to "
                             f"{comparisons})")
    table = read_table(comparisons)
    if protocol is not None:
        if "protocol" not in table:
            raise ValueError(f"{comparisons} has no protocol column to select {protocol!r} from")
        values = sorted(table["protocol"].astype(str).unique())
        if protocol not in values:
            raise ValueError(f"protocol {protocol!r} not in {comparisons}; it has {values}")
        table = table[table["protocol"].astype(str).eq(protocol)]
    return table, root


def edc_to_file(out: str | os.PathLike, *, comparisons: str | os.PathLike,
                quality: str | os.PathLike, root: str | os.PathLike | None = None,
                protocol: str | None = None, **options) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the two tables (see :func:`read_comparisons` for ``root`` and ``protocol``),
    compute :func:`edc_table`, write ``out`` and :func:`pauc_path`. ``measures=["all"]`` takes
    every measure of the quality table (:func:`measures_in`)."""
    from fiqa.runs import read_record, run_record, status_counts, write_record

    table, root = read_comparisons(comparisons, root=root, protocol=protocol)
    quality_table = read_table(quality)
    if list(options.get("measures", ())) == ["all"]:
        options["measures"] = measures_in(quality_table)
    curves, summary = edc_table(table, quality_table, root=root, **options)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    curves.to_csv(out, index=False)
    summary.to_csv(pauc_path(out), index=False)
    write_record(out, run_record(
        "edc", models=read_record(comparisons).get("models", {}),
        parameters={"comparisons": str(Path(comparisons).resolve()),
                    "quality": str(Path(quality).resolve()), "root": str(root),
                    "protocol": protocol, **options},
        status_counts=status_counts(table["status"]) if "status" in table else {},
        results={"pauc": summary.to_dict("records")}))
    return curves, summary


def measures_in(quality: pd.DataFrame) -> list[str]:
    """The measures of a ``fiqa score`` table: every ``<Measure>.scalar`` column's name.

    Examples
    --------
    >>> measures_in(pd.DataFrame(columns=["path", "Sharpness", "Sharpness.scalar", "HeadPoseYaw",
    ...                                   "HeadPoseYaw.scalar"]))
    ['Sharpness', 'HeadPoseYaw']
    """
    return [str(c)[: -len(".scalar")] for c in quality.columns if str(c).endswith(".scalar")]


def _absolute(path: str, base: Path) -> str:
    candidate = Path(path)
    return str((candidate if candidate.is_absolute() else base / candidate).resolve())


def _suffix_table(paths: list[str], depth: int) -> dict[tuple, int]:
    table: dict[tuple, int] = {}
    ambiguous = set()
    for row, path in enumerate(paths):
        key = Path(path).parts[-depth:]
        if key in table:
            ambiguous.add(key)
        table[key] = row
    for key in ambiguous:
        del table[key]
    return table


def format_pauc(summary: pd.DataFrame) -> str:
    """The pAUC table as aligned text, best (lowest pAUC) first."""
    ordered = summary.sort_values("pauc", kind="stable")
    first = ordered.iloc[0]
    lines = [(f"{first['variant'].upper()}: pAUC up to discard {first['discard_limit']:g}, "
              f"starting FNMR {first['starting_fnmr']:.4f}, {first['pairs']} comparisons"),
             f"{'measure':<32} {'pAUC':>9} {'- best':>9} {'relative':>9} {'missing':>8}"]
    for row in ordered.itertuples():
        lines.append(f"{row.measure:<32} {row.pauc:9.5f} {row.pauc_above_best:9.5f} "
                     f"{row.pauc_relative:9.3f} {row.missing_quality:8d}")
    return "\n".join(lines)
