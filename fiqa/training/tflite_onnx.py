"""Convert the MediaPipe ``.tflite`` models fiqa ships to ONNX, once, at development time.

fiqa runs every network with onnxruntime; the MediaPipe face mesh and selfie segmentation
models come as TensorFlow Lite files inside the ``mediapipe`` wheel. This converter reads
the flatbuffer graph (with the ``tflite`` parsing package) and writes the same operations
as an ONNX graph in NCHW layout, with float16 weights widened to float32 (lossless). It
covers exactly the operators those files use (convolutions, depthwise convolutions,
PReLU, pooling, padding, element-wise ops, bilinear resize and MediaPipe's custom
``Convolution2DTransposeBias``) and refuses anything else by name.

Graph inputs and outputs keep the TFLite layout (NHWC), so a converted model is called
exactly like the original; ``benchmarks/face_mesh_parity.py`` compares the two with
``ai-edge-litert``. Neither ``tflite`` nor ``ai-edge-litert`` is needed at run time
(``pip install fiqa[convert]``).

Run ``python -m fiqa.training.tflite_onnx MEDIAPIPE_WHEEL --out models`` to rewrite
``models/face_mesh/model.onnx`` and ``models/selfie_segmentation/model.onnx``.
"""

from __future__ import annotations

import argparse
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

#: Model folder -> the file inside the mediapipe wheel it is converted from.
WHEEL_MODELS = {
    "face_mesh": "mediapipe/modules/face_landmark/face_landmark.tflite",
    "selfie_segmentation": "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
}
OPSET = 17
_NHWC_TO_NCHW = (0, 3, 1, 2)
_NCHW_TO_NHWC = (0, 2, 3, 1)
_ACTIVATIONS = {0: None, 1: "Relu", 3: "Relu6"}  # TFLite ActivationFunctionType


