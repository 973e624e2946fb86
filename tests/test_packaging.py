"""What pip installs: every package, and every shipped model folder with its card."""

import json
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
MODEL_FOLDERS = sorted(p for p in (ROOT / "models").iterdir() if p.is_dir()
                       and not p.name.startswith("__"))


def test_every_package_is_listed():
    listed = set(PROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for top in ("fiqa", "attacks", "reports") for p in (ROOT / top).rglob("__init__.py")}
    assert found <= listed, f"missing from pyproject's packages: {sorted(found - listed)}"
    assert "fiqa_models" in listed


@pytest.mark.parametrize("folder", MODEL_FOLDERS, ids=lambda p: p.name)
def test_model_folders_are_self_contained_and_installed(folder):
    card = json.loads((folder / "card.json").read_text())
    assert (folder / "README.md").is_file()
    for key in ("sha256", "licence"):
        assert key in card or any(key in k for k in card), f"{folder.name}/card.json lacks {key}"
    patterns = PROJECT["tool"]["setuptools"]["package-data"]["fiqa_models"]
    for path in folder.iterdir():
        relative = path.relative_to(ROOT / "models")
        assert any(relative.match(pattern) for pattern in patterns), f"{relative} not installed"
