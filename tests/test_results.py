import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from fiqa.results import ResultsFile, journalled_rows

COLUMNS = ["path", "status", "error", "face_count", "M", "M.scalar"]
IDENTITY = {"measures": ["M"], "model": "abc"}


def rows(names, value=1.0):
    return [{"path": str(n), "status": "ok", "error": "", "face_count": 1, "M": value,
             "M.scalar": 50.0} for n in names]


def run(out, inputs, *, identity=IDENTITY, value=1.0, stop_after=None, resume="auto", **kwargs):
    """Score ``inputs`` into ``out`` with a fake scorer; ``stop_after`` batches then 'crash'."""
    results = ResultsFile(out, columns=COLUMNS, **kwargs)
    with results:
        results.open(inputs, identity=identity, resume=resume)
        todo = results.todo
        for index, start in enumerate(range(0, len(todo), 2)):
            if index == stop_after:
                return results
            results.append(rows(todo[start:start + 2], value))
        results.finish({"note": "x"})
    return results


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    paths = []
    for name in "abcdef":
        (folder / f"{name}.jpg").write_bytes(name.encode() * 10)
        paths.append(str(folder / f"{name}.jpg"))
    return paths


def test_finish_writes_input_order_and_removes_the_journal(tmp_path, files):
    results = run(tmp_path / "out.csv", files[::-1])
    assert pd.read_csv(tmp_path / "out.csv")["path"].tolist() == files[::-1]
    assert not results.journal.exists() and not results.journal_meta.exists()
    assert not results.lock.path.exists()
    meta = json.loads(results.meta_path.read_text())
    assert meta["results"]["rows"] == 6 and meta["status_counts"] == {"ok": 6}
    assert meta["note"] == "x"


def test_a_rerun_with_other_inputs_holds_only_those_inputs(tmp_path, files):
    out = tmp_path / "out.csv"
    run(out, files[:4])
    run(out, files[4:])  # was: merged into 6 rows
    assert pd.read_csv(out)["path"].tolist() == files[4:]
    run(out, files[:4], stop_after=1)  # killed after one batch
    run(out, files[2:])  # was: the journal's rows joined the new ones
    assert pd.read_csv(out)["path"].tolist() == files[2:]


def test_duplicate_inputs_give_a_row_at_each_place(tmp_path, files):
    inputs = [files[0], str(tmp_path / "missing.jpg"), files[1], files[0]]
    results = ResultsFile(tmp_path / "dup.csv", columns=COLUMNS)
    with results:
        todo = results.open(inputs, identity=IDENTITY)
        assert todo == inputs[:3]  # scored once
        results.append(rows(todo))
        table = results.finish({})
    assert table["path"].tolist() == inputs
    assert pd.read_csv(tmp_path / "dup.csv")["path"].tolist() == inputs


def test_a_killed_run_resumes_only_unchanged_files(tmp_path, files):
    out = tmp_path / "out.csv"
    killed = run(out, files, stop_after=2)  # 4 rows journalled
    assert killed.journalled == journalled_rows(out) == 4 and not out.exists()
    with open(killed.journal, "a") as handle:
        handle.write(f"{files[4]},ok,,1,0.")  # torn last row
    with open(files[0], "ab") as handle:
        handle.write(b"now a cat")  # a changed image is scored again
    os.utime(files[1], ns=(1, 1))  # touched, same bytes: kept
    resumed = ResultsFile(out, columns=COLUMNS)
    with resumed:
        todo = resumed.open(files, identity=IDENTITY)
        assert todo == [files[0], files[4], files[5]]
        assert resumed.changed == [files[0]]
        resumed.append(rows(todo, value=2.0))
        table = resumed.finish({})
    assert table["path"].tolist() == files
    assert table["M"].tolist() == [2.0] + [1.0] * 3 + [2.0, 2.0]


def test_a_run_killed_before_its_first_row_resumes(tmp_path, files):
    out = tmp_path / "out.csv"
    killed = run(out, files, stop_after=0)  # the journal holds its header only
    assert killed.journalled == journalled_rows(out) == 0
    resumed = ResultsFile(out, columns=COLUMNS)
    with resumed:
        assert resumed.open(files, identity=IDENTITY) == files
        assert resumed.note == "resumed 0 journalled rows"
        resumed.append(rows(files))
        assert resumed.finish({})["path"].tolist() == files


