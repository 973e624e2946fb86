"""Five severities per perturbation (ImageNet-C style): the parameters each level uses.

Levels rise from 1 (mild, a capture a human would still accept) to 5 (severe). Values
are set for face images around 250x250 px with about 40-50 px between the eyes (LFW); the
target-size levels are absolute file sizes, so a much larger image meets them only at a
lower quality (and a JPEG may not get that small at all: the fit then reports why).
``tests/attacks/test_severities.py`` checks this table against :data:`TABLES`.

==================  ==========================================  ==================================================
perturbation        generator (fixed parameters)                severities 1..5
==================  ==========================================  ==================================================
jpeg                compression.jpeg (chroma_subsampling=True)  quality: 50, 30, 15, 8, 4
jpeg_444            compression.jpeg (chroma_subsampling=False) quality: 50, 30, 15, 8, 4
jpeg_size           compression.jpeg_to_size                    target_kb: 8, 5, 4, 3, 2.5
jpeg2000            compression.jpeg2000                        ratio: 25, 50, 100, 200, 400
jpeg2000_size       compression.jpeg2000_to_size                target_kb: 4, 2, 1, 0.7, 0.5
webp                compression.webp                            quality: 30, 15, 8, 3, 0
gaussian_blur       blur.gaussian_blur                          sigma_px: 1, 2, 3, 4, 6
motion_blur         blur.motion_blur (random)                   length_px: 4, 8, 12, 16, 24
defocus_blur        blur.defocus_blur                           radius_px: 1, 2, 3, 4, 6
gaussian_noise      noise.gaussian_noise (random)               sigma_levels: 8, 16, 24, 36, 50
shot_noise          noise.shot_noise (random)                   peak_photons: 60, 25, 12, 5, 3
salt_and_pepper     noise.salt_and_pepper (random)              fraction: 0.01, 0.03, 0.06, 0.1, 0.17
downscale           resolution.downscale                        factor: 1.5, 2, 3, 4, 6
brightness          lighting.brightness                         stops: 0.5, 1, 1.5, 2, 2.5
darkness            lighting.brightness                         stops: -1, -2, -3, -4, -5
contrast            lighting.contrast                           factor: 0.6, 0.45, 0.3, 0.2, 0.1
gamma               lighting.gamma                              gamma: 1.5, 2, 2.5, 3, 4
colour_cast         lighting.colour_cast                        channel_gains: (1.1, 1, 0.9), (1.2, 1, 0.8), (1.35, 1, 0.65), (1.5, 1, 0.5), (1.7, 1, 0.35)
occlusion           lighting.occlusion (random)                 area_fraction: 0.05, 0.1, 0.15, 0.2, 0.3
==================  ==========================================  ==================================================

Units: quality is the codec's 0/1..100 scale; ratio is raw bytes over coded bytes;
target_kb is kB = 1000 bytes; *_px are pixels of the image the perturbation is applied to;
sigma_levels is 8-bit grey levels; peak_photons is the mean photon count of a white pixel;
fraction and area_fraction are shares of pixels; stops are powers of two of linear light;
channel_gains multiply linear R, G, B (rescaled to keep grey luminance). The random ones
draw from the ``rng`` they are given (motion direction, noise, patch position).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Number of severity levels of every perturbation.
N_SEVERITIES = 5


@dataclass(frozen=True)
class SeverityTable:
    """How one named perturbation calls its generator at each severity.

    Attributes
    ----------
    name : str
        Registry name (``"jpeg"``).
    generator : str
        ``"module.function"`` inside :mod:`attacks`.
    parameter : str
        The keyword that changes with severity.
    values : tuple
        Its value at severities 1..5.
    fixed : dict
        Keywords passed at every severity.
    random : bool
        Whether the generator draws from ``rng``.
    description : str
        One line for listings and reports.
    """

    name: str
    generator: str
    parameter: str
    values: tuple
    fixed: dict = field(default_factory=dict)
    random: bool = False
    description: str = ""

    def parameters(self, severity: int) -> dict:
        """Keyword arguments for the generator at ``severity`` (1..5)."""
        if not isinstance(severity, int) or not 1 <= severity <= len(self.values):
            raise ValueError(f"severity must be an integer in 1..{len(self.values)}, got {severity!r}")
        return {**self.fixed, self.parameter: self.values[severity - 1]}


def _table(name, generator, parameter, values, description, **fixed):
    random = fixed.pop("random", False)
    return SeverityTable(name, generator, parameter, tuple(values), fixed, random, description)


#: Every named perturbation, in listing order.
TABLES: dict[str, SeverityTable] = {t.name: t for t in (
    _table("jpeg", "compression.jpeg", "quality", (50, 30, 15, 8, 4),
           "JPEG, 4:2:0 chroma subsampling", chroma_subsampling=True),
    _table("jpeg_444", "compression.jpeg", "quality", (50, 30, 15, 8, 4),
           "JPEG without chroma subsampling (4:4:4)", chroma_subsampling=False),
    _table("jpeg_size", "compression.jpeg_to_size", "target_kb", (8, 5, 4, 3, 2.5),
           "JPEG (4:2:0) fitted to a file size"),
    _table("jpeg2000", "compression.jpeg2000", "ratio", (25, 50, 100, 200, 400),
           "JPEG 2000 at a compression ratio"),
    _table("jpeg2000_size", "compression.jpeg2000_to_size", "target_kb", (4, 2, 1, 0.7, 0.5),
           "JPEG 2000 fitted to a file size"),
    _table("webp", "compression.webp", "quality", (30, 15, 8, 3, 0), "lossy WebP"),
    _table("gaussian_blur", "blur.gaussian_blur", "sigma_px", (1, 2, 3, 4, 6), "Gaussian blur"),
    _table("motion_blur", "blur.motion_blur", "length_px", (4, 8, 12, 16, 24),
           "linear motion blur, random direction", random=True),
    _table("defocus_blur", "blur.defocus_blur", "radius_px", (1, 2, 3, 4, 6), "defocus (disk) blur"),
    _table("gaussian_noise", "noise.gaussian_noise", "sigma_levels", (8, 16, 24, 36, 50),
           "additive Gaussian noise", random=True),
    _table("shot_noise", "noise.shot_noise", "peak_photons", (60, 25, 12, 5, 3),
           "Poisson photon (shot) noise", random=True),
    _table("salt_and_pepper", "noise.salt_and_pepper", "fraction", (0.01, 0.03, 0.06, 0.1, 0.17),
           "salt-and-pepper impulse noise", random=True),
    _table("downscale", "resolution.downscale", "factor", (1.5, 2, 3, 4, 6),
           "downscale then upscale (inter-eye distance / factor)"),
    _table("brightness", "lighting.brightness", "stops", (0.5, 1, 1.5, 2, 2.5), "over-exposure"),
    _table("darkness", "lighting.brightness", "stops", (-1, -2, -3, -4, -5), "under-exposure"),
    _table("contrast", "lighting.contrast", "factor", (0.6, 0.45, 0.3, 0.2, 0.1), "contrast loss"),
    _table("gamma", "lighting.gamma", "gamma", (1.5, 2, 2.5, 3, 4), "gamma tone curve (darkens)"),
    _table("colour_cast", "lighting.colour_cast", "channel_gains",
           ((1.1, 1, 0.9), (1.2, 1, 0.8), (1.35, 1, 0.65), (1.5, 1, 0.5), (1.7, 1, 0.35)),
           "warm white-balance cast"),
    _table("occlusion", "lighting.occlusion", "area_fraction", (0.05, 0.1, 0.15, 0.2, 0.3),
           "black square at a random place", random=True),
)}


def table_rows() -> list[tuple[str, str, str]]:
    """(perturbation, generator with fixed parameters, severities) rows as in the docstring.

    Examples
    --------
    >>> table_rows()[0]
    ('jpeg', 'compression.jpeg (chroma_subsampling=True)', 'quality: 50, 30, 15, 8, 4')
    """
    rows = []
    for table in TABLES.values():
        notes = [f"{key}={value}" for key, value in table.fixed.items()]
        if table.random:
            notes.append("random")
        generator = f"{table.generator} ({', '.join(notes)})" if notes else table.generator
        values = ", ".join(_format(value) for value in table.values)
        rows.append((table.name, generator, f"{table.parameter}: {values}"))
    return rows


def _format(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_format(v) for v in value) + ")"
    return f"{value:g}"
