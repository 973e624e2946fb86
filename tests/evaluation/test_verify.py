from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fiqa.engines import EngineOptions
from fiqa.evaluation.embeddings import embed_files
from fiqa.evaluation.pairs import read_pairs
from fiqa.evaluation.verify import compare_pairs, verify_to_file
from fiqa.runs import RECORD_KEYS, record_path


@pytest.fixture(scope="module")
def lfw_pairs(shared_data):
    table = read_pairs(shared_data / "lfw_pairs.txt")
    return pd.concat([table.iloc[0:6], table.iloc[300:306]], ignore_index=True)  # fold 1


def test_scores_are_cosines_of_the_embeddings(shared_data, lfw_pairs):
    out = compare_pairs(lfw_pairs, root=shared_data / "lfw")
    assert out.columns.tolist() == ["image_a", "image_b", "same", "fold", "score", "status",
                                    "error"]
    assert (out["status"] == "ok").all() and (out["error"] == "").all()
    table = embed_files([shared_data / "lfw" / out.loc[0, p] for p in ("image_a", "image_b")])[
        "sface"]
    assert out.loc[0, "score"] == pytest.approx(float(table.embeddings[0] @ table.embeddings[1]),
                                                abs=1e-6)
    mated, non_mated = out.loc[out["same"], "score"], out.loc[~out["same"], "score"]
    assert mated.min() > non_mated.max()  # these 12 LFW pairs are easy for SFace


def test_worker_processes_and_the_central_rule(shared_data, lfw_pairs):
    local = compare_pairs(lfw_pairs, root=shared_data / "lfw")
    workers = compare_pairs(lfw_pairs, root=shared_data / "lfw",
                            options=EngineOptions(workers=2, batch_size=5))
    pd.testing.assert_frame_equal(local, workers)
    central = compare_pairs(lfw_pairs, root=shared_data / "lfw", face="central")
    assert central["status"].eq("ok").all()


def test_identical_images_score_one_and_failures_keep_a_row(shared_data, lfw_pairs):
    name = lfw_pairs.loc[0, "image_a"]
    pairs = pd.DataFrame({"image_a": [name, name, "nobody/nobody_0001.jpg"],
                          "image_b": [name, "nobody/nobody_0002.jpg", name],
                          "same": [True, False, False], "protocol": ["X", "Y", "Z"]})
    out = compare_pairs(pairs, root=shared_data / "lfw")
    assert out.loc[0, "score"] == pytest.approx(1.0, abs=1e-5)
    assert out["status"].tolist() == ["ok", "error", "error"]
    assert np.isnan(out.loc[1:, "score"]).all()
    assert out.loc[1, "error"].startswith("image_b: file not found")
    assert out.loc[2, "error"].startswith("image_a: file not found")
    assert out["protocol"].tolist() == ["X", "Y", "Z"]


def test_missing_columns_are_reported(tmp_path):
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['same'\]"):
        compare_pairs(pd.DataFrame({"image_a": [], "image_b": []}), root=tmp_path)


def test_verify_to_file_writes_table_and_metrics(shared_data, lfw_pairs, tmp_path):
    few = lfw_pairs.iloc[[0, 1, 6, 7]]
    pairs_csv = tmp_path / "pairs.csv"
    few.to_csv(pairs_csv, index=False)
    out = tmp_path / "run" / "scores.csv"
    comparisons, record = verify_to_file(out, root=shared_data / "lfw", pairs=pairs_csv,
                                         face="central")
    written = pd.read_csv(out, keep_default_na=False)
    assert written.columns.tolist() == comparisons.columns.tolist()
    assert written["same"].tolist() == [True, True, False, False]
    stored = json.loads(record_path(out).read_text())
    assert record_path(out).name == "scores.csv.run.json"
    assert tuple(stored) == RECORD_KEYS and stored["kind"] == "verify"
    assert stored["parameters"]["root"] == str((shared_data / "lfw").resolve())
    assert stored["parameters"]["face"] == "central"
    assert stored["models"]["sface"]["sha256"]
    metrics = stored["results"]["metrics"]
    assert metrics["all"]["pairs"] == 4 and metrics["all"]["eer"] == 0.0
    assert metrics["all"]["fnmr_at_fmr"][0]["fnmr"] is None  # strict JSON null
    assert record["results"] == stored["results"]
    with pytest.raises(ValueError, match="either a pairs file"):
        verify_to_file(out, root=shared_data / "lfw")
