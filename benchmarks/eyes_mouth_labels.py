"""How well do ``EyesOpen`` and ``MouthClosed`` separate hand-labelled open and closed
eyes and mouths, and what would a gate bound reject on LFW?

Scores every photo of ``tests/data/eye_mouth_labels.csv`` (LFW paths hand-checked as eyes
open/closed or mouth open/closed; candidates came from both tails of the measures, so the
set is rich in hard cases near the bounds and the AUC is optimistic for random photos),
prints per part and state the raw values' range and median and the AUC (closed vs open),
then, for each proposed strict-enrolment bound, how many labelled photos of each state it
rejects and what share of the first ``--lfw`` LFW photos (every 4th by path) it rejects.

    python benchmarks/eyes_mouth_labels.py --lfw 1000
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from scipy.stats import mannwhitneyu

from fiqa.context import FaceContext
from fiqa.data import data_dir
from fiqa.face import FaceDetector
from fiqa.io import load_image
from fiqa.measures.eyes_mouth import eyes_open, mouth_opening

LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "eye_mouth_labels.csv"
#: part -> (measure function, proposed bound, True if values below the bound are rejected).
BOUNDS = {"eyes": (eyes_open, 0.037, True), "mouth": (mouth_opening, 0.06, False)}


def score(detector: FaceDetector, path: Path):
    image = load_image(path)
    faces = detector.detect(image)
    return FaceContext.build(image, faces) if faces else None


def _rejected(values: np.ndarray, bound: float, below: bool) -> int:
    return int((values < bound).sum() if below else (values > bound).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=int, default=1000, help="LFW photos for the reject rates")
    args = parser.parse_args()
    detector, root = FaceDetector(), data_dir()
    rows = list(csv.DictReader(LABELS.open()))
    for part, (measure, bound, below) in BOUNDS.items():
        values = {"open": [], "closed": []}
        for row in (r for r in rows if r["part"] == part):
            ctx = score(detector, root / row["path"])
            if ctx is not None:
                values[row["state"]].append(measure(ctx))
        closed, opened = np.array(values["closed"]), np.array(values["open"])
        u = mannwhitneyu(opened, closed).statistic  # both raw values grow as the part opens
        for state, v in (("closed", closed), ("open", opened)):
            print(f"{part} {state}: n={len(v)} min={v.min():.4f} median={np.median(v):.4f} max={v.max():.4f}")
        print(f"{part} AUC (closed vs open) = {u / (len(closed) * len(opened)):.3f}")
        print(f"{part} bound {'raw_min' if below else 'raw_max'} = {bound}: rejects "
              f"{_rejected(closed, bound, below)}/{len(closed)} closed, "
              f"{_rejected(opened, bound, below)}/{len(opened)} open")
    lfw = sorted((root / "lfw").rglob("*.jpg"))[::4][: args.lfw]
    raws = {part: [] for part in BOUNDS}
    for path in lfw:
        ctx = score(detector, path)
        if ctx is not None:
            for part, (measure, _, _) in BOUNDS.items():
                raws[part].append(measure(ctx))
    for part, (_, bound, below) in BOUNDS.items():
        v = np.array(raws[part])
        share = (v < bound).mean() if below else (v > bound).mean()
        print(f"LFW ({len(v)} faces): bound on {part} rejects {100 * share:.1f} %; "
              f"percentiles 5/50/95 = {np.percentile(v, [5, 50, 95]).round(4).tolist()}")


if __name__ == "__main__":
    main()
