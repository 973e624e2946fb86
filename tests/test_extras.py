"""The core installs and runs without torch; torch-only parts say which extra they need."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fiqa.extras import require

BLOCK = ("import sys\n"
         "sys.modules.update(dict.fromkeys(['torch', 'torchvision', 'onnx2torch',"
         " 'efficientnet_pytorch']))\n")  # None in sys.modules: importing it fails

IMPORT_CORE = """
import importlib, pkgutil

def walk(name):
    module = importlib.import_module(name)
    for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
        if f"{name}.{info.name}" != "attacks.patch":  # torch-only, by design
            walk(f"{name}.{info.name}")

for package in ("fiqa", "attacks", "reports"):
    walk(package)
from fiqa.cli import main
"""


def _run(code, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    return subprocess.run([sys.executable, "-c", BLOCK + code], capture_output=True, text=True,
                          cwd=tmp_path, env=env, check=False)


def test_every_core_module_imports_without_torch(tmp_path):
    done = _run(IMPORT_CORE + "print('imported')", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"


def test_scoring_runs_without_torch(tmp_path, sample_face):
    from PIL import Image

    Image.fromarray(sample_face).save(tmp_path / "face.png")
    code = IMPORT_CORE + ("raise SystemExit(main(['score', 'face.png', '-o', 'out.csv',"
                          " '--no-progress']))")
    done = _run(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote 1 rows" in done.stdout and "ok: 1" in done.stdout


def test_patches_without_torch_name_the_extra(tmp_path):
    done = _run("import attacks.patch\n", tmp_path)
    assert "adversarial patches (fiqa attack patch) needs torch, which is not installed: " \
           "pip install 'fiqa[torch]'" in done.stderr


def test_require_returns_the_modules_or_names_the_extra(monkeypatch):
    assert [m.__name__ for m in require("json", "math", purpose="x")] == ["json", "math"]
    monkeypatch.setitem(sys.modules, "efficientnet_pytorch", None)  # as if not installed
    with pytest.raises(ValueError, match=r"training needs efficientnet_pytorch, .*fiqa\[torch\]"):
        require("efficientnet_pytorch", purpose="training")
