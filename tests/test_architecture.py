"""The package's shape: the import rule between its rooms, no cycles, short functions, no copied blocks.

Layers, lowest first: base (text, labels, io, paths, config, system, bases, storage) -> data -> classify | summarise
(siblings that never import each other) -> batch -> cli. ``tracking``, ``promotion`` and ``pyfunc`` (MLflow) are used
only by training, evaluation, benchmarks, batch and the CLI. Every ``accord`` import counts, lazy ones inside
functions included.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
BASE = {"text", "labels", "io", "paths", "config", "system", "bases", "storage"}
RANK = {"base": 0, "data": 1, "classify": 2, "summarise": 2, "tracking": 2, "promotion": 2, "pyfunc": 3, "batch": 4,
        "ui": 4, "top": 5}
MLFLOW_USERS = re.compile(r"^accord\.((classify|summarise)\.(train|evaluate|benchmark)|batch\..*|cli(\..*)?"
                          r"|pyfunc|promotion|ui)$")
COMPAT = {"accord.baselines"}  # re-exports for models pickled under the flat layout (tests/test_compat.py)
MAX_FUNCTION_LINES = 50
DUPLICATE_WINDOW = 6


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "accord").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every accord module ``name`` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("accord.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "accord":
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return {m for m in found if m in MODULES and m != name and m != "accord"}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def room(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or module in COMPAT or parts[1] == "cli":
        return "top"
    if parts[1] in BASE:
        return "base"
    return parts[1]


def test_layers_point_down_and_siblings_stay_apart() -> None:
    wrong = []
    for source, targets in GRAPH.items():
        for target in targets:
            a, b = room(source), room(target)
            if a == b:
                continue
            if {a, b} == {"classify", "summarise"}:
                wrong.append(f"{source} -> {target}: sibling capabilities")
            elif b in ("tracking", "promotion", "pyfunc"):
                if not MLFLOW_USERS.match(source):
                    wrong.append(f"{source} -> {target}: only train/evaluate/benchmark/batch/cli use MLflow")
            elif RANK[b] >= RANK[a]:
                wrong.append(f"{source} -> {target}: imports from a higher layer")
    assert wrong == []


def test_no_import_cycles() -> None:
    state: dict[str, int] = defaultdict(int)  # 0 new, 1 on the stack, 2 done
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH[node]):
            if state[nxt] == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif state[nxt] == 0:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(GRAPH):
        if state[module] == 0:
            visit(module, [module])
    assert cycles == []


def test_the_rule_sees_a_violation() -> None:
    """The checks above are live: the real graph has the edges they reason about."""
    assert "accord.tracking" in GRAPH["accord.classify.train"]
    assert "accord.summarise.guard" in GRAPH["accord.batch.briefs"]
    assert room("accord.classify.model") == "classify" and room("accord.text") == "base"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_functions_are_short(module: str) -> None:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    long = [f"{n.name} ({n.end_lineno - n.lineno + 1} lines)" for n in functions
            if n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


def _windows(path: Path) -> list[tuple[str, int]]:
    """Every run of six consecutive code lines (stripped; blank, comment and import lines skipped)."""
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith(("#", "import ", "from ", '"""', ")", "]", "}")) and len(line) > 3:
            lines.append((line, number))
    return [("\n".join(x for x, _ in lines[i:i + DUPLICATE_WINDOW]), lines[i][1])
            for i in range(len(lines) - DUPLICATE_WINDOW + 1)]


def copied_blocks(modules: dict[str, Path]) -> list[str]:
    """``where repeats where`` for every six-line block found in two modules."""
    seen: dict[str, str] = {}
    copies = []
    for module, path in modules.items():
        for block, line in _windows(path):
            where = f"{module}:{line}"
            if block in seen and seen[block].split(":")[0] != module:
                copies.append(f"{where} repeats {seen[block]}")
            seen.setdefault(block, where)
    return copies


def test_no_block_of_six_lines_is_copied() -> None:
    assert copied_blocks(MODULES) == []


def test_a_copied_block_is_found(tmp_path: Path) -> None:
    body = "".join(f"    total = total + value_{k} * weight_{k}\n" for k in range(6))
    (tmp_path / "a.py").write_text("def a():\n" + body)
    (tmp_path / "b.py").write_text("def b():\n    start = 0\n" + body)
    assert copied_blocks({"a": tmp_path / "a.py", "b": tmp_path / "b.py"}) == ["b:3 repeats a:2"]
