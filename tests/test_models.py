import pytest

from fiqa.models import ModelError, file_sha256, packaged_model, verify_file


def test_packaged_models_are_found_and_verified():
    for name in ("yunet", "sface"):
        model = packaged_model(name)
        assert model.path.is_file()
        assert file_sha256(model.path) == model.sha256


def test_tampered_or_missing_model_is_refused(tmp_path):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(ModelError, match="has sha256 .* expected"):
        verify_file("sface", fake, "0" * 64)
    with pytest.raises(ModelError, match="not found"):
        verify_file("sface", tmp_path / "gone.onnx", "0" * 64)
    with pytest.raises(ModelError, match="unknown packaged model"):
        packaged_model("arcface")
