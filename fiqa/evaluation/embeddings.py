"""Embeddings of many image files, each embedded once, through :mod:`fiqa.pipeline`.

An image that cannot be embedded gets a row with ``status="error"`` (unreadable file) or
``"no_face"`` and a reason instead of an embedding, so callers can keep going and
report it. Results can be kept in an :class:`EmbeddingCache` (in memory, optionally on
disk) keyed by the file's absolute path, modification time and size, and by the models used.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fiqa.engines import DEFAULT_OPTIONS, EngineOptions, run_pipeline
from fiqa.pipeline import Item, PipelineSpec, Record


@dataclass
class EmbeddingTable:
    """Embeddings of a list of images, in input order.

    Attributes
    ----------
    paths : list of str
        The images, as given.
    embeddings : ndarray of float32, (N, D)
        Unit vectors; rows of failed images are NaN.
    status : ndarray of str, (N,)
        ``"ok"``, ``"no_face"`` or ``"error"`` (as in ``fiqa score`` tables).
    error : list of str
        Empty for ``"ok"`` rows, otherwise why the image has no embedding.
    model : str
        The recognizer's name.
    norms : ndarray of float32, (N,)
        Length of the recognizer's raw output (NaN for failed images).
    """

    paths: list[str]
    embeddings: np.ndarray
    status: np.ndarray
    error: list[str]
    model: str = ""
    norms: np.ndarray | None = None
    _rows: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self._rows = {path: row for row, path in enumerate(self.paths)}

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of the images that have an embedding."""
        return self.status == "ok"

    def rows(self, paths: Iterable[str | os.PathLike]) -> np.ndarray:
        """Row indices of ``paths`` (each must be one of :attr:`paths`)."""
        try:
            return np.array([self._rows[str(path)] for path in paths], dtype=np.int64)
        except KeyError as exc:
            raise KeyError(f"{exc.args[0]} was not embedded in this table") from None

    def to_frame(self) -> pd.DataFrame:
        """One row per image: ``path``, ``status``, ``error``."""
        return pd.DataFrame({"path": self.paths, "status": self.status, "error": self.error})


class EmbeddingCache:
    """Embeddings already computed, keyed by file identity and by model.

    Parameters
    ----------
    directory : path-like, optional
        If given, entries are also read from and written to ``<directory>/<model-key>.npz``
        (written by :meth:`save`); otherwise the cache lives in memory only.

    Examples
    --------
    >>> cache = EmbeddingCache()
    >>> cache.get("model", "missing.jpg") is None
    True
    """

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = Path(directory) if directory is not None else None
        self._entries: dict[str, dict[str, tuple[np.ndarray | None, str]]] = {}
        self._dirty: set[str] = set()

    def get(self, model_key: str, path: str | os.PathLike):
        """``(embedding or None, error)`` for a file that has not changed, else ``None``."""
        key = _file_key(path)
        return None if key is None else self._model(model_key).get(key)

    def put(self, model_key: str, path: str | os.PathLike, embedding: np.ndarray | None,
            error: str) -> None:
        key = _file_key(path)
        if key is not None:
            self._model(model_key)[key] = (embedding, error)
            self._dirty.add(model_key)

    def save(self) -> None:
        """Write changed models' entries to the cache directory (atomically, per model),
        merged with entries another process may have written since this one read the file."""
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for model_key in sorted(self._dirty):
            entries = {**self._load(model_key), **self._entries[model_key]}
            self._entries[model_key] = entries
            keys = list(entries)
            dims = {len(vec) for vec, _ in entries.values() if vec is not None} or {0}
            vectors = np.full((len(keys), max(dims)), np.nan, np.float32)
            for row, key in enumerate(keys):
                if entries[key][0] is not None:
                    vectors[row] = entries[key][0]
            target = self.directory / f"{model_key}.npz"
            temporary = target.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(temporary, keys=np.array(keys, dtype=str), vectors=vectors,
                     errors=np.array([entries[key][1] for key in keys], dtype=str))
            os.replace(temporary, target)
        self._dirty.clear()

    def _model(self, model_key: str) -> dict:
        if model_key not in self._entries:
            self._entries[model_key] = self._load(model_key)
        return self._entries[model_key]

    def _load(self, model_key: str) -> dict:
        if self.directory is None or not (self.directory / f"{model_key}.npz").is_file():
            return {}
        with np.load(self.directory / f"{model_key}.npz") as stored:
            return {
                str(key): (None if error else vector, str(error))
                for key, vector, error in zip(stored["keys"], stored["vectors"], stored["errors"])
            }


