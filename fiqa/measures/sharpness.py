"""``Sharpness``: a no-reference measure of blur in the face region.

OFIQ scores sharpness with a random forest we do not have; this is a transparent
replacement built from four features of the luminance of the aligned canvas
(``ctx.aligned``, 256 px), each taken inside the inner-face ellipse
(:func:`fiqa.measures.face_region.face_region_mask`) so background and hair do not count:

1. ``fine_band``: ``log(E0 / E1)``, where ``Es`` is the mean Sobel gradient energy
   (Tenengrad) of the image smoothed by a Gaussian of ``s`` px. It is the share of the
   gradient energy that lies in the finest frequency band: blur removes it first.
2. ``mid_band``: ``log(E1 / E2)``, the same one octave lower; it keeps falling when the
   fine band is already gone (heavy blur, low resolution).
3. ``laplacian``: ``log(var(LoG) / var(I))``, the energy of the Laplacian of Gaussian
   (sigma 1 px) relative to the face's own luminance variance.
4. ``local_tenengrad``: ``log mean(|grad I|^2 / (local variance + 4))``, gradient energy
   normalised by the contrast around each pixel (Gaussian window of 6 px), so shading and
   uneven lighting do not pass for detail.

All four are ratios of quantities that scale alike with contrast and ignore brightness,
so ``a * I + b`` leaves them unchanged (up to uint8 rounding and the small constant in
4). Each is standardised by its mean and standard deviation over unblurred LFW faces
(:data:`FEATURE_MEAN`, :data:`FEATURE_STD`), and the raw value is their plain average:
**raw = 0 is a typical LFW face; the unit is one LFW standard deviation; higher is
sharper.** Equal weights keep the score monotone in Gaussian blur, horizontal motion blur
and low resolution (``benchmarks/sharpness_blur_response.py --kind ...``); a weighting
fitted to separate sigma 0 from sigma 1 gave some features negative weights and lost that.

The scalar is :func:`~fiqa.measures.mapping.sigmoid_scalar` with :data:`SCALAR_X0` at the
median raw value of LFW faces blurred with a Gaussian of sigma 1.5 px (in the 250 px
image), and :data:`SCALAR_W` chosen so that the median unblurred LFW face scores 80.
Both constants, and the feature statistics, are printed by
``python benchmarks/sharpness_blur_response.py --fit``.

Limitations: noise and compression blocking add high-frequency energy and so raise the
score (``CompressionArtifacts`` measures the latter); the measure is relative to the
canvas, so a small face upsampled to it scores as blurred, which it is.
"""

from __future__ import annotations

import cv2
import numpy as np

from fiqa.context import FaceContext
from fiqa.measures.base import Measure
from fiqa.measures.face_region import face_region_mask
from fiqa.measures.mapping import sigmoid_scalar

FEATURES = ("fine_band", "mid_band", "laplacian", "local_tenengrad")

#: Mean and standard deviation of the features over 190 unblurred LFW faces (every 25th
#: person from the 1000th on, first image), from ``sharpness_blur_response.py --fit``.
FEATURE_MEAN = np.array([0.2762, 0.4873, -4.5422, 1.7733])
FEATURE_STD = np.array([0.0758, 0.1062, 0.5453, 0.2018])

#: Sigmoid constants (see the module docstring), from ``sharpness_blur_response.py --fit``.
SCALAR_X0 = -2.16
SCALAR_W = 1.52

#: Pixels of context kept around the face ellipse so filters see real neighbours.
_PAD_PX = 16
_LOCAL_WINDOW_PX = 6.0
_LOCAL_VARIANCE_FLOOR = 4.0


