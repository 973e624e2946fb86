"""Where a patch goes: regions anchored on the 5 landmarks and scaled with the face.

A region is one or two rectangles in the coordinates of the 112x112 ArcFace template
(:data:`fiqa.face.ARCFACE_TEMPLATE`). For a given face, the similarity transform that
aligns its landmarks maps every image pixel into template coordinates; the pixels that
fall inside the rectangles form the mask, so the region turns, scales and mirrors with the
face. Rectangle sizes are chosen so that the mask covers ``area`` of the face box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fiqa.face import ARCFACE_TEMPLATE, alignment_matrix

_EYES = ARCFACE_TEMPLATE[:2].mean(0)
_NOSE = ARCFACE_TEMPLATE[2]
_MOUTH = ARCFACE_TEMPLATE[3:].mean(0)
_AXIS_X = float((_EYES[0] + _MOUTH[0]) / 2)  # the template's vertical symmetry axis
_EYE_GAP = float(ARCFACE_TEMPLATE[1, 0] - ARCFACE_TEMPLATE[0, 0])


@dataclass(frozen=True)
class RegionShape:
    """Rectangles of one width/height ``aspect`` centred at ``centres`` (template units)."""

    centres: tuple[tuple[float, float], ...]
    aspect: float
    description: str


#: The regions a patch can occupy.
REGIONS = {
    "eyeglasses": RegionShape(((_AXIS_X, float(_EYES[1])),), 3.5,
                              "a band across both eyes, like the lenses of eyeglasses"),
    "forehead": RegionShape(((_AXIS_X, float(_EYES[1]) - 0.75 * _EYE_GAP),), 3.0,
                            "a band above the eyebrows"),
    "cheek": RegionShape(((_AXIS_X - 0.6 * _EYE_GAP, float(_NOSE[1]) + 8.0),
                          (_AXIS_X + 0.6 * _EYE_GAP, float(_NOSE[1]) + 8.0)), 1.0,
                         "two squares, one on each cheek"),
    "lower_face": RegionShape(((_AXIS_X, float(_NOSE[1] + _MOUTH[1]) / 2 + 6.0),), 1.6,
                              "nose tip to chin, like a face mask"),
}


@dataclass(frozen=True)
class Placement:
    """A region placed on one face of one image.

    Attributes
    ----------
    mask : ndarray of float32, shape (H, W)
        1 inside the region, 0 outside.
    grid : ndarray of float32, shape (H, W, 2)
        For each pixel, its (x, y) position in the patch texture in ``grid_sample``'s
        normalised units (-1..1 across the region's bounding rectangle).
    rectangles : ndarray, shape (K, 4)
        The region's rectangles (x0, y0, x1, y1) in template units.
    extent_px : tuple of float
        Width and height of the bounding rectangle in image pixels.
    area_fraction : float
        The mask's pixel count over the face box area.
    """

    mask: np.ndarray
    grid: np.ndarray
    rectangles: np.ndarray
    extent_px: tuple[float, float]
    area_fraction: float


def region_rectangles(region: str, *, template_area: float) -> np.ndarray:
    """The rectangles (K, 4) of ``region`` covering ``template_area`` square template units.

    Examples
    --------
    >>> rect = region_rectangles("eyeglasses", template_area=350.0)[0]
    >>> float(round((rect[2] - rect[0]) * (rect[3] - rect[1]), 3))
    350.0
    """
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; choose one of {sorted(REGIONS)}")
    if not template_area > 0:
        raise ValueError(f"the region area must be positive, got {template_area}")
    shape = REGIONS[region]
    each = template_area / len(shape.centres)
    height = np.sqrt(each / shape.aspect)
    width = shape.aspect * height
    return np.array([[x - width / 2, y - height / 2, x + width / 2, y + height / 2]
                     for x, y in shape.centres], dtype=np.float64)


def template_coordinates(shape_hw: tuple[int, int], landmarks: np.ndarray) -> np.ndarray:
    """(H, W, 2) template coordinates (x, y) of every pixel of an image with this face.

    Examples
    --------
    >>> coords = template_coordinates((200, 200), ARCFACE_TEMPLATE + 10)
    >>> coords[10, 10].round(3).tolist()
    [0.0, 0.0]
    """
    matrix = alignment_matrix(np.asarray(landmarks, np.float32)).astype(np.float64)
    ys, xs = np.mgrid[0:shape_hw[0], 0:shape_hw[1]].astype(np.float64)
    tx = matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2]
    ty = matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2]
    return np.stack([tx, ty], axis=-1)


def place_region(shape_hw: tuple[int, int], landmarks: np.ndarray, face_box: np.ndarray, *,
                 region: str = "eyeglasses", area: float = 0.08) -> Placement:
    """Place ``region`` on the face with these landmarks and detector box.

    Parameters
    ----------
    shape_hw : tuple of int
        (height, width) of the image.
    landmarks : ndarray, shape (5, 2)
        The face's landmarks in fiqa's order.
    face_box : ndarray, shape (4,)
        The detector's (x, y, width, height) box; ``area`` is a fraction of its area.
    region : str
        A key of :data:`REGIONS`.
    area : float
        Patch area as a fraction of the face box, in (0, 1).

    Returns
    -------
    Placement

    Examples
    --------
    >>> box = np.array([20, 10, 120, 140], np.float32)
    >>> placed = place_region((180, 160), ARCFACE_TEMPLATE + 20, box, area=0.08)
    >>> round(placed.area_fraction, 2)
    0.08
    """
    if not 0 < area < 1:
        raise ValueError(f"area is a fraction of the face box and must be in (0, 1), got {area}")
    landmarks = np.asarray(landmarks, np.float32)
    matrix = alignment_matrix(landmarks).astype(np.float64)
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))  # template units per pixel
    box_area = float(face_box[2] * face_box[3])
    rectangles = region_rectangles(region, template_area=area * box_area * scale**2)
    coords = template_coordinates(shape_hw, landmarks)
    inside = np.zeros(shape_hw, dtype=bool)
    for x0, y0, x1, y1 in rectangles:
        inside |= ((coords[..., 0] >= x0) & (coords[..., 0] < x1)
                   & (coords[..., 1] >= y0) & (coords[..., 1] < y1))
    lo, hi = rectangles[:, :2].min(0), rectangles[:, 2:].max(0)
    grid = (coords - lo) / (hi - lo) * 2.0 - 1.0
    extent = (hi - lo) / scale
    return Placement(mask=inside.astype(np.float32), grid=grid.astype(np.float32),
                     rectangles=rectangles, extent_px=(float(extent[0]), float(extent[1])),
                     area_fraction=float(inside.sum() / box_area))
