"""``Sharpness``: falls with blur on real faces, ignores contrast and brightness."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy.stats import spearmanr

from fiqa.context import FaceContext
from fiqa.face import FaceDetector
from fiqa.io import load_image
from fiqa.measures import create_scorer
from fiqa.measures.sharpness import (
    SCALAR_X0,
    face_sharpness_features,
    sharpness_features,
    sharpness_raw,
    sharpness_scalar,
)

SIGMAS_PX = (0.0, 1.0, 2.0, 3.0, 4.0)


def blurred(image: np.ndarray, sigma_px: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma_px) if sigma_px > 0 else image


def raw_sharpness(image: np.ndarray, faces) -> float:
    return sharpness_raw(face_sharpness_features(FaceContext.build(image, faces)))


@pytest.fixture(scope="module")
def lfw_faces(lfw_image_paths):
    """(image, faces) for 12 LFW photos, detected once in the unblurred image."""
    detector = FaceDetector()
    pairs = [(image, detector.detect(image)) for image in map(load_image, lfw_image_paths[:12])]
    return [(image, faces) for image, faces in pairs if faces]


@pytest.fixture(scope="module")
def blur_response(lfw_faces):
    """Raw sharpness, (faces, blur levels): blur applied to the whole image, face from before."""
    return np.array([[raw_sharpness(blurred(image, s), faces) for s in SIGMAS_PX]
                     for image, faces in lfw_faces])


def test_mean_raw_falls_strictly_with_blur_on_real_faces(blur_response):
    assert len(blur_response) >= 10
    assert np.all(np.diff(blur_response.mean(0)) < 0)


def test_every_real_face_scores_lower_at_every_blur_step(blur_response):
    rho = [spearmanr(SIGMAS_PX, row).statistic for row in blur_response]
    assert np.allclose(rho, -1.0)


@pytest.mark.parametrize("kernel", [(1, 1), (9, 1), (1, 9), (15, 1)])
def test_motion_blur_along_either_axis_lowers_the_score(lfw_faces, blur_response, kernel):
    """The raw value is the blurrier axis's, so a one-directional smear counts in full."""
    smeared = np.array([raw_sharpness(cv2.blur(image, kernel), faces)
                        for image, faces in lfw_faces[:6]])
    drop = blur_response[:6, 0] - smeared
    if kernel == (1, 1):
        assert np.allclose(drop, 0.0)
    else:  # 9 px of motion costs more than a Gaussian of sigma 1 px
        assert np.all(drop > np.mean(blur_response[:6, 0] - blur_response[:6, 1]))


def test_scalar_calls_sharp_lfw_faces_good_and_blurred_ones_poor(blur_response):
    scalar = sharpness_scalar(blur_response)
    assert scalar[:, 0].mean() > 60
    assert scalar[:, 3].mean() < 35
    assert np.all(np.diff(scalar, axis=1) <= 0)


def test_contrast_and_brightness_barely_move_the_raw_value(lfw_faces, blur_response):
    one_blur_step = np.mean(blur_response[:, 0] - blur_response[:, 1])
    for (image, faces), sharp in zip(lfw_faces[:4], blur_response[:, 0]):
        flat = (image.astype(np.float32) * 0.5 + 64).round().astype(np.uint8)
        assert abs(raw_sharpness(flat, faces) - sharp) < 0.1 * one_blur_step


def test_mirror_image_scores_the_same(lfw_faces, blur_response):
    for (image, faces), sharp in zip(lfw_faces[:4], blur_response[:, 0]):
        width = image.shape[1]
        mirrored = raw_sharpness(image[:, ::-1].copy(), [faces[0].mirrored(width)])
        assert mirrored == pytest.approx(sharp, abs=0.1)


def test_features_ignore_gain_and_offset_and_fall_with_blur(rng):
    texture = cv2.GaussianBlur(rng.uniform(0, 255, (96, 96)).astype(np.float32), (0, 0), 0.7)
    mask = np.zeros(texture.shape, bool)
    mask[16:80, 16:80] = True
    base = sharpness_features(texture, mask)
    assert sharpness_features(texture * 0.5 + 60, mask) == pytest.approx(base, abs=0.02)
    softer = sharpness_features(cv2.GaussianBlur(texture, (0, 0), 1.5), mask)
    assert np.all(softer < base)


def test_scorer_from_the_registry(sample_face):
    faces = FaceDetector().detect(sample_face)
    ctx = FaceContext.build(sample_face, faces)
    scorer = create_scorer("sharpness")
    raw = scorer.raw([ctx])["Sharpness"]
    assert raw.shape == (1,) and np.isfinite(raw[0])
    assert face_sharpness_features(ctx) is face_sharpness_features(ctx)  # memoised
    assert scorer.scalar("Sharpness", raw) == pytest.approx(sharpness_scalar(raw))


def test_scalar_mapping_is_the_documented_sigmoid():
    values = sharpness_scalar([SCALAR_X0 - 10, SCALAR_X0, SCALAR_X0 + 10, np.nan])
    assert values[0] < 1 and values[1] == pytest.approx(50) and values[2] > 99
    assert np.isnan(values[3])


def test_bad_inputs_are_rejected_with_a_reason():
    grey = np.zeros((32, 32), np.float32)
    with pytest.raises(ValueError, match="fewer than 16 pixels"):
        sharpness_features(grey, np.zeros((32, 32), bool))
    with pytest.raises(ValueError, match="same shape"):
        sharpness_features(grey, np.ones((16, 16), bool))
