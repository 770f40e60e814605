"""Imports point one way: storage <- services <- tools <- assistant / web / cli, and no module-level circles.

A lower layer that imports a higher one (a tool reaching into the assistant, storage into tools)
is how the old circles started; this test names the file and the import.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"storage": 0, "services": 1, "tools": 2, "assistant": 3, "web": 3, "cli": 3}


def _modules() -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path, *, top_level_only: bool) -> list[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_no_import_runs_from_a_lower_layer_to_a_higher_one():
    upward = []
    for module, path in _modules().items():
        here = LAYERS[module.split(".")[0]]
        for name in _imports(path, top_level_only=False):
            there = LAYERS.get(name.split(".")[0])
            if there is not None and there > here:
                upward.append(f"{path.relative_to(ROOT)} imports {name}")
    assert upward == []


def test_no_circles_between_modules_at_import_time():
    modules = _modules()
    graph = {
        module: {name for name in _imports(path, top_level_only=True) if name in modules and name != module}
        for module, path in modules.items()
    }
    # A package's __init__ re-exporting its own modules is not a circle of design.
    graph = {
        m: {d for d in deps if not m.startswith(d + ".") and not d.startswith(m + ".")} for m, deps in graph.items()
    }
    circles, state = [], {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for dep in sorted(graph[module]):
            if state.get(dep) == "open":
                circles.append(" -> ".join([*trail[trail.index(dep) :], dep]))
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_the_layer_check_sees_an_upward_import(tmp_path):
    """The checks above must be able to fail: a tool importing the assistant is found."""
    sample = tmp_path / "bad.py"
    sample.write_text("from assistant.loop import Agent\n\ndef f():\n    import web.tracking\n")
    assert _imports(sample, top_level_only=False) == ["assistant.loop", "assistant.loop.Agent", "web.tracking"]
    assert _imports(sample, top_level_only=True) == ["assistant.loop", "assistant.loop.Agent"]
