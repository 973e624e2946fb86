"""Error-versus-discard characteristic (EDC), ISO/IEC 29794-1:2024.

Follows Schlett et al., "Considerations on the Evaluation of Biometric Quality Assessment
Algorithms" (IEEE T-BIOM, 2023):

* a comparison's quality is the lower of its two samples' qualities (``min``; ``mean``
  and ``product`` are available for experiments);
* the decision threshold is fixed once, before anything is discarded: at the
  ``starting_error`` quantile of the mated scores (so FNMR starts near that value) or
  where the non-mated scores give a target FMR;
* mated comparisons are discarded in ascending order of quality and the FNMR is
  recomputed on those that remain; the discard fraction is the fraction of mated
  comparisons discarded. Comparisons with tied quality go together, so the curve only
  has a point where the quality changes;
* the FMR column reports the same quality cut applied to the non-mated comparisons;
* the curve is summarised by its area up to a discard limit (pAUC, stepwise: each point's
  error holds until the next point), raw and relative to the theoretical best curve
  ``max(0, e0 - d)``.

The ERC variant found in much of the FIQA literature (discard over all comparisons, the
threshold recomputed at every step to keep a target FMR) is :func:`erc_curve`; it is not
the ISO EDC and is labelled ``variant="erc"`` in every output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fiqa.evaluation.metrics import calibrate_threshold, fmr_threshold

PAIR_QUALITY_RULES = ("min", "mean", "product")

#: Columns of :meth:`EdcCurve.to_frame` (plus ``measure``, ``kind`` and ``variant``).
CURVE_COLUMNS = ("discard_fraction", "fnmr", "fmr", "quality_cut", "remaining_mated",
                 "remaining_non_mated", "threshold")


def pair_quality(quality_a, quality_b, *, rule: str = "min") -> np.ndarray:
    """Combine the two samples' qualities of each comparison.

    Examples
    --------
    >>> pair_quality([10, 80], [50, 20]).tolist()
    [10.0, 20.0]
    >>> pair_quality([10, 80], [50, 20], rule="mean").tolist()
    [30.0, 50.0]
    """
    quality_a = np.asarray(quality_a, np.float64)
    quality_b = np.asarray(quality_b, np.float64)
    if rule == "min":
        return np.minimum(quality_a, quality_b)  # NaN (missing) propagates
    if rule == "mean":
        return (quality_a + quality_b) / 2
    if rule == "product":
        return quality_a * quality_b
    raise ValueError(f"unknown pair-quality rule {rule!r}; choose from {PAIR_QUALITY_RULES}")


def edc_threshold(scores, same, *, starting_error: float | None = None,
                  fmr: float | None = None) -> float:
    """The fixed decision threshold of an EDC (accept when ``score >= threshold``).

    Parameters
    ----------
    starting_error : float, optional
        FNMR before discarding: the threshold is that quantile of the mated scores
        (linear interpolation), e.g. 0.05.
    fmr : float, optional
        Target FMR: the lowest threshold whose FMR on the non-mated scores does not exceed
        it (see :func:`fiqa.evaluation.metrics.calibrate_threshold`, including its rule on how many
        non-mated comparisons are needed).

    Examples
    --------
    >>> float(edc_threshold([0.1, 0.2, 0.3, 0.4, 0.5, 0.0], [1, 1, 1, 1, 1, 0],
    ...                     starting_error=0.25))
    0.2
    """
    if (starting_error is None) == (fmr is None):
        raise ValueError("give exactly one of starting_error (e.g. 0.05) and fmr (e.g. 1e-3)")
    scores = np.asarray(scores, np.float64)
    same = np.asarray(same, bool)
    if starting_error is not None:
        if not 0 < starting_error < 1:
            raise ValueError(f"starting_error must be between 0 and 1, got {starting_error}")
        if not same.any():
            raise ValueError("no mated comparisons: cannot set a threshold from a starting error")
        return float(np.quantile(scores[same], starting_error))
    try:
        threshold, _ = calibrate_threshold(scores[~same], fmr, candidates=scores)
    except ValueError as exc:
        raise ValueError(f"cannot set the EDC threshold: {exc}; use a larger FMR or "
                         "--starting-error") from None
    return threshold


@dataclass(frozen=True)
class EdcCurve:
    """One error-versus-discard curve; arrays share their length (one entry per point)."""

    discard_fraction: np.ndarray
    fnmr: np.ndarray
    fmr: np.ndarray
    quality_cut: np.ndarray
    remaining_mated: np.ndarray
    remaining_non_mated: np.ndarray
    threshold: np.ndarray
    variant: str = "edc"

    def to_frame(self) -> pd.DataFrame:
        """The points as a table with :data:`CURVE_COLUMNS` and ``variant``."""
        frame = pd.DataFrame({name: getattr(self, name) for name in CURVE_COLUMNS})
        frame["variant"] = self.variant
        return frame


def _check_inputs(scores, same, quality) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scores = np.asarray(scores, np.float64)
    same = np.asarray(same, bool)
    quality = np.asarray(quality, np.float64)
    if not scores.shape == same.shape == quality.shape or scores.ndim != 1:
        raise ValueError(f"scores, same and quality must be 1-D of one length, got "
                         f"{scores.shape}, {same.shape}, {quality.shape}")
    if np.isnan(scores).any() or np.isnan(quality).any():
        raise ValueError("scores or qualities contain NaN: drop failed comparisons and decide "
                         "how missing qualities count (see edc_table's missing_quality)")
    if not same.any():
        raise ValueError("an EDC needs mated comparisons; none were given")
    return scores, same, quality


def _remaining_counts(quality: np.ndarray, errors: np.ndarray, cuts: np.ndarray):
    """For each cut (ascending), how many items have ``quality >= cut`` and how many of those
    are errors. Buckets by binary search instead of sorting the items."""
    bucket = np.searchsorted(cuts, quality, side="right")  # items kept for cuts[:bucket]
    kept = np.bincount(bucket, minlength=len(cuts) + 1)[::-1].cumsum()[::-1]
    kept_errors = np.bincount(bucket, weights=errors, minlength=len(cuts) + 1)[::-1].cumsum()[::-1]
    return kept[1:], kept_errors[1:].round().astype(np.int64)


def edc_curve(scores, same, quality, *, threshold: float) -> EdcCurve:
    """The EDC of one quality measure at a fixed threshold (see the module notes).

    Parameters
    ----------
    scores : array of float
        Comparison scores (higher = more alike).
    same : array of bool
        True for mated comparisons.
    quality : array of float
        Pair qualities (higher = better), e.g. from :func:`pair_quality`.
    threshold : float
        Fixed decision threshold, e.g. from :func:`edc_threshold`.

    Examples
    --------
    Four mated comparisons, one false non-match (score 0.1) in the lowest-quality pair:

    >>> curve = edc_curve([0.1, 0.9, 0.8, 0.7, 0.0], [1, 1, 1, 1, 0], [1, 2, 2, 3, 5],
    ...                   threshold=0.5)
    >>> curve.discard_fraction.tolist(), curve.fnmr.tolist()
    ([0.0, 0.25, 0.75], [0.25, 0.0, 0.0])
    """
    scores, same, quality = _check_inputs(scores, same, quality)
    mated_quality = quality[same]
    cuts = np.unique(mated_quality)  # ascending: discard everything below each cut
    cuts[0] = -np.inf  # the first point discards nothing (non-mated pairs included)
    remaining, errors = _remaining_counts(mated_quality, scores[same] < threshold, cuts)
    non_mated_remaining, false_matches = _remaining_counts(
        quality[~same], scores[~same] >= threshold, cuts)
    with np.errstate(invalid="ignore", divide="ignore"):
        fmr = np.where(non_mated_remaining > 0, false_matches / non_mated_remaining, np.nan)
    total = len(mated_quality)
    return EdcCurve(
        discard_fraction=(total - remaining) / total, fnmr=errors / remaining, fmr=fmr,
        quality_cut=cuts, remaining_mated=remaining, remaining_non_mated=non_mated_remaining,
        threshold=np.full(len(cuts), float(threshold)), variant="edc")


def erc_curve(scores, same, quality, *, target_fmr: float, steps: int = 100) -> EdcCurve:
    """ERC as often used in FIQA papers (not the ISO EDC): discard the lowest-quality
    comparisons of all kinds, then re-set the threshold on the remaining non-mated scores
    so that FMR <= ``target_fmr`` and report the FNMR of the remaining mated ones.

    Discard fractions (of all comparisons) are tried on a grid of ``steps`` + 1 values
    from 0 to 1, each moved down to the nearest quality change (ties go together). A step
    with too few non-mated comparisons left for the target FMR (see
    :func:`fiqa.evaluation.metrics.fnmr_at_fmr`) or no mated ones gets NaN.

    Examples
    --------
    >>> curve = erc_curve([0.1, 0.9, 0.3, 0.2], [1, 1, 0, 0], [1, 2, 3, 4], target_fmr=0.5,
    ...                   steps=4)
    >>> curve.discard_fraction.tolist(), curve.fnmr.tolist()
    ([0.0, 0.25, 0.5, 0.75], [0.5, 0.0, nan, nan])
    """
    scores, same, quality = _check_inputs(scores, same, quality)
    if not 0 < target_fmr < 1:
        raise ValueError(f"target FMR must be between 0 and 1, got {target_fmr}")
    order = np.argsort(quality)
    scores, same, quality = scores[order], same[order], quality[order]
    total = len(scores)
    wanted = np.minimum(np.ceil(np.linspace(0, 1, steps + 1) * total).astype(np.int64), total - 1)
    starts = np.unique(np.searchsorted(quality, quality[wanted], side="left"))
    mated, non_mated = scores[same], scores[~same]
    mated_before = np.concatenate([[0], np.cumsum(same)])[starts]  # mated among the discarded
    non_mated_before = starts - mated_before
    needed = math.ceil(1 / target_fmr - 1e-9)
    columns = {name: np.full(len(starts), np.nan) for name in ("fnmr", "fmr", "threshold")}
    for step, (m_start, n_start) in enumerate(zip(mated_before, non_mated_before)):
        kept_mated, kept_non_mated = mated[m_start:], non_mated[n_start:]
        if len(kept_non_mated) < needed or len(kept_mated) == 0:
            continue
        threshold = fmr_threshold(kept_non_mated, target_fmr)
        columns["threshold"][step] = threshold
        columns["fnmr"][step] = np.mean(kept_mated < threshold)
        columns["fmr"][step] = np.mean(kept_non_mated >= threshold)
    return EdcCurve(discard_fraction=starts / total, fnmr=columns["fnmr"], fmr=columns["fmr"],
                    quality_cut=quality[starts], remaining_mated=len(mated) - mated_before,
                    remaining_non_mated=len(non_mated) - non_mated_before,
                    threshold=columns["threshold"], variant="erc")


def partial_auc(discard_fraction, error, *, discard_limit: float = 0.2) -> float:
    """Area under a stepwise curve from 0 to ``discard_limit``; each point's error holds
    until the next point (the last one until the limit). NaN errors count as 0 width.

    Examples
    --------
    >>> round(partial_auc([0.0, 0.1, 0.3], [0.05, 0.02, 0.0], discard_limit=0.2), 6)
    0.007
    """
    discard = np.asarray(discard_fraction, np.float64)
    error = np.asarray(error, np.float64)
    if not 0 <= discard_limit <= 1:
        raise ValueError(f"discard_limit must be in [0, 1], got {discard_limit}")
    ends = np.minimum(np.append(discard[1:], discard_limit), discard_limit)
    widths = np.clip(ends - discard, 0, None)
    return float(np.sum(np.where(widths > 0, np.nan_to_num(error) * widths, 0.0)))


def theoretical_best_area(starting_error: float, *, discard_limit: float = 0.2) -> float:
    """Area under ``max(0, e0 - d)`` for ``d`` in ``[0, discard_limit]``.

    Examples
    --------
    >>> round(theoretical_best_area(0.05, discard_limit=0.2), 8)
    0.00125
    """
    reach = min(starting_error, discard_limit)
    return float(starting_error * reach - reach * reach / 2)


def perfect_quality(scores, same) -> np.ndarray:
    """Oracle qualities: the comparisons that cause errors come first (mated pairs ordered by
    score, non-mated ones by minus score).

    Examples
    --------
    >>> perfect_quality([0.2, 0.9], [True, False]).tolist()
    [0.2, -0.9]
    """
    scores = np.asarray(scores, np.float64)
    return np.where(np.asarray(same, bool), scores, -scores)


def random_quality(count: int, *, seed: int = 0) -> np.ndarray:
    """Uniform random qualities: the no-better-than-chance reference.

    Examples
    --------
    >>> random_quality(3, seed=1).shape
    (3,)
    """
    return np.random.default_rng(seed).random(count)


def summarise_curve(curve: EdcCurve, *, discard_limit: float = 0.2) -> dict:
    """pAUC figures of one curve.

    Returns
    -------
    dict
        ``starting_fnmr`` (e0), ``pauc``, ``theoretical_best`` (area of ``max(0, e0 - d)``),
        ``pauc_above_best`` (``pauc - theoretical_best``) and ``pauc_relative``
        (``(pauc - best) / (e0 * limit - best)``: 0 = theoretical best, 1 = no better than
        discarding at random; NaN when e0 is 0).
    """
    start = float(curve.fnmr[0])
    pauc = partial_auc(curve.discard_fraction, curve.fnmr, discard_limit=discard_limit)
    best = theoretical_best_area(start, discard_limit=discard_limit)
    flat = start * discard_limit
    relative = (pauc - best) / (flat - best) if flat > best else math.nan
    return {"starting_fnmr": start, "pauc": pauc, "theoretical_best": best,
            "pauc_above_best": pauc - best, "pauc_relative": relative}
