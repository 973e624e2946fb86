"""Report sections for a patch-attack run folder (``results.csv``, ``history.csv``, PNGs)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from reports.html import Section, figure_block, render_html, table_block
from reports.plots import Thumbnail, new_figure, thumbnail_grid_figure


def judges_in(results: pd.DataFrame) -> list[str]:
    """Names of the recognizers that judged ``results`` besides the attacked one (their
    ``<name>.success`` columns, from :func:`attacks.patch.evaluate.judge_results`).

    Examples
    --------
    >>> judges_in(pd.DataFrame(columns=["success", "dlib.success", "dlib.threshold"]))
    ['dlib']
    """
    return [str(column)[: -len(".success")] for column in results.columns
            if str(column).endswith(".success")]


#: Columns of a results table that tell attacks apart (those present are grouped on).
GROUP_COLUMNS = ("universal", "region", "area")


def summary_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per kind, region and area: attacks, success rate, mean similarity before/after, gate
    rejections, and per black-box judge (``<judge>.success`` columns, e.g. dlib) its clean
    matches and transfer success rate among them, next to the attacked model's.

    Examples
    --------
    >>> r = pd.DataFrame({"area": [0.08, 0.08], "success": [True, False],
    ...                   "score_before": [0.7, 0.6], "score_after": [0.2, 0.5],
    ...                   "dlib.clean_ok": [True, False], "dlib.success": [True, False]})
    >>> summary_table(r)[["area", "attacks", "success_rate", "dlib_success_rate"]].values.tolist()
    [[0.08, 2.0, 0.5, 1.0]]
    """
    groups = results.groupby([c for c in GROUP_COLUMNS if c in results], sort=True)
    table = pd.DataFrame({
        "attacks": groups.size(),
        "success_rate": groups["success"].mean(),
        "score_before": groups["score_before"].mean(),
        "score_after": groups["score_after"].mean(),
    })
    for judge in judges_in(results):
        counted = results[results[f"{judge}.clean_ok"].astype(bool)]
        by_group = counted.groupby([c for c in GROUP_COLUMNS if c in results], sort=True)
        table[f"{judge}_clean_matched"] = by_group.size().reindex(table.index, fill_value=0)
        table[f"{judge}_success_rate"] = by_group[f"{judge}.success"].mean()
    if "gate_after" in results and results["gate_after"].isin(["accept", "reject"]).any():
        table["gate_rejects_clean"] = groups["gate_before"].apply(lambda s: (s == "reject").mean())
        table["gate_rejects_patched"] = groups["gate_after"].apply(
            lambda s: (s == "reject").mean())
    if "seconds" in results:
        table["seconds_per_patch"] = groups["seconds"].mean()
    return table.reset_index()


def success_figure(results: pd.DataFrame):
    """Attack success rate against patch area (fraction of the face box), one line per
    recognizer judging it."""
    table = summary_table(results).groupby("area", sort=True).mean(numeric_only=True)
    figure = new_figure(4.2, 2.8)
    ax = figure.add_subplot()
    ax.plot(100 * table.index, 100 * table["success_rate"], marker="o", label="attacked model")
    for judge in judges_in(results):
        ax.plot(100 * table.index, 100 * table[f"{judge}_success_rate"], marker="s",
                linestyle="--", label=f"{judge} (black-box transfer)")
    if judges_in(results):
        ax.legend(fontsize=7)
    ax.set_xlabel("patch area (% of face box)")
    ax.set_ylabel("success rate (%)")
    ax.set_ylim(-2, 102)
    ax.grid(alpha=0.3)
    return figure


def loss_figure(history: pd.DataFrame, *, limit: int = 20):
    """Similarity to the reference over the optimisation steps, one line per patch."""
    figure = new_figure(5.0, 3.0)
    ax = figure.add_subplot()
    for (area, patch), rows in list(history.groupby(["area", "patch"], sort=True))[:limit]:
        ax.plot(rows["step"], rows["similarity"], linewidth=0.8, alpha=0.7)
    ax.set_xlabel("step")
    ax.set_ylabel("cosine similarity (white-box, transformed)")
    ax.grid(alpha=0.3)
    return figure


def examples_figure(results: pd.DataFrame, *, count: int = 6):
    """Clean and patched thumbnails of the first ``count`` results with their scores."""
    from fiqa.io import load_image

    chosen = results.head(count)
    clean, patched = [], []
    for row in chosen.itertuples():
        clean.append(Thumbnail(_read(row.image, load_image), f"{row.score_before:.3f}"))
        verdict = "success" if row.success else "fail"
        patched.append(Thumbnail(_read(row.patched, load_image),
                                 f"{row.score_after:.3f} {verdict}"))
    return thumbnail_grid_figure({"clean": clean, "patched": patched},
                                 title="similarity to the template")


def _read(path: str, load_image) -> np.ndarray | None:
    try:
        return load_image(path)
    except ValueError:
        return None


def attack_sections(results: pd.DataFrame, history: pd.DataFrame) -> list[Section]:
    """The report's sections: summary, success vs area, examples, loss curves, all rows."""
    threshold = float(results["threshold"].iloc[0]) if len(results) else float("nan")
    note = ("Success is judged black-box: each patched image is written as 8-bit PNG, detected, "
            "aligned and embedded by the normal pipeline and compared with the template at "
            f"threshold {threshold:.4f} (FMR 1e-3 on clean non-mated pairs).")
    notes = [note]
    for judge in judges_in(results):
        notes.append(f"{judge} judged the same PNGs black-box at its own threshold "
                     f"{float(results[f'{judge}.threshold'].iloc[0]):.4f} (FMR 1e-3 on the same "
                     f"clean non-mated pairs); {judge}_success_rate counts only the attacks whose "
                     f"clean comparison {judge} decided correctly ({judge}_clean_matched). The "
                     "patches were never optimised against it: this is transfer.")
    summary = Section("attack-summary", "Attack success", notes=notes)
    summary.blocks.append(table_block(summary_table(results)))
    sections = [summary]
    if results["area"].nunique() > 1:
        sections.append(Section("attack-area", "Success against patch area",
                                blocks=[figure_block(success_figure(results),
                                                     alt="success rate against patch area")]))
    sections.append(Section("attack-examples", "Examples", blocks=[figure_block(
        examples_figure(results), alt="clean and patched faces", jpeg_quality=85)]))
    if len(history):
        sections.append(Section("attack-loss", "Optimisation", blocks=[figure_block(
            loss_figure(history), alt="similarity over optimisation steps")]))
    sections.append(Section("attack-rows", "All attacks", blocks=[table_block(results)]))
    return sections


def write_attack_report(run_dir: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write ``out`` (default ``report.html`` in the folder) for a run folder holding
    ``results.csv`` and ``history.csv``."""
    run_dir = Path(run_dir)
    results = pd.read_csv(run_dir / "results.csv")
    history_path = run_dir / "history.csv"
    history = pd.read_csv(history_path) if history_path.is_file() else pd.DataFrame()
    page = render_html(attack_sections(results, history), title="Adversarial patch attack",
                       run_folder=str(run_dir))
    out = Path(out) if out is not None else run_dir / "report.html"
    out.write_text(page, encoding="utf-8")
    return out
