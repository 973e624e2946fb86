"""The report's sections: one function each, returning a Section or None when its input is absent.

Every function takes the prepared :class:`reports.report.ReportData`; :data:`SECTIONS`
lists them in page order. A new kind of result (stress tests, attacks) is one more
function appended there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from fiqa.io import ImageLoadError, load_image
from reports import plots
from reports.fairness_section import fairness_section
from reports.html import Section, figure_block, format_value, table_block
from reports.report_data import MAX_OUTCOME_PAIRS, ReportData
from reports.tables import is_reference

#: Longest list of failed images or pairs shown in the page (the saved tables hold all).
MAX_FAILURE_ROWS = 50

#: Run-record keys not repeated in the metadata tables (the sections show them as tables).
HIDDEN_META = ("metrics", "results.metrics", "results.pauc", "results.fnmr")

#: Longest side of a thumbnail, in pixels, before it is drawn.
THUMBNAIL_PX = 112


def summary_section(data: ReportData) -> Section | None:
    """pAUC per measure, best (lowest) first, with the references last; headline rates."""
    section = Section("summary", "Summary")
    if data.pauc is not None:
        table = data.pauc
        css = pd.Series(np.where(is_reference(table), "reference", ""))
        limit = f" {data.discard_limit:g}" if data.discard_limit is not None else ""
        section.notes.append(
            f"pAUC: area under the error-versus-discard curve up to the discard limit{limit}; "
            "lower is better. 'relative' puts it on a scale where 0 is the theoretical best "
            "and 1 is no better than discarding at random. A measure is useful when it beats "
            "the random reference; the perfect reference discards exactly the errors first.")
        shown = [column for column in SUMMARY_COLUMNS if column in table]
        section.blocks.append(table_block(
            table[shown].rename(columns=SUMMARY_COLUMNS), row_css=css, css="summary",
            caption="pAUC per measure, best first (references in italics)"))
    if data.metrics is not None:
        section.blocks.append(table_block(_headline(data.metrics), caption="Verification"))
    return section if section.blocks else None


#: pAUC table columns shown in the summary, with their headings.
SUMMARY_COLUMNS = {
    "measure": "measure", "pauc": "pAUC", "pauc_relative": "relative",
    "pauc_above_best": "pAUC - best", "starting_fnmr": "starting FNMR",
    "missing_quality": "pairs without quality", "pairs": "pairs",
}


def _headline(metrics: dict) -> pd.DataFrame:
    rows = []
    for group, values in _metric_groups(metrics):
        row = {"comparisons": group, "pairs": values["pairs"], "failed": values["failed"],
               "EER": values["eer"]}
        for point in values["fnmr_at_fmr"]:
            row[f"FNMR@FMR={point['target_fmr']:g}"] = point["fnmr"]
        if "accuracy" in values:
            row["k-fold accuracy"] = values["accuracy"]["mean"]
        rows.append(row)
    return pd.DataFrame(rows)


def _metric_groups(metrics: dict) -> list[tuple[str, dict]]:
    groups = [("all", metrics["all"])]
    for key, value in metrics.items():
        if key.startswith("by_"):
            name = key[len("by_"):]
            groups += [(f"{name} {group}", values) for group, values in value.items()]
    return groups


def edc_section(data: ReportData) -> Section | None:
    """EDC curves of every measure on one chart (FNMR; FMR too when it was computed)."""
    edc = data.edc_points
    if edc is None:
        return None
    section = Section("edc", "Error versus discard (EDC)")
    settings = data.edc_settings
    if settings:
        section.notes.append("Settings: " + ", ".join(
            f"{key.replace('_', ' ')} {format_value(value)}" for key, value in settings.items()))
    section.notes.append(
        "The decision threshold is fixed once on all comparisons; then the comparisons with "
        "the lowest pair quality are discarded and the error is recomputed on what remains. "
        "The error axes are scaled to discard fractions up to "
        f"{plots.SCALE_DISCARD_MAX:g}; beyond, few comparisons remain and the error jumps.")
    limit = data.discard_limit
    for error in ("fnmr", "fmr"):
        if error not in edc or not (edc[error] > 0).any():
            section.notes.append(f"{error.upper()} is 0 (or absent) on every curve at the "
                                 "fixed threshold: no chart.")
            continue
        figure = plots.edc_figure(edc, discard_limit=limit, error=error)
        section.blocks.append(figure_block(
            figure, title=f"EDC: {error.upper()} against discarded fraction",
            alt=f"EDC curves ({error.upper()}) of {edc['measure'].nunique()} curves"))
    return section


def verification_section(data: ReportData) -> Section | None:
    """Error rates per group of comparisons, ROC/DET and the score distributions."""
    if data.metrics is None:
        return None
    section = Section("verification", "Verification")
    rows = []
    for group, values in _metric_groups(data.metrics):
        for point in values["fnmr_at_fmr"]:
            rows.append({"comparisons": group, "target FMR": point["target_fmr"],
                         "FNMR": point["fnmr"], "FMR reached": point["fmr"],
                         "threshold": point["threshold"], "note": point["message"]})
    section.blocks.append(table_block(pd.DataFrame(rows), caption="FNMR at fixed FMR"))
    accuracy = data.metrics["all"].get("accuracy")
    if accuracy:
        folds = pd.DataFrame({"fold": accuracy["folds"], "accuracy": accuracy["per_fold"],
                              "threshold (from the other folds)": accuracy["thresholds"]})
        section.blocks.append(table_block(folds, caption=(
            f"{len(folds)}-fold accuracy: {100 * accuracy['mean']:.2f}% "
            f"+- {100 * accuracy['std']:.2f}%")))
    if data.roc is not None:
        section.blocks.append(figure_block(plots.roc_det_figure(data.roc), title="ROC and DET",
                                           alt="ROC and DET curves"))
    comparisons = data.comparisons_ok
    figure = plots.score_histogram_figure(comparisons, threshold=data.threshold)
    section.blocks.append(figure_block(
        figure, title="Comparison scores", alt="histogram of mated and non-mated scores",
        caption=f"The line is the {data.threshold_source}." if data.threshold is not None else ""))
    return section


def outcome_section(data: ReportData) -> Section | None:
    """Pair quality of correct and wrong decisions at the fixed threshold, per measure."""
    if data.pairs is None or data.threshold is None:
        return None
    section = Section("outcomes", "Quality of correct and wrong decisions")
    section.notes.append(
        f"At the {data.threshold_source} ({data.threshold:.4f}), each comparison is a match, a "
        "false non-match (mated, rejected), a non-match or a false match (non-mated, "
        "accepted). Pair quality is the lower of the two images' quality scalars. A useful "
        "measure gives the false decisions low pair quality; counts are in the legends.")
    if data.pairs_sampled:
        section.notes.append(f"Drawn from a seeded random sample of {MAX_OUTCOME_PAIRS} of the "
                             f"{data.pairs_sampled} comparisons.")
    figure = plots.outcome_histogram_figure(data.pairs)
    section.blocks.append(figure_block(figure, alt="pair quality histograms by outcome"))
    return section


def images_section(data: ReportData) -> Section | None:
    """Scoring outcome counts and the distribution of every measure's 0..100 scalar."""
    scores = data.run.scores
    if scores is None or data.quality is None:
        return None
    section = Section("images", "Images and quality scores")
    if "status" in scores:
        counts = scores["status"].value_counts().rename_axis("status").reset_index(name="images")
        section.blocks.append(table_block(counts, caption=f"{len(scores)} images scored"))
    stats = (data.quality.dropna(subset=["scalar"]).groupby("measure", sort=False)["scalar"]
             .describe(percentiles=[0.05, 0.5, 0.95]).reset_index())
    stats = stats.rename(columns={"count": "images"})
    section.blocks.append(table_block(stats, caption="Quality scalar (0..100) per measure",
                                      digits=3))
    return section


