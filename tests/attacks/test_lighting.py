import numpy as np
import pytest

from attacks.lighting import (
    brightness,
    colour_cast,
    contrast,
    gamma,
    linear_to_srgb,
    occlusion,
    srgb_to_linear,
)


def test_srgb_round_trip_is_exact_on_8_bit_values():
    levels = np.arange(256, dtype=np.uint8)
    assert np.array_equal(np.rint(linear_to_srgb(srgb_to_linear(levels))).astype(np.uint8), levels)


def test_neutral_settings_keep_the_image(astronaut_face):
    for out in (brightness(astronaut_face, stops=0).image, contrast(astronaut_face, factor=1).image,
                gamma(astronaut_face, gamma=1).image,
                colour_cast(astronaut_face, channel_gains=(1, 1, 1)).image):
        assert np.array_equal(out, astronaut_face)


def test_one_stop_doubles_linear_light():
    out = brightness(np.full((2, 2, 3), 100, np.uint8), stops=1).image
    assert srgb_to_linear(out)[0, 0, 0] == pytest.approx(2 * srgb_to_linear(np.uint8(100)), rel=0.02)
    down = brightness(np.full((2, 2, 3), 200, np.uint8), stops=-2).image
    assert srgb_to_linear(down)[0, 0, 0] == pytest.approx(srgb_to_linear(np.uint8(200)) / 4, rel=0.03)


def test_contrast_keeps_the_mean_and_scales_spread(astronaut_face):
    out = contrast(astronaut_face, factor=0.3).image
    assert out.mean() == pytest.approx(astronaut_face.mean(), abs=0.5)
    assert out.astype(float).std() == pytest.approx(0.3 * astronaut_face.astype(float).std(), rel=0.02)


def test_colour_cast_keeps_grey_luminance_and_warms():
    grey = np.full((2, 2, 3), 150, np.uint8)
    out, info = colour_cast(grey, channel_gains=(1.5, 1.0, 0.5))
    weights = np.array([0.2126, 0.7152, 0.0722])
    assert float(srgb_to_linear(out)[0, 0] @ weights) == pytest.approx(
        float(srgb_to_linear(grey)[0, 0] @ weights), rel=0.02)
    assert out[0, 0, 0] > 150 > out[0, 0, 2]
    assert float(np.dot(info["channel_gains"], weights)) == pytest.approx(1.0)


def test_occlusion_paints_the_area_inside_the_box():
    image = np.full((200, 300, 3), 200, np.uint8)
    out, info = occlusion(image, area_fraction=0.2, colour_rgb=(10, 20, 30),
                          box_xywh=(50, 40, 100, 120), rng=4)
    painted = np.all(out == (10, 20, 30), axis=2)
    assert painted.sum() == pytest.approx(0.2 * 100 * 120, rel=0.03)
    ys, xs = np.nonzero(painted)
    assert xs.min() >= 50 and xs.max() < 150 and ys.min() >= 40 and ys.max() < 160
    x, y, w, h = info["patch_xywh"]
    assert (xs.min(), ys.min(), xs.max() + 1 - x, ys.max() + 1 - y) == (x, y, w, h)


def test_occlusion_position_is_drawn_from_rng(astronaut_face):
    a = occlusion(astronaut_face, area_fraction=0.1, rng=8).info["patch_xywh"]
    assert a == occlusion(astronaut_face, area_fraction=0.1, rng=8).info["patch_xywh"]
    assert a != occlusion(astronaut_face, area_fraction=0.1, rng=9).info["patch_xywh"]


@pytest.mark.parametrize("call, message", [
    (lambda img: gamma(img, gamma=0), "gamma must be a finite number > 0"),
    (lambda img: colour_cast(img, channel_gains=(1, 0)), "channel_gains must be three positive"),
    (lambda img: occlusion(img, area_fraction=1.2), r"area_fraction must be in \(0, 1\]"),
    (lambda img: contrast(img, factor=-1), "factor must be a finite number >= 0"),
])
def test_bad_parameters_are_refused(astronaut_face, call, message):
    with pytest.raises(ValueError, match=message):
        call(astronaut_face)
