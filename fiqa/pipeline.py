"""The face journey, once: input -> image -> faces -> subject -> {quality row, embeddings}.

Every command that looks at faces (``score``, ``gate``, ``verify``, ``stress``, ``demo``
and the black-box evaluation of ``attack``) turns its inputs into :class:`Item` objects
and hands batches of them to a :class:`FacePipeline`, directly or through an engine
(:mod:`fiqa.engines`), which builds the pipeline from a picklable :class:`PipelineSpec`
in each worker. Nothing else detects, aligns or embeds.

Per item the stages are:

1. **load**: the file (:func:`fiqa.io.load_image`) or the in-memory RGB ``uint8`` image;
2. **canvas** (optional, ``Item.on_canvas``): warp to the aligned quality canvas of the
   item's known face, so a transform sees only the face region;
3. **transform** (optional): ``Item.transform(image, name) -> (image, info)``, e.g. a
   perturbation from :mod:`attacks` (the core never imports it: it only calls it);
4. **detect**: YuNet, unless the item carries its faces already (``Item.faces``);
5. **subject**: the face chosen by the rule ``face`` (:func:`fiqa.face.subject_face`);
6. **quality**: the selected measure families on a :class:`fiqa.context.FaceContext`;
7. **embed**: each recognizer's own crop of the subject, embedded in one batch.

A failure at any stage becomes the record's ``status`` (``"error"`` or ``"no_face"``)
and ``error``; the other items of the batch go on.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from fiqa.context import FaceContext
from fiqa.face import FACE_CHOICES, Face, FaceDetector, quality_canvas, subject_face
from fiqa.io import ImageLoadError, check_rgb, load_image
from fiqa.quality import QualityMeasures, base_row

NO_FACE = "no face detected"


@dataclass
class Item:
    """One input of the pipeline.

    Attributes
    ----------
    name : str
        How the input is labelled in every output (a path as given, or a label).
    path : str, optional
        File to load; when None, ``image`` is used.
    image : ndarray of uint8, (H, W, 3), optional
        In-memory RGB image.
    faces : list of Face, optional
        Faces already known in the image (largest first): detection is skipped.
    on_canvas : bool
        Warp the image to the quality canvas of ``faces``' subject before ``transform``.
    transform : callable, optional
        ``transform(image, name) -> (image, info)`` applied before detection.
    keep_image : bool
        Return the (transformed) image in the record, e.g. for a report's example.
    """

    name: str
    path: str | None = None
    image: np.ndarray | None = None
    faces: list[Face] | None = None
    on_canvas: bool = False
    transform: Callable | None = None
    keep_image: bool = False


@dataclass
class Record:
    """What the pipeline found for one :class:`Item`.

    ``quality`` is the results row: ``path``, ``status``, ``error``, ``face_count`` and
    ``<Measure>`` / ``<Measure>.scalar`` per selected measure. ``embeddings`` maps each
    recognizer's name to the subject's unit embedding and ``norms`` to the length of its
    raw output (both absent when no face was found; a quality measure that failed makes the
    record an ``"error"`` but does not stop the embedding).
    """

    name: str
    status: str = "ok"
    error: str = ""
    faces: list[Face] = field(default_factory=list)
    subject: Face | None = None
    quality: dict = field(default_factory=dict)
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)
    norms: dict[str, float] = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    image: np.ndarray | None = None

    @property
    def face_count(self) -> int:
        return len(self.faces)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def fail(self, status: str, error: str) -> None:
        self.status, self.error = status, error
        self.quality.update(status=status, error=error)


@dataclass(frozen=True)
class PipelineSpec:
    """A picklable recipe for a :class:`FacePipeline` (what engines send to workers).

    ``measures``: family or measure names, None for all, ``()`` for none; ``recognizers``:
    names or ONNX paths for :func:`fiqa.recognition.create_embedder`; ``face``: the
    subject rule (see :data:`fiqa.face.FACE_CHOICES`).
    """

    measures: tuple[str, ...] | None = None
    recognizers: tuple[str, ...] = ()
    face: str = "largest"

    def __post_init__(self):
        if self.face not in FACE_CHOICES:
            raise ValueError(f"face must be one of {', '.join(FACE_CHOICES)}, got {self.face!r}")

    def build(self, *, decode_threads: int = 1) -> FacePipeline:
        return FacePipeline(self, decode_threads=decode_threads)


class FacePipeline:
    """Holds the models (detector, measure scorers, recognizers) and runs batches of items.

    Examples
    --------
    >>> from skimage import data
    >>> pipeline = PipelineSpec(measures=("InterEyeDistance",), recognizers=("sface",)).build()
    >>> record = pipeline.run([Item("astronaut", image=data.astronaut())])[0]
    >>> record.status, record.face_count, record.quality["InterEyeDistance"] > 40
    ('ok', 1, True)
    >>> record.embeddings["sface"].shape
    (128,)
    """

    def __init__(self, spec: PipelineSpec = PipelineSpec(), *, decode_threads: int = 1):
        from fiqa.recognition import create_embedder

        self.spec = spec
        self.detector = FaceDetector()
        self.quality = QualityMeasures(spec.measures)
        self.recognizers = {}
        for name in spec.recognizers:
            embedder = create_embedder(name)
            self.recognizers[embedder.name] = embedder
        self.decode_threads = decode_threads
        self.seconds: dict[str, float] = defaultdict(float)

    @property
    def columns(self) -> list[str]:
        """The quality row layout."""
        return self.quality.columns

    def metadata(self) -> dict:
        """Models and parameters behind every record (recorded with the results)."""
        return {
            "detector": {"name": "yunet", "sha256": self.detector.model.sha256,
                         "score_threshold": self.detector.score_threshold,
                         "max_side": self.detector.max_side,
                         "search_side": self.detector.search_side},
            "face": self.spec.face,
            **self.quality.metadata(),
            "recognizers": {name: embedder.metadata()
                            for name, embedder in self.recognizers.items()},
        }

    def run(self, items: Sequence[Item]) -> list[Record]:
        """Records for ``items``, in the same order."""
        records = self._load(items)
        contexts = self._find_faces(items, records)
        self._score_quality(records, contexts)
        self._embed(records, contexts)
        return records

    def run_batch(self, items: Sequence[Item]) -> tuple[list[Record], dict[str, float]]:
        """:meth:`run` plus the seconds each stage took on this batch."""
        self.seconds = defaultdict(float)
        records = self.run(items)
        return records, dict(self.seconds)

    def _tick(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] += now - started
        return now

    def _load(self, items: Sequence[Item]) -> list[Record]:
        started = time.perf_counter()
        if self.decode_threads > 1 and len(items) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=self.decode_threads) as pool:
                records = list(pool.map(self._load_one, items))
        else:
            records = [self._load_one(item) for item in items]
        self._tick("decode", started)
        return records

    def _load_one(self, item: Item) -> Record:
        record = Record(name=item.name, quality=base_row(self.columns, item.name))
        try:
            image = load_image(item.path) if item.path is not None else check_rgb(item.image)
        except ImageLoadError as exc:
            record.fail("error", str(exc))
        except OSError as exc:  # permission denied and the like
            record.fail("error", f"cannot read file ({exc}): {item.path}")
        except ValueError as exc:
            record.fail("error", str(exc))
        else:
            record.image = image
        return record

    def _find_faces(self, items: Sequence[Item], records: list[Record]) -> list[FaceContext | None]:
        contexts: list[FaceContext | None] = []
        for item, record in zip(items, records):
            contexts.append(self._find_face(item, record) if record.ok else None)
            if not item.keep_image:
                record.image = None
        return contexts

    def _find_face(self, item: Item, record: Record) -> FaceContext | None:
        image, faces = record.image, item.faces
        started = time.perf_counter()
        if item.on_canvas:
            if not faces:
                record.fail("error", "no face known in the clean image to take the quality "
                            "canvas from")
                return None
            image, canvas_face = quality_canvas(image, faces[0])
            faces = [canvas_face]
        if item.transform is not None:
            try:
                image, record.info = item.transform(image, item.name)
                check_rgb(image)
            except ValueError as exc:
                record.fail("error", f"transform failed: {exc}")
                return None
            started = self._tick("transform", started)
        record.image = image
        record.faces = list(faces) if faces is not None else self.detector.detect(image)
        record.quality["face_count"] = record.face_count
        self._tick("detect", started)
        if not record.faces:
            record.fail("no_face", NO_FACE)
            return None
        record.subject = subject_face(record.faces, image.shape, face=self.spec.face)
        started = time.perf_counter()
        context = FaceContext.build(image, record.faces, subject=record.subject)
        self._tick("align", started)
        return context

    def _score_quality(self, records: list[Record], contexts: list[FaceContext | None]) -> None:
        owners = [index for index, ctx in enumerate(contexts) if ctx is not None]
        if not owners or not self.quality.families:
            return
        values = self.quality.compute([contexts[i] for i in owners], seconds=self.seconds)
        for index, columns in zip(owners, values):
            if isinstance(columns, str):
                records[index].fail("error", columns)
            else:
                records[index].quality.update(columns)

    def _embed(self, records: list[Record], contexts: list[FaceContext | None]) -> None:
        owners = [i for i, ctx in enumerate(contexts) if ctx is not None]  # a face was found
        if not owners:
            return
        for name, embedder in self.recognizers.items():
            started = time.perf_counter()
            crops = np.stack([embedder.crop(contexts[i].image, contexts[i].face) for i in owners])
            raw = embedder.embed(crops, normalise=False)
            norms = np.linalg.norm(raw, axis=1)
            for index, vector, norm in zip(owners, raw, norms):
                records[index].embeddings[name] = (vector / max(norm, 1e-12)).astype(np.float32)
                records[index].norms[name] = float(norm)
            self._tick(f"embed_{name}", started)
