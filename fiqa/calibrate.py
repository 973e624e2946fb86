"""Gate profiles from recognition outcomes: per-measure bounds that buy the most FNMR.

Given comparisons (``fiqa verify``) and qualities (``fiqa score``) of the same images, a
profile's worth is measured by what the recognizer does with the images it accepts:

* an image is **rejected** when any bound fails (or it has no face / could not be read);
  the **reject rate** is the share of the quality table's images rejected;
* the **FNMR** is over the mated comparisons whose two images are both accepted, at one
  decision threshold fixed before anything is rejected (the ``fmr`` point of the
  non-mated scores, or the ``starting_error`` quantile of the mated ones).

The search is greedy and deterministic. Bounds are lower bounds on ``<Measure>.scalar``
(every scalar is 0-100, higher = better). Candidates for each measure are its values at
the quantiles 0.5 %, 1 %, ... up to the reject budget (``steps`` of them). Starting from
no bounds, each round tries every candidate that is tighter than the measure's current
bound and keeps the one that removes the most false non-matches per newly rejected
image, among those that stay within ``max_reject`` and remove at least ``min_removed``
false non-matches (so that one odd image does not earn a bound of its own); ties go to
the earlier measure, then the looser bound. Rounds stop when no candidate qualifies (or,
with ``target_fnmr``, as soon as it is reached).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Outcome:
    """The trade-off of one set of bounds."""

    reject_rate: float
    fnmr: float
    false_non_matches: int
    mated: int
    failure_rate_accepted: float
    failure_rate_rejected: float


@dataclass
class Calibration:
    """Result of :func:`calibrate_bounds`: bounds (measure -> scalar_min), the outcome
    before and after, the threshold and the steps taken (in order)."""

    bounds: dict[str, float]
    before: Outcome
    after: Outcome
    threshold: float
    steps: list[tuple[str, float, Outcome]] = field(default_factory=list)
    unbounded: Calibration | None = None  # the same search without the reject-ratio bound


@dataclass(frozen=True)
class _Problem:
    values: dict[str, np.ndarray]  # measure -> scalar per image (NaN passes)
    base_accept: np.ndarray  # images with a face
    a: np.ndarray  # mated comparisons: image rows
    b: np.ndarray
    error: np.ndarray  # mated comparison is a false non-match

    def outcome(self, accept: np.ndarray) -> Outcome:
        kept = accept[self.a] & accept[self.b]
        errors = int(self.error[kept].sum())
        failing = np.zeros(len(accept), bool)
        failing[self.a[self.error]] = failing[self.b[self.error]] = True
        in_mated = np.zeros(len(accept), bool)
        in_mated[self.a] = in_mated[self.b] = True

        def rate(mask):
            mask = mask & in_mated
            return float(failing[mask].mean()) if mask.any() else math.nan

        return Outcome(reject_rate=float((~accept).mean()),
                       fnmr=errors / kept.sum() if kept.any() else math.nan,
                       false_non_matches=errors, mated=int(kept.sum()),
                       failure_rate_accepted=rate(accept), failure_rate_rejected=rate(~accept))

    def accept(self, bounds: dict[str, float]) -> np.ndarray:
        accept = self.base_accept.copy()
        for measure, bound in bounds.items():
            accept &= ~(self.values[measure] < bound)  # NaN passes
        return accept


def outcome_problem(comparisons: pd.DataFrame, quality: pd.DataFrame, *, measures: list[str],
                    root: str = "/", quality_base: str = ".", threshold: float) -> _Problem:
    """Index the comparisons by quality-table rows (paths matched as in ``fiqa edc``)."""
    from fiqa.evaluation.edc_run import quality_column, quality_rows

    usable = comparisons[comparisons["status"].astype(str).eq("ok")] \
        if "status" in comparisons else comparisons
    mated = usable[usable["same"].astype(bool)].reset_index(drop=True)
    rows_a, rows_b = quality_rows(mated, quality, root=root, quality_base=quality_base)
    found = (rows_a >= 0) & (rows_b >= 0)
    if not found.any():
        raise ValueError("no mated comparison has both images in the quality table; check "
                         "--root and that the quality table scored the compared images")
    status_ok = quality["status"].astype(str).eq("ok").to_numpy() if "status" in quality \
        else np.ones(len(quality), bool)
    values = {m: pd.to_numeric(quality[quality_column(quality, m)], errors="coerce")
              .to_numpy(np.float64) for m in measures}
    return _Problem(values=values, base_accept=status_ok, a=rows_a[found], b=rows_b[found],
                    error=mated["score"].to_numpy(np.float64)[found] < threshold)


def _candidates(values: np.ndarray, accept: np.ndarray, *, max_reject: float,
                steps: int) -> np.ndarray:
    finite = values[accept & np.isfinite(values)]
    if not len(finite):
        return np.zeros(0)
    quantiles = np.linspace(0, min(max_reject, 1.0), steps + 1)[1:]
    return np.unique(np.round(np.quantile(finite, quantiles), 2))


def calibrate_bounds(problem: _Problem, *, threshold: float, max_reject: float = 1.0,
                     target_fnmr: float | None = None, steps: int = 40,
                     min_removed: int = 3, groups: list[np.ndarray] = (),
                     max_reject_ratio: float | None = None) -> Calibration:
    """The greedy search of the module notes on an :func:`outcome_problem`.

    With ``max_reject_ratio``, a candidate is also refused when, for any of ``groups``
    (integer codes per image from :func:`fiqa.evaluation.fairness.encode_groups`), the
    worst group's reject rate would exceed the best one's by more than that factor.
    """
    from fiqa.evaluation.fairness import reject_rate_ratio

    def too_unequal(accepted: np.ndarray) -> bool:
        return max_reject_ratio is not None and any(
            reject_rate_ratio(~accepted, codes) > max_reject_ratio + 1e-12 for codes in groups)

    bounds: dict[str, float] = {}
    accept = problem.accept(bounds)
    before = current = problem.outcome(accept)
    if current.reject_rate > max_reject:
        raise ValueError(f"{current.reject_rate:.1%} of the images are rejected before any "
                         f"bound (no face or unreadable), above the budget {max_reject:.1%}")
    if too_unequal(accept):
        raise ValueError(f"the images rejected before any bound (no face or unreadable) "
                         f"already differ between groups by more than --max-reject-ratio "
                         f"{max_reject_ratio:g}; no bound can lower that")
    candidates = {m: _candidates(v, accept, max_reject=max_reject, steps=steps)
                  for m, v in problem.values.items()}
    history = []
    while target_fnmr is None or current.fnmr > target_fnmr:
        best = None
        for measure, values in problem.values.items():
            for bound in candidates[measure][candidates[measure] > bounds.get(measure, -np.inf)]:
                trial = accept & ~(values < bound)
                newly = int(accept.sum() - trial.sum())
                if newly == 0 or (~trial).mean() > max_reject + 1e-12 or too_unequal(trial):
                    continue
                result = problem.outcome(trial)
                gain = current.false_non_matches - result.false_non_matches
                if result.fnmr >= current.fnmr or gain < max(1, min_removed):
                    continue
                if best is None or gain / newly > best[0] + 1e-12:
                    best = (gain / newly, measure, float(bound), trial, result)
        if best is None:
            break
        _, measure, bound, accept, current = best
        bounds[measure] = bound
        history.append((measure, bound, current))
    return Calibration(bounds=bounds, before=before, after=current, threshold=threshold,
                       steps=history)


def _describe(outcome: Outcome) -> str:
    return (f"rejects {outcome.reject_rate:.2%} of images; FNMR {outcome.fnmr:.4f} "
            f"({outcome.false_non_matches} of {outcome.mated} mated comparisons); images in a "
            f"failed comparison: {outcome.failure_rate_accepted:.2%} of accepted, "
            f"{_percent(outcome.failure_rate_rejected)} of rejected")


def _percent(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2%}"


def profile_text(calibration: Calibration, *, name: str, description: str,
                 provenance: list[str]) -> str:
    """A gate profile (TOML) whose comments record the data and the measured trade-off.

    Examples
    --------
    >>> o = Outcome(0.1, 0.02, 2, 100, 0.02, 0.3)
    >>> text = profile_text(Calibration({"Sharpness": 31.5}, o, o, 0.3), name="x",
    ...                     description="demo", provenance=["data: demo"])
    >>> from fiqa.gate import profile_from_dict
    >>> import tomllib
    >>> profile_from_dict(tomllib.loads(text)).bounds[0].threshold
    31.5
    """
    from fiqa import __version__

    lines = [f"# Calibrated by `fiqa calibrate` (fiqa {__version__}) on recognition outcomes.",
             *[f"# {line}" for line in provenance],
             f"# decision threshold: {calibration.threshold:.6g}",
             f"# without bounds: {_describe(calibration.before)}",
             f"# with these bounds: {_describe(calibration.after)}",
             "# search steps (each bound as it was added):"]
    lines += [f"#   {measure}.scalar >= {bound:g}: {_describe(result)}"
              for measure, bound, result in calibration.steps]
    lines += [f"name = {_toml_string(name)}", f"description = {_toml_string(description)}",
              'missing = "ignore"', ""]
    for measure, bound in calibration.bounds.items():
        lines += [f"[rules.{measure}]", f"scalar_min = {bound:g}", ""]
    if not calibration.bounds:
        raise ValueError("no bound lowers the FNMR within the budget; raise --max-reject, "
                         "lower --min-removed or check that the comparisons contain false "
                         "non-matches")
    return "\n".join(lines)


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def calibrate_to_file(out, *, comparisons, quality, root=None, measures=None,
                      max_reject: float | None = None, target_fnmr: float | None = None,
                      fmr: float | None = 1e-3, starting_error: float | None = None,
                      threshold: float | None = None, name: str | None = None,
                      description: str = "", steps: int = 40, min_removed: int = 3,
                      notes: tuple[str, ...] = (), groups: str | None = None,
                      groups_root=None, max_reject_ratio: float | None = None) -> Calibration:
    """Read the tables, search the bounds (:func:`calibrate_bounds`) and write the profile.

    ``root`` defaults to the one ``fiqa verify`` recorded in the comparisons' run record;
    ``measures`` to every ``<Measure>.scalar`` column of the quality table. The decision
    threshold is ``threshold`` when given, else set at ``starting_error`` or ``fmr``.
    ``notes`` are added to the profile's comments (e.g. what the data is). With
    ``max_reject_ratio``, ``groups`` (a CSV or ``"ita"``, see
    :func:`fiqa.evaluation.groups.load_groups`) bounds the worst-to-best reject-rate ratio
    of every group attribute; the search is also run without that bound and the profile's
    comments (and :attr:`Calibration.unbounded`) say what the bound costs in FNMR.
    """
    from pathlib import Path

    from fiqa.evaluation.edc import edc_threshold
    from fiqa.evaluation.edc_run import read_comparisons, read_table
    from fiqa.runs import read_record

    if (max_reject is None) == (target_fnmr is None):
        raise ValueError("give exactly one of --max-reject and --target-fnmr")
    table, root = read_comparisons(comparisons, root=root)
    recorded = read_record(comparisons)
    scores = read_table(quality)
    measures = measures or [c.removesuffix(".scalar") for c in scores.columns
                            if str(c).endswith(".scalar")]
    usable = table[table["status"].astype(str).eq("ok")] if "status" in table else table
    if starting_error is not None or threshold is not None:
        fmr = None
    if threshold is None:
        threshold = edc_threshold(usable["score"], usable["same"].astype(bool),
                                  starting_error=starting_error, fmr=fmr)
    problem = outcome_problem(table, scores, measures=measures, root=root, threshold=threshold)
    search = {"threshold": threshold, "target_fnmr": target_fnmr, "steps": steps,
              "max_reject": 1.0 if max_reject is None else max_reject, "min_removed": min_removed}
    result = calibrate_bounds(problem, **search)
    fairness_notes = []
    if max_reject_ratio is not None:
        unbounded = result
        codes, fairness_notes = _group_codes(groups, scores, groups_root)
        result = calibrate_bounds(problem, **search, groups=codes,
                                  max_reject_ratio=max_reject_ratio)
        result.unbounded = unbounded
        fairness_notes.append(
            f"reject-rate ratio bounded at {max_reject_ratio:g}: FNMR {result.after.fnmr:.4f} "
            f"(rejects {result.after.reject_rate:.2%}) against {unbounded.after.fnmr:.4f} "
            f"(rejects {unbounded.after.reject_rate:.2%}) without the bound")
    rule = (f"FMR {fmr:g} on the non-mated comparisons" if fmr else
            f"starting FNMR {starting_error:g}" if starting_error else "given threshold")
    budget = f"max reject {max_reject:g}" if max_reject is not None else \
        f"target FNMR {target_fnmr:g}"
    model = recorded.get("parameters", {}).get("model")
    sha = recorded.get("models", {}).get(model, {}).get("sha256", "?")
    recognizer = f"{model} (sha256 {sha[:16]})" if model else "not recorded (no run record)"
    mated = int(usable["same"].astype(bool).sum())
    provenance = [
        *notes,
        f"comparisons: {comparisons} ({len(usable)} usable, {mated} mated)",
        f"recognizer: {recognizer}",
        f"quality: {quality} ({len(scores)} images); measures searched: {', '.join(measures)}",
        (f"threshold rule: {rule}; budget: {budget}; candidate steps: {steps}; each bound "
        f"removes at least {min_removed} false non-matches"),
        *fairness_notes,
    ]
    text = profile_text(result, name=name or Path(out).stem, description=description,
                        provenance=provenance)
    Path(out).write_text(text + "\n")
    return result


def _group_codes(groups: str | None, scores: pd.DataFrame, root) -> tuple[list, list[str]]:
    """Integer group codes per attribute (for :func:`calibrate_bounds`) and a note."""
    from fiqa.evaluation.fairness import encode_groups
    from fiqa.evaluation.groups import load_groups

    if groups is None:
        raise ValueError("--max-reject-ratio needs --groups (a CSV of your labels, or ita)")
    labels = load_groups(groups, scores, root=root)
    codes = [encode_groups(labels.labels[a], labels.labels["subject"])[0]
             for a in labels.attributes]
    return codes, [labels.summary()]
