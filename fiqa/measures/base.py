"""The scorer interface every measure family implements, and the per-face helper class."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from fiqa.context import FaceContext


class Scorer(Protocol):
    """A family of measures computed together (they may share work or a model).

    ``measures`` are ISO/IEC 29794-5 / OFIQ names. ``raw`` returns one float array per
    measure, aligned with ``contexts`` (NaN where a value cannot be computed). ``metadata``
    is recorded with every run (model sha256, parameters).
    """

    family: str
    measures: tuple[str, ...]

    def raw(self, contexts: Sequence[FaceContext]) -> dict[str, np.ndarray]: ...

    def scalar(self, measure: str, raw: np.ndarray) -> np.ndarray: ...

    def metadata(self) -> dict: ...


@dataclass(frozen=True)
class Measure:
    """One measure computed face by face: ``compute(ctx) -> raw``, ``to_scalar(raw) -> 0..100``."""

    name: str
    compute: Callable[[FaceContext], float]
    to_scalar: Callable[[np.ndarray], np.ndarray]
    description: str


class MeasureScorer:
    """A :class:`Scorer` over measures that are computed one face at a time."""

    def __init__(self, family: str, measures: Sequence[Measure], *, parameters: dict | None = None):
        self.family = family
        self._measures = {measure.name: measure for measure in measures}
        self.measures = tuple(self._measures)
        self._parameters = parameters or {}

    def raw(self, contexts: Sequence[FaceContext]) -> dict[str, np.ndarray]:
        return {
            name: np.array([float(measure.compute(ctx)) for ctx in contexts], dtype=np.float64)
            for name, measure in self._measures.items()
        }

    def scalar(self, measure: str, raw: np.ndarray) -> np.ndarray:
        return np.asarray(self._measures[measure].to_scalar(np.asarray(raw, np.float64)), np.float64)

    def metadata(self) -> dict:
        return {"family": self.family, **self._parameters}
