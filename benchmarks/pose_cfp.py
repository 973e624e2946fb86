"""Does ``HeadPoseYaw`` separate CFP frontal from profile photos?

Detects the face in every CFP image (``cfp/<id>/{frontal,profile}/NN.jpg``) with
:class:`fiqa.face.FaceDetector`, reports detection failures per class separately, then
prints per class the median |yaw| (and pitch, roll), the AUC of |yaw| for telling profile
from frontal, and the accuracy of a fixed a-priori threshold (|yaw| > 25 degrees = profile)
and of the best threshold found on the data itself. A failed pose fit (none seen so far)
counts as |yaw| = 90, i.e. not frontal.

``--calibrate`` prints the median height of YuNet's nose landmark between the eyes and the
mouth on frontal photos, the constant ``NOSE_HEIGHT_FRACTION`` of :mod:`fiqa.measures.pose`.

``--roll-check N`` rotates the first N frontal photos (one per identity) in the image plane
by known angles about the face, detects again and reports how far the measured change of
roll is from the true angle, for ``HeadPoseRoll`` and for YuNet's landmarks alone.

    python benchmarks/pose_cfp.py                 # all 100 ids (1400 images)
    python benchmarks/pose_cfp.py --ids 20 --calibrate --roll-check 50
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
from scipy.stats import mannwhitneyu

from fiqa.context import FaceContext
from fiqa.data import data_dir
from fiqa.face import FaceDetector
from fiqa.io import load_image
from fiqa.measures.pose import face_head_pose, head_pose, landmark_roll, nose_height_fraction
from fiqa.mesh import default_face_mesh
from fiqa.mesh_shape import mesh_yaw_pitch

ROTATIONS_DEG = (-20, -10, 10, 20)

CLASSES = ("frontal", "profile")


def cfp_landmarks(*, ids: int) -> tuple[dict[str, list[np.ndarray]], dict[str, list[str]],
                                         dict[str, np.ndarray]]:
    """Subject landmarks per class for the first ``ids`` CFP identities, the misses, and
    the face mesh's (yaw, pitch) per class (:func:`fiqa.mesh_shape.mesh_yaw_pitch`)."""
    detector, mesh = FaceDetector(), default_face_mesh()
    found: dict[str, list[np.ndarray]] = {cls: [] for cls in CLASSES}
    missed: dict[str, list[str]] = {cls: [] for cls in CLASSES}
    meshed: dict[str, list[tuple[float, float]]] = {cls: [] for cls in CLASSES}
    for person in sorted(p for p in (data_dir() / "cfp").iterdir() if p.is_dir())[:ids]:
        for cls in CLASSES:
            for path in sorted((person / cls).glob("*.jpg")):
                image = load_image(path)
                faces = detector.detect(image)
                if faces:
                    found[cls].append(faces[0].landmarks)
                    meshed[cls].append(mesh_yaw_pitch(mesh(image, faces[0]).points))
                else:
                    missed[cls].append(str(path.relative_to(data_dir())))
    return found, missed, {cls: np.array(meshed[cls]) for cls in CLASSES}


def separation_auc(frontal: np.ndarray, profile: np.ndarray) -> float:
    """P(a profile photo has a larger |yaw| than a frontal one)."""
    return float(mannwhitneyu(profile, frontal).statistic / (len(frontal) * len(profile)))


def balanced_accuracy(frontal: np.ndarray, profile: np.ndarray, threshold: float) -> float:
    return 0.5 * (float(np.mean(frontal <= threshold)) + float(np.mean(profile > threshold)))


