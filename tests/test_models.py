import pytest

from fiqa.models import ModelError, file_sha256, packaged_model, verify_file

#: The published OpenCV Zoo files (fixed here, not read from fiqa, so a wrong table fails).
KNOWN = {"yunet": "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
         "sface": "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_packaged_models_are_found_and_verified(name):
    model = packaged_model(name)
    assert model.path.is_file()
    assert model.sha256 == KNOWN[name]
    assert file_sha256(model.path) == KNOWN[name]


def test_tampered_or_missing_model_is_refused(tmp_path):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(ModelError, match="has sha256 .* expected"):
        verify_file("sface", fake, "0" * 64)
    with pytest.raises(ModelError, match="not found"):
        verify_file("sface", tmp_path / "gone.onnx", "0" * 64)
    with pytest.raises(ModelError, match="unknown packaged model"):
        packaged_model("arcface")
