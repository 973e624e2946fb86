"""Head rotation from the dense face mesh: a rigid fit of its 468 points to a mean shape.

The mean shape (``models/face_mesh/canonical_shape.json``, built by
``python -m fiqa.training.mesh_canonical``) is the Procrustes mean of the mesh on 500 CFP
frontal photos, mirror-symmetrised and turned so that the mean rotation of those photos
is the identity: a face posed like the average frontal photo has yaw, pitch and roll 0.
The fit (:func:`mesh_rotation`) uses all three mesh coordinates, so unlike the 5-point fit
of :mod:`fiqa.measures.pose` it needs no assumed nose depth or camera distance.

Angles follow :mod:`fiqa.measures.pose` (x to the image's right, y down, z away from the
camera; pitch > 0 = head tilted up, yaw > 0 = nose towards the image's right).
"""

from __future__ import annotations

import functools
import json

import numpy as np

#: Points of the mesh (MediaPipe's topology).
MESH_POINTS = 468


def normalised(points: np.ndarray) -> np.ndarray:
    """Points centred on their centroid and scaled to unit root-mean-square radius.

    Examples
    --------
    >>> shape = normalised(np.array([[0.0, 0, 0], [2, 0, 0], [0, 2, 0], [2, 2, 0]]))
    >>> shape.mean(0).tolist(), round(float(np.sqrt((shape ** 2).sum(1).mean())), 12)
    ([0.0, 0.0, 0.0], 1.0)
    """
    centred = np.asarray(points, np.float64) - np.mean(points, axis=0)
    return centred / np.sqrt((centred ** 2).sum(1).mean())


def mesh_rotation(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The rotation R (3x3, det +1) that best turns ``reference`` onto ``points``
    (least squares over all points after :func:`normalised`; Kabsch's method).

    Examples
    --------
    >>> from scipy.spatial.transform import Rotation
    >>> reference = np.random.default_rng(0).normal(size=(50, 3))
    >>> turn = Rotation.from_euler("y", 30, degrees=True).as_matrix()
    >>> bool(np.allclose(mesh_rotation(3 * reference @ turn.T + 5, reference), turn))
    True
    """
    source, target = normalised(reference), normalised(points)
    u, _, vt = np.linalg.svd(source.T @ target)
    flip = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag([1.0, 1.0, flip]) @ u.T


def yaw_pitch(rotation: np.ndarray) -> tuple[float, float]:
    """Yaw and pitch (degrees) of the direction the face looks in after ``rotation``.

    Examples
    --------
    >>> from scipy.spatial.transform import Rotation
    >>> up = Rotation.from_euler("x", -20, degrees=True).as_matrix()  # nose turns to -y
    >>> [round(angle, 6) for angle in yaw_pitch(up)]
    [0.0, 20.0]
    """
    forward = np.asarray(rotation) @ np.array([0.0, 0.0, -1.0])  # out of the face
    yaw = np.degrees(np.arctan2(forward[0], -forward[2]))
    pitch = np.degrees(np.arctan2(-forward[1], np.hypot(forward[0], forward[2])))
    return float(yaw), float(pitch)


def mean_frontal_shape(shapes: np.ndarray, *, iterations: int = 5) -> np.ndarray:
    """The reference shape from meshes of frontal faces, (N, 468, 3) in image pixels.

    Generalised Procrustes mean (rotations only, every shape :func:`normalised`), made
    mirror-symmetric (each point averaged with the mirror image of its nearest mirrored
    counterpart) and turned so that the mean rotation of the inputs onto it is the
    identity. Returned :func:`normalised`, float64 (468, 3).
    """
    from scipy.spatial import cKDTree

    normal = [normalised(shape) for shape in shapes]
    mean = normal[0]
    for _ in range(iterations):
        mean = normalised(np.mean([shape @ mesh_rotation(mean, shape).T for shape in normal], 0))
    u, _, vt = np.linalg.svd(np.mean([mesh_rotation(shape, mean) for shape in normal], 0))
    mean = mean @ (u @ vt).T  # into the frame of the average input
    mirrored = mean * np.array([-1.0, 1.0, 1.0])
    partner = cKDTree(mean).query(mirrored)[1]
    return normalised((mean + mirrored[partner]) / 2)


@functools.cache
def canonical_shape() -> np.ndarray:
    """The shipped reference shape (sha256 checked against the face mesh card)."""
    from fiqa.models import read_card, shipped_models_dir, verify_file

    entry = read_card("face_mesh")["canonical_shape"]
    path = shipped_models_dir() / "face_mesh" / entry["file"]
    verify_file("face_mesh canonical shape", path, entry["sha256"])
    shape = np.array(json.loads(path.read_text())["points"], np.float64)
    if shape.shape != (MESH_POINTS, 3):
        raise ValueError(f"{path}: expected {MESH_POINTS} points of 3 coordinates, got {shape.shape}")
    return shape


def mesh_yaw_pitch(points: np.ndarray) -> tuple[float, float]:
    """Yaw and pitch (degrees) of a face from its 468 mesh points in image pixels.

    Examples
    --------
    >>> [round(angle, 6) + 0.0 for angle in mesh_yaw_pitch(canonical_shape() * 80 + 100)]
    [0.0, 0.0]
    """
    return yaw_pitch(mesh_rotation(points, canonical_shape()))
