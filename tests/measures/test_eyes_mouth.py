"""EyesOpen and MouthClosed: OFIQ's ratios on known meshes, and on hand-labelled photos."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from fiqa.context import FaceContext
from fiqa.face import ARCFACE_TEMPLATE, Face, FaceDetector
from fiqa.io import load_image
from fiqa.measures import create_scorer
from fiqa.measures.eyes_mouth import eyes_open, mouth_opening
from fiqa.mesh import CHIN, INNER_LIPS, LEFT_EYE, RIGHT_EYE, DenseLandmarks

LABELS = Path(__file__).resolve().parents[1] / "data" / "eye_mouth_labels.csv"


def _context_with_mesh(right_gap: float, left_gap: float, lip_gap: float) -> FaceContext:
    """A context whose mesh has eye centres at y = 100, the chin at y = 200 and the
    given lid and lip gaps (every other point at the origin)."""
    points = np.zeros((468, 3), np.float32)
    for part, x, gap in ((RIGHT_EYE, 80, right_gap), (LEFT_EYE, 120, left_gap), (INNER_LIPS, 100, lip_gap)):
        outer, inner = part["corners"]
        points[outer, :2], points[inner, :2] = (x - 10, 100), (x + 10, 100)
        for upper, lower in part["lids"]:
            points[upper, :2], points[lower, :2] = (x, 100 - gap / 2), (x, 100 + gap / 2)
    points[CHIN, :2] = (100, 200)
    face = Face(np.array([50, 50, 100, 150], np.float32), ARCFACE_TEMPLATE + 50, 0.9)
    ctx = FaceContext.build(np.zeros((300, 300, 3), np.uint8), [face])
    ctx._memo["face_mesh"] = DenseLandmarks(points=points, presence=1.0)
    return ctx


def test_ratios_follow_ofiqs_definitions():
    ctx = _context_with_mesh(right_gap=6.0, left_gap=4.0, lip_gap=30.0)
    assert eyes_open(ctx) == pytest.approx(4.0 / 100)  # the less open eye, over T = 100 px
    assert mouth_opening(ctx) == pytest.approx(30.0 / 100)


def test_scalars_use_ofiqs_sigmoids():
    scorer = create_scorer("eyes_mouth")
    assert scorer.scalar("EyesOpen", np.array([0.02]))[0] == pytest.approx(50.0)
    assert scorer.scalar("MouthClosed", np.array([0.2]))[0] == pytest.approx(50.0)
    assert scorer.scalar("MouthClosed", np.array([0.0]))[0] > 95 > scorer.scalar("EyesOpen", np.array([0.0]))[0]


def _labelled(shared_data, part: str):
    detector, values = FaceDetector(), {"open": [], "closed": []}
    measure = eyes_open if part == "eyes" else mouth_opening
    for row in csv.DictReader(LABELS.open()):
        if row["part"] == part:
            image = load_image(shared_data / row["path"])
            values[row["state"]].append(measure(FaceContext.build(image, detector.detect(image))))
    return np.array(values["closed"]), np.array(values["open"])


def _auc(closed: np.ndarray, opened: np.ndarray) -> float:
    return float((opened[:, None] > closed[None, :]).mean())


@pytest.mark.slow
def test_open_mouths_score_above_closed_ones_on_labelled_photos(shared_data):
    closed, opened = _labelled(shared_data, "mouth")
    assert _auc(closed, opened) > 0.98
    assert np.median(closed) < 0.02
    assert np.median(opened) > 0.15


@pytest.mark.slow
def test_open_eyes_score_above_closed_ones_on_labelled_photos(shared_data):
    closed, opened = _labelled(shared_data, "eyes")
    assert _auc(closed, opened) > 0.8
    assert closed.max() < 0.04 < np.median(opened)
