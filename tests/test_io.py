import io

import numpy as np
import pytest
from PIL import Image

from fiqa.io import ImageLoadError, decode_image, iter_image_paths, load_image


def _save(path, image, **kwargs):
    image.save(path, **kwargs)
    return path


@pytest.fixture
def colour():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)


@pytest.mark.parametrize("suffix,kwargs", [
    (".png", {}), (".bmp", {}), (".tif", {}), (".webp", {"lossless": True}),
    (".jp2", {"irreversible": False}),
])
def test_lossless_formats_round_trip(tmp_path, colour, suffix, kwargs):
    path = _save(tmp_path / f"image{suffix}", Image.fromarray(colour), **kwargs)
    np.testing.assert_array_equal(load_image(path), colour)


def test_jpeg_loads_close_to_original(tmp_path, colour):
    smooth = np.full((32, 32, 3), 120, np.uint8)
    path = _save(tmp_path / "image.jpg", Image.fromarray(smooth), quality=95)
    assert np.abs(load_image(path).astype(int) - 120).max() <= 2


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif)
    assert load_image(path).shape == (40, 20, 3)


def test_grey_rgba_palette_and_16_bit_are_converted(tmp_path):
    grey = _save(tmp_path / "grey.png", Image.new("L", (5, 4), 77))
    assert load_image(grey)[0, 0].tolist() == [77, 77, 77]
    transparent = _save(tmp_path / "rgba.png", Image.new("RGBA", (5, 4), (0, 0, 0, 0)))
    assert load_image(transparent)[0, 0].tolist() == [255, 255, 255]  # composited on white
    palette = _save(tmp_path / "palette.png", Image.new("RGB", (5, 4), (10, 200, 30)).convert(
        "P", palette=Image.Palette.ADAPTIVE))
    assert load_image(palette)[0, 0].tolist() == [10, 200, 30]
    sixteen = Image.fromarray(np.full((4, 5), 65535, np.uint16))
    assert load_image(_save(tmp_path / "16bit.png", sixteen))[0, 0].tolist() == [255, 255, 255]
    mid = Image.fromarray(np.full((4, 5), 257 * 100, np.uint16))
    assert load_image(_save(tmp_path / "mid16.png", mid))[0, 0].tolist() == [100, 100, 100]


@pytest.mark.parametrize("content,message", [
    (b"", "empty file"),
    (b"this is not an image at all", "not a recognised image format"),
])
def test_bad_files_raise_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(ImageLoadError, match=message):
        load_image(path)


def test_truncated_jpeg_is_an_error(tmp_path, colour):
    buffer = io.BytesIO()
    Image.fromarray(colour).save(buffer, "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[:200])
    with pytest.raises(ImageLoadError, match="corrupt or truncated"):
        load_image(path)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(ImageLoadError, match="file not found"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageLoadError, match="is a folder"):
        load_image(tmp_path)


def test_decompression_bomb_limit():
    buffer = io.BytesIO()
    Image.new("L", (100, 100)).save(buffer, "PNG")
    with pytest.raises(ImageLoadError, match="too large"):
        decode_image(buffer.getvalue(), max_pixels=5000)


def test_iter_image_paths_folders_lists_and_missing(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("b.png", "a.jpg", "sub/c.webp", "notes.md"):
        (tmp_path / name).write_bytes(b"x")
    listing = tmp_path / "list.txt"
    listing.write_text("# comment\nsub/c.webp\n\nmissing.png\n")
    found = iter_image_paths([tmp_path / "sub", listing, tmp_path / "a.jpg"])
    assert [p.name for p in found] == ["c.webp", "c.webp", "missing.png", "a.jpg"]
    folder = iter_image_paths([tmp_path])
    assert [p.name for p in folder] == ["a.jpg", "b.png", "c.webp"]