def sharpness_features(grey: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The four blur features of a luminance image inside ``mask`` (see the module doc).

    Parameters
    ----------
    grey : ndarray, (H, W)
        Luminance, any real dtype (0..255 scale).
    mask : ndarray of bool, (H, W)
        Where to take the statistics; needs at least 16 pixels.

    Returns
    -------
    features : ndarray of float64, shape (4,)
        In the order of :data:`FEATURES`; higher is sharper for every one.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> noise = rng.uniform(0, 255, (64, 64))
    >>> smooth = cv2.GaussianBlur(noise, (0, 0), 3)
    >>> mask = np.ones((64, 64), bool)
    >>> bool(np.all(sharpness_features(noise, mask) > sharpness_features(smooth, mask)))
    True
    """
    grey = np.asarray(grey, np.float32)
    mask = np.asarray(mask, bool)
    if grey.ndim != 2 or mask.shape != grey.shape:
        raise ValueError(f"grey must be 2-D and mask the same shape; got {grey.shape} and "
                         f"{mask.shape}")
    if mask.sum() < 16:
        raise ValueError("the mask covers fewer than 16 pixels; no sharpness can be measured")
    energy = [_gradient_energy(grey, sigma_px)[mask].mean() for sigma_px in (0.0, 1.0, 2.0)]
    log = cv2.Laplacian(cv2.GaussianBlur(grey, (0, 0), 1.0), cv2.CV_32F, ksize=1)
    mean = cv2.GaussianBlur(grey, (0, 0), _LOCAL_WINDOW_PX)
    local_var = cv2.GaussianBlur(grey * grey, (0, 0), _LOCAL_WINDOW_PX) - mean * mean
    local = _gradient_energy(grey, 0.0) / (np.maximum(local_var, 0.0) + _LOCAL_VARIANCE_FLOOR)
    tiny = 1e-12
    return np.log([
        (energy[0] + tiny) / (energy[1] + tiny),
        (energy[1] + tiny) / (energy[2] + tiny),
        (log[mask].var() + tiny) / (grey[mask].var() + tiny),
        local[mask].mean() + tiny,
    ]).astype(np.float64)


def face_sharpness_features(ctx: FaceContext) -> np.ndarray:
    """:func:`sharpness_features` of the face region of ``ctx.aligned`` (memoised)."""
    return ctx.memo("sharpness_features", _face_features)


def sharpness_raw(features: np.ndarray) -> float:
    """Average of the standardised features: 0 = typical LFW face, higher = sharper.

    Examples
    --------
    >>> sharpness_raw(FEATURE_MEAN)
    0.0
    """
    return float(np.mean((np.asarray(features) - FEATURE_MEAN) / FEATURE_STD))


def sharpness_scalar(raw) -> np.ndarray:
    """Raw sharpness -> 0..100 (sigmoid, constants from LFW; see the module doc).

    Examples
    --------
    >>> float(sharpness_scalar(SCALAR_X0))
    50.0
    """
    return sigmoid_scalar(raw, x0=SCALAR_X0, w=SCALAR_W)


def _gradient_energy(grey: np.ndarray, sigma_px: float) -> np.ndarray:
    smooth = cv2.GaussianBlur(grey, (0, 0), sigma_px) if sigma_px > 0 else grey
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    return gx * gx + gy * gy


def _face_features(ctx: FaceContext) -> np.ndarray:
    mask = face_region_mask(ctx)
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        raise ValueError("the face region lies outside the aligned canvas")
    top, left = max(rows.min() - _PAD_PX, 0), max(cols.min() - _PAD_PX, 0)
    bottom, right = rows.max() + _PAD_PX + 1, cols.max() + _PAD_PX + 1
    grey = cv2.cvtColor(ctx.aligned[top:bottom, left:right], cv2.COLOR_RGB2GRAY)
    return sharpness_features(grey, mask[top:bottom, left:right])


def _sharpness(ctx: FaceContext) -> float:
    return sharpness_raw(face_sharpness_features(ctx))


MEASURES: tuple[Measure, ...] = (
    Measure(
        name="Sharpness",
        compute=_sharpness,
        to_scalar=sharpness_scalar,
        description="Face-region sharpness: mean of four standardised blur features "
                    "(band ratios of gradient energy, normalised Laplacian, locally "
                    "normalised Tenengrad); 0 = typical LFW face, higher = sharper.",
    ),
)
