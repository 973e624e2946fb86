import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch", reason="the torch extra is not installed")

from attacks.patch.evaluate import attack_success, clean_threshold, judge_patches, save_png
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
