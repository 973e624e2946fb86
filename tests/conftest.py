"""Shared fixtures: real face data (skipped when absent) and small synthetic images."""

from __future__ import annotations

import numpy as np
import pytest

from fiqa.data import data_dir


@pytest.fixture(scope="session")
def shared_data():
    """The ``../shared/data`` folder (or ``FIQA_DATA_DIR``); skips the test when absent."""
    folder = data_dir()
    if not (folder / "lfw").is_dir():
        pytest.skip(f"real face data not found at {folder} (set FIQA_DATA_DIR)")
    return folder


@pytest.fixture(scope="session")
def lfw_image_paths(shared_data):
    """A fixed, sorted sample of 40 LFW images (one per person, first people alphabetically)."""
    people = sorted(p for p in (shared_data / "lfw").iterdir() if p.is_dir())[:40]
    return [min(person.glob("*.jpg")) for person in people]


@pytest.fixture(scope="session")
def sample_face():
    """scikit-image's astronaut photograph: a real face that ships with a dependency."""
    from skimage import data

    return data.astronaut()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
