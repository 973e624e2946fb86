"""Training the CompressionArtifacts network end to end on a tiny dataset, and its export."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="the torch extra is not installed")
pytest.importorskip("efficientnet_pytorch", reason="the torch extra is not installed")

from fiqa.face import FaceDetector
from fiqa.training.compression_data import rows_to_arrays
from fiqa.training.compression_eval import onnx_predictor
from fiqa.training.compression_samples import compressed_samples
from fiqa.training.compression_train import (
    EPS,
    PSNR_TARGET_CAP_DB,
    TrainOptions,
    export_onnx,
    label_to_target,
    predict_label,
    ssim_to_target,
    train_compression_model,
)

TINY = TrainOptions(epochs=2, batch_size=16, width=0.25, depth=0.25, seed=5)


@pytest.fixture(scope="module")
def tiny_data(sample_face):
    landmarks = FaceDetector().detect(sample_face)[0].landmarks
    rows = compressed_samples(
        sample_face,
        landmarks,
        rng=np.random.default_rng(0),
        inter_eye_px=[32.0, 45.0, 60.0, 80.0],
        jpeg_count=6,
        jpeg2000_count=2,
        crop_size=32,
        jitter_px=4,
    )
    return rows_to_arrays(rows)


@pytest.fixture(scope="module")
def trained(tiny_data):
    return train_compression_model(tiny_data, val=tiny_data, options=TINY, log=lambda line: None)


def test_target_stretch_is_monotone_and_spreads_the_top():
    targets = ssim_to_target([0.5, 0.9, 0.95, 0.99, 1.0])
    assert np.all(np.diff(targets) > 0)
    assert (
        targets[4] - targets[3] > targets[1] - targets[0]
    )  # 1.0 vs 0.99 further apart than 0.9 vs 0.5
    assert ssim_to_target(1.0) == pytest.approx(-np.log10(EPS))


def test_training_runs_and_reports_every_epoch(trained, tiny_data):
    model, history = trained
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(np.isfinite(h["loss"]) and h["seconds"] > 0 for h in history)
    predicted = predict_label(model, tiny_data["crops"])
    assert predicted.shape == (len(tiny_data["ssim"]),) and np.all(
        (predicted >= 0) & (predicted <= 1)
    )


def test_same_seed_same_model(trained, tiny_data):
    again, _ = train_compression_model(tiny_data, options=TINY, log=lambda line: None)
    np.testing.assert_array_equal(
        predict_label(trained[0], tiny_data["crops"]), predict_label(again, tiny_data["crops"])
    )


def test_onnx_export_agrees_with_torch_for_any_batch(trained, tiny_data, tmp_path):
    model = trained[0]
    path = export_onnx(model, tmp_path / "model.onnx", crop_size=32)
    predict = onnx_predictor(path, batch_size=7)  # 7 does not divide the sample count: ragged batch
    np.testing.assert_allclose(
        predict(tiny_data["crops"]), predict_label(model, tiny_data["crops"]), atol=1e-5
    )


def test_too_few_samples_is_an_error(tiny_data):
    few = {key: value[:4] for key, value in tiny_data.items()}
    with pytest.raises(ValueError, match="at least batch_size=16"):
        train_compression_model(few, options=TINY)


def test_psnr_target_is_capped_and_linear():
    np.testing.assert_allclose(label_to_target([20.0, 40.0, 100.0], label="psnr"), [2.0, 4.0, 6.0])
    assert label_to_target([0.95], label="ssim") == pytest.approx(ssim_to_target(0.95))


def test_psnr_variant_predicts_decibels_through_onnx(tiny_data, tmp_path):
    options = TrainOptions(**{**TINY.__dict__, "label": "psnr", "epochs": 1})
    model, history = train_compression_model(
        tiny_data, val=tiny_data, options=options, log=lambda line: None
    )
    assert {"val_mae", "val_spearman_ssim", "val_spearman_psnr"} <= set(history[0])
    predicted = predict_label(model, tiny_data["crops"])
    assert np.all((predicted >= 0) & (predicted <= PSNR_TARGET_CAP_DB))
    path = export_onnx(model, tmp_path / "model.onnx", crop_size=32)
    np.testing.assert_allclose(onnx_predictor(path)(tiny_data["crops"]), predicted, atol=1e-3)


def test_unknown_label_is_an_error():
    with pytest.raises(ValueError, match="unknown label 'mse'; choose from"):
        TrainOptions(label="mse")
