"""What every perturbation generator shares: its return type and input/output checks.

Convention for all generators in :mod:`attacks`: the image is positional (RGB ``uint8``,
``(H, W, 3)``), parameters are keyword-only with their unit in the name, anything random
takes ``rng`` (a seed or a :class:`numpy.random.Generator`), and the result is a
:class:`Perturbed` ``(image, info)`` pair: the perturbed image (same shape, dtype and range
as the input) and a dict of the parameters used, the values drawn at random and the
values achieved (file size, compression ratio...), all plain JSON-serialisable numbers.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fiqa.io import check_rgb


class Perturbed(NamedTuple):
    """A perturbed image and what was done to it (parameters, draws, achieved values).

    Examples
    --------
    >>> import numpy as np
    >>> image, info = Perturbed(np.zeros((2, 2, 3), np.uint8), {"quality": 50})
    >>> info["quality"]
    50
    """

    image: np.ndarray
    info: dict


def check_image(image: np.ndarray) -> np.ndarray:
    """Return ``image`` unchanged after checking it is a non-empty RGB ``uint8`` (H, W, 3)
    image (:func:`fiqa.io.check_rgb`, the one check at fiqa's edges).

    Raises
    ------
    ValueError
        For anything else, saying what was received.

    Examples
    --------
    >>> check_image(np.zeros((4, 4, 3), np.uint8)).shape
    (4, 4, 3)
    """
    check_rgb(image)
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image is empty (shape {image.shape})")
    return image


def to_float(image: np.ndarray) -> np.ndarray:
    """A checked RGB ``uint8`` image as float32 in 0..255 (the working form inside generators)."""
    return check_image(image).astype(np.float32)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Round float 0..255 values back to ``uint8``, clipping what fell outside the range."""
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def as_rng(rng: int | np.random.Generator | None) -> np.random.Generator:
    """A generator from a seed, an existing generator (used as is) or None (fresh entropy).

    Examples
    --------
    >>> float(as_rng(7).random()) == float(as_rng(7).random())
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise ValueError(f"rng must be an int seed, a numpy Generator or None, got {type(rng).__name__}")


def require_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """``value`` as a float after checking it is positive (or zero when allowed)."""
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value}")
    return value
