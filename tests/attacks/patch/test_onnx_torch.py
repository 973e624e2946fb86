import sys

import numpy as np
import pytest

pytest.importorskip("torch", reason="the torch extra is not installed")

import torch

from attacks.patch.onnx_torch import OnnxModule, ParityError, check_parity
from fiqa.face import align_face
from fiqa.recognition import sface


def _tiny_model(rng, op_extra=()):
    """Conv (asymmetric pads) -> PRelu -> MaxPool -> Sub/Mul -> pooled -> Flatten -> Gemm."""
    from onnx import TensorProto, helper, numpy_helper

    weights = {"w": rng.normal(size=(4, 3, 3, 3)), "b": rng.normal(size=4),
               "slope": rng.uniform(0, 0.5, (4, 1, 1)), "shift": rng.normal(size=(1, 4, 1, 1)),
               "fc": rng.normal(size=(5, 4)), "fcb": rng.normal(size=5)}
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[0, 1, 1, 0], strides=[2, 2]),
        helper.make_node("PRelu", ["c", "slope"], ["p"]),
        helper.make_node("MaxPool", ["p"], ["m"], kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("Sub", ["m", "shift"], ["s"]),
        helper.make_node("Mul", ["s", "s"], ["q"]),
        helper.make_node("GlobalAveragePool", ["q"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "fc", "fcb"], ["y"], transB=1),
        *op_extra,
    ]
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 9, 9])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5])],
        [numpy_helper.from_array(v.astype(np.float32), k) for k, v in weights.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_converter_matches_onnxruntime_operator_by_operator(rng):
    import onnxruntime

    model = _tiny_model(rng)
    x = rng.normal(size=(2, 3, 9, 9)).astype(np.float32)
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    reference = session.run(None, {"x": x})[0]
    ours = OnnxModule(model).eval()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-4)


def test_converter_refuses_unknown_operators_by_name(rng):
    from onnx import helper

    model = _tiny_model(rng, [helper.make_node("NonMaxSuppression", ["y"], ["z"])])
    with pytest.raises(NotImplementedError, match=r"does not cover: \['NonMaxSuppression'\]"):
        OnnxModule(model)


def test_the_patch_code_needs_neither_onnx2torch_nor_torchvision():
    from pathlib import Path

    import attacks.patch.onnx_torch as converter

    source = Path(converter.__file__).read_text()
    assert "import onnx2torch" not in source and "torchvision" not in sys.modules


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
