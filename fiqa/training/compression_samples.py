"""One clean face into labelled samples: rescaled, compressed (JPEG, JPEG 2000) and scored.

Steps 2-4 of the recipe in :mod:`fiqa.training.compression_data`: a reference is resized to
each target resolution (with grain when enlarged), a window around the face is compressed
and decoded, and the model's crop of the clean and the decoded window are compared by SSIM
and PSNR.
"""

from __future__ import annotations

import numpy as np

from fiqa.face import resize
from fiqa.measures.compression import CROP_SIZE, crop_box, crop_origin

JPEG_QUALITY_RANGE = (5, 100)
JPEG2000_RATIO_RANGE = (4.0, 300.0)
PSNR_CAP_DB = 100.0
#: Codec codes stored in the ``codec`` array.
CODECS = ("none", "jpeg", "jpeg2000")
_WINDOW_MARGIN_PX = 64


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
