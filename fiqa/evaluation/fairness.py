"""Differential outcomes per group, with confidence intervals from a bootstrap over subjects.

Every statistic here is a per-group weighted mean ``sum(value) / count`` over units (images
or comparisons): a reject rate (value 1 for a rejected image), an FNMR or FMR (1 for an
error), or a quality measure's mean. The bootstrap resamples **subjects** (people), not
images, with replacement, because images of one person are not independent: a replicate
weights each unit by how often its subject was drawn (a non-mated comparison by the product
of its two subjects' draws). Confidence intervals are percentiles of the replicates.

Ratios compare the worst group with the best one (both chosen on the full data): for rates
``worst / best >= 1`` (higher is worse), for quality means ``lowest / highest <= 1``. Groups
with fewer than ``min_subjects`` subjects are reported but left out of the comparison. The
ratio's interval keeps the two groups fixed, so an interval containing 1 means the data do not
show the worst group to differ from the best.

Output tables (tidy, one row each):

* per-group rows: ``metric``, ``detail`` (the rule or measure, ``""`` for none),
  ``attribute``, ``group``, ``units``, ``subjects``, ``events`` (sum of values), ``value``,
  ``ci_low``, ``ci_high``;
* ratio rows: ``metric``, ``detail``, ``attribute``, ``worst``, ``best``, ``worst_value``,
  ``best_value``, ``ratio``, ``ci_low``, ``ci_high``, ``groups_compared``, ``too_small``
  (groups left out for having too few subjects), ``left_out`` (units with no group).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Bootstrap replicates by default.
DEFAULT_REPLICATES = 1000
#: Groups with fewer subjects are shown but not compared.
MIN_SUBJECTS = 5
#: Units per chunk when weighting comparisons by two subjects' draws (bounds memory).
_CHUNK = 4096


@dataclass(frozen=True)
class Bootstrap:
    """Settings shared by every statistic of one analysis."""

    replicates: int = DEFAULT_REPLICATES
    seed: int = 0
    confidence: float = 0.95
    min_subjects: int = MIN_SUBJECTS

    def __post_init__(self):
        if self.replicates < 1:
            raise ValueError(f"bootstrap replicates must be at least 1, got {self.replicates}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be between 0 and 1, got {self.confidence}")

    def weights(self, count: int) -> np.ndarray:
        """(replicates, count) draws of ``count`` subjects with replacement.

        Examples
        --------
        >>> Bootstrap(replicates=3, seed=1).weights(4).sum(axis=1).tolist()
        [4, 4, 4]
        """
        rng = np.random.default_rng(self.seed)
        return rng.multinomial(count, np.full(count, 1.0 / count), size=self.replicates)

    def interval(self, replicates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Percentile interval along axis 0 (NaN replicates ignored; infinities allowed)."""
        tail = (1 - self.confidence) / 2
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN
            low = np.nanquantile(replicates, tail, axis=0, method="inverted_cdf")
            high = np.nanquantile(replicates, 1 - tail, axis=0, method="inverted_cdf")
        return low, high


@dataclass(frozen=True)
class GroupStat:
    """One statistic per group: full-data ``value`` and bootstrap ``replicates`` (B, G)."""

    metric: str
    detail: str
    attribute: str
    groups: list[str]
    units: np.ndarray
    subjects: np.ndarray
    events: np.ndarray
    value: np.ndarray
    replicates: np.ndarray
    higher_is_worse: bool = True
    left_out: int = 0


#: The default settings (1000 replicates, seed 0, 95 %, 5 subjects).
DEFAULT_BOOTSTRAP = Bootstrap()


def _codes(groups, order) -> tuple[np.ndarray, list[str]]:
    labels = pd.Series(groups, dtype=object)
    present = [str(g) for g in pd.unique(labels.dropna())]
    names = [g for g in (order or []) if g in present] + sorted(g for g in present
                                                                 if g not in (order or []))
    lookup = {name: code for code, name in enumerate(names)}
    return np.array([lookup.get(str(g), -1) if pd.notna(g) else -1 for g in labels]), names


