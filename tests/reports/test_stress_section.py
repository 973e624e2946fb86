import json

import numpy as np
import pandas as pd
import pytest

from reports.stress_section import (
    examples_figure,
    measure_response_figure,
    metric_curves_figure,
    pauc_heatmap_figure,
    pauc_table,
    report_from_folder,
    stress_sections,
    summary_table,
)

PARAMETERS = {"threshold": 0.4, "target_fmr": 1e-3, "apply": "probe", "target": "image",
              "profile": "lenient", "threshold_note": ""}


def _results() -> pd.DataFrame:
    rows = [("none", 0, "", "fnmr", "", 0.02), ("none", 0, "", "fmr", "", 0.001),
            ("none", 0, "", "quality_mean", "Sharpness", 80.0),
            ("none", 0, "", "edc_pauc_relative", "Sharpness", 0.5),
            ("none", 0, "", "edc_pauc_relative", "random", 1.0)]
    for severity, quality in ((1, 50), (5, 4)):
        label = f"quality={quality}"
        rows += [("jpeg", severity, label, "fnmr", "", 0.02 * severity),
                 ("jpeg", severity, label, "fmr", "", 0.0),
                 ("jpeg", severity, label, "gate_catch_rate", "", np.nan),
                 ("jpeg", severity, label, "quality_mean", "Sharpness", 80.0 - 10 * severity),
                 ("jpeg", severity, label, "edc_pauc_relative", "random", 1.0),
                 ("jpeg", severity, label, "edc_pauc_relative", "Sharpness", 0.3)]
    return pd.DataFrame(rows, columns=["perturbation", "severity", "parameters", "metric",
                                       "measure", "value"])


def test_summary_table_has_one_row_per_condition_in_order():
    table = summary_table(_results())
    assert table[["perturbation", "severity"]].values.tolist() == [["none", 0], ["jpeg", 1],
                                                                  ["jpeg", 5]]
    assert table.columns.tolist() == ["perturbation", "severity", "parameters", "FNMR", "FMR",
                                      "gate catches failures"]
    assert table["FNMR"].tolist() == [0.02, 0.02, 0.1]


def test_pauc_table_puts_references_last():
    table = pauc_table(_results())
    assert table["measure"].tolist() == ["Sharpness", "random"]
    assert table.columns.tolist() == ["measure", "none@0", "jpeg@1", "jpeg@5"]


def test_pauc_heatmap_masks_missing_values():
    figure = pauc_heatmap_figure(_results())
    image = figure.axes[0].images[0]
    data = image.get_array()
    assert data.shape == (2, 3) and data.mask[:, 0].tolist() == [False, False]
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["none@0", "jpeg@1",
                                                                        "jpeg@5"]


def test_curves_start_from_the_clean_baseline():
    ax = metric_curves_figure(_results(), {"fnmr": "FNMR"}).axes[0]
    (line,) = ax.lines
    assert line.get_xdata().tolist() == [0, 1, 5]
    assert line.get_ydata().tolist() == [0.02, 0.02, 0.1]
    response = measure_response_figure(_results()).axes[0]
    assert response.lines[0].get_ydata().tolist() == [80.0, 70.0, 30.0]
    with pytest.raises(ValueError, match="results hold none of the metrics"):
        metric_curves_figure(_results(), {"nothing": "x"})


def test_examples_figure_has_clean_then_severities():
    grey = np.full((16, 16, 3), 100, np.uint8)
    figure = examples_figure({("jpeg", 5): grey, ("none", 0): grey, ("jpeg", 1): grey})
    assert [ax.get_xlabel() for ax in figure.axes] == ["clean", "severity 1", "severity 5"]
    with pytest.raises(ValueError, match="no perturbed example images"):
        examples_figure({("none", 0): grey})


def test_sections_and_report_from_folder(tmp_path):
    titles = [s.title for s in stress_sections(_results(), PARAMETERS)]
    assert titles == ["Stress test: recognition under perturbation", "Quality measure response",
                      "Does the gate catch it?"]
    _results().to_csv(tmp_path / "results.csv", index=False)
    (tmp_path / "run.json").write_text(json.dumps({"kind": "stress", "parameters": PARAMETERS}))
    page = report_from_folder(tmp_path).read_text()
    assert "cosine 0.4000" in page and "Relative pAUC" in page and "quality=50" in page
