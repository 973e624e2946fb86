"""Optical blur: Gaussian (sigma px), linear motion (length px, angle deg), defocus (disk radius px).

Kernels are built in float32, normalised to sum 1 and applied channel-wise with reflected
borders, so flat regions stay flat and the mean brightness is kept.
"""

from __future__ import annotations

import cv2
import numpy as np

from attacks.base import Perturbed, as_rng, require_positive, to_float, to_uint8

#: Sub-pixel samples per pixel side used to rasterise motion and disk kernels.
_SUPERSAMPLE = 8


def _filter(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    return to_uint8(cv2.filter2D(to_float(image), -1, kernel, borderType=cv2.BORDER_REFLECT_101))


def gaussian_blur(image: np.ndarray, *, sigma_px: float) -> Perturbed:
    """Blur with an isotropic Gaussian of standard deviation ``sigma_px`` pixels.

    Examples
    --------
    >>> import numpy as np
    >>> out, info = gaussian_blur(np.full((16, 16, 3), 7, np.uint8), sigma_px=2)
    >>> int(out.min()), int(out.max()), info
    (7, 7, {'sigma_px': 2.0})
    """
    sigma = require_positive("sigma_px", sigma_px)
    blurred = cv2.GaussianBlur(to_float(image), (0, 0), sigmaX=sigma, sigmaY=sigma,
                               borderType=cv2.BORDER_REFLECT_101)
    return Perturbed(to_uint8(blurred), {"sigma_px": sigma})


def motion_kernel(*, length_px: float, angle_deg: float) -> np.ndarray:
    """A normalised line kernel: uniform motion over ``length_px`` at ``angle_deg``.

    The angle is counter-clockwise from the image's x axis (0 = horizontal motion).

    Examples
    --------
    >>> kernel = motion_kernel(length_px=5, angle_deg=0)
    >>> kernel.shape, round(float(kernel.sum()), 6)
    ((9, 9), 1.0)
    """
    length = require_positive("length_px", length_px)
    radius = int(np.ceil(length / 2)) + 1
    size = 2 * radius + 1
    theta = np.deg2rad(angle_deg)
    steps = max(int(np.ceil(length * _SUPERSAMPLE)), 2)
    t = np.linspace(-length / 2, length / 2, steps)
    x = radius + t * np.cos(theta)
    y = radius - t * np.sin(theta)  # image rows grow downwards
    kernel = np.zeros((size, size), np.float64)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    for dx, dy, weight in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)),
                           (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        np.add.at(kernel, (y0 + dy, x0 + dx), weight)
    return (kernel / kernel.sum()).astype(np.float32)


def motion_blur(image: np.ndarray, *, length_px: float, angle_deg: float | None = None,
                rng: int | np.random.Generator | None = None) -> Perturbed:
    """Blur by straight-line camera or subject motion of ``length_px`` pixels.

    Parameters
    ----------
    length_px : float
        Distance travelled during the exposure.
    angle_deg : float, optional
        Direction, counter-clockwise from horizontal. None draws it uniformly in
        [0, 180) from ``rng`` (the drawn value is returned in ``info``).
    rng : int or numpy Generator, optional

    Examples
    --------
    >>> import numpy as np
    >>> _, info = motion_blur(np.zeros((20, 20, 3), np.uint8), length_px=6, rng=0)
    >>> sorted(info)
    ['angle_deg', 'length_px']
    """
    if angle_deg is None:
        angle_deg = float(as_rng(rng).uniform(0.0, 180.0))
    kernel = motion_kernel(length_px=length_px, angle_deg=angle_deg)
    return Perturbed(_filter(image, kernel), {"length_px": float(length_px), "angle_deg": float(angle_deg)})


def disk_kernel(*, radius_px: float) -> np.ndarray:
    """A normalised anti-aliased disk (pill-box) kernel of radius ``radius_px``.

    Examples
    --------
    >>> disk_kernel(radius_px=2).shape
    (5, 5)
    """
    radius = require_positive("radius_px", radius_px)
    half = int(np.ceil(radius - 0.5)) if radius > 0.5 else 0
    size = 2 * half + 1
    # Fraction of each pixel covered by the disk, from a supersampled grid.
    offsets = (np.arange(size * _SUPERSAMPLE) + 0.5) / _SUPERSAMPLE - half - 0.5
    xx, yy = np.meshgrid(offsets, offsets)
    inside = (xx ** 2 + yy ** 2 <= radius ** 2).astype(np.float64)
    coverage = inside.reshape(size, _SUPERSAMPLE, size, _SUPERSAMPLE).mean(axis=(1, 3))
    return (coverage / coverage.sum()).astype(np.float32)


def defocus_blur(image: np.ndarray, *, radius_px: float) -> Perturbed:
    """Blur by an out-of-focus lens: convolution with a disk of radius ``radius_px`` pixels.

    Examples
    --------
    >>> import numpy as np
    >>> defocus_blur(np.zeros((10, 10, 3), np.uint8), radius_px=3).info
    {'radius_px': 3.0}
    """
    kernel = disk_kernel(radius_px=radius_px)
    return Perturbed(_filter(image, kernel), {"radius_px": float(radius_px)})
