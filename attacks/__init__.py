"""Image perturbations for stress-testing face recognition and quality measures.

Generators live in :mod:`attacks.compression`, :mod:`attacks.blur`, :mod:`attacks.noise`,
:mod:`attacks.resolution` and :mod:`attacks.lighting`; each returns a
:class:`~attacks.base.Perturbed` ``(image, info)`` pair (see :mod:`attacks.base`). This
registry names them with five severities each (:mod:`attacks.severities`) so a sweep or
the command line can ask for ``"jpeg"`` at severity 3. A perturbation applies to any RGB
image: the whole capture before face detection, or an aligned face crop.

Examples
--------
>>> from skimage import data
>>> image, info = apply_perturbation(data.astronaut(), "jpeg", severity=5)
>>> info["quality"]
4
>>> "gaussian_blur" in list_perturbations()
True
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from attacks.base import Perturbed
from attacks.severities import N_SEVERITIES, TABLES, SeverityTable


@dataclass(frozen=True)
class Perturbation:
    """A named perturbation: its generator and severity table, callable by severity."""

    table: SeverityTable
    function: Callable[..., Perturbed]

    @property
    def name(self) -> str:
        return self.table.name

    def parameters(self, severity: int) -> dict:
        """The generator's keyword arguments at ``severity`` (1..5)."""
        return self.table.parameters(severity)

    def __call__(self, image: np.ndarray, *, severity: int,
                 rng: int | np.random.Generator | None = None) -> Perturbed:
        kwargs = self.parameters(severity)
        if self.table.random:
            kwargs["rng"] = rng
        return self.function(image, **kwargs)


def list_perturbations() -> list[str]:
    """Registered perturbation names, in listing order."""
    return list(TABLES)


def create_perturbation(name: str) -> Perturbation:
    """The perturbation called ``name`` (case and ``-``/``_`` insensitive).

    Raises
    ------
    ValueError
        For an unknown name, with the closest registered names.

    Examples
    --------
    >>> create_perturbation("Gaussian-Blur").parameters(2)
    {'sigma_px': 2}
    """
    key = name.strip().lower().replace("-", "_")
    if key not in TABLES:
        close = difflib.get_close_matches(key, list(TABLES), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"unknown perturbation {name!r}.{hint} "
                         f"Available: {', '.join(TABLES)}")
    table = TABLES[key]
    module_name, function_name = table.generator.rsplit(".", 1)
    module = importlib.import_module(f"attacks.{module_name}")
    return Perturbation(table, getattr(module, function_name))


def apply_perturbation(image: np.ndarray, name: str, *, severity: int,
                       rng: int | np.random.Generator | None = None) -> Perturbed:
    """Apply perturbation ``name`` at ``severity`` (1..5) to an RGB uint8 image.

    ``rng`` (a seed or numpy Generator) is used by the random perturbations only.
    """
    return create_perturbation(name)(image, severity=severity, rng=rng)


__all__ = ["N_SEVERITIES", "Perturbation", "Perturbed", "apply_perturbation",
           "create_perturbation", "list_perturbations"]
