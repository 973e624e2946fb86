"""Raw value -> 0-100 quality scalar (higher = better), as ISO/IEC 29794-5 defines them.

Most components use the standard's sigmoid form ``Q = h * (a + s * sigmoid((x - x0) / w))``,
clipped to [0, 100] and rounded to whole numbers as OFIQ does only at output time (here we
keep floats). NaN raw values map to NaN.
"""

from __future__ import annotations

import numpy as np


def sigmoid_scalar(raw, *, x0: float, w: float, h: float = 100.0, a: float = 0.0,
                   s: float = 1.0) -> np.ndarray:
    """ISO/IEC 29794-5 sigmoid mapping, clipped to [0, 100].

    Examples
    --------
    >>> float(sigmoid_scalar(0.0, x0=0.0, w=1.0))
    50.0
    >>> float(sigmoid_scalar(10.0, x0=0.0, w=-1.0).round(3))
    0.005
    """
    raw = np.asarray(raw, dtype=np.float64)
    with np.errstate(over="ignore"):
        value = h * (a + s / (1.0 + np.exp(-(raw - x0) / w)))
    return np.clip(value, 0.0, 100.0)


def cos2_scalar(angle_degrees) -> np.ndarray:
    """``100 * max(0, cos(angle))**2``, the head-pose mapping of ISO/IEC 29794-5.

    Examples
    --------
    >>> cos2_scalar([0.0, 60.0, 120.0]).round(1).tolist()
    [100.0, 25.0, 0.0]
    """
    radians = np.deg2rad(np.asarray(angle_degrees, dtype=np.float64))
    return 100.0 * np.maximum(0.0, np.cos(radians)) ** 2


def linear_scalar(raw, *, low: float, high: float) -> np.ndarray:
    """Map ``low`` -> 0 and ``high`` -> 100 linearly, clipped (``low > high`` reverses it).

    Examples
    --------
    >>> linear_scalar([0.0, 0.5, 2.0], low=0.0, high=1.0).tolist()
    [0.0, 50.0, 100.0]
    """
    raw = np.asarray(raw, dtype=np.float64)
    return np.clip((raw - low) / (high - low) * 100.0, 0.0, 100.0)
