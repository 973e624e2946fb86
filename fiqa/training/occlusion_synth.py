"""Synthetic occluders pasted on face crops, with the mask of the pixels they hide.

The face-occlusion network (:mod:`fiqa.training.occlusion_train`) learns from clean 112 px
ArcFace crops with things drawn over them, because the development data has no occlusion
labels. Each occluder is drawn as a colour layer and an opacity map (``alpha``, 0..1),
composited ``out = crop (1 - alpha) + layer alpha``; the label is ``alpha > 0.5``. The kinds
(:data:`KINDS`) mimic what covers eyes and faces in real captures:

``sunglasses``  two dark, coloured or mirrored lenses (ellipses or boxes) at the eyes,
                60-100 % opaque, with frame, bridge and temples, sometimes a
                reflection of another crop;
``hand``        a palm and fingers in the face's own skin colour, shaded, mostly over an eye;
``hair``        strands and locks of hair falling from the top, often across an eye;
``patch``       an object: an ellipse, polygon or box filled with a piece of another crop
                or a smooth random texture (microphones, phones, cups, scarves);
``brim``        the brim of a hat or cap coming down from the top edge;
``face_mask``   a surgical or cloth mask over the nose and mouth (no eye covered).

Two distractors teach what does not hide a face; their label is all zero:
``clear_glasses`` (frames and see-through lenses, sometimes tinted or reflecting: OFIQ's
EyesVisible counts such eyes as visible) and ``shadow`` (a smooth darkening over the eye
sockets or one side of the face: dark is not hidden).

Everything is drawn with a :class:`numpy.random.Generator`, so a sample is reproducible
from its seed.
"""

from __future__ import annotations

import cv2
import numpy as np

from fiqa.face import ARCFACE_TEMPLATE

SIZE = 112
#: Occluder kinds and how often each is drawn.
KINDS = {"sunglasses": 0.26, "hand": 0.2, "hair": 0.16, "patch": 0.24, "brim": 0.07,
         "face_mask": 0.07}
#: Things drawn that hide nothing (label all zero), and how often each is added to a sample.
DISTRACTORS = {"clear_glasses": 0.25, "shadow": 0.2}
#: Eye centres of the ArcFace crop (image-left eye first).
EYES = ARCFACE_TEMPLATE[:2].astype(np.float64)


def _blank() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((SIZE, SIZE, 3), np.float32), np.zeros((SIZE, SIZE), np.float32)