def group_stat(values, groups, subjects, *, metric: str, attribute: str, detail: str = "",
               second_subjects=None, order=None, higher_is_worse: bool = True,
               bootstrap: Bootstrap = DEFAULT_BOOTSTRAP) -> GroupStat:
    """Per-group mean of ``values`` (1/0 events give a rate) with subject-bootstrap replicates.

    Parameters
    ----------
    values : array of float
        One per unit; NaN units are left out.
    groups : array
        Each unit's group (NaN / None: no group, counted in ``left_out``).
    subjects : array
        Each unit's subject; with ``second_subjects`` (non-mated comparisons) a unit counts
        as often as both its subjects were drawn.
    order : list of str, optional
        Preferred group order (others follow, sorted).

    Examples
    --------
    >>> stat = group_stat([1, 0, 0, 0], ["a", "a", "b", "b"], ["p", "q", "r", "s"],
    ...                   metric="reject_rate", attribute="sex",
    ...                   bootstrap=Bootstrap(replicates=50))
    >>> stat.groups, stat.value.tolist(), stat.units.tolist()
    (['a', 'b'], [0.5, 0.0], [2, 2])
    """
    values = np.asarray(values, np.float64)
    group_codes, names = _codes(groups, order)
    keep = (group_codes >= 0) & np.isfinite(values)
    left_out = int(np.sum((group_codes < 0) & np.isfinite(values)))
    people = [np.asarray(subjects, dtype=object)]
    if second_subjects is not None:
        people.append(np.asarray(second_subjects, dtype=object))
    codes, uniques = pd.factorize(pd.Series(np.concatenate(people)[np.tile(keep, len(people))],
                                            dtype=object).astype(str))
    parts = np.split(codes, len(people))
    values, group_codes = values[keep], group_codes[keep]
    count = len(names)
    units = np.bincount(group_codes, minlength=count)
    sums = np.bincount(group_codes, weights=values, minlength=count)
    distinct = [len(set(np.concatenate([p[group_codes == g] for p in parts]))) for g in range(count)]
    weights = bootstrap.weights(max(len(uniques), 1))
    if count == 0:  # no unit has a group (e.g. no comparison within one group)
        rep_units = rep_sums = np.zeros((weights.shape[0], 0))
    elif len(parts) == 1:
        rep_units, rep_sums = _one_subject(weights, parts[0], group_codes, values, count)
    else:
        rep_units, rep_sums = _two_subjects(weights, parts, group_codes, values, count)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(units > 0, sums / np.maximum(units, 1), np.nan)
        replicates = np.where(rep_units > 0, rep_sums / np.maximum(rep_units, 1e-300), np.nan)
    return GroupStat(metric, detail, attribute, names, units, np.asarray(distinct), sums, value,
                     replicates, higher_is_worse, left_out)


def _one_subject(weights, subject, group_codes, values, count):
    cells = subject * count + group_codes
    size = weights.shape[1] * count
    per_cell_units = np.bincount(cells, minlength=size).reshape(-1, count)
    per_cell_sums = np.bincount(cells, weights=values, minlength=size).reshape(-1, count)
    return weights @ per_cell_units, weights @ per_cell_sums


def _two_subjects(weights, parts, group_codes, values, count):
    rep_units = np.zeros((weights.shape[0], count))
    rep_sums = np.zeros((weights.shape[0], count))
    first, second = parts
    one_hot = np.eye(count)
    for start in range(0, len(values), _CHUNK):
        chunk = slice(start, start + _CHUNK)
        both = weights[:, first[chunk]] * weights[:, second[chunk]]  # (B, chunk)
        member = one_hot[group_codes[chunk]]  # (chunk, G)
        rep_units += both @ member
        rep_sums += both @ (member * values[chunk, None])
    return rep_units, rep_sums


def stat_rows(stat: GroupStat, bootstrap: Bootstrap) -> pd.DataFrame:
    """The per-group rows of one statistic (see the module notes)."""
    low, high = bootstrap.interval(stat.replicates)
    return pd.DataFrame({
        "metric": stat.metric, "detail": stat.detail, "attribute": stat.attribute,
        "group": stat.groups, "units": stat.units, "subjects": stat.subjects,
        "events": stat.events, "value": stat.value, "ci_low": low, "ci_high": high})


