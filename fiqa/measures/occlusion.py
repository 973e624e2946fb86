"""``EyesVisible``: how much of the eye regions is hidden, from a face-occlusion segmentation.

OFIQ's definition (``EyesVisible.cpp``, after ISO/IEC 39794-5's eye visibility zone):

1. For each eye, the eye visibility zone (EVZ) is the bounding box of the eye's landmarks
   grown by ``V = IED / 20`` on every side (IED: the distance between the eye centres).
2. Raw value: the share of EVZ pixels (both eyes together) that the occlusion mask marks
   as hidden, 0 (both eyes fully visible) .. 1 (both hidden).
3. Scalar: ``round(100 (1 - raw))``, clipped to [0, 100].

fiqa's occlusion mask comes from its own network (``models/face_occlusion/``, trained by
``fiqa train occlusion`` on development crops with synthetic occluders: see its card), run
on the subject's 112 px ArcFace crop (:meth:`fiqa.context.FaceContext.arcface`); a pixel is
hidden where the network's probability is at least 0.5. The eye landmarks are the face
mesh's eight per eye (corners and three lid pairs, :mod:`fiqa.mesh`), mapped into the crop.

Deviations from OFIQ: OFIQ's mask comes from a face-occlusion segmentation trained on
hand-labelled photographs and is computed on its 616 px aligned canvas with ADNet's
landmarks; fiqa's network learned from synthetic occluders only (sunglasses, hands, hair,
objects, hats, masks), so occluders unlike those may be missed; ``V`` is not rounded down
to whole pixels (in the 112 px crop it is about 1.8 px; OFIQ's canvas has about 5 px).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fiqa.context import FaceContext
from fiqa.face import alignment_matrix, transform_points
from fiqa.measures.base import CropModel, model_input
from fiqa.mesh import LEFT_EYE, RIGHT_EYE

MEASURE = "EyesVisible"
#: A crop pixel is hidden where the occlusion probability is at least this.
HIDDEN = 0.5


def eye_points(part: dict) -> list[int]:
    """The mesh point numbers of one eye: its corners and both points of each lid pair."""
    return list(part["corners"]) + [index for pair in part["lids"] for index in pair]


def eye_zones(points: np.ndarray) -> np.ndarray:
    """(2, 4) eye visibility zones (x0, y0, x1, y1) from mesh ``points`` (468, 2+) given in
    the coordinates the zones are wanted in.

    Examples
    --------
    >>> points = np.zeros((468, 2))
    >>> points[eye_points(RIGHT_EYE)] = [[30, 50], [46, 50]] + [[38, 46], [38, 54]] * 3
    >>> points[eye_points(LEFT_EYE)] = [[82, 50], [66, 50]] + [[74, 46], [74, 54]] * 3
    >>> eye_zones(points).round(1).tolist()  # IED 36 px: V = 1.8 px
    [[28.2, 44.2, 47.8, 55.8], [64.2, 44.2, 83.8, 55.8]]
    """
    zones = []
    for part in (RIGHT_EYE, LEFT_EYE):
        eye = points[eye_points(part), :2]
        zones.append(np.concatenate([eye.min(0), eye.max(0)]))
    centres = np.array([points[list(part["corners"]), :2].mean(0) for part in (RIGHT_EYE, LEFT_EYE)])
    grow = float(np.hypot(*(centres[1] - centres[0]))) / 20
    return np.array(zones, np.float64) + [-grow, -grow, grow, grow]


def zone_mask(zones: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Boolean mask of the pixels whose centres lie inside any of the ``zones``.

    Examples
    --------
    >>> int(zone_mask(np.array([[1.0, 1.0, 3.0, 2.0]]), (5, 5)).sum())  # x 1..3, y 1..2
    6
    """
    y, x = np.mgrid[0:shape[0], 0:shape[1]]
    inside = np.zeros(shape, bool)
    for x0, y0, x1, y1 in zones:
        inside |= (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    return inside


def hidden_share(occlusion: np.ndarray, zones: np.ndarray) -> float:
    """OFIQ ``EyesVisible`` raw: the share of zone pixels with occlusion >= :data:`HIDDEN`
    (NaN when the zones hold no pixel)."""
    inside = zone_mask(zones, occlusion.shape)
    return float((occlusion[inside] >= HIDDEN).mean()) if inside.any() else float("nan")


class OcclusionScorer(CropModel):
    """The ``occlusion`` family: ``EyesVisible`` from the face-occlusion network and the mesh.

    Examples
    --------
    >>> from skimage import data
    >>> from fiqa.face import FaceDetector
    >>> image = data.astronaut()
    >>> ctx = FaceContext.build(image, FaceDetector().detect(image))
    >>> raw = OcclusionScorer().raw([ctx])[MEASURE]
    >>> bool(raw[0] < 0.1)  # her eyes are in plain view
    True
    """

    family = "occlusion"
    measures = (MEASURE,)

    def __init__(self, *, batch_size: int = 32):
        from fiqa.models import onnx_session

        super().__init__("face_occlusion", batch_size=batch_size,
                         hint="make them with fiqa.face.align_face")
        self._session = onnx_session(self.model.path, threads=1)  # small work per run
        self._input = self._session.get_inputs()[0].name

    def occlusion(self, crops: np.ndarray) -> np.ndarray:
        """Occlusion probabilities (N, size, size) for (N, size, size, 3) RGB ``uint8`` crops."""
        crops, step = self.checked(crops), self.batch_size
        out = [self._session.run(None, {self._input: model_input(crops[i:i + step])})[0]
               for i in range(0, len(crops), step)]
        return np.concatenate(out) if out else np.zeros((0, self.crop_size, self.crop_size), np.float32)

    def raw(self, contexts: Sequence[FaceContext]) -> dict[str, np.ndarray]:
        if not contexts:
            return {MEASURE: np.zeros(0)}
        maps = self.occlusion(np.stack([ctx.arcface(size=self.crop_size) for ctx in contexts]))
        values = []
        for ctx, occlusion in zip(contexts, maps):
            matrix = alignment_matrix(ctx.face.landmarks, size=self.crop_size)
            points = transform_points(matrix, ctx.mesh.points[:, :2])
            values.append(hidden_share(occlusion, eye_zones(points)))
        return {MEASURE: np.array(values, np.float64)}

    def scalar(self, measure: str, raw: np.ndarray) -> np.ndarray:
        if measure != MEASURE:
            raise ValueError(f"the occlusion scorer has no measure {measure!r}")
        return np.clip(np.round(100 * (1 - np.asarray(raw, np.float64))), 0, 100)

    def metadata(self) -> dict:
        return {"family": self.family, "model": self.model.path.name,
                "model_sha256": self.model.sha256, "landmarks": "face_mesh"}
