"""What a quality measure receives: one detected face and everything derived from it.

Measures never open files or models; the pipeline builds a :class:`FaceContext` per face
and hands batches of them to scorers. Intermediate results shared by several measures
(a luminance map, a head-pose solve) are computed once through :meth:`FaceContext.memo`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fiqa.face import (
    QUALITY_MARGIN,
    QUALITY_SIZE,
    Face,
    align_face,
    alignment_matrix,
    transform_points,
)


@dataclass
class FaceContext:
    """One face in one image.

    Attributes
    ----------
    image : ndarray of uint8, (H, W, 3)
        The whole RGB image as loaded.
    face : Face
        The subject (chosen by the run's rule, see :func:`fiqa.face.subject_face`).
    faces : list of Face
        Every detected face, largest first.
    aligned : ndarray of uint8, (QUALITY_SIZE, QUALITY_SIZE, 3)
        The face warped to the ArcFace template with QUALITY_MARGIN context.
    aligned_landmarks : ndarray, (5, 2)
        The landmarks in ``aligned`` coordinates.
    """

    image: np.ndarray
    face: Face
    faces: list[Face]
    aligned: np.ndarray
    aligned_landmarks: np.ndarray
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, image: np.ndarray, faces: list[Face], *,
              subject: Face | None = None) -> FaceContext:
        """Context for ``subject`` (default: the largest of ``faces``, which must not be empty).

        Examples
        --------
        >>> from fiqa.face import ARCFACE_TEMPLATE
        >>> face = Face(np.array([30, 30, 60, 80], np.float32), ARCFACE_TEMPLATE + 20, 0.9)
        >>> ctx = FaceContext.build(np.zeros((150, 150, 3), np.uint8), [face])
        >>> ctx.aligned.shape
        (256, 256, 3)
        """
        if not faces:
            raise ValueError("FaceContext needs at least one detected face")
        subject = faces[0] if subject is None else subject
        matrix = alignment_matrix(subject.landmarks, size=QUALITY_SIZE, margin=QUALITY_MARGIN)
        return cls(
            image=image,
            face=subject,
            faces=list(faces),
            aligned=align_face(image, subject.landmarks, size=QUALITY_SIZE, margin=QUALITY_MARGIN),
            aligned_landmarks=transform_points(matrix, subject.landmarks),
        )

    def arcface(self, *, size: int = 112) -> np.ndarray:
        """The subject warped to the ArcFace template at ``size`` px - the recognizers'
        own view of the face - computed once per context and size.

        Examples
        --------
        >>> from fiqa.face import ARCFACE_TEMPLATE
        >>> face = Face(np.array([30, 30, 60, 80], np.float32), ARCFACE_TEMPLATE + 20, 0.9)
        >>> FaceContext.build(np.zeros((150, 150, 3), np.uint8), [face]).arcface().shape
        (112, 112, 3)
        """
        return self.memo(f"arcface{size}",
                         lambda ctx: align_face(ctx.image, ctx.face.landmarks, size=size))

    @property
    def mesh(self):
        """The subject's 468-point face mesh (:class:`fiqa.mesh.DenseLandmarks`), computed
        once per context by the process's :func:`fiqa.mesh.default_face_mesh`."""
        return self.memo("face_mesh", _face_mesh)

    def memo(self, key: str, compute: Callable[[FaceContext], Any]) -> Any:
        """``compute(self)``, evaluated once per context and key."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        return self._memo[key]


def _face_mesh(ctx: FaceContext):
    from fiqa.mesh import default_face_mesh

    return default_face_mesh()(ctx.image, ctx.face)
