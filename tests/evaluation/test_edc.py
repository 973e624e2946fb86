from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fiqa.evaluation.edc import (
    edc_curve,
    edc_threshold,
    erc_curve,
    pair_quality,
    partial_auc,
    perfect_quality,
    random_quality,
    summarise_curve,
    theoretical_best_area,
)
from fiqa.evaluation.edc_run import edc_table, edc_to_file, image_qualities, quality_column

# Hand-computed case with ties. Threshold 0.5, accept when score >= 0.5.
MATED_Q = [1, 1, 2, 2, 2, 3, 4, 4]
MATED_S = [0.1, 0.6, 0.2, 0.7, 0.8, 0.3, 0.9, 0.9]  # errors at q = 1, 2, 3
NON_MATED_Q = [1, 3, 4]
NON_MATED_S = [0.6, 0.4, 0.55]  # false matches at q = 1, 4


def _hand_case():
    scores = np.array(MATED_S + NON_MATED_S)
    same = np.array([True] * 8 + [False] * 3)
    quality = np.array(MATED_Q + NON_MATED_Q, float)
    return scores, same, quality


def test_hand_computed_curve_with_ties():
    curve = edc_curve(*_hand_case(), threshold=0.5)
    # one point per distinct mated quality: ties are discarded together
    np.testing.assert_allclose(curve.discard_fraction, [0, 2 / 8, 5 / 8, 6 / 8])
    np.testing.assert_allclose(curve.fnmr, [3 / 8, 2 / 6, 1 / 3, 0])
    np.testing.assert_allclose(curve.fmr, [2 / 3, 1 / 2, 1 / 2, 1])
    assert curve.quality_cut.tolist() == [-np.inf, 2, 3, 4]  # the first point keeps all
    assert curve.remaining_mated.tolist() == [8, 6, 3, 2]
    assert curve.remaining_non_mated.tolist() == [3, 2, 2, 1]
    assert set(curve.threshold) == {0.5}
    assert partial_auc(curve.discard_fraction, curve.fnmr, discard_limit=0.2) == \
        pytest.approx(3 / 8 * 0.2)
    assert partial_auc(curve.discard_fraction, curve.fnmr, discard_limit=0.5) == \
        pytest.approx(3 / 8 * 0.25 + 1 / 3 * 0.25)


def test_order_of_input_does_not_matter(rng):
    scores, same, quality = _hand_case()
    order = rng.permutation(len(scores))
    a = edc_curve(scores, same, quality, threshold=0.5).to_frame()
    b = edc_curve(scores[order], same[order], quality[order], threshold=0.5).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_all_equal_qualities_give_one_point():
    scores, same, _ = _hand_case()
    curve = edc_curve(scores, same, np.full(len(scores), 7.0), threshold=0.5)
    assert curve.discard_fraction.tolist() == [0.0]
    assert curve.fnmr.tolist() == [3 / 8]
    summary = summarise_curve(curve, discard_limit=0.2)
    assert summary["pauc"] == pytest.approx(3 / 8 * 0.2)
    assert summary["pauc_relative"] == pytest.approx(1.0)  # no better than random


def _synthetic(rng, n=4000):
    same = rng.random(n) < 0.5
    scores = np.where(same, rng.normal(0.6, 0.15, n), rng.normal(0.0, 0.1, n))
    return scores, same


def test_perfect_quality_follows_theoretical_best(rng):
    scores, same = _synthetic(rng)
    threshold = edc_threshold(scores, same, starting_error=0.1)
    curve = edc_curve(scores, same, perfect_quality(scores, same), threshold=threshold)
    n = same.sum()
    errors = round(curve.fnmr[0] * n)
    assert curve.fnmr[0] == pytest.approx(0.1, abs=1 / n)
    discarded = np.round(curve.discard_fraction * n)
    expected = np.maximum(errors - discarded, 0) / (n - discarded)
    np.testing.assert_allclose(curve.fnmr, expected)
    assert curve.fnmr[discarded >= errors].max() == 0
    summary = summarise_curve(curve, discard_limit=0.2)
    best = theoretical_best_area(curve.fnmr[0], discard_limit=0.2)
    assert summary["theoretical_best"] == pytest.approx(best)
    assert 0 <= summary["pauc_relative"] < 0.05


