"""Head pose: ``HeadPoseYaw``, ``HeadPosePitch``, ``HeadPoseRoll`` in signed degrees.

Yaw comes from fitting a generic 3-D model of the five landmarks to the detected ones
(``cv2.solvePnP``); pitch from a rigid fit of the 468-point face mesh (x, y and depth) to
its mean frontal shape (:mod:`fiqa.mesh_shape`). Roll starts from the landmarks' in-plane angle and is then refined
on the image by the face's mirror symmetry, because YuNet's landmarks follow an in-plane
rotation only partly (rotate a photo by 20 degrees and its landmarks turn by about 5-15).
The three measures share one pose per face through ``ctx.memo``; scalars are
``100 * max(0, cos(angle))**2``.

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
which would otherwise read as about 8 degrees of downward pitch on frontal photos. The
eyes and mouth corners lie in one plane and the nose tip stands :data:`NOSE_DEPTH_MM` =
35 mm in front of it, about the depth of the nose tip before the eyes and mouth corners in
published mean 3-D face shapes (e.g. the Multi-PIE 68-point mean face). The camera is
assumed to look straight at the face (principal point at the landmark centroid) from
:data:`CAMERA_DISTANCE_MM` = 600 mm; the focal length in pixels follows from the face's
size in the image. So a tight crop and the full photograph give the same angles.

Roll (:func:`face_roll`): the rotation of the similarity fit of the landmarks to the
template (the one that aligns the quality canvas), plus
the tilt that remains on the aligned canvas, found as the angle of the vertical line about
which the contrast-normalised face best mirrors onto itself (:func:`symmetry_roll`,
searched within +-30 degrees). The refinement is skipped, leaving the landmark estimate
(:func:`landmark_roll`: the mean direction of the eye and mouth lines), when |yaw| > 30
degrees or the face mirrors poorly (correlation < 0.3).

Accuracy, honestly (figures from ``benchmarks/pose_cfp.py``): on CFP the median |yaw| is
2.4 degrees for frontal photos and 51 for profiles, whose true yaw is near 90: on profiles
YuNet guesses the hidden eye and mouth corner and the fitted yaw saturates. It still
separates them perfectly (AUC 1.0000). Yaw rests on the nose's sideways offset and the
generic nose depth: a nose really 30 or 40 mm deep scales small yaws by about 7/6 or 7/8.
The face mesh's fit saturates the same way (median |yaw| 2.8 on frontal photos, 48.8 on
profiles), so yaw stays with the five landmarks. Pitch is the mesh's: on hand-labelled
LFW photos (``benchmarks/pose_pitch_labels.py``: 11 tilted up, 26 level, 15 bowed) its
median is +31 / +2 / -18 degrees and it tells up from level with AUC 1.00 and level from
down with 0.95, where the 5-point fit (which rests on the nose's height between eyes and
mouth, as variable between people as moderate pitch) reads +5 / +1 / -9 with AUC 0.66 and
0.77. Its zero is the average CFP frontal photo (median pitch 0.1 over the 1,000 frontal
photos); a horizontal mirror moves it by a median 1.0 degree. Roll follows known in-plane
rotations of frontal photos to within a degree or so (median), where the landmarks alone
miss most of the rotation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from fiqa.context import FaceContext
from fiqa.face import ARCFACE_TEMPLATE, alignment_matrix
from fiqa.measures.base import Measure
from fiqa.measures.mapping import cos2_scalar
from fiqa.mesh_shape import mesh_yaw_pitch, yaw_pitch

#: Adult mean inter-pupillary distance, which sets the model's scale.
EYE_DISTANCE_MM = 63.0
#: How far the nose tip stands in front of the plane of the eyes and mouth corners.
NOSE_DEPTH_MM = 35.0
#: Assumed distance from the camera to the face.
CAMERA_DISTANCE_MM = 600.0
#: Half-range of the in-plane tilt searched by :func:`symmetry_roll`, degrees.
SYMMETRY_SEARCH_DEG = 30.0
#: Below this mirror correlation a face is not symmetric enough to refine the roll.
MIN_SYMMETRY = 0.3
#: Beyond this |yaw| the face is too turned for its mirror symmetry to show the roll.
MAX_SYMMETRY_YAW_DEG = 30.0
_COARSE_STEP_DEG = 6.0
_FINE_STEP_DEG = 2.0
_SYMMETRY_SCALE = 0.5
_NORMALISE_PX = 4.0
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


def landmark_roll(landmarks: np.ndarray) -> float:
    """Roll in degrees from the landmarks alone: the mean direction of the eye line and the
    mouth line (> 0 counter-clockwise as viewed, the image-right eye higher).

    Yaw moves the nose but leaves both lines level, so unlike a fit of all five points
    this does not mistake a turned head for a tilted one.

    Examples
    --------
    >>> turn = cv2.getRotationMatrix2D((56.0, 70.0), 10.0, 1.0)  # 10 deg counter-clockwise
    >>> round(landmark_roll(ARCFACE_TEMPLATE @ turn[:, :2].T + turn[:, 2]), 1)
    10.3
    """
    points = np.asarray(landmarks, np.float64)
    across = (points[1] - points[0]) + (points[4] - points[3])
    return float(np.degrees(np.arctan2(-across[1], across[0])))


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
    roll = landmark_roll(points)
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
    yaw, pitch = yaw_pitch(rotation)
    return HeadPose(yaw=yaw, pitch=pitch, roll=roll)


def symmetry_roll(grey: np.ndarray, landmarks: np.ndarray) -> tuple[float, float]:
    """In-plane tilt of a roughly upright face, from its mirror symmetry.

    Searches the angle (within :data:`SYMMETRY_SEARCH_DEG`) and the sideways position of
    the vertical line about which the face region best mirrors onto itself, on contrast-
    normalised luminance: every 6 degrees, then in 2-degree steps around the best, and
    refines the peak by a parabola through its neighbours.

    Parameters
    ----------
    grey : ndarray, (H, W)
        Luminance of an image holding the face (e.g. the aligned canvas).
    landmarks : ndarray, (5, 2)
        The face's landmarks in ``grey``'s pixel coordinates (they place the window only).

    Returns
    -------
    degrees : float
        The face's remaining tilt, > 0 counter-clockwise as viewed (this module's roll
        convention); NaN when the best angle is at the end of the search range.
    correlation : float
        Correlation of the face window with its mirror image at that angle (1 = perfectly
        symmetric).

    Examples
    --------
    >>> from fiqa.face import template_points
    >>> rng = np.random.default_rng(0)
    >>> half = cv2.GaussianBlur(rng.uniform(0, 255, (256, 128)).astype(np.float32), (0, 0), 3)
    >>> mirror = np.hstack([half, half[:, ::-1]])  # symmetric about x = 127.5
    >>> turned = cv2.warpAffine(mirror, cv2.getRotationMatrix2D((127.5, 140), 12, 1), (256, 256))
    >>> points = template_points(size=256, margin=0.25)
    >>> degrees, _ = symmetry_roll(turned, points - [points[:2, 0].mean() - 127.5, 0])
    >>> round(degrees)
    12
    """
    points = np.asarray(landmarks, np.float64) * _SYMMETRY_SCALE
    small = cv2.resize(np.asarray(grey, np.float32), None, fx=_SYMMETRY_SCALE,
                       fy=_SYMMETRY_SCALE, interpolation=cv2.INTER_AREA)
    mean = cv2.GaussianBlur(small, (0, 0), _NORMALISE_PX)
    spread = cv2.GaussianBlur(small * small, (0, 0), _NORMALISE_PX) - mean * mean
    normalised = (small - mean) / (np.sqrt(np.maximum(spread, 0.0)) + 4.0)
    eye_distance = float(np.hypot(*(points[1] - points[0])))
    centre = (points[:2].mean(0) + points[3:].mean(0)) / 2
    half_width = max(round(0.9 * eye_distance), 4)
    above, below = round(1.1 * eye_distance), round(0.9 * eye_distance)
    slack = max(round(0.15 * eye_distance), 1)

    def score(angle: float) -> float:
        return _mirror_correlation(normalised, centre, angle, half_width, above, below, slack)

    coarse = np.arange(-SYMMETRY_SEARCH_DEG, SYMMETRY_SEARCH_DEG + 1e-9, _COARSE_STEP_DEG)
    scores = [score(angle) for angle in coarse]
    best = int(np.argmax(scores))
    if best in (0, len(coarse) - 1):
        return float("nan"), float(scores[best])
    peak = float(coarse[best])
    left, middle, right = score(peak - _FINE_STEP_DEG), scores[best], score(peak + _FINE_STEP_DEG)
    if max(left, right) > middle:  # the peak lies between coarse steps: re-centre on it
        peak += _FINE_STEP_DEG if right > left else -_FINE_STEP_DEG
        left, middle, right = ((middle, right, score(peak + _FINE_STEP_DEG)) if right > left
                               else (score(peak - _FINE_STEP_DEG), left, middle))
    curvature = left - 2 * middle + right
    shift = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
    return peak + shift * _FINE_STEP_DEG, float(middle)


def face_roll(ctx: FaceContext) -> float:
    """Roll of the subject: the rotation of the aligned canvas plus the tilt left on it.

    The canvas is the image turned by the similarity fit of the landmarks, which YuNet
    biases towards upright; :func:`symmetry_roll` measures what is left. When the face
    cannot tell (the search ends at its range, or the mirror correlation is below
    :data:`MIN_SYMMETRY`), :func:`landmark_roll` stands.
    """
    grey = cv2.cvtColor(ctx.aligned, cv2.COLOR_RGB2GRAY)
    residual, correlation = symmetry_roll(grey, ctx.aligned_landmarks)
    if not np.isfinite(residual) or correlation < MIN_SYMMETRY:
        return landmark_roll(ctx.face.landmarks)
    fit = alignment_matrix(ctx.face.landmarks)  # same rotation as the canvas's
    return float(np.degrees(np.arctan2(fit[1, 0], fit[0, 0]))) + residual


def face_head_pose(ctx: FaceContext) -> HeadPose:
    """The subject's pose, once per context: yaw from :func:`head_pose`, pitch from the
    face mesh (:func:`fiqa.mesh_shape.mesh_yaw_pitch`), roll from :func:`face_roll` unless
    |yaw| exceeds :data:`MAX_SYMMETRY_YAW_DEG` (then the landmark estimate)."""
    return ctx.memo("head_pose", _face_head_pose)


def _face_head_pose(ctx: FaceContext) -> HeadPose:
    pose = replace(head_pose(ctx.face.landmarks), pitch=mesh_yaw_pitch(ctx.mesh.points)[1])
    if abs(pose.yaw) <= MAX_SYMMETRY_YAW_DEG:
        return replace(pose, roll=face_roll(ctx))
    return pose


def _landmark_spread(points: np.ndarray) -> float:
    """Root-mean-square distance of the points from their centroid."""
    return float(np.sqrt(((points - points.mean(0)) ** 2).sum(1).mean()))


def _mirror_correlation(image: np.ndarray, centre: np.ndarray, angle_deg: float,
                        half_width: int, above: int, below: int, slack: int) -> float:
    """Best correlation of a window tilted by ``angle_deg`` (counter-clockwise as viewed)
    with its mirror about its vertical centre line, over centre lines up to ``slack`` px
    either side of ``centre``."""
    cos, sin = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    axes = np.array([[cos, sin], [-sin, cos]])  # window (u, v) -> image (x, y)
    wide = half_width + slack
    origin = centre + axes @ np.array([-wide, -above])
    strip = cv2.warpAffine(image, np.hstack([axes, origin[:, None]]), (2 * wide + 1, above + below),
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REFLECT)
    best = 0.0
    for shift in range(0, 2 * slack + 1, max(slack // 2, 1)):
        window = strip[:, shift:shift + 2 * half_width + 1]
        window = window - window.mean()
        energy = float((window * window).sum())
        if energy > 0:
            best = max(best, float((window * window[:, ::-1]).sum() / energy))
    return best


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
        description="Roll in degrees from the landmarks refined by facial symmetry (> 0: "
                    "counter-clockwise in the image, image-right eye higher); "
                    "scalar 100*max(0, cos)^2.",
    ),
)
