from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fiqa.evaluation.embeddings import embed_images
from fiqa.evaluation.pairs import read_pairs
from fiqa.evaluation.verify import compare_pairs, metrics_path, verify_to_file
from fiqa.recognition import sface


@pytest.fixture(scope="module")
def embedder():
    return sface()


@pytest.fixture(scope="module")
def lfw_pairs(shared_data):
    table = read_pairs(shared_data / "lfw_pairs.txt")
    return pd.concat([table.iloc[0:6], table.iloc[300:306]], ignore_index=True)  # fold 1


def test_scores_are_cosines_of_the_embeddings(shared_data, lfw_pairs, embedder):
    out = compare_pairs(lfw_pairs, root=shared_data / "lfw", embedder=embedder, progress=False)
    assert out.columns.tolist() == ["image_a", "image_b", "same", "fold", "score", "status",
                                    "error"]
    assert (out["status"] == "ok").all() and (out["error"] == "").all()
    table = embed_images([shared_data / "lfw" / out.loc[0, p] for p in ("image_a", "image_b")],
                         embedder=embedder, progress=False)
    assert out.loc[0, "score"] == pytest.approx(float(table.embeddings[0] @ table.embeddings[1]),
                                                abs=1e-6)
    mated, non_mated = out.loc[out["same"], "score"], out.loc[~out["same"], "score"]
    assert mated.min() > non_mated.max()  # these 12 LFW pairs are easy for SFace


def test_identical_images_score_one_and_failures_keep_a_row(shared_data, lfw_pairs, embedder):
    name = lfw_pairs.loc[0, "image_a"]
    pairs = pd.DataFrame({"image_a": [name, name, "nobody/nobody_0001.jpg"],
                          "image_b": [name, "nobody/nobody_0002.jpg", name],
                          "same": [True, False, False], "protocol": ["X", "Y", "Z"]})
    out = compare_pairs(pairs, root=shared_data / "lfw", embedder=embedder, progress=False)
    assert out.loc[0, "score"] == pytest.approx(1.0, abs=1e-5)
    assert out["status"].tolist() == ["ok", "error", "error"]
    assert np.isnan(out.loc[1:, "score"]).all()
    assert out.loc[1, "error"].startswith("image_b: file not found")
    assert out.loc[2, "error"].startswith("image_a: file not found")
    assert out["protocol"].tolist() == ["X", "Y", "Z"]


def test_missing_columns_are_reported(embedder, tmp_path):
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['same'\]"):
        compare_pairs(pd.DataFrame({"image_a": [], "image_b": []}), root=tmp_path,
                      embedder=embedder)


def test_verify_to_file_writes_table_and_metrics(shared_data, lfw_pairs, tmp_path):
    few = lfw_pairs.iloc[[0, 1, 6, 7]]
    pairs_csv = tmp_path / "pairs.csv"
    few.to_csv(pairs_csv, index=False)
    out = tmp_path / "run" / "scores.csv"
    comparisons, report = verify_to_file(out, root=shared_data / "lfw", pairs=pairs_csv,
                                         progress=False)
    written = pd.read_csv(out, keep_default_na=False)
    assert written.columns.tolist() == comparisons.columns.tolist()
    assert written["same"].tolist() == [True, True, False, False]
    stored = json.loads(metrics_path(out).read_text())
    assert metrics_path(out).name == "scores.metrics.json"
    assert stored["root"] == str((shared_data / "lfw").resolve())
    assert stored["model"]["name"] == "sface"
    assert stored["metrics"]["all"]["pairs"] == 4 and stored["metrics"]["all"]["eer"] == 0.0
    assert stored["metrics"]["all"]["fnmr_at_fmr"][0]["fnmr"] is None  # strict JSON null
    assert report["metrics"] == stored["metrics"]
    with pytest.raises(ValueError, match="either a pairs file"):
        verify_to_file(out, root=shared_data / "lfw")
