import numpy as np
import pytest
from skimage import data

from fiqa.face import ARCFACE_TEMPLATE, Face
from fiqa.pipeline import NO_FACE, Item, PipelineSpec


@pytest.fixture(scope="module")
def pipeline():
    return PipelineSpec(measures=("Sharpness", "InterEyeDistance"), recognizers=("sface",)).build()


def test_files_arrays_and_failures_each_give_a_record(pipeline, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    astronaut = data.astronaut()
    records = pipeline.run([
        Item("astronaut", image=astronaut), Item("bad", path=str(bad)),
        Item("blank", image=np.full((200, 200, 3), 128, np.uint8)),
        Item("floats", image=astronaut.astype(np.float32))])
    assert [r.status for r in records] == ["ok", "error", "no_face", "error"]
    ok = records[0]
    assert ok.face_count == 1 and ok.subject is ok.faces[0]
    assert ok.quality["path"] == "astronaut" and 0 <= ok.quality["Sharpness.scalar"] <= 100
    assert np.linalg.norm(ok.embeddings["sface"]) == pytest.approx(1.0, abs=1e-5)
    assert ok.norms["sface"] > 1 and ok.image is None  # images are kept only when asked
    assert records[1].error.startswith("not a recognised image format")
    assert records[2].error == NO_FACE and records[2].embeddings == {}
    assert records[3].error.startswith("expected an RGB uint8 image")
    assert [r.quality["status"] for r in records] == [r.status for r in records]


def test_transform_runs_before_detection_and_its_info_is_kept(pipeline):
    def darken(image, name):
        return (image // 4).astype(np.uint8), {"name": name, "factor": 0.25}

    clean, dark = pipeline.run([Item("a", image=data.astronaut()),
                                Item("a", image=data.astronaut(), transform=darken,
                                     keep_image=True)])
    assert dark.info == {"name": "a", "factor": 0.25}
    assert dark.image.max() <= 255 // 4
    assert float(np.dot(clean.embeddings["sface"], dark.embeddings["sface"])) < 0.9999


def test_known_faces_skip_detection_and_canvas_warps_to_the_template(pipeline):
    face = pipeline.run([Item("a", image=data.astronaut())])[0].subject
    [record] = pipeline.run([Item("a", image=data.astronaut(), faces=[face], on_canvas=True,
                                  keep_image=True)])
    assert record.image.shape == (256, 256, 3) and record.status == "ok"
    [missing] = pipeline.run([Item("a", image=data.astronaut(), faces=[], on_canvas=True)])
    assert missing.status == "error" and "no face known" in missing.error


def test_the_subject_rule_is_applied(pipeline):
    image = np.zeros((300, 300, 3), np.uint8)
    big = Face(np.array([0, 0, 120, 120], np.float32), ARCFACE_TEMPLATE * 1.0, 0.9)
    small = Face(np.array([130, 130, 40, 40], np.float32), ARCFACE_TEMPLATE * 0.35 + 130, 0.9)
    central = PipelineSpec(measures=(), face="central").build()
    assert central.run([Item("x", image=image, faces=[big, small])])[0].subject is small
    assert pipeline.run([Item("x", image=image, faces=[big, small])])[0].subject is big
    with pytest.raises(ValueError, match="face must be one of largest, central"):
        PipelineSpec(face="nearest")


def test_metadata_names_every_model(pipeline):
    meta = pipeline.metadata()
    assert meta["face"] == "largest" and meta["measures"] == ["Sharpness", "InterEyeDistance"]
    assert len(meta["detector"]["sha256"]) == 64
    assert len(meta["recognizers"]["sface"]["sha256"]) == 64
