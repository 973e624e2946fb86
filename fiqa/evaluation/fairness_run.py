"""Differential outcomes of a run, from tables or files: what ``--groups`` does in the commands.

:func:`fairness_tables` is the one entry point (``fiqa gate``, ``fiqa edc``, the report and
the stress sweep call it): gate decisions and quality of scored images, and optionally the
comparisons of ``fiqa verify`` at a fixed threshold, per group. Files written next to an
output ``OUT`` (see :func:`fairness_paths`): ``<stem>_fairness.csv`` (per-group rows),
``<stem>_fairness_ratios.csv`` (worst/best ratios) and ``<stem>_fairness_quality.csv``
(quality distributions); columns in :mod:`fiqa.evaluation.fairness`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fiqa.evaluation.fairness import (
    DEFAULT_BOOTSTRAP,
    Bootstrap,
    image_stats,
    quality_distributions,
    tables,
)
from fiqa.evaluation.fairness_pairs import edc_stats, pair_labels, verification_stats
from fiqa.evaluation.groups import Groups, load_groups, wants_ita


@dataclass
class FairnessTables:
    """Per-group rows, ratio rows and quality distributions of one run, with their caveats."""

    groups: pd.DataFrame
    ratios: pd.DataFrame
    quality: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)


def fairness_tables(scores: pd.DataFrame, groups: Groups, *, comparisons: pd.DataFrame | None = None,
                    threshold: float | None = None, root: str | os.PathLike | None = None,
                    quality_base: str | os.PathLike = ".", edc_measures=(),
                    discard_limit: float = 0.2, pair_rule: str = "min",
                    missing_quality: str = "lowest",
                    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP) -> FairnessTables:
    """Differential outcomes per group (see the module notes).

    Parameters
    ----------
    scores : DataFrame
        ``fiqa score`` or ``fiqa gate`` rows (``decision``/``reasons`` give reject rates).
    groups : Groups
        Labels aligned with ``scores`` (:func:`fiqa.evaluation.groups.load_groups`).
    comparisons : DataFrame, optional
        ``fiqa verify`` rows (``image_a``, ``image_b``, ``same``, ``score``, ``status``);
        needs ``threshold`` and ``root`` (the folder comparison paths are relative to).
    edc_measures : list of str
        Measures whose EDC pAUC is compared between groups (needs ``comparisons``).
    """
    stats = image_stats(scores, groups, bootstrap=bootstrap)
    notes = [groups.summary()] + ([groups.note] if groups.note else [])
    if comparisons is not None:
        if threshold is None or root is None:
            raise ValueError("per-group FNMR/FMR need the run's fixed threshold and the root "
                             "of the comparison paths")
        ok = comparisons["status"].astype(str).eq("ok") if "status" in comparisons else True
        usable = comparisons[ok & comparisons["score"].notna()].reset_index(drop=True)
        labels = pair_labels(usable, scores, groups, root=root, quality_base=quality_base)
        for attribute in groups.attributes:
            common = {"attribute": attribute, "threshold": threshold,
                      "order": groups.order.get(attribute), "bootstrap": bootstrap}
            stats += verification_stats(usable, labels, **common)
            if edc_measures:
                stats += edc_stats(usable, scores, labels, measures=edc_measures,
                                   discard_limit=discard_limit, pair_rule=pair_rule,
                                   missing_quality=missing_quality, **common)
        notes.append(f"FNMR and FMR at the fixed threshold {threshold:.4f}; a comparison counts "
                     "for a group when both its images are in it")
    rows, ratios = tables(stats, bootstrap)
    settings = {"source": groups.source, "replicates": bootstrap.replicates,
                "seed": bootstrap.seed, "confidence": bootstrap.confidence,
                "min_subjects": bootstrap.min_subjects, "threshold": threshold}
    return FairnessTables(rows, ratios, quality_distributions(scores, groups), notes, settings)


def fairness_paths(out: str | os.PathLike) -> dict[str, Path]:
    """Where the tables of an output ``out`` go: ``groups``, ``ratios``, ``quality``.

    Examples
    --------
    >>> fairness_paths("runs/gate.csv")["ratios"].as_posix()
    'runs/gate_fairness_ratios.csv'
    """
    out = Path(out)
    return {"groups": out.with_name(f"{out.stem}_fairness.csv"),
            "ratios": out.with_name(f"{out.stem}_fairness_ratios.csv"),
            "quality": out.with_name(f"{out.stem}_fairness_quality.csv")}


def write_fairness(result: FairnessTables, out: str | os.PathLike) -> dict[str, Path]:
    """Save the three tables next to ``out`` (see :func:`fairness_paths`)."""
    paths = fairness_paths(out)
    for name, path in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        getattr(result, name).to_csv(path, index=False)
    return paths


def format_ratios(result: FairnessTables, *, metrics=("reject_rate", "fnmr", "fmr")) -> str:
    """The headline ratios as text: overall reject rate, FNMR, FMR, then each failed rule."""
    lines = list(result.notes)
    ratios = result.ratios
    if ratios.empty:
        return "\n".join(lines)
    shown = ratios[ratios["metric"].isin(metrics)]
    lines.append(f"{'metric':<28} {'attribute':<16} {'worst':>14} {'best':>14} "
                 f"{'ratio':>7} {'interval':>17}")
    for row in shown.itertuples():
        name = row.metric + (f":{row.detail}" if row.detail else "")
        if not row.worst:
            lines.append(f"{name:<28} {row.attribute:<16} (fewer than two groups large enough)")
            continue
        lines.append(f"{name:<28} {row.attribute:<16} {row.worst:>14} {row.best:>14} "
                     f"{row.ratio:7.2f} [{row.ci_low:6.2f}, {row.ci_high:6.2f}]")
    return "\n".join(lines)


def measures_for_groups(spec: str | None, measures) -> list[str] | None:
    """``measures`` plus the ITA descriptor when ``spec`` asks for the proxy."""
    if not wants_ita(spec):
        return measures
    return list(measures or []) + ["skin_tone"]


def gate_with_groups(inputs, out, *, profile, groups: str, groups_root=None,
                     bootstrap: Bootstrap = DEFAULT_BOOTSTRAP, measures=None, echo=print,
                     **scoring) -> pd.DataFrame:
    """``fiqa gate --groups``: gate (scoring the ITA too for ``groups="ita"``), then write the
    per-group outcomes next to ``out`` and ``echo`` their headline ratios."""
    from fiqa.gate import gate_to_file

    measures = measures_for_groups(groups, measures or profile.measures)
    table = gate_to_file(inputs, out, profile=profile, measures=measures, **scoring)
    result = fairness_tables(table, load_groups(groups, table, root=groups_root),
                             bootstrap=bootstrap)
    paths = write_fairness(result, out)
    echo(format_ratios(result))
    echo(f"wrote {', '.join(str(path) for path in paths.values())}")
    return table


def edc_with_groups(out, *, comparisons, quality, groups: str, measures, root=None,
                    groups_root=None, quality_base=".", protocol=None,
                    starting_error: float | None = 0.05, fmr: float | None = None,
                    discard_limit: float = 0.2, pair_rule: str = "min", raw: bool = False,
                    missing_quality: str = "lowest", variant: str = "edc", seed: int = 0,
                    max_missing: float = 1.0, bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
                    echo=print) -> FairnessTables:
    """``fiqa edc --groups``: FNMR, FMR and each measure's EDC pAUC per group at the EDC's
    fixed threshold (set on all comparisons as :func:`fiqa.evaluation.edc_run.edc_table`
    does), written next to ``out``; ``echo`` prints the headline ratios. Takes the keywords
    of :func:`fiqa.evaluation.edc_run.edc_to_file`; per group the curve is always the ISO EDC
    (``variant``, the random reference's ``seed`` and ``max_missing``, already checked by
    :func:`~fiqa.evaluation.edc_run.edc_to_file`, do not apply)."""
    from fiqa.evaluation.edc import edc_threshold
    from fiqa.evaluation.edc_run import read_comparisons, read_table

    if raw:
        raise ValueError("--groups compares the measures' scalars; leave out --raw")
    table, root = read_comparisons(comparisons, root=root, protocol=protocol)
    ok = table["status"].astype(str).eq("ok") if "status" in table else True
    usable = table[ok]
    threshold = edc_threshold(usable["score"], usable["same"].astype(bool),
                              starting_error=None if fmr is not None else starting_error, fmr=fmr)
    scores = read_table(quality)
    result = fairness_tables(
        scores, load_groups(groups, scores, root=groups_root), comparisons=table,
        threshold=threshold, root=root, quality_base=quality_base, edc_measures=measures,
        discard_limit=discard_limit, pair_rule=pair_rule, missing_quality=missing_quality,
        bootstrap=bootstrap)
    paths = write_fairness(result, out)
    echo(format_ratios(result, metrics=("fnmr", "fmr", "edc_pauc")))
    echo(f"wrote {', '.join(str(path) for path in paths.values())}")
    return result