def embed_files(
    paths: Sequence[str | os.PathLike],
    *,
    models: Sequence[str] = ("sface",),
    face: str = "largest",
    options: EngineOptions = DEFAULT_OPTIONS,
    cache: EmbeddingCache | None = None,
) -> dict[str, EmbeddingTable]:
    """Embed image files with one or more recognizers, each distinct path once.

    Parameters
    ----------
    paths : sequence of path-like
        Image files; repeats are embedded once and share a row.
    models : sequence of str
        Recognizers (:func:`fiqa.recognition.create_embedder` names or ONNX paths).
    face : {"largest", "central"}
        The subject rule (:data:`fiqa.face.FACE_CHOICES`), as in ``fiqa score``.
    options : EngineOptions
        Engine, workers, batch size and progress bar.
    cache : EmbeddingCache, optional
        Reuse and store results (skips files that have not changed since they were cached).

    Returns
    -------
    dict of str to EmbeddingTable
        Per recognizer name: one row per distinct path, in first-seen order.

    Examples
    --------
    >>> import tempfile
    >>> bad = Path(tempfile.mkdtemp()) / "bad.jpg"
    >>> _ = bad.write_bytes(b"not an image")
    >>> table = embed_files([bad])["sface"]
    >>> table.status.tolist(), table.error[0].startswith("not a recognised image format")
    (['error'], True)
    """
    from fiqa.recognition import create_embedder

    spec = PipelineSpec(measures=(), recognizers=tuple(models), face=face)
    unique = list(dict.fromkeys(str(path) for path in paths))
    embedders = [create_embedder(model) for model in models]  # each opened once, for its key
    keys = {embedder.name: embedding_model_key(embedder, face=face) for embedder in embedders}
    found = {name: {} for name in keys}
    todo = [row for row, path in enumerate(unique)
            if cache is None or not _take_cached(cache, keys, path, row, found)]
    run = run_pipeline([Item(unique[row], path=unique[row]) for row in todo], spec, options,
                       desc="embedding")
    for row, record in zip(todo, run.records):
        for name, key in keys.items():
            found[name][row] = _outcome(record, name)
            if cache is not None:
                cache.put(key, unique[row], *found[name][row][:2])
    if cache is not None:
        cache.save()
    return {name: _table(unique, found[name], model=name) for name in keys}


def _take_cached(cache: EmbeddingCache, keys: dict, path: str, row: int, found: dict) -> bool:
    hits = {name: cache.get(key, path) for name, key in keys.items()}
    if any(hit is None for hit in hits.values()):
        return False
    for name, (vector, error) in hits.items():
        status = "ok" if vector is not None else ("no_face" if "no face" in error else "error")
        found[name][row] = (vector, error, status, np.nan)
    return True


def _outcome(record: Record, name: str) -> tuple:
    """(unit embedding or None, error, status, norm) of one record for one recognizer."""
    if record.ok and name in record.embeddings:
        return record.embeddings[name], "", "ok", record.norms[name]
    return None, record.error, record.status, np.nan


def embedding_model_key(model, *, face: str = "largest") -> str:
    """A file-name-safe key naming the recognizer (a name, ONNX path or embedder: its
    metadata, so weights, crop and settings), the detector and the face rule used."""
    from fiqa.face import SCORE_THRESHOLD
    from fiqa.models import packaged_model
    from fiqa.recognition import create_embedder

    embedder = create_embedder(model) if isinstance(model, str) else model
    # the whole recipe, not only the weights: a recognizer's crop or settings change its output
    recipe = hashlib.sha256(json.dumps(embedder.metadata(), sort_keys=True).encode()).hexdigest()
    detector_sha256 = packaged_model("yunet").sha256
    return (f"{recipe[:16]}-{detector_sha256[:12]}-"
            f"{SCORE_THRESHOLD}-{face}").replace(os.sep, "_")


def _table(paths: list[str], found: dict, *, model: str) -> EmbeddingTable:
    dims = {len(vector) for vector, *_ in found.values() if vector is not None}
    embeddings = np.full((len(paths), max(dims, default=0)), np.nan, np.float32)
    norms = np.full(len(paths), np.nan, np.float32)
    status, errors = [], []
    for row in range(len(paths)):
        vector, error, state, norm = found[row]
        if vector is not None:
            embeddings[row] = vector
        norms[row] = norm
        status.append(state)
        errors.append(error)
    return EmbeddingTable(paths=paths, embeddings=embeddings, status=np.array(status, str),
                          error=errors, model=model, norms=norms)


def _file_key(path: str | os.PathLike) -> str | None:
    try:
        absolute = Path(path).resolve()
        stat = absolute.stat()
    except OSError:
        return None
    return f"{absolute}|{stat.st_mtime_ns}|{stat.st_size}"
