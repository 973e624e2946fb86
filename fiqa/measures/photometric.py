"""Photometric measures of ISO/IEC 29794-5, computed as OFIQ 1.x does where our models allow.

Luminance is CIE relative luminance ``Y = 0.2126 R + 0.7152 G + 0.0722 B`` of the linearised
sRGB channels, quantised to 0..255 (``round(255 Y)``). Statistics of the face are taken over
the face-region mask on the aligned canvas (:func:`fiqa.measures.face_region.face_region_mask`)
and shared by all measures through one memoised 256-bin histogram.

=========================  ============================================  =====================
measure                    raw value                                     scalar (0..100)
=========================  ============================================  =====================
LuminanceMean              mean of ``Y`` in the face, on 0..1            ``100 S(x; .2, .05)
                                                                         (1 - S(x; .8, .05))``
LuminanceVariance          variance of ``Y`` (0..1 scale)                ``100 sin(pi 60v /
                                                                         (60v + 1))``
IlluminationUniformity     intersection of the ``Y`` histograms of the   ``100 x**0.3``
                           two cheek zones (0..1)
UnderExposurePrevention    fraction of face pixels with ``Y <= 25``      ``120 (0.832 -
                                                                         S(x; .92, .05))``
OverExposurePrevention     fraction of face pixels with ``Y >= 247``     ``1 / (x + 0.01)``
DynamicRange               entropy of the face ``Y`` histogram, bits     ``12.5 x``
NaturalColour              distance of the cheeks' mean CIELAB (a*, b*)  ``200 (1 - S(x; 0,
                           from the box a* 5..25, b* 5..35; 100 if       10))``
                           a* < 0 or b* < 0
=========================  ============================================  =====================

``S(x; x0, w) = 1 / (1 + exp((x0 - x) / w))``; every scalar is clipped to [0, 100] and kept
as a float (OFIQ rounds). The constants are OFIQ's (``Luminance.cpp``,
``IlluminationUniformity.cpp``, ``UnderExposurePrevention.cpp``, ``OverExposurePrevention.cpp``,
``DynamicRange.cpp``, ``NaturalColour.cpp``, ``image_utils.cpp``; defaults of
``data/ofiq_config.jaxn``).

Deviations from OFIQ, because we have five landmarks and no segmentation network:

- the face region is a landmark-placed ellipse of the inner face (brows to above the chin),
  where OFIQ uses the convex hull of 98 ADNet landmarks (and, for the exposure measures,
  also removes pixels its occlusion network marks as occluded);
- the cheek zones of IlluminationUniformity and NaturalColour are placed from the YuNet eye
  and mouth points exactly as OFIQ places them from its eye/mouth centres (side ``0.3 IED``,
  starting half the eye-mouth distance below the eyes, outward of each eye), and sampled
  from the original image at OFIQ's aligned scale (113 px between the eyes) so the zones hold
  as many pixels as OFIQ's; pixels of a zone outside the face region are not zeroed as in OFIQ;
- CIELAB uses the standard ``kappa = 24389/27`` where OFIQ's code has ``24289/27`` (it only
  matters for near-black colours).
"""

from __future__ import annotations

import cv2
import numpy as np

from fiqa.context import FaceContext
from fiqa.measures.base import Measure
from fiqa.measures.face_region import face_region_mask
from fiqa.measures.mapping import linear_scalar, sigmoid_scalar

#: Eye distance in OFIQ's 616x616 aligned face (reference eye centres at x = 251 and 364).
OFIQ_INTER_EYE_PX = 113.0
#: Side of a cheek zone, as a fraction of the inter-eye distance (OFIQ).
ZONE_PER_EYE_DISTANCE = 0.3
#: Luminance bins counted as under- and over-exposed (inclusive, OFIQ).
DARK_BINS = (0, 25)
BRIGHT_BINS = (247, 255)
#: Natural skin colour box in CIELAB (D50), OFIQ / ISO/IEC 29794-5.
NATURAL_A = (5.0, 25.0)
NATURAL_B = (5.0, 35.0)


def _srgb_to_linear(codes: np.ndarray) -> np.ndarray:
    """sRGB values on 0..1 -> linear light (IEC 61966-2-1)."""
    return np.where(codes > 0.04045, ((codes + 0.055) / 1.055) ** 2.4, codes / 12.92)


_CODES = np.arange(256, dtype=np.float64) / 255.0
_LINEAR = _srgb_to_linear(_CODES).astype(np.float32)
#: Each channel's term of relative luminance per sRGB code (rows R, G, B), float32: looked
#: up with ``take``, they give the same sums as weighting the linear values per pixel.
_LUMINANCE_TERMS = np.stack([0.2126 * _LINEAR, 0.7152 * _LINEAR, 0.0722 * _LINEAR])
#: Linear sRGB -> CIE XYZ relative to D50 (Bradford-adapted sRGB matrix, as OFIQ uses).
_RGB_TO_XYZ_D50 = np.array([[0.43605, 0.38508, 0.14309],
                            [0.22249, 0.71689, 0.06062],
                            [0.01393, 0.09710, 0.71419]])
