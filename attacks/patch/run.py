"""An attack run: which images to patch against which templates, and the run folder.

:func:`run_patch_attack` detects each probe, fits a patch (one per image, or one universal
patch for all), writes the patched PNGs, evaluates them black-box
(:mod:`attacks.patch.evaluate`) and writes ``results.csv`` and ``history.csv``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from attacks.patch.evaluate import evaluate_patched, gate_comparison, save_png
from attacks.patch.optimise import PatchAttack, Target


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
                     embedder, detector, threshold: float, areas: tuple[float, ...] = (0.08,),
                     universal: bool = False, profile=None, stop_margin: float | None = 0.1,
                     **attack_options) -> pd.DataFrame:
    """Fit patches for ``jobs``, write and evaluate them; returns the results table.

    Parameters
    ----------
    jobs : list of AttackJob
    out_dir : path-like
        Receives ``patched/*.png``, ``results.csv`` and ``history.csv``.
    recognizer : attacks.patch.recognizer.DifferentiableRecognizer
        The white-box model the patches are fitted on.
    embedder, detector
        The deployed pipeline used for templates and the black-box evaluation.
    threshold : float
        Decision threshold (FMR 1e-3 on clean non-mated pairs).
    areas : tuple of float
        Patch areas (fractions of the face box); every job is attacked at each.
    universal : bool
        One patch fitted over all jobs instead of one per job.
    profile : fiqa.gate.Profile, optional
        When given, each clean/patched pair also goes through the quality gate.
    stop_margin : float or None
        Optimisation of a patch stops once its white-box similarity is this far past the
        threshold (below for dodging, above for impersonation); None runs every step.
    **attack_options
        Passed to :class:`attacks.patch.optimise.PatchAttack` (mode, region, area, steps...).
    """
    from attacks.patch.evaluate import pipeline_embeddings
    from fiqa.io import load_image

    if not jobs:
        raise ValueError("nothing to attack: no jobs (check the pairs file, --mode and --limit)")
    out_dir = Path(out_dir)
    mode = attack_options.get("mode", "dodging")
    templates = pipeline_embeddings([job.template_image for job in jobs], embedder=embedder,
                                    detector=detector)
    targets, kept = [], []
    for job, template in zip(jobs, templates):
        image = load_image(job.probe)
        faces = detector.detect(image)
        if faces and not np.isnan(template).any():
            targets.append(Target(image, faces[0].landmarks, faces[0].box, template))
            kept.append(job)
    if not targets:
        raise ValueError("no probe/template pair had a detectable face in both images")
    attack_options.setdefault("detector", detector)
    if stop_margin is not None:
        sign = -1.0 if mode == "dodging" else 1.0
        attack_options.setdefault("stop_similarity", threshold + sign * stop_margin)
    scorer, gate_error = None, ""
    if profile is not None:
        from fiqa.scoring import QualityScorer
        try:
            scorer = QualityScorer(measures=profile.measures)
        except (ImportError, RuntimeError) as exc:  # a measure's model is not installed
            gate_error = f"quality gate unavailable: {exc}"
    rows, histories = [], []
    for area in areas:
        attacks, seconds = _fit(targets, recognizer, universal, {**attack_options, "area": area})
        for index, (job, target) in enumerate(zip(kept, targets)):
            attack = attacks[0 if universal else index]
            name = f"{Path(job.probe).stem}_{index:04d}_area{area:g}.png"
            patched = save_png(attack.render(target), out_dir / "patched" / name)
            outcome = evaluate_patched(job.probe, patched, target.reference,
                                       threshold=threshold, mode=mode, embedder=embedder,
                                       detector=detector, target=job.template_image)
            row = {**outcome.to_dict(), "area": area,
                   "area_fraction": attack.place(target).area_fraction,
                   "patch": 0 if universal else index, "steps_run": len(attack.history),
                   "seconds": seconds[0 if universal else index][0],
                   "cpu_seconds": seconds[0 if universal else index][1]}
            if scorer is not None:
                row.update(gate_comparison(job.probe, patched, profile=profile, scorer=scorer))
            elif profile is not None:
                row.update(gate_before="n/a", gate_after="n/a", gate_reasons=gate_error,
                           moved="")
            rows.append(row)
        histories += [pd.DataFrame(a.history).assign(area=area, patch=i)
                      for i, a in enumerate(attacks)]
    results = pd.DataFrame(rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    results.to_csv(out_dir / "results.csv", index=False)
    pd.concat(histories).to_csv(out_dir / "history.csv", index=False)
    return results


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
                           **options) -> pd.DataFrame:
    """The ``fiqa attack patch`` workflow: jobs, threshold, attack, results and report.

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
    **options
        ``areas``, ``universal`` and :class:`~attacks.patch.optimise.PatchAttack` options.
    """
    from attacks.patch.evaluate import calibrate_threshold
    from attacks.patch.recognizer import load_recognizer
    from fiqa.evaluation.embeddings import EmbeddingCache
    from fiqa.evaluation.pairs import read_pairs
    from fiqa.face import FaceDetector
    from fiqa.gate import load_profile
    from fiqa.io import iter_image_paths
    from fiqa.recognition import sface
    from reports.attack_section import write_attack_report

    if (pairs is None) == (images is None):
        raise ValueError("give either a pairs file or images to attack")
    if pairs is not None:
        jobs = jobs_from_pairs(read_pairs(pairs), root=root, mode=mode, limit=limit)
    else:
        jobs = jobs_from_images(iter_image_paths(images)[:limit], mode=mode)
    embedder, detector = sface(), FaceDetector()
    if threshold is None:
        source = calibration_pairs or pairs
        if source is None:
            raise ValueError("no threshold: give --threshold, or --calibration-pairs with at "
                             "least 1000 non-mated pairs")
        cache = EmbeddingCache(cache_dir) if cache_dir else None
        threshold = calibrate_threshold(read_pairs(source), root=calibration_root or root,
                                        embedder=embedder, detector=detector, cache=cache)
    recognizer = load_recognizer("sface")
    results = run_patch_attack(jobs, out_dir, recognizer=recognizer, embedder=embedder,
                               detector=detector, threshold=threshold, mode=mode,
                               profile=load_profile(profile) if profile else None, **options)
    write_attack_report(out_dir)
    return results
