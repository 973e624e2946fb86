"""Geometric measures of ISO/IEC 29794-5: face size and position in the original image.

The eye centres and the chin come from the subject's 468-point face mesh (``ctx.mesh``,
:mod:`fiqa.mesh`, computed once per face and shared with ``EyesOpen``, ``MouthClosed`` and
``HeadPosePitch``) in the pixels of the image as loaded: each eye centre is the midpoint of
its two corners (mesh points 33/133 and 263/362), the chin is point 152. ``IED`` is the
distance between the eye centres; ``T`` (OFIQ's "t-metric") is the distance from their
midpoint to the chin. ``SingleFacePresent`` uses the boxes of every detected face
(``ctx.faces``).

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
image-left eye is the subject's right eye, the eye nearer the left edge. A mesh with NaN
points gives NaN for every measure but ``SingleFacePresent``, as does a ratio over a zero
distance; a low face-presence probability of the mesh does not (as for ``EyesOpen``).

Why the mesh (``python benchmarks/geometric_mesh.py``: 575 LFW photos, the first of every
10th person, and the 200 frontal and 80 profile photos of CFP identities 001-020). Against
an independent landmarker, dlib's 68-point shape predictor (trained on 300-W annotations;
another model, not ground truth, used only for this check and not shipped), the mesh
agrees clearly better than the 5-point estimates fiqa used before (YuNet's eye points, and
a chin placed 1.76 eye-to-mouth distances below the eye midpoint). Median / 90th
percentile absolute difference from dlib-68 on LFW and CFP frontal photos:

- ``T``: mesh 2.2-2.7 % / 5.6-6.9 %, 5-point 4.4 % / 10.3-10.8 %; correlation with
  dlib-68 over face-box width 0.72-0.87 against 0.58-0.59.
- ``IED``: mesh 2.9-3.5 % / 7.6-10.1 % (it reads 2.6-3.1 % wider than dlib-68), 5-point
  7.3 % / 16-17 % (YuNet's eye points sit 6 % wider); correlation 0.72 against 0.05-0.44.
- each eye centre: mesh 2.6-3.6 % of ``IED`` from dlib-68's, 5-point 7.1-9.4 %.

On CFP profiles every landmarker is poor (dlib-68 too): ``T`` differs from dlib-68 by a
median 7 % with the mesh and 16 % with the 5-point estimate, ``IED`` by 35 % and 39 %.

Deviations from OFIQ:

- The landmarks are MediaPipe's mesh, seeded by the YuNet face, not OFIQ's 98 ADNet
  landmarks (eye corners 60/64 and 68/72, chin 16); both mark eye corners and the chin, so
  the definitions carry over, but the points are placed by another model. OFIQ rounds the
  eye centres to whole pixels; we keep them as floats.
- OFIQ divides the inter-eye distance by ``cos(yaw)`` of its head-pose network; we report
  the distance as measured in the image, so it is smaller than OFIQ's for turned heads.
- Each crop measure uses the eye nearer its edge. OFIQ's ``CropOfTheFaceImage.cpp``, as we
  read it, takes the other one: its leftward crop divides the x of ``rightEyeCenter`` (ADNet corners
  68/72, which ADNet's face map, ``adnet_FaceMap.h``, calls the eye on the image's right),
  and its rightward crop measures from the image-left eye, so OFIQ's raw crop values are
  about one ``IED`` larger than ours on a frontal face.
"""

from __future__ import annotations

import numpy as np

from fiqa.context import FaceContext
from fiqa.measures.base import Measure
from fiqa.measures.mapping import sigmoid_scalar

#: HeadSize's ideal ratio of eye-to-chin distance to image height (OFIQ).
HEAD_SIZE_TARGET = 0.45


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


def _inter_eye_distance(ctx: FaceContext) -> float:
    return ctx.mesh.inter_eye_distance()


def _head_size(ctx: FaceContext) -> float:
    return _ratio(ctx.mesh.eye_to_chin(), ctx.image.shape[0])


def _leftward_crop(ctx: FaceContext) -> float:
    return _ratio(float(ctx.mesh.eye_centres()[0, 0]), ctx.mesh.inter_eye_distance())


def _rightward_crop(ctx: FaceContext) -> float:
    return _ratio(ctx.image.shape[1] - float(ctx.mesh.eye_centres()[1, 0]),
                  ctx.mesh.inter_eye_distance())


def _eye_height(ctx: FaceContext) -> float:
    return float(ctx.mesh.eye_centres()[:, 1].mean())


def _margin_above(ctx: FaceContext) -> float:
    return _ratio(_eye_height(ctx), ctx.mesh.eye_to_chin())


def _margin_below(ctx: FaceContext) -> float:
    return _ratio(ctx.image.shape[0] - _eye_height(ctx), ctx.mesh.eye_to_chin())


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
            "Eye-to-chin distance over image height (best 0.45)."),
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
