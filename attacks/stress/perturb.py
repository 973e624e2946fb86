"""The perturbation step a sweep hands to the pipeline (picklable, so workers can run it)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from attacks import create_perturbation


def image_seed(seed: int, perturbation: str, severity: int, name: str) -> np.random.Generator:
    """The generator a random perturbation draws from for one image (stable across runs,
    whatever else is in the sweep and wherever the image is processed)."""
    return np.random.default_rng(
        [seed, zlib.crc32(perturbation.encode()), severity, zlib.crc32(name.encode())])


@dataclass(frozen=True)
class PerturbStep:
    """``step(image, name) -> (image, info)``: one perturbation at one severity.

    Examples
    --------
    >>> step = PerturbStep("gaussian_noise", 3, seed=0)
    >>> image = np.full((32, 32, 3), 128, np.uint8)
    >>> a, _ = step(image, "x.png")
    >>> b, _ = step(image, "x.png")
    >>> bool((a == b).all()), bool((a != image).any())
    (True, True)
    """

    perturbation: str
    severity: int
    seed: int = 0

    def __call__(self, image: np.ndarray, name: str) -> tuple[np.ndarray, dict]:
        generator = create_perturbation(self.perturbation)
        return generator(image, severity=self.severity,
                         rng=image_seed(self.seed, generator.name, self.severity, name))
