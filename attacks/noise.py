"""Sensor noise: additive Gaussian, Poisson (shot) and salt-and-pepper (impulse).

Every function draws from ``rng`` (an int seed or a numpy Generator): the same seed gives
the same image. Values are in 8-bit grey levels (0..255).
"""

from __future__ import annotations

import numpy as np

from attacks.base import Perturbed, as_rng, check_image, require_positive, to_float, to_uint8


def gaussian_noise(image: np.ndarray, *, sigma_levels: float,
                   rng: int | np.random.Generator | None = None) -> Perturbed:
    """Add zero-mean Gaussian noise of standard deviation ``sigma_levels`` grey levels.

    Noise is independent per pixel and channel; results are clipped to 0..255.

    Examples
    --------
    >>> import numpy as np
    >>> out, info = gaussian_noise(np.full((64, 64, 3), 128, np.uint8), sigma_levels=10, rng=0)
    >>> bool(9 < out.astype(float).std() < 11)
    True
    """
    sigma = require_positive("sigma_levels", sigma_levels, allow_zero=True)
    values = to_float(image)
    noise = as_rng(rng).normal(0.0, sigma, size=values.shape).astype(np.float32)
    return Perturbed(to_uint8(values + noise), {"sigma_levels": sigma})


def shot_noise(image: np.ndarray, *, peak_photons: float,
               rng: int | np.random.Generator | None = None) -> Perturbed:
    """Poisson photon noise: a pixel at 255 collects ``peak_photons`` photons on average.

    Fewer photons = a darker scene amplified = noisier image; the mean is kept.

    Examples
    --------
    >>> import numpy as np
    >>> out, _ = shot_noise(np.full((64, 64, 3), 255, np.uint8), peak_photons=100, rng=0)
    >>> bool(240 < out.astype(float).mean() < 256)
    True
    """
    peak = require_positive("peak_photons", peak_photons)
    expected = to_float(image).astype(np.float64) / 255.0 * peak
    counts = as_rng(rng).poisson(expected)
    return Perturbed(to_uint8(counts / peak * 255.0), {"peak_photons": peak})


def salt_and_pepper(image: np.ndarray, *, fraction: float,
                    rng: int | np.random.Generator | None = None) -> Perturbed:
    """Set a ``fraction`` of pixels to white or black (half each), all channels together.

    A pixel is hit when its uniform draw is below ``fraction``, so with one seed a larger
    fraction hits a superset of the pixels a smaller one hits.

    Examples
    --------
    >>> import numpy as np
    >>> _, info = salt_and_pepper(np.full((100, 100, 3), 128, np.uint8), fraction=0.1, rng=0)
    >>> 800 < info["pixels_hit"] < 1200
    True
    """
    fraction = require_positive("fraction", fraction, allow_zero=True)
    if fraction > 1:
        raise ValueError(f"fraction must be in 0..1 (share of pixels hit), got {fraction}")
    out = check_image(image).copy()
    draws = as_rng(rng).random(image.shape[:2])
    out[draws < fraction / 2] = 255
    out[(draws >= fraction / 2) & (draws < fraction)] = 0
    return Perturbed(out, {"fraction": fraction, "pixels_hit": int((draws < fraction).sum())})
