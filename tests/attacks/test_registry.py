import numpy as np
import pytest

from attacks import Perturbed, apply_perturbation, create_perturbation, list_perturbations
from attacks.severities import TABLES


def test_list_has_the_issue_generators():
    names = set(list_perturbations())
    assert {"jpeg", "jpeg_444", "jpeg_size", "jpeg2000", "jpeg2000_size", "webp", "gaussian_blur",
            "motion_blur", "defocus_blur", "gaussian_noise", "shot_noise", "salt_and_pepper",
            "downscale", "brightness", "contrast", "gamma", "colour_cast", "occlusion"} <= names


def test_unknown_name_suggests_close_ones():
    with pytest.raises(ValueError, match=r"unknown perturbation 'gausian_blur'.*Did you mean 'gaussian_blur'"):
        create_perturbation("gausian_blur")
    with pytest.raises(ValueError, match=r"Available: jpeg, jpeg_444"):
        create_perturbation("nothing-like-it")


def test_names_are_case_and_dash_insensitive():
    assert create_perturbation("Motion-Blur").name == "motion_blur"


@pytest.mark.parametrize("name", list_perturbations())
def test_keeps_dtype_shape_and_records_parameters(name, astronaut_face):
    image = astronaut_face[:96, :80]
    before = image.copy()
    out, info = apply_perturbation(image, name, severity=3, rng=0)
    assert out.dtype == np.uint8 and out.shape == image.shape
    assert np.array_equal(image, before)  # the input is not modified
    table = TABLES[name]
    assert table.parameter in info


@pytest.mark.parametrize("name", [n for n, t in TABLES.items() if t.random])
def test_random_perturbations_reproduce_by_seed(name, astronaut_face):
    a = apply_perturbation(astronaut_face, name, severity=2, rng=11)
    b = apply_perturbation(astronaut_face, name, severity=2, rng=np.random.default_rng(11))
    c = apply_perturbation(astronaut_face, name, severity=2, rng=12)
    assert np.array_equal(a.image, b.image) and a.info == b.info
    assert not np.array_equal(a.image, c.image)


def test_refuses_non_rgb_uint8():
    with pytest.raises(ValueError, match=r"expected an RGB uint8 image of shape \(H, W, 3\)"):
        apply_perturbation(np.zeros((8, 8), np.uint8), "jpeg", severity=1)
    with pytest.raises(ValueError, match=r"got float64 \(8, 8, 3\)"):
        apply_perturbation(np.zeros((8, 8, 3)), "gaussian_blur", severity=1)
    with pytest.raises(ValueError, match="got list"):
        apply_perturbation([[0]], "gaussian_blur", severity=1)


def test_result_unpacks_as_image_and_info(astronaut_face):
    result = create_perturbation("contrast")(astronaut_face, severity=1)
    assert isinstance(result, Perturbed)
    image, info = result
    assert image is result.image and info == {"factor": 0.6, "mean_level": info["mean_level"]}
