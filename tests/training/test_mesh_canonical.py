"""The pose reference shape: rebuilt from a few CFP identities it matches the shipped one."""

from __future__ import annotations

import json

import numpy as np

from fiqa.mesh_shape import canonical_shape, mean_frontal_shape, mesh_rotation, yaw_pitch
from fiqa.models import file_sha256, read_card, shipped_models_dir
from fiqa.training.mesh_canonical import FILE, frontal_meshes


def test_a_shape_from_three_identities_is_close_to_the_shipped_one(shared_data):
    shapes = frontal_meshes(shared_data / "cfp", identities=range(1, 4))
    assert shapes.shape == (30, 468, 3)
    rebuilt = mean_frontal_shape(shapes)
    yaw, pitch = yaw_pitch(mesh_rotation(rebuilt, canonical_shape()))
    assert abs(yaw) < 3 and abs(pitch) < 5  # three people's average pose, not fifty's
    aligned = rebuilt @ mesh_rotation(canonical_shape(), rebuilt).T
    assert np.median(np.linalg.norm(aligned - canonical_shape(), axis=1)) < 0.03  # 0.018


def test_shipped_file_matches_its_card():
    entry = read_card("face_mesh")["canonical_shape"]
    path = shipped_models_dir() / "face_mesh" / entry["file"]
    assert entry["file"] == FILE and file_sha256(path) == entry["sha256"]
    assert json.loads(path.read_text())["photos"] == 500
