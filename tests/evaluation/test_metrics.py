from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fiqa.evaluation.metrics import (
    best_accuracy_threshold,
    equal_error_rate,
    fmr_threshold,
    fnmr_at_fmr,
    format_metrics,
    grouped_metrics,
    kfold_accuracy,
    roc_points,
    verification_metrics,
)


def test_roc_points_hand_case():
    roc = roc_points([0.9, 0.4, 0.5, 0.1], [True, True, False, False])
    assert roc.values.tolist() == [[0.1, 1.0, 0.0], [0.4, 0.5, 0.0], [0.5, 0.5, 0.5],
                                   [0.9, 0.0, 0.5], [math.inf, 0.0, 1.0]]


def test_roc_is_monotone(rng):
    same = rng.random(500) < 0.5
    scores = np.where(same, rng.normal(0.5, 0.2, 500), rng.normal(0, 0.2, 500))
    roc = roc_points(scores, same)
    assert (np.diff(roc["fmr"]) <= 0).all() and (np.diff(roc["fnmr"]) >= 0).all()
    assert roc["fmr"].iloc[0] == 1.0 and roc["fnmr"].iloc[-1] == 1.0


def test_equal_error_rate_hand_cases():
    assert equal_error_rate([0.9, 0.8, 0.3, 0.2], [1, 1, 0, 0]) == (0.0, 0.8)
    # mated 0.9 0.6 0.4, non-mated 0.5 0.3 0.1: at 0.5 one of three wrong on each side
    eer, threshold = equal_error_rate([0.9, 0.6, 0.4, 0.5, 0.3, 0.1], [1, 1, 1, 0, 0, 0])
    assert eer == pytest.approx(1 / 3) and threshold == 0.5


def test_fnmr_at_fmr_hand_case():
    mated = [0.95, 0.9, 0.8, 0.7, 0.35]
    non_mated = list(np.linspace(-0.5, 0.3, 99)) + [0.6]  # one high impostor score
    scores, same = mated + non_mated, [True] * 5 + [False] * 100
    point = fnmr_at_fmr(scores, same, 1e-2)
    assert point.sufficient and point.message == ""
    # one false match allowed (1% of 100): threshold just above 0.3 -> 0.35, nothing rejected
    assert point.threshold == 0.35 and point.fnmr == 0.0 and point.fmr == 0.01
    tied = non_mated[:98] + [0.6, 0.6]  # two top impostors tie: both must be rejected
    strict = fnmr_at_fmr(mated + tied, same, 1e-2)  # above 0.6 -> 0.7, rejects mated 0.35
    assert strict.threshold == 0.7 and strict.fnmr == pytest.approx(1 / 5) and strict.fmr == 0


def test_fnmr_at_fmr_says_when_data_is_insufficient():
    scores, same = [0.9, 0.1] * 500, [True, False] * 500
    point = fnmr_at_fmr(scores, same, 1e-3)
    assert not point.sufficient and math.isnan(point.fnmr) and math.isnan(point.threshold)
    assert point.message == "FMR 0.001 needs at least 1000 non-mated comparisons, have 500"
    assert fnmr_at_fmr(scores, same, 2e-3).sufficient  # exactly 1 / 0.002 = 500
    assert not fnmr_at_fmr(scores, same, 2e-3, min_false_matches=3).sufficient


def test_fmr_threshold_never_splits_ties():
    assert fmr_threshold([0.1, 0.2, 0.3, 0.4], 0.25) == 0.4
    assert fmr_threshold([0.1, 0.2, 0.3, 0.3], 0.25) == math.inf
    assert fmr_threshold([0.1, 0.2], 0.5, candidates=[0.1, 0.15, 0.2, 0.9]) == 0.15


def test_input_errors():
    with pytest.raises(ValueError, match="need both mated and non-mated"):
        roc_points([0.1, 0.2], [True, True])
    with pytest.raises(ValueError, match="scores contain NaN"):
        roc_points([0.1, np.nan], [True, False])
    with pytest.raises(ValueError, match="target FMR must be between 0 and 1"):
        fnmr_at_fmr([0.1, 0.2], [True, False], 0)
    with pytest.raises(ValueError, match="at least 2 folds"):
        kfold_accuracy([0.1, 0.2], [True, False], [1, 1])


def test_best_accuracy_threshold():
    assert best_accuracy_threshold([0.9, 0.8, 0.3, 0.2], [1, 1, 0, 0]) == pytest.approx(0.55)
    # one mated outlier at 0.1: best cut still separates the rest
    assert best_accuracy_threshold([0.9, 0.8, 0.1, 0.3, 0.2], [1, 1, 1, 0, 0]) == \
        pytest.approx(0.55)


def test_kfold_threshold_comes_from_the_other_folds():
    # fold 1 alone would be perfectly split at ~0.45, but folds 2 and 3 put the threshold at
    # 0.65, which rejects fold 1's mated 0.5: fold 1 accuracy 3/4.
    scores = [0.5, 0.9, 0.1, 0.2, 0.8, 0.9, 0.5, 0.4, 0.8, 0.7, 0.5, 0.3]
    same = [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]
    folds = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]
    result = kfold_accuracy(scores, same, folds)
    assert result["folds"] == [1, 2, 3]
    assert result["per_fold"][0] == 0.75
    assert result["thresholds"][0] == pytest.approx(0.6)
    assert result["mean"] == pytest.approx(np.mean(result["per_fold"]))


def test_verification_metrics_leave_out_failures():
    table = pd.DataFrame({
        "score": [0.9, 0.8, 0.2, 0.1, np.nan], "same": [True, True, False, False, True],
        "status": ["ok", "ok", "ok", "ok", "error"], "fold": [1, 2, 1, 2, 1],
        "protocol": ["A", "B", "A", "B", "A"],
    })
    metrics = verification_metrics(table)
    assert (metrics["pairs"], metrics["failed"], metrics["mated"], metrics["non_mated"]) == \
        (5, 1, 2, 2)
    assert metrics["eer"] == 0.0 and metrics["accuracy"]["mean"] == 1.0
    assert [p["sufficient"] for p in metrics["fnmr_at_fmr"]] == [False, False, False]
    grouped = grouped_metrics(table)
    assert set(grouped["by_protocol"]) == {"A", "B"}
    assert grouped["by_protocol"]["A"]["failed"] == 1
    text = format_metrics(metrics)
    assert "5 pairs (2 mated, 2 non-mated, 1 failed)" in text
    assert "FNMR@FMR=0.001: n/a (FMR 0.001 needs at least 1000" in text
    assert "2-fold accuracy 100.00%" in text


def test_fmr_exactly_at_target_is_allowed():
    # 3 of 3000 non-mated above the threshold is FMR 1e-3 exactly (3/3000 > 1e-3 in floats)
    non_mated = np.r_[np.linspace(-0.3, 0.2, 2997), [0.5, 0.6, 0.7]]
    mated = np.array([0.45, 0.55, 0.9])
    point = fnmr_at_fmr(np.r_[mated, non_mated], np.r_[[True] * 3, [False] * 3000], 1e-3)
    assert point.threshold == 0.45 and point.fmr == pytest.approx(1e-3) and point.fnmr == 0
