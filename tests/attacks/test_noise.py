import numpy as np
import pytest

from attacks.noise import gaussian_noise, salt_and_pepper, shot_noise

GREY = np.full((128, 128, 3), 128, np.uint8)


def test_gaussian_noise_has_the_requested_sigma_and_zero_mean():
    out = gaussian_noise(GREY, sigma_levels=12, rng=0).image.astype(float) - 128
    assert out.std() == pytest.approx(12, rel=0.03)
    assert abs(out.mean()) < 0.3


def test_shot_noise_variance_follows_the_photon_count():
    # Poisson: variance in photons = mean photons, so relative noise ~ 1/sqrt(photons).
    for peak in (10, 100):
        out = shot_noise(GREY, peak_photons=peak, rng=1).image.astype(float)
        photons = 128 / 255 * peak
        assert out.mean() == pytest.approx(128, abs=1.5)
        assert out.std() == pytest.approx(128 / np.sqrt(photons), rel=0.08)


def test_salt_and_pepper_hits_the_fraction_with_nested_pixels():
    small = salt_and_pepper(GREY, fraction=0.05, rng=2)
    large = salt_and_pepper(GREY, fraction=0.2, rng=2)
    hit_small = np.any(small.image != 128, axis=2)
    hit_large = np.any(large.image != 128, axis=2)
    assert hit_small.mean() == pytest.approx(0.05, abs=0.01)
    assert large.info["pixels_hit"] == hit_large.sum()
    assert np.all(hit_large[hit_small])  # same seed: the larger fraction includes the smaller
    values = set(np.unique(large.image[hit_large]))
    assert values == {0, 255}


@pytest.mark.parametrize("function, kwargs", [
    (gaussian_noise, {"sigma_levels": 10}), (shot_noise, {"peak_photons": 20}),
    (salt_and_pepper, {"fraction": 0.1}),
])
def test_same_seed_same_noise(function, kwargs, astronaut_face):
    a = function(astronaut_face, rng=42, **kwargs).image
    b = function(astronaut_face, rng=42, **kwargs).image
    c = function(astronaut_face, rng=43, **kwargs).image
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match=r"fraction must be in 0\.\.1"):
        salt_and_pepper(GREY, fraction=1.5)
    with pytest.raises(ValueError, match="peak_photons must be a finite number > 0"):
        shot_noise(GREY, peak_photons=0)
    with pytest.raises(ValueError, match="rng must be an int seed"):
        gaussian_noise(GREY, sigma_levels=1, rng="seed")
