import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch", reason="the torch extra is not installed")

from attacks.patch.evaluate import (
    attack_success,
    clean_threshold,
    judge_patches,
    judge_results,
    save_png,
)
from fiqa.evaluation.verify import compare_pairs
from fiqa.gate import load_profile
from fiqa.io import load_image


def test_unpatched_image_reproduces_the_pipeline_scores_exactly(shared_data, tmp_path):
    root = shared_data / "lfw"
    probe, enrolled = "Abel_Pacheco/Abel_Pacheco_0001.jpg", "Abel_Pacheco/Abel_Pacheco_0004.jpg"
    copy = save_png(load_image(root / probe), tmp_path / "unpatched.png")
    [outcome] = judge_patches([(str(root / probe), str(copy), str(root / enrolled))],
                              threshold=0.3, mode="dodging", profile=load_profile("lenient"))
    pipeline = compare_pairs(pd.DataFrame({"image_a": [probe], "image_b": [enrolled],
                                           "same": [True]}), root=root)
    assert outcome["score_before"] == pytest.approx(pipeline.loc[0, "score"], abs=1e-6)
    assert outcome["score_after"] == outcome["score_before"]
    assert not outcome["success"]
    assert outcome["gate_before"] == outcome["gate_after"] and outcome["moved"] == ""


def test_success_rule():
    assert attack_success(0.1, threshold=0.3, mode="dodging")
    assert not attack_success(0.3, threshold=0.3, mode="dodging")
    assert attack_success(0.3, threshold=0.3, mode="impersonation")
    assert attack_success(float("nan"), threshold=0.3, mode="dodging")  # no face: not matched


def test_png_round_trip_is_lossless_and_refuses_floats(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, (9, 7, 3), dtype=np.uint8)
    assert np.array_equal(load_image(save_png(image, tmp_path / "a" / "b.png")), image)
    with pytest.raises(ValueError, match="RGB uint8"):
        save_png(image.astype(np.float32), tmp_path / "c.png")


def test_calibration_needs_enough_non_mated_pairs(tmp_path):
    pairs = pd.DataFrame({"image_a": ["x.jpg"], "image_b": ["y.jpg"], "same": [False]})
    with pytest.raises(ValueError, match="needs at least 1000 non-mated comparisons, have 0"):
        clean_threshold(pairs, root=tmp_path)


def test_judge_scores_patched_pngs_black_box_at_its_own_threshold(shared_data, tmp_path):
    pytest.importorskip("dlib", reason="the dlib recognizer needs the extra fiqa[dlib]")
    from fiqa.evaluation.embeddings import embed_files

    root = shared_data / "lfw"
    probe, enrolled = root / "Abel_Pacheco/Abel_Pacheco_0001.jpg", \
        root / "Abel_Pacheco/Abel_Pacheco_0004.jpg"
    image = load_image(probe)
    grey = image.copy()
    grey[:] = 128  # a "patch" over everything: no face left
    results = pd.DataFrame({
        "image": [str(probe)] * 2, "target": [str(enrolled)] * 2,
        "patched": [str(save_png(image, tmp_path / "same.png")),
                    str(save_png(grey, tmp_path / "grey.png"))],
        "success": [False, True]})
    judged = judge_results(results, model="dlib", threshold=0.9, mode="dodging")
    table = embed_files([str(probe), str(enrolled)], models=("dlib",))["dlib"]
    expected = float(np.dot(*table.embeddings))
    np.testing.assert_allclose(judged["dlib.score_before"], expected, rtol=1e-6)
    assert judged.loc[0, "dlib.score_after"] == pytest.approx(expected, rel=1e-6)
    assert np.isnan(judged.loc[1, "dlib.score_after"])  # no face found: dodging succeeds
    assert judged["dlib.success"].tolist() == [expected < 0.9, True]
    assert judged["dlib.clean_ok"].tolist() == [expected >= 0.9] * 2
    assert judged["dlib.threshold"].tolist() == [0.9, 0.9]
    assert judged["success"].tolist() == [False, True]  # the attacked model's verdict kept
