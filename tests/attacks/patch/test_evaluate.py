import numpy as np
import pandas as pd
import pytest

from attacks.patch.evaluate import (
    attack_success,
    calibrate_threshold,
    evaluate_patched,
    pipeline_embeddings,
    save_png,
)
from fiqa.evaluation.verify import compare_pairs
from fiqa.io import load_image
from fiqa.recognition import sface


def test_unpatched_image_reproduces_the_pipeline_scores_exactly(shared_data, tmp_path):
    root = shared_data / "lfw"
    probe, enrolled = "Abel_Pacheco/Abel_Pacheco_0001.jpg", "Abel_Pacheco/Abel_Pacheco_0004.jpg"
    embedder = sface()
    template = pipeline_embeddings([root / enrolled], embedder=embedder)[0]
    copy = save_png(load_image(root / probe), tmp_path / "unpatched.png")
    outcome = evaluate_patched(root / probe, copy, template, threshold=0.3, mode="dodging",
                               embedder=embedder)
    pipeline = compare_pairs(pd.DataFrame({"image_a": [probe], "image_b": [enrolled],
                                           "same": [True]}),
                             root=root, embedder=embedder, progress=False)
    assert outcome.score_before == pipeline.loc[0, "score"]
    assert outcome.score_after == outcome.score_before
    assert not outcome.success


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
    with pytest.raises(ValueError, match="needs at least 1000 scored non-mated pairs"):
        calibrate_threshold(pairs, root=tmp_path, embedder=sface())
