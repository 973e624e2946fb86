import io
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fiqa.io import ImageLoadError, decode_image, discover_inputs, iter_image_paths, load_image


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


def test_pillow_limit_is_not_below_the_documented_one():
    import fiqa.io

    assert Image.MAX_IMAGE_PIXELS >= fiqa.io.MAX_IMAGE_PIXELS == 256_000_000


def _png_claiming(width, height):
    """A tiny PNG whose header claims ``width`` x ``height`` (enough for Image.open)."""
    buffer = io.BytesIO()
    Image.new("1", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def test_large_images_under_the_limit_open_without_a_bomb_warning():
    import fiqa.io  # noqa: F401 - sets Pillow's limit

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for size in ((12000, 9000), (15000, 12000)):  # 108 MP warned, 180 MP refused before
            assert Image.open(io.BytesIO(_png_claiming(*size))).size == size


def test_over_the_limit_has_its_own_message():
    with pytest.raises(ImageLoadError, match=r"image too large \(20000x13000 = 260000000 pixels"):
        decode_image(_png_claiming(20000, 13000))
    with pytest.raises(ImageLoadError, match=r"image too large \(over 256000000 pixels"):
        decode_image(_png_claiming(30000, 30000))  # past Pillow's own second line


@pytest.mark.slow
def test_images_between_pillows_limit_and_ours_load(tmp_path):
    buffer = io.BytesIO()
    Image.new("L", (15000, 12000), 80).save(buffer, "PNG")  # 180 MP: Pillow alone refuses it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image = decode_image(buffer.getvalue())
    assert image.shape == (12000, 15000, 3) and image[0, 0].tolist() == [80, 80, 80]


def test_gif_loads_and_is_found_in_folders(tmp_path):
    Image.new("RGB", (6, 4), (200, 10, 10)).save(tmp_path / "anim.GIF")
    assert load_image(tmp_path / "anim.GIF").shape == (4, 6, 3)
    assert [p.name for p in discover_inputs([tmp_path]).paths] == ["anim.GIF"]


def test_symlinks_are_followed_loop_safe_and_every_file_accounted_for(tmp_path):
    real = tmp_path / "real"
    (real / "deep").mkdir(parents=True)
    for name in ("a.jpg", "deep/b.png", "notes.md"):
        (real / name).write_bytes(b"x")
    top = tmp_path / "top"
    top.mkdir()
    (top / "linked").symlink_to(real, target_is_directory=True)  # a symlinked sub-folder
    (top / "c.jpg").symlink_to(real / "a.jpg")  # a symlinked file
    (top / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")  # broken link with image ending
    (top / "gone.bin").symlink_to(tmp_path / "nowhere.bin")
    (real / "deep" / "loop").symlink_to(real, target_is_directory=True)  # a loop
    found = discover_inputs([top])
    assert [p.relative_to(top).as_posix() for p in found.paths] == [
        "c.jpg", "gone.jpg", "linked/a.jpg", "linked/deep/b.png"]
    reasons = {Path(path).relative_to(top).as_posix(): reason for path, reason in found.skipped}
    assert reasons == {
        "gone.bin": "broken symbolic link without an image ending",
        "linked/deep/loop": "folder already searched (a link loop or a second link to it)",
        "linked/notes.md": "not an image file ending (.md)"}
    with pytest.raises(ImageLoadError, match="broken symbolic link"):
        load_image(top / "gone.jpg")
