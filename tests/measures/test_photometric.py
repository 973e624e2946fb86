"""Photometric measures: hand-computed values on synthetic canvases, OFIQ's mappings, and
the direction of change under exposure, contrast, shading and colour edits of real faces."""

from __future__ import annotations

import numpy as np
import pytest

from fiqa.context import FaceContext
from fiqa.face import QUALITY_MARGIN, QUALITY_SIZE, Face, FaceDetector, template_points
from fiqa.io import load_image
from fiqa.measures import create_scorer, select_measures
from fiqa.measures.photometric import (
    MEASURES,
    cheek_zones,
    cielab_ab,
    luminance_histogram,
    natural_colour_distance,
    relative_luminance,
)

SCALARS = {measure.name: measure.to_scalar for measure in MEASURES}


def measure_all(ctx: FaceContext) -> dict[str, float]:
    return {measure.name: measure.compute(ctx) for measure in MEASURES}


def scalar(name: str, raw: float) -> float:
    return float(SCALARS[name](np.array(raw)))


def canvas_context(canvas: np.ndarray) -> FaceContext:
    """A context whose aligned canvas is ``canvas`` itself, with the template landmarks."""
    points = template_points(size=QUALITY_SIZE, margin=QUALITY_MARGIN)
    face = Face(np.array([40, 30, 176, 200], np.float32), points, 0.9)
    return FaceContext(image=canvas, face=face, faces=[face], aligned=canvas,
                       aligned_landmarks=points)


def uniform(rgb) -> np.ndarray:
    return np.tile(np.array(rgb, np.uint8), (QUALITY_SIZE, QUALITY_SIZE, 1))


@pytest.fixture(scope="module")
def real_faces(lfw_image_paths, sample_face):
    """(image, faces) for the astronaut and the first 8 LFW people, detected once."""
    detector = FaceDetector()
    images = [sample_face] + [load_image(path) for path in lfw_image_paths[:8]]
    pairs = [(image, detector.detect(image)) for image in images]
    return [(image, faces) for image, faces in pairs if faces]


def values_after(edit, real_faces) -> list[tuple[dict, dict]]:
    """Measures before and after ``edit(image, face)``, landmarks kept (geometry unchanged)."""
    pairs = []
    for image, faces in real_faces:
        edited = edit(image.astype(np.float32), faces[0])
        edited = np.clip(np.rint(edited), 0, 255).astype(np.uint8)
        pairs.append((measure_all(FaceContext.build(image, faces)),
                      measure_all(FaceContext.build(edited, faces))))
    return pairs


# --- definitions and hand-computed values -------------------------------------------------

def test_measures_follow_the_registry_order():
    assert tuple(m.name for m in MEASURES) == select_measures(["photometric"])["photometric"]


def test_relative_luminance_matches_srgb_decoding():
    codes = np.array([[0, 0, 0], [255, 255, 255], [128, 128, 128], [255, 0, 0], [0, 255, 0]],
                     np.uint8)
    # sRGB 128 decodes to 0.2158 linear; pure red/green weigh 0.2126 / 0.7152.
    assert relative_luminance(codes).tolist() == [0, 255, 55, 54, 182]


def test_relative_luminance_rejects_non_uint8_rgb():
    with pytest.raises(ValueError, match="uint8 RGB"):
        relative_luminance(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="uint8 RGB"):
        relative_luminance(np.zeros((4, 4), np.uint8))


def test_uniform_grey_canvas_has_known_statistics():
    values = measure_all(canvas_context(uniform([128, 128, 128])))
    assert values["LuminanceMean"] == pytest.approx(55 / 255)
    assert values["LuminanceVariance"] == pytest.approx(0.0, abs=1e-12)
    assert values["DynamicRange"] == pytest.approx(0.0, abs=1e-12)
    assert values["IlluminationUniformity"] == pytest.approx(1.0)
    assert values["UnderExposurePrevention"] == 0.0
    assert values["OverExposurePrevention"] == 0.0
    # 100 * S(0.2157; 0.2, 0.05) * (1 - S(0.2157; 0.8, 0.05)), by hand
    expected = 100 / (1 + np.exp(-(55 / 255 - 0.2) / 0.05)) / (1 + np.exp((55 / 255 - 0.8) / 0.05))
    assert scalar("LuminanceMean", values["LuminanceMean"]) == pytest.approx(expected)
    assert scalar("LuminanceVariance", 0.0) == 0.0
    assert scalar("DynamicRange", 0.0) == 0.0


