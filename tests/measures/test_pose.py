"""Head pose: sign conventions, mirror symmetry, in-plane rotation, CFP frontal vs profile."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from fiqa.context import FaceContext
from fiqa.face import FaceDetector
from fiqa.io import load_image
from fiqa.measures import create_scorer, pose
from fiqa.measures.pose import MODEL_POINTS_MM, face_head_pose, head_pose, landmark_roll

PITCH_LABELS = Path(__file__).resolve().parents[1] / "data" / "head_pitch_labels.csv"


@pytest.fixture(scope="module")
def detector():
    return FaceDetector()


@pytest.fixture(scope="module")
def lfw_faces(lfw_image_paths, detector):
    """(image, faces) for 8 LFW photos, each detected once."""
    pairs = [(image, detector.detect(image)) for image in map(load_image, lfw_image_paths[:8])]
    return [(image, faces) for image, faces in pairs if faces]


def cfp_paths(root, cls: str, ids: int) -> list:
    people = sorted(p for p in (root / "cfp").iterdir() if p.is_dir())[:ids]
    return [path for person in people for path in sorted((person / cls).glob("*.jpg"))]


def cfp_abs_yaw(root, detector, cls: str, ids: int) -> np.ndarray:
    """|yaw| of every CFP image of class ``cls`` with a detected face."""
    faces = (detector.detect(load_image(path)) for path in cfp_paths(root, cls, ids))
    return np.abs([head_pose(found[0].landmarks).yaw for found in faces if found])


def projected_model(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """The 3-D model seen from 2 m by a pinhole camera, the head turned by yaw and pitch."""
    yaw, pitch = np.radians([yaw_deg, pitch_deg])
    forward = np.array([np.sin(yaw) * np.cos(pitch), -np.sin(pitch), -np.cos(yaw) * np.cos(pitch)])
    down = np.array([0.0, 1.0, 0.0]) - forward[1] * forward
    down /= np.linalg.norm(down)
    rotation = np.column_stack([np.cross(down, -forward), down, -forward])
    camera = np.array([[4000.0, 0, 320], [0, 4000.0, 240], [0, 0, 1]])
    points, _ = cv2.projectPoints(MODEL_POINTS_MM, cv2.Rodrigues(rotation)[0],
                                  np.array([0.0, 0.0, 2000.0]), camera, None)
    return points.reshape(5, 2)


@pytest.mark.parametrize("yaw, pitch", [(30, 0), (-30, 0), (0, 15), (0, -15), (20, 10), (-45, -5)])
def test_recovers_the_pose_of_the_projected_model(yaw, pitch):
    points = projected_model(yaw, pitch)
    nose_right_of_eyes = points[2, 0] - points[:2, 0].mean()
    nose_below_eyes = (points[2, 1] - points[:2, 1].mean()) / (points[3:, 1].mean() - points[:2, 1].mean())
    assert np.sign(nose_right_of_eyes) == np.sign(yaw) or yaw == 0  # the stated conventions
    assert (nose_below_eyes < pose.NOSE_HEIGHT_FRACTION) == (pitch > 0) or pitch == 0
    found = head_pose(points)
    assert found.yaw == pytest.approx(yaw, abs=1.5)
    assert found.pitch == pytest.approx(pitch, abs=1.5)
    assert abs(found.roll) < 2.0  # the eye line tilts a little when yaw and pitch combine


def test_mirrored_landmarks_flip_yaw_and_roll_and_keep_pitch(lfw_faces):
    for image, faces in lfw_faces:
        original = head_pose(faces[0].landmarks)
        mirrored = head_pose(faces[0].mirrored(image.shape[1]).landmarks)
        assert mirrored.yaw == pytest.approx(-original.yaw, abs=0.5)
        assert mirrored.pitch == pytest.approx(original.pitch, abs=0.5)
        assert mirrored.roll == pytest.approx(-original.roll, abs=0.5)


def test_mirrored_photo_redetected_flips_yaw_and_roll(lfw_faces, detector):
    found, flipped = [], []
    for image, faces in lfw_faces:
        mirror = np.ascontiguousarray(image[:, ::-1])
        found.append(face_head_pose(FaceContext.build(image, faces)))
        flipped.append(face_head_pose(FaceContext.build(mirror, detector.detect(mirror))))
    yaw, yaw_m = np.array([[a.yaw, b.yaw] for a, b in zip(found, flipped)]).T
    roll, roll_m = np.array([[a.roll, b.roll] for a, b in zip(found, flipped)]).T
    pitch, pitch_m = np.array([[a.pitch, b.pitch] for a, b in zip(found, flipped)]).T
    assert np.corrcoef(yaw, -yaw_m)[0, 1] > 0.6  # YuNet's landmarks move a few degrees
    assert np.median(np.abs(yaw + yaw_m)) < 6
    assert np.median(np.abs(roll + roll_m)) < 1.5
    assert np.median(np.abs(pitch - pitch_m)) < 2.5  # the mesh's pitch is mirror-invariant


def test_pitch_follows_hand_labelled_head_tilt(shared_data, detector):
    pitch = {"up": [], "level": [], "down": []}
    for row in csv.DictReader(PITCH_LABELS.open()):
        image = load_image(shared_data / row["path"])
        ctx = FaceContext.build(image, detector.detect(image))
        pitch[row["state"]].append(face_head_pose(ctx).pitch)
    up, level, down = (np.array(pitch[state]) for state in ("up", "level", "down"))
    assert (len(up), len(level), len(down)) == (11, 26, 15)
    assert np.median(up) > 20 and np.median(down) < -10 and abs(np.median(level)) < 6
    for higher, lower in ((up, level), (level, down)):
        assert mannwhitneyu(higher, lower).statistic / (len(higher) * len(lower)) >= 0.9


def test_roll_follows_an_in_plane_rotation_of_the_photo(lfw_faces, detector):
    errors = []
    for image, faces in lfw_faces[:6]:
        height, width = image.shape[:2]
        centre = tuple(float(v) for v in faces[0].landmarks.mean(0))
        upright = face_head_pose(FaceContext.build(image, faces)).roll
        for angle in (10, 20, -20):  # counter-clockwise as viewed
            turn = cv2.getRotationMatrix2D(centre, angle, 1.0)
            rotated = cv2.warpAffine(image, turn, (width, height), borderMode=cv2.BORDER_REFLECT)
            roll = face_head_pose(FaceContext.build(rotated, detector.detect(rotated))).roll
            errors.append(roll - upright - angle)
    errors = np.abs(errors)
    assert np.median(errors) < 1.5
    assert np.mean(errors < 3) >= 0.8


def test_symmetry_roll_measures_the_tilt_of_a_mirror_symmetric_pattern(rng):
    half = cv2.GaussianBlur(rng.uniform(0, 255, (256, 128)).astype(np.float32), (0, 0), 3)
    pattern = np.hstack([half, half[:, ::-1]])
    points = MODEL_POINTS_MM[:, :2] * 1.6 + [127.5, 140]
    for angle in (-20, -8, 0, 15):
        turned = cv2.warpAffine(pattern, cv2.getRotationMatrix2D((127.5, 140), angle, 1), (256, 256))
        degrees, correlation = pose.symmetry_roll(turned, points)
        assert degrees == pytest.approx(angle, abs=1.0)
        assert correlation > 0.7


def test_frontal_photos_are_near_zero_and_profiles_are_far(shared_data, detector):
    frontal = [detector.detect(load_image(p)) for p in cfp_paths(shared_data, "frontal", 3)]
    poses = [face_head_pose(FaceContext.build(load_image(p), f))
             for p, f in zip(cfp_paths(shared_data, "frontal", 3), frontal) if f]
    assert len(poses) >= 28
    assert np.median(np.abs([p.yaw for p in poses])) < 5
    assert np.median(np.abs([p.pitch for p in poses])) < 6
    assert np.median(np.abs([p.roll for p in poses])) < 4
    profile = cfp_abs_yaw(shared_data, detector, "profile", 3)
    assert len(profile) >= 10 and profile.min() > 20


@pytest.mark.slow
def test_yaw_separates_cfp_frontal_from_profile(shared_data, detector):
    frontal = cfp_abs_yaw(shared_data, detector, "frontal", 20)
    profile = cfp_abs_yaw(shared_data, detector, "profile", 20)
    auc = mannwhitneyu(profile, frontal).statistic / (len(frontal) * len(profile))
    assert auc >= 0.98  # 1.0000 on all 100 ids (benchmarks/pose_cfp.py)
    balanced = 0.5 * (np.mean(frontal <= 25) + np.mean(profile > 25))
    assert balanced >= 0.95


def test_the_three_measures_share_one_solve(sample_face, monkeypatch):
    ctx = FaceContext.build(sample_face, FaceDetector().detect(sample_face))
    calls = []
    solve = pose.head_pose
    monkeypatch.setattr(pose, "head_pose", lambda points: calls.append(1) or solve(points))
    scorer = create_scorer("HeadPoseRoll")
    raw = scorer.raw([ctx])
    assert list(raw) == ["HeadPoseYaw", "HeadPosePitch", "HeadPoseRoll"]
    assert len(calls) == 1
    assert all(abs(value[0]) < 15 for value in raw.values())  # the astronaut faces the camera


def test_scalar_is_cos_squared():
    scorer = create_scorer("pose")
    assert scorer.scalar("HeadPoseYaw", np.array([0.0, 60.0, -60.0, 95.0])) == pytest.approx(
        [100.0, 25.0, 25.0, 0.0])


def test_landmark_roll_sign():
    level = np.array([[40, 50], [80, 50], [60, 70], [45, 90], [75, 90]], float)
    raised_right_eye = level.copy()
    raised_right_eye[1, 1] -= 10  # up in the image
    assert landmark_roll(level) == pytest.approx(0.0, abs=0.5)
    assert landmark_roll(raised_right_eye) > 5


def test_bad_landmarks_are_rejected_with_a_reason():
    with pytest.raises(ValueError, match=r"finite \(5, 2\)"):
        head_pose(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"finite \(5, 2\)"):
        head_pose(np.full((5, 2), np.nan))
