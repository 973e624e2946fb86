"""A small, realistic run folder built from synthetic data (no models, a second or so).

Layout, as the real commands write it:

* ``images/<identity>/<n>.png``: 8 identities x 4 images of 48x48 pixels, blurred more
  the lower their "true" quality; ``uploads/<script>...`` an unreadable file named as markup;
* ``scores.csv`` (+ ``.run.json``): measures ``Sharpness`` (follows the true quality)
  and ``Noise`` (random), raw and ``.scalar``, one failed row;
* ``comparisons.csv`` (+ ``comparisons.csv.run.json`` with the root): all pairs in two
  folds, scores drawn so that low-quality mated pairs tend to fail;
* ``edc.csv`` and ``edc_pauc.csv`` from :func:`fiqa.evaluation.edc_run.edc_table`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageFilter

from fiqa.evaluation.edc_run import edc_table, pauc_path
from fiqa.evaluation.pairs import all_pairs

#: A file name that is markup: it must show up escaped in the report.
MARKUP_NAME = "<script>alert(1)</script>.jpg"

IDENTITIES, PER_IDENTITY, SIZE_PX = 8, 4, 48


def build_run(folder: Path, *, seed: int = 7) -> Path:
    """Write the synthetic run into ``folder`` (created) and return it."""
    rng = np.random.default_rng(seed)
    images = folder / "images"
    rows, truth = [], {}
    for identity in range(IDENTITIES):
        for index in range(PER_IDENTITY):
            relative = f"id{identity}/{index}.png"
            quality = rng.uniform(0.0, 1.0)
            truth[relative] = quality
            _face_like(images / relative, rng, blur_px=4.0 * (1.0 - quality))
            rows.append({"path": str(images / relative), "status": "ok", "error": "",
                         "face_count": 1, "Sharpness": quality, "Sharpness.scalar": 100 * quality,
                         "Noise": rng.normal(), "Noise.scalar": rng.uniform(0, 100)})
    unreadable = folder / "uploads" / MARKUP_NAME  # "/" in the name: a folder and a file
    unreadable.parent.mkdir(parents=True)
    unreadable.write_bytes(b"not an image")
    rows.append({"path": str(unreadable), "status": "error",
                 "error": f"not a recognised image format: {MARKUP_NAME}", "face_count": 0})
    scores = pd.DataFrame(rows)
    scores.to_csv(folder / "scores.csv", index=False)
    (folder / "scores.csv.run.json").write_text(json.dumps(
        {"kind": "score", "fiqa": "0.1.0", "created": "2026-01-01T00:00:00+00:00",
         "models": {"yunet": {"sha256": "ab" * 32}}, "parameters": {"inputs": [str(images)]}}))

    pairs = all_pairs(images)
    pair_truth = np.minimum(pairs["image_a"].map(truth), pairs["image_b"].map(truth))
    mated = pairs["same"].to_numpy()
    score = np.where(mated, 0.2 + 0.6 * pair_truth + rng.normal(0, 0.08, len(pairs)),
                     rng.normal(0.05, 0.08, len(pairs)))
    comparisons = pairs.assign(score=score, status="ok", error="",
                               fold=np.arange(len(pairs)) % 2 + 1)
    comparisons.loc[0, ["score", "status", "error"]] = [np.nan, "error",
                                                        f"image_b: {MARKUP_NAME} unreadable"]
    comparisons.to_csv(folder / "comparisons.csv", index=False)
    (folder / "comparisons.csv.run.json").write_text(json.dumps(
        {"kind": "verify", "parameters": {"root": str(images)},
         "models": {"synthetic": {"sha256": "cd" * 32}}}))

    curves, summary = edc_table(comparisons, scores, measures=["Sharpness", "Noise"],
                                root=images, starting_error=0.1)
    curves.to_csv(folder / "edc.csv", index=False)
    summary.to_csv(pauc_path(folder / "edc.csv"), index=False)
    return folder


def _face_like(path: Path, rng: np.random.Generator, *, blur_px: float) -> None:
    """A skin-toned disc with dark eyes and mouth on a textured background, then blurred."""
    y, x = np.mgrid[:SIZE_PX, :SIZE_PX] / SIZE_PX
    image = rng.integers(60, 200, (SIZE_PX, SIZE_PX, 3)).astype(np.float32)
    face = (x - 0.5) ** 2 / 0.12 + (y - 0.5) ** 2 / 0.18 < 1
    image[face] = (224, 172, 140)
    for cx, cy, r in ((0.38, 0.42, 0.05), (0.62, 0.42, 0.05), (0.5, 0.68, 0.06)):
        image[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = (40, 30, 30)
    picture = Image.fromarray(image.astype(np.uint8))
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.filter(ImageFilter.GaussianBlur(blur_px)).save(path)


@pytest.fixture(scope="session")
def markup_name() -> str:
    """The markup file name planted in :func:`synthetic_run`'s failures."""
    return MARKUP_NAME


@pytest.fixture(scope="session")
def synthetic_run(tmp_path_factory) -> Path:
    """A run folder with scores, comparisons, EDC curves and pAUC (see the module notes)."""
    return build_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="session")
def synthetic_report(synthetic_run, tmp_path_factory) -> Path:
    """The HTML report of :func:`synthetic_run` (tidy tables saved beside it as CSV)."""
    from reports.report import write_report

    out = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(synthetic_run, out, thumbnails=4)