def thumbnails_section(data: ReportData) -> Section | None:
    """The lowest- and highest-quality images of each measure, with their scores."""
    if data.quality is None:
        return None
    section = Section("thumbnails", "Lowest and highest quality images")
    section.notes.append(f"Per measure, the {data.thumbnails} images with the lowest and the "
                         "highest quality scalar (ties broken by file order).")
    for measure in data.measures:
        rows = data.quality[(data.quality["measure"] == measure)].dropna(subset=["scalar"])
        if rows.empty:
            continue
        ordered = rows.sort_values("scalar", kind="stable")
        groups = {"lowest": ordered.head(data.thumbnails),
                  "highest": ordered.tail(data.thumbnails).iloc[::-1]}
        grid = {label: [_thumbnail(row.path, row.scalar, data.image_bases)
                        for row in group.itertuples()] for label, group in groups.items()}
        figure = plots.thumbnail_grid_figure(grid)
        section.blocks.append(figure_block(figure, title=measure, dpi=90, jpeg_quality=80,
                                           alt=f"lowest and highest {measure} images"))
    return section if section.blocks else None


def _thumbnail(path: str, scalar: float, bases: list[Path]) -> plots.Thumbnail:
    caption = f"{short_name(path)}\n{scalar:.1f}"
    found = resolve_path(path, bases)
    if found is None:
        return plots.Thumbnail(None, caption)
    try:
        image = load_image(found)
    except ImageLoadError:
        return plots.Thumbnail(None, caption)
    return plots.Thumbnail(_shrink(image, THUMBNAIL_PX), caption)