_D50_WHITE = np.array([0.964221, 1.0, 0.825211])


def relative_luminance(pixels: np.ndarray) -> np.ndarray:
    """CIE relative luminance of sRGB pixels, quantised to 0..255 as OFIQ does.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (..., 3)
        RGB values: an (H, W, 3) image or an (N, 3) list of pixels.

    Returns
    -------
    luminance : ndarray of uint8, shape (...)
        ``round(255 * (0.2126 R + 0.7152 G + 0.0722 B))`` of the linearised channels.

    Examples
    --------
    >>> import numpy as np
    >>> grey = np.full((2, 2, 3), 128, np.uint8)
    >>> int(relative_luminance(grey)[0, 0])  # sRGB 128 is 21.6 % linear light
    55
    """
    if not (isinstance(pixels, np.ndarray) and pixels.dtype == np.uint8 and pixels.ndim >= 1
            and pixels.shape[-1] == 3):
        raise ValueError("expected uint8 RGB pixels of shape (..., 3); got "
                         f"{getattr(pixels, 'dtype', type(pixels))} {getattr(pixels, 'shape', '')}")
    red, green, blue = _LUMINANCE_TERMS
    y = red.take(pixels[..., 0]) + green.take(pixels[..., 1]) + blue.take(pixels[..., 2])
    return np.floor(y * 255.0 + 0.5).astype(np.uint8)


def luminance_histogram(luminance: np.ndarray) -> np.ndarray:
    """Normalised 256-bin histogram of uint8 luminance values (NaNs when there are none).

    Examples
    --------
    >>> import numpy as np
    >>> histogram = luminance_histogram(np.array([[0, 0], [255, 10]], np.uint8))
    >>> histogram[[0, 10, 255]].tolist()
    [0.5, 0.25, 0.25]
    """
    if luminance.size == 0:
        return np.full(256, np.nan)
    return np.bincount(luminance.ravel(), minlength=256) / float(luminance.size)


def cielab_ab(mean_rgb: np.ndarray) -> tuple[float, float]:
    """CIELAB (a*, b*) under D50 of one sRGB colour given on 0..1, as OFIQ computes it.

    Examples
    --------
    >>> a, b = cielab_ab(np.array([0.5, 0.5, 0.5]))  # grey is neutral
    >>> abs(a) < 1e-3 and abs(b) < 1e-3
    True
    >>> [round(v, 1) for v in cielab_ab(np.array([0.8, 0.6, 0.5]))]  # a skin tone
    [17.2, 21.3]
    """
    codes = np.asarray(mean_rgb, np.float64)
    xyz = _RGB_TO_XYZ_D50 @ _srgb_to_linear(codes) / _D50_WHITE
    epsilon, kappa = 216.0 / 24389.0, 24389.0 / 27.0
    f = np.where(xyz > epsilon, np.cbrt(xyz), (kappa * xyz + 16.0) / 116.0)
    return float(500.0 * (f[0] - f[1])), float(200.0 * (f[1] - f[2]))


def natural_colour_distance(a: float, b: float) -> float:
    """OFIQ's NaturalColour raw value: distance of (a*, b*) from the natural-skin box.

    Examples
    --------
    >>> natural_colour_distance(15.0, 20.0), natural_colour_distance(28.0, 39.0)
    (0.0, 5.0)
    >>> natural_colour_distance(-1.0, 20.0)
    100.0
    """
    if a < 0 or b < 0:
        return 100.0
    da = max(0.0, NATURAL_A[0] - a, a - NATURAL_A[1])
    db = max(0.0, NATURAL_B[0] - b, b - NATURAL_B[1])
    return float(np.hypot(da, db))


