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


class CropModel:
    """A model shipped in ``models/<name>/`` that maps square RGB crops to one value each.

    ``crop_size`` comes from the card's ``input.size``; ``hint`` tells a caller with
    wrongly shaped crops how to make them.
    """

    def __init__(self, name: str, *, batch_size: int = 64, hint: str = ""):
        from fiqa.models import read_card, shipped_model

        self.model = shipped_model(name)
        self.card = read_card(name)
        self.crop_size = int(self.card["input"]["size"])
        self.batch_size = batch_size
        self.hint = hint

    def checked(self, crops: np.ndarray) -> np.ndarray:
        """``crops`` as an array, if shaped (N, size, size, 3); else a ValueError with the hint."""
        crops = np.asarray(crops)
        size = self.crop_size
        if crops.ndim != 4 or crops.shape[1:] != (size, size, 3):
            raise ValueError(f"expected crops of shape (N, {size}, {size}, 3), got "
                             f"{crops.shape}; {self.hint}")
        return crops

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """The model's output for (N, size, size, 3) RGB ``uint8`` crops, as float64."""
        from fiqa.models import onnx_session

        return run_model(onnx_session(self.model.path), self.checked(crops),
                         batch_size=self.batch_size)


def model_input(crops: np.ndarray) -> np.ndarray:
    """The model's input tensor for crops: uint8 NHWC RGB -> float32 NCHW in 0..255 (the
    graph normalises internally)."""
    return np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32)


def run_model(session, crops: np.ndarray, *, batch_size: int = 64) -> np.ndarray:
    """One value per crop from an onnxruntime session of a crop model, in batches."""
    name = session.get_inputs()[0].name
    out = [
        session.run(None, {name: model_input(crops[i : i + batch_size])})[0].reshape(-1)
        for i in range(0, len(crops), batch_size)
    ]
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)
