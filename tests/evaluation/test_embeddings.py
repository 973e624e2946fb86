from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

import fiqa.evaluation.embeddings as embeddings_module
from fiqa.engines import EngineOptions
from fiqa.evaluation.embeddings import EmbeddingCache, embed_files, embedding_model_key
from fiqa.face import Face, subject_face
from fiqa.pipeline import NO_FACE


def embed(paths, **options):
    return embed_files(paths, **options)["sface"]


@pytest.fixture
def counted(monkeypatch):
    """Counts the items the embedding function sends down the pipeline."""
    calls = []
    original = embeddings_module.run_pipeline

    def counting(items, *args, **kwargs):
        calls.append(len(items))
        return original(items, *args, **kwargs)

    monkeypatch.setattr(embeddings_module, "run_pipeline", counting)
    return calls


@pytest.fixture
def mixed_paths(tmp_path, lfw_image_paths):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), (128, 128, 128)).save(blank)
    good = [str(p) for p in lfw_image_paths[:3]]
    return good, str(bad), str(blank), str(tmp_path / "missing.jpg")


def test_statuses_errors_and_unit_embeddings(mixed_paths):
    good, bad, blank, missing = mixed_paths
    table = embed(good + [bad, blank, missing, good[0]])
    assert table.paths == good + [bad, blank, missing]  # the repeat shares a row
    assert table.status.tolist() == ["ok"] * 3 + ["error", "no_face", "error"]
    assert table.error[3].startswith("not a recognised image format")
    assert table.error[4] == NO_FACE
    assert table.error[5].startswith("file not found")
    assert table.embeddings.shape == (6, 128)
    np.testing.assert_allclose(np.linalg.norm(table.embeddings[:3], axis=1), 1, atol=1e-5)
    assert np.isnan(table.embeddings[3:]).all()
    assert table.rows([good[1], blank]).tolist() == [1, 4]
    assert table.to_frame().columns.tolist() == ["path", "status", "error"]
    with pytest.raises(KeyError, match="was not embedded"):
        table.rows(["other.jpg"])


def test_batch_size_and_workers_do_not_change_embeddings(lfw_image_paths):
    paths = [str(p) for p in lfw_image_paths[:5]]
    one = embed(paths, options=EngineOptions(batch_size=1))
    big = embed(paths, options=EngineOptions(batch_size=64, workers=2))
    np.testing.assert_array_equal(one.embeddings, big.embeddings)
    np.testing.assert_allclose(one.norms, big.norms, rtol=1e-6)
    assert (one.norms > 1).all()  # the raw output's length, a quality baseline


def test_cache_in_memory_and_on_disk(counted, tmp_path, lfw_image_paths):
    image = tmp_path / "face.jpg"
    image.write_bytes(lfw_image_paths[0].read_bytes())
    paths = [str(image), str(lfw_image_paths[1])]
    cache = EmbeddingCache(tmp_path / "cache")
    first = embed(paths, cache=cache)
    again = embed(paths, cache=cache)
    assert counted == [2, 0]  # the second call is served from memory
    np.testing.assert_array_equal(first.embeddings, again.embeddings)

    from_disk = embed(paths, cache=EmbeddingCache(tmp_path / "cache"))  # as a new process
    assert counted == [2, 0, 0]
    np.testing.assert_array_equal(first.embeddings, from_disk.embeddings)

    stat = image.stat()
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # file changed
    embed(paths, cache=EmbeddingCache(tmp_path / "cache"))
    assert counted == [2, 0, 0, 1]


def test_cache_remembers_failures(tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (120, 120)).save(blank)
    embed([blank], cache=EmbeddingCache(tmp_path / "cache"))
    table = embed([blank], cache=EmbeddingCache(tmp_path / "cache"))
    assert table.status.tolist() == ["no_face"] and table.error == [NO_FACE]


def test_caches_of_two_processes_merge_on_save(tmp_path):
    files = [tmp_path / "a.jpg", tmp_path / "b.jpg"]
    for path in files:
        path.write_bytes(b"x")
    first, second = EmbeddingCache(tmp_path / "c"), EmbeddingCache(tmp_path / "c")
    assert first.get("m", files[0]) is None and second.get("m", files[1]) is None
    first.put("m", files[0], np.ones(4, np.float32), "")
    second.put("m", files[1], None, NO_FACE)
    first.save()
    second.save()  # must not drop what the first wrote
    reader = EmbeddingCache(tmp_path / "c")
    vector, error = reader.get("m", files[0])
    assert vector.tolist() == [1, 1, 1, 1] and error == ""
    assert reader.get("m", files[1]) == (None, NO_FACE)


def test_subject_face_largest_or_central():
    largest = Face(np.array([0, 0, 80, 80.]), np.zeros((5, 2)), 0.9)
    off_centre = Face(np.array([150, 10, 40, 40.]), np.zeros((5, 2)), 0.9)
    centred = Face(np.array([85, 85, 30, 30.]), np.zeros((5, 2)), 0.9)
    faces = [largest, off_centre, centred]
    assert subject_face(faces, (200, 200, 3)) is largest
    assert subject_face(faces, (200, 200, 3), face="central") is centred
    assert embedding_model_key("sface") != embedding_model_key("sface", face="central")
    with pytest.raises(ValueError, match="face must be one of largest, central"):
        embed([], face="nearest")


def test_each_recognizer_embeds_its_own_crop(lfw_image_paths):
    pytest.importorskip("dlib", reason="the dlib recognizer needs the extra fiqa[dlib]")
    from fiqa.face import FaceDetector
    from fiqa.io import load_image
    from fiqa.recognition import DlibEmbedder

    paths = [str(p) for p in lfw_image_paths[:2]]
    tables = embed_files(paths, models=("sface", "dlib"))
    assert tables["sface"].embeddings.shape == (2, 128) and tables["dlib"].model == "dlib"
    dlib_embedder, detector = DlibEmbedder(), FaceDetector()
    for path, vector in zip(paths, tables["dlib"].embeddings):
        image = load_image(path)
        chip = dlib_embedder.crop(image, detector.detect(image)[0])
        np.testing.assert_allclose(vector, dlib_embedder.embed(chip[None])[0], atol=1e-6)
    assert np.all(tables["dlib"].norms > 1.1)  # dlib's raw descriptors are not unit length
    assert embedding_model_key("dlib") != embedding_model_key("sface")
