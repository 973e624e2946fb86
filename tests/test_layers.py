"""The house rules a reader can check: one way down, no cycles, one face journey."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("fiqa", "attacks", "reports")
#: Where the core may reach the layers above it: the command layer (and fiqa's own training
#: data, which is made with attacks' perturbations).
COMMAND_LAYER = ("fiqa/cli.py", "fiqa/commands/", "fiqa/training/", "fiqa/demo.py")


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            yield name.removesuffix(".__init__"), path


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_the_core_imports_neither_attacks_nor_reports():
    offenders = []
    for name, path in _modules():
        relative = path.relative_to(ROOT).as_posix()
        if not name.startswith("fiqa") or relative.startswith(COMMAND_LAYER):
            continue
        upward = {m for m in _imports(path, top_level_only=False)
                  if m.split(".")[0] in ("attacks", "reports")}
        if upward:
            offenders.append(f"{relative}: {sorted(upward)}")
    assert not offenders


def test_no_import_cycles_between_modules():
    modules = dict(_modules())
    graph = {name: {m for m in _imports(path, top_level_only=True) if m in modules}
             for name, path in modules.items()}

    def visit(node, stack):
        if node in stack:
            pytest.fail("import cycle: " + " -> ".join([*stack[stack.index(node):], node]))
        for target in graph[node]:
            if target != node and not target.startswith(node + "."):  # a package's own parts
                visit(target, [*stack, node])

    for name in graph:
        visit(name, [])


def test_only_the_pipeline_detects_and_embeds():
    """Commands reach faces through fiqa.pipeline; nothing else runs the journey."""
    allowed = {"fiqa/pipeline.py", "fiqa/face.py", "fiqa/recognition.py", "fiqa/context.py",
               "fiqa/training/compression_data.py",  # crops for its own training set
               "attacks/patch/optimise.py",  # white-box re-detection while optimising
               "attacks/patch/run.py",  # hands the optimiser its detector
               "attacks/patch/recognizer.py"}  # torch-vs-onnxruntime parity crops
    offenders = []
    for _, path in _modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative not in allowed and _calls(path) & {"FaceDetector", "detect", "align_face"}:
            offenders.append(relative)
    assert not offenders


def _calls(path: Path) -> set[str]:
    """Names of the functions and methods a module's code calls (docstrings not included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names
