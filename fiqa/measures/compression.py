"""``CompressionArtifacts``: a small CNN, trained by fiqa, predicts the SSIM of a face crop.

The model (``models/compression/``, see its card) sees a square crop of the image at its
**native pixel scale** - no resampling, no rotation - centred on the mean of the five
landmarks. Resampling would smear the 8x8 JPEG block grid and the JPEG 2000 ringing the
network looks for, so the crop is cut straight out of ``ctx.image`` (edge pixels repeated
where it leaves the image). Its raw output is the predicted SSIM between the crop and the
same crop before compression (1 = untouched); the 0-100 scalar is the ISO/IEC 29794-5
sigmoid of it, anchored to what compression does to face recognition: 50 where
recognition starts to suffer, about 90 for an ordinary photograph's JPEG compression
(values and their measurement in the card's ``scalar_mapping``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fiqa.context import FaceContext
from fiqa.measures.base import CropModel
from fiqa.measures.mapping import sigmoid_scalar

#: Side of the square crop the model sees, in image pixels (also in the model card).
CROP_SIZE = 96


def crop_box(image: np.ndarray, *, left: int, top: int, size: int) -> np.ndarray:
    """``image[top:top+size, left:left+size]`` with edge pixels repeated outside the image.

    Examples
    --------
    >>> img = np.arange(16, dtype=np.uint8).reshape(4, 4, 1).repeat(3, axis=2)
    >>> crop_box(img, left=-1, top=2, size=3)[..., 0].tolist()
    [[8, 8, 9], [12, 12, 13], [12, 12, 13]]
    """
    if size < 1:
        raise ValueError(f"crop size must be a positive number of pixels, got {size}")
    height, width = image.shape[:2]
    rows = np.clip(np.arange(top, top + size), 0, height - 1)
    cols = np.clip(np.arange(left, left + size), 0, width - 1)
    return image[rows[:, None], cols[None, :]]


def crop_origin(landmarks: np.ndarray, *, size: int = CROP_SIZE) -> tuple[int, int]:
    """Top-left corner ``(left, top)`` of the ``size`` crop centred on the landmarks' mean."""
    centre = np.asarray(landmarks, np.float64).reshape(-1, 2).mean(axis=0)
    return int(np.floor(centre[0] - size / 2 + 0.5)), int(np.floor(centre[1] - size / 2 + 0.5))


def compression_crop(
    image: np.ndarray, landmarks: np.ndarray, *, size: int = CROP_SIZE
) -> np.ndarray:
    """The model's input: a native-scale ``size`` square centred on the five landmarks.

    Parameters
    ----------
    image : ndarray of uint8, (H, W, 3)
        The whole RGB image, as decoded (not resampled).
    landmarks : ndarray, (5, 2)
        The face's landmarks in ``image`` pixels.
    size : int, optional
        Crop side in pixels.

    Examples
    --------
    >>> from fiqa.face import ARCFACE_TEMPLATE
    >>> compression_crop(np.zeros((200, 200, 3), np.uint8), ARCFACE_TEMPLATE + 40).shape
    (96, 96, 3)
    """
    left, top = crop_origin(landmarks, size=size)
    return crop_box(image, left=left, top=top, size=size)


class CompressionScorer(CropModel):
    """Batched onnxruntime scorer for ``CompressionArtifacts``.

    ``predict`` (from :class:`~fiqa.measures.base.CropModel`) gives the predicted SSIM
    of crops; ``raw`` is that of each context's crop (0..1, higher = less damaged). ``scalar`` is
    ``sigmoid_scalar(raw, x0=threshold, w=width)`` with both numbers read from the model
    card (``scalar_mapping``): 50 where compression starts to cost recognition, about 90
    for ordinary photographic JPEG, towards 100 for untouched faces, towards 0 for heavy
    compression.

    Examples
    --------
    >>> from fiqa.face import ARCFACE_TEMPLATE, Face
    >>> from skimage import data
    >>> face = Face(np.array([0, 0, 1, 1], np.float32), ARCFACE_TEMPLATE * 2 + 120, 1.0)
    >>> ctx = FaceContext.build(data.astronaut(), [face])
    >>> scorer = CompressionScorer()
    >>> raw = scorer.raw([ctx])["CompressionArtifacts"]
    >>> bool(0.0 <= raw[0] <= 1.0)
    True
    """

    family = "compression"
    measures = ("CompressionArtifacts",)

    def __init__(self, *, batch_size: int = 64):
        super().__init__("compression", batch_size=batch_size,
                         hint="cut them with compression_crop()")
        self.threshold = float(self.card["scalar_mapping"]["x0"])
        self.width = float(self.card["scalar_mapping"]["w"])

    def raw(self, contexts: Sequence[FaceContext]) -> dict[str, np.ndarray]:
        size = self.crop_size
        crops = np.zeros((len(contexts), size, size, 3), np.uint8)
        for i, ctx in enumerate(contexts):
            crops[i] = compression_crop(ctx.image, ctx.face.landmarks, size=size)
        return {"CompressionArtifacts": self.predict(crops)}

    def scalar(self, measure: str, raw: np.ndarray) -> np.ndarray:
        if measure != "CompressionArtifacts":
            raise ValueError(f"the compression scorer has no measure {measure!r}")
        return sigmoid_scalar(raw, x0=self.threshold, w=self.width)

    def metadata(self) -> dict:
        return {
            "family": self.family,
            "model": self.model.path.name,
            "model_sha256": self.model.sha256,
            "crop_size": self.crop_size,
            "scalar_x0": self.threshold,
            "scalar_w": self.width,
        }
