import numpy as np
import pandas as pd
import pytest

from attacks.stress import (
    RESULT_COLUMNS,
    parse_perturbations,
    parse_severities,
    select_pairs,
    stress_test,
    sweep_pairs,
)
from attacks.stress.perturb import image_seed
from attacks.stress.protocol import image_subjects
from fiqa.engines import EngineOptions
from fiqa.evaluation.pairs import read_pairs
from fiqa.gate import profile_from_dict

PROFILE = profile_from_dict({"name": "blur-only", "missing": "ignore",
                             "rules": {"Sharpness": {"scalar_min": 40}}})


@pytest.fixture(scope="module")
def lfw_pairs(shared_data):
    return read_pairs(shared_data / "lfw_pairs.txt")


@pytest.fixture(scope="module")
def sweep(shared_data, lfw_pairs):
    """8 mated + 8 non-mated real LFW pairs; JPEG and Gaussian blur at severities 1 and 5."""
    pairs = select_pairs(lfw_pairs, limit=8, seed=0)
    return stress_test(pairs, root=shared_data / "lfw", perturbations=["jpeg", "gaussian_blur"],
                       severities=[1, 5], measures=["Sharpness", "InterEyeDistance"],
                       profile=PROFILE, seed=0)


def test_highest_jpeg_severity_raises_fnmr_above_clean(sweep):
    clean = sweep.metric("fnmr", perturbation="none", severity=0)
    worst = sweep.metric("fnmr", perturbation="jpeg", severity=5)
    assert worst > clean
    assert sweep.metric("similarity_drop", perturbation="jpeg", severity=5) > \
        sweep.metric("similarity_drop", perturbation="jpeg", severity=1) > 0


def test_threshold_is_fixed_on_clean_non_mated_pairs(sweep):
    clean = sweep.comparisons[sweep.comparisons["perturbation"] == "none"]
    threshold = sweep.parameters["threshold"]
    # 8 non-mated pairs cannot set FMR 1e-3: the threshold sits above all of them.
    assert clean.loc[~clean["same"], "score"].max() < threshold
    assert "needs at least 1000 non-mated comparisons" in sweep.parameters["threshold_note"]
    assert sweep.metric("fmr", perturbation="none", severity=0) == 0.0
    accepted = sweep.comparisons["score"].fillna(-np.inf) >= threshold
    assert (accepted == sweep.comparisons["accepted"]).all()


def test_only_probes_are_perturbed_and_each_once(sweep):
    jpeg = sweep.scores[(sweep.scores["perturbation"] == "jpeg") & (sweep.scores["severity"] == 5)]
    pairs = sweep.comparisons[sweep.comparisons["perturbation"] == "none"]
    assert sorted(jpeg["image"]) == sorted(set(pairs["image_b"]))
    assert jpeg["perturbation_info"].str.contains('"quality": 4').all()
    assert sweep.parameters["images"]["perturbed_per_condition"] == len(jpeg)


def test_results_are_tidy_and_complete(sweep):
    table = sweep.results
    assert tuple(table.columns) == RESULT_COLUMNS
    assert not table.duplicated(["model", "perturbation", "severity", "metric", "measure"]).any()
    assert set(table["model"]) == {"sface"}
    conditions = set(zip(table["perturbation"], table["severity"]))
    assert conditions == {("none", 0), ("jpeg", 1), ("jpeg", 5), ("gaussian_blur", 1),
                          ("gaussian_blur", 5)}
    for metric in ("fnmr", "fmr", "detection_failure_rate", "similarity_drop",
                   "gate_catch_rate", "gate_reject_rate"):
        assert (table["metric"] == metric).sum() == 5, metric
    per_measure = table[table["metric"] == "quality_mean"]
    assert set(per_measure["measure"]) == {"Sharpness", "InterEyeDistance"}
    assert table.loc[table["metric"] == "param.size_kb", "value"].notna().all()


