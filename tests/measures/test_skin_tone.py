import numpy as np
import pytest

from fiqa.context import FaceContext
from fiqa.face import FaceDetector, template_points
from fiqa.gate import profile_from_dict
from fiqa.io import load_image
from fiqa.measures import create_scorer, list_measures, select_measures
from fiqa.measures.skin_tone import (
    ITA_CATEGORIES,
    NO_ITA,
    category_order,
    ita_category,
    ita_degrees,
    skin_ita,
    skin_patches,
)

POINTS = template_points(size=256, margin=0.25)


def reference_lab(rgb):
    """sRGB (0..255) -> CIELAB under D65, written out from the CIE definitions."""
    c = np.asarray(rgb, float) / 255
    linear = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                    [0.0193339, 0.1191920, 0.9503041]]) @ linear / [0.95047, 1.0, 1.08883]
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


@pytest.mark.parametrize("rgb", [(224, 172, 150), (141, 85, 36), (92, 56, 40)])
def test_uniform_skin_gives_the_cie_ita(rgb):
    lightness, _, b = reference_lab(rgb)
    expected = np.degrees(np.arctan((lightness - 50) / b))
    face = np.full((256, 256, 3), rgb, np.uint8)
    assert skin_ita(face, POINTS) == pytest.approx(expected, abs=0.05)


def test_category_boundaries_follow_the_six_bins():
    values = [55.01, 55, 41.01, 41, 28.01, 28, 10.01, 10, -29.99, -30, -90, np.nan]
    assert ita_category(values).tolist() == [
        "very light", "light", "light", "intermediate", "intermediate", "tan", "tan", "brown",
        "brown", "dark", "dark", NO_ITA]
    assert category_order() == [name for name, _ in ITA_CATEGORIES] + [NO_ITA]


def test_ita_is_undefined_without_yellow():
    assert np.isnan(ita_degrees(60.0, -3.0)) and np.isnan(ita_degrees(60.0, 0.0))
    assert np.isnan(skin_ita(np.full((256, 256, 3), 128, np.uint8), POINTS))  # greyscale


def test_patches_avoid_eyes_and_mouth_and_one_bad_patch_does_not_decide():
    face = np.full((256, 256, 3), (200, 150, 120), np.uint8)
    clean = skin_ita(face, POINTS)
    marked = face.copy()
    for x, y in POINTS.astype(int):  # dark eyes, nose tip and mouth corners
        marked[y - 6:y + 7, x - 6:x + 7] = 0
    assert skin_ita(marked, POINTS) == pytest.approx(clean)
    top, bottom, left, right = skin_patches(POINTS, (256, 256))[2]
    marked[top:bottom, left:right] = (40, 30, 20)  # hair over the forehead
    assert skin_ita(marked, POINTS) == pytest.approx(clean)


def test_skin_tone_is_a_descriptor_only_when_asked():
    assert "skin_tone" not in select_measures(None)
    assert "IndividualTypologyAngle" not in list_measures()
    assert select_measures(["skin_tone"]) == {"skin_tone": ("IndividualTypologyAngle",)}
    scorer = create_scorer("IndividualTypologyAngle")
    assert np.isnan(scorer.scalar("IndividualTypologyAngle", np.array([30.0]))).all()
    with pytest.raises(ValueError, match="a profile cannot gate on it"):
        profile_from_dict({"rules": {"IndividualTypologyAngle": {"raw_min": 10}}})


@pytest.mark.slow
def test_real_faces_get_plausible_ita_that_rises_with_exposure(lfw_image_paths):
    detector = FaceDetector()
    values, brighter = [], []
    for path in lfw_image_paths[:15]:
        image = load_image(path)
        faces = detector.detect(image)
        if not faces:
            continue
        ctx = FaceContext.build(image, faces)
        values.append(create_scorer("skin_tone").raw([ctx])["IndividualTypologyAngle"][0])
        lifted = np.clip(image.astype(int) * 1.3, 0, 255).astype(np.uint8)
        brighter.append(skin_ita(FaceContext.build(lifted, faces).aligned, ctx.aligned_landmarks))
    values, brighter = np.array(values), np.array(brighter)
    colour = np.isfinite(values) & np.isfinite(brighter)
    assert colour.sum() >= 10
    assert np.all((values[colour] > -60) & (values[colour] < 80))
    assert np.all(brighter[colour] > values[colour])