def cheek_zones(image: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two cheek patches OFIQ compares, sampled at OFIQ's aligned scale.

    Each zone is a square of side ``0.3 IED`` whose top edge lies half the eye-mouth
    distance below the eye line: on the image's left it ends under the image-left eye, on
    the right it starts under the image-right eye. The frame follows the in-plane rotation
    of the eyes; a zone is resampled to ``int(0.3 * 113)`` pixels a side.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
    landmarks : ndarray, shape (5, 2)
        fiqa's five landmarks in ``image`` coordinates.

    Returns
    -------
    left, right : ndarray of uint8, shape (33, 33, 3)
        The zones on the image's left and right.

    Examples
    --------
    >>> from fiqa.face import ARCFACE_TEMPLATE
    >>> left, right = cheek_zones(np.zeros((112, 112, 3), np.uint8), ARCFACE_TEMPLATE)
    >>> left.shape, right.shape
    ((33, 33, 3), (33, 33, 3))
    """
    points = np.asarray(landmarks, np.float64)
    across = points[1] - points[0]
    eye_distance = float(np.hypot(*across))
    if eye_distance <= 0:
        raise ValueError("landmarks are degenerate: the two eye points coincide")
    across /= eye_distance
    down = np.array([-across[1], across[0]])
    eye_mouth = float(np.hypot(*(points[3:].mean(0) - points[:2].mean(0))))
    side = int(ZONE_PER_EYE_DISTANCE * OFIQ_INTER_EYE_PX)
    step = eye_distance / OFIQ_INTER_EYE_PX  # image pixels per zone pixel
    below = 0.5 * eye_mouth * down
    origins = (points[0] - side * step * across + below, points[1] + below)
    zones = []
    for origin in origins:
        zone_to_image = np.array([[step * across[0], step * down[0], origin[0]],
                                  [step * across[1], step * down[1], origin[1]]])
        zones.append(cv2.warpAffine(image, zone_to_image, (side, side),
                                    flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                    borderMode=cv2.BORDER_REPLICATE))
    return zones[0], zones[1]


def _face_histogram(ctx: FaceContext) -> np.ndarray:
    return ctx.memo("photometric.face_histogram", lambda c: luminance_histogram(
        relative_luminance(c.aligned[face_region_mask(c)])))


def _zones(ctx: FaceContext) -> tuple[np.ndarray, np.ndarray]:
    return ctx.memo("photometric.cheek_zones", lambda c: cheek_zones(c.image, c.face.landmarks))


def _luminance_mean(ctx: FaceContext) -> float:
    return float(_face_histogram(ctx) @ _CODES)


def _luminance_variance(ctx: FaceContext) -> float:
    return float(_face_histogram(ctx) @ (_CODES - _luminance_mean(ctx)) ** 2)


def _illumination_uniformity(ctx: FaceContext) -> float:
    left, right = (luminance_histogram(relative_luminance(zone)) for zone in _zones(ctx))
    return float(np.minimum(left, right).sum())


def _bins_fraction(bins: tuple[int, int]):
    def compute(ctx: FaceContext) -> float:
        return float(_face_histogram(ctx)[bins[0]:bins[1] + 1].sum())
    return compute


def _dynamic_range(ctx: FaceContext) -> float:
    histogram = _face_histogram(ctx)
    if np.isnan(histogram).any():
        return float("nan")
    used = histogram[histogram > 0]
    return float(-(used * np.log2(used)).sum())


def _natural_colour(ctx: FaceContext) -> float:
    pixels = np.concatenate([zone.reshape(-1, 3) for zone in _zones(ctx)])
    return natural_colour_distance(*cielab_ab(pixels.mean(0) / 255.0))


def _luminance_mean_scalar(raw: np.ndarray) -> np.ndarray:
    return sigmoid_scalar(raw, x0=0.2, w=0.05) * sigmoid_scalar(raw, x0=0.8, w=-0.05) / 100.0


def _luminance_variance_scalar(raw: np.ndarray) -> np.ndarray:
    raw = np.asarray(raw, np.float64)
    return np.clip(100.0 * np.sin(np.pi * 60.0 * raw / (60.0 * raw + 1.0)), 0.0, 100.0)


def _over_exposure_scalar(raw: np.ndarray) -> np.ndarray:
    return np.clip(1.0 / (np.asarray(raw, np.float64) + 0.01), 0.0, 100.0)


MEASURES: tuple[Measure, ...] = (
    Measure("LuminanceMean", _luminance_mean, _luminance_mean_scalar,
            "Mean relative luminance of the face region, 0..1 (best 0.3..0.7)."),
    Measure("LuminanceVariance", _luminance_variance, _luminance_variance_scalar,
            "Variance of relative luminance in the face region, 0..1 scale (best ~1/60)."),
    Measure("IlluminationUniformity", _illumination_uniformity,
            lambda raw: 100.0 * np.clip(np.asarray(raw, np.float64), 0.0, 1.0) ** 0.3,
            "Intersection of the luminance histograms of the two cheeks, 0..1 (1 = same)."),
    Measure("UnderExposurePrevention", _bins_fraction(DARK_BINS),
            lambda raw: sigmoid_scalar(raw, x0=0.92, w=0.05, h=120.0, a=0.832, s=-1.0),
            "Fraction of face pixels with luminance <= 25 of 255."),
    Measure("OverExposurePrevention", _bins_fraction(BRIGHT_BINS), _over_exposure_scalar,
            "Fraction of face pixels with luminance >= 247 of 255."),
    Measure("DynamicRange", _dynamic_range, lambda raw: linear_scalar(raw, low=0.0, high=8.0),
            "Entropy of the face-region luminance histogram, bits (0..8)."),
    Measure("NaturalColour", _natural_colour,
            lambda raw: sigmoid_scalar(raw, x0=0.0, w=10.0, h=200.0, a=1.0, s=-1.0),
            "Distance of the cheeks' mean CIELAB (a*, b*) from natural skin tones (0 = natural)."),
)

