"""An attack run: which images to patch against which templates, and the run folder.

:func:`run_patch_attack` detects each probe, fits a patch (one per image, or one universal
patch for all), writes the patched PNGs, evaluates them black-box
(:mod:`attacks.patch.evaluate`) and writes ``results.csv`` and ``history.csv``;
:func:`patch_attack_to_folder` can also judge the PNGs with further recognizers (transfer).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from attacks.patch.evaluate import judge_patches, save_png
from attacks.patch.optimise import PatchAttack, Target
from fiqa.engines import DEFAULT_OPTIONS, EngineOptions, run_pipeline
from fiqa.pipeline import Item, PipelineSpec
from fiqa.runs import run_record, write_record


@dataclass(frozen=True)
class AttackJob:
    """Patch ``probe`` against the template of ``template_image`` (full paths)."""

    probe: str
    template_image: str


def jobs_from_pairs(pairs: pd.DataFrame, *, root: str | os.PathLike, mode: str,
                    limit: int | None = None) -> list[AttackJob]:
    """Dodging attacks mated pairs, impersonation non-mated ones (``image_a`` is the probe).

    Examples
    --------
    >>> pairs = pd.DataFrame({"image_a": ["a/1.jpg", "a/1.jpg"], "image_b": ["a/2.jpg", "b/1.jpg"],
    ...                       "same": [True, False]})
    >>> jobs_from_pairs(pairs, root="/d", mode="dodging")
    [AttackJob(probe='/d/a/1.jpg', template_image='/d/a/2.jpg')]
    """
    wanted = mode == "dodging"
    chosen = pairs[pairs["same"].astype(bool) == wanted]
    if limit is not None:
        chosen = chosen.head(limit)
    root = Path(root)
    return [AttackJob(str(root / a), str(root / b))
            for a, b in zip(chosen["image_a"], chosen["image_b"])]


def jobs_from_images(paths: list[str | os.PathLike], *, mode: str) -> list[AttackJob]:
    """Dodging: each image against its own template; impersonation: against the next image.

    Examples
    --------
    >>> [job.template_image for job in jobs_from_images(["a", "b"], mode="impersonation")]
    ['b', 'a']
    """
    paths = [str(p) for p in paths]
    if mode == "dodging":
        return [AttackJob(p, p) for p in paths]
    if len(paths) < 2:
        raise ValueError("impersonation with --images needs at least two images (each one "
                         "impersonates the next)")
    return [AttackJob(p, paths[(i + 1) % len(paths)]) for i, p in enumerate(paths)]


def run_patch_attack(jobs: list[AttackJob], out_dir: str | os.PathLike, *, recognizer,
                     threshold: float, model: str = "sface", detector=None,
                     areas: tuple[float, ...] = (0.08,), universal: bool = False, profile=None,
                     stop_margin: float | None = 0.1, options: EngineOptions = DEFAULT_OPTIONS,
                     **attack_options) -> pd.DataFrame:
    """Fit patches for ``jobs``, write and evaluate them; returns the results table.

    Parameters
    ----------
    jobs : list of AttackJob
    out_dir : path-like
        Receives ``patched/*.png``, ``results.csv`` and ``history.csv``.
    recognizer : attacks.patch.recognizer.DifferentiableRecognizer
        The white-box model the patches are fitted on.
    threshold : float
        The judging recognizer's decision threshold (FMR 1e-3 on clean non-mated pairs).
    model : str
        The judging recognizer (black-box, through :mod:`fiqa.pipeline`): templates,
        probes' faces and the final decisions come from it.
    detector : fiqa.face.FaceDetector, optional
        Re-detects the patched face during optimisation (see :class:`PatchAttack`).
    areas : tuple of float
        Patch areas (fractions of the face box); every job is attacked at each.
    universal : bool
        One patch fitted over all jobs instead of one per job.
    profile : fiqa.gate.Profile, optional
        When given, each clean/patched pair also goes through the quality gate.
    stop_margin : float or None
        Optimisation of a patch stops once its white-box similarity is this far past the
        threshold (below for dodging, above for impersonation); None runs every step.
    options : EngineOptions
        Where the pipeline passes run.
    **attack_options
        Passed to :class:`attacks.patch.optimise.PatchAttack` (mode, region, area, steps...).
    """
    if not jobs:
        raise ValueError("nothing to attack: no jobs (check the pairs file, --mode and --limit)")
    out_dir = Path(out_dir)
    mode = attack_options.get("mode", "dodging")
    targets, kept = _targets(jobs, "sface", options)
    attack_options.setdefault("detector", detector)
    if stop_margin is not None:
        sign = -1.0 if mode == "dodging" else 1.0
        attack_options.setdefault("stop_similarity", threshold + sign * stop_margin)
    fitted, histories = [], []
    for area in areas:
        attacks, seconds = _fit(targets, recognizer, universal, {**attack_options, "area": area})
        for index, (job, target) in enumerate(zip(kept, targets)):
            attack = attacks[0 if universal else index]
            name = f"{Path(job.probe).stem}_{index:04d}_area{area:g}.png"
            patched = save_png(attack.render(target), out_dir / "patched" / name)
            fitted.append(((job.probe, str(patched), job.template_image), {
                "region": attack.region, "universal": universal, "area": area,
                "area_fraction": attack.place(target).area_fraction,
                "patch": 0 if universal else index, "steps_run": len(attack.history),
                "seconds": seconds[0 if universal else index][0],
                "cpu_seconds": seconds[0 if universal else index][1]}))
        histories += [pd.DataFrame(a.history).assign(area=area, patch=i)
                      for i, a in enumerate(attacks)]
    judged = judge_patches([triple for triple, _ in fitted], threshold=threshold, mode=mode,
                           model=model, profile=profile, options=options)
    results = pd.DataFrame([{**row, **extra, "judge": model}
                            for row, (_, extra) in zip(judged, fitted)])
    out_dir.mkdir(parents=True, exist_ok=True)
    results.to_csv(out_dir / "results.csv", index=False)
    pd.concat(histories).to_csv(out_dir / "history.csv", index=False)
    return results


def _targets(jobs: list[AttackJob], white_box: str, options
             ) -> tuple[list[Target], list[AttackJob]]:
    """Each job's template by the white-box model's deployed twin (``white_box``) and its
    probe's subject face, both from the pipeline; jobs without a face in both are dropped."""
    from fiqa.io import load_image

    paths = list(dict.fromkeys(p for job in jobs for p in (job.probe, job.template_image)))
    run = run_pipeline([Item(p, path=p) for p in paths],
                       PipelineSpec(measures=(), recognizers=(white_box,)), options, desc="faces")
    records = {record.name: record for record in run.records}
    name = next(iter(run.metadata["recognizers"]))
    targets, kept = [], []
    for job in jobs:
        subject = records[job.probe].subject
        template = records[job.template_image].embeddings.get(name)
        if subject is not None and template is not None:
            targets.append(Target(load_image(job.probe), subject.landmarks, subject.box,
                                  template))
            kept.append(job)
    if not targets:
        raise ValueError("no probe/template pair had a detectable face in both images")
    return targets, kept


def _fit(targets, recognizer, universal, options):
    """Fitted attacks and, per attack, (wall seconds, CPU seconds of this process)."""
    groups = [targets] if universal else [[target] for target in targets]
    attacks, seconds = [], []
    for group in groups:
        wall, cpu = time.perf_counter(), time.process_time()
        attacks.append(PatchAttack(recognizer, **options).fit(group))
        seconds.append((time.perf_counter() - wall, time.process_time() - cpu))
    return attacks, seconds


def patch_attack_to_folder(out_dir: str | os.PathLike, *, root: str | os.PathLike = ".",
                           pairs: str | os.PathLike | None = None,
                           images: list[str] | None = None, mode: str = "dodging",
                           limit: int | None = None, threshold: float | None = None,
                           calibration_pairs: str | os.PathLike | None = None,
                           calibration_root: str | os.PathLike | None = None,
                           profile: str | None = "lenient", cache_dir: str | None = None,
                           model: str = "sface", judges: tuple[str, ...] = (),
                           **options) -> pd.DataFrame:
    """The ``fiqa attack patch`` workflow: jobs, threshold, attack, results and ``run.json``
    (the command renders the report).

    Parameters
    ----------
    out_dir : path-like
        The run folder (``patched/``, ``results.csv``, ``history.csv``, ``report.html``).
    root, pairs, images
        A pairs file (LFW ``pairs.txt`` or CSV, relative to ``root``) or image paths.
    mode : {"dodging", "impersonation"}
    limit : int, optional
        Attack only the first ``limit`` eligible pairs or images.
    threshold : float, optional
        Decision threshold; calibrated at FMR 1e-3 on the non-mated pairs of
        ``calibration_pairs`` (default: ``pairs``) otherwise.
    profile : str or None
        Quality-gate profile applied to clean and patched images (None: no gate).
    cache_dir : str, optional
        Embedding cache for the calibration.
    model : str
        The attacked recognizer, white-box (``"sface"`` or an ONNX file); it also judges
        the patched images first, at its own threshold (the ``success`` column).
    judges : tuple of str
        Further recognizers (e.g. ``"dlib"``) that judge the same patched images black-box,
        each at its own FMR 1e-3 threshold calibrated on the same non-mated pairs
        (:func:`attacks.patch.evaluate.judge_results`): the transfer of the patches.
    **options
        ``areas``, ``universal`` and :class:`~attacks.patch.optimise.PatchAttack` options.
    """
    from attacks.patch.evaluate import clean_threshold, judge_results
    from attacks.patch.recognizer import load_recognizer
    from fiqa.evaluation.embeddings import EmbeddingCache
    from fiqa.evaluation.pairs import read_pairs
    from fiqa.face import FaceDetector
    from fiqa.gate import load_profile
    from fiqa.io import iter_image_paths

    if (pairs is None) == (images is None):
        raise ValueError("give either a pairs file or images to attack")
    if pairs is not None:
        jobs = jobs_from_pairs(read_pairs(pairs), root=root, mode=mode, limit=limit)
    else:
        jobs = jobs_from_images(iter_image_paths(images)[:limit], mode=mode)
    engine = options.pop("options", DEFAULT_OPTIONS)
    recognizer = load_recognizer(model)  # refuses models without gradients, e.g. dlib
    source = calibration_pairs or pairs
    if (threshold is None or judges) and source is None:
        raise ValueError("no threshold: give --threshold, or --calibration-pairs with at "
                         "least 1000 non-mated pairs (each --judge needs them too)")
    cache = EmbeddingCache(cache_dir) if cache_dir else None

    def calibrate(recognizer_name: str) -> float:
        return clean_threshold(read_pairs(source), root=calibration_root or root,
                               model=recognizer_name, options=engine, cache=cache)

    threshold = calibrate(model) if threshold is None else threshold
    judge_thresholds = {judge: calibrate(judge) for judge in judges}
    results = run_patch_attack(jobs, out_dir, recognizer=recognizer, model=model,
                               detector=FaceDetector(), threshold=threshold, mode=mode,
                               profile=load_profile(profile) if profile else None,
                               options=engine, **options)
    for judge, judge_threshold in judge_thresholds.items():
        results = judge_results(results, model=judge, threshold=judge_threshold, mode=mode,
                                options=engine)
    results.to_csv(Path(out_dir) / "results.csv", index=False)
    write_record(out_dir, run_record(
        "attack", seed=options.get("seed"),
        models={"white_box": model, "judges": {model: threshold, **judge_thresholds}},
        parameters={"mode": mode, "pairs": str(pairs) if pairs else None, "limit": limit,
                    "threshold": threshold, "profile": profile, **engine.record(),
                    **{k: v for k, v in options.items() if k != "options"}},
        status_counts={"success": int(results["success"].sum()),
                       "failure": int((~results["success"].astype(bool)).sum())}))
    return results
