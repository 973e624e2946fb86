from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from fiqa.evaluation.embeddings import (
    NO_FACE,
    EmbeddingCache,
    embed_arrays,
    embed_images,
    embedding_model_key,
    subject_face,
)
from fiqa.face import Face, FaceDetector
from fiqa.io import load_image
from fiqa.recognition import sface


@pytest.fixture(scope="module")
def models():
    return sface(), FaceDetector()


class CountingEmbedder:
    """Wraps an embedder and counts the faces it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0
        self.name, self.sha256, self.input_size = inner.name, inner.sha256, inner.input_size

    def embed(self, faces):
        self.calls += len(faces)
        return self.inner.embed(faces)


@pytest.fixture
def mixed_paths(tmp_path, lfw_image_paths):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), (128, 128, 128)).save(blank)
    good = [str(p) for p in lfw_image_paths[:3]]
    return good, str(bad), str(blank), str(tmp_path / "missing.jpg")


def test_statuses_errors_and_unit_embeddings(models, mixed_paths):
    embedder, detector = models
    good, bad, blank, missing = mixed_paths
    table = embed_images(good + [bad, blank, missing, good[0]], embedder=embedder,
                         detector=detector, progress=False)
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


def test_batch_size_does_not_change_embeddings(models, lfw_image_paths):
    embedder, detector = models
    paths = [str(p) for p in lfw_image_paths[:5]]
    one = embed_images(paths, embedder=embedder, detector=detector, batch_size=1, progress=False)
    big = embed_images(paths, embedder=embedder, detector=detector, batch_size=64,
                       progress=False)
    np.testing.assert_allclose(one.embeddings, big.embeddings, atol=1e-5)
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        embed_images(paths, embedder=embedder, batch_size=0)


def test_cache_in_memory_and_on_disk(models, tmp_path, lfw_image_paths):
    embedder, detector = models
    image = tmp_path / "face.jpg"
    image.write_bytes(lfw_image_paths[0].read_bytes())
    paths = [str(image), str(lfw_image_paths[1])]
    counting = CountingEmbedder(embedder)
    cache = EmbeddingCache(tmp_path / "cache")
    first = embed_images(paths, embedder=counting, detector=detector, cache=cache, progress=False)
    assert counting.calls == 2
    again = embed_images(paths, embedder=counting, detector=detector, cache=cache, progress=False)
    assert counting.calls == 2  # served from memory
    np.testing.assert_array_equal(first.embeddings, again.embeddings)

    fresh = EmbeddingCache(tmp_path / "cache")  # a new process: read from disk
    from_disk = embed_images(paths, embedder=counting, detector=detector, cache=fresh,
                             progress=False)
    assert counting.calls == 2
    np.testing.assert_array_equal(first.embeddings, from_disk.embeddings)

    stat = image.stat()
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # file changed
    embed_images(paths, embedder=counting, detector=detector, cache=fresh, progress=False)
    assert counting.calls == 3


def test_cache_remembers_failures(models, tmp_path):
    embedder, detector = models
    blank = tmp_path / "blank.png"
    Image.new("RGB", (120, 120)).save(blank)
    cache = EmbeddingCache(tmp_path / "cache")
    embed_images([blank], embedder=embedder, detector=detector, cache=cache, progress=False)
    table = embed_images([blank], embedder=embedder, detector=detector,
                         cache=EmbeddingCache(tmp_path / "cache"), progress=False)
    assert table.status.tolist() == ["no_face"] and table.error == [NO_FACE]


def test_in_memory_images_match_files(models, lfw_image_paths):
    embedder, detector = models
    paths = [str(p) for p in lfw_image_paths[:2]]
    from_files = embed_images(paths, embedder=embedder, detector=detector, progress=False)
    arrays = [load_image(p) for p in paths] + [np.zeros((50, 50, 3), np.float32)]
    table = embed_arrays(arrays, embedder=embedder, detector=detector, names=["a", "b", "c"])
    np.testing.assert_allclose(table.embeddings[:2], from_files.embeddings, atol=1e-6)
    assert table.paths == ["a", "b", "c"] and table.status.tolist() == ["ok", "ok", "error"]
    assert table.error[2].startswith("expected an RGB uint8 image")
    with pytest.raises(ValueError, match="got 1 names for 3 images"):
        embed_arrays(arrays, embedder=embedder, names=["a"])


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


def test_subject_face_largest_or_central(models):
    largest = Face(np.array([0, 0, 80, 80.]), np.zeros((5, 2)), 0.9)
    off_centre = Face(np.array([150, 10, 40, 40.]), np.zeros((5, 2)), 0.9)
    centred = Face(np.array([85, 85, 30, 30.]), np.zeros((5, 2)), 0.9)
    faces = [largest, off_centre, centred]
    assert subject_face(faces, (200, 200, 3)) is largest
    assert subject_face(faces, (200, 200, 3), face="central") is centred
    embedder, detector = models
    assert embedding_model_key(embedder, detector) != \
        embedding_model_key(embedder, detector, face="central")  # cached separately
    with pytest.raises(ValueError, match="face must be one of"):
        embed_images([], embedder=embedder, detector=detector, face="nearest")
