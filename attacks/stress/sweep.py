"""The sweep itself: baseline -> thresholds -> one pass over every condition.

See :mod:`attacks.stress` for what is measured. All images of the sweep go through one
engine (one pool of workers): the clean images first (each once, with every recognizer),
then every perturbed image of every condition in one stream.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from attacks import create_perturbation
from attacks.severities import N_SEVERITIES
from attacks.stress.metrics import Baseline, Condition, condition_metrics, pair_scores, scatter
from attacks.stress.perturb import PerturbStep
from attacks.stress.result import RESULT_COLUMNS, StressResult
from fiqa.engines import DEFAULT_OPTIONS, EngineOptions, create_engine, run_on
from fiqa.evaluation.metrics import calibrate_threshold
from fiqa.evaluation.verify import check_pairs
from fiqa.pipeline import Item, PipelineSpec, Record

APPLY_MODES = ("probe", "both")
TARGETS = ("image", "crop")

#: Perturbation name and severity of the clean baseline rows.
CLEAN = ("none", 0)


@dataclass
class _Layout:
    """The pairs as rows of one image list, and which images each condition perturbs."""

    paths: list[str]
    rows_a: np.ndarray
    rows_b: np.ndarray
    same: np.ndarray
    perturbed_rows: np.ndarray
    apply: str

    @classmethod
    def of(cls, pairs: pd.DataFrame, apply: str) -> _Layout:
        side_a = pairs["image_a"].astype(str).tolist()
        side_b = pairs["image_b"].astype(str).tolist()
        paths = list(dict.fromkeys(side_a + side_b))
        index = {path: row for row, path in enumerate(paths)}
        perturbed = dict.fromkeys(side_b if apply == "probe" else side_a + side_b)
        return cls(paths, np.array([index[p] for p in side_a], int),
                   np.array([index[p] for p in side_b], int), pairs["same"].to_numpy(bool),
                   np.array([index[p] for p in perturbed], int), apply)


def stress_test(
    pairs: pd.DataFrame,
    *,
    root: str | os.PathLike,
    perturbations: Sequence[str],
    severities: Sequence[int] = tuple(range(1, N_SEVERITIES + 1)),
    apply: str = "probe",
    target: str = "image",
    models: Sequence[str] = ("sface",),
    measures: Sequence[str] | None = None,
    profile=None,
    target_fmr: float = 1e-3,
    seed: int = 0,
    discard_limit: float = 0.2,
    face: str = "largest",
    options: EngineOptions = DEFAULT_OPTIONS,
    threshold_pairs: pd.DataFrame | None = None,
) -> StressResult:
    """Run a robustness sweep (see :mod:`attacks.stress` for every definition).

    Parameters
    ----------
    pairs : DataFrame
        ``image_a``, ``image_b`` (relative to ``root``), ``same``, e.g. from
        :func:`fiqa.evaluation.pairs.read_pairs` (then :func:`select_pairs` to subsample).
    root : path-like
        Folder the image paths are relative to.
    perturbations, severities
        Names from :func:`attacks.list_perturbations`; levels 1..5.
    apply : {"probe", "both"}
        Perturb only ``image_b`` of each pair, or both images.
    target : {"image", "crop"}
        Perturb the whole image before detection, or the aligned face canvas.
    models : sequence of str
        Recognizers (:func:`fiqa.recognition.create_embedder`), each judged on its own.
    measures : sequence of str, optional
        Quality families or measures (default: all).
    profile : fiqa.gate.Profile, optional
        Gate profile for the "does the gate catch it" metrics; None skips them.
    target_fmr, seed, discard_limit, face
        Threshold FMR, perturbation seed, EDC pAUC limit, subject rule.
    options : EngineOptions
        Engine, workers, batch size, progress bar.
    threshold_pairs : DataFrame, optional
        More clean pairs (same ``root``) whose non-mated comparisons join the sweep's own to
        fix the threshold (FMR 1e-3 needs 1,000 non-mated comparisons); never perturbed.
    """
    _check_arguments(pairs, root, apply, target, perturbations, severities)
    pairs = pairs.reset_index(drop=True)
    layout = _Layout.of(pairs, apply)
    extra = None if threshold_pairs is None else threshold_pairs[
        ~threshold_pairs["same"].to_numpy(bool)].reset_index(drop=True)
    spec = PipelineSpec(measures=tuple(measures) if measures else None,
                        recognizers=tuple(models), face=face)
    conditions = [(name, severity) for name in perturbations for severity in severities]
    started = time.perf_counter()
    with create_engine(options.engine, spec=spec, workers=options.workers,
                       address=options.address) as engine:
        clean_run = run_on(engine, _clean_items(layout, extra, root), options, desc="clean")
        clean = clean_run.records[:len(layout.paths)]
        swept = run_on(engine, _condition_items(layout, clean, conditions, root, target, seed),
                       options, desc="stress")
    per_condition = len(layout.perturbed_rows)
    records = {condition: swept.records[i * per_condition:(i + 1) * per_condition]
               for i, condition in enumerate(conditions)}
    seconds = {stage: round(clean_run.seconds.get(stage, 0) + swept.seconds.get(stage, 0), 3)
               for stage in {*clean_run.seconds, *swept.seconds}}
    seconds["wall"] = round(time.perf_counter() - started, 3)
    result = _assemble(layout, clean, records, everything_clean=clean_run.records,
                       extra=extra, profile=profile, target_fmr=target_fmr,
                       discard_limit=discard_limit, metadata=clean_run.metadata)
    started_discard = time.perf_counter()
    result.discard = _discard(result)
    seconds["discard"] = round(time.perf_counter() - started_discard, 3)
    result.seconds = seconds
    result.parameters.update(_parameters(perturbations, severities, apply, target, target_fmr,
                                         seed, discard_limit, face, layout, profile))
    return result


def _discard(result: StressResult):
    """The pooled discard experiment of the sweep (:func:`fiqa.evaluation.discard.pooled_discard`)
    at each recognizer's clean threshold."""
    from fiqa.evaluation.discard import pooled_discard

    scored = [m for m in ("CompressionArtifacts", "Sharpness")
              if f"{m}.scalar" in result.scores]
    thresholds = {model: entry["threshold"] for model, entry in result.parameters["models"].items()}
    return pooled_discard(result.comparisons, result.scores, thresholds=thresholds,
                          discard_measures=scored)


