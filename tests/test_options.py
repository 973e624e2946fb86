import os
from pathlib import Path

import pytest

from fiqa.options import positive_int, results_format, results_output, writable_output


@pytest.mark.parametrize("value", [-1, 0, "0", "-1", "two", "1.5", 2.0, True, None])
def test_positive_int_refuses_with_the_option_named(value):
    with pytest.raises(ValueError, match=r"^--batch-size must be a whole number of at least 1, got"):
        positive_int(value, option="--batch-size")


@pytest.mark.parametrize("value,expected", [(1, 1), ("16", 16), (" 3 ", 3)])
def test_positive_int_accepts(value, expected):
    assert positive_int(value, option="--workers") == expected


@pytest.mark.parametrize("out,format,expected", [
    ("a.csv", None, "csv"), ("a.CSV", None, "csv"), ("a.parquet", None, "parquet"),
    ("a.txt", "ofiq", "ofiq"), ("a.csv", "ofiq", "ofiq"), ("a.csv", "csv", "csv"),
])
def test_results_format_follows_the_ending(out, format, expected):
    assert results_format(out, format) == expected


@pytest.mark.parametrize("out,format,message", [
    ("out.xlsx", None, "-o out.xlsx: unsupported ending '.xlsx'; use .csv or .parquet"),
    ("out", None, "-o out: no file ending; use .csv or .parquet"),
    ("x.parquet", "ofiq", "-o x.parquet: --format ofiq writes .csv or .txt files"),
    ("x.csv", "parquet", "-o x.csv: --format parquet writes .parquet files"),
    ("x.csv", "xlsx", "unknown output format 'xlsx'"),
])
def test_results_format_refuses_mismatches_in_one_line(out, format, message):
    with pytest.raises(ValueError, match="^" + message.replace(".", r"\.")) as error:
        results_format(out, format)
    assert "\n" not in str(error.value)


def test_a_folder_is_not_an_output_file(tmp_path):
    with pytest.raises(ValueError, match=rf"^-o {tmp_path} is a folder; give a file name inside it"):
        writable_output(tmp_path)


def test_missing_parent_folders_are_fine_when_creatable(tmp_path):
    assert results_output(tmp_path / "new" / "deeper" / "o.csv") == (
        tmp_path / "new" / "deeper" / "o.csv", "csv")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        writable_output(tmp_path / "file" / "o.csv")


def test_an_unwritable_folder_is_refused_before_any_work(tmp_path):
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir(mode=0o500)
    else:  # root may write anywhere a permission bit forbids: use a read-only place
        folder = Path("/proc/sys")
        if not folder.is_dir() or os.access(folder, os.W_OK):
            pytest.skip("no unwritable folder available to root here")
    with pytest.raises(ValueError, match=r"cannot write in .* \(permission denied\); choose"):
        writable_output(folder / "sub" / "o.csv")
