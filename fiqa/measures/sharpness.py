"""``Sharpness``: a no-reference measure of blur in the face region.

OFIQ scores sharpness with a random forest we do not have; this is a transparent
replacement built from features of the luminance of the aligned canvas (``ctx.aligned``,
256 px), each taken inside the inner-face ellipse
(:func:`fiqa.measures.face_region.face_region_mask`) so background and hair do not count.
With ``E(s)`` the mean squared Sobel derivative of the image smoothed by a Gaussian of
``s`` px, taken along one image axis at a time (x, then y):

1. ``fine_band``: ``log(E(0) / E(1))``, the share of the gradient energy in the finest
   frequency band, which blur removes first;
2. ``mid_band``: ``log(E(1) / E(2))``, the same one octave lower, which keeps falling when
   the fine band is gone (heavy blur, low resolution);
3. ``local_tenengrad``: ``log mean(d^2 / (local variance + 4))``, the squared derivative
   normalised by the contrast around each pixel (Gaussian window of 6 px), so shading and
   uneven lighting do not pass for detail;

and, the same for both axes, 4. ``laplacian``: ``log(var(LoG) / var(I))``, the energy of
the Laplacian of Gaussian (sigma 1 px) relative to the face's own luminance variance.

All are ratios of quantities that scale alike with contrast and ignore brightness, so
``a * I + b`` leaves them unchanged (up to uint8 rounding and the small constant in 3).
Each is standardised by its mean and standard deviation over unblurred LFW faces
(:data:`FEATURE_MEAN`, :data:`FEATURE_STD`). The score along an axis is the plain average
of its four standardised features, and **the raw value is the lower of the two axes' scores**
(motion blur along one axis leaves the other sharp, and the face is as blurred as its
blurriest direction). The unit is one LFW standard deviation and higher is sharper; 0 is
a little above the median unblurred LFW face, which is the lower of two. Equal weights keep the
score monotone in Gaussian blur, motion blur and low resolution
(``benchmarks/sharpness_blur_response.py --kind ...``); a weighting fitted to separate
sigma 0 from sigma 1 gave some features negative weights and lost that.

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

FEATURES = ("fine_band_x", "mid_band_x", "local_tenengrad_x",
            "fine_band_y", "mid_band_y", "local_tenengrad_y", "laplacian")
#: Which features make the score along each image axis (indices into FEATURES).
AXIS_FEATURES = ((0, 1, 2, 6), (3, 4, 5, 6))

#: Mean and standard deviation of the features over 190 unblurred LFW faces (every 25th
#: person from the 1000th on, first image), from ``sharpness_blur_response.py --fit``.
FEATURE_MEAN = np.array([0.2681, 0.4502, 0.8252, 0.2833, 0.5167, 1.272, -4.5422])
FEATURE_STD = np.array([0.0756, 0.1007, 0.2607, 0.0829, 0.1275, 0.2145, 0.5453])

#: Sigmoid constants (see the module docstring), from ``sharpness_blur_response.py --fit``.
SCALAR_X0 = -2.11
SCALAR_W = 1.35

#: Pixels of context kept around the face ellipse so filters see real neighbours.
_PAD_PX = 16
_LOCAL_WINDOW_PX = 6.0
_LOCAL_VARIANCE_FLOOR = 4.0


def sharpness_features(grey: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The blur features of a luminance image inside ``mask`` (see the module doc).

    Parameters
    ----------
    grey : ndarray, (H, W)
        Luminance, any real dtype (0..255 scale).
    mask : ndarray of bool, (H, W)
        Where to take the statistics; needs at least 16 pixels.

    Returns
    -------
    features : ndarray of float64, shape (7,)
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
    mean = cv2.GaussianBlur(grey, (0, 0), _LOCAL_WINDOW_PX)
    local_var = cv2.GaussianBlur(grey * grey, (0, 0), _LOCAL_WINDOW_PX) - mean * mean
    contrast = np.maximum(local_var[mask], 0.0) + _LOCAL_VARIANCE_FLOOR
    smoothed = [grey] + [cv2.GaussianBlur(grey, (0, 0), sigma) for sigma in (1.0, 2.0)]
    tiny = 1e-12
    features = []
    for dx, dy in ((1, 0), (0, 1)):
        squared = [cv2.Sobel(image, cv2.CV_32F, dx, dy, ksize=3)[mask] ** 2 for image in smoothed]
        energy = [float(values.mean()) + tiny for values in squared]
        features += [energy[0] / energy[1], energy[1] / energy[2],
                     float((squared[0] / contrast).mean()) + tiny]
    log = cv2.Laplacian(smoothed[1], cv2.CV_32F, ksize=1)
    features.append((log[mask].var() + tiny) / (grey[mask].var() + tiny))
    return np.log(features).astype(np.float64)


def face_sharpness_features(ctx: FaceContext) -> np.ndarray:
    """:func:`sharpness_features` of the face region of ``ctx.aligned`` (memoised)."""
    return ctx.memo("sharpness_features", _face_features)


def sharpness_raw(features: np.ndarray, *, mean: np.ndarray = FEATURE_MEAN,
                  std: np.ndarray = FEATURE_STD) -> float:
    """The lower of the two axes' mean standardised features: higher = sharper.

    ``mean`` and ``std`` standardise the features (the LFW constants unless refitting).

    Examples
    --------
    >>> sharpness_raw(FEATURE_MEAN)
    0.0
    """
    standard = (np.asarray(features, np.float64) - mean) / std
    return float(min(standard[list(axis)].mean() for axis in AXIS_FEATURES))


def sharpness_scalar(raw) -> np.ndarray:
    """Raw sharpness -> 0..100 (sigmoid, constants from LFW; see the module doc).

    Examples
    --------
    >>> float(sharpness_scalar(SCALAR_X0))
    50.0
    """
    return sigmoid_scalar(raw, x0=SCALAR_X0, w=SCALAR_W)


def _face_features(ctx: FaceContext) -> np.ndarray:
    mask = face_region_mask(ctx)
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        raise ValueError("the face region lies outside the aligned canvas")
    top, left = max(rows[0] - _PAD_PX, 0), max(cols[0] - _PAD_PX, 0)
    bottom, right = rows[-1] + _PAD_PX + 1, cols[-1] + _PAD_PX + 1
    grey = cv2.cvtColor(ctx.aligned[top:bottom, left:right], cv2.COLOR_RGB2GRAY)
    return sharpness_features(grey, mask[top:bottom, left:right])


def _sharpness(ctx: FaceContext) -> float:
    return sharpness_raw(face_sharpness_features(ctx))


MEASURES: tuple[Measure, ...] = (
    Measure(
        name="Sharpness",
        compute=_sharpness,
        to_scalar=sharpness_scalar,
        description="Face-region sharpness along its blurriest axis: mean of standardised "
                    "blur features (band ratios of gradient energy, locally normalised "
                    "Tenengrad, normalised Laplacian); 0 ~ typical LFW face, higher = sharper.",
    ),
)
