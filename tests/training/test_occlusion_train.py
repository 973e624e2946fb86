"""Training the face-occlusion network on a tiny synthetic set, and its ONNX export."""

from __future__ import annotations

import numpy as np
import pytest

from fiqa.training.occlusion_train import (
    OcclusionDataOptions,
    OcclusionTrainOptions,
    base_photos,
    export_model,
    half_resolution,
    mask_iou,
    predict_occlusion,
    synthetic_set,
    train_occlusion_model,
)

TINY = OcclusionTrainOptions(epochs=2, batch_size=8, width=4, seed=3)


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    crops = np.clip(rng.normal(150, 25, (8, 112, 112, 3)), 0, 255).astype(np.uint8)
    return synthetic_set(crops, copies=2, seed=1, clean_share=0.2)


@pytest.fixture(scope="module")
def trained(tiny):
    return train_occlusion_model(*tiny, val=tiny, options=TINY, log=lambda line: None)


def test_synthetic_sets_are_deterministic_and_sized(tiny):
    images, labels = tiny
    assert images.shape == (16, 112, 112, 3) and labels.shape == (16, 112, 112)
    again = synthetic_set(np.clip(np.random.default_rng(0).normal(150, 25, (8, 112, 112, 3)), 0, 255)
                          .astype(np.uint8), copies=2, seed=1, clean_share=0.2)
    np.testing.assert_array_equal(again[1], labels)


def test_training_reports_every_epoch_and_predicts_probabilities(trained, tiny):
    model, history = trained
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(np.isfinite(h["loss"]) and 0 <= h["val_iou"] <= 1 for h in history)
    maps = predict_occlusion(model, tiny[0][:3])
    assert maps.shape == (3, 112, 112) and np.all((maps > 0) & (maps < 1))


def test_onnx_export_matches_torch(tmp_path, trained, tiny):
    from fiqa.measures.base import model_input
    from fiqa.models import onnx_session

    path = export_model(trained[0], tmp_path / "model.onnx")
    session = onnx_session(path)
    (onnx,) = session.run(None, {"crops": model_input(tiny[0][:3])})
    np.testing.assert_allclose(onnx, predict_occlusion(trained[0], tiny[0][:3]), atol=1e-5)


def test_half_resolution_targets_are_block_shares_and_iou_counts_overlap():
    labels = np.zeros((1, 112, 112), np.uint8)
    labels[0, :2, :1] = 1  # half of the first 2x2 block
    assert half_resolution(labels)[0, 0, 0] == 0.5 and half_resolution(labels).shape == (1, 56, 56)
    truth = np.zeros((1, 4, 4), np.uint8)
    truth[0, :2] = 1
    predicted = np.zeros((1, 4, 4))
    predicted[0, 1:3] = 0.9
    assert mask_iou(predicted, truth) == pytest.approx(4 / 12)


def test_identities_of_excluded_photos_are_left_out(shared_data):
    options = OcclusionDataOptions(lfw_people=50)
    photos = base_photos(shared_data, options)
    lfw_person = next(path for path, source, _ in photos if source == "lfw").split("/")[1]
    kept = base_photos(shared_data, options,
                       exclude={f"lfw/{lfw_person}/x.jpg", "cfp/001/frontal/01.jpg"})
    assert not any(identity in (lfw_person, "001") for _, _, identity in kept)
    assert any(source == "faces-hq" for _, source, _ in kept)
