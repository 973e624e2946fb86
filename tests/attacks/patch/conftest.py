"""Fixtures for the patch-attack tests: one converted SFace per session, one real face."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch extra is not installed")


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def recognizer():
    from attacks.patch.recognizer import load_recognizer

    return load_recognizer("sface", check_faces=None)


@pytest.fixture(scope="session")
def detector():
    from fiqa.face import FaceDetector

    return FaceDetector()


@pytest.fixture(scope="session")
def astronaut_face(sample_face, detector):
    """The astronaut photograph cropped to 256x256 around her face, and that face."""
    crop = np.ascontiguousarray(sample_face[0:256, 100:356])
    return crop, detector.detect(crop)[0]