def test_other_parameters_start_fresh_or_refuse(tmp_path, files):
    out = tmp_path / "out.csv"
    run(out, files, stop_after=1)
    other = {"measures": ["M"], "model": "def"}
    with ResultsFile(out, columns=COLUMNS) as results, pytest.raises(
            ValueError, match=r"cannot resume .*parameters differ \(model\)"):
        results.open(files, identity=other, resume="require")
    with ResultsFile(out, columns=COLUMNS) as results:
        assert results.open(files, identity=other) == files
        assert "started fresh" in results.note and "model" in results.note
    with ResultsFile(out, columns=COLUMNS) as results, pytest.raises(ValueError, match="inputs differ"):
        results.open(files[:3], identity=other, resume="require")


def test_never_resumes_when_told(tmp_path, files):
    out = tmp_path / "out.csv"
    run(out, files, stop_after=1)
    with ResultsFile(out, columns=COLUMNS) as results:
        assert results.open(files, identity=IDENTITY, resume="never") == files


def test_finish_refuses_while_inputs_lack_rows(tmp_path, files):
    with ResultsFile(tmp_path / "out.csv", columns=COLUMNS) as results:
        results.open(files, identity=IDENTITY)
        results.append(rows(files[:2]))
        with pytest.raises(ValueError, match="4 inputs have no row yet"):
            results.finish({})


LOCKER = """
import sys, time
from fiqa.results import ResultsFile, journalled_rows
results = ResultsFile(sys.argv[1], columns=["path", "status", "error"])
results.__enter__()
print("locked", flush=True)
time.sleep(60)
"""


def test_a_second_run_on_the_same_output_fails_at_once(tmp_path, files):
    out = tmp_path / "out.csv"
    holder = subprocess.Popen([sys.executable, "-c", LOCKER, str(out)], stdout=subprocess.PIPE,
                              text=True, cwd=os.getcwd())
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ValueError, match=rf"another fiqa run \(pid {holder.pid}\) is writing"):
            ResultsFile(out, columns=COLUMNS).__enter__()
    finally:
        holder.kill()
        holder.wait()
    run(out, files)  # the kernel dropped the dead holder's lock: no stale lock
    assert len(pd.read_csv(out)) == 6


def test_writes_leave_no_temporary_files(tmp_path, files):
    run(tmp_path / "out.parquet", files)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out.parquet",
                                                          "out.parquet.run.json"]
    assert pd.read_parquet(tmp_path / "out.parquet")["path"].tolist() == files


def test_ofiq_layout_and_failures_in_sidecar(tmp_path):
    failed = {"path": "bad", "status": "error", "error": "empty file", "face_count": 0,
              "M": np.nan, "M.scalar": np.nan}
    with ResultsFile(tmp_path / "out.txt", columns=COLUMNS, format="ofiq") as out:
        out.open(["a", "bad"], identity=IDENTITY)
        out.append(rows(["a"]) + [failed])
        out.finish({})
    text = (tmp_path / "out.txt").read_text().splitlines()
    assert text[0] == "Filename;M;M.scalar"
    assert text[1] == "a;1.0;50.0"
    assert json.loads(out.meta_path.read_text())["results"]["failures"] == {"bad": "empty file"}


def test_formula_like_paths_are_kept_exactly(tmp_path):
    """Cells are data joined on by path: written unchanged (see fiqa.results on spreadsheets)."""
    names = ["=HYPERLINK(x).jpg", "+1.jpg", "-2.jpg", "@SUM(A1).jpg", "NA", "null"]
    with ResultsFile(tmp_path / "out.csv", columns=COLUMNS) as out:
        out.open(names, identity=IDENTITY)
        out.append(rows(out.todo))
        assert out.finish({})["path"].tolist() == names
    written = pd.read_csv(tmp_path / "out.csv", dtype={"path": str}, keep_default_na=False)
    assert written["path"].tolist() == names


@pytest.mark.parametrize("name,format,message", [
    ("x.csv", "xlsx", "unknown output format"),
    ("x.csv", "parquet", "--format parquet writes .parquet files"),
    ("x.parquet", "ofiq", "--format ofiq writes .csv or .txt files"),
    ("x.xlsx", None, "unsupported ending '.xlsx'"),
    ("x", None, "no file ending"),
])
def test_bad_format_requests(tmp_path, name, format, message):
    with pytest.raises(ValueError, match=message):
        ResultsFile(tmp_path / name, columns=COLUMNS, format=format)
