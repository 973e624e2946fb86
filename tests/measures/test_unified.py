"""UnifiedQualityScore: the shipped model through the measure registry."""

from __future__ import annotations

import numpy as np
import pytest

from fiqa.context import FaceContext
from fiqa.face import FaceDetector, align_face
from fiqa.measures import create_scorer
from fiqa.measures.unified import MEASURE, UnifiedScorer


@pytest.fixture(scope="module")
def context(sample_face):
    return FaceContext.build(sample_face, FaceDetector().detect(sample_face))


def test_registry_builds_the_unified_family():
    scorer = create_scorer("UnifiedQualityScore")
    assert scorer.family == "unified" and scorer.measures == (MEASURE,)
    assert len(scorer.metadata()["model_sha256"]) == 64


def test_raw_is_the_model_on_the_arcface_crop(context, sample_face):
    scorer = UnifiedScorer()
    raw = scorer.raw([context])[MEASURE]
    crop = align_face(sample_face, context.face.landmarks, size=112)
    np.testing.assert_array_equal(context.arcface(), crop)
    assert raw == pytest.approx(scorer.predict(crop[None]))
    assert 0 <= raw[0] <= 1


def test_scalar_is_100_times_raw():
    scorer = UnifiedScorer()
    assert scorer.scalar(MEASURE, np.array([0.0, 0.25, 1.0])).tolist() == [0.0, 25.0, 100.0]
    with pytest.raises(ValueError, match="no measure 'Sharpness'"):
        scorer.scalar("Sharpness", np.array([1.0]))


def test_a_heavily_degraded_face_scores_lower(context, sample_face):
    import cv2

    scorer = UnifiedScorer()
    blurred = cv2.GaussianBlur(sample_face, (0, 0), 6)
    low = FaceContext.build(blurred, [context.face])
    raw = scorer.raw([context, low])[MEASURE]
    assert raw[1] < raw[0]


def test_wrong_crop_shape_is_explained():
    with pytest.raises(ValueError, match="align them with fiqa.face.align_face"):
        UnifiedScorer().predict(np.zeros((1, 96, 96, 3), np.uint8))
