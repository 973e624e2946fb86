import cv2
import numpy as np
import pytest

from fiqa.face import (
    ARCFACE_TEMPLATE,
    FaceDetector,
    align_face,
    alignment_matrix,
    similarity_matrix,
    template_points,
    transform_points,
)
from fiqa.io import load_image


@pytest.fixture(scope="module")
def detector():
    return FaceDetector()


def test_similarity_matrix_recovers_a_known_transform():
    angle = np.deg2rad(20)
    rotation = 1.7 * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target = ARCFACE_TEMPLATE @ rotation.T + [5.0, -3.0]
    matrix = similarity_matrix(ARCFACE_TEMPLATE, target)
    np.testing.assert_allclose(matrix[:, :2], rotation, atol=1e-4)
    np.testing.assert_allclose(transform_points(matrix, ARCFACE_TEMPLATE), target, atol=1e-3)


def test_template_with_margin_keeps_the_face_centred():
    points = template_points(size=256, margin=0.25)
    box = 256 / 1.5
    np.testing.assert_allclose(points, ARCFACE_TEMPLATE / 112 * box + 0.25 * box)
    assert abs(points[:, 0].mean() - 128) < 2


def test_detects_astronaut_face_with_landmarks_in_order(detector, sample_face):
    faces = detector.detect(sample_face)
    assert len(faces) == 1
    face = faces[0]
    assert face.score > 0.8
    left_eye, right_eye, nose, mouth_left, mouth_right = face.landmarks
    assert left_eye[0] < nose[0] < right_eye[0]
    assert mouth_left[0] < mouth_right[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])
    x, y, w, h = face.box
    assert x <= nose[0] <= x + w and y <= nose[1] <= y + h


def test_detection_is_scale_consistent_for_large_and_small_images(detector, sample_face):
    reference = detector.detect(sample_face)[0]
    big = cv2.resize(sample_face, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)  # 1536 px
    small = cv2.resize(sample_face, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)  # 128 px
    for image, factor in ((big, 3.0), (small, 0.25)):
        faces = detector.detect(image)
        assert faces, f"no face at scale {factor}"
        error = np.abs(faces[0].landmarks / factor - reference.landmarks).max()
        # YuNet landmarks move by 10-22% of the inter-eye distance across 0.25x-3x scales
        assert error < 0.25 * reference.inter_eye_distance


def test_several_faces_largest_first(detector, sample_face):
    small = cv2.resize(sample_face, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    canvas = np.full((512, 1024, 3), 255, np.uint8)
    canvas[:, :512] = sample_face
    canvas[128:384, 640:896] = small
    faces = detector.detect(canvas)
    assert len(faces) == 2
    assert faces[0].area > faces[1].area
    assert faces[0].landmarks[0, 0] < 512 < faces[1].landmarks[0, 0]


def test_blank_image_has_no_face(detector):
    assert detector.detect(np.full((300, 300, 3), 128, np.uint8)) == []


def test_detector_rejects_wrong_image_types(detector):
    with pytest.raises(ValueError, match="RGB uint8"):
        detector.detect(np.zeros((50, 50), np.uint8))


def test_alignment_puts_landmarks_on_the_template(detector, sample_face):
    face = detector.detect(sample_face)[0]
    crop = align_face(sample_face, face.landmarks)
    assert crop.shape == (112, 112, 3) and crop.dtype == np.uint8
    moved = transform_points(alignment_matrix(face.landmarks), face.landmarks)
    assert np.abs(moved - ARCFACE_TEMPLATE).max() < 6  # 5 points, 4 dof: small residual
    redetected = detector.detect(align_face(sample_face, face.landmarks, size=256, margin=0.25))[0]
    expected = template_points(size=256, margin=0.25)
    assert np.abs(redetected.landmarks - expected).max() < 10


def test_mirrored_face_matches_detection_on_mirrored_image(detector, sample_face):
    face = detector.detect(sample_face)[0]
    mirrored = detector.detect(np.ascontiguousarray(sample_face[:, ::-1]))[0]
    expected = face.mirrored(sample_face.shape[1])
    assert np.abs(expected.landmarks - mirrored.landmarks).max() < 0.1 * face.inter_eye_distance


def test_lfw_detection_rate(detector, lfw_image_paths):
    found = [len(detector.detect(load_image(p))) > 0 for p in lfw_image_paths]
    assert np.mean(found) >= 0.95


def _paste(frame_shape, face_image, at):
    frame = np.full((*frame_shape, 3), 118, np.uint8)
    y, x = at
    frame[y:y + face_image.shape[0], x:x + face_image.shape[1]] = face_image
    return frame


def test_a_small_face_in_a_large_frame_is_found(detector, sample_face):
    reference = detector.detect(sample_face)[0]  # a 90x114 px face box
    frame = _paste((4500, 6000), sample_face, (2500, 4000))
    assert detector.detect(cv2.resize(frame, (640, 480), interpolation=cv2.INTER_AREA)) == []
    faces = detector.detect(frame)  # was: [] (searched at 640 px only)
    assert len(faces) == 1
    expected = reference.landmarks + [4000, 2500]
    # found at a 1280 px level, where the face is 20 px: landmarks are coarser there
    assert np.abs(faces[0].landmarks - expected).max() < 0.35 * reference.inter_eye_distance


def test_the_finer_search_is_bounded(detector):
    blank = np.full((1500, 20000, 3), 118, np.uint8)
    calls = []
    original = detector._detect_scaled

    def spy(image, scale, base=1.0):
        calls.append(round(max(image.shape[:2]) * scale))
        return original(image, scale, base)

    detector._detect_scaled = spy
    try:
        assert detector.detect(blank) == []
    finally:
        del detector._detect_scaled
    assert calls == [640, 1280, 2560]  # no face: three levels, the finest 2560 px


@pytest.mark.slow
def test_a_300_px_lfw_face_in_a_12000x9000_photo_is_found(detector, lfw_image_paths):
    face_image = load_image(lfw_image_paths[0])
    reference = detector.detect(face_image)[0]
    scale = 300 / reference.box[3]  # the face box becomes 300 px tall
    big = cv2.resize(face_image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    frame = _paste((9000, 12000), big, (4000, 7000))
    faces = detector.detect(frame)  # was: [] (searched at 640 px only)
    assert len(faces) == 1
    expected = reference.landmarks * scale + [7000, 4000]
    assert np.abs(faces[0].landmarks - expected).max() < 0.25 * reference.inter_eye_distance * scale
