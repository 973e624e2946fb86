"""Differential verification outcomes per group: FNMR, FMR and EDC pAUC at one fixed threshold.

A comparison belongs to a group when both its images do (with ITA groups, two images of one
person can fall in different bins: such comparisons, and those with an unscored image, are
counted in ``left_out``). FNMR is over the group's mated comparisons, FMR over its non-mated
ones (impostors from the same group, as ISO/IEC 19795-10 compares them). The threshold is the
run's, fixed once on all comparisons; per group, an EDC discards that group's mated
comparisons in ascending pair quality (:mod:`fiqa.evaluation.edc`), and its pAUC is compared
between groups. The bootstrap is over subjects (:mod:`fiqa.evaluation.fairness`).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from fiqa.evaluation.edc import pair_quality, partial_auc
from fiqa.evaluation.edc_run import _values, quality_column, quality_rows
from fiqa.evaluation.fairness import DEFAULT_BOOTSTRAP, Bootstrap, GroupStat, _codes, group_stat


def pair_labels(comparisons: pd.DataFrame, scores: pd.DataFrame, groups, *,
                root: str | os.PathLike, quality_base: str | os.PathLike = ".") -> pd.DataFrame:
    """Per comparison: ``row_a``, ``row_b`` (rows of ``scores``, -1 if absent), ``subject_a``,
    ``subject_b`` and, per attribute, the group both images share (NaN otherwise)."""
    rows_a, rows_b = quality_rows(comparisons, scores, root=root, quality_base=quality_base)
    labels = groups.labels.reset_index(drop=True)
    padded = pd.concat([labels, pd.DataFrame([dict.fromkeys(labels.columns)])],
                       ignore_index=True)  # row -1 picks the empty last row

    def side(rows, column):
        return padded[column].to_numpy()[np.where(rows >= 0, rows, len(labels))]

    table = {"row_a": rows_a, "row_b": rows_b, "subject_a": side(rows_a, "subject"),
             "subject_b": side(rows_b, "subject")}
    for attribute in groups.attributes:
        first, second = side(rows_a, attribute), side(rows_b, attribute)
        same = pd.notna(first) & pd.notna(second) & (first == second)
        table[attribute] = np.where(same, first, None)
    return pd.DataFrame(table, index=comparisons.index)


def verification_stats(comparisons: pd.DataFrame, labels: pd.DataFrame, *, attribute: str,
                       threshold: float, order=None,
                       bootstrap: Bootstrap = DEFAULT_BOOTSTRAP) -> list[GroupStat]:
    """FNMR and FMR per group at ``threshold`` (accept when ``score >= threshold``)."""
    scores = comparisons["score"].to_numpy(np.float64)
    same = comparisons["same"].to_numpy(bool)
    groups = labels[attribute].to_numpy()
    common = {"attribute": attribute, "order": order, "bootstrap": bootstrap}
    fnmr = group_stat((scores < threshold)[same].astype(float), groups[same],
                      labels["subject_a"].to_numpy()[same], metric="fnmr", **common)
    fmr = group_stat((scores >= threshold)[~same].astype(float), groups[~same],
                     labels["subject_a"].to_numpy()[~same],
                     second_subjects=labels["subject_b"].to_numpy()[~same], metric="fmr", **common)
    return [fnmr, fmr]


def weighted_pauc(quality, errors, weights, *, discard_limit: float = 0.2) -> np.ndarray:
    """EDC pAUC of mated comparisons for each row of ``weights`` (a comparison counted that
    many times): ties in quality are discarded together, as in
    :func:`fiqa.evaluation.edc.edc_curve`.

    Examples
    --------
    >>> weighted_pauc([1, 2, 2, 3], [1, 0, 0, 0], np.ones((1, 4)), discard_limit=0.5).round(4)
    array([0.0625])
    """
    quality = np.asarray(quality, np.float64)
    order = np.argsort(quality, kind="stable")
    errors = np.asarray(errors, np.float64)[order]
    weights = np.asarray(weights, np.float64)[:, order]
    starts = np.unique(quality[order], return_index=True)[1]
    kept = np.cumsum(weights[:, ::-1], axis=1)[:, ::-1][:, starts]
    kept_errors = np.cumsum((weights * errors)[:, ::-1], axis=1)[:, ::-1][:, starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        discard = 1.0 - kept / kept[:, :1]
        fnmr = kept_errors / kept
    return np.array([partial_auc(d, f, discard_limit=discard_limit) if np.isfinite(d).all()
                     else np.nan for d, f in zip(discard, fnmr)])


def edc_stats(comparisons: pd.DataFrame, scores: pd.DataFrame, labels: pd.DataFrame, *,
              attribute: str, measures, threshold: float, discard_limit: float = 0.2,
              pair_rule: str = "min", missing_quality: str = "lowest", order=None,
              bootstrap: Bootstrap = DEFAULT_BOOTSTRAP) -> list[GroupStat]:
    """EDC pAUC per group of each measure (``metric="edc_pauc"``, detail = the measure).

    A pair with a missing quality counts as the lowest (discarded first) or, with
    ``missing_quality="drop"``, is left out, as in :func:`fiqa.evaluation.edc_run.edc_table`.
    """
    same = comparisons["same"].to_numpy(bool)
    errors = (comparisons["score"].to_numpy(np.float64) < threshold)[same]
    group_codes, names = _codes(labels[attribute].to_numpy()[same], order)
    subjects, uniques = pd.factorize(pd.Series(labels["subject_a"].to_numpy()[same]).astype(str))
    weights = bootstrap.weights(max(len(uniques), 1))
    rows_a = labels["row_a"].to_numpy()[same]
    rows_b = labels["row_b"].to_numpy()[same]
    stats = []
    for measure in measures:
        column = quality_column(scores, measure)
        pair = pair_quality(_values(scores, column, rows_a), _values(scores, column, rows_b),
                            rule=pair_rule)
        scored = np.isfinite(pair) if missing_quality == "drop" else np.ones(len(pair), bool)
        pair = np.where(np.isnan(pair), -np.inf, pair)
        value, replicates = np.full(len(names), np.nan), np.full((bootstrap.replicates, len(names)),
                                                                 np.nan)
        units, people = np.zeros(len(names), int), np.zeros(len(names), int)
        for code in range(len(names)):
            member = (group_codes == code) & scored
            units[code], people[code] = member.sum(), len(np.unique(subjects[member]))
            if not member.any():
                continue
            value[code] = weighted_pauc(pair[member], errors[member], np.ones((1, member.sum())),
                                        discard_limit=discard_limit)[0]
            replicates[:, code] = weighted_pauc(pair[member], errors[member],
                                                weights[:, subjects[member]],
                                                discard_limit=discard_limit)
        stats.append(GroupStat("edc_pauc", column.removesuffix(".scalar"), attribute, names,
                               units, people, np.full(len(names), np.nan), value, replicates,
                               True, int((group_codes < 0).sum())))
    return stats