def roll_errors(*, count: int) -> tuple[np.ndarray, np.ndarray, float]:
    """|measured - true| roll change of HeadPoseRoll and of the landmarks alone, on frontal
    photos rotated in the image plane, and the ms per :func:`face_head_pose` call."""
    detector = FaceDetector()
    people = sorted(p for p in (data_dir() / "cfp").iterdir() if p.is_dir())[:count]
    measured, landmarks_only, seconds = [], [], 0.0

    def rolls(image, faces):
        nonlocal seconds
        began = time.process_time()
        roll = face_head_pose(FaceContext.build(image, faces)).roll
        seconds += time.process_time() - began
        return roll, landmark_roll(faces[0].landmarks)

    for person in people:
        image = load_image(min((person / "frontal").glob("*.jpg")))
        faces = detector.detect(image)
        if not faces:
            continue
        centre = tuple(float(v) for v in faces[0].landmarks.mean(0))
        base = rolls(image, faces)
        for angle in ROTATIONS_DEG:
            turn = cv2.getRotationMatrix2D(centre, angle, 1.0)
            rotated = cv2.warpAffine(image, turn, image.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
            found = detector.detect(rotated)
            if not found:
                continue
            roll, fitted = rolls(rotated, found)
            measured.append(roll - base[0] - angle)
            landmarks_only.append(fitted - base[1] - angle)
    calls = len(measured) + len(people)
    return np.abs(measured), np.abs(landmarks_only), 1000.0 * seconds / max(calls, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=100, help="CFP identities to use (1-100)")
    parser.add_argument("--threshold", type=float, default=25.0, help="|yaw| cut, degrees")
    parser.add_argument("--calibrate", action="store_true",
                        help="also print the median nose height on frontal photos")
    parser.add_argument("--roll-check", type=int, default=0, metavar="N",
                        help="also rotate N frontal photos and check the roll")
    args = parser.parse_args()
    cv2.setNumThreads(1)

    found, missed, meshed = cfp_landmarks(ids=args.ids)
    began = time.process_time()
    poses = {cls: [head_pose(points) for points in found[cls]] for cls in CLASSES}
    ms = 1000 * (time.process_time() - began) / max(sum(map(len, poses.values())), 1)
    yaw = {cls: np.abs([p.yaw for p in poses[cls]]) for cls in CLASSES}

    print(f"CFP, first {args.ids} identities")
    for cls in CLASSES:
        total = len(found[cls]) + len(missed[cls])
        pitch = np.array([p.pitch for p in poses[cls]])
        roll = np.array([p.roll for p in poses[cls]])
        print(f"{cls:8s} {total:4d} images, {len(missed[cls])} without a face, "
              f"{int(np.isnan(yaw[cls]).sum())} failed fits; median |yaw| "
              f"{np.nanmedian(yaw[cls]):5.1f}, 5-95% {np.nanpercentile(yaw[cls], 5):5.1f}-"
              f"{np.nanpercentile(yaw[cls], 95):5.1f}; median 5-point pitch {np.nanmedian(pitch):5.1f}, "
              f"median |landmark roll| {np.nanmedian(np.abs(roll)):4.1f}")
        for path in missed[cls]:
            print(f"  no face: {path}")
    for cls in CLASSES:
        print(f"{cls:8s} face mesh fit: median |yaw| {np.median(np.abs(meshed[cls][:, 0])):5.1f}, "
              f"median pitch {np.median(meshed[cls][:, 1]):5.1f} (HeadPosePitch)")
    frontal, profile = (np.nan_to_num(yaw[cls], nan=90.0) for cls in CLASSES)
    print(f"AUC of |yaw|, profile vs frontal: {separation_auc(frontal, profile):.4f}")
    print(f"balanced accuracy at |yaw| > {args.threshold:g}: "
          f"{balanced_accuracy(frontal, profile, args.threshold):.4f}")
    cuts = np.unique(np.concatenate([frontal, profile]))
    scores = [balanced_accuracy(frontal, profile, cut) for cut in cuts]
    best = int(np.argmax(scores))
    print(f"best threshold on this data: |yaw| > {cuts[best]:.1f}, "
          f"balanced accuracy {scores[best]:.4f}")
    print(f"landmark pose solve (yaw, pitch): {ms:.3f} ms of CPU per face")
    if args.calibrate:
        fraction = np.median([nose_height_fraction(points) for points in found["frontal"]])
        print(f"NOSE_HEIGHT_FRACTION (median over frontal photos) = {fraction:.3f}")
    if args.roll_check:
        measured, landmarks_only, ms = roll_errors(count=args.roll_check)
        print(f"roll after rotating {args.roll_check} frontal photos by {ROTATIONS_DEG} deg "
              f"({len(measured)} rotated faces found):")
        for name, errors in (("HeadPoseRoll", measured), ("landmarks only", landmarks_only)):
            print(f"  {name:14s} |error| median {np.median(errors):5.2f}, "
                  f"90% {np.percentile(errors, 90):5.2f}, within 3 deg {np.mean(errors < 3):.3f}")
        print(f"  context + full pose with symmetry roll: {ms:.2f} ms of CPU per face")


if __name__ == "__main__":
    main()
