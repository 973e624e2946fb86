"""Report section of the pooled discard experiment, from the library's own tables."""

from __future__ import annotations

import pandas as pd
import pytest

from fiqa.evaluation.discard import pooled_discard
from reports.discard_section import discard_fnmr_table, discard_sections, pooled_edc_figure
from reports.html import render_html
from tests.evaluation.test_discard import _tables


@pytest.fixture(scope="module")
def result():
    comparisons, scores = _tables(("sface", "dlib"))
    return pooled_discard(comparisons, scores, thresholds={"sface": 0.5, "dlib": 0.72},
                          fractions=(0.1, 0.2, 0.25), random_draws=3)


def test_fnmr_table_has_one_row_per_family_recognizer_measure(result):
    table = discard_fnmr_table(result.fnmr)
    assert len(table) == 2 * 2 * 3  # jpeg, blur x sface, dlib x CompressionArtifacts, Sharpness, random
    assert list(table.columns[3:]) == ["FNMR before", "FNMR after discarding 10%",
                                       "FNMR after discarding 20%", "FNMR after discarding 25%"]
    row = table[(table["family"] == "jpeg") & (table["model"] == "sface")
                & (table["measure"] == "CompressionArtifacts")].iloc[0]
    # 1/8 discarded when 20 % was asked (the next quality is tied with two more pairs)
    assert row["FNMR before"] == "0.125" and row["FNMR after discarding 20%"] == "0.000 (12%)"


def test_sections_render_with_one_figure_per_family_and_recognizer(result):
    sections = discard_sections(result.edc, result.curves, result.fnmr)
    kinds = [block.kind for block in sections[0].blocks]
    assert kinds == ["table", "table"] + ["figure"] * 4
    html = render_html(sections, title="t", run_folder="")
    assert "Discarding by quality" in html and "FNMR after discarding 20%" in html


def test_figure_of_an_absent_family_is_an_error(result):
    with pytest.raises(ValueError, match="no pooled curve for family 'webp'"):
        pooled_edc_figure(result.curves, family="webp", recognizer="sface")


def test_table_without_columns_is_an_error():
    with pytest.raises(ValueError, match="lacks column"):
        discard_fnmr_table(pd.DataFrame({"family": ["jpeg"]}))
