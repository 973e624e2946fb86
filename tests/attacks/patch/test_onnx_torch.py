import sys

import numpy as np
import pytest
import torch

from attacks.patch.onnx_torch import ParityError, check_parity, import_onnx2torch
from fiqa.face import align_face
from fiqa.recognition import sface


def test_onnx2torch_imports_without_leaving_a_torchvision_placeholder():
    module = import_onnx2torch()
    assert hasattr(module, "convert")
    placeholder = sys.modules.get("torchvision")
    assert placeholder is None or not getattr(placeholder, "__fiqa_placeholder__", False)


def test_placeholder_names_the_missing_operators():
    import onnx2torch.node_converters.nms as nms_converter

    ops = nms_converter.torchvision.ops
    if not getattr(nms_converter.torchvision, "__fiqa_placeholder__", False):
        pytest.skip("a working torchvision is installed")
    with pytest.raises(NotImplementedError, match="NMS or RoiAlign"):
        ops.nms(torch.zeros(1, 4), torch.zeros(1), 0.5)


@pytest.fixture(scope="module")
def aligned_faces(astronaut_face):
    image, face = astronaut_face
    crop = align_face(image, face.landmarks)
    return np.stack([crop, crop[:, ::-1], np.clip(crop * 0.7, 0, 255).astype(np.uint8)])


def test_parity_on_real_faces(recognizer, aligned_faces):
    assert check_parity(recognizer.network, sface(), aligned_faces) >= 0.9999


def test_parity_refuses_a_wrong_model(recognizer, aligned_faces):
    class Shuffled(torch.nn.Module):  # right shape, wrong function
        def forward(self, x):
            return recognizer.network(x).flip(1)

    with pytest.raises(ParityError, match="embeddings disagree"):
        check_parity(Shuffled(), sface(), aligned_faces)


def test_parity_refuses_wrong_output_shape(aligned_faces):
    class Pooled(torch.nn.Module):
        def forward(self, x):
            return x.mean(dim=(2, 3))

    with pytest.raises(ParityError, match="shape"):
        check_parity(Pooled(), sface(), aligned_faces)
