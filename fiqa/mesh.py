"""Dense face landmarks: MediaPipe's 468-point face mesh, seeded by the YuNet face.

The model (``models/face_mesh/``, converted once from the ``mediapipe`` wheel, see its
card) sees a 192x192 RGB crop in 0..1 and returns 468 points (x, y, z) in crop pixels;
z is depth with the same scale as x (smaller = nearer the camera), relative to the
face's centre. The crop follows MediaPipe's own recipe for a detector box: a square
:data:`CROP_SCALE` times the longer side of the box, centred on the box, turned so that
the eye line is level, edge pixels repeated outside the image. The points are mapped
back to the pixels of the whole image (z scaled alike), so measures use them directly.

Point numbers used by fiqa (MediaPipe's canonical mesh; "right"/"left" are the
subject's, so the subject's right eye is on the image's left):

=====================  ==========================================================
:data:`RIGHT_EYE`      corners 33 (outer), 133 (inner); lids 160/144, 159/145, 158/153
:data:`LEFT_EYE`       corners 263 (outer), 362 (inner); lids 387/373, 386/374, 385/380
:data:`INNER_LIPS`     corners 78, 308; openings 81/178, 13/14, 311/402
:data:`CHIN`           152 (menton); :data:`FOREHEAD` 10 (top of the mesh, mid-forehead)
=====================  ==========================================================

The mesh is computed once per :class:`fiqa.context.FaceContext` (``ctx.mesh``) and
shared by every family that needs it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from fiqa.face import Face

INPUT_SIZE = 192
#: Side of the crop over the longer side of the detector box (MediaPipe uses 1.5).
CROP_SCALE = 1.5
RIGHT_EYE = {"corners": (33, 133), "lids": ((160, 144), (159, 145), (158, 153))}
LEFT_EYE = {"corners": (263, 362), "lids": ((387, 373), (386, 374), (385, 380))}
INNER_LIPS = {"corners": (78, 308), "lids": ((81, 178), (13, 14), (311, 402))}
CHIN = 152
FOREHEAD = 10


@dataclass(frozen=True)
class DenseLandmarks:
    """The 468 mesh points of one face in image pixels.

    Attributes
    ----------
    points : ndarray of float32, (468, 3)
        x, y in pixels of the whole image; z depth in the same units (smaller = nearer).
    presence : float
        The model's face-presence probability for the crop (0..1).
    """

    points: np.ndarray
    presence: float

    def eye_centres(self) -> np.ndarray:
        """(2, 2): midpoints of the corners of the image-left then the image-right eye."""
        return np.array([self.points[list(part["corners"]), :2].mean(0)
                         for part in (RIGHT_EYE, LEFT_EYE)], np.float64)

    def max_opening(self, part: dict) -> float:
        """Largest distance between paired upper and lower points of an eye or the lips."""
        pts = self.points[:, :2].astype(np.float64)
        return max(float(np.hypot(*(pts[a] - pts[b]))) for a, b in part["lids"])

    def inter_eye_distance(self) -> float:
        """Distance between the :meth:`eye_centres`, pixels.

        Examples
        --------
        >>> points = np.zeros((468, 3), np.float32)
        >>> points[[33, 133, 362, 263], 0] = 70, 90, 130, 150  # corners; eye centres 80, 140
        >>> DenseLandmarks(points, presence=1.0).inter_eye_distance()
        60.0
        """
        left, right = self.eye_centres()
        return float(np.hypot(*(right - left)))

    def eye_to_chin(self) -> float:
        """OFIQ's t-metric: eye-centre midpoint to chin, pixels."""
        return float(np.hypot(*(self.points[CHIN, :2] - self.eye_centres().mean(0))))


def crop_matrix(face: Face, *, size: int = INPUT_SIZE, scale: float = CROP_SCALE) -> np.ndarray:
    """2x3 matrix from image pixels to the model's crop for a YuNet ``face``.

    Examples
    --------
    >>> eyes_mouth = np.array([[40, 60], [80, 60], [60, 80], [45, 100], [75, 100]], np.float32)
    >>> face = Face(np.array([10, 20, 100, 120], np.float32), eyes_mouth, 0.9)
    >>> np.abs(crop_matrix(face)).round(3).tolist()  # level eyes: scale and shift only
    [[1.067, 0.0, 32.0], [0.0, 1.067, 10.667]]
    """
    x, y, w, h = (float(v) for v in face.box)
    eyes = np.asarray(face.landmarks[:2], np.float64)
    dx, dy = eyes[1] - eyes[0]
    angle = np.degrees(np.arctan2(dy, dx))
    zoom = size / (scale * max(w, h))
    matrix = cv2.getRotationMatrix2D((x + w / 2, y + h / 2), angle, zoom)
    matrix[:, 2] += size / 2 - np.array([x + w / 2, y + h / 2])
    return matrix


class FaceMesh:
    """onnxruntime session of the face mesh model (sha256 checked against its card).

    Examples
    --------
    >>> from skimage import data
    >>> from fiqa.face import FaceDetector
    >>> image = data.astronaut()
    >>> mesh = FaceMesh()(image, FaceDetector().detect(image)[0])
    >>> mesh.points.shape, mesh.presence > 0.9
    ((468, 3), True)
    """

    def __init__(self):
        from fiqa.models import onnx_session, shipped_model

        self.model = shipped_model("face_mesh")
        self._session = onnx_session(self.model.path, threads=1)  # one image per run
        self._input = self._session.get_inputs()[0].name

    def __call__(self, image: np.ndarray, face: Face) -> DenseLandmarks:
        """The mesh of ``face`` in an RGB ``uint8`` image."""
        matrix = crop_matrix(face)
        crop = cv2.warpAffine(image, matrix, (INPUT_SIZE, INPUT_SIZE), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
        tensor = (crop.astype(np.float32) / 255.0)[None]
        points, logit = self._session.run(None, {self._input: tensor})
        return DenseLandmarks(points=to_image(matrix, points.reshape(468, 3)),
                              presence=float(1.0 / (1.0 + np.exp(-float(logit.ravel()[0])))))

    def metadata(self) -> dict:
        return {"model": self.model.name, "sha256": self.model.sha256}


def to_image(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Crop points (N, 3) back to image pixels through the inverse of ``matrix``; z is
    scaled by the same factor as x and y."""
    inverse = cv2.invertAffineTransform(matrix)
    out = np.empty_like(points, dtype=np.float32)
    out[:, :2] = points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
    out[:, 2] = points[:, 2] * float(np.sqrt(abs(np.linalg.det(inverse[:, :2]))))
    return out


@functools.cache
def default_face_mesh() -> FaceMesh:
    """The process's one :class:`FaceMesh` (sessions are opened once)."""
    return FaceMesh()