def test_random_quality_is_flat_on_average(rng):
    scores, same = _synthetic(rng, n=3000)
    threshold = edc_threshold(scores, same, starting_error=0.1)
    grid = np.array([0.0, 0.1, 0.3, 0.6])
    at_grid, relative = [], []
    for seed in range(60):
        curve = edc_curve(scores, same, random_quality(len(scores), seed=seed),
                          threshold=threshold)
        index = np.searchsorted(curve.discard_fraction, grid, side="right") - 1
        at_grid.append(curve.fnmr[index])
        relative.append(summarise_curve(curve)["pauc_relative"])
    np.testing.assert_allclose(np.mean(at_grid, axis=0), curve.fnmr[0], atol=0.01)
    assert np.mean(relative) == pytest.approx(1.0, abs=0.08)


def test_informative_quality_lies_between_references(rng):
    n = 4000
    same = rng.random(n) < 0.5
    quality = rng.uniform(0, 100, n)
    scores = np.where(same, 0.2 + 0.006 * quality + rng.normal(0, 0.15, n), rng.normal(0, .1, n))
    threshold = edc_threshold(scores, same, starting_error=0.05)
    relative = {name: summarise_curve(edc_curve(scores, same, q, threshold=threshold))[
        "pauc_relative"] for name, q in [("perfect", perfect_quality(scores, same)),
                                         ("measure", quality),
                                         ("random", random_quality(n, seed=3))]}
    assert relative["perfect"] < relative["measure"] < relative["random"]


def test_threshold_from_starting_error_and_fmr(rng):
    scores, same = _synthetic(rng)
    threshold = edc_threshold(scores, same, starting_error=0.05)
    curve = edc_curve(scores, same, scores, threshold=threshold)
    assert curve.fnmr[0] == pytest.approx(0.05, abs=1 / same.sum())
    threshold = edc_threshold(scores, same, fmr=0.01)
    curve = edc_curve(scores, same, scores, threshold=threshold)
    assert curve.fmr[0] == pytest.approx(0.01, abs=1 / (~same).sum())
    assert curve.fmr[0] <= 0.01


def test_threshold_errors():
    with pytest.raises(ValueError, match="exactly one of starting_error"):
        edc_threshold([0.1, 0.2], [True, False])
    with pytest.raises(ValueError, match="exactly one of starting_error"):
        edc_threshold([0.1, 0.2], [True, False], starting_error=0.05, fmr=1e-3)
    with pytest.raises(ValueError, match="needs at least 1000 non-mated"):
        edc_threshold([0.1, 0.2], [True, False], fmr=1e-3)


def test_input_errors():
    with pytest.raises(ValueError, match="contain NaN"):
        edc_curve([0.1, np.nan], [True, False], [1, 2], threshold=0.5)
    with pytest.raises(ValueError, match="needs mated comparisons"):
        edc_curve([0.1, 0.2], [False, False], [1, 2], threshold=0.5)
    with pytest.raises(ValueError, match="one length"):
        edc_curve([0.1, 0.2], [True, False], [1], threshold=0.5)


def test_pair_quality_rules():
    assert pair_quality([10, 80], [50, 20]).tolist() == [10, 20]
    assert pair_quality([10, 80], [50, 20], rule="mean").tolist() == [30, 50]
    assert pair_quality([10, 80], [50, 20], rule="product").tolist() == [500, 1600]
    assert np.isnan(pair_quality([np.nan], [5])[0])
    with pytest.raises(ValueError, match="unknown pair-quality rule 'max'"):
        pair_quality([1], [2], rule="max")


