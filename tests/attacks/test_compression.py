import numpy as np
import pytest

from attacks.compression import encode_jpeg, jpeg, jpeg2000, jpeg2000_to_size, jpeg_to_size, webp


def test_jpeg_quality_100_is_near_identity(astronaut_face, ssim):
    out, info = jpeg(astronaut_face, quality=100, chroma_subsampling=False)
    assert ssim(astronaut_face, out) > 0.99
    assert np.abs(out.astype(int) - astronaut_face).mean() < 1.0
    assert info["size_kb"] > jpeg(astronaut_face, quality=50).info["size_kb"]


def test_chroma_subsampling_costs_colour_detail_and_saves_bytes(astronaut_face, ssim):
    sub = jpeg(astronaut_face, quality=90, chroma_subsampling=True)
    full = jpeg(astronaut_face, quality=90, chroma_subsampling=False)
    assert sub.info["size_kb"] < full.info["size_kb"]
    assert ssim(astronaut_face, sub.image) < ssim(astronaut_face, full.image)


def test_jpeg_bits_per_pixel_matches_encoded_size(astronaut_face):
    info = jpeg(astronaut_face, quality=40).info
    size = len(encode_jpeg(astronaut_face, quality=40))
    assert info["size_kb"] == size / 1000
    assert info["bits_per_pixel"] == pytest.approx(8 * size / 256 ** 2)


def test_jpeg2000_achieves_about_the_requested_ratio(astronaut_face):
    for ratio in (20, 80):
        info = jpeg2000(astronaut_face, ratio=ratio).info
        assert info["achieved_ratio"] == pytest.approx(ratio, rel=0.05)


def test_webp_keeps_shape(astronaut_face):
    out, info = webp(astronaut_face, quality=20)
    assert out.shape == astronaut_face.shape and 0 < info["size_kb"] < 10


@pytest.mark.parametrize("target_kb", [3.0, 5.0, 8.0])
def test_jpeg_to_size_lands_within_5_percent(lfw_faces, target_kb):
    for face in lfw_faces:
        info = jpeg_to_size(face, target_kb=target_kb).info
        assert info["within_tolerance"] and info["reason"] == ""
        assert info["size_kb"] == pytest.approx(target_kb, rel=0.05)


@pytest.mark.parametrize("target_kb", [0.5, 1.0, 4.0])
def test_jpeg2000_to_size_lands_within_5_percent(lfw_faces, target_kb):
    for face in lfw_faces:
        info = jpeg2000_to_size(face, target_kb=target_kb).info
        assert info["within_tolerance"], info
        assert info["size_kb"] == pytest.approx(target_kb, rel=0.05)


def test_size_fits_report_unreachable_targets(astronaut_face):
    small = jpeg_to_size(astronaut_face, target_kb=0.5).info
    assert not small["within_tolerance"]
    assert small["quality"] == 1
    assert "below the smallest JPEG of this image (quality 1 gives" in small["reason"]
    big = jpeg_to_size(astronaut_face, target_kb=5000).info
    assert big["quality"] == 100 and "above the largest JPEG" in big["reason"]
    tiny = jpeg2000_to_size(astronaut_face, target_kb=0.05).info
    assert not tiny["within_tolerance"]
    assert "below the smallest JPEG 2000 file" in tiny["reason"]


def test_size_fit_returns_the_closest_of_two_quality_steps(lfw_faces):
    # Between two adjacent qualities the fit picks the nearer size; a tolerance of 0 makes
    # that a miss, reported as a step-size problem.
    info = jpeg_to_size(lfw_faces[0], target_kb=5.0, tolerance=0.0).info
    below = len(encode_jpeg(lfw_faces[0], quality=info["quality"] - 1))
    above = len(encode_jpeg(lfw_faces[0], quality=info["quality"] + 1))
    assert abs(info["size_kb"] * 1000 - 5000) <= min(abs(below - 5000), abs(above - 5000))
    assert info["size_kb"] != 5.0 and not info["within_tolerance"]
    assert "adjacent JPEG quality steps are coarser than 0%" in info["reason"]


@pytest.mark.parametrize("call, message", [
    (lambda img: jpeg(img, quality=0), r"JPEG quality must be an integer in 1\.\.100, got 0"),
    (lambda img: webp(img, quality=101), r"WebP quality must be an integer in 0\.\.100"),
    (lambda img: jpeg2000(img, ratio=0.5), r"compression ratio must be >= 1"),
    (lambda img: jpeg_to_size(img, target_kb=-1), r"target_kb must be a finite number > 0"),
])
def test_bad_parameters_are_refused(astronaut_face, call, message):
    with pytest.raises(ValueError, match=message):
        call(astronaut_face)
