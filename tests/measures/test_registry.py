import numpy as np
import pytest

from fiqa.measures import (
    canonical_measure,
    create_scorer,
    family_of,
    list_measures,
    list_scorers,
    select_measures,
)
from fiqa.measures.mapping import cos2_scalar, linear_scalar, sigmoid_scalar


def test_every_family_produces_the_measures_the_registry_lists():
    for family in list_scorers():
        if family == "compression":
            continue  # needs the shipped model; covered in test_compression.py
        scorer = create_scorer(family)
        assert scorer.family == family
        assert scorer.measures == select_measures([family])[family]


def test_names_resolve_case_insensitively():
    assert family_of("headposeyaw") == "pose"
    assert canonical_measure("sharpness") == "Sharpness"
    assert create_scorer("Sharpness").family == "sharpness"


def test_unknown_names_suggest_close_matches():
    with pytest.raises(ValueError, match="Did you mean 'HeadPoseYaw'"):
        create_scorer("HeadPoseYav")
    with pytest.raises(ValueError, match="unknown measure or family 'zzz'"):
        family_of("zzz")
    with pytest.raises(ValueError, match="is a family; name one of its measures"):
        canonical_measure("pose")


def test_selection_keeps_registry_order():
    selection = select_measures(["LuminanceMean", "Sharpness", "HeadPoseRoll"])
    assert list(selection) == ["sharpness", "pose", "photometric"]
    assert selection["photometric"] == ("LuminanceMean",)
    assert sum(len(v) for v in select_measures(None).values()) == len(list_measures())


def test_sigmoid_mapping_follows_the_iso_form():
    x = np.array([-1.0, 0.0, 1.0])
    expected = 100 * (0.1 + 0.8 / (1 + np.exp(-(x - 0.5) / 0.25)))
    np.testing.assert_allclose(sigmoid_scalar(x, x0=0.5, w=0.25, a=0.1, s=0.8), expected)
    assert np.isnan(sigmoid_scalar(np.nan, x0=0, w=1))
    assert sigmoid_scalar(1e6, x0=0, w=1e-3) == 100.0


def test_cos2_and_linear_mappings():
    np.testing.assert_allclose(cos2_scalar([-30.0, 30.0]), [75.0, 75.0])
    assert cos2_scalar(180.0) == 0.0
    np.testing.assert_allclose(linear_scalar([5.0, 0.0], low=10.0, high=0.0), [50.0, 100.0])
