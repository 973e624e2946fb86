"""Report sections for a patch-attack run folder (``results.csv``, ``history.csv``, PNGs)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from reports.html import Section, figure_block, render_html, table_block
from reports.plots import Thumbnail, new_figure, thumbnail_grid_figure


def summary_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per area: attacks, success rate, mean similarity before/after, gate rejections.

    Examples
    --------
    >>> r = pd.DataFrame({"area": [0.08, 0.08], "success": [True, False],
    ...                   "score_before": [0.7, 0.6], "score_after": [0.2, 0.5]})
    >>> summary_table(r)[["area", "attacks", "success_rate"]].values.tolist()
    [[0.08, 2.0, 0.5]]
    """
    groups = results.groupby("area", sort=True)
    table = pd.DataFrame({
        "attacks": groups.size(),
        "success_rate": groups["success"].mean(),
        "score_before": groups["score_before"].mean(),
        "score_after": groups["score_after"].mean(),
    })
    if "gate_after" in results and results["gate_after"].isin(["accept", "reject"]).any():
        table["gate_rejects_clean"] = groups["gate_before"].apply(lambda s: (s == "reject").mean())
        table["gate_rejects_patched"] = groups["gate_after"].apply(
            lambda s: (s == "reject").mean())
    if "seconds" in results:
        table["seconds_per_patch"] = groups["seconds"].mean()
    return table.reset_index()


def success_figure(results: pd.DataFrame):
    """Attack success rate against patch area (fraction of the face box)."""
    table = summary_table(results)
    figure = new_figure(4.2, 2.8)
    ax = figure.add_subplot()
    ax.plot(100 * table["area"], 100 * table["success_rate"], marker="o")
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
    summary = Section("attack-summary", "Attack success", notes=[note])
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
