"""The face mesh landmarker: crop geometry, mapping back, and the model on a real face."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fiqa.face import Face, FaceDetector
from fiqa.mesh import CHIN, FOREHEAD, INPUT_SIZE, FaceMesh, crop_matrix, to_image


def _face(eyes, box=(10, 20, 100, 120)):
    points = np.array([*eyes, [60, 80], [45, 100], [75, 100]], np.float32)
    return Face(np.array(box, np.float32), points, 0.9)


def test_crop_is_centred_on_the_box_and_levels_the_eye_line():
    face = _face([[40, 60], [80, 80]])  # eye line 26.6 degrees clockwise as viewed
    matrix = crop_matrix(face)
    centre = matrix @ np.array([60.0, 80.0, 1.0])
    assert centre == pytest.approx([INPUT_SIZE / 2] * 2)
    eyes = face.landmarks[:2] @ matrix[:, :2].T + matrix[:, 2]
    assert eyes[0, 1] == pytest.approx(eyes[1, 1], abs=1e-4)
    assert np.hypot(*(eyes[1] - eyes[0])) == pytest.approx(np.hypot(40, 20) * INPUT_SIZE / 180)


def test_points_map_back_to_the_image_with_depth_scaled_alike():
    matrix = crop_matrix(_face([[40, 60], [80, 70]]))
    image_points = np.array([[30.0, 40.0], [90.0, 120.0]])
    crop_points = image_points @ matrix[:, :2].T + matrix[:, 2]
    back = to_image(matrix, np.hstack([crop_points, [[10.0], [-10.0]]]))
    assert back[:, :2] == pytest.approx(image_points, abs=1e-3)
    scale = np.sqrt(abs(np.linalg.det(matrix[:, :2])))
    assert back[:, 2] == pytest.approx([10 / scale, -10 / scale], rel=1e-5)


@pytest.fixture(scope="module")
def astronaut_mesh(sample_face):
    face = FaceDetector().detect(sample_face)[0]
    return face, FaceMesh()(sample_face, face)


def test_mesh_agrees_with_yunet_on_a_real_face(astronaut_mesh):
    face, mesh = astronaut_mesh
    assert mesh.presence > 0.99
    assert np.abs(mesh.eye_centres() - face.landmarks[:2]).max() < 0.15 * face.inter_eye_distance
    assert mesh.points[FOREHEAD, 1] < face.landmarks[:2, 1].min() < face.landmarks[3:, 1].max() < mesh.points[CHIN, 1]


def test_mirrored_photo_gives_the_mirrored_mesh(sample_face, astronaut_mesh):
    face, mesh = astronaut_mesh
    width = sample_face.shape[1]
    mirrored = FaceMesh()(np.ascontiguousarray(sample_face[:, ::-1]), face.mirrored(width))
    # the eye centres swap roles; x is mirrored about the image centre
    expected = mesh.eye_centres()[::-1].copy()
    expected[:, 0] = width - 1 - expected[:, 0]
    assert mirrored.eye_centres() == pytest.approx(expected, abs=0.05 * face.inter_eye_distance)


def test_a_crop_without_a_face_has_low_presence(sample_face):
    blank = cv2.GaussianBlur(np.full((300, 300, 3), 128, np.uint8), (5, 5), 0)
    assert FaceMesh()(blank, _face([[120, 140], [180, 140]], box=(100, 100, 100, 120))).presence < 0.5
