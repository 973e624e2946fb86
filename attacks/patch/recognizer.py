"""A recognizer that is differentiable from the full image's pixels to the embedding.

:class:`DifferentiableRecognizer` aligns faces with ``affine_grid`` / ``grid_sample``
(bilinear, edge replication: what :func:`fiqa.face.align_face` does with OpenCV), applies
the model's preprocessing and runs the torch conversion of the ONNX model, so gradients
flow from the embedding back to every pixel of the image the patch is drawn on.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

from attacks.patch.onnx_torch import check_parity, torch_model
from fiqa.face import alignment_matrix


def pixel_affine_to_theta(matrix: torch.Tensor, *, in_hw: tuple[int, int],
                          out_hw: tuple[int, int]) -> torch.Tensor:
    """``affine_grid`` theta for a warp given as a pixel-space 2x3 (image -> output) matrix.

    Parameters
    ----------
    matrix : Tensor, shape (N, 2, 3)
        Maps input-image pixel coordinates (x, y) to output pixel coordinates, as
        :func:`cv2.warpAffine` takes it.
    in_hw, out_hw : tuple of int
        (height, width) of the input image and of the output.

    Returns
    -------
    Tensor, shape (N, 2, 3)
        Maps normalised output coordinates to normalised input coordinates
        (``align_corners=True`` convention).

    Examples
    --------
    >>> eye = torch.tensor([[[1.0, 0, 0], [0, 1, 0]]])
    >>> pixel_affine_to_theta(eye, in_hw=(5, 5), out_hw=(5, 5)).round().tolist()
    [[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]
    """
    matrix = matrix.to(torch.float64)
    batch = matrix.shape[0]
    bottom = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64).expand(batch, 1, 3)
    forward = torch.cat([matrix, bottom], dim=1)
    inverse = torch.linalg.inv(forward)  # output pixels -> input pixels
    to_norm_in = _normaliser(in_hw)
    from_norm_out = torch.linalg.inv(_normaliser(out_hw))
    theta = to_norm_in @ inverse @ from_norm_out
    return theta[:, :2].to(torch.float32)


def _normaliser(hw: tuple[int, int]) -> torch.Tensor:
    height, width = hw
    return torch.tensor([[2.0 / (width - 1), 0.0, -1.0],
                         [0.0, 2.0 / (height - 1), -1.0],
                         [0.0, 0.0, 1.0]], dtype=torch.float64)


def warp_affine(images: torch.Tensor, matrices: torch.Tensor, *, size: int) -> torch.Tensor:
    """Differentiable ``cv2.warpAffine`` (bilinear, replicated border) to a square output.

    Parameters
    ----------
    images : Tensor, shape (N, C, H, W)
    matrices : Tensor, shape (N, 2, 3)
        Image pixel -> output pixel.
    size : int
        Side of the output.

    Examples
    --------
    >>> img = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> shift = torch.tensor([[[1.0, 0, -1], [0, 1, 0]]])
    >>> warp_affine(img, shift, size=2)[0, 0].round(decimals=4).tolist()
    [[1.0, 2.0], [5.0, 6.0]]
    """
    theta = pixel_affine_to_theta(matrices, in_hw=tuple(images.shape[-2:]), out_hw=(size, size))
    grid = F.affine_grid(theta, [images.shape[0], images.shape[1], size, size],
                         align_corners=True)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border",
                         align_corners=True)


class DifferentiableRecognizer(torch.nn.Module):
    """Full image + landmarks -> unit embeddings, differentiably.

    Parameters
    ----------
    network : torch.nn.Module
        (N, 3, S, S) model input -> (N, D) embeddings.
    channel_order, mean, std, input_size
        The preprocessing of the ONNX model, as :class:`fiqa.recognition.OnnxEmbedder`
        states it.
    name : str
        Label of the model.

    Examples
    --------
    >>> from fiqa.face import ARCFACE_TEMPLATE
    >>> recognizer = load_recognizer(check_faces=None)
    >>> image = torch.full((1, 3, 150, 150), 128.0)
    >>> recognizer(image, torch.from_numpy(ARCFACE_TEMPLATE[None] + 20)).shape
    torch.Size([1, 128])
    """

    def __init__(self, network: torch.nn.Module, *, channel_order: str = "RGB",
                 mean: float = 0.0, std: float = 1.0, input_size: int = 112,
                 name: str = "model"):
        super().__init__()
        self.network = network
        self.channel_order = channel_order
        self.mean = float(mean)
        self.std = float(std)
        self.input_size = input_size
        self.name = name

    def alignment(self, landmarks: torch.Tensor | np.ndarray) -> torch.Tensor:
        """(N, 5, 2) landmarks -> (N, 2, 3) image -> aligned-crop matrices (constants)."""
        points = np.asarray(landmarks, np.float32).reshape(-1, 5, 2)
        return torch.from_numpy(np.stack(
            [alignment_matrix(p, size=self.input_size) for p in points]))

    def embed_aligned(self, crops: torch.Tensor) -> torch.Tensor:
        """(N, 3, S, S) RGB crops in 0..255 -> (N, D) unit embeddings."""
        if self.channel_order == "BGR":
            crops = crops.flip(1)
        output = self.network((crops - self.mean) / self.std).reshape(crops.shape[0], -1)
        return F.normalize(output, dim=1)

    def align(self, images: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
        """Warp (N, 3, H, W) images with (N, 2, 3) image -> crop matrices to crops."""
        return warp_affine(images, matrices, size=self.input_size)

    def forward(self, images: torch.Tensor, landmarks: torch.Tensor | np.ndarray) -> torch.Tensor:
        """(N, 3, H, W) RGB images in 0..255 and (N, 5, 2) landmarks -> (N, D) embeddings."""
        return self.embed_aligned(self.align(images, self.alignment(landmarks)))


@functools.lru_cache(maxsize=4)
def _converted(path: str) -> torch.nn.Module:
    return torch_model(path)


def parity_faces() -> np.ndarray:
    """Aligned real faces for the load-time parity check (scikit-image's astronaut).

    The photograph and its mirror image, aligned to 112x112 with fiqa's own pipeline.
    """
    from skimage import data

    from fiqa.face import FaceDetector, align_face

    image = data.astronaut()
    detector = FaceDetector()
    crops = []
    for view in (image, np.ascontiguousarray(image[:, ::-1])):
        faces = detector.detect(view)
        if not faces:
            raise RuntimeError("no face found in scikit-image's astronaut for the parity check")
        crops.append(align_face(view, faces[0].landmarks))
    return np.stack(crops)


def load_recognizer(spec: str = "sface", *, check_faces: np.ndarray | None | str = "default",
                    channel_order: str = "RGB", mean: float = 0.0,
                    std: float = 1.0) -> DifferentiableRecognizer:
    """The differentiable twin of :func:`fiqa.recognition.create_embedder`, parity-checked.

    Parameters
    ----------
    spec : str
        ``"sface"`` or the path of a float or weight-quantised ONNX embedding model (not
        ``"dlib"``: dlib's network has no gradients in Python).
    check_faces : ndarray of uint8 (N, S, S, 3), ``"default"`` or None
        Aligned faces on which torch and onnxruntime must agree (cosine >= 0.9999);
        ``"default"`` uses :func:`parity_faces`; None skips the check.
    channel_order, mean, std
        Preprocessing of a model given by path (ignored for ``"sface"``).

    Raises
    ------
    attacks.patch.onnx_torch.ParityError
        When the conversion does not reproduce onnxruntime's embeddings.

    Examples
    --------
    >>> load_recognizer().name
    'sface'
    """
    from fiqa.recognition import create_embedder

    embedder = create_embedder(spec, channel_order=channel_order, mean=mean, std=std)
    if getattr(embedder, "path", None) is None:  # not an ONNX model
        raise ValueError(f"{embedder.name!r} cannot be attacked white-box: it has no gradients "
                         "in Python (only ONNX recognizers can be converted to torch); use it as "
                         "a black-box judge (--judge)")
    network = _converted(embedder.path)
    if isinstance(check_faces, str):
        check_faces = parity_faces()
    if check_faces is not None:
        check_parity(network, embedder, check_faces)
    return DifferentiableRecognizer(network, channel_order=embedder.channel_order,
                                    mean=embedder.mean, std=embedder.std,
                                    input_size=embedder.input_size, name=embedder.name)