def _check_arguments(pairs, root, apply, target, perturbations, severities) -> None:
    if apply not in APPLY_MODES:
        raise ValueError(f"apply must be one of {APPLY_MODES}, got {apply!r}")
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    check_pairs(pairs)
    if not Path(root).is_dir():
        raise FileNotFoundError(f"root folder not found: {root}")
    if not perturbations or not severities:
        raise ValueError("name at least one perturbation and one severity")
    for name in perturbations:
        for severity in severities:
            create_perturbation(name).parameters(severity)  # ranges checked before any work


def _clean_items(layout: _Layout, extra: pd.DataFrame | None, root) -> list[Item]:
    names = list(layout.paths)
    if extra is not None:
        known = set(names)
        names += [p for p in dict.fromkeys(extra["image_a"].astype(str).tolist()
                                           + extra["image_b"].astype(str).tolist())
                  if p not in known]
    first_probe = int(layout.perturbed_rows[0]) if len(layout.perturbed_rows) else -1
    return [Item(name, path=str(Path(root) / name), keep_image=row == first_probe)
            for row, name in enumerate(names)]


def _condition_items(layout: _Layout, clean: list[Record], conditions, root, target: str,
                     seed: int) -> list[Item]:
    items = []
    for perturbation, severity in conditions:
        step = PerturbStep(perturbation, severity, seed)
        for position, row in enumerate(layout.perturbed_rows):
            name = layout.paths[row]
            known = [clean[row].subject] if clean[row].subject is not None else []
            items.append(Item(name, path=str(Path(root) / name), transform=step,
                              faces=known if target == "crop" else None,
                              on_canvas=target == "crop", keep_image=position == 0))
    return items


def _condition(records: list[Record], model: str, width: int) -> Condition:
    embeddings = np.full((len(records), width), np.nan, np.float32)
    detected = np.array([model in record.embeddings for record in records], bool)
    for row in np.flatnonzero(detected):
        embeddings[row] = records[row].embeddings[model]
    rows = [{**record.quality, "perturbation_info": json.dumps(record.info, sort_keys=True)}
            for record in records]
    return Condition(embeddings, detected, rows)


