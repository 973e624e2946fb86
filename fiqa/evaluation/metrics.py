"""Verification error rates from comparison scores (higher score = more alike).

Decision rule everywhere: a comparison is accepted (a "match") when ``score >= threshold``.
FMR is the fraction of non-mated comparisons accepted, FNMR the fraction of mated ones
rejected.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

#: FMR operating points reported by :func:`verification_metrics`.
FMR_TARGETS = (1e-2, 1e-3, 1e-4)


def _split(scores, same) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, np.float64)
    same = np.asarray(same, bool)
    if scores.shape != same.shape or scores.ndim != 1:
        raise ValueError(f"scores and same must be 1-D of equal length, got {scores.shape} "
                         f"and {same.shape}")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN; drop failed comparisons (status != 'ok') first")
    mated, non_mated = scores[same], scores[~same]
    if len(mated) == 0 or len(non_mated) == 0:
        raise ValueError(f"need both mated and non-mated comparisons, got {len(mated)} mated "
                         f"and {len(non_mated)} non-mated")
    return mated, non_mated


def roc_points(scores, same) -> pd.DataFrame:
    """Every distinct operating point: ``threshold``, ``fmr``, ``fnmr`` (ROC and DET data).

    Thresholds are the distinct scores plus ``+inf`` (accept nothing), ascending, so FMR
    falls and FNMR rises down the table.

    Examples
    --------
    >>> roc_points([0.9, 0.4, 0.5, 0.1], [True, True, False, False]).values.tolist()
    [[0.1, 1.0, 0.0], [0.4, 0.5, 0.0], [0.5, 0.5, 0.5], [0.9, 0.0, 0.5], [inf, 0.0, 1.0]]
    """
    mated, non_mated = _split(scores, same)
    thresholds = np.append(np.unique(np.concatenate([mated, non_mated])), np.inf)
    fmr = 1.0 - np.searchsorted(np.sort(non_mated), thresholds, side="left") / len(non_mated)
    fnmr = np.searchsorted(np.sort(mated), thresholds, side="left") / len(mated)
    return pd.DataFrame({"threshold": thresholds, "fmr": fmr, "fnmr": fnmr})


def equal_error_rate(scores, same) -> tuple[float, float]:
    """``(eer, threshold)``: at the operating point where ``|FMR - FNMR|`` is smallest,
    the mean of the two rates.

    Examples
    --------
    >>> equal_error_rate([0.9, 0.8, 0.3, 0.2], [True, True, False, False])
    (0.0, 0.8)
    """
    roc = roc_points(scores, same)
    gap = np.abs(roc["fmr"].to_numpy() - roc["fnmr"].to_numpy())
    best = np.flatnonzero(gap == gap.min())
    row = roc.iloc[best[len(best) - 1]]  # highest threshold among equally balanced points
    return float((row["fmr"] + row["fnmr"]) / 2), float(row["threshold"])


@dataclass(frozen=True)
class OperatingPoint:
    """FNMR at a target FMR.

    ``fnmr`` and ``threshold`` are NaN when ``sufficient`` is False; ``message`` says why.
    """

    target_fmr: float
    fnmr: float
    fmr: float
    threshold: float
    non_mated: int
    sufficient: bool
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


def fnmr_at_fmr(scores, same, target_fmr: float, *, min_false_matches: int = 1
                ) -> OperatingPoint:
    """FNMR at the lowest threshold whose FMR does not exceed ``target_fmr``.

    Rule for "enough data": an FMR of ``f`` can only be set when there are at least
    ``ceil(min_false_matches / f)`` non-mated comparisons (with the default of 1, the
    threshold must be able to let through at least one false match: 1,000 non-mated
    comparisons for FMR 1e-3). Otherwise the result is NaN with ``sufficient=False``.

    Examples
    --------
    >>> point = fnmr_at_fmr([0.9, 0.3, 0.5, 0.1], [True, True, False, False], 1e-3)
    >>> point.sufficient, point.message
    (False, 'FMR 0.001 needs at least 1000 non-mated comparisons, have 2')
    >>> fnmr_at_fmr([0.9, 0.3, 0.5, 0.1], [True, True, False, False], 0.5).fnmr
    0.0
    """
    if not 0 < target_fmr < 1:
        raise ValueError(f"target FMR must be between 0 and 1, got {target_fmr}")
    mated, non_mated = _split(scores, same)
    needed = math.ceil(min_false_matches / target_fmr - 1e-9)
    if len(non_mated) < needed:
        message = (f"FMR {target_fmr:g} needs at least {needed} non-mated comparisons, "
                   f"have {len(non_mated)}")
        return OperatingPoint(target_fmr, math.nan, math.nan, math.nan, len(non_mated), False,
                              message)
    threshold = fmr_threshold(non_mated, target_fmr, candidates=np.concatenate([mated, non_mated]))
    return OperatingPoint(target_fmr, float(np.mean(mated < threshold)),
                          float(np.mean(non_mated >= threshold)), threshold, len(non_mated), True,
                          "")


def fmr_threshold(non_mated, target_fmr: float, *, candidates=None) -> float:
    """The lowest threshold whose FMR on ``non_mated`` does not exceed ``target_fmr``.

    With ``k = floor(target_fmr * n)`` false matches allowed, the threshold lies just above
    the (k+1)-th highest non-mated score (tied scores are never split). It is reported as the
    smallest of ``candidates`` (default: the non-mated scores) above that score, or ``+inf``.
    O(n), no sort.

    Examples
    --------
    >>> fmr_threshold([0.1, 0.2, 0.3, 0.4], 0.25)
    0.4
    >>> fmr_threshold([0.1, 0.2, 0.3, 0.3], 0.25)
    inf
    """
    non_mated = np.asarray(non_mated, np.float64)
    allowed = min(math.floor(target_fmr * len(non_mated) + 1e-9), len(non_mated) - 1)
    cutoff = -np.partition(-non_mated, allowed)[allowed]
    candidates = non_mated if candidates is None else np.asarray(candidates, np.float64)
    above = candidates[candidates > cutoff]
    return float(above.min()) if len(above) else math.inf


def calibrate_threshold(non_mated, target_fmr: float, *, candidates=None,
                        insufficient: str = "raise") -> tuple[float, str]:
    """The decision threshold at ``target_fmr`` on clean non-mated scores, and a note.

    The one calibration rule of fiqa (``stress``, ``attack``, ``edc``): the lowest threshold
    whose FMR on ``non_mated`` does not exceed ``target_fmr`` (:func:`fmr_threshold`),
    which needs at least ``ceil(1 / target_fmr)`` comparisons. With fewer, ``insufficient``
    says what happens: ``"raise"`` (ValueError) or ``"above_all"`` (the threshold is put
    above every non-mated score, clean FMR 0, and the note says so).

    Examples
    --------
    >>> calibrate_threshold(np.linspace(0, 1, 1000), 1e-3)
    (1.0, '')
    >>> calibrate_threshold([0.1, 0.4], 1e-3, insufficient="above_all")[1]
    'FMR 0.001 needs at least 1000 non-mated comparisons, have 2: the threshold was set above every clean non-mated score instead (clean FMR 0)'
    >>> calibrate_threshold([0.1, 0.4], 1e-3)
    Traceback (most recent call last):
    ...
    ValueError: FMR 0.001 needs at least 1000 non-mated comparisons, have 2
    """
    if not 0 < target_fmr < 1:
        raise ValueError(f"target FMR must be between 0 and 1, got {target_fmr}")
    if insufficient not in ("raise", "above_all"):
        raise ValueError(f"insufficient must be 'raise' or 'above_all', got {insufficient!r}")
    non_mated = np.asarray(non_mated, np.float64)
    needed = math.ceil(1 / target_fmr - 1e-9)
    if len(non_mated) >= needed:
        return fmr_threshold(non_mated, target_fmr, candidates=candidates), ""
    message = (f"FMR {target_fmr:g} needs at least {needed} non-mated comparisons, "
               f"have {len(non_mated)}")
    if insufficient == "raise" or not len(non_mated):
        raise ValueError(message)
    above = np.nextafter(non_mated.max(), np.inf)
    return float(above), (f"{message}: the threshold was set above every clean non-mated "
                          "score instead (clean FMR 0)")


def best_accuracy_threshold(scores, same) -> float:
    """The threshold maximising accuracy, midway between two adjacent distinct scores
    (the lowest such threshold when several are equally good).

    Examples
    --------
    >>> best_accuracy_threshold([0.9, 0.8, 0.3, 0.2], [True, True, False, False])
    0.55
    """
    scores = np.asarray(scores, np.float64)
    same = np.asarray(same, bool)
    values = np.unique(scores)
    cuts = np.concatenate([[values[0] - 1.0], (values[:-1] + values[1:]) / 2, [values[-1] + 1.0]])
    mated, non_mated = np.sort(scores[same]), np.sort(scores[~same])
    correct = (len(mated) - np.searchsorted(mated, cuts, side="left")
               + np.searchsorted(non_mated, cuts, side="left"))
    return float(cuts[int(np.argmax(correct))])


def kfold_accuracy(scores, same, folds) -> dict:
    """LFW-style k-fold accuracy: for each fold, the threshold that maximises accuracy on
    the other folds is applied to it.

    Returns
    -------
    dict
        ``mean``, ``std`` (population, across folds), ``per_fold`` and ``thresholds``
        (lists in sorted fold order) and ``folds``.

    Examples
    --------
    >>> result = kfold_accuracy([0.9, 0.2, 0.8, 0.3], [1, 0, 1, 0], [1, 1, 2, 2])
    >>> result["mean"], result["per_fold"]
    (1.0, [1.0, 1.0])
    """
    scores = np.asarray(scores, np.float64)
    same = np.asarray(same, bool)
    folds = np.asarray(folds)
    names = np.unique(folds)
    if len(names) < 2:
        raise ValueError(f"k-fold accuracy needs at least 2 folds, got {len(names)}")
    accuracies, thresholds = [], []
    for name in names:
        test = folds == name
        threshold = best_accuracy_threshold(scores[~test], same[~test])
        accuracies.append(float(np.mean((scores[test] >= threshold) == same[test])))
        thresholds.append(threshold)
    return {"mean": float(np.mean(accuracies)), "std": float(np.std(accuracies)),
            "per_fold": accuracies, "thresholds": thresholds,
            "folds": [_plain(name) for name in names]}


def verification_metrics(comparisons: pd.DataFrame, *, fmr_targets=FMR_TARGETS) -> dict:
    """Summary of a comparisons table (``same``, ``score``, ``status``; ``fold`` optional).

    Failed comparisons (``status != "ok"``) are counted and left out of every rate.

    Returns
    -------
    dict
        ``pairs``, ``failed``, ``mated``, ``non_mated``, ``eer``, ``eer_threshold``,
        ``fnmr_at_fmr`` (list of :meth:`OperatingPoint.to_dict`) and, when a ``fold``
        column has two or more folds, ``accuracy`` (see :func:`kfold_accuracy`).
    """
    ok = comparisons["status"].eq("ok") if "status" in comparisons else np.ones(len(comparisons),
                                                                                 bool)
    good = comparisons[np.asarray(ok)]
    scores, same = good["score"].to_numpy(np.float64), good["same"].to_numpy(bool)
    result = {"pairs": len(comparisons), "failed": int(len(comparisons) - len(good)),
              "mated": int(same.sum()), "non_mated": int((~same).sum())}
    eer, threshold = equal_error_rate(scores, same)
    result.update(eer=eer, eer_threshold=threshold)
    result["fnmr_at_fmr"] = [fnmr_at_fmr(scores, same, target).to_dict() for target in fmr_targets]
    if "fold" in good and good["fold"].nunique() >= 2:
        result["accuracy"] = kfold_accuracy(scores, same, good["fold"].to_numpy())
    return result


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def grouped_metrics(comparisons: pd.DataFrame, *, by: str = "protocol",
                    fmr_targets=FMR_TARGETS) -> dict:
    """:func:`verification_metrics` for all comparisons (``"all"``) and, when the table has
    a ``by`` column, for each of its values (``"by_<by>"``: value -> metrics)."""
    result = {"all": verification_metrics(comparisons, fmr_targets=fmr_targets)}
    if by in comparisons:
        result[f"by_{by}"] = {
            str(value): verification_metrics(group, fmr_targets=fmr_targets)
            for value, group in comparisons.groupby(by, sort=True)
        }
    return result


def format_metrics(metrics: dict, *, title: str = "all") -> str:
    """Human-readable lines for one :func:`verification_metrics` result.

    Examples
    --------
    >>> m = verification_metrics(pd.DataFrame({"score": [0.9, 0.2], "same": [True, False]}))
    >>> print(format_metrics(m).splitlines()[0])
    all: 2 pairs (1 mated, 1 non-mated, 0 failed)
    """
    lines = [(f"{title}: {metrics['pairs']} pairs ({metrics['mated']} mated, "
              f"{metrics['non_mated']} non-mated, {metrics['failed']} failed)"),
             f"  EER {100 * metrics['eer']:.2f}% at threshold {_number(metrics['eer_threshold'])}"]
    for point in metrics["fnmr_at_fmr"]:
        if point["sufficient"]:
            lines.append(f"  FNMR@FMR={point['target_fmr']:g}: {100 * point['fnmr']:.2f}% "
                         f"(threshold {_number(point['threshold'])})")
        else:
            lines.append(f"  FNMR@FMR={point['target_fmr']:g}: n/a ({point['message']})")
    if "accuracy" in metrics:
        accuracy = metrics["accuracy"]
        lines.append(f"  {len(accuracy['folds'])}-fold accuracy {100 * accuracy['mean']:.2f}% "
                     f"+- {100 * accuracy['std']:.2f}%")
    return "\n".join(lines)
