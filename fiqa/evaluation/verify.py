"""Comparison scores for a verification protocol: one cosine similarity per pair."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fiqa.engines import DEFAULT_OPTIONS, EngineOptions
from fiqa.evaluation.embeddings import EmbeddingCache, EmbeddingTable, embed_files
from fiqa.files import atomic_write
from fiqa.recognition import cosine_similarity


def compare_pairs(
    pairs: pd.DataFrame,
    *,
    root: str | os.PathLike,
    model: str = "sface",
    face: str = "largest",
    options: EngineOptions = DEFAULT_OPTIONS,
    cache: EmbeddingCache | None = None,
) -> pd.DataFrame:
    """Score every pair of a protocol (each image embedded once).

    Parameters
    ----------
    pairs : DataFrame
        ``image_a``, ``image_b`` (relative to ``root``, or absolute), ``same``; other
        columns (``fold``, ``protocol``...) are carried over.
    root : path-like
        Folder the image paths are relative to.
    model, face, options, cache
        See :func:`fiqa.evaluation.embeddings.embed_files`.

    Returns
    -------
    DataFrame
        The input columns plus ``score`` (cosine similarity, higher = more alike; NaN when
        an image failed), ``status`` (``"ok"`` / ``"error"``) and ``error`` (which image
        failed and why, e.g. ``"image_b: no face detected"``).

    Examples
    --------
    >>> import tempfile
    >>> pairs = pd.DataFrame({"image_a": ["x.jpg"], "image_b": ["x.jpg"], "same": [True]})
    >>> out = compare_pairs(pairs, root=tempfile.mkdtemp())
    >>> out.loc[0, "status"], out.loc[0, "error"].startswith("image_a: file not found")
    ('error', True)
    """
    check_pairs(pairs)
    root = Path(root)
    full_a = [str(root / path) for path in pairs["image_a"]]
    full_b = [str(root / path) for path in pairs["image_b"]]
    tables = embed_files(full_a + full_b, models=(model,), face=face, options=options,
                         cache=cache)
    return pair_scores(pairs, next(iter(tables.values())), full_a, full_b)


def check_pairs(pairs: pd.DataFrame) -> None:
    """ValueError unless ``pairs`` has the protocol columns ``image_a``, ``image_b``, ``same``."""
    missing = [column for column in ("image_a", "image_b", "same") if column not in pairs]
    if missing:
        raise ValueError(f"pairs table lacks column(s) {missing}")


def pair_scores(pairs: pd.DataFrame, table: EmbeddingTable, keys_a: Sequence[str],
                keys_b: Sequence[str]) -> pd.DataFrame:
    """``pairs`` plus ``score``, ``status``, ``error`` from embeddings in ``table``
    (``keys_a``/``keys_b``: each pair's two rows of the table, by path)."""
    rows_a, rows_b = table.rows(keys_a), table.rows(keys_b)
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


def verify_to_file(
    out: str | os.PathLike,
    *,
    root: str | os.PathLike,
    pairs: str | os.PathLike | None = None,
    all_pairs_cap: int | None = None,
    seed: int = 0,
    model: str = "sface",
    face: str = "largest",
    options: EngineOptions = DEFAULT_OPTIONS,
    cache_dir: str | os.PathLike | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Run a protocol end to end: pairs -> comparison scores (``out``, CSV) -> metrics.

    Exactly one of ``pairs`` (a pairs file, see :func:`fiqa.evaluation.pairs.read_pairs`)
    and ``all_pairs_cap`` (build pairs from identity folders, see
    :func:`fiqa.evaluation.pairs.all_pairs`) is given. The run record
    (:mod:`fiqa.runs`, kind ``verify``) goes to ``out.run.json`` with the metrics (see
    :func:`fiqa.evaluation.metrics.grouped_metrics`) under ``results``; undefined rates,
    e.g. FNMR at an FMR the data cannot support, are ``null``.

    Returns
    -------
    (comparisons, record) : (DataFrame, dict)
    """
    import time

    from fiqa.evaluation.metrics import grouped_metrics
    from fiqa.evaluation.pairs import all_pairs, read_pairs
    from fiqa.recognition import create_embedder
    from fiqa.runs import run_record, status_counts, write_record

    if (pairs is None) == (all_pairs_cap is None):
        raise ValueError("give either a pairs file (--pairs) or --all-pairs, not both or neither")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"root folder not found: {root}")
    started = time.perf_counter()
    table = read_pairs(pairs) if pairs is not None else all_pairs(root, cap=all_pairs_cap,
                                                                  seed=seed)
    embedder = create_embedder(model)
    comparisons = compare_pairs(table, root=root, model=model, face=face, options=options,
                                cache=EmbeddingCache(cache_dir))
    out = Path(out)
    atomic_write(out, lambda path: comparisons.to_csv(path, index=False))
    record = run_record(
        "verify", models={embedder.name: embedder.metadata()}, seed=seed,
        parameters={"comparisons": str(out.resolve()), "root": str(root.resolve()),
                    "pairs": str(Path(pairs).resolve()) if pairs is not None else
                    f"all-pairs cap={all_pairs_cap} seed={seed}",
                    "model": embedder.name, "face": face, **options.record()},
        status_counts=status_counts(comparisons["status"]),
        seconds={"wall": round(time.perf_counter() - started, 3)},
        results={"pairs": len(comparisons), "failed": int((comparisons["status"] != "ok").sum()),
                 "metrics": grouped_metrics(comparisons)})
    write_record(out, record)
    return comparisons, record
