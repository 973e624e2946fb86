"""What every section of an evaluation report draws from, computed once from a run folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from reports import tables
from reports.run import RunData

#: Starting FNMR used to fix a threshold when the EDC run recorded none.
DEFAULT_STARTING_ERROR = 0.05

#: Most comparisons in the pair-outcome table; larger runs are sampled (seeded) down to it.
MAX_OUTCOME_PAIRS = 200_000



@dataclass
class ReportData:
    """Everything the sections draw from, computed once from a :class:`RunData`."""

    run: RunData
    quality: pd.DataFrame | None = None
    pauc: pd.DataFrame | None = None
    metrics: dict | None = None
    roc: pd.DataFrame | None = None
    comparisons_ok: pd.DataFrame | None = None
    threshold: float | None = None
    threshold_source: str = ""
    pairs: pd.DataFrame | None = None
    pairs_sampled: int | None = None
    edc_points: pd.DataFrame | None = None
    measures: list[str] = field(default_factory=list)
    edc_settings: dict = field(default_factory=dict)
    discard_limit: float | None = None
    thumbnails: int = 6
    image_bases: list[Path] = field(default_factory=list)
    fairness: object | None = None  # fiqa.evaluation.fairness_run.FairnessTables


def prepare(run: RunData, *, thumbnails: int = 6, groups: str | None = None,
            groups_root: str | None = None, bootstrap=None) -> ReportData:
    """Derive the report's tables from a run (each stays None when its inputs are absent).

    ``groups`` (a CSV or ``"ita"``) adds per-group outcomes; scores that carry the ITA
    skin-tone proxy get them by ITA without being asked."""
    data = ReportData(run=run, thumbnails=thumbnails)
    data.image_bases = [Path.cwd(), run.folder]
    if run.scores is not None:
        data.quality = tables.quality_long(run.scores)
        data.measures = tables.measure_names(run.scores)
    if run.edc is not None:
        data.edc_points = tables.thin_steps(run.edc)
    if run.edc_pauc is not None:
        data.pauc = tables.rank_pauc(run.edc_pauc)
        ranked = [m for m in data.pauc["measure"] if m in data.measures]
        data.measures = ranked + [m for m in data.measures if m not in ranked]
    if run.edc_pauc is not None:
        data.edc_settings = tables.edc_settings(run.edc_pauc)
        limit = data.edc_settings.get("discard_limit")
        data.discard_limit = None if limit is None else float(limit)
    if run.comparisons is not None:
        _prepare_comparisons(data)
    _prepare_fairness(data, groups, groups_root, bootstrap)
    return data


def _prepare_fairness(data: ReportData, spec, groups_root, bootstrap) -> None:
    from fiqa.evaluation.fairness import Bootstrap
    from fiqa.evaluation.fairness_run import fairness_tables
    from fiqa.evaluation.groups import ITA_MEASURE, ITA_SPEC, load_groups

    scores = data.run.scores
    if scores is None:
        if spec:
            raise ValueError("--groups needs the run's scores (scores.csv from fiqa score/gate)")
        return
    spec = spec or (ITA_SPEC if ITA_MEASURE in scores else None)
    if spec is None:
        return
    groups = load_groups(spec, scores, root=groups_root)
    pairs = data.threshold is not None and data.comparisons_ok is not None
    measures = [m for m in data.measures if m in set(data.pauc["measure"])] \
        if pairs and data.pauc is not None else []
    root = data.run.meta.get("comparisons", {}).get("parameters", {}).get("root")
    data.fairness = fairness_tables(
        scores, groups, comparisons=data.comparisons_ok if pairs else None,
        threshold=data.threshold if pairs else None, root=root or data.run.folder,
        edc_measures=measures, discard_limit=data.discard_limit or 0.2,
        bootstrap=bootstrap or Bootstrap())


def _prepare_comparisons(data: ReportData) -> None:
    from fiqa.evaluation.edc import edc_threshold
    from fiqa.evaluation.metrics import grouped_metrics

    comparisons = data.run.comparisons
    ok = comparisons["status"].eq("ok") if "status" in comparisons else True
    good = comparisons[ok & comparisons["score"].notna()].reset_index(drop=True)
    data.comparisons_ok = good
    same = good["same"].astype(bool)
    if not same.any() or same.all():
        return  # rates need both mated and non-mated comparisons
    data.metrics = grouped_metrics(comparisons)  # counts every pair, failed ones included
    data.roc = tables.roc_table(good)
    root = data.run.meta.get("comparisons", {}).get("parameters", {}).get("root")
    if root:
        data.image_bases.append(Path(root))
    recorded = data.edc_settings.get("threshold")
    if recorded is not None:
        data.threshold, data.threshold_source = float(recorded), "EDC run's fixed threshold"
    else:
        data.threshold = edc_threshold(good["score"], same,
                                       starting_error=DEFAULT_STARTING_ERROR)
        data.threshold_source = (f"threshold for a starting FNMR {DEFAULT_STARTING_ERROR:g} "
                                 "(the run has no EDC pAUC table)")
    if data.quality is not None:
        sample = good
        if len(good) > MAX_OUTCOME_PAIRS:
            sample = good.sample(n=MAX_OUTCOME_PAIRS, random_state=0).sort_index()
            data.pairs_sampled = len(good)
        data.pairs = tables.pair_outcomes(sample, data.run.scores, threshold=data.threshold,
                                          root=root or data.run.folder)