def test_partial_auc_edges():
    assert partial_auc([0.0, 0.5], [0.1, 0.0], discard_limit=0.0) == 0.0
    assert partial_auc([0.0], [0.1], discard_limit=1.0) == pytest.approx(0.1)
    assert partial_auc([0.0, 0.1, 0.2], [0.1, 0.05, 0.0], discard_limit=0.15) == \
        pytest.approx(0.01 + 0.05 * 0.05)
    with pytest.raises(ValueError, match=r"discard_limit must be in \[0, 1\]"):
        partial_auc([0.0], [0.1], discard_limit=1.5)
    assert theoretical_best_area(0.3, discard_limit=0.2) == pytest.approx(0.3 * 0.2 - 0.02)


def test_erc_hand_case():
    scores, same, quality = _hand_case()
    curve = erc_curve(scores, same, quality, target_fmr=0.5, steps=4)
    assert curve.variant == "erc"
    # all 11 comparisons sorted by quality; grid 0, .25, .5, .75 moved down to quality changes
    np.testing.assert_allclose(curve.discard_fraction, [0, 3 / 11, 6 / 11, 8 / 11])
    # step 0: 3 non-mated, 1 false match allowed: threshold above 0.55 -> 0.6; FNMR 3/8
    assert curve.threshold[0] == pytest.approx(0.6)
    assert curve.fnmr[0] == pytest.approx(3 / 8) and curve.fmr[0] == pytest.approx(1 / 3)
    # step 1 keeps q >= 2: non-mated 0.4, 0.55 -> threshold 0.55, FNMR 2/6
    assert curve.fnmr[1] == pytest.approx(2 / 6) and curve.threshold[1] == pytest.approx(0.55)
    # step 2 keeps q >= 3: non-mated 0.4, 0.55 -> threshold 0.55, FNMR 1/3
    assert curve.fnmr[2] == pytest.approx(1 / 3)
    # step 3 keeps q >= 4: one non-mated left, fewer than 1/0.5 = 2 needed -> NaN
    assert np.isnan(curve.fnmr[3]) and curve.remaining_non_mated[3] == 1


# --- joining with `fiqa score` tables --------------------------------------------------------

@pytest.fixture
def tables(tmp_path):
    quality = pd.DataFrame({
        "path": [str(tmp_path / "lfw" / f"p{i}" / f"p{i}_0001.jpg") for i in range(4)],
        "status": ["ok", "ok", "ok", "error"], "error": ["", "", "", "no face detected"],
        "face_count": [1, 1, 1, 0],
        "Sharpness": [0.9, 0.1, 0.5, np.nan],
        "Sharpness.scalar": [10.0, 90.0, 50.0, np.nan],
    })
    comparisons = pd.DataFrame({
        "image_a": ["p0/p0_0001.jpg", "p1/p1_0001.jpg", "p2/p2_0001.jpg", "p0/p0_0001.jpg"],
        "image_b": ["p1/p1_0001.jpg", "p2/p2_0001.jpg", "p3/p3_0001.jpg", "p9/p9_0001.jpg"],
        "same": [True, True, True, False], "score": [0.2, 0.9, 0.8, np.nan],
        "status": ["ok", "ok", "ok", "error"], "error": ["", "", "", "image_b: not found"],
    })
    return comparisons, quality, tmp_path / "lfw"


def test_quality_join_by_absolute_path_and_suffix(tables, tmp_path):
    comparisons, quality, root = tables
    a, b = image_qualities(comparisons, quality, column="Sharpness.scalar", root=root)
    np.testing.assert_allclose(a[:3], [10, 90, 50])
    np.testing.assert_allclose(b[:2], [90, 50])
    assert np.isnan(b[2])  # status error -> missing
    assert np.isnan(b[3])  # not in the quality table
    moved = quality.assign(path=quality["path"].str.replace(str(tmp_path), "/elsewhere"))
    a2, _ = image_qualities(comparisons, moved, column="Sharpness.scalar", root=root)
    np.testing.assert_allclose(a2[:3], [10, 90, 50])  # matched on Name/Name_0001.jpg


def test_quality_column_default_scalar_and_errors(tables):
    _, quality, _ = tables
    assert quality_column(quality, "SHARPNESS") == "Sharpness.scalar"
    assert quality_column(quality, "sharpness", raw=True) == "Sharpness"
    with pytest.raises(ValueError, match=r"measures present: \['Sharpness'\]"):
        quality_column(quality, "HeadPoseYaw")


