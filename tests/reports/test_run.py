import json

import pytest

from fiqa.runs import read_record
from reports.run import find_table, load_run


def test_load_run_reads_every_table_and_its_metadata(synthetic_run):
    run = load_run(synthetic_run)
    assert set(run.files) == {"scores", "comparisons", "edc", "edc_pauc"}
    assert len(run.scores) == 33 and {"measure", "discard_fraction", "fnmr"} <= set(run.edc)
    assert run.meta["scores"]["fiqa"] == "0.1.0"
    assert run.meta["comparisons"]["parameters"]["root"].endswith("images")  # its run record
    assert run.meta["edc"] == {}


def test_load_run_takes_parquet_when_there_is_no_csv(tmp_path, synthetic_run):
    load_run(synthetic_run).edc_pauc.to_parquet(tmp_path / "edc_pauc.parquet")
    run = load_run(tmp_path)
    assert run.files["edc_pauc"].suffix == ".parquet" and run.scores is None
    assert find_table(tmp_path, "scores") is None


def test_load_run_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="run folder not found"):
        load_run(tmp_path / "missing")
    with pytest.raises(ValueError, match="no run outputs in .*scores.csv"):
        load_run(tmp_path)


def test_read_record_rejects_broken_records(tmp_path):
    table = tmp_path / "scores.csv"
    assert read_record(table) == {}
    (tmp_path / "scores.csv.run.json").write_text("{broken")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_record(table)
    (tmp_path / "scores.csv.run.json").write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="must hold a JSON object"):
        read_record(table)
