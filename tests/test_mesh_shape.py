"""The mesh's rigid fit: rotations recovered, the pose conventions, the reference shape."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from fiqa.mesh_shape import (
    MESH_POINTS,
    canonical_shape,
    mean_frontal_shape,
    mesh_rotation,
    mesh_yaw_pitch,
    normalised,
    yaw_pitch,
)


def turned(shape: np.ndarray, *, yaw: float = 0.0, pitch: float = 0.0) -> np.ndarray:
    """``shape`` posed with a yaw (nose to the image's right > 0) and a pitch (up > 0):
    the rotations that move the nose direction (0, 0, -1) accordingly."""
    rotation = (Rotation.from_euler("y", -yaw, degrees=True)
                * Rotation.from_euler("x", -pitch, degrees=True)).as_matrix()
    return shape @ rotation.T


@pytest.mark.parametrize(("yaw", "pitch"), [(0, 25), (0, -30), (40, 0), (-20, 10)])
def test_a_posed_reference_reads_its_yaw_and_pitch(yaw, pitch):
    shape = canonical_shape()
    found = mesh_yaw_pitch(200 + 90 * turned(shape, yaw=yaw, pitch=pitch))
    assert found == pytest.approx((yaw, pitch), abs=1e-6)


def test_head_up_means_the_nose_points_up_in_the_image():
    up = turned(canonical_shape(), pitch=20)
    nose_tip = 1  # MediaPipe's nose-tip point
    assert up[nose_tip, 1] < canonical_shape()[nose_tip, 1]  # y grows downwards
    assert yaw_pitch(mesh_rotation(up, canonical_shape()))[1] > 0


def test_rotation_ignores_scale_and_shift_and_is_proper(rng):
    reference = rng.normal(size=(100, 3))
    rotation = Rotation.random(random_state=1).as_matrix()
    found = mesh_rotation(7.5 * reference @ rotation.T - 40, reference)
    assert np.allclose(found, rotation, atol=1e-9)
    mirrored = reference * [-1, 1, 1]
    assert np.linalg.det(mesh_rotation(mirrored, reference)) == pytest.approx(1.0)


def test_mean_shape_is_symmetric_and_in_the_inputs_average_frame(rng):
    base = canonical_shape()
    shapes = [50 * turned(base + rng.normal(scale=0.01, size=base.shape), yaw=yaw, pitch=pitch)
              for yaw, pitch in ((5, 3), (-5, -3), (3, -4), (-3, 4))]
    mean = mean_frontal_shape(np.array(shapes))
    assert mean.shape == (MESH_POINTS, 3)
    assert np.allclose(mean, normalised(mean))
    assert np.allclose(mesh_rotation(mean, base), np.eye(3), atol=0.01)
    assert np.abs(mean - base).max() < 0.05


def test_shipped_shape_is_mirror_symmetric_with_the_face_looking_at_the_camera():
    shape = canonical_shape()
    mirrored = shape * [-1, 1, 1]
    nearest = np.linalg.norm(shape[:, None] - mirrored[None], axis=2).min(1)
    assert np.median(nearest) < 0.01
    assert mesh_yaw_pitch(shape) == pytest.approx((0.0, 0.0), abs=1e-6)
