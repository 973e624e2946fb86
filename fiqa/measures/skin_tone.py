"""A skin-tone proxy without labels: the individual typology angle (ITA) of the face's skin.

``ITA = arctan((L* - 50) / b*) * 180 / pi`` from CIELAB (D65) of skin pixels, binned into
the six usual categories (Chardon et al. 1991; Del Bino et al. 2013):

============  ====================
category      ITA (degrees)
============  ====================
very light    ITA > 55
light         41 < ITA <= 55
intermediate  28 < ITA <= 41
tan           10 < ITA <= 28
brown         -30 < ITA <= 10
dark          ITA <= -30
============  ====================

**This is a property of the image, not of the person.** ITA was defined for colorimeter
readings of skin under controlled light; from a photograph it moves with exposure, white
balance, the camera's tone curve and compression (``benchmarks/ita_lighting.py`` measures
how much). fiqa uses it only to see whether a gate treats images of lighter and darker
rendered skin differently; it never guesses sex, age or ethnicity.

Where the skin is read: three patches on the aligned quality canvas
(:attr:`fiqa.context.FaceContext.aligned`), placed from its five landmarks so they avoid the
eyes, brows, nose and mouth. With ``e`` the eye midpoint, ``d`` the eye-mouth distance, ``ied``
the inter-eye distance, ``down`` pointing from the eyes to the mouth:

* two cheeks: centred ``0.55 d`` below each eye, ``0.1 ied`` outward of it, squares of side
  ``0.3 ied``;
* the forehead: centred ``0.6 d`` above ``e`` (above the brows, below most hairlines),
  ``0.7 ied`` wide and ``0.2 d`` high.

Robust statistic: each patch gives an ITA from its median L* and median b*; the face's ITA is
the median of the patch values, so one patch lost to hair, a beard, a shadow or a highlight
does not decide it. A patch with ``b* <= 0`` has no ITA (the angle is defined for yellowish
skin, ``b* > 0``). A greyscale image (mean channel spread in the patches under
:data:`MIN_COLOUR_SPREAD` levels) gives NaN: it carries no skin colour.

The measure has no 0..100 quality scalar (its ``.scalar`` column is NaN), is computed only
when asked for (``--measures skin_tone``, or ``--groups ita``), and cannot be used in a gate
profile.
"""

from __future__ import annotations

import numpy as np
from skimage.color import rgb2lab

from fiqa.context import FaceContext
from fiqa.measures.base import Measure

#: (name, lower bound exclusive) from lightest to darkest; the last bin has no lower bound.
ITA_CATEGORIES: tuple[tuple[str, float], ...] = (
    ("very light", 55.0), ("light", 41.0), ("intermediate", 28.0), ("tan", 10.0),
    ("brown", -30.0), ("dark", -np.inf))

#: Category name of an image whose ITA could not be computed (greyscale, no face).
NO_ITA = "no colour"

#: Mean |R - G| + |G - B| (8-bit levels) below which a face is taken as greyscale.
MIN_COLOUR_SPREAD = 2.0

#: Patch geometry (see the module docstring), in units of ``d`` and ``ied``.
CHEEK_BELOW_EYE = 0.55
CHEEK_OUTWARD = 0.10
CHEEK_SIDE = 0.30
FOREHEAD_ABOVE_EYES = 0.60
FOREHEAD_WIDTH = 0.70
FOREHEAD_HEIGHT = 0.20


