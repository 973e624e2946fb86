"""Embed many images once each: load, detect, align to 112 px, run the recognizer in batches.

An image that cannot be embedded gets a row with ``status="error"`` (unreadable file) or
``"no_face"`` and a reason instead of an embedding, so callers can keep going and
report it. Results can be kept in an :class:`EmbeddingCache` (in memory, optionally on
disk) keyed by the file's absolute path, modification time and size, and by the models used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fiqa.face import Face, FaceDetector, align_face
from fiqa.io import load_image
from fiqa.recognition import Embedder

NO_FACE = "no face detected"

#: Which detected face is the subject: the largest (fiqa's convention, as in ``fiqa score``)
#: or the one whose box centre is nearest the image centre (LFW and other centred crops).
FACE_CHOICES = ("largest", "central")


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
    """

    paths: list[str]
    embeddings: np.ndarray
    status: np.ndarray
    error: list[str]
    model: str = ""
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


def embed_images(
    paths: Sequence[str | os.PathLike],
    *,
    embedder: Embedder,
    detector: FaceDetector | None = None,
    batch_size: int = 64,
    progress: bool = True,
    cache: EmbeddingCache | None = None,
    face: str = "largest",
) -> EmbeddingTable:
    """Embed image files, each distinct path once.

    Each image is loaded (:func:`fiqa.io.load_image`), its faces detected, the subject's
    face (see ``face``) aligned to the recognizer's input (:func:`fiqa.face.align_face`)
    and embedded in batches.

    Parameters
    ----------
    paths : sequence of path-like
        Image files; repeats are embedded once and share a row.
    embedder : Embedder
        Recognizer, e.g. :func:`fiqa.recognition.sface`.
    detector : FaceDetector, optional
        Defaults to a new YuNet :class:`~fiqa.face.FaceDetector`.
    batch_size : int
        Aligned faces per call to ``embedder.embed``.
    progress : bool
        Show a progress bar (only when stderr is a terminal).
    cache : EmbeddingCache, optional
        Reuse and store results (skips files that have not changed since they were cached).
    face : {"largest", "central"}
        Which detected face is the subject, see :data:`FACE_CHOICES`.

    Returns
    -------
    EmbeddingTable
        One row per distinct path, in first-seen order.

    Examples
    --------
    >>> import tempfile
    >>> from fiqa.recognition import sface
    >>> bad = Path(tempfile.mkdtemp()) / "bad.jpg"
    >>> _ = bad.write_bytes(b"not an image")
    >>> table = embed_images([bad], embedder=sface(), progress=False)
    >>> table.status.tolist(), table.error[0].startswith("not a recognised image format")
    (['error'], True)
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    _check_face_choice(face)
    unique = list(dict.fromkeys(str(path) for path in paths))
    detector = detector if detector is not None else FaceDetector()
    model_key = embedding_model_key(embedder, detector, face=face)
    found: dict[int, tuple[np.ndarray | None, str]] = {}
    todo = []
    for row, path in enumerate(unique):
        hit = cache.get(model_key, path) if cache is not None else None
        if hit is None:
            todo.append(row)
        else:
            found[row] = hit
    found.update(_embed_rows(todo, lambda row: load_image(unique[row]), embedder=embedder,
                             detector=detector, batch_size=batch_size, progress=progress,
                             face=face))
    if cache is not None:
        for row in todo:
            cache.put(model_key, unique[row], *found[row])
        cache.save()
    return _table(unique, found, model=getattr(embedder, "name", ""))


def embedding_model_key(embedder: Embedder, detector: FaceDetector, *,
                        face: str = "largest") -> str:
    """A file-name-safe key naming the recognizer, detector settings and face choice used."""
    detector_sha = getattr(getattr(detector, "model", None), "sha256", "custom")
    threshold = getattr(detector, "score_threshold", "")
    suffix = "" if face == "largest" else f"-{face}"
    return (f"{embedder.sha256[:16]}-{embedder.input_size}-{detector_sha[:12]}-"
            f"{threshold}{suffix}").replace(os.sep, "_")


def embed_arrays(
    images: Sequence[np.ndarray],
    *,
    embedder: Embedder,
    detector: FaceDetector | None = None,
    batch_size: int = 64,
    progress: bool = False,
    names: Sequence[str] | None = None,
    face: str = "largest",
) -> EmbeddingTable:
    """Embed in-memory RGB ``uint8`` images (e.g. perturbed copies), like :func:`embed_images`.

    ``names`` label the rows (default ``"image 0"``, ``"image 1"``...); nothing is cached.
    An array that is not RGB ``uint8`` (H, W, 3) gets an error row.

    Examples
    --------
    >>> from fiqa.recognition import sface
    >>> table = embed_arrays([np.zeros((64, 64, 3), np.uint8)], embedder=sface())
    >>> table.paths, table.status.tolist(), table.error
    (['image 0'], ['no_face'], ['no face detected'])
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    names = [f"image {index}" for index in range(len(images))] if names is None else list(names)
    if len(names) != len(images):
        raise ValueError(f"got {len(names)} names for {len(images)} images")
    if len(set(names)) != len(names):
        raise ValueError("names must be distinct")
    _check_face_choice(face)
    detector = detector if detector is not None else FaceDetector()
    found = _embed_rows(range(len(images)), lambda row: images[row], embedder=embedder,
                        detector=detector, batch_size=batch_size, progress=progress, face=face)
    return _table(names, found, model=getattr(embedder, "name", ""))


