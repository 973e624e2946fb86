"""Training the UnifiedQualityScore network on a tiny dataset, and its ONNX export."""

from __future__ import annotations

import numpy as np
import pytest

from fiqa.training.utility_train import (
    UtilityOptions,
    export_model,
    predict_utility,
    train_utility_model,
    utility_targets,
)

TINY = UtilityOptions(epochs=2, batch_size=8, width=4, seed=3)


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (24, 112, 112, 3), dtype=np.uint8)
    targets = crops.mean(axis=(1, 2, 3)) / 255.0
    return crops, targets


@pytest.fixture(scope="module")
def trained(tiny):
    return train_utility_model(*tiny, val=tiny, options=TINY, log=lambda line: None)


def test_training_reports_every_epoch_and_predicts_in_0_1(trained, tiny):
    model, history = trained
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(np.isfinite(h["loss"]) and "val_spearman" in h for h in history)
    predicted = predict_utility(model, tiny[0])
    assert predicted.shape == (24,) and np.all((predicted > 0) & (predicted < 1))


def test_same_seed_same_weights(tiny, trained):
    again, _ = train_utility_model(*tiny, options=TINY, log=lambda line: None)
    np.testing.assert_allclose(predict_utility(again, tiny[0]),
                               predict_utility(trained[0], tiny[0]), rtol=1e-6)


def test_onnx_export_matches_torch(tmp_path, trained, tiny):
    from fiqa.measures.base import run_model
    from fiqa.models import onnx_session

    path = export_model(trained[0], tmp_path / "model.onnx")
    onnx = run_model(onnx_session(path), tiny[0][:5])
    np.testing.assert_allclose(onnx, predict_utility(trained[0], tiny[0][:5]), atol=1e-5)


def test_too_few_samples_is_an_error(tiny):
    with pytest.raises(ValueError, match="at least batch_size=64"):
        train_utility_model(tiny[0][:10], tiny[1][:10], options=UtilityOptions(epochs=1))


def test_targets_are_ranks_of_training_samples_and_nan_for_evaluation():
    emb = np.eye(4, dtype=np.float32)[[0, 0, 1, 1, 2, 2]] + 0.05
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    data = {"role": np.array(["train"] * 4 + ["eval"] * 2), "ok": np.ones(6, bool),
            "source": np.array(["lfw"] * 6), "identity": np.array(list("aabbcc")),
            "path": np.array([f"{i}.jpg" for i in range(6)]),
            "perturbation": np.array([""] * 6), "emb_sface": emb,
            "norm_sface": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])}
    targets = utility_targets(data, label="cr", recognizers=("sface",))
    assert np.all((targets[:4] >= 0) & (targets[:4] <= 1))
    assert np.isnan(targets[4:]).all()
    norm = utility_targets(data, label="norm", recognizers=("sface",))
    np.testing.assert_allclose(norm[:4], [0.125, 0.375, 0.625, 0.875])
    mixed = utility_targets(data, label="cr+norm", recognizers=("sface",))
    np.testing.assert_allclose(mixed[:4], (targets[:4] + norm[:4]) / 2)


def test_unknown_label_kind_suggests_the_closest():
    from fiqa.training.utility_labels import label_terms

    with pytest.raises(ValueError, match="unknown label 'nrom' \\(did you mean 'norm'\\?\\)"):
        label_terms("sdd+nrom:sface", ("sface",))


def test_profile_views_are_repeated_and_nothing_else():
    from fiqa.training.utility_train import training_rows

    data = {"source": np.array(["cfp", "cfp", "lfw", "cfp"]),
            "path": np.array(["/d/cfp/001/profile/01.jpg", "/d/cfp/001/frontal/01.jpg",
                              "/d/lfw/profile/x_0001.jpg", "/d/cfp/002/profile/02.jpg"])}
    mask = np.array([True, True, True, False])
    assert training_rows(data, mask).tolist() == [0, 1, 2]
    assert training_rows(data, mask, profile_repeats=4).tolist() == [0, 0, 0, 0, 1, 2]
    with pytest.raises(ValueError, match="profile_repeats must be at least 1, got 0"):
        training_rows(data, mask, profile_repeats=0)


def test_card_keeps_measured_sections_only_for_the_same_weights(tmp_path, trained):
    import json

    from fiqa.training.utility_data import DataOptions
    from fiqa.training.utility_train import write_card

    path = export_model(trained[0], tmp_path / "model.onnx")
    summary = {"parameters": 1, "training_seconds": 1.0, "training_history": [],
               "samples": 24, "identities": 3}

    def write():
        return write_card(tmp_path, model_path=path, summary=summary, options=TINY,
                          data_options=DataOptions(), command="fiqa train unified",
                          data_description="tiny")

    card = write()
    measured = {"metrics": {"table": [1]}, "label_comparison": {"variants": [2]}}
    (tmp_path / "card.json").write_text(json.dumps({**card, **measured}))
    assert {key: write()[key] for key in measured} == measured
    card = json.loads((tmp_path / "card.json").read_text())
    (tmp_path / "card.json").write_text(json.dumps({**card, "sha256": "older weights"}))
    assert not set(measured) & set(write())
