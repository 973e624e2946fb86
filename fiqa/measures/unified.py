"""``UnifiedQualityScore``: a small CNN, trained by fiqa, predicts a face's recognition utility.

The model (``models/unified/``, see its card) sees the 112 px ArcFace crop of the subject
(:meth:`fiqa.context.FaceContext.arcface`, the recognizer's own input) and predicts how
well recognizers do with that face: its training label is SDD-FIQA's distance between the
face's mated and non-mated similarity distributions, measured with SFace and dlib on the
development data, as a rank among the training samples. The raw value is that predicted
rank (0..1, higher = more useful); the 0-100 scalar is ``100 * raw`` (the mapping is in the
card), so a scalar of 30 reads "more useful than about 30 % of the training faces", half
of which were degraded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fiqa.context import FaceContext
from fiqa.measures.base import CropModel
from fiqa.measures.mapping import linear_scalar

MEASURE = "UnifiedQualityScore"


class UnifiedScorer(CropModel):
    """Batched onnxruntime scorer for ``UnifiedQualityScore``; ``predict`` (from
    :class:`~fiqa.measures.base.CropModel`) takes (N, 112, 112, 3) ArcFace crops.

    Examples
    --------
    >>> from fiqa.face import ARCFACE_TEMPLATE, Face
    >>> from skimage import data
    >>> face = Face(np.array([0, 0, 1, 1], np.float32), ARCFACE_TEMPLATE * 2 + 120, 1.0)
    >>> ctx = FaceContext.build(data.astronaut(), [face])
    >>> raw = UnifiedScorer().raw([ctx])[MEASURE]
    >>> bool(0.0 <= raw[0] <= 1.0)
    True
    """

    family = "unified"
    measures = (MEASURE,)

    def __init__(self, *, batch_size: int = 64):
        super().__init__("unified", batch_size=batch_size,
                         hint="align them with fiqa.face.align_face")
        self.low = float(self.card["scalar_mapping"]["low"])
        self.high = float(self.card["scalar_mapping"]["high"])

    def raw(self, contexts: Sequence[FaceContext]) -> dict[str, np.ndarray]:
        if not contexts:
            return {MEASURE: np.zeros(0)}
        crops = np.stack([ctx.arcface(size=self.crop_size) for ctx in contexts])
        return {MEASURE: self.predict(crops)}

    def scalar(self, measure: str, raw: np.ndarray) -> np.ndarray:
        if measure != MEASURE:
            raise ValueError(f"the unified scorer has no measure {measure!r}")
        return linear_scalar(raw, low=self.low, high=self.high)

    def metadata(self) -> dict:
        return {"family": self.family, "model": self.model.path.name,
                "model_sha256": self.model.sha256, "crop_size": self.crop_size}
