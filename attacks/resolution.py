"""Resolution loss: downscale by a factor, then upscale back to the original size.

A factor of 4 divides the inter-eye distance (and every other length) in pixels by 4: a
face with 60 px between the eyes carries the detail of one with 15 px, which is how a
distant or low-resolution capture reaches the recognizer. The output keeps the input's
shape so it can replace the original anywhere in a pipeline.
"""

from __future__ import annotations

import cv2
import numpy as np

from attacks.base import Perturbed, check_image, require_positive

_INTERPOLATIONS = {"nearest": cv2.INTER_NEAREST, "bilinear": cv2.INTER_LINEAR,
                   "bicubic": cv2.INTER_CUBIC}


def downscale(image: np.ndarray, *, factor: float, upscale: str = "bicubic") -> Perturbed:
    """Shrink by ``factor`` (area averaging, so no aliasing), then enlarge back.

    Parameters
    ----------
    factor : float
        Linear reduction >= 1 (inter-eye distance in px is divided by it).
    upscale : {"bicubic", "bilinear", "nearest"}
        Interpolation used to return to the original size.

    Returns
    -------
    Perturbed
        ``info`` has ``factor``, the ``low_width_px`` / ``low_height_px`` actually used
        (at least 1 px) and ``upscale``.

    Examples
    --------
    >>> import numpy as np
    >>> out, info = downscale(np.zeros((100, 80, 3), np.uint8), factor=4)
    >>> out.shape, info["low_width_px"], info["low_height_px"]
    ((100, 80, 3), 20, 25)
    """
    check_image(image)
    factor = require_positive("factor", factor)
    if factor < 1:
        raise ValueError(f"factor must be >= 1 (1 = unchanged; 4 = a quarter of the pixels "
                         f"per length), got {factor}")
    if upscale not in _INTERPOLATIONS:
        raise ValueError(f"unknown upscale {upscale!r}; choose one of {sorted(_INTERPOLATIONS)}")
    height, width = image.shape[:2]
    low_w, low_h = max(1, round(width / factor)), max(1, round(height / factor))
    small = cv2.resize(image, (low_w, low_h), interpolation=cv2.INTER_AREA)
    restored = cv2.resize(small, (width, height), interpolation=_INTERPOLATIONS[upscale])
    info = {"factor": factor, "low_width_px": low_w, "low_height_px": low_h, "upscale": upscale}
    return Perturbed(np.ascontiguousarray(restored, dtype=np.uint8), info)


def factor_for_inter_eye_distance(inter_eye_px: float, *, target_inter_eye_px: float) -> float:
    """The :func:`downscale` factor that brings a face's inter-eye distance to a target.

    Examples
    --------
    >>> factor_for_inter_eye_distance(60.0, target_inter_eye_px=15.0)
    4.0
    """
    current = require_positive("inter_eye_px", inter_eye_px)
    target = require_positive("target_inter_eye_px", target_inter_eye_px)
    return max(1.0, current / target)
