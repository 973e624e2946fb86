"""Lossy compression: JPEG, JPEG 2000 and WebP by codec parameter or to a target file size.

Images are encoded with Pillow (libjpeg, OpenJPEG, libwebp) in memory and decoded back
with :func:`fiqa.io.decode_image`. File sizes are in kB = 1000 bytes and include the
container (JFIF / JP2 / RIFF headers), as a file on disk would.

JPEG 2000 ``ratio`` is OpenJPEG's rate: raw size (H x W x 3 bytes) over coded size, so
``ratio=100`` on a 250x250 image asks for about 1.9 kB.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np
from PIL import Image

from attacks.base import Perturbed, check_image, require_positive
from fiqa.io import decode_image

#: Relative size error accepted by the target-size fits.
SIZE_TOLERANCE = 0.05


def encode_jpeg(image: np.ndarray, *, quality: int, chroma_subsampling: bool = True) -> bytes:
    """JPEG bytes at ``quality`` (1..100), 4:2:0 chroma subsampling or none (4:4:4)."""
    quality = int(quality)
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be an integer in 1..100, got {quality}")
    buffer = io.BytesIO()
    Image.fromarray(check_image(image)).save(
        buffer, "JPEG", quality=quality, subsampling=2 if chroma_subsampling else 0)
    return buffer.getvalue()


def encode_jpeg2000(image: np.ndarray, *, ratio: float) -> bytes:
    """JPEG 2000 (JP2, irreversible 9/7 wavelet) bytes at compression ``ratio`` >= 1."""
    ratio = require_positive("ratio", ratio)
    if ratio < 1:
        raise ValueError(f"JPEG 2000 compression ratio must be >= 1 (1 = no reduction), got {ratio}")
    buffer = io.BytesIO()
    Image.fromarray(check_image(image)).save(
        buffer, "JPEG2000", quality_mode="rates", quality_layers=[ratio], irreversible=True)
    return buffer.getvalue()


def encode_webp(image: np.ndarray, *, quality: int) -> bytes:
    """Lossy WebP bytes at ``quality`` (0..100)."""
    quality = int(quality)
    if not 0 <= quality <= 100:
        raise ValueError(f"WebP quality must be an integer in 0..100, got {quality}")
    buffer = io.BytesIO()
    Image.fromarray(check_image(image)).save(buffer, "WEBP", quality=quality, method=4)
    return buffer.getvalue()


def _decoded(image: np.ndarray, data: bytes, info: dict) -> Perturbed:
    size = len(data)
    info = {**info, "size_kb": size / 1000.0, "bits_per_pixel": 8.0 * size / (image.shape[0] * image.shape[1])}
    return Perturbed(decode_image(data), info)


def jpeg(image: np.ndarray, *, quality: int, chroma_subsampling: bool = True) -> Perturbed:
    """Compress with JPEG at ``quality`` and decode.

    Parameters
    ----------
    image : ndarray of uint8, (H, W, 3)
    quality : int
        libjpeg quality, 1 (worst) .. 100.
    chroma_subsampling : bool, optional
        True: 4:2:0 (half-resolution colour, the common camera default); False: 4:4:4.

    Returns
    -------
    Perturbed
        ``info`` has ``quality``, ``chroma_subsampling``, ``size_kb`` and ``bits_per_pixel``.

    Examples
    --------
    >>> import numpy as np
    >>> out, info = jpeg(np.full((32, 32, 3), 128, np.uint8), quality=90)
    >>> out.shape, info["quality"]
    ((32, 32, 3), 90)
    """
    data = encode_jpeg(image, quality=quality, chroma_subsampling=chroma_subsampling)
    return _decoded(image, data, {"quality": int(quality), "chroma_subsampling": bool(chroma_subsampling)})


def jpeg2000(image: np.ndarray, *, ratio: float) -> Perturbed:
    """Compress with JPEG 2000 at compression ``ratio`` (raw bytes / coded bytes) and decode.

    Returns
    -------
    Perturbed
        ``info`` has the requested ``ratio``, the ``achieved_ratio`` (headers included),
        ``size_kb`` and ``bits_per_pixel``.

    Examples
    --------
    >>> import numpy as np
    >>> out, info = jpeg2000(np.full((64, 64, 3), 128, np.uint8), ratio=20)
    >>> out.dtype.name, info["ratio"]
    ('uint8', 20.0)
    """
    data = encode_jpeg2000(image, ratio=ratio)
    return _decoded(image, data, {"ratio": float(ratio), "achieved_ratio": image.size / len(data)})


def webp(image: np.ndarray, *, quality: int) -> Perturbed:
    """Compress with lossy WebP at ``quality`` (0..100) and decode.

    Examples
    --------
    >>> import numpy as np
    >>> webp(np.full((32, 32, 3), 90, np.uint8), quality=10).info["quality"]
    10
    """
    return _decoded(image, encode_webp(image, quality=quality), {"quality": int(quality)})


def _report(target_bytes: float, achieved_bytes: int, tolerance: float, reason: str) -> dict:
    error = achieved_bytes / target_bytes - 1.0
    within = abs(error) <= tolerance
    return {"target_kb": target_bytes / 1000.0, "relative_error": error,
            "within_tolerance": within, "reason": "" if within else reason}


def jpeg_to_size(image: np.ndarray, *, target_kb: float, chroma_subsampling: bool = True,
                 tolerance: float = SIZE_TOLERANCE) -> Perturbed:
    """JPEG at the quality whose file size is closest to ``target_kb`` (binary search on quality).

    Returns
    -------
    Perturbed
        ``info`` has ``quality``, ``size_kb``, ``target_kb``, ``relative_error``,
        ``within_tolerance`` and ``reason`` (why the target was missed, else ``""``): the
        target is below what quality 1 gives, above what quality 100 gives, or falls
        between two adjacent quality steps.

    Examples
    --------
    >>> from skimage import data
    >>> out, info = jpeg_to_size(data.astronaut(), target_kb=20)
    >>> info["within_tolerance"], 1 <= info["quality"] <= 100
    (True, True)
    """
    target = require_positive("target_kb", target_kb) * 1000.0
    def encode(quality: float) -> bytes:
        return encode_jpeg(image, quality=int(quality), chroma_subsampling=chroma_subsampling)
    quality, data = _closest(encode, target, low=1, high=100, integer=True)
    if quality == 1 and len(data) > target:
        reason = (f"target {target / 1000:.2f} kB is below the smallest JPEG of this image "
                  f"(quality 1 gives {len(data) / 1000:.2f} kB)")
    elif quality == 100 and len(data) < target:
        reason = (f"target {target / 1000:.2f} kB is above the largest JPEG of this image "
                  f"(quality 100 gives {len(data) / 1000:.2f} kB)")
    else:
        reason = (f"closest quality {quality} gives {len(data) / 1000:.2f} kB: adjacent JPEG "
                  f"quality steps are coarser than {tolerance:.0%} at this size")
    perturbed = _decoded(image, data, {"quality": quality, "chroma_subsampling": bool(chroma_subsampling)})
    perturbed.info.update(_report(target, len(data), tolerance, reason))
    return perturbed


def jpeg2000_to_size(image: np.ndarray, *, target_kb: float,
                     tolerance: float = SIZE_TOLERANCE) -> Perturbed:
    """JPEG 2000 at the ratio whose file size is closest to ``target_kb`` (bisection on log ratio).

    OpenJPEG's rate control lands near the requested size; the bisection corrects for the
    headers. Targets under the size of the headers plus a minimal code stream cannot be met.

    Returns
    -------
    Perturbed
        ``info`` has ``ratio``, ``achieved_ratio``, ``size_kb``, ``target_kb``,
        ``relative_error``, ``within_tolerance`` and ``reason`` (``""`` when within).

    Examples
    --------
    >>> from skimage import data
    >>> out, info = jpeg2000_to_size(data.astronaut(), target_kb=10)
    >>> info["within_tolerance"]
    True
    """
    target = require_positive("target_kb", target_kb) * 1000.0
    raw = float(image.size)
    # Size falls as the ratio rises; search on -log(ratio) so the encoded size increases.
    def encode(neg_log_ratio: float) -> bytes:
        return encode_jpeg2000(image, ratio=math.exp(-neg_log_ratio))
    low, high = -math.log(max(raw / 64.0, 2.0)), 0.0
    neg_log, data = _closest(encode, target, low=low, high=high, integer=False,
                             rel_stop=tolerance / 4, guess=-math.log(max(raw / target, 1.0)))
    ratio = math.exp(-neg_log)
    if len(data) > target and neg_log == low:
        reason = (f"target {target / 1000:.2f} kB is below the smallest JPEG 2000 file of this "
                  f"image ({len(data) / 1000:.2f} kB: headers plus a minimal code stream)")
    elif len(data) < target:
        reason = (f"target {target / 1000:.2f} kB is above what JPEG 2000 needs for this image "
                  f"at ratio 1 ({len(data) / 1000:.2f} kB)")
    else:
        reason = f"OpenJPEG rate control came no closer than {len(data) / 1000:.2f} kB"
    perturbed = _decoded(image, data, {"ratio": ratio, "achieved_ratio": raw / len(data)})
    perturbed.info.update(_report(target, len(data), tolerance, reason))
    return perturbed


def _closest(encode: Callable[[float], bytes], target: float, *, low: float, high: float,
             integer: bool, rel_stop: float = 0.0, guess: float | None = None,
             max_steps: int = 30) -> tuple[float, bytes]:
    """The parameter in [low, high] whose encoding size is closest to ``target`` bytes.

    ``encode`` must give sizes that (mostly) increase with the parameter. The bracket
    [low, high] shrinks around the target (halving for integer parameters, interpolating
    log size for continuous ones) while keeping every encoding; it stops when the bracket
    is one step wide, when a size is within ``rel_stop`` of the target, or after
    ``max_steps`` encodings, and returns the closest encoding seen. A ``guess`` is tried
    first.
    """
    tried: dict[float, bytes] = {}

    def size(param: float) -> int:
        if param not in tried:
            tried[param] = encode(param)
        return len(tried[param])

    def close_enough(param: float) -> bool:
        return abs(size(param) / target - 1.0) <= rel_stop

    lo, hi = low, high
    if guess is not None:
        guess = min(max(guess, low), high)
        if close_enough(guess):
            return (int(guess) if integer else guess), tried[guess]
        lo, hi = (guess, high) if size(guess) < target else (low, guess)
    if size(lo) < target < size(hi):
        for _ in range(max_steps):
            if (integer and hi - lo <= 1) or (not integer and hi - lo < 1e-6):
                break
            if integer:
                mid = (lo + hi) // 2
            else:  # false position on log size, kept off the bracket's ends
                span = math.log(size(hi)) - math.log(size(lo))
                share = (math.log(target) - math.log(size(lo))) / span
                mid = lo + min(max(share, 0.1), 0.9) * (hi - lo)
            if close_enough(mid):
                break
            lo, hi = (mid, hi) if size(mid) < target else (lo, mid)
    best = min(tried, key=lambda param: (abs(len(tried[param]) - target), param))
    return (int(best) if integer else best), tried[best]
