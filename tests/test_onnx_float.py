import numpy as np
import onnx

from fiqa.models import packaged_model
from fiqa.onnx_float import TARGET_OPSET, dequantize_blocked, float_model


def test_blocked_dequantisation_matches_a_hand_computation():
    quantized = np.array([[10, 20, 30, 40, 50]], np.int8)
    scales = np.array([[0.1, 1.0, 2.0]], np.float32)
    zero_point = np.array([[0, 10, 40]], np.int8)
    result = dequantize_blocked(quantized, scales, zero_point, axis=1, block_size=2)
    np.testing.assert_allclose(result, [[1.0, 2.0, 20.0, 30.0, 20.0]])


def test_per_axis_dequantisation():
    quantized = np.ones((2, 3), np.int8)
    result = dequantize_blocked(quantized, np.array([1.0, 3.0], np.float32), None, axis=0,
                                block_size=0)
    np.testing.assert_allclose(result, [[1, 1, 1], [3, 3, 3]])


def test_sface_float_graph_has_no_quantisation_and_a_dynamic_batch():
    model = float_model(onnx.load(str(packaged_model("sface").path)))
    ops = {node.op_type for node in model.graph.node}
    assert not ops & {"DequantizeLinear", "Reshape"}
    assert [inp.name for inp in model.graph.input] == ["data"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert model.opset_import[0].version == TARGET_OPSET
