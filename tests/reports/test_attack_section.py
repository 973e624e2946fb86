import pandas as pd

from reports.attack_section import attack_sections, judges_in, summary_table


def _results():
    return pd.DataFrame({
        "image": ["a.jpg", "b.jpg", "a.jpg", "b.jpg"], "target": ["t"] * 4,
        "patched": ["missing_a.png", "missing_b.png", "missing_c.png", "missing_d.png"],
        "score_before": [0.7, 0.6, 0.7, 0.6], "score_after": [0.5, 0.1, 0.2, 0.0],
        "threshold": [0.3] * 4, "success": [False, True, True, True],
        "area": [0.04, 0.04, 0.08, 0.08], "seconds": [1.0, 3.0, 2.0, 2.0],
        "gate_before": ["accept"] * 4, "gate_after": ["accept", "reject", "reject", "reject"]})


def test_summary_per_area():
    table = summary_table(_results())
    assert table["success_rate"].tolist() == [0.5, 1.0]
    assert table["gate_rejects_patched"].tolist() == [0.5, 1.0]
    assert table["seconds_per_patch"].tolist() == [2.0, 2.0]


def test_sections_include_area_curve_and_survive_missing_images():
    history = pd.DataFrame({"step": [0, 1], "similarity": [0.7, 0.5], "area": [0.04, 0.04],
                            "patch": [0, 0]})
    titles = [section.title for section in attack_sections(_results(), history)]
    assert titles == ["Attack success", "Success against patch area", "Examples",
                      "Optimisation", "All attacks"]


def test_judges_are_summarised_beside_the_attacked_model():
    results = _results().assign(**{
        "region": ["eyeglasses", "forehead"] * 2, "dlib.threshold": 0.9,
        "dlib.clean_ok": [True, True, False, True], "dlib.success": [True, False, True, False]})
    assert judges_in(results) == ["dlib"]
    table = summary_table(results)
    assert table[["region", "area"]].values.tolist() == [["eyeglasses", 0.04], ["eyeglasses", 0.08],
                                                         ["forehead", 0.04], ["forehead", 0.08]]
    assert table["dlib_clean_matched"].tolist() == [1, 0, 1, 1]
    assert table["dlib_success_rate"].fillna(-1).tolist() == [1.0, -1, 0.0, 0.0]
    summary = attack_sections(results, pd.DataFrame())[0]
    assert any("dlib judged the same PNGs black-box at its own threshold 0.9000" in note
               for note in summary.notes)
