import numpy as np
import pandas as pd
import pytest

from fiqa.evaluation.metrics import roc_points
from reports.tables import (
    edc_settings,
    is_reference,
    measure_names,
    pair_outcomes,
    quality_long,
    rank_pauc,
    roc_table,
    save_table,
)


@pytest.fixture
def wide():
    return pd.DataFrame({
        "path": ["a.jpg", "b.jpg", "c.jpg"], "status": ["ok", "ok", "no_face"],
        "error": ["", "", "no face"], "face_count": [1, 1, 0],
        "Sharpness": [0.5, 0.9, np.nan], "Sharpness.scalar": [40.0, 90.0, np.nan],
        "HeadPoseYaw": [3.0, -20.0, np.nan], "HeadPoseYaw.scalar": [99.0, 60.0, np.nan],
    })


def test_quality_long_has_one_row_per_image_and_measure(wide):
    long = quality_long(wide)
    assert long.columns.tolist() == ["path", "status", "measure", "raw", "scalar"]
    assert len(long) == 3 * 2
    assert long["measure"].tolist() == ["Sharpness"] * 3 + ["HeadPoseYaw"] * 3
    row = long[(long.path == "b.jpg") & (long.measure == "HeadPoseYaw")].iloc[0]
    assert (row.raw, row.scalar, row.status) == (-20.0, 60.0, "ok")
    assert long.loc[long.path == "c.jpg", "scalar"].isna().all()


def test_quality_long_round_trips_to_the_wide_table(wide):
    back = quality_long(wide).pivot(index="path", columns="measure", values="scalar")
    for measure in measure_names(wide):
        np.testing.assert_array_equal(back.loc[wide.path, measure].to_numpy(),
                                      wide[f"{measure}.scalar"].to_numpy())


def test_quality_long_without_raw_column_gives_nan():
    long = quality_long(pd.DataFrame({"path": ["a"], "Q.scalar": [5.0]}))
    assert np.isnan(long.loc[0, "raw"]) and long.loc[0, "scalar"] == 5.0


@pytest.mark.parametrize("columns, message", [
    (["file", "Q.scalar"], "no 'path' column"),
    (["path", "Q", ".scalar"], r"no '<Measure>.scalar' column"),
])
def test_quality_long_rejects_tables_that_are_not_scores(columns, message):
    with pytest.raises(ValueError, match=message):
        quality_long(pd.DataFrame(columns=columns))


def test_rank_pauc_puts_best_first_and_references_last():
    table = pd.DataFrame({"measure": ["perfect", "B", "random", "A", "C"],
                          "kind": ["perfect", "measure", "random", "measure", "measure"],
                          "pauc": [0.001, 0.02, 0.03, 0.01, 0.05]})
    assert rank_pauc(table).measure.tolist() == ["A", "B", "C", "perfect", "random"]


def test_is_reference_uses_kind_when_present():
    by_kind = pd.DataFrame({"measure": ["random", "X"], "kind": ["measure", "random"]})
    assert is_reference(by_kind).tolist() == [False, True]
    by_name = pd.DataFrame({"measure": ["random", "perfect", "X"]})
    assert is_reference(by_name).tolist() == [True, True, False]


def test_rank_pauc_needs_measure_and_pauc():
    with pytest.raises(ValueError, match="needs columns measure and pauc"):
        rank_pauc(pd.DataFrame({"measure": ["A"]}))


def test_roc_table_thins_but_keeps_the_curve(rng):
    n = 20_000
    same = rng.random(n) < 0.2
    scores = np.where(same, rng.normal(0.6, 0.15, n), rng.normal(0.1, 0.1, n))
    table = pd.DataFrame({"score": scores, "same": same})
    thin, full = roc_table(table), roc_points(scores, same)
    assert len(thin) < len(full) / 10
    assert np.all(np.diff(thin.fmr) <= 0) and np.all(np.diff(thin.fnmr) >= 0)
    assert thin.iloc[[0, -1]][["fmr", "fnmr"]].values.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    kept = full.set_index("threshold").loc[thin.threshold]  # points are real operating points
    np.testing.assert_array_equal(kept.fmr.to_numpy(), thin.fmr.to_numpy())
    # no gap wider than a bin in log FMR while FMR is above 1e-3
    steps = np.diff(np.log10(thin.fmr[thin.fmr > 1e-3]))
    assert np.all(np.abs(steps) <= 2 / 50)


