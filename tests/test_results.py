import json

import numpy as np
import pandas as pd
import pytest

from fiqa.results import ResultsFile

COLUMNS = ["path", "status", "error", "face_count", "M", "M.scalar"]


def rows(names, value=1.0):
    return [{"path": n, "status": "ok", "error": "", "face_count": 1, "M": value, "M.scalar": 50.0}
            for n in names]


def test_append_then_finish_orders_by_input_and_removes_journal(tmp_path):
    out = ResultsFile(tmp_path / "out.csv", columns=COLUMNS)
    out.append(rows(["c", "a"]))
    out.append(rows(["b"]))
    assert out.done() == {"a", "b", "c"}
    table = out.finish(["a", "b", "c"], {"note": "x"})
    assert table["path"].tolist() == ["a", "b", "c"]
    assert not out.journal.exists()
    meta = json.loads(out.meta_path.read_text())
    assert meta["results"]["rows"] == 3 and meta["status_counts"] == {"ok": 3}
    assert meta["note"] == "x"
    assert pd.read_csv(tmp_path / "out.csv")["path"].tolist() == ["a", "b", "c"]


def test_torn_last_line_of_a_killed_run_is_dropped(tmp_path):
    out = ResultsFile(tmp_path / "out.csv", columns=COLUMNS)
    out.append(rows(["a", "b"]))
    with open(out.journal, "a") as handle:
        handle.write("c,ok,,1,0.")  # killed mid-write
    assert out.done() == {"a", "b"}
    out.append(rows(["c"]))  # the resumed run starts on a fresh line
    assert out.finish(["a", "b", "c"], {})["M"].tolist() == [1.0, 1.0, 1.0]


def test_resume_over_finished_output_and_column_mismatch(tmp_path):
    out = ResultsFile(tmp_path / "out.parquet", columns=COLUMNS)
    out.append(rows(["a"]))
    out.finish(["a"], {})
    again = ResultsFile(tmp_path / "out.parquet", columns=COLUMNS)
    assert again.done() == {"a"}
    again.append(rows(["b"], value=2.0))
    table = again.finish(["b", "a"], {})
    assert table["path"].tolist() == ["b", "a"]
    assert pd.read_parquet(tmp_path / "out.parquet")["M"].tolist() == [2.0, 1.0]
    other = ResultsFile(tmp_path / "out.parquet", columns=COLUMNS + ["N"])
    with pytest.raises(ValueError, match="written with other columns"):
        other.done()


def test_ofiq_layout_and_failures_in_sidecar(tmp_path):
    out = ResultsFile(tmp_path / "out.txt", columns=COLUMNS, format="ofiq")
    failed = {"path": "bad", "status": "error", "error": "empty file", "face_count": 0,
              "M": np.nan, "M.scalar": np.nan}
    out.append(rows(["a"]) + [failed])
    out.finish(["a", "bad"], {})
    text = (tmp_path / "out.txt").read_text().splitlines()
    assert text[0] == "Filename;M;M.scalar"
    assert text[1] == "a;1.0;50.0"
    assert json.loads(out.meta_path.read_text())["results"]["failures"] == {"bad": "empty file"}


def test_bad_format_requests(tmp_path):
    with pytest.raises(ValueError, match="unknown output format"):
        ResultsFile(tmp_path / "x.csv", columns=COLUMNS, format="xlsx")
    with pytest.raises(ValueError, match="needs a .parquet file name"):
        ResultsFile(tmp_path / "x.csv", columns=COLUMNS, format="parquet")
