"""BackgroundUniformity: OFIQ's gradient statistic over a segmented background."""

from __future__ import annotations

import numpy as np
import pytest

from fiqa.context import FaceContext
from fiqa.face import FaceDetector
from fiqa.measures import create_scorer
from fiqa.measures.background import background_canvas, background_uniformity


def test_flat_background_has_no_gradient_and_texture_does(rng):
    canvas = np.full((100, 100, 3), 120, np.uint8)
    person = np.zeros((100, 100), np.float32)
    person[30:70, 30:70] = 1.0
    canvas[30:70, 30:70] = rng.integers(0, 255, (40, 40, 3))  # texture on the person only
    nowhere = np.zeros((100, 100), bool)
    assert background_uniformity(canvas, person, nowhere) == pytest.approx(0.0)
    noisy = canvas.copy()
    noisy[:20] = rng.integers(0, 255, (20, 100, 3))
    assert background_uniformity(noisy, person, nowhere) > 50
    padding = nowhere.copy()
    padding[:25] = True  # the noisy rows lie outside the photograph: ignored
    assert background_uniformity(noisy, person, padding) == pytest.approx(0.0)
    assert np.isnan(background_uniformity(canvas, np.ones_like(person), nowhere))


def test_canvas_marks_what_lies_outside_the_photograph(sample_face):
    face = FaceDetector().detect(sample_face)[0]
    canvas, padding = background_canvas(sample_face, face.landmarks)
    assert canvas.shape == (366, 354, 3)
    assert 0.0 < padding.mean() < 0.5  # the astronaut's head is near the top edge


def test_a_noisy_background_scores_worse_than_a_flat_one(sample_face, rng):
    face = FaceDetector().detect(sample_face)[0]
    flat, noisy = sample_face.copy(), sample_face.copy()
    flat[:200, 120:160] = 128  # left of the hair, inside the canvas
    noisy[:200, 120:160] = rng.integers(0, 255, (200, 40, 3))
    scorer = create_scorer("BackgroundUniformity")
    raw = scorer.raw([FaceContext.build(img, [face]) for img in (flat, noisy)])["BackgroundUniformity"]
    assert raw[1] > raw[0] + 20
    scalars = scorer.scalar("BackgroundUniformity", raw)
    assert scalars[0] > scalars[1]
