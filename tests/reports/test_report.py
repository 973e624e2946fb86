import shutil

import numpy as np
import pandas as pd
import pytest

from reports import report, report_data
from reports.run import load_run


def test_prepare_uses_the_edc_threshold_and_ranks_measures(synthetic_run):
    data = report_data.prepare(load_run(synthetic_run))
    pauc = pd.read_csv(synthetic_run / "edc_pauc.csv")
    assert data.threshold == pytest.approx(pauc["threshold"].iloc[0])
    assert data.threshold_source == "EDC run's fixed threshold"
    assert data.measures == ["Sharpness", "Noise"]  # pAUC order
    assert data.discard_limit == 0.2
    # the outcome table agrees with the threshold, pair by pair
    pairs = data.pairs[data.pairs.measure == "Sharpness"]
    accepted = pairs.score >= data.threshold
    assert (pairs.outcome[pairs.same & ~accepted] == "false non-match").all()
    assert (pairs.outcome[~pairs.same & accepted] == "false match").all()


def test_prepare_sets_a_threshold_without_an_edc_run(synthetic_run, tmp_path):
    for name in ("scores.csv", "comparisons.csv", "comparisons.csv.run.json"):
        shutil.copy(synthetic_run / name, tmp_path)
    data = report_data.prepare(load_run(tmp_path))
    good = data.comparisons_ok
    mated = good.score[good.same.astype(bool)]
    assert np.mean(mated < data.threshold) == pytest.approx(report_data.DEFAULT_STARTING_ERROR,
                                                            abs=1 / len(mated))
    assert "starting FNMR 0.05" in data.threshold_source
    assert data.pauc is None and data.edc_points is None


def test_large_runs_sample_the_outcome_table(synthetic_run, monkeypatch):
    monkeypatch.setattr(report_data, "MAX_OUTCOME_PAIRS", 100)
    data = report_data.prepare(load_run(synthetic_run))
    assert data.pairs_sampled == len(data.comparisons_ok)
    assert len(data.pairs) == 100 * 2  # 100 pairs x 2 measures


@pytest.mark.slow
def test_report_of_a_real_lfw_run(shared_data, tmp_path):
    """Score, compare and evaluate 60 LFW pairs with the real pipeline, then report."""
    from fiqa.evaluation.edc_run import edc_table, pauc_path
    from fiqa.evaluation.pairs import read_lfw_pairs
    from fiqa.evaluation.verify import compare_pairs
    from fiqa.runner import score_to_file

    root = shared_data / "lfw"
    pairs = read_lfw_pairs(shared_data / "lfw_pairs.txt")
    pairs = pd.concat([pairs.iloc[:30], pairs.iloc[300:330]], ignore_index=True)
    comparisons = compare_pairs(pairs, root=root)
    comparisons.to_csv(tmp_path / "comparisons.csv", index=False)
    images = sorted({*pairs.image_a, *pairs.image_b})
    score_to_file([root / name for name in images], tmp_path / "scores.csv",
                  measures=["Sharpness"])
    curves, summary = edc_table(comparisons, pd.read_csv(tmp_path / "scores.csv"),
                                measures=["Sharpness"], root=root, starting_error=0.1)
    curves.to_csv(tmp_path / "edc.csv", index=False)
    summary.to_csv(pauc_path(tmp_path / "edc.csv"), index=False)

    page = report.write_report(tmp_path, tmp_path / "report.html").read_text()
    for section in ("summary", "edc", "verification", "outcomes", "thumbnails"):
        assert f'<section id="{section}">' in page
    assert "unreadable" not in page  # thumbnails found the LFW files
    quality = pd.read_csv(tmp_path / "report_tables" / "quality.csv")
    assert len(quality) == len(images) and quality.scalar.notna().all()
