"""Training and test data for the ``CompressionArtifacts`` model, made from clean faces.

Recipe (deterministic for a given ``seed``):

1. **Clean references.** ``faces-hq/`` (lossless FFHQ crops) as they are; LFW and CFP
   frontal photographs downscaled 2x with area averaging, which sheds most of their own
   JPEG history. YuNet finds the five landmarks on the clean reference once.
2. **Face resolutions.** Each reference is resized (area averaging down, bicubic up) so
   its inter-eye distance hits targets drawn log-uniformly (stratified) from 30 px to
   ``max_inter_eye_px``. Enlargement is capped at ``MAX_UPSCALE`` (3x) for LFW / CFP and
   at ``lossless_max_upscale`` for faces-hq (lossless FFHQ, native 55-70 px). The default
   recipe (the shipped model's) stops at 150 px with 3x for all and no grain;
   :data:`LARGE_FACE_RECIPE` reaches 320 px (faces-hq up to 5x, 10 resolutions each) and
   adds Gaussian grain of ``grain_sigma`` grey levels to every enlarged reference:
   interpolation leaves no pixel-scale texture, which real high-resolution captures
   (sensor noise, skin pores) always have and which every codec removes first.
3. **Compression.** A window around the face (the model's crop plus a random 0-63 px
   margin on each side, so the JPEG 8x8 grid falls at every phase relative to the crop) is
   compressed and decoded: JPEG at quality 5-100 (skewed towards high quality, where clean
   vs compressed is hardest), half with 4:2:0 chroma subsampling and half 4:4:4; JPEG 2000
   (OpenJPEG, 9/7 wavelet) at compression ratios 4-300 drawn log-uniformly; plus one
   untouched copy. Compressing a window rather than the whole image keeps JPEG 2000 - the
   slow codec - affordable on 2 cores; JPEG is block-local and the JPEG 2000 ratio is a
   rate per pixel, so the artefacts are those of a whole image at the same setting.
4. **Labels.** The model's crop (:func:`fiqa.measures.compression.compression_crop`:
   native scale, centred on the landmarks) is cut from the clean and the decoded window at
   the same place; SSIM (scikit-image, colour, 7x7 window, data range 255) and PSNR (dB,
   capped at ``PSNR_CAP_DB`` for identical crops) compare them.
5. **Split by identity** (sha256 of source and person, independent of ``seed``): about 70 %
   train, 10 % validation, 20 % test. Training crops are jittered by up to 1/8 of the crop
   around the landmark centre; validation and test crops sit exactly where the scorer cuts.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from fiqa.face import resize
from fiqa.measures.compression import CROP_SIZE
from fiqa.training.compression_samples import compressed_samples

#: Smallest inter-eye distance generated (px).
MIN_INTER_EYE_PX = 30.0
#: Largest enlargement of a JPEG-sourced reference (LFW, CFP) to reach a target resolution.
MAX_UPSCALE = 3.0
#: :class:`DataOptions` fields of the large-face recipe (inter-eye distances up to 320 px).
LARGE_FACE_RECIPE = {
    "max_inter_eye_px": 320.0,
    "lossless_max_upscale": 5.0,
    "grain_sigma": 1.5,
    "hq_resolutions": 10,
}
#: Downscale applied to LFW / CFP (already JPEG) before they serve as clean references.
JPEG_SOURCE_SCALE = 0.5
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Reference:
    """One clean source photograph: ``scale`` is applied before anything else."""

    path: str
    source: str
    identity: str
    scale: float
    resolutions: int
    max_upscale: float = MAX_UPSCALE


def identity_split(source: str, identity: str) -> str:
    """``"train"``, ``"val"`` or ``"test"`` for a person, by hash (about 70/10/20 %).

    Examples
    --------
    >>> identity_split("lfw", "Aaron_Eckhart") in SPLITS
    True
    """
    digest = hashlib.sha256(f"{source}/{identity}".encode()).digest()
    fraction = int.from_bytes(digest[:4], "big") / 2**32
    return "test" if fraction < 0.2 else "val" if fraction < 0.3 else "train"


def reference_images(
    data_dir: str | os.PathLike,
    *,
    lfw_people: int = 800,
    cfp_images_per_person: int = 3,
    hq_resolutions: int = 6,
    other_resolutions: int = 2,
    lossless_max_upscale: float = MAX_UPSCALE,
) -> list[Reference]:
    """The clean references under a data folder (``faces-hq/``, ``lfw/``, ``cfp/``).

    LFW people are taken evenly spaced through the alphabetical list (first image each);
    CFP gives its first ``cfp_images_per_person`` frontal images per person.
    """
    root = Path(data_dir)
    refs = [
        Reference(str(p), "faces-hq", p.stem, 1.0, hq_resolutions, lossless_max_upscale)
        for p in sorted((root / "faces-hq").glob("*.png"))
    ]
    people = (
        sorted(p for p in (root / "lfw").iterdir() if p.is_dir()) if (root / "lfw").is_dir() else []
    )
    if lfw_people and people:
        picks = np.unique(
            np.linspace(0, len(people) - 1, min(lfw_people, len(people))).round().astype(int)
        )
        for index in picks:
            first = sorted(people[index].glob("*.jpg"))[:1]
            refs += [
                Reference(str(p), "lfw", people[index].name, JPEG_SOURCE_SCALE, other_resolutions)
                for p in first
            ]
    for person in sorted((root / "cfp").iterdir()) if (root / "cfp").is_dir() else []:
        for path in sorted((person / "frontal").glob("*.jpg"))[:cfp_images_per_person]:
            refs.append(
                Reference(str(path), "cfp", person.name, JPEG_SOURCE_SCALE, other_resolutions)
            )
    if not refs:
        raise ValueError(
            f"no reference faces under {root}; expected faces-hq/, lfw/ or cfp/ "
            "(set FIQA_DATA_DIR or pass --data-dir)"
        )
    return refs


def target_resolutions(
    native_px: float,
    count: int,
    rng: np.random.Generator,
    *,
    max_upscale: float = MAX_UPSCALE,
    max_inter_eye_px: float = 150.0,
) -> list[float]:
    """``count`` inter-eye targets, log-uniform over what this face can reach (or [])."""
    low = max(MIN_INTER_EYE_PX, native_px / 8.0)
    high = min(max_inter_eye_px, native_px * max_upscale)
    if high < low:
        return []
    # stratified: one draw in each of ``count`` equal log-intervals, so bands are all covered
    edges = np.linspace(np.log(low), np.log(high), count + 1)
    return [float(np.exp(rng.uniform(a, b))) for a, b in itertools.pairwise(edges)]


@functools.cache
def _detector():
    from fiqa.face import FaceDetector

    return FaceDetector()


def reference_samples(
    reference: Reference,
    *,
    seed: int,
    index: int,
    crop_size: int = CROP_SIZE,
    jpeg_count: int = 4,
    jpeg2000_count: int = 3,
    max_inter_eye_px: float = 150.0,
    grain_sigma: float = 0.0,
) -> list[dict]:
    """All samples of one reference (none when no face is found); seeded by ``(seed, index)``."""
    from fiqa.io import load_image

    rng = np.random.default_rng([seed, index])
    image = resize(load_image(reference.path), reference.scale)
    faces = _detector().detect(image)
    if not faces:
        return []
    split = identity_split(reference.source, reference.identity)
    targets = target_resolutions(
        faces[0].inter_eye_distance,
        reference.resolutions,
        rng,
        max_upscale=reference.max_upscale,
        max_inter_eye_px=max_inter_eye_px,
    )
    rows = compressed_samples(
        image,
        faces[0].landmarks,
        rng=rng,
        inter_eye_px=targets,
        jpeg_count=jpeg_count,
        jpeg2000_count=jpeg2000_count,
        crop_size=crop_size,
        jitter_px=crop_size // 8 if split == "train" else 0,
        grain_sigma=grain_sigma,
    )
    for row in rows:
        row.update(source=reference.source, identity=reference.identity, split=split)
    return rows


def _reference_job(job: tuple) -> list[dict]:
    reference, options = job
    return reference_samples(reference, **options)


def generate_compression_data(
    references: list[Reference],
    *,
    seed: int = 0,
    crop_size: int = CROP_SIZE,
    jpeg_count: int = 4,
    jpeg2000_count: int = 3,
    max_inter_eye_px: float = 150.0,
    grain_sigma: float = 0.0,
    workers: int = 1,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """Labelled crops for every reference, as arrays (see :func:`compressed_samples`).

    The result does not depend on ``workers``: each reference draws from its own generator
    seeded by ``(seed, position in references)``.

    Returns
    -------
    dict of ndarray
        ``crops`` (N, size, size, 3) uint8, ``ssim``, ``psnr``, ``level``, ``inter_eye_px``
        (float), ``chroma_subsampling`` (bool), ``codec``, ``source``, ``identity``,
        ``split`` (str).
    """
    from tqdm import tqdm

    jobs = [
        (
            ref,
            {
                "seed": seed,
                "index": i,
                "crop_size": crop_size,
                "jpeg_count": jpeg_count,
                "jpeg2000_count": jpeg2000_count,
                "max_inter_eye_px": max_inter_eye_px,
                "grain_sigma": grain_sigma,
            },
        )
        for i, ref in enumerate(references)
    ]
    if workers > 1:
        with get_context("spawn").Pool(workers) as pool:
            results = list(
                tqdm(
                    pool.imap(_reference_job, jobs, chunksize=4),
                    total=len(jobs),
                    disable=not progress,
                    desc="references",
                )
            )
    else:
        results = [
            _reference_job(job) for job in tqdm(jobs, disable=not progress, desc="references")
        ]
    rows = [row for result in results for row in result]
    if not rows:
        raise ValueError("no face was found in any reference image")
    return rows_to_arrays(rows)


def rows_to_arrays(rows: list[dict]) -> dict[str, np.ndarray]:
    """Column arrays from sample dicts (``crop`` becomes the stacked ``crops``)."""
    data = {"crops": np.stack([row["crop"] for row in rows])}
    for key in rows[0]:
        if key != "crop":
            data[key] = np.array([row[key] for row in rows])
    return data


def subset(data: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    """The samples where ``mask`` is true (every array indexed alike)."""
    return {key: value[mask] for key, value in data.items()}


def save_dataset(data: dict[str, np.ndarray], path: str | os.PathLike) -> Path:
    """Write a dataset as an uncompressed ``.npz`` (loads fast; crops compress poorly anyway).

    The file appears complete or not at all (written under a temporary name, then renamed),
    so a second training run that shares the cache never reads half a dataset.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.{os.getpid()}.partial.npz")
    np.savez(partial, **data)
    os.replace(partial, path)
    return path