def worst_best(stat: GroupStat, bootstrap: Bootstrap) -> dict:
    """The ratio row of one statistic (see the module notes).

    Examples
    --------
    >>> stat = group_stat([1, 1, 0, 0, 1, 0], list("aaabbb"), list("pqrstu"),
    ...                   metric="reject_rate", attribute="x",
    ...                   bootstrap=Bootstrap(replicates=20, min_subjects=1))
    >>> row = worst_best(stat, Bootstrap(replicates=20, min_subjects=1))
    >>> row["worst"], row["best"], round(row["ratio"], 3)
    ('a', 'b', 2.0)
    """
    eligible = np.flatnonzero((stat.subjects >= bootstrap.min_subjects) & (stat.units > 0))
    row = {"metric": stat.metric, "detail": stat.detail, "attribute": stat.attribute,
           "worst": "", "best": "", "worst_value": math.nan, "best_value": math.nan,
           "ratio": math.nan, "ci_low": math.nan, "ci_high": math.nan,
           "groups_compared": len(eligible),
           "too_small": ", ".join(g for i, g in enumerate(stat.groups) if i not in eligible),
           "left_out": stat.left_out}
    if len(eligible) < 2:
        return row
    ranked = eligible[np.argsort(stat.value[eligible], kind="stable")]
    worst, best = (ranked[-1], ranked[0]) if stat.higher_is_worse else (ranked[0], ranked[-1])
    ratios = _ratio(stat.replicates[:, worst], stat.replicates[:, best])
    low, high = bootstrap.interval(ratios[:, None])
    row.update(worst=stat.groups[worst], best=stat.groups[best],
               worst_value=float(stat.value[worst]), best_value=float(stat.value[best]),
               ratio=float(_ratio(stat.value[worst], stat.value[best])),
               ci_low=float(low[0]), ci_high=float(high[0]))
    return row


