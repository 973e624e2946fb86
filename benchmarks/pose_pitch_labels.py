"""Does ``HeadPosePitch`` follow real up/down head tilt? Hand-labelled LFW photos.

``tests/data/head_pitch_labels.csv`` lists LFW photos hand-checked as head tilted up
(chin raised), level or down (head bowed); photos where the tilt was unclear were left
out. Candidates came from both tails of the mesh pitch and of the 5-point pitch and from
16 random photos (first image of every 4th LFW person), so the set is rich in clear
tilts and the AUCs are optimistic for random photos. For the shipped pitch (the face
mesh fitted to its mean shape, :mod:`fiqa.mesh_shape`) and for the 5-point fit
(:func:`fiqa.measures.pose.head_pose`), prints the median per state and the AUC of
up against level and of level against down, then how far a horizontal mirror moves the
pitch (it should not) and the yaw (it should change sign).

    python benchmarks/pose_pitch_labels.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from scipy.stats import mannwhitneyu

from fiqa.context import FaceContext
from fiqa.data import data_dir
from fiqa.face import FaceDetector
from fiqa.io import load_image
from fiqa.measures.pose import face_head_pose, head_pose

LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "head_pitch_labels.csv"
STATES = ("up", "level", "down")


def _context(detector: FaceDetector, image: np.ndarray) -> FaceContext | None:
    faces = detector.detect(image)
    return FaceContext.build(image, faces) if faces else None


def _auc(higher: np.ndarray, lower: np.ndarray) -> float:
    return float(mannwhitneyu(higher, lower).statistic / (len(higher) * len(lower)))


def main() -> None:
    detector, root = FaceDetector(), data_dir()
    values = {method: {state: [] for state in STATES} for method in ("mesh", "5-point")}
    mirror_pitch, mirror_yaw = [], []
    for row in csv.DictReader(LABELS.open()):
        image = load_image(root / row["path"])
        ctx, flipped = _context(detector, image), _context(detector, image[:, ::-1].copy())
        if ctx is None or flipped is None:
            print(f"no face: {row['path']}")
            continue
        pose, mirrored = face_head_pose(ctx), face_head_pose(flipped)
        values["mesh"][row["state"]].append(pose.pitch)
        values["5-point"][row["state"]].append(head_pose(ctx.face.landmarks).pitch)
        mirror_pitch.append(abs(pose.pitch - mirrored.pitch))
        mirror_yaw.append(abs(pose.yaw + mirrored.yaw))
    counts = ", ".join(f"{len(values['mesh'][state])} {state}" for state in STATES)
    print(f"labelled photos: {counts}")
    for method, groups in values.items():
        up, level, down = (np.array(groups[state]) for state in STATES)
        medians = " / ".join(f"{np.median(v):+.1f}" for v in (up, level, down))
        print(f"{method:8s} pitch median up / level / down: {medians} deg; AUC up vs level "
              f"{_auc(up, level):.3f}, level vs down {_auc(level, down):.3f}")
    print(f"mirror: median |pitch change| {np.median(mirror_pitch):.1f} deg, "
          f"median |yaw + mirrored yaw| {np.median(mirror_yaw):.1f} deg")


if __name__ == "__main__":
    main()