def _assemble(layout, clean, records, *, everything_clean, extra, profile, target_fmr,
              discard_limit, metadata) -> StressResult:
    models = list(metadata["recognizers"])
    measures = metadata["measures"]
    results, comparisons, thresholds = [], [], {}
    for model in models:
        width = next((len(r.embeddings[model]) for r in clean if model in r.embeddings), 1)
        base = _baseline(layout, _condition(clean, model, width), model, everything_clean, extra,
                         target_fmr=target_fmr, measures=measures, profile=profile,
                         discard_limit=discard_limit)
        thresholds[model] = {"threshold": base.threshold, "note": base.note,
                             "non_mated": base.threshold_non_mated,
                             "usable_clean_pairs": int(base.usable.sum())}
        for condition, side_a, side_b, perturbed, rows in _conditions(layout, base, records,
                                                                       model, width):
            label = "" if condition == CLEAN else _label(
                create_perturbation(condition[0]).parameters(condition[1]))
            results += [(model, *condition, label, metric, measure, value) for metric, measure,
                        value in condition_metrics(base, side_a, side_b, perturbed, rows)]
            comparisons.append(_comparison_frame(layout, base, side_a, side_b, model, condition))
    return StressResult(
        results=pd.DataFrame(results, columns=RESULT_COLUMNS),
        scores=_scores_frame(layout, clean, records),
        comparisons=pd.concat(comparisons, ignore_index=True),
        parameters={"models": thresholds, "threshold": thresholds[models[0]]["threshold"],
                    "threshold_note": thresholds[models[0]]["note"], "quality": metadata,
                    "profile_measures_not_scored": [] if profile is None else [
                        m for m in profile.measures if m not in measures]},
        examples=_examples(clean, records))


def _baseline(layout, clean: Condition, model, clean_records, extra, *, target_fmr, measures,
              profile, discard_limit) -> Baseline:
    clean_scores = pair_scores(clean, clean, layout.rows_a, layout.rows_b)
    usable = np.isfinite(clean_scores)
    non_mated = clean_scores[usable & ~layout.same]
    extra_scores = _extra_scores(clean_records, extra, model)
    threshold, note = calibrate_threshold(
        np.concatenate([non_mated, extra_scores]), target_fmr,
        candidates=np.concatenate([clean_scores[usable], extra_scores]), insufficient="above_all")
    return Baseline(layout.same, layout.rows_a, layout.rows_b, layout.apply, clean,
                    clean_scores, threshold, measures, profile, discard_limit, note,
                    len(non_mated) + len(extra_scores))


def _extra_scores(clean_records: list[Record], extra: pd.DataFrame | None, model: str
                  ) -> np.ndarray:
    """Clean scores of the threshold pairs (each image's record looked up by name)."""
    if extra is None:
        return np.zeros(0)
    vectors = {record.name: record.embeddings.get(model) for record in clean_records}
    scores = [float(np.dot(vectors[a], vectors[b])) for a, b in zip(extra["image_a"].astype(str),
                                                                    extra["image_b"].astype(str))
              if vectors.get(a) is not None and vectors.get(b) is not None]
    return np.asarray(scores, np.float64)


def _conditions(layout: _Layout, base: Baseline, records: dict, model: str, width: int):
    """(condition, side A, side B, perturbed, perturbed rows) for the clean baseline and for
    every perturbation x severity."""
    everything = np.arange(len(layout.paths))
    yield CLEAN, base.clean, base.clean, base.clean, everything
    for condition, condition_records in records.items():
        perturbed = _condition(condition_records, model, width)
        full = scatter(base.clean, perturbed, layout.perturbed_rows)
        side_a = base.clean if layout.apply == "probe" else full
        yield condition, side_a, full, perturbed, layout.perturbed_rows


def _comparison_frame(layout: _Layout, base: Baseline, side_a: Condition, side_b: Condition,
                      model: str, condition: tuple[str, int]) -> pd.DataFrame:
    scores = pair_scores(side_a, side_b, layout.rows_a, layout.rows_b)
    return pd.DataFrame({
        "model": model, "perturbation": condition[0], "severity": condition[1],
        "pair": np.arange(len(layout.same)),
        "image_a": [layout.paths[i] for i in layout.rows_a],
        "image_b": [layout.paths[i] for i in layout.rows_b], "same": layout.same,
        "clean_score": base.clean_scores, "score": scores,
        "status": np.where(np.isfinite(scores), "ok", "error"),
        "accepted": np.nan_to_num(scores, nan=-np.inf) >= base.threshold})