def _feather(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    sigma = rng.uniform(0.3, 1.2)
    return cv2.GaussianBlur(alpha, (0, 0), sigma)


def _shade(layer: np.ndarray, rng: np.random.Generator, strength: float = 0.35) -> np.ndarray:
    """Multiply a colour layer by a smooth linear gradient in a random direction."""
    angle = rng.uniform(0, 2 * np.pi)
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE - 0.5
    ramp = 1.0 + strength * rng.uniform(0.3, 1.0) * (np.cos(angle) * x + np.sin(angle) * y) * 2
    return layer * ramp[..., None]


def smooth_texture(rng: np.random.Generator) -> np.ndarray:
    """A random smooth colour texture (SIZE, SIZE, 3) in 0..255."""
    scale = int(rng.integers(2, 16))
    small = rng.uniform(0, 255, (scale, scale, 3)).astype(np.float32)
    base = rng.uniform(0, 255, 3).astype(np.float32)
    mix = rng.uniform(0.2, 0.9)
    texture = cv2.resize(small, (SIZE, SIZE), interpolation=cv2.INTER_CUBIC)
    texture = mix * texture + (1 - mix) * base
    if rng.random() < 0.3:  # stripes
        period = rng.uniform(4, 20)
        stripes = (np.sin(np.arange(SIZE) * 2 * np.pi / period) > 0).astype(np.float32)
        texture = texture * (0.7 + 0.3 * stripes[None, :, None])
    return np.clip(texture, 0, 255)


def _donor_texture(donor: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A piece of another crop, zoomed, turned and shifted, filling the whole grid."""
    zoom = rng.uniform(1.0, 3.0)
    matrix = cv2.getRotationMatrix2D((SIZE / 2, SIZE / 2), rng.uniform(-180, 180), zoom)
    matrix[:, 2] += rng.uniform(-30, 30, 2)
    return cv2.warpAffine(donor.astype(np.float32), matrix, (SIZE, SIZE),
                          borderMode=cv2.BORDER_REFLECT)


def _near_eye(rng: np.random.Generator, spread: float = 4.0) -> np.ndarray:
    return EYES[int(rng.integers(2))] + rng.normal(0, spread, 2)


def _lens(alpha: np.ndarray, centre, half_w: float, half_h: float, boxy: bool,
          tilt: float) -> None:
    c = (round(centre[0] * 4), round(centre[1] * 4))
    axes = (int(half_w * 4), int(half_h * 4))
    if boxy:
        box = cv2.boxPoints(((c[0], c[1]), (2 * axes[0], 2 * axes[1]), tilt)).astype(np.int32)
        cv2.fillConvexPoly(alpha, box, 1.0, cv2.LINE_AA)
    else:
        cv2.ellipse(alpha, c, axes, tilt, 0, 360, 1.0, -1, cv2.LINE_AA)


def _glasses(rng: np.random.Generator, *, dark: bool, donor: np.ndarray):
    """Sunglasses (``dark``) or clear glasses: colour layer, opacity, label mask."""
    shift = rng.normal(0, 2.0, 2)
    half_w, half_h = rng.uniform(10, 16), rng.uniform(6.5, 12)
    boxy, tilt = bool(rng.random() < 0.4), rng.normal(0, 4)
    fine = np.zeros((SIZE * 4, SIZE * 4), np.float32)  # drawn at 4x, then area-averaged
    for eye in EYES:
        _lens(fine, eye + shift + [0, rng.uniform(-1, 2)], half_w, half_h, boxy, tilt)
    lenses = cv2.resize(fine, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    frame = np.zeros((SIZE, SIZE), np.float32)
    thickness = int(rng.integers(1, 4))
    contours, _ = cv2.findContours((lenses > 0.5).astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(frame, contours, -1, 1.0, thickness)
    y = round(EYES[:, 1].mean() + shift[1] - half_h * rng.uniform(0.2, 0.6))
    left, right = int(EYES[0, 0] + shift[0] + half_w * 0.8), int(EYES[1, 0] + shift[0] - half_w * 0.8)
    cv2.line(frame, (left, y), (right, y), 1.0, thickness)  # bridge
    ey = round(EYES[:, 1].mean() + shift[1] - half_h * 0.4)
    cv2.line(frame, (0, ey), (int(EYES[0, 0] + shift[0] - half_w), ey), 1.0, thickness)
    cv2.line(frame, (int(EYES[1, 0] + shift[0] + half_w), ey), (SIZE - 1, ey), 1.0, thickness)
    frame_colour = rng.uniform(0, 90, 3) if rng.random() < 0.7 else rng.uniform(120, 230, 3)
    if dark:
        if rng.random() < 0.65:  # dark grey, brown or green
            tint = rng.uniform(0, 70) + rng.uniform(-15, 15, 3)
        else:  # coloured: orange, red, blue, mirrored gold...
            tint = rng.uniform(0, 220, 3) * rng.uniform(0.4, 1.0)
        lens_colour = np.clip(np.broadcast_to(tint, (SIZE, SIZE, 3)), 0, 255).astype(np.float32)
        lens_colour = _shade(lens_colour + 10, rng, 0.6)
        if rng.random() < 0.4:  # a reflection in the lens
            reflection = _donor_texture(donor, rng)
            lens_colour = lens_colour * 0.7 + reflection * rng.uniform(0.1, 0.45)
        if rng.random() < 0.5:  # a highlight streak
            streak = np.zeros((SIZE, SIZE), np.float32)
            x0 = rng.uniform(20, 90)
            cv2.line(streak, (int(x0), 35), (int(x0 + rng.uniform(-15, 15)), 65), 1.0,
                     int(rng.integers(1, 4)))
            lens_colour += cv2.GaussianBlur(streak, (0, 0), 1.5)[..., None] * rng.uniform(60, 200)
        lens_alpha = lenses * rng.uniform(0.6, 1.0)
        label = np.maximum(lens_alpha, frame) > 0.5
    else:
        lens_colour = np.broadcast_to(rng.uniform(150, 255, 3), (SIZE, SIZE, 3)).astype(np.float32)
        if rng.random() < 0.3:  # a faint reflection
            lens_colour = lens_colour * 0.5 + _donor_texture(donor, rng) * 0.5
        lens_alpha = lenses * rng.uniform(0.0, 0.3)
        label = np.zeros((SIZE, SIZE), bool)
    alpha = np.maximum(lens_alpha, frame)
    layer = np.where(frame[..., None] > lens_alpha[..., None], frame_colour, lens_colour)
    return layer.astype(np.float32), _feather(alpha.astype(np.float32), rng), label


def _hand(rng: np.random.Generator, crop: np.ndarray):
    layer, alpha = _blank()
    cheek = crop[70:88, 28:44].reshape(-1, 3).astype(np.float32)
    skin = np.median(cheek, 0) * rng.uniform(0.8, 1.2) + rng.normal(0, 8, 3)
    centre = _near_eye(rng, 8.0) if rng.random() < 0.75 else rng.uniform(15, 97, 2)
    angle = rng.uniform(0, 2 * np.pi)
    direction = np.array([np.cos(angle), np.sin(angle)])
    palm = centre - direction * rng.uniform(8, 22)
    cv2.ellipse(alpha, tuple(int(v) for v in palm), (int(rng.uniform(12, 22)), int(rng.uniform(9, 16))),
                float(np.degrees(angle)), 0, 360, 1.0, -1, cv2.LINE_AA)
    normal = np.array([-direction[1], direction[0]])
    fingers = int(rng.integers(1, 5))
    width = rng.uniform(5, 9)
    for k in range(fingers):
        base = palm + normal * (k - (fingers - 1) / 2) * width * 1.1
        tip = base + direction * rng.uniform(18, 34) + rng.normal(0, 2, 2)
        cv2.line(alpha, tuple(int(v) for v in base), tuple(int(v) for v in tip), 1.0,
                 int(width), cv2.LINE_AA)
    layer[:] = np.clip(skin, 0, 255)
    layer = _shade(layer, rng, 0.5)
    layer += rng.normal(0, 3, layer.shape).astype(np.float32)
    edges = alpha - cv2.erode(alpha, np.ones((3, 3), np.uint8))
    layer *= (1 - 0.25 * edges)[..., None]
    alpha = _feather(alpha, rng)
    return layer, alpha, alpha > 0.5


def _hair(rng: np.random.Generator):
    layer, alpha = _blank()
    colour = np.array([rng.uniform(10, 60), rng.uniform(8, 45), rng.uniform(5, 35)], np.float32)
    if rng.random() < 0.2:  # fair or grey hair
        colour = rng.uniform(120, 220) * np.array([1.0, 0.9, 0.7], np.float32)
    target = _near_eye(rng, 6.0)
    for _ in range(int(rng.integers(6, 40))):
        start = np.array([rng.uniform(0, SIZE), rng.uniform(-10, 10)])
        end = target + rng.normal(0, 10, 2) + [0, rng.uniform(0, 25)]
        middle = (start + end) / 2 + rng.normal(0, 12, 2)
        t = np.linspace(0, 1, 24)[:, None]
        curve = (1 - t) ** 2 * start + 2 * (1 - t) * t * middle + t ** 2 * end
        cv2.polylines(alpha, [np.round(curve).astype(np.int32)], False, 1.0,
                      int(rng.integers(1, 5)), cv2.LINE_AA)
    if rng.random() < 0.5:  # a lock: a band from the top edge down to the eye
        a = rng.uniform(0, SIZE, 2)[0]  # two draws: the training data depends on every draw
        lock = np.array([[a, 0], [a + 14, 0], [target[0] + 8, target[1] + 12],
                         [target[0] - 8, target[1] + 12]], np.int32)
        cv2.fillConvexPoly(alpha, lock, 1.0, cv2.LINE_AA)
    layer[:] = colour
    layer = _shade(layer, rng, 0.6) + rng.normal(0, 6, layer.shape).astype(np.float32)
    alpha = _feather(alpha, rng)
    return layer, alpha, alpha > 0.5


def _patch(rng: np.random.Generator, donor: np.ndarray):
    layer, alpha = _blank()
    centre = _near_eye(rng, 10.0) if rng.random() < 0.5 else rng.uniform(10, 102, 2)
    shape = rng.integers(3)
    if shape == 0:
        cv2.ellipse(alpha, tuple(int(v) for v in centre),
                    (int(rng.uniform(6, 30)), int(rng.uniform(6, 30))), rng.uniform(0, 180),
                    0, 360, 1.0, -1, cv2.LINE_AA)
    elif shape == 1:
        points = centre + rng.uniform(-28, 28, (int(rng.integers(3, 8)), 2))
        cv2.fillPoly(alpha, [cv2.convexHull(points.astype(np.int32))], 1.0, cv2.LINE_AA)
    else:
        box = cv2.boxPoints(((float(centre[0]), float(centre[1])),
                             (rng.uniform(8, 60), rng.uniform(8, 60)), rng.uniform(0, 90)))
        cv2.fillConvexPoly(alpha, box.astype(np.int32), 1.0, cv2.LINE_AA)
    layer = _donor_texture(donor, rng) if rng.random() < 0.5 else smooth_texture(rng)
    layer = _shade(layer, rng)
    alpha = _feather(alpha, rng)
    return layer, alpha, alpha > 0.5


def _brim(rng: np.random.Generator):
    """A hat brim: an ellipse whose lower edge comes down to 20-58 px (the eyes are at
    52 px), all above it filled."""
    layer, alpha = _blank()
    depth, half_height = rng.uniform(20, 58), rng.uniform(15, 45)
    centre = (int(SIZE / 2 + rng.normal(0, 8)), int(depth - half_height))
    cv2.ellipse(alpha, centre, (int(rng.uniform(60, 120)), int(half_height)),
                rng.normal(0, 6), 0, 360, 1.0, -1, cv2.LINE_AA)
    alpha[: max(0, centre[1]), :] = 1.0
    layer = smooth_texture(rng) * rng.uniform(0.3, 1.0)
    layer = _shade(layer, rng, 0.5)
    alpha = _feather(alpha, rng)
    return layer, alpha, alpha > 0.5


def _face_mask(rng: np.random.Generator):
    layer, alpha = _blank()
    top = rng.uniform(60, 75)
    points = np.array([[rng.uniform(5, 25), top + rng.uniform(-4, 4)],
                       [rng.uniform(87, 107), top + rng.uniform(-4, 4)],
                       [rng.uniform(90, 112), 112], [rng.uniform(0, 22), 112]], np.int32)
    cv2.fillConvexPoly(alpha, points, 1.0, cv2.LINE_AA)
    colours = ([200, 225, 240], [240, 240, 240], [40, 40, 50], [90, 130, 200])
    colour = np.array(colours[int(rng.integers(len(colours)))], np.float32) + rng.normal(0, 12, 3)
    layer[:] = colour
    layer = _shade(layer, rng, 0.5)
    alpha = _feather(alpha, rng)
    return layer, alpha, alpha > 0.5


def _shadow(rng: np.random.Generator):
    """A smooth darkening (black layer, partial opacity) that hides nothing."""
    layer, alpha = _blank()
    if rng.random() < 0.6:  # the eye sockets, at most 60 % darker: the eyes still show
        for eye in EYES:
            cv2.ellipse(alpha, tuple(int(v) for v in eye + rng.normal(0, 2, 2)),
                        (int(rng.uniform(9, 16)), int(rng.uniform(6, 11))), 0, 0, 360, 1.0, -1)
        strength = rng.uniform(0.3, 0.6)
    else:  # one side of the face
        x = int(rng.uniform(30, 82))
        alpha[:, :x] = 1.0
        if rng.random() < 0.5:
            alpha = alpha[:, ::-1].copy()
        strength = rng.uniform(0.3, 0.8)
    alpha = cv2.GaussianBlur(alpha, (0, 0), rng.uniform(3, 8)) * strength
    return layer, alpha, np.zeros((SIZE, SIZE), bool)


def draw_occluder(kind: str, crop: np.ndarray, donor: np.ndarray, rng: np.random.Generator):
    """One occluder of ``kind``: (colour layer float32 HxWx3, opacity HxW, label HxW bool)."""
    if kind == "sunglasses":
        return _glasses(rng, dark=True, donor=donor)
    if kind == "clear_glasses":
        return _glasses(rng, dark=False, donor=donor)
    if kind == "hand":
        return _hand(rng, crop)
    if kind == "hair":
        return _hair(rng)
    if kind == "patch":
        return _patch(rng, donor)
    if kind == "brim":
        return _brim(rng)
    if kind == "face_mask":
        return _face_mask(rng)
    if kind == "shadow":
        return _shadow(rng)
    raise ValueError(f"unknown occluder {kind!r}; choose from "
                     f"{', '.join(sorted(KINDS) + list(DISTRACTORS))}")


def _photometric(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Capture-like changes over the composite: exposure, blur, noise, JPEG."""
    out = image * rng.uniform(0.6, 1.3) + rng.uniform(-25, 25)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 1.5))
    if rng.random() < 0.2:
        out = out + rng.normal(0, rng.uniform(2, 10), out.shape)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        quality = int(rng.integers(30, 96))
        _, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        out = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    return out


