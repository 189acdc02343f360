"""The package's import structure, read from its own source: layers as ARCHITECTURE.md's table orders them, no
import from a lower layer up to a higher one, no import circle among modules, and a facade whose lazy names,
type-checker imports and ``__all__`` agree."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "chipwar"


def layer_table() -> dict[str, int]:
    """Entry (top-level module or package of chipwar, or ``chipwar`` for the facade) -> rank (0: lowest layer)."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = text.split("| layer | entries |", 1)[1].split("\n\n", 1)[0]
    ranks: dict[str, int] = {}
    rows = [line for line in table.splitlines()[2:] if line.startswith("|")]
    for rank, row in enumerate(rows):
        for entry in re.findall(r"`([\w.]+)`", row.split("|")[2]):
            assert entry not in ranks, f"{entry} is in two rows of ARCHITECTURE.md's layer table"
            ranks[entry] = rank
    return ranks


def modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the package: dotted name -> (file, is a package); the compiled ``_core`` by its stub."""
    found = {"chipwar._core": (PACKAGE / "_core.pyi", False)}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def imports(name: str, path: Path, is_package: bool, known: dict) -> set[str]:
    """The package modules that ``name`` imports anywhere in its source (functions and TYPE_CHECKING included)."""
    def closest(dotted: str) -> str:
        while dotted not in known and "." in dotted:
            dotted = dotted.rsplit(".", 1)[0]
        return dotted

    here = name.split(".") if is_package else name.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {closest(a.name) for a in node.names if a.name.split(".")[0] == "chipwar"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
            elif (node.module or "").split(".")[0] == "chipwar":
                base = node.module
            else:
                continue
            # `from pkg import sub` imports the module pkg.sub; `from pkg import name` imports pkg
            out |= {closest(f"{base}.{a.name}") if f"{base}.{a.name}" in known else closest(base) for a in node.names}
    out.discard(name)
    return out


def entry_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "chipwar"


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, is_package, known) for name, (path, is_package) in known.items()}


def test_the_import_reader_sees_relative_absolute_and_local_imports(graph):
    # a check of the checker: one import of each kind it must resolve, taken from the package as it is
    assert "chipwar._core" in graph["chipwar.threads"]  # from . import _core
    assert "chipwar.vcov" in graph["chipwar.estimation.prepare"]  # from ..vcov import parse_vcov (the package)
    assert "chipwar.vcov.clusters" in graph["chipwar.estimation.wildboot"]  # from ..vcov.clusters import ...
    assert "chipwar.estimation.wildboot" in graph["chipwar.estimation.result"]  # inside a method
    assert "chipwar.estimation.feols" in graph["chipwar"]  # under TYPE_CHECKING
    assert "chipwar" in graph["chipwar.cli"]  # import chipwar as cw, inside a function


def test_every_module_has_a_layer(graph):
    ranks = layer_table()
    missing = sorted({entry_of(m) for m in graph} - set(ranks))
    assert not missing, f"give these a row in ARCHITECTURE.md's layer table: {missing}"
    stale = sorted(set(ranks) - {entry_of(m) for m in graph})
    assert not stale, f"ARCHITECTURE.md's layer table names entries that do not exist: {stale}"


def test_imports_only_go_down_the_layers(graph):
    ranks = layer_table()
    upward = [
        f"{m} ({entry_of(m)}) imports {d} ({entry_of(d)})"
        for m, deps in sorted(graph.items()) for d in sorted(deps)
        if entry_of(d) != entry_of(m) and ranks[entry_of(d)] >= ranks[entry_of(m)]
    ]
    assert not upward, "imports from a lower layer up to a higher one or a sibling:\n" + "\n".join(upward)


def test_no_import_circles(graph):
    # Tarjan's strongly connected components: any component of more than one module is a circle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not circles, f"import circles: {circles}"


def test_the_facade_lists_each_public_name_three_times_alike():
    import chipwar as cw

    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    typed = {}  # public name -> (module, attribute) it is imported from
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.level == 1
        for a in node.names:
            typed[a.asname or a.name] = (f"chipwar.{node.module}" if node.module else "chipwar", a.name)
    eager = {"ChipwarError", "ChipwarWarning", "ConvergenceWarning", "__version__"}
    assert set(typed) == set(cw._LAZY)
    assert set(cw.__all__) == eager | set(cw._LAZY)
    for name, (module, attribute) in typed.items():
        source = importlib.import_module(module)
        expected = importlib.import_module(f"{module}.{attribute}") if module == "chipwar" else getattr(source, attribute)
        assert getattr(cw, name) is expected, name