def test_black_and_white_stripes_have_known_statistics():
    stripes = uniform([0, 0, 0])
    stripes[:, ::2] = 255  # columns alternate: half the face pixels at 0, half at 255
    values = measure_all(canvas_context(stripes))
    assert values["LuminanceMean"] == pytest.approx(0.5, abs=0.01)
    assert values["LuminanceVariance"] == pytest.approx(0.25, abs=0.001)
    assert values["DynamicRange"] == pytest.approx(1.0, abs=0.001)
    assert values["UnderExposurePrevention"] == pytest.approx(0.5, abs=0.01)
    assert values["OverExposurePrevention"] == pytest.approx(0.5, abs=0.01)


def test_luminance_histogram_is_normalised_and_nan_when_empty():
    histogram = luminance_histogram(np.arange(256, dtype=np.uint8))
    assert histogram.sum() == pytest.approx(1.0) and np.all(histogram == 1 / 256)
    assert np.isnan(luminance_histogram(np.zeros(0, np.uint8))).all()


def test_uniform_256_level_ramp_has_eight_bits_of_entropy():
    values = np.arange(256 * 256, dtype=np.int64) % 256
    histogram = luminance_histogram(values.astype(np.uint8))
    entropy = -(histogram * np.log2(histogram)).sum()
    assert entropy == pytest.approx(8.0)
    assert scalar("DynamicRange", entropy) == pytest.approx(100.0)


def test_natural_colour_box_and_lab_conversion():
    skin = canvas_context(uniform([204, 153, 128]))
    a, b = cielab_ab(np.array([204, 153, 128]) / 255)
    assert 5 < a < 25 and 5 < b < 35
    assert measure_all(skin)["NaturalColour"] == 0.0
    assert scalar("NaturalColour", 0.0) == pytest.approx(100.0)
    assert natural_colour_distance(2.0, 39.0) == pytest.approx(5.0)  # 3 below a, 4 above b
    blue = measure_all(canvas_context(uniform([90, 110, 200])))["NaturalColour"]
    assert blue == 100.0 and scalar("NaturalColour", blue) < 1.0


def test_ofiq_scalar_mappings_at_reference_points():
    assert scalar("LuminanceMean", 0.5) == pytest.approx(100 / (1 + np.exp(-6.0)) ** 2)
    assert scalar("LuminanceVariance", 1 / 60) == pytest.approx(100.0)
    assert scalar("IlluminationUniformity", 1.0) == pytest.approx(100.0)
    assert scalar("IlluminationUniformity", 0.5) == pytest.approx(100 * 0.5**0.3)
    assert scalar("UnderExposurePrevention", 0.0) == pytest.approx(99.84, abs=0.01)
    assert scalar("UnderExposurePrevention", 0.92) == pytest.approx(120 * 0.332)
    assert scalar("OverExposurePrevention", 0.0) == 100.0
    assert scalar("OverExposurePrevention", 0.01) == pytest.approx(50.0)
    assert np.isnan(scalar("NaturalColour", np.nan))


def test_cheek_zones_lie_below_and_outside_each_eye():
    points = template_points(size=QUALITY_SIZE, margin=QUALITY_MARGIN)
    canvas = np.zeros((QUALITY_SIZE, QUALITY_SIZE, 3), np.uint8)
    canvas[:, :, 0] = np.arange(QUALITY_SIZE)[None, :]  # red = x
    canvas[:, :, 1] = np.arange(QUALITY_SIZE)[:, None]  # green = y
    left, right = cheek_zones(canvas, points)
    eye_distance = points[1, 0] - points[0, 0]
    eye_mouth = points[3:, 1].mean() - points[:2, 1].mean()
    assert left[..., 0].max() <= points[0, 0] + 1
    assert left[..., 0].min() == pytest.approx(points[0, 0] - 0.3 * eye_distance, abs=1.5)
    assert right[..., 0].min() >= points[1, 0] - 1
    for zone in (left, right):
        assert zone[..., 1].min() == pytest.approx(points[0, 1] + eye_mouth / 2, abs=1.5)
    with pytest.raises(ValueError, match="coincide"):
        cheek_zones(canvas, np.zeros((5, 2)))