def occluded_sample(crop: np.ndarray, donor: np.ndarray, rng: np.random.Generator, *,
                    clean_share: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """A training pair from one clean crop: (RGB uint8 112x112x3, occlusion label uint8 112x112).

    With probability ``clean_share`` nothing is drawn (label all zero); otherwise one to
    three occluders of :data:`KINDS`; under them, each of the :data:`DISTRACTORS` with its
    probability. ``donor`` (another crop) lends textures. The composite is mirrored half
    the time.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> face = np.full((112, 112, 3), 180, np.uint8)
    >>> image, label = occluded_sample(face, face, rng, clean_share=0.0)
    >>> image.shape, label.dtype, bool(label.any())
    ((112, 112, 3), dtype('uint8'), True)
    """
    if crop.shape != (SIZE, SIZE, 3) or donor.shape != (SIZE, SIZE, 3):
        raise ValueError(f"crops must be {SIZE}x{SIZE}x3, got {crop.shape} and {donor.shape}")
    image = crop.astype(np.float32)
    label = np.zeros((SIZE, SIZE), bool)
    drawn = [kind for kind, share in DISTRACTORS.items() if rng.random() < share]
    if rng.random() >= clean_share:
        weights = np.array(list(KINDS.values()))
        drawn += list(rng.choice(list(KINDS), size=int(rng.integers(1, 4)), p=weights / weights.sum()))
    for kind in drawn:
        layer, alpha, hidden = draw_occluder(kind, crop, donor, rng)
        image = image * (1 - alpha[..., None]) + layer * alpha[..., None]
        label |= hidden
    image = _photometric(image, rng)
    if rng.random() < 0.5:
        image, label = image[:, ::-1], label[:, ::-1]
    return np.ascontiguousarray(image), np.ascontiguousarray(label.astype(np.uint8))
