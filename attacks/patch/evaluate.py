"""Black-box evaluation of patched images through the normal fiqa pipeline.

A patched image is written as an 8-bit PNG, read back with :func:`fiqa.io.load_image`,
detected, aligned and embedded by onnxruntime exactly as any probe is
(:func:`fiqa.evaluation.embeddings.embed_images`), then compared with the enrolment
template at the threshold where clean non-mated pairs have a false-match rate of 1e-3.
Nothing from the attack's torch model is reused, so a success here is a success against
the deployed pipeline.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from fiqa.evaluation.embeddings import EmbeddingCache, embed_images
from fiqa.evaluation.metrics import fmr_threshold
from fiqa.evaluation.verify import compare_pairs
from fiqa.recognition import cosine_similarity

#: Measures whose scalar changes by at least this much count as "moved" by the patch.
MOVED_MIN_DELTA = 5.0


def save_png(image: np.ndarray, path: str | os.PathLike) -> Path:
    """Write an RGB ``uint8`` image as a lossless 8-bit PNG (creating folders).

    Examples
    --------
    >>> import tempfile
    >>> from fiqa.io import load_image
    >>> image = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    >>> path = save_png(image, Path(tempfile.mkdtemp()) / "x.png")
    >>> bool((load_image(path) == image).all())
    True
    """
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 image, got {image.dtype} {image.shape}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, format="PNG")
    return path


def calibrate_threshold(pairs: pd.DataFrame, *, root: str | os.PathLike, embedder,
                        detector=None, target_fmr: float = 1e-3,
                        cache: EmbeddingCache | None = None) -> float:
    """The lowest cosine threshold whose FMR on the clean non-mated ``pairs`` <= ``target_fmr``.

    Parameters
    ----------
    pairs : DataFrame
        A protocol table (``image_a``, ``image_b``, ``same``); only non-mated rows are used.
    root : path-like
        Folder the pair paths are relative to.
    embedder, detector, cache
        See :func:`fiqa.evaluation.embeddings.embed_images`.
    target_fmr : float

    Raises
    ------
    ValueError
        With fewer than ``1 / target_fmr`` scored non-mated pairs.
    """
    non_mated = pairs[~pairs["same"].astype(bool)]
    scored = compare_pairs(non_mated, root=root, embedder=embedder, detector=detector,
                           progress=False, cache=cache)
    scores = scored.loc[scored["status"] == "ok", "score"].to_numpy(np.float64)
    needed = math.ceil(1.0 / target_fmr - 1e-9)
    if len(scores) < needed:
        raise ValueError(f"calibrating FMR {target_fmr:g} needs at least {needed} scored "
                         f"non-mated pairs, have {len(scores)}; give a larger pairs file")
    return fmr_threshold(scores, target_fmr)


def pipeline_embeddings(paths: list[str | os.PathLike], *, embedder, detector=None,
                        cache: EmbeddingCache | None = None) -> np.ndarray:
    """(N, D) embeddings of image files by the normal pipeline; NaN rows where it failed."""
    table = embed_images([str(p) for p in paths], embedder=embedder, detector=detector,
                         progress=False, cache=cache)
    return table.embeddings[table.rows([str(p) for p in paths])]


@dataclass(frozen=True)
class Outcome:
    """The black-box result for one patched image (NaN scores: no face found)."""

    image: str
    target: str
    patched: str
    score_before: float
    score_after: float
    threshold: float
    success: bool

    def to_dict(self) -> dict:
        return asdict(self)


def attack_success(score: float, *, threshold: float, mode: str) -> bool:
    """Dodging succeeds below the threshold (or with no face found); impersonation at or above.

    Examples
    --------
    >>> attack_success(0.2, threshold=0.3, mode="dodging")
    True
    >>> attack_success(float("nan"), threshold=0.3, mode="impersonation")
    False
    """
    if math.isnan(score):
        return mode == "dodging"
    return score < threshold if mode == "dodging" else score >= threshold


def evaluate_patched(image_path: str | os.PathLike, patched_path: str | os.PathLike,
                     template: np.ndarray, *, threshold: float, mode: str, embedder,
                     detector=None, target: str = "") -> Outcome:
    """Score a clean image and its patched PNG against ``template`` through the pipeline.

    Parameters
    ----------
    image_path, patched_path : path-like
        The clean probe and the patched PNG written by :func:`save_png`.
    template : ndarray, shape (D,)
        The enrolment template (dodging: the subject's; impersonation: the target's).
    threshold : float
        Decision threshold (see :func:`calibrate_threshold`).
    mode : {"dodging", "impersonation"}
    embedder, detector
        The deployed recognizer and detector.
    target : str
        Label of the template in the outcome.
    """
    embeddings = pipeline_embeddings([image_path, patched_path], embedder=embedder,
                                     detector=detector)
    before, after = (float(s) for s in cosine_similarity(embeddings, template[None]))
    return Outcome(image=str(image_path), target=target, patched=str(patched_path),
                   score_before=before, score_after=after, threshold=threshold,
                   success=attack_success(after, threshold=threshold, mode=mode))


def gate_comparison(image_path: str | os.PathLike, patched_path: str | os.PathLike, *,
                    profile, scorer=None, min_delta: float = MOVED_MIN_DELTA) -> dict:
    """Quality-gate decisions for a clean image and its patched version, and what moved.

    Parameters
    ----------
    profile : fiqa.gate.Profile
        The gate (e.g. ``fiqa.gate.load_profile("lenient")``).
    scorer : fiqa.scoring.QualityScorer, optional
        Defaults to one computing the profile's measures.
    min_delta : float
        Scalar change (0..100 scale) from which a measure is listed as moved.

    Returns
    -------
    dict
        ``gate_before``, ``gate_after`` ("accept"/"reject"), ``gate_reasons`` (after) and
        ``moved`` ("Measure:+12.3; ..." largest change first).
    """
    from fiqa.gate import decide
    from fiqa.scoring import QualityScorer

    scorer = scorer if scorer is not None else QualityScorer(measures=profile.measures)
    clean, patched = scorer.score_paths([image_path, patched_path])
    changes = []
    for name in scorer.measure_names:
        delta = patched.get(f"{name}.scalar", math.nan) - clean.get(f"{name}.scalar", math.nan)
        if not math.isnan(delta) and abs(delta) >= min_delta:
            changes.append((abs(delta), f"{name}:{delta:+.1f}"))
    decision_before, _ = decide(clean, profile)
    decision_after, reasons = decide(patched, profile)
    return {"gate_before": decision_before, "gate_after": decision_after,
            "gate_reasons": reasons,
            "moved": "; ".join(text for _, text in sorted(changes, reverse=True))}
