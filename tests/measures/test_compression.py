"""CompressionArtifacts: the crop, the shipped model and its card, and scores on real faces."""

from __future__ import annotations

import numpy as np
import pytest

from fiqa.context import FaceContext
from fiqa.face import ARCFACE_TEMPLATE, FaceDetector
from fiqa.measures import create_scorer
from fiqa.measures.compression import CROP_SIZE, CompressionScorer, compression_crop, crop_box
from fiqa.models import file_sha256, read_card, shipped_model
from fiqa.training.compression_samples import compress

QUALITIES = (95, 75, 50, 30, 15, 5)


@pytest.fixture(scope="module")
def scorer():
    return CompressionScorer()


@pytest.fixture(scope="module")
def detector():
    return FaceDetector()


def _contexts(images, detector):
    return [FaceContext.build(image, detector.detect(image)) for image in images]


def test_crop_box_repeats_edges_outside_the_image():
    image = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)
    crop = crop_box(image, left=4, top=-2, size=4)
    np.testing.assert_array_equal(crop[2:, :2], image[:2, 4:])
    np.testing.assert_array_equal(crop[0], crop[2])
    np.testing.assert_array_equal(crop[:, 2], crop[:, 1])
    with pytest.raises(ValueError, match="positive number of pixels"):
        crop_box(image, left=0, top=0, size=0)


def test_compression_crop_is_native_scale_and_centred_on_the_landmarks(rng):
    image = rng.integers(0, 255, (300, 300, 3), dtype=np.uint8)
    landmarks = ARCFACE_TEMPLATE + 100
    centre = np.round(landmarks.mean(0)).astype(int)
    crop = compression_crop(image, landmarks)
    top, left = centre[1] - CROP_SIZE // 2, centre[0] - CROP_SIZE // 2
    np.testing.assert_array_equal(crop, image[top : top + CROP_SIZE, left : left + CROP_SIZE])


def test_card_matches_the_shipped_file():
    card = read_card("compression")
    model = shipped_model("compression")
    assert file_sha256(model.path) == card["sha256"] == model.sha256
    assert card["input"]["size"] == CROP_SIZE
    for key in (
        "name",
        "file",
        "input",
        "label",
        "training_command",
        "data",
        "metrics",
        "limitations",
        "licence",
        "source",
        "scalar_mapping",
    ):
        assert key in card
    assert model.path.stat().st_size < 5_000_000


def test_registry_builds_the_scorer():
    scorer = create_scorer("CompressionArtifacts")
    assert scorer.family == "compression" and scorer.measures == ("CompressionArtifacts",)
    assert scorer.metadata()["model_sha256"] == read_card("compression")["sha256"]


def test_scalar_is_50_at_the_threshold_and_rises_with_raw(scorer):
    raw = np.array([0.5, scorer.threshold, 0.99, 1.0])
    scalar = scorer.scalar("CompressionArtifacts", raw)
    assert scalar[1] == pytest.approx(50.0) and np.all(np.diff(scalar) > 0) and scalar[3] > 90
    with pytest.raises(ValueError, match="no measure 'Sharpness'"):
        scorer.scalar("Sharpness", raw)


def test_wrong_crop_shape_is_rejected(scorer):
    with pytest.raises(ValueError, match="compression_crop"):
        scorer.predict(np.zeros((2, 50, 50, 3), np.uint8))


def test_empty_batch_gives_empty_scores(scorer):
    assert scorer.raw([])["CompressionArtifacts"].shape == (0,)


def test_lossless_face_scores_high_and_jpeg_lowers_it(scorer, detector, sample_face):
    images = [sample_face] + [compress(sample_face, codec="jpeg", level=q) for q in (50, 10)]
    raw = scorer.raw(_contexts(images, detector))["CompressionArtifacts"]
    assert raw[0] > scorer.threshold and scorer.scalar("CompressionArtifacts", raw[:1])[0] > 50
    assert raw[0] > raw[1] > raw[2]


def test_scores_fall_with_jpeg_quality_on_lossless_faces(scorer, detector, shared_data):
    from fiqa.io import load_image

    faces = [load_image(path) for path in sorted((shared_data / "faces-hq").glob("*.png"))[::11]]
    clean = scorer.raw(_contexts(faces, detector))["CompressionArtifacts"]
    assert np.mean(clean > scorer.threshold) >= 0.9
    means = [clean.mean()]
    for quality in QUALITIES:
        images = [compress(face, codec="jpeg", level=quality) for face in faces]
        means.append(scorer.raw(_contexts(images, detector))["CompressionArtifacts"].mean())
    assert np.all(np.diff(means) < 0), means
