import pytest

from fiqa.models import ModelError, file_sha256, package_folder, packaged_model, verify_file

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
    with pytest.raises(ModelError, match="'no_such_models' package is not installed; pip"):
        package_folder("no_such_models")


def test_dlib_models_are_found_without_importing_their_package():
    import sys
    from importlib.util import find_spec

    if find_spec("face_recognition_models") is None:
        pytest.skip("the dlib models come with the extra fiqa[dlib] (face-recognition-models)")
    for name in ("dlib_resnet", "dlib_shape5"):
        model = packaged_model(name)
        assert file_sha256(model.path) == model.sha256
    assert "68" not in packaged_model("dlib_shape5").path.name
    # face_recognition_models imports pkg_resources; fiqa must never run it
    assert "face_recognition_models" not in sys.modules
