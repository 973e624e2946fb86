import math

import numpy as np
import pandas as pd
import pytest

from fiqa.evaluation.edc import edc_curve, summarise_curve
from fiqa.evaluation.fairness import (
    Bootstrap,
    encode_groups,
    failed_rules,
    group_stat,
    image_stats,
    quality_distributions,
    reject_rate_ratio,
    reject_ratio,
    tables,
    worst_best,
)
from fiqa.evaluation.fairness_pairs import pair_labels, weighted_pauc
from fiqa.evaluation.fairness_run import fairness_tables, format_ratios
from fiqa.evaluation.groups import Groups

SMALL = Bootstrap(replicates=200, min_subjects=2)


def test_group_values_are_plain_means_and_intervals_contain_them(rng):
    values = rng.random(300) < 0.3
    groups = rng.choice(["a", "b", "c"], 300)
    subjects = rng.integers(0, 60, 300)
    stat = group_stat(values, groups, subjects, metric="reject_rate", attribute="x",
                      bootstrap=SMALL)
    expected = pd.Series(values).groupby(groups).mean()
    np.testing.assert_allclose(stat.value, expected.loc[stat.groups].to_numpy())
    rows = tables([stat], SMALL)[0]
    assert (rows["ci_low"] <= rows["value"]).all() and (rows["value"] <= rows["ci_high"]).all()
    assert rows["units"].sum() == 300


def test_bootstrap_is_over_subjects_not_images():
    outcome = np.array([1, 0] * 20, float)
    groups = np.array(["a"] * 20 + ["b"] * 20)
    people = np.arange(40)
    once = group_stat(outcome, groups, people, metric="m", attribute="x", bootstrap=SMALL)
    tenfold = group_stat(np.repeat(outcome, 10), np.repeat(groups, 10), np.repeat(people, 10),
                         metric="m", attribute="x", bootstrap=SMALL)
    # ten images per person add no information when they share the outcome
    np.testing.assert_allclose(once.replicates, tenfold.replicates)
    assert tenfold.subjects.tolist() == [20, 20]


def test_non_mated_pairs_weight_both_subjects():
    stat = group_stat([1.0, 0.0], ["a", "a"], ["p", "q"], second_subjects=["q", "r"],
                      metric="fmr", attribute="x", bootstrap=Bootstrap(replicates=50))
    assert stat.value.tolist() == [0.5] and stat.subjects.tolist() == [3]
    finite = stat.replicates[np.isfinite(stat.replicates)]
    assert set(np.round(finite, 6)) <= {0.0, 1.0, 0.5, round(1 / 3, 6), round(2 / 3, 6)}


def test_ratio_compares_worst_and_best_among_large_enough_groups():
    values = [1, 1, 0, 0, 0, 0, 1, 1]
    groups = ["a", "a", "b", "b", "b", "b", "c", "c"]
    people = ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p7"]
    stat = group_stat(values, groups, people, metric="reject_rate", attribute="x",
                      bootstrap=SMALL)
    row = worst_best(stat, SMALL)
    assert (row["worst"], row["best"], row["too_small"]) == ("a", "b", "c")
    assert math.isinf(row["ratio"])  # best group rejects nobody
    quality = group_stat([10, 20, 40, 40], ["a", "a", "b", "b"], ["p", "q", "r", "s"],
                         metric="quality_mean", attribute="x", higher_is_worse=False,
                         bootstrap=SMALL)
    row = worst_best(quality, SMALL)
    assert (row["worst"], row["best"], row["ratio"]) == ("a", "b", pytest.approx(15 / 40))


def test_equal_zero_rates_have_ratio_one():
    ratio, _ = reject_ratio([0, 0, 0, 0], ["a", "a", "b", "b"], ["p", "q", "r", "s"],
                            bootstrap=SMALL)
    assert ratio["ratio"] == 1.0 and ratio["ci_low"] == 1.0 and ratio["ci_high"] == 1.0


def test_failed_rules_and_image_stats():
    gated = pd.DataFrame({
        "path": ["a/1", "b/1", "c/1", "d/1"], "status": ["ok", "ok", "ok", "no_face"],
        "decision": ["reject", "accept", "reject", "reject"],
        "reasons": ["Sharpness.scalar=1 < 40", "", "HeadPoseYaw=30 > 20; Sharpness.scalar=2 < 40",
                    "no face detected"],
        "Sharpness": [0.1, 0.9, 0.2, np.nan], "Sharpness.scalar": [1.0, 90.0, 2.0, np.nan]})
    assert failed_rules(gated).sum().to_dict() == {"HeadPoseYaw": 1, "Sharpness": 2, "no_face": 1}
    labels = pd.DataFrame({"subject": ["a", "b", "c", "d"], "sex": ["f", "f", "m", "m"]})
    groups = Groups(labels=labels, attributes=("sex",), source="test")
    rows, _ = tables(image_stats(gated, groups, bootstrap=SMALL), SMALL)
    overall = rows[(rows["metric"] == "reject_rate") & (rows["detail"] == "")]
    assert overall.set_index("group")["value"].to_dict() == {"f": 0.5, "m": 1.0}
    mean = rows[rows["metric"] == "quality_mean"].set_index("group")["value"]
    assert mean.to_dict() == {"f": 45.5, "m": 2.0}  # the no-face image has no quality
    distribution = quality_distributions(gated, groups)
    assert distribution.set_index("group").loc["m", "images"] == 1


