"""The landmark-placed face-region ellipse on the aligned canvas."""

from __future__ import annotations

import numpy as np
import pytest

from fiqa.context import FaceContext
from fiqa.face import Face, template_points
from fiqa.measures.face_region import face_ellipse_mask, face_region_mask

SIZE = 256
TEMPLATE = template_points(size=SIZE, margin=0.25)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_ellipse_covers_the_landmarks_and_not_the_canvas_corners():
    mask = face_ellipse_mask(TEMPLATE, (SIZE, SIZE))
    cols, rows = np.round(TEMPLATE).astype(int).T
    assert mask[rows, cols].all()
    assert not mask[[0, 0, -1, -1], [0, -1, 0, -1]].any()
    assert 0.12 < mask.mean() < 0.2  # inner face only: no hair, ears or background


def test_mask_follows_an_in_plane_rotation_of_the_landmarks():
    centre = (SIZE - 1) / 2
    turned = TEMPLATE - centre
    turned = np.stack([turned[:, 1], -turned[:, 0]], 1) + centre  # 90 deg counter-clockwise
    rotated = face_ellipse_mask(turned, (SIZE, SIZE))
    assert iou(rotated, np.rot90(face_ellipse_mask(TEMPLATE, (SIZE, SIZE)))) > 0.98


def test_mask_is_mirror_symmetric():
    face = Face(np.array([0, 0, 1, 1], np.float32), TEMPLATE, 1.0)
    mirrored = face_ellipse_mask(face.mirrored(SIZE).landmarks, (SIZE, SIZE))
    assert iou(mirrored, face_ellipse_mask(TEMPLATE, (SIZE, SIZE))[:, ::-1]) > 0.98


def test_area_scales_with_the_square_of_the_face_size():
    small = face_ellipse_mask(TEMPLATE / 2, (SIZE, SIZE)).sum()
    large = face_ellipse_mask(TEMPLATE, (SIZE, SIZE)).sum()
    assert large / small == pytest.approx(4.0, rel=0.03)


def test_face_region_mask_is_memoised_on_the_context():
    face = Face(np.array([30, 30, 60, 80], np.float32), TEMPLATE / 2, 0.9)
    ctx = FaceContext.build(np.zeros((160, 160, 3), np.uint8), [face])
    mask = face_region_mask(ctx)
    assert mask.shape == (SIZE, SIZE) and mask.dtype == bool
    assert face_region_mask(ctx) is mask


def test_bad_landmarks_are_rejected_with_a_reason():
    with pytest.raises(ValueError, match=r"finite \(5, 2\)"):
        face_ellipse_mask(np.zeros((4, 2)), (SIZE, SIZE))
    with pytest.raises(ValueError, match="degenerate"):
        face_ellipse_mask(np.ones((5, 2)), (SIZE, SIZE))
