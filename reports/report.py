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
from pathlib import Path

import pandas as pd

from reports import tables
from reports.html import Section, render_html
from reports.report_data import ReportData, prepare
from reports.run import load_run
from reports.sections import SECTIONS

#: Formats in which the tidy tables can be saved beside the report.
TABLE_FORMATS = ("csv", "parquet")

def build_sections(data: ReportData) -> list[Section]:
    """Every section whose inputs are present, in page order."""

    return [section for make in SECTIONS if (section := make(data)) is not None]


def tidy_tables(data: ReportData) -> dict[str, pd.DataFrame]:
    """The long tables behind the report, by name (only those the run allows)."""
    named = {"quality": data.quality, "pairs": data.pairs, "roc": data.roc,
             "edc": data.run.edc, "pauc": data.pauc}
    if data.fairness is not None:
        named.update(fairness=data.fairness.groups, fairness_ratios=data.fairness.ratios,
                     fairness_quality=data.fairness.quality)
    return {name: table for name, table in named.items() if table is not None}


def write_report(run_folder: str | os.PathLike, out: str | os.PathLike, *,
                 tables_format: str | None = "csv", title: str | None = None,
                 thumbnails: int = 6, groups: str | None = None, groups_root: str | None = None,
                 bootstrap=None) -> Path:
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
    groups : str, optional
        A groups CSV or ``"ita"``: adds the fairness section (see :func:`prepare`).
    groups_root : str, optional
        Folder relative paths in the groups CSV are relative to.
    bootstrap : fiqa.evaluation.fairness.Bootstrap, optional
        Replicates and seed of the group intervals.

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
    data = prepare(run, thumbnails=thumbnails, groups=groups, groups_root=groups_root,
                   bootstrap=bootstrap)
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
