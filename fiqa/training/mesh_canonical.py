"""Build the face mesh's reference shape for head pose (:mod:`fiqa.mesh_shape`).

The mesh of the largest face in every frontal photo of CFP identities 001-050 of the
development data (500 photos; the identities ``fiqa train unified`` trains on), combined
by :func:`fiqa.mesh_shape.mean_frontal_shape`, written as JSON with five decimals and its
sha256 recorded in the face mesh card::

    python -m fiqa.training.mesh_canonical --out models/face_mesh
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

#: CFP identities whose frontal photos define the reference shape.
IDENTITIES = range(1, 51)
FILE = "canonical_shape.json"


def frontal_meshes(root: Path, *, identities=IDENTITIES) -> np.ndarray:
    """Mesh points (N, 468, 3) of the subject (the largest face) in each frontal photo of
    ``identities`` under ``root`` (a CFP folder); photos without a face are skipped."""
    from fiqa.mesh import default_face_mesh
    from fiqa.pipeline import Item, PipelineSpec

    paths = [path for identity in identities
             for path in sorted((root / f"{identity:03d}" / "frontal").glob("*.jpg"))]
    records = PipelineSpec(measures=()).build().run(
        [Item(str(path), path=str(path), keep_image=True) for path in paths])
    mesh = default_face_mesh()
    shapes = [mesh(record.image, record.subject).points for record in records
              if record.subject is not None]
    if not shapes:
        raise ValueError(f"no faces found in the frontal photos under {root}")
    return np.array(shapes)


def main(argv=None) -> None:
    from fiqa.data import data_dir
    from fiqa.mesh_shape import mean_frontal_shape
    from fiqa.models import file_sha256

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="models/face_mesh", help="the face mesh model folder")
    args = parser.parse_args(argv)
    out = Path(args.out)
    card_path = out / "card.json"
    if not card_path.is_file():
        parser.error(f"{card_path} not found: --out must be the face mesh model folder")
    shape = mean_frontal_shape(shapes := frontal_meshes(data_dir() / "cfp"))
    path = out / FILE
    path.write_text(json.dumps({"photos": len(shapes),
                                "points": np.round(shape, 5).tolist()}) + "\n")
    card = json.loads(card_path.read_text())
    card["canonical_shape"] = {
        "file": FILE, "sha256": file_sha256(path),
        "built_by": "python -m fiqa.training.mesh_canonical --out models/face_mesh",
        "data": f"mesh of the largest face in the {len(shapes)} frontal photos of CFP "
                "identities 001-050 (development data)",
        "meaning": "Procrustes mean shape, mirror-symmetrised, in the mean frame of those "
                   "photos: the pose of the average frontal photo is yaw = pitch = 0",
    }
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {path} from {len(shapes)} photos (sha256 {card['canonical_shape']['sha256']})")


if __name__ == "__main__":
    main()
