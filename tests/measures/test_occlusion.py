"""EyesVisible: the hidden share of OFIQ's eye visibility zones, on synthetic and real faces."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from fiqa.context import FaceContext
from fiqa.face import FaceDetector
from fiqa.io import load_image
from fiqa.measures import create_scorer, list_measures
from fiqa.measures.occlusion import MEASURE, OcclusionScorer, eye_zones, hidden_share, zone_mask

LABELS = Path(__file__).resolve().parents[1] / "data" / "eye_visibility_labels.csv"


def _labelled(state: str) -> list[str]:
    with LABELS.open(newline="") as handle:
        return [row["path"] for row in csv.DictReader(handle) if row["state"] == state]


def test_eyes_visible_is_registered_in_the_occlusion_family():
    assert MEASURE in list_measures()
    assert create_scorer("eyesvisible").family == "occlusion"


def test_hidden_share_counts_only_pixels_inside_the_zones():
    occlusion = np.zeros((20, 20), np.float32)
    occlusion[:, :5] = 0.9  # hidden left of x = 5
    zones = np.array([[0.0, 0.0, 9.0, 1.0]])  # x 0..9, y 0..1: 20 pixels, 10 hidden
    assert hidden_share(occlusion, zones) == pytest.approx(0.5)
    assert np.isnan(hidden_share(occlusion, np.array([[30.0, 30.0, 40.0, 40.0]])))
    assert zone_mask(zones, (20, 20)).sum() == 20


def test_zones_grow_by_a_twentieth_of_the_eye_distance():
    points = np.zeros((468, 2))
    from fiqa.measures.occlusion import eye_points
    from fiqa.mesh import LEFT_EYE, RIGHT_EYE

    points[eye_points(RIGHT_EYE)] = [[0, 0], [20, 0]] + [[10, -5], [10, 5]] * 3
    points[eye_points(LEFT_EYE)] = [[120, 0], [100, 0]] + [[110, -5], [110, 5]] * 3
    zones = eye_zones(points)  # eye centres 10 and 110: IED 100, V = 5
    np.testing.assert_allclose(zones, [[-5, -10, 25, 10], [95, -10, 125, 10]])


def test_scalar_is_the_visible_percentage_rounded_and_clipped():
    scorer = OcclusionScorer()
    np.testing.assert_array_equal(scorer.scalar(MEASURE, np.array([0.0, 0.254, 1.0, 1.2])),
                                  [100, 75, 0, 0])
    with pytest.raises(ValueError, match="no measure 'EyesOpen'"):
        scorer.scalar("EyesOpen", np.zeros(1))


def test_wrong_crops_are_refused_with_a_hint():
    with pytest.raises(ValueError, match="expected crops of shape .N, 112, 112, 3.*make them with fiqa.face.align_face"):
        OcclusionScorer().occlusion(np.zeros((1, 64, 64, 3), np.uint8))


def _raws(root: Path, paths: list[str]) -> np.ndarray:
    detector, scorer = FaceDetector(), OcclusionScorer()
    contexts = []
    for path in paths:
        image = load_image(root / path)
        contexts.append(FaceContext.build(image, detector.detect(image)))
    return scorer.raw(contexts)[MEASURE]


def test_sunglasses_hide_the_eyes_and_plain_eyes_do_not(shared_data):
    hidden = _raws(shared_data, _labelled("occluded")[:8])
    shown = _raws(shared_data, _labelled("visible")[:8])
    assert np.median(hidden) > 0.5 > np.median(shown)
    assert np.median(shown) < 0.1


@pytest.mark.slow
def test_the_hand_labelled_list_is_separated(shared_data):
    from scipy.stats import mannwhitneyu

    hidden = _raws(shared_data, _labelled("occluded"))
    shown = _raws(shared_data, _labelled("visible"))
    auc = mannwhitneyu(hidden, shown).statistic / (len(hidden) * len(shown))
    assert auc > 0.9


def test_dark_lenses_painted_over_her_eyes_hide_them(sample_face):
    """The astronaut (ships with scikit-image): eyes in view, then behind painted lenses."""
    import cv2

    detector = FaceDetector()
    scorer = OcclusionScorer()
    ctx = FaceContext.build(sample_face, detector.detect(sample_face))
    before = scorer.raw([ctx])[MEASURE][0]
    painted = sample_face.copy()
    radius = int(0.3 * ctx.mesh.inter_eye_distance())
    for x, y in ctx.mesh.eye_centres():
        cv2.ellipse(painted, (int(x), int(y)), (radius, int(radius * 0.7)), 0, 0, 360, (20, 20, 25), -1)
    after = scorer.raw([FaceContext.build(painted, detector.detect(painted))])[MEASURE][0]
    assert before < 0.1 and after > 0.6
