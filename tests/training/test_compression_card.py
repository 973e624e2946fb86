"""The compression model card: scalar anchors, label text, and a card built from files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fiqa.face import FaceDetector
from fiqa.measures.mapping import sigmoid_scalar
from fiqa.training.compression_card import SCALAR_ANCHORS, scalar_mapping, write_card
from fiqa.training.compression_data import rows_to_arrays
from fiqa.training.compression_samples import compressed_samples
from fiqa.training.compression_train import TrainOptions, export_onnx, train_compression_model


@pytest.mark.parametrize("label", ["ssim", "psnr"])
def test_scalar_mapping_passes_through_its_anchors(label):
    mapping = scalar_mapping(label)
    harm, ordinary = SCALAR_ANCHORS[label]
    values = sigmoid_scalar([harm, ordinary], x0=mapping["x0"], w=mapping["w"])
    np.testing.assert_allclose(values, [50.0, 90.0], atol=1e-3)
    assert mapping["anchors"] == {"scalar_50": harm, "scalar_90": ordinary}


def test_untouched_ssim_scores_near_100_and_heavy_compression_near_0():
    mapping = scalar_mapping("ssim")
    untouched, heavy = sigmoid_scalar([1.0, 0.5], x0=mapping["x0"], w=mapping["w"])
    assert untouched > 95 and heavy < 5


@pytest.fixture(scope="module")
def tiny_run(sample_face, tmp_path_factory):
    landmarks = FaceDetector().detect(sample_face)[0].landmarks
    rows = compressed_samples(sample_face, landmarks, rng=np.random.default_rng(1),
                              inter_eye_px=[35.0, 45.0, 55.0, 70.0], jpeg_count=5, jpeg2000_count=3,
                              crop_size=32)
    data = rows_to_arrays(rows)
    data["split"] = np.repeat(["train", "train", "val", "test"], 9)  # one resolution each
    data["identity"] = np.array(["p"] * len(rows))
    options = TrainOptions(epochs=1, batch_size=8, width=0.25, depth=0.25, label="psnr")
    model, history = train_compression_model(data, options=options, log=lambda line: None)
    folder = tmp_path_factory.mktemp("model")
    path = export_onnx(model, folder / "model.onnx", crop_size=32)
    run = {"training_command": "test", "training_seconds": 1.0, "data_seconds": 0.0,
           "parameters": 1, "options": options.__dict__, "data_options": {"crop_size": 32},
           "training_history": history}
    return path, data, run


def test_card_is_written_from_the_files_and_keeps_hand_written_text(tiny_run):
    path, data, run = tiny_run
    path.with_name("card.json").write_text(json.dumps(
        {"limitations": ["kept"], "metrics": {"label_variants": {"kept": 1}}}))
    card = write_card(path, data=data, run=run)
    assert card["output"]["tensor"] == "psnr" and card["label"]["name"] == "psnr"
    assert "PSNR" in card["label"]["definition"] and card["limitations"] == ["kept"]
    assert card["metrics"]["label_variants"] == {"kept": 1}
    assert card["scalar_mapping"]["x0"] == SCALAR_ANCHORS["psnr"][0]
    assert "threshold" in card["detection"]  # a 1-epoch model: value meaningless
    assert json.loads(path.with_name("card.json").read_text())["sha256"] == card["sha256"]
