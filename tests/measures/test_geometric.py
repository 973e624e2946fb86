"""Geometric measures: hand-computed values on known landmarks, OFIQ's mappings, and how
they respond to resizing, cropping each side of real faces and a second pasted face."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fiqa.context import FaceContext
from fiqa.face import Face, FaceDetector
from fiqa.io import load_image
from fiqa.measures import select_measures
from fiqa.measures.geometric import CHIN_PER_EYE_MOUTH, MEASURES, eye_to_chin

SCALARS = {measure.name: measure.to_scalar for measure in MEASURES}
CROP_PX = 70


def measure_all(image: np.ndarray, faces: list[Face]) -> dict[str, float]:
    ctx = FaceContext.build(image, faces)
    return {measure.name: measure.compute(ctx) for measure in MEASURES}


def scalar(name: str, raw: float) -> float:
    return float(SCALARS[name](np.array(raw)))


def face_at(landmarks, box) -> Face:
    return Face(np.array(box, np.float32), np.array(landmarks, np.float32), 0.9)


@pytest.fixture(scope="module")
def detector():
    return FaceDetector()


@pytest.fixture(scope="module")
def single_faces(lfw_image_paths, detector):
    """(image, faces) for the first 6 LFW images in which exactly one face is found."""
    found = []
    for path in lfw_image_paths:
        image = load_image(path)
        faces = detector.detect(image)
        if len(faces) == 1:
            found.append((image, faces))
        if len(found) == 6:
            break
    return found


# --- definitions and hand-computed values -------------------------------------------------

def test_measures_follow_the_registry_order():
    assert tuple(m.name for m in MEASURES) == select_measures(["geometric"])["geometric"]


def test_hand_computed_values_for_known_landmarks():
    # eyes 40 px apart at y=100, mouth 50 px below: T = 1.76 * 50 = 88 px
    landmarks = [[80, 100], [120, 100], [100, 125], [85, 150], [115, 150]]
    image = np.zeros((300, 200, 3), np.uint8)
    values = measure_all(image, [face_at(landmarks, [60, 60, 80, 110])])
    assert values["InterEyeDistance"] == pytest.approx(40.0)
    assert values["HeadSize"] == pytest.approx(88.0 / 300)
    assert values["LeftwardCropOfTheFaceImage"] == pytest.approx(80 / 40)
    assert values["RightwardCropOfTheFaceImage"] == pytest.approx((200 - 120) / 40)
    assert values["MarginAboveOfTheFaceImage"] == pytest.approx(100 / 88)
    assert values["MarginBelowOfTheFaceImage"] == pytest.approx(200 / 88)
    assert values["SingleFacePresent"] == 0.0


def test_eye_to_chin_follows_rotation_and_scale():
    landmarks = np.array([[80, 100], [120, 100], [100, 125], [85, 150], [115, 150]], float)
    angle = np.deg2rad(30)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    turned = (landmarks - 100) @ rotation.T * 2 + 100
    assert eye_to_chin(landmarks) == pytest.approx(CHIN_PER_EYE_MOUTH * 50)
    assert eye_to_chin(turned) == pytest.approx(2 * CHIN_PER_EYE_MOUTH * 50)


def test_single_face_present_uses_the_two_largest_boxes():
    landmarks = [[80, 100], [120, 100], [100, 125], [85, 150], [115, 150]]
    image = np.zeros((300, 300, 3), np.uint8)
    big = face_at(landmarks, [50, 50, 100, 100])
    half = face_at(np.array(landmarks) + 100, [150, 150, 50, 50])
    tiny = face_at(np.array(landmarks) + 120, [250, 250, 10, 10])
    values = measure_all(image, [big, tiny, half])  # any order
    assert values["SingleFacePresent"] == pytest.approx(0.5)  # sqrt(2500 / 10000)
    assert scalar("SingleFacePresent", 0.5) == pytest.approx(50.0)
    assert scalar("SingleFacePresent", 0.0) == 100.0


def test_ofiq_scalar_mappings_at_reference_points():
    assert scalar("InterEyeDistance", 70.0) == pytest.approx(50.0)
    assert scalar("InterEyeDistance", 130.0) > 95
    assert scalar("HeadSize", 0.45) == pytest.approx(100.0)
    assert scalar("HeadSize", 0.35) == pytest.approx(scalar("HeadSize", 0.55))
    assert scalar("HeadSize", 0.35) == pytest.approx(200 / (1 + np.exp(2.0)))
    assert scalar("LeftwardCropOfTheFaceImage", 0.9) == pytest.approx(50.0)
    assert scalar("RightwardCropOfTheFaceImage", 1.3) > 98
    assert scalar("MarginAboveOfTheFaceImage", 1.4) == pytest.approx(50.0)
    assert scalar("MarginBelowOfTheFaceImage", 1.8) == pytest.approx(50.0)
    assert np.isnan(scalar("HeadSize", np.nan))


def test_mirroring_swaps_leftward_and_rightward_crop(single_faces):
    for image, faces in single_faces[:3]:
        width = image.shape[1]
        original = measure_all(image, faces)
        flipped = measure_all(np.ascontiguousarray(image[:, ::-1]),
                              [face.mirrored(width) for face in faces])
        tolerance = 1.01 / original["InterEyeDistance"]  # OFIQ measures x and width - x
        assert flipped["LeftwardCropOfTheFaceImage"] == pytest.approx(
            original["RightwardCropOfTheFaceImage"], abs=tolerance)
        assert flipped["RightwardCropOfTheFaceImage"] == pytest.approx(
            original["LeftwardCropOfTheFaceImage"], abs=tolerance)
        assert flipped["MarginAboveOfTheFaceImage"] == pytest.approx(
            original["MarginAboveOfTheFaceImage"])


# --- real faces ---------------------------------------------------------------------------

def test_chin_ratio_matches_where_yunet_boxes_end(single_faces):
    ratios = []
    for _, faces in single_faces:
        landmarks, box = faces[0].landmarks, faces[0].box
        eyes_y, mouth_y = landmarks[:2, 1].mean(), landmarks[3:, 1].mean()
        ratios.append((box[1] + box[3] - eyes_y) / (mouth_y - eyes_y))
    assert np.median(ratios) == pytest.approx(CHIN_PER_EYE_MOUTH, abs=0.12)


def test_inter_eye_distance_doubles_with_a_2x_upscale(single_faces, detector):
    ratios = []
    for image, faces in single_faces:
        height, width = image.shape[:2]
        big = cv2.resize(image, (2 * width, 2 * height), interpolation=cv2.INTER_CUBIC)
        ratios.append(measure_all(big, detector.detect(big))["InterEyeDistance"]
                      / measure_all(image, faces)["InterEyeDistance"])
    # YuNet's eye points move by up to ~15 % of the eye distance between scales
    assert np.median(ratios) == pytest.approx(2.0, abs=0.1)
    assert all(1.6 < ratio < 2.4 for ratio in ratios)


@pytest.mark.parametrize("side, lowered, unchanged", [
    ("left", "LeftwardCropOfTheFaceImage", "RightwardCropOfTheFaceImage"),
    ("right", "RightwardCropOfTheFaceImage", "LeftwardCropOfTheFaceImage"),
    ("top", "MarginAboveOfTheFaceImage", "MarginBelowOfTheFaceImage"),
    ("bottom", "MarginBelowOfTheFaceImage", "MarginAboveOfTheFaceImage"),
])
def test_cropping_a_side_lowers_that_sides_margin(single_faces, detector, side, lowered,
                                                  unchanged):
    cut = {"left": np.s_[:, CROP_PX:], "right": np.s_[:, :-CROP_PX],
           "top": np.s_[CROP_PX:, :], "bottom": np.s_[:-CROP_PX, :]}[side]
    for image, faces in single_faces[:4]:
        cropped = np.ascontiguousarray(image[cut])
        before = measure_all(image, faces)
        after = measure_all(cropped, detector.detect(cropped))
        assert after[lowered] < before[lowered] - 0.5
        assert scalar(lowered, after[lowered]) < scalar(lowered, before[lowered])
        # the far side moves only by landmark jitter (YuNet: up to ~15 % of the eye distance)
        assert after[unchanged] == pytest.approx(before[unchanged], abs=0.6)
        if side in ("top", "bottom"):  # the same head in a shorter image
            assert after["HeadSize"] > before["HeadSize"]


def test_second_pasted_face_lowers_single_face_present(single_faces, detector):
    (first, first_faces), (second, _) = single_faces[0], single_faces[1]
    height, width = first.shape[:2]
    smaller = cv2.resize(second, (int(width * 0.8), int(height * 0.8)),
                         interpolation=cv2.INTER_AREA)
    pair = np.zeros((height, 2 * width, 3), np.uint8)
    pair[:, :width] = first
    pair[:smaller.shape[0], width:width + smaller.shape[1]] = smaller
    faces = detector.detect(pair)
    assert len(faces) == 2
    alone = measure_all(first, first_faces)["SingleFacePresent"]
    together = measure_all(pair, faces)["SingleFacePresent"]
    assert alone == 0.0 and scalar("SingleFacePresent", alone) == 100.0
    assert together == pytest.approx(0.8, abs=0.1)  # sqrt of the area ratio 0.8**2
    assert scalar("SingleFacePresent", together) < 30
