"""Reading images from disk into the project's one convention: RGB ``uint8`` (H, W, 3).

Every failure becomes an :class:`ImageLoadError` whose message says what is wrong with
the file, so batch runs can record it as a row and carry on.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

#: Largest accepted image, in pixels (a decompression-bomb guard: about 16k x 16k).
MAX_IMAGE_PIXELS = 256_000_000

#: File endings treated as images when a folder is scanned.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".jp2", ".j2k", ".jpx", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
)


class ImageLoadError(ValueError):
    """A file could not be turned into an RGB image; the message says why."""


def load_image(path: str | os.PathLike, *, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Read an image file as RGB ``uint8`` (H, W, 3).

    EXIF orientation is applied; grey, grey+alpha, RGBA (composited on white), palette,
    CMYK and 16-bit images are converted explicitly.

    Parameters
    ----------
    path : str or path-like
        JPEG, PNG, JPEG 2000, BMP, TIFF, WebP (anything Pillow decodes).
    max_pixels : int, optional
        Images with more pixels are refused as possible decompression bombs.

    Returns
    -------
    image : ndarray of uint8, shape (H, W, 3)

    Raises
    ------
    ImageLoadError
        Missing, empty, truncated, corrupt or oversized files, or files that are not images.

    Examples
    --------
    >>> import tempfile, os
    >>> from PIL import Image
    >>> path = os.path.join(tempfile.mkdtemp(), "grey.png")
    >>> Image.new("L", (4, 3), 128).save(path)
    >>> load_image(path).shape
    (3, 4, 3)
    """
    path = Path(path)
    if not path.exists():
        raise ImageLoadError(f"file not found: {path}")
    if path.is_dir():
        raise ImageLoadError(f"is a folder, not an image file: {path}")
    data = path.read_bytes()
    if not data:
        raise ImageLoadError(f"empty file (0 bytes): {path}")
    return decode_image(data, max_pixels=max_pixels, name=str(path))


def decode_image(data: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS, name: str = "<bytes>") -> np.ndarray:
    """Decode encoded image bytes to RGB ``uint8`` (H, W, 3); see :func:`load_image`.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGB", (5, 2), (1, 2, 3)).save(buf, "PNG")
    >>> decode_image(buf.getvalue())[0, 0].tolist()
    [1, 2, 3]
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise ImageLoadError(
                    f"image too large ({width}x{height} = {width * height} pixels, limit "
                    f"{max_pixels}; possible decompression bomb): {name}"
                )
            image.load()
            image = ImageOps.exif_transpose(image)
            return to_rgb_uint8(image)
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError(f"not a recognised image format: {name}") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageLoadError(f"corrupt or truncated image ({exc}): {name}") from None


def to_rgb_uint8(image: Image.Image) -> np.ndarray:
    """Convert a Pillow image of any mode to an RGB ``uint8`` array.

    16-bit and 32-bit integer images are scaled by their type's range (not clipped);
    alpha is composited over white; palette and CMYK images go through Pillow's RGB.
    """
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        grey = np.asarray(image, dtype=np.uint16)
        return _grey_to_rgb((grey.astype(np.float32) / 257.0 + 0.5).astype(np.uint8))
    if mode == "I":
        grey = np.asarray(image, dtype=np.int64)
        scale = 65535.0 if grey.max(initial=0) > 255 else 255.0
        return _grey_to_rgb(np.clip(grey / scale * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if mode == "F":
        grey = np.asarray(image, dtype=np.float32)
        top = 1.0 if grey.max(initial=0) <= 1.0 else 255.0
        return _grey_to_rgb(np.clip(grey / top * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    if mode == "RGB":
        return np.asarray(image)
    return np.asarray(image.convert("RGB"))  # palette, CMYK, YCbCr, 1-bit, ...


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    return np.repeat(grey[:, :, None], 3, axis=2)


def check_rgb(image) -> np.ndarray:
    """``image`` itself if it is an RGB ``uint8`` array of shape (H, W, 3), else ValueError.

    The one image convention at fiqa's edges; files become such arrays through
    :func:`load_image`.

    Examples
    --------
    >>> check_rgb(np.zeros((2, 2, 3), np.uint8)).shape
    (2, 2, 3)
    >>> check_rgb(np.zeros((2, 2), np.float32))
    Traceback (most recent call last):
    ...
    ValueError: expected an RGB uint8 image of shape (H, W, 3); got float32 (2, 2) - use fiqa.io.load_image to read files
    """
    if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3
            and image.shape[2] == 3):
        raise ValueError(
            "expected an RGB uint8 image of shape (H, W, 3); got "
            f"{getattr(image, 'dtype', type(image).__name__)} {getattr(image, 'shape', '')} - "
            "use fiqa.io.load_image to read files"
        )
    return image


def iter_image_paths(inputs: list[str | os.PathLike]) -> list[Path]:
    """Expand files, folders (recursive, image endings only) and ``.txt`` lists to paths.

    Order is stable: inputs in the order given, folder contents sorted. Paths that do not
    exist are kept, so the run can report them as error rows.

    Examples
    --------
    >>> iter_image_paths(["missing.jpg"])
    [PosixPath('missing.jpg')]
    """
    paths: list[Path] = []
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            paths.extend(
                p for p in sorted(item.rglob("*")) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
            )
        elif item.suffix.lower() == ".txt" and item.is_file():
            base = item.parent
            for line in item.read_text().splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    entry = Path(line)
                    paths.append(entry if entry.is_absolute() else base / entry)
        else:
            paths.append(item)
    return paths
