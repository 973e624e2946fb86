import cv2
import numpy as np
import onnx
import pytest

from fiqa.face import FaceDetector, align_face
from fiqa.io import load_image
from fiqa.models import packaged_model
from fiqa.onnx_float import float_model
from fiqa.recognition import (
    DLIB_CHIP_SIZE,
    DlibEmbedder,
    OnnxEmbedder,
    cosine_similarity,
    create_embedder,
    dlib_box,
    sface,
)


@pytest.fixture(scope="module")
def aligned_lfw(lfw_image_paths):
    detector = FaceDetector()
    crops, rows, images = [], [], []
    for path in lfw_image_paths[:6]:
        image = load_image(path)
        face = detector.detect(image)[0]
        crops.append(align_face(image, face.landmarks))
        rows.append(np.concatenate([face.box, face.landmarks.ravel(), [face.score]]))
        images.append(image)
    return np.stack(crops), rows, images


def test_sface_matches_opencv_face_recognizer(aligned_lfw):
    crops, rows, images = aligned_lfw
    ours = sface().embed(crops)
    reference = cv2.FaceRecognizerSF.create(str(packaged_model("sface").path), "")
    for embedding, row, image in zip(ours, rows, images):
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        theirs = reference.feature(reference.alignCrop(bgr, row[None].astype(np.float32)))[0]
        assert cosine_similarity(embedding, theirs) > 0.9999


def test_embeddings_are_unit_vectors_and_batch_independent(aligned_lfw):
    crops, _, _ = aligned_lfw
    embedder = sface()
    batch = embedder.embed(crops)
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    single = np.concatenate([embedder.embed(crop[None]) for crop in crops])
    np.testing.assert_allclose(batch, single, atol=1e-5)


def test_different_people_are_less_similar_than_the_same_face(aligned_lfw):
    crops, _, _ = aligned_lfw
    embeddings = sface().embed(crops)
    flipped = sface().embed(np.ascontiguousarray(crops[:, :, ::-1]))
    same = cosine_similarity(embeddings, flipped)
    different = cosine_similarity(embeddings, np.roll(embeddings, 1, axis=0))
    assert same.min() > different.max()


def test_generic_onnx_embedder_with_float_sface_and_explicit_preprocessing(tmp_path, aligned_lfw):
    crops, _, _ = aligned_lfw
    path = tmp_path / "sface_float.onnx"
    onnx.save(float_model(onnx.load(str(packaged_model("sface").path))), path)
    generic = create_embedder(str(path))
    np.testing.assert_allclose(generic.embed(crops), sface().embed(crops), atol=1e-5)
    # BGR input order with the channels swapped back by the caller gives the same result
    bgr = OnnxEmbedder(path, channel_order="BGR")
    np.testing.assert_allclose(bgr.embed(crops[..., ::-1]), generic.embed(crops), atol=1e-5)
    # mean/std are applied: a shifted model input changes the embedding
    shifted = OnnxEmbedder(path, mean=10.0, std=1.0)
    assert cosine_similarity(shifted.embed(crops), generic.embed(crops)).min() < 0.9999


def test_sface_crop_is_the_arcface_warp_and_raw_output_keeps_its_length(aligned_lfw,
                                                                         lfw_image_paths):
    crops, _, images = aligned_lfw
    embedder = sface()
    face = FaceDetector().detect(images[0])[0]
    np.testing.assert_array_equal(embedder.crop(images[0], face), crops[0])
    raw = embedder.embed(crops, normalise=False)
    norms = np.linalg.norm(raw, axis=1)
    assert np.all(np.abs(norms - 1) > 0.01)  # SFace's raw output is not unit length
    np.testing.assert_allclose(raw / norms[:, None], embedder.embed(crops), atol=1e-6)


def test_embedder_errors_are_actionable(tmp_path):
    with pytest.raises(ValueError, match="unknown recognizer 'arcface-r100': give one of"):
        create_embedder("arcface-r100")
    with pytest.raises(ValueError, match="did you mean 'dlib'"):
        create_embedder("dlb")
    with pytest.raises(ValueError, match="channel_order"):
        OnnxEmbedder(packaged_model("sface").path, channel_order="RBG")
    with pytest.raises(ValueError, match=r"shape \(N, 112, 112, 3\)"):
        sface().embed(np.zeros((1, 100, 100, 3), np.uint8))