@dataclass
class _Graph:
    """The ONNX graph under construction; tensors are named ``t<index>`` (NCHW inside)."""

    model: object
    subgraph: object
    nodes: list = field(default_factory=list)
    initializers: list = field(default_factory=list)
    constants: dict = field(default_factory=dict)
    counter: int = 0

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}_{self.counter}"

    def const(self, array: np.ndarray, stem: str = "c") -> str:
        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], output: str | None = None, **attrs) -> str:
        output = output or self.fresh(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output


def _tensor_array(graph: _Graph, index: int) -> np.ndarray | None:
    """The constant data of tensor ``index`` (None for activations)."""
    if index in graph.constants:
        return graph.constants[index]
    tensor = graph.subgraph.Tensors(index)
    data = graph.model.Buffers(tensor.Buffer()).DataAsNumpy()
    if isinstance(data, int) or data is None or len(data) == 0:
        return None
    dtype = {0: np.float32, 1: np.float16, 2: np.int32, 4: np.int64}[tensor.Type()]
    return np.frombuffer(data.tobytes(), dtype=dtype).reshape(tensor.ShapeAsNumpy())


def _options(op, options_class):
    import tflite

    table = op.BuiltinOptions()
    options = getattr(tflite, options_class)()
    options.Init(table.Bytes, table.Pos)
    return options


def _activate(graph: _Graph, value: str, code: int, output: str) -> str:
    if code not in _ACTIVATIONS:
        raise ValueError(f"unsupported fused activation {code}")
    kind = _ACTIVATIONS[code]
    if kind is None:
        return graph.node("Identity", [value], output)
    if kind == "Relu6":
        return graph.node("Clip", [value, graph.const(np.float32(0)), graph.const(np.float32(6))], output)
    return graph.node("Relu", [value], output)


def _padding(code: int) -> str:
    return {0: "SAME_UPPER", 1: "VALID"}[code]  # TFLite Padding: SAME = 0, VALID = 1


def _conv(graph, op, ins, out, depthwise: bool):
    options = _options(op, "DepthwiseConv2DOptions" if depthwise else "Conv2DOptions")
    weights = _tensor_array(graph, ins[1]).astype(np.float32)
    if depthwise:  # (1, kh, kw, C) -> (C, 1, kh, kw), one group per channel
        weights = weights.transpose(3, 0, 1, 2)
        group = weights.shape[0] // options.DepthMultiplier()
    else:  # (O, kh, kw, I) -> (O, I, kh, kw)
        weights = weights.transpose(0, 3, 1, 2)
        group = 1
    inputs = [f"t{ins[0]}", graph.const(weights, "w")]
    if len(ins) > 2 and ins[2] >= 0:
        inputs.append(graph.const(_tensor_array(graph, ins[2]).astype(np.float32), "b"))
    value = graph.node("Conv", inputs, auto_pad=_padding(options.Padding()), group=group,
                       strides=[options.StrideH(), options.StrideW()],
                       dilations=[options.DilationHFactor(), options.DilationWFactor()])
    _activate(graph, value, options.FusedActivationFunction(), out)


def _pool(graph, op, ins, out, kind: str):
    options = _options(op, "Pool2DOptions")
    value = graph.node(kind, [f"t{ins[0]}"], auto_pad=_padding(options.Padding()),
                       kernel_shape=[options.FilterHeight(), options.FilterWidth()],
                       strides=[options.StrideH(), options.StrideW()])
    _activate(graph, value, options.FusedActivationFunction(), out)


def _channel_vector(array: np.ndarray) -> np.ndarray:
    """A per-channel NHWC constant (C,), (1, 1, C) or (1, 1, 1, C) as an NCHW (C, 1, 1)."""
    return array.astype(np.float32).reshape(-1, 1, 1)


def _operand(graph: _Graph, index: int) -> str:
    constant = _tensor_array(graph, index)
    return f"t{index}" if constant is None else graph.const(_channel_vector(constant))


def _binary(graph, op, ins, out, kind: str, options_class: str):
    value = graph.node(kind, [_operand(graph, ins[0]), _operand(graph, ins[1])])
    _activate(graph, value, _options(op, options_class).FusedActivationFunction(), out)


def _pad(graph, op, ins, out):
    pads = _tensor_array(graph, ins[1])[list(_NHWC_TO_NCHW)]  # rows: N, C, H, W
    onnx_pads = np.concatenate([pads[:, 0], pads[:, 1]]).astype(np.int64)
    graph.node("Pad", [f"t{ins[0]}", graph.const(onnx_pads, "pads")], out)


def _resize_bilinear(graph, op, ins, out):
    options = _options(op, "ResizeBilinearOptions")
    height, width = (int(v) for v in _tensor_array(graph, ins[1]))
    channels = int(graph.subgraph.Tensors(ins[0]).ShapeAsNumpy()[3])
    mode = ("align_corners" if options.AlignCorners() else
            "half_pixel" if options.HalfPixelCenters() else "asymmetric")
    sizes = graph.const(np.array([1, channels, height, width], np.int64), "sizes")
    graph.node("Resize", [f"t{ins[0]}", "", "", sizes], out, mode="linear",
               coordinate_transformation_mode=mode)


def _reshape(graph, op, ins, out):
    shape = np.array(graph.subgraph.Tensors(op.OutputsAsNumpy()[0]).ShapeAsNumpy(), np.int64)
    nhwc = graph.node("Transpose", [f"t{ins[0]}"], perm=list(_NCHW_TO_NHWC))
    flat = graph.node("Reshape", [nhwc, graph.const(shape, "shape")])
    if len(shape) == 4:
        graph.node("Transpose", [flat], out, perm=list(_NHWC_TO_NCHW))
    else:
        graph.node("Identity", [flat], out)


def _transpose_conv_bias(graph, op, ins, out):
    """MediaPipe's ``Convolution2DTransposeBias``: options are int32 (padding, stride w, h)."""
    padding, stride_w, stride_h = np.frombuffer(op.CustomOptionsAsNumpy().tobytes(), np.int32)[:3]
    weights = _tensor_array(graph, ins[1]).astype(np.float32)  # (O, kh, kw, I)
    kernel_h, kernel_w = weights.shape[1:3]
    pad_h = max(kernel_h - stride_h, 0) if padding == 1 else 0  # 1 = SAME in TfLitePadding
    pad_w = max(kernel_w - stride_w, 0) if padding == 1 else 0
    graph.node("ConvTranspose", [f"t{ins[0]}", graph.const(weights.transpose(3, 0, 1, 2), "w"),
                                 graph.const(_tensor_array(graph, ins[2]).astype(np.float32), "b")],
               out, strides=[int(stride_h), int(stride_w)],
               pads=[pad_h // 2, pad_w // 2, pad_h - pad_h // 2, pad_w - pad_w // 2])


def _dequantize(graph, op, ins, out):
    graph.constants[op.OutputsAsNumpy()[0]] = _tensor_array(graph, ins[0]).astype(np.float32)


def _unary(kind: str):
    return lambda graph, op, ins, out: graph.node(kind, [f"t{ins[0]}"], out)


def _prelu(graph, op, ins, out):
    """``x * a + relu(x) * (1 - a)``: the same as PRelu, and several times faster in
    onnxruntime, whose PRelu kernel does not vectorise a per-channel slope."""
    slope = _channel_vector(_tensor_array(graph, ins[1]))
    scaled = graph.node("Mul", [f"t{ins[0]}", graph.const(slope)])
    positive = graph.node("Mul", [graph.node("Relu", [f"t{ins[0]}"]), graph.const(1.0 - slope)])
    graph.node("Add", [scaled, positive], out)


_CONVERTERS = {
    "CONV_2D": lambda g, op, i, o: _conv(g, op, i, o, depthwise=False),
    "DEPTHWISE_CONV_2D": lambda g, op, i, o: _conv(g, op, i, o, depthwise=True),
    "MAX_POOL_2D": lambda g, op, i, o: _pool(g, op, i, o, "MaxPool"),
    "AVERAGE_POOL_2D": lambda g, op, i, o: _pool(g, op, i, o, "AveragePool"),
    "ADD": lambda g, op, i, o: _binary(g, op, i, o, "Add", "AddOptions"),
    "MUL": lambda g, op, i, o: _binary(g, op, i, o, "Mul", "MulOptions"),
    "PRELU": _prelu,
    "RELU": _unary("Relu"),
    "LOGISTIC": _unary("Sigmoid"),
    "HARD_SWISH": _unary("HardSwish"),
    "PAD": _pad,
    "RESHAPE": _reshape,
    "RESIZE_BILINEAR": _resize_bilinear,
    "DEQUANTIZE": _dequantize,
    "Convolution2DTransposeBias": _transpose_conv_bias,
}


def _op_name(model, op) -> str:
    import tflite

    code = model.OperatorCodes(op.OpcodeIndex())
    builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
    name = tflite.opcode2name(builtin)
    return code.CustomCode().decode() if name == "CUSTOM" else name


def _value_info(subgraph, index: int, name: str):
    shape = [int(v) for v in subgraph.Tensors(index).ShapeAsNumpy()]
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def convert_tflite(data: bytes, *, doc: str = "") -> onnx.ModelProto:
    """An ONNX model computing what the TFLite flatbuffer ``data`` computes.

    Inputs and outputs keep their TFLite names and NHWC shapes; inside, the graph is NCHW.
    Raises ValueError naming the first unsupported operator.
    """
    import tflite

    model = tflite.Model.GetRootAsModel(data, 0)
    graph = _Graph(model=model, subgraph=model.Subgraphs(0))
    sub = graph.subgraph
    inputs, outputs = list(sub.InputsAsNumpy()), list(sub.OutputsAsNumpy())
    for index in inputs:
        graph.node("Transpose", [sub.Tensors(index).Name().decode()], f"t{index}", perm=list(_NHWC_TO_NCHW))
    for position in range(sub.OperatorsLength()):
        op = sub.Operators(position)
        name = _op_name(model, op)
        if name not in _CONVERTERS:
            raise ValueError(f"operator {name} (node {position}) is not supported by this converter")
        _CONVERTERS[name](graph, op, list(op.InputsAsNumpy()), f"t{op.OutputsAsNumpy()[0]}")
    output_infos = []
    for index in outputs:
        name = sub.Tensors(index).Name().decode()
        rank = len(sub.Tensors(index).ShapeAsNumpy())
        if rank == 4:
            graph.node("Transpose", [f"t{index}"], name, perm=list(_NCHW_TO_NHWC))
        else:
            graph.node("Identity", [f"t{index}"], name)
        output_infos.append(_value_info(sub, index, name))
    onnx_graph = helper.make_graph(
        graph.nodes, "converted", [_value_info(sub, i, sub.Tensors(i).Name().decode()) for i in inputs],
        output_infos, graph.initializers)
    result = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)],
                               producer_name="fiqa.training.tflite_onnx", doc_string=doc)
    result.ir_version = 8
    onnx.checker.check_model(result)
    return result


def convert_wheel(wheel: str | Path, out_dir: str | Path) -> dict[str, Path]:
    """Convert every model of :data:`WHEEL_MODELS` from a mediapipe wheel into ``out_dir``."""
    written = {}
    with zipfile.ZipFile(wheel) as archive:
        for folder, member in WHEEL_MODELS.items():
            model = convert_tflite(archive.read(member), doc=f"{Path(wheel).name}:{member}")
            target = Path(out_dir) / folder / "model.onnx"
            target.parent.mkdir(parents=True, exist_ok=True)
            onnx.save(model, target)
            written[folder] = target
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", help="mediapipe-0.10.21-*.whl (pip download --no-deps mediapipe==0.10.21)")
    parser.add_argument("--out", default="models", help="folder holding the model folders")
    for folder, path in convert_wheel(parser.parse_args(argv).wheel, parser.parse_args(argv).out).items():
        print(f"{folder}: {path}")


if __name__ == "__main__":
    main()
