"""Geometric measures: hand-computed values on known mesh points, OFIQ's mappings, the
mesh shared with EyesOpen/MouthClosed, and how the measures respond to resizing, cropping
each side of real faces and a second pasted face."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import fiqa.mesh
from fiqa.context import FaceContext
from fiqa.face import Face, FaceDetector
from fiqa.io import load_image
from fiqa.measures import create_scorer, select_measures
from fiqa.measures.geometric import MEASURES
from fiqa.mesh import CHIN, LEFT_EYE, RIGHT_EYE, DenseLandmarks

SCALARS = {measure.name: measure.to_scalar for measure in MEASURES}
CROP_PX = 70


def known_mesh(eyes, chin) -> DenseLandmarks:
    """A mesh whose eye corners lie 10 px either side of the given eye centres (image-left
    eye first) and whose chin is at ``chin``; every other point at the origin."""
    points = np.zeros((468, 3), np.float32)
    for part, (x, y) in zip((RIGHT_EYE, LEFT_EYE), eyes):
        outer, inner = part["corners"]
        points[outer, :2], points[inner, :2] = (x - 10, y), (x + 10, y)
    points[CHIN, :2] = chin
    return DenseLandmarks(points=points, presence=1.0)


def measure_all(image: np.ndarray, faces: list[Face], mesh: DenseLandmarks | None = None
                ) -> dict[str, float]:
    """Every geometric measure; the face mesh is run on the image unless ``mesh`` is given."""
    ctx = FaceContext.build(image, faces)
    if mesh is not None:
        ctx._memo["face_mesh"] = mesh
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


def test_hand_computed_values_for_known_mesh_points():
    # eye centres 40 px apart at y=100, chin 88 px below their midpoint
    landmarks = [[80, 100], [120, 100], [100, 125], [85, 150], [115, 150]]
    image = np.zeros((300, 200, 3), np.uint8)
    mesh = known_mesh([(80, 100), (120, 100)], (100, 188))
    values = measure_all(image, [face_at(landmarks, [60, 60, 80, 110])], mesh)
    assert values["InterEyeDistance"] == pytest.approx(40.0)
    assert values["HeadSize"] == pytest.approx(88.0 / 300)
    assert values["LeftwardCropOfTheFaceImage"] == pytest.approx(80 / 40)
    assert values["RightwardCropOfTheFaceImage"] == pytest.approx((200 - 120) / 40)
    assert values["MarginAboveOfTheFaceImage"] == pytest.approx(100 / 88)
    assert values["MarginBelowOfTheFaceImage"] == pytest.approx(200 / 88)
    assert values["SingleFacePresent"] == 0.0


def test_eye_centres_and_chin_come_from_the_mesh_not_the_five_points():
    # the same mesh under five landmarks that are elsewhere gives the same values
    image = np.zeros((300, 200, 3), np.uint8)
    mesh = known_mesh([(70, 110), (130, 90)], (110, 200))  # a tilted eye line
    near = measure_all(image, [face_at([[80, 100], [120, 100], [100, 125], [85, 150],
                                        [115, 150]], [60, 60, 80, 110])], mesh)
    far = measure_all(image, [face_at([[20, 30], [50, 40], [35, 50], [25, 60], [45, 60]],
                                      [10, 10, 50, 60])], mesh)
    assert near == far
    assert near["InterEyeDistance"] == pytest.approx(np.hypot(60, 20))
    assert near["HeadSize"] == pytest.approx(np.hypot(10, 100) / 300)


def test_a_mesh_without_numbers_gives_nan_but_single_face_present():
    landmarks = [[80, 100], [120, 100], [100, 125], [85, 150], [115, 150]]
    nan_mesh = DenseLandmarks(points=np.full((468, 3), np.nan, np.float32), presence=0.0)
    values = measure_all(np.zeros((300, 200, 3), np.uint8),
                         [face_at(landmarks, [60, 60, 80, 110])], nan_mesh)
    assert values.pop("SingleFacePresent") == 0.0
    assert all(np.isnan(value) for value in values.values())
    assert all(np.isnan(scalar(name, value)) for name, value in values.items())


def test_eyes_on_one_point_give_nan_crops():
    landmarks = [[80, 100], [120, 100], [100, 125], [85, 150], [115, 150]]
    values = measure_all(np.zeros((300, 200, 3), np.uint8), [face_at(landmarks, [60, 60, 80, 110])],
                         known_mesh([(100, 100), (100, 100)], (100, 188)))
    assert values["InterEyeDistance"] == 0.0
    assert np.isnan(values["LeftwardCropOfTheFaceImage"])
    assert np.isnan(values["RightwardCropOfTheFaceImage"])
    assert values["HeadSize"] == pytest.approx(88 / 300)


def test_the_mesh_is_computed_once_per_face_for_geometric_and_eyes_mouth(sample_face, monkeypatch):
    calls = []
    mesh = fiqa.mesh.default_face_mesh()

    def counting(image, face):
        calls.append(face)
        return mesh(image, face)

    monkeypatch.setattr(fiqa.mesh, "default_face_mesh", lambda: counting)
    ctx = FaceContext.build(sample_face, FaceDetector().detect(sample_face))
    geometric = create_scorer("geometric").raw([ctx])
    create_scorer("eyes_mouth").raw([ctx])
    assert len(calls) == 1
    assert geometric["InterEyeDistance"][0] == pytest.approx(ctx.mesh.inter_eye_distance())
    assert create_scorer("geometric").metadata()["landmarks"] == "face_mesh"


def test_single_face_present_uses_the_two_largest_boxes():
    landmarks = [[80, 100], [120, 100], [100, 125], [85, 150], [115, 150]]
    image = np.zeros((300, 300, 3), np.uint8)
    big = face_at(landmarks, [50, 50, 100, 100])
    half = face_at(np.array(landmarks) + 100, [150, 150, 50, 50])
    tiny = face_at(np.array(landmarks) + 120, [250, 250, 10, 10])
    mesh = known_mesh([(80, 100), (120, 100)], (100, 188))
    values = measure_all(image, [big, tiny, half], mesh)  # any order
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
        # the mesh of a mirrored crop is mirrored to within ~5 % of the eye distance per
        # point (tests/test_mesh.py); OFIQ measures x and width - x (1 px apart)
        assert flipped["LeftwardCropOfTheFaceImage"] == pytest.approx(
            original["RightwardCropOfTheFaceImage"], abs=0.15)
        assert flipped["RightwardCropOfTheFaceImage"] == pytest.approx(
            original["LeftwardCropOfTheFaceImage"], abs=0.15)
        assert flipped["MarginAboveOfTheFaceImage"] == pytest.approx(
            original["MarginAboveOfTheFaceImage"], rel=0.05)


# --- real faces ---------------------------------------------------------------------------

def test_mesh_chin_sits_where_yunet_boxes_end(single_faces):
    # an independent check of the chin: YuNet's box ends at the chin on LFW faces
    offsets, proportions = [], []
    for image, faces in single_faces:
        ctx = FaceContext.build(image, faces)
        bottom = faces[0].box[1] + faces[0].box[3]
        offsets.append((ctx.mesh.points[CHIN, 1] - bottom) / ctx.mesh.eye_to_chin())
        proportions.append(ctx.mesh.eye_to_chin() / ctx.mesh.inter_eye_distance())
    assert np.median(np.abs(offsets)) < 0.05
    assert np.max(np.abs(offsets)) < 0.15
    # eye-to-chin is about 1.9 eye distances on LFW faces (dlib-68's median there)
    assert all(1.6 < proportion < 2.2 for proportion in proportions)


def test_inter_eye_distance_doubles_with_a_2x_upscale(single_faces, detector):
    ratios = []
    for image, faces in single_faces:
        height, width = image.shape[:2]
        big = cv2.resize(image, (2 * width, 2 * height), interpolation=cv2.INTER_CUBIC)
        ratios.append(measure_all(big, detector.detect(big))["InterEyeDistance"]
                      / measure_all(image, faces)["InterEyeDistance"])
    # the mesh follows YuNet's box and eye line, which move between scales
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
        # the far side moves only by landmark jitter (mesh: up to ~13 % of the eye distance)
        assert after[unchanged] == pytest.approx(before[unchanged], abs=0.25)
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
