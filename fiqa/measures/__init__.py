"""The one registry of quality measures.

Measures come in families that share work (``pose`` gives yaw, pitch and roll). Ask for a
family or any of its measures by name, case-insensitively::

    >>> from fiqa.measures import create_scorer, list_scorers
    >>> "pose" in list_scorers()
    True
    >>> create_scorer("HeadPoseYaw").family
    'pose'
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from fiqa.measures.base import Measure, MeasureScorer, Scorer


def _sharpness() -> Scorer:
    from fiqa.measures import sharpness
    return MeasureScorer("sharpness", sharpness.MEASURES)


def _pose() -> Scorer:
    from fiqa.measures import pose
    return MeasureScorer("pose", pose.MEASURES, parameters={"pitch": "face_mesh"})


def _photometric() -> Scorer:
    from fiqa.measures import photometric
    return MeasureScorer("photometric", photometric.MEASURES)


def _geometric() -> Scorer:
    from fiqa.measures import geometric
    return MeasureScorer("geometric", geometric.MEASURES, parameters={"landmarks": "face_mesh"})


def _eyes_mouth() -> Scorer:
    from fiqa.measures import eyes_mouth
    return MeasureScorer("eyes_mouth", eyes_mouth.MEASURES, parameters={"landmarks": "face_mesh"})


def _occlusion() -> Scorer:
    from fiqa.measures.occlusion import OcclusionScorer
    return OcclusionScorer()


def _background() -> Scorer:
    from fiqa.measures.background import BackgroundScorer
    return BackgroundScorer()


def _compression() -> Scorer:
    from fiqa.measures.compression import CompressionScorer
    return CompressionScorer()


def _skin_tone() -> Scorer:
    from fiqa.measures import skin_tone
    return MeasureScorer("skin_tone", skin_tone.MEASURES)


def _unified() -> Scorer:
    from fiqa.measures.unified import UnifiedScorer
    return UnifiedScorer()


#: family -> (factory, the measures it produces, in output order).
_FAMILIES: dict[str, tuple[Callable[[], Scorer], tuple[str, ...]]] = {
    "sharpness": (_sharpness, ("Sharpness",)),
    "pose": (_pose, ("HeadPoseYaw", "HeadPosePitch", "HeadPoseRoll")),
    "photometric": (_photometric, (
        "LuminanceMean", "LuminanceVariance", "IlluminationUniformity", "UnderExposurePrevention",
        "OverExposurePrevention", "DynamicRange", "NaturalColour")),
    "geometric": (_geometric, (
        "InterEyeDistance", "HeadSize", "LeftwardCropOfTheFaceImage", "RightwardCropOfTheFaceImage",
        "MarginAboveOfTheFaceImage", "MarginBelowOfTheFaceImage", "SingleFacePresent")),
    "compression": (_compression, ("CompressionArtifacts",)),
    "eyes_mouth": (_eyes_mouth, ("EyesOpen", "MouthClosed")),
    "occlusion": (_occlusion, ("EyesVisible",)),
    "background": (_background, ("BackgroundUniformity",)),
    "unified": (_unified, ("UnifiedQualityScore",)),
    "skin_tone": (_skin_tone, ("IndividualTypologyAngle",)),
}

#: Families computed only when named: image descriptors for fairness analysis, not quality
#: measures (no 0..100 scalar; a gate profile cannot use them). See
#: :mod:`fiqa.measures.skin_tone`.
DESCRIPTOR_FAMILIES = ("skin_tone",)


def list_scorers() -> list[str]:
    """Family names, in the order their columns appear in outputs."""
    return list(_FAMILIES)


def list_measures(*, descriptors: bool = False) -> list[str]:
    """Every quality measure name (ISO/IEC 29794-5 / OFIQ spelling), in output order;
    with ``descriptors=True`` also the descriptors of :data:`DESCRIPTOR_FAMILIES`.

    Examples
    --------
    >>> "IndividualTypologyAngle" in list_measures(), list_descriptors()
    (False, ['IndividualTypologyAngle'])
    """
    return [name for family, (_, names) in _FAMILIES.items() for name in names
            if descriptors or family not in DESCRIPTOR_FAMILIES]


def list_descriptors() -> list[str]:
    """Names produced by :data:`DESCRIPTOR_FAMILIES` (not quality measures)."""
    return [name for family in DESCRIPTOR_FAMILIES for name in _FAMILIES[family][1]]


def family_of(name: str) -> str:
    """The family that produces ``name`` (a family or measure name, any case)."""
    key = name.strip().lower()
    for family, (_, measures) in _FAMILIES.items():
        if key == family or key in (measure.lower() for measure in measures):
            return family
    choices = list_scorers() + list_measures(descriptors=True)
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    close += [c for c in difflib.get_close_matches(key, [c.lower() for c in choices], n=3, cutoff=0.5)
              if c not in (x.lower() for x in close)]
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"unknown measure or family {name!r}.{hint} "
                     f"Available: {', '.join(list_scorers())} (see fiqa.measures.list_measures())")


def create_scorer(name: str) -> Scorer:
    """The scorer of a family, named by the family or by one of its measures."""
    factory, _ = _FAMILIES[family_of(name)]
    return factory()


def canonical_measure(name: str) -> str:
    """A measure name in its registered spelling (``"sharpness"`` -> ``"Sharpness"``)."""
    key = name.strip().lower()
    for measure in list_measures(descriptors=True):
        if measure.lower() == key:
            return measure
    family = family_of(name)  # raises with suggestions when unknown
    raise ValueError(f"{name!r} is a family; name one of its measures: {', '.join(_FAMILIES[family][1])}")


def select_measures(names: Sequence[str] | None = None) -> dict[str, tuple[str, ...]]:
    """Family -> selected measures, for a list of family/measure names (None = every quality
    measure; descriptors such as ``skin_tone`` only when named).

    Examples
    --------
    >>> select_measures(["pose", "Sharpness"])
    {'sharpness': ('Sharpness',), 'pose': ('HeadPoseYaw', 'HeadPosePitch', 'HeadPoseRoll')}
    """
    if not names:
        return {family: measures for family, (_, measures) in _FAMILIES.items()
                if family not in DESCRIPTOR_FAMILIES}
    wanted: set[str] = set()
    for name in names:
        family = family_of(name)
        if name.strip().lower() == family:
            wanted.update(_FAMILIES[family][1])
        else:
            wanted.add(canonical_measure(name))
    return {family: tuple(m for m in measures if m in wanted)
            for family, (_, measures) in _FAMILIES.items() if any(m in wanted for m in measures)}


__all__ = [
    "DESCRIPTOR_FAMILIES",
    "Measure",
    "MeasureScorer",
    "Scorer",
    "canonical_measure",
    "create_scorer",
    "family_of",
    "list_descriptors",
    "list_measures",
    "list_scorers",
    "select_measures",
]
