"""Head pose: ``HeadPoseYaw``, ``HeadPosePitch``, ``HeadPoseRoll`` in signed degrees.

Yaw and pitch come from fitting a generic 3-D model of the five landmarks to the detected
ones (``cv2.solvePnP``); roll is the angle of the line through the eyes in the image. The
three measures share one solve per face through ``ctx.memo``.

Sign conventions (angles of the face as seen in the image; 0, 0, 0 = looking into the
camera with the eyes level):

- **yaw > 0**: the subject turns to their own left, so the nose points to the image's
  right;
- **pitch > 0**: the head tilts up (chin raised, nose pointing up in the image);
- **roll > 0**: the face is turned counter-clockwise in the image, so the eye on the
  image's right (the subject's left eye) is the higher one.

A horizontal mirror of the image negates yaw and roll and keeps pitch.

The 3-D model (:data:`MODEL_POINTS_MM`, x to the image's right, y down, z away from the
camera): the x/y positions are the ArcFace 5-point template scaled to an inter-eye
distance of 63 mm, the adult mean, except the nose tip's height. YuNet places the nose
lower than that template does: at :data:`NOSE_HEIGHT_FRACTION` = 0.554 of the way from
the eye midpoint down to the mouth midpoint (median over the 1000 CFP frontal photos,
printed by ``python benchmarks/pose_cfp.py --calibrate``) against the template's 0.495,
which would otherwise read as about 8 degrees of downward pitch on frontal photos. The eyes and mouth corners lie in one plane and the nose tip stands
:data:`NOSE_DEPTH_MM` = 35 mm in front of it, the depth of the nose tip before the eyes
and mouth corners in published mean 3-D face shapes (e.g. the Multi-PIE 68-point mean
face). The camera is assumed to look straight at the face (principal point at the
landmark centroid) from :data:`CAMERA_DISTANCE_MM` = 600 mm, i.e. nearly orthographic;
the focal length in pixels follows from the face's size in the image. This removes any
dependence on the image border, so a tight crop and the full photograph give the same
angles.

Accuracy, honestly: five landmarks constrain yaw mainly through the nose's sideways
offset between the eyes and mouth, so yaw is as good as the landmarks and the generic
nose depth. A nose that is really 30 or 40 mm deep scales small yaws by about 7/6 or 7/8.
Pitch rests on the nose's height between eyes and mouth, which varies more between
people than with pose, and on the template's proportions: treat it as a coarse
indicator (a few degrees of offset per person are normal). On profile photos YuNet guesses
the hidden eye and mouth corner, and the fitted yaw saturates well below 90 degrees; it
still separates CFP frontal from profile images (``benchmarks/pose_cfp.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fiqa.context import FaceContext
from fiqa.face import ARCFACE_TEMPLATE
from fiqa.measures.base import Measure
from fiqa.measures.mapping import cos2_scalar

#: Adult mean inter-pupillary distance, which sets the model's scale.
EYE_DISTANCE_MM = 63.0
#: How far the nose tip stands in front of the plane of the eyes and mouth corners.
NOSE_DEPTH_MM = 35.0
#: Assumed distance from the camera to the face.
CAMERA_DISTANCE_MM = 600.0
#: Height of YuNet's nose tip on frontal faces, as a fraction of the eye-to-mouth drop.
NOSE_HEIGHT_FRACTION = 0.554


def nose_height_fraction(landmarks: np.ndarray) -> float:
    """How far down the nose is from the eye midpoint to the mouth midpoint (0..1 when upright).

    Examples
    --------
    >>> round(nose_height_fraction(ARCFACE_TEMPLATE), 3)
    0.495
    """
    points = np.asarray(landmarks, np.float64)
    eyes, mouth = points[:2].mean(0), points[3:].mean(0)
    down = mouth - eyes
    return float((points[2] - eyes) @ down / (down @ down))


def _model_points() -> np.ndarray:
    template = ARCFACE_TEMPLATE.astype(np.float64).copy()
    eye_y, mouth_y = template[:2, 1].mean(), template[3:, 1].mean()
    template[2, 1] = eye_y + NOSE_HEIGHT_FRACTION * (mouth_y - eye_y)
    eye_distance = np.hypot(*(template[1] - template[0]))
    points = (template - template.mean(0)) * (EYE_DISTANCE_MM / eye_distance)
    depth = np.zeros((5, 1))
    depth[2] = -NOSE_DEPTH_MM
    return np.hstack([points, depth])


#: The generic 5-point face in millimetres (fiqa's landmark order; x right, y down,
#: z away from the camera), centred on the template's centroid.
MODEL_POINTS_MM = _model_points()


@dataclass(frozen=True)
class HeadPose:
    """Yaw, pitch and roll in degrees, with the conventions of this module."""

    yaw: float
    pitch: float
    roll: float


def eye_line_roll(landmarks: np.ndarray) -> float:
    """Roll in degrees from the eye line: > 0 when the image-right eye is higher.

    Examples
    --------
    >>> eye_line_roll(np.array([[0, 10], [10, 0], [5, 8], [2, 12], [8, 12]], float))
    45.0
    """
    points = np.asarray(landmarks, np.float64)
    dx, dy = points[1] - points[0]
    return float(np.degrees(np.arctan2(-dy, dx)))


def head_pose(landmarks: np.ndarray) -> HeadPose:
    """Head pose from the five landmarks of one face (image pixel coordinates).

    Parameters
    ----------
    landmarks : ndarray, shape (5, 2)
        Eyes, nose tip and mouth corners in fiqa's order.

    Returns
    -------
    HeadPose
        NaN yaw and pitch when the fit fails (degenerate landmarks).

    Examples
    --------
    >>> pose = head_pose(MODEL_POINTS_MM[:, :2] + 100)  # the model, flattened
    >>> [round(abs(angle), 1) for angle in (pose.yaw, pose.pitch, pose.roll)]
    [0.0, 0.3, 0.3]
    """
    points = np.asarray(landmarks, np.float64)
    if points.shape != (5, 2) or not np.all(np.isfinite(points)):
        raise ValueError(f"landmarks must be a finite (5, 2) array; got shape {points.shape}")
    roll = eye_line_roll(points)
    scale_px = _landmark_spread(points)
    if scale_px <= 0:
        return HeadPose(yaw=float("nan"), pitch=float("nan"), roll=roll)
    focal_px = CAMERA_DISTANCE_MM * scale_px / _landmark_spread(MODEL_POINTS_MM[:, :2])
    centre = points.mean(0)
    camera = np.array([[focal_px, 0, centre[0]], [0, focal_px, centre[1]], [0, 0, 1]])
    ok, rvec, _ = cv2.solvePnP(
        MODEL_POINTS_MM, points, camera, None,
        rvec=np.zeros((3, 1)), tvec=np.array([[0.0], [0.0], [CAMERA_DISTANCE_MM]]),
        useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE,
    )
    if not ok:
        return HeadPose(yaw=float("nan"), pitch=float("nan"), roll=roll)
    rotation, _ = cv2.Rodrigues(rvec)
    forward = rotation @ np.array([0.0, 0.0, -1.0])  # where the nose points, camera frame
    yaw = np.degrees(np.arctan2(forward[0], -forward[2]))
    pitch = np.degrees(np.arctan2(-forward[1], np.hypot(forward[0], forward[2])))
    return HeadPose(yaw=float(yaw), pitch=float(pitch), roll=roll)


def face_head_pose(ctx: FaceContext) -> HeadPose:
    """:func:`head_pose` of the subject's landmarks, solved once per context."""
    return ctx.memo("head_pose", lambda c: head_pose(c.face.landmarks))


def _landmark_spread(points: np.ndarray) -> float:
    """Root-mean-square distance of the points from their centroid."""
    return float(np.sqrt(((points - points.mean(0)) ** 2).sum(1).mean()))


MEASURES: tuple[Measure, ...] = (
    Measure(
        name="HeadPoseYaw",
        compute=lambda ctx: face_head_pose(ctx).yaw,
        to_scalar=cos2_scalar,
        description="Yaw in degrees (> 0: subject turns to their left, nose to image right); "
                    "scalar 100*max(0, cos)^2.",
    ),
    Measure(
        name="HeadPosePitch",
        compute=lambda ctx: face_head_pose(ctx).pitch,
        to_scalar=cos2_scalar,
        description="Pitch in degrees (> 0: head tilted up); scalar 100*max(0, cos)^2.",
    ),
    Measure(
        name="HeadPoseRoll",
        compute=lambda ctx: face_head_pose(ctx).roll,
        to_scalar=cos2_scalar,
        description="Roll in degrees from the eye line (> 0: counter-clockwise in the image, "
                    "image-right eye higher); scalar 100*max(0, cos)^2.",
    ),
)