def test_weighted_pauc_matches_the_edc_with_unit_weights(rng):
    quality = rng.integers(0, 20, 200).astype(float)  # many ties
    scores = rng.normal(0.5, 0.2, 200)
    curve = edc_curve(scores, np.ones(200, bool), quality, threshold=0.3)
    expected = summarise_curve(curve, discard_limit=0.2)["pauc"]
    got = weighted_pauc(quality, scores < 0.3, np.ones((1, 200)), discard_limit=0.2)[0]
    assert got == pytest.approx(expected)
    doubled = weighted_pauc(quality, scores < 0.3, np.full((1, 200), 2.0), discard_limit=0.2)
    assert doubled[0] == pytest.approx(expected)


def test_pairs_count_for_a_group_only_when_both_images_are_in_it():
    scores = pd.DataFrame({"path": ["/d/p/1.jpg", "/d/p/2.jpg", "/d/q/1.jpg"], "status": "ok"})
    labels = pd.DataFrame({"subject": ["p", "p", "q"], "tone": ["light", "dark", "light"]})
    groups = Groups(labels=labels, attributes=("tone",), source="test")
    comparisons = pd.DataFrame({"image_a": ["p/1.jpg", "p/1.jpg", "p/1.jpg"],
                                "image_b": ["p/2.jpg", "q/1.jpg", "x/9.jpg"]})
    table = pair_labels(comparisons, scores, groups, root="/d")
    assert table["tone"].fillna("-").tolist() == ["-", "light", "-"]
    assert table["subject_b"].fillna("-").tolist() == ["p", "q", "-"]


def test_fairness_tables_end_to_end(rng):
    people = [f"/d/p{i}" for i in range(40)]
    paths = [f"{person}/{k}.jpg" for person in people for k in range(3)]
    group = ["a" if i < 60 else "b" for i in range(120)]
    quality = rng.uniform(0, 100, 120)
    scores = pd.DataFrame({"path": paths, "status": "ok", "Sharpness": quality,
                           "Sharpness.scalar": quality,
                           "decision": np.where(quality < 30, "reject", "accept"),
                           "reasons": np.where(quality < 30, "Sharpness.scalar=1 < 30", "")})
    groups = Groups(labels=pd.DataFrame({"subject": [p.rsplit("/", 1)[0] for p in paths],
                                         "g": group}), attributes=("g",), source="test")
    pairs = [(paths[i], paths[i + 1], True) for i in range(0, 120, 3)]
    pairs += [(paths[i], paths[(i + 7) % 120], False) for i in range(0, 120, 2)]
    comparisons = pd.DataFrame(pairs, columns=["image_a", "image_b", "same"])
    comparisons["score"] = np.where(comparisons["same"], rng.normal(0.6, 0.2, len(pairs)),
                                    rng.normal(0.1, 0.1, len(pairs)))
    comparisons["status"] = "ok"
    result = fairness_tables(scores, groups, comparisons=comparisons, threshold=0.3, root="/",
                             edc_measures=["Sharpness"], bootstrap=SMALL)
    assert set(result.ratios["metric"]) == {"reject_rate", "quality_mean", "fnmr", "fmr",
                                            "edc_pauc"}
    fnmr = result.groups[result.groups["metric"] == "fnmr"]
    assert fnmr["units"].sum() == 40
    text = format_ratios(result)
    assert "reject_rate" in text and "fnmr" in text and "edc_pauc" not in text
    with pytest.raises(ValueError, match="fixed threshold"):
        fairness_tables(scores, groups, comparisons=comparisons)


def test_fast_ratio_for_calibration_agrees_with_the_bootstrapped_one(rng):
    rejected = rng.random(500) < 0.2
    groups = rng.choice(["a", "b", "c", "tiny"], 500, p=[0.4, 0.3, 0.29, 0.01])
    subjects = rng.integers(0, 150, 500)
    subjects[groups == "tiny"] = 999  # one person: too few subjects to compare
    codes, names = encode_groups(groups, subjects, min_subjects=5)
    assert names == ["a", "b", "c"] and (codes[groups == "tiny"] == -1).all()
    ratio, _ = reject_ratio(rejected, groups, subjects, bootstrap=Bootstrap(replicates=50))
    assert reject_rate_ratio(rejected, codes) == pytest.approx(ratio["ratio"])
    assert ratio["too_small"] == "tiny"
