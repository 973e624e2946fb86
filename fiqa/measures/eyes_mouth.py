"""``EyesOpen`` and ``MouthClosed`` from the dense face mesh (:mod:`fiqa.mesh`).

OFIQ's definitions (``EyesOpen.cpp``, ``MouthClosed.cpp``), with MediaPipe's mesh points
standing for OFIQ's 98 ADNet landmarks:

==============  ==========================================  ==============================
measure         raw value                                   scalar (0..100)
==============  ==========================================  ==============================
EyesOpen        the smaller of the two eyes' largest        ``100 S(x; 0.02, 0.01)``
                upper-to-lower lid distance, over ``T``
MouthClosed     the largest distance between the inner      ``100 (1 - S(x; 0.2, 0.06))``
                lips, over ``T``
==============  ==========================================  ==============================

``T`` (OFIQ's t-metric) is the distance from the midpoint of the eye centres (each the
midpoint of its corners) to the chin (mesh point 152); ``S(x; x0, w) = 1 / (1 +
exp((x0 - x) / w))``. The lid and lip pairs are listed in :mod:`fiqa.mesh`: three
upper/lower pairs per eye and three across the inner lips, as in ADNet's 98 points.

Deviations from OFIQ: the landmarks are MediaPipe's mesh, not ADNet's (so the raw values
sit on a slightly different scale: see ``models/face_mesh/README.md`` for their
distribution on hand-labelled open and closed eyes and mouths); OFIQ measures the eyes on
its aligned image, we in the original image (the ratios are invariant to the similarity
alignment). ``EyesVisible`` needs an occlusion segmentation as well: it is the
``occlusion`` family (:mod:`fiqa.measures.occlusion`).
"""

from __future__ import annotations

from fiqa.context import FaceContext
from fiqa.measures.base import Measure
from fiqa.measures.mapping import sigmoid_scalar
from fiqa.mesh import INNER_LIPS, LEFT_EYE, RIGHT_EYE


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


def eyes_open(ctx: FaceContext) -> float:
    """The less open eye's lid gap over the eye-to-chin distance (OFIQ ``EyesOpen`` raw)."""
    mesh = ctx.mesh
    return _ratio(min(mesh.max_opening(RIGHT_EYE), mesh.max_opening(LEFT_EYE)), mesh.eye_to_chin())


def mouth_opening(ctx: FaceContext) -> float:
    """The inner lips' largest gap over the eye-to-chin distance (OFIQ ``MouthClosed`` raw)."""
    mesh = ctx.mesh
    return _ratio(mesh.max_opening(INNER_LIPS), mesh.eye_to_chin())


MEASURES: tuple[Measure, ...] = (
    Measure("EyesOpen", eyes_open, lambda raw: sigmoid_scalar(raw, x0=0.02, w=0.01),
            "Smaller eye's largest lid gap over eye-to-chin distance (higher = more open)."),
    Measure("MouthClosed", mouth_opening,
            lambda raw: sigmoid_scalar(raw, x0=0.2, w=0.06, a=1.0, s=-1.0),
            "Largest inner-lip gap over eye-to-chin distance (lower = more closed)."),
)
