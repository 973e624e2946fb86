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
    assert meta["status_counts"] == {"error": 4, "ok": 2, "no_face": 1}


def test_resume_skips_done_files_and_matches_a_single_run(mixed_folder, tmp_path):
    files = sorted(mixed_folder.iterdir())
    whole = score_to_file(files, tmp_path / "whole.csv", measures=MEASURES)
    partial = tmp_path / "resumed.csv"
    score_to_file(files[:3], partial, measures=MEASURES)
    resumed = score_to_file(files, partial, measures=MEASURES)
    meta = json.loads((tmp_path / "resumed.csv.run.json").read_text())
    assert meta["results"]["skipped_as_done"] == 3
    pd.testing.assert_frame_equal(whole, resumed)


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
