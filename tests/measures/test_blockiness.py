"""The classical compression cues: JPEG block grid and fine-detail loss."""

from __future__ import annotations

import numpy as np
import pytest

from fiqa.measures.blockiness import blockiness, fine_detail_ratio
from fiqa.training.compression_samples import compress


@pytest.fixture(scope="module")
def face(sample_face):
    return np.ascontiguousarray(sample_face[30:222, 130:322])


def test_blockiness_grows_as_jpeg_quality_falls(face):
    values = [blockiness(compress(face, codec="jpeg", level=q)) for q in (95, 50, 20, 5)]
    assert np.all(np.diff(values) > 0)
    assert blockiness(face) < 0.1 < values[-1]


def test_blockiness_finds_the_grid_at_any_phase(face):
    jpeg = compress(face, codec="jpeg", level=10)
    shifted = [
        blockiness(jpeg[dy : dy + 160, dx : dx + 160]) for dx, dy in ((0, 0), (3, 5), (7, 1))
    ]
    assert min(shifted) > 2 * blockiness(face[:160, :160])
    np.testing.assert_allclose(shifted, shifted[0], rtol=0.35)


def test_blockiness_is_unchanged_by_transposition(face):
    jpeg = compress(face, codec="jpeg", level=15)
    assert blockiness(jpeg.transpose(1, 0, 2)) == pytest.approx(blockiness(jpeg), rel=1e-6)


def test_fine_detail_falls_with_jpeg2000_ratio(face):
    values = [fine_detail_ratio(compress(face, codec="jpeg2000", level=r)) for r in (5, 40, 200)]
    assert fine_detail_ratio(face) > values[0] and np.all(np.diff(values) < 0)


def test_rejects_non_rgb_input():
    with pytest.raises(ValueError, match="expected an RGB uint8 image"):
        blockiness(np.zeros((32, 32), np.uint8))
    with pytest.raises(ValueError, match="expected an RGB uint8 image"):
        fine_detail_ratio(np.zeros((32, 32, 3), np.float32))
