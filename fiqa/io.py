"""Reading images from disk into the project's one convention: RGB ``uint8`` (H, W, 3).

Every failure becomes an :class:`ImageLoadError` whose message says what is wrong with
the file, so batch runs can record it as a row and carry on.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

#: Largest accepted image, in pixels (a decompression-bomb guard: about 16k x 16k).
MAX_IMAGE_PIXELS = 256_000_000

# fiqa checks its own limit (above) before decoding, with its own message. Pillow's built-in
# guard would warn from 89 MP and refuse from 179 MP, below the documented limit, so it is
# raised to ours (it still refuses anything over twice the limit, as a second line), and its
# warning (only for images fiqa refuses anyway) is silenced where fiqa opens images.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_IMAGE_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

#: File endings treated as images when a folder is scanned.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".jp2", ".j2k", ".jpx", ".bmp", ".tif", ".tiff", ".webp", ".ppm",
     ".pgm", ".gif"}
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
        if path.is_symlink():
            raise ImageLoadError(f"broken symbolic link (to {os.readlink(path)}): {path}")
        raise ImageLoadError(f"file not found: {path}")
    if path.is_dir():
        raise ImageLoadError(f"is a folder, not an image file: {path}")
    if not path.is_file():
        raise ImageLoadError(f"not a regular file (a device, pipe or socket): {path}")
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        with image:
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
    except Image.DecompressionBombError:
        raise ImageLoadError(f"image too large (over {max_pixels} pixels; possible "
                             f"decompression bomb): {name}") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"not a recognised image format: {name}") from None
    except (OSError, SyntaxError, ValueError) as exc:
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


@dataclass
class Inputs:
    """What input discovery found: ``paths`` (each becomes a row) and ``skipped`` files.

    ``skipped`` holds ``(path, reason)`` for every file or folder met while searching a
    folder that does not become a row.
    """

    paths: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def discover_inputs(inputs: list[str | os.PathLike]) -> Inputs:
    """Expand files, folders and ``.txt`` lists into the paths to score.

    The rules, applied the same way everywhere:

    - A path named on the command line or in a list always becomes a row (missing files,
      broken links and non-images become error rows saying why). A named ``.txt`` file
      is a list: one path per line, relative to the list's folder, ``#`` comments.
    - A folder is searched recursively, following symbolic links to files and folders.
      Files with an image ending (:data:`IMAGE_SUFFIXES`, any case) become rows, broken
      links among them too (as error rows); every other file is skipped and listed with
      the reason, as is a folder reached a second time (a link loop or a second link to
      it) and a folder that cannot be read.
    - Order is stable: inputs in the order given, folder contents sorted by path.

    Examples
    --------
    >>> discover_inputs(["missing.jpg"]).paths
    [PosixPath('missing.jpg')]
    """
    found = Inputs()
    searched: set[tuple[int, int]] = set()
    for item in map(Path, inputs):
        if item.is_dir():
            found.paths.extend(sorted(_search_folder(item, searched, found.skipped)))
        elif item.suffix.lower() == ".txt" and item.is_file():
            found.paths.extend(_read_list(item))
        else:
            found.paths.append(item)
    return found


def iter_image_paths(inputs: list[str | os.PathLike]) -> list[Path]:
    """The paths :func:`discover_inputs` finds (files skipped in folders left out).

    Examples
    --------
    >>> iter_image_paths(["missing.jpg"])
    [PosixPath('missing.jpg')]
    """
    return discover_inputs(inputs).paths


def _read_list(listing: Path) -> list[Path]:
    paths = []
    for line in listing.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entry = Path(line)
            paths.append(entry if entry.is_absolute() else listing.parent / entry)
    return paths


def _search_folder(folder: Path, searched: set, skipped: list) -> list[Path]:
    """Image files under ``folder`` (links followed, each real folder searched once)."""
    try:
        status = folder.stat()
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        skipped.append((str(folder), f"folder cannot be read ({exc.strerror})"))
        return []
    if (status.st_dev, status.st_ino) in searched:
        skipped.append((str(folder), "folder already searched (a link loop or a second link to it)"))
        return []
    searched.add((status.st_dev, status.st_ino))
    paths = []
    for entry in entries:
        path = Path(entry.path)
        if path.is_dir():  # follows links
            paths.extend(_search_folder(path, searched, skipped))
        elif path.suffix.lower() in IMAGE_SUFFIXES:
            paths.append(path)  # broken links included: they become error rows
        elif not path.exists():
            skipped.append((str(path), "broken symbolic link without an image ending"))
        else:
            skipped.append((str(path), f"not an image file ending ({path.suffix or 'none'})"))
    return paths