@pytest.fixture(scope="module")
def dlib_faces(lfw_image_paths):
    pytest.importorskip("dlib", reason="the dlib recognizer needs the extra fiqa[dlib]")
    detector = FaceDetector()
    images = [load_image(path) for path in lfw_image_paths[:6]]
    return DlibEmbedder(), images, [detector.detect(image)[0] for image in images]


def test_dlib_matches_dlibs_own_compute_face_descriptor(dlib_faces):
    _, images, faces = dlib_faces
    embedder = DlibEmbedder(mirror=False)
    chips = np.stack([embedder.crop(image, face) for image, face in zip(images, faces)])
    assert chips.shape == (6, DLIB_CHIP_SIZE, DLIB_CHIP_SIZE, 3) and chips.dtype == np.uint8
    ours = embedder.embed(chips, normalise=False)
    for vector, image, face in zip(ours, images, faces):
        # dlib's reference path: its own chip extraction inside compute_face_descriptor
        theirs = np.asarray(embedder._net.compute_face_descriptor(image, embedder.shape(image, face)))
        np.testing.assert_array_equal(vector, theirs.astype(np.float32))  # bit-exact


def test_dlib_embeddings_unit_batch_independent_and_discriminative(dlib_faces):
    embedder, images, faces = dlib_faces
    chips = np.stack([embedder.crop(image, face) for image, face in zip(images, faces)])
    unit = embedder.embed(chips)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)
    raw = embedder.embed(chips, normalise=False)
    assert np.all(np.linalg.norm(raw, axis=1) > 1.1)  # dlib's descriptors are not unit length
    np.testing.assert_allclose(raw / np.linalg.norm(raw, axis=1, keepdims=True), unit, atol=1e-6)
    single = np.concatenate([DlibEmbedder(batch_size=1).embed(chip[None]) for chip in chips])
    np.testing.assert_allclose(single, unit, atol=1e-6)
    flipped = embedder.embed(np.ascontiguousarray(chips[:, :, ::-1]))
    same = cosine_similarity(unit, flipped)
    different = cosine_similarity(unit, np.roll(unit, 1, axis=0))
    assert same.min() > different.max()


def test_dlib_mirror_averages_the_chip_and_its_mirror_image(dlib_faces):
    embedder, images, faces = dlib_faces
    assert embedder.mirror  # the default
    chips = np.stack([embedder.crop(image, face) for image, face in zip(images, faces)])
    single = DlibEmbedder(mirror=False)
    expected = (single.embed(chips, normalise=False)
                + single.embed(np.ascontiguousarray(chips[:, :, ::-1]), normalise=False)) / 2
    np.testing.assert_allclose(embedder.embed(chips, normalise=False), expected, atol=1e-6)
    assert embedder.metadata()["mirror"] and not single.metadata()["mirror"]


def test_dlib_box_is_the_yunet_box_reshaped_like_dlibs_detector():
    left, top, right, bottom = dlib_box(np.array([50.0, 40.0, 100.0, 130.0]))
    assert right - left + 1 == bottom - top + 1 == 114  # square, 1.14 widths
    assert (left + right) / 2 < 100 and (top + bottom) / 2 > 105  # a little left and lower


def test_dlib_is_a_registered_embedder_with_its_models_recorded(dlib_faces):
    embedder = create_embedder("dlib")
    meta = embedder.metadata()
    assert meta["name"] == "dlib" and meta["sha256"] == packaged_model("dlib_resnet").sha256
    assert meta["shape_predictor_sha256"] == packaged_model("dlib_shape5").sha256
    with pytest.raises(ValueError, match=r"shape \(N, 150, 150, 3\).*DlibEmbedder.crop"):
        embedder.embed(np.zeros((1, 112, 112, 3), np.uint8))
    with pytest.raises(ValueError, match="RGB uint8"):
        embedder.crop(np.zeros((20, 20), np.uint8), dlib_faces[2][0])
