import numpy as np
import pytest

pytest.importorskip("torch", reason="the torch extra is not installed")

import torch

from attacks.patch.recognizer import warp_affine
from fiqa.face import align_face, alignment_matrix
from fiqa.recognition import cosine_similarity, sface


def _tensor(image):
    return torch.from_numpy(np.array(image, np.float32)).permute(2, 0, 1)[None]


def test_warp_matches_opencv_alignment(astronaut_face):
    image, face = astronaut_face
    expected = align_face(image, face.landmarks).astype(np.float32)
    matrix = torch.from_numpy(alignment_matrix(face.landmarks))[None]
    got = warp_affine(_tensor(image), matrix, size=112)[0].permute(1, 2, 0).numpy()
    difference = np.abs(got - expected)
    assert difference.mean() < 0.5 and difference.max() < 3.0


def test_embedding_matches_onnxruntime_pipeline(recognizer, astronaut_face):
    image, face = astronaut_face
    reference = sface().embed(align_face(image, face.landmarks)[None])
    with torch.no_grad():
        got = recognizer(_tensor(image), face.landmarks[None]).numpy()
    assert float(cosine_similarity(got, reference)[0]) > 0.9995


def test_gradients_reach_the_full_image_pixels_inside_the_crop_only(recognizer, astronaut_face):
    image, face = astronaut_face
    pixels = _tensor(image).requires_grad_(True)
    recognizer(pixels, face.landmarks[None]).sum().backward()
    grad = pixels.grad[0].abs().sum(0)
    x, y = (int(v) for v in face.landmarks[2])  # the nose tip
    assert grad[y - 5:y + 5, x - 5:x + 5].sum() > 0
    assert grad[:10, :10].sum() == 0  # the sky corner is outside the aligned crop