def test_quality_and_gate_respond_to_blur(sweep):
    sharp = [sweep.metric("quality_mean", perturbation=p, severity=s, measure="Sharpness")
             for p, s in (("none", 0), ("gaussian_blur", 1), ("gaussian_blur", 5))]
    assert sharp[0] > sharp[1] > sharp[2]
    assert sweep.metric("gate_reject_rate", perturbation="gaussian_blur", severity=5) > \
        sweep.metric("gate_reject_rate", perturbation="none", severity=0)
    # The perfect reference bounds every measure's EDC area from below.
    for condition in (("jpeg", 5), ("gaussian_blur", 5)):
        perfect = sweep.metric("edc_pauc", perturbation=condition[0], severity=condition[1],
                               measure="perfect")
        for measure in ("Sharpness", "InterEyeDistance", "random"):
            assert sweep.metric("edc_pauc", perturbation=condition[0], severity=condition[1],
                                measure=measure) >= perfect - 1e-12


def test_same_seed_same_numbers(shared_data, lfw_pairs):
    pairs = select_pairs(lfw_pairs, limit=2, seed=5)

    def run():
        return stress_test(pairs, root=shared_data / "lfw", perturbations=["gaussian_noise"],
                           severities=[4], measures=["Sharpness"], seed=7,
                           options=EngineOptions(workers=2, batch_size=1))

    first, second = run(), run()
    pd.testing.assert_frame_equal(first.results, second.results)
    pd.testing.assert_frame_equal(first.scores, second.scores)
    noisy = first.scores[first.scores["perturbation"] == "gaussian_noise"]
    clean = first.scores[first.scores["perturbation"] == "none"].set_index("image")
    # The noise really was drawn: the perturbed probes score differently from the clean ones.
    assert (noisy["Sharpness"].to_numpy() != clean.loc[noisy["image"], "Sharpness"].to_numpy()).all()


def test_image_seed_depends_on_every_part():
    draw = image_seed(1, "jpeg", 2, "a.jpg").random()
    assert draw == image_seed(1, "jpeg", 2, "a.jpg").random()
    for args in ((2, "jpeg", 2, "a.jpg"), (1, "webp", 2, "a.jpg"), (1, "jpeg", 3, "a.jpg"),
                 (1, "jpeg", 2, "b.jpg")):
        assert image_seed(*args).random() != draw


def test_select_pairs_keeps_both_kinds_reproducibly():
    table = pd.DataFrame({"image_a": [f"a{i}" for i in range(10)],
                          "image_b": [f"b{i}" for i in range(10)],
                          "same": [True] * 6 + [False] * 4})
    first = select_pairs(table, limit=3, seed=4)
    assert first["same"].tolist() == [True] * 3 + [False] * 3
    assert first.equals(select_pairs(table, limit=3, seed=4))
    assert len(select_pairs(table, limit=None)) == 10
    with pytest.raises(ValueError, match="limit must be at least 1"):
        select_pairs(table, limit=0)


def test_sweep_pairs_build_non_mated_pairs_from_the_mated_probes(lfw_pairs):
    pairs = sweep_pairs(lfw_pairs, limit=1000, seed=2)
    mated, non_mated = pairs[pairs["same"]], pairs[~pairs["same"]]
    assert len(mated) == len(non_mated) == 1000
    subject_a, subject_b = image_subjects(non_mated)
    assert (subject_a != subject_b).all()  # nobody meets themselves
    assert sorted(non_mated["image_a"]) == sorted(mated["image_a"])
    assert sorted(non_mated["image_b"]) == sorted(mated["image_b"])  # each probe once
    assert pairs.equals(sweep_pairs(lfw_pairs, limit=1000, seed=2))
    assert not pairs.equals(sweep_pairs(lfw_pairs, limit=1000, seed=3))
    file_pairs = sweep_pairs(lfw_pairs, limit=1000, seed=2, impostors="pairs")
    assert file_pairs.equals(select_pairs(lfw_pairs, limit=1000, seed=2))


