"""``fiqa train``: label errors are one line and exit status 2, before any data is read."""

from __future__ import annotations

from fiqa.cli import main


def test_unified_refuses_a_compression_label(tmp_path, capsys):
    assert main(["train", "unified", "--label", "ssim", "--data-dir", str(tmp_path)]) == 2
    assert "--label ssim is a compression label" in capsys.readouterr().err


def test_unified_unknown_label_suggests_the_closest(tmp_path, capsys):
    assert main(["train", "unified", "--label", "sdd+nrm", "--data-dir", str(tmp_path)]) == 2
    assert "did you mean 'norm'?" in capsys.readouterr().err


def test_unified_unknown_recognizer_source_is_named(tmp_path, capsys):
    assert main(["train", "unified", "--all-recognizer-sources", "cfp,lwf",
                 "--data-dir", str(tmp_path)]) == 2
    assert "unknown lwf; choose from cfp, cfp/degraded, lfw, lfw/degraded" in capsys.readouterr().err


def test_occlusion_names_the_missing_data_folders(tmp_path, capsys):
    (tmp_path / "lfw").mkdir()
    assert main(["train", "occlusion", "--data-dir", str(tmp_path)]) == 2
    assert "needs faces-hq/, cfp/ and lfw/" in capsys.readouterr().err


def test_occlusion_exclude_list_needs_a_path_column(tmp_path, capsys):
    listing = tmp_path / "labels.csv"
    listing.write_text("file,state\na.jpg,occluded\n")
    assert main(["train", "occlusion", "--exclude", str(listing), "--data-dir", str(tmp_path)]) == 2
    assert "needs a 'path' column" in capsys.readouterr().err
