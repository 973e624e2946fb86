import shutil

import numpy as np
import pandas as pd
import pytest

from fiqa.evaluation.fairness import Bootstrap
from reports.fairness_section import rates_figure, ratios_figure, rules_figure
from reports.report import prepare, write_report
from reports.run import load_run

QUICK = Bootstrap(replicates=100, min_subjects=2)


@pytest.fixture
def groups_csv(synthetic_run, tmp_path):
    scores = pd.read_csv(synthetic_run / "scores.csv")
    images = scores["path"][scores["status"] == "ok"]
    relative = [path.split("images/", 1)[1] for path in images]
    table = pd.DataFrame({"path": relative,
                          "site": ["north" if int(p[2]) < 4 else "south" for p in relative]})
    path = tmp_path / "groups.csv"
    table.to_csv(path, index=False)
    return path


def test_report_with_groups_has_a_fairness_section_and_tables(synthetic_run, groups_csv,
                                                              tmp_path):
    out = write_report(synthetic_run, tmp_path / "report.html", groups=str(groups_csv),
                       groups_root=str(synthetic_run / "images"), bootstrap=QUICK)
    page = out.read_text()
    assert "Fairness: outcomes per group" in page and "bootstrap over subjects" in page
    ratios = pd.read_csv(tmp_path / "report_tables" / "fairness_ratios.csv")
    assert {"fnmr", "fmr", "edc_pauc", "quality_mean"} <= set(ratios["metric"])
    assert set(ratios.loc[ratios["metric"] == "edc_pauc", "detail"]) == {"Sharpness", "Noise"}
    rows = pd.read_csv(tmp_path / "report_tables" / "fairness.csv")
    assert set(rows["group"]) == {"north", "south"}
    assert (rows.loc[rows["metric"] == "fnmr", "subjects"] == 4).all()


def test_scores_with_the_ita_get_the_section_without_asking(synthetic_run, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(synthetic_run, folder)
    scores = pd.read_csv(folder / "scores.csv")
    scores["IndividualTypologyAngle"] = np.linspace(-40, 70, len(scores))
    scores["IndividualTypologyAngle.scalar"] = np.nan
    scores.to_csv(folder / "scores.csv", index=False)
    data = prepare(load_run(folder), bootstrap=QUICK)
    assert data.fairness is not None
    assert any("not a person's attribute" in note for note in data.fairness.notes)
    assert "IndividualTypologyAngle" not in set(data.fairness.quality["measure"])


def test_groups_need_scores(synthetic_run, tmp_path, groups_csv):
    shutil.copy(synthetic_run / "edc_pauc.csv", tmp_path / "edc_pauc.csv")
    with pytest.raises(ValueError, match="--groups needs the run's scores"):
        prepare(load_run(tmp_path), groups=str(groups_csv))


def test_figures_draw_from_tidy_tables():
    rows = pd.DataFrame({
        "metric": ["reject_rate"] * 4, "detail": ["", "", "Sharpness", "Sharpness"],
        "attribute": "tone", "group": ["light", "dark"] * 2, "units": 10, "subjects": 5,
        "events": 1, "value": [0.1, 0.3, 0.05, 0.2], "ci_low": [0.0, 0.1, 0.0, 0.1],
        "ci_high": [0.2, 0.5, 0.1, 0.3]})
    assert rates_figure(rows, "tone") is not None
    assert rules_figure(rows, "tone") is not None
    assert rates_figure(rows, "sex") is None
    ratios = pd.DataFrame({"metric": ["reject_rate", "fmr"], "detail": ["", ""],
                           "attribute": "tone", "worst": "dark", "best": "light",
                           "ratio": [3.0, 2.0], "ci_low": [1.2, 0.5],
                           "ci_high": [8.0, np.inf]})
    assert ratios_figure(ratios) is not None
    assert ratios_figure(ratios.assign(ratio=np.inf)) is None
