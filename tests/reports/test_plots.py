import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from reports.plots import (
    Thumbnail,
    edc_figure,
    figure_png,
    outcome_histogram_figure,
    roc_det_figure,
    score_histogram_figure,
    thumbnail_grid_figure,
)


def _pixels(figure) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(figure_png(figure, dpi=50))).convert("L"), float)


@pytest.fixture
def edc():
    rows = []
    for measure, kind, fnmr in (("A", "measure", [0.1, 0.06, 0.02]),
                                ("B", "measure", [0.1, 0.09, 0.1]),
                                ("perfect", "perfect", [0.1, 0.0, 0.0]),
                                ("random", "random", [0.1, 0.1, 0.1])):
        for discard, value in zip([0.0, 0.1, 0.5], fnmr):
            rows.append({"measure": measure, "kind": kind, "discard_fraction": discard,
                         "fnmr": value, "fmr": value / 10})
    return pd.DataFrame(rows)


def test_edc_figure_draws_every_curve_with_styled_references(edc):
    figure = edc_figure(edc, discard_limit=0.2)
    full, zoom = figure.axes
    labels = [line.get_label() for line in full.get_lines() if not line.get_label().startswith("_")]
    assert labels == ["A", "B", "perfect", "random"]
    styles = {line.get_label(): line.get_linestyle() for line in full.get_lines()}
    assert styles["perfect"] == "--" and styles["random"] == ":" and styles["A"] == "-"
    assert full.get_xlim() == (0.0, 1.0) and zoom.get_xlim() == pytest.approx((0.0, 0.3))
    assert _pixels(figure).std() > 10


def test_edc_figure_without_limit_has_one_panel_and_can_plot_fmr(edc):
    figure = edc_figure(edc, error="fmr")
    assert len(figure.axes) == 1 and figure.axes[0].get_ylabel() == "FMR"


def test_edc_figure_draws_only_iso_edc_when_erc_is_mixed_in(edc):
    mixed = pd.concat([edc.assign(variant="edc"), edc.assign(variant="erc", measure="A-erc")])
    labels = [line.get_label() for line in edc_figure(mixed).axes[0].get_lines()]
    assert "A-erc" not in labels and "A" in labels


def test_edc_figure_names_missing_columns(edc):
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['fnmr'\]"):
        edc_figure(edc.drop(columns="fnmr"))


def test_roc_det_figure_uses_log_axes_and_one_line_per_curve():
    points = pd.DataFrame({"curve": ["FF"] * 3 + ["FP"] * 3,
                           "fmr": [1.0, 1e-2, 0.0] * 2, "fnmr": [0.0, 0.1, 1.0] * 2})
    roc, det = roc_det_figure(points).axes
    assert (roc.get_xscale(), det.get_xscale(), det.get_yscale()) == ("log", "log", "log")
    assert len(roc.get_lines()) == 2 + 1  # two curves and the 1e-3 operating line
    tmr = roc.get_lines()[0].get_ydata()
    np.testing.assert_allclose(tmr, [1.0, 0.9, 0.0])
    assert roc.get_lines()[0].get_xdata().min() > 0  # FMR 0 clipped for the log axis


def test_score_histogram_figure_marks_the_threshold():
    table = pd.DataFrame({"same": [1, 1, 0, 0, 1], "score": [0.8, 0.7, 0.1, 0.2, np.nan]})
    ax = score_histogram_figure(table, threshold=0.5).axes[0]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "mated (n=2)", "non-mated (n=2)", "threshold 0.500"]


def test_outcome_histogram_figure_has_a_panel_per_measure():
    pairs = pd.DataFrame({"measure": ["A", "A", "B", "B", "C"],
                          "pair_quality": [10, 90, 50, np.nan, 20],
                          "outcome": ["false non-match", "match", "match", "match", "false match"]})
    figure = outcome_histogram_figure(pairs, columns=2)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["A", "B", "C"]
    with pytest.raises(ValueError, match="outcome"):
        outcome_histogram_figure(pairs.drop(columns="outcome"))


def test_thumbnail_grid_draws_images_and_literal_captions(rng):
    face = rng.integers(0, 255, (20, 16, 3), dtype=np.uint8)
    figure = thumbnail_grid_figure({"lowest": [Thumbnail(face, "$x_1$ 5.0"),
                                               Thumbnail(None, "b 7.0")],
                                    "highest": [Thumbnail(face, "c 99.0")]}, title="A$B")
    assert len(figure.axes) == 4
    assert figure.axes[0].get_xlabel() == "$x_1$ 5.0"
    np.testing.assert_array_equal(figure.axes[0].get_images()[0].get_array(), face)
    assert figure.axes[1].texts[0].get_text() == "unreadable"
    assert _pixels(figure).std() > 10  # "$" in names renders (no math-mode error)


def test_thumbnail_grid_needs_an_image():
    with pytest.raises(ValueError, match="at least one image"):
        thumbnail_grid_figure({"lowest": []})
