import json
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fiqa.engines import EngineOptions
from fiqa.runner import score_to_file

MEASURES = ["InterEyeDistance", "Sharpness", "HeadPoseYaw", "LuminanceMean"]


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory, sample_face):
    """Good faces, a face-less image, and every kind of bad file."""
    folder = tmp_path_factory.mktemp("inputs")
    Image.fromarray(sample_face).save(folder / "a_astronaut.png")
    Image.fromarray(sample_face[:, ::-1]).save(folder / "b_mirrored.jpg", quality=90)
    Image.fromarray(np.full((200, 200, 3), 90, np.uint8)).save(folder / "c_blank.png")
    (folder / "d_empty.jpg").write_bytes(b"")
    (folder / "e_text.png").write_text("not an image")
    data = (folder / "a_astronaut.png").read_bytes()
    (folder / "f_truncated.png").write_bytes(data[: len(data) // 3])
    return folder


def test_every_input_becomes_a_row_with_status(mixed_folder, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text(f"{mixed_folder / 'a_astronaut.png'}\n{tmp_path / 'missing.png'}\n")
    table = score_to_file([mixed_folder, listing], tmp_path / "out.csv", measures=MEASURES)
    status = dict(zip(table["path"].map(lambda p: p.rsplit("/", 1)[-1]), table["status"]))
    assert status == {"a_astronaut.png": "ok", "b_mirrored.jpg": "ok", "c_blank.png": "no_face",
                      "d_empty.jpg": "error", "e_text.png": "error", "f_truncated.png": "error",
                      "missing.png": "error"}
    errors = dict(zip(table["path"].map(lambda p: p.rsplit("/", 1)[-1]), table["error"]))
    assert "empty file" in errors["d_empty.jpg"]
    assert "not a recognised image format" in errors["e_text.png"]
    assert "file not found" in errors["missing.png"]
    assert errors["c_blank.png"] == "no face detected"
    ok = table[table["status"] == "ok"]
    assert ok["InterEyeDistance"].notna().all() and ok["Sharpness.scalar"].between(0, 100).all()
    assert table.columns[:4].tolist() == ["path", "status", "error", "face_count"]
    meta = json.loads((tmp_path / "out.csv.run.json").read_text())
    assert meta["kind"] == "score" and meta["models"]["detector"]["sha256"].startswith("49f000ec")
    assert meta["status_counts"] == {"error": 4, "ok": 3, "no_face": 1}  # a_astronaut twice


class Stop(Exception):
    pass


def _stop_after_first_batch(rows):
    raise Stop


def test_resume_skips_done_files_and_matches_a_single_run(mixed_folder, tmp_path):
    files = sorted(mixed_folder.iterdir())
    whole = score_to_file(files, tmp_path / "whole.csv", measures=MEASURES)
    partial = tmp_path / "resumed.csv"
    with pytest.raises(Stop):
        score_to_file(files, partial, measures=MEASURES,
                      options=EngineOptions(batch_size=3), on_rows=_stop_after_first_batch)
    resumed = score_to_file(files, partial, measures=MEASURES)
    meta = json.loads((tmp_path / "resumed.csv.run.json").read_text())
    assert meta["results"]["skipped_as_done"] == 3
    pd.testing.assert_frame_equal(whole, resumed)


def test_output_holds_exactly_this_commands_inputs(mixed_folder, tmp_path, sample_face):
    folder = tmp_path / "d"
    folder.mkdir()
    for path in sorted(mixed_folder.iterdir())[:3]:
        shutil.copy(path, folder / path.name)
    out = tmp_path / "o.csv"
    first = score_to_file([folder], out, measures=MEASURES)
    assert first["status"].tolist()[:2] == ["ok", "ok"]
    only = score_to_file([folder / "c_blank.png"], out, measures=MEASURES)
    assert only["path"].tolist() == [str(folder / "c_blank.png")]  # was: merged, 3 rows
    shutil.copy(folder / "c_blank.png", folder / "a_astronaut.png")  # the face becomes a blank
    again = score_to_file([folder], out, measures=MEASURES)
    assert again["status"].tolist() == ["no_face", "ok", "no_face"]  # was: still "ok"
    a, missing = str(folder / "a_astronaut.png"), str(tmp_path / "missing.jpg")
    b = str(folder / "b_mirrored.jpg")
    dup = score_to_file([a, missing, b, a], tmp_path / "dup.csv", measures=MEASURES)
    assert dup["path"].tolist() == [a, missing, b, a]  # was: 3 rows, a moved to the end
    assert pd.read_csv(tmp_path / "dup.csv")["path"].tolist() == [a, missing, b, a]


def test_files_skipped_in_folders_are_listed_with_the_reason(tmp_path, sample_face):
    Image.fromarray(sample_face).save(tmp_path / "face.gif")
    (tmp_path / "notes.md").write_text("x")
    table = score_to_file([tmp_path], tmp_path / "out.csv", measures=MEASURES)
    assert table["path"].tolist() == [str(tmp_path / "face.gif")]
    assert table["status"].tolist() == ["ok"]
    meta = json.loads((tmp_path / "out.csv.run.json").read_text())
    assert meta["results"]["skipped"] == [{"path": str(tmp_path / "notes.md"),
                                "reason": "not an image file ending (.md)"}]


def test_two_worker_processes_give_the_same_rows(mixed_folder, tmp_path):
    files = sorted(mixed_folder.iterdir())
    one = score_to_file(files, tmp_path / "one.csv", measures=MEASURES)
    two = score_to_file(files, tmp_path / "two.csv", measures=MEASURES,
                        options=EngineOptions(workers=2, batch_size=2))
    pd.testing.assert_frame_equal(one, two)


@pytest.mark.slow
def test_killed_run_resumes_with_nothing_lost_or_duplicated(lfw_image_paths, tmp_path):
    folder = tmp_path / "faces"
    folder.mkdir()
    for path in lfw_image_paths:
        shutil.copy(path, folder / path.name)
    reference = score_to_file([folder], tmp_path / "reference.csv", measures=MEASURES,
                              options=EngineOptions(batch_size=4))
    out = tmp_path / "killed.csv"
    command = [sys.executable, "-m", "fiqa.cli", "score", str(folder), "-o", str(out),
               "--measures", ",".join(MEASURES), "--batch-size", "4", "--no-progress"]
    process = subprocess.Popen(command)
    journal = tmp_path / "killed.csv.partial.csv"
    deadline = time.time() + 120
    while time.time() < deadline and (not journal.exists() or journal.read_text().count("\n") < 10):
        time.sleep(0.05)
    process.kill()
    process.wait()
    assert not out.exists(), "the run finished before it could be killed"
    assert subprocess.run(command, check=False).returncode == 0
    resumed = pd.read_csv(out, dtype={"error": str}).fillna({"error": ""})
    expected = reference.fillna({"error": ""})
    pd.testing.assert_frame_equal(resumed, expected, check_dtype=False)


@pytest.mark.parametrize("out,format,message", [
    ("out.xlsx", None, "unsupported ending '.xlsx'"), ("out", None, "no file ending"),
    ("x.parquet", "ofiq", "--format ofiq writes .csv or .txt files"),
])
def test_bad_output_names_are_refused_before_any_work(mixed_folder, tmp_path, out, format,
                                                      message):
    with pytest.raises(ValueError, match=message):
        score_to_file([mixed_folder], tmp_path / out, format=format)
    assert list(tmp_path.iterdir()) == []
