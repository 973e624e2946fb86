"""Geometric measures of ISO/IEC 29794-5: face size and position in the original image.

All values come from the subject's five YuNet landmarks (``ctx.face.landmarks``) in the
pixels of the image as loaded, and from the boxes of every detected face (``ctx.faces``).
``IED`` is the distance between the eye centres; ``T`` (OFIQ's "t-metric") is the distance
from the eye midpoint to the chin.

===========================  ==================================  =============================
measure                      raw value                           scalar (0..100)
===========================  ==================================  =============================
InterEyeDistance             ``IED`` in pixels                   ``100 S(x; 70, 20)``
HeadSize                     ``T / image height``                ``200 (1 - S(|x - 0.45|; 0,
                                                                 0.05))``
LeftwardCropOfTheFaceImage   x of the image-left eye / ``IED``   ``100 S(x; 0.9, 0.1)``
RightwardCropOfTheFaceImage  (width - x of the image-right eye)  ``100 S(x; 0.9, 0.1)``
                             / ``IED``
MarginAboveOfTheFaceImage    y of the eye midpoint / ``T``       ``100 S(x; 1.4, 0.1)``
MarginBelowOfTheFaceImage    (height - y of the eye midpoint)    ``100 S(x; 1.8, 0.1)``
                             / ``T``
SingleFacePresent            ``sqrt(A2 / A1)``: areas of the     ``100 (1 - x)``
                             two largest face boxes (0 = one
                             face; lower is better)
===========================  ==================================  =============================

``S(x; x0, w) = 1 / (1 + exp((x0 - x) / w))``. Definitions and constants are OFIQ's
(``CropOfTheFaceImage.cpp``, ``HeadSize.cpp``, ``InterEyeDistance.cpp``,
``SingleFacePresent.cpp``, ``utils.cpp`` and ``data/ofiq_config.jaxn``); scalars are clipped
to [0, 100] and kept as floats (OFIQ rounds). "Left" and "right" are the image's: the
image-left eye is the subject's right eye, which OFIQ's leftward crop uses.

Deviations from OFIQ:

- YuNet's eye points stand for OFIQ's eye centres (midpoints of the ADNet eye corners).
- OFIQ takes the chin from its 98-point landmarks; we have no chin point and place it on the
  eye-to-mouth line, ``CHIN_PER_EYE_MOUTH = 1.76`` eye-mouth distances below the eye
  midpoint. 1.76 is the ratio in the OpenFace/dlib 68-point mean face shape (chin point 8
  against the eye and mouth-corner centres); the bottom of YuNet's box on LFW faces sits at
  a median 1.77 (checked in ``tests/measures/test_geometric.py``).
- OFIQ divides the inter-eye distance by ``cos(yaw)`` of its head-pose network; we report
  the distance as measured in the image, so it is smaller than OFIQ's for turned heads.
"""

from __future__ import annotations

import numpy as np

from fiqa.context import FaceContext
from fiqa.measures.base import Measure
from fiqa.measures.mapping import sigmoid_scalar

#: Eye-midpoint-to-chin distance per eye-midpoint-to-mouth-centre distance.
CHIN_PER_EYE_MOUTH = 1.76
#: HeadSize's ideal ratio of eye-to-chin distance to image height (OFIQ).
HEAD_SIZE_TARGET = 0.45


def eye_to_chin(landmarks: np.ndarray) -> float:
    """OFIQ's t-metric from five landmarks: estimated eye-midpoint-to-chin distance (px).

    Examples
    --------
    >>> from fiqa.face import ARCFACE_TEMPLATE
    >>> round(eye_to_chin(ARCFACE_TEMPLATE), 1)  # eyes to mouth are 40.7 px apart
    71.6
    """
    points = np.asarray(landmarks, np.float64)
    return CHIN_PER_EYE_MOUTH * float(np.hypot(*(points[3:].mean(0) - points[:2].mean(0))))


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


def _inter_eye_distance(ctx: FaceContext) -> float:
    return ctx.face.inter_eye_distance


def _head_size(ctx: FaceContext) -> float:
    return _ratio(eye_to_chin(ctx.face.landmarks), ctx.image.shape[0])


def _leftward_crop(ctx: FaceContext) -> float:
    return _ratio(float(ctx.face.landmarks[0, 0]), ctx.face.inter_eye_distance)


def _rightward_crop(ctx: FaceContext) -> float:
    return _ratio(ctx.image.shape[1] - float(ctx.face.landmarks[1, 0]),
                  ctx.face.inter_eye_distance)


def _eye_height(ctx: FaceContext) -> float:
    return float(ctx.face.landmarks[:2, 1].mean())


def _margin_above(ctx: FaceContext) -> float:
    return _ratio(_eye_height(ctx), eye_to_chin(ctx.face.landmarks))


def _margin_below(ctx: FaceContext) -> float:
    return _ratio(ctx.image.shape[0] - _eye_height(ctx), eye_to_chin(ctx.face.landmarks))


def _single_face_present(ctx: FaceContext) -> float:
    areas = sorted((face.area for face in ctx.faces), reverse=True)
    if len(areas) < 2:
        return 0.0
    return float(np.sqrt(_ratio(areas[1], areas[0])))


def _head_size_scalar(raw: np.ndarray) -> np.ndarray:
    distance = np.abs(np.asarray(raw, np.float64) - HEAD_SIZE_TARGET)
    return sigmoid_scalar(distance, x0=0.0, w=0.05, h=200.0, a=1.0, s=-1.0)


def _crop_scalar(x0: float):
    return lambda raw: sigmoid_scalar(raw, x0=x0, w=0.1)


MEASURES: tuple[Measure, ...] = (
    Measure("InterEyeDistance", _inter_eye_distance,
            lambda raw: sigmoid_scalar(raw, x0=70.0, w=20.0),
            "Distance between the eye centres in pixels of the original image."),
    Measure("HeadSize", _head_size, _head_size_scalar,
            "Estimated eye-to-chin distance over image height (best 0.45)."),
    Measure("LeftwardCropOfTheFaceImage", _leftward_crop, _crop_scalar(0.9),
            "Distance from the image's left edge to the nearer eye, in inter-eye distances."),
    Measure("RightwardCropOfTheFaceImage", _rightward_crop, _crop_scalar(0.9),
            "Distance from the image's right edge to the nearer eye, in inter-eye distances."),
    Measure("MarginAboveOfTheFaceImage", _margin_above, _crop_scalar(1.4),
            "Distance from the top edge to the eyes, in eye-to-chin distances."),
    Measure("MarginBelowOfTheFaceImage", _margin_below, _crop_scalar(1.8),
            "Distance from the eyes to the bottom edge, in eye-to-chin distances."),
    Measure("SingleFacePresent", _single_face_present,
            lambda raw: np.clip(100.0 * (1.0 - np.asarray(raw, np.float64)), 0.0, 100.0),
            "sqrt of second-largest over largest face-box area (0 = a single face)."),
)
