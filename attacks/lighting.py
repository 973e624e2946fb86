"""Lighting and occlusion: exposure, contrast, gamma, colour cast, a solid patch.

Exposure and colour cast act in linear light (the sRGB transfer curve is undone first),
as a change of exposure time or a white-balance error would; contrast and gamma act on
the stored 8-bit values, as a tone curve applied in a camera or by software would.
"""

from __future__ import annotations

import numpy as np

from attacks.base import Perturbed, as_rng, check_image, require_positive, to_float, to_uint8


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """sRGB-encoded 0..255 values to linear light in 0..1 (IEC 61966-2-1)."""
    v = np.asarray(values, np.float32) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear light (clipped to 0..1) to sRGB-encoded 0..255 float values."""
    v = np.clip(np.asarray(linear, np.float32), 0.0, 1.0)
    encoded = np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)
    return (encoded * 255.0).astype(np.float32)


def brightness(image: np.ndarray, *, stops: float) -> Perturbed:
    """Change exposure by ``stops`` (linear-light gain 2**stops; +1 doubles the light).

    Positive stops over-expose (highlights clip at 255), negative under-expose (shadows
    merge into few 8-bit levels).

    Examples
    --------
    >>> import numpy as np
    >>> out, info = brightness(np.full((4, 4, 3), 100, np.uint8), stops=1)
    >>> int(out[0, 0, 0]), info["gain"]
    (138, 2.0)
    """
    gain = float(2.0 ** float(stops))
    linear = srgb_to_linear(check_image(image)) * gain
    return Perturbed(to_uint8(linear_to_srgb(linear)), {"stops": float(stops), "gain": gain})


def contrast(image: np.ndarray, *, factor: float) -> Perturbed:
    """Scale deviations from the image's mean grey by ``factor`` (< 1 flattens, > 1 boosts).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.array([[[0, 0, 0], [200, 200, 200]]], np.uint8)
    >>> contrast(img, factor=0.5).image[0, :, 0].tolist()
    [50, 150]
    """
    factor = require_positive("factor", factor, allow_zero=True)
    values = to_float(image)
    mean = float(values.mean())
    return Perturbed(to_uint8(mean + factor * (values - mean)),
                     {"factor": factor, "mean_level": mean})


def gamma(image: np.ndarray, *, gamma: float) -> Perturbed:
    """Apply the tone curve ``out = 255 * (in / 255) ** gamma`` (> 1 darkens mid-tones).

    Examples
    --------
    >>> import numpy as np
    >>> int(gamma(np.full((2, 2, 3), 128, np.uint8), gamma=2.0).image[0, 0, 0])
    64
    """
    value = require_positive("gamma", gamma)
    return Perturbed(to_uint8(255.0 * (to_float(image) / 255.0) ** value), {"gamma": value})


def colour_cast(image: np.ndarray, *, channel_gains: tuple[float, float, float]) -> Perturbed:
    """Multiply linear-light R, G, B by ``channel_gains`` (a white-balance error).

    The gains are rescaled so the luminance of a grey pixel is unchanged (Rec. 709 weights),
    so the cast changes colour, not brightness. ``(1.3, 1.0, 0.7)`` is a warm (tungsten) cast.

    Examples
    --------
    >>> import numpy as np
    >>> out, _ = colour_cast(np.full((2, 2, 3), 128, np.uint8), channel_gains=(1.3, 1.0, 0.7))
    >>> bool(out[0, 0, 0] > out[0, 0, 1] > out[0, 0, 2])
    True
    """
    gains = np.asarray(channel_gains, np.float32).reshape(-1)
    if gains.shape != (3,) or not np.all(np.isfinite(gains)) or np.any(gains <= 0):
        raise ValueError(f"channel_gains must be three positive numbers (R, G, B), got {channel_gains}")
    gains = gains / float(np.dot(gains, [0.2126, 0.7152, 0.0722]))
    linear = srgb_to_linear(check_image(image)) * gains
    return Perturbed(to_uint8(linear_to_srgb(linear)),
                     {"channel_gains": [float(g) for g in gains]})


def occlusion(image: np.ndarray, *, area_fraction: float, colour_rgb: tuple[int, int, int] = (0, 0, 0),
              box_xywh: tuple[float, float, float, float] | None = None,
              rng: int | np.random.Generator | None = None) -> Perturbed:
    """Paint a solid square covering ``area_fraction`` of a region at a random place inside it.

    Parameters
    ----------
    area_fraction : float
        Patch area over the region's area, in (0, 1].
    colour_rgb : tuple of 3 ints
        The patch colour.
    box_xywh : tuple, optional
        The region (x, y, width, height) in pixels, e.g. a detected face box; default the
        whole image. The patch is placed wholly inside the region, clipped to the image.
    rng : int or numpy Generator, optional
        Draws the patch position as two uniform fractions of the free range, so with one
        seed a larger patch sits at the same relative place.

    Returns
    -------
    Perturbed
        ``info`` has ``area_fraction``, ``colour_rgb`` and the drawn ``patch_xywh``.

    Examples
    --------
    >>> import numpy as np
    >>> out, info = occlusion(np.full((100, 100, 3), 255, np.uint8), area_fraction=0.25, rng=0)
    >>> int((out[..., 0] == 0).sum()), info["patch_xywh"][2:]
    (2500, [50, 50])
    """
    check_image(image)
    fraction = require_positive("area_fraction", area_fraction)
    if fraction > 1:
        raise ValueError(f"area_fraction must be in (0, 1], got {fraction}")
    height, width = image.shape[:2]
    x, y, w, h = box_xywh if box_xywh is not None else (0, 0, width, height)
    side = float(np.sqrt(fraction * w * h))
    side_w, side_h = min(side, w), min(fraction * w * h / min(side, w), h)
    u, v = as_rng(rng).random(2)
    left = round(float(x + u * (w - side_w)))
    top = round(float(y + v * (h - side_h)))
    pw, ph = round(side_w), round(side_h)
    out = image.copy()
    out[max(top, 0):max(top + ph, 0), max(left, 0):max(left + pw, 0)] = np.asarray(colour_rgb, np.uint8)
    info = {"area_fraction": fraction, "colour_rgb": [int(c) for c in colour_rgb],
            "patch_xywh": [left, top, pw, ph]}
    return Perturbed(out, info)