def _scores_frame(layout: _Layout, clean: list[Record], records: dict) -> pd.DataFrame:
    """Quality of every scored image under every condition (one row each)."""
    rows = []
    conditions = [(CLEAN, list(range(len(layout.paths))), clean)]
    conditions += [(condition, list(layout.perturbed_rows), found)
                   for condition, found in records.items()]
    for (perturbation, severity), image_rows, found in conditions:
        for row, record in zip(image_rows, found):
            rows.append({"perturbation": perturbation, "severity": severity,
                         "image": layout.paths[row], "detected": record.subject is not None,
                         **record.quality,
                         "perturbation_info": json.dumps(record.info, sort_keys=True)})
    return pd.DataFrame(rows)


def _examples(clean: list[Record], records: dict) -> dict:
    """(perturbation, severity) -> the first perturbed image, for reports."""
    examples = {CLEAN: next((r.image for r in clean if r.image is not None), None)}
    examples.update({condition: found[0].image for condition, found in records.items()
                     if found and found[0].image is not None})
    return {key: image for key, image in examples.items() if image is not None}


def _label(parameters: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in parameters.items())


def _parameters(perturbations, severities, apply, target, target_fmr, seed, discard_limit,
                face, layout: _Layout, profile) -> dict:
    generators = [create_perturbation(name) for name in perturbations]
    return {
        "perturbations": {g.name: {"generator": g.table.generator, "parameter": g.table.parameter,
                                   "values": list(g.table.values), "fixed": g.table.fixed,
                                   "random": g.table.random} for g in generators},
        "severities": list(severities), "apply": apply, "target": target, "face": face,
        "target_fmr": target_fmr, "seed": seed, "discard_limit": discard_limit,
        "pairs": {"total": len(layout.same), "mated": int(layout.same.sum()),
                  "non_mated": int((~layout.same).sum())},
        "images": {"total": len(layout.paths),
                   "perturbed_per_condition": len(layout.perturbed_rows)},
        "profile": None if profile is None else profile.name,
    }


def stress_to_folder(folder: str | os.PathLike, *, pairs: str | os.PathLike,
                     root: str | os.PathLike, perturbations: Sequence[str],
                     profile: str | None = "lenient", limit: int | None = None,
                     threshold_limit: int | None = None, seed: int = 0,
                     impostors: str = "probes",
                     **options) -> tuple[StressResult, dict[str, Path]]:
    """Read a pairs file, run :func:`stress_test` and write its tables and ``run.json``.

    ``profile`` is a shipped gate profile name or a ``.toml`` path (None: no gate metrics);
    ``limit`` keeps at most that many mated pairs and as many non-mated ones, which
    ``impostors`` builds from the mated pairs' own images or draws from the file (see
    :func:`~attacks.stress.protocol.sweep_pairs`); ``threshold_limit`` adds up to that many
    other non-mated pairs of the file, clean, to fix the threshold; other keywords go to
    :func:`stress_test`.
    """
    from attacks.stress.protocol import other_non_mated, sweep_pairs
    from attacks.stress.result import write_tables
    from fiqa.evaluation.pairs import read_pairs
    from fiqa.gate import load_profile
    from fiqa.runs import run_record

    everything = read_pairs(pairs)
    table = sweep_pairs(everything, limit=limit, seed=seed, impostors=impostors)
    gate = None if profile is None else load_profile(profile)
    result = stress_test(table, root=root, perturbations=perturbations, profile=gate, seed=seed,
                         threshold_pairs=other_non_mated(everything, table, limit=threshold_limit,
                                                         seed=seed), **options)
    engine = options.get("options", DEFAULT_OPTIONS)
    quality = result.parameters["quality"]
    record = run_record(
        "stress", seed=seed, seconds=result.seconds,
        models={"detector": quality.get("detector"), **quality.get("recognizers", {}),
                **quality.get("scorers", {})},
        parameters={**{k: v for k, v in result.parameters.items() if k != "quality"},
                    "pairs_file": str(Path(pairs).resolve()), "root": str(Path(root).resolve()),
                    "limit": limit, "threshold_limit": threshold_limit,
                    "impostors": impostors, **engine.record()},
        status_counts=_status_counts(result.scores),
        results={"fnmr": _fnmr_table(result.results)})
    return result, write_tables(result, folder, record=record)


def _status_counts(scores: pd.DataFrame) -> dict:
    return {str(k): int(v) for k, v in scores["status"].value_counts().items()}


def _fnmr_table(results: pd.DataFrame) -> list[dict]:
    """FNMR per recognizer, perturbation and severity (the sweep's headline)."""
    fnmr = results[results["metric"] == "fnmr"]
    return fnmr[["model", "perturbation", "severity", "value"]].to_dict("records")
