"""Images shared by the perturbation tests: the astronaut's face and two real LFW faces."""

from __future__ import annotations

import pytest
from skimage.metrics import structural_similarity

from fiqa.io import load_image


@pytest.fixture(scope="session")
def astronaut_face(sample_face):
    """A 256x256 crop of the astronaut fixture around her face (keeps the tests fast)."""
    return sample_face[0:256, 128:384].copy()


@pytest.fixture(scope="session")
def lfw_faces(lfw_image_paths):
    """Two real LFW images (250x250 JPEGs)."""
    return [load_image(lfw_image_paths[0]), load_image(lfw_image_paths[20])]


def _ssim(a, b) -> float:
    return float(structural_similarity(a, b, channel_axis=2, data_range=255))


@pytest.fixture(scope="session")
def ssim():
    """SSIM between two RGB uint8 images (scikit-image, channels averaged)."""
    return _ssim