def test_sweep_pairs_say_when_people_cannot_be_told_apart():
    flat = pd.DataFrame({"image_a": ["a.jpg", "c.jpg"], "image_b": ["b.jpg", "d.jpg"],
                         "same": [True, True]})
    with pytest.raises(ValueError, match="cannot tell who is in 'a.jpg'.*--impostors pairs"):
        sweep_pairs(flat, limit=None)
    named = flat.assign(subject_a=["A", "C"], subject_b=["A", "C"])
    assert sweep_pairs(named, limit=None)["image_b"].tolist() == ["b.jpg", "d.jpg",
                                                                  "d.jpg", "b.jpg"]
    one_person = pd.DataFrame({"image_a": ["A/1", "A/3", "B/1"], "image_b": ["A/2", "A/4", "B/2"],
                               "same": True})
    with pytest.raises(ValueError, match="one person holds 2 of them"):
        sweep_pairs(one_person, limit=None)
    with pytest.raises(ValueError, match="impostors must be one of"):
        sweep_pairs(flat, limit=None, impostors="others")


@pytest.mark.parametrize("text, message", [
    ("0-2", r"severities must lie in 1\.\.5"), ("6", r"must lie in 1\.\.5"),
    ("a-b", "severities must look like '1-5' or '1,3,5'"),
])
def test_bad_severities(text, message):
    with pytest.raises(ValueError, match=message):
        parse_severities(text)


def test_perturbation_names_are_checked():
    assert parse_perturbations("all")[0] == "jpeg"
    assert parse_perturbations("JPEG,jpeg, webp") == ("jpeg", "webp")
    with pytest.raises(ValueError, match="Did you mean 'motion_blur'"):
        parse_perturbations("jpeg,motoin_blur")


def test_bad_arguments_are_refused(tmp_path):
    pairs = pd.DataFrame({"image_a": ["a.jpg"], "image_b": ["b.jpg"], "same": [True]})
    with pytest.raises(ValueError, match="apply must be one of"):
        stress_test(pairs, root=tmp_path, perturbations=["jpeg"], apply="gallery")
    with pytest.raises(ValueError, match="target must be one of"):
        stress_test(pairs, root=tmp_path, perturbations=["jpeg"], target="face")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['same'\]"):
        stress_test(pairs.drop(columns="same"), root=tmp_path, perturbations=["jpeg"])
    with pytest.raises(FileNotFoundError, match="root folder not found"):
        stress_test(pairs, root=tmp_path / "missing", perturbations=["jpeg"])


def test_crop_target_perturbs_the_aligned_canvas_of_both_images(shared_data, lfw_pairs):
    pairs = select_pairs(lfw_pairs, limit=2, seed=9)
    result = stress_test(pairs, root=shared_data / "lfw", perturbations=["gaussian_blur"],
                         severities=[5], apply="both", target="crop", measures=["Sharpness"])
    assert result.examples[("gaussian_blur", 5)].shape == (256, 256, 3)
    blurred = result.scores[result.scores["perturbation"] == "gaussian_blur"]
    assert sorted(blurred["image"]) == sorted(set(pairs["image_a"]) | set(pairs["image_b"]))
    # The face is not searched again on the canvas: no detection failures, all compared.
    assert result.metric("detection_failure_rate", perturbation="gaussian_blur", severity=5) == 0
    assert result.comparisons["status"].eq("ok").all()
    assert result.metric("similarity_drop", perturbation="gaussian_blur", severity=5) > 0


def test_worker_processes_give_the_same_tables(shared_data, lfw_pairs, sweep):
    pairs = select_pairs(lfw_pairs, limit=8, seed=0)
    again = stress_test(pairs, root=shared_data / "lfw", perturbations=["jpeg", "gaussian_blur"],
                        severities=[1, 5], measures=["Sharpness", "InterEyeDistance"],
                        profile=PROFILE, seed=0, options=EngineOptions(workers=2, batch_size=3))
    pd.testing.assert_frame_equal(sweep.results, again.results)
    pd.testing.assert_frame_equal(sweep.comparisons, again.comparisons)
    pd.testing.assert_frame_equal(sweep.scores, again.scores)
