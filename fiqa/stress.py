"""Robustness sweeps: how verification and quality respond as captures degrade.

A sweep takes a verification protocol (pairs of images, mated or not) and a list of
perturbations from :mod:`attacks` at chosen severities. It

1. embeds and quality-scores every clean image once and fixes the decision threshold on
   the clean non-mated comparisons (FMR ``target_fmr``, 1e-3 by default);
2. for each perturbation x severity, perturbs the probe images (``apply="probe"``: the
   second image of each pair) or both images (``apply="both"``), each image once, then
   detects, embeds and quality-scores each perturbed image once;
3. reports, at the fixed threshold: FNMR, FMR, the detection-failure rate, the mean drop
   of mated similarity, each quality measure's mean and median, the EDC pAUC of each
   measure on the perturbed comparisons, and what a quality gate profile would have
   rejected (how many recognition failures it catches beforehand).

Definitions (all rates over the pairs whose clean comparison succeeded, so a pair that
fails without any perturbation never counts against one):

* ``fnmr``: mated pairs not matched at the threshold; a perturbed image in which no face
  is found counts as a non-match, as it would in a deployed system;
* ``fnmr_detected``: the same over mated pairs whose faces were all found;
* ``fmr``: non-mated pairs accepted at the threshold (a detection failure is a rejection);
* ``detection_failure_rate``: perturbed images in which no face was found;
* ``similarity_drop``: mean of clean minus perturbed similarity over mated pairs that
  were compared both ways;
* ``gate_catch_rate``: of the mated pairs that fail (as in ``fnmr``), the share in which
  the gate profile rejects a perturbed image; ``gate_reject_rate``: perturbed images it
  rejects; ``gate_reject_rate_matched``: mated pairs that still match but that the gate
  would have rejected (its cost);
* ``edc_pauc`` / ``edc_pauc_relative``: :func:`fiqa.evaluation.edc.summarise_curve` of the
  EDC at the clean threshold, pair quality = the lower of the two images' scalar
  qualities (a missing quality counts as the lowest), over compared pairs only.

Perturbations apply to the whole image before face detection (``target="image"``, the
realistic case) or to the aligned face canvas of the clean detection (``target="crop"``,
``QUALITY_SIZE`` px with ``QUALITY_MARGIN``; the face is not searched again). Random
perturbations draw from a generator seeded by (seed, perturbation, severity, image path),
so a sweep is reproducible and an image gets the same draw whatever else is in the sweep.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from attacks import create_perturbation, list_perturbations
from attacks.severities import N_SEVERITIES
from fiqa.evaluation.edc import (
    edc_curve,
    pair_quality,
    perfect_quality,
    random_quality,
    summarise_curve,
)
from fiqa.evaluation.metrics import fmr_threshold, fnmr_at_fmr
from fiqa.face import QUALITY_MARGIN, QUALITY_SIZE, align_face, alignment_matrix, transform_points
from fiqa.gate import decide
from fiqa.io import ImageLoadError, load_image
from fiqa.recognition import cosine_similarity
from fiqa.scoring import QualityScorer, StageTimes

APPLY_MODES = ("probe", "both")
TARGETS = ("image", "crop")

#: Perturbation name and severity of the clean baseline rows.
CLEAN = ("none", 0)

#: Columns of the tidy results table.
RESULT_COLUMNS = ("perturbation", "severity", "parameters", "metric", "measure", "value")


@dataclass
class StressResult:
    """Everything a sweep produced.

    Attributes
    ----------
    results : DataFrame
        Tidy: :data:`RESULT_COLUMNS`, one row per perturbation x severity x metric (and
        measure, for the per-measure metrics); the clean baseline is ``("none", 0)``.
    scores : DataFrame
        One row per scored image and condition: ``perturbation``, ``severity``, ``image``,
        ``detected``, ``perturbation_info`` (JSON of what the generator drew/achieved),
        then the quality scorer's columns (see :mod:`fiqa.scoring`).
    comparisons : DataFrame
        One row per pair and condition: ``perturbation``, ``severity``, ``pair``,
        ``image_a``, ``image_b``, ``same``, ``clean_score``, ``score`` (NaN when not
        compared), ``status`` and ``accepted`` at the threshold.
    parameters : dict
        The sweep's settings, threshold and models (written to ``run.json``).
    examples : dict
        ``(perturbation, severity)`` -> the first perturbed image, for reports.
    seconds : dict
        Time per stage (summed over worker threads) and ``wall``.
    """

    results: pd.DataFrame
    scores: pd.DataFrame
    comparisons: pd.DataFrame
    parameters: dict
    examples: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)

    def metric(self, metric: str, *, perturbation: str, severity: int, measure: str = "") -> float:
        """One value of :attr:`results` (NaN when absent).

        Examples
        --------
        >>> r = StressResult(pd.DataFrame([("none", 0, "", "fnmr", "", 0.1)],
        ...                               columns=RESULT_COLUMNS), None, None, {})
        >>> r.metric("fnmr", perturbation="none", severity=0)
        0.1
        """
        table = self.results
        hit = table[(table["perturbation"] == perturbation) & (table["severity"] == severity)
                    & (table["metric"] == metric) & (table["measure"] == measure)]
        return float(hit["value"].iloc[0]) if len(hit) else math.nan


def parse_severities(text: str) -> tuple[int, ...]:
    """Severities from ``"1-5"``, ``"1,3,5"`` or ``"2"``.

    Examples
    --------
    >>> parse_severities("1-3"), parse_severities("5,1")
    ((1, 2, 3), (1, 5))
    """
    values: set[int] = set()
    try:
        for part in str(text).split(","):
            low, _, high = part.strip().partition("-")
            values.update(range(int(low), int(high or low) + 1))
    except ValueError:
        raise ValueError(f"severities must look like '1-5' or '1,3,5', got {text!r}") from None
    if not values or min(values) < 1 or max(values) > N_SEVERITIES:
        raise ValueError(f"severities must lie in 1..{N_SEVERITIES}, got {text!r}")
    return tuple(sorted(values))


def parse_perturbations(text: str) -> tuple[str, ...]:
    """Perturbation names from a comma list (``"all"`` = every registered one), checked.

    Examples
    --------
    >>> parse_perturbations("jpeg, gaussian_blur")
    ('jpeg', 'gaussian_blur')
    """
    names = list_perturbations() if text.strip() == "all" else [
        part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError("name at least one perturbation (see attacks.list_perturbations())")
    return tuple(dict.fromkeys(create_perturbation(name).name for name in names))


def select_pairs(pairs: pd.DataFrame, *, limit: int | None, seed: int = 0) -> pd.DataFrame:
    """At most ``limit`` mated and ``limit`` non-mated pairs, drawn with ``seed`` (order kept).

    Examples
    --------
    >>> table = pd.DataFrame({"image_a": list("abcd"), "image_b": list("efgh"),
    ...                       "same": [True, True, False, False]})
    >>> select_pairs(table, limit=1, seed=0)["same"].tolist()
    [True, False]
    """
    if limit is None:
        return pairs.reset_index(drop=True)
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    rng = np.random.default_rng(seed)
    keep = []
    for same in (True, False):
        rows = np.flatnonzero(pairs["same"].to_numpy(bool) == same)
        keep.extend(rows if len(rows) <= limit else rng.choice(rows, size=limit, replace=False))
    return pairs.iloc[np.sort(np.asarray(keep, int))].reset_index(drop=True)


def other_non_mated(pairs: pd.DataFrame, used: pd.DataFrame, *, limit: int | None,
                    seed: int = 0) -> pd.DataFrame | None:
    """Up to ``limit`` non-mated pairs of ``pairs`` that are not in ``used`` (None if limit is
    None or 0), drawn with ``seed``: extra clean comparisons to fix a threshold.

    Examples
    --------
    >>> table = pd.DataFrame({"image_a": list("abc"), "image_b": list("def"),
    ...                       "same": [False, False, True]})
    >>> other_non_mated(table, table.iloc[:1], limit=5)[["image_a", "image_b"]].values.tolist()
    [['b', 'e']]
    """
    if not limit:
        return None
    keys = set(zip(used["image_a"], used["image_b"]))
    spare = pairs[~pairs["same"].to_numpy(bool)
                  & [key not in keys for key in zip(pairs["image_a"], pairs["image_b"])]]
    return select_pairs(spare, limit=limit, seed=seed)


def image_seed(seed: int, perturbation: str, severity: int, path: str) -> np.random.Generator:
    """The generator a random perturbation draws from for one image (stable across runs)."""
    return np.random.default_rng(
        [seed, zlib.crc32(perturbation.encode()), severity, zlib.crc32(path.encode())])


@dataclass
class _Condition:
    """Per image of one condition: embedding (NaN row if none), detection, quality row."""

    embeddings: np.ndarray
    detected: np.ndarray
    rows: list[dict]


class _Pipeline:
    """Perturb -> detect -> align -> score quality (threads), then embed in batches."""

    def __init__(self, *, embedder, measures, target: str, workers: int, batch_size: int):
        self.embedder = embedder
        self.measures = measures
        self.target = target
        self.workers = max(1, int(workers))
        self.batch_size = batch_size
        self.times = StageTimes()
        self._local = threading.local()
        self._lock = threading.Lock()
        self.metadata = self._scorer().metadata()

    def _scorer(self) -> QualityScorer:
        if not hasattr(self._local, "scorer"):
            self._local.scorer = QualityScorer(measures=self.measures)
        return self._local.scorer

    def detector(self):
        """This thread's face detector (the quality scorer's)."""
        return self._scorer().detector

    def _time(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        with self._lock:
            self.times.seconds[stage] += now - started
        return now

    def load(self, paths: list[str], root: Path
             ) -> list[tuple[np.ndarray | None, np.ndarray | None, str]]:
        """Load each image once: (image, None, "") for ``target="image"``; for ``"crop"``
        the aligned canvas of its clean detection and the landmarks in it; (None, None,
        reason) when that fails."""
        def load(path: str):
            try:
                image = load_image(root / path)
            except ImageLoadError as exc:
                return None, None, str(exc)
            if self.target == "image":
                return image, None, ""
            faces = self.detector().detect(image)
            if not faces:
                return None, None, "no face detected in the clean image"
            landmarks = faces[0].landmarks
            matrix = alignment_matrix(landmarks, size=QUALITY_SIZE, margin=QUALITY_MARGIN)
            canvas = align_face(image, landmarks, size=QUALITY_SIZE, margin=QUALITY_MARGIN)
            return canvas, transform_points(matrix, landmarks), ""

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            loaded = list(pool.map(load, paths))
        self._time("load", started)
        return loaded

    def run(self, sources: list[tuple[np.ndarray | None, np.ndarray | None, str]], perturb,
            names: list[str], *, keep: int | None = 0) -> tuple[_Condition, np.ndarray | None]:
        """Process one condition. ``sources``: (image or canvas, canvas landmarks or None,
        error) per image; returns the results and the perturbed image number ``keep``."""
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            done = list(pool.map(lambda args: self._one(*args[1], perturb, args[0] == keep),
                                 enumerate(zip(sources, names))))
        ok = np.array([crop is not None for crop, _, _, _ in done], bool)
        present = [crop for crop, _, _, _ in done if crop is not None]
        started = time.perf_counter()
        vectors = [self.embedder.embed(np.stack(present[start:start + self.batch_size]))
                   for start in range(0, len(present), self.batch_size)]
        self._time("embed", started)
        embeddings = np.full((len(done), vectors[0].shape[1] if vectors else 1), np.nan, np.float32)
        if vectors:
            embeddings[ok] = np.concatenate(vectors)
        rows = [row for _, row, _, _ in done]
        for row, info in zip(rows, (info for _, _, info, _ in done)):
            row["perturbation_info"] = json.dumps(info, sort_keys=True)
        kept = done[keep][3] if keep is not None and keep < len(done) else None
        return _Condition(embeddings, ok, rows), kept

    def _one(self, source, name, perturb, keep_image: bool):
        image, landmarks, error = source
        scorer = self._scorer()
        if image is None:
            row = dict.fromkeys(scorer.columns, np.nan)
            row.update(path=name, status="error", error=error, face_count=0)
            return None, row, {}, None
        started = time.perf_counter()
        image, info = perturb(image, name)
        started = self._time("perturb", started)
        if landmarks is None:
            faces = self.detector().detect(image)
            crop = align_face(image, faces[0].landmarks, size=self.embedder.input_size) \
                if faces else None
        else:
            crop = align_face(image, landmarks, size=self.embedder.input_size)
        started = self._time("detect_align", started)
        if landmarks is None:  # reuse the detection above
            row = scorer.score_detected([image], [faces], names=[name])[0]
        else:
            row = scorer.score_images([image], names=[name])[0]
        self._time("quality", started)
        return crop, row, info, image if keep_image else None


def stress_test(
    pairs: pd.DataFrame,
    *,
    root: str | os.PathLike,
    perturbations: Sequence[str],
    severities: Sequence[int] = tuple(range(1, N_SEVERITIES + 1)),
    apply: str = "probe",
    target: str = "image",
    embedder=None,
    measures: Sequence[str] | None = None,
    profile=None,
    target_fmr: float = 1e-3,
    seed: int = 0,
    discard_limit: float = 0.2,
    workers: int = 2,
    batch_size: int = 64,
    threshold_pairs: pd.DataFrame | None = None,
    progress: bool = False,
) -> StressResult:
    """Run a robustness sweep (see the module notes for every definition).

    Parameters
    ----------
    pairs : DataFrame
        ``image_a``, ``image_b`` (relative to ``root``), ``same``, e.g. from
        :func:`fiqa.evaluation.pairs.read_pairs` (then :func:`select_pairs` to subsample).
    root : path-like
        Folder the image paths are relative to.
    perturbations : sequence of str
        Names from :func:`attacks.list_perturbations`.
    severities : sequence of int
        Levels 1..5 (see :mod:`attacks.severities`).
    apply : {"probe", "both"}
        Perturb only ``image_b`` of each pair, or both images.
    target : {"image", "crop"}
        Perturb the whole image before detection, or the aligned face canvas.
    embedder : Embedder, optional
        Recognizer; default :func:`fiqa.recognition.sface`.
    measures : sequence of str, optional
        Quality families or measures (default: all).
    profile : fiqa.gate.Profile, optional
        Gate profile for the "does the gate catch it" metrics; None skips them. Its
        measures that are not among ``measures`` count as missing (the profile's
        ``missing`` rule applies); they are listed in ``parameters``.
    target_fmr : float
        FMR at which the threshold is fixed on the clean non-mated comparisons.
    seed : int
        Seeds the random perturbations.
    discard_limit : float
        EDC pAUC discard limit.
    workers : int
        Threads perturbing, detecting and scoring images.
    batch_size : int
        Faces per recognizer call.
    threshold_pairs : DataFrame, optional
        More clean pairs (same columns, same ``root``) whose non-mated comparisons join the
        sweep's own to fix the threshold, so a small sweep can still use a threshold set at
        FMR 1e-3 (which needs 1,000 non-mated comparisons). They are embedded once with
        :func:`fiqa.evaluation.verify.compare_pairs` and not perturbed.
    progress : bool
        Print one line per condition to stderr.

    Returns
    -------
    StressResult
    """
    from fiqa.recognition import sface

    if apply not in APPLY_MODES:
        raise ValueError(f"apply must be one of {APPLY_MODES}, got {apply!r}")
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    missing = [column for column in ("image_a", "image_b", "same") if column not in pairs]
    if missing:
        raise ValueError(f"pairs table lacks column(s) {missing}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"root folder not found: {root}")
    generators = [create_perturbation(name) for name in perturbations]
    severities = tuple(sorted({int(s) for s in severities}))
    if not generators or not severities:
        raise ValueError("name at least one perturbation and one severity")
    for severity in severities:
        generators[0].parameters(severity)  # checks the range before any work is done
    embedder = embedder if embedder is not None else sface()
    started = time.perf_counter()
    pipeline = _Pipeline(embedder=embedder, measures=measures, target=target, workers=workers,
                         batch_size=batch_size)

    pairs = pairs.reset_index(drop=True)
    same = pairs["same"].to_numpy(bool)
    side_a = pairs["image_a"].astype(str).tolist()
    side_b = pairs["image_b"].astype(str).tolist()
    paths = list(dict.fromkeys(side_a + side_b))
    index = {path: row for row, path in enumerate(paths)}
    rows_a = np.array([index[p] for p in side_a], int)
    rows_b = np.array([index[p] for p in side_b], int)
    perturbed_paths = list(dict.fromkeys(side_b if apply == "probe" else side_a + side_b))
    perturbed_rows = np.array([index[p] for p in perturbed_paths], int)

    sources = pipeline.load(paths, root)

    def identity(image, name):
        return image, {}

    first_probe = int(perturbed_rows[0]) if len(perturbed_rows) else None
    clean, clean_example = pipeline.run(sources, identity, paths, keep=first_probe)
    clean_scores = _pair_scores(clean, clean, rows_a, rows_b)
    usable = np.isfinite(clean_scores)
    extra = _extra_non_mated(threshold_pairs, root=root, embedder=embedder, pipeline=pipeline)
    threshold, threshold_note = _threshold(clean_scores[usable], same[usable], target_fmr,
                                           extra_non_mated=extra)

    results: list[tuple] = []
    score_rows: list[dict] = []
    comparison_frames: list[pd.DataFrame] = []
    examples: dict[tuple[str, int], np.ndarray] = {}
    if clean_example is not None:
        examples[CLEAN] = clean_example

    def record(name: str, severity: int, label: str, condition_a: _Condition,
               condition_b: _Condition, perturbed: _Condition, perturbed_index: np.ndarray):
        scores = _pair_scores(condition_a, condition_b, rows_a, rows_b)
        metrics = _condition_metrics(
            scores=scores, clean_scores=clean_scores, same=same, usable=usable,
            threshold=threshold, clean=clean, condition_a=condition_a, condition_b=condition_b,
            perturbed=perturbed, perturbed_rows=perturbed_index, rows_a=rows_a, rows_b=rows_b,
            apply=apply, measures=pipeline.metadata["measures"], profile=profile,
            discard_limit=discard_limit)
        results.extend((name, severity, label, metric, measure, value)
                       for metric, measure, value in metrics)
        for row, path, detected in zip(perturbed.rows, (paths[i] for i in perturbed_index),
                                       perturbed.detected):
            score_rows.append({"perturbation": name, "severity": severity, "image": path,
                               "detected": bool(detected), **row})
        comparison_frames.append(pd.DataFrame({
            "perturbation": name, "severity": severity, "pair": np.arange(len(pairs)),
            "image_a": side_a, "image_b": side_b, "same": same, "clean_score": clean_scores,
            "score": scores, "status": np.where(np.isfinite(scores), "ok", "error"),
            "accepted": np.nan_to_num(scores, nan=-np.inf) >= threshold}))

    all_rows = np.arange(len(paths))
    metrics_started = time.perf_counter()
    record(*CLEAN, "", clean, clean, clean, all_rows)
    pipeline._time("metrics", metrics_started)
    for generator in generators:
        for severity in severities:
            condition_started = time.perf_counter()

            def perturb(image, name, generator=generator, severity=severity):
                return generator(image, severity=severity,
                                 rng=image_seed(seed, generator.name, severity, name))

            subset = [sources[i] for i in perturbed_rows]
            perturbed, example = pipeline.run(subset, perturb, perturbed_paths)
            if example is not None:
                examples[(generator.name, severity)] = example
            full = _scatter(clean, perturbed, perturbed_rows)
            condition_a = clean if apply == "probe" else full
            label = _label(generator.parameters(severity))
            metrics_started = time.perf_counter()
            record(generator.name, severity, label, condition_a, full, perturbed, perturbed_rows)
            pipeline._time("metrics", metrics_started)
            if progress:
                print(f"stress: {generator.name} severity {severity}: {len(perturbed_paths)} "
                      f"images in {time.perf_counter() - condition_started:.1f} s",
                      file=sys.stderr)

    seconds = {stage: round(value, 3) for stage, value in pipeline.times.seconds.items()}
    seconds["wall"] = round(time.perf_counter() - started, 3)
    parameters = {
        "perturbations": {g.name: {"generator": g.table.generator, "parameter": g.table.parameter,
                                   "values": list(g.table.values), "fixed": g.table.fixed,
                                   "random": g.table.random} for g in generators},
        "severities": list(severities), "apply": apply, "target": target,
        "target_fmr": target_fmr, "threshold": threshold, "threshold_note": threshold_note,
        "threshold_non_mated": int((~same[usable]).sum() + len(extra)),
        "seed": seed, "discard_limit": discard_limit,
        "pairs": {"total": len(pairs), "mated": int(same.sum()), "non_mated": int((~same).sum()),
                  "usable_clean": int(usable.sum())},
        "images": {"total": len(paths), "perturbed_per_condition": len(perturbed_paths)},
        "recognizer": {"name": getattr(embedder, "name", ""),
                       "sha256": getattr(embedder, "sha256", "")},
        "quality": pipeline.metadata,
        "profile": None if profile is None else profile.name,
        "profile_measures_not_scored": [] if profile is None else [
            m for m in profile.measures if m not in pipeline.metadata["measures"]],
    }
    return StressResult(
        results=pd.DataFrame(results, columns=RESULT_COLUMNS),
        scores=pd.DataFrame(score_rows), comparisons=pd.concat(comparison_frames, ignore_index=True),
        parameters=parameters, examples=examples, seconds=seconds)


def _scatter(clean: _Condition, perturbed: _Condition, rows: np.ndarray) -> _Condition:
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
    return _Condition(embeddings, detected, merged)


def _pair_scores(condition_a: _Condition, condition_b: _Condition, rows_a: np.ndarray,
                 rows_b: np.ndarray) -> np.ndarray:
    """Cosine similarity per pair; NaN where either image has no embedding."""
    ok = condition_a.detected[rows_a] & condition_b.detected[rows_b]
    scores = np.full(len(rows_a), np.nan)
    if ok.any():
        scores[ok] = cosine_similarity(condition_a.embeddings[rows_a[ok]],
                                       condition_b.embeddings[rows_b[ok]])
    return scores


def _extra_non_mated(pairs: pd.DataFrame | None, *, root: Path, embedder, pipeline: _Pipeline
                     ) -> np.ndarray:
    """Clean scores of the non-mated comparisons in ``pairs`` that succeed (empty if None)."""
    if pairs is None:
        return np.zeros(0)
    from fiqa.evaluation.verify import compare_pairs

    started = time.perf_counter()
    non_mated = pairs[~pairs["same"].to_numpy(bool)]
    scored = compare_pairs(non_mated, root=root, embedder=embedder,
                           detector=pipeline.detector(), progress=False)
    pipeline._time("threshold_pairs", started)
    return scored.loc[scored["status"].eq("ok"), "score"].to_numpy(np.float64)


def _threshold(scores: np.ndarray, same: np.ndarray, target_fmr: float, *,
               extra_non_mated: np.ndarray) -> tuple[float, str]:
    """Threshold at ``target_fmr`` on the clean non-mated scores (plus ``extra_non_mated``),
    and a note when they are too few to set that FMR (the threshold then lies above every
    clean non-mated score)."""
    scores = np.concatenate([scores, extra_non_mated])
    same = np.concatenate([same, np.zeros(len(extra_non_mated), bool)])
    point = fnmr_at_fmr(scores, same, target_fmr)
    if point.sufficient:
        return point.threshold, ""
    threshold = fmr_threshold(scores[~same], target_fmr, candidates=scores)
    return threshold, (f"{point.message}: the threshold was set above every clean non-mated "
                       f"score instead (clean FMR 0)")


def _label(parameters: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in parameters.items())


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


def _condition_metrics(*, scores, clean_scores, same, usable, threshold, clean: _Condition,
                       condition_a: _Condition, condition_b: _Condition, perturbed: _Condition,
                       perturbed_rows, rows_a, rows_b, apply, measures, profile,
                       discard_limit) -> list[tuple[str, str, float]]:
    """(metric, measure, value) rows of one condition (see the module notes)."""
    compared = usable & np.isfinite(scores)
    accepted = compared & (np.nan_to_num(scores, nan=-np.inf) >= threshold)
    mated, non_mated = usable & same, usable & ~same
    eligible = clean.detected[perturbed_rows]
    out = [
        ("pairs", "", float(usable.sum())),
        ("fnmr", "", 1.0 - _mean(accepted[mated])),
        ("fnmr_detected", "", 1.0 - _mean(accepted[mated & compared])),
        ("fmr", "", _mean(accepted[non_mated])),
        ("detection_failure_rate", "", _mean(~perturbed.detected[eligible])),
        ("mated_similarity", "", _mean(scores[mated & compared])),
        ("similarity_drop", "", _mean((clean_scores - scores)[mated & compared])),
    ]
    for key, values in _info_values(perturbed.rows).items():
        out.append((f"param.{key}", "", _mean(values)))
    perturbed_quality = _scalar_columns(perturbed.rows, measures)
    for measure in measures:
        values = perturbed_quality[measure][np.isfinite(perturbed_quality[measure])]
        out.append(("quality_mean", measure, _mean(values)))
        out.append(("quality_median", measure, float(np.median(values)) if len(values) else math.nan))
    if (compared & same).any():
        quality_a = _scalar_columns([condition_a.rows[i] for i in rows_a], measures)
        quality_b = _scalar_columns([condition_b.rows[i] for i in rows_b], measures)
        curves = {measure: pair_quality(quality_a[measure], quality_b[measure])[compared]
                  for measure in measures}
        curves["random"] = random_quality(int(compared.sum()), seed=0)
        curves["perfect"] = perfect_quality(scores[compared], same[compared])
        for measure, quality in curves.items():
            curve = edc_curve(scores[compared], same[compared],
                              np.where(np.isnan(quality), -np.inf, quality), threshold=threshold)
            summary = summarise_curve(curve, discard_limit=discard_limit)
            out.append(("edc_pauc", measure, summary["pauc"]))
            out.append(("edc_pauc_relative", measure, summary["pauc_relative"]))
    if profile is not None:
        rejected = np.zeros(len(condition_b.rows), bool)
        rejected[perturbed_rows] = _gate_rejects(perturbed.rows, profile)
        pair_rejected = rejected[rows_b] | (rejected[rows_a] if apply == "both" else False)
        failures = mated & ~accepted
        out += [
            ("gate_reject_rate", "", _mean(rejected[perturbed_rows][eligible])),
            ("gate_failures", "", float(failures.sum())),
            ("gate_catch_rate", "", _mean(pair_rejected[failures])),
            ("gate_reject_rate_matched", "", _mean(pair_rejected[mated & accepted])),
        ]
    return out


def _info_values(rows: list[dict]) -> dict[str, np.ndarray]:
    """Numeric values the generators returned (drawn or achieved), per key, over images."""
    collected: dict[str, list[float]] = {}
    for row in rows:
        for key, value in json.loads(row.get("perturbation_info") or "{}").items():
            if isinstance(value, (int, float)):  # bools count as 0/1 (a rate)
                collected.setdefault(key, []).append(float(value))
    return {key: np.asarray(values) for key, values in collected.items()}


#: Files a sweep writes into its run folder.
RUN_FILES = {"results": "results.csv", "scores": "perturbed_scores.csv",
             "comparisons": "comparisons.csv", "run": "run.json", "report": "report.html"}


def write_run(result: StressResult, folder: str | os.PathLike, *, report: bool = True,
              extra: dict | None = None) -> dict[str, Path]:
    """Write a sweep's tables, ``run.json`` (parameters, versions, models, timings) and,
    with ``report``, ``report.html``; return the paths written by :data:`RUN_FILES` key."""
    from datetime import UTC, datetime

    from fiqa.runner import environment

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = {key: folder / name for key, name in RUN_FILES.items()}
    result.results.to_csv(written["results"], index=False)
    result.scores.to_csv(written["scores"], index=False)
    result.comparisons.to_csv(written["comparisons"], index=False)
    record = {"created": datetime.now(UTC).isoformat(timespec="seconds"),
              **environment(), **(extra or {}), **result.parameters, "seconds": result.seconds}
    written["run"].write_text(json.dumps(record, indent=2, default=_json_default))
    if report:
        from reports.stress_section import write_stress_report

        write_stress_report(result, written["report"], run_folder=str(folder))
    else:
        del written["report"]
    return written


def _json_default(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot record {type(value).__name__} in run.json")


def stress_to_folder(folder: str | os.PathLike, *, pairs: str | os.PathLike,
                     root: str | os.PathLike, perturbations: Sequence[str],
                     severities: Sequence[int] = tuple(range(1, N_SEVERITIES + 1)),
                     model: str = "sface", profile: str | None = "lenient",
                     limit: int | None = None, threshold_limit: int | None = None,
                     seed: int = 0, report: bool = True,
                     **options) -> tuple[StressResult, dict[str, Path]]:
    """Read a pairs file, run :func:`stress_test` and :func:`write_run` into ``folder``.

    ``profile`` is a shipped gate profile name or a ``.toml`` path (None: no gate metrics);
    ``limit`` keeps at most that many mated and non-mated pairs (see :func:`select_pairs`);
    ``threshold_limit`` adds up to that many other non-mated pairs of the file, clean, to
    fix the threshold (``threshold_pairs`` of :func:`stress_test`); other keywords go to
    :func:`stress_test`.
    """
    from fiqa.evaluation.pairs import read_pairs
    from fiqa.gate import load_profile
    from fiqa.recognition import create_embedder

    everything = read_pairs(pairs)
    table = select_pairs(everything, limit=limit, seed=seed)
    result = stress_test(table, root=root, perturbations=perturbations, severities=severities,
                         embedder=create_embedder(model),
                         profile=None if profile is None else load_profile(profile), seed=seed,
                         threshold_pairs=other_non_mated(everything, table, limit=threshold_limit,
                                                         seed=seed),
                         **options)
    extra = {"pairs_file": str(Path(pairs).resolve()), "root": str(Path(root).resolve()),
             "limit": limit, "threshold_limit": threshold_limit, "model": model}
    return result, write_run(result, folder, report=report, extra=extra)
