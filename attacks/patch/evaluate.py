"""Black-box evaluation of patched images through the normal fiqa pipeline.

A patched image is written as an 8-bit PNG, read back with :func:`fiqa.io.load_image`,
detected, aligned and embedded exactly as any probe is (:mod:`fiqa.pipeline`, on any
engine), then compared with the enrolment template at the threshold where clean non-mated
pairs have a false-match rate of 1e-3. Nothing from the attack's torch model is reused, so
a success here is a success against the deployed pipeline. :func:`judge_results` judges the
same PNGs with further recognizers (e.g. dlib, which has no gradients in Python and so can
only be a black-box target), each at its own threshold: the transfer of patches fitted on
another model.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from fiqa.engines import DEFAULT_OPTIONS, EngineOptions, run_pipeline
from fiqa.evaluation.embeddings import EmbeddingCache
from fiqa.evaluation.metrics import calibrate_threshold
from fiqa.evaluation.verify import compare_pairs
from fiqa.io import check_rgb
from fiqa.pipeline import Item, PipelineSpec

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
    check_rgb(image)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, format="PNG")
    return path


def clean_threshold(pairs: pd.DataFrame, *, root: str | os.PathLike, model: str = "sface",
                    target_fmr: float = 1e-3, options: EngineOptions = DEFAULT_OPTIONS,
                    cache: EmbeddingCache | None = None) -> float:
    """``model``'s threshold at ``target_fmr`` on the clean non-mated ``pairs``
    (:func:`fiqa.evaluation.metrics.calibrate_threshold`; ValueError when too few)."""
    non_mated = pairs[~pairs["same"].astype(bool)]
    scored = compare_pairs(non_mated, root=root, model=model, options=options, cache=cache)
    scores = scored.loc[scored["status"] == "ok", "score"].to_numpy(np.float64)
    try:
        return calibrate_threshold(scores, target_fmr)[0]
    except ValueError as exc:
        raise ValueError(f"cannot calibrate the attack threshold: {exc}; give a larger "
                         "pairs file or --threshold") from None


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


def judge_patches(patched: Sequence[tuple[str, str, str]], *, threshold: float, mode: str,
                  model: str = "sface", profile=None, options: EngineOptions = DEFAULT_OPTIONS,
                  min_delta: float = MOVED_MIN_DELTA) -> list[dict]:
    """Judge patched images black-box: one pipeline pass over every image involved.

    Parameters
    ----------
    patched : sequence of (probe, patched PNG, template image) paths
    threshold : float
        ``model``'s decision threshold (see :func:`clean_threshold`).
    mode : {"dodging", "impersonation"}
    model : str
        The judging recognizer (:func:`fiqa.recognition.create_embedder`).
    profile : fiqa.gate.Profile, optional
        Also gate the clean and the patched image (:func:`gate_comparison`).

    Returns
    -------
    list of dict
        Per patched image: :class:`Outcome` fields, plus the gate columns with a profile.
    """
    paths = list(dict.fromkeys(path for triple in patched for path in triple))
    spec = PipelineSpec(measures=tuple(profile.measures) if profile is not None else (),
                        recognizers=(model,))
    run = run_pipeline([Item(path, path=path) for path in paths], spec, options, desc="judging")
    records = {record.name: record for record in run.records}
    name = next(iter(run.metadata["recognizers"]))
    rows = []
    for probe, image, template in patched:
        reference = records[template].embeddings.get(name)
        before, after = (_similarity(records[path].embeddings.get(name), reference)
                         for path in (probe, image))
        row = Outcome(image=probe, target=template, patched=image, score_before=before,
                      score_after=after, threshold=threshold,
                      success=attack_success(after, threshold=threshold, mode=mode)).to_dict()
        if profile is not None:
            row.update(gate_comparison(records[probe].quality, records[image].quality,
                                       profile=profile, min_delta=min_delta))
        rows.append(row)
    return rows


def _similarity(vector, reference) -> float:
    if vector is None or reference is None:
        return math.nan
    return float(np.dot(vector, reference))


def judge_results(results: pd.DataFrame, *, model: str, threshold: float, mode: str,
                  options: EngineOptions = DEFAULT_OPTIONS) -> pd.DataFrame:
    """Judge an attack's patched images with another recognizer, black-box (transfer).

    Parameters
    ----------
    results : DataFrame
        An attack's results (``image``, ``target``, ``patched``, as written by
        :func:`attacks.patch.run.run_patch_attack`).
    model : str
        The judging recognizer (:func:`fiqa.recognition.create_embedder`, e.g. ``"dlib"``).
    threshold : float
        Its own decision threshold (see :func:`clean_threshold`).
    mode : {"dodging", "impersonation"}
    options : EngineOptions
        Where the pipeline pass runs.

    Returns
    -------
    DataFrame
        ``results`` plus ``<name>.score_before``, ``<name>.score_after``,
        ``<name>.threshold``, ``<name>.clean_ok`` (the judge decides the clean comparison
        correctly: only those attacks count for transfer) and ``<name>.success``, where
        ``<name>`` is the judge's name.
    """
    from fiqa.recognition import create_embedder

    triples = list(zip(results["image"], results["patched"], results["target"]))
    rows = judge_patches(triples, threshold=threshold, mode=mode, model=model, options=options)
    name = create_embedder(model).name
    out = results.copy()
    out[f"{name}.score_before"] = [row["score_before"] for row in rows]
    out[f"{name}.score_after"] = [row["score_after"] for row in rows]
    out[f"{name}.threshold"] = threshold
    out[f"{name}.clean_ok"] = [not math.isnan(row["score_before"]) and not attack_success(
        row["score_before"], threshold=threshold, mode=mode) for row in rows]
    out[f"{name}.success"] = [row["success"] for row in rows]
    return out


def gate_comparison(clean: dict, patched: dict, *, profile,
                    min_delta: float = MOVED_MIN_DELTA) -> dict:
    """Quality-gate decisions for a clean image's row and its patched version's, and what moved.

    Parameters
    ----------
    clean, patched : dict
        Quality rows (:attr:`fiqa.pipeline.Record.quality`) with the profile's measures.
    profile : fiqa.gate.Profile
    min_delta : float
        Scalar change (0..100 scale) from which a measure is listed as moved.

    Returns
    -------
    dict
        ``gate_before``, ``gate_after`` ("accept"/"reject"), ``gate_reasons`` (after) and
        ``moved`` ("Measure:+12.3; ..." largest change first).

    Examples
    --------
    >>> from fiqa.gate import profile_from_dict
    >>> profile = profile_from_dict({"rules": {"Sharpness": {"scalar_min": 40}}})
    >>> gate_comparison({"Sharpness.scalar": 80.0}, {"Sharpness.scalar": 20.0},
    ...                 profile=profile)["moved"]
    'Sharpness:-60.0'
    """
    from fiqa.gate import decide

    changes = []
    for name in profile.measures:
        delta = patched.get(f"{name}.scalar", math.nan) - clean.get(f"{name}.scalar", math.nan)
        if not math.isnan(delta) and abs(delta) >= min_delta:
            changes.append((abs(delta), f"{name}:{delta:+.1f}"))
    decision_before, _ = decide(clean, profile)
    decision_after, reasons = decide(patched, profile)
    return {"gate_before": decision_before, "gate_after": decision_after,
            "gate_reasons": reasons,
            "moved": "; ".join(text for _, text in sorted(changes, reverse=True))}
