import cv2
import pytest

pytest.importorskip("torch", reason="the torch extra is not installed")

from attacks.patch.regions import REGIONS, place_region, region_rectangles


def _iou(a, b):
    a, b = a > 0.5, b > 0.5
    return (a & b).sum() / (a | b).sum()


@pytest.mark.parametrize("region", sorted(REGIONS))
@pytest.mark.parametrize("area", [0.04, 0.08])
def test_area_is_the_requested_fraction_of_the_face_box(astronaut_face, region, area):
    image, face = astronaut_face
    placed = place_region(image.shape[:2], face.landmarks, face.box, region=region, area=area)
    assert placed.area_fraction == pytest.approx(area, rel=0.1)


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_placement_follows_a_mirrored_face(astronaut_face, region):
    image, face = astronaut_face
    width = image.shape[1]
    placed = place_region(image.shape[:2], face.landmarks, face.box, region=region)
    flipped = face.mirrored(width)
    mirrored = place_region(image.shape[:2], flipped.landmarks, flipped.box, region=region)
    assert _iou(placed.mask[:, ::-1], mirrored.mask) > 0.85


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_placement_follows_a_rescaled_face(astronaut_face, region):
    image, face = astronaut_face
    placed = place_region(image.shape[:2], face.landmarks, face.box, region=region)
    big = place_region((2 * image.shape[0], 2 * image.shape[1]), 2 * face.landmarks,
                       2 * face.box, region=region)
    shrunk = cv2.resize(big.mask, image.shape[1::-1], interpolation=cv2.INTER_AREA)
    assert _iou(placed.mask, shrunk) > 0.85
    assert big.area_fraction == pytest.approx(placed.area_fraction, rel=0.05)


def test_eyeglasses_band_covers_both_eyes_and_not_the_mouth(astronaut_face):
    image, face = astronaut_face
    mask = place_region(image.shape[:2], face.landmarks, face.box).mask
    for x, y in face.landmarks[:2].round().astype(int):
        assert mask[y, x] == 1
    for x, y in face.landmarks[3:].round().astype(int):
        assert mask[y, x] == 0


def test_bad_arguments_are_refused(astronaut_face):
    image, face = astronaut_face
    with pytest.raises(ValueError, match="unknown region 'hat'"):
        place_region(image.shape[:2], face.landmarks, face.box, region="hat")
    with pytest.raises(ValueError, match="must be in \\(0, 1\\)"):
        place_region(image.shape[:2], face.landmarks, face.box, area=1.5)
    with pytest.raises(ValueError, match="must be positive"):
        region_rectangles("cheek", template_area=0.0)