def _shrink(image: np.ndarray, size_px: int) -> np.ndarray:
    from PIL import Image

    picture = Image.fromarray(image)
    picture.thumbnail((size_px, size_px), Image.Resampling.LANCZOS)
    return np.asarray(picture)


def short_name(path: str, *, limit: int = 26) -> str:
    """The file name, with as many parent folders as fit in ``limit`` characters (folders
    tell ``001/frontal/01.jpg`` from ``002/frontal/01.jpg``); long names lose their start.

    Examples
    --------
    >>> short_name("/data/cfp/001/frontal/01.jpg"), short_name("lfw/Al_Gore/Al_Gore_0001.jpg")
    ('cfp/001/frontal/01.jpg', 'Al_Gore/Al_Gore_0001.jpg')
    >>> short_name("/a/b.jpg")
    'a/b.jpg'
    >>> short_name("x/" + "a" * 30 + ".jpg", limit=10)
    '...aaa.jpg'
    """
    path = Path(str(path))
    parts = path.parts[1:] if path.anchor else path.parts
    name = parts[-1] if parts else ""
    for folder in reversed(parts[:-1]):
        if len(folder) + 1 + len(name) > limit:
            break
        name = f"{folder}/{name}"
    return name if len(name) <= limit else "..." + name[3 - limit:]


def resolve_path(path: str | os.PathLike, bases: list[Path]) -> Path | None:
    """The first existing file among ``path`` itself (if absolute) and ``base / path``.

    Examples
    --------
    >>> resolve_path("no/such/file.jpg", [Path(".")]) is None
    True
    """
    path = Path(path)
    candidates = [path] if path.is_absolute() else [base / path for base in bases]
    return next((candidate for candidate in candidates if candidate.is_file()), None)


def failures_section(data: ReportData) -> Section | None:
    """Images and comparisons that failed, with the reason (first rows; all in the tables)."""
    section = Section("failures", "Failures")
    tables = (("images", data.run.scores, ["path", "status", "error"]),
              ("comparisons", data.run.comparisons, ["image_a", "image_b", "status", "error"]))
    for name, table, columns in tables:
        if table is None or "status" not in table:
            continue
        failed = table[table["status"] != "ok"]
        if failed.empty:
            continue
        shown = failed[[c for c in columns if c in failed]].head(MAX_FAILURE_ROWS)
        more = f" (first {MAX_FAILURE_ROWS})" if len(failed) > MAX_FAILURE_ROWS else ""
        section.blocks.append(table_block(shown, caption=f"{len(failed)} {name} failed{more}"))
    return section if section.blocks else None


def metadata_section(data: ReportData) -> Section | None:
    """Every table's run metadata (tool versions, model hashes, parameters)."""
    run = data.run
    section = Section("metadata", "Run metadata")
    files = pd.DataFrame([(name, path.name, len(getattr(run, name)))
                          for name, path in run.files.items()], columns=["table", "file", "rows"])
    section.blocks.append(table_block(files, caption="Files read"))
    for name, meta in run.meta.items():
        rows = [(key, value) for key, value in flatten(meta)
                if not key.startswith(HIDDEN_META)]
        if rows:
            table = pd.DataFrame(rows, columns=["key", "value"])
            section.blocks.append(table_block(table, caption=run.files[name].name, css="meta"))
    return section


def flatten(meta: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Nested metadata as ``(dotted.key, text)`` pairs; lists are shown as JSON.

    Examples
    --------
    >>> flatten({"model": {"name": "sface", "sha256": "ab"}, "inputs": ["a", "b"]})
    [('model.name', 'sface'), ('model.sha256', 'ab'), ('inputs', '["a", "b"]')]
    """
    rows = []
    for key, value in meta.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows += flatten(value, prefix=f"{name}.")
        elif isinstance(value, (list, tuple, dict)):
            rows.append((name, json.dumps(value, default=str)))
        else:
            rows.append((name, "-" if value is None else str(value)))
    return rows


#: Page order. Each function returns None when the run lacks its input.
SECTIONS: tuple[Callable[[ReportData], Section | None], ...] = (
    summary_section, edc_section, verification_section, outcome_section, fairness_section,
    images_section,
    thumbnails_section, failures_section, metadata_section,
)
