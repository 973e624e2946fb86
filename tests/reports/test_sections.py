import pandas as pd
import pytest

from reports import sections
from reports.report_data import prepare
from reports.run import load_run


@pytest.fixture(scope="module")
def data(synthetic_run):
    return prepare(load_run(synthetic_run), thumbnails=2)


def test_flatten_nests_keys_and_writes_lists_as_json():
    meta = {"model": {"name": "sface", "sha256": "ab"}, "inputs": ["a", "b"], "empty": {},
            "none": None}
    assert sections.flatten(meta) == [("model.name", "sface"), ("model.sha256", "ab"),
                                      ("inputs", '["a", "b"]'), ("empty", "{}"), ("none", "-")]


def test_short_name_keeps_folders_that_fit():
    assert sections.short_name("/d/cfp/001/frontal/01.jpg") == "d/cfp/001/frontal/01.jpg"
    assert sections.short_name("/d/cfp/001/frontal/01.jpg", limit=14) == "frontal/01.jpg"
    assert sections.short_name("x/" + "a" * 30 + ".jpg", limit=10) == "...aaa.jpg"


def test_resolve_path_tries_each_base(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.png").write_bytes(b"")
    assert sections.resolve_path("x.png", [tmp_path, tmp_path / "b"]) == tmp_path / "b" / "x.png"
    assert sections.resolve_path(tmp_path / "b" / "x.png", []) == tmp_path / "b" / "x.png"
    assert sections.resolve_path("y.png", [tmp_path]) is None


def test_thumbnails_show_lowest_and_highest_per_measure(data):
    section = sections.thumbnails_section(data)
    assert [block.title for block in section.blocks] == ["Sharpness", "Noise"]
    assert all(block.mime == "image/jpeg" for block in section.blocks)


def test_thumbnail_of_a_missing_or_broken_file_is_a_placeholder(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    for path in ("missing.jpg", str(broken)):
        thumbnail = sections._thumbnail(path, 12.5, [tmp_path])
        assert thumbnail.image is None and thumbnail.caption.endswith("\n12.5")


def test_failures_are_capped_in_the_page(data, monkeypatch):
    monkeypatch.setattr(sections, "MAX_FAILURE_ROWS", 0)
    captions = [block.caption for block in sections.failures_section(data).blocks]
    assert captions == ["1 images failed (first 0)", "1 comparisons failed (first 0)"]


def test_metadata_lists_files_and_hides_repeated_metrics(data):
    data.run.meta["comparisons"]["metrics"] = {"all": {"eer": 0.1}}
    blocks = sections.metadata_section(data).blocks
    files = blocks[0]
    assert [row.cells[0].text for row in files.rows] == ["scores", "comparisons", "edc",
                                                         "edc_pauc"]
    keys = [row.cells[0].text for block in blocks[1:] for row in block.rows]
    assert "parameters.root" in keys and not any(key.startswith("metrics") for key in keys)


def test_sections_return_none_without_their_input(tmp_path):
    pd.DataFrame({"measure": ["A"], "pauc": [0.1]}).to_csv(tmp_path / "edc_pauc.csv", index=False)
    only_pauc = prepare(load_run(tmp_path))
    absent = [make.__name__ for make in sections.SECTIONS if make(only_pauc) is None]
    assert absent == ["edc_section", "verification_section", "outcome_section",
                      "fairness_section", "images_section", "thumbnails_section",
                      "failures_section"]


def test_summary_counts_every_pair_including_failed_ones(data):
    comparisons = data.run.comparisons
    headline = sections._headline(data.metrics)
    first = headline.iloc[0]
    assert first["comparisons"] == "all"
    assert first["pairs"] == len(comparisons)  # was: the pairs that did not fail
    assert first["failed"] == int(comparisons["status"].ne("ok").sum()) == 1  # was: 0
