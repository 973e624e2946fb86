"""The numbers of one sweep condition (see :mod:`attacks.stress` for every definition).

Pure functions over arrays: per image of a condition, its embedding (NaN row when no face
was found), whether a face was found, and its quality row.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fiqa.evaluation.edc import (
    edc_curve,
    pair_quality,
    perfect_quality,
    random_quality,
    summarise_curve,
)
from fiqa.gate import decide
from fiqa.recognition import cosine_similarity


@dataclass
class Condition:
    """Per image of one condition: embedding (NaN row if none), detection, quality row."""

    embeddings: np.ndarray
    detected: np.ndarray
    rows: list[dict]


def scatter(clean: Condition, perturbed: Condition, rows: np.ndarray) -> Condition:
    """The clean condition with the perturbed images' results put in their rows."""
    embeddings = np.array(clean.embeddings, copy=True)
    if perturbed.embeddings.shape[1] != embeddings.shape[1]:  # nothing embedded on one side
        width = max(perturbed.embeddings.shape[1], embeddings.shape[1])
        embeddings = np.full((len(embeddings), width), np.nan, np.float32)
        embeddings[clean.detected] = clean.embeddings[clean.detected]
    embeddings[rows] = np.nan
    embeddings[rows[perturbed.detected]] = perturbed.embeddings[perturbed.detected]
    detected = clean.detected.copy()
    detected[rows] = perturbed.detected
    merged = list(clean.rows)
    for row, value in zip(rows, perturbed.rows):
        merged[row] = value
    return Condition(embeddings, detected, merged)


def pair_scores(condition_a: Condition, condition_b: Condition, rows_a: np.ndarray,
                 rows_b: np.ndarray) -> np.ndarray:
    """Cosine similarity per pair; NaN where either image has no embedding."""
    ok = condition_a.detected[rows_a] & condition_b.detected[rows_b]
    scores = np.full(len(rows_a), np.nan)
    if ok.any():
        scores[ok] = cosine_similarity(condition_a.embeddings[rows_a[ok]],
                                       condition_b.embeddings[rows_b[ok]])
    return scores


def _scalar_columns(rows: list[dict], measures: Sequence[str]) -> dict[str, np.ndarray]:
    """Scalar quality (0..100) per measure, NaN for images that were not scored."""
    table = pd.DataFrame(rows)
    ok = table["status"].astype(str).eq("ok").to_numpy() if len(table) else np.zeros(0, bool)
    out = {}
    for measure in measures:
        column = f"{measure}.scalar"
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(np.float64) \
            if column in table else np.full(len(table), np.nan)
        out[measure] = np.where(ok, values, np.nan)
    return out


def _gate_rejects(rows: list[dict], profile) -> np.ndarray:
    return np.array([decide(row, profile)[0] == "reject" for row in rows], bool)


def _mean(values: np.ndarray) -> float:
    values = np.asarray(values, np.float64)
    return float(np.mean(values)) if len(values) else math.nan


@dataclass
class Baseline:
    """What every condition of one recognizer is judged against: the pairs (as rows of the
    image list), the clean condition and its scores, and the fixed threshold."""

    same: np.ndarray
    rows_a: np.ndarray
    rows_b: np.ndarray
    apply: str
    clean: Condition
    clean_scores: np.ndarray
    threshold: float
    measures: Sequence[str]
    profile: object = None
    discard_limit: float = 0.2
    note: str = ""
    threshold_non_mated: int = 0

    @property
    def usable(self) -> np.ndarray:
        """Pairs whose clean comparison succeeded (the only ones any rate counts)."""
        return np.isfinite(self.clean_scores)


