"""How much the ITA skin-tone proxy moves under the lighting perturbations of ``attacks``.

The individual typology angle (:mod:`fiqa.measures.skin_tone`) is read from the image's
pixels, so exposure, tone curves and white balance move it. On real faces (the first image
of every ``--step``-th LFW person, plus the first frontal image of every CFP identity), each
face is detected once in the clean image; each lighting perturbation is applied to the whole
image at severities 1..5 (:mod:`attacks.severities`) and the ITA recomputed on the same
landmarks, so only the pixels change. Prints, per perturbation and severity: the mean and
median ITA shift (degrees), the median absolute shift, the share of faces whose six-way
category changes, the share moving to a darker / lighter category, and the share with no ITA.

    python benchmarks/ita_lighting.py                 # ~330 faces
    python benchmarks/ita_lighting.py --step 5 --cfp-step 1
"""

from __future__ import annotations

import argparse

import numpy as np

from attacks import apply_perturbation
from fiqa.context import FaceContext
from fiqa.data import data_dir
from fiqa.face import FaceDetector
from fiqa.io import load_image
from fiqa.measures.skin_tone import category_order, ita_category, skin_ita

LIGHTING = ("brightness", "darkness", "contrast", "gamma", "colour_cast")


def sample_paths(*, step: int, cfp_step: int) -> list:
    """First image of every ``step``-th LFW person and of every ``cfp_step``-th CFP identity."""
    root = data_dir()
    people = sorted(p for p in (root / "lfw").iterdir() if p.is_dir())
    paths = [min(person.glob("*.jpg")) for person in people[::step]]
    identities = sorted(p for p in (root / "cfp").iterdir() if p.is_dir())
    return paths + [min((identity / "frontal").glob("*.jpg")) for identity in identities[::cfp_step]]


def clean_faces(paths, detector):
    """(image, faces) of every path with a face."""
    found = []
    for path in paths:
        image = load_image(path)
        faces = detector.detect(image)
        if faces:
            found.append((image, faces))
    return found


def ita_of(image, faces) -> float:
    context = FaceContext.build(image, faces)
    return skin_ita(context.aligned, context.aligned_landmarks)


def rank(categories) -> np.ndarray:
    """Darkness rank of each category (0 = very light; NaN for no ITA)."""
    order = {name: index for index, name in enumerate(category_order()[:-1])}
    return np.array([order.get(name, np.nan) for name in categories], np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=20, help="every n-th LFW person (default 20)")
    parser.add_argument("--cfp-step", type=int, default=2, help="every n-th CFP identity (default 2)")
    args = parser.parse_args()
    faces = clean_faces(sample_paths(step=args.step, cfp_step=args.cfp_step), FaceDetector())
    clean = np.array([ita_of(image, found) for image, found in faces])
    clean_rank = rank(ita_category(clean))
    coloured = np.isfinite(clean)
    counts = {name: int(np.sum(ita_category(clean) == name)) for name in category_order()}
    print(f"{len(faces)} faces, {int(coloured.sum())} with an ITA; clean categories: {counts}")
    print(f"{'perturbation':<12} {'sev':>3} {'parameter':>18} {'mean':>7} {'median':>7} "
          f"{'med|d|':>7} {'changed':>8} {'darker':>7} {'lighter':>8} {'no ITA':>7}")
    for name in LIGHTING:
        for severity in range(1, 6):
            shifted, parameter = [], ""
            for image, found in faces:
                perturbed, info = apply_perturbation(image, name, severity=severity, rng=0)
                parameter = next(iter(info.values()))
                shifted.append(ita_of(perturbed, found))
            shifted = np.array(shifted)
            both = coloured & np.isfinite(shifted)
            delta = (shifted - clean)[both]
            moved = rank(ita_category(shifted))[both] - clean_rank[both]
            text = (f"{parameter:g}" if isinstance(parameter, float)
                    else ",".join(f"{v:.2f}" for v in parameter))
            print(f"{name:<12} {severity:>3} {text:>18} {delta.mean():7.1f} {np.median(delta):7.1f} "
                  f"{np.median(np.abs(delta)):7.1f} {np.mean(moved != 0):8.1%} "
                  f"{np.mean(moved > 0):7.1%} {np.mean(moved < 0):8.1%} "
                  f"{np.mean(~np.isfinite(shifted[coloured])):7.1%}")


if __name__ == "__main__":
    main()
