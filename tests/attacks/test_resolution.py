import numpy as np
import pytest

from attacks.resolution import downscale, factor_for_inter_eye_distance


def test_shape_is_kept_and_the_low_size_recorded(astronaut_face):
    image = astronaut_face[:100, :150]
    out, info = downscale(image, factor=4)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert (info["low_width_px"], info["low_height_px"]) == (38, 25)


def test_factor_one_keeps_the_image(astronaut_face):
    assert np.array_equal(downscale(astronaut_face, factor=1).image, astronaut_face)


def test_detail_lost_grows_with_factor(astronaut_face, ssim):
    values = [ssim(astronaut_face, downscale(astronaut_face, factor=f).image) for f in (1.5, 3, 6, 12)]
    assert np.all(np.diff(values) < 0)


def test_extreme_factor_leaves_one_pixel():
    out, info = downscale(np.arange(48, dtype=np.uint8).reshape(4, 4, 3), factor=100)
    assert info["low_width_px"] == 1 and np.all(out == out[0, 0])


def test_factor_for_inter_eye_distance():
    assert factor_for_inter_eye_distance(48, target_inter_eye_px=12) == 4.0
    assert factor_for_inter_eye_distance(10, target_inter_eye_px=30) == 1.0


def test_bad_parameters_are_refused(astronaut_face):
    with pytest.raises(ValueError, match="factor must be >= 1"):
        downscale(astronaut_face, factor=0.5)
    with pytest.raises(ValueError, match="unknown upscale 'lanczos'"):
        downscale(astronaut_face, factor=2, upscale="lanczos")
