"""Gate bounds from recognition outcomes: the greedy search and the profile it writes."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from fiqa.calibrate import calibrate_bounds, outcome_problem, profile_text
from fiqa.gate import decide, profile_from_dict


def _tables(rng):
    """40 images; the 6 with low Sharpness are in every failing mated comparison;
    HeadPoseYaw is noise."""
    paths = [f"/d/p{i // 2}/{i}.jpg" for i in range(40)]
    sharp = np.where(np.arange(40) < 6, 10.0, 60.0) + rng.uniform(0, 5, 40)
    quality = pd.DataFrame({"path": paths, "status": "ok", "Sharpness.scalar": sharp,
                            "HeadPoseYaw.scalar": rng.uniform(0, 100, 40)})
    rows = [(paths[i], paths[i + 1], 0.2 if i < 6 else 0.8) for i in range(0, 40, 2)]
    comparisons = pd.DataFrame(rows, columns=["image_a", "image_b", "score"]).assign(same=True)
    return comparisons, quality


def test_the_informative_measure_is_bounded_within_budget(rng):
    comparisons, quality = _tables(rng)
    problem = outcome_problem(comparisons, quality, measures=["HeadPoseYaw", "Sharpness"],
                              threshold=0.5)
    result = calibrate_bounds(problem, threshold=0.5, max_reject=0.2)
    assert list(result.bounds) == ["Sharpness"]
    assert result.before.fnmr == pytest.approx(3 / 20)
    assert result.after.fnmr == 0.0
    assert result.after.reject_rate <= 0.2
    assert result.after.failure_rate_rejected > result.after.failure_rate_accepted


def test_search_is_deterministic_and_respects_a_tight_budget(rng):
    comparisons, quality = _tables(rng)
    problem = outcome_problem(comparisons, quality, measures=["HeadPoseYaw", "Sharpness"],
                              threshold=0.5)
    first = calibrate_bounds(problem, threshold=0.5, max_reject=0.05, min_removed=1)
    second = calibrate_bounds(problem, threshold=0.5, max_reject=0.05, min_removed=1)
    assert first.bounds == second.bounds
    assert first.after.reject_rate <= 0.05
    assert first.after.fnmr < first.before.fnmr


def test_a_bound_must_remove_enough_failures(rng):
    comparisons, quality = _tables(rng)
    problem = outcome_problem(comparisons, quality, measures=["Sharpness"], threshold=0.5)
    assert calibrate_bounds(problem, threshold=0.5, max_reject=0.2, min_removed=4).bounds == {}


def test_target_fnmr_stops_early(rng):
    comparisons, quality = _tables(rng)
    problem = outcome_problem(comparisons, quality, measures=["Sharpness"], threshold=0.5)
    result = calibrate_bounds(problem, threshold=0.5, target_fnmr=0.1)
    assert result.after.fnmr <= 0.1
    assert len(result.steps) >= 1


def test_written_profile_gates_like_the_search(rng):
    comparisons, quality = _tables(rng)
    problem = outcome_problem(comparisons, quality, measures=["Sharpness"], threshold=0.5)
    result = calibrate_bounds(problem, threshold=0.5, max_reject=0.2)
    text = profile_text(result, name="cal", description="test", provenance=["data: synthetic"])
    assert "# data: synthetic" in text and "FNMR" in text
    profile = profile_from_dict(tomllib.loads(text))
    decisions = [decide(row, profile)[0] for row in quality.to_dict("records")]
    accepted = np.array(decisions) == "accept"
    assert 1 - accepted.mean() == pytest.approx(result.after.reject_rate)


def test_no_useful_bound_is_an_error(rng):
    comparisons, quality = _tables(rng)
    comparisons["score"] = 0.9  # nothing fails
    problem = outcome_problem(comparisons, quality, measures=["Sharpness"], threshold=0.5)
    result = calibrate_bounds(problem, threshold=0.5, max_reject=0.2)
    with pytest.raises(ValueError, match="no bound lowers the FNMR"):
        profile_text(result, name="x", description="", provenance=[])


def test_unmatched_paths_are_an_error(rng):
    comparisons, quality = _tables(rng)
    quality["path"] = "/elsewhere/" + quality["path"].str[3:]
    with pytest.raises(ValueError, match="no mated comparison"):
        outcome_problem(comparisons, quality.assign(path="/x.jpg"), measures=["Sharpness"],
                        threshold=0.5)


def test_reject_ratio_bound_refuses_bounds_that_fall_on_one_group(rng):
    """The 6 low-Sharpness images are all in group "x": the unbounded search rejects only
    them (ratio inf); with the ratio bounded no Sharpness bound is allowed."""
    from fiqa.evaluation.fairness import encode_groups

    comparisons, quality = _tables(rng)
    problem = outcome_problem(comparisons, quality, measures=["Sharpness"], threshold=0.5)
    labels = np.where(np.arange(40) < 20, "x", "y")
    subjects = [path.split("/")[2] for path in quality["path"]]
    codes, names = encode_groups(labels, subjects, min_subjects=2)
    assert names == ["x", "y"]
    free = calibrate_bounds(problem, threshold=0.5, max_reject=0.2)
    assert "Sharpness" in free.bounds
    fair = calibrate_bounds(problem, threshold=0.5, max_reject=0.2, groups=[codes],
                            max_reject_ratio=2.0)
    assert fair.bounds == {} and fair.after.fnmr == free.before.fnmr > free.after.fnmr
