"""The discard experiment: does discarding low-quality captures lower the error rates?

Within one severity of a stress sweep every probe is equally degraded, so an EDC there
cannot show whether a quality measure separates damaged from undamaged captures. Here,
for each perturbation family, the clean comparisons and those of **all** its severities
are pooled into one comparison set (a pair appears once per condition), as in an
operational stream that holds captures of every quality; on that set

* the EDC of every quality measure (ISO/IEC 29794-1, :func:`fiqa.evaluation.edc.edc_curve`:
  pair quality = the lower of the two images' scalars, threshold fixed before discarding),
  with the ``random`` and ``perfect`` references, per recognizer;
* FNMR (and FMR) before and after discarding the lowest ``fractions`` of the mated
  comparisons by chosen measures and at random (random: mean over ``random_draws``
  draws).

Only comparisons that were made count (both faces found, a finite score) and only pairs
whose clean comparison was made; a pair with an image in which no face was found has no
quality to discard it by. A discard fraction is of the mated comparisons; comparisons of
equal quality go together, so the fraction reached is the EDC point at or just below the
one asked for (``discarded`` column).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fiqa.evaluation.edc import (
    edc_curve,
    edc_threshold,
    pair_quality,
    perfect_quality,
    random_quality,
    summarise_curve,
)

#: Columns ``comparisons`` must have (``model``, the recognizer, is optional: one recognizer).
COMPARISON_COLUMNS = ("perturbation", "severity", "image_a", "image_b", "same", "score")
#: Columns ``scores`` must have, besides one ``<Measure>.scalar`` column per measure.
SCORE_COLUMNS = ("perturbation", "severity", "image")
#: Perturbation and severity of the clean condition.
CLEAN = ("none", 0)
#: Recognizer name used when ``comparisons`` has no ``model`` column.
SINGLE_RECOGNIZER = "recognizer"


@dataclass(frozen=True)
class PooledDiscard:
    """Result of :func:`pooled_discard` (tidy tables, one row per point / figure).

    Attributes
    ----------
    edc : DataFrame
        ``family, model`` (the recognizer), ``measure, mated, non_mated, threshold, starting_fnmr, pauc,
        pauc_relative`` (measures plus ``random`` and ``perfect``).
    curves : DataFrame
        ``family, model, measure`` and the EDC points (:data:`fiqa.evaluation.edc.
        CURVE_COLUMNS`), for plotting.
    fnmr : DataFrame
        ``family, model, measure, fraction, discarded, fnmr, fmr, remaining_mated``;
        ``fraction`` 0 is the pooled set before discarding.
    """

    edc: pd.DataFrame
    curves: pd.DataFrame
    fnmr: pd.DataFrame


def _check(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name} table lacks column(s) {missing}; it needs {list(columns)}")


def _measures(scores: pd.DataFrame, measures: Sequence[str] | None) -> list[str]:
    present = [c[: -len(".scalar")] for c in scores.columns if str(c).endswith(".scalar")]
    if measures is None:
        return present
    unknown = [m for m in measures if m not in present]
    if unknown:
        raise ValueError(f"no scalar column for measure(s) {unknown}; scored: {present}")
    return list(measures)


def _image_quality(scores: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    """One row per (perturbation, severity, image): the scalars (NaN = not scored)."""
    columns = [f"{m}.scalar" for m in measures]
    table = scores[list(SCORE_COLUMNS) + columns].drop_duplicates(list(SCORE_COLUMNS))
    table[columns] = table[columns].apply(pd.to_numeric, errors="coerce")
    return table.rename(columns=dict(zip(columns, measures)))


def _side_quality(pooled: pd.DataFrame, quality: pd.DataFrame, side: str, measures: list[str]):
    """Scalars of each comparison's image ``side`` (``image_a``/``image_b``): from its own
    condition when it was scored there (perturbed), else from the clean condition."""
    keys = ["perturbation", "severity", "image"]
    own = pooled[["perturbation", "severity", side]].rename(columns={side: "image"})
    own = own.merge(quality, on=keys, how="left")
    clean = quality[(quality["perturbation"] == CLEAN[0]) & (quality["severity"] == CLEAN[1])]
    fallback = pooled[[side]].rename(columns={side: "image"}).merge(
        clean.drop(columns=["perturbation", "severity"]), on="image", how="left")
    scored = own[measures].notna().any(axis=1).to_numpy()
    return np.where(scored[:, None], own[measures].to_numpy(np.float64),
                    fallback[measures].to_numpy(np.float64))


def _family_set(comparisons: pd.DataFrame, family: str) -> pd.DataFrame:
    """Clean and every severity of ``family``, restricted to compared pairs whose clean
    comparison was made."""
    is_clean = (comparisons["perturbation"] == CLEAN[0]) & (comparisons["severity"] == CLEAN[1])
    clean_ok = set(comparisons.loc[is_clean & np.isfinite(comparisons["score"]), "pair_key"])
    chosen = is_clean | (comparisons["perturbation"] == family)
    pooled = comparisons[chosen & comparisons["pair_key"].isin(clean_ok)]
    return pooled[np.isfinite(pooled["score"])].reset_index(drop=True)


def _at_fraction(curve, fraction: float) -> dict:
    """The EDC point that discards the most mated comparisons without exceeding ``fraction``."""
    index = int(np.searchsorted(curve.discard_fraction, fraction + 1e-12, side="right")) - 1
    return {"discarded": float(curve.discard_fraction[index]), "fnmr": float(curve.fnmr[index]),
            "fmr": float(curve.fmr[index]), "remaining_mated": int(curve.remaining_mated[index])}


def _fnmr_rows(scores, same, qualities: Mapping[str, np.ndarray], *, threshold: float,
               fractions: Sequence[float], random_draws: int, seed: int) -> list[dict]:
    """FNMR before/after discarding per measure in ``qualities`` and at random."""
    rows = []
    draws = [random_quality(len(scores), seed=seed + i) for i in range(random_draws)]
    for measure, quality in [*qualities.items(), ("random", None)]:
        curves = [edc_curve(scores, same, q, threshold=threshold)
                  for q in (draws if quality is None else [quality])]
        for fraction in (0.0, *fractions):
            points = pd.DataFrame([_at_fraction(c, fraction) for c in curves])
            rows.append({"measure": measure, "fraction": float(fraction),
                         **points.mean().to_dict()})
    return rows


def _family_tables(pooled: pd.DataFrame, quality: pd.DataFrame, measures: list[str], *,
                   threshold: float, discard_measures: Sequence[str], fractions, random_draws,
                   seed) -> tuple[list[dict], list[pd.DataFrame], list[dict]]:
    """EDC summaries, curve points and FNMR-after-discard rows of one pooled set."""
    scores = pooled["score"].to_numpy(np.float64)
    same = pooled["same"].to_numpy(bool)
    sides = [_side_quality(pooled, quality, side, measures) for side in ("image_a", "image_b")]
    # a measure that failed on an image counts as the lowest quality (discarded first)
    qualities = {m: np.nan_to_num(pair_quality(sides[0][:, i], sides[1][:, i]), nan=-np.inf)
                 for i, m in enumerate(measures)}
    references = {"random": random_quality(len(scores), seed=seed),
                  "perfect": perfect_quality(scores, same)}
    summaries, curves = [], []
    for measure, values in {**qualities, **references}.items():
        curve = edc_curve(scores, same, values, threshold=threshold)
        summary = summarise_curve(curve)
        summaries.append({"measure": measure, "mated": int(same.sum()),
                          "non_mated": int((~same).sum()), "threshold": threshold,
                          "starting_fnmr": summary["starting_fnmr"], "pauc": summary["pauc"],
                          "pauc_relative": summary["pauc_relative"]})
        curves.append(curve.to_frame().assign(measure=measure))
    chosen = {m: qualities[m] for m in discard_measures if m in qualities}
    rows = _fnmr_rows(scores, same, chosen, threshold=threshold, fractions=fractions,
                      random_draws=random_draws, seed=seed)
    return summaries, curves, rows


def _thresholds(comparisons: pd.DataFrame, recognizers: list[str], thresholds, target_fmr):
    if isinstance(thresholds, Mapping):
        missing = [r for r in recognizers if r not in thresholds]
        if missing:
            raise ValueError(f"no threshold given for recognizer(s) {missing}")
        return {r: float(thresholds[r]) for r in recognizers}
    if thresholds is not None:
        if len(recognizers) > 1:
            raise ValueError("one threshold given for several recognizers; pass a dict "
                             "{recognizer: threshold}")
        return {recognizers[0]: float(thresholds)}
    out = {}
    for name in recognizers:
        clean = comparisons[(comparisons["model"] == name)
                            & (comparisons["perturbation"] == CLEAN[0])
                            & (comparisons["severity"] == CLEAN[1])
                            & np.isfinite(comparisons["score"])]
        out[name] = edc_threshold(clean["score"], clean["same"].astype(bool), fmr=target_fmr)
    return out


def pooled_discard(comparisons: pd.DataFrame, scores: pd.DataFrame, *,
                   thresholds: Mapping[str, float] | float | None = None,
                   target_fmr: float = 1e-3, measures: Sequence[str] | None = None,
                   discard_measures: Sequence[str] = ("CompressionArtifacts", "Sharpness"),
                   fractions: Sequence[float] = (0.05, 0.10, 0.20), random_draws: int = 20,
                   seed: int = 0) -> PooledDiscard:
    """Pooled EDCs and FNMR after discarding, per perturbation family and recognizer.

    Parameters
    ----------
    comparisons : DataFrame
        One row per pair, condition (and recognizer): :data:`COMPARISON_COLUMNS`, optional
        ``model`` (recognizer name) and ``pair`` (pair id; else pairs are keyed by their two
        images), as :class:`attacks.stress.StressResult` ``comparisons``.
        ``score`` is NaN where the comparison was not made. The clean condition is
        perturbation ``"none"`` at severity 0 (as in the stress sweep).
    scores : DataFrame
        One row per scored image and condition: :data:`SCORE_COLUMNS` and a
        ``<Measure>.scalar`` column (0..100) per quality measure. An image of a comparison
        that is absent from its condition (an unperturbed gallery image) is looked up in
        the clean condition.
    thresholds : dict or float, optional
        Decision threshold per recognizer (e.g. the sweep's); default: set on the clean
        non-mated comparisons at ``target_fmr``.
    measures : sequence of str, optional
        Measures whose EDC is computed (default: every ``.scalar`` column).
    discard_measures : sequence of str
        Measures of the FNMR-after-discard table (those scored), plus ``random``.
    fractions : sequence of float
        Discard fractions of that table (of the mated comparisons).
    random_draws, seed : int
        Random-discard draws averaged in the table (the EDC's ``random`` uses ``seed``).

    Examples
    --------
    Two mated pairs, clean and at one JPEG severity; the failing comparison has the lowest
    compression quality, so discarding a quarter of them removes the only error:

    >>> comparisons = pd.DataFrame({
    ...     "perturbation": ["none", "none", "jpeg", "jpeg"], "severity": [0, 0, 1, 1],
    ...     "image_a": ["a1", "b1"] * 2, "image_b": ["a2", "b2"] * 2, "same": [True] * 4,
    ...     "score": [0.8, 0.7, 0.6, 0.1]})
    >>> scores = pd.DataFrame({
    ...     "perturbation": ["none"] * 4 + ["jpeg"] * 2, "severity": [0] * 4 + [1] * 2,
    ...     "image": ["a1", "a2", "b1", "b2", "a2", "b2"],
    ...     "CompressionArtifacts.scalar": [90, 90, 90, 90, 60, 5]})
    >>> result = pooled_discard(comparisons, scores, thresholds=0.3, fractions=(0.2, 0.25),
    ...                         random_draws=2)
    >>> table = result.fnmr.query("measure == 'CompressionArtifacts'")
    >>> table[["fraction", "discarded", "fnmr"]].values.tolist()
    [[0.0, 0.0, 0.25], [0.2, 0.0, 0.25], [0.25, 0.25, 0.0]]
    """
    _check(comparisons, COMPARISON_COLUMNS, "comparisons")
    _check(scores, SCORE_COLUMNS, "scores")
    comparisons = comparisons.copy()
    if "model" not in comparisons:
        comparisons["model"] = SINGLE_RECOGNIZER
    comparisons["score"] = pd.to_numeric(comparisons["score"], errors="coerce")
    comparisons["pair_key"] = (comparisons["pair"].astype(str) if "pair" in comparisons else
                               comparisons["image_a"].astype(str) + "\n" + comparisons["image_b"])
    measures = _measures(scores, measures)
    quality = _image_quality(scores, measures)
    recognizers = list(pd.unique(comparisons["model"]))
    threshold = _thresholds(comparisons, recognizers, thresholds, target_fmr)
    families = [f for f in pd.unique(comparisons["perturbation"]) if f != CLEAN[0]]
    edc, curves, fnmr = [], [], []
    for recognizer in recognizers:
        mine = comparisons[comparisons["model"] == recognizer]
        for family in families:
            pooled = _family_set(mine, family)
            if not pooled["same"].astype(bool).any():
                continue
            summaries, points, rows = _family_tables(
                pooled, quality, measures, threshold=threshold[recognizer],
                discard_measures=discard_measures, fractions=fractions,
                random_draws=random_draws, seed=seed)
            keys = {"family": family, "model": recognizer}
            edc += [{**keys, **row} for row in summaries]
            curves += [frame.assign(**keys) for frame in points]
            fnmr += [{**keys, **row} for row in rows]
    if not edc:
        raise ValueError("no perturbation family has mated comparisons that were made")
    front = ["family", "model", "measure"]
    curve_table = pd.concat(curves, ignore_index=True)
    return PooledDiscard(
        edc=pd.DataFrame(edc),
        curves=curve_table[front + [c for c in curve_table.columns if c not in front]],
        fnmr=pd.DataFrame(fnmr)[front + ["fraction", "discarded", "fnmr", "fmr",
                                         "remaining_mated"]])
