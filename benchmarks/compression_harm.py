"""What the CompressionArtifacts label means on real photographs, per stress severity.

For the probe images of the stress protocol (``--pairs`` mated LFW pairs drawn as
``fiqa stress --limit`` draws them, seed 0) and the first frontal image of every CFP
person, each image is compressed as ``fiqa stress`` does (``jpeg`` quality 50..4,
``jpeg2000`` ratio 25..400) and the model's crop is compared with the same crop of the
image as given (itself a q~75 JPEG): median SSIM and PSNR per severity, the model's
median prediction, and the median scalar under the card's mapping. The ``as given``
rows are the unperturbed photographs. FNMR per severity comes from
``benchmarks/stress_sweep.py`` (README); together they anchor the scalar
(``fiqa.training.compression_card.SCALAR_ANCHORS``) at the label level where recognition
starts to suffer.

    python benchmarks/compression_harm.py --pairs 200 [--model models/compression/model.onnx]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SETTINGS = (("jpeg", range(1, 6)), ("jpeg2000", range(1, 6)))


def probe_paths(data: Path, pairs: int) -> list[Path]:
    from attacks.stress import select_pairs
    from fiqa.evaluation.pairs import read_pairs

    table = select_pairs(read_pairs(data / "lfw_pairs.txt"), limit=pairs, seed=0)
    mated = table[table["same"].astype(bool)]
    lfw = [data / "lfw" / p for p in mated["image_b"]]
    cfp = [min((person / "frontal").glob("*.jpg"))
           for person in sorted((data / "cfp").iterdir())]
    return lfw + cfp


def measure_image(path: Path, *, detector, predict) -> list[dict]:
    from attacks import apply_perturbation
    from fiqa.io import load_image
    from fiqa.measures.compression import compression_crop
    from fiqa.training.compression_samples import similarity_labels

    image = load_image(path)
    faces = detector.detect(image)
    if not faces:
        return []
    landmarks = faces[0].landmarks
    reference = compression_crop(image, landmarks)
    rows, crops = [], [reference]
    conditions = [("as given", 0)] + [(n, s) for n, severities in SETTINGS for s in severities]
    for name, severity in conditions[1:]:
        crops.append(compression_crop(
            apply_perturbation(image, name, severity=severity).image, landmarks))
    predicted = predict(np.stack(crops))
    for (name, severity), crop, value in zip(conditions, crops, predicted):
        ssim, psnr = similarity_labels(reference, crop)
        rows.append({"source": "cfp" if "cfp" in path.parts else "lfw", "perturbation": name,
                     "severity": severity, "ssim": ssim, "psnr": psnr, "predicted": value,
                     "inter_eye_px": faces[0].inter_eye_distance})
    return rows


def main(argv: list[str] | None = None) -> int:
    from fiqa.data import data_dir
    from fiqa.face import FaceDetector
    from fiqa.measures.mapping import sigmoid_scalar
    from fiqa.training.compression_eval import onnx_predictor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200, help="mated LFW pairs (default 200)")
    parser.add_argument("--model", default="models/compression/model.onnx")
    args = parser.parse_args(argv)
    card = json.loads(Path(args.model).with_name("card.json").read_text())
    mapping = card["scalar_mapping"]
    detector, predict = FaceDetector(), onnx_predictor(args.model)
    rows = [row for path in probe_paths(Path(data_dir()), args.pairs)
            for row in measure_image(path, detector=detector, predict=predict)]
    table = pd.DataFrame(rows)
    table["scalar"] = sigmoid_scalar(table["predicted"], x0=mapping["x0"], w=mapping["w"])
    summary = table.groupby(["source", "perturbation", "severity"], sort=False).agg(
        images=("ssim", "size"), median_ssim=("ssim", "median"), median_psnr=("psnr", "median"),
        median_predicted=("predicted", "median"), median_scalar=("scalar", "median"),
        median_inter_eye_px=("inter_eye_px", "median"))
    print(f"model {args.model} (sha256 {card['sha256'][:12]}), mapping x0={mapping['x0']} "
          f"w={mapping['w']}")
    with pd.option_context("display.width", 160):
        print(summary.round(3).to_string())
    given = table[table["perturbation"] == "as given"]
    for source, rows in given.groupby("source"):
        shares = ", ".join(f"{100 * np.mean(rows['scalar'] < cut):.0f} % below {cut}"
                           for cut in (25, 50, 90))
        print(f"{source} as given: scalar {shares}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