def subject_face(faces: list[Face], shape: tuple[int, ...], *, face: str = "largest") -> Face:
    """The subject among detected faces (largest first, as the detector returns them).

    Examples
    --------
    >>> small = Face(np.array([90, 90, 20, 20.]), np.zeros((5, 2)), 0.9)
    >>> big = Face(np.array([0, 0, 60, 60.]), np.zeros((5, 2)), 0.9)
    >>> subject_face([big, small], (200, 200, 3), face="central") is small
    True
    """
    if face == "largest":
        return faces[0]
    centre = np.array([shape[1], shape[0]], np.float64) / 2
    return min(faces, key=lambda f: float(np.linalg.norm(f.box[:2] + f.box[2:] / 2 - centre)))


def _check_face_choice(face: str) -> None:
    if face not in FACE_CHOICES:
        raise ValueError(f"face must be one of {FACE_CHOICES}, got {face!r}")


def _embed_rows(rows: Iterable[int], load: Callable[[int], np.ndarray], *, embedder: Embedder,
                detector: FaceDetector, batch_size: int, progress: bool, face: str) -> dict:
    """row -> (embedding or None, error) for each row; faces are embedded in batches."""
    rows = list(rows)
    found: dict[int, tuple[np.ndarray | None, str]] = {}
    crops, crop_rows = [], []

    def flush() -> None:
        for row, vector in zip(crop_rows, embedder.embed(np.stack(crops))):
            found[row] = (vector, "")
        crops.clear()
        crop_rows.clear()

    for row in _progress(rows, enabled=progress, total=len(rows)):
        try:  # ImageLoadError (unreadable file) and non-RGB arrays are ValueErrors
            image = load(row)
            faces = detector.detect(image)
        except ValueError as exc:
            found[row] = (None, str(exc))
            continue
        if not faces:
            found[row] = (None, NO_FACE)
            continue
        subject = subject_face(faces, image.shape, face=face)
        crops.append(align_face(image, subject.landmarks, size=embedder.input_size))
        crop_rows.append(row)
        if len(crops) >= batch_size:
            flush()
    if crops:
        flush()
    return found


def _table(paths: list[str], found: dict, *, model: str) -> EmbeddingTable:
    dims = {len(vector) for vector, _ in found.values() if vector is not None}
    embeddings = np.full((len(paths), max(dims, default=0)), np.nan, np.float32)
    status = np.full(len(paths), "error", dtype=object)
    errors = []
    for row in range(len(paths)):
        vector, error = found[row]
        if vector is not None:
            embeddings[row] = vector
            status[row] = "ok"
        elif error == NO_FACE:
            status[row] = "no_face"
        errors.append(error)
    return EmbeddingTable(paths=paths, embeddings=embeddings, status=status.astype(str),
                          error=errors, model=model)


def _file_key(path: str | os.PathLike) -> str | None:
    try:
        absolute = Path(path).resolve()
        stat = absolute.stat()
    except OSError:
        return None
    return f"{absolute}|{stat.st_mtime_ns}|{stat.st_size}"


def _progress(items: list, *, enabled: bool, total: int):
    if not (enabled and sys.stderr.isatty()):
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, unit="img", desc="embedding")
