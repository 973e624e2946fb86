"""``BackgroundUniformity``: mean luminance gradient over the background around the head.

OFIQ's recipe (``BackgroundUniformity.cpp``), with MediaPipe's selfie segmentation
(``models/selfie_segmentation/``) in place of OFIQ's face-parsing network:

1. Warp the image onto OFIQ's aligned canvas (the five landmarks onto OFIQ's reference
   points, 616x616) and keep its region x in [62, 554), y in [0, 508) - the head and
   shoulders - at :data:`CANVAS_SCALE` of OFIQ's resolution (354 px wide, as OFIQ
   resamples to). Pixels that fall outside the photograph are marked as padding.
2. Segment the person (the model sees the canvas at 256x256; a pixel is background when
   its person probability is below 0.5), drop padding, erode with a 4x4 kernel.
3. Raw value: the mean Scharr gradient magnitude (OpenCV ``Sobel`` with ``ksize=-1``) of
   the luminance (0..255) over the background pixels; NaN when no background is left.
4. Scalar: ``190 (1 - S(x; 10, 100))``, clipped to [0, 100] (OFIQ's constants).

Deviation from OFIQ: the person mask comes from a selfie segmentation model, whose
"person" covers hair, neck and clothes as OFIQ's non-background face-parsing classes do;
the canvas is built from YuNet's five landmarks rather than ADNet's.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from fiqa.context import FaceContext
from fiqa.face import similarity_matrix
from fiqa.measures.mapping import sigmoid_scalar
from fiqa.measures.photometric import relative_luminance

#: OFIQ's reference points on its 616x616 aligned canvas (eyes, nose tip, mouth corners,
#: in fiqa's landmark order).
OFIQ_REFERENCE = np.array([[251, 272], [364, 272], [308, 336], [262, 402], [355, 402]], np.float64)
#: The part of OFIQ's canvas that BackgroundUniformity looks at: (left, top, right, bottom).
OFIQ_REGION = (62, 0, 554, 508)
CANVAS_SCALE = 354 / 492
SEGMENTATION_SIZE = 256
EROSION = 4


def background_canvas(image: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The head-and-shoulders canvas of :data:`OFIQ_REGION` and its padding mask (True =
    outside the photograph).

    Examples
    --------
    >>> from fiqa.face import ARCFACE_TEMPLATE
    >>> canvas, padding = background_canvas(np.zeros((150, 150, 3), np.uint8), ARCFACE_TEMPLATE + 20)
    >>> canvas.shape, bool(padding.any())
    ((366, 354, 3), True)
    """
    left, top, right, bottom = OFIQ_REGION
    target = (OFIQ_REFERENCE - [left, top]) * CANVAS_SCALE
    size = (round((right - left) * CANVAS_SCALE), round((bottom - top) * CANVAS_SCALE))
    matrix = similarity_matrix(landmarks, target)
    canvas = cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpAffine(np.ones(image.shape[:2], np.uint8), matrix, size, flags=cv2.INTER_NEAREST,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return canvas, inside == 0


def luminance_gradient(canvas: np.ndarray) -> np.ndarray:
    """Scharr gradient magnitude of the canvas's luminance (0..255 scale), float32."""
    luminance = relative_luminance(canvas).astype(np.float32)
    gx = cv2.Sobel(luminance, cv2.CV_32F, 1, 0, ksize=-1)
    gy = cv2.Sobel(luminance, cv2.CV_32F, 0, 1, ksize=-1)
    return np.sqrt(gx * gx + gy * gy)


def background_uniformity(canvas: np.ndarray, person: np.ndarray, padding: np.ndarray) -> float:
    """Mean gradient over background pixels: ``person`` is the person probability on the
    canvas grid, ``padding`` the pixels outside the photograph."""
    background = ((person < 0.5) & ~padding).astype(np.uint8)
    background = cv2.erode(background, np.ones((EROSION, EROSION), np.uint8))
    if not background.any():
        return float("nan")
    return float(luminance_gradient(canvas)[background.astype(bool)].mean())


class BackgroundScorer:
    """The ``background`` family: ``BackgroundUniformity`` with the selfie segmentation model.

    Examples
    --------
    >>> from skimage import data
    >>> from fiqa.face import FaceDetector
    >>> image = data.astronaut()
    >>> ctx = FaceContext.build(image, FaceDetector().detect(image))
    >>> raw = BackgroundScorer().raw([ctx])["BackgroundUniformity"]
    >>> bool(0 < raw[0] < 100)
    True
    """

    family = "background"
    measures = ("BackgroundUniformity",)

    def __init__(self):
        from fiqa.models import onnx_session, shipped_model

        self.model = shipped_model("selfie_segmentation")
        self._session = onnx_session(self.model.path, threads=1)  # one image per run
        self._input = self._session.get_inputs()[0].name

    def person_mask(self, canvas: np.ndarray) -> np.ndarray:
        """Person probability (0..1) on ``canvas``'s grid, for an RGB ``uint8`` canvas."""
        small = cv2.resize(canvas, (SEGMENTATION_SIZE, SEGMENTATION_SIZE), interpolation=cv2.INTER_AREA)
        (mask,) = self._session.run(None, {self._input: (small.astype(np.float32) / 255.0)[None]})
        return cv2.resize(mask[0, :, :, 0], canvas.shape[1::-1], interpolation=cv2.INTER_LINEAR)

    def _raw_one(self, ctx: FaceContext) -> float:
        canvas, padding = background_canvas(ctx.image, ctx.face.landmarks)
        return background_uniformity(canvas, self.person_mask(canvas), padding)

    def raw(self, contexts: Sequence[FaceContext]) -> dict[str, np.ndarray]:
        return {"BackgroundUniformity": np.array([self._raw_one(ctx) for ctx in contexts], np.float64)}

    def scalar(self, measure: str, raw: np.ndarray) -> np.ndarray:
        return sigmoid_scalar(raw, x0=10.0, w=100.0, h=190.0, a=1.0, s=-1.0)

    def metadata(self) -> dict:
        return {"family": self.family, "model": self.model.name, "sha256": self.model.sha256}
