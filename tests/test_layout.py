"""The package's layout is its architecture: imports point one way and never in a circle.

The rooms, from the top: cli -> tour / explore -> pipeline -> output / model -> inputs -> steps -> errors.
A module may import from its own room and from the rooms below it, never from a room above or beside it;
and no set of modules imports each other in a circle, not even through imports inside functions. The test
reads the source (ast), so it sees the lazy imports that keep torch out of start-up too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "logitcli"

#: Each room's height; a module may import rooms of a lower height (or its own room).
LAYERS: dict[str, int] = {
    "cli": 6,
    "tour": 5,
    "explore": 5,
    "pipeline": 4,
    "output": 3,
    "model": 3,
    "inputs": 2,
    "steps": 1,
    "errors": 0,
}
#: The package's own top: its version and `python -m logitcli`.
TOP = {"logitcli": 0, "logitcli.__main__": 7}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every logitcli module `path` imports, at the top or inside a function (TYPE_CHECKING included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("logitcli"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("logitcli"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return found


def room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def height(module: str) -> int:
    if module in TOP:
        return TOP[module]
    name = room(module)
    assert name in LAYERS, f"{module} is in no known room: add its package to LAYERS (and to DESIGN.md)"
    return LAYERS[name]


def graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def test_every_module_sits_in_a_room() -> None:
    for module in all_modules():
        height(module)


def test_imports_point_down() -> None:
    wrong = []
    for module, imported in graph().items():
        for target in imported:
            if room(target) == room(module) and module not in TOP:
                continue
            if height(target) >= height(module) and target != "logitcli":
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports that point up or sideways:\n" + "\n".join(sorted(wrong))


def test_no_import_circle() -> None:
    edges = graph()
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> None:
        if module in path:
            circle = path[path.index(module) :] + [module]
            pytest.fail("import circle: " + " -> ".join(circle))
        if module in done:
            return
        path.append(module)
        for target in sorted(edges.get(module, ())):
            visit(target)
        path.pop()
        done.add(module)

    for module in sorted(edges):
        visit(module)


def test_the_checker_sees_a_wrong_import(tmp_path: Path) -> None:
    """The rule is not vacuous: a step module importing the CLI is reported."""
    modules = {"logitcli.steps.bad": tmp_path / "bad.py", "logitcli.cli.commands": tmp_path / "c.py"}
    (tmp_path / "bad.py").write_text("def f():\n    from logitcli.cli.commands import app\n")
    found = imports_of(tmp_path / "bad.py", modules)
    assert found == {"logitcli.cli.commands"}
    assert height("logitcli.cli.commands") > height("logitcli.steps.bad")
