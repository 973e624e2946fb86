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
from fiqa.measures.compression import CROP_SIZE, crop_box, crop_origin

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
JPEG_QUALITY_RANGE = (5, 100)
JPEG2000_RATIO_RANGE = (4.0, 300.0)
PSNR_CAP_DB = 100.0
#: Codec codes stored in the ``codec`` array.
CODECS = ("none", "jpeg", "jpeg2000")
SPLITS = ("train", "val", "test")
_WINDOW_MARGIN_PX = 64


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


def rescale_reference(
    image: np.ndarray, scale: float, rng: np.random.Generator, *, grain_sigma: float = 0.0
) -> np.ndarray:
    """:func:`resize` by ``scale``; an enlargement also gets Gaussian grain (``grain_sigma``
    grey levels; 0 draws nothing from ``rng``).

    Examples
    --------
    >>> flat = np.full((8, 8, 3), 100, np.uint8)
    >>> big = rescale_reference(flat, 2.0, np.random.default_rng(0), grain_sigma=1.5)
    >>> big.shape, bool(big.std() > 0), float(rescale_reference(flat, 0.5, None).std())
    ((16, 16, 3), True, 0.0)
    """
    scaled = resize(image, scale)
    if scale <= 1.0 or grain_sigma <= 0:
        return scaled
    grain = rng.normal(0.0, grain_sigma, scaled.shape)
    return np.clip(scaled + grain, 0, 255).round().astype(np.uint8)


def compress(
    image: np.ndarray, *, codec: str, level: float, chroma_subsampling: bool = True
) -> np.ndarray:
    """Encode and decode ``image``: JPEG at quality ``level`` or JPEG 2000 at ratio ``level``.

    Examples
    --------
    >>> flat = np.full((32, 32, 3), 100, np.uint8)
    >>> compress(flat, codec="jpeg", level=50).shape
    (32, 32, 3)
    """
    from attacks.compression import jpeg, jpeg2000

    if codec == "jpeg":
        return jpeg(image, quality=int(level), chroma_subsampling=chroma_subsampling).image
    if codec == "jpeg2000":
        return jpeg2000(image, ratio=float(level)).image
    if codec == "none":
        return image
    raise ValueError(f"unknown codec {codec!r}; choose from {CODECS}")


def similarity_labels(clean: np.ndarray, degraded: np.ndarray) -> tuple[float, float]:
    """``(ssim, psnr_db)`` of ``degraded`` against ``clean`` (RGB uint8, same shape).

    Examples
    --------
    >>> a = np.full((16, 16, 3), 90, np.uint8)
    >>> similarity_labels(a, a)
    (1.0, 100.0)
    """
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    ssim = structural_similarity(clean, degraded, channel_axis=2, data_range=255)
    if np.array_equal(clean, degraded):
        return 1.0, PSNR_CAP_DB
    psnr = peak_signal_noise_ratio(clean, degraded, data_range=255)
    return float(ssim), float(min(psnr, PSNR_CAP_DB))


def draw_settings(rng: np.random.Generator, *, jpeg_count: int, jpeg2000_count: int) -> list[tuple]:
    """``(codec, level, chroma_subsampling)`` for one untouched copy and the compressed ones."""
    low, high = JPEG_QUALITY_RANGE
    settings = [("none", 0.0, False)]
    for i in range(jpeg_count):
        quality = round(high - (high - low) * rng.random() ** 1.5)
        settings.append(("jpeg", float(quality), i % 2 == 0))
    log_low, log_high = np.log(JPEG2000_RATIO_RANGE)
    for _ in range(jpeg2000_count):
        settings.append(("jpeg2000", float(np.exp(rng.uniform(log_low, log_high)).round(2)), False))
    return settings


def compressed_samples(
    image: np.ndarray,
    landmarks: np.ndarray,
    *,
    rng: np.random.Generator,
    inter_eye_px: list[float],
    jpeg_count: int = 4,
    jpeg2000_count: int = 3,
    crop_size: int = CROP_SIZE,
    jitter_px: int = 0,
    grain_sigma: float = 0.0,
) -> list[dict]:
    """Labelled crops of one clean face at each face resolution in ``inter_eye_px``.

    Parameters
    ----------
    image : ndarray of uint8, (H, W, 3)
        A clean reference photograph.
    landmarks : ndarray, (5, 2)
        Its five landmarks (fiqa order).
    rng : numpy.random.Generator
        Source of every random draw (settings, window margins, jitter).
    inter_eye_px : list of float
        Target inter-eye distances; the image is resized to each before compression.
    jpeg_count, jpeg2000_count : int, optional
        Compressed copies per resolution (plus one untouched copy).
    crop_size : int, optional
        Side of the model's crop.
    jitter_px : int, optional
        Largest shift of the crop from the landmark centre (0 = where the scorer cuts).
    grain_sigma : float, optional
        Grain added to an enlarged image (:func:`rescale_reference`).

    Returns
    -------
    list of dict
        Keys ``crop``, ``ssim``, ``psnr``, ``codec``, ``level``, ``chroma_subsampling``,
        ``inter_eye_px``.

    Examples
    --------
    >>> from fiqa.face import ARCFACE_TEMPLATE
    >>> img = np.random.default_rng(0).integers(0, 255, (160, 160, 3), dtype=np.uint8)
    >>> rows = compressed_samples(img, ARCFACE_TEMPLATE + 24, rng=np.random.default_rng(0),
    ...                           inter_eye_px=[40.0], jpeg_count=1, jpeg2000_count=0, crop_size=32)
    >>> [row["codec"] for row in rows], rows[0]["ssim"]
    (['none', 'jpeg'], 1.0)
    """
    landmarks = np.asarray(landmarks, np.float64)
    native = float(np.linalg.norm(landmarks[1] - landmarks[0]))
    rows = []
    for target in inter_eye_px:
        scale = target / native
        scaled = rescale_reference(image, scale, rng, grain_sigma=grain_sigma)
        left, top = crop_origin(landmarks * scale, size=crop_size)
        if jitter_px:
            shift = rng.integers(-jitter_px, jitter_px + 1, size=2)
            left, top = left + int(shift[0]), top + int(shift[1])
        margin = rng.integers(0, _WINDOW_MARGIN_PX, size=4)
        window = crop_box(
            scaled,
            left=int(left - margin[0]),
            top=int(top - margin[1]),
            size=crop_size + int(max(margin[0] + margin[2], margin[1] + margin[3])),
        )
        clean = window[margin[1] : margin[1] + crop_size, margin[0] : margin[0] + crop_size]
        for codec, level, subsampling in draw_settings(
            rng, jpeg_count=jpeg_count, jpeg2000_count=jpeg2000_count
        ):
            decoded = compress(window, codec=codec, level=level, chroma_subsampling=subsampling)
            crop = np.ascontiguousarray(
                decoded[margin[1] : margin[1] + crop_size, margin[0] : margin[0] + crop_size]
            )
            ssim, psnr = similarity_labels(clean, crop)
            rows.append(
                {
                    "crop": crop,
                    "ssim": ssim,
                    "psnr": psnr,
                    "codec": codec,
                    "level": level,
                    "chroma_subsampling": subsampling,
                    "inter_eye_px": native * scale,
                }
            )
    return rows


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
    """Write a dataset as an uncompressed ``.npz`` (loads fast; crops compress poorly anyway)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **data)
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
