"""Comparison scores for a verification protocol: one cosine similarity per pair."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from fiqa.evaluation.embeddings import EmbeddingCache, embed_images
from fiqa.face import FaceDetector
from fiqa.recognition import Embedder, cosine_similarity


def compare_pairs(
    pairs: pd.DataFrame,
    *,
    root: str | os.PathLike,
    embedder: Embedder,
    detector: FaceDetector | None = None,
    batch_size: int = 64,
    progress: bool = True,
    cache: EmbeddingCache | None = None,
    face: str = "largest",
) -> pd.DataFrame:
    """Score every pair of a protocol (each image embedded once).

    Parameters
    ----------
    pairs : DataFrame
        ``image_a``, ``image_b`` (relative to ``root``, or absolute), ``same``; other
        columns (``fold``, ``protocol``...) are carried over.
    root : path-like
        Folder the image paths are relative to.
    embedder, detector, batch_size, progress, cache, face
        See :func:`fiqa.evaluation.embeddings.embed_images`.

    Returns
    -------
    DataFrame
        The input columns plus ``score`` (cosine similarity, higher = more alike; NaN when
        an image failed), ``status`` (``"ok"`` / ``"error"``) and ``error`` (which image
        failed and why, e.g. ``"image_b: no face detected"``).

    Examples
    --------
    >>> import tempfile
    >>> from fiqa.recognition import sface
    >>> pairs = pd.DataFrame({"image_a": ["x.jpg"], "image_b": ["x.jpg"], "same": [True]})
    >>> out = compare_pairs(pairs, root=tempfile.mkdtemp(), embedder=sface(), progress=False)
    >>> out.loc[0, "status"], out.loc[0, "error"].startswith("image_a: file not found")
    ('error', True)
    """
    missing = [column for column in ("image_a", "image_b", "same") if column not in pairs]
    if missing:
        raise ValueError(f"pairs table lacks column(s) {missing}")
    root = Path(root)
    full_a = [str(root / path) for path in pairs["image_a"]]
    full_b = [str(root / path) for path in pairs["image_b"]]
    table = embed_images(full_a + full_b, embedder=embedder, detector=detector,
                         batch_size=batch_size, progress=progress, cache=cache, face=face)
    rows_a, rows_b = table.rows(full_a), table.rows(full_b)
    ok_a, ok_b = table.ok[rows_a], table.ok[rows_b]
    scores = cosine_similarity(table.embeddings[rows_a], table.embeddings[rows_b])
    out = pairs.reset_index(drop=True).copy()
    out["score"] = np.where(ok_a & ok_b, scores, np.nan).astype(np.float64)
    out["status"] = np.where(ok_a & ok_b, "ok", "error")
    errors = np.asarray(table.error, dtype=object)
    out["error"] = [
        "; ".join(f"{side}: {reason}" for side, reason in (("image_a", ea), ("image_b", eb))
                  if reason)
        for ea, eb in zip(errors[rows_a], errors[rows_b])
    ]
    return out


def metrics_path(out: str | os.PathLike) -> Path:
    """Where :func:`verify_to_file` writes the metrics next to ``out``: ``<stem>.metrics.json``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.metrics.json")


def verify_to_file(
    out: str | os.PathLike,
    *,
    root: str | os.PathLike,
    pairs: str | os.PathLike | None = None,
    all_pairs_cap: int | None = None,
    seed: int = 0,
    model: str = "sface",
    progress: bool = True,
    cache_dir: str | os.PathLike | None = None,
    face: str = "largest",
) -> tuple[pd.DataFrame, dict]:
    """Run a protocol end to end: pairs -> comparison scores (``out``, CSV) -> metrics.

    Exactly one of ``pairs`` (a pairs file, see :func:`fiqa.evaluation.pairs.read_pairs`)
    and ``all_pairs_cap`` (build pairs from identity folders, see
    :func:`fiqa.evaluation.pairs.all_pairs`) is given. The metrics (see
    :func:`fiqa.evaluation.metrics.grouped_metrics`) are written with the absolute ``root``,
    the pairs source and the model to :func:`metrics_path` ``(out)`` (strict JSON: undefined
    rates, e.g. FNMR at an FMR the data cannot support, are ``null``).

    Returns
    -------
    (comparisons, report) : (DataFrame, dict)
    """
    import json

    from fiqa.evaluation.metrics import grouped_metrics
    from fiqa.evaluation.pairs import all_pairs, read_pairs
    from fiqa.recognition import create_embedder

    if (pairs is None) == (all_pairs_cap is None):
        raise ValueError("give either a pairs file (--pairs) or --all-pairs, not both or neither")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"root folder not found: {root}")
    table = read_pairs(pairs) if pairs is not None else all_pairs(root, cap=all_pairs_cap,
                                                                  seed=seed)
    embedder = create_embedder(model)
    cache = EmbeddingCache(cache_dir)
    comparisons = compare_pairs(table, root=root, embedder=embedder, progress=progress,
                                cache=cache, face=face)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    comparisons.to_csv(out, index=False)
    report = {
        "comparisons": str(out.resolve()),
        "root": str(root.resolve()),
        "pairs": str(Path(pairs).resolve()) if pairs is not None else
        f"all-pairs cap={all_pairs_cap} seed={seed}",
        "model": {"name": embedder.name, "sha256": embedder.sha256},
        "face": face,
        "metrics": _json_safe(grouped_metrics(comparisons)),
    }
    metrics_path(out).write_text(json.dumps(report, indent=2, allow_nan=False))
    return comparisons, report


def _json_safe(value):
    """Plain JSON: NaN and infinities become ``None`` (null), recursively."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
