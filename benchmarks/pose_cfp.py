"""Does ``HeadPoseYaw`` separate CFP frontal from profile photos?

Detects the face in every CFP image (``cfp/<id>/{frontal,profile}/NN.jpg``) with
:class:`fiqa.face.FaceDetector`, reports detection failures per class separately, then
prints per class the median |yaw| (and pitch, roll), the AUC of |yaw| for telling profile
from frontal, and the accuracy of a fixed a-priori threshold (|yaw| > 25 degrees = profile)
and of the best threshold found on the data itself. A failed pose fit (none seen so far)
counts as |yaw| = 90, i.e. not frontal.

``--calibrate`` prints the median height of YuNet's nose landmark between the eyes and the
mouth on frontal photos, the constant ``NOSE_HEIGHT_FRACTION`` of :mod:`fiqa.measures.pose`.

    python benchmarks/pose_cfp.py                 # all 100 ids (1400 images)
    python benchmarks/pose_cfp.py --ids 20 --calibrate
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import mannwhitneyu

from fiqa.data import data_dir
from fiqa.face import FaceDetector
from fiqa.io import load_image
from fiqa.measures.pose import head_pose, nose_height_fraction

CLASSES = ("frontal", "profile")


def cfp_landmarks(*, ids: int) -> tuple[dict[str, list[np.ndarray]], dict[str, list[str]]]:
    """Subject landmarks per class for the first ``ids`` CFP identities, and the misses."""
    detector = FaceDetector()
    found: dict[str, list[np.ndarray]] = {cls: [] for cls in CLASSES}
    missed: dict[str, list[str]] = {cls: [] for cls in CLASSES}
    for person in sorted(p for p in (data_dir() / "cfp").iterdir() if p.is_dir())[:ids]:
        for cls in CLASSES:
            for path in sorted((person / cls).glob("*.jpg")):
                faces = detector.detect(load_image(path))
                if faces:
                    found[cls].append(faces[0].landmarks)
                else:
                    missed[cls].append(str(path.relative_to(data_dir())))
    return found, missed


def separation_auc(frontal: np.ndarray, profile: np.ndarray) -> float:
    """P(a profile photo has a larger |yaw| than a frontal one)."""
    return float(mannwhitneyu(profile, frontal).statistic / (len(frontal) * len(profile)))


def balanced_accuracy(frontal: np.ndarray, profile: np.ndarray, threshold: float) -> float:
    return 0.5 * (float(np.mean(frontal <= threshold)) + float(np.mean(profile > threshold)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=100, help="CFP identities to use (1-100)")
    parser.add_argument("--threshold", type=float, default=25.0, help="|yaw| cut, degrees")
    parser.add_argument("--calibrate", action="store_true",
                        help="also print the median nose height on frontal photos")
    args = parser.parse_args()

    found, missed = cfp_landmarks(ids=args.ids)
    began = time.perf_counter()
    poses = {cls: [head_pose(points) for points in found[cls]] for cls in CLASSES}
    ms = 1000 * (time.perf_counter() - began) / max(sum(map(len, poses.values())), 1)
    yaw = {cls: np.abs([p.yaw for p in poses[cls]]) for cls in CLASSES}

    print(f"CFP, first {args.ids} identities")
    for cls in CLASSES:
        total = len(found[cls]) + len(missed[cls])
        pitch = np.array([p.pitch for p in poses[cls]])
        roll = np.array([p.roll for p in poses[cls]])
        print(f"{cls:8s} {total:4d} images, {len(missed[cls])} without a face, "
              f"{int(np.isnan(yaw[cls]).sum())} failed fits; median |yaw| "
              f"{np.nanmedian(yaw[cls]):5.1f}, 5-95% {np.nanpercentile(yaw[cls], 5):5.1f}-"
              f"{np.nanpercentile(yaw[cls], 95):5.1f}; median pitch {np.nanmedian(pitch):5.1f}, "
              f"median |roll| {np.nanmedian(np.abs(roll)):4.1f}")
        for path in missed[cls]:
            print(f"  no face: {path}")
    frontal, profile = (np.nan_to_num(yaw[cls], nan=90.0) for cls in CLASSES)
    print(f"AUC of |yaw|, profile vs frontal: {separation_auc(frontal, profile):.4f}")
    print(f"balanced accuracy at |yaw| > {args.threshold:g}: "
          f"{balanced_accuracy(frontal, profile, args.threshold):.4f}")
    cuts = np.unique(np.concatenate([frontal, profile]))
    scores = [balanced_accuracy(frontal, profile, cut) for cut in cuts]
    best = int(np.argmax(scores))
    print(f"best threshold on this data: |yaw| > {cuts[best]:.1f}, "
          f"balanced accuracy {scores[best]:.4f}")
    print(f"pose solve: {ms:.3f} ms per face")
    if args.calibrate:
        fraction = np.median([nose_height_fraction(points) for points in found["frontal"]])
        print(f"NOSE_HEIGHT_FRACTION (median over frontal photos) = {fraction:.3f}")


if __name__ == "__main__":
    main()
