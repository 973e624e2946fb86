import numpy as np
import pytest

from attacks.blur import defocus_blur, disk_kernel, gaussian_blur, motion_blur, motion_kernel


def _stripes(vertical: bool) -> np.ndarray:
    """Black/white stripes 4 px wide; vertical stripes vary along x."""
    ramp = ((np.arange(64) // 4) % 2 * 255).astype(np.uint8)
    plane = np.tile(ramp, (64, 1)) if vertical else np.tile(ramp[:, None], (1, 64))
    return np.repeat(plane[:, :, None], 3, axis=2)


@pytest.mark.parametrize("length, angle", [(5, 0), (9, 30), (12.5, 95)])
def test_motion_kernel_is_a_normalised_line_through_the_centre(length, angle):
    kernel = motion_kernel(length_px=length, angle_deg=angle)
    assert kernel.sum() == pytest.approx(1.0, abs=1e-5)
    centre = kernel.shape[0] // 2
    assert kernel[centre, centre] > 0
    assert np.allclose(kernel, kernel[::-1, ::-1], atol=1e-6)  # symmetric about the centre
    ys, xs = np.nonzero(kernel > 1e-3)
    extent = np.hypot(xs - centre, ys - centre).max()
    assert length / 2 - 1 <= extent <= length / 2 + 1.5


def test_horizontal_motion_blurs_vertical_stripes_only(ssim):
    vertical, horizontal = _stripes(True), _stripes(False)
    assert ssim(vertical, motion_blur(vertical, length_px=8, angle_deg=0).image) < 0.5
    assert np.array_equal(horizontal, motion_blur(horizontal, length_px=8, angle_deg=0).image)
    assert np.array_equal(vertical, motion_blur(vertical, length_px=8, angle_deg=90).image)


def test_motion_direction_is_drawn_from_rng_and_returned(astronaut_face):
    a = motion_blur(astronaut_face, length_px=6, rng=5)
    b = motion_blur(astronaut_face, length_px=6, angle_deg=a.info["angle_deg"])
    assert 0 <= a.info["angle_deg"] < 180
    assert np.array_equal(a.image, b.image)


def test_disk_kernel_has_the_disk_area():
    for radius in (1.0, 2.5, 6.0):
        kernel = disk_kernel(radius_px=radius)
        assert kernel.sum() == pytest.approx(1.0, abs=1e-5)
        support = kernel / kernel.max()
        assert support.sum() == pytest.approx(np.pi * radius ** 2, rel=0.1)


def test_blur_keeps_flat_images_flat_and_mean_brightness(astronaut_face):
    flat = np.full((32, 40, 3), 93, np.uint8)
    for out in (gaussian_blur(flat, sigma_px=3).image, defocus_blur(flat, radius_px=4).image,
                motion_blur(flat, length_px=9, angle_deg=40).image):
        assert np.array_equal(out, flat)
    blurred = gaussian_blur(astronaut_face, sigma_px=4).image
    assert abs(blurred.mean() - astronaut_face.mean()) < 1.0


def test_larger_sigma_removes_more_detail(astronaut_face):
    detail = [np.abs(np.diff(gaussian_blur(astronaut_face, sigma_px=s).image.astype(float), axis=1)).mean()
              for s in (0.5, 1, 2, 4)]
    assert np.all(np.diff(detail) < 0)


@pytest.mark.parametrize("call, message", [
    (lambda img: gaussian_blur(img, sigma_px=0), "sigma_px must be a finite number > 0, got 0"),
    (lambda img: motion_blur(img, length_px=-2, angle_deg=0), "length_px must be a finite"),
    (lambda img: defocus_blur(img, radius_px=float("nan")), "radius_px must be a finite"),
])
def test_bad_parameters_are_refused(astronaut_face, call, message):
    with pytest.raises(ValueError, match=message):
        call(astronaut_face)