def test_roc_table_adds_one_curve_per_protocol():
    table = pd.DataFrame({"score": [0.9, 0.1, 0.8, 0.3, 0.7, 0.2],
                          "same": [1, 0, 1, 0, 1, 0],
                          "protocol": ["FF", "FF", "FP", "FP", "FP", "FP"]})
    assert list(pd.unique(roc_table(table).curve)) == ["all", "protocol FF", "protocol FP"]


def test_roc_table_needs_both_kinds_of_comparison():
    with pytest.raises(ValueError, match="both mated and non-mated"):
        roc_table(pd.DataFrame({"score": [0.9, 0.8], "same": [True, True]}))


def test_edc_settings_reads_the_first_recorded_values():
    pauc = pd.DataFrame({"measure": ["A", "random"], "threshold": [0.3, 0.3],
                         "discard_limit": [0.2, 0.2], "variant": ["edc", "edc"]})
    assert edc_settings(pauc) == {"threshold": 0.3, "discard_limit": 0.2, "variant": "edc"}
    assert edc_settings(pd.DataFrame({"measure": ["A"]})) == {}


def test_pair_outcomes_by_hand(tmp_path):
    root = tmp_path / "faces"
    names = ("a/1.png", "a/2.png", "b/1.png", "c/1.png")
    scores = pd.DataFrame({"path": [str(root / n) for n in names],
                           "status": ["ok", "ok", "ok", "error"], "Q": [1, 2, 3, 4],
                           "Q.scalar": [10.0, 80.0, 60.0, 70.0], "R.scalar": [1.0, 2.0, 3.0, 4.0]})
    comparisons = pd.DataFrame({"image_a": ["a/1.png", "a/1.png", "a/2.png", "a/2.png", "c/1.png"],
                                "image_b": ["a/2.png", "b/1.png", "b/1.png", "zz/9.png", "b/1.png"],
                                "same": [True, False, False, False, False],
                                "score": [0.2, 0.1, 0.7, 0.6, 0.0]})
    pairs = pair_outcomes(comparisons, scores, threshold=0.5, root=root)
    assert pairs.measure.tolist() == ["Q"] * 5 + ["R"] * 5
    q, r = pairs[pairs.measure == "Q"], pairs[pairs.measure == "R"]
    assert q.outcome.tolist() == ["false non-match", "non-match", "false match", "false match",
                                  "non-match"]
    assert q.pair_quality.tolist()[:3] == [10.0, 10.0, 60.0]
    assert r.pair_quality.tolist()[:3] == [1.0, 1.0, 2.0]
    assert q.quality_b.iloc[2] == 60.0 and q.quality_a.iloc[2] == 80.0
    assert np.isnan(q.pair_quality.iloc[3])  # zz/9.png was never scored
    assert np.isnan(q.quality_a.iloc[4])  # c/1.png failed: its 70.0 is not a quality
    accepted = pair_outcomes(comparisons, scores, threshold=0.15, root=root)
    assert accepted.outcome.tolist()[:2] == ["match", "non-match"]


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_save_table_round_trips(tmp_path, suffix):
    table = pd.DataFrame({"measure": ["A", "B"], "pauc": [0.1, 0.2]})
    path = save_table(table, tmp_path / "sub" / f"t.{suffix}")
    back = pd.read_csv(path) if suffix == "csv" else pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, table)


def test_save_table_refuses_unknown_endings(tmp_path):
    with pytest.raises(ValueError, match="use a .csv or .parquet"):
        save_table(pd.DataFrame(), tmp_path / "t.xlsx")
