"""Data generation for the CompressionArtifacts model: labels, determinism, splits."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fiqa.face import FaceDetector
from fiqa.training.compression_data import (
    LARGE_FACE_RECIPE,
    MIN_INTER_EYE_PX,
    DataOptions,
    compression_dataset,
    generate_compression_data,
    identity_split,
    reference_images,
    target_resolutions,
)
from fiqa.training.compression_samples import compress, compressed_samples, similarity_labels


@pytest.fixture(scope="module")
def astronaut_landmarks(sample_face):
    return FaceDetector().detect(sample_face)[0].landmarks


def test_identity_split_is_stable_and_roughly_70_10_20():
    names = [f"person{i}" for i in range(2000)]
    splits = np.array([identity_split("lfw", name) for name in names])
    assert [identity_split("lfw", name) for name in names[:50]] == splits[:50].tolist()
    fractions = [np.mean(splits == name) for name in ("train", "val", "test")]
    np.testing.assert_allclose(fractions, [0.7, 0.1, 0.2], atol=0.03)


def test_ssim_and_psnr_fall_as_jpeg_quality_falls(sample_face):
    crop = sample_face[40:200, 140:300]
    labels = [
        similarity_labels(crop, compress(crop, codec="jpeg", level=q)) for q in (95, 60, 30, 8)
    ]
    ssim, psnr = np.array(labels).T
    assert np.all(np.diff(ssim) < 0) and np.all(np.diff(psnr) < 0)
    assert similarity_labels(crop, crop) == (1.0, 100.0)


def test_jpeg2000_ratio_lowers_ssim(sample_face):
    crop = sample_face[40:200, 140:300]
    mild, heavy = (
        similarity_labels(crop, compress(crop, codec="jpeg2000", level=r))[0] for r in (8, 150)
    )
    assert 1.0 > mild > heavy


def test_unknown_codec_is_rejected(sample_face):
    with pytest.raises(ValueError, match="unknown codec 'webp'"):
        compress(sample_face, codec="webp", level=50)


def test_target_resolutions_stay_in_range_and_cover_it():
    targets = target_resolutions(58.0, 6, np.random.default_rng(0))
    assert len(targets) == 6 and np.all(np.diff(targets) > 0)
    assert MIN_INTER_EYE_PX <= targets[0] < 45 and 110 < targets[-1] <= 150.0
    assert target_resolutions(5.0, 2, np.random.default_rng(0)) == []
    large = target_resolutions(
        64.0, 10, np.random.default_rng(0), max_upscale=5.0,
        max_inter_eye_px=LARGE_FACE_RECIPE["max_inter_eye_px"])
    assert 250 < large[-1] <= 5 * 64.0 and large[-2] > 150


def test_samples_are_labelled_and_deterministic(sample_face, astronaut_landmarks):
    def make(seed):
        return compressed_samples(
            sample_face,
            astronaut_landmarks,
            rng=np.random.default_rng(seed),
            inter_eye_px=[40.0, 90.0],
            jpeg_count=2,
            jpeg2000_count=1,
            crop_size=48,
        )

    rows = make(3)
    assert [row["codec"] for row in rows] == ["none", "jpeg", "jpeg", "jpeg2000"] * 2
    assert [row["chroma_subsampling"] for row in rows[1:3]] == [True, False]
    assert all(row["crop"].shape == (48, 48, 3) for row in rows)
    np.testing.assert_allclose(
        [rows[0]["inter_eye_px"], rows[4]["inter_eye_px"]], [40, 90], rtol=1e-6
    )
    assert rows[0]["ssim"] == 1.0 and all(row["ssim"] < 1.0 for row in rows[1:4])
    again, other = make(3), make(4)
    assert all(
        np.array_equal(a["crop"], b["crop"]) and a["level"] == b["level"]
        for a, b in zip(rows, again)
    )
    assert [row["level"] for row in rows] != [row["level"] for row in other]


def _data_tree(root, image):
    (root / "faces-hq").mkdir(parents=True)
    Image.fromarray(image).save(root / "faces-hq" / "00000.png")
    (root / "lfw" / "Some_One").mkdir(parents=True)
    Image.fromarray(image).save(root / "lfw" / "Some_One" / "Some_One_0001.jpg")
    return root


def test_reference_images_reads_the_data_layout(tmp_path, sample_face):
    refs = reference_images(_data_tree(tmp_path / "data", sample_face), lfw_people=5)
    assert [(r.source, r.identity, r.scale) for r in refs] == [
        ("faces-hq", "00000", 1.0),
        ("lfw", "Some_One", 0.5),
    ]
    with pytest.raises(ValueError, match="no reference faces"):
        reference_images(tmp_path / "empty")


def test_generation_is_cached_and_reproducible(tmp_path, sample_face):
    root = _data_tree(tmp_path / "data", sample_face)
    options = DataOptions(
        crop_size=32,
        lfw_people=1,
        hq_resolutions=2,
        other_resolutions=1,
        jpeg_count=1,
        jpeg2000_count=1,
    )
    data = compression_dataset(root, cache_dir=tmp_path / "cache", options=options)
    assert data["crops"].shape == (9, 32, 32, 3)
    assert set(data["codec"]) == {"none", "jpeg", "jpeg2000"}
    assert len(list((tmp_path / "cache").glob("compression-*.npz"))) == 1
    cached = compression_dataset(root, cache_dir=tmp_path / "cache", options=options)
    assert np.array_equal(cached["crops"], data["crops"])
    refs = reference_images(root, lfw_people=1, hq_resolutions=2, other_resolutions=1)
    direct = generate_compression_data(refs, crop_size=32, jpeg_count=1, jpeg2000_count=1)
    np.testing.assert_array_equal(direct["ssim"], data["ssim"])


def test_saved_datasets_round_trip_and_leave_no_partial_file(tmp_path):
    from fiqa.training.compression_data import load_dataset, save_dataset

    data = {"crops": np.arange(24, dtype=np.uint8).reshape(2, 2, 2, 3), "ssim": np.array([0.5, 1.0])}
    path = save_dataset(data, tmp_path / "cache" / "compression-x.npz")
    loaded = load_dataset(path)
    assert set(loaded) == {"crops", "ssim"} and np.array_equal(loaded["crops"], data["crops"])
    assert [p.name for p in path.parent.iterdir()] == ["compression-x.npz"]
