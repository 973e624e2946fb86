"""How ``Sharpness`` responds to blur on real LFW faces (and where its constants come from).

Each face is detected once in the unblurred image; the blur is applied to the whole image
before the face context is built, so only the pixels change. ``--kind`` picks it:
``gaussian`` (levels = sigma in pixels of the 250 px LFW image), ``motion`` (a horizontal
box of that many pixels) or ``lowres`` (shrunk by that factor and enlarged back). Prints,
per level, the mean raw value and scalar, then the share of faces whose raw value falls
strictly with every step, the mean per-face Spearman correlation, how well each level is
told apart from the next across different faces (AUC), and the time per face.

``--fit`` instead measures the constants of :mod:`fiqa.measures.sharpness` on the fitting
sample (every 25th LFW person from the 1000th on): the features' mean and standard
deviation on unblurred faces, the sigmoid's x0 (median raw at sigma 1.5 px) and w (the
median unblurred face scores 80). The default evaluation sample (every 25th person from the
12th on) does not overlap it.

    python benchmarks/sharpness_blur_response.py            # 200 faces, sigma 0..4
    python benchmarks/sharpness_blur_response.py --kind motion --levels 1,5,9,13,17
    python benchmarks/sharpness_blur_response.py --kind lowres --levels 1,1.5,2,3,4
    python benchmarks/sharpness_blur_response.py --fit
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
from scipy.stats import mannwhitneyu, spearmanr

from fiqa.context import FaceContext
from fiqa.data import data_dir
from fiqa.face import FaceDetector
from fiqa.io import load_image
from fiqa.measures import sharpness


def lfw_sample(*, start: int, step: int, count: int) -> list:
    """First image of every ``step``-th LFW person (sorted by name) from ``start`` on."""
    people = sorted(p for p in (data_dir() / "lfw").iterdir() if p.is_dir())
    return [min(person.glob("*.jpg")) for person in people[start::step]][:count]


def degrade(image: np.ndarray, kind: str, level: float) -> np.ndarray:
    """``image`` blurred by ``kind`` at ``level`` (level 0 or 1 = untouched, see the doc)."""
    if kind == "gaussian":
        return cv2.GaussianBlur(image, (0, 0), level) if level > 0 else image
    if kind == "motion":
        size = int(level)
        return cv2.blur(image, (size, 1)) if size > 1 else image
    if kind == "lowres":
        height, width = image.shape[:2]
        small = cv2.resize(image, (round(width / level), round(height / level)),
                           interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    raise ValueError(f"unknown blur kind {kind!r}; use gaussian, motion or lowres")


def blurred_features(paths, levels, kind: str = "gaussian") -> tuple[np.ndarray, int, float]:
    """(faces, levels, 4) features, the number of images without a face, ms per feature set."""
    detector = FaceDetector()
    rows, missed, seconds = [], 0, 0.0
    for path in paths:
        image = load_image(path)
        faces = detector.detect(image)
        if not faces:
            missed += 1
            continue
        row = []
        for level in levels:
            ctx = FaceContext.build(degrade(image, kind, level), faces)
            began = time.process_time()
            row.append(sharpness.face_sharpness_features(ctx))
            seconds += time.process_time() - began
        rows.append(row)
    features = np.array(rows)
    return features, missed, 1000.0 * seconds / max(features.shape[0] * features.shape[1], 1)


def auc(high: np.ndarray, low: np.ndarray) -> float:
    """P(a face from ``high`` scores above a face from ``low``)."""
    return float(mannwhitneyu(high, low).statistic / (len(high) * len(low)))


def fit(args) -> None:
    paths = lfw_sample(start=1000, step=25, count=args.count)
    features, missed, _ = blurred_features(paths, [0.0, 1.5])
    mean, std = features[:, 0].mean(0), features[:, 0].std(0)
    raw = np.array([[sharpness.sharpness_raw(f, mean=mean, std=std) for f in row]
                    for row in features])
    x0 = float(np.median(raw[:, 1]))
    w = float((np.median(raw[:, 0]) - x0) / np.log(4.0))
    print(f"fit sample: {len(paths)} LFW images, {features.shape[0]} with a face ({missed} missed)")
    print("features:", ", ".join(sharpness.FEATURES))
    print("FEATURE_MEAN =", np.round(mean, 4).tolist())
    print("FEATURE_STD  =", np.round(std, 4).tolist())
    print(f"SCALAR_X0 = {x0:.2f}   (median raw at sigma 1.5 px)")
    print(f"SCALAR_W  = {w:.2f}   (median unblurred face -> 80)")


def evaluate(args) -> None:
    levels = [float(s) for s in args.levels.split(",")]
    paths = lfw_sample(start=args.start, step=25, count=args.count)
    features, missed, ms = blurred_features(paths, levels, args.kind)
    raw = np.array([[sharpness.sharpness_raw(f) for f in row] for row in features])
    scalar = sharpness.sharpness_scalar(raw)
    print(f"{len(paths)} LFW images (every 25th person from #{args.start}), "
          f"{raw.shape[0]} with a face, {missed} without")
    print(f"blur: {args.kind}")
    print(f"{'level':>8} {'mean raw':>9} {'sd raw':>7} {'mean scalar':>12}")
    for k, level in enumerate(levels):
        print(f"{level:8.1f} {raw[:, k].mean():9.3f} {raw[:, k].std():7.3f} "
              f"{scalar[:, k].mean():12.1f}")
    monotone = np.all(np.diff(raw, axis=1) < 0, axis=1).mean()
    rho = np.mean([spearmanr(levels, row).statistic for row in raw])
    print(f"faces whose raw falls strictly with every blur step: {monotone:.3f}")
    print(f"mean per-face Spearman(raw, level): {rho:.3f}")
    for k in range(len(levels) - 1):
        print(f"AUC across faces, level {levels[k]:g} vs {levels[k + 1]:g}: "
              f"{auc(raw[:, k], raw[:, k + 1]):.3f}")
    print(f"feature time: {ms:.2f} ms of CPU per face (one thread)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="LFW images to use")
    parser.add_argument("--start", type=int, default=12, help="first person of the sample")
    parser.add_argument("--kind", default="gaussian", choices=("gaussian", "motion", "lowres"))
    parser.add_argument("--levels", default="0,1,2,3,4", help="blur levels (see above)")
    parser.add_argument("--fit", action="store_true", help="print the module's constants")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    fit(args) if args.fit else evaluate(args)


if __name__ == "__main__":
    main()