def condition_metrics(base: Baseline, side_a: Condition, side_b: Condition,
                      perturbed: Condition, perturbed_rows: np.ndarray
                      ) -> list[tuple[str, str, float]]:
    """(metric, measure, value) rows of one condition (see :mod:`attacks.stress`).

    ``side_a``/``side_b``: every image's results as the pairs' first and second images
    see them; ``perturbed``: the perturbed images' own results, at ``perturbed_rows``.
    """
    scores = pair_scores(side_a, side_b, base.rows_a, base.rows_b)
    compared = base.usable & np.isfinite(scores)
    accepted = compared & (np.nan_to_num(scores, nan=-np.inf) >= base.threshold)
    mated, non_mated = base.usable & base.same, base.usable & ~base.same
    eligible = base.clean.detected[perturbed_rows]
    out = [
        ("pairs", "", float(base.usable.sum())),
        ("fnmr", "", 1.0 - _mean(accepted[mated])),
        ("fnmr_detected", "", 1.0 - _mean(accepted[mated & compared])),
        ("fmr", "", _mean(accepted[non_mated])),
        ("detection_failure_rate", "", _mean(~perturbed.detected[eligible])),
        ("mated_similarity", "", _mean(scores[mated & compared])),
        ("similarity_drop", "", _mean((base.clean_scores - scores)[mated & compared])),
    ]
    out += [(f"param.{key}", "", _mean(values))
            for key, values in _info_values(perturbed.rows).items()]
    out += _quality_response(perturbed, base.measures)
    if (compared & base.same).any():
        out += _edc_metrics(base, side_a, side_b, scores, compared)
    if base.profile is not None:
        out += _gate_metrics(base, side_b, perturbed, perturbed_rows, mated, accepted, eligible)
    return out


def _quality_response(perturbed: Condition, measures) -> list[tuple[str, str, float]]:
    quality = _scalar_columns(perturbed.rows, measures)
    out = []
    for measure in measures:
        values = quality[measure][np.isfinite(quality[measure])]
        out.append(("quality_mean", measure, _mean(values)))
        out.append(("quality_median", measure,
                    float(np.median(values)) if len(values) else math.nan))
    return out


def _edc_metrics(base: Baseline, side_a: Condition, side_b: Condition, scores: np.ndarray,
                 compared: np.ndarray) -> list[tuple[str, str, float]]:
    """EDC pAUC per measure at the clean threshold (pair quality: the lower of the two)."""
    quality_a = _scalar_columns([side_a.rows[i] for i in base.rows_a], base.measures)
    quality_b = _scalar_columns([side_b.rows[i] for i in base.rows_b], base.measures)
    same = base.same[compared]
    curves = {measure: pair_quality(quality_a[measure], quality_b[measure])[compared]
              for measure in base.measures}
    curves["random"] = random_quality(int(compared.sum()), seed=0)
    curves["perfect"] = perfect_quality(scores[compared], same)
    out = []
    for measure, quality in curves.items():
        curve = edc_curve(scores[compared], same, np.where(np.isnan(quality), -np.inf, quality),
                          threshold=base.threshold)
        summary = summarise_curve(curve, discard_limit=base.discard_limit)
        out.append(("edc_pauc", measure, summary["pauc"]))
        out.append(("edc_pauc_relative", measure, summary["pauc_relative"]))
    return out


def _gate_metrics(base: Baseline, side_b: Condition, perturbed: Condition, perturbed_rows,
                  mated, accepted, eligible) -> list[tuple[str, str, float]]:
    """Does the gate catch it: failures it rejects against successes it rejects (its cost)."""
    rejected = np.zeros(len(side_b.rows), bool)
    rejected[perturbed_rows] = _gate_rejects(perturbed.rows, base.profile)
    pair_rejected = rejected[base.rows_b] | (rejected[base.rows_a] if base.apply == "both"
                                             else False)
    failures = mated & ~accepted
    return [
        ("gate_reject_rate", "", _mean(rejected[perturbed_rows][eligible])),
        ("gate_failures", "", float(failures.sum())),
        ("gate_catch_rate", "", _mean(pair_rejected[failures])),
        ("gate_reject_rate_matched", "", _mean(pair_rejected[mated & accepted])),
    ]


def _info_values(rows: list[dict]) -> dict[str, np.ndarray]:
    """Numeric values the generators returned (drawn or achieved), per key, over images."""
    collected: dict[str, list[float]] = {}
    for row in rows:
        for key, value in json.loads(row.get("perturbation_info") or "{}").items():
            if isinstance(value, (int, float)):  # bools count as 0/1 (a rate)
                collected.setdefault(key, []).append(float(value))
    return {key: np.asarray(values) for key, values in collected.items()}
