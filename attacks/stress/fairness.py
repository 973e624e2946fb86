"""Per-group outcomes of a sweep (``fiqa stress --groups``): for every condition and
recognizer, the gate's reject rate, FNMR and FMR at the recognizer's clean threshold, per
group, with the worst/best ratios (:func:`fiqa.evaluation.fairness_run.fairness_tables`).
"""

from __future__ import annotations

import os

import pandas as pd

from attacks.stress.result import StressResult
from fiqa.evaluation.fairness import DEFAULT_BOOTSTRAP, Bootstrap
from fiqa.evaluation.fairness_run import FairnessTables, fairness_tables
from fiqa.evaluation.groups import load_groups
from fiqa.gate import gate_table


def stress_fairness(result: StressResult, groups: str, *, root: str | os.PathLike,
                    profile=None, groups_root: str | os.PathLike | None = None,
                    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP) -> FairnessTables:
    """The per-group tables of every condition, stacked (columns ``model``,
    ``perturbation`` and ``severity`` first). ``groups``: a CSV or ``"ita"`` (the sweep
    must then have scored the ``skin_tone`` descriptor); labels are read once, from the
    clean images, so a perturbation cannot move an image to another group. A condition's
    images are the sweep's images as its comparisons see them: the perturbed ones, and the
    others clean."""
    clean = result.scores[result.scores["perturbation"] == "none"].reset_index(drop=True)
    labels = load_groups(groups, clean, root=groups_root)
    by_path = {path: row for row, path in enumerate(clean["path"].astype(str))}
    parts: dict[str, list[pd.DataFrame]] = {"groups": [], "ratios": [], "quality": []}
    notes = []
    for (perturbation, severity), scores in result.scores.groupby(["perturbation", "severity"],
                                                                   sort=False):
        rows = pd.concat([scores, clean[~clean["path"].isin(set(scores["path"]))]],
                         ignore_index=True)
        aligned = labels.subset([by_path[path] for path in rows["path"].astype(str)])
        gated = gate_table(rows, profile) if profile is not None else rows
        for model, entry in result.parameters["models"].items():
            pairs = result.comparisons[(result.comparisons["model"] == model)
                                       & (result.comparisons["perturbation"] == perturbation)
                                       & (result.comparisons["severity"] == severity)]
            tables = fairness_tables(gated, aligned, comparisons=pairs,
                                     threshold=entry["threshold"], root=root, quality_base=root,
                                     bootstrap=bootstrap)
            for name, frames in parts.items():
                frames.append(getattr(tables, name).assign(
                    model=model, perturbation=perturbation, severity=severity))
            notes = tables.notes
    stacked = {name: _first(pd.concat(frames, ignore_index=True), ["model", "perturbation",
                                                                   "severity"])
               for name, frames in parts.items()}
    return FairnessTables(stacked["groups"], stacked["ratios"], stacked["quality"], notes,
                          {"source": labels.source, "replicates": bootstrap.replicates})


def _first(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return table[columns + [c for c in table.columns if c not in columns]]