def test_scorer_reports_every_measure_within_range(real_faces):
    scorer = create_scorer("photometric")
    contexts = [FaceContext.build(image, faces) for image, faces in real_faces]
    raw = scorer.raw(contexts)
    assert list(raw) == [m.name for m in MEASURES]
    for name, values in raw.items():
        assert np.isfinite(values).all(), name
        scalars = scorer.scalar(name, values)
        assert ((scalars >= 0) & (scalars <= 100)).all(), name


def test_mirroring_leaves_photometric_values_unchanged(real_faces):
    for image, faces in real_faces[:4]:
        width = image.shape[1]
        mirrored = [face.mirrored(width) for face in faces]
        original = measure_all(FaceContext.build(image, faces))
        flipped = measure_all(FaceContext.build(np.ascontiguousarray(image[:, ::-1]), mirrored))
        assert flipped["LuminanceMean"] == pytest.approx(original["LuminanceMean"], abs=0.01)
        assert flipped["DynamicRange"] == pytest.approx(original["DynamicRange"], abs=0.1)
        assert flipped["IlluminationUniformity"] == pytest.approx(
            original["IlluminationUniformity"], abs=0.1)


# --- direction of change on real faces ----------------------------------------------------

def test_darker_image_lowers_luminance_and_under_exposure_scalar(real_faces):
    for before, after in values_after(lambda img, face: 255 * (img / 255) ** 2.5, real_faces):
        assert after["LuminanceMean"] < before["LuminanceMean"]
        assert after["UnderExposurePrevention"] > before["UnderExposurePrevention"]
        assert (scalar("LuminanceMean", after["LuminanceMean"])
                < scalar("LuminanceMean", before["LuminanceMean"]))
    for before, after in values_after(lambda img, face: img * 0.12, real_faces):
        assert scalar("UnderExposurePrevention", after["UnderExposurePrevention"]) < 50
        assert (scalar("UnderExposurePrevention", after["UnderExposurePrevention"])
                < scalar("UnderExposurePrevention", before["UnderExposurePrevention"]))


def test_brighter_image_raises_luminance_and_lowers_over_exposure_scalar(real_faces):
    for before, after in values_after(lambda img, face: 255 * (img / 255) ** 0.4, real_faces):
        assert after["LuminanceMean"] > before["LuminanceMean"]
    for before, after in values_after(lambda img, face: img * 2.5, real_faces):
        assert after["OverExposurePrevention"] > before["OverExposurePrevention"]
        assert scalar("OverExposurePrevention", after["OverExposurePrevention"]) < 50
        assert (scalar("OverExposurePrevention", after["OverExposurePrevention"])
                < scalar("OverExposurePrevention", before["OverExposurePrevention"]))


def test_compressed_contrast_lowers_dynamic_range(real_faces):
    for factor, drop_bits in ((0.5, 0.3), (0.2, 1.2)):
        pairs = values_after(lambda img, face, k=factor: 128 + (img - 128) * k, real_faces)
        for before, after in pairs:
            assert after["DynamicRange"] < before["DynamicRange"] - drop_bits
            assert after["LuminanceVariance"] < before["LuminanceVariance"]


def test_one_side_in_shadow_lowers_illumination_uniformity(real_faces):
    def shade_left(img, face):
        out = img.copy()
        middle = round(float(face.landmarks[:2, 0].mean()))
        out[:, :middle] *= 0.45
        return out

    # faces already lit from one side (LFW has many) cannot become much less uniform
    pairs = [(before["IlluminationUniformity"], after["IlluminationUniformity"])
             for before, after in values_after(shade_left, real_faces)
             if before["IlluminationUniformity"] > 0.4]
    assert len(pairs) >= 4
    for before, after in pairs:
        assert after < before - 0.3


def test_evenly_lit_canvas_is_uniform_until_one_side_is_shaded():
    skin = uniform([204, 153, 128])
    assert measure_all(canvas_context(skin))["IlluminationUniformity"] == pytest.approx(1.0)
    skin[:, :QUALITY_SIZE // 2] //= 2
    assert measure_all(canvas_context(skin))["IlluminationUniformity"] == 0.0


def test_strong_colour_cast_lowers_natural_colour(real_faces):
    casts = {"blue": np.array([0.3, 0.5, 1.0]), "green": np.array([0.45, 1.0, 0.45])}
    for gains in casts.values():
        for before, after in values_after(lambda img, face, k=gains: img * k, real_faces):
            assert (scalar("NaturalColour", after["NaturalColour"])
                    < scalar("NaturalColour", before["NaturalColour"]))
            assert scalar("NaturalColour", after["NaturalColour"]) < 20