def _ratio(worst, best):
    """``worst / best`` with 0/0 = 1 (no difference) and x/0 = inf."""
    worst, best = np.asarray(worst, np.float64), np.asarray(best, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = worst / best
    return np.where((worst == 0) & (best == 0), 1.0, ratio)


def tables(stats: list[GroupStat], bootstrap: Bootstrap) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-group rows and ratio rows of several statistics."""
    rows = [stat_rows(stat, bootstrap) for stat in stats]
    ratios = [worst_best(stat, bootstrap) for stat in stats]
    return (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(),
            pd.DataFrame(ratios))


def failed_rules(gated: pd.DataFrame) -> pd.DataFrame:
    """Which rule rejected each gated image: a boolean column per rule (a profile's measure,
    or the image's status such as ``no_face``), parsed from ``status`` and ``reasons``.

    Examples
    --------
    >>> gated = pd.DataFrame({"status": ["ok", "ok", "no_face"], "decision": ["reject", "accept",
    ...     "reject"], "reasons": ["Sharpness.scalar=12 < 40; HeadPoseYaw could not be computed",
    ...     "", "no face detected"]})
    >>> failed_rules(gated).astype(int).to_dict("list")
    {'HeadPoseYaw': [1, 0, 0], 'Sharpness': [1, 0, 0], 'no_face': [0, 0, 1]}
    """
    status = gated["status"].astype(str) if "status" in gated else pd.Series("ok", gated.index)
    reasons = gated["reasons"].fillna("").astype(str) if "reasons" in gated else status.map(str)
    rules = []
    for state, text in zip(status, reasons):
        if state != "ok":
            rules.append({state})
            continue
        rules.append({reason.split("=")[0].split(" could not")[0].removesuffix(".scalar")
                      for reason in text.split("; ") if reason})
    names = sorted(set().union(*rules)) if rules else []
    return pd.DataFrame({name: [name in found for found in rules] for name in names},
                        index=gated.index)


def quality_columns(scores: pd.DataFrame) -> list[str]:
    """Quality measures with a ``.scalar`` column in a scores table (descriptors excluded)."""
    from fiqa.measures import list_descriptors

    return [column.removesuffix(".scalar") for column in scores.columns
            if column.endswith(".scalar") and column.removesuffix(".scalar")
            not in list_descriptors()]


def image_stats(scores: pd.DataFrame, groups, *, bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
                measures=None) -> list[GroupStat]:
    """Reject rates (overall, per failed rule; when ``scores`` has a ``decision`` column) and
    quality-scalar means per group, for every attribute of ``groups``
    (:class:`fiqa.evaluation.groups.Groups`, aligned with ``scores``' rows)."""
    measures = quality_columns(scores) if measures is None else list(measures)
    ok = scores["status"].astype(str).eq("ok").to_numpy() if "status" in scores else True
    subjects = groups.labels["subject"].to_numpy()
    stats = []
    for attribute in groups.attributes:
        common = {"attribute": attribute, "order": groups.order.get(attribute),
                  "bootstrap": bootstrap}
        labels = groups.labels[attribute].to_numpy()
        if "decision" in scores:
            rejected = scores["decision"].astype(str).eq("reject").to_numpy(np.float64)
            stats.append(group_stat(rejected, labels, subjects, metric="reject_rate", **common))
            for rule, failed in failed_rules(scores).items():
                stats.append(group_stat(failed.to_numpy(np.float64), labels, subjects,
                                        metric="reject_rate", detail=rule, **common))
        for measure in measures:
            values = np.where(ok, pd.to_numeric(scores[f"{measure}.scalar"], errors="coerce"),
                              np.nan)
            stats.append(group_stat(values, labels, subjects, metric="quality_mean",
                                    detail=measure, higher_is_worse=False, **common))
    return stats


def quality_distributions(scores: pd.DataFrame, groups, *, measures=None) -> pd.DataFrame:
    """Each quality scalar's distribution per group: ``attribute``, ``group``, ``measure``,
    ``images``, ``mean``, ``p05``, ``p25``, ``median``, ``p75``, ``p95``."""
    measures = quality_columns(scores) if measures is None else list(measures)
    ok = scores["status"].astype(str).eq("ok") if "status" in scores else True
    rows = []
    for attribute in groups.attributes:
        for measure in measures:
            values = pd.to_numeric(scores[f"{measure}.scalar"], errors="coerce").where(ok)
            frame = pd.DataFrame({"group": groups.labels[attribute].to_numpy(),
                                  "value": values.to_numpy()}).dropna()
            for group, part in frame.groupby("group", sort=True):
                q = part["value"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).to_numpy()
                rows.append({"attribute": attribute, "group": group, "measure": measure,
                             "images": len(part), "mean": part["value"].mean(), "p05": q[0],
                             "p25": q[1], "median": q[2], "p75": q[3], "p95": q[4]})
    return pd.DataFrame(rows)


def reject_ratio(rejected, groups, subjects, *, bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
                 order=None) -> tuple[dict, pd.DataFrame]:
    """Worst-to-best reject-rate ratio of gate decisions, for ``fiqa calibrate``.

    Parameters
    ----------
    rejected : array of bool
        One gate decision per image (True = rejected).
    groups, subjects : array
        Each image's group (NaN: none) and subject (the bootstrap unit).

    Returns
    -------
    ratio : dict
        The ratio row (``ratio``, ``ci_low``, ``ci_high``, ``worst``, ``best``, ...).
    rates : DataFrame
        The per-group rows.

    Examples
    --------
    >>> ratio, rates = reject_ratio([1, 1, 0, 0, 1, 0], list("aaabbb"), list("pqrstu"),
    ...                             bootstrap=Bootstrap(replicates=100, min_subjects=1))
    >>> round(ratio["ratio"], 2), rates["value"].round(3).tolist()
    (2.0, [0.667, 0.333])
    """
    stat = group_stat(np.asarray(rejected, np.float64), groups, subjects, metric="reject_rate",
                      attribute="group", order=order, bootstrap=bootstrap)
    return worst_best(stat, bootstrap), stat_rows(stat, bootstrap)


def encode_groups(groups, subjects, *, min_subjects: int = MIN_SUBJECTS, order=None
                  ) -> tuple[np.ndarray, list[str]]:
    """Integer group codes for :func:`reject_rate_ratio` (-1: no group, or a group with fewer
    than ``min_subjects`` subjects, which is not compared) and the compared group names.

    Examples
    --------
    >>> encode_groups(["a", "a", "b", None], ["p", "q", "r", "s"], min_subjects=2)
    (array([ 0,  0, -1, -1]), ['a'])
    """
    codes, names = _codes(groups, order)
    people = pd.Series(np.asarray(subjects, dtype=object)).astype(str)
    counts = people[codes >= 0].groupby(codes[codes >= 0]).nunique()
    keep = [code for code in range(len(names)) if counts.get(code, 0) >= min_subjects]
    remap = np.full(len(names) + 1, -1)
    remap[keep] = np.arange(len(keep))
    return remap[codes], [names[code] for code in keep]


def reject_rate_ratio(rejected, codes) -> float:
    """Worst-to-best reject-rate ratio over groups ``codes`` (from :func:`encode_groups`),
    without an interval: cheap enough to test every candidate of a calibration search
    (then report the final profile with :func:`reject_ratio`). 0/0 is 1, x/0 is inf; NaN
    with fewer than two groups.

    Examples
    --------
    >>> reject_rate_ratio([1, 0, 1, 1], np.array([0, 0, 1, 1]))
    2.0
    """
    codes = np.asarray(codes)
    member = codes >= 0
    count = int(codes.max()) + 1 if member.any() else 0
    if count < 2:
        return math.nan
    rates = (np.bincount(codes[member], weights=np.asarray(rejected, np.float64)[member],
                         minlength=count) / np.bincount(codes[member], minlength=count))
    return float(_ratio(rates.max(), rates.min()))
