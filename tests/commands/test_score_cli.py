import json

import pandas as pd
from PIL import Image

from fiqa.cli import main


def test_score_writes_csv_parquet_and_ofiq_layouts(tmp_path, sample_face, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(sample_face).save(folder / "face.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff")
    measures = "Sharpness,HeadPoseYaw"
    assert main(["score", str(folder), "-o", str(tmp_path / "s.csv"), "--measures", measures,
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "wrote 2 rows" in out and "not scored" not in out
    table = pd.read_csv(tmp_path / "s.csv")
    assert table.columns.tolist() == ["path", "status", "error", "face_count", "Sharpness",
                                      "Sharpness.scalar", "HeadPoseYaw", "HeadPoseYaw.scalar"]
    assert table["status"].tolist() == ["error", "ok"]  # sorted: broken.jpg, face.png
    assert main(["score", str(folder), "-o", str(tmp_path / "s.parquet"), "--measures", measures,
                 "--no-progress"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s.parquet").drop(columns="error"),
                                  table.drop(columns="error"))
    assert main(["score", str(folder), "-o", str(tmp_path / "ofiq.txt"), "--format", "ofiq",
                 "--measures", measures, "--no-progress"]) == 0
    header = (tmp_path / "ofiq.txt").read_text().splitlines()[0]
    assert header == "Filename;Sharpness;HeadPoseYaw;Sharpness.scalar;HeadPoseYaw.scalar"
    meta = json.loads((tmp_path / "ofiq.txt.run.json").read_text())
    assert list(meta["results"]["failures"]) == [str(folder / "broken.jpg")]


def test_score_reports_bad_measure_names(tmp_path, capsys):
    assert main(["score", str(tmp_path), "-o", str(tmp_path / "x.csv"), "--measures", "Sharpnes"]) == 2
    assert "Did you mean 'Sharpness'" in capsys.readouterr().err


def test_score_reports_empty_inputs(tmp_path, capsys):
    assert main(["score", str(tmp_path), "-o", str(tmp_path / "x.csv")]) == 2
    assert "no image files found" in capsys.readouterr().err


def test_score_says_what_the_folder_search_left_out(tmp_path, sample_face, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(sample_face).save(folder / "face.png")
    (folder / "notes.txt").write_text("not a face")
    assert main(["score", str(folder), "-o", str(tmp_path / "s.csv"), "--measures", "Sharpness",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("wrote 1 rows")
    assert out[1] == (f"not scored: 1 other entry in the folders (first: {folder / 'notes.txt'}, "
                      "not an image file ending (.txt)); all are listed under results.skipped "
                      f"in {tmp_path / 's.csv.run.json'}")
