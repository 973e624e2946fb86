"""The pooled discard experiment: hand-computed pooling, quality lookup and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fiqa.evaluation.discard import pooled_discard

# Four pairs (three mated, one non-mated), clean and at jpeg severities 1 and 2; the probe
# (image_b) is perturbed, the gallery image (image_a) is only scored clean.
PAIRS = [("a1", "a2", True), ("b1", "b2", True), ("c1", "c2", True), ("d1", "x2", False)]
SCORES = {  # comparison score per condition
    ("none", 0): [0.9, 0.8, 0.7, 0.1],
    ("jpeg", 1): [0.8, 0.7, 0.6, 0.1],
    ("jpeg", 2): [0.2, 0.6, np.nan, 0.1],  # c: no face found in the perturbed probe
    ("blur", 1): [0.9, 0.1, 0.7, 0.1],
}
PROBE_QUALITY = {  # CompressionArtifacts, Sharpness of the probe per condition
    ("none", 0): [(95, 80), (95, 70), (95, 60), (95, 50)],
    ("jpeg", 1): [(70, 80), (60, 70), (60, 60), (60, 50)],
    ("jpeg", 2): [(5, 80), (30, 70), (np.nan, np.nan), (10, 50)],
    ("blur", 1): [(95, 40), (95, 5), (95, 40), (95, 40)],
}


def _tables(recognizers=("sface",)):
    comparisons, scores = [], []
    for (name, severity), values in SCORES.items():
        for recognizer in recognizers:
            shift = 0.0 if recognizer == "sface" else 0.05
            for pair, ((a, b, same), score) in enumerate(zip(PAIRS, values)):
                comparisons.append({"perturbation": name, "severity": severity, "pair": pair,
                                    "image_a": a, "image_b": b, "same": same,
                                    "score": score + shift, "model": recognizer})
        for (_, b, _), (compression, sharpness) in zip(PAIRS, PROBE_QUALITY[(name, severity)]):
            scores.append({"perturbation": name, "severity": severity, "image": b,
                           "CompressionArtifacts.scalar": compression,
                           "Sharpness.scalar": sharpness})
    for a, _, _ in PAIRS:  # gallery images: clean only, high quality
        scores.append({"perturbation": "none", "severity": 0, "image": a,
                       "CompressionArtifacts.scalar": 99.0, "Sharpness.scalar": 99.0})
    return pd.DataFrame(comparisons), pd.DataFrame(scores)


def test_jpeg_pool_by_hand():
    comparisons, scores = _tables()
    result = pooled_discard(comparisons, scores, thresholds={"sface": 0.5},
                            fractions=(0.1, 0.2, 0.25), random_draws=5)
    # jpeg pool: clean (3 mated) + severity 1 (3 mated) + severity 2 (2 mated compared)
    edc = result.edc.set_index(["family", "measure"])
    assert edc.loc[("jpeg", "CompressionArtifacts"), "mated"] == 8
    assert edc.loc[("jpeg", "CompressionArtifacts"), "non_mated"] == 3
    assert edc.loc[("jpeg", "CompressionArtifacts"), "starting_fnmr"] == pytest.approx(1 / 8)
    table = result.fnmr.set_index(["family", "measure", "fraction"])
    # the only error (a at jpeg 2, quality 5) is the lowest: discarding 1/8 removes it
    assert table.loc[("jpeg", "CompressionArtifacts", 0.2), "fnmr"] == 0.0
    assert table.loc[("jpeg", "CompressionArtifacts", 0.2), "discarded"] == pytest.approx(1 / 8)
    assert table.loc[("jpeg", "CompressionArtifacts", 0.1), "discarded"] == 0.0  # 1/8 > 0.1
    # Sharpness does not see it: its lowest mated pairs (60: c clean and c at jpeg 1, tied,
    # so nothing at 0.2) go first
    assert table.loc[("jpeg", "Sharpness", 0.2), "discarded"] == 0.0
    assert table.loc[("jpeg", "Sharpness", 0.25), "fnmr"] == pytest.approx(1 / 6)


def test_families_are_pooled_separately_and_reference_curves_are_there():
    comparisons, scores = _tables()
    result = pooled_discard(comparisons, scores, thresholds=0.5, random_draws=3)
    assert set(result.edc["family"]) == {"jpeg", "blur"}
    blur = result.edc[result.edc["family"] == "blur"].set_index("measure")
    assert blur.loc["Sharpness", "mated"] == 6  # clean + blur 1, nothing from jpeg
    # the blur failure (b) has the lowest sharpness: Sharpness discards like the oracle
    assert blur.loc["Sharpness", "pauc"] == pytest.approx(blur.loc["perfect", "pauc"])
    assert blur.loc["CompressionArtifacts", "pauc"] > blur.loc["Sharpness", "pauc"]
    assert {"random", "perfect", "CompressionArtifacts", "Sharpness"} <= set(blur.index)
    assert set(result.curves["family"]) == {"jpeg", "blur"}


def test_recognizers_get_their_own_threshold_and_rows():
    comparisons, scores = _tables(("sface", "dlib"))
    result = pooled_discard(comparisons, scores, thresholds={"sface": 0.5, "dlib": 0.72},
                            random_draws=2)
    start = result.fnmr[result.fnmr["fraction"] == 0].set_index(["family", "model",
                                                                 "measure"])["fnmr"]
    assert start[("jpeg", "sface", "CompressionArtifacts")] == pytest.approx(1 / 8)
    # dlib: scores 0.05 higher, threshold 0.72: c at jpeg 1 (0.65), a and b at jpeg 2 fail
    assert start[("jpeg", "dlib", "CompressionArtifacts")] == pytest.approx(3 / 8)


def test_random_discard_keeps_the_error_rate_on_average():
    comparisons, scores = _tables()
    result = pooled_discard(comparisons, scores, thresholds=0.5, random_draws=200,
                            fractions=(0.5,))
    row = result.fnmr.query("family == 'jpeg' and measure == 'random' and fraction == 0.5")
    assert float(row["fnmr"].iloc[0]) == pytest.approx(1 / 8, abs=0.05)


def test_default_threshold_needs_enough_clean_non_mated_comparisons():
    comparisons, scores = _tables()
    with pytest.raises(ValueError, match="cannot set the EDC threshold"):
        pooled_discard(comparisons, scores, target_fmr=0.5)  # one non-mated, needs 2


def test_errors_name_what_is_missing():
    comparisons, scores = _tables(("sface", "dlib"))
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['score'\]"):
        pooled_discard(comparisons.drop(columns="score"), scores, thresholds=0.5)
    with pytest.raises(ValueError, match="no scalar column for measure"):
        pooled_discard(comparisons, scores, thresholds={"sface": 0.5, "dlib": 0.5},
                       measures=["Nope"])
    with pytest.raises(ValueError, match="one threshold given for several recognizers"):
        pooled_discard(comparisons, scores, thresholds=0.5)
    with pytest.raises(ValueError, match=r"no threshold given for recognizer\(s\) \['dlib'\]"):
        pooled_discard(comparisons, scores, thresholds={"sface": 0.5})
