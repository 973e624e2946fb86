"""Parity of the converted ONNX models with the original MediaPipe ``.tflite`` files, and
their speed.

For the first ``--count`` LFW photos (by path) cuts the face mesh crop and the background
canvas exactly as fiqa does, runs the original ``.tflite`` (``ai-edge-litert``, XNNPACK)
and the shipped ONNX (onnxruntime), and prints the largest differences: mesh points in
crop pixels (of 192), face-presence logit, and person probability (0..1). Then the median
milliseconds per call of each runtime, one thread.

    pip download --no-deps mediapipe==0.10.21 -d /tmp/mp
    python benchmarks/face_mesh_parity.py /tmp/mp/mediapipe-0.10.21-*.whl --count 200
"""

from __future__ import annotations

import argparse
import time
import zipfile

import cv2
import numpy as np

from fiqa.data import data_dir
from fiqa.face import FaceDetector
from fiqa.io import load_image
from fiqa.measures.background import SEGMENTATION_SIZE, background_canvas
from fiqa.mesh import INPUT_SIZE, crop_matrix
from fiqa.models import onnx_session, shipped_model
from fiqa.training.tflite_onnx import WHEEL_MODELS


def inputs(count: int):
    detector = FaceDetector()
    for path in sorted((data_dir() / "lfw").rglob("*.jpg"))[:count]:
        image = load_image(path)
        faces = detector.detect(image)
        if not faces:
            continue
        crop = cv2.warpAffine(image, crop_matrix(faces[0]), (INPUT_SIZE, INPUT_SIZE),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        canvas, _ = background_canvas(image, faces[0].landmarks)
        canvas = cv2.resize(canvas, (SEGMENTATION_SIZE, SEGMENTATION_SIZE), interpolation=cv2.INTER_AREA)
        yield {"face_mesh": crop, "selfie_segmentation": canvas}


def compare(wheel: str, folder: str, batches: list[np.ndarray]) -> None:
    from ai_edge_litert.interpreter import Interpreter

    with zipfile.ZipFile(wheel) as archive:
        interpreter = Interpreter(model_content=archive.read(WHEEL_MODELS[folder]), num_threads=1)
    interpreter.allocate_tensors()
    tensor = interpreter.get_input_details()[0]["index"]
    outputs = [d["index"] for d in interpreter.get_output_details()]
    session = onnx_session(shipped_model(folder).path, threads=1)
    name = session.get_inputs()[0].name
    worst, lite_s, onnx_s = None, [], []
    for image in batches:
        x = (image.astype(np.float32) / 255.0)[None]
        started = time.perf_counter()
        interpreter.set_tensor(tensor, x)
        interpreter.invoke()
        reference = [interpreter.get_tensor(i) for i in outputs]
        lite_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        converted = session.run(None, {name: x})
        onnx_s.append(time.perf_counter() - started)
        diffs = [float(np.abs(r - c).max()) for r, c in zip(reference, converted)]
        worst = diffs if worst is None else [max(a, b) for a, b in zip(worst, diffs)]
    labels = ["points (px of 192)", "presence logit"] if folder == "face_mesh" else ["person probability"]
    print(f"{folder}: {len(batches)} inputs; max |tflite - onnx|: "
          + ", ".join(f"{label} {value:.2e}" for label, value in zip(labels, worst)))
    print(f"{folder}: median ms per call, 1 thread: ai-edge-litert {1000 * np.median(lite_s):.2f}, "
          f"onnxruntime {1000 * np.median(onnx_s):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", help="the mediapipe==0.10.21 wheel")
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    collected = list(inputs(args.count))
    for folder in WHEEL_MODELS:
        compare(args.wheel, folder, [item[folder] for item in collected])


if __name__ == "__main__":
    main()