def test_edc_table_missing_quality_rules(tables):
    comparisons, quality, root = tables
    non_mated = pd.DataFrame({"image_a": ["p1/p1_0001.jpg"] * 100,
                              "image_b": ["p2/p2_0001.jpg"] * 100, "same": False,
                              "score": np.linspace(-0.5, 0.1, 100), "status": "ok", "error": ""})
    comparisons = pd.concat([comparisons, non_mated], ignore_index=True)
    curves, summary = edc_table(comparisons, quality, measures=["sharpness"], root=root,
                                starting_error=0.3)
    assert set(curves["measure"]) == {"Sharpness", "random", "perfect"}
    assert list(summary["kind"]) == ["measure", "random", "perfect"]
    row = summary.iloc[0]
    assert row["pairs"] == 103 and row["missing_quality"] == 1 and row["column"] == \
        "Sharpness.scalar"
    sharp = curves[curves["measure"] == "Sharpness"]
    # mated pair qualities: min(10, 90)=10, min(90, 50)=50, missing -> lowest (-inf)
    assert sharp["quality_cut"].tolist() == [-np.inf, 10, 50]
    _, dropped = edc_table(comparisons, quality, measures=["sharpness"], root=root,
                           starting_error=0.3, missing_quality="drop")
    assert dropped.iloc[0]["pairs"] == 102
    with pytest.raises(ValueError, match="missing_quality must be one of"):
        edc_table(comparisons, quality, measures=["sharpness"], root=root, missing_quality="x")


def test_edc_to_file_selects_a_protocol(tables, tmp_path):
    comparisons, quality, root = tables
    comparisons = pd.concat([comparisons.assign(protocol="A"), comparisons.assign(protocol="B")])
    comparisons.loc[comparisons["protocol"].eq("B"), "score"] = 0.0
    comparisons.to_csv(tmp_path / "scores.csv", index=False)
    quality.to_csv(tmp_path / "quality.csv", index=False)
    curves, summary = edc_to_file(tmp_path / "edc.csv", comparisons=tmp_path / "scores.csv",
                                  quality=tmp_path / "quality.csv", root=root, protocol="A",
                                  measures=["Sharpness"], starting_error=0.3, max_missing=0.5)
    assert summary["pairs"].tolist() == [3, 3, 3]  # protocol A, failed comparison left out
    assert set(curves["measure"]) == {"Sharpness", "random", "perfect"}
    assert pd.read_csv(tmp_path / "edc_pauc.csv")["measure"].tolist() == ["Sharpness", "random",
                                                                          "perfect"]
    with pytest.raises(ValueError, match=r"protocol 'C' not in .* it has \['A', 'B'\]"):
        edc_to_file(tmp_path / "edc.csv", comparisons=tmp_path / "scores.csv",
                    quality=tmp_path / "quality.csv", root=root, protocol="C",
                    measures=["Sharpness"])


def test_edc_refuses_a_quality_table_matching_no_comparison(tables):
    comparisons, quality, root = tables
    other = quality.assign(path=[f"elsewhere/x_{i}.jpg" for i in range(len(quality))])
    with pytest.raises(ValueError, match=r"matches none of the 3 comparisons' images"):
        edc_table(comparisons, other, measures=["sharpness"], root=root, starting_error=0.3)


def test_edc_refuses_when_quality_is_missing_for_many_pairs(tables):
    comparisons, quality, root = tables  # 3 usable comparisons, one with an image not scored ok
    message = (r"Sharpness.scalar: quality is missing for 1 of 3 comparisons \(33%; 0 with an "
               r"image not in the quality table, 1 with an image not scored ok\), over the 10%")
    with pytest.raises(ValueError, match=message):
        edc_table(comparisons, quality, measures=["sharpness"], root=root, starting_error=0.3)
    _, summary = edc_table(comparisons, quality, measures=["sharpness"], root=root,
                           starting_error=0.3, max_missing=0.4)
    assert summary.iloc[0]["missing_quality"] == 1
