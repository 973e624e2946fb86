from __future__ import annotations

import json

import pandas as pd
import pytest

from fiqa.cli import main
from fiqa.evaluation.pairs import read_pairs

COLUMNS = ["image_a", "image_b", "same", "score", "status", "error"]


@pytest.fixture(scope="module")
def few_pairs(shared_data):
    table = read_pairs(shared_data / "lfw_pairs.txt")
    return pd.concat([table.iloc[0:2], table.iloc[300:302]], ignore_index=True)


def test_verify_csv_pairs(shared_data, few_pairs, tmp_path, capsys):
    pairs = tmp_path / "pairs.csv"
    few_pairs.drop(columns="fold").to_csv(pairs, index=False)
    out = tmp_path / "scores.csv"
    assert main(["verify", "--pairs", str(pairs), "--root", str(shared_data / "lfw"),
                 "-o", str(out), "--no-progress"]) == 0
    table = pd.read_csv(out, keep_default_na=False)
    assert table.columns.tolist() == COLUMNS
    assert table["status"].eq("ok").all()
    assert table["same"].tolist() == [True, True, False, False]
    printed = capsys.readouterr().out
    assert "all: 4 pairs (2 mated, 2 non-mated, 0 failed)" in printed
    assert "FNMR@FMR=0.001: n/a (FMR 0.001 needs at least 1000 non-mated" in printed
    metrics = json.loads((tmp_path / "scores.csv.run.json").read_text())["results"]["metrics"]
    assert metrics["all"]["mated"] == 2


def test_verify_lfw_pairs_txt_format(shared_data, few_pairs, tmp_path, capsys):
    lines = ["1\t2"]
    for row in few_pairs.itertuples():
        name_a, index_a = row.image_a.split("/")[0], int(row.image_a[-8:-4])
        name_b, index_b = row.image_b.split("/")[0], int(row.image_b[-8:-4])
        lines.append(f"{name_a}\t{index_a}\t{index_b}" if row.same
                     else f"{name_a}\t{index_a}\t{name_b}\t{index_b}")
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("\n".join(lines) + "\n")
    out = tmp_path / "scores.csv"
    assert main(["verify", "--pairs", str(pairs), "--root", str(shared_data / "lfw"),
                 "-o", str(out), "--no-progress", "--face", "central"]) == 0
    table = pd.read_csv(out)
    assert table.columns.tolist() == COLUMNS[:3] + ["fold"] + COLUMNS[3:]
    record = json.loads((tmp_path / "scores.csv.run.json").read_text())
    assert record["parameters"]["face"] == "central"
    assert table["image_a"].tolist() == few_pairs["image_a"].tolist()


def test_verify_all_pairs_from_identity_folders(shared_data, tmp_path, capsys):
    root = tmp_path / "people"
    for name in ("Aaron_Peirsol", "Abdullah"):
        (root / name).mkdir(parents=True)
        for source in sorted((shared_data / "lfw" / name).glob("*.jpg"))[:2]:
            (root / name / source.name).symlink_to(source)
    out = tmp_path / "scores.csv"
    assert main(["verify", "--all-pairs", "--root", str(root), "-o", str(out), "--cap", "3",
                 "--seed", "1", "--no-progress"]) == 0
    table = pd.read_csv(out)
    assert table["same"].tolist() == [True, True, False, False, False]
    assert (table.loc[table["same"], "score"].min() > table.loc[~table["same"], "score"].max())


def test_verify_reports_user_errors(tmp_path, capsys):
    code = main(["verify", "--pairs", str(tmp_path / "none.csv"), "--root", str(tmp_path),
                 "-o", str(tmp_path / "o.csv")])
    assert code == 2
    assert "pairs file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["verify", "--root", str(tmp_path), "-o", str(tmp_path / "o.csv")])


def test_verify_with_dlib_records_its_models(shared_data, few_pairs, tmp_path, capsys):
    pytest.importorskip("dlib", reason="the dlib recognizer needs the extra fiqa[dlib]")
    pairs = tmp_path / "pairs.csv"
    few_pairs.drop(columns="fold").to_csv(pairs, index=False)
    out = tmp_path / "dlib.csv"
    assert main(["verify", "--pairs", str(pairs), "--root", str(shared_data / "lfw"),
                 "--model", "dlib", "-o", str(out), "--no-progress"]) == 0
    table = pd.read_csv(out)
    assert table["status"].eq("ok").all()
    mated, non_mated = table.loc[table["same"], "score"], table.loc[~table["same"], "score"]
    assert mated.min() > non_mated.max()
    model = json.loads((tmp_path / "dlib.csv.run.json").read_text())["models"]["dlib"]
    assert model["name"] == "dlib" and len(model["shape_predictor_sha256"]) == 64


def test_unknown_model_is_one_line_with_a_suggestion(shared_data, tmp_path, capsys):
    assert main(["verify", "--pairs", str(shared_data / "lfw_pairs.txt"), "--root",
                 str(shared_data / "lfw"), "--model", "dlb", "-o", str(tmp_path / "x.csv")]) == 2
    assert "did you mean 'dlib'?" in capsys.readouterr().err