def load_dataset(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a dataset written by :func:`save_dataset`."""
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


@dataclass(frozen=True)
class DataOptions:
    """Everything that defines a generated dataset (its cache key)."""

    seed: int = 0
    crop_size: int = CROP_SIZE
    lfw_people: int = 800
    cfp_images_per_person: int = 3
    hq_resolutions: int = 6
    other_resolutions: int = 2
    jpeg_count: int = 4
    jpeg2000_count: int = 3
    max_inter_eye_px: float = 150.0
    lossless_max_upscale: float = MAX_UPSCALE
    grain_sigma: float = 0.0

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


def compression_dataset(
    data_dir: str | os.PathLike,
    *,
    cache_dir: str | os.PathLike,
    options: DataOptions = DataOptions(),
    workers: int = 1,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """The dataset for ``options``, generated once and cached as ``.npz`` in ``cache_dir``.

    Examples
    --------
    >>> DataOptions(seed=1).key() != DataOptions(seed=2).key()
    True
    """
    path = Path(cache_dir) / f"compression-{options.key()}.npz"
    if path.is_file():
        return load_dataset(path)
    references = reference_images(
        data_dir,
        lfw_people=options.lfw_people,
        cfp_images_per_person=options.cfp_images_per_person,
        hq_resolutions=options.hq_resolutions,
        other_resolutions=options.other_resolutions,
        lossless_max_upscale=options.lossless_max_upscale,
    )
    data = generate_compression_data(
        references,
        seed=options.seed,
        crop_size=options.crop_size,
        jpeg_count=options.jpeg_count,
        jpeg2000_count=options.jpeg2000_count,
        max_inter_eye_px=options.max_inter_eye_px,
        grain_sigma=options.grain_sigma,
        workers=workers,
        progress=progress,
    )
    save_dataset(data, path)
    return data
