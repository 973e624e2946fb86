from __future__ import annotations

import json

import pandas as pd
import pytest

from fiqa.cli import main
from fiqa.evaluation.pairs import read_pairs


@pytest.fixture(scope="module")
def pairs_csv(shared_data, tmp_path_factory):
    """3 mated pairs of 3 people and 5 non-mated LFW pairs (the sweep: the 3 mated pairs and
    3 non-mated ones built from their images; the 5 of the file fix the threshold with them)."""
    table = read_pairs(shared_data / "lfw_pairs.txt")
    few = pd.concat([table.iloc[[0, 1, 3]], table.iloc[300:305]], ignore_index=True)
    path = tmp_path_factory.mktemp("pairs") / "pairs.csv"
    few.drop(columns="fold").to_csv(path, index=False)
    return path


def test_stress_writes_the_run_folder(shared_data, pairs_csv, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["stress", "--pairs", str(pairs_csv), "--root", str(shared_data / "lfw"),
                 "--perturb", "jpeg,motion_blur", "--severities", "5", "--measures", "Sharpness",
                 "--profile", "none", "--seed", "3", "--limit", "3", "--threshold-pairs", "2",
                 "-o", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "jpeg             severity 5  FNMR" in printed and "(chroma_subsampling=True, quality=4)" in printed
    results = pd.read_csv(out / "results.csv", keep_default_na=False)
    assert results.columns.tolist() == ["model", "perturbation", "severity", "parameters",
                                        "metric", "measure", "value"]
    assert set(results["perturbation"]) == {"none", "jpeg", "motion_blur"}
    scores = pd.read_csv(out / "perturbed_scores.csv")
    assert {"perturbation", "severity", "image", "detected", "Sharpness.scalar"} <= set(scores)
    record = json.loads((out / "run.json").read_text())
    run = record["parameters"]
    assert record["kind"] == "stress" and record["seed"] == 3
    assert run["severities"] == [5] and run["apply"] == "probe" and run["face"] == "largest"
    assert run["pairs"]["non_mated"] == 3 and run["models"]["sface"]["non_mated"] == 5
    assert run["impostors"] == "probes" and run["images"]["perturbed_per_condition"] == 3
    assert len(record["models"]["sface"]["sha256"]) == 64 and record["packages"]["onnxruntime"]
    assert run["perturbations"]["jpeg"]["values"] == [50, 30, 15, 8, 4]
    page = (out / "report.html").read_text()
    assert "Stress test: recognition under perturbation" in page
    discard = pd.read_csv(out / "discard_fnmr.csv")
    assert set(discard["family"]) == {"jpeg", "motion_blur"} and set(discard["model"]) == {"sface"}
    assert "Discarding by quality: pooled over severities" in page
    assert "Example images per severity" in page


def test_unknown_perturbation_is_a_usage_error(shared_data, pairs_csv, tmp_path, capsys):
    code = main(["stress", "--pairs", str(pairs_csv), "--root", str(shared_data / "lfw"),
                 "--perturb", "jepg", "-o", str(tmp_path / "run")])
    assert code == 2
    error = capsys.readouterr().err
    assert "unknown perturbation 'jepg'. Did you mean 'jpeg'" in error
    assert not (tmp_path / "run").exists()


def test_bad_severities_are_a_usage_error(shared_data, pairs_csv, tmp_path, capsys):
    assert main(["stress", "--pairs", str(pairs_csv), "--root", str(shared_data / "lfw"),
                 "--perturb", "jpeg", "--severities", "0-9", "-o", str(tmp_path / "r")]) == 2
    assert "severities must lie in 1..5" in capsys.readouterr().err


def test_help_lists_the_severity_table(capsys):
    with pytest.raises(SystemExit):
        main(["stress", "--help"])
    assert "jpeg2000_size    target_kb: 4, 2, 1, 0.7, 0.5" in capsys.readouterr().out


def test_stress_groups_give_per_condition_fairness_tables(shared_data, pairs_csv, tmp_path):
    out = tmp_path / "run"
    assert main(["stress", "--pairs", str(pairs_csv), "--root", str(shared_data / "lfw"),
                 "--perturb", "darkness", "--severities", "4", "--measures",
                 "UnderExposurePrevention", "--profile", "lenient", "--limit", "3",
                 "--groups", "ita", "--bootstrap", "20", "--no-report", "-o", str(out)]) == 0
    ratios = pd.read_csv(out / "results_fairness_ratios.csv")
    assert {("none", 0), ("darkness", 4)} == set(zip(ratios["perturbation"], ratios["severity"]))
    assert {"reject_rate", "fnmr", "fmr"} <= set(ratios["metric"])
    scores = pd.read_csv(out / "perturbed_scores.csv")
    assert scores["IndividualTypologyAngle"].notna().any()  # the proxy was scored for it
