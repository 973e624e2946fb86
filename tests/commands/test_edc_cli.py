from __future__ import annotations

import pandas as pd
import pytest

from fiqa.cli import main
from fiqa.evaluation.pairs import read_pairs


@pytest.fixture(scope="module")
def verified(shared_data, tmp_path_factory):
    """``fiqa verify`` on 12 real LFW pairs, and a hand-made ``fiqa score`` table."""
    folder = tmp_path_factory.mktemp("edc_cli")
    table = read_pairs(shared_data / "lfw_pairs.txt")
    pairs = pd.concat([table.iloc[0:6], table.iloc[300:306]], ignore_index=True)
    pairs.to_csv(folder / "pairs.csv", index=False)
    comparisons = folder / "scores.csv"
    assert main(["verify", "--pairs", str(folder / "pairs.csv"), "--root",
                 str(shared_data / "lfw"), "-o", str(comparisons), "--no-progress"]) == 0
    images = sorted(set(pairs["image_a"]) | set(pairs["image_b"]))
    quality = pd.DataFrame({
        "path": [str(shared_data / "lfw" / image) for image in images],
        "status": "ok", "error": "", "face_count": 1,
        "Sharpness": [index / 10 for index in range(len(images))],
        "Sharpness.scalar": [float(index) for index in range(len(images))],
    })
    quality.to_csv(folder / "quality.csv", index=False)
    return folder, comparisons, folder / "quality.csv"


def test_edc_end_to_end(verified, capsys):
    folder, comparisons, quality = verified
    out = folder / "edc.csv"
    assert main(["edc", "--comparisons", str(comparisons), "--quality", str(quality),
                 "--measure", "sharpness", "--starting-error", "0.2", "-o", str(out)]) == 0
    curves = pd.read_csv(out)
    assert curves.columns.tolist()[:5] == ["measure", "kind", "discard_fraction", "fnmr", "fmr"]
    assert set(curves["measure"]) == {"Sharpness", "random", "perfect"}
    assert set(curves["variant"]) == {"edc"}
    for _, curve in curves.groupby("measure"):
        assert curve["discard_fraction"].iloc[0] == 0
        assert curve["discard_fraction"].is_monotonic_increasing
        assert curve["threshold"].nunique() == 1  # fixed once
    pauc = pd.read_csv(folder / "edc_pauc.csv")
    assert pauc["measure"].tolist() == ["Sharpness", "random", "perfect"]
    assert (pauc["column"].fillna("") == ["Sharpness.scalar", "", ""]).all()
    assert pauc["pauc"].notna().all() and (pauc["missing_quality"] == 0).all()
    printed = capsys.readouterr().out
    assert "EDC: pAUC up to discard 0.2" in printed and "perfect" in printed


def test_edc_erc_variant_and_relative_quality_paths(verified, shared_data, capsys):
    folder, comparisons, quality = verified
    relative = folder / "quality_relative.csv"
    table = pd.read_csv(quality)
    table["path"] = table["path"].str.replace(str(shared_data) + "/", "", regex=False)
    table.to_csv(relative, index=False)
    out = folder / "erc.csv"
    assert main(["edc", "--comparisons", str(comparisons), "--quality", str(relative),
                 "--measure", "Sharpness", "--quality-base", str(shared_data), "--fmr", "0.2",
                 "--erc", "-o", str(out)]) == 0
    curves = pd.read_csv(out)
    assert set(curves["variant"]) == {"erc"}
    assert (pd.read_csv(folder / "erc_pauc.csv")["missing_quality"] == 0).all()


def test_edc_user_errors(verified, capsys):
    folder, comparisons, quality = verified
    common = ["edc", "--comparisons", str(comparisons), "--quality", str(quality),
              "-o", str(folder / "x.csv")]
    assert main(common + ["--measure", "all"]) == 0  # every measure of the quality table
    assert pd.read_csv(folder / "x_pauc.csv")["measure"].tolist() == ["Sharpness", "random",
                                                                      "perfect"]
    assert main(common + ["--measure", "HeadPoseYaw"]) == 2
    assert "measures present: ['Sharpness']" in capsys.readouterr().err
    assert main(common + ["--measure", "Sharpness", "--fmr", "1e-3"]) == 2
    assert "needs at least 1000 non-mated comparisons, have 6" in capsys.readouterr().err
    assert main(common + ["--measure", "Sharpness", "--protocol", "FP"]) == 2
    assert "has no protocol column" in capsys.readouterr().err


def test_edc_with_groups_compares_fnmr_and_pauc(verified, capsys):
    folder, comparisons, quality = verified
    table = pd.read_csv(quality)
    groups = folder / "groups.csv"
    pd.DataFrame({"path": table["path"], "initial": [
        "A-L" if p.split("/")[-2][0] <= "L" else "M-Z" for p in table["path"]]}).to_csv(
        groups, index=False)
    out = folder / "edc_groups.csv"
    assert main(["edc", "--comparisons", str(comparisons), "--quality", str(quality),
                 "--measure", "sharpness", "--starting-error", "0.2", "-o", str(out),
                 "--groups", str(groups), "--bootstrap", "50"]) == 0
    printed = capsys.readouterr().out
    assert "FNMR and FMR at the fixed threshold" in printed and "edc_pauc:Sharpness" in printed
    ratios = pd.read_csv(folder / "edc_groups_fairness_ratios.csv")
    assert {"fnmr", "fmr", "edc_pauc"} <= set(ratios["metric"])