def ita_degrees(lightness, b_star) -> np.ndarray:
    """``arctan((L* - 50) / b*)`` in degrees; NaN where ``b* <= 0``.

    Examples
    --------
    >>> ita_degrees([70.0, 50.0, 30.0], [20.0, 15.0, 20.0]).round(1).tolist()
    [45.0, 0.0, -45.0]
    >>> bool(np.isnan(ita_degrees(60.0, 0.0)))
    True
    """
    lightness = np.asarray(lightness, np.float64)
    b_star = np.asarray(b_star, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        angle = np.degrees(np.arctan((lightness - 50.0) / b_star))
    return np.where(b_star > 0, angle, np.nan)


def ita_category(ita) -> np.ndarray:
    """The six-way category of each ITA value (:data:`NO_ITA` for NaN).

    Examples
    --------
    >>> ita_category([60.0, 55.0, 30.0, -30.0, -31.0, float("nan")]).tolist()
    ['very light', 'light', 'intermediate', 'dark', 'dark', 'no colour']
    """
    values = np.atleast_1d(np.asarray(ita, np.float64))
    lower = np.array([bound for _, bound in ITA_CATEGORIES[:-1]])[::-1]  # ascending
    index = len(lower) - np.searchsorted(lower, values, side="left")
    names = np.array([name for name, _ in ITA_CATEGORIES], dtype=object)[np.clip(index, 0, len(lower))]
    return np.where(np.isnan(values), NO_ITA, names).astype(object)


def category_order() -> list[str]:
    """Category names from lightest to darkest, then :data:`NO_ITA`."""
    return [name for name, _ in ITA_CATEGORIES] + [NO_ITA]


def skin_patches(landmarks: np.ndarray, shape: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Pixel boxes ``(top, bottom, left, right)`` of the two cheek and the forehead patches.

    Parameters
    ----------
    landmarks : ndarray, shape (5, 2)
        The five landmarks on an upright aligned canvas (``FaceContext.aligned_landmarks``).
    shape : tuple of int
        (height, width) of the canvas; boxes are clipped to it.

    Examples
    --------
    >>> from fiqa.face import template_points
    >>> skin_patches(template_points(size=256, margin=0.25), (256, 256))
    [(147, 164, 88, 104), (147, 163, 152, 168), (78, 90, 109, 147)]
    """
    points = np.asarray(landmarks, np.float64)
    eyes = points[:2].mean(0)
    eye_distance = float(np.hypot(*(points[1] - points[0])))
    eye_mouth = float(np.hypot(*(points[3:].mean(0) - eyes)))
    if eye_distance <= 0 or eye_mouth <= 0:
        raise ValueError("landmarks are degenerate: the eyes or the eye/mouth midpoints coincide")
    half = CHEEK_SIDE * eye_distance / 2
    outward = CHEEK_OUTWARD * eye_distance
    centres = [(points[0, 0] - outward, points[0, 1] + CHEEK_BELOW_EYE * eye_mouth, half, half),
               (points[1, 0] + outward, points[1, 1] + CHEEK_BELOW_EYE * eye_mouth, half, half),
               (eyes[0], eyes[1] - FOREHEAD_ABOVE_EYES * eye_mouth,
                FOREHEAD_WIDTH * eye_distance / 2, FOREHEAD_HEIGHT * eye_mouth / 2)]
    height, width = shape
    boxes = []
    for x, y, half_w, half_h in centres:
        top, bottom = int(np.clip(round(y - half_h), 0, height)), int(np.clip(round(y + half_h), 0, height))
        left, right = int(np.clip(round(x - half_w), 0, width)), int(np.clip(round(x + half_w), 0, width))
        boxes.append((top, bottom, left, right))
    return boxes


def skin_ita(aligned: np.ndarray, landmarks: np.ndarray) -> float:
    """ITA of the skin of an aligned face (the median of the three patches' ITA).

    Parameters
    ----------
    aligned : ndarray of uint8, shape (H, W, 3)
        Upright aligned RGB face (the quality canvas).
    landmarks : ndarray, shape (5, 2)
        Its five landmarks.

    Returns
    -------
    float
        Degrees; NaN for a greyscale face or when no patch has ``b* > 0``.

    Examples
    --------
    >>> from fiqa.face import template_points
    >>> points = template_points(size=256, margin=0.25)
    >>> skin = np.full((256, 256, 3), (224, 172, 150), np.uint8)   # a light skin colour
    >>> round(skin_ita(skin, points), 1)
    52.7
    >>> bool(np.isnan(skin_ita(np.full((256, 256, 3), 128, np.uint8), points)))
    True
    """
    patches = [aligned[top:bottom, left:right].reshape(-1, 3)
               for top, bottom, left, right in skin_patches(landmarks, aligned.shape[:2])]
    patches = [patch for patch in patches if len(patch)]
    if not patches:
        return float("nan")
    pixels = np.concatenate(patches).astype(np.int16)
    spread = np.abs(pixels[:, 0] - pixels[:, 1]) + np.abs(pixels[:, 1] - pixels[:, 2])
    if spread.mean() < MIN_COLOUR_SPREAD:
        return float("nan")
    values = []
    for patch in patches:
        lab = rgb2lab(patch.reshape(1, -1, 3)).reshape(-1, 3)
        values.append(ita_degrees(np.median(lab[:, 0]), np.median(lab[:, 2])))
    values = np.asarray(values, np.float64)
    return float(np.nanmedian(values)) if np.isfinite(values).any() else float("nan")


def _ita(ctx: FaceContext) -> float:
    return skin_ita(ctx.aligned, ctx.aligned_landmarks)


def _no_scalar(raw: np.ndarray) -> np.ndarray:
    return np.full(np.shape(raw), np.nan)


MEASURES: tuple[Measure, ...] = (
    Measure("IndividualTypologyAngle", _ita, _no_scalar,
            "Skin-tone proxy: ITA (degrees) of the cheeks and forehead in the image; an image "
            "property that moves with lighting and white balance, not a quality measure."),
)
