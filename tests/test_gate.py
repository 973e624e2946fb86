import numpy as np
import pytest

from fiqa.gate import decide, gate_table, list_profiles, load_profile, profile_from_dict


def test_shipped_profiles_load_and_use_known_measures():
    assert {"strict-enrolment", "lenient"} <= set(list_profiles())
    strict, lenient = load_profile("strict-enrolment"), load_profile("lenient")
    assert "UnifiedQualityScore" in strict.measures and "UnifiedQualityScore" in lenient.measures
    assert len(strict.bounds) > len(lenient.bounds)


def test_shipped_profiles_are_calibrated_on_outcomes():
    from importlib import resources

    for name in ("lenient", "strict-enrolment"):
        text = (resources.files("fiqa") / "profiles" / f"{name}.toml").read_text()
        assert text.startswith("# Calibrated by `fiqa calibrate`")
        assert "# with these bounds: rejects" in text and "python benchmarks/calibrate_profiles.py" in text
        policy = {"EyesOpen", "MouthClosed", "EyesVisible"} if name == "strict-enrolment" else set()
        assert all(bound.op == ">=" and bound.column.endswith(".scalar")
                   for bound in load_profile(name).bounds
                   if not (bound.measure in policy and not bound.column.endswith(".scalar")))
    raw = {bound.measure: (bound.op, bound.threshold) for bound in load_profile("strict-enrolment").bounds
           if not bound.column.endswith(".scalar")}
    assert "policy rule" in (resources.files("fiqa") / "profiles" / "strict-enrolment.toml"
                             ).read_text().lower()
    assert raw == {"EyesOpen": (">=", 0.037), "MouthClosed": ("<=", 0.06), "EyesVisible": ("<=", 0.3)}


def test_decisions_list_every_failed_bound():
    profile = profile_from_dict({"rules": {"HeadPoseYaw": {"raw_min": -10, "raw_max": 10},
                                           "Sharpness": {"scalar_min": 40}}})
    row = {"status": "ok", "HeadPoseYaw": 25.0, "HeadPoseYaw.scalar": 82.0,
           "Sharpness": 0.2, "Sharpness.scalar": 30.0}
    assert decide(row, profile) == ("reject", "HeadPoseYaw=25 > 10; Sharpness.scalar=30 < 40")
    good = dict(row, HeadPoseYaw=-3.0, **{"Sharpness.scalar": 70.0})
    assert decide(good, profile) == ("accept", "")


def test_missing_values_and_failed_inputs():
    reject = profile_from_dict({"rules": {"Sharpness": {"scalar_min": 40}}})
    ignore = profile_from_dict({"missing": "ignore", "rules": {"Sharpness": {"scalar_min": 40}}})
    row = {"status": "ok", "Sharpness": np.nan, "Sharpness.scalar": np.nan}
    assert decide(row, reject) == ("reject", "Sharpness.scalar could not be computed")
    assert decide(row, ignore) == ("accept", "")
    assert decide({"status": "no_face", "error": "no face detected"}, ignore) == (
        "reject", "no face detected")


def test_gate_table_adds_columns():
    import pandas as pd

    profile = profile_from_dict({"rules": {"InterEyeDistance": {"raw_min": 60}}})
    table = pd.DataFrame({"status": ["ok", "ok"], "InterEyeDistance": [40.0, 80.0]})
    gated = gate_table(table, profile)
    assert gated["decision"].tolist() == ["reject", "accept"]
    assert gated["reasons"].tolist() == ["InterEyeDistance=40 < 60", ""]


def test_profile_errors_are_actionable(tmp_path):
    with pytest.raises(ValueError, match="unknown profile 'strict'.*strict-enrolment"):
        load_profile("strict")
    with pytest.raises(ValueError, match="rule Sharpness: unknown key 'min'; did you mean"):
        profile_from_dict({"rules": {"Sharpness": {"min": 3}}})
    with pytest.raises(ValueError, match="Did you mean 'Sharpness'"):
        profile_from_dict({"rules": {"Sharpnes": {"scalar_min": 3}}})
    bad = tmp_path / "bad.toml"
    bad.write_text("rules = [")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_profile(str(bad))
    with pytest.raises(ValueError, match="profile file not found"):
        load_profile(str(tmp_path / "none.toml"))


def test_a_bad_value_names_the_rule_and_key(tmp_path):
    bad = tmp_path / "words.toml"
    bad.write_text('[rules.InterEyeDistance]\nraw_min = "forty"\n')
    with pytest.raises(ValueError, match="rule InterEyeDistance: raw_min must be a number, got 'forty'"):
        load_profile(str(bad))
    with pytest.raises(ValueError, match="scalar_max must be a number, got True"):
        profile_from_dict({"rules": {"Sharpness": {"scalar_max": True}}})


def test_inverted_bounds_are_refused():
    with pytest.raises(ValueError, match="HeadPoseYaw: raw_min = 20 is above raw_max = -20"):
        profile_from_dict({"rules": {"HeadPoseYaw": {"raw_min": 20, "raw_max": -20}}})
    assert len(profile_from_dict({"rules": {"HeadPoseYaw": {"raw_min": 5, "raw_max": 5}}}).bounds) == 2


def test_unknown_keys_are_refused_with_did_you_mean():
    with pytest.raises(ValueError, match="unknown key 'scalar_mn'; did you mean 'scalar_min'"):
        profile_from_dict({"rules": {"Sharpness": {"scalar_mn": 3}}})
    with pytest.raises(ValueError, match="profile: unknown key 'mising'; did you mean 'missing'"):
        profile_from_dict({"mising": "ignore", "rules": {"Sharpness": {"scalar_min": 3}}})


def test_strict_enrolment_turns_away_hidden_eyes_and_says_so(shared_data, tmp_path):
    from fiqa.gate import gate_to_file

    sunglasses = shared_data / "lfw/Florencia_Macri/Florencia_Macri_0001.jpg"
    clear = shared_data / "lfw/Alan_Greenspan/Alan_Greenspan_0002.jpg"  # glasses, eyes visible
    table = gate_to_file([str(sunglasses), str(clear)], tmp_path / "gate.csv",
                         profile=load_profile("strict-enrolment"))
    reasons = dict(zip(table["path"].map(lambda p: p.rsplit("/", 1)[-1]), table["reasons"]))
    assert "EyesVisible=" in reasons[sunglasses.name] and "> 0.3" in reasons[sunglasses.name]
    assert "EyesVisible" not in reasons[clear.name]
