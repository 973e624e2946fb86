"""The face region on the aligned canvas: an ellipse placed by the five landmarks.

Measures that should look at skin and facial features only (sharpness, luminance) take
their statistics inside this mask, so background, hair and the replicated border of the
aligned canvas do not count.

Geometry, in units of the landmarks themselves (so it follows the face at any scale and
in-plane rotation): let ``e`` be the midpoint of the eyes, ``m`` the midpoint of the mouth
corners, ``d = |m - e|`` and ``ied`` the inter-eye distance. The ellipse is centred at
``e + 0.45 (m - e)``, its long axis along ``m - e`` with semi-axis ``1.05 d`` (from the brows
to just above the chin) and its short axis ``0.95 ied`` (inside the cheeks). On the ArcFace
template this is the inner face, without ears, hairline or jaw outline.
"""

from __future__ import annotations

import numpy as np

from fiqa.context import FaceContext

#: Ellipse proportions (see the module docstring).
CENTRE_FRACTION = 0.45
HALF_HEIGHT_PER_EYE_MOUTH = 1.05
HALF_WIDTH_PER_EYE_DISTANCE = 0.95


def face_ellipse_mask(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Boolean mask of the inner-face ellipse for five landmarks.

    Parameters
    ----------
    landmarks : ndarray, shape (5, 2)
        (x, y) points in fiqa's order (eyes, nose, mouth corners), in the pixel
        coordinates of the image the mask is for.
    shape : tuple of int
        (height, width) of that image.

    Returns
    -------
    mask : ndarray of bool, shape ``shape``

    Examples
    --------
    >>> from fiqa.face import template_points
    >>> mask = face_ellipse_mask(template_points(size=256, margin=0.25), (256, 256))
    >>> mask.shape, bool(mask[150, 128]), bool(mask[5, 5])
    ((256, 256), True, False)
    """
    points = np.asarray(landmarks, np.float64)
    if points.shape != (5, 2) or not np.all(np.isfinite(points)):
        raise ValueError(f"landmarks must be a finite (5, 2) array; got shape {points.shape}")
    eyes = points[:2].mean(0)
    mouth = points[3:].mean(0)
    down = mouth - eyes
    eye_mouth = float(np.hypot(*down))
    eye_distance = float(np.hypot(*(points[1] - points[0])))
    if eye_mouth <= 0 or eye_distance <= 0:
        raise ValueError("landmarks are degenerate: the eyes or the eye/mouth midpoints coincide")
    down /= eye_mouth
    across = np.array([-down[1], down[0]])
    centre = eyes + CENTRE_FRACTION * eye_mouth * down
    half_height = HALF_HEIGHT_PER_EYE_MOUTH * eye_mouth
    half_width = HALF_WIDTH_PER_EYE_DISTANCE * eye_distance
    # only pixels of the ellipse's bounding box (with a pixel to spare) can be inside it
    reach = np.hypot(half_height * down, half_width * across)
    low = np.clip(np.floor(centre - reach).astype(int) - 1, 0, shape[1::-1])
    high = np.clip(np.ceil(centre + reach).astype(int) + 2, 0, shape[1::-1])
    rows, cols = np.ogrid[low[1]:high[1], low[0]:high[0]]
    dx, dy = cols - centre[0], rows - centre[1]
    along = (dx * down[0] + dy * down[1]) / half_height
    side = (dx * across[0] + dy * across[1]) / half_width
    mask = np.zeros(shape, bool)
    mask[low[1]:high[1], low[0]:high[0]] = along**2 + side**2 <= 1.0
    return mask


def face_region_mask(ctx: FaceContext) -> np.ndarray:
    """The inner-face mask on ``ctx.aligned`` (computed once per context).

    Examples
    --------
    >>> import numpy as np
    >>> from fiqa.face import Face, ARCFACE_TEMPLATE
    >>> face = Face(np.array([30, 30, 60, 80], np.float32), ARCFACE_TEMPLATE + 20, 0.9)
    >>> ctx = FaceContext.build(np.zeros((150, 150, 3), np.uint8), [face])
    >>> mask = face_region_mask(ctx)
    >>> mask.dtype, bool(0.1 < mask.mean() < 0.25)
    (dtype('bool'), True)
    """
    return ctx.memo(
        "face_region_mask",
        lambda c: face_ellipse_mask(c.aligned_landmarks, c.aligned.shape[:2]),
    )
