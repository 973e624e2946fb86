"""Build a report from a run folder: prepare tidy tables once, render the sections, save.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "edc_pauc.csv").write_text("measure,pauc\\nB,0.02\\nA,0.01\\n")
>>> page = write_report(folder, folder / "report.html", tables_format=None)
>>> page.read_text().index(">A<") < page.read_text().index(">B<")
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from reports import tables
from reports.html import Section, render_html
from reports.run import RunData, load_run

#: Starting FNMR used to fix a threshold when the EDC run recorded none.
DEFAULT_STARTING_ERROR = 0.05

#: Most comparisons in the pair-outcome table; larger runs are sampled (seeded) down to it.
MAX_OUTCOME_PAIRS = 200_000

#: Formats in which the tidy tables can be saved beside the report.
TABLE_FORMATS = ("csv", "parquet")


@dataclass
class ReportData:
    """Everything the sections draw from, computed once from a :class:`RunData`."""

    run: RunData
    quality: pd.DataFrame | None = None
    pauc: pd.DataFrame | None = None
    metrics: dict | None = None
    roc: pd.DataFrame | None = None
    comparisons_ok: pd.DataFrame | None = None
    threshold: float | None = None
    threshold_source: str = ""
    pairs: pd.DataFrame | None = None
    pairs_sampled: int | None = None
    edc_points: pd.DataFrame | None = None
    measures: list[str] = field(default_factory=list)
    edc_settings: dict = field(default_factory=dict)
    discard_limit: float | None = None
    thumbnails: int = 6
    image_bases: list[Path] = field(default_factory=list)


def prepare(run: RunData, *, thumbnails: int = 6) -> ReportData:
    """Derive the report's tables from a run (each stays None when its inputs are absent)."""
    data = ReportData(run=run, thumbnails=thumbnails)
    data.image_bases = [Path.cwd(), run.folder]
    if run.scores is not None:
        data.quality = tables.quality_long(run.scores)
        data.measures = tables.measure_names(run.scores)
    if run.edc is not None:
        data.edc_points = tables.thin_steps(run.edc)
    if run.edc_pauc is not None:
        data.pauc = tables.rank_pauc(run.edc_pauc)
        ranked = [m for m in data.pauc["measure"] if m in data.measures]
        data.measures = ranked + [m for m in data.measures if m not in ranked]
    if run.edc_pauc is not None:
        data.edc_settings = tables.edc_settings(run.edc_pauc)
        limit = data.edc_settings.get("discard_limit")
        data.discard_limit = None if limit is None else float(limit)
    if run.comparisons is not None:
        _prepare_comparisons(data)
    return data


def _prepare_comparisons(data: ReportData) -> None:
    from fiqa.evaluation.edc import edc_threshold
    from fiqa.evaluation.metrics import grouped_metrics

    comparisons = data.run.comparisons
    ok = comparisons["status"].eq("ok") if "status" in comparisons else True
    good = comparisons[ok & comparisons["score"].notna()].reset_index(drop=True)
    data.comparisons_ok = good
    same = good["same"].astype(bool)
    if not same.any() or same.all():
        return  # rates need both mated and non-mated comparisons
    data.metrics = grouped_metrics(good)
    data.roc = tables.roc_table(good)
    root = data.run.meta.get("comparisons", {}).get("root")
    if root:
        data.image_bases.append(Path(root))
    recorded = data.edc_settings.get("threshold")
    if recorded is not None:
        data.threshold, data.threshold_source = float(recorded), "EDC run's fixed threshold"
    else:
        data.threshold = edc_threshold(good["score"], same,
                                       starting_error=DEFAULT_STARTING_ERROR)
        data.threshold_source = (f"threshold for a starting FNMR {DEFAULT_STARTING_ERROR:g} "
                                 "(the run has no EDC pAUC table)")
    if data.quality is not None:
        sample = good
        if len(good) > MAX_OUTCOME_PAIRS:
            sample = good.sample(n=MAX_OUTCOME_PAIRS, random_state=0).sort_index()
            data.pairs_sampled = len(good)
        data.pairs = tables.pair_outcomes(sample, data.run.scores, threshold=data.threshold,
                                          root=root or data.run.folder)


def build_sections(data: ReportData) -> list[Section]:
    """Every section whose inputs are present, in page order."""
    from reports.sections import SECTIONS

    return [section for make in SECTIONS if (section := make(data)) is not None]


def tidy_tables(data: ReportData) -> dict[str, pd.DataFrame]:
    """The long tables behind the report, by name (only those the run allows)."""
    named = {"quality": data.quality, "pairs": data.pairs, "roc": data.roc,
             "edc": data.run.edc, "pauc": data.pauc}
    return {name: table for name, table in named.items() if table is not None}


def write_report(run_folder: str | os.PathLike, out: str | os.PathLike, *,
                 tables_format: str | None = "csv", title: str | None = None,
                 thumbnails: int = 6) -> Path:
    """Render the report of ``run_folder`` to ``out`` and save its tidy tables beside it.

    Parameters
    ----------
    run_folder : path-like
        Folder holding any of scores/comparisons/edc/edc_pauc (.csv or .parquet).
    out : path-like
        The HTML file to write.
    tables_format : {"csv", "parquet"} or None
        Save the tidy tables as ``<out stem>_tables/<name>.<format>``; None saves nothing.
    title : str, optional
        Page title (default: "fiqa report: <run folder name>").
    thumbnails : int
        Images shown per measure in each of the lowest/highest rows.

    Returns
    -------
    Path
        ``out``.
    """
    if tables_format is not None and tables_format not in TABLE_FORMATS:
        raise ValueError(f"unknown table format {tables_format!r}; choose from "
                         f"{', '.join(TABLE_FORMATS)}")
    if thumbnails < 1:
        raise ValueError(f"thumbnails must be at least 1, got {thumbnails}")
    run = load_run(run_folder)
    data = prepare(run, thumbnails=thumbnails)
    out = Path(out)
    page = render_html(build_sections(data), title=title or f"fiqa report: {run.folder.name}",
                       run_folder=str(run.folder))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    if tables_format is not None:
        folder = out.with_name(f"{out.stem}_tables")
        for name, table in tidy_tables(data).items():
            tables.save_table(table, folder / f"{name}.{tables_format}")
    return out


__all__ = ["ReportData", "build_sections", "prepare", "tidy_tables", "write_report"]
