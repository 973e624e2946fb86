"""CompressionArtifacts: test-set evaluation and milliseconds per face.

    python benchmarks/compression_eval.py [--model models/compression/model.onnx] [--faces 300]

Prints the held-out evaluation of ``fiqa eval compression`` (CNN beside the classical
blockiness / fine-detail cues, per codec and inter-eye band), the median SSIM / PSNR per
codec setting on the test split (what an SSIM threshold means), then the speed on this CPU:
the model alone on the test crops (onnxruntime, batch 64), and the whole scorer inside
FaceContext-based scoring on the first FACES LFW images (crop + batched inference, after
detection; detection and context building are timed separately for scale). Needs
../shared/data (or FIQA_DATA_DIR); generated data is cached in <tmp>/fiqa_cache.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from fiqa.context import FaceContext
from fiqa.data import data_dir
from fiqa.face import FaceDetector
from fiqa.io import load_image
from fiqa.measures.compression import CompressionScorer
from fiqa.training.compression_data import DataOptions, compression_dataset, subset
from fiqa.training.compression_eval import evaluate_model_file, format_table, label_calibration


def scoring_speed(count: int) -> dict:
    paths = sorted((data_dir() / "lfw").rglob("*.jpg"))[:count]
    images = [load_image(path) for path in paths]
    detector = FaceDetector()
    start = time.perf_counter()
    found = [(image, detector.detect(image)) for image in images]
    detect = time.perf_counter() - start
    start = time.perf_counter()
    contexts = [FaceContext.build(image, faces) for image, faces in found if faces]
    build = time.perf_counter() - start
    scorer = CompressionScorer()
    scorer.raw(contexts[:8])  # session warm-up
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        scorer.raw(contexts)
        best = min(best, time.perf_counter() - start)
    faces = len(contexts)
    return {
        "faces": faces,
        "detect_ms": 1000 * detect / len(images),
        "context_ms": 1000 * build / faces,
        "scorer_ms": 1000 * best / faces,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model.onnx (default: the shipped one)")
    parser.add_argument("--faces", type=int, default=300, help="LFW images for the scoring speed")
    parser.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "fiqa_cache"))
    args = parser.parse_args()
    if not (data_dir() / "lfw").is_dir():
        raise SystemExit(f"face data not found at {data_dir()}; set FIQA_DATA_DIR")
    table, speed = evaluate_model_file(args.model, data_dir=data_dir(), cache_dir=args.cache_dir)
    print(format_table(table))
    print(
        f"\nmodel alone: {speed['ms_per_face']:.2f} ms/face (onnxruntime, "
        f"batch {speed['batch_size']}, {speed['faces']} test crops, best of 3)"
    )
    data = compression_dataset(data_dir(), cache_dir=args.cache_dir, options=DataOptions())
    print("\nwhat the labels mean (test split, default data settings):")
    print(label_calibration(subset(data, data["split"] == "test")).to_string(index=False))
    scoring = scoring_speed(args.faces)
    print(
        f"in FaceContext scoring ({scoring['faces']} LFW faces): CompressionScorer.raw "
        f"{scoring['scorer_ms']:.2f} ms/face (crop + inference, best of 3); for scale, YuNet "
        f"detection {scoring['detect_ms']:.2f} ms/image and FaceContext.build "
        f"{scoring['context_ms']:.2f} ms/face"
    )


if __name__ == "__main__":
    main()
