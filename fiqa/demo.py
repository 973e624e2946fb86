"""A self-contained demonstration: a bundled face, degraded copies of it, scored and gated.

The face is scikit-image's astronaut photograph (Eileen Collins, NASA, public domain),
which ships with a dependency, so the demo needs no data download.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from PIL import Image

from attacks import apply_perturbation
from fiqa.engines import EngineOptions
from fiqa.gate import gate_to_file, load_profile
from fiqa.measures import list_measures

#: (file name, perturbation, severity); severity None = the untouched capture.
DEMO_VARIANTS = (
    ("original.png", None, None),
    ("jpeg_severity5.png", "jpeg", 5),
    ("gaussian_blur_severity4.png", "gaussian_blur", 4),
    ("dark_severity4.png", "darkness", 4),
    ("low_resolution_severity5.png", "downscale", 5),
    ("noise_severity4.png", "gaussian_noise", 4),
)

#: Columns printed by the demo (the full table is in gate.csv).
SHOWN_COLUMNS = ("Sharpness.scalar", "CompressionArtifacts.scalar", "InterEyeDistance",
                 "HeadPoseYaw", "UnderExposurePrevention.scalar")


def write_demo_images(folder: str | os.PathLike, *, seed: int = 0) -> list[Path]:
    """Write the sample face, its degraded variants and one corrupt file into ``folder``."""
    from skimage import data

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    face = data.astronaut()
    paths = []
    for name, perturbation, severity in DEMO_VARIANTS:
        image = face if perturbation is None else apply_perturbation(
            face, perturbation, severity=severity, rng=seed).image
        Image.fromarray(image).save(folder / name)  # PNG: the degradation is all in the pixels
        paths.append(folder / name)
    broken = folder / "truncated.jpg"
    broken.write_bytes((folder / "original.png").read_bytes()[:1000])
    paths.append(broken)
    return paths


def run_demo(out: str | os.PathLike, *, profile: str = "lenient") -> pd.DataFrame:
    """Score and gate the demo images; returns a compact table and writes ``out/gate.csv``.

    Examples
    --------
    >>> import tempfile
    >>> table = run_demo(tempfile.mkdtemp())                       # doctest: +SKIP
    >>> table.set_index("image").loc["original.png", "decision"]   # doctest: +SKIP
    'accept'
    """
    out = Path(out)
    paths = write_demo_images(out / "images")
    table = gate_to_file(paths, out / "gate.csv", profile=load_profile(profile),
                         measures=list_measures(), options=EngineOptions(progress=False))
    compact = table.assign(image=table["path"].map(lambda p: Path(p).name))
    compact = compact[["image", "status", *SHOWN_COLUMNS, "decision", "reasons"]]
    return compact.round(1)
